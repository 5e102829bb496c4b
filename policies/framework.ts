/**
 * The pack's own model, free of the CrossGuard runtime: a policy is data (name, severity, tags,
 * remediation, why) plus a pure check. Most policies judge one object by itself (`checkObject`): they
 * run as CrossGuard resource policies, on each resource as it is registered. Policies that relate
 * objects (a workload and its PDB, HPA or node groups) check all of a stack's resources at once and run
 * as stack policies. The same definitions run in CrossGuard (`pulumi preview --policy-pack policies`), in
 * the offline plan and in `npm run policy`, through `evaluate()` / `checkResource()` / `checkStack()`.
 *
 * Unknowns: in a preview a value that depends on an output not yet known (an image still to be built) is
 * one of the engine's sentinel strings. Policies read resources through a guard that throws
 * `UnknownValue` when they touch one; what threw is skipped (one container, one object, one workload),
 * never the whole policy, so every policy reports on what is known.
 */
import type { EnforcementLevel, PolicyConfigSchema, Severity } from "@pulumi/policy";
import { KubeIndex } from "./kubernetes";
import { containsUnknown, guard, isView, known, UnknownValue } from "./unknowns";

export { containsUnknown, eachKnown, isUnknown, known, UNKNOWN_SENTINELS, UnknownValue } from "./unknowns";

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

interface PolicyInfo<C extends object> {
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
    /**
     * A security control (privileges, isolation, encryption, image provenance), not reliability or hygiene:
     * code scanning lists only these as security alerts (SARIF `security-severity`, tools/policy/sarif.ts).
     */
    security?: boolean;
    /** Defaults: the properties a stack may set in policy config, with their JSON schema. */
    config?: { defaults: C; schema: PolicyConfigSchema };
}

/** A rule about one object by itself: a CrossGuard resource policy. */
export interface ObjectPolicy<C extends object = object> extends PolicyInfo<C> {
    /** The Pulumi types it judges (`kubernetes:apps/v1:Deployment`, `aws:ecr/repository:Repository`, ...). */
    appliesTo(type: string): boolean;
    checkObject(resource: StackResource, config: C): Finding[];
}

/** A rule that relates objects: a CrossGuard stack policy over every resource of the stack. */
export interface StackPolicy<C extends object = object> extends PolicyInfo<C> {
    check(ctx: PolicyContext<C>): Finding[];
}

export type PolicyDefinition<C extends object = object> = ObjectPolicy<C> | StackPolicy<C>;

export function isObjectPolicy<C extends object>(policy: PolicyDefinition<C>): policy is ObjectPolicy<C> {
    return "checkObject" in policy;
}

/** `appliesTo` for resources of these Pulumi types. */
export const ofTypes = (...types: string[]) => (type: string) => types.includes(type);

/** Policy config as `--policy-pack-config` takes it: `all` and per-policy levels and properties. */
export type PackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

/** Where a finding or an exemption is: the resource, and for a Kubernetes object its kind, name and namespace. */
export interface Located {
    urn?: string;
    type?: string;
    kind?: string;
    name?: string;
    namespace?: string;
    file?: string;
}

export interface Violation extends Located {
    policy: string;
    enforcementLevel: "advisory" | "mandatory";
    severity: Severity;
    message: string;
}

/** The resource as policies read it: guarded when its properties hold unknowns, else as it is. */
const guardedResources = new WeakMap<StackResource, StackResource>();

export function guardResource(r: StackResource): StackResource {
    if (isView(r.props)) return r;
    let guarded = guardedResources.get(r);
    if (!guarded) {
        guarded = containsUnknown(r.props) ? { ...r, props: guard(r.props, []) } : r;
        guardedResources.set(r, guarded);
    }
    return guarded;
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

/**
 * A policy's properties: its defaults, overridden by its own config entry. `all` sets only the enforcement
 * level: Pulumi applies no properties from it (pulumi/pulumi@18817b6 pkg/resource/analyzer/config.go
 * applyConfig), so neither does the pack's own evaluation.
 */
export function propertiesOf<C extends object>(policy: PolicyDefinition<C>, config: PackConfig): C {
    const props = (entry: PackConfig[string] | undefined) => {
        if (!entry || typeof entry === "string") return {};
        const { enforcementLevel: _level, ...rest } = entry;
        return rest;
    };
    const known = Object.keys(policy.config?.schema.properties ?? {});
    const pick = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([k]) => known.includes(k)));
    return { ...(policy.config?.defaults ?? ({} as C)), ...pick(props(config[policy.name])) };
}

/** One object against an object policy (a resource policy in CrossGuard); an object it cannot judge yields nothing. */
export function checkResource<C extends object>(policy: ObjectPolicy<C>, resource: StackResource, config: C): Finding[] {
    if (!policy.appliesTo(resource.type)) return [];
    return known(() => policy.checkObject(guardResource(resource), config), []);
}

/**
 * A stack policy over guarded resources (see `guardResource`). Its rules skip the objects they cannot
 * judge; an unknown that still escapes means the policy could not run, which the caller reports.
 */
export function checkStack<C extends object>(policy: StackPolicy<C>, guarded: StackResource[], config: C, kube = new KubeIndex(guarded)): Finding[] {
    return policy.check({ resources: guarded, kube, config });
}

/** The annotation that exempts one object from the policies it names (comma-separated). */
export const EXEMPT_ANNOTATION = "eks-delivery.dev/exempt";
/** Why: required, or the exemption does not apply (and `exemption-reason` reports it). */
export const EXEMPT_REASON_ANNOTATION = "eks-delivery.dev/exempt-reason";
/** The policy that judges exemptions: it cannot be exempted itself. */
export const EXEMPTION_POLICY = "exemption-reason";

/** What an object's exemption annotations say. */
export interface DeclaredExemption {
    /** The policies the exempt annotation names (comma-separated, blanks trimmed, empty entries dropped). */
    policies: string[];
    /** The exempt annotation's value when it is not a string (an annotation must be one): it names no policy. */
    invalid?: unknown;
    /** The reason annotation, trimmed: "" when missing, blank or not a string. */
    reason: string;
    /** In a preview the reason may not be known yet: the exemption then does not apply, and is not judged. */
    reasonKnown: boolean;
}

const declaredExemptions = new WeakMap<StackResource, DeclaredExemption | undefined>();

/**
 * The exemption an object declares in `metadata.annotations`, if any. An exempt annotation a preview
 * cannot know yet declares nothing: the object is judged as if it had none.
 */
export function exemptionsOf(resource: StackResource): DeclaredExemption | undefined {
    if (declaredExemptions.has(resource)) return declaredExemptions.get(resource);
    const props = guardResource(resource).props;
    const annotations = known(() => props.metadata?.annotations, undefined);
    let declared: DeclaredExemption | undefined;
    const value = typeof annotations === "object" && annotations !== null ? known(() => annotations[EXEMPT_ANNOTATION], undefined) : undefined;
    if (value !== undefined && value !== null) {
        let reason: unknown;
        let reasonKnown = true;
        try {
            reason = annotations[EXEMPT_REASON_ANNOTATION];
        } catch (err) {
            if (!(err instanceof UnknownValue)) throw err;
            reasonKnown = false;
        }
        declared = {
            policies: typeof value === "string" ? [...new Set(value.split(",").map((p) => p.trim()).filter(Boolean))] : [],
            ...(typeof value === "string" ? {} : { invalid: value }),
            reason: typeof reason === "string" ? reason.trim() : "",
            reasonKnown,
        };
    }
    declaredExemptions.set(resource, declared);
    return declared;
}

/** Is the object exempt from this policy? Only with a reason, and never from `exemption-reason`. */
export function isExempt(resource: StackResource | undefined, policy: string): boolean {
    if (!resource || policy === EXEMPTION_POLICY) return false;
    const declared = exemptionsOf(resource);
    return declared !== undefined && declared.reason !== "" && declared.policies.includes(policy);
}

/** One exemption an object declares (with a reason), and how many findings it removed from the report. */
export interface Exemption extends Located {
    policy: string;
    reason: string;
    /** Findings of `policy` on this object that the exemption removed (0: it changed nothing, or the policy did not run). */
    suppressed: number;
    /** Their messages: what the policy would have said. */
    findings: string[];
}

/** Where a finding or an exemption is: the object (kind, name, namespace) or the resource (name), and its file. */
function locate(r: StackResource | undefined, kube: KubeIndex): Located {
    if (!r) return {};
    return {
        urn: r.urn, type: r.type,
        ...(kube.isObject(r)
            ? { kind: String(r.props.kind), name: known(() => r.props.metadata?.name, undefined), namespace: known(() => kube.namespaceOf(r.props), undefined) }
            : { name: r.name }),
        ...(r.file ? { file: r.file } : {}),
    };
}

/** Evaluates the policies over one stack's resources (or one set of YAML documents); exempted findings are left out. */
export function evaluate(policies: PolicyDefinition<any>[], resources: StackResource[], config: PackConfig = {}): Violation[] {
    return evaluateReport(policies, resources, config).violations;
}

/**
 * `evaluate()`, and every exemption the resources declare with a reason (in resource order, then in
 * the order the annotation names the policies), each with the number of findings it removed.
 */
export function evaluateReport(policies: PolicyDefinition<any>[], resources: StackResource[], config: PackConfig = {}): { violations: Violation[]; exemptions: Exemption[] } {
    const guarded = resources.map(guardResource);
    const kube = new KubeIndex(guarded);
    const violations: Violation[] = [];
    // Messages of the findings removed, by the exempted object's URN and the policy.
    const suppressed = new Map<string, string[]>();
    for (const policy of policies) {
        const level = enforcementLevelOf(policy.name, config);
        if (level === "disabled") continue;
        const properties = propertiesOf(policy, config);
        let findings: Finding[];
        try {
            findings = isObjectPolicy(policy)
                // A resource policy's finding is about the resource it judged unless it names another.
                ? resources.flatMap((r) => checkResource(policy, r, properties).map((f) => (f.resource ? f : { ...f, resource: r })))
                : checkStack(policy, guarded, properties, kube);
        } catch (err) {
            if (!(err instanceof UnknownValue)) throw err;
            // As CrossGuard reports a policy that cannot run in a preview: advisory, whatever its level.
            violations.push({ policy: policy.name, enforcementLevel: "advisory", severity: policy.severity, message: `can't run during preview: ${err.message}` });
            continue;
        }
        for (const finding of findings) {
            const r = finding.resource;
            if (r && isExempt(r, policy.name)) {
                const key = `${r.urn}\n${policy.name}`;
                if (!suppressed.has(key)) suppressed.set(key, []);
                suppressed.get(key)!.push(finding.message);
                continue;
            }
            violations.push({
                policy: policy.name,
                enforcementLevel: level === "advisory" ? "advisory" : "mandatory",
                severity: policy.severity,
                message: finding.message,
                ...locate(r, kube),
            });
        }
    }
    // Only exemptions that apply: of a policy evaluated here (unknown names and `exemption-reason` itself
    // are that policy's findings, not exemptions).
    const evaluated = new Set(policies.filter((p) => p.name !== EXEMPTION_POLICY).map((p) => p.name));
    const exemptions: Exemption[] = [];
    for (const r of guarded) {
        const declared = exemptionsOf(r);
        if (!declared || declared.reason === "") continue;
        for (const policy of declared.policies.filter((name) => evaluated.has(name))) {
            const findings = suppressed.get(`${r.urn}\n${policy}`) ?? [];
            exemptions.push({ policy, reason: declared.reason, suppressed: findings.length, findings, ...locate(r, kube) });
        }
    }
    return { violations, exemptions };
}
