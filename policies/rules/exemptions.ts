/**
 * Exemptions: `eks-delivery.dev/exempt: "<policy>[,<policy>]"` with a required
 * `eks-delivery.dev/exempt-reason` in an object's metadata.annotations exempts that one object from
 * those policies (framework.ts `exemptionsOf`, `isExempt`). This policy judges the annotations themselves.
 */
import { describeObject, isKubernetesType } from "../kubernetes";
import { EXEMPT_ANNOTATION, EXEMPT_REASON_ANNOTATION, EXEMPTION_POLICY, exemptionsOf, type ObjectPolicy, type StackResource } from "../framework";

const describe = (r: StackResource) => (isKubernetesType(r.type) && typeof r.props.kind === "string" ? describeObject(r) : `${r.type.split(":").pop()} ${r.name}`);

/**
 * `exemption-reason`, knowing the pack's other policies by name (`all.ts` passes them: a rule module
 * cannot import the list it is part of).
 */
export function exemptionReason(policies: readonly string[]): ObjectPolicy {
    const known = new Set(policies);
    return {
        name: EXEMPTION_POLICY,
        description: `An object's ${EXEMPT_ANNOTATION} annotation names policies of the pack and comes with a ${EXEMPT_REASON_ANNOTATION}.`,
        severity: "high",
        remediation: `Give ${EXEMPT_REASON_ANNOTATION}: "<why this object may break the rule, and until when>" next to ${EXEMPT_ANNOTATION}, ` +
            "naming policies as `npm run policy -- --list` prints them; or fix the object and drop the exemption.",
        why: "An exemption nobody can explain outlives its reason: the next reviewer cannot tell a deliberate exception from a silenced finding, " +
            "and a misspelt policy name exempts nothing while looking like it does.",
        tags: [],
        appliesTo: () => true,
        checkObject: (r) => {
            const declared = exemptionsOf(r);
            if (!declared) return [];
            const problems: string[] = [];
            if (declared.invalid !== undefined) problems.push(`${EXEMPT_ANNOTATION} is ${JSON.stringify(declared.invalid)}, not a string of comma-separated policy names`);
            else if (declared.policies.length === 0) problems.push(`${EXEMPT_ANNOTATION} names no policy`);
            const unknown = declared.policies.filter((p) => p !== EXEMPTION_POLICY && !known.has(p));
            if (unknown.length) problems.push(`${EXEMPT_ANNOTATION} names unknown ${unknown.length === 1 ? "policy" : "policies"} ${unknown.join(", ")}`);
            if (declared.policies.includes(EXEMPTION_POLICY)) problems.push(`${EXEMPTION_POLICY} cannot be exempted`);
            // In a preview the reason may be unknown: the exemption does not apply meanwhile, and is judged once known.
            if (declared.reasonKnown && declared.reason === "" && declared.policies.length > 0) {
                problems.push(`exempts from ${declared.policies.join(", ")} without a ${EXEMPT_REASON_ANNOTATION}: the exemption does not apply`);
            }
            return problems.map((p) => ({ resource: r, message: `${describe(r)}: ${p}` }));
        },
    };
}
