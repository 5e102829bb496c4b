/** How the pack's verdicts are written and printed, by the plan and by `npm run policy`. */
import type { Exemption, Violation } from "../../policies/framework";

/** Violations grouped by policy, mandatory first: what a reviewer reads. */
export function formatViolations(violations: Violation[], where: (v: Violation) => string): string {
    if (violations.length === 0) return "Policies: no violations";
    const byPolicy = new Map<string, Violation[]>();
    for (const v of violations) byPolicy.set(v.policy, [...(byPolicy.get(v.policy) ?? []), v]);
    const rank = (vs: Violation[]) => (vs.some((v) => v.enforcementLevel === "mandatory") ? 0 : 1);
    const groups = [...byPolicy].sort((a, b) => rank(a[1]) - rank(b[1]) || (a[0] < b[0] ? -1 : 1));
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
    const lines = [`Policies: ${violations.length} violation${violations.length === 1 ? "" : "s"} (${mandatory} mandatory)`];
    for (const [policy, vs] of groups) {
        lines.push(`  ${policy} [${vs[0].enforcementLevel}, ${vs[0].severity}]`);
        for (const v of vs) lines.push(`    - ${v.message}${where(v) ? `  (${where(v)})` : ""}`);
    }
    return lines.join("\n");
}

export const hasMandatory = (violations: Violation[]) => violations.some((v) => v.enforcementLevel === "mandatory");

/** What an exemption is on: `Deployment shop/api`, or the resource's type and name. */
const subject = (e: Exemption) => (e.kind ? `${e.kind} ${e.namespace ? `${e.namespace}/` : ""}${e.name ?? "?"}` : `${e.type?.split(":").pop() ?? "resource"} ${e.name ?? "?"}`);

/** Every exemption the objects declare, with its reason and the findings it removed: listed in every report. */
export function formatExemptions(exemptions: Exemption[], where: (e: Exemption) => string): string {
    if (exemptions.length === 0) return "Exemptions: none";
    const removed = exemptions.reduce((n, e) => n + e.suppressed, 0);
    const lines = [`Exemptions: ${exemptions.length} (${removed} finding${removed === 1 ? "" : "s"} left out)`];
    for (const e of exemptions) {
        lines.push(`  - ${e.policy} on ${subject(e)}: ${JSON.stringify(e.reason)} (${e.suppressed} left out)${where(e) ? `  (${where(e)})` : ""}`);
    }
    return lines.join("\n");
}
