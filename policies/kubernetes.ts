/**
 * Reading Kubernetes objects the way the API server would: pod templates of every workload kind,
 * containers (init, sidecar, app), label selectors, and the relations policies need (which HPA scales
 * a workload, which PDBs and NetworkPolicies select its pods, which ServiceAccount it runs as).
 */
import type { StackResource } from "./framework";
import { known, knownItems } from "./unknowns";

export type KubeObject = Record<string, any>;

export const WORKLOAD_KINDS = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"] as const;
/** Workloads that serve traffic (probes apply); Jobs and CronJobs run to completion. */
export const SERVING_KINDS = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"];
/** Workloads whose replicas can be scaled (HPA, PDB, replicas policies). */
export const SCALABLE_KINDS = ["Deployment", "StatefulSet", "ReplicaSet"];

export interface ContainerRef {
    container: Record<string, any>;
    /** "app" (spec.containers), "sidecar" (init container with restartPolicy Always), "init". */
    role: "app" | "sidecar" | "init";
}

/** A Kubernetes object type in Pulumi terms (`kubernetes:apps/v1:Deployment`), not a patch or list. */
export function isKubernetesType(type: string): boolean {
    return /^kubernetes:[^:]+:[A-Z]/.test(type) && !/^kubernetes:(helm\.sh|yaml|kustomize)/.test(type) && !/(List|Patch)$/.test(type);
}

export function podSpecOf(obj: KubeObject): Record<string, any> | undefined {
    switch (obj.kind) {
        case "Pod": return obj.spec;
        case "CronJob": return obj.spec?.jobTemplate?.spec?.template?.spec;
        default: return obj.spec?.template?.spec;
    }
}

/** Labels the workload's pods carry. */
export function podLabelsOf(obj: KubeObject): Record<string, string> {
    if (obj.kind === "Pod") return obj.metadata?.labels ?? {};
    if (obj.kind === "CronJob") return obj.spec?.jobTemplate?.spec?.template?.metadata?.labels ?? {};
    return obj.spec?.template?.metadata?.labels ?? {};
}

/** Pod-level annotations (AppArmor, for example). */
export function podAnnotationsOf(obj: KubeObject): Record<string, string> {
    if (obj.kind === "Pod") return obj.metadata?.annotations ?? {};
    if (obj.kind === "CronJob") return obj.spec?.jobTemplate?.spec?.template?.metadata?.annotations ?? {};
    return obj.spec?.template?.metadata?.annotations ?? {};
}

/** The pod's containers; in a preview, the known ones (an init container whose restartPolicy is unknown counts as a plain init container: no probes asked). */
export function containersOf(spec: Record<string, any> | undefined): ContainerRef[] {
    if (!spec) return [];
    const init = knownItems<any>(() => spec.initContainers)
        .map((c): ContainerRef => ({ container: c, role: known(() => c?.restartPolicy === "Always", false) ? "sidecar" : "init" }));
    const app = knownItems<any>(() => spec.containers).map((c): ContainerRef => ({ container: c, role: "app" }));
    return [...init, ...app];
}

/** Human name of an object: `Deployment dev/api` (the resource's name when the object's is unknown). */
export function describeObject(r: StackResource): string {
    const name = known(() => r.props.metadata?.name, undefined) ?? r.name;
    const namespace = known(() => r.props.metadata?.namespace ?? "default", "?");
    return `${r.props.kind} ${namespace}/${name}`;
}

/** Is this resource a Kubernetes object of one of these kinds (`kubernetes:apps/v1:Deployment`, ...)? */
export const kubernetesKinds = (...kinds: readonly string[]) => (type: string) =>
    isKubernetesType(type) && kinds.includes(type.slice(type.lastIndexOf(":") + 1));

/** Does a label selector (`{matchLabels, matchExpressions}`) select these labels? An empty selector selects all. */
export function selects(selector: Record<string, any> | undefined, labels: Record<string, string>): boolean {
    if (!selector) return false;
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of selector.matchExpressions ?? []) {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        const value = labels[e.key];
        switch (e.operator) {
            case "In": if (!has || !(e.values ?? []).includes(value)) return false; break;
            case "NotIn": if (has && (e.values ?? []).includes(value)) return false; break;
            case "Exists": if (!has) return false; break;
            case "DoesNotExist": if (has) return false; break;
            default: return false;
        }
    }
    return true;
}

/** An int-or-percent against a total, rounded as the disruption controller does (up). */
export function scaled(value: number | string | undefined, total: number): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "number") return value;
    const pct = /^(\d+)%$/.exec(value);
    if (pct) return Math.ceil((Number(pct[1]) / 100) * total);
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
}

export class KubeIndex {
    readonly objects: StackResource[];
    readonly workloads: StackResource[];
    private readonly byKind = new Map<string, StackResource[]>();

    constructor(resources: StackResource[]) {
        this.objects = resources.filter((r) => this.isObject(r));
        for (const r of this.objects) {
            const kind = String(r.props.kind);
            this.byKind.set(kind, [...(this.byKind.get(kind) ?? []), r]);
        }
        this.workloads = WORKLOAD_KINDS.flatMap((k) => this.byKind.get(k) ?? []);
    }

    isObject(r: StackResource): boolean {
        return isKubernetesType(r.type) && known(() => typeof r.props?.kind === "string", false);
    }

    ofKind(...kinds: string[]): StackResource[] {
        return kinds.flatMap((k) => this.byKind.get(k) ?? []);
    }

    namespaceOf(obj: KubeObject): string {
        return obj.metadata?.namespace ?? "default";
    }

    /** Human name of an object: `Deployment dev/api`. */
    describe(r: StackResource): string {
        return describeObject(r);
    }

    /** The HPA whose scaleTargetRef names this workload. */
    hpaFor(workload: StackResource): StackResource | undefined {
        const name = workload.props.metadata?.name;
        const ns = this.namespaceOf(workload.props);
        return this.ofKind("HorizontalPodAutoscaler").find((h) =>
            this.namespaceOf(h.props) === ns && h.props.spec?.scaleTargetRef?.name === name
            && (h.props.spec?.scaleTargetRef?.kind ?? workload.props.kind) === workload.props.kind);
    }

    /** The workload an HPA scales, when it is in the same set of resources. */
    targetOf(hpa: StackResource): StackResource | undefined {
        const ref = hpa.props.spec?.scaleTargetRef ?? {};
        const ns = this.namespaceOf(hpa.props);
        return this.ofKind(ref.kind ?? "Deployment").find((w) => w.props.metadata?.name === ref.name && this.namespaceOf(w.props) === ns);
    }

    /** Objects of `kind` in the workload's namespace whose selector selects its pods. */
    selecting(kind: "PodDisruptionBudget" | "NetworkPolicy" | "Service", workload: StackResource): StackResource[] {
        const labels = podLabelsOf(workload.props);
        const ns = this.namespaceOf(workload.props);
        return this.ofKind(kind).filter((o) => {
            if (this.namespaceOf(o.props) !== ns) return false;
            if (kind === "Service") {
                const sel = o.props.spec?.selector;
                return !!sel && Object.keys(sel).length > 0 && selects({ matchLabels: sel }, labels);
            }
            const sel = kind === "NetworkPolicy" ? o.props.spec?.podSelector : o.props.spec?.selector;
            return Object.keys(labels).length > 0 || (kind === "NetworkPolicy" && sel && Object.keys(sel).length === 0)
                ? selects(sel, labels) : false;
        });
    }

    /** The other colour of a blue/green pair: a Deployment labelled `color`, same app, other colour. */
    blueGreenSibling(w: StackResource): StackResource | undefined {
        const colour = w.props.metadata?.labels?.color;
        const app = w.props.metadata?.labels?.["app.kubernetes.io/name"];
        if (!colour || !app) return undefined;
        return this.ofKind("Deployment").find((o) => o !== w && this.namespaceOf(o.props) === this.namespaceOf(w.props)
            && o.props.metadata?.labels?.["app.kubernetes.io/name"] === app && o.props.metadata?.labels?.color && o.props.metadata.labels.color !== colour);
    }

    /** The idle colour of a blue/green pair: the one no HPA scales (held at zero on purpose). */
    isIdleColour(w: StackResource): boolean {
        return !!this.blueGreenSibling(w) && !this.hpaFor(w);
    }

    /** The Namespace object named `name`, when the stack declares it. */
    namespace(name: string): StackResource | undefined {
        return this.ofKind("Namespace").find((n) => n.props.metadata?.name === name);
    }

    serviceAccount(namespace: string, name: string): StackResource | undefined {
        return this.ofKind("ServiceAccount").find((s) => s.props.metadata?.name === name && this.namespaceOf(s.props) === namespace);
    }

    /**
     * Replicas at minimum scale: the HPA minimum if an HPA owns the workload, else spec.replicas
     * (Kubernetes defaults it to 1).
     */
    minReplicas(workload: StackResource): number {
        const hpa = this.hpaFor(workload);
        if (hpa) return hpa.props.spec?.minReplicas ?? 1;
        return workload.props.spec?.replicas ?? 1;
    }
}
