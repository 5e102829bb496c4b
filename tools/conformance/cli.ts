/**
 * `npm run conformance`: the pack against Polaris's and Kyverno's own fixtures, then the agreement figures
 * (tools/conformance/compare.ts). Exits 2 with one line when the corpus is missing (it lives outside the
 * repository), else with the test runner's status.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { agreementSummary, kyvernoVerdicts, polarisVerdicts } from "./compare";
import { CONFORMANCE_ENV, conformanceRoot, corpusProblem } from "./corpus";

const root = conformanceRoot();
const problem = corpusProblem(root);
if (problem) {
    console.error(problem);
    process.exit(2);
}
const suites = path.resolve(__dirname, "..", "..", "test", "conformance");
const files = fs.readdirSync(suites).filter((f) => f.endsWith(".test.ts")).sort().map((f) => path.join(suites, f));
const run = spawnSync(process.execPath, ["--import", "tsx", "--test", ...files], {
    stdio: "inherit",
    env: { ...process.env, [CONFORMANCE_ENV]: root },
});
console.log(`\nagreement with the checkers' own verdicts:\n  ${agreementSummary([...polarisVerdicts(root), ...kyvernoVerdicts(root)]).join("\n  ")}`);
process.exit(run.status ?? 1);
