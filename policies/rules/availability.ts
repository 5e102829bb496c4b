/** Policies that keep rollouts, drains and scale events from taking a service down. */
import { eachKnown, known, type Finding, type ObjectPolicy, type PolicyDefinition, type StackPolicy, type StackResource } from "../framework";
import { containersOf, describeObject, KubeIndex, kubernetesKinds, podSpecOf, scaled, SCALABLE_KINDS } from "../kubernetes";
import { ACTIVATION_ANNOTATION } from "../lib/conventions";
import { knownItems } from "../unknowns";

const report = (w: StackResource, problem: string): Finding => ({ resource: w, message: `${describeObject(w)}: ${problem}` });
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
    tags: ["kube-score:container-prestop-hook"],
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
    tags: ["kube-score:horizontalpodautoscaler-replicas"],
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
    tags: ["polaris:hpaMinAvailability"],
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

export const pdbRequired: StackPolicy = {
    name: "pdb-required",
    description: "Every multi-replica (or HPA-scaled, or unspecified) Deployment and StatefulSet is covered by a PodDisruptionBudget.",
    severity: "medium",
    remediation: "Add a PodDisruptionBudget with maxUnavailable: 1 selecting the pods.",
    why: "Node upgrades drained every replica of a service at once.",
    tags: ["polaris:missingPodDisruptionBudget", "kube-score:deployment-has-poddisruptionbudget", "kyverno:require-pdb"],
    check: ({ kube }) => eachKnown(kube.ofKind("Deployment", "StatefulSet"), (w) =>
        needsPdb(kube, w) && kube.selecting("PodDisruptionBudget", w).length === 0 ? [report(w, "no PodDisruptionBudget selects its pods")] : []),
};

export const pdbAllowsEviction: StackPolicy = {
    name: "pdb-allows-eviction",
    description: "PodDisruptionBudgets always allow at least one eviction, also at the workload's minimum scale.",
    severity: "high",
    remediation: "Prefer maxUnavailable: 1; a minAvailable must stay below the minimum replica count.",
    why: "A PDB that allows no disruption blocks node drains: upgrades hang and the autoscaler cannot remove nodes.",
    tags: ["polaris:pdbDisruptionsIsZero", "kube-score:poddisruptionbudget-has-policy", "kyverno:pdb-minavailable"],
    check: ({ kube }) => {
        let covered: Map<StackResource, StackResource[]> | undefined;
        return eachKnown(kube.ofKind("PodDisruptionBudget"), (pdb) => {
            const { minAvailable, maxUnavailable } = pdb.props.spec ?? {};
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

export const topologySpread: ObjectPolicy = {
    name: "topology-spread",
    description: "Deployments and StatefulSets spread their pods (topologySpreadConstraints or pod anti-affinity).",
    severity: "high",
    remediation: "Add topologySpreadConstraints over topology.kubernetes.io/zone and kubernetes.io/hostname.",
    why: "The ingress controller's pods all landed on one node and died with it under load; spread kept the next incident to one pod.",
    tags: ["polaris:topologySpreadConstraint", "kube-score:deployment-pod-anti-affinity"],
    appliesTo: DEPLOYMENTS_AND_STATEFULSETS,
    checkObject: (w) => {
        const pod = podSpecOf(w.props) ?? {};
        return !(pod.topologySpreadConstraints?.length > 0) && !pod.affinity?.podAntiAffinity
            ? [report(w, "neither spreads its pods nor sets pod anti-affinity")] : [];
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
    remediation: "Add spec.tls with the hosts and a secretName (cert-manager issues it).",
    why: "Plain-HTTP endpoints leak session cookies and get flagged by every browser.",
    tags: ["polaris:tlsSettingsMissing"],
    appliesTo: kubernetesKinds("Ingress"),
    checkObject: (ing) => {
        const tls: any[] = ing.props.spec?.tls ?? [];
        if (tls.length === 0) return [report(ing, "has no TLS section")];
        const covered = new Set(tls.flatMap((t) => t.hosts ?? []));
        const missing = (ing.props.spec?.rules ?? []).map((r: any) => r.host).filter((h: string | undefined) => h && !covered.has(h));
        return missing.length ? [report(ing, `has no TLS for ${missing.join(", ")}`)] : [];
    },
};

export const networkPolicy: StackPolicy = {
    name: "network-policy",
    description: "Every workload's pods are selected by NetworkPolicies that cover both Ingress and Egress with rules.",
    severity: "medium",
    remediation: "Add a NetworkPolicy for the pods with policyTypes [Ingress, Egress]: ingress from the ingress controller, egress to DNS and what the app calls.",
    why: "Without policies any compromised pod can reach every other pod and the instance metadata of the node.",
    tags: ["polaris:missingNetworkPolicy", "kube-score:pod-networkpolicy"],
    check: ({ kube }) => eachKnown(kube.workloads, (w) => {
        const policies = kube.selecting("NetworkPolicy", w);
        const covers = (type: "Ingress" | "Egress") => policies.some((p) => {
            const types: string[] = p.props.spec?.policyTypes ?? (p.props.spec?.egress ? ["Ingress", "Egress"] : ["Ingress"]);
            return types.includes(type) && (p.props.spec?.[type.toLowerCase()] ?? []).length > 0;
        });
        const missing = (["Ingress", "Egress"] as const).filter((t) => !covers(t));
        return missing.length ? [report(w, `no NetworkPolicy with ${missing.join(" and ")} rules selects its pods`)] : [];
    }),
};

export const availabilityPolicies: PolicyDefinition<any>[] = [
    zeroDowntimeRollout, gracefulShutdown, minReplicas, hpaOwnsReplicas, hpaMinReplicas, hpaMaxAboveMin,
    hpaScaleDownStabilized, pdbRequired, pdbAllowsEviction, pdbWithinHpaMin, topologySpread, zoneSpread, ingressTls, networkPolicy,
];
