// web: serves a page showing the version it was built with, and drains cleanly on SIGTERM.
// Limits, timeouts and the SIGTERM drain live in serve.js.
"use strict";
const { serve } = require("./serve");

const version = process.env.APP_VERSION || "dev";
const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>eks-delivery</title></head>
<body><h1>eks-delivery web</h1><p>Version <code>${version.replace(/[<>&"]/g, "")}</code></p></body></html>\n`;

serve("web", ({ path, draining }) => {
  if (path === "/healthz") return { status: 200, body: "ok\n" };
  if (path === "/readyz") return draining ? { status: 503, body: "draining\n" } : { status: 200, body: "ready\n" };
  if (path === "/version") return { status: 200, type: "application/json", body: JSON.stringify({ service: "web", version }) };
  if (path === "/") return { status: 200, type: "text/html; charset=utf-8", body: page };
  return { status: 404, body: "not found\n" };
});
