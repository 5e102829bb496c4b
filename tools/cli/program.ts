/**
 * The `eks-delivery` program: every command, each declared in its tool's cli.ts (which `npm run <name>`
 * runs alone). Declaring a command loads none of its work: help and refusals stay quick.
 * Not commands: `npm run policy:readme` (a maintainer regenerating policies/README.md's table).
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
        notes: "Every command: --help for its flags, defaults, exit codes and examples; bad input is one line\n" +
            "`<command>: <problem>` on stderr and exit 2; progress goes to stderr (--quiet for none); colour only\n" +
            "on a terminal and never with NO_COLOR set.",
        exitCodes: [[0, "done"], [1, "the command's verdict failed (policy violations, a failed run)"], [2, "bad input: an unknown command or flag, a bad value or file"], [3, "internal error (a bug to report)"]],
        examples: ["eks-delivery plan --stack dev --out out/dev", "eks-delivery policy out/dev/manifests", "eks-delivery help plan", "npx eks-delivery version --json"],
    });
}
