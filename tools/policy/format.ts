/**
 * What `npm run policy` reports: the pack's findings placed on their objects (file, line, kind,
 * namespace/name), the exemptions, a summary and the verdict against --fail-on; written as text (grouped
 * by object, severity-coloured on a terminal, a score per object) or as stable JSON. SARIF is sarif.ts.
 * Pure functions: the CLI reads, evaluates and decides the exit code; this only shapes and prints.
 */
import type { Severity } from "@pulumi/policy";

/** Highest first: the order findings are listed in and --fail-on compares by. */
export const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low"];
export type FailOn = Severity | "none";
export const FAIL_ON: readonly FailOn[] = [...SEVERITIES, "none"];
export const DEFAULT_FAIL_ON: FailOn = "high";

/** The policy command's exit codes, as --help and the README list them (cli.ts, check.ts). */
export const EXIT = { clean: 0, violations: 1, badInput: 2, internal: 3 } as const;

/** An object's score: 100 minus this per finding on it, never below 0 (documented in --help). */
export const SCORE_PENALTY: Readonly<Record<Severity, number>> = { critical: 40, high: 20, medium: 10, low: 5 };

/** Where a finding or an exemption is: the object and its place in the input (null when not known). */
export interface Place {
    file: string | null;
    line: number | null;
    /** Column of the object's first character and the column after its first line (SARIF regions). */
    column: number | null;
    endColumn: number | null;
    kind: string | null;
    namespace: string | null;
    name: string | null;
    /** Which object (unique within a run): findings and exemptions are grouped by it. */
    object: string | null;
}

export interface ReportFinding extends Place {
    policy: string;
    severity: Severity;
    enforcementLevel: "advisory" | "mandatory";
    message: string;
}

export interface ReportExemption extends Place {
    policy: string;
    reason: string;
    /** The findings the exemption took out of the report: what the policy would have said. */
    findings: string[];
}

export interface Report {
    /** Objects evaluated. */
    evaluated: number;
    files: string[];
    policies: string[];
    failOn: FailOn;
    /** Mandatory findings fail the run too (an explicit --config made them mandatory). */
    mandatoryFails: boolean;
    findings: ReportFinding[];
    exemptions: ReportExemption[];
}

export interface Summary {
    objects: number;
    findings: number;
    critical: number;
    high: number;
    medium: number;
    low: number;
    mandatory: number;
    /** Exemptions that apply (a reason, a policy evaluated here). */
    exempted: number;
    /** The findings they took out of the report. */
    suppressed: number;
    /** Findings at or above --fail-on. */
    failing: number;
    result: "pass" | "fail";
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);
/** At or above the threshold (`none`: nothing is). */
export const atOrAbove = (severity: Severity, failOn: FailOn) => failOn !== "none" && rank(severity) <= rank(failOn);

/** Plain code-unit order, nulls first: the same on every machine and locale. */
const cmp = (a: string | number | null, b: string | number | null) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
const byPlace = (a: Place, b: Place) => cmp(a.file, b.file) || cmp(a.line, b.line) || cmp(a.kind, b.kind) || cmp(a.namespace, b.namespace) || cmp(a.name, b.name);

/** The JSON order: file, line, policy, message (then the object, for two objects on one line). */
export function sortFindings<T extends ReportFinding>(findings: T[]): T[] {
    return [...findings].sort((a, b) => cmp(a.file, b.file) || cmp(a.line, b.line) || cmp(a.policy, b.policy) || cmp(a.message, b.message) || byPlace(a, b));
}
export function sortExemptions<T extends ReportExemption>(exemptions: T[]): T[] {
    return [...exemptions].sort((a, b) => byPlace(a, b) || cmp(a.policy, b.policy) || cmp(a.reason, b.reason));
}

export function summarize(report: Report): Summary {
    const count = (s: Severity) => report.findings.filter((f) => f.severity === s).length;
    const mandatory = report.findings.filter((f) => f.enforcementLevel === "mandatory").length;
    const failing = report.findings.filter((f) => atOrAbove(f.severity, report.failOn)).length;
    const fails = failing > 0 || (report.mandatoryFails && report.failOn !== "none" && mandatory > 0);
    return {
        objects: report.evaluated, findings: report.findings.length,
        critical: count("critical"), high: count("high"), medium: count("medium"), low: count("low"),
        mandatory, exempted: report.exemptions.length, suppressed: report.exemptions.reduce((n, e) => n + e.findings.length, 0), failing, result: fails ? "fail" : "pass",
    };
}

/** An object's score from the findings on it (exempted ones are not findings). */
export const score = (findings: Array<{ severity: Severity }>) => Math.max(0, 100 - findings.reduce((n, f) => n + SCORE_PENALTY[f.severity], 0));

const ESC = "\x1b[";
const STYLE: Record<Severity | "pass" | "fail" | "exempt" | "object", string> = {
    critical: "1;31", high: "31", medium: "33", low: "36", pass: "1;32", fail: "1;31", exempt: "2", object: "1",
};
/**
 * Text from the input (names, messages) on one line and harmless on a terminal: control characters
 * (an escape sequence in an object's name) are shown escaped, never sent.
 */
const clean = (s: string) => s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);

function objectTitle(p: Place): string {
    const where = p.file === null ? "" : `${p.file}${p.line === null ? "" : `:${p.line}`} `;
    const name = p.name === null ? "" : p.namespace ? `${p.namespace}/${p.name}` : p.name;
    return clean(`${where}${[p.kind, name].filter(Boolean).join(" ")}`.trim() || "(the stack)");
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The summary line: objects, findings by severity, exempted, and the verdict against --fail-on. */
export function summaryLine(report: Report, s = summarize(report)): string {
    const counts = SEVERITIES.map((sev) => `${s[sev]} ${sev}`).join(", ");
    const why = report.failOn === "none" ? "--fail-on none: report only"
        : s.failing > 0 ? `--fail-on ${report.failOn}: ${plural(s.failing, "finding")} at or above ${report.failOn}`
        : s.result === "fail" ? `${plural(s.mandatory, "mandatory finding")} under --config`
        : `--fail-on ${report.failOn}: none at or above ${report.failOn}`;
    return `${plural(s.objects, "object")}, ${plural(s.findings, "finding")} (${counts}), ${plural(s.exempted, "exemption")} (${plural(s.suppressed, "finding")} not reported): ${s.result === "fail" ? "FAIL" : "PASS"} (${why})`;
}

/** The text report: one block per object with findings or exemptions (file order), then the summary line. */
export function formatText(report: Report, colour: boolean): string {
    const paint = (style: keyof typeof STYLE, text: string) => (colour ? `${ESC}${STYLE[style]}m${text}${ESC}0m` : text);
    const s = summarize(report);
    const groups = new Map<string, { place: Place; findings: ReportFinding[]; exemptions: ReportExemption[] }>();
    const group = (p: Place) => {
        const key = p.object ?? "";
        if (!groups.has(key)) groups.set(key, { place: p, findings: [], exemptions: [] });
        return groups.get(key)!;
    };
    for (const f of report.findings) group(f).findings.push(f);
    for (const e of report.exemptions) group(e).exemptions.push(e);

    const lines = [`Evaluated ${plural(report.evaluated, "object")} from ${plural(report.files.length, "file")} against ${report.policies.length} ${report.policies.length === 1 ? "policy" : "policies"}`];
    const width = Math.max(0, ...report.findings.map((f) => f.policy.length));
    for (const { place, findings, exemptions } of [...groups.values()].sort((a, b) => byPlace(a.place, b.place))) {
        lines.push("", `${paint("object", objectTitle(place))}  score ${score(findings)}/100`);
        const ordered = [...findings].sort((a, b) => rank(a.severity) - rank(b.severity) || cmp(a.policy, b.policy) || cmp(a.message, b.message));
        // Messages name their object ("Deployment shop/cart: ..."): under its heading that is said already.
        const prefix = place.kind && place.name ? `${place.kind} ${place.namespace ? `${place.namespace}/` : ""}${place.name}: ` : undefined;
        for (const f of ordered) {
            const message = prefix && f.message.startsWith(prefix) ? f.message.slice(prefix.length) : f.message;
            lines.push(`  ${paint(f.severity, f.severity.toUpperCase().padEnd(8))} ${f.policy.padEnd(width)}  ${clean(message)}${f.enforcementLevel === "mandatory" ? "  [mandatory]" : ""}`);
        }
        for (const e of sortExemptions(exemptions)) {
            lines.push(paint("exempt", `  ${"EXEMPT".padEnd(8)} ${e.policy.padEnd(width)}  ${clean(e.reason)}${e.findings.length ? ` (${plural(e.findings.length, "finding")} not reported)` : " (nothing to exempt)"}`));
        }
    }
    lines.push("", paint(s.result, summaryLine(report, s)));
    return `${lines.join("\n")}\n`;
}

/** The JSON report: fixed key order, findings by file, line, policy and message; byte-identical for the same input. */
export function formatJson(report: Report): string {
    const s = summarize(report);
    const place = (p: Place) => ({ file: p.file, line: p.line, kind: p.kind, namespace: p.namespace, name: p.name });
    return `${JSON.stringify({
        evaluated: report.evaluated,
        files: report.files,
        policies: report.policies,
        failOn: report.failOn,
        summary: {
            objects: s.objects, findings: s.findings, critical: s.critical, high: s.high, medium: s.medium, low: s.low,
            mandatory: s.mandatory, exempted: s.exempted, suppressed: s.suppressed, failing: s.failing, result: s.result,
        },
        violations: sortFindings(report.findings).map((f) => {
            const { file, line, kind, namespace, name } = place(f);
            return { policy: f.policy, severity: f.severity, enforcementLevel: f.enforcementLevel, file, line, kind, namespace, name, message: f.message };
        }),
        exemptions: sortExemptions(report.exemptions).map((e) => ({ policy: e.policy, reason: e.reason, ...place(e), suppressed: e.findings.length, findings: e.findings })),
    }, null, 2)}\n`;
}
