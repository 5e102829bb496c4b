/**
 * `eks-delivery loadtest [--service api|web] [--clients 200] [--seconds 10] [--drain 5] [--quiet]`
 * (`npm run loadtest -- ...` runs the same command): the bounded local load test of a sample service
 * across a SIGTERM (tools/loadtest/drain.ts), on loopback only: no cluster needed.
 */
import { badInput, CliError, newCommand, runAlone } from "../cli/command";
import { startProgress } from "../cli/progress";

const DEFAULTS = { service: "api", clients: 200, drain: 5 } as const;
const MAX = 2000;

function loadtestFlags() {
    return newCommand("loadtest", "load a sample service on loopback across a SIGTERM: no request may fail", {
        notes: `Every client holds its own keep-alive connection; SIGTERM arrives --seconds minus --drain in; the figures (requests, failed, latency percentiles) go to stdout, progress to stderr.`,
        exitCodes: [[0, "no request failed and the service exited 0"], [1, "a request failed or the service exited otherwise"], [2, "bad input: a flag or its value"], [3, "internal error (a bug to report)"]],
        examples: ["npx eks-delivery loadtest --service web --clients 50 --seconds 6 --drain 3"],
    })
        .option("--service <api|web>", `the sample service (default: ${DEFAULTS.service})`)
        .option("--clients <n>", `concurrent keep-alive clients, 1 to ${MAX} (default: ${DEFAULTS.clients})`)
        .option("--seconds <n>", "the whole run, more than --drain, 1 to 2000 (default: twice --drain)")
        .option("--drain <n>", `DRAIN_SECONDS given to the service, 1 to ${MAX} (default: ${DEFAULTS.drain})`)
        .option("--quiet", "no progress on stderr (default: progress after a second)");
}

type LoadtestOptions = ReturnType<ReturnType<typeof loadtestFlags>["opts"]>;

/** `eks-delivery loadtest`: the flags above, the work in loadtest(). */
export const loadtestCommand = () => loadtestFlags().action(loadtest);

function count(flag: string, value: string | undefined, fallback: number): number {
    if (value === undefined) return fallback;
    if (!/^[1-9]\d{0,3}$/.test(value) || Number(value) > MAX) throw badInput(`--${flag} ${JSON.stringify(value)} is not a whole number from 1 to ${MAX}`);
    return Number(value);
}

async function loadtest(options: LoadtestOptions): Promise<void> {
    const service = options.service ?? DEFAULTS.service;
    if (service !== "api" && service !== "web") throw badInput(`--service ${JSON.stringify(service)} is not one of api, web`);
    const clients = count("clients", options.clients, DEFAULTS.clients);
    const drainSeconds = count("drain", options.drain, DEFAULTS.drain);
    const seconds = count("seconds", options.seconds, drainSeconds * 2);
    if (seconds <= drainSeconds) throw badInput(`--seconds ${seconds} must exceed --drain (${drainSeconds})`);
    const progress = startProgress("loadtest", process.stderr, { quiet: options.quiet });
    let r;
    try {
        progress.step(`${service}: ${clients} keep-alive clients for ${seconds} s on loopback, SIGTERM at ${seconds - drainSeconds} s, drain ${drainSeconds} s`);
        const { runDrainLoad } = await import("./drain");
        r = await runDrainLoad({ service, clients, seconds, drainSeconds });
    } catch (err) {
        throw new CliError((err as Error).message, 1);
    } finally {
        progress.done();
    }
    process.stdout.write(`requests ${r.requests}, failed ${r.failed}, retried on a new connection ${r.retried}, served after SIGTERM ${r.afterSignal}\n`);
    process.stdout.write(`latency p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms; exit ${r.exitCode} ${(r.exitAfterMs / 1000).toFixed(2)} s after SIGTERM\n`);
    for (const f of r.failures.slice(0, 10)) process.stdout.write(`  failed: ${f}\n`);
    process.exitCode = r.failed === 0 && r.exitCode === 0 ? 0 : 1;
}

if (require.main === module) void runAlone(loadtestCommand());
