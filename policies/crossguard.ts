/** Turns pack definitions into CrossGuard stack policies: the same check, reported per resource URN. */
import type { StackValidationPolicy } from "@pulumi/policy";
import type { PolicyDefinition, StackResource } from "./framework";
import { KubeIndex } from "./kubernetes";

export function toCrossGuard(policy: PolicyDefinition<any>): StackValidationPolicy {
    return {
        name: policy.name,
        description: policy.description,
        enforcementLevel: "advisory",
        severity: policy.severity,
        tags: policy.tags,
        remediationSteps: policy.remediation,
        ...(policy.config ? { configSchema: policy.config.schema } : {}),
        validateStack: (args, reportViolation) => {
            const resources: StackResource[] = args.resources.map((r) => ({ type: r.type, urn: r.urn, name: r.name, props: r.props }));
            const config = { ...(policy.config?.defaults ?? {}), ...args.getConfig<object>() };
            for (const finding of policy.check({ resources, kube: new KubeIndex(resources), config })) {
                reportViolation(finding.message, finding.resource?.urn);
            }
        },
    };
}
