/**
 * `npm run plan -- [--stack dev] [--config FILE] [--out DIR] [--json] [--today YYYY-MM-DD]`
 * Plans a stack offline and writes plan.json, manifests/, capacity.json and policy-report.json to DIR
 * (default out/<stack>), evaluating the policy pack at the environment's levels
 * (policies/config/<environment>.json). `--today` is the day the EKS support calendar is read on.
 * `--registry FILE` is the emulated ECR registry (tools/plan/registry.ts): read if it exists (else
 * empty), and written back with what the plan pushed. Without it, a stack that builds starts from an
 * empty registry and one that only deploys finds the version its owner builds from this checkout
 * (planStack.ts defaultRegistry).
 * DIR must be new, empty, or one the plan wrote (its `.eks-delivery-plan` marker lists what it wrote):
 * never `/`, `.`, the repository, the home directory or an ancestor of them. A rerun replaces only the
 * files the marker lists; anything else in DIR is left alone (tools/plan/outDir.ts).
 * Exit codes: 0 planned; 2 bad config or arguments (nothing written); 1 mandatory policy
 * violations; 3 the program itself failed.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { PROJECT_ROOT, StackConfigError } from "../../config";
import { GitError } from "../../apps/version";
import { planStack, PlannedStack } from "./planStack";
import { EmulatedRegistry } from "./registry";
import { RunError } from "@pulumi/pulumi";
import { planFiles, planJson, planReport } from "./plan";
import { withoutDebugStackTraces } from "./engine";
import { hasMandatory } from "./report";
import { isIsoDate } from "../../policies/lib/eksVersions";
import { outContext, outDirProblem, writeOwned } from "./outDir";

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
        const out = values.out ?? path.join("out", stack);
        const problem = outDirProblem(out, outContext(PROJECT_ROOT));
        if (problem) fail(2, [`plan: --out ${JSON.stringify(out)} ${problem}: nothing written`]);
        return { stack, config: values.config, out, json: values.json, today, registry: values.registry };
    } catch (err) {
        return fail(2, [`plan: ${(err as Error).message}`, USAGE]);
    }
}

/** Replaces the plan files the plan wrote in DIR before (not anything else a user keeps there). */
function write(out: string, planned: PlannedStack) {
    const problem = writeOwned(out, planFiles(planned), outContext(PROJECT_ROOT));
    // Checked again: the directory may have changed while the plan ran.
    if (problem) fail(2, [`plan: --out ${JSON.stringify(out)} ${problem}: nothing written`]);
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
        const policyConfig = planned.policyConfigFile ? path.relative(process.cwd(), planned.policyConfigFile) : "pack defaults";
        process.stdout.write(planReport(planned, policyConfig));
        process.stdout.write(`Wrote ${["plan.json", "capacity.json", "policy-report.json"].map((f) => path.join(args.out, f)).join(", ")} and ${planned.manifests.length} manifests in ${path.join(args.out, "manifests")}\n`);
    }
    if (hasMandatory(planned.violations)) {
        process.stderr.write(`plan: mandatory policy violations (see ${path.join(args.out, "policy-report.json")})\n`);
        process.exit(1);
    }
}

main().catch((err) => fail(3, [`plan: ${(err as Error).message ?? err}`]));
