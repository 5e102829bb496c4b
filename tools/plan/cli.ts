/**
 * `eks-delivery plan [--stack dev] [--config FILE] [--out DIR] [--json] [--tree] [--today YYYY-MM-DD] [--registry FILE] [--quiet]`
 * (`npm run plan -- ...` runs the same command).
 * Plans a stack offline and writes plan.json, capacity.json, cost.json, policy-report.json, graph.mmd and
 * manifests/ to DIR (default out/<stack>; plan.ts planFiles), evaluating the policy pack at the environment's levels
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
 * `--against <dir|ref>` diffs the plan with a plan directory or a git ref's own plan (tools/plan/diff/);
 * `--markdown FILE` writes that diff as a pull request comment.
 * Exit codes: 0 planned; 1 mandatory policy violations; 2 bad input (a flag, the stack file, --registry,
 * --out, --against, --markdown, the config's values, no release version), one line per problem on stderr
 * and nothing written; 3 the program itself failed (or the --against ref's plan did).
 */
import * as fs from "fs";
import * as path from "path";
import { InputError, MAX_FILE_BYTES, quoted, READ_TIMEOUT_MS } from "../../config/safeRead";
import { loadStackFile, StackFile } from "../../config/stackFile";
import { isIsoDate, utcDate } from "../../policies/lib/eksVersions";
import { callerPath } from "../cli/callerPath";
import { badInput, CliError, newCommand, runAlone } from "../cli/command";
import { paint, streamHasColour } from "../cli/colour";
import { startProgress } from "../cli/progress";
import { checkDiffFlags, DiffFlags } from "./diff/flags";
import { outContext, outDirProblem, writeOwned } from "./outDir";
import { EmulatedRegistry } from "./registry";
import { hasMandatory } from "./report";
import type { PlannedStack } from "./planStack";

/** config/index.ts's PROJECT_ROOT: that module loads the Pulumi SDK, which a refusal does not wait for. */
const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** Exit codes, as --help and the README list them. */
const EXIT = { planned: 0, violations: 1, badInput: 2, failed: 3 } as const;

/** `--flag FILE: problem`: a file problem names the flag it came from. */
const fromFlag = (flag: string, err: unknown) => {
    if (err instanceof InputError) return badInput(`${flag} ${err.message}`);
    throw err;
};

/**
 * The plan command's flags: one `.option()` line each; a value reaches plan() below as
 * `args.<camelCase name>` (typed from the flag by @commander-js/extra-typings).
 */
function planFlags() {
    return newCommand("plan", "plan a stack offline: resources, capacity and cost, policy verdicts, manifests", {
        notes: `The files: plan.json, capacity.json, cost.json, policy-report.json, graph.mmd (Mermaid) and manifests/ in --out. Progress goes to stderr (--quiet for none); stdout gets the summary, or plan.json with --json.
Paths are relative to the current folder (with npm run, the folder npm was started in).
Input limits: the stack file and --registry are regular files only, ${MAX_FILE_BYTES / 1048576} MiB each, UTF-8, ${READ_TIMEOUT_MS / 1000} s to read.`,
        exitCodes: [
            [EXIT.planned, "planned"],
            [EXIT.violations, "mandatory policy violations (the files are written; policy-report.json says which)"],
            [EXIT.badInput, "bad input: a flag, the stack file or its values, --registry, --out, --against (neither a plan directory\nnor a git ref, a ref without the stack, or a plan of another stack or project), --markdown, or no release version\n(one line per problem names the flag or the file, the line and the path; nothing is written)"],
            [EXIT.failed, "the program itself failed (a bug, or what the program refuses while it runs), or the --against ref's own plan did"],
        ],
        examples: [
            "npx eks-delivery plan --stack dev --out out/dev",
            "npm run plan -- --stack prod --config Pulumi.prod.yaml --tree",
            "npm run --silent plan -- --stack dev --json > plan.json",
            "npx eks-delivery plan --against origin/main --markdown plan-diff.md",
        ],
    })
        .option("--stack <name>", "the stack (default: dev, or <stack> of --config Pulumi.<stack>.yaml)")
        .option("--config <file>", "the stack file (default: Pulumi.<stack>.yaml in the repository)")
        .option("--out <dir>", "where to write: new, empty, or one an earlier plan wrote (default: out/<stack>)")
        .option("--json", "print plan.json instead of the summary (default: the summary)")
        .option("--tree", "print the resource tree, the counts by type and the outputs after the summary (default: summary only)")
        .option("--today <YYYY-MM-DD>", "the day the EKS support calendar is read on (default: today, UTC)")
        .option("--registry <file>", "the emulated ECR registry: read if it exists, written back after the plan (default: none)")
        .option("--against <dir|ref>", "diff against a plan directory or a git ref of this repository, planned offline with its own program (default: no diff)")
        .option("--markdown <file>", "with --against: write the diff as a pull request comment to FILE (default: none)")
        .option("--quiet", "no progress on stderr (default: progress, at once for the slow steps)");
}

type PlanOptions = ReturnType<ReturnType<typeof planFlags>["opts"]>;

/** `eks-delivery plan`: the flags above, the checks and the work in plan(). */
export const planCommand = () => planFlags().action(plan);

/** The stack's config problems (a StackConfigError's), one line when there is one. */
function configProblems(err: { problems: string[]; message: string }): string[] {
    const [head] = err.message.split("\n");
    return err.problems.length === 1 ? [`${head} ${err.problems[0]}`] : [head, ...err.problems.map((p) => `  ${p}`)];
}

/** A path flag's value as the caller meant it (tools/cli/callerPath.ts); --against only when it names a path there (else a git ref). */
function callerPaths(given: PlanOptions): PlanOptions {
    const at = (p: string | undefined) => (p === undefined ? undefined : callerPath(p, "plan"));
    const against = at(given.against);
    return { ...given, config: at(given.config), registry: at(given.registry), out: at(given.out), markdown: at(given.markdown),
        against: against !== undefined && against !== given.against && fs.existsSync(against) ? against : given.against };
}

/** `Wrote plan.json, ... and N manifests (manifests/) to DIR`: from the files the plan wrote (plan.ts planFiles). */
export function wroteLine(out: string, files: string[]): string {
    const top = files.filter((f) => !f.startsWith("manifests/"));
    return `Wrote ${top.join(", ")} and ${files.length - top.length} manifests (manifests/) to ${out}`;
}

async function plan(given: PlanOptions): Promise<void> {
    const args = callerPaths(given);
    if (args.today !== undefined && !isIsoDate(args.today)) throw badInput(`--today ${quoted(args.today)} is not a date like 2026-11-27`);
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
    if (badStack) throw badInput(`--stack ${quoted(stack)}: ${badStack}`);
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
    // --against and --markdown, checked as cheaply as the rest (one stat, one git rev-parse).
    let diffFlags: DiffFlags | undefined;
    try {
        diffFlags = checkDiffFlags({ against: args.against, markdown: args.markdown }, out, stack, process.cwd(), PROJECT_ROOT);
    } catch (err) {
        if (err instanceof InputError) throw badInput(err.message);
        throw err;
    }
    // One day for both plans of a diff.
    const today = args.today ?? utcDate();

    const progress = startProgress("plan", process.stderr, { quiet: args.quiet });
    try {
        // Loading blocks the event loop for seconds (no timer fires): shown at once.
        progress.step("loading the Pulumi SDK", { now: true });
        const [{ planStack }, { planFiles, planJson, planReport, resourceTree }, { withoutDebugStackTraces }, { RunError }, { StackConfigError }, { GitError }] = await Promise.all([
            import("./planStack"), import("./plan"), import("./engine"), import("@pulumi/pulumi"), import("../../config/errors"), import("../../apps/version"),
        ]);
        withoutDebugStackTraces();
        let planned: PlannedStack;
        try {
            planned = await planStack({ stack, stackFile, today, registry, onPhase: (phase) => progress.step(phase) });
        } catch (err) {
            // Matched by name: the program's modules are loaded afresh for each run, so an error thrown
            // inside it is an instance of a different copy of its class.
            const name = (err as Error).name;
            if (name === StackConfigError.name) throw badInput(configProblems(err as InstanceType<typeof StackConfigError>));
            if (name === GitError.name) throw badInput(`no release version: ${(err as Error).message}`);
            // A RunError is the program's own message (e.g. a release the registry lacks): without the
            // property path the runtime prefixes when a resource input carried it (runtime/rpc.js).
            const message = RunError.isInstance(err) ? err.message.replace(/^(error serializing property "[^"]*": )+/, "") : (err as Error).message ?? err;
            throw new CliError(`the program failed: ${message}`, EXIT.failed);
        }
        progress.step(`writing ${out}`);
        // Replaces the plan files the plan wrote in DIR before (not anything else a user keeps there),
        // checked again: the directory may have changed while the plan ran.
        const written = writeOwned(out, planFiles(planned), outContext(PROJECT_ROOT));
        if (written) throw badInput(`--out ${JSON.stringify(out)} ${written}${written.includes("partly written") ? "" : ": nothing written"}`);
        if (registry && args.registry) registry.write(args.registry);
        let diffOutput: string | undefined;
        if (diffFlags) {
            const { diffAfterPlan } = await import("./diff/command");
            const { AgainstError } = await import("./diff/against");
            const colour = streamHasColour(process.stdout);
            try {
                diffOutput = await diffAfterPlan({ flags: diffFlags, out, stack, today, repoRoot: PROJECT_ROOT, json: args.json === true,
                    style: { bold: (t) => paint(colour, "bold", t), green: (t) => paint(colour, "green", t), red: (t) => paint(colour, "red", t), yellow: (t) => paint(colour, "yellow", t), dim: (t) => paint(colour, "dim", t) },
                    progress: (step) => progress.step(step) });
            } catch (err) {
                // The ref has no such stack, or its own plan failed: exit 2 or 3, one line.
                if (err instanceof AgainstError) throw new CliError(err.message, err.failed ? EXIT.failed : EXIT.badInput);
                if (err instanceof InputError) throw badInput(`--against ${err.message}`);
                throw err;
            }
        }
        progress.done();
        if (diffOutput !== undefined && args.json) {
            process.stdout.write(diffOutput);
        } else if (args.json) {
            process.stdout.write(planJson(planned.plan));
        } else {
            const policyConfig = planned.policyConfigFile ? path.relative(process.cwd(), planned.policyConfigFile) : "pack defaults";
            // The summary, ending with where the files went; the long tree only when asked for.
            process.stdout.write(planReport(planned, policyConfig));
            process.stdout.write(`${wroteLine(out, planFiles(planned).map((f) => f.file))}\n`);
            process.stdout.write(args.tree ? `\n${resourceTree(planned.plan)}\n` : "(--tree for every resource, the counts by type and the outputs)\n");
            if (diffOutput !== undefined) process.stdout.write(`\n${diffOutput}`);
            if (diffFlags?.markdown !== undefined) process.stdout.write(`Wrote the pull request comment to ${diffFlags.markdown}\n`);
        }
        if (hasMandatory(planned.violations)) {
            process.stderr.write(`plan: mandatory policy violations (see ${path.join(out, "policy-report.json")})\n`);
            process.exitCode = EXIT.violations;
        }
    } finally {
        progress.done();
    }
}

if (require.main === module) void runAlone(planCommand());
