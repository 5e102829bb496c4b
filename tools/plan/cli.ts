/**
 * `npm run plan -- [--stack dev] [--config FILE] [--out DIR] [--json] [--today YYYY-MM-DD]`
 * Plans a stack offline and writes plan.json, manifests/, capacity.json and policy-report.json to DIR
 * (default out/<stack>), evaluating the policy pack at the environment's levels
 * (policies/config/<environment>.json). `--today` is the day the EKS support calendar is read on.
 * `--registry FILE` is the emulated ECR registry (tools/plan/registry.ts): read if it exists (else
 * empty), and written back with what the plan pushed. Without it, a stack that builds starts from an
 * empty registry and one that only deploys finds the version its owner builds from this checkout
 * (planStack.ts defaultRegistry).
 * Exit codes: 0 planned; 2 bad config or arguments (nothing written); 1 mandatory policy
 * violations; 3 the program itself failed.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { StackConfigError } from "../../config";
import { GitError } from "../../apps/version";
import { planStack, PlannedStack } from "./planStack";
import { EmulatedRegistry } from "./registry";
import { RunError } from "@pulumi/pulumi";
import { planJson, summarize } from "./plan";
import { withoutDebugStackTraces } from "./engine";
import { formatViolations, hasMandatory } from "./report";
import { isIsoDate } from "../../policies/lib/eksVersions";

withoutDebugStackTraces();

const USAGE = "usage: npm run plan -- [--stack NAME] [--config FILE] [--out DIR] [--json] [--today YYYY-MM-DD] [--registry FILE]";

function fail(code: number, lines: string[]): never {
    process.stderr.write(`${lines.join("\n")}\n`);
    process.exit(code);
}

function parse(argv: string[]) {
    try {
        const { values, positionals } = parseArgs({
            args: argv,
            options: {
                stack: { type: "string" },
                config: { type: "string" },
                out: { type: "string" },
                json: { type: "boolean", default: false },
                today: { type: "string" },
                registry: { type: "string" },
                help: { type: "boolean", short: "h", default: false },
            },
            allowPositionals: true,
            strict: true,
        });
        if (positionals.length > 0) fail(2, [`plan: unexpected argument ${JSON.stringify(positionals[0])}`, USAGE]);
        if (values.help) {
            process.stdout.write(`${USAGE}\n`);
            process.exit(0);
        }
        const fromFile = values.config && /^Pulumi\.([^.]+)\.ya?ml$/.exec(path.basename(values.config))?.[1];
        const stack = values.stack ?? fromFile ?? "dev";
        if (!/^[A-Za-z0-9_.-]+$/.test(stack)) fail(2, [`plan: --stack ${JSON.stringify(stack)} is not a stack name`, USAGE]);
        const today = values.today;
        if (today !== undefined && !isIsoDate(today)) {
            fail(2, [`plan: --today ${JSON.stringify(today)} is not a date like 2026-11-27`, USAGE]);
        }
        return { stack, config: values.config, out: values.out ?? path.join("out", stack), json: values.json, today, registry: values.registry };
    } catch (err) {
        return fail(2, [`plan: ${(err as Error).message}`, USAGE]);
    }
}

/** Replaces DIR's plan files (not anything else a user keeps there). */
function write(out: string, planned: PlannedStack) {
    fs.mkdirSync(out, { recursive: true });
    const manifestsDir = path.join(out, "manifests");
    fs.rmSync(manifestsDir, { recursive: true, force: true });
    fs.mkdirSync(manifestsDir);
    fs.writeFileSync(path.join(out, "plan.json"), planJson(planned.plan));
    for (const m of planned.manifests) fs.writeFileSync(path.join(manifestsDir, m.file), m.yaml);
    fs.writeFileSync(path.join(out, "capacity.json"), `${JSON.stringify(planned.capacity, null, 2)}\n`);
    const violations = planned.violations.map(({ policy, enforcementLevel, urn, kind, name, message }) => ({ policy, enforcementLevel, urn, kind, name, message }));
    fs.writeFileSync(path.join(out, "policy-report.json"), `${JSON.stringify({ violations }, null, 2)}\n`);
}

async function main() {
    const args = parse(process.argv.slice(2));
    let registry: EmulatedRegistry | undefined;
    try {
        registry = args.registry === undefined ? undefined : fs.existsSync(args.registry) ? EmulatedRegistry.read(args.registry) : new EmulatedRegistry();
    } catch (err) {
        fail(2, [`plan: --registry ${(err as Error).message}`, USAGE]);
    }
    let planned: PlannedStack;
    try {
        planned = await planStack({ stack: args.stack, configFile: args.config && path.resolve(args.config), today: args.today, registry });
    } catch (err) {
        // Matched by name: the program's modules are loaded afresh for each run, so an error thrown
        // inside it is an instance of a different copy of its class.
        const name = (err as Error).name;
        if (name === StackConfigError.name) fail(2, [(err as Error).message]);
        if (name === GitError.name) fail(2, [`plan: no release version: ${(err as Error).message}`]);
        // A RunError is the program's own message (e.g. a release the registry lacks): without the
        // property path the runtime prefixes when a resource input carried it (runtime/rpc.js).
        const message = RunError.isInstance(err) ? err.message.replace(/^(error serializing property "[^"]*": )+/, "") : (err as Error).message ?? err;
        fail(3, [`plan: the program failed: ${message}`]);
    }
    write(args.out, planned);
    if (registry && args.registry) registry.write(args.registry);
    if (args.json) {
        process.stdout.write(planJson(planned.plan));
    } else {
        const { peak, capacity, fits, monthlyUsd } = planned.capacity;
        process.stdout.write(`${summarize(planned.plan, planned.run)}\n\n`);
        process.stdout.write(`Capacity at peak: CPU ${peak.cpuMillicores}m of ${capacity.cpuMillicores}m, memory ${peak.memoryMiB}Mi of ${capacity.memoryMiB}Mi, ` +
            `pods ${peak.pods} of ${capacity.pods}: ${fits ? "fits" : "DOES NOT FIT"}; USD/month ${monthlyUsd.totalMin}..${monthlyUsd.totalMax}\n\n`);
        const policyConfig = planned.policyConfigFile ? path.relative(process.cwd(), planned.policyConfigFile) : "pack defaults";
        process.stdout.write(`${formatViolations(planned.violations, (v) => v.urn ?? "")}\n(enforcement: ${policyConfig})\n\n`);
        process.stdout.write(`Wrote ${["plan.json", "capacity.json", "policy-report.json"].map((f) => path.join(args.out, f)).join(", ")} and ${planned.manifests.length} manifests in ${path.join(args.out, "manifests")}\n`);
    }
    if (hasMandatory(planned.violations)) {
        process.stderr.write(`plan: mandatory policy violations (see ${path.join(args.out, "policy-report.json")})\n`);
        process.exit(1);
    }
}

main().catch((err) => fail(3, [`plan: ${(err as Error).message ?? err}`]));
