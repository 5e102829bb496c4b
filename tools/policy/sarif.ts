/**
 * The report as SARIF 2.1.0 for GitHub code scanning (github/codeql-action/upload-sarif).
 * The format: OASIS SARIF 2.1.0 errata 01, whose schema is vendored next to this file as
 * sarif-schema-2.1.0.json, byte for byte from oasis-tcs/sarif-spec@e0583813964ec43cea53b6b531b402866095ed1f:sarif-2.1/schema/sarif-schema-2.1.0.json
 * (test/policyCli.test.ts validates the output against it). What GitHub reads of it:
 * github/docs@0c5268cc10ff2d246b7eb3fc36e7d36ed9f8bb19:content/code-security/reference/code-scanning/sarif-files/sarif-support-for-code-scanning.md
 * - rules: id, shortDescription/fullDescription (1024 characters at most), help, defaultConfiguration.level,
 *   properties.tags, and properties.security-severity, a score it turns into a severity: over 9.0 critical,
 *   7.0 to 8.9 high, 4.0 to 6.9 medium, 0.1 to 3.9 low; "recommended only for security rules... results
 *   for the rule are treated as security results": set on the pack's security controls only (`security`);
 * - results: ruleId, ruleIndex, level, message.text, locations[0].physicalLocation (a path relative to
 *   the repository root, forward slashes; region start/end line and column), partialFingerprints, of
 *   which code scanning "only uses the primaryLocationLineHash";
 * Exempted findings are not results: code scanning does not honour SARIF `suppressions` and opens an
 * alert for a suppressed result like any other (github/codeql-action#1230, the maintainers 2024-09-05:
 * "This feature has not been prioritized"), which would undo the exemption. They are listed, with the
 * exemption's reason and what the policy would have said, in the run's properties.exemptions.
 */
import { createHash } from "crypto";
import * as path from "path";
import type { Severity } from "@pulumi/policy";
import type { PolicyDefinition } from "../../policies/framework";
import { Report, ReportFinding, sortExemptions, sortFindings, summarize } from "./format";

export const SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
export const TOOL_NAME = "eks-delivery-policy";

/** SARIF's levels: critical and high are errors, medium a warning, low a note. */
export const SARIF_LEVEL: Readonly<Record<Severity, "error" | "warning" | "note">> = { critical: "error", high: "error", medium: "warning", low: "note" };
/** GitHub's security-severity scores, each in the middle of the band GitHub maps back to the same severity. */
export const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0" };

const MAX_TEXT = 1024;
const cap = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 3)}...` : text);

/**
 * A file's URI as code scanning matches it against the repository: relative to the directory the CLI ran
 * in (npm runs scripts from the repository root), forward slashes, each segment percent-encoded (a space,
 * a `#`, stdin's `<stdin>`), never the machine's absolute path.
 */
export function artifactUri(file: string, cwd: string): string {
    const relative = path.isAbsolute(file) ? path.relative(cwd, file) : path.normalize(file);
    return relative.split(path.sep).join("/").split("/").map((segment) => encodeURIComponent(segment)).join("/");
}

/**
 * A result's identity across runs: the policy, the object (kind, namespace, name) and the message, not
 * the line, so an alert stays the same alert when lines above it move. `:n` counts repeats in one run,
 * as CodeQL's own line hashes do (github/codeql-action@v4.36.2:src/fingerprints.ts).
 */
function fingerprint(f: ReportFinding): string {
    return createHash("sha256").update([f.policy, f.kind ?? "", f.namespace ?? "", f.name ?? "", f.message].join("\0")).digest("hex").slice(0, 32);
}

export interface SarifOptions {
    /** The pack's version (policies/package.json). */
    version: string;
    /** Where the tool is documented (an absolute URI), when known. */
    informationUri?: string;
    cwd: string;
}

export function toSarif(report: Report, policies: PolicyDefinition<any>[], options: SarifOptions): object {
    const ruleIndex = new Map(policies.map((p, i) => [p.name, i]));
    const rules = policies.map((p) => ({
        id: p.name,
        name: p.name,
        shortDescription: { text: cap(p.description) },
        fullDescription: { text: cap(`${p.description} ${p.why}`) },
        help: {
            text: `${p.why}\n\nRemediation: ${p.remediation}`,
            markdown: `**Why.** ${p.why}\n\n**Remediation.** ${p.remediation}`,
        },
        defaultConfiguration: { level: SARIF_LEVEL[p.severity] },
        // security-severity makes GitHub treat a rule's results as security alerts: only the security controls.
        properties: {
            tags: ["kubernetes", ...(p.security ? ["security"] : ["reliability"]), `severity:${p.severity}`, ...p.tags],
            precision: "high",
            ...(p.security ? { "security-severity": SECURITY_SEVERITY[p.severity] } : {}),
        },
    }));

    const seen = new Map<string, number>();
    const result = (f: ReportFinding) => {
        const hash = fingerprint(f);
        const n = (seen.get(hash) ?? 0) + 1;
        seen.set(hash, n);
        const location = [{
            physicalLocation: {
                artifactLocation: { uri: artifactUri(f.file!, options.cwd), uriBaseId: "%SRCROOT%" },
                ...(f.line === null ? {} : {
                    region: {
                        startLine: f.line, startColumn: f.column ?? 1, endLine: f.line,
                        endColumn: Math.max(f.endColumn ?? (f.column ?? 1) + 1, (f.column ?? 1) + 1),
                    },
                }),
            },
            ...(f.kind === null ? {} : {
                logicalLocations: [{
                    name: f.name ?? f.kind,
                    fullyQualifiedName: [f.kind, f.namespace, f.name].filter((x) => x !== null).join("/"),
                    kind: "resource",
                }],
            }),
        }];
        return {
            ruleId: f.policy,
            ruleIndex: ruleIndex.get(f.policy),
            level: SARIF_LEVEL[f.severity],
            message: { text: f.message },
            locations: location,
            partialFingerprints: { primaryLocationLineHash: `${hash}:${n}` },
            properties: { severity: f.severity, enforcementLevel: f.enforcementLevel },
        };
    };

    // GitHub refuses a whole upload over one result without a location (microsoft/sarif-sdk#2286): a finding
    // on no object (a policy that cannot run during a preview) is listed in the run's properties instead.
    const located = sortFindings(report.findings).filter((f) => f.file !== null);
    const results = located.map(result);
    const unlocated = sortFindings(report.findings).filter((f) => f.file === null).map((f) => ({ policy: f.policy, severity: f.severity, message: f.message }));

    const s = summarize(report);
    return {
        $schema: SARIF_SCHEMA_URI,
        version: "2.1.0",
        runs: [{
            tool: {
                driver: {
                    name: TOOL_NAME,
                    ...(options.informationUri ? { informationUri: options.informationUri } : {}),
                    version: options.version,
                    semanticVersion: options.version,
                    rules,
                },
            },
            columnKind: "utf16CodeUnits",
            results,
            properties: {
                failOn: report.failOn,
                summary: s,
                ...(unlocated.length ? { unlocated } : {}),
                // Every exemption, on its object, with the findings it took out of the results.
                exemptions: sortExemptions(report.exemptions).map((e) => ({
                    policy: e.policy, reason: e.reason, file: e.file === null ? null : artifactUri(e.file, options.cwd), line: e.line,
                    kind: e.kind, namespace: e.namespace, name: e.name, findings: e.findings,
                })),
            },
        }],
    };
}
