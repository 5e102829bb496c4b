/**
 * `eks-delivery policy [--format text|json|sarif] [--fail-on LEVEL] [--each-file] [--only a,b] [--config FILE] [--kubernetes-version X.Y] PATH...|-`
 * `eks-delivery policy --list [--format json]` (`npm run policy -- ...` runs the same command).
 * Evaluates the pack over existing Kubernetes YAML (files, folders, or stdin as `-`), the documents
 * together as one stack (or each file alone), and reports by object (format.ts, sarif.ts). Every input is
 * untrusted: whatever it is, the answer is a report or one line on stderr. The flags are declared here;
 * the work (check.ts) loads only once they parse.
 */
import { Option } from "@commander-js/extra-typings";
import { MAX_FILE_BYTES, quoted, READ_TIMEOUT_MS } from "../../config/safeRead";
import { badInput, newCommand, runAlone } from "../cli/command";
import { DEFAULT_FAIL_ON, EXIT, FAIL_ON, SCORE_PENALTY } from "./format";
import { SECURITY_SEVERITY } from "./sarif";

/** A --fail-on value, checked as commander reads it (the refusal in this project's words, not commander's). */
function failOnValue(value: string): string {
    if (!(FAIL_ON as readonly string[]).includes(value)) throw badInput(`--fail-on ${quoted(value)} is not one of ${FAIL_ON.join(", ")}`);
    return value;
}

function policyFlags() {
    return newCommand("policy", "check Kubernetes YAML (files, folders, stdin) against the policy pack", {
        notes: `PATH is a YAML file, a folder (its *.yaml and *.yml files, recursively), or - for stdin (reported as <stdin>), relative to the current folder (with npm run, the folder npm was started in).
Input limits: regular files only, ${MAX_FILE_BYTES / 1048576} MiB per file, UTF-8, ${READ_TIMEOUT_MS / 1000} s to read everything; stdin the same (a terminal is refused).

Formats:
  text   grouped by object (file:line kind namespace/name), findings by severity, coloured on a terminal unless NO_COLOR is set, a score per object, exemptions, one summary line; score = 100 - ${SCORE_PENALTY.critical} per critical - ${SCORE_PENALTY.high} per high - ${SCORE_PENALTY.medium} per medium - ${SCORE_PENALTY.low} per low finding, at least 0
  json   stable: {evaluated, files, policies, failOn, summary, violations, exemptions}, findings ordered by file, line, policy and message
  sarif  SARIF 2.1.0 for GitHub code scanning: every policy a rule (level error/warning/note; the security controls with security-severity critical ${SECURITY_SEVERITY.critical}, high ${SECURITY_SEVERITY.high}, medium ${SECURITY_SEVERITY.medium}, low ${SECURITY_SEVERITY.low}), results at file and line, paths relative to the current directory; exemptions in the run's properties

Exempt one object from a policy with the annotations eks-delivery.dev/exempt: "<policy>[,<policy>]" and eks-delivery.dev/exempt-reason: "<why>"; exemptions are listed in every format.
With npm run, --silent keeps npm's own lines out of a file the report is redirected to.`,
        exitCodes: [
            [EXIT.clean, "no finding at or above --fail-on (and no mandatory finding under --config)"],
            [EXIT.violations, "findings at or above --fail-on, or mandatory findings under --config (the report says which)"],
            [EXIT.badInput, "bad input: a flag, --config, a path, stdin, or a document (one line names the file, document and path)"],
            [EXIT.internal, "internal error (a policy failed on valid input: a bug to report)"],
        ],
        examples: [
            "npx eks-delivery policy out/dev/manifests",
            "kubectl get deploy -A -o yaml | npx eks-delivery policy --fail-on critical -",
            "npm run --silent policy -- --format sarif out/dev/manifests > policy.sarif",
        ],
    })
        .argument("[path...]", "YAML files, folders, or - for stdin")
        .option("--format <text|json|sarif>", "how to report (default: text)")
        .option("--json", "the same as --format json")
        .addOption(new Option("--fail-on <level>", `exit 1 when a finding at or above this severity remains; none: report only, exit 0 unless the input is bad (default: ${DEFAULT_FAIL_ON})`)
            .choices(FAIL_ON).argParser(failOnValue))
        .option("--config <file>", "policy config as pulumi's --policy-pack-config takes it; its mandatory findings fail the run too, unless --fail-on none (default: every policy advisory)")
        .option("--kubernetes-version <X.Y>", "the cluster's Kubernetes version, for the policies on removed and deprecated API versions; wins over --config (default: each policy's own)")
        .option("--only <a,b>", "only these policies, see --list (default: all)")
        .option("--each-file", "each file alone, not all documents as one stack (default: one stack)")
        .option("--list", "list the policies, their severity and level (text or json)");
}

type PolicyOptions = ReturnType<ReturnType<typeof policyFlags>["opts"]>;

async function policy(paths: string[], values: PolicyOptions): Promise<void> {
    const { checkManifests } = await import("./check");
    await checkManifests(values, paths);
}

/** `eks-delivery policy`: the flags above, the work in check.ts. */
export const policyCommand = () => policyFlags().action(policy);

if (require.main === module) void runAlone(policyCommand());
