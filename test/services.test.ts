/**
 * The sample services drain without dropping a request: bounded concurrent load on loopback while
 * SIGTERM arrives, as kube-proxy and the NLB would keep sending during the drain window.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, ChildProcess } from "child_process";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { PROJECT_ROOT } from "../config";

const DRAIN_SECONDS = 2;

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer().listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        }).on("error", reject);
    });
}

async function start(service: string) {
    const port = await freePort();
    const child = spawn(process.execPath, ["server.js"], {
        cwd: path.join(PROJECT_ROOT, "apps/services", service),
        env: { ...process.env, PORT: String(port), DRAIN_SECONDS: String(DRAIN_SECONDS), APP_VERSION: "v9.9.9-test" },
        stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (chunk: Buffer) => { if (chunk.toString().includes("listening")) resolve(); });
        child.on("exit", (code) => reject(new Error(`${service} exited early with ${code}`)));
    });
    return { child, port };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function get(port: string | number, urlPath: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.get({ host: "127.0.0.1", port, path: urlPath, agent, timeout: 10_000 }, (res) => {
            let body = "";
            res.on("data", (c) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
    });
}

function exited(child: ChildProcess): Promise<{ code: number | null; at: number }> {
    return new Promise((resolve) => child.on("exit", (code) => resolve({ code, at: Date.now() })));
}

for (const [service, work] of [["api", "/api/work?ms=50"], ["web", "/"]] as const) {
    test(`${service}: SIGTERM under load drops no request, readiness fails at once, exits 0 inside the grace period`, async () => {
        const { child, port } = await start(service);
        const exit = exited(child);
        assert.equal((await get(port, "/healthz")).status, 200);
        assert.equal((await get(port, "/readyz")).status, 200);
        assert.equal(JSON.parse((await get(port, "/version")).body).version, "v9.9.9-test");

        let ok = 0;
        let afterSignal = 0;
        const failures: string[] = [];
        let signalledAt = Infinity;
        // Traffic keeps arriving until just before the drain ends (endpoints are gone by then).
        let stopAt = Date.now() + 60_000;
        const worker = async () => {
            for (let i = 0; i < 2000 && Date.now() < stopAt; i++) {
                try {
                    const r = await get(port, work);
                    if (r.status === 200) {
                        ok++;
                        if (Date.now() > signalledAt) afterSignal++;
                    } else failures.push(`HTTP ${r.status}`);
                } catch (err) {
                    failures.push((err as Error).message);
                }
            }
        };
        const load = Promise.all(Array.from({ length: 16 }, worker));
        await new Promise((r) => setTimeout(r, 300));

        signalledAt = Date.now();
        stopAt = signalledAt + DRAIN_SECONDS * 1000 - 400;
        child.kill("SIGTERM");
        // Signal delivery is asynchronous: poll as a kubelet probe would, with a tight deadline.
        let readiness = await get(port, "/readyz");
        while (readiness.status !== 503 && Date.now() - signalledAt < 500) readiness = await get(port, "/readyz");
        assert.equal(readiness.status, 503, "readiness fails within 500 ms of SIGTERM");
        assert.equal((await get(port, "/healthz")).status, 200, "liveness still passes while draining");
        // A request still in flight when the drain ends is completed, not cut.
        const inFlight = service === "api"
            ? new Promise((r) => setTimeout(r, DRAIN_SECONDS * 1000 - 300)).then(() => get(port, "/api/work?ms=800"))
            : Promise.resolve({ status: 200, body: "" });

        await load;
        assert.equal((await inFlight).status, 200, "in-flight request completed");
        const { code, at } = await exit;
        assert.deepEqual(failures, [], `failed requests: ${failures.slice(0, 5).join(", ")}`);
        assert.ok(ok > 100, `load was real (${ok} requests)`);
        assert.ok(afterSignal > 20, `requests kept being served during the drain (${afterSignal})`);
        assert.equal(code, 0);
        const took = (at - signalledAt) / 1000;
        assert.ok(took >= DRAIN_SECONDS - 0.1 && took < DRAIN_SECONDS + 5, `exited ${took.toFixed(2)} s after SIGTERM`);
    });
}
