/**
 * References that must resolve (policies/rules/references.ts) and API versions judged against the stack's
 * Kubernetes version (policies/rules/apiVersions.ts, policies/lib/kubeApiVersions.ts): the edge cases
 * (namespaces, named ports, Gateway API defaults, empty selectors, a preview's unknowns, the version's
 * source), and KubeIndex's new lookups against the scans they replace.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import Ajv from "ajv";
import { parseAllDocuments } from "yaml";
import { allPolicies } from "../policies/all";
import { evaluate, guardResource, type PackConfig, type StackResource } from "../policies/framework";
import { KubeIndex, podLabelsOf, selects } from "../policies/kubernetes";
import { UnknownValue } from "../policies/unknowns";
import { EKS_VERSIONS } from "../policies/lib/eksVersions";
import { apiLifecycle, KUBE_API_LIFECYCLE, minorOf, replacementOn } from "../policies/lib/kubeApiVersions";
import { kubernetesType } from "../tools/policy/documents";

/** The engine's sentinel for an unknown string (pulumi/pulumi@v3.248.0:sdk/go/common/resource/plugin/rpc.go:61). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function docs(yaml: string): StackResource[] {
    // The builders below end each document with `---`: the empty documents are left out.
    return parseAllDocuments(yaml).map((d) => d.toJS()).filter((obj) => obj !== null).map((obj, i) =>
        ({ type: kubernetesType(obj.apiVersion, obj.kind), urn: `doc#${i}`, name: obj.metadata?.name, props: obj }));
}

/** The messages of one policy's findings. */
function run(policy: string, resources: StackResource[], config: PackConfig = {}): string[] {
    const found = allPolicies.filter((p) => p.name === policy);
    assert.equal(found.length, 1, `policy ${policy} is registered in policies/all.ts`);
    return evaluate(found, resources, config).map((v) => v.message);
}

const deployment = (name: string, ns: string, labels: Record<string, string>) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  selector: {matchLabels: ${JSON.stringify(labels)}}
  template:
    metadata: {labels: ${JSON.stringify(labels)}}
    spec: {containers: [{name: app, image: "nginx:1.27"}]}
---`;
const service = (name: string, ns: string, selector: unknown, extra = "") => `
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec: {selector: ${JSON.stringify(selector)}, ports: [{name: http, port: 80, targetPort: 8080}]${extra}}
---`;

test("service-targets-pods: a selector must select a pod template in the Service's own namespace", () => {
    assert.deepEqual(run("service-targets-pods", docs(deployment("web", "shop", { app: "web" }) + service("web", "shop", { app: "web" }))), []);
    assert.deepEqual(run("service-targets-pods", docs(deployment("web", "other", { app: "web" }) + service("web", "shop", { app: "web" }))),
        ['Service shop/web: selector {"app":"web"} selects no pod of any workload in namespace shop'], "a Deployment in another namespace never matches");
    assert.equal(run("service-targets-pods", docs(deployment("web", "shop", { app: "web" }) + service("web", "shop", { app: "web", tier: "x" }))).length, 1, "every selector pair must match");
    assert.deepEqual(run("service-targets-pods", docs(deployment("web", "default", { app: "web" }) + service("web", "default", { app: "web" }).replace("namespace: default", ""))), [],
        "no namespace is the default namespace");
    const cron = docs(`
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec: {schedule: "0 3 * * *", jobTemplate: {spec: {template: {metadata: {labels: {app: nightly}}, spec: {restartPolicy: Never, containers: [{name: c, image: "x:1"}]}}}}}
---` + service("nightly", "shop", { app: "nightly" }));
    assert.deepEqual(run("service-targets-pods", cron), [], "a CronJob's pod template counts");
    assert.deepEqual(run("service-targets-pods", docs(service("db", "shop", {}))), [], "an empty selector: endpoints managed elsewhere");
    assert.deepEqual(run("service-targets-pods", docs(`
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: shop}
spec: {type: ExternalName, externalName: db.example.com, selector: {app: nope}}`)), [], "ExternalName is not judged");
});

test("service-targets-pods in a preview: an unknown skips only the Services it could decide", () => {
    const resources = docs(deployment("web", "shop", { app: "web" }) + deployment("api", "shop", { app: "api" }) + service("web", "shop", { app: "web" })
        + service("api", "shop", { app: "api" }) + service("gone", "other", { app: "gone" }));
    // The api Deployment's labels depend on an output: the api Service cannot be judged, the others can.
    resources[1].props.spec.template.metadata.labels.app = UNKNOWN;
    assert.deepEqual(run("service-targets-pods", resources), ['Service other/gone: selector {"app":"gone"} selects no pod of any workload in namespace other']);
    // A known match is certain even with an unknown workload beside it.
    const web = run("service-targets-pods", resources.filter((r) => r.name !== "gone"));
    assert.deepEqual(web, []);
    // An unknown selector skips that Service only.
    const unknownSelector = docs(service("web", "shop", { app: "nope" }) + service("api", "shop", { app: "nope" }));
    unknownSelector[0].props.spec.selector.app = UNKNOWN;
    assert.deepEqual(run("service-targets-pods", unknownSelector), ['Service shop/api: selector {"app":"nope"} selects no pod of any workload in namespace shop']);
    // A workload whose namespace is unknown might be in any namespace: the Services it could match are skipped.
    const unknownNs = docs(deployment("web", "shop", { app: "web" }) + service("web", "other", { app: "web" }));
    unknownNs[0].props.metadata.namespace = UNKNOWN;
    assert.deepEqual(run("service-targets-pods", unknownNs), []);
});

const netpol = (name: string, ns: string, podSelector: unknown) => `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: ${ns}}
spec: {podSelector: ${JSON.stringify(podSelector)}, policyTypes: [Ingress]}
---`;

test("network-policy-targets-pods: empty selectors, expressions, namespaces and invalid selectors", () => {
    const web = deployment("web", "shop", { app: "web", tier: "front" });
    assert.deepEqual(run("network-policy-targets-pods", docs(web + netpol("deny-all", "shop", {}))), [], "{} selects every pod of a namespace with workloads");
    assert.deepEqual(run("network-policy-targets-pods", docs(web + netpol("deny-all", "empty", {}))),
        ["NetworkPolicy empty/deny-all: podSelector {} selects every pod of namespace empty, and it has no workload"]);
    assert.deepEqual(run("network-policy-targets-pods", docs(web + netpol("front", "shop", { matchExpressions: [{ key: "tier", operator: "In", values: ["back", "front"] }] }))), []);
    assert.deepEqual(run("network-policy-targets-pods", docs(web + netpol("front", "shop", { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["front"] }] }))).length, 1);
    assert.deepEqual(run("network-policy-targets-pods", docs(web + netpol("front", "shop", { matchExpressions: [{ key: "tier", operator: "Exists" }] }))), []);
    assert.deepEqual(run("network-policy-targets-pods", docs(web + netpol("web", "other", { matchLabels: { app: "web" } }))),
        ['NetworkPolicy other/web: podSelector {"matchLabels":{"app":"web"}} selects no pod of any workload in namespace other']);
    assert.match(run("network-policy-targets-pods", docs(web + netpol("bad", "shop", { matchExpressions: [{ key: "tier", operator: "In", values: [] }] })))[0],
        /podSelector expression on tier: In needs at least one value: it selects nothing/);
});

const ingress = (backends: string, ns = "shop") => `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: ${ns}}
spec:
${backends}
---`;

test("route-targets-service: Ingress backends by port number and name, defaultBackend, namespaces", () => {
    const svc = service("web", "shop", { app: "web" });
    const path = (port: string) => `  rules: [{host: shop.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: ${port}}}}]}}]`;
    assert.deepEqual(run("route-targets-service", docs(svc + ingress(path("{number: 80}")))), []);
    assert.deepEqual(run("route-targets-service", docs(svc + ingress(path("{name: http}")))), []);
    assert.deepEqual(run("route-targets-service", docs(svc + ingress(path("{number: 8080}")))),
        ["Ingress shop/web: rules[0] shop.example.com/: backend Service web has no port 8080 (its ports: 80)"], "the Service port, not the targetPort");
    assert.deepEqual(run("route-targets-service", docs(svc + ingress(path("{name: grpc}")))),
        ['Ingress shop/web: rules[0] shop.example.com/: backend Service web has no port named "grpc" (its port names: http)']);
    // kube-score accepts a number against an unnamed port ("" == ""); the port must exist.
    const unnamed = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
---`;
    assert.equal(run("route-targets-service", docs(unnamed + ingress(path("{number: 81}")))).length, 1);
    assert.deepEqual(run("route-targets-service", docs(service("web", "other", { app: "web" }) + ingress(path("{number: 80}")))),
        ["Ingress shop/web: rules[0] shop.example.com/: backend names Service shop/web, which is not in the stack"], "a Service in another namespace never matches");
    assert.deepEqual(run("route-targets-service", docs(svc + ingress("  defaultBackend: {service: {name: fallback, port: {number: 80}}}"))),
        ["Ingress shop/web: defaultBackend: backend names Service shop/fallback, which is not in the stack"]);
    assert.deepEqual(run("route-targets-service", docs(svc + ingress("  defaultBackend: {resource: {apiGroup: k8s.example.com, kind: Bucket, name: static}}"))), [],
        "a resource backend is not a Service");
    // In a preview a Service whose name is unknown might be the one: that backend is skipped, the others judged.
    const preview = docs(svc + ingress(`  rules: [{http: {paths: [{path: /a, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}}]`));
    preview[0].props.metadata.name = UNKNOWN;
    assert.deepEqual(run("route-targets-service", preview), []);
    const unknownBackend = docs(svc + ingress(`  rules: [{http: {paths: [{path: /a, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}, {path: /b, pathType: Prefix, backend: {service: {name: gone, port: {number: 80}}}}]}}]`));
    unknownBackend[1].props.spec.rules[0].http.paths[0].backend.service.name = UNKNOWN;
    assert.deepEqual(run("route-targets-service", unknownBackend), ["Ingress shop/web: rules[0] */b: backend names Service shop/gone, which is not in the stack"]);
});

const httpRoute = (refs: unknown[], ns = "shop", kind = "HTTPRoute", apiVersion = "gateway.networking.k8s.io/v1") => `
apiVersion: ${apiVersion}
kind: ${kind}
metadata: {name: web, namespace: ${ns}}
spec: {parentRefs: [{name: edge, namespace: gateway}], rules: [{backendRefs: ${JSON.stringify(refs)}}]}
---`;

test("route-targets-service: Gateway API backendRefs default to core Services in the route's namespace", () => {
    const svc = service("web", "shop", { app: "web" });
    assert.deepEqual(run("route-targets-service", docs(svc + httpRoute([{ name: "web", port: 80 }]))), []);
    assert.deepEqual(run("route-targets-service", docs(svc + httpRoute([{ name: "web", port: 8080 }]))),
        ["HTTPRoute shop/web: rules[0].backendRefs[0]: backendRef Service web has no port 8080 (its ports: 80)"]);
    assert.deepEqual(run("route-targets-service", docs(svc + httpRoute([{ name: "api", port: 80 }]))),
        ["HTTPRoute shop/web: rules[0].backendRefs[0]: backendRef names Service shop/api, which is not in the stack"], "kind defaults to Service, group to core");
    assert.deepEqual(run("route-targets-service", docs(svc + httpRoute([{ kind: "Service", group: "", name: "api", port: 80 }]))).length, 1, "explicit defaults");
    assert.deepEqual(run("route-targets-service", docs(svc + httpRoute([{ group: "example.com", kind: "Bucket", name: "api" }]))), [], "another kind is not a Service");
    assert.deepEqual(run("route-targets-service", docs(svc + httpRoute([{ group: "example.com", name: "api", port: 80 }]))), [], "a Service of another group is not core's");
    assert.deepEqual(run("route-targets-service", docs(svc + httpRoute([{ name: "web" }]))), ["HTTPRoute shop/web: rules[0].backendRefs[0]: Service web gives no port (required for a Service)"]);
    for (const [kind, apiVersion] of [["GRPCRoute", "gateway.networking.k8s.io/v1"], ["TLSRoute", "gateway.networking.k8s.io/v1alpha2"], ["TCPRoute", "gateway.networking.k8s.io/v1alpha2"]]) {
        assert.equal(run("route-targets-service", docs(svc + httpRoute([{ name: "api", port: 80 }], "shop", kind, apiVersion))).length, 1, kind);
    }
    assert.deepEqual(run("route-targets-service", docs(svc + httpRoute([{ name: "api", port: 80 }], "shop", "HTTPRoute", "example.com/v1"))), [], "an HTTPRoute of another API group");

    // Across namespaces: judged only for a namespace the stack holds, and then a ReferenceGrant must allow it.
    const elsewhere = service("api", "backend", { app: "api" });
    const ref = [{ name: "api", namespace: "backend", port: 80 }];
    assert.deepEqual(run("route-targets-service", docs(httpRoute(ref))), [], "a namespace the stack does not hold: not judged");
    assert.deepEqual(run("route-targets-service", docs(elsewhere + httpRoute(ref))),
        ["HTTPRoute shop/web: rules[0].backendRefs[0]: Service backend/api is in another namespace and no ReferenceGrant there allows HTTPRoutes from shop"]);
    const grant = (from: string, to: Record<string, string>) => `
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: from-shop, namespace: backend}
spec: {from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: ${from}}], to: [${JSON.stringify(to)}]}
---`;
    assert.deepEqual(run("route-targets-service", docs(elsewhere + grant("shop", { group: "", kind: "Service" }) + httpRoute(ref))), []);
    assert.deepEqual(run("route-targets-service", docs(elsewhere + grant("shop", { group: "", kind: "Service", name: "api" }) + httpRoute(ref))), []);
    assert.equal(run("route-targets-service", docs(elsewhere + grant("shop", { group: "", kind: "Service", name: "other" }) + httpRoute(ref))).length, 1);
    assert.equal(run("route-targets-service", docs(elsewhere + grant("web", { group: "", kind: "Service" }) + httpRoute(ref))).length, 1, "a grant for another namespace");
    assert.deepEqual(run("route-targets-service", docs(elsewhere + grant("shop", { group: "", kind: "Service" }) + httpRoute([{ name: "api", namespace: "backend", port: 81 }]))),
        ["HTTPRoute shop/web: rules[0].backendRefs[0]: backendRef Service api has no port 81 (its ports: 80)"]);
});

const hpa = (ref: Record<string, string>, ns = "shop") => `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: ${ns}}
spec: {scaleTargetRef: ${JSON.stringify(ref)}, minReplicas: 2, maxReplicas: 4}
---`;

test("hpa-target-exists: the target's group, kind, name and namespace", () => {
    const web = deployment("web", "shop", { app: "web" });
    assert.deepEqual(run("hpa-target-exists", docs(web + hpa({ apiVersion: "apps/v1", kind: "Deployment", name: "web" }))), []);
    assert.deepEqual(run("hpa-target-exists", docs(web + hpa({ apiVersion: "apps/v1beta2", kind: "Deployment", name: "web" }))), [], "the controller resolves group and kind, not the version");
    assert.deepEqual(run("hpa-target-exists", docs(web + hpa({ apiVersion: "apps/v1", kind: "Deployment", name: "api" }))),
        ["HorizontalPodAutoscaler shop/web: scaleTargetRef apps/v1 Deployment shop/api names no object of the stack"]);
    assert.equal(run("hpa-target-exists", docs(web + hpa({ apiVersion: "apps/v1", kind: "StatefulSet", name: "web" }))).length, 1);
    assert.equal(run("hpa-target-exists", docs(web + hpa({ apiVersion: "apps/v1", kind: "Deployment", name: "web" }, "other"))).length, 1, "another namespace");
    assert.match(run("hpa-target-exists", docs(web + hpa({ kind: "Deployment", name: "web" })))[0], /is in API group "", but the Deployment is in "apps"/, "no apiVersion: the core group");
    const preview = docs(web + hpa({ apiVersion: "apps/v1", kind: "Deployment", name: "web" }) + hpa({ apiVersion: "apps/v1", kind: "Deployment", name: "web" }, "other"));
    preview[0].props.metadata.name = UNKNOWN;
    assert.deepEqual(run("hpa-target-exists", preview), ["HorizontalPodAutoscaler other/web: scaleTargetRef apps/v1 Deployment other/web names no object of the stack"],
        "the HPA the unknown Deployment could be the target of is skipped; the one in another namespace is judged");
});

const statefulSet = (serviceName: string | undefined) => `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  ${serviceName === undefined ? "" : `serviceName: ${serviceName}`}
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "postgres:17"}]}
---`;

test("statefulset-service-name: a headless Service of that name selecting the pods", () => {
    const headless = (selector: unknown) => service("db", "shop", selector, ", clusterIP: None");
    assert.deepEqual(run("statefulset-service-name", docs(statefulSet("db") + headless({ app: "db" }))), []);
    assert.deepEqual(run("statefulset-service-name", docs(statefulSet("db") + service("db", "shop", { app: "db" }))),
        ["StatefulSet shop/db: serviceName db names a Service that is not headless (set clusterIP: None)"]);
    assert.deepEqual(run("statefulset-service-name", docs(statefulSet("db") + headless({ app: "other" }))),
        ['StatefulSet shop/db: headless Service db does not select the StatefulSet\'s pods (selector {"app":"other"})']);
    assert.deepEqual(run("statefulset-service-name", docs(statefulSet("db") + headless({ app: "db" }).replace("namespace: shop", "namespace: other"))),
        ["StatefulSet shop/db: serviceName db names no Service in namespace shop"]);
    assert.deepEqual(run("statefulset-service-name", docs(statefulSet(undefined) + headless({ app: "db" }))), ["StatefulSet shop/db: sets no serviceName: its pods get no stable DNS names"]);
});

const cronJob = (spec: string, restartPolicy = "OnFailure") => `
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec:
  schedule: "0 3 * * *"
  ${spec}
  jobTemplate: {spec: {template: {spec: {${restartPolicy ? `restartPolicy: ${restartPolicy}, ` : ""}containers: [{name: c, image: "x:1"}]}}}}
---`;

test("cronjob-deadline, cronjob-restart-policy, cronjob-history and service-type", () => {
    assert.deepEqual(run("cronjob-deadline", docs(cronJob("startingDeadlineSeconds: 300"))), []);
    assert.deepEqual(run("cronjob-deadline", docs(cronJob(""))), ["CronJob shop/nightly: sets no startingDeadlineSeconds"]);
    assert.deepEqual(run("cronjob-restart-policy", docs(cronJob("", "Never"))), []);
    assert.deepEqual(run("cronjob-restart-policy", docs(cronJob("", ""))), ["CronJob shop/nightly: sets no restartPolicy on its pod template (OnFailure or Never)"]);
    assert.deepEqual(run("cronjob-restart-policy", docs(cronJob("", "Always"))), ['CronJob shop/nightly: restartPolicy "Always" is not OnFailure or Never']);
    assert.deepEqual(run("cronjob-history", docs(cronJob(""))), [], "the defaults 3 and 1");
    assert.deepEqual(run("cronjob-history", docs(cronJob("failedJobsHistoryLimit: 0"))), ["CronJob shop/nightly: failedJobsHistoryLimit 0 deletes a failed Job (and its logs) at once"]);
    assert.deepEqual(run("cronjob-history", docs(cronJob("successfulJobsHistoryLimit: 0"))), [], "keeping no successful Job is a choice");
    assert.deepEqual(run("cronjob-history", docs(cronJob("successfulJobsHistoryLimit: 101"))), ["CronJob shop/nightly: successfulJobsHistoryLimit 101 keeps more than 100 finished Jobs"]);
    assert.deepEqual(run("service-type", docs(service("web", "shop", { app: "web" }, ", type: NodePort"))), ["Service shop/web: is of type NodePort"]);
    assert.deepEqual(run("service-type", docs(service("web", "shop", { app: "web" }, ", type: LoadBalancer"))), []);
});

const cluster = (version: unknown, type = "eks:index:Cluster", name = "cluster"): StackResource =>
    ({ type, urn: `urn:${type}::${name}`, name, props: version === undefined ? {} : { version } });
const pdbBeta = docs(`
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}`);
const newest = EKS_VERSIONS.map((v) => v.version).sort((a, b) => minorOf(a)! - minorOf(b)!).pop()!;

test("api versions: judged against kubernetesVersion, else the stack's EKS cluster, else the newest EKS version", () => {
    const removed = (resources: StackResource[], config: PackConfig = {}) => run("api-version-removed", resources, config);
    const deprecated = (resources: StackResource[], config: PackConfig = {}) => run("api-version-deprecated", resources, config);
    // policy/v1beta1 PodDisruptionBudget: deprecated in 1.21, removed in 1.25.
    assert.deepEqual(deprecated([...pdbBeta, cluster("1.24")]),
        ["PodDisruptionBudget shop/web: policy/v1beta1 PodDisruptionBudget is deprecated since Kubernetes 1.21 and removed in 1.25: use policy/v1 PodDisruptionBudget (Kubernetes 1.24: the version of EKS cluster cluster)"]);
    assert.deepEqual(removed([...pdbBeta, cluster("1.24")]), []);
    assert.deepEqual(removed([...pdbBeta, cluster("1.25", "aws:eks/cluster:Cluster")]),
        ["PodDisruptionBudget shop/web: policy/v1beta1 PodDisruptionBudget is no longer served since Kubernetes 1.25: use policy/v1 PodDisruptionBudget (Kubernetes 1.25: the version of EKS cluster cluster)"]);
    assert.deepEqual(deprecated([...pdbBeta, cluster("1.25")]), [], "removed is not deprecated");
    assert.deepEqual(deprecated([...pdbBeta, cluster("1.20")]), [], "not deprecated yet");
    // The config wins over the cluster.
    assert.deepEqual(removed([...pdbBeta, cluster("1.24")], { "api-version-removed": { kubernetesVersion: "1.34" } }),
        ["PodDisruptionBudget shop/web: policy/v1beta1 PodDisruptionBudget is no longer served since Kubernetes 1.25: use policy/v1 PodDisruptionBudget (Kubernetes 1.34: policy config kubernetesVersion)"]);
    assert.deepEqual(removed([...pdbBeta, cluster("1.34")], { "api-version-removed": { kubernetesVersion: "1.24" } }), []);
    // No config, no cluster (or one without a version): the newest version of the EKS calendar, said so.
    for (const resources of [pdbBeta, [...pdbBeta, cluster(undefined)]]) {
        assert.deepEqual(removed(resources), [`PodDisruptionBudget shop/web: policy/v1beta1 PodDisruptionBudget is no longer served since Kubernetes 1.25: use policy/v1 PodDisruptionBudget (Kubernetes ${newest}: no kubernetesVersion configured and no EKS cluster version in the stack: the newest version of the EKS calendar)`]);
    }
    // Several clusters (the component and its aws.eks.Cluster in a preview, or two clusters): the newest.
    assert.match(deprecated([...pdbBeta, cluster("1.21", "eks:index:Cluster", "a"), cluster("1.24", "aws:eks/cluster:Cluster", "b")])[0], /Kubernetes 1\.24: the version of EKS cluster b/);
    // A bad version in config: one line naming the key and the value.
    assert.deepEqual(removed(pdbBeta, { "api-version-removed": { kubernetesVersion: "1.3x" } }), ['config kubernetesVersion "1.3x" is not a Kubernetes version like 1.34']);
    // A preview that cannot know the cluster's version cannot judge any object against it.
    const preview = evaluate(allPolicies.filter((p) => p.name === "api-version-removed"), [...pdbBeta, cluster(UNKNOWN)]);
    assert.deepEqual(preview.map((v) => [v.enforcementLevel, v.message]), [["advisory", "can't run during preview: .version can't be known during preview"]]);
    assert.match(deprecated([...pdbBeta, cluster("1.24"), cluster(UNKNOWN, "aws:eks/cluster:Cluster", "raw")])[0], /Kubernetes 1\.24: the version of EKS cluster cluster/,
        "a known version (the component's) speaks for the stack while its aws.eks.Cluster's is unknown");
    // GA and CRD versions are never judged; a replacement removed by then is followed to the one served.
    assert.deepEqual(removed(docs(deployment("web", "shop", { app: "web" }))), []);
    const flowBeta1 = docs(`
apiVersion: flowcontrol.apiserver.k8s.io/v1beta1
kind: FlowSchema
metadata: {name: fs}`);
    assert.match(removed(flowBeta1, { "api-version-removed": { kubernetesVersion: "1.34" } })[0], /no longer served since Kubernetes 1\.26: use flowcontrol\.apiserver\.k8s\.io\/v1 FlowSchema/);
    assert.match(removed(flowBeta1, { "api-version-removed": { kubernetesVersion: "1.27" } })[0], /use flowcontrol\.apiserver\.k8s\.io\/v1beta3 FlowSchema/);
});

test("api versions: kubernetesVersion's schema rejects what is not a version (as the CLI validates config)", () => {
    for (const name of ["api-version-removed", "api-version-deprecated"]) {
        const policy = allPolicies.find((p) => p.name === name)!;
        const validate = new Ajv({ strict: false }).compile({ type: "object", properties: policy.config!.schema.properties });
        for (const ok of ["1.34", "1.9", "1.100"]) assert.ok(validate({ kubernetesVersion: ok }), `${name}: ${ok}`);
        for (const bad of ["1.34.2", "v1.34", "2.1", "1.034", "1.", "", 1.34]) assert.ok(!validate({ kubernetesVersion: bad }), `${name}: ${JSON.stringify(bad)}`);
    }
});

test("the API version table: what the deprecation guide lists, and consistent", () => {
    const entry = (apiVersion: string, kind: string) => {
        const e = apiLifecycle(apiVersion, kind);
        assert.ok(e, `${apiVersion} ${kind} is in the table`);
        return [e.deprecatedIn, e.removedIn, e.replacement];
    };
    assert.deepEqual(entry("extensions/v1beta1", "Ingress"), ["1.14", "1.22", "networking.k8s.io/v1 Ingress"]);
    assert.deepEqual(entry("networking.k8s.io/v1beta1", "Ingress"), ["1.19", "1.22", "networking.k8s.io/v1 Ingress"]);
    assert.deepEqual(entry("policy/v1beta1", "PodDisruptionBudget"), ["1.21", "1.25", "policy/v1 PodDisruptionBudget"]);
    assert.deepEqual(entry("batch/v1beta1", "CronJob"), ["1.21", "1.25", "batch/v1 CronJob"]);
    assert.deepEqual(entry("autoscaling/v2beta1", "HorizontalPodAutoscaler"), ["1.22", "1.25", "autoscaling/v2 HorizontalPodAutoscaler"]);
    assert.deepEqual(entry("autoscaling/v2beta2", "HorizontalPodAutoscaler"), ["1.23", "1.26", "autoscaling/v2 HorizontalPodAutoscaler"]);
    assert.deepEqual(entry("storage.k8s.io/v1beta1", "CSIStorageCapacity"), ["1.24", "1.27", "storage.k8s.io/v1 CSIStorageCapacity"]);
    assert.deepEqual(entry("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema").slice(0, 2), ["1.26", "1.29"]);
    assert.deepEqual(entry("flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration"), ["1.29", "1.32", "flowcontrol.apiserver.k8s.io/v1 PriorityLevelConfiguration"]);
    assert.deepEqual(entry("apps/v1beta2", "Deployment"), ["1.9", "1.16", "apps/v1 Deployment"]);
    assert.equal(apiLifecycle("apps/v1", "Deployment"), undefined);
    const keys = KUBE_API_LIFECYCLE.map((e) => `${e.apiVersion} ${e.kind}`);
    assert.equal(new Set(keys).size, keys.length, "one entry per apiVersion and kind");
    for (const e of KUBE_API_LIFECYCLE) {
        assert.ok(minorOf(e.deprecatedIn)! <= minorOf(e.removedIn)!, `${e.apiVersion} ${e.kind}: deprecated before removed`);
        assert.match(e.apiVersion, /^[a-z0-9.-]+\/v\d+(alpha|beta)\d+$/);
        if (e.replacement) assert.notEqual(replacementOn(e, "1.40"), `${e.apiVersion} ${e.kind}`);
    }
});

/** A Helm release of the provider (pulumi/pulumi-kubernetes@v4.32.0: its chart's objects are no stack resources), as a stack holds it. */
const release = (name: string, namespace?: unknown): StackResource =>
    ({ type: "kubernetes:helm.sh/v3:Release", urn: `release#${name}`, name, props: { chart: name, ...(namespace === undefined ? {} : { namespace }) } });
const rollout = (name: string, ns: string, labels: Record<string, string>) => `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: 3
  selector: {matchLabels: ${JSON.stringify(labels)}}
  template:
    metadata: {labels: ${JSON.stringify(labels)}}
    spec: {containers: [{name: app, image: "nginx:1.27"}]}
  strategy: {canary: {steps: [{setWeight: 20}]}}
---`;

test("references into a namespace a Helm release installs into: a missing target may be the chart's, not judged", () => {
    const path = (name: string, port: string) => `  rules: [{host: grafana.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: ${name}, port: ${port}}}}]}}]`;
    const grafana = docs(ingress(path("kube-prometheus-stack-grafana", "{number: 80}"), "monitoring"));
    assert.equal(run("route-targets-service", grafana).length, 1, "without the release, the Service is missing");
    assert.deepEqual(run("route-targets-service", [...grafana, release("kube-prometheus-stack", "monitoring")]), [], "the chart's grafana Service");
    assert.equal(run("route-targets-service", [...grafana, release("kube-prometheus-stack", "other")]).length, 1, "a release into another namespace does not help");
    // A Service of the stack is still judged on its ports.
    const own = docs(service("web", "monitoring", { app: "web" }) + ingress(path("web", "{number: 81}"), "monitoring"));
    assert.equal(run("route-targets-service", [...own, release("kube-prometheus-stack", "monitoring")]).length, 1, "a wrong port of a stack Service");

    const nginxHpa = docs(hpa({ apiVersion: "apps/v1", kind: "Deployment", name: "ingress-nginx-controller" }, "ingress-nginx"));
    assert.equal(run("hpa-target-exists", nginxHpa).length, 1);
    assert.deepEqual(run("hpa-target-exists", [...nginxHpa, release("ingress-nginx", "ingress-nginx")]), []);
    // A target the stack holds, named in the wrong API group, is a wrong reference whatever the release holds.
    const wrongGroup = docs(deployment("web", "ingress-nginx", { app: "web" }) + hpa({ apiVersion: "v1", kind: "Deployment", name: "web" }, "ingress-nginx"));
    assert.match(run("hpa-target-exists", [...wrongGroup, release("ingress-nginx", "ingress-nginx")])[0], /is in API group "", but the Deployment is in "apps"/);
    // No namespace input: the release goes to the provider's default namespace, "default".
    const defaultHpa = docs(hpa({ apiVersion: "apps/v1", kind: "Deployment", name: "web" }, "default"));
    assert.deepEqual(run("hpa-target-exists", [...defaultHpa, release("web")]), []);
    assert.deepEqual(run("hpa-target-exists", [...defaultHpa, release("web", "")]), [], "an empty namespace is the default one");
    // In a preview a release whose namespace is unknown may install into any: the HPA is skipped.
    assert.deepEqual(run("hpa-target-exists", [...nginxHpa, release("ingress-nginx", UNKNOWN)]), []);

    const denyAll = docs(netpol("default-deny", "monitoring", {}));
    assert.equal(run("network-policy-targets-pods", denyAll).length, 1);
    assert.deepEqual(run("network-policy-targets-pods", [...denyAll, release("kube-prometheus-stack", "monitoring")]), [], "the chart's pods are there");
    const svc = docs(service("grafana", "monitoring", { "app.kubernetes.io/name": "grafana" }));
    assert.equal(run("service-targets-pods", svc).length, 1);
    assert.deepEqual(run("service-targets-pods", [...svc, release("kube-prometheus-stack", "monitoring")]), []);
    const sts = docs(statefulSet("db-headless"));
    assert.equal(run("statefulset-service-name", sts).length, 1);
    assert.deepEqual(run("statefulset-service-name", [...sts, release("db", "shop")]), []);
    assert.equal(run("statefulset-service-name", [...docs(statefulSet("db") + service("db", "shop", { app: "db" })), release("db", "shop")]).length, 1,
        "a Service of the stack that is not headless is still judged");

    // Gateway API: a ReferenceGrant may come with the chart too.
    const ref = [{ name: "api", namespace: "backend", port: 80 }];
    const cross = docs(service("api", "backend", { app: "api" }) + httpRoute(ref));
    assert.equal(run("route-targets-service", cross).length, 1);
    assert.deepEqual(run("route-targets-service", [...cross, release("backend", "backend")]), []);

    // A v4 Chart registers its objects as stack resources: it does not make a namespace partial.
    const chart: StackResource = { type: "kubernetes:helm.sh/v4:Chart", urn: "chart", name: "grafana", props: { chart: "grafana", namespace: "monitoring" } };
    assert.equal(run("service-targets-pods", [...svc, chart]).length, 1);
});

test("pods from any object with a pod template: an Argo Rollout is selected by Services and NetworkPolicies", () => {
    const canary = rollout("web", "shop", { app: "web" });
    assert.deepEqual(run("service-targets-pods", docs(canary + service("web", "shop", { app: "web" }))), []);
    assert.deepEqual(run("network-policy-targets-pods", docs(canary + netpol("web", "shop", { matchLabels: { app: "web" } }))), []);
    assert.equal(run("service-targets-pods", docs(canary + service("web", "shop", { app: "api" }))).length, 1, "its labels still have to match");
    assert.deepEqual(run("hpa-target-exists", docs(canary + hpa({ apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "web" }))), [], "a kind with a scale subresource");
    assert.equal(run("hpa-target-exists", docs(canary + hpa({ apiVersion: "apps/v1", kind: "Rollout", name: "web" }))).length, 1, "the group counts");
    // Objects without a pod template run no pods.
    const kube = new KubeIndex(docs(canary + deployment("api", "shop", { app: "api" }) + service("web", "shop", { app: "web" }) + `
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: shop}
data: {template: x}
---
apiVersion: apps.kruise.io/v1alpha1
kind: CloneSet
metadata: {name: kruise, namespace: shop}
spec: {selector: {matchLabels: {app: k}}, template: {metadata: {labels: {app: k}}}}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: widget, namespace: shop}
spec: {template: "not a pod template", selector: {app: w}}
---`));
    assert.deepEqual(kube.podProducers.map((r) => r.props.kind), ["Deployment", "Rollout", "CloneSet"]);
    // In a preview, a custom kind whose spec is unknown may be one; a built-in kind whose spec is unknown is not.
    const preview = docs(`
apiVersion: example.com/v1
kind: Widget
metadata: {name: widget, namespace: shop}
spec: {}
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: shop}
spec: {}
---`);
    preview[0].props.spec = UNKNOWN;
    preview[1].props.spec = UNKNOWN;
    assert.deepEqual(new KubeIndex(preview.map(guardResource)).podProducers.map((r) => r.props.kind), ["Widget"]);
    // A known spec whose template labels are unknown: a ReplicationController may select the Service's pods.
    const rc = docs(`
apiVersion: v1
kind: ReplicationController
metadata: {name: legacy, namespace: shop}
spec: {selector: {app: legacy}, template: {metadata: {labels: {app: legacy}}}}
---`);
    rc[0].props.spec.template.metadata.labels = UNKNOWN;
    assert.deepEqual(run("service-targets-pods", [...rc, ...docs(service("legacy", "shop", { app: "legacy" }))]), [], "skipped: the labels may match");
    assert.deepEqual(run("service-targets-pods", [...docs(service("legacy", "shop", { app: "legacy" }) + `
apiVersion: v1
kind: ReplicationController
metadata: {name: legacy, namespace: shop}
spec: {selector: {app: legacy}, template: {metadata: {labels: {app: legacy}}}}
---`)]), [], "a ReplicationController runs pods");
});

test("route-targets-service: an AWS Load Balancer Controller action (port use-annotation) is not a Service", () => {
    const redirect = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    alb.ingress.kubernetes.io/actions.ssl-redirect: '{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}'
spec:
  ingressClassName: CLASS
  rules: [{http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: ssl-redirect, port: {name: use-annotation}}}}]}}]
---`;
    const web = service("web", "shop", { app: "web" });
    for (const cls of ["alb", "internet-facing"]) assert.deepEqual(run("route-targets-service", docs(web + redirect.replace("CLASS", cls))), [], `ingress class ${cls}`);
    assert.deepEqual(run("route-targets-service", docs(web + redirect.replace("actions.ssl-redirect", "actions.other").replace("CLASS", "alb"))),
        ["Ingress shop/web: rules[0] */: backend names Service shop/ssl-redirect, which is not in the stack"], "without its action annotation the backend is judged as a Service");
});

test("KubeIndex.selectsAnyPod answers as a scan of every workload: a match is certain, an absence with an unknown is not", () => {
    // The reference: every workload of the namespace in turn; a known match wins, else the first unknown touched.
    const scan = (kube: KubeIndex, ns: string, selector: Record<string, any>): boolean | "unknown" => {
        let unknown = false;
        for (const w of kube.podProducers) {
            try {
                if (kube.namespaceOf(w.props) === ns && selects(selector, podLabelsOf(w.props))) return true;
            } catch (err) {
                if (!(err instanceof UnknownValue)) throw err;
                unknown = true;
            }
        }
        return unknown ? "unknown" : false;
    };
    const outcomes = new Set<string>();
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const values = ["a", "b", "c"];
    for (let round = 0; round < 200; round++) {
        const resources: StackResource[] = [];
        for (let i = 0; i < 6; i++) {
            let labels: any = {};
            if (random(4)) labels.app = values[random(3)];
            if (random(2)) labels.tier = values[random(3)];
            if (random(10) === 0) labels.app = UNKNOWN;
            // Unknown values under other keys (the per-key buckets), a value that is not a string, labels unknown as a whole.
            if (random(6) === 0) labels.tier = UNKNOWN;
            if (random(8) === 0) labels.version = UNKNOWN;
            if (random(15) === 0) labels.tier = 5;
            if (random(20) === 0) labels = UNKNOWN;
            const ns = random(12) === 0 ? UNKNOWN : ["x", "y"][random(2)];
            const kind = ["Deployment", "Pod", "CronJob", "Rollout"][random(4)];
            const props = kind === "Pod" ? { kind, metadata: { name: `w${i}`, namespace: ns, labels } }
                : kind === "CronJob" ? { kind, metadata: { name: `w${i}`, namespace: ns }, spec: { jobTemplate: { spec: { template: { metadata: { labels } } } } } }
                : { kind, metadata: { name: `w${i}`, namespace: ns }, spec: { selector: {}, template: { metadata: { labels } } } };
            const api = kind === "CronJob" ? "batch/v1" : kind === "Pod" ? "v1" : kind === "Rollout" ? "argoproj.io/v1alpha1" : "apps/v1";
            resources.push(guardResource({ type: kubernetesType(api, kind), urn: `u${i}`, name: `w${i}`, props }));
        }
        const kube = new KubeIndex(resources);
        const selectors: Record<string, any>[] = [{}, { matchLabels: { app: values[random(3)] } }, { matchLabels: { app: values[random(3)], tier: values[random(3)] } },
            { matchExpressions: [{ key: "tier", operator: "In", values: [values[random(3)], values[random(3)]] }] },
            { matchExpressions: [{ key: "app", operator: "Exists" }] }, { matchExpressions: [{ key: "app", operator: "DoesNotExist" }] },
            { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["a"] }], matchLabels: { app: "b" } },
            { matchLabels: { version: values[random(3)] } }, { matchExpressions: [{ key: "version", operator: "Exists" }] },
            { matchLabels: { tier: values[random(3)], app: values[random(3)] } }];
        for (const selector of selectors) {
            for (const ns of ["x", "y", "z"]) {
                let got: boolean | "unknown";
                try {
                    got = kube.selectsAnyPod(ns, selector);
                } catch (err) {
                    if (!(err instanceof UnknownValue)) throw err;
                    got = "unknown";
                }
                const expected = scan(kube, ns, selector);
                assert.equal(got, expected, `round ${round}, ${ns}, ${JSON.stringify(selector)}`);
                outcomes.add(`${JSON.stringify(selector)}: ${expected}`.replace(/"[abc]"/g, "v"));
            }
        }
    }
    // Not vacuous: the unknown-value buckets changed answers (an absence became unknown) and matches were found through them.
    for (const shape of ['{"matchLabels":{"version":v}}: unknown', '{"matchLabels":{"version":v}}: false', '{"matchLabels":{"tier":v,"app":v}}: unknown',
        '{"matchLabels":{"tier":v,"app":v}}: false', '{}: true', '{}: unknown']) assert.ok(outcomes.has(shape), shape);
});

test("KubeIndex: an unknown label value makes only the selectors that read its key candidates", () => {
    // 50 workloads, each with an unknown `version`; 50 Services and NetworkPolicies selecting them by app.
    const objects: string[] = [];
    for (let i = 0; i < 50; i++) {
        objects.push(deployment(`w${i}`, "shop", { app: `w${i}`, version: "v" }), service(`w${i}`, "shop", { app: `w${i}` }),
            netpol(`n${i}`, "shop", { matchLabels: { app: `w${i}` } }));
    }
    const resources = docs(objects.join(""));
    for (const d of resources.filter((r) => r.props.kind === "Deployment")) d.props.spec.template.metadata.labels.version = UNKNOWN;
    // Counting views: which objects' labels or selectors are read.
    const read = new Set<string>();
    const counting = resources.map(guardResource).map((r) => ({ ...r, props: new Proxy(r.props, { get: (t, k) => (k === "spec" && read.add(r.name), Reflect.get(t, k)) }) }));
    const kube = new KubeIndex(counting);
    const w7 = counting.find((r) => r.name === "w7" && r.props.kind === "Deployment")!;
    const w3 = counting.find((r) => r.name === "w3" && r.props.kind === "Deployment")!;
    kube.selecting("NetworkPolicy", w3);
    kube.selecting("Service", w3);
    assert.ok(kube.selectsAnyPod("shop", { matchLabels: { app: "w3" } }));
    read.clear(); // the indexes are built
    assert.deepEqual(kube.selecting("NetworkPolicy", w7).map((p) => p.name), ["n7"]);
    assert.deepEqual(kube.selecting("Service", w7).map((p) => p.name), ["w7"]);
    assert.deepEqual([...read].sort(), ["n7", "w7"], "the selectors filed under app=w7 (and w7's own template), not every one of the namespace");
    read.clear();
    assert.ok(kube.selectsAnyPod("shop", { matchLabels: { app: "w9" } }));
    assert.deepEqual([...read], ["w9"], "the workloads under app=w9 only: the unknown version is not read by this selector");
    read.clear();
    assert.throws(() => kube.selectsAnyPod("shop", { matchLabels: { version: "v2" } }), UnknownValue, "version is read: every unknown version is a candidate");
    assert.equal(read.size, 50);
});

test("the reference policies stay linear: 4,000 Services, routes and HPAs are judged in well under a second each", () => {
    const objects: string[] = [];
    for (let i = 0; i < 1000; i++) {
        const ns = `ns${i % 50}`;
        objects.push(deployment(`w${i}`, ns, { app: `w${i}`, "app.kubernetes.io/part-of": "shop" }), service(`w${i}`, ns, { app: `w${i}`, "app.kubernetes.io/part-of": "shop" }),
            httpRoute([{ name: `w${i}`, port: 80 }], ns).replace("name: web", `name: r${i}`), hpa({ apiVersion: "apps/v1", kind: "Deployment", name: `w${i}` }, ns).replace("name: web", `name: h${i}`),
            netpol(`n${i}`, ns, { matchLabels: { app: `w${i}` } }));
    }
    const resources = docs(objects.join(""));
    for (const name of ["service-targets-pods", "route-targets-service", "hpa-target-exists", "network-policy-targets-pods"]) {
        const started = process.hrtime.bigint();
        assert.deepEqual(run(name, resources), [], name);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        assert.ok(ms < 1000, `${name} took ${ms.toFixed(0)} ms`);
    }
});
