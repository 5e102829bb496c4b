/**
 * The work of `eks-delivery policy` (tools/policy/cli.ts declares its flags): reads the inputs, evaluates
 * the pack and reports. Loaded only once the flags parse, so help and flag refusals stay quick.
 */
import { quoted } from "../../config/safeRead";
import packJson from "../../policies/package.json";
import { allPolicies } from "../../policies/all";
import { checkResource, enforcementLevelOf, evaluate, evaluateReport, Exemption, isObjectPolicy, Located, PackConfig, PolicyDefinition, propertiesOf, StackResource, Violation } from "../../policies/framework";
import { callerPath } from "../cli/callerPath";
import { badInput, CliError, RUN } from "../cli/command";
import { streamHasColour } from "../cli/colour";
import { readConfig, withKubernetesVersion } from "./config";
import { checkShapes, InputError, originOf, readInputs, STDIN, STDIN_PATH } from "./documents";
import { DEFAULT_FAIL_ON, EXIT, FAIL_ON, FailOn, formatJson, formatText, Place, Report, ReportExemption, ReportFinding, summarize } from "./format";
import { toSarif } from "./sarif";


export const FORMATS = ["text", "json", "sarif"] as const;
type Format = (typeof FORMATS)[number];

/** The flags as commander parsed them (tools/policy/cli.ts). */
export interface PolicyValues {
    json?: boolean;
    format?: string;
    failOn?: string;
    kubernetesVersion?: string;
    eachFile?: boolean;
    only?: string;
    config?: string;
    list?: boolean;
}

/** A path as the caller meant it (relative to where npm was started: tools/cli/callerPath.ts). */
const fromCaller = (p: string) => callerPath(p, "policy");

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

export async function checkManifests(values: PolicyValues, positionals: string[]): Promise<void> {
    const format = formatOf(values);
    const failOn: FailOn = values.failOn === undefined ? DEFAULT_FAIL_ON : chosen("fail-on", values.failOn, FAIL_ON);
    let config: PackConfig;
    try {
        config = withKubernetesVersion(readConfig(values.config === undefined ? undefined : fromCaller(values.config)), values.kubernetesVersion);
    } catch (err) {
        if (err instanceof InputError) throw badInput(err.message);
        throw err;
    }
    const known = allPolicies.map((p) => p.name);

    if (values.list) {
        if (format === "sarif") throw badInput("--list is text or json, not --format sarif");
        if (positionals.length) throw badInput(`--list takes no PATH (got ${quoted(positionals[0])}): it lists the policies`);
        const list = allPolicies.map((p) => ({ name: p.name, description: p.description, enforcementLevel: enforcementLevelOf(p.name, config), severity: p.severity, tags: p.tags }));
        process.stdout.write(format === "json" ? `${JSON.stringify(list, null, 2)}\n`
            : list.map((p) => `${p.name.padEnd(28)} ${p.severity.padEnd(8)} ${p.enforcementLevel.padEnd(9)} ${p.description}`).join("\n") + "\n");
        return;
    }

    const only = values.only?.split(",").map((s) => s.trim()).filter(Boolean);
    if (only && only.length === 0) throw badInput(`--only ${JSON.stringify(values.only)} names no policy (see ${RUN} policy --list)`);
    const unknown = (only ?? []).filter((n) => !known.includes(n));
    if (unknown.length) throw badInput(`unknown policy ${unknown.join(", ")} (see ${RUN} policy --list)`);
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
    const groups = values.eachFile ? [...byFile.values()] : [[...byFile.values()].flat()];
    const violations: Violation[] = [];
    const exemptions: Exemption[] = [];
    for (const resources of groups) {
        try {
            const report = evaluateReport(policies, resources, config);
            violations.push(...report.violations);
            exemptions.push(...report.exemptions);
        } catch {
            throw new CliError(`internal error: ${culprit(policies, resources, config)}`, EXIT.internal);
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
    } else process.stdout.write(formatText(report, streamHasColour(process.stdout)));
    if (summarize(report).result === "fail") process.exitCode = EXIT.violations;
}

