import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { AddonContext } from "../context";
import { addonNamespace, addonRelease, Chart } from "../helm";
import { PLATFORM } from "../../platform";
import { PROMETHEUS_URL } from "../kube-prometheus-stack";

const ISTIO_VERSION = "1.24.2";
const ISTIO_REPO = "https://istio-release.storage.googleapis.com/charts";
export const ISTIO_BASE_CHART: Chart = { chart: "base", version: ISTIO_VERSION, repo: ISTIO_REPO };
export const ISTIOD_CHART: Chart = { chart: "istiod", version: ISTIO_VERSION, repo: ISTIO_REPO };
export const KIALI_CHART: Chart = { chart: "kiali-server", version: "2.4.0", repo: "https://kiali.org/helm-charts" };
export const JAEGER_CHART: Chart = { chart: "jaeger", version: "3.3.3", repo: "https://jaegertracing.github.io/helm-charts" };

export const MESH_NAMESPACE = PLATFORM.meshNamespace;

/** Release name of Jaeger: the chart names its services `<release>-collector` and `<release>-query`. */
const JAEGER = "jaeger";
const JAEGER_HOST = (service: string) => `${JAEGER}-${service}.${MESH_NAMESPACE}.svc.cluster.local`;
/** Zipkin-protocol endpoint of the all-in-one Jaeger, where every sidecar sends its spans. */
export const JAEGER_ZIPKIN_ADDRESS = `${JAEGER_HOST("collector")}:9411`;
/** Jaeger's query API over gRPC, which Kiali reads traces from. */
export const JAEGER_QUERY_URL = `http://${JAEGER_HOST("query")}:16685`;

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
    pilot: { replicaCount: number; autoscaleMin: number; resources: Resources };
    meshConfig: {
        enableTracing: boolean;
        accessLogFile: string;
        defaultConfig: { tracing: { zipkin: { address: string } } };
    };
};

export function istiodValues(): IstiodValues {
    return {
        // Two istiods: sidecars of new pods cannot start without one.
        pilot: { replicaCount: 2, autoscaleMin: 2, resources: resources("200m", "512Mi", "1Gi") },
        meshConfig: {
            enableTracing: true,
            accessLogFile: "/dev/stdout",
            defaultConfig: { tracing: { zipkin: { address: JAEGER_ZIPKIN_ADDRESS } } },
        },
    };
}

export type KialiValues = {
    istio_namespace: string;
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
        istio_namespace: MESH_NAMESPACE,
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
    provisionDataStore: { cassandra: boolean };
    storage: { type: string };
    allInOne: { enabled: boolean; args: string[]; resources: Resources };
    agent: { enabled: boolean };
    collector: { enabled: boolean; service: { zipkin: { port: number } } };
    query: { enabled: boolean };
};

export function jaegerValues(): JaegerValues {
    return {
        provisionDataStore: { cassandra: false },
        // In memory: traces are for debugging the last hours, not an archive.
        storage: { type: "memory" },
        // The trace cap bounds the memory the store may take.
        allInOne: { enabled: true, args: ["--memory.max-traces=50000"], resources: resources("100m", "512Mi", "1Gi") },
        agent: { enabled: false },
        // The all-in-one pod serves the collector (Zipkin on 9411) and the query API itself.
        collector: { enabled: false, service: { zipkin: { port: 9411 } } },
        query: { enabled: false },
    };
}

export interface ServiceMeshArgs {
    ctx: AddonContext;
    /** Namespaces whose pods get sidecars; the caller labels them with `meshNamespaceLabels(true)`. */
    injectNamespaces: string[];
}

/**
 * Istio with mesh-wide STRICT mTLS, tracing to an in-memory Jaeger, and Kiali over Prometheus and
 * Jaeger. Sidecar injection is per namespace: the caller labels the namespaces this component expects.
 */
export class ServiceMesh extends pulumi.ComponentResource {
    readonly base: k8s.helm.v3.Release;
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
        this.istiod = addonRelease(`${name}-istiod`, {
            chart: ISTIOD_CHART,
            namespace: namespace.metadata.name,
            values: istiodValues(),
        }, { parent: this, dependsOn: [this.base] });

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

        this.registerOutputs({ injectNamespaces: this.injectNamespaces, status: this.istiod.status });
    }
}
