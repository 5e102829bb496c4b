/**
 * The `eks-delivery` program: every command, each declared in its tool's cli.ts (which `npm run <name>`
 * runs alone). Declaring a command loads none of its work: help and refusals stay quick.
 * Not commands: `npm run policy:readme`, `npm run readme:graph` and `npm run schema` (a maintainer
 * regenerating policies/README.md's table, README.md's graph, the JSON Schema): each answers --help alone.
 */
import { benchCommand } from "../bench/cli";
import { conformanceCommand } from "../conformance/cli";
import { loadtestCommand } from "../loadtest/cli";
import { planCommand } from "../plan/cli";
import { policyCommand } from "../policy/cli";
import { versionCommand } from "../version/cli";
import { newProgram } from "./command";

export function eksDelivery() {
    return newProgram([planCommand(), policyCommand(), versionCommand(), benchCommand(), conformanceCommand(), loadtestCommand()], {
        notes: "Every command: --help for its flags, defaults, exit codes and examples; bad input is one line " +
            "`<command>: <problem>` on stderr and exit 2. The slow commands (plan, bench, conformance, loadtest) " +
            "show progress on stderr, a line per step (`[plan] running the program`), or one line rewritten on a " +
            "terminal (--quiet for none). Colour only on a terminal, never with NO_COLOR set or TERM=dumb. Paths given to npm run " +
            "are relative to the folder npm was started in.",
        exitCodes: [[0, "done"], [1, "the command's verdict failed (policy violations, a failed run)"], [2, "bad input: an unknown command or flag, a bad value or file"], [3, "internal error (a bug to report)"]],
        examples: ["npx eks-delivery plan --stack dev --out out/dev", "npx eks-delivery policy out/dev/manifests", "npx eks-delivery help plan", "npx eks-delivery version --json"],
    });
}
