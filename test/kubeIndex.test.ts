/**
 * KubeIndex finds relations through indexes (policies/kubernetes.ts); the reference is the scan it
 * replaced, kept here as it was: every object of the kind, in order, against the same predicate. On
 * generated stacks (several namespaces, selectors by labels, by expressions only, empty or missing, HPAs
 * with and without a target kind, a preview's unknowns anywhere, odd shapes) each lookup, and each rule
 * rewritten around them, must answer exactly as the scan: the same objects in the same order, and the
 * same error where the scan threw one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { guardResource, type Finding, type StackPolicy, type StackResource } from "../policies/framework";
import { describeObject, KubeIndex, podLabelsOf, scaled, SCALABLE_KINDS, selects } from "../policies/kubernetes";
import { eachKnown, known } from "../policies/unknowns";
import { pdbAllowsEviction, pdbWithinHpaMin } from "../policies/rules/availability";
import { ecrLifecyclePolicy } from "../policies/rules/aws";

/** The engine's sentinel for an unknown string (pulumi/pulumi@v3.248.0:sdk/go/common/resource/plugin/rpc.go:61). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

// --- The reference: the scans KubeIndex used to run (git history: policies/kubernetes.ts before the indexes). ---

type SelectingKind = "PodDisruptionBudget" | "NetworkPolicy" | "Service";

class ScanIndex {
    constructor(private readonly kube: KubeIndex) {}
    ofKind = (...kinds: string[]) => this.kube.objects.filter((o) => kinds.includes(String(o.props.kind))).sort((a, b) =>
        kinds.indexOf(String(a.props.kind)) - kinds.indexOf(String(b.props.kind)));
    namespaceOf = (obj: Record<string, any>): string => obj.metadata?.namespace ?? "default";

    hpaFor(workload: StackResource): StackResource | undefined {
        const name = workload.props.metadata?.name;
        const ns = this.namespaceOf(workload.props);
        return this.ofKind("HorizontalPodAutoscaler").find((h) =>
            this.namespaceOf(h.props) === ns && h.props.spec?.scaleTargetRef?.name === name
            && (h.props.spec?.scaleTargetRef?.kind ?? workload.props.kind) === workload.props.kind);
    }

    targetOf(hpa: StackResource): StackResource | undefined {
        const ref = hpa.props.spec?.scaleTargetRef ?? {};
        const ns = this.namespaceOf(hpa.props);
        return this.ofKind(ref.kind ?? "Deployment").find((w) => w.props.metadata?.name === ref.name && this.namespaceOf(w.props) === ns);
    }

    selecting(kind: SelectingKind, workload: StackResource): StackResource[] {
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

    blueGreenSibling(w: StackResource): StackResource | undefined {
        const colour = w.props.metadata?.labels?.color;
        const app = w.props.metadata?.labels?.["app.kubernetes.io/name"];
        if (!colour || !app) return undefined;
        return this.ofKind("Deployment").find((o) => o !== w && this.namespaceOf(o.props) === this.namespaceOf(w.props)
            && o.props.metadata?.labels?.["app.kubernetes.io/name"] === app && o.props.metadata?.labels?.color && o.props.metadata.labels.color !== colour);
    }

    isIdleColour = (w: StackResource) => !!this.blueGreenSibling(w) && !this.hpaFor(w);
    namespace = (name: string) => this.ofKind("Namespace").find((n) => n.props.metadata?.name === name);
    serviceAccount = (namespace: string, name: string) =>
        this.ofKind("ServiceAccount").find((s) => s.props.metadata?.name === name && this.namespaceOf(s.props) === namespace);

    minReplicas(workload: StackResource): number {
        const hpa = this.hpaFor(workload);
        if (hpa) return hpa.props.spec?.minReplicas ?? 1;
        return workload.props.spec?.replicas ?? 1;
    }
}

/** The rules as they were: every PDB against every scalable workload, every repository against every lifecycle policy. */
const report = (r: StackResource, problem: string) => ({ resource: r, message: `${describeObject(r)}: ${problem}` });
const referenceRules: Record<string, (resources: StackResource[], kube: ScanIndex) => Finding[]> = {
    "pdb-allows-eviction": (_, kube) => eachKnown(kube.ofKind("PodDisruptionBudget"), (pdb) => {
        const { minAvailable, maxUnavailable } = pdb.props.spec ?? {};
        if (maxUnavailable !== undefined && scaled(maxUnavailable, 100) === 0) return [report(pdb, `maxUnavailable ${maxUnavailable} allows no eviction`)];
        if (minAvailable === "100%") return [report(pdb, "minAvailable 100% allows no eviction")];
        return eachKnown(kube.ofKind(...SCALABLE_KINDS), (w) => {
            if (!kube.selecting("PodDisruptionBudget", w).includes(pdb)) return [];
            const min = kube.minReplicas(w);
            const allowed = maxUnavailable !== undefined ? scaled(maxUnavailable, min)! : minAvailable !== undefined ? min - scaled(minAvailable, min)! : 1;
            return allowed < 1 ? [report(pdb, `allows no eviction when ${describeObject(w)} runs its minimum of ${min}`)] : [];
        });
    }),
    "pdb-within-hpa-min": (_, kube) => eachKnown(kube.ofKind("PodDisruptionBudget"), (pdb) => {
        const minAvailable = pdb.props.spec?.minAvailable;
        if (minAvailable === undefined) return [];
        return eachKnown(kube.ofKind(...SCALABLE_KINDS), (w) => {
            const hpa = kube.hpaFor(w);
            if (!hpa || hpa.props.spec?.minReplicas === undefined || !kube.selecting("PodDisruptionBudget", w).includes(pdb)) return [];
            const min = hpa.props.spec.minReplicas;
            const required = scaled(minAvailable, min)!;
            return required > min ? [report(pdb, `minAvailable ${minAvailable} (${required}) exceeds the minReplicas ${min} of HPA ${hpa.props.metadata?.name}`)] : [];
        });
    }),
    "ecr-lifecycle-policy": (resources) => {
        const policies = resources.filter((r) => r.type === "aws:ecr/lifecyclePolicy:LifecyclePolicy");
        return eachKnown(resources.filter((r) => r.type === "aws:ecr/repository:Repository"), (r) =>
            policies.some((p) => [String(r.props.name), r.urn].includes(String(p.props.repository)))
                ? [] : [{ resource: r, message: `${r.type.split(":").pop()} ${r.name}: has no lifecycle policy` }]);
    },
};
const rules: Record<string, StackPolicy> = { "pdb-allows-eviction": pdbAllowsEviction, "pdb-within-hpa-min": pdbWithinHpaMin, "ecr-lifecycle-policy": ecrLifecyclePolicy };

// --- Generated stacks. ---

/** mulberry32: a small seeded generator, so a failing seed can be replayed. */
function random(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const API: Record<string, string> = {
    Deployment: "apps/v1", StatefulSet: "apps/v1", ReplicaSet: "apps/v1", DaemonSet: "apps/v1", Pod: "v1", CronJob: "batch/v1",
    HorizontalPodAutoscaler: "autoscaling/v2", PodDisruptionBudget: "policy/v1", NetworkPolicy: "networking.k8s.io/v1",
    Service: "v1", ServiceAccount: "v1", Namespace: "v1", Rollout: "argoproj.io/v1alpha1",
};
const NAMES = ["api", "web", "db", "api-blue", "api-green"];
const NAMESPACES = ["shop", "ops", "default", undefined];
const LABELS: Array<[string, string[]]> = [
    ["app.kubernetes.io/name", ["api", "web", "db"]], ["tier", ["fe", "be"]], ["color", ["blue", "green"]], ["app.kubernetes.io/part-of", ["shop"]],
];

/** The value without the unknowns: a stack as the policy CLI or a plan with known outputs sees it. */
function withoutUnknowns(value: unknown): unknown {
    if (Array.isArray(value)) return value.filter((v) => v !== UNKNOWN).map(withoutUnknowns);
    if (!value || typeof value !== "object") return value;
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== UNKNOWN).map(([k, v]) => [k, withoutUnknowns(v)]));
}

function generator(seed: number, unknowns: boolean) {
    const r = random(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const maybeUnknown = <T>(v: T, p = 0.05): T | string => (r() < p ? UNKNOWN : v);

    const namespace = () => {
        const x = r();
        return x < 0.05 ? UNKNOWN : x < 0.07 ? 5 : pick(NAMESPACES);
    };
    const labels = (): any => {
        const x = r();
        if (x < 0.04) return UNKNOWN;
        if (x < 0.05) return ["odd"];
        if (x < 0.07) return JSON.parse(`{"__proto__": "x", "app.kubernetes.io/name": "api"}`);
        if (x < 0.11) return {};
        const l: Record<string, unknown> = {};
        // Unknown values under some keys (a label from a build output): the index files them per key.
        for (const [k, vs] of LABELS) if (r() < 0.6) l[k] = maybeUnknown(pick(vs), 0.08);
        if (r() < 0.03) l.tier = 5;
        return l;
    };
    const pairs = (n: number) => {
        const m: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
            const [k, vs] = pick(LABELS);
            m[k] = maybeUnknown(pick(vs), 0.04);
        }
        return m;
    };
    const expression = () => {
        const e: Record<string, unknown> = { key: pick(LABELS)[0], operator: pick(["In", "NotIn", "Exists", "DoesNotExist", "Bogus"]) };
        const x = r();
        if (x < 0.7) e.values = [pick(pick(LABELS)[1]), maybeUnknown(pick(pick(LABELS)[1]), 0.1)];
        else if (x < 0.75) e.values = 5;
        return maybeUnknown(e, 0.03);
    };
    const selector = (): any => {
        const x = r();
        if (x < 0.05) return UNKNOWN;
        if (x < 0.1) return undefined;
        if (x < 0.16) return {};
        if (x < 0.18) return "odd";
        const sel: Record<string, unknown> = {};
        const y = r();
        if (y < 0.65) sel.matchLabels = pairs(1 + Math.floor(r() * 3));
        else if (y < 0.7) sel.matchLabels = {};
        else if (y < 0.73) sel.matchLabels = UNKNOWN;
        if (r() < 0.35) sel.matchExpressions = r() < 0.05 ? UNKNOWN : Array.from({ length: 1 + Math.floor(r() * 2) }, expression);
        return sel;
    };
    const serviceSelector = (): any => {
        const x = r();
        return x < 0.05 ? UNKNOWN : x < 0.1 ? undefined : x < 0.15 ? {} : x < 0.17 ? { tier: 5 } : pairs(1 + Math.floor(r() * 2));
    };
    const metadata = (name: unknown = maybeUnknown(pick(NAMES))) => {
        if (r() < 0.03) return UNKNOWN;
        const ns = namespace();
        return { name, ...(ns === undefined ? {} : { namespace: ns }), labels: labels() };
    };

    let n = 0;
    const object = (kind: string, props: Record<string, unknown>): StackResource => {
        const urn = `urn:pulumi:test::gen::${kind}::${n++}`;
        return { type: `kubernetes:${API[kind].includes("/") ? API[kind] : `core/${API[kind]}`}:${kind}`, urn, name: `o${n}`, props: { apiVersion: API[kind], kind, ...props } };
    };
    const workload = (kind: string) => {
        const meta: any = metadata();
        const pod = { metadata: { labels: r() < 0.5 && typeof meta === "object" ? meta.labels : labels() }, spec: { containers: [] } };
        const spec: Record<string, unknown> = { replicas: pick([undefined, 0, 1, 2, 3, UNKNOWN]) };
        if (kind === "Pod") return object(kind, { metadata: meta, spec: {} });
        if (kind === "CronJob") return object(kind, { metadata: meta, spec: { jobTemplate: { spec: { template: pod } } } });
        return object(kind, { metadata: meta, spec: maybeUnknown({ ...spec, template: pod }, 0.03) });
    };
    const hpa = () => {
        const ref = r() < 0.05 ? UNKNOWN : r() < 0.05 ? undefined
            : { name: maybeUnknown(pick(NAMES)), ...(r() < 0.6 ? { kind: pick(["Deployment", "StatefulSet", "ReplicaSet", "DaemonSet", UNKNOWN, 5]) } : {}) };
        return object("HorizontalPodAutoscaler", { metadata: metadata(), spec: { scaleTargetRef: ref, minReplicas: pick([undefined, 1, 2, 3, UNKNOWN]), maxReplicas: 4 } });
    };
    const pdb = () => object("PodDisruptionBudget", {
        metadata: metadata(),
        spec: maybeUnknown({ selector: selector(), minAvailable: pick([undefined, 1, 2, 3, "50%", "100%", UNKNOWN]), maxUnavailable: pick([undefined, undefined, 0, 1, "0%", "25%"]) }, 0.03),
    });
    const networkPolicy = () => object("NetworkPolicy", { metadata: metadata(), spec: maybeUnknown({ podSelector: selector() }, 0.03) });
    const service = () => object("Service", { metadata: metadata(), spec: { selector: serviceSelector() } });
    const serviceAccount = () => object("ServiceAccount", { metadata: metadata(maybeUnknown(pick(["default", "api", "web", undefined]))) });
    const ns = () => object("Namespace", { metadata: { name: maybeUnknown(pick(["shop", "ops", "default", 7])), labels: labels() } });
    const aws = (type: string, props: Record<string, unknown>): StackResource => ({ type, urn: `urn:pulumi:test::gen::${type}::${n++}`, name: `a${n}`, props });

    return (count: number): StackResource[] => {
        const makers = [
            ...Array(6).fill(() => workload("Deployment")), () => workload("StatefulSet"), () => workload("ReplicaSet"),
            () => workload(pick(["DaemonSet", "Pod", "CronJob", "Rollout"])), hpa, hpa, pdb, pdb, networkPolicy, service, serviceAccount, ns,
        ];
        const resources = Array.from({ length: count }, () => pick(makers)());
        const repositories = Array.from({ length: 1 + Math.floor(r() * 4) }, () =>
            aws("aws:ecr/repository:Repository", { name: maybeUnknown(pick(["api", "web", "db"]), 0.1) }));
        const lifecycle = Array.from({ length: Math.floor(r() * 7) }, () =>
            aws("aws:ecr/lifecyclePolicy:LifecyclePolicy", { repository: r() < 0.3 ? pick(repositories).urn : maybeUnknown(pick(["api", "web", "other"]), 0.25) }));
        const all = [...resources, ...repositories, ...lifecycle];
        // Scan order matters (the first match, the first unknown met): shuffle.
        for (let i = all.length - 1; i > 0; i--) {
            const j = Math.floor(r() * (i + 1));
            [all[i], all[j]] = [all[j], all[i]];
        }
        return all.map((o) => guardResource(unknowns ? o : { ...o, props: withoutUnknowns(o.props) as Record<string, any> }));
    };
}

// --- Comparison. ---

/** A lookup's answer in comparable terms: objects by URN, or the error it threw. */
function outcome(read: () => unknown): unknown {
    const plain = (v: unknown): unknown => (Array.isArray(v) ? v.map(plain) : v && typeof v === "object" && "urn" in v ? (v as StackResource).urn : v);
    try {
        return { value: plain(read()) };
    } catch (err) {
        return { threw: `${(err as Error).name}: ${(err as Error).message}` };
    }
}

/** Stacks of a preview (unknowns here and there) and stacks without unknowns, the same seeds. */
const STACKS = Array.from({ length: 40 }, (_, i) => i + 1).flatMap((seed) => [true, false].map((unknowns) => ({
    seed: `${seed}${unknowns ? " (preview)" : ""}`,
    resources: () => generator(seed, unknowns)(120),
})));

/** Every lookup of the index against the scan, on every object it can be asked about; `seen` counts what the stacks exercised. */
function compareLookups(resources: StackResource[], seen: Map<string, number>) {
    const kube = new KubeIndex(resources);
    const scan = new ScanIndex(kube);
    const count = (what: string, o: unknown) => {
        const key = typeof o === "object" && o && "threw" in o ? `${what}: threw`
            : JSON.stringify((o as { value: unknown }).value ?? null) === "[]" || (o as { value: unknown }).value === undefined ? `${what}: none` : `${what}: found`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
    };
    const same = (what: string, a: () => unknown, b: () => unknown) => {
        const got = outcome(a);
        assert.deepEqual(got, outcome(b), what);
        count(what.split(" ")[0], got);
    };
    for (const o of kube.objects) {
        same(`hpaFor ${o.urn}`, () => kube.hpaFor(o), () => scan.hpaFor(o));
        // Pod labels a mapping with some values unknown (or not strings): the per-key buckets answer, not a scan.
        const partly = known(() => {
            const labels = podLabelsOf(o.props);
            const keys = Object.keys(labels);
            const plain = keys.filter((k) => known(() => typeof labels[k] === "string", false));
            return typeof labels === "object" && !Array.isArray(labels) && plain.length > 0 && plain.length < keys.length;
        }, false);
        for (const kind of ["PodDisruptionBudget", "NetworkPolicy", "Service"] as const) {
            same(`selecting(${kind}) ${o.urn}`, () => kube.selecting(kind, o), () => scan.selecting(kind, o));
            if (partly) count(`selecting(${kind})-partly-unknown-labels`, outcome(() => kube.selecting(kind, o)));
            // Asked again: the memo answers the same.
            same(`selecting(${kind}) ${o.urn} again`, () => kube.selecting(kind, o), () => scan.selecting(kind, o));
        }
        same(`blueGreenSibling ${o.urn}`, () => kube.blueGreenSibling(o), () => scan.blueGreenSibling(o));
        same(`isIdleColour ${o.urn}`, () => kube.isIdleColour(o), () => scan.isIdleColour(o));
        same(`minReplicas ${o.urn}`, () => kube.minReplicas(o), () => scan.minReplicas(o));
    }
    for (const h of kube.ofKind("HorizontalPodAutoscaler")) same(`targetOf ${h.urn}`, () => kube.targetOf(h), () => scan.targetOf(h));
    const names: any[] = ["shop", "ops", "default", "api", "web", "db", undefined, 7];
    for (const name of names) {
        same(`namespace ${name}`, () => kube.namespace(name), () => scan.namespace(name));
        for (const ns of ["shop", "ops", "default", undefined, 5] as any[]) {
            same(`serviceAccount ${ns}/${name}`, () => kube.serviceAccount(ns, name), () => scan.serviceAccount(ns, name));
        }
    }
}

test("every lookup answers as the scan it replaced: the same objects in the same order, the same error where it threw", () => {
    const seen = new Map<string, number>();
    for (const { seed, resources: generate } of STACKS) {
        const resources = generate();
        try {
            compareLookups(resources, seen);
        } catch (err) {
            (err as Error).message = `seed ${seed}: ${(err as Error).message}`;
            throw err;
        }
    }
    // Not vacuous: each lookup found something, found nothing, and (a preview's unknowns) threw, somewhere.
    for (const what of ["hpaFor", "selecting(PodDisruptionBudget)", "selecting(NetworkPolicy)", "selecting(Service)", "blueGreenSibling", "targetOf", "namespace", "serviceAccount",
        "selecting(PodDisruptionBudget)-partly-unknown-labels", "selecting(NetworkPolicy)-partly-unknown-labels", "selecting(Service)-partly-unknown-labels"]) {
        for (const result of ["found", "none", "threw"]) assert.ok((seen.get(`${what}: ${result}`) ?? 0) > 0, `${what}: ${result} never happened`);
    }
});

test("the rules that related every object with every other give the scan's verdicts, in its order", () => {
    const spoke = new Map<string, number>();
    for (const { seed, resources: generate } of STACKS) {
        const resources = generate();
        for (const name of Object.keys(referenceRules)) {
            const findings = (fs: Finding[]) => fs.map((f) => [f.resource?.urn, f.message]);
            const got = outcome(() => findings(rules[name].check({ resources, kube: new KubeIndex(resources), config: {} })));
            assert.deepEqual(got, outcome(() => findings(referenceRules[name](resources, new ScanIndex(new KubeIndex(resources))))), `seed ${seed}: ${name}`);
            spoke.set(name, (spoke.get(name) ?? 0) + ((got as { value?: unknown[] }).value?.length ?? 0));
        }
    }
    for (const name of Object.keys(referenceRules)) assert.ok((spoke.get(name) ?? 0) > 0, `${name} never flagged anything`);
});

test("selectors are found by any one label they require: a label every selector shares does not gather them all", () => {
    // Each PDB requires the shared part-of label first; only its own app label tells them apart.
    const pdbs = Array.from({ length: 50 }, (_, i): StackResource => ({
        type: "kubernetes:policy/v1:PodDisruptionBudget", urn: `pdb${i}`, name: `pdb${i}`,
        props: { kind: "PodDisruptionBudget", metadata: { name: `pdb${i}`, namespace: "shop" },
            spec: { selector: { matchLabels: { "app.kubernetes.io/part-of": "shop", "app.kubernetes.io/name": `svc${i}` } } } },
    }));
    const workload = (name: string): StackResource => ({
        type: "kubernetes:apps/v1:Deployment", urn: name, name,
        props: { kind: "Deployment", metadata: { name, namespace: "shop" },
            spec: { template: { metadata: { labels: { "app.kubernetes.io/part-of": "shop", "app.kubernetes.io/name": name } } } } },
    });
    const [w, other] = [workload("svc7"), workload("svc3")];
    const judged: StackResource[] = [];
    // A guarded view records which selectors were read: only the one filed under svc7.
    const counting = pdbs.map((p) => ({ ...p, props: new Proxy(p.props, { get: (t, k) => (k === "spec" && judged.push(p), Reflect.get(t, k)) }) }));
    const kube = new KubeIndex([w, other, ...counting]);
    assert.deepEqual(kube.selecting("PodDisruptionBudget", other).map((p) => p.urn), ["pdb3"]);
    // The index is built: from now on each query reads its candidates only.
    judged.length = 0;
    assert.deepEqual(kube.selecting("PodDisruptionBudget", w).map((p) => p.urn), ["pdb7"]);
    assert.deepEqual(judged.map((p) => p.urn), ["pdb7"]);
    assert.equal(known(() => kube.selecting("PodDisruptionBudget", w).length, 0), 1);
});

test("a workload with an unknown label value: the selectors that may read that key are asked, as the scan does", () => {
    const object = (kind: string, api: string, name: string, spec: Record<string, unknown>): StackResource => guardResource({
        type: `kubernetes:${api}:${kind}`, urn: name, name, props: { kind, metadata: { name, namespace: "shop" }, spec } });
    const w = object("Deployment", "apps/v1", "w", { template: { metadata: { labels: { tier: UNKNOWN, app: "web" } } } });
    const known2 = object("Deployment", "apps/v1", "k", { template: { metadata: { labels: { tier: "fe", app: "web" } } } });
    // Filed under app=api (w has app=web): the scan reads tier first, and throws on w's unknown tier.
    const readsTier = object("NetworkPolicy", "networking.k8s.io/v1", "reads-tier", { podSelector: { matchLabels: { tier: "fe", app: "api" } } });
    // Its keys cannot all be listed (matchExpressions unknown): a candidate for any unknown value.
    const unlisted = object("NetworkPolicy", "networking.k8s.io/v1", "unlisted", { podSelector: { matchLabels: { tier: "be", app: "db" }, matchExpressions: UNKNOWN } });
    // Reads only app, known on w: false, asked or not.
    const readsApp = object("NetworkPolicy", "networking.k8s.io/v1", "reads-app", { podSelector: { matchLabels: { app: "api" } } });
    for (const policies of [[readsTier], [unlisted], [readsApp], [readsApp, readsTier]]) {
        const kube = new KubeIndex([w, known2, ...policies]);
        const scan = new ScanIndex(kube);
        for (const o of [w, known2]) {
            assert.deepEqual(outcome(() => kube.selecting("NetworkPolicy", o)), outcome(() => scan.selecting("NetworkPolicy", o)), `${o.name} against ${policies.map((p) => p.name)}`);
        }
        // Not vacuous: the unknown tier makes the answer unknown unless only reads-app is there.
        assert.equal("threw" in (outcome(() => kube.selecting("NetworkPolicy", w)) as object), policies.some((p) => p !== readsApp));
    }
});
