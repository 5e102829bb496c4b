/**
 * `eks-delivery bench [--json] [--sizes 200,1000] [--repeats 3] [--quiet]` (`npm run bench -- ...` runs the same command).
 * Plans synthetic stacks (tools/bench/synthetic.ts) offline and, per size, measures in separate processes
 * (so each peak is its own; tools/bench/measure.ts):
 *   planMs      validation plus the program under the mocks (median of the repeats); each run evaluates
 *               the project's modules afresh, as a plan does (the SDKs stay loaded after a warm-up);
 *   baselineMs  the floor: the recorded resources (type, name, parent, inputs) replayed through the same
 *               engine and mocks, with no logic, options or invokes: conservative for the ratio;
 *   peakRssMb   the plan process's peak resident memory (and baselinePeakRssMb, the floor's);
 *   policyMs    `npm run policy` over the plan's Kubernetes manifests, process start included (median).
 * Progress goes to stderr (tools/cli/progress.ts; --quiet for none); stdout gets a table, or with --json one line per size:
 * {services, resources, invokes, planMs, baselineMs, peakRssMb, policyMs, baselinePeakRssMb, manifests}.
 * Exit codes: 0 measured (whether or not the targets are met: they are printed), 1 a run failed, 2 bad input
 * (a flag or its value), 3 internal error.
 * Nothing heavy is loaded here, so a bad flag is answered at once.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { oneLine } from "../../config/safeRead";
import { badInput, CliError, newCommand, runAlone } from "../cli/command";
import { Progress, startProgress } from "../cli/progress";

const ROOT = path.resolve(__dirname, "..", "..");
const DEFAULT_SIZES = [200, 1000];
const DEFAULT_REPEATS = 3;
/** config/schema.ts MAX_SERVICES: the largest stack the config accepts (not imported: it loads zod and the catalog). */
const MAX_SERVICES = 5000;
/** The targets of issue 13, printed against the figures. */
const TARGETS = { planOverMs: 1.3, peakRssMbAt1000: 1024, policyGrowth: 5 };

function benchFlags() {
    return newCommand("bench", "measure the offline plan, its memory and the policy CLI on synthetic stacks", {
        notes: `Measures, per size: the offline plan against a no-logic floor, its peak memory, and the policy CLI over its manifests. Each measurement runs in its own process; progress goes to stderr (--quiet for none).`,
        exitCodes: [[0, "measured (whether or not the targets are met: they are printed)"], [1, "a run failed"], [2, "bad input: a flag or its value"], [3, "internal error (a bug to report)"]],
        examples: ["npx eks-delivery bench --sizes 200,1000 --repeats 3", "npm run bench -- --sizes 1,2 --repeats 1 --json"],
    })
        .option("--sizes <n,n>", `service counts, comma-separated, 1 to ${MAX_SERVICES} (default: ${DEFAULT_SIZES.join(",")})`)
        .option("--repeats <n>", `runs per measurement, the median is kept, 1 to 20 (default: ${DEFAULT_REPEATS})`)
        .option("--json", "one JSON line per size instead of the table (default: the table)")
        .option("--quiet", "no progress on stderr (default: progress after a second)");
}

type BenchOptions = ReturnType<ReturnType<typeof benchFlags>["opts"]>;

/** `eks-delivery bench`: the flags above, the work in bench(). */
export const benchCommand = () => benchFlags().action(bench);

interface Row {
    services: number;
    resources: number;
    invokes: number;
    planMs: number;
    baselineMs: number;
    peakRssMb: number;
    policyMs: number;
    baselinePeakRssMb: number;
    manifests: number;
}

class BenchFailed extends Error {}

/** The flags' values, checked: each refusal names the flag and the value. */
function checked(values: BenchOptions): { json: boolean; sizes: number[]; repeats: number; quiet: boolean } {
    const sizes = values.sizes === undefined ? DEFAULT_SIZES : values.sizes.split(",").map((part) => {
        if (!/^[1-9]\d{0,5}$/.test(part)) throw badInput(`--sizes ${JSON.stringify(values.sizes)} is not a list of service counts like 200,1000`);
        if (Number(part) > MAX_SERVICES) throw badInput(`--sizes ${JSON.stringify(values.sizes)}: ${part} is above the ${MAX_SERVICES} services one stack may have`);
        return Number(part);
    });
    const repeats = values.repeats === undefined ? DEFAULT_REPEATS : Number(values.repeats);
    if (values.repeats !== undefined && (!/^[1-9]\d?$/.test(values.repeats) || repeats > 20)) throw badInput(`--repeats ${JSON.stringify(values.repeats)} is not a whole number from 1 to 20`);
    return { json: values.json ?? false, sizes, repeats, quiet: values.quiet ?? false };
}

let progressLine: Progress | undefined;
const progress = (text: string) => progressLine?.step(text);

/**
 * Runs a node process with tsx; resolves with its last `{"result"}` line, forwarding its progress lines.
 * A large stack needs more than V8's default heap (about 4 GB on 64-bit): the limit grows with the size.
 */
function child(args: string[], label: string, heapMb: number): Promise<Record<string, number>> {
    return new Promise((resolve, reject) => {
        const proc = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, "--import", "tsx", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
        let result: Record<string, number> | undefined;
        let stderr = "";
        let pending = "";
        proc.stdout.setEncoding("utf8").on("data", (chunk: string) => {
            pending += chunk;
            const lines = pending.split("\n");
            pending = lines.pop()!;
            for (const line of lines) {
                let message: { progress?: string; result?: Record<string, number> };
                try {
                    message = JSON.parse(line);
                } catch {
                    message = { progress: oneLine(line) }; // something else wrote to stdout: shown, not fatal
                }
                if (message.progress) progress(`${label}: ${message.progress}`);
                if (message.result) result = message.result;
            }
        });
        proc.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr = (stderr + chunk).slice(-4096); });
        proc.on("error", reject);
        proc.on("close", (code, signal) => {
            if (code === 0 && result) return resolve(result);
            const last = stderr.trim().split("\n").pop() ?? "";
            reject(new BenchFailed(`${label} failed (${signal ?? `exit ${code}`})${last ? `: ${oneLine(last)}` : ""}`));
        });
    });
}

/** Wall time of one `npm run policy` over DIR (its exit code 1, violations, is a result like 0). */
function policyRun(dir: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const start = process.hrtime.bigint();
        const proc = spawn(process.execPath, ["--import", "tsx", "tools/policy/cli.ts", "--json", dir], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        proc.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr = (stderr + chunk).slice(-4096); });
        proc.on("error", reject);
        proc.on("close", (code) => {
            if (code === 0 || code === 1) return resolve(Number(process.hrtime.bigint() - start) / 1e6);
            reject(new BenchFailed(`the policy CLI failed (exit ${code}): ${oneLine(stderr.trim().split("\n").pop() ?? "")}`));
        });
    });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function countFiles(dir: string): number {
    return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).length;
}

async function measure(n: number, repeats: number, step: () => string): Promise<Row> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eks-delivery-bench-"));
    const heapMb = Math.max(4096, 3 * n);
    try {
        const plan = await child(["tools/bench/measure.ts", "plan", String(n), String(repeats), dir], `${step()} plan, ${n} services`, heapMb);
        const baseline = await child(["tools/bench/measure.ts", "baseline", String(n), String(repeats), dir], `${step()} baseline, ${n} services`, heapMb);
        const manifests = path.join(dir, "manifests");
        const label = `${step()} policy CLI, ${n} services`;
        const policyMs: number[] = [];
        for (let i = 0; i < repeats; i++) {
            progress(`${label}: run ${i + 1} of ${repeats}`);
            policyMs.push(await policyRun(manifests));
        }
        return {
            services: n,
            resources: plan.resources,
            invokes: plan.invokes,
            planMs: plan.planMs,
            baselineMs: baseline.baselineMs,
            peakRssMb: plan.peakRssMb,
            policyMs: Math.round(median(policyMs)),
            baselinePeakRssMb: baseline.baselinePeakRssMb,
            manifests: countFiles(manifests),
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function table(rows: Row[]): string {
    const head = ["services", "resources", "invokes", "planMs", "baselineMs", "ratio", "peakRssMb", "baselinePeakRssMb", "manifests", "policyMs"];
    const cells = rows.map((r) => [r.services, r.resources, r.invokes, r.planMs, r.baselineMs, (r.planMs / r.baselineMs).toFixed(2), r.peakRssMb, r.baselinePeakRssMb, r.manifests, r.policyMs].map(String));
    const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
    return [head, ...cells].map((line) => line.map((c, i) => c.padStart(widths[i])).join("  ")).join("\n");
}

/** Each target against the figures: met, not met (by how much), or not measured at these sizes. */
function verdicts(rows: Row[]): string[] {
    const lines = rows.map((r) => {
        const ratio = r.planMs / r.baselineMs;
        return `plan/floor at ${r.services} services: ${ratio.toFixed(2)} (target <= ${TARGETS.planOverMs}: ${ratio <= TARGETS.planOverMs ? "met" : "not met"})`;
    });
    const at1000 = rows.find((r) => r.services === 1000);
    lines.push(at1000
        ? `peak memory at 1000 services: ${at1000.peakRssMb} MB, the floor's ${at1000.baselinePeakRssMb} MB (target < ${TARGETS.peakRssMbAt1000} MB: ${at1000.peakRssMb < TARGETS.peakRssMbAt1000 ? "met" : `not met, ${(at1000.peakRssMb / TARGETS.peakRssMbAt1000).toFixed(2)}x`})`
        : "peak memory at 1000 services: not measured (add 1000 to --sizes)");
    const at200 = rows.find((r) => r.services === 200);
    if (at200 && at1000) {
        const growth = at1000.policyMs / at200.policyMs;
        lines.push(`policy CLI, 1000 services over 200: ${growth.toFixed(2)}x (target <= ${TARGETS.policyGrowth}x: ${growth <= TARGETS.policyGrowth ? "met" : "not met"})`);
    } else {
        lines.push("policy CLI growth: not measured (needs 200 and 1000 in --sizes)");
    }
    const invokes = rows.map((r) => r.invokes - r.services);
    lines.push(`invokes less one per service: ${invokes.join(", ")} (one registry look-up per service, the rest constant)`);
    return lines;
}

async function bench(values: BenchOptions): Promise<void> {
    const { json, sizes, repeats, quiet } = checked(values);
    progressLine = startProgress("bench", process.stderr, { quiet });
    const total = sizes.length * 3;
    let done = 0;
    const step = () => `[${++done}/${total}]`;
    const rows: Row[] = [];
    try {
        for (const n of sizes) {
            const row = await measure(n, repeats, step);
            rows.push(row);
            if (json) process.stdout.write(`${JSON.stringify(row)}\n`);
        }
    } catch (err) {
        throw new CliError(oneLine((err as Error).message), 1);
    } finally {
        progressLine.done();
    }
    if (!json) {
        process.stdout.write(`${table(rows)}\n\n${verdicts(rows).join("\n")}\n`);
        process.stdout.write(`(${os.cpus().length} CPUs, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; medians of ${repeats})\n`);
    }
}

if (require.main === module) void runAlone(benchCommand());
