#!/usr/bin/env node
// The `eks-delivery` executable (package.json "bin"), plain JavaScript so Node 20, 22 and 24 run it as
// is: runs tools/cli/main.ts in a child Node with tsx's loader (`node --import tsx`, tsx@4.23.15
// package.json exports "." = dist/loader.mjs), as tsx's own CLI does (dist/cli.mjs spawns a child).
// tsx's in-process `tsx/esm/api` register() fails from CommonJS here (its .cjs build resolves
// dist/esm/api/esm/index.mjs, which does not exist), hence the child. Signals are passed on; the
// child's exit code (or signal) is this process's.
"use strict";
const { spawn } = require("child_process");
const path = require("path");
const { pathToFileURL } = require("url");

const loader = pathToFileURL(require.resolve("tsx", { paths: [__dirname] })).href;
const child = spawn(process.execPath, ["--import", loader, path.join(__dirname, "main.ts"), ...process.argv.slice(2)], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("error", (err) => {
    process.stderr.write(`eks-delivery: cannot start node: ${err.message}\n`);
    process.exit(3);
});
child.on("exit", (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 3);
});
