/**
 * `tsx tools/ci/plan-summary.ts OUT_DIR` prints Markdown for a CI job summary from what
 * `npm run plan` wrote: the policy verdicts, the exemptions that took findings out of them, the
 * capacity at peak, and the itemised monthly cost (cost.json).
 */
import * as fs from "fs";
import * as path from "path";

interface Report {
    violations: Array<{ policy: string; enforcementLevel: string; kind?: string; name?: string; message: string }>;
    exemptions?: Array<{ policy: string; reason: string; suppressed: number; kind?: string; name?: string; namespace?: string }>;
}

/** What the summary reads of cost.json (policies/cost.ts CostReport). */
interface CostJson {
    firstLine: string;
    hoursPerMonth: number;
    items: Array<{ id: string; label: string; unit: string; quantity: { min: number; max: number }; usdPerUnit: number | null; priceRegion: string; source: string; monthlyUsd: { min: number; max: number } }>;
    overrides?: Array<{ key: string; usdPerUnit: number; items: string[] }>;
    monthlyUsd: { min: number; max: number };
    notCounted: string[];
}

/** The itemised cost: which region's prices first, then one row per item, the total, and what is not counted. */
export function costSection(cost: CostJson): string[] {
    const usd = (x: number) => x.toFixed(2);
    const span = (r: { min: number; max: number }) => (r.min === r.max ? `${r.min}` : `${r.min} to ${r.max}`);
    const used = (cost.overrides ?? []).filter((o) => o.items.length);
    return [
        cost.firstLine, "",
        `Monthly cost: ${usd(cost.monthlyUsd.min)} USD at minimum, ${usd(cost.monthlyUsd.max)} USD at peak (${cost.hoursPerMonth} h/month).`, "",
        "| item | quantity | USD/unit | price region | USD/month (min to peak) |", "| --- | --- | --- | --- | --- |",
        ...cost.items.map((i) => `| ${cell(i.label)} | ${span(i.quantity)} ${cell(i.unit)} | ${i.usdPerUnit ?? "-"} | ${cell(i.priceRegion)} | ${usd(i.monthlyUsd.min)} to ${usd(i.monthlyUsd.max)} |`),
        "",
        ...(used.length ? [`Overrides (eks-delivery:cost.prices): ${used.map((o) => `${o.key} = ${o.usdPerUnit}`).join(", ")}.`, ""] : []),
        `Not counted: ${cell(cost.notCounted.join("; "))}.`,
    ];
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/[\r\n]+/g, " ");

export function planSummary(outDir: string): string {
    const stack = path.basename(outDir);
    const read = <T>(file: string): T | undefined => {
        const full = path.join(outDir, file);
        return fs.existsSync(full) ? (JSON.parse(fs.readFileSync(full, "utf8")) as T) : undefined;
    };
    const report = read<Report>("policy-report.json");
    const capacity = read<any>("capacity.json");
    const lines = [`## Offline plan: ${stack}`, ""];
    if (!report) return [...lines, "No plan was written (the configuration was rejected: see the job log)."].join("\n");
    const mandatory = report.violations.filter((v) => v.enforcementLevel === "mandatory").length;
    lines.push(report.violations.length === 0 ? "Policies: no violations." : `Policies: ${report.violations.length} violation(s), ${mandatory} mandatory.`, "");
    if (report.violations.length) {
        lines.push("| policy | level | object | message |", "| --- | --- | --- | --- |");
        for (const v of report.violations) lines.push(`| ${v.policy} | ${v.enforcementLevel} | ${v.kind ?? ""} ${v.name ?? ""} | ${cell(v.message)} |`);
        lines.push("");
    }
    // An exemption is a decision a reviewer should see on the pull request, with its reason.
    const exemptions = report.exemptions ?? [];
    if (exemptions.length) {
        lines.push(`Exemptions: ${exemptions.length} (${exemptions.reduce((n, e) => n + e.suppressed, 0)} finding(s) not reported).`, "");
        lines.push("| policy | object | reason | findings removed |", "| --- | --- | --- | --- |");
        for (const e of exemptions) lines.push(`| ${e.policy} | ${e.kind ?? ""} ${[e.namespace, e.name].filter(Boolean).join("/")} | ${cell(e.reason)} | ${e.suppressed} |`);
        lines.push("");
    }
    if (capacity) {
        const { peak, capacity: cap, fits } = capacity;
        lines.push(`Capacity at peak: CPU ${peak.cpuMillicores}m / ${cap.cpuMillicores}m, memory ${peak.memoryMiB}Mi / ${cap.memoryMiB}Mi, pods ${peak.pods} / ${cap.pods}: ${fits ? "fits" : "**does not fit**"}.`);
    }
    const cost = read<CostJson>("cost.json");
    if (cost) lines.push("", ...costSection(cost));
    return lines.join("\n");
}

if (require.main === module) {
    const dir = process.argv[2];
    if (!dir) {
        process.stderr.write("usage: tsx tools/ci/plan-summary.ts OUT_DIR\n");
        process.exit(2);
    }
    process.stdout.write(`${planSummary(dir)}\n`);
}
