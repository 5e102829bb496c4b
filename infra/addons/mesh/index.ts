import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { AddonContext } from "../context";
import { Addon, AddonOptions, AddonSpec, resources } from "../addon";
import { PLATFORM } from "../../platform";
import { ISTIO_INJECTION_LABEL, ISTIO_SIDECAR } from "../../../policies/lib/conventions";
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
export const MESH_NAMESPACE = PLATFORM.meshNamespace;
const MESH = "it is part of the mesh (eks-delivery:mesh.enabled): turn the mesh off there";
export const ISTIO_BASE: AddonSpec = {
    name: "istio-base", chart: { chart: `${ISTIO_CHARTS}/base`, version: ISTIO_VERSION }, namespace: MESH_NAMESPACE, required: MESH,
    // It takes over the earlier `ServiceMesh` component (and with it the istio-system namespace).
    previously: { type: "eks-delivery:addons:ServiceMesh", name: "mesh" },
};
export const ISTIO_CNI: AddonSpec = { name: "istio-cni", chart: { chart: `${ISTIO_CHARTS}/cni`, version: ISTIO_VERSION }, namespace: MESH_NAMESPACE, required: MESH };
export const ISTIOD: AddonSpec = {
    name: "istiod", chart: { chart: `${ISTIO_CHARTS}/istiod`, version: ISTIO_VERSION }, namespace: MESH_NAMESPACE, required: MESH,
    // templates/configmap.yaml merges meshConfig whole into the mesh config (MeshConfig's own schema).
    openValues: ["meshConfig"],
};
/** kiali/helm-charts@v2.29.0 (2026-07-13). */
export const KIALI: AddonSpec = {
    name: "kiali", chart: { chart: "kiali-server", version: "2.29.0", repo: "https://kiali.org/helm-charts" }, namespace: MESH_NAMESPACE,
    // templates/configmap.yaml:21-41 writes all values into Kiali's config (its own schema).
    openValues: ["external_services"],
};
/** jaegertracing/helm-charts@jaeger-4.11.1 (2026-06-14): Jaeger v2.19.0; Jaeger v1 reached end of life in December 2025. */
export const JAEGER_SPEC: AddonSpec = {
    name: "jaeger", chart: { chart: "jaeger", version: "4.11.1", repo: "https://jaegertracing.github.io/helm-charts" }, namespace: MESH_NAMESPACE,
    // templates/jaeger/jaeger-deploy.yaml:106-109 read jaeger.resources (values.yaml:231-237 comments it).
    openValues: ["jaeger.resources"],
};

/** What Istio injects beside every meshed container (policies/lib/conventions.ts, with its source). */
export const SIDECAR_REQUESTS = ISTIO_SIDECAR;

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
    return enabled ? { [ISTIO_INJECTION_LABEL]: "enabled" } : {};
}

type Resources = ReturnType<typeof resources>;

export type IstiodValues = {
    autoscaleMin: number;
    autoscaleMax: number;
    rollingMaxSurge: number;
    resources: Resources;
    global: { hub: string };
    cni: { enabled: boolean };
    meshConfig: {
        enableTracing: boolean;
        accessLogFile: string;
        defaultConfig: { tracing: { zipkin: { address: string } } };
    };
};

/** `tracing`: whether spans go to Jaeger (turned off with `eks-delivery:addons.jaeger.enabled: false`). */
export function istiodValues(tracing = true): IstiodValues {
    return {
        // At least two istiods (sidecars of new pods cannot start without one), scaled by the chart's HPA,
        // which sets the count (replicaCount would be ignored). Top-level keys since 1.24; the `pilot.*`
        // spellings only survive through a compatibility shim.
        autoscaleMin: 2,
        autoscaleMax: 5,
        // One extra istiod during a rollout (the chart surges by 100 %, values.yaml:9).
        rollingMaxSurge: 1,
        resources: resources("200m", "512Mi", "1Gi"),
        global: { hub: ISTIO_HUB },
        // Traffic redirection is set up by the Istio CNI node agent, so injected pods need no NET_ADMIN
        // init container and pass the namespaces' Pod Security `restricted`.
        cni: { enabled: true },
        meshConfig: {
            enableTracing: tracing,
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

export function kialiValues(tracing = true): KialiValues {
    return {
        // Log in with a Kubernetes token: Kiali sees what that identity's RBAC allows, nothing more.
        auth: { strategy: "token" },
        deployment: { replicas: 1, resources: resources("50m", "128Mi", "512Mi") },
        external_services: {
            prometheus: { url: PROMETHEUS_URL },
            tracing: { enabled: tracing, provider: "jaeger", internal_url: JAEGER_QUERY_URL, use_grpc: true },
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

export interface ServiceMesh {
    istiod: Addon;
    /** Every release and object of the mesh: what must be ready before meshed pods start. */
    ready: pulumi.Resource[];
}

/**
 * Istio with its CNI node agent, mesh-wide STRICT mTLS, tracing to an in-memory Jaeger, and Kiali over
 * Prometheus and Jaeger. Sidecar injection is per namespace: the caller labels the namespaces
 * (`meshNamespaceLabels`). `monitoring` false: no Prometheus, so no Kiali and no Istio monitors.
 */
export function serviceMesh(ctx: AddonContext, args: { monitoring: boolean }, opts: AddonOptions): ServiceMesh {
    const enabled = (spec: AddonSpec) => ctx.config.addons[spec.name]?.enabled !== false;
    // Before the one add-on base, every release and object here was a child of a `ServiceMesh` named "mesh",
    // named `mesh-<part>`: aliases keep them (and the installed releases) through the update.
    const earlier = pulumi.createUrn("mesh", "eks-delivery:addons:ServiceMesh", opts.parent);
    const was = (name: string) => [{ name, parent: earlier }];
    // The CRDs and cluster roles first; istiod's webhooks and config need them. It creates the namespace.
    const base = new Addon(ISTIO_BASE, { ctx, values: { defaultRevision: "default" }, workloads: [], releaseAliases: was("mesh-base") }, opts);
    // The node agent that sets up each injected pod's traffic redirection; its defaults (/opt/cni/bin,
    // /etc/cni/net.d, chained after the VPC CNI) fit EKS's AL2023 nodes.
    const cni = new Addon(ISTIO_CNI, {
        ctx, createNamespace: false, values: { global: { hub: ISTIO_HUB } }, releaseAliases: was("mesh-cni"),
        workloads: [{ workload: "istio-system/istio-cni-node", kind: "DaemonSet", replicas: 0, containers: ["resources"] }],
    }, { ...opts, after: [...(opts.after ?? []), base.release] });
    const istiod = new Addon(ISTIOD, {
        ctx, createNamespace: false, values: istiodValues(enabled(JAEGER_SPEC)), releaseAliases: was("mesh-istiod"),
        // templates/autoscale.yaml: an HPA from autoscaleMin to autoscaleMax (default 5).
        workloads: [{ workload: "istio-system/istiod", kind: "Deployment", replicas: "autoscaleMax", surge: 1, containers: ["resources"] }],
    }, { ...opts, after: [...(opts.after ?? []), base.release, cni.release] });
    const afterIstiod = { parent: istiod, dependsOn: [istiod.release] };

    // Mesh-wide (root namespace, no selector): sidecars accept mTLS only.
    const peerAuthentication = new k8s.apiextensions.CustomResource("istio-mtls", {
        apiVersion: "security.istio.io/v1",
        kind: "PeerAuthentication",
        metadata: { name: "default", namespace: MESH_NAMESPACE },
        spec: { mtls: { mode: "STRICT" } },
    }, { ...afterIstiod, aliases: was("mesh-mtls") });
    const ready: pulumi.Resource[] = [base, cni, istiod, peerAuthentication];

    if (enabled(JAEGER_SPEC)) {
        ready.push(new Addon(JAEGER_SPEC, {
            ctx, createNamespace: false, values: jaegerValues(), releaseAliases: was("mesh-jaeger"),
            workloads: [{ workload: "istio-system/jaeger", kind: "Deployment", replicas: "jaeger.replicas", surge: 1, containers: ["jaeger.resources"] }],
        }, { ...opts, after: [...(opts.after ?? []), base.release] }));
    }
    if (args.monitoring && enabled(KIALI)) {
        ready.push(new Addon(KIALI, {
            ctx, createNamespace: false, values: kialiValues(enabled(JAEGER_SPEC)), releaseAliases: was("mesh-kiali"),
            workloads: [{ workload: "istio-system/kiali", kind: "Deployment", replicas: "deployment.replicas", surge: 1, containers: ["deployment.resources"] }],
        }, { ...opts, after: [...(opts.after ?? []), istiod.release] }));
    }
    // The monitoring CRDs come with kube-prometheus-stack, which the caller orders this after.
    if (args.monitoring) {
        for (const monitor of istioMonitors()) {
            const monitorName = (monitor.metadata as { name: string }).name;
            new k8s.apiextensions.CustomResource(`istio-${monitorName}`, monitor as k8s.apiextensions.CustomResourceArgs, { ...afterIstiod, aliases: was(`mesh-${monitorName}`) });
        }
    }
    return { istiod, ready };
}
