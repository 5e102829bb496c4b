/**
 * The work of `eks-delivery loadtest` (tools/loadtest/cli.ts declares its flags): a bounded local
 * load test (loopback only) of a sample service across a SIGTERM. Every client holds its own keep-alive
 * connection and sends requests back to back; SIGTERM arrives a third of the way in; traffic stops just
 * before the drain ends (the endpoints are long gone by then in the cluster: the preStop sleep precedes
 * SIGTERM). Measures requests, failed requests (must be 0) and latency percentiles.
 *
 * What counts as failed: any request that does not end in a 2xx. One retry on a new connection is
 * allowed only where a load balancer's keep-alive pool retries too: the request went out on a reused
 * keep-alive socket that the server closed before any response byte (Node's documented idempotent-retry
 * condition, `req.reusedSocket` with ECONNRESET: nodejs/node@v20.20.2:doc/api/http.md#requestreusedsocket).
 * A response with `Connection: close` is not a failure at all: the agent simply opens a new connection
 * for the next request. A refused connection, a reset on a fresh connection, a timeout or a non-2xx
 * status is a failure.
 */
import { spawn } from "child_process";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { PROJECT_ROOT } from "../../config";

export interface DrainLoadOptions {
    service: "api" | "web";
    clients: number;
    /** Total run, from the first request to the end of the drain. */
    seconds: number;
    /** DRAIN_SECONDS given to the service. */
    drainSeconds: number;
}

export interface DrainLoadResult {
    requests: number;
    failed: number;
    retried: number;
    /** Requests answered after SIGTERM. */
    afterSignal: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    exitCode: number | null;
    /** From SIGTERM to the process exit. */
    exitAfterMs: number;
    failures: string[];
}

const WORK: Record<DrainLoadOptions["service"], string> = { api: "/api/work?ms=20", web: "/" };

/** A free loopback port (listen on 0, read it, close). */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer().listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        }).on("error", reject);
    });
}

function percentile(sorted: number[], p: number): number {
    if (sorted.length === 0) return 0;
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

type Attempt = { status: number } | { error: NodeJS.ErrnoException; retryable: boolean };

function attempt(agent: http.Agent, port: number, urlPath: string): Promise<Attempt> {
    return new Promise((resolve) => {
        let gotResponse = false;
        const req = http.get({ host: "127.0.0.1", port, path: urlPath, agent, timeout: 10_000 }, (res) => {
            gotResponse = true;
            res.resume();
            res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
            res.on("error", (error) => resolve({ error, retryable: false }));
        });
        req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
        req.on("error", (error: NodeJS.ErrnoException) =>
            resolve({ error, retryable: req.reusedSocket && !gotResponse && error.code === "ECONNRESET" }));
    });
}

export async function runDrainLoad(options: DrainLoadOptions): Promise<DrainLoadResult> {
    const { service, clients, seconds, drainSeconds } = options;
    const port = await freePort();
    const child = spawn(process.execPath, ["server.js"], {
        cwd: path.join(PROJECT_ROOT, "apps/services", service),
        env: { ...process.env, PORT: String(port), DRAIN_SECONDS: String(drainSeconds) },
        stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
        child.on("exit", (code) => resolve({ code, at: Date.now() })));
    try {
        await new Promise<void>((resolve, reject) => {
            child.stdout!.on("data", (chunk: Buffer) => { if (chunk.toString().includes("listening")) resolve(); });
            child.on("exit", (code) => reject(new Error(`${service} exited early with ${code}`)));
        });
        const latencies: number[] = [];
        const failures: string[] = [];
        let retried = 0;
        let afterSignal = 0;
        let signalledAt = Infinity;
        const start = Date.now();
        const signalAt = start + (seconds - drainSeconds) * 1000;
        // Traffic stops 300 ms before the drain ends: the endpoint is gone from every load balancer by then.
        const stopAt = signalAt + Math.max(0, drainSeconds * 1000 - 300);
        const client = async () => {
            const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
            try {
                while (Date.now() < stopAt) {
                    const begun = Date.now();
                    let result = await attempt(agent, port, WORK[service]);
                    if ("error" in result && result.retryable) {
                        retried++;
                        result = await attempt(agent, port, WORK[service]);
                    }
                    latencies.push(Date.now() - begun);
                    if ("status" in result && result.status >= 200 && result.status < 300) {
                        if (begun > signalledAt) afterSignal++;
                    } else failures.push("status" in result ? `HTTP ${result.status}` : `${result.error.code ?? ""} ${result.error.message}`.trim());
                }
            } finally {
                agent.destroy();
            }
        };
        const signal = new Promise<void>((resolve) => setTimeout(() => {
            signalledAt = Date.now();
            child.kill("SIGTERM");
            resolve();
        }, signalAt - start));
        await Promise.all([signal, ...Array.from({ length: clients }, client)]);
        const { code, at } = await exited;
        latencies.sort((a, b) => a - b);
        return {
            requests: latencies.length,
            failed: failures.length,
            retried,
            afterSignal,
            p50Ms: percentile(latencies, 50),
            p99Ms: percentile(latencies, 99),
            maxMs: latencies[latencies.length - 1] ?? 0,
            exitCode: code,
            exitAfterMs: at - signalledAt,
            failures,
        };
    } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
}
