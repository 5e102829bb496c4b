/**
 * References between objects that must resolve, or traffic and scaling silently go nowhere: Services and
 * NetworkPolicies that select pods, Ingresses and Gateway API routes that name Services, HPAs that name
 * their target, StatefulSets that name their headless Service. An object in another namespace never
 * satisfies a reference. Each judges the stack's objects once through KubeIndex's lookups (linear); in a
 * preview, a reference whose target might be an object not known yet is skipped, the others are judged.
 * A missing target is reported only when the stack holds all of the target's namespace (KubeIndex.partial):
 * not when no object of the stack is in it, nor when a Helm release (kubernetes:helm.sh/v3:Release)
 * installs into it, as its chart's objects (the grafana Service of kube-prometheus-stack, the
 * ingress-nginx controller Deployment) are not stack resources. Pods come from any object with a pod
 * template (KubeIndex.podProducers: an Argo Rollout too). The CLI (`npm run policy`) has no releases: the
 * documents it reads are judged as the whole set, as kube-score does.
 * Also the per-object checks kube-score has on the same kinds: CronJob deadline and restartPolicy, and
 * NodePort Services.
 */
import { eachKnown, known, type Finding, type ObjectPolicy, type PolicyDefinition, type StackPolicy, type StackResource } from "../framework";
import { KubeIndex, objectFinding, kubernetesKinds, podLabelsOf, podSpecOf, selectorProblem } from "../kubernetes";
import { knownItems } from "../unknowns";

/** What the reference policies' descriptions say about namespaces the stack may not hold all of. */
const NOT_IN_RELEASES = " (a missing target is not reported in a namespace a Helm release installs into, whose chart's objects are not stack resources; " +
    "the CLI judges its documents as the whole set)";

const report = objectFinding;
const show = (value: unknown) => JSON.stringify(value);

/** The API group of an object, from its Pulumi type (`kubernetes:apps/v1:Deployment` -> `apps`, core -> ""). */
const groupOf = (r: StackResource) => {
    const groupVersion = r.type.split(":")[1] ?? "";
    return groupVersion.startsWith("core/") || !groupVersion.includes("/") ? "" : groupVersion.split("/")[0];
};

/** The group of an apiVersion (`apps/v1` -> `apps`, `v1` -> ""). */
const groupOfApiVersion = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.split("/")[0] : "");

/**
 * kube-score service-targets-pod (zegl/kube-score@v1.20.0:score/service/service.go) with two differences:
 * a Service without a selector is skipped (its endpoints are managed by someone else: kubernetes/api@v0.36.3
 * core/v1/types.go ServiceSpec.Selector, "If empty or not present, the service is assumed to have an external
 * process managing its endpoints"; kube-score matches an empty selector against any pod and fails it in a
 * namespace without pods), and namespaces compare after defaulting ("" is "default").
 */
export const serviceTargetsPods: StackPolicy = {
    name: "service-targets-pods",
    description: "A Service with a selector selects the pods of at least one workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, " +
        "or any object with a pod template, such as an Argo Rollout) in its namespace" + NOT_IN_RELEASES + ".",
    severity: "high",
    remediation: "Make spec.selector match the pod template's labels (spec.template.metadata.labels), in the Service's namespace; drop the selector only for endpoints managed elsewhere.",
    why: "A Service whose selector matches no pod has no endpoints: every request gets a connection refused or a 503, while the Deployment itself looks healthy.",
    tags: ["kube-score:service-targets-pod"],
    check: ({ kube }) => eachKnown(kube.ofKind("Service"), (s) => {
        const spec = s.props.spec ?? {};
        if (spec.type === "ExternalName") return [];
        const selector = spec.selector;
        if (selector === undefined || selector === null || Object.keys(selector).length === 0) return [];
        const ns = kube.namespaceOf(s.props);
        if (kube.selectsAnyPod(ns, { matchLabels: selector }) || kube.partial(ns)) return [];
        return [report(s, `selector ${show(selector)} selects no pod of any workload in namespace ${ns}`)];
    }),
};

/** kube-score networkpolicy-targets-pod (zegl/kube-score@v1.20.0:score/networkpolicy/networkpolicy.go); `{}` selects every pod of the namespace. */
export const networkPolicyTargetsPods: StackPolicy = {
    name: "network-policy-targets-pods",
    description: "A NetworkPolicy's podSelector selects the pods of at least one workload (or object with a pod template) in its namespace " +
        "(an empty podSelector selects them all, so it needs one workload there)" + NOT_IN_RELEASES + ".",
    severity: "medium",
    remediation: "Make spec.podSelector match the pod template's labels of the workload it is meant for, in the policy's namespace, or delete the policy.",
    why: "A policy that selects nothing isolates nothing: the pods it was written for accept traffic from everywhere while the policy looks in place.",
    tags: ["kube-score:networkpolicy-targets-pod"],
    check: ({ kube }) => eachKnown(kube.ofKind("NetworkPolicy"), (p) => {
        // podSelector is required; a missing one is taken as the empty selector the API server stores.
        const selector = p.props.spec?.podSelector ?? {};
        const ns = kube.namespaceOf(p.props);
        const invalid = selectorProblem(selector);
        if (invalid) return [report(p, `podSelector ${invalid}: it selects nothing`)];
        if (kube.selectsAnyPod(ns, selector) || kube.partial(ns)) return [];
        return [report(p, Object.keys(selector).length === 0 || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)
            ? `podSelector {} selects every pod of namespace ${ns}, and it has no workload`
            : `podSelector ${show(selector)} selects no pod of any workload in namespace ${ns}`)];
    }),
};

/** Does the Service declare this port (a number: `port`, a name: `name`)? An ExternalName Service without ports is not judged. */
function portProblem(service: StackResource, port: { number?: unknown; name?: unknown }): string | undefined {
    const ports = knownItems<any>(() => service.props.spec?.ports);
    if (service.props.spec?.type === "ExternalName" && ports.length === 0) return undefined;
    const svc = `Service ${known(() => service.props.metadata?.name, "?")}`;
    if (port.number !== undefined && port.number !== null) {
        return ports.some((p) => p?.port === port.number) ? undefined : `${svc} has no port ${show(port.number)} (its ports: ${ports.map((p) => p?.port).join(", ") || "none"})`;
    }
    if (port.name !== undefined && port.name !== null) {
        return ports.some((p) => p?.name === port.name) ? undefined : `${svc} has no port named ${show(port.name)} (its port names: ${ports.map((p) => p?.name).filter(Boolean).join(", ") || "none"})`;
    }
    return undefined;
}

/**
 * A Service reference's problem: no such Service in the namespace (unless the stack may not hold all of
 * that namespace: KubeIndex.partial), or no such port on it.
 */
function serviceProblem(kube: KubeIndex, namespace: string, name: unknown, port: { number?: unknown; name?: unknown }): string | undefined {
    if (typeof name !== "string" || name === "") return `names no Service (${show(name)})`;
    const found = kube.named("Service", namespace, name);
    if (found.length === 0) return kube.partial(namespace) ? undefined : `names Service ${namespace}/${name}, which is not in the stack`;
    return portProblem(found[0], port);
}

/**
 * An Ingress backend that is an AWS Load Balancer Controller action, not a Service: port name
 * `use-annotation` and the action in annotation `alb.ingress.kubernetes.io/actions.<service name>`
 * (kubernetes-sigs/aws-load-balancer-controller@v2.17.1:pkg/ingress/enhanced_backend_builder.go,
 * buildActionViaAnnotation; docs/guide/ingress/annotations.md `actions.${action-name}`). Any ingress class:
 * the controller serves whatever IngressClass points at it, not only `alb` (class_annotation_matcher.go);
 * the annotation, which only that controller reads, tells. Without it the controller fails the Ingress
 * ("missing actions.<name> configuration"), and the backend is judged as a Service.
 */
function albAction(ing: StackResource, service: { name?: unknown; port?: { name?: unknown } }): boolean {
    if (service.port?.name !== "use-annotation" || typeof service.name !== "string") return false;
    const annotations = ing.props.metadata?.annotations;
    return typeof annotations === "object" && annotations !== null && Object.prototype.hasOwnProperty.call(annotations, `alb.ingress.kubernetes.io/actions.${service.name}`);
}

const ROUTE_KINDS = ["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"];
const GATEWAY_GROUP = "gateway.networking.k8s.io";

/**
 * Does a ReferenceGrant in `namespace` let routes of `kind` from `from` refer to Service `name`?
 * (kubernetes-sigs/gateway-api@v1.6.0:apis/v1/referencegrant_types.go: from group/kind/namespace, to group/kind and optional name.)
 */
function granted(grants: StackResource[], from: string, kind: string, name: string): boolean {
    return grants.some((g) => known(() =>
        knownItems<any>(() => g.props.spec?.from).some((f) => f?.group === GATEWAY_GROUP && f?.kind === kind && f?.namespace === from)
        && knownItems<any>(() => g.props.spec?.to).some((t) => (t?.group ?? "") === "" && t?.kind === "Service" && (t?.name === undefined || t?.name === "" || t?.name === name)), false));
}

/**
 * kube-score ingress-targets-service (zegl/kube-score@v1.20.0:score/ingress/ingress.go), plus
 * spec.defaultBackend, which kube-score does not read, and exact ports (kube-score accepts an unnamed
 * Service port for a backend that gives a number, as "" == ""). Gateway API routes the same way
 * (kubernetes-sigs/gateway-api@v1.6.0:apis/v1/object_reference_types.go BackendObjectReference: group
 * defaults to "" (core), kind to Service, namespace to the route's; port, the Service port number, is
 * required for a Service). A reference to another namespace is judged only when that namespace is in the
 * stack (a Namespace object, or any object in it), and then also needs a ReferenceGrant there.
 */
export const routeTargetsService: StackPolicy = {
    name: "route-targets-service",
    description: "Ingress backends and Gateway API route backendRefs (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute) name a Service of the stack, on a port it declares " +
        "(AWS Load Balancer Controller actions, port name use-annotation, are not Services)" + NOT_IN_RELEASES + ".",
    severity: "high",
    remediation: "Point the backend at the Service's metadata.name and one of its spec.ports (port number, or name for an Ingress); " +
        "for a backendRef to another namespace add a ReferenceGrant in that namespace.",
    why: "A backend naming a Service that does not exist, or a port it does not have, answers 503 (ingress) or 500 (Gateway API) for every path it routes: a rename of the Service took the site down.",
    tags: ["kube-score:ingress-targets-service"],
    check: ({ kube }) => {
        const findings: Finding[] = [];
        for (const ing of kube.ofKind("Ingress")) {
            known(() => {
                const ns = kube.namespaceOf(ing.props);
                const spec = ing.props.spec ?? {};
                const backends: { where: string; backend: any }[] = [];
                if (spec.defaultBackend) backends.push({ where: "defaultBackend", backend: spec.defaultBackend });
                knownItems<any>(() => spec.rules).forEach((rule, i) => knownItems<any>(() => rule?.http?.paths)
                    .forEach((path) => backends.push({ where: `rules[${i}] ${known(() => rule?.host ?? "*", "?")}${known(() => path?.path ?? "", "")}`, backend: path?.backend })));
                findings.push(...eachKnown(backends, ({ where, backend }) => {
                    const service = backend?.service;
                    if (!service) return []; // a resource backend (an object of another API) is not a Service
                    if (albAction(ing, service)) return [];
                    if (service.port === undefined || service.port === null) return [report(ing, `${where}: backend Service ${service.name} gives no port`)];
                    const problem = serviceProblem(kube, ns, service.name, { number: service.port.number, name: service.port.name });
                    return problem ? [report(ing, `${where}: backend ${problem}`)] : [];
                }));
            }, undefined);
        }
        const grantsIn = new Map<string, StackResource[]>();
        for (const g of kube.ofKind("ReferenceGrant")) {
            const ns = known(() => kube.namespaceOf(g.props), undefined);
            if (typeof ns === "string") grantsIn.set(ns, [...(grantsIn.get(ns) ?? []), g]);
        }
        const routes = kube.ofKind(...ROUTE_KINDS).filter((r) => groupOf(r) === GATEWAY_GROUP);
        for (const route of routes) {
            known(() => {
                const ns = kube.namespaceOf(route.props);
                const kind = String(route.props.kind);
                const refs: { where: string; ref: any }[] = [];
                knownItems<any>(() => route.props.spec?.rules).forEach((rule, i) =>
                    knownItems<any>(() => rule?.backendRefs).forEach((ref, j) => refs.push({ where: `rules[${i}].backendRefs[${j}]`, ref })));
                findings.push(...eachKnown(refs, ({ where, ref }) => {
                    if ((ref?.group ?? "") !== "" || (ref?.kind ?? "Service") !== "Service") return [];
                    const target = ref.namespace ?? ns;
                    if (target !== ns) {
                        if (!kube.presentNamespaces().has(target)) return []; // a namespace the stack does not hold: its Services and grants are not known here
                        if (!granted(grantsIn.get(target) ?? [], ns, kind, ref.name) && !kube.partial(target)) {
                            return [report(route, `${where}: Service ${target}/${ref.name} is in another namespace and no ReferenceGrant there allows ${kind}s from ${ns}`)];
                        }
                    }
                    if (ref.port === undefined || ref.port === null) return [report(route, `${where}: Service ${ref.name} gives no port (required for a Service)`)];
                    const problem = serviceProblem(kube, target, ref.name, { number: ref.port });
                    return problem ? [report(route, `${where}: backendRef ${problem}`)] : [];
                }));
            }, undefined);
        }
        return findings;
    },
};

/**
 * kube-score horizontalpodautoscaler-has-target (zegl/kube-score@v1.20.0:score/hpa/hpa.go) compares the
 * whole apiVersion; the HPA controller resolves the target by group and kind only (RESTMappings of
 * schema.GroupKind: kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go), so here the group counts, not the version.
 */
export const hpaTargetExists: StackPolicy = {
    name: "hpa-target-exists",
    description: "An HPA's scaleTargetRef (apiVersion group, kind, name) names an object of the stack in the HPA's namespace, of any kind with a scale subresource (a Rollout too)" + NOT_IN_RELEASES + ".",
    severity: "high",
    remediation: "Set scaleTargetRef to the workload's apiVersion (apps/v1), kind and metadata.name, in the HPA's namespace.",
    why: "An HPA whose target does not exist scales nothing: under load the service stays at its fixed size while the HPA only reports FailedGetScale.",
    tags: ["kube-score:horizontalpodautoscaler-has-target"],
    check: ({ kube }) => eachKnown(kube.ofKind("HorizontalPodAutoscaler"), (h) => {
        const ref = h.props.spec?.scaleTargetRef ?? {};
        const ns = kube.namespaceOf(h.props);
        if (typeof ref.kind !== "string" || typeof ref.name !== "string") return [report(h, `scaleTargetRef ${show(ref)} gives no kind and name`)];
        const group = groupOfApiVersion(typeof ref.apiVersion === "string" ? ref.apiVersion : "");
        const named = kube.named(ref.kind, ns, ref.name);
        // A target found in another group is a wrong reference, whatever a release may hold besides.
        if (named.some((o) => groupOf(o) === group) || (named.length === 0 && kube.partial(ns))) return [];
        const target = `${ref.apiVersion ?? "(no apiVersion)"} ${ref.kind} ${ns}/${ref.name}`;
        return [report(h, named.length
            ? `scaleTargetRef ${target} is in API group "${group}", but the ${ref.kind} is in "${groupOf(named[0])}" (${named[0].type.split(":")[1]})`
            : `scaleTargetRef ${target} names no object of the stack`)];
    }),
};

/**
 * kube-score statefulset-has-servicename (zegl/kube-score@v1.20.0:score/apps/apps.go statefulsetHasServiceName):
 * a Service of that name in the namespace, headless (clusterIP None), whose selector selects the pod
 * template. serviceName is optional in the API (kubernetes/api@v0.36.3:apps/v1/types.go, `+optional`
 * since v0.33): without it the pods get no stable DNS names. That is a choice only for a StatefulSet
 * that nobody addresses per pod; it is reported, as kube-score does, and can be exempted with a reason.
 */
export const statefulSetServiceName: StackPolicy = {
    name: "statefulset-service-name",
    description: "A StatefulSet's serviceName names a headless Service (clusterIP: None) in its namespace that selects its pods" + NOT_IN_RELEASES + ".",
    severity: "medium",
    remediation: "Create a Service with clusterIP: None selecting the pod template's labels and set spec.serviceName to its name.",
    why: "Without its governing headless Service a StatefulSet's pods get no stable DNS names (pod-0.svc...): peers of a database or a quorum cannot find each other, and the set never forms.",
    tags: ["kube-score:statefulset-has-servicename"],
    check: ({ kube }) => eachKnown(kube.ofKind("StatefulSet"), (s) => {
        const name = s.props.spec?.serviceName;
        if (typeof name !== "string" || name === "") return [report(s, "sets no serviceName: its pods get no stable DNS names")];
        const ns = kube.namespaceOf(s.props);
        const services = kube.named("Service", ns, name);
        if (services.length === 0) return kube.partial(ns) ? [] : [report(s, `serviceName ${name} names no Service in namespace ${ns}`)];
        const service = services[0];
        if (service.props.spec?.clusterIP !== "None") return [report(s, `serviceName ${name} names a Service that is not headless (set clusterIP: None)`)];
        const selector = service.props.spec?.selector;
        const labels = podLabelsOf(s.props);
        const selected = !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
        return selected ? [] : [report(s, `headless Service ${name} does not select the StatefulSet's pods (selector ${show(selector ?? {})})`)];
    }),
};

const CRONJOBS = kubernetesKinds("CronJob");

/** kube-score cronjob-has-deadline (zegl/kube-score@v1.20.0:score/cronjob/cronjob.go). */
export const cronJobDeadline: ObjectPolicy = {
    name: "cronjob-deadline",
    description: "CronJobs set startingDeadlineSeconds.",
    severity: "medium",
    remediation: "Set spec.startingDeadlineSeconds (e.g. 300, or the longest a run may start late and still be useful; at least 10).",
    // The controller counts every schedule missed since the last run (over 100 it only warns,
    // TooManyMissedTimes) and starts the most recent, however late: kubernetes/kubernetes
    // pkg/controller/cronjob/utils.go mostRecentScheduleTime (read from indexed copies, not at a tag).
    why: "Without a deadline a run that could not start (controller down, cluster full) starts whenever it can, hours late, " +
        "into the traffic the schedule was chosen to avoid; the deadline skips a run that is too late to be useful.",
    tags: ["kube-score:cronjob-has-deadline"],
    appliesTo: CRONJOBS,
    checkObject: (c) => (c.props.spec?.startingDeadlineSeconds === undefined || c.props.spec?.startingDeadlineSeconds === null
        ? [report(c, "sets no startingDeadlineSeconds")] : []),
};

/**
 * kube-score cronjob-restartpolicy (zegl/kube-score@v1.20.0:score/cronjob/cronjob.go): the pod template's
 * restartPolicy set to OnFailure or Never. Job validation accepts only those two, and an unset one is
 * defaulted to Always (the Pod default) first, so it must be written.
 */
export const cronJobRestartPolicy: ObjectPolicy = {
    name: "cronjob-restart-policy",
    description: "A CronJob's pod template sets restartPolicy OnFailure or Never explicitly.",
    severity: "high",
    remediation: "Set spec.jobTemplate.spec.template.spec.restartPolicy: OnFailure (retry in place) or Never (a new pod per retry).",
    why: "A Job's pods may not restart Always, and an unset restartPolicy defaults to Always: the API server rejects the CronJob on apply, failing the deploy.",
    tags: ["kube-score:cronjob-restartpolicy"],
    appliesTo: CRONJOBS,
    checkObject: (c) => {
        const policy = podSpecOf(c.props)?.restartPolicy;
        if (policy === "OnFailure" || policy === "Never") return [];
        return [report(c, policy === undefined || policy === null || policy === "" ? "sets no restartPolicy on its pod template (OnFailure or Never)" : `restartPolicy ${show(policy)} is not OnFailure or Never`)];
    },
};

/**
 * CronJob history. The defaults (successfulJobsHistoryLimit 3, failedJobsHistoryLimit 1,
 * kubernetes/api@v0.36.3:batch/v1/types.go) are fine. Flagged: a failed history of 0 (a failure leaves no
 * Job and no pod to read its logs from) and histories above 100 (finished Jobs and their pods pile up in
 * etcd and count against the namespace's quota). A missing startingDeadlineSeconds is cronjob-deadline's.
 */
export const cronJobHistory: ObjectPolicy = {
    name: "cronjob-history",
    description: "A CronJob keeps at least one failed Job, and at most 100 successful and 100 failed ones.",
    severity: "low",
    remediation: "Keep failedJobsHistoryLimit >= 1 and both history limits <= 100 (the defaults, 3 and 1, are fine).",
    why: "With failedJobsHistoryLimit 0 the failed run's pod and logs were gone before anyone looked; thousands of kept Jobs and pods slowed etcd and the namespace.",
    tags: [],
    appliesTo: CRONJOBS,
    checkObject: (c) => {
        const spec = c.props.spec ?? {};
        const problems: string[] = [];
        const failed = known(() => spec.failedJobsHistoryLimit, undefined);
        const succeeded = known(() => spec.successfulJobsHistoryLimit, undefined);
        if (failed === 0) problems.push("failedJobsHistoryLimit 0 deletes a failed Job (and its logs) at once");
        for (const [field, value] of [["successfulJobsHistoryLimit", succeeded], ["failedJobsHistoryLimit", failed]] as const) {
            if (typeof value === "number" && value > 100) problems.push(`${field} ${value} keeps more than 100 finished Jobs`);
        }
        return problems.length ? [report(c, problems.join("; "))] : [];
    },
};

/** kube-score service-type (zegl/kube-score@v1.20.0:score/service/service.go serviceType): NodePort flagged. */
export const serviceType: ObjectPolicy = {
    name: "service-type",
    description: "Services are not of type NodePort.",
    severity: "low",
    remediation: "Use ClusterIP behind an Ingress or Gateway, or type LoadBalancer (the AWS Load Balancer Controller with IP targets).",
    why: "A NodePort opens the port on every node, outside NetworkPolicies' reach for traffic from outside the cluster, and ties the service to node security groups.",
    tags: ["kube-score:service-type"],
    appliesTo: kubernetesKinds("Service"),
    checkObject: (s) => (s.props.spec?.type === "NodePort" ? [report(s, "is of type NodePort")] : []),
};

export const referencePolicies: PolicyDefinition<any>[] = [
    serviceTargetsPods, networkPolicyTargetsPods, routeTargetsService, hpaTargetExists, statefulSetServiceName,
    cronJobDeadline, cronJobRestartPolicy, cronJobHistory, serviceType,
];
