/**
 * `npm run policy -- [--format text|json|sarif] [--fail-on LEVEL] [--each-file] [--only a,b] [--config FILE] [--kubernetes-version X.Y] PATH...|-`
 * `npm run policy -- --list [--format json]`
 * Evaluates the pack over existing Kubernetes YAML (files, folders, or stdin as `-`), the documents
 * together as one stack (or each file alone), and reports by object (format.ts, sarif.ts). Every input is
 * untrusted: whatever it is, the answer is a report or one line on stderr.
 */
import * as path from "path";
import { parseArgs } from "util";
import packJson from "../../policies/package.json";
import { allPolicies } from "../../policies/all";
import { checkResource, enforcementLevelOf, evaluate, evaluateReport, Exemption, isObjectPolicy, Located, PackConfig, PolicyDefinition, propertiesOf, StackResource, Violation } from "../../policies/framework";
import { readConfig, withKubernetesVersion } from "./config";
import { checkShapes, InputError, MAX_FILE_BYTES, originOf, READ_TIMEOUT_MS, readInputs, STDIN, STDIN_PATH } from "./documents";
import { DEFAULT_FAIL_ON, FAIL_ON, FailOn, formatJson, formatText, colourWanted, Place, Report, ReportExemption, ReportFinding, SCORE_PENALTY, summarize } from "./format";
import { SECURITY_SEVERITY, toSarif } from "./sarif";

/** Exit codes, as --help and the README list them. */
const EXIT = { clean: 0, violations: 1, badInput: 2, internal: 3 } as const;

const FORMATS = ["text", "json", "sarif"] as const;
type Format = (typeof FORMATS)[number];

const USAGE = `usage: npm run policy -- [--format text|json|sarif] [--fail-on LEVEL] [--each-file] [--only a,b] [--config FILE] [--kubernetes-version X.Y] PATH...|-
       npm run policy -- --list [--format text|json]`;
const HELP = `${USAGE}

PATH is a YAML file, a folder (its *.yaml and *.yml files, recursively), or - for stdin (reported as ${STDIN}).
Input limits: regular files only, ${MAX_FILE_BYTES / 1048576} MiB per file, UTF-8, ${READ_TIMEOUT_MS / 1000} s to read everything; stdin the same (a terminal is refused).

  --format text|json|sarif    how to report (default text; --json is --format json):
      text   grouped by object (file:line kind namespace/name), findings by severity, coloured on a
             terminal unless NO_COLOR is set, a score per object, exemptions, one summary line;
             score = 100 - ${SCORE_PENALTY.critical} per critical - ${SCORE_PENALTY.high} per high - ${SCORE_PENALTY.medium} per medium - ${SCORE_PENALTY.low} per low finding, at least 0
      json   stable: {evaluated, files, policies, failOn, summary, violations, exemptions}, findings
             ordered by file, line, policy and message
      sarif  SARIF 2.1.0 for GitHub code scanning: every policy a rule (level error/warning/note; the
             security controls with security-severity critical ${SECURITY_SEVERITY.critical}, high ${SECURITY_SEVERITY.high}, medium ${SECURITY_SEVERITY.medium},
             low ${SECURITY_SEVERITY.low}), results at file and line, paths relative to the current directory;
             exemptions in the run's properties
  --fail-on ${FAIL_ON.join("|")}
                              exit 1 when a finding at or above this severity remains (default ${DEFAULT_FAIL_ON});
                              none: report only, always exit 0 unless the input is bad
  --config FILE               policy config as pulumi's --policy-pack-config takes it; its mandatory
                              findings fail the run too (unless --fail-on none). Default: advisory
  --kubernetes-version X.Y    the cluster's Kubernetes version, for every policy whose config has a
                              kubernetesVersion (removed and deprecated API versions); it wins over --config
  --only a,b                  only these policies (see --list)
  --each-file                 each file alone, not all documents as one stack
  --list                      the policies, their severity and level

Exempt one object from a policy with the annotations eks-delivery.dev/exempt: "<policy>[,<policy>]" and
eks-delivery.dev/exempt-reason: "<why>"; exemptions are listed in every format.

example:
  npm run plan -- --stack dev --out out/dev && npm run policy -- out/dev/manifests
  kubectl get deploy,svc,pdb -A -o yaml | npm run policy -- --fail-on critical -
  npm run --silent policy -- --format sarif --fail-on none out/dev/manifests > policy.sarif   (--silent: no npm lines in the file)

exit codes:
  0  no finding at or above --fail-on (and no mandatory finding under --config)
  1  findings at or above --fail-on, or mandatory findings under --config (the report says which)
  2  bad input: a flag, --config, a path, stdin, or a document (one line names the file, document and path)
  3  internal error (a policy failed on valid input: a bug to report)`;

/** One line whatever the text holds: control characters (a newline in a file name) are escaped. */
const oneLine = (s: string) => s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);

/**
 * A path as the caller meant it: `npm run policy` runs in the package's folder, so a relative path given
 * from elsewhere (`npm --prefix`, a subfolder) is resolved against the folder npm was started in
 * (INIT_CWD, set by npm for its own script only: a test's child process inherits npm's variables).
 */
function fromCaller(p: string): string {
    const caller = process.env.npm_lifecycle_event === "policy" ? process.env.INIT_CWD : undefined;
    if (!caller || path.isAbsolute(p)) return p;
    const full = path.resolve(caller, p);
    const inside = path.relative(process.cwd(), full);
    return inside === "" ? "." : inside.startsWith("..") ? full : inside;
}

class Exit extends Error {
    constructor(readonly code: number, message: string) {
        super(message);
    }
}
const badInput = (message: string) => new Exit(EXIT.badInput, message);

const VALUE_FLAGS = ["format", "fail-on", "kubernetes-version", "only", "config"];

function parse() {
    let parsed;
    try {
        parsed = parseArgs({
            args: process.argv.slice(2),
            options: {
                json: { type: "boolean", default: false },
                format: { type: "string" },
                "fail-on": { type: "string" },
                "kubernetes-version": { type: "string" },
                "each-file": { type: "boolean", default: false },
                only: { type: "string" },
                config: { type: "string" },
                list: { type: "boolean", default: false },
                help: { type: "boolean", short: "h", default: false },
            },
            allowPositionals: true,
            strict: true,
            tokens: true,
        });
    } catch (err) {
        throw badInput(`${(err as Error).message} (see npm run policy -- --help)`);
    }
    // parseArgs keeps the last of two values: a flag given twice is a mistake to name, not to guess at.
    const given = parsed.tokens.filter((t) => t.kind === "option" && VALUE_FLAGS.includes(t.name)).map((t) => (t as { name: string }).name);
    const twice = given.find((name, i) => given.indexOf(name) !== i);
    if (twice) throw badInput(`--${twice} is given twice`);
    return parsed;
}

function chosen<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
    if (!allowed.includes(value as T)) throw badInput(`--${flag} ${JSON.stringify(value)} is not one of ${allowed.join(", ")}`);
    return value as T;
}

function formatOf(values: { json?: boolean; format?: string }): Format {
    if (values.format === undefined) return values.json ? "json" : "text";
    const format = chosen("format", values.format, FORMATS);
    if (values.json && format !== "json") throw badInput(`--json and --format ${format} disagree (--json is --format json)`);
    return format;
}

/** Which policy and document made evaluation throw: named in the internal error's one line. */
function culprit(policies: PolicyDefinition<any>[], resources: StackResource[], config: PackConfig): string {
    for (const policy of policies) {
        try {
            evaluate([policy], resources, config);
            continue;
        } catch (err) {
            if (isObjectPolicy(policy)) {
                for (const r of resources) {
                    try {
                        checkResource(policy, r, propertiesOf(policy, config));
                    } catch {
                        const o = originOf(r);
                        return `policy ${policy.name} failed on ${o ? `${o.file}[${o.document}]${o.path ? ` ${o.path}` : ""}` : r.urn}: ${(err as Error).message}`;
                    }
                }
            }
            return `policy ${policy.name} failed: ${(err as Error).message}`;
        }
    }
    return "evaluation failed";
}

/** Where a verdict is: its object's file, line and name, from the document it was read from. */
function placeOf(v: Located, byUrn: Map<string, StackResource>): Place {
    const resource = v.urn === undefined ? undefined : byUrn.get(v.urn);
    const origin = resource && originOf(resource);
    return {
        file: v.file ?? origin?.file ?? null,
        line: origin?.line ?? null,
        column: origin?.column ?? null,
        endColumn: origin?.endColumn ?? null,
        kind: v.kind ?? null,
        namespace: v.namespace ?? null,
        name: v.name ?? null,
        object: v.urn ?? null,
    };
}

/** Where the SARIF's tool is documented: this repository's policy README, when GitHub Actions says which repository. */
function informationUri(env: NodeJS.ProcessEnv): string | undefined {
    const server = env.GITHUB_SERVER_URL, repository = env.GITHUB_REPOSITORY;
    if (!server || !repository || !/^https:\/\/[A-Za-z0-9.-]+(:[0-9]+)?$/.test(server) || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) return undefined;
    return `${server}/${repository}/blob/HEAD/policies/README.md`;
}

async function main() {
    const { values, positionals } = parse();
    if (values.help) {
        process.stdout.write(`${HELP}\n`);
        return;
    }
    const format = formatOf(values);
    const failOn: FailOn = values["fail-on"] === undefined ? DEFAULT_FAIL_ON : chosen("fail-on", values["fail-on"], FAIL_ON);
    let config: PackConfig;
    try {
        config = withKubernetesVersion(readConfig(values.config === undefined ? undefined : fromCaller(values.config)), values["kubernetes-version"]);
    } catch (err) {
        if (err instanceof InputError) throw badInput(err.message);
        throw err;
    }
    const known = allPolicies.map((p) => p.name);

    if (values.list) {
        if (format === "sarif") throw badInput("--list is text or json, not --format sarif");
        const list = allPolicies.map((p) => ({ name: p.name, description: p.description, enforcementLevel: enforcementLevelOf(p.name, config), severity: p.severity, tags: p.tags }));
        process.stdout.write(format === "json" ? `${JSON.stringify(list, null, 2)}\n`
            : list.map((p) => `${p.name.padEnd(28)} ${p.severity.padEnd(8)} ${p.enforcementLevel.padEnd(9)} ${p.description}`).join("\n") + "\n");
        return;
    }

    const only = values.only?.split(",").map((s) => s.trim()).filter(Boolean);
    if (only && only.length === 0) throw badInput(`--only ${JSON.stringify(values.only)} names no policy (see npm run policy -- --list)`);
    const unknown = (only ?? []).filter((n) => !known.includes(n));
    if (unknown.length) throw badInput(`unknown policy ${unknown.join(", ")} (see npm run policy -- --list)`);
    const policies = only ? allPolicies.filter((p) => only.includes(p.name)) : allPolicies;
    if (positionals.length === 0) throw badInput("no PATH given (- reads stdin)");
    const empty = positionals.find((p) => p.trim() === "");
    if (empty !== undefined) throw badInput(`PATH ${JSON.stringify(empty)} is empty`);
    if (positionals.filter((p) => p === STDIN_PATH).length > 1) throw badInput(`PATH ${STDIN_PATH} (stdin) is given twice: stdin is read once`);

    let byFile: Map<string, StackResource[]>;
    try {
        byFile = await readInputs(positionals.map((p) => (p === STDIN_PATH ? p : fromCaller(p))));
        await checkShapes([...byFile.values()].flat());
    } catch (err) {
        if (err instanceof InputError) throw badInput(err.message);
        throw err;
    }
    // Nothing to judge is no pass: `kubectl get ... | npm run policy -- -` with a failed kubectl, an empty folder.
    if ([...byFile.values()].every((docs) => docs.length === 0)) {
        throw badInput(`no Kubernetes object in ${positionals.map((p) => (p === STDIN_PATH ? STDIN : p)).join(", ")}${byFile.size === 0 ? " (no *.yaml or *.yml file)" : ""}`);
    }
    const groups = values["each-file"] ? [...byFile.values()] : [[...byFile.values()].flat()];
    const violations: Violation[] = [];
    const exemptions: Exemption[] = [];
    for (const resources of groups) {
        try {
            const report = evaluateReport(policies, resources, config);
            violations.push(...report.violations);
            exemptions.push(...report.exemptions);
        } catch {
            throw new Exit(EXIT.internal, `internal error: ${culprit(policies, resources, config)}`);
        }
    }
    const byUrn = new Map([...byFile.values()].flat().map((r) => [r.urn, r]));
    const report: Report = {
        evaluated: [...byFile.values()].reduce((n, docs) => n + docs.length, 0),
        files: [...byFile.keys()],
        policies: policies.map((p) => p.name),
        failOn,
        mandatoryFails: values.config !== undefined,
        findings: violations.map((v): ReportFinding => ({ ...placeOf(v, byUrn), policy: v.policy, severity: v.severity, enforcementLevel: v.enforcementLevel, message: v.message })),
        exemptions: exemptions.map((e): ReportExemption => ({ ...placeOf(e, byUrn), policy: e.policy, reason: e.reason, findings: e.findings })),
    };

    if (format === "json") process.stdout.write(formatJson(report));
    else if (format === "sarif") {
        const sarif = toSarif(report, policies, { version: packJson.version, informationUri: informationUri(process.env), cwd: process.cwd() });
        process.stdout.write(`${JSON.stringify(sarif, null, 2)}\n`);
    } else process.stdout.write(formatText(report, colourWanted(process.stdout.isTTY, process.env)));
    if (summarize(report).result === "fail") process.exitCode = EXIT.violations;
}

// A reader that went away (`| head`) ends the run quietly.
process.stdout.on("error", () => process.exit(process.exitCode ?? EXIT.clean));

main().catch((err) => {
    const exit = err instanceof Exit ? err : new Exit(EXIT.internal, `internal error: ${(err as Error)?.message ?? String(err)}`);
    process.stderr.write(`policy: ${oneLine(exit.message)}\n`);
    process.exitCode = exit.code;
});
