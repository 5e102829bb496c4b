// serve.js: the HTTP lifecycle shared by the sample services: hostile input answered, never a crash;
// slow and silent clients timed out; a SIGTERM drain that always ends inside the grace period.
// Each Docker build context is self-contained, so api/ and web/ hold identical copies of this file
// (test/services.test.ts fails if they differ).
"use strict";
const http = require("http");

// Node 20 behaviour relied on (nodejs/node@v20.20.2:lib/_http_server.js, read from the node binary,
// and measured by test/services.test.ts):
// - headersTimeout/requestTimeout are only checked every connectionsCheckingInterval (default 30 s);
//   an expired connection gets 408 and is destroyed. The header clock starts at connect, so a silent
//   connection (no byte ever) gets its 408 after headersTimeout too (measured: 5.75 s).
// - server.close() destroys idle keep-alive connections (between requests) but also stops the timeout
//   checks, so a slowloris or silent client would then hold the process open: hence the hard deadline
//   (closeSeconds) after close.
// In the cluster (apps/service/manifests.ts SHUTDOWN): preStop sleeps 15 s, then SIGTERM; we serve
// DRAIN_SECONDS (5 s) more, close, and give in-flight requests closeSeconds (10 s) before cutting every
// connection: 15 + 5 + 10 = 30 s, inside terminationGracePeriodSeconds (45 s) with 15 s to spare.
const LIMITS = Object.freeze({
  headersTimeoutMs: 5_000, // request line + headers (slowloris)
  requestTimeoutMs: 10_000, // the whole request, body included; >= the longest handler (/api/work: 5 s)
  checkIntervalMs: 1_000, // how late a timeout may be enforced
  idleSocketMs: 10_000, // socket inactivity outside keep-alive: a backstop to the two timeouts above
  // Above the ALB's default 60 s idle timeout, so the ALB closes first and never reuses a socket we are
  // closing (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout).
  // The drain does not wait for it: idle sockets are destroyed at close.
  keepAliveTimeoutMs: 65_000,
  maxHeaderBytes: 16_384, // request line + headers; above: 431 (set explicitly: immune to --max-http-header-size)
  maxBodyBytes: 16_384, // no endpoint takes a body; one is read and discarded up to this, above: 413
  drainSeconds: 5, // default DRAIN_SECONDS (the cluster sets it: SHUTDOWN.drainSeconds)
  closeSeconds: 10, // default CLOSE_SECONDS
});

/** A non-negative number of seconds from the environment, or exit with one line naming it. */
function seconds(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 3600) {
    console.error(JSON.stringify({ msg: `${name} must be a number of seconds in [0, 3600], got ${JSON.stringify(raw)}` }));
    process.exit(2);
  }
  return value;
}

/** The path and query of a request target, origin-form or absolute-form (RFC 9112 §3.2); null otherwise. */
function target(raw) {
  let s = raw;
  if (!s.startsWith("/")) {
    try {
      const u = new URL(s);
      s = u.pathname + u.search;
    } catch {
      return null;
    }
    if (!s.startsWith("/")) return null;
  }
  const q = s.indexOf("?");
  // URLSearchParams never throws (bad %-escapes are kept as they are); no decodeURIComponent anywhere.
  return { path: q < 0 ? s : s.slice(0, q), query: new URLSearchParams(q < 0 ? "" : s.slice(q + 1)) };
}

/**
 * Serves `route({ path, query, draining })`, which returns (or resolves to) `{ status, type, body }`,
 * for GET and HEAD on $PORT, and drains on SIGTERM.
 */
function serve(service, route) {
  const port = Number(process.env.PORT || 8080);
  const drainMs = seconds("DRAIN_SECONDS", LIMITS.drainSeconds) * 1000;
  const closeMs = seconds("CLOSE_SECONDS", LIMITS.closeSeconds) * 1000;
  let draining = false;

  function reply(res, { status, type = "text/plain", body = "", close = false }) {
    if (res.headersSent || res.destroyed) return; // the client went away, or a reply already left
    if (draining || close) res.setHeader("Connection", "close"); // no keep-alive reuse past the drain
    res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
    res.end(body);
  }

  function dispatch(req, res) {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      return reply(res, { status: 405, body: "method not allowed\n" });
    }
    const t = target(req.url);
    if (!t) return reply(res, { status: 400, body: "bad request target\n" });
    Promise.resolve()
      .then(() => route({ path: t.path, query: t.query, draining }))
      .then((r) => reply(res, r), (err) => {
        console.error(JSON.stringify({ msg: "handler failed", service, error: String(err && err.stack || err) }));
        reply(res, { status: 500, body: "internal error\n", close: true });
      });
  }

  const server = http.createServer({
    headersTimeout: LIMITS.headersTimeoutMs,
    requestTimeout: LIMITS.requestTimeoutMs,
    keepAliveTimeout: LIMITS.keepAliveTimeoutMs,
    connectionsCheckingInterval: LIMITS.checkIntervalMs,
    maxHeaderSize: LIMITS.maxHeaderBytes,
  }, (req, res) => {
    // An aborted body or a reset socket is the client's business, never an uncaught error.
    req.on("error", () => {});
    res.on("error", () => {});
    const declared = Number(req.headers["content-length"] || 0);
    if (declared > LIMITS.maxBodyBytes) return reply(res, { status: 413, body: "body too large\n", close: true });
    let received = 0;
    req.on("data", (chunk) => {
      received += chunk.length;
      if (received > LIMITS.maxBodyBytes) { // chunked, no declared length
        reply(res, { status: 413, body: "body too large\n", close: true });
        req.pause();
      }
    });
    req.on("end", () => { if (received <= LIMITS.maxBodyBytes) dispatch(req, res); });
  });
  server.timeout = LIMITS.idleSocketMs;
  // CONNECT is an upgrade in Node: without a listener the socket is dropped with no answer.
  server.on("connect", (_req, socket) => {
    socket.on("error", () => {});
    socket.end("HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  });

  process.on("SIGTERM", () => {
    if (draining) return;
    draining = true; // readiness fails at once; requests keep being served until the drain ends
    setTimeout(() => {
      server.close(() => process.exit(0)); // stops accepting, destroys idle keep-alive connections
      // Whatever is still open at the deadline (slowloris, a stuck client) is cut: the process must
      // exit before the kubelet's SIGKILL.
      setTimeout(() => server.closeAllConnections(), closeMs).unref();
      setTimeout(() => process.exit(0), closeMs + 1000).unref();
    }, drainMs).unref();
  });

  server.listen(port, () => console.log(JSON.stringify({ msg: "listening", service, port, version: process.env.APP_VERSION || "dev" })));
  return server;
}

module.exports = { serve, target, LIMITS };
