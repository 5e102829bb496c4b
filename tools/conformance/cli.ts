/**
 * `eks-delivery conformance [--quiet]` (`npm run conformance` runs the same command): the pack against
 * Polaris's and Kyverno's own fixtures, then the agreement figures (tools/conformance/compare.ts).
 * Exits 2 with one line when the corpus is missing (it lives outside the repository), else with the
 * test runner's status. The suites' report goes to stdout, progress to stderr.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { badInput, newCommand, runAlone } from "../cli/command";
import { startProgress } from "../cli/progress";
import { CONFORMANCE_ENV, conformanceRoot, corpusProblem } from "./corpus";

function conformanceFlags() {
    return newCommand("conformance", "run the policy pack against Polaris's and Kyverno's own fixtures", {
        notes: `The corpus: $${CONFORMANCE_ENV}, else shared/conformance beside the repository (it is not in it).`,
        exitCodes: [[0, "every suite passed"], [1, "a suite failed (the test runner's status)"], [2, "bad input: the corpus is missing, or a flag"], [3, "internal error (a bug to report)"]],
        examples: ["npx eks-delivery conformance", `${CONFORMANCE_ENV}=../shared/conformance npm run --silent conformance`],
    })
        .option("--quiet", "no progress on stderr (default: progress after a second)");
}

type ConformanceOptions = ReturnType<ReturnType<typeof conformanceFlags>["opts"]>;

/** `eks-delivery conformance`: the flags above, the work in conformance(). */
export const conformanceCommand = () => conformanceFlags().action(conformance);

async function conformance(options: ConformanceOptions): Promise<void> {
    const root = conformanceRoot();
    const problem = corpusProblem(root);
    if (problem) throw badInput(problem);
    const suites = path.resolve(__dirname, "..", "..", "test", "conformance");
    const files = fs.readdirSync(suites).filter((f) => f.endsWith(".test.ts")).sort().map((f) => path.join(suites, f));
    const progress = startProgress("conformance", process.stderr, { quiet: options.quiet });
    let status: number | null;
    try {
        // The suites write to the terminal themselves (stdio inherited): no progress line over theirs
        // there; off a terminal the step is a plain line of its own.
        if (!process.stderr.isTTY) progress.step(`running ${files.length} suites`, { now: true });
        status = await new Promise<number | null>((resolve, reject) => {
            const child = spawn(process.execPath, ["--import", "tsx", "--test", ...files], { stdio: "inherit", env: { ...process.env, [CONFORMANCE_ENV]: root } });
            child.on("error", reject);
            child.on("close", (code) => resolve(code));
        });
        progress.step("comparing with the checkers' own verdicts");
        const { agreementSummary, kyvernoVerdicts, polarisVerdicts } = await import("./compare");
        const summary = agreementSummary([...polarisVerdicts(root), ...kyvernoVerdicts(root)]);
        progress.done();
        process.stdout.write(`\nagreement with the checkers' own verdicts:\n  ${summary.join("\n  ")}\n`);
    } finally {
        progress.done();
    }
    process.exitCode = status ?? 1;
}

if (require.main === module) void runAlone(conformanceCommand());
