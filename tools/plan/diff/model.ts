/**
 * A plan directory as the diff reads it (what `npm run plan` writes), and the diff's own shape. Types
 * only: the plan's files are redacted already ("[secret]"), and the diff reads nothing else.
 */

/** One resource of plan.json (tools/plan/plan.ts PlannedResource, as written). */
export interface PlanResource {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    provider?: string;
    options?: Record<string, unknown> & { aliases?: AliasSpec[]; replaceOnChanges?: string[] };
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
}

/** tools/plan/engine.ts Alias: a literal URN, or a spec whose absent fields are the resource's own. */
export type AliasSpec = { urn: string } | { name?: string; type?: string; parent?: string; noParent?: true; stack?: string; project?: string };

export interface PlanJson {
    project: string;
    stack: string;
    resources: PlanResource[];
    outputs: Record<string, unknown>;
}

export interface Demand { cpuMillicores: number; memoryMiB: number; pods: number }

/** The parts of capacity.json (policies/capacity.ts CapacityReport) the diff compares. */
export interface CapacityJson {
    peak: Demand;
    capacity: Demand;
    fits: boolean;
    monthlyUsd?: { totalMin?: number; totalMax?: number };
}

export interface UsdRange { min: number; max: number }

/** cost.json (policies/cost.ts): the itemised monthly cost. */
export interface CostJson {
    monthlyUsd: UsdRange;
    items: Array<{ id: string; label: string; monthlyUsd: UsdRange }>;
    pricesFrom?: unknown;
}

/** A finding as policy-report.json lists it (tools/plan/plan.ts planFiles). */
export interface Finding { policy: string; enforcementLevel: string; urn?: string; kind?: string; name?: string; message: string }
export interface ExemptionEntry { policy: string; reason: string; urn?: string; kind?: string; name?: string; namespace?: string; suppressed?: number }

export interface PolicyReportJson {
    violations: Finding[];
    exemptions: ExemptionEntry[];
}

/** Everything the diff reads of one side. */
export interface PlanSide {
    /** How the output names this side: `out/dev` or `git main (1a2b3c4)`. */
    label: string;
    plan: PlanJson;
    capacity: CapacityJson;
    policy: PolicyReportJson;
    /** Absent in a plan made before cost.json existed: the cost falls back to capacity.json's totals. */
    cost?: CostJson;
}

/** One field that differs: `path` is a Pulumi property path (`spec.template.spec.containers[0].image`). */
export interface FieldChange {
    path: string;
    /** Absent: the field is not there on that side. */
    old?: unknown;
    new?: unknown;
    /** Both sides are "[secret]": whether the value changed is unknowable offline. */
    secret?: true;
    /** The resource's replaceOnChanges names this field: the change replaces the resource. */
    replaces?: true;
    /** Only the release version changed here (the version string, or an image reference or digest built from it). */
    release?: true;
}

export interface ResourceRef { urn: string; type: string; name: string }

export interface ChangedResource extends ResourceRef {
    /** The URN the old plan had, when an alias makes this a rename. */
    renamedFrom?: string;
    inputs: FieldChange[];
    options: FieldChange[];
    /** The replaceOnChanges paths that the input changes hit: the resource is replaced, not updated. */
    replaceOnChanges: string[];
    /** Kubernetes objects: a unified diff of the manifest (as manifests/ holds it). */
    manifest?: string;
    /**
     * Every change is the release version's (FieldChange.release), inputs and manifest alike: the resource
     * only rolls to the new release. Counted in summary.rolled, not in summary.changed.
     */
    releaseOnly?: true;
}

export interface CostLine { id: string; label: string; old?: UsdRange; new?: UsdRange; delta: UsdRange }

export interface PlanDiff {
    project: string;
    stack: string;
    old: { label: string; stack: string };
    new: { label: string; stack: string };
    /** The stacks' releaseVersion outputs, when they differ: every image and version label rolls with it. */
    release?: { old: string; new: string };
    /** `changed` leaves out the `rolled` resources (resources.changed holds both: see ChangedResource.releaseOnly). */
    summary: { added: number; removed: number; changed: number; rolled: number; renamed: number; replaced: number; unchanged: number; newViolations: number; resolvedViolations: number };
    resources: {
        added: ResourceRef[];
        removed: ResourceRef[];
        changed: ChangedResource[];
        /** Resources otherwise unchanged whose "[secret]" inputs cannot be compared. */
        secretsUnknown: Array<ResourceRef & { paths: string[] }>;
    };
    outputs: FieldChange[];
    capacity: {
        old: { peak: Demand; capacity: Demand; fits: boolean };
        new: { peak: Demand; capacity: Demand; fits: boolean };
        delta: { peak: Demand; capacity: Demand };
    };
    cost: {
        /** Where each side's figures came from: cost.json, or capacity.json's totals. */
        source: { old: "cost.json" | "capacity.json"; new: "cost.json" | "capacity.json" };
        old: UsdRange;
        new: UsdRange;
        /** False when the two sides' figures come from different files (different items counted): the delta is arithmetic only, and shown as "not comparable". */
        comparable: boolean;
        delta: UsdRange;
        /** Per item (cost.json on both sides), items that changed only. */
        items: CostLine[];
    };
    policy: {
        newViolations: Finding[];
        resolvedViolations: Finding[];
        exemptionsAdded: ExemptionEntry[];
        exemptionsRemoved: ExemptionEntry[];
    };
    /** What an offline diff cannot know, said once. */
    notes: string[];
}
