import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { AddonContext } from "../context";
import { addonNamespace, addonRelease, Chart } from "../helm";
import { PLATFORM } from "../../platform";
import { PROMETHEUS_URL } from "../kube-prometheus-stack";

/**
 * istio/istio@1.30.3 (2026-07-16): 1.30 is the first minor that supports Kubernetes 1.36 (1.32-1.36).
 * Charts from Istio's OCI registry (istio/release-builder release/publish.sh:34): the Google Cloud Storage
 * Helm repository gets nothing from 1.31 on and is being retired.
 */
const ISTIO_VERSION = "1.30.3";
const ISTIO_CHARTS = "oci://ghcr.io/istio/release/charts";
/** Where Istio pushes its images (release/publish.sh:33); the 1.30 charts default to a registry being retired. */
const ISTIO_HUB = "docker.io/istio";
export const ISTIO_BASE_CHART: Chart = { chart: `${ISTIO_CHARTS}/base`, version: ISTIO_VERSION };
export const ISTIO_CNI_CHART: Chart = { chart: `${ISTIO_CHARTS}/cni`, version: ISTIO_VERSION };
export const ISTIOD_CHART: Chart = { chart: `${ISTIO_CHARTS}/istiod`, version: ISTIO_VERSION };
/** kiali/helm-charts@v2.29.0 (2026-07-13). */
export const KIALI_CHART: Chart = { chart: "kiali-server", version: "2.29.0", repo: "https://kiali.org/helm-charts" };
/** jaegertracing/helm-charts@jaeger-4.11.1 (2026-06-14): Jaeger v2.19.0; Jaeger v1 reached end of life in December 2025. */
export const JAEGER_CHART: Chart = { chart: "jaeger", version: "4.11.1", repo: "https://jaegertracing.github.io/helm-charts" };

export const MESH_NAMESPACE = PLATFORM.meshNamespace;

/** Release name of Jaeger: the v2 chart serves everything from one Service named after it. */
const JAEGER = "jaeger";
const JAEGER_HOST = `${JAEGER}.${MESH_NAMESPACE}.svc.cluster.local`;
/** Jaeger's Zipkin receiver, where every sidecar sends its spans. */
export const JAEGER_ZIPKIN_ADDRESS = `${JAEGER_HOST}:9411`;
/** Jaeger's query API over gRPC, which Kiali reads traces from. */
export const JAEGER_QUERY_URL = `http://${JAEGER_HOST}:16685`;

/**
 * Labels for a namespace whose pods get the Envoy sidecar: `istio-injection: enabled` when the mesh is
 * on, nothing otherwise (so turning the mesh off removes the label and the next rollout drops it).
 */
export function meshNamespaceLabels(enabled: boolean): Record<string, string> {
    return enabled ? { "istio-injection": "enabled" } : {};
}

interface Resources {
    requests: { cpu: string; memory: string };
    limits: { memory: string };
}

const resources = (cpu: string, memory: string, memoryLimit: string): Resources => ({ requests: { cpu, memory }, limits: { memory: memoryLimit } });

export type IstiodValues = {
    replicaCount: number;
    autoscaleMin: number;
    resources: Resources;
    global: { hub: string };
    cni: { enabled: boolean };
    meshConfig: {
        enableTracing: boolean;
        accessLogFile: string;
        defaultConfig: { tracing: { zipkin: { address: string } } };
    };
};

export function istiodValues(): IstiodValues {
    return {
        // Two istiods: sidecars of new pods cannot start without one. (Top-level keys since 1.24; the
        // `pilot.*` spellings only survive through a compatibility shim.)
        replicaCount: 2,
        autoscaleMin: 2,
        resources: resources("200m", "512Mi", "1Gi"),
        global: { hub: ISTIO_HUB },
        // Traffic redirection is set up by the Istio CNI node agent, so injected pods need no NET_ADMIN
        // init container and pass the namespaces' Pod Security `restricted`.
        cni: { enabled: true },
        meshConfig: {
            enableTracing: true,
            accessLogFile: "/dev/stdout",
            defaultConfig: { tracing: { zipkin: { address: JAEGER_ZIPKIN_ADDRESS } } },
        },
    };
}

export type KialiValues = {
    auth: { strategy: string };
    deployment: { replicas: number; resources: Resources };
    external_services: {
        prometheus: { url: string };
        tracing: { enabled: boolean; provider: string; internal_url: string; use_grpc: boolean };
        grafana: { enabled: boolean };
    };
};

export function kialiValues(): KialiValues {
    return {
        // Log in with a Kubernetes token: Kiali sees what that identity's RBAC allows, nothing more.
        auth: { strategy: "token" },
        deployment: { replicas: 1, resources: resources("50m", "128Mi", "512Mi") },
        external_services: {
            prometheus: { url: PROMETHEUS_URL },
            tracing: { enabled: true, provider: "jaeger", internal_url: JAEGER_QUERY_URL, use_grpc: true },
            // Grafana's API would need its admin login in Kiali; its dashboards are reachable directly.
            grafana: { enabled: false },
        },
    };
}

export type JaegerValues = {
    jaeger: { replicas: number; args: string[]; resources: Resources };
};

export function jaegerValues(): JaegerValues {
    return {
        jaeger: {
            // In memory, one replica: traces are for debugging the last hours, not an archive, and each
            // replica would hold its own.
            replicas: 1,
            // The trace cap bounds the memory the store may take (a v2 setting: the v1 flag
            // --memory.max-traces would stop the binary; jaegertracing/jaeger@v2.19.0 cmd/jaeger/internal/all-in-one.yaml:38-42).
            args: ["--set=extensions.jaeger_storage.backends.some_storage.memory.max_traces=50000"],
            resources: resources("100m", "512Mi", "1Gi"),
        },
    };
}

/**
 * What Prometheus scrapes of the mesh: every sidecar's merged metrics (the port its `prometheus.io/*`
 * annotations name) and istiod. After Istio's own Prometheus Operator sample
 * (istio/istio@1.30.3:samples/addons/extras/prometheus-operator.yaml); without them Kiali's graph is empty.
 */
export function istioMonitors(): Record<string, unknown>[] {
    const metadata = (name: string, monitoring: string) => ({ name, namespace: MESH_NAMESPACE, labels: { monitoring, "app.kubernetes.io/part-of": PLATFORM.partOf } });
    const replace = (sourceLabels: string[], targetLabel: string, regex?: string, replacement?: string) =>
        ({ action: "replace", sourceLabels, targetLabel, ...(regex ? { regex } : {}), ...(replacement ? { replacement } : {}) });
    return [
        {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PodMonitor",
            metadata: metadata("envoy-stats-monitor", "istio-proxies"),
            spec: {
                selector: { matchExpressions: [{ key: "istio-prometheus-ignore", operator: "DoesNotExist" }] },
                namespaceSelector: { any: true },
                jobLabel: "envoy-stats",
                podMetricsEndpoints: [{
                    path: "/stats/prometheus",
                    interval: "15s",
                    relabelings: [
                        { action: "keep", sourceLabels: ["__meta_kubernetes_pod_container_name"], regex: "istio-proxy" },
                        { action: "keep", sourceLabels: ["__meta_kubernetes_pod_annotationpresent_prometheus_io_scrape"] },
                        replace(["__meta_kubernetes_pod_annotation_prometheus_io_port", "__meta_kubernetes_pod_ip"], "__address__",
                            "(\\d+);(([A-Fa-f0-9]{1,4}::?){1,7}[A-Fa-f0-9]{1,4})", "[$2]:$1"),
                        replace(["__meta_kubernetes_pod_annotation_prometheus_io_port", "__meta_kubernetes_pod_ip"], "__address__",
                            "(\\d+);((([0-9]+?)(\\.|$)){4})", "$2:$1"),
                        { action: "labeldrop", regex: "__meta_kubernetes_pod_label_(.+)" },
                        replace(["__meta_kubernetes_namespace"], "namespace"),
                        replace(["__meta_kubernetes_pod_name"], "pod"),
                    ],
                }],
            },
        },
        {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "ServiceMonitor",
            metadata: metadata("istio-component-monitor", "istio-components"),
            spec: {
                jobLabel: "istio",
                targetLabels: ["app"],
                selector: { matchExpressions: [{ key: "istio", operator: "In", values: ["pilot"] }] },
                namespaceSelector: { any: true },
                endpoints: [{ port: "http-monitoring", interval: "15s" }],
            },
        },
    ];
}

export interface ServiceMeshArgs {
    ctx: AddonContext;
    /** Namespaces whose pods get sidecars; the caller labels them with `meshNamespaceLabels(true)`. */
    injectNamespaces: string[];
}

/**
 * Istio with its CNI node agent, mesh-wide STRICT mTLS, tracing to an in-memory Jaeger, and Kiali over
 * Prometheus and Jaeger. Sidecar injection is per namespace: the caller labels the namespaces this
 * component expects.
 */
export class ServiceMesh extends pulumi.ComponentResource {
    readonly base: k8s.helm.v3.Release;
    readonly cni: k8s.helm.v3.Release;
    readonly istiod: k8s.helm.v3.Release;
    readonly peerAuthentication: k8s.apiextensions.CustomResource;
    readonly kiali: k8s.helm.v3.Release;
    readonly jaeger: k8s.helm.v3.Release;
    readonly injectNamespaces: string[];

    constructor(name: string, args: ServiceMeshArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:addons:ServiceMesh", name, {}, opts);
        this.injectNamespaces = [...args.injectNamespaces];
        const namespace = addonNamespace(MESH_NAMESPACE, { parent: this });

        // The CRDs and cluster roles first; istiod's webhooks and config need them.
        this.base = addonRelease(`${name}-base`, {
            chart: ISTIO_BASE_CHART,
            name: "istio-base",
            namespace: namespace.metadata.name,
            values: { defaultRevision: "default" },
        }, { parent: this });
        // The node agent that sets up each injected pod's traffic redirection; its defaults (/opt/cni/bin,
        // /etc/cni/net.d, chained after the VPC CNI) fit EKS's AL2023 nodes.
        this.cni = addonRelease(`${name}-cni`, {
            chart: ISTIO_CNI_CHART,
            name: "istio-cni",
            namespace: namespace.metadata.name,
            values: { global: { hub: ISTIO_HUB } },
        }, { parent: this, dependsOn: [this.base] });
        this.istiod = addonRelease(`${name}-istiod`, {
            chart: ISTIOD_CHART,
            name: "istiod",
            namespace: namespace.metadata.name,
            values: istiodValues(),
        }, { parent: this, dependsOn: [this.base, this.cni] });

        // Mesh-wide (root namespace, no selector): sidecars accept mTLS only.
        this.peerAuthentication = new k8s.apiextensions.CustomResource(`${name}-mtls`, {
            apiVersion: "security.istio.io/v1",
            kind: "PeerAuthentication",
            metadata: { name: "default", namespace: MESH_NAMESPACE },
            spec: { mtls: { mode: "STRICT" } },
        }, { parent: this, dependsOn: [this.istiod] });

        this.jaeger = addonRelease(`${name}-jaeger`, {
            chart: JAEGER_CHART,
            name: JAEGER,
            namespace: namespace.metadata.name,
            values: jaegerValues(),
        }, { parent: this });
        this.kiali = addonRelease(`${name}-kiali`, {
            chart: KIALI_CHART,
            name: "kiali",
            namespace: namespace.metadata.name,
            values: kialiValues(),
        }, { parent: this, dependsOn: [this.istiod] });

        // The monitoring CRDs come with kube-prometheus-stack, which this component is ordered after.
        for (const monitor of istioMonitors()) {
            new k8s.apiextensions.CustomResource(`${name}-${(monitor.metadata as { name: string }).name}`, monitor as k8s.apiextensions.CustomResourceArgs,
                { parent: this, dependsOn: [this.istiod] });
        }

        this.registerOutputs({ injectNamespaces: this.injectNamespaces, status: this.istiod.status });
    }
}
