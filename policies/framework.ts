/**
 * The pack's own model, free of the CrossGuard runtime: a policy is data (name, severity, tags,
 * remediation, why) plus a pure check over all of a stack's resources. The same definitions run in
 * CrossGuard (`pulumi preview --policy-pack policies`), in the offline plan and in `npm run policy`.
 */
import type { EnforcementLevel, PolicyConfigSchema, Severity } from "@pulumi/policy";
import { KubeIndex } from "./kubernetes";

/** A resource as policies see it: its Pulumi type, URN and properties (for Kubernetes, the object). */
export interface StackResource {
    type: string;
    urn: string;
    name: string;
    props: Record<string, any>;
    /** Where it came from, when evaluated from YAML files. */
    file?: string;
}

export interface Finding {
    message: string;
    resource?: StackResource;
}

export interface PolicyContext<C> {
    resources: StackResource[];
    kube: KubeIndex;
    config: C;
}

export interface PolicyDefinition<C extends object = object> {
    /** Stable kebab-case name: the key in policy config and reports. */
    name: string;
    description: string;
    severity: Severity;
    /** How to fix a violation. */
    remediation: string;
    /** The outage or incident the rule prevents (policies/README.md). */
    why: string;
    /** Equivalents elsewhere: `polaris:<checkId>`, `kube-score:<id>`, `checkov:<CKV id>`, `kyverno:<policy>`. */
    tags: string[];
    /** Defaults: the properties a stack may set in policy config, with their JSON schema. */
    config?: { defaults: C; schema: PolicyConfigSchema };
    check(ctx: PolicyContext<C>): Finding[];
}

/** Policy config as `--policy-pack-config` takes it: `all` and per-policy levels and properties. */
export type PackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface Violation {
    policy: string;
    enforcementLevel: "advisory" | "mandatory";
    severity: Severity;
    message: string;
    urn?: string;
    type?: string;
    kind?: string;
    name?: string;
    namespace?: string;
    file?: string;
}

/** A `*`-wildcard pattern as an anchored RegExp; `any` is what a `*` may match (default: anything). */
export function wildcardRegExp(pattern: string, any = ".*"): RegExp {
    return new RegExp(`^${pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(any)}$`);
}

/** The level a policy runs at (the pack's default is advisory; `all` then the policy's own entry override it). */
export function enforcementLevelOf(policy: string, config: PackConfig): EnforcementLevel {
    let level: EnforcementLevel = "advisory";
    for (const entry of [config.all, config[policy]]) {
        if (typeof entry === "string") level = entry;
        else if (entry?.enforcementLevel) level = entry.enforcementLevel;
    }
    return level;
}

/** A policy's properties: its defaults, overridden by `all` and then by its own config entry. */
export function propertiesOf<C extends object>(policy: PolicyDefinition<C>, config: PackConfig): C {
    const props = (entry: PackConfig[string] | undefined) => {
        if (!entry || typeof entry === "string") return {};
        const { enforcementLevel: _level, ...rest } = entry;
        return rest;
    };
    const known = Object.keys(policy.config?.schema.properties ?? {});
    const pick = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([k]) => known.includes(k)));
    return { ...(policy.config?.defaults ?? ({} as C)), ...pick(props(config.all)), ...pick(props(config[policy.name])) };
}

/** Evaluates the policies over one stack's resources (or one set of YAML documents). */
export function evaluate(policies: PolicyDefinition<any>[], resources: StackResource[], config: PackConfig = {}): Violation[] {
    const kube = new KubeIndex(resources);
    const violations: Violation[] = [];
    for (const policy of policies) {
        const level = enforcementLevelOf(policy.name, config);
        if (level === "disabled") continue;
        for (const finding of policy.check({ resources, kube, config: propertiesOf(policy, config) })) {
            const r = finding.resource;
            const meta = r && kube.isObject(r) ? r.props.metadata ?? {} : {};
            violations.push({
                policy: policy.name,
                enforcementLevel: level === "advisory" ? "advisory" : "mandatory",
                severity: policy.severity,
                message: finding.message,
                ...(r ? { urn: r.urn, type: r.type } : {}),
                ...(r && kube.isObject(r) ? { kind: String(r.props.kind), name: meta.name, namespace: kube.namespaceOf(r.props) } : r ? { name: r.name } : {}),
                ...(r?.file ? { file: r.file } : {}),
            });
        }
    }
    return violations;
}
