#!/usr/bin/env node
// The `eks-delivery` executable (package.json "bin"), plain JavaScript so Node 20, 22 and 24 run it as
// is: runs tools/cli/main.ts in a child Node with tsx's loader (`node --import tsx`, tsx@4.23.15
// package.json exports "." = dist/loader.mjs), as tsx's own CLI does (dist/cli.mjs spawns a child).
// tsx's in-process `tsx/esm/api` register() fails from CommonJS here (its .cjs build resolves
// dist/esm/api/esm/index.mjs, which does not exist), hence the child. tsx is a devDependency: without
// it (`npm ci --omit=dev`) the answer is one line and exit 3.
// Signals are passed on to the child; its exit code is this process's, and a child killed by a signal
// kills this process with the same signal (the listeners removed first, else re-raising it would only
// run them again and the process would exit 0).
"use strict";
const { spawn } = require("child_process");
const os = require("os");
const path = require("path");
const { pathToFileURL } = require("url");

let loader;
try {
    loader = pathToFileURL(require.resolve("tsx", { paths: [__dirname] })).href;
} catch {
    process.stderr.write("eks-delivery: tsx is missing (a devDependency that runs the TypeScript): run npm ci\n");
    process.exit(3);
}
const child = spawn(process.execPath, ["--import", loader, path.join(__dirname, "main.ts"), ...process.argv.slice(2)], { stdio: "inherit" });
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"];
const relay = (signal) => child.kill(signal);
for (const signal of SIGNALS) process.on(signal, relay);
child.on("error", (err) => {
    process.stderr.write(`eks-delivery: cannot start node: ${err.message}\n`);
    process.exit(3);
});
child.on("exit", (code, signal) => {
    if (signal) {
        for (const s of SIGNALS) process.off(s, relay);
        process.kill(process.pid, signal);
        // A signal whose default is not to end the process: the shell's convention, 128 + its number.
        setTimeout(() => process.exit(128 + (os.constants.signals[signal] ?? 0)), 100);
        return;
    }
    process.exit(code ?? 3);
});
