/**
 * Turns a recorded program run into the plan a person and a CI job read: `plan.json` (secrets
 * redacted, keys sorted, resources in URN order, so identical input gives identical bytes), one
 * manifest per Kubernetes object, and a preview-like summary.
 */
import { stringify } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { isKubernetesType } from "../../policies/kubernetes";
import type { ProgramRun, UpdateOptions } from "./engine";
import type { PlannedStack } from "./planStack";
import { formatExemptions, formatViolations } from "./report";
import { mermaidGraph } from "./graph";
import { formatCost } from "../../policies/cost";

export const REDACTED = "[secret]";

export interface PlannedResource {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    provider?: string;
    /** Options that change what an update does (protect, dependsOn, ignoreChanges, aliases, ...); absent when none. */
    options?: UpdateOptions;
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
}

export interface Plan {
    project: string;
    stack: string;
    resources: PlannedResource[];
    outputs: Record<string, unknown>;
}

const { specialSigKey, specialSecretSig, specialResourceSig, specialOutputValueSig, specialAssetSig, specialArchiveSig, unknownValue } = pulumi.runtime;

/** Wire form -> plain JSON: secrets redacted, resource references as their URN, keys sorted. */
export function plainValue(value: unknown): unknown {
    if (value === unknownValue) return "[unknown]";
    if (Array.isArray(value)) return value.map(plainValue);
    if (value === null || typeof value !== "object") return value;
    const record = value as Record<string, unknown>;
    switch (record[specialSigKey]) {
        case specialSecretSig: return REDACTED;
        case specialResourceSig: return record.urn;
        case specialOutputValueSig:
            if (record.secret) return REDACTED;
            return "value" in record ? plainValue(record.value) : "[unknown]";
        case specialAssetSig:
        case specialArchiveSig: return record.path ?? record.uri ?? "[asset]";
    }
    return Object.fromEntries(Object.keys(record).sort().map((k) => [k, plainValue(record[k])]));
}

export function buildPlan(run: ProgramRun): Plan {
    const resources = run.resources
        .map((r): PlannedResource => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            ...(r.parent ? { parent: r.parent } : {}),
            ...(r.provider ? { provider: r.provider } : {}),
            ...(Object.keys(r.options).length ? { options: r.options } : {}),
            inputs: plainValue(r.inputs) as Record<string, unknown>,
            outputs: plainValue(r.outputs) as Record<string, unknown>,
        }))
        .sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
    return { project: run.project, stack: run.stack, resources, outputs: plainValue(run.outputs) as Record<string, unknown> };
}

export function planJson(plan: Plan): string {
    return `${JSON.stringify(plan, null, 2)}\n`;
}

export interface Manifest {
    file: string;
    object: Record<string, unknown>;
    yaml: string;
}

/** One file per Kubernetes object, as `kubectl apply -f` would take it. */
export function kubernetesManifests(plan: Plan): Manifest[] {
    const manifests = plan.resources.filter((r) => isKubernetesType(r.type)).map((r) => {
        const { status: _status, ...object } = r.outputs as Record<string, unknown> & { metadata?: { name?: string; namespace?: string } };
        const kind = String(object.kind ?? r.type.split(":")[2]);
        const meta = object.metadata ?? {};
        const file = [meta.namespace ?? "cluster", kind.toLowerCase(), meta.name ?? r.name].join("_") + ".yaml";
        const ordered = { apiVersion: object.apiVersion, kind, metadata: meta, ...object };
        return { file, object: ordered, yaml: stringify(ordered, { sortMapEntries: false }) };
    });
    return manifests.sort((a, b) => (a.file < b.file ? -1 : 1));
}

/** A preview-like summary: the resource tree by component, then counts by type. */
export function summarize(plan: Plan, context: { region: string; accountId: string }): string {
    return `${planHeadline(plan, context)}\n\n${resourceTree(plan)}`;
}

/** The summary's first line: which stack, planned where. */
export const planHeadline = (plan: Plan, context: { region: string; accountId: string }) =>
    `Plan for ${plan.project}/${plan.stack} (offline: emulated AWS account ${context.accountId}, ${context.region})`;

/** The long part (`plan --tree`): every resource under its parent, the counts by type, the outputs. */
export function resourceTree(plan: Plan): string {
    const lines: string[] = [];
    const children = new Map<string | undefined, PlannedResource[]>();
    const byUrn = new Set(plan.resources.map((r) => r.urn));
    for (const r of plan.resources.filter((r) => !r.type.startsWith("pulumi:providers:"))) {
        const parent = r.parent && byUrn.has(r.parent) ? r.parent : undefined;
        children.set(parent, [...(children.get(parent) ?? []), r]);
    }
    const rows: Array<{ r: PlannedResource; depth: number }> = [];
    const walk = (parent: string | undefined, depth: number) => {
        for (const r of children.get(parent) ?? []) {
            rows.push({ r, depth });
            walk(r.urn, depth + 1);
        }
    };
    walk(undefined, 0);
    // The names in one column, just past the widest indented type shown (providers are not shown), at
    // most 60 columns in: a rare longer type (a Kubernetes *Patch) is followed by one space instead.
    const width = Math.min(60, Math.max(0, ...rows.map(({ r, depth }) => depth * 2 + r.type.length)) + 1);
    for (const { r, depth } of rows) lines.push(`  + ${`${"  ".repeat(depth)}${r.type}`.padEnd(width)} ${r.name}`);

    const counts = new Map<string, number>();
    for (const r of plan.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    lines.push("", "Resources by type:");
    for (const [type, n] of [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
        lines.push(`  ${String(n).padStart(4)}  ${type}`);
    }
    // The total is the summary's (planReport), printed just before.
    const outputs = Object.keys(plan.outputs);
    if (outputs.length) {
        lines.push("", "Outputs:");
        for (const key of outputs) lines.push(`  ${key}: ${JSON.stringify(plan.outputs[key])}`);
    }
    return lines.join("\n");
}

/** Every file `npm run plan` writes, as paths relative to its output directory. */
export function planFiles(planned: PlannedStack): Array<{ file: string; content: string }> {
    const violations = planned.violations.map(({ policy, enforcementLevel, urn, kind, name, message }) => ({ policy, enforcementLevel, urn, kind, name, message }));
    return [
        { file: "plan.json", content: planJson(planned.plan) },
        { file: "capacity.json", content: `${JSON.stringify(planned.capacity, null, 2)}\n` },
        { file: "cost.json", content: `${JSON.stringify(planned.cost, null, 2)}\n` },
        { file: "policy-report.json", content: `${JSON.stringify({ violations, exemptions: planned.exemptions }, null, 2)}\n` },
        { file: "graph.mmd", content: mermaidGraph(planned.plan, planned.run) },
        ...planned.manifests.map((m) => ({ file: `manifests/${m.file}`, content: m.yaml })),
    ];
}

/**
 * What `npm run plan` prints first: the short summary (resources, capacity and cost, policy verdicts;
 * `policyConfig`: where the levels came from). The long resourceTree follows only with `--tree`.
 */
export function planReport(planned: PlannedStack, policyConfig: string): string {
    const { peak, capacity, fits } = planned.capacity;
    return `${planHeadline(planned.plan, planned.run)}\n\nResources: ${planned.plan.resources.length} to create\n` +
        `Capacity at peak: CPU ${peak.cpuMillicores}m of ${capacity.cpuMillicores}m, memory ${peak.memoryMiB}Mi of ${capacity.memoryMiB}Mi, ` +
        `pods ${peak.pods} of ${capacity.pods}: ${fits ? "fits" : "DOES NOT FIT"}\n\n` +
        `${formatCost(planned.cost)}\n\n` +
        `${formatViolations(planned.violations, (v) => v.urn ?? "")}\n(enforcement: ${policyConfig})\n` +
        `${formatExemptions(planned.exemptions, (e) => e.urn ?? "")}\n\n`;
}
