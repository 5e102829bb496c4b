/**
 * `npm run plan -- [--stack dev] [--config FILE] [--out DIR] [--json] [--today YYYY-MM-DD] [--registry FILE]`
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
 * Input is untrusted: the stack file and FILE are read only if they are regular files, at most 16 MiB,
 * UTF-8, within 30 s (config/safeRead.ts). Flags and files are checked before the Pulumi SDK loads, so a
 * refusal is quick.
 * Exit codes: 0 planned; 1 mandatory policy violations; 2 bad input (a flag, the stack file, --registry,
 * --out, the config's values, no release version), one line per problem on stderr and nothing written;
 * 3 the program itself failed.
 */
import * as path from "path";
import { parseArgs } from "util";
import { InputError, MAX_FILE_BYTES, oneLine, quoted, READ_TIMEOUT_MS } from "../../config/safeRead";
import { loadStackFile, StackFile } from "../../config/stackFile";
import { isIsoDate } from "../../policies/lib/eksVersions";
import { outContext, outDirProblem, writeOwned } from "./outDir";
import { EmulatedRegistry } from "./registry";
import { hasMandatory } from "./report";
import type { PlannedStack } from "./planStack";

/** config/index.ts's PROJECT_ROOT: that module loads the Pulumi SDK, which a refusal does not wait for. */
const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** Exit codes, as --help and the README list them. */
const EXIT = { planned: 0, violations: 1, badInput: 2, failed: 3 } as const;

const USAGE = "usage: npm run plan -- [--stack NAME] [--config FILE] [--out DIR] [--json] [--today YYYY-MM-DD] [--registry FILE]";
const HELP = `${USAGE}

  --stack NAME        the stack (default dev, or <stack> of --config Pulumi.<stack>.yaml)
  --config FILE       the stack file (default Pulumi.<stack>.yaml in the repository)
  --out DIR           where to write (default out/<stack>): new, empty, or one an earlier plan wrote
  --json              print plan.json instead of the summary
  --today YYYY-MM-DD  the day the EKS support calendar is read on (default today, UTC)
  --registry FILE     the emulated ECR registry: read if it exists, written back after the plan

Input limits: the stack file and --registry are regular files only, ${MAX_FILE_BYTES / 1048576} MiB each, UTF-8, ${READ_TIMEOUT_MS / 1000} s to read.

exit codes:
  0  planned
  1  mandatory policy violations (the files are written; policy-report.json says which)
  2  bad input: a flag, the stack file or its values, --registry, --out, or no release version
     (one line per problem names the flag or the file, the line and the path; nothing is written)
  3  the program itself failed (a bug, or what the program refuses while it runs)`;

/** The answer to bad input (or a failure): its lines on stderr and the exit code. */
class Exit extends Error {
    constructor(readonly code: number, readonly lines: string[]) {
        super(lines.join("\n"));
    }
}
const badInput = (message: string) => new Exit(EXIT.badInput, [message]);

/** `--flag FILE: problem`: a file problem names the flag it came from. */
const fromFlag = (flag: string, err: unknown) => {
    if (err instanceof InputError) return badInput(`${flag} ${err.message}`);
    throw err;
};

interface Args { stack?: string; config?: string; out?: string; json: boolean; today?: string; registry?: string }

function parse(argv: string[]): Args {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            options: {
                stack: { type: "string" },
                config: { type: "string" },
                out: { type: "string" },
                json: { type: "boolean" },
                today: { type: "string" },
                registry: { type: "string" },
                help: { type: "boolean", short: "h" },
            },
            allowPositionals: true,
            strict: true,
            tokens: true,
        });
    } catch (err) {
        // parseArgs' messages run over several lines (an ambiguous `--config --json`).
        throw badInput(`${(err as Error).message.replace(/\s*\n\s*/g, " ")} (${USAGE})`);
    }
    const { values, positionals, tokens } = parsed;
    if (positionals.length > 0) throw badInput(`unexpected argument ${quoted(positionals[0])}: every value belongs to a flag (${USAGE})`);
    const seen = new Set<string>();
    for (const token of tokens) {
        if (token.kind !== "option") continue;
        if (seen.has(token.name)) throw badInput(`--${token.name} is given twice (${USAGE})`);
        seen.add(token.name);
    }
    if (values.help) {
        process.stdout.write(`${HELP}\n`);
        process.exit(EXIT.planned);
    }
    if (values.today !== undefined && !isIsoDate(values.today)) throw badInput(`--today ${quoted(values.today)} is not a date like 2026-11-27 (${USAGE})`);
    return { stack: values.stack, config: values.config, out: values.out, json: values.json ?? false, today: values.today, registry: values.registry };
}

/** The stack's config problems (a StackConfigError's), one line when there is one. */
function configProblems(err: { problems: string[]; message: string }): string[] {
    const [head] = err.message.split("\n");
    return err.problems.length === 1 ? [`${head} ${err.problems[0]}`] : [head, ...err.problems.map((p) => `  ${p}`)];
}

async function main(): Promise<void> {
    const args = parse(process.argv.slice(2));
    // The files the flags name, before anything heavy loads.
    let stackFile: StackFile | undefined;
    try {
        if (args.config !== undefined) stackFile = loadStackFile(args.config);
    } catch (err) {
        throw fromFlag("--config", err);
    }
    let registry: EmulatedRegistry | undefined;
    try {
        if (args.registry !== undefined) registry = EmulatedRegistry.open(args.registry);
    } catch (err) {
        throw fromFlag("--registry", err);
    }
    const fromFile = args.config && /^Pulumi\.([^.]+)\.ya?ml$/.exec(path.basename(args.config))?.[1];
    const stack = args.stack ?? fromFile ?? "dev";
    const { pulumiStackNameProblem } = await import("../../config/names");
    const badStack = pulumiStackNameProblem(stack);
    if (badStack) throw badInput(`--stack ${quoted(stack)}: ${badStack} (${USAGE})`);
    if (!stackFile) {
        try {
            stackFile = loadStackFile(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`));
        } catch (err) {
            throw fromFlag(`--stack ${quoted(stack)}:`, err);
        }
    }
    const out = args.out ?? path.join("out", stack);
    const problem = outDirProblem(out, outContext(PROJECT_ROOT));
    if (problem) throw badInput(`--out ${JSON.stringify(out)} ${problem}: nothing written`);

    const [{ planStack }, { planFiles, planJson, planReport }, { withoutDebugStackTraces }, { RunError }, { StackConfigError }, { GitError }] = await Promise.all([
        import("./planStack"), import("./plan"), import("./engine"), import("@pulumi/pulumi"), import("../../config/errors"), import("../../apps/version"),
    ]);
    withoutDebugStackTraces();
    let planned: PlannedStack;
    try {
        planned = await planStack({ stack, stackFile, today: args.today, registry });
    } catch (err) {
        // Matched by name: the program's modules are loaded afresh for each run, so an error thrown
        // inside it is an instance of a different copy of its class.
        const name = (err as Error).name;
        if (name === StackConfigError.name) throw new Exit(EXIT.badInput, configProblems(err as InstanceType<typeof StackConfigError>));
        if (name === GitError.name) throw badInput(`no release version: ${(err as Error).message}`);
        // A RunError is the program's own message (e.g. a release the registry lacks): without the
        // property path the runtime prefixes when a resource input carried it (runtime/rpc.js).
        const message = RunError.isInstance(err) ? err.message.replace(/^(error serializing property "[^"]*": )+/, "") : (err as Error).message ?? err;
        throw new Exit(EXIT.failed, [`the program failed: ${message}`]);
    }
    // Replaces the plan files the plan wrote in DIR before (not anything else a user keeps there),
    // checked again: the directory may have changed while the plan ran.
    const written = writeOwned(out, planFiles(planned), outContext(PROJECT_ROOT));
    if (written) throw badInput(`--out ${JSON.stringify(out)} ${written}${written.includes("partly written") ? "" : ": nothing written"}`);
    if (registry && args.registry) registry.write(args.registry);
    if (args.json) {
        process.stdout.write(planJson(planned.plan));
    } else {
        const policyConfig = planned.policyConfigFile ? path.relative(process.cwd(), planned.policyConfigFile) : "pack defaults";
        process.stdout.write(planReport(planned, policyConfig));
        process.stdout.write(`Wrote ${["plan.json", "capacity.json", "policy-report.json"].map((f) => path.join(out, f)).join(", ")} and ${planned.manifests.length} manifests in ${path.join(out, "manifests")}\n`);
    }
    if (hasMandatory(planned.violations)) {
        process.stderr.write(`plan: mandatory policy violations (see ${path.join(out, "policy-report.json")})\n`);
        process.exitCode = EXIT.violations;
    }
}

main().catch((err) => {
    const exit = err instanceof Exit ? err : new Exit(EXIT.failed, [`${(err as Error)?.message ?? err}`]);
    // Each line names where it comes from; control characters (a newline in a file name) are escaped.
    process.stderr.write(exit.lines.map((line, i) => `${i === 0 ? "plan: " : ""}${oneLine(line)}\n`).join(""));
    process.exit(exit.code);
});
