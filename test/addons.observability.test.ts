/** Observability add-ons offline: kube-prometheus-stack (dashboard, alerts, Grafana login) and the Istio mesh. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { Plan, PlannedResource } from "../tools/plan/plan";
import { monitoring, ALERTS, KUBE_PROMETHEUS_STACK } from "../infra/addons/kube-prometheus-stack";
import { meshNamespaceLabels, serviceMesh, ISTIO_BASE, ISTIO_CNI, ISTIOD, JAEGER_SPEC, KIALI } from "../infra/addons/mesh";
import type { AddonSpec } from "../infra/addons/addon";
import { addonContext, planComponent, Values, validateKubernetesObject } from "./support";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const ofType = (plan: Plan, type: string) => plan.resources.filter((r) => r.type === type);
function one(plan: Plan, type: string, name?: string): PlannedResource {
    const found = ofType(plan, type).filter((r) => name === undefined || r.name === name);
    assert.equal(found.length, 1, `one ${type}${name ? ` named ${name}` : ""}`);
    return found[0];
}
const input = (r: PlannedResource) => r.inputs as any;

/**
 * What a planned resource explicitly waits for (its dependsOn, as the plan records it), each as
 * `<kind>/<name>`: an add-on's Addon component and its release share the add-on's name.
 */
function dependsOn(plan: Plan, r: PlannedResource): string[] {
    const byUrn = new Map(plan.resources.map((x) => [x.urn, x]));
    return (r.options?.dependsOn ?? []).map((urn) => {
        const d = byUrn.get(urn);
        return d ? `${d.type.split(":").pop()}/${d.name}` : `? ${urn}`;
    });
}
/** The release of an add-on: named after it, in its namespace, of its pinned chart, under its Addon component. */
function releaseOf(plan: Plan, spec: AddonSpec): PlannedResource {
    const r = one(plan, RELEASE, spec.name);
    const component = one(plan, "eks-delivery:addons:Addon", spec.name);
    assert.equal(r.parent, component.urn, `${spec.name}: the release is the Addon's`);
    assert.equal(input(r).name, spec.name, `${spec.name}: the Helm release is named after the add-on`);
    assert.equal(input(r).namespace, spec.namespace);
    assert.deepEqual({ chart: input(r).chart, version: input(r).version, repo: input(r).repositoryOpts?.repo },
        { chart: spec.chart.chart, version: spec.chart.version, repo: spec.chart.repo }, `${spec.name}: the pinned chart`);
    assert.equal(input(r).atomic, true);
    return r;
}

const cpuTarget = (percent: number) => addonContext("dev", (v) => Object.assign(v["eks-delivery:nodes"] as object, {
    autoscaler: "cpu-target", cpuTargetPercent: percent, alertEmail: "ops@example.com",
}));

test("monitoring: pinned chart, HA Prometheus and Alertmanager, one Grafana, every component with resources", async () => {
    const plan = await planComponent(() => { monitoring(addonContext(), {}); });
    const release = input(releaseOf(plan, KUBE_PROMETHEUS_STACK));
    assert.equal(release.name, "kube-prometheus-stack");
    assert.equal(release.chart, "kube-prometheus-stack");
    assert.equal(release.version, "88.5.3");
    assert.deepEqual(release.repositoryOpts, { repo: "https://prometheus-community.github.io/helm-charts" });
    assert.equal(release.namespace, "monitoring");
    assert.equal(release.atomic, true);

    const v = release.values;
    const prometheus = v.prometheus.prometheusSpec;
    assert.equal(prometheus.replicas, 2);
    assert.equal(v.alertmanager.alertmanagerSpec.replicas, 2);
    assert.equal(v.grafana.replicas, 1, "separate SQLite files per replica would log users out");
    assert.equal(prometheus.retention, "15d");
    // On EBS (gp3, infra/storage.ts), not the node's disk: a restart keeps the data; size from config, 85 % for blocks.
    assert.deepEqual(prometheus.storageSpec, { volumeClaimTemplate: { spec: { storageClassName: "gp3", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "50Gi" } } } } });
    assert.equal(prometheus.retentionSize, "42GB");
    assert.deepEqual(prometheus.resources, { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "4Gi" } });
    assert.equal(prometheus.serviceMonitorSelectorNilUsesHelmValues, false);
    assert.equal(prometheus.podMonitorSelectorNilUsesHelmValues, false);
    assert.equal(prometheus.ruleSelectorNilUsesHelmValues, false);
    assert.equal(prometheus.securityContext.runAsNonRoot, true);
    assert.deepEqual(prometheus.topologySpreadConstraints.map((t: any) => t.topologyKey), ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
    assert.equal(prometheus.topologySpreadConstraints[1].labelSelector.matchLabels["app.kubernetes.io/name"], "prometheus");
    assert.deepEqual(v.grafana.sidecar.dashboards, { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" });
    assert.equal(v.defaultRules.create, true);
    for (const [what, r] of Object.entries({
        alertmanager: v.alertmanager.alertmanagerSpec.resources,
        grafana: v.grafana.resources,
        operator: v.prometheusOperator.resources,
        "kube-state-metrics": v["kube-state-metrics"].resources,
        "node-exporter": v["prometheus-node-exporter"].resources,
    }) as Array<[string, any]>) {
        assert.ok(r.requests.cpu && r.requests.memory && r.limits.memory, `${what} has requests and a memory limit`);
    }
    const namespace = one(plan, "kubernetes:core/v1:Namespace");
    assert.equal((namespace.outputs.metadata as any).name, "monitoring");
});

test("monitoring: Grafana's login comes from Secrets Manager through an ExternalSecret, never through Pulumi", async () => {
    const plan = await planComponent(() => { monitoring(addonContext(), {}); });
    const release = one(plan, RELEASE);
    const grafana = input(release).values.grafana;
    assert.deepEqual(grafana.admin, { existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
    assert.equal(grafana.adminPassword, undefined);
    const json = JSON.stringify(plan);
    assert.doesNotMatch(json, /"adminPassword":"[^"]/, "no admin password value anywhere in the plan");
    assert.doesNotMatch(json, /prom-operator/, "not the chart's default password either");

    const externalSecret = one(plan, "kubernetes:external-secrets.io/v1:ExternalSecret");
    const external = externalSecret.outputs as any;
    assert.equal(external.metadata.name, "grafana-admin");
    assert.equal(external.metadata.namespace, "monitoring");
    assert.equal(external.metadata.annotations["pulumi.com/waitFor"], "condition=Ready");
    assert.deepEqual(external.spec.secretStoreRef, { kind: "ClusterSecretStore", name: "aws-secrets-manager" });
    assert.deepEqual(external.spec.target, { name: "grafana-admin", creationPolicy: "Owner" });
    assert.deepEqual(external.spec.dataFrom, [{ extract: { key: "dev/grafana-admin" } }]);
    await assert.doesNotReject(validateKubernetesObject(external), "a valid external-secrets.io/v1 object");
    assert.deepEqual(dependsOn(plan, release), ["Namespace/monitoring", `ExternalSecret/${externalSecret.name}`], "the release waits for the Secret");
    assert.equal(externalSecret.parent, one(plan, "eks-delivery:addons:Addon", "kube-prometheus-stack").urn);

    const prod = await planComponent(() => { monitoring(addonContext("prod"), {}); }, "prod");
    const key = (one(prod, "kubernetes:external-secrets.io/v1:ExternalSecret").outputs as any).spec.dataFrom[0].extract.key;
    assert.equal(key, "prod/grafana-admin", "each stack reads its own secret");
});

test("monitoring: the pod-resources dashboard compares usage with requests and limits", async () => {
    const plan = await planComponent(() => { monitoring(addonContext(), {}); });
    const maps = ofType(plan, "kubernetes:core/v1:ConfigMap").filter((m) => (m.outputs.metadata as any).labels?.grafana_dashboard === "1");
    assert.equal(maps.length, 1);
    const map = maps[0].outputs as any;
    assert.equal(map.metadata.namespace, "monitoring");
    assert.deepEqual(dependsOn(plan, maps[0]), ["Release/kube-prometheus-stack"], "after the chart: its namespace and Grafana's sidecar exist");
    await assert.doesNotReject(validateKubernetesObject(map));
    const files = Object.keys(map.data);
    assert.deepEqual(files, ["pod-resources.json"]);
    const dashboard = JSON.parse(map.data["pod-resources.json"]);
    assert.equal(typeof dashboard.uid, "string");
    const exprs: string[] = dashboard.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr));
    const some = (re: RegExp) => assert.ok(exprs.some((e) => re.test(e)), `a query matches ${re}`);
    some(/container_cpu_usage_seconds_total/);
    some(/container_memory_working_set_bytes/);
    some(/kube_pod_container_resource_requests\{[^}]*resource="cpu"/);
    some(/kube_pod_container_resource_limits\{[^}]*resource="cpu"/);
    some(/kube_pod_container_resource_requests\{[^}]*resource="memory"/);
    some(/kube_pod_container_resource_limits\{[^}]*resource="memory"/);
    assert.ok(exprs.every((e) => /sum by \(namespace, pod\)/.test(e)), "every query is per namespace and pod");
    assert.deepEqual(dashboard.templating.list.map((t: any) => t.name), ["datasource", "namespace", "pod"]);
});

test("monitoring: the PrometheusRule alerts on OOM kills, crash loops, maxed-out HPAs and node CPU above target", async () => {
    const plan = await planComponent(() => { monitoring(cpuTarget(55), {}); });
    const rule = one(plan, "kubernetes:monitoring.coreos.com/v1:PrometheusRule");
    assert.deepEqual(dependsOn(plan, rule), ["Release/kube-prometheus-stack"], "the CRD comes with the release");
    const out = rule.outputs as any;
    assert.equal(out.apiVersion, "monitoring.coreos.com/v1");
    assert.equal(out.metadata.namespace, "monitoring");
    const rules: any[] = out.spec.groups.flatMap((g: any) => g.rules);
    assert.deepEqual(rules.map((r) => r.alert), ["ContainerOOMKilled", "ContainerCrashLoopBackOff", "HpaAtMaxReplicas", "NodeCpuAboveTarget"]);
    assert.deepEqual(Object.values(ALERTS), rules.map((r) => r.alert));
    const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));
    assert.match(byName.ContainerOOMKilled.expr, /kube_pod_container_status_last_terminated_reason\{reason="OOMKilled"\}/);
    assert.match(byName.ContainerCrashLoopBackOff.expr, /kube_pod_container_status_waiting_reason\{reason="CrashLoopBackOff"\}/);
    assert.match(byName.HpaAtMaxReplicas.expr, /kube_horizontalpodautoscaler_status_current_replicas >= kube_horizontalpodautoscaler_spec_max_replicas/);
    assert.equal(byName.HpaAtMaxReplicas.for, "15m");
    assert.match(byName.NodeCpuAboveTarget.expr, /node_cpu_seconds_total\{mode="idle"\}/);
    assert.match(byName.NodeCpuAboveTarget.expr, / > 55$/, "the configured CPU target");
    assert.equal(byName.NodeCpuAboveTarget.for, "15m");
    for (const r of rules) {
        assert.ok(["warning", "critical"].includes(r.labels.severity), `${r.alert} severity`);
        assert.ok(r.annotations.summary.length > 0 && r.annotations.description.length > 0, `${r.alert} annotations`);
    }

    const dflt = await planComponent(() => { monitoring(addonContext(), {}); });
    const nodeCpu = (one(dflt, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").outputs as any).spec.groups
        .flatMap((g: any) => g.rules).find((r: any) => r.alert === "NodeCpuAboveTarget");
    assert.match(nodeCpu.expr, / > 70$/, "70% without a configured target");
});

const MESH_SPECS = [ISTIO_BASE, ISTIO_CNI, ISTIOD, KIALI, JAEGER_SPEC];
const meshOn = (patch: (v: Values) => void = () => {}) => addonContext("dev", (v) => { v["eks-delivery:mesh"] = { enabled: true }; patch(v); });

/** Plans the mesh, and the URNs of what `serviceMesh` says must be ready before meshed pods start. */
async function planMesh(ctx: ReturnType<typeof addonContext>, monitoringOn: boolean): Promise<{ plan: Plan; ready: string[] }> {
    let ready: pulumi.Output<string[]> | undefined;
    const plan = await planComponent(() => { ready = pulumi.all(serviceMesh(ctx, { monitoring: monitoringOn }, {}).ready.map((r) => r.urn)); });
    const urns = await new Promise<string[]>((done) => { ready!.apply((u) => { done(u); return u; }); });
    return { plan, ready: urns };
}

test("mesh: pinned Istio with its CNI, Kiali and Jaeger v2; istiod after base and CNI; STRICT mTLS mesh-wide; tracing wired", async () => {
    const { plan, ready } = await planMesh(meshOn(), true);
    const releases: Record<string, PlannedResource> = Object.fromEntries(ofType(plan, RELEASE).map((r) => [String(input(r).name), r]));
    assert.deepEqual(Object.keys(releases).sort(), ["istio-base", "istio-cni", "istiod", "jaeger", "kiali"]);
    for (const spec of MESH_SPECS) releaseOf(plan, spec);
    const istio = "oci://ghcr.io/istio/release/charts";
    const pinned = (name: string) => ({ chart: input(releases[name]).chart, version: input(releases[name]).version, repo: input(releases[name]).repositoryOpts?.repo });
    for (const [name, chart] of [["istio-base", "base"], ["istio-cni", "cni"], ["istiod", "istiod"]]) {
        assert.deepEqual(pinned(name), { chart: `${istio}/${chart}`, version: "1.30.3", repo: undefined });
    }
    assert.deepEqual(pinned("kiali"), { chart: "kiali-server", version: "2.29.0", repo: "https://kiali.org/helm-charts" });
    assert.deepEqual(pinned("jaeger"), { chart: "jaeger", version: "4.11.1", repo: "https://jaegertracing.github.io/helm-charts" });
    for (const r of Object.values(releases)) assert.equal(input(r).namespace, "istio-system");
    assert.deepEqual(dependsOn(plan, releases.istiod), ["Release/istio-base", "Release/istio-cni"], "istiod injects CNI-mode sidecars: the node agent first");
    assert.deepEqual(dependsOn(plan, releases["istio-cni"]), ["Release/istio-base"]);
    assert.deepEqual(dependsOn(plan, releases["istio-base"]), ["Namespace/istio-system"], "base first, once its namespace exists");
    assert.deepEqual(dependsOn(plan, releases.jaeger), ["Release/istio-base"]);
    assert.deepEqual(dependsOn(plan, releases.kiali), ["Release/istiod"]);

    const istiod = input(releases.istiod).values;
    // The chart's HPA sets the count: at least two istiods, no replicaCount beside it.
    assert.equal(istiod.replicaCount, undefined);
    assert.equal(istiod.autoscaleMin, 2);
    assert.equal(istiod.autoscaleMax, 5);
    assert.deepEqual(istiod.resources, { requests: { cpu: "200m", memory: "512Mi" }, limits: { memory: "1Gi" } });
    assert.deepEqual(istiod.cni, { enabled: true }, "no NET_ADMIN init container: pods pass Pod Security restricted");
    for (const name of ["istio-cni", "istiod"]) assert.equal(input(releases[name]).values.global.hub, "docker.io/istio", `${name}: images from where Istio pushes them`);
    const mesh = istiod.meshConfig;
    assert.equal(mesh.enableTracing, true);
    assert.equal(mesh.accessLogFile, "/dev/stdout");
    assert.equal(mesh.defaultConfig.tracing.zipkin.address, "jaeger.istio-system.svc.cluster.local:9411");

    const peer = one(plan, "kubernetes:security.istio.io/v1:PeerAuthentication");
    const p = peer.outputs as any;
    assert.equal(p.metadata.name, "default");
    assert.equal(p.metadata.namespace, "istio-system");
    assert.deepEqual(p.spec, { mtls: { mode: "STRICT" } });
    assert.equal(p.spec.selector, undefined, "mesh-wide, not per workload");
    assert.deepEqual(dependsOn(plan, peer), ["Release/istiod"]);

    const kiali = input(releases.kiali).values;
    assert.equal(kiali.auth.strategy, "token");
    assert.equal(kiali.external_services.prometheus.url, "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090");
    assert.equal(kiali.external_services.tracing.internal_url, "http://jaeger.istio-system.svc.cluster.local:16685");
    assert.equal(kiali.istio_namespace, undefined, "removed in Kiali 2.14");
    // Prometheus scrapes the sidecars (merged metrics) and istiod: Kiali's graph and Istio's metrics exist.
    const podMonitor = one(plan, "kubernetes:monitoring.coreos.com/v1:PodMonitor");
    const serviceMonitor = one(plan, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor");
    for (const monitor of [podMonitor, serviceMonitor]) {
        await validateKubernetesObject(monitor.outputs);
        assert.deepEqual(dependsOn(plan, monitor), ["Release/istiod"]);
    }
    const envoy = (podMonitor.outputs as any).spec.podMetricsEndpoints[0];
    assert.equal(envoy.path, "/stats/prometheus");
    assert.deepEqual(envoy.relabelings[0], { action: "keep", sourceLabels: ["__meta_kubernetes_pod_container_name"], regex: "istio-proxy" });
    assert.deepEqual((serviceMonitor.outputs as any).spec.endpoints, [{ port: "http-monitoring", interval: "15s" }]);
    const jaeger = input(releases.jaeger).values.jaeger;
    assert.equal(jaeger.replicas, 1, "in-memory traces: one store");
    assert.deepEqual(jaeger.args, ["--set=extensions.jaeger_storage.backends.some_storage.memory.max_traces=50000"], "a v2 setting, not the v1 flag");
    assert.ok(jaeger.resources.requests.memory && jaeger.resources.limits.memory);
    assert.equal((one(plan, "kubernetes:core/v1:Namespace").outputs.metadata as any).name, "istio-system");

    // What meshed pods wait for: every add-on of the mesh (their components) and the mTLS policy.
    const urnOf = (type: string, name: string) => one(plan, type, name).urn;
    assert.deepEqual([...ready].sort(), [
        ...MESH_SPECS.map((spec) => urnOf("eks-delivery:addons:Addon", spec.name)),
        peer.urn,
    ].sort());
});

test("mesh: no Prometheus, no Kiali and no Istio monitors; Jaeger and Kiali can be turned off", async () => {
    const releaseNames = (plan: Plan) => ofType(plan, RELEASE).map((r) => String(input(r).name)).sort();
    const monitors = (plan: Plan) => [...ofType(plan, "kubernetes:monitoring.coreos.com/v1:PodMonitor"), ...ofType(plan, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor")];

    const unmonitored = await planMesh(meshOn(), false);
    assert.deepEqual(releaseNames(unmonitored.plan), ["istio-base", "istio-cni", "istiod", "jaeger"], "Kiali reads Prometheus");
    assert.deepEqual(monitors(unmonitored.plan), [], "the monitor CRDs come with kube-prometheus-stack");
    assert.equal(unmonitored.ready.length, 5, "base, CNI, istiod, mTLS, Jaeger");

    const off = await planMesh(meshOn((v) => { v["eks-delivery:addons"] = { jaeger: { enabled: false }, kiali: { enabled: false } }; }), true);
    assert.deepEqual(releaseNames(off.plan), ["istio-base", "istio-cni", "istiod"]);
    assert.equal(monitors(off.plan).length, 2, "Prometheus still scrapes the mesh");
    assert.equal(off.ready.length, 4, "base, CNI, istiod, mTLS");
});

test("mesh: namespaces get the injection label only when the mesh is on", () => {
    assert.deepEqual(meshNamespaceLabels(true), { "istio-injection": "enabled" });
    assert.deepEqual(meshNamespaceLabels(false), {});
});
