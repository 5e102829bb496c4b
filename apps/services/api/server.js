// api: a small JSON service (the seeds' `/test/version` endpoint included) that drains cleanly.
"use strict";
const http = require("http");

const port = Number(process.env.PORT || 8080);
const version = process.env.APP_VERSION || "dev";
// How long to keep serving after SIGTERM while load balancers and kube-proxy stop sending traffic.
const drainMs = Number(process.env.DRAIN_SECONDS || 10) * 1000;
let draining = false;

function send(res, status, body) {
  if (draining) res.setHeader("Connection", "close"); // no keep-alive reuse past the drain
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://localhost");
  switch (url.pathname) {
    case "/healthz":
      return send(res, 200, { status: "ok" });
    case "/readyz":
      return draining ? send(res, 503, { status: "draining" }) : send(res, 200, { status: "ready" });
    case "/version":
    case "/test/version":
      return send(res, 200, { service: "api", version });
    case "/api/echo":
      return send(res, 200, { service: "api", version, query: Object.fromEntries(url.searchParams) });
    case "/api/work": {
      // Simulated slow work (bounded at 5 s): lets tests and load drills hold requests in flight.
      const ms = Math.min(Math.max(Number(url.searchParams.get("ms")) || 0, 0), 5000);
      return void setTimeout(() => send(res, 200, { service: "api", version, workedMs: ms }), ms);
    }
    default:
      return send(res, 404, { error: "not found" });
  }
});

process.on("SIGTERM", () => {
  if (draining) return;
  draining = true; // readiness fails at once; requests keep being served until the drain ends
  setTimeout(() => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  }, drainMs).unref();
});

server.listen(port, () => console.log(JSON.stringify({ msg: "listening", service: "api", port, version })));
