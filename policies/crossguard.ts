/**
 * Turns pack definitions into CrossGuard policies: an object policy becomes a resource policy
 * (`validateResource`, run on each resource as it is registered, previews included), a stack policy a
 * stack policy (`validateStack`). Both run the same checks as `evaluate()` (framework.ts).
 *
 * Unknowns: @pulumi/policy hands a policy its resource's properties wrapped in `unknownCheckingProxy`,
 * which throws `UnknownValueError` on the first unknown value a policy touches, and then reports the
 * whole policy as "can't run ... during preview" (advisory) instead of its verdict
 * (pulumi/pulumi-policy@v1.21.0 sdk/nodejs/policy/server.ts makeAnalyzeRpcFun / makeAnalyzeStackRpcFun,
 * proxy.ts). So the adapter reads the properties underneath the proxy, sentinels included, and lets the
 * pack's own guard skip only the part that is unknown.
 *
 * Exemptions (`eks-delivery.dev/exempt` + `-reason` annotations): an exempted finding is not reported,
 * as `evaluate()` leaves it out. CrossGuard has no place to list the exemptions themselves; the plan's
 * report and `npm run policy` list them.
 */
import type { PolicyConfigSchema, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { checkResource, checkStack, guardResource, isExempt, isObjectPolicy, UnknownValue, type Finding, type PolicyDefinition, type StackResource } from "./framework";

/**
 * The key under which the SDK's proxy returns the object it wraps (the SDK's own serializer reads it):
 * pulumi/pulumi-policy@v1.21.0 sdk/nodejs/policy/proxy.ts `getSpecialProxyTarget`.
 */
const PROXY_TARGET = "__getSpecialProxyTarget";

/** The properties as the engine sent them (unknowns as the engine's sentinel strings), unwrapped from the SDK's proxy. */
export function plainProps(props: Record<string, any>): Record<string, any> {
    const target = props?.[PROXY_TARGET];
    return target && typeof target === "object" ? target : props;
}

/**
 * The SDK's error for "this policy cannot run during a preview" (pulumi-policy@v1.21.0 proxy.ts, not in
 * its typings): a stack policy whose rules could not skip an unknown fails this way, as it would have anyway.
 */
function sdkUnknownError(err: UnknownValue): Error {
    const { UnknownValueError } = require("@pulumi/policy/proxy") as { UnknownValueError: new (sentinel: string, path: PropertyKey[]) => Error };
    return new UnknownValueError(err.sentinel, err.path);
}

function common(policy: PolicyDefinition<any>) {
    return {
        name: policy.name,
        description: policy.description,
        // The pack's default; policies/config/<environment>.json (--policy-pack-config, or the policy group's config) raises it.
        enforcementLevel: "advisory" as const,
        severity: policy.severity,
        tags: policy.tags,
        remediationSteps: policy.remediation,
        ...(policy.config ? { configSchema: policy.config.schema as PolicyConfigSchema } : {}),
    };
}

const configOf = (policy: PolicyDefinition<any>, given: object) => ({ ...(policy.config?.defaults ?? {}), ...given });

export function toCrossGuard(policy: PolicyDefinition<any>): ResourceValidationPolicy | StackValidationPolicy {
    if (isObjectPolicy(policy)) {
        return {
            ...common(policy),
            validateResource: (args, reportViolation) => {
                if (!policy.appliesTo(args.type)) return;
                const resource: StackResource = { type: args.type, urn: args.urn, name: args.name, props: plainProps(args.props) };
                for (const finding of checkResource(policy, resource, configOf(policy, args.getConfig<object>()))) {
                    // An exempted finding is left out, as evaluate() leaves it out (framework.ts isExempt).
                    if (!isExempt(finding.resource ?? resource, policy.name)) reportViolation(finding.message, args.urn);
                }
            },
        };
    }
    return {
        ...common(policy),
        validateStack: (args, reportViolation) => {
            const resources = args.resources.map((r): StackResource => guardResource({ type: r.type, urn: r.urn, name: r.name, props: plainProps(r.props) }));
            let findings: Finding[];
            try {
                findings = checkStack(policy, resources, configOf(policy, args.getConfig<object>()));
            } catch (err) {
                throw err instanceof UnknownValue ? sdkUnknownError(err) : err;
            }
            for (const finding of findings) {
                if (!isExempt(finding.resource, policy.name)) reportViolation(finding.message, finding.resource?.urn);
            }
        },
    };
}
