/**
 * Names shared by the app layer, which sets them, and the policy pack, which reads them. Dependency-free
 * so the pack can import it.
 */

/**
 * Set on every blue/green colour: Pulumi always declares its spec.replicas, although an HPA scales the
 * live one (server-side apply would remove a field Pulumi stopped sending). The count is the cluster's own:
 * what the serving colour has, what a colour is woken up to (the live count within the HPA's bounds), or
 * zero for the idle colour. `hpa-owns-replicas` accepts exactly this.
 */
export const ACTIVATION_ANNOTATION = "eks-delivery/activation";

/**
 * The stack output key under which a component states the pods it runs (a Helm release's pods, which a
 * preview cannot see): the capacity policy counts them with the workloads it does see.
 */
export const POD_FOOTPRINT_OUTPUT = "podFootprint";

/** One kind of pod a component runs: DaemonSets once per node, the rest `replicas` times. */
export interface PodFootprint {
    /** `<namespace>/<workload>`, as the chart renders it. */
    workload: string;
    kind: "Deployment" | "StatefulSet" | "DaemonSet";
    /** Pods at peak: replicas (an HPA's maxReplicas), plus a rolling update's surge; ignored for DaemonSets. */
    replicas: number;
    /** Requests of one pod: every container's together (init containers run before, never beside them). */
    cpuMillicores: number;
    memoryMiB: number;
}

/** The namespace label (value `enabled`) that has Istio inject its sidecar into every pod created there. */
export const ISTIO_INJECTION_LABEL = "istio-injection";

/**
 * Requests of the istio-proxy container Istio injects, which the workload's own spec does not show:
 * istio/istio@1.30.3:manifests/charts/istio-control/istio-discovery/values.yaml:399-402 (global.proxy.resources.requests).
 */
export const ISTIO_SIDECAR = { cpu: "100m", memory: "128Mi" } as const;
