/** Policies that keep rollouts, drains and scale events from taking a service down. */
import { eachKnown, known, type ObjectPolicy, type PolicyDefinition, type StackPolicy, type StackResource } from "../framework";
import { containersOf, KubeIndex, objectFinding, kubernetesKinds, podLabelsOf, podSpecOf, scaled, SCALABLE_KINDS, selectorProblem, selects, WORKLOAD_KINDS } from "../kubernetes";
import { ACTIVATION_ANNOTATION } from "../lib/conventions";
import { knownItems } from "../unknowns";

const report = objectFinding;
const DEPLOYMENTS_AND_STATEFULSETS = kubernetesKinds("Deployment", "StatefulSet");
const HPAS = kubernetesKinds("HorizontalPodAutoscaler");

export const zeroDowntimeRollout: StackPolicy = {
    name: "zero-downtime-rollout",
    description: "Deployments roll out without losing capacity: RollingUpdate with maxUnavailable 0 and minReadySeconds > 0 (or a blue/green pair).",
    severity: "high",
    remediation: "strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 25%}} and minReadySeconds: 10.",
    why: "Recreate and the default 25% maxUnavailable took serving pods away before their replacements were ready: every deploy was a small outage.",
    tags: ["kube-score:deployment-strategy"],
    check: ({ kube }) => eachKnown(kube.ofKind("Deployment"), (w) => {
        const spec = w.props.spec ?? {};
        const strategy = spec.strategy ?? {};
        if (strategy.type === "Recreate") return kube.blueGreenSibling(w) ? [] : [report(w, "uses the Recreate strategy")];
        const problems: string[] = [];
        const maxUnavailable = strategy.rollingUpdate?.maxUnavailable;
        if (maxUnavailable === undefined) problems.push("leaves maxUnavailable at the default 25%");
        else if (scaled(maxUnavailable, 100) !== 0) problems.push(`allows ${maxUnavailable} unavailable during a rollout`);
        if (!(spec.minReadySeconds > 0)) problems.push("has no minReadySeconds (a pod that crashes right after becoming ready still counts)");
        return problems.length ? [report(w, problems.join("; "))] : [];
    }),
};

/** Seconds a preStop hook holds the pod (sleep action or `sleep N` exec), undefined when unknown. */
function preStopSeconds(lifecycle: any): number | undefined {
    const preStop = lifecycle?.preStop;
    if (!preStop) return undefined;
    if (preStop.sleep?.seconds !== undefined) return Number(preStop.sleep.seconds);
    const command = (preStop.exec?.command ?? []).join(" ");
    const match = /sleep\s+(\d+)/.exec(command);
    return match ? Number(match[1]) : 0;
}

export const gracefulShutdown: ObjectPolicy = {
    name: "graceful-shutdown",
    description: "Serving containers have a preStop hook, and the pod's grace period is longer than it.",
    severity: "high",
    remediation: "lifecycle.preStop.sleep.seconds: 15 (the load balancer stops routing to the pod meanwhile) and terminationGracePeriodSeconds >= preStop + the app's own drain + margin.",
    why: "Pods killed the moment they were removed from endpoints dropped the requests kube-proxy and the load balancer were still sending.",
    tags: [],
    appliesTo: DEPLOYMENTS_AND_STATEFULSETS,
    checkObject: (w) => {
        const pod = podSpecOf(w.props) ?? {};
        const grace = pod.terminationGracePeriodSeconds ?? 30;
        return containersOf(pod).filter((c) => c.role === "app").flatMap(({ container }) => known(() => {
            const hold = preStopSeconds(container.lifecycle);
            if (hold === undefined) return [report(w, `container "${container.name}" has no preStop hook`)];
            return grace > hold ? [] : [report(w, `grace period ${grace}s is not longer than the ${hold}s preStop of "${container.name}"`)];
        }, []));
    },
};

export const minReplicas: StackPolicy = {
    name: "min-replicas",
    description: "Deployments and StatefulSets run at least 2 replicas, unless an HPA owns the scale (or it is the idle colour of a blue/green pair).",
    severity: "high",
    remediation: "Set replicas: 2 or more, or let an HPA with minReplicas >= 2 own the scale.",
    why: "One replica is one node drain, one OOM or one bad node away from an outage.",
    tags: ["polaris:deploymentMissingReplicas", "kube-score:deployment-replicas", "kyverno:require-deployments-have-multiple-replicas"],
    check: ({ kube }) => eachKnown(kube.ofKind("Deployment", "StatefulSet"), (w) => {
        if (kube.hpaFor(w) || kube.isIdleColour(w)) return [];
        const replicas = w.props.spec?.replicas ?? 1;
        return replicas < 2 ? [report(w, `runs ${replicas} replica${replicas === 1 ? "" : "s"}`)] : [];
    }),
};

export const hpaOwnsReplicas: StackPolicy = {
    name: "hpa-owns-replicas",
    description: "A workload scaled by an HPA does not set spec.replicas (except a blue/green colour whose scale the program holds at the live count).",
    severity: "high",
    remediation: "Remove spec.replicas; the HPA's minReplicas is the floor.",
    why: "Every apply reset the scale to spec.replicas under load (and with server-side apply, conflicts with the HPA's field manager fail the update).",
    tags: ["kube-score:deployment-targeted-by-hpa-does-not-have-replicas-configured"],
    check: ({ kube }) => eachKnown(kube.ofKind(...SCALABLE_KINDS), (w) => {
        if (!kube.hpaFor(w) || w.props.spec?.replicas === undefined) return [];
        if (w.props.metadata?.annotations?.[ACTIVATION_ANNOTATION] === "true") return [];
        return [report(w, `sets replicas: ${w.props.spec.replicas} although HPA ${kube.hpaFor(w)!.props.metadata?.name} owns the scale`)];
    }),
};

export const hpaMinReplicas: ObjectPolicy = {
    name: "hpa-min-replicas",
    description: "HPAs keep at least 2 replicas (minReplicas defaults to 1).",
    severity: "high",
    remediation: "Set minReplicas: 2 or more.",
    why: "Scaled down to one pod at night, the service went with the next node drain.",
    tags: ["polaris:hpaMinAvailability", "kube-score:horizontalpodautoscaler-replicas"],
    appliesTo: HPAS,
    checkObject: (h) => {
        const min = h.props.spec?.minReplicas ?? 1;
        return min < 2 ? [report(h, `minReplicas is ${min}${h.props.spec?.minReplicas === undefined ? " (the default)" : ""}`)] : [];
    },
};

export const hpaMaxAboveMin: ObjectPolicy = {
    name: "hpa-max-above-min",
    description: "HPAs can scale: maxReplicas is above minReplicas.",
    severity: "medium",
    remediation: "Raise maxReplicas above minReplicas, or drop the HPA and set replicas.",
    why: "An HPA pinned at min = max only hides that the service cannot absorb load.",
    tags: ["polaris:hpaMaxAvailability"],
    appliesTo: HPAS,
    checkObject: (h) => {
        const min = h.props.spec?.minReplicas ?? 1;
        const max = h.props.spec?.maxReplicas;
        return max !== undefined && max <= min ? [report(h, `maxReplicas ${max} is not above minReplicas ${min}`)] : [];
    },
};

export const hpaScaleDownStabilized: ObjectPolicy = {
    name: "hpa-scale-down-stabilized",
    description: "HPAs wait at least 300 s of lower load before scaling down.",
    severity: "medium",
    remediation: "behavior.scaleDown.stabilizationWindowSeconds: 300 (or leave it unset: 300 is the default).",
    why: "A short window made the HPA flap: scale down, get the spike again, cold-start new pods under load.",
    tags: [],
    appliesTo: HPAS,
    checkObject: (h) => {
        const window = h.props.spec?.behavior?.scaleDown?.stabilizationWindowSeconds ?? 300;
        return window < 300 ? [report(h, `scale-down stabilization is ${window}s`)] : [];
    },
};

/** Workloads that need a PDB: scalable ones, unless explicitly single-replica or the idle blue/green colour. */
function needsPdb(kube: KubeIndex, w: StackResource): boolean {
    if (kube.isIdleColour(w)) return false;
    // Replicas first: in a preview an HPA whose target is unknown then only matters for a single replica.
    const replicas = w.props.spec?.replicas;
    return replicas === undefined || replicas >= 2 || !!kube.hpaFor(w);
}

/**
 * What each PDB covers, found from the workloads' side in one pass (not every PDB against every workload):
 * for each scalable workload in order whose `pick` is defined, its value under each PDB selecting it. A
 * workload a preview cannot judge here is left out, as the check of each (PDB, workload) pair skipped it.
 */
function coveredBy<T>(kube: KubeIndex, pick: (w: StackResource) => T | undefined): Map<StackResource, T[]> {
    const covered = new Map<StackResource, T[]>();
    for (const w of kube.ofKind(...SCALABLE_KINDS)) {
        known(() => {
            const value = pick(w);
            if (value === undefined) return;
            for (const pdb of kube.selecting("PodDisruptionBudget", w)) {
                const list = covered.get(pdb);
                if (list) list.push(value);
                else covered.set(pdb, [value]);
            }
        }, undefined);
    }
    return covered;
}

/**
 * Does a PDB state a budget? With neither minAvailable nor maxUnavailable the disruption controller expects no
 * pods and allows no disruption (kubernetes/kubernetes@003e862:pkg/controller/disruption/disruption.go,
 * getExpectedPodCount and updatePdbStatus), so every eviction of its pods is refused. A value a preview cannot
 * know is a budget being set.
 */
export function hasBudget(pdb: StackResource): boolean {
    return known(() => {
        const spec = pdb.props.spec ?? {};
        return spec.minAvailable !== undefined && spec.minAvailable !== null || spec.maxUnavailable !== undefined && spec.maxUnavailable !== null;
    }, true);
}

export const pdbHasPolicy: ObjectPolicy = {
    name: "pdb-has-policy",
    description: "PodDisruptionBudgets set minAvailable or maxUnavailable.",
    severity: "high",
    remediation: "Set maxUnavailable: 1 (or a minAvailable below the workload's minimum replicas).",
    why: "A budget with neither field is accepted by the API server, and then allows no eviction at all: node drains and upgrades hang on its pods while it protects nothing on purpose.",
    tags: ["kube-score:poddisruptionbudget-has-policy"],
    appliesTo: kubernetesKinds("PodDisruptionBudget"),
    checkObject: (pdb) => hasBudget(pdb) ? []
        : [report(pdb, "sets neither minAvailable nor maxUnavailable: the disruption controller then expects no pods and allows no eviction")],
};

export const pdbRequired: StackPolicy = {
    name: "pdb-required",
    description: "Every multi-replica (or HPA-scaled, or unspecified) Deployment and StatefulSet is covered by a PodDisruptionBudget that sets a budget.",
    severity: "medium",
    remediation: "Add a PodDisruptionBudget with maxUnavailable: 1 selecting the pods.",
    why: "Node upgrades drained every replica of a service at once.",
    tags: ["polaris:missingPodDisruptionBudget", "kube-score:deployment-has-poddisruptionbudget", "kube-score:statefulset-has-poddisruptionbudget", "kyverno:require-pdb"],
    check: ({ kube }) => eachKnown(kube.ofKind("Deployment", "StatefulSet"), (w) => {
        if (!needsPdb(kube, w)) return [];
        const pdbs = kube.selecting("PodDisruptionBudget", w);
        if (pdbs.some(hasBudget)) return [];
        return [report(w, pdbs.length === 0 ? "no PodDisruptionBudget selects its pods"
            : `the PodDisruptionBudget selecting its pods (${pdbs.map((p) => known(() => p.props.metadata?.name, "?")).join(", ")}) sets neither minAvailable nor maxUnavailable`)];
    }),
};

export const pdbAllowsEviction: StackPolicy = {
    name: "pdb-allows-eviction",
    description: "PodDisruptionBudgets always allow at least one eviction, also at the workload's minimum scale (a budget without minAvailable or maxUnavailable is pdb-has-policy's).",
    severity: "high",
    remediation: "Prefer maxUnavailable: 1; a minAvailable must stay below the minimum replica count.",
    why: "A PDB that allows no disruption blocks node drains: upgrades hang and the autoscaler cannot remove nodes.",
    tags: ["polaris:pdbDisruptionsIsZero", "kyverno:pdb-minavailable"],
    check: ({ kube }) => {
        let covered: Map<StackResource, StackResource[]> | undefined;
        return eachKnown(kube.ofKind("PodDisruptionBudget"), (pdb) => {
            const { minAvailable, maxUnavailable } = pdb.props.spec ?? {};
            if (!hasBudget(pdb)) return [];
            if (maxUnavailable !== undefined && scaled(maxUnavailable, 100) === 0) return [report(pdb, `maxUnavailable ${maxUnavailable} allows no eviction`)];
            if (minAvailable === "100%") return [report(pdb, "minAvailable 100% allows no eviction")];
            covered ??= coveredBy(kube, (w) => w);
            return eachKnown(covered.get(pdb) ?? [], (w) => {
                const min = kube.minReplicas(w);
                const allowed = maxUnavailable !== undefined ? scaled(maxUnavailable, min)! : minAvailable !== undefined ? min - scaled(minAvailable, min)! : 1;
                return allowed < 1 ? [report(pdb, `allows no eviction when ${kube.describe(w)} runs its minimum of ${min}`)] : [];
            });
        });
    },
};

export const pdbWithinHpaMin: StackPolicy = {
    name: "pdb-within-hpa-min",
    description: "A PDB's minAvailable never exceeds the minReplicas of the HPA scaling its pods.",
    severity: "high",
    remediation: "Lower minAvailable below the HPA's minReplicas, or use maxUnavailable: 1.",
    why: "Scaled to its minimum, a workload behind such a PDB can never be evicted: node drains and cluster upgrades stall.",
    tags: ["polaris:pdbMinAvailableGreaterThanHPAMinReplicas"],
    check: ({ kube }) => {
        let covered: Map<StackResource, Array<{ hpa: StackResource }>> | undefined;
        return eachKnown(kube.ofKind("PodDisruptionBudget"), (pdb) => {
            const minAvailable = pdb.props.spec?.minAvailable;
            if (minAvailable === undefined) return [];
            covered ??= coveredBy(kube, (w) => {
                const hpa = kube.hpaFor(w);
                return hpa && hpa.props.spec?.minReplicas !== undefined ? { hpa } : undefined;
            });
            return eachKnown(covered.get(pdb) ?? [], ({ hpa }) => {
                const min = hpa.props.spec.minReplicas;
                const required = scaled(minAvailable, min)!;
                return required > min ? [report(pdb, `minAvailable ${minAvailable} (${required}) exceeds the minReplicas ${min} of HPA ${hpa.props.metadata?.name}`)] : [];
            });
        });
    },
};

/**
 * Topology keys that keep a workload's pods apart: per node or per zone. kube-score also accepts the region
 * (zegl/kube-score@v1.20.0:score/apps/apps.go, hasPodAntiAffinity); an EKS cluster lives in one region, where
 * region anti-affinity spreads nothing.
 */
const SPREADING_KEYS = ["kubernetes.io/hostname", "topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"];

/**
 * Does a pod anti-affinity term keep the workload's own pods apart: a spreading topology key, and a valid
 * selector that selects the pod's own labels in its own namespace (a null selector matches no pod:
 * kubernetes/kubernetes pkg/api/pod/warnings.go, warningsForPodAffinityTerms)?
 */
function separatesOwnPods(term: any, labels: Record<string, string>, namespace: string): boolean {
    if (!term || !SPREADING_KEYS.includes(term.topologyKey)) return false;
    const namespaces = term.namespaces;
    if (Array.isArray(namespaces) && namespaces.length > 0 && !term.namespaceSelector && !namespaces.includes(namespace)) return false;
    return term.labelSelector !== undefined && term.labelSelector !== null && !selectorProblem(term.labelSelector) && selects(term.labelSelector, labels);
}

/** The anti-affinity terms of a pod, required and preferred; in a preview, the known ones. */
function antiAffinityTerms(pod: Record<string, any>): any[] {
    const anti = known(() => pod.affinity?.podAntiAffinity, undefined);
    if (!anti) return [];
    return [
        ...knownItems<any>(() => anti.requiredDuringSchedulingIgnoredDuringExecution),
        ...knownItems<any>(() => anti.preferredDuringSchedulingIgnoredDuringExecution).map((p) => known(() => p?.podAffinityTerm, undefined)),
    ];
}

export const topologySpread: ObjectPolicy = {
    name: "topology-spread",
    description: "Deployments and StatefulSets spread their pods: topologySpreadConstraints (whose validity is topology-spread-valid's), or a pod anti-affinity term over nodes or zones that selects the pods' own labels.",
    severity: "high",
    remediation: "Add topologySpreadConstraints over topology.kubernetes.io/zone and kubernetes.io/hostname, with a labelSelector matching the pod's labels.",
    why: "The ingress controller's pods all landed on one node and died with it under load; spread kept the next incident to one pod.",
    tags: ["polaris:topologySpreadConstraint", "kube-score:deployment-has-host-podantiaffinity", "kube-score:statefulset-has-host-podantiaffinity"],
    appliesTo: DEPLOYMENTS_AND_STATEFULSETS,
    checkObject: (w) => {
        const pod = podSpecOf(w.props) ?? {};
        if (known(() => pod.topologySpreadConstraints?.length > 0, true)) return [];
        const labels = known(() => podLabelsOf(w.props), {});
        const namespace = known(() => w.props.metadata?.namespace ?? "default", "default");
        const terms = antiAffinityTerms(pod);
        if (terms.some((t) => known(() => separatesOwnPods(t, labels, namespace), true))) return [];
        return [report(w, known(() => pod.affinity?.podAntiAffinity, undefined)
            ? `neither spreads its pods nor sets pod anti-affinity that keeps them apart: no term has topologyKey ${SPREADING_KEYS.slice(0, 2).join(" or ")} and a labelSelector selecting the pods' own labels`
            : "neither spreads its pods nor sets pod anti-affinity")];
    },
};

const WHEN_UNSATISFIABLE = ["DoNotSchedule", "ScheduleAnyway"];

/**
 * What is wrong with a pod's topologySpreadConstraints: what the API server rejects (kubernetes/kubernetes
 * pkg/apis/core/validation/validation.go, validateTopologySpreadConstraints: maxSkew >= 1, a topologyKey,
 * whenUnsatisfiable DoNotSchedule or ScheduleAnyway, minDomains >= 1 and only with DoNotSchedule, no two
 * constraints on the same key and action), what kube-score checks (zegl/kube-score@v1.20.0:score/
 * podtopologyspreadconstraints/podtopologyspreadconstraints.go: a labelSelector), and whether the selector
 * selects the pod's own labels: without it the scheduler counts no pods, or other pods, and spreads nothing.
 */
export function spreadConstraintProblems(constraints: readonly any[], labels: Record<string, string>): string[] {
    const problems: string[] = [];
    const seen = new Set<string>();
    constraints.forEach((c, i) => known(() => {
        const at = `topologySpreadConstraints[${i}]`;
        if (typeof c !== "object" || c === null) return problems.push(`${at} is not a mapping`);
        if (!(Number.isInteger(c.maxSkew) && c.maxSkew >= 1)) problems.push(`${at} maxSkew ${JSON.stringify(c.maxSkew)} is not an integer >= 1`);
        if (typeof c.topologyKey !== "string" || c.topologyKey === "") problems.push(`${at} has no topologyKey`);
        if (!WHEN_UNSATISFIABLE.includes(c.whenUnsatisfiable)) problems.push(`${at} whenUnsatisfiable ${JSON.stringify(c.whenUnsatisfiable)} is not DoNotSchedule or ScheduleAnyway`);
        if (c.minDomains !== undefined && c.minDomains !== null) {
            if (!(Number.isInteger(c.minDomains) && c.minDomains >= 1)) problems.push(`${at} minDomains ${JSON.stringify(c.minDomains)} is not an integer >= 1`);
            else if (c.whenUnsatisfiable !== "DoNotSchedule") problems.push(`${at} sets minDomains, which only DoNotSchedule allows`);
        }
        const pair = `${c.topologyKey}\u0000${c.whenUnsatisfiable}`;
        if (seen.has(pair)) problems.push(`${at} repeats topologyKey ${c.topologyKey} with ${c.whenUnsatisfiable}`);
        seen.add(pair);
        if (c.labelSelector === undefined || c.labelSelector === null) problems.push(`${at} has no labelSelector: it counts no pods and spreads nothing`);
        else if (selectorProblem(c.labelSelector)) problems.push(`${at} labelSelector ${selectorProblem(c.labelSelector)}`);
        else if (!selects(c.labelSelector, labels)) problems.push(`${at} labelSelector ${JSON.stringify(c.labelSelector)} does not select the pods' own labels: it does not spread them`);
        return 0;
    }, 0));
    return problems;
}

export const topologySpreadValid: ObjectPolicy = {
    name: "topology-spread-valid",
    description: "Every topologySpreadConstraint is valid (maxSkew >= 1, a topologyKey, whenUnsatisfiable DoNotSchedule or ScheduleAnyway, minDomains only with DoNotSchedule, no repeated key and action) and has a labelSelector selecting the pods' own labels.",
    severity: "high",
    remediation: "maxSkew: 1, topologyKey: topology.kubernetes.io/zone (or kubernetes.io/hostname), whenUnsatisfiable: DoNotSchedule or ScheduleAnyway, labelSelector.matchLabels: the pod template's own labels (app.kubernetes.io/name).",
    why: "An invalid constraint fails the rollout at apply time; one whose selector misses the pod's own labels is accepted and silently spreads nothing, so the replicas still share one node.",
    tags: ["kube-score:pod-topology-spread-constraints"],
    appliesTo: kubernetesKinds(...WORKLOAD_KINDS),
    checkObject: (w) => {
        const problems = spreadConstraintProblems(knownItems<any>(() => podSpecOf(w.props)?.topologySpreadConstraints), known(() => podLabelsOf(w.props), {}));
        return problems.length ? [report(w, problems.join("; "))] : [];
    },
};

const ZONE = "topology.kubernetes.io/zone";
const NODE = "kubernetes.io/hostname";

export const zoneSpread: StackPolicy = {
    name: "zone-spread",
    description: "Multi-replica Deployments and StatefulSets spread over both nodes and availability zones.",
    severity: "medium",
    remediation: `topologySpreadConstraints on ${ZONE} (ScheduleAnyway) and ${NODE} (DoNotSchedule), maxSkew 1.`,
    why: "An AZ outage took every replica that had landed in that zone; spreading over nodes alone does not prevent it.",
    tags: ["kyverno:topologyspreadconstraints-policy"],
    check: ({ kube }) => eachKnown(kube.ofKind("Deployment", "StatefulSet"), (w) => {
        const replicas = kube.hpaFor(w)?.props.spec?.maxReplicas ?? w.props.spec?.replicas ?? 1;
        if (replicas < 2 || kube.isIdleColour(w)) return [];
        const keys = new Set(knownItems<any>(() => podSpecOf(w.props)?.topologySpreadConstraints).map((t) => known(() => t.topologyKey, undefined)));
        const missing = [ZONE, NODE].filter((k) => !keys.has(k));
        return missing.length ? [report(w, `does not spread over ${missing.join(" and ")}`)] : [];
    }),
};

export const ingressTls: ObjectPolicy = {
    name: "ingress-tls",
    description: "Ingresses terminate TLS for every host they route.",
    severity: "high",
    security: true,
    remediation: "Add spec.tls with the hosts and a secretName (cert-manager issues it).",
    why: "Plain-HTTP endpoints leak session cookies and get flagged by every browser.",
    tags: ["polaris:tlsSettingsMissing"],
    appliesTo: kubernetesKinds("Ingress"),
    checkObject: (ing) => {
        const tls: any[] = ing.props.spec?.tls ?? [];
        if (tls.length === 0) return [report(ing, "has no TLS section")];
        const covered = new Set(tls.flatMap((t) => t.hosts ?? []));
        // A wildcard TLS host covers one more label, as a wildcard certificate does (RFC 6125 6.4.3):
        // *.example.com covers shop.example.com, not example.com nor a.shop.example.com.
        const coveredHost = (h: string) => covered.has(h) || (h.includes(".") && covered.has(`*${h.slice(h.indexOf("."))}`));
        const missing = (ing.props.spec?.rules ?? []).map((r: any) => r.host).filter((h: string | undefined) => h && !coveredHost(h));
        return missing.length ? [report(ing, `has no TLS for ${missing.join(", ")}`)] : [];
    },
};

/** The directions a NetworkPolicy isolates, as the API server defaults policyTypes (kubernetes/kubernetes pkg/apis/networking/v1/defaults.go). */
export function policyTypesOf(spec: Record<string, any>): string[] {
    const types = spec.policyTypes;
    if (Array.isArray(types) && types.length > 0) return types;
    return (spec.egress ?? []).length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
}

type Direction = "Ingress" | "Egress";
const rulesOf = (spec: Record<string, any>, direction: Direction): number => (spec[direction === "Ingress" ? "ingress" : "egress"] ?? []).length;

/**
 * How a NetworkPolicy treats a direction: `rules` (an allow-list), `deny` (declared in a policy without any
 * rule, a deny-all: the strongest isolation), `bare` (declared without rules beside rules for the other
 * direction: denied too, but that is how a forgotten egress section looks), or undefined (not isolated).
 */
export function isolation(spec: Record<string, any>, direction: Direction): "rules" | "deny" | "bare" | undefined {
    if (!policyTypesOf(spec).includes(direction)) return undefined;
    if (rulesOf(spec, direction) > 0) return "rules";
    return rulesOf(spec, direction === "Ingress" ? "Egress" : "Ingress") > 0 ? "bare" : "deny";
}

export const networkPolicy: StackPolicy = {
    name: "network-policy",
    description: "Every workload's pods are isolated in both directions by the NetworkPolicies selecting them: Ingress and Egress rules, or a deny-all (a policy declaring the direction without any rule).",
    severity: "medium",
    security: true,
    remediation: "Add a NetworkPolicy for the pods with policyTypes [Ingress, Egress]: ingress from the ingress controller, egress to DNS and what the app calls (or a deny-all: policyTypes without rules).",
    why: "Without policies any compromised pod can reach every other pod and the instance metadata of the node.",
    tags: ["polaris:missingNetworkPolicy", "kube-score:pod-networkpolicy"],
    check: ({ kube }) => eachKnown(kube.workloads, (w) => {
        const policies = kube.selecting("NetworkPolicy", w);
        const missing: string[] = [];
        const bare: string[] = [];
        for (const direction of ["Ingress", "Egress"] as const) {
            const ways = policies.map((p) => ({ p, way: isolation(p.props.spec ?? {}, direction) }));
            if (ways.some(({ way }) => way === "rules" || way === "deny")) continue;
            missing.push(direction);
            const declared = ways.find(({ way }) => way === "bare");
            if (declared) bare.push(`NetworkPolicy ${known(() => declared.p.props.metadata?.name, "?")} declares ${direction} without ${direction.toLowerCase()} rules beside its other rules: write them, or deny ${direction} in a policy of its own`);
        }
        if (missing.length === 0) return [];
        return [report(w, `no NetworkPolicy with ${missing.join(" and ")} rules, or denying all ${missing.join(" and ")}, selects its pods${bare.length ? ` (${bare.join("; ")})` : ""}`)];
    }),
};

export const availabilityPolicies: PolicyDefinition<any>[] = [
    zeroDowntimeRollout, gracefulShutdown, minReplicas, hpaOwnsReplicas, hpaMinReplicas, hpaMaxAboveMin,
    hpaScaleDownStabilized, pdbHasPolicy, pdbRequired, pdbAllowsEviction, pdbWithinHpaMin, topologySpread, topologySpreadValid, zoneSpread, ingressTls, networkPolicy,
];
