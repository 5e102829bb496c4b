// api: a small JSON service (the seeds' `/test/version` endpoint included) that drains cleanly.
// Limits, timeouts and the SIGTERM drain live in serve.js.
"use strict";
const { serve } = require("./serve");

const version = process.env.APP_VERSION || "dev";
const json = (status, body) => ({ status, type: "application/json", body: JSON.stringify(body) });

serve("api", ({ path, query, draining }) => {
  switch (path) {
    case "/healthz":
      return json(200, { status: "ok" });
    case "/readyz":
      return draining ? json(503, { status: "draining" }) : json(200, { status: "ready" });
    case "/version":
    case "/test/version":
      return json(200, { service: "api", version });
    case "/api/echo":
      return json(200, { service: "api", version, query: Object.fromEntries(query) });
    case "/api/work": {
      // Simulated slow work (bounded at 5 s): lets tests and load drills hold requests in flight.
      const ms = Math.min(Math.max(Number(query.get("ms")) || 0, 0), 5000);
      return new Promise((resolve) => setTimeout(() => resolve(json(200, { service: "api", version, workedMs: ms })), ms));
    }
    default:
      return json(404, { error: "not found" });
  }
});
