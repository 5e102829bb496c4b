/**
 * `npm run bench -- [--json]`
 * Plans synthetic stacks of 1, 10, 50 and 200 services offline and prints, per size,
 * {services, resources, invokes, planMs, baselineMs}: planMs runs the real program; baselineMs replays
 * the very same recorded resources through the same mocks with no program logic (the floor).
 */
import * as path from "path";
import { parseArgs } from "util";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT_ROOT } from "../../config";
import { readStackFile, StackFile } from "../../config/stackFile";
import { ProgramRun, RecordedResource, runEmulated, withoutDebugStackTraces } from "../plan/engine";
import { plainValue } from "../plan/plan";
import { runStack, PROJECT } from "../plan/planStack";

withoutDebugStackTraces(); // in the baseline's runs too: both sides run on the same engine settings

const SIZES = [1, 10, 50, 200];
const REPEATS = 5;
const STACK = "bench";

/** The dev stack with `n` services (every tenth blue/green), all built from the api sample. */
function syntheticStack(n: number): StackFile {
    const dev = readStackFile(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"));
    const services = Array.from({ length: n }, (_, i) => {
        const name = `svc-${String(i + 1).padStart(4, "0")}`;
        return {
            name, path: "apps/services/api", port: 8080,
            replicas: { min: 2, max: 4 }, cpuTargetPercent: 50,
            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
            strategy: i % 10 === 9 ? "blue-green" : "rolling",
            host: `${name}.dev.example.com`,
            secrets: [`bench/${name}`],
        };
    });
    const values = {
        ...dev.values,
        "eks-delivery:version": "v1.0.0-bench00",
        "eks-delivery:nodes": { ...(dev.values["eks-delivery:nodes"] as object), instanceTypes: ["m6i.4xlarge"], minSize: 3, desiredSize: 3, maxSize: 100, prefixDelegation: true },
        "eks-delivery:services": services,
    };
    return { file: `synthetic:${n}`, values, secretKeys: [] };
}

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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
    const start = process.hrtime.bigint();
    const value = await fn();
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

async function measure(n: number) {
    const stackFile = syntheticStack(n);
    const planMs: number[] = [];
    const baselineMs: number[] = [];
    let run: ProgramRun | undefined;
    for (let i = 0; i < REPEATS; i++) {
        // planMs: validation and the program under the mocks; building plan.json/manifests is excluded,
        // as the baseline builds nothing either.
        const planned = await timed(() => runStack({ stack: STACK, stackFile }));
        run = planned.value.run;
        planMs.push(planned.ms);
        const recorded = run.resources;
        baselineMs.push((await timed(() => runEmulated({ project: PROJECT, stack: STACK, stackFile, projectRoot: PROJECT_ROOT }, replay(recorded)))).ms);
    }
    return {
        services: n,
        resources: run!.resources.length,
        invokes: run!.invokes,
        planMs: Math.round(median(planMs)),
        baselineMs: Math.round(median(baselineMs)),
    };
}

const USAGE = "usage: npm run bench -- [--json] [--sizes 1,10,50,200] [--help]";

function parse(argv: string[]): { json: boolean; sizes: number[] } {
    try {
        const { values } = parseArgs({ args: argv, options: { json: { type: "boolean", default: false }, sizes: { type: "string" }, help: { type: "boolean", short: "h", default: false } }, strict: true });
        if (values.help) {
            process.stdout.write(`${USAGE}\nexit codes: 0 measured, 1 a run failed, 2 bad flags\n`);
            return process.exit(0);
        }
        const sizes = values.sizes === undefined ? SIZES : values.sizes.split(",").map((part) => {
            if (!/^[1-9]\d{0,4}$/.test(part)) throw new Error(`--sizes ${JSON.stringify(values.sizes)} is not a list of service counts like 1,10,50`);
            return Number(part);
        });
        return { json: values.json!, sizes };
    } catch (err) {
        // One line, exit 2: bad flags are bad input (the usage is in the same line).
        process.stderr.write(`bench: ${(err as Error).message.replace(/[\x00-\x1f\x7f]/g, " ")} (${USAGE})\n`);
        return process.exit(2);
    }
}

async function main() {
    const { json, sizes } = parse(process.argv.slice(2));
    await measure(1); // warm-up: module loading and JIT out of the figures
    const rows = [];
    for (const n of sizes) {
        const row = await measure(n);
        rows.push(row);
        process.stdout.write(json ? `${JSON.stringify(row)}\n`
            : `services ${String(row.services).padStart(4)}  resources ${String(row.resources).padStart(5)}  invokes ${row.invokes}  planMs ${String(row.planMs).padStart(6)}  baselineMs ${String(row.baselineMs).padStart(6)}  ratio ${(row.planMs / row.baselineMs).toFixed(2)}\n`);
    }
    if (!json) {
        const last = rows[rows.length - 1];
        const perResource = rows.map((r) => r.planMs / r.resources);
        process.stdout.write(`\nat ${last.services} services: planMs/baselineMs = ${(last.planMs / last.baselineMs).toFixed(2)} (target <= 1.5)\n`);
        process.stdout.write(`invokes per size: ${rows.map((r) => r.invokes).join(", ")} (target: one registry look-up per service, the rest constant)\n`);
        process.stdout.write(`planMs per resource: ${perResource.map((x) => x.toFixed(2)).join(", ")} (linear growth keeps this flat)\n`);
    }
}

main().catch((err) => {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exit(1);
});
