/**
 * Reading Kubernetes objects the way the API server would: pod templates of every workload kind,
 * containers (init, sidecar, app), label selectors, and the relations policies need (which HPA scales
 * a workload, which PDBs and NetworkPolicies select its pods, which ServiceAccount it runs as).
 */
import type { Finding, StackResource } from "./framework";
import { known, knownItems, UnknownValue } from "./unknowns";

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

/**
 * The pod's containers; in a preview, the known ones (an init container whose restartPolicy is unknown counts
 * as a plain init container: no probes asked). An entry that is not a mapping is no container (the API server
 * rejects it): left out, so that no rule trips over it.
 */
export function containersOf(spec: Record<string, any> | undefined): ContainerRef[] {
    if (!spec) return [];
    const isContainer = (c: unknown) => typeof c === "object" && c !== null && !Array.isArray(c);
    const init = knownItems<any>(() => spec.initContainers).filter(isContainer)
        .map((c): ContainerRef => ({ container: c, role: known(() => c?.restartPolicy === "Always", false) ? "sidecar" : "init" }));
    const app = knownItems<any>(() => spec.containers).filter(isContainer).map((c): ContainerRef => ({ container: c, role: "app" }));
    return [...init, ...app];
}

/** Human name of an object: `Deployment dev/api` (the resource's name when the object's is unknown). */
export function describeObject(r: StackResource): string {
    const name = known(() => r.props.metadata?.name, undefined) ?? r.name;
    const namespace = known(() => r.props.metadata?.namespace ?? "default", "?");
    return `${r.props.kind} ${namespace}/${name}`;
}

/** A finding about one object: `Kind namespace/name: problem`, as every Kubernetes rule words it. */
export const objectFinding = (r: StackResource, problem: string): Finding => ({ resource: r, message: `${describeObject(r)}: ${problem}` });

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

/**
 * Label syntax as the API server validates it (kubernetes/apimachinery@v0.36.3:pkg/api/validate/content/kube.go,
 * IsLabelKey and IsLabelValue): a value is empty or at most 63 alphanumerics, `-`, `_`, `.`, starting and
 * ending alphanumeric; a key is such a name, optionally after a DNS-subdomain prefix and `/`.
 */
const LABEL_NAME = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why a label value is rejected, else undefined. */
export function labelValueProblem(value: unknown): string | undefined {
    if (typeof value !== "string") return `is ${JSON.stringify(value) ?? String(value)}, not a string (quote it)`;
    if (value.length > 63) return `is ${value.length} characters long (at most 63)`;
    return LABEL_NAME.test(value) ? undefined : "must be empty or alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
}

/** Why a label key is rejected, else undefined. */
export function labelKeyProblem(key: string): string | undefined {
    const parts = key.split("/");
    if (parts.length > 2) return "has more than one '/'";
    const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
    if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) return `has prefix "${prefix}", not a DNS subdomain`;
    if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) return `has name "${name}": 1 to 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
    return undefined;
}

/**
 * Why a label selector cannot be evaluated, as LabelSelectorAsSelector and labels.NewRequirement reject it
 * (kubernetes/apimachinery@v0.36.3:pkg/apis/meta/v1/helpers.go, pkg/labels/selector.go), else undefined.
 */
export function selectorProblem(selector: unknown): string | undefined {
    if (typeof selector !== "object" || selector === null || Array.isArray(selector)) return "is not a mapping";
    const { matchLabels = {}, matchExpressions = [] } = selector as Record<string, any>;
    if (matchLabels !== null && (typeof matchLabels !== "object" || Array.isArray(matchLabels))) return "matchLabels is not a mapping";
    if (matchExpressions !== null && !Array.isArray(matchExpressions)) return "matchExpressions is not a list";
    for (const [k, v] of Object.entries(matchLabels ?? {})) {
        const problem = labelKeyProblem(k) ?? (labelValueProblem(v) && `value ${labelValueProblem(v)}`);
        if (problem) return `matchLabels ${k} ${problem}`;
    }
    for (const e of matchExpressions ?? []) {
        const values = Array.isArray(e?.values) ? e.values : [];
        switch (e?.operator) {
            case "In": case "NotIn":
                if (values.length === 0) return `expression on ${e.key}: ${e.operator} needs at least one value`;
                break;
            case "Exists": case "DoesNotExist":
                if (values.length > 0) return `expression on ${e.key}: ${e.operator} takes no values`;
                break;
            default:
                return `expression on ${e?.key}: operator ${JSON.stringify(e?.operator)} is not In, NotIn, Exists or DoesNotExist`;
        }
    }
    return undefined;
}

/** An object and its place in its kind's list: candidates are judged in the order a scan would meet them. */
interface Entry {
    r: StackResource;
    at: number;
}

/**
 * Where an object goes in a `Lookup`: under a key, under the rarest of several keys (each alone tells a
 * query that cannot match), under every one of several keys (`{ every }`), nowhere (no query of the
 * lookup can match it), or `UNSURE`.
 */
const UNSURE = Symbol("unsure");
type Placement = string | string[] | { every: string[] } | null | typeof UNSURE;

/** The value `read` returns, or UNSURE when reading throws (an unknown in a preview, or a shape no lookup expects). */
function probe<T>(read: () => T): T | typeof UNSURE {
    try {
        return read();
    } catch {
        return UNSURE;
    }
}

/**
 * The items `matches` accepts, in order. An item whose predicate touches an unknown is left out; if
 * nothing matched, that first UnknownValue is thrown: a match is certain, an absence is not.
 */
function certain(items: readonly StackResource[], matches: (o: StackResource) => boolean, firstOnly = false): StackResource[] {
    const found: StackResource[] = [];
    let unknown: UnknownValue | undefined;
    for (const o of items) {
        try {
            if (matches(o)) {
                found.push(o);
                if (firstOnly) return found;
            }
        } catch (err) {
            if (!(err instanceof UnknownValue)) throw err;
            unknown ??= err;
        }
    }
    if (found.length === 0 && unknown) throw unknown;
    return found;
}

/** Parts of a lookup key; NUL keeps `a`+`b=c` apart from `a=b`+`c` (a collision would only add a candidate). */
const keyOf = (...parts: string[]) => parts.join("\u0000");

/** A plain object (YAML or JSON mapping): no prototype properties that a lookup by key would miss. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
    const proto = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
}

/** The own entries of a mapping whose keys and values are all strings (labels, matchLabels), else undefined. */
function stringEntries(value: unknown): [string, string][] | undefined {
    if (!isPlainObject(value)) return undefined;
    const entries = Object.entries(value);
    if (Object.getOwnPropertyNames(value).length !== entries.length) return undefined;
    return entries.every(([, v]) => typeof v === "string") ? (entries as [string, string][]) : undefined;
}

/**
 * Objects filed by a key, to find the few a query could match instead of scanning them all. An object
 * is placed under a key only when what the query's predicate reads of it is known, so that for a query
 * under any other key the predicate is false without throwing; an object that cannot be placed so (an
 * unknown in a preview, an odd shape) is `UNSURE`, a candidate of every query. Queries then run the
 * scan's own predicate over the candidates in scan order: what it returns, and what it throws, is the scan's.
 */
class Lookup {
    private readonly keyed = new Map<string, Entry[]>();
    private readonly unsure: Entry[] = [];

    constructor(items: readonly StackResource[], place: (r: StackResource) => Placement) {
        const placed = items.map(place);
        // Several keys: the one fewest objects share, so that a common label (part-of) does not gather them all.
        const shared = new Map<string, number>();
        for (const p of placed) if (Array.isArray(p)) for (const key of new Set(p)) shared.set(key, (shared.get(key) ?? 0) + 1);
        placed.forEach((p, at) => {
            if (p === null) return;
            if (p === UNSURE) {
                this.unsure.push({ r: items[at], at });
                return;
            }
            const keys = Array.isArray(p) ? [p.reduce((a, b) => (shared.get(b)! < shared.get(a)! ? b : a))] : typeof p === "string" ? [p] : [...new Set(p.every)];
            for (const key of keys) {
                const list = this.keyed.get(key);
                if (list) list.push({ r: items[at], at });
                else this.keyed.set(key, [{ r: items[at], at }]);
            }
        });
    }

    /** The objects filed under any of `keys`, and the unsure ones, in scan order, each once. */
    candidates(keys: Iterable<string>): StackResource[] {
        const lists = this.unsure.length ? [this.unsure] : [];
        for (const key of new Set(keys)) {
            const list = this.keyed.get(key);
            if (list) lists.push(list);
        }
        return merged(lists).map((e) => e.r);
    }
}

/** Lists of entries as one, in scan order, each entry once (an object may be filed under several keys). */
function merged(lists: Entry[][]): Entry[] {
    if (lists.length === 0) return [];
    if (lists.length === 1) return lists[0];
    const all = lists.flat().sort((a, b) => a.at - b.at);
    return all.filter((e, i) => i === 0 || all[i - 1].at !== e.at);
}

/**
 * The own keys of a label mapping, split into the pairs whose value is a known string and the keys whose
 * value is unknown in a preview (or not a string: only the predicate can tell); undefined when the mapping
 * itself is unknown or of an odd shape.
 */
function labelParts(labels: unknown): { pairs: [string, string][]; unsure: string[] } | undefined {
    const plain = probe(() => isPlainObject(labels) && Object.getOwnPropertyNames(labels).length === Object.keys(labels).length);
    if (plain !== true) return undefined;
    const pairs: [string, string][] = [];
    const unsure: string[] = [];
    for (const k of Object.keys(labels as object)) {
        const v = probe(() => (labels as Record<string, unknown>)[k]);
        if (typeof v === "string") pairs.push([k, v]);
        else unsure.push(k);
    }
    return { pairs, unsure };
}

/**
 * The label keys a selector's predicate may read (`selects`: matchLabels keys, then matchExpressions keys;
 * a Service's selector is a plain mapping), or UNSURE when they cannot all be listed.
 */
function keysRead(selector: unknown, service: boolean): string[] | typeof UNSURE {
    const keys = probe(() => {
        if (service) return isPlainObject(selector) ? Object.keys(selector) : undefined;
        if (!isPlainObject(selector)) return undefined;
        const { matchLabels, matchExpressions } = selector as Record<string, any>;
        if (matchLabels !== undefined && matchLabels !== null && !isPlainObject(matchLabels)) return undefined;
        if (matchExpressions !== undefined && matchExpressions !== null && !Array.isArray(matchExpressions)) return undefined;
        const read = Object.keys(matchLabels ?? {});
        for (const e of matchExpressions ?? []) {
            if (typeof e?.key !== "string") return undefined;
            read.push(e.key);
        }
        return read;
    });
    return keys === undefined ? UNSURE : keys;
}

/** The API group of a Pulumi Kubernetes type (`kubernetes:apps/v1:Deployment` -> `apps`; core -> ""). */
function typeGroup(type: string): string {
    const groupVersion = type.split(":")[1] ?? "";
    return groupVersion.startsWith("core/") || !groupVersion.includes("/") ? "" : groupVersion.split("/")[0];
}

/** Groups of Kubernetes' own APIs: none of their kinds but WORKLOAD_KINDS and ReplicationController runs pods. */
const builtInGroup = (group: string) => group === "" || !group.includes(".") || group.endsWith(".k8s.io");

/**
 * Helm releases the provider installs itself: the chart's objects are never resources of the stack. Input
 * `namespace`, "Namespace to install the release into" (@pulumi/kubernetes 4.34.2 helm/v3/release.d.ts);
 * unset or "", the provider's default namespace (pulumi/pulumi-kubernetes@v4.32.0:provider/pkg/provider/helm_release.go
 * setDefaults), taken here as "default". The v4 Chart registers every object it renders as a child resource
 * (same tag, provider/pkg/provider/helm/v4/chart.go: provideryamlv2.Register), as the v3 Chart and the
 * yaml/kustomize components do: those objects are in the stack, so they are not opaque.
 */
export const OPAQUE_PRODUCER_TYPES = ["kubernetes:helm.sh/v3:Release"];

type SelectingKind = "PodDisruptionBudget" | "NetworkPolicy" | "Service";

/** The pod selector of a selecting kind: a NetworkPolicy's `spec.podSelector`, the others' `spec.selector`. */
function selectorOf(kind: SelectingKind, props: any): any {
    return kind === "NetworkPolicy" ? props.spec?.podSelector : props.spec?.selector;
}

/**
 * Relations between a stack's objects, each found through an index built once (on first use), not a scan
 * per object: a stack of n services is judged in about n steps, not n² or n³. Every lookup returns what a
 * scan of the objects in order would, unknowns of a preview included: each keeps the scan's predicate
 * (`matches`), and the scan itself for a query the index cannot key (an unknown name or label); the
 * index only picks the objects worth asking (test/kubeIndex.test.ts holds the scans as the reference).
 */
export class KubeIndex {
    readonly objects: StackResource[];
    readonly workloads: StackResource[];
    /**
     * Objects that run pods, for "does a selector select any pod": the workloads, and any other object with
     * a pod template (spec.template with metadata.labels, and spec.selector) whatever its kind: an Argo
     * Rollout, an OpenKruise CloneSet, a ReplicationController. A custom kind whose spec a preview cannot
     * read yet may be one too.
     */
    readonly podProducers: StackResource[];
    /** Namespaces a Helm release installs into (OPAQUE_PRODUCER_TYPES), and the unknown of one a preview cannot name. */
    private readonly opaque = new Set<string>();
    private opaqueUnknown?: unknown;
    private readonly byKind = new Map<string, StackResource[]>();
    private readonly lookups = new Map<string, Lookup>();
    private readonly selected = new WeakMap<StackResource, Map<SelectingKind, StackResource[]>>();

    constructor(resources: StackResource[]) {
        this.objects = resources.filter((r) => this.isObject(r));
        for (const r of this.objects) {
            const kind = String(r.props.kind);
            const list = this.byKind.get(kind);
            if (list) list.push(r);
            else this.byKind.set(kind, [r]);
        }
        this.workloads = WORKLOAD_KINDS.flatMap((k) => this.byKind.get(k) ?? []);
        const workloadKinds: readonly string[] = WORKLOAD_KINDS;
        this.podProducers = [...this.workloads, ...this.objects.filter((r) => !workloadKinds.includes(String(r.props.kind)) && this.hasPodTemplate(r))];
        for (const r of resources) {
            if (!OPAQUE_PRODUCER_TYPES.includes(r.type)) continue;
            try {
                const ns = r.props?.namespace;
                this.opaque.add(typeof ns === "string" && ns !== "" ? ns : "default");
            } catch (err) {
                this.opaqueUnknown ??= err;
            }
        }
    }

    /**
     * A pod template and a selector. In a preview: a spec unknown as a whole may be one in a custom kind (not
     * in a built-in one: the built-in kinds with pod templates are the workloads and ReplicationController,
     * whose spec is then known); a known spec with its template or selector unknown may be one.
     */
    private hasPodTemplate(r: StackResource): boolean {
        const spec = probe(() => r.props.spec);
        if (spec === UNSURE) return !builtInGroup(typeGroup(r.type));
        const shaped = probe(() => {
            const template = spec?.template;
            return isPlainObject(template) && (template as any).metadata?.labels !== undefined && spec.selector !== undefined && spec.selector !== null;
        });
        return shaped === UNSURE || shaped;
    }

    /**
     * Is what the stack holds of `namespace` possibly not all of it: no object of the stack is in it (its
     * objects are not known here), or a Helm release installs into it (its chart's objects are not stack
     * resources)? A reference into such a namespace whose target is missing is not judged. Throws the
     * UnknownValue of a release whose namespace a preview cannot know yet (it may be this one).
     */
    partial(namespace: string): boolean {
        if (!this.presentNamespaces().has(namespace) || this.opaque.has(namespace)) return true;
        if (this.opaqueUnknown) throw this.opaqueUnknown;
        return false;
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

    /** The lookup `name` over the objects of `kind`, built on first use. */
    private lookup(name: string, kind: string, place: (r: StackResource) => Placement): Lookup {
        const id = keyOf(name, kind);
        let lookup = this.lookups.get(id);
        if (!lookup) {
            lookup = new Lookup(this.byKind.get(kind) ?? [], place);
            this.lookups.set(id, lookup);
        }
        return lookup;
    }

    /** Objects by (namespace, name): a name that is not a string never equals a queried one. */
    private byName(kind: string): Lookup {
        return this.lookup("name", kind, (r) => {
            const name = probe(() => r.props.metadata?.name);
            if (name === UNSURE) return UNSURE;
            if (typeof name !== "string") return null;
            const ns = probe(() => this.namespaceOf(r.props));
            return typeof ns === "string" ? keyOf(ns, name) : UNSURE;
        });
    }

    /** The HPA whose scaleTargetRef names this workload. */
    hpaFor(workload: StackResource): StackResource | undefined {
        const name = workload.props.metadata?.name;
        const ns = this.namespaceOf(workload.props);
        const matches = (h: StackResource) => this.namespaceOf(h.props) === ns && h.props.spec?.scaleTargetRef?.name === name
            && (h.props.spec?.scaleTargetRef?.kind ?? workload.props.kind) === workload.props.kind;
        if (typeof name !== "string" || typeof ns !== "string") return this.ofKind("HorizontalPodAutoscaler").find(matches);
        // Filed by the namespace and name they target; the kind (defaulting to the workload's) is the predicate's.
        const lookup = this.lookup("target", "HorizontalPodAutoscaler", (h) => {
            const hns = probe(() => this.namespaceOf(h.props));
            if (hns === UNSURE) return UNSURE;
            if (typeof hns !== "string") return null;
            const target = probe(() => h.props.spec?.scaleTargetRef?.name);
            return target === UNSURE ? UNSURE : typeof target === "string" ? keyOf(hns, target) : null;
        });
        return lookup.candidates([keyOf(ns, name)]).find(matches);
    }

    /** The workload an HPA scales, when it is in the same set of resources. */
    targetOf(hpa: StackResource): StackResource | undefined {
        const ref = hpa.props.spec?.scaleTargetRef ?? {};
        const ns = this.namespaceOf(hpa.props);
        const kind = ref.kind ?? "Deployment";
        const matches = (w: StackResource) => w.props.metadata?.name === ref.name && this.namespaceOf(w.props) === ns;
        const name = probe(() => ref.name);
        if (typeof kind !== "string" || typeof name !== "string" || typeof ns !== "string") return this.ofKind(kind).find(matches);
        return this.byName(kind).candidates([keyOf(ns, name)]).find(matches);
    }

    /** Objects of `kind` in the workload's namespace whose selector selects its pods. */
    selecting(kind: SelectingKind, workload: StackResource): StackResource[] {
        let memo = this.selected.get(workload);
        const done = memo?.get(kind);
        if (done) return [...done];
        const found = this.selectingNow(kind, workload);
        if (!memo) this.selected.set(workload, (memo = new Map()));
        memo.set(kind, found);
        return [...found];
    }

    private selectingNow(kind: SelectingKind, workload: StackResource): StackResource[] {
        const labels = podLabelsOf(workload.props);
        const ns = this.namespaceOf(workload.props);
        const matches = (o: StackResource) => {
            if (this.namespaceOf(o.props) !== ns) return false;
            if (kind === "Service") {
                const sel = o.props.spec?.selector;
                return !!sel && Object.keys(sel).length > 0 && selects({ matchLabels: sel }, labels);
            }
            const sel = selectorOf(kind, o.props);
            return Object.keys(labels).length > 0 || (kind === "NetworkPolicy" && sel && Object.keys(sel).length === 0)
                ? selects(sel, labels) : false;
        };
        // Labels a lookup can key: a plain mapping (else the scan, which throws where it did). A key whose value
        // is unknown (or not a string) adds the selectors that read that key: for them only the predicate can tell.
        const parts = typeof ns === "string" ? labelParts(labels) : undefined;
        if (parts === undefined) return this.ofKind(kind).filter(matches);
        const candidates = this.selectorLookup(kind).candidates([ns, ...parts.pairs.map(([k, v]) => keyOf(ns, k, v))]);
        if (parts.unsure.length === 0) return candidates.filter(matches);
        const readers = this.selectorReaders(kind).candidates([keyOf(ns, "*"), ...parts.unsure.map((k) => keyOf(ns, k))]);
        return merged([candidates, readers].map((list) => list.map((r) => ({ r, at: this.placeOf(kind, r) })))).map((e) => e.r).filter(matches);
    }

    /** Position of an object in its kind's list (scan order), for merging candidate lists. */
    private placeOf(kind: string, r: StackResource): number {
        let places = this.places.get(kind);
        if (!places) {
            places = new Map((this.byKind.get(kind) ?? []).map((o, i) => [o, i]));
            this.places.set(kind, places);
        }
        return places.get(r)!;
    }
    private readonly places = new Map<string, Map<StackResource, number>>();

    /**
     * Selectors filed by their namespace and every label key their predicate reads (by the namespace and `*`
     * when those cannot be listed): a selector filed under one matchLabels pair may still read, before it
     * fails on that pair, a key whose value is unknown, and then the scan throws.
     */
    private selectorReaders(kind: SelectingKind): Lookup {
        return this.lookup("reads", kind, (o) => {
            const ns = probe(() => this.namespaceOf(o.props));
            if (ns === UNSURE) return UNSURE;
            if (typeof ns !== "string") return null;
            const sel = probe(() => selectorOf(kind, o.props));
            if (sel === undefined || sel === null) return null;
            const keys = sel === UNSURE ? UNSURE : keysRead(sel, kind === "Service");
            return { every: keys === UNSURE ? [keyOf(ns, "*")] : keys.map((k) => keyOf(ns, k)) };
        });
    }

    /**
     * Selectors filed by their namespace and one matchLabels pair (the labels of the pods they select
     * have every pair, and `selects` returns false at the first one missing, before reading further), or
     * by their namespace alone when only the predicate can tell (matchExpressions only, empty, or an odd
     * shape); left out when they select nothing.
     */
    private selectorLookup(kind: SelectingKind): Lookup {
        return this.lookup("selector", kind, (o) => {
            const ns = probe(() => this.namespaceOf(o.props));
            if (ns === UNSURE) return UNSURE;
            if (typeof ns !== "string") return null;
            const sel = probe(() => selectorOf(kind, o.props));
            if (sel === UNSURE) return ns;
            if (sel === undefined || sel === null) return null;
            if (kind === "Service") {
                const pairs = probe(() => stringEntries(sel));
                if (pairs === UNSURE || pairs === undefined) return ns;
                return pairs.length === 0 ? null : pairs.map(([k, v]) => keyOf(ns, k, v));
            }
            if (!isPlainObject(sel)) return ns;
            const pairs = probe(() => stringEntries(sel.matchLabels));
            return pairs === UNSURE || pairs === undefined || pairs.length === 0 ? ns : pairs.map(([k, v]) => keyOf(ns, k, v));
        });
    }

    /** The other colour of a blue/green pair: a Deployment labelled `color`, same app, other colour. */
    blueGreenSibling(w: StackResource): StackResource | undefined {
        const colour = w.props.metadata?.labels?.color;
        const app = w.props.metadata?.labels?.["app.kubernetes.io/name"];
        if (!colour || !app) return undefined;
        const matches = (o: StackResource) => o !== w && this.namespaceOf(o.props) === this.namespaceOf(w.props)
            && o.props.metadata?.labels?.["app.kubernetes.io/name"] === app && o.props.metadata?.labels?.color && o.props.metadata.labels.color !== colour;
        const ns = probe(() => this.namespaceOf(w.props));
        if (typeof app !== "string" || typeof ns !== "string") return this.ofKind("Deployment").find(matches);
        // Deployments filed by namespace and app label; one whose app label is not a string is no one's sibling.
        const lookup = this.lookup("app", "Deployment", (o) => {
            const ons = probe(() => this.namespaceOf(o.props));
            if (ons === UNSURE) return UNSURE;
            if (typeof ons !== "string") return null;
            const oapp = probe(() => o.props.metadata?.labels?.["app.kubernetes.io/name"]);
            return oapp === UNSURE ? UNSURE : typeof oapp === "string" ? keyOf(ons, oapp) : null;
        });
        return lookup.candidates([keyOf(ns, app)]).find(matches);
    }

    /** The idle colour of a blue/green pair: the one no HPA scales (held at zero on purpose). */
    isIdleColour(w: StackResource): boolean {
        return !!this.blueGreenSibling(w) && !this.hpaFor(w);
    }

    /** The Namespace object named `name`, when the stack declares it. */
    namespace(name: string): StackResource | undefined {
        const matches = (n: StackResource) => n.props.metadata?.name === name;
        if (typeof name !== "string") return this.ofKind("Namespace").find(matches);
        const lookup = this.lookup("namespace", "Namespace", (n) => {
            const own = probe(() => n.props.metadata?.name);
            return own === UNSURE ? UNSURE : typeof own === "string" ? own : null;
        });
        return lookup.candidates([name]).find(matches);
    }

    serviceAccount(namespace: string, name: string): StackResource | undefined {
        const matches = (s: StackResource) => s.props.metadata?.name === name && this.namespaceOf(s.props) === namespace;
        if (typeof namespace !== "string" || typeof name !== "string") return this.ofKind("ServiceAccount").find(matches);
        return this.byName("ServiceAccount").candidates([keyOf(namespace, name)]).find(matches);
    }

    /**
     * The objects of `kind` named `name` in `namespace`. What is found is certain; when nothing is but an
     * object whose name or namespace a preview cannot know might be it, throws that UnknownValue (the
     * caller skips what asked).
     */
    named(kind: string, namespace: string, name: string): StackResource[] {
        // The namespace first: an object whose name is unknown but whose namespace is another is not a candidate.
        const matches = (o: StackResource) => this.namespaceOf(o.props) === namespace && o.props.metadata?.name === name;
        return certain(this.byName(kind).candidates([keyOf(namespace, name)]), matches);
    }

    /** Namespaces that hold any object of the stack, or are declared by a Namespace object (known ones only). */
    presentNamespaces(): ReadonlySet<string> {
        if (!this.namespaces) {
            const present = new Set<string>();
            for (const o of this.objects) {
                const ns = probe(() => (o.props.kind === "Namespace" ? o.props.metadata?.name : o.props.metadata?.namespace));
                if (typeof ns === "string") present.add(ns);
            }
            this.namespaces = present;
        }
        return this.namespaces;
    }
    private namespaces?: Set<string>;

    /**
     * Does `selector` (`{matchLabels, matchExpressions}`; `{}` selects all) select the pods of any pod
     * producer (`podProducers`) in `namespace`? Producers are filed by namespace, label key and label pair,
     * so a query reads the fewest a selector term allows, plus those whose labels the predicate cannot
     * judge: an unknown value under a key the selector reads, or a labels mapping unknown as a whole. A
     * match found is certain; when none is but a producer whose namespace or labels a preview cannot know
     * might match, throws that UnknownValue.
     */
    selectsAnyPod(namespace: string, selector: Record<string, any>): boolean {
        const index = this.podIndex();
        const list = (...parts: string[]) => index.keyed.get(keyOf(namespace, ...parts)) ?? [];
        // The smallest candidate set any one term of the selector allows (each term must hold for a match).
        let candidates = list();
        const consider = (c: Entry[]) => {
            if (c.length < candidates.length) candidates = c;
        };
        for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (typeof v === "string") consider(list("=", k, v));
        for (const e of selector.matchExpressions ?? []) {
            if (e?.operator === "Exists") consider(list("?", e.key));
            if (e?.operator === "In" && Array.isArray(e.values)) consider(merged(e.values.flatMap((v: unknown) => (typeof v === "string" ? [list("=", e.key, v)] : []))));
        }
        // `selects` reads labels[key] for every matchLabels key and expression key (a key that is not a string, as a string).
        const read = new Set<string>([...Object.keys(selector.matchLabels ?? {}), ...(selector.matchExpressions ?? []).map((e: any) => String(e?.key))]);
        const unsure = [index.unsure, list("*"), ...[...read].map((k) => list("~", k))];
        const matches = (w: StackResource) => this.namespaceOf(w.props) === namespace && selects(selector, podLabelsOf(w.props));
        return certain(merged([candidates, ...unsure.filter((l) => l.length > 0)]).map((e) => e.r), matches, true).length > 0;
    }

    private pods?: { keyed: Map<string, Entry[]>; unsure: Entry[] };

    /**
     * Pod producers by (namespace), (namespace, `?`, key), (namespace, `=`, key, value) for the known pairs; a key whose value
     * is unknown (or not a string) under (namespace, `~`, key) instead of a pair; labels unknown as a whole
     * (or of an odd shape) under (namespace, `*`); an unknown namespace in `unsure`.
     */
    private podIndex(): { keyed: Map<string, Entry[]>; unsure: Entry[] } {
        if (this.pods) return this.pods;
        const keyed = new Map<string, Entry[]>();
        const unsure: Entry[] = [];
        const file = (key: string, e: Entry) => {
            const list = keyed.get(key);
            if (list) list.push(e);
            else keyed.set(key, [e]);
        };
        this.podProducers.forEach((r, at) => {
            const e = { r, at };
            const ns = probe(() => this.namespaceOf(r.props));
            if (ns === UNSURE) return void unsure.push(e);
            if (typeof ns !== "string") return; // a namespace that is not a string is no queried one
            file(keyOf(ns), e);
            const labels = probe(() => podLabelsOf(r.props));
            const parts = labels === UNSURE ? undefined : labelParts(labels);
            if (parts === undefined) return file(keyOf(ns, "*"), e);
            for (const [k, v] of parts.pairs) {
                file(keyOf(ns, "?", k), e);
                file(keyOf(ns, "=", k, v), e);
            }
            // A key whose value is unknown: every selector reading it adds this bucket (Exists included).
            for (const k of parts.unsure) file(keyOf(ns, "~", k), e);
        });
        return (this.pods = { keyed, unsure });
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
