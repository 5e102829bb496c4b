// web: serves a page showing the version it was built with, and drains cleanly on SIGTERM.
"use strict";
const http = require("http");

const port = Number(process.env.PORT || 8080);
const version = process.env.APP_VERSION || "dev";
// How long to keep serving after SIGTERM while load balancers and kube-proxy stop sending traffic.
const drainMs = Number(process.env.DRAIN_SECONDS || 10) * 1000;
let draining = false;

const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>eks-delivery</title></head>
<body><h1>eks-delivery web</h1><p>Version <code>${version.replace(/[<>&"]/g, "")}</code></p></body></html>\n`;

function reply(res, status, type, body) {
  if (draining) res.setHeader("Connection", "close"); // no keep-alive reuse past the drain
  res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const { pathname } = new URL(req.url, "http://localhost");
  if (pathname === "/healthz") return reply(res, 200, "text/plain", "ok\n");
  if (pathname === "/readyz") return draining ? reply(res, 503, "text/plain", "draining\n") : reply(res, 200, "text/plain", "ready\n");
  if (pathname === "/version") return reply(res, 200, "application/json", JSON.stringify({ service: "web", version }));
  if (pathname === "/") return reply(res, 200, "text/html; charset=utf-8", page);
  return reply(res, 404, "text/plain", "not found\n");
});

process.on("SIGTERM", () => {
  if (draining) return;
  draining = true; // readiness fails at once; requests keep being served until the drain ends
  setTimeout(() => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  }, drainMs).unref();
});

server.listen(port, () => console.log(JSON.stringify({ msg: "listening", service: "web", port, version })));
