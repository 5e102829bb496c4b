/**
 * One measurement of `npm run bench`, in a process of its own so that its peak memory is its own:
 *   measure.ts plan N REPEATS DIR      the real program (validation + index.ts under the mocks); then
 *                                      writes to DIR what it registered (resources.json) and its
 *                                      Kubernetes manifests (manifests/, the policy CLI's input)
 *   measure.ts baseline N REPEATS DIR  the floor: DIR's resources replayed with no program logic
 * Writes JSON lines to stdout: `{"progress": "..."}` while it runs, then `{"result": {...}}`.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT_ROOT } from "../../config";
import { ProgramRun, RecordedResource, runEmulated, withoutDebugStackTraces } from "../plan/engine";
import { buildPlan, kubernetesManifests, plainValue } from "../plan/plan";
import { runStack, PROJECT } from "../plan/planStack";
import { BENCH_STACK, syntheticStack } from "./synthetic";

withoutDebugStackTraces(); // in the baseline's runs too: both sides run on the same engine settings

// Bare resource classes: the SDK's base classes are abstract.
class ReplayedResource extends pulumi.CustomResource {}
class ReplayedProvider extends pulumi.ProviderResource {}

/** Registers the recorded resources again, as they were, with no program logic in between. */
function replay(recorded: RecordedResource[]): () => Promise<void> {
    return async () => {
        const byUrn = new Map<string, pulumi.Resource>();
        for (const r of recorded) {
            if (r.type === "pulumi:pulumi:Stack") continue;
            const opts = { parent: r.parent ? byUrn.get(r.parent) : undefined };
            const inputs = plainValue(r.inputs) as Record<string, unknown>;
            let resource: pulumi.Resource;
            if (r.type.startsWith("pulumi:providers:")) {
                resource = new ReplayedProvider(r.type.slice("pulumi:providers:".length), r.name, inputs, opts);
            } else if (r.custom) {
                resource = new ReplayedResource(r.type, r.name, inputs, opts);
            } else {
                // Local components register no inputs; remote ones (eks, awsx) are sent whole.
                const remote = !r.type.startsWith(`${PROJECT}:`);
                resource = new pulumi.ComponentResource(r.type, r.name, remote ? inputs : {}, opts, remote);
            }
            byUrn.set(r.urn, resource);
        }
    };
}

/** What the plan registered, in the engine's wire form, for the baseline to replay. */
const RESOURCES_FILE = "resources.json";

const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const progress = (text: string) => say({ progress: text });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
    const start = process.hrtime.bigint();
    const value = await fn();
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

/** Peak resident memory of this process so far (getrusage ru_maxrss), in MB. */
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

const plan = (n: number) => runStack({ stack: BENCH_STACK, stackFile: syntheticStack(n) });

async function measurePlan(n: number, repeats: number, dir: string) {
    await plan(1); // warm-up: the SDKs' loading and JIT out of the figures (the program's modules run anew each time)
    const ms: number[] = [];
    let run: ProgramRun | undefined;
    for (let i = 0; i < repeats; i++) {
        progress(`plan, run ${i + 1} of ${repeats}`);
        run = undefined; // the last run's records are not kept through the next
        const planned = await timed(() => plan(n));
        run = planned.value.run;
        ms.push(planned.ms);
    }
    const result = { resources: run!.resources.length, invokes: run!.invokes, planMs: Math.round(median(ms)), peakRssMb: peakRssMb() };
    // For the baseline and the policy CLI. The values are the emulator's (no real secret); the lead's
    // temporary folder is private (mode 0700) and removed after the run.
    fs.writeFileSync(path.join(dir, RESOURCES_FILE), JSON.stringify(run!.resources));
    for (const m of kubernetesManifests(buildPlan(run!))) {
        const file = path.join(dir, "manifests", m.file);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, m.yaml);
    }
    return result;
}

async function measureBaseline(n: number, repeats: number, dir: string) {
    const recorded = JSON.parse(fs.readFileSync(path.join(dir, RESOURCES_FILE), "utf8")) as RecordedResource[];
    const stackFile = syntheticStack(n);
    await runEmulated({ project: PROJECT, stack: BENCH_STACK, stackFile, projectRoot: PROJECT_ROOT }, replay(recorded.slice(0, 200))); // warm-up (a prefix: parents come first)
    const ms: number[] = [];
    for (let i = 0; i < repeats; i++) {
        progress(`baseline, run ${i + 1} of ${repeats}`);
        ms.push((await timed(() => runEmulated({ project: PROJECT, stack: BENCH_STACK, stackFile, projectRoot: PROJECT_ROOT }, replay(recorded)))).ms);
    }
    return { baselineMs: Math.round(median(ms)), baselinePeakRssMb: peakRssMb() };
}

async function main() {
    const [mode, size, repeats, dir] = process.argv.slice(2);
    const result = mode === "plan" ? await measurePlan(Number(size), Number(repeats), dir)
        : await measureBaseline(Number(size), Number(repeats), dir);
    say({ result });
    process.exit(0);
}

main().catch((err) => {
    // The parent reports the last stderr line: one line, the message.
    process.stderr.write(`${(err as Error).message.split("\n")[0]}\n`);
    process.exit(1);
});
