import type { AddonContext } from "../context";
import { Addon, AddonOptions, AddonSpec, resources, spreadConstraints } from "../addon";

/** kubernetes-sigs/metrics-server@metrics-server-helm-chart-3.13.1 (2026-06-11, app 0.8.1: Kubernetes 1.31+). */
export const METRICS_SERVER: AddonSpec = {
    name: "metrics-server",
    chart: { chart: "metrics-server", version: "3.13.1", repo: "https://kubernetes-sigs.github.io/metrics-server/" },
    namespace: "metrics-server",
    required: "every service's HorizontalPodAutoscaler scales on its metrics",
    previously: { type: "eks-delivery:addons:MetricsServer", name: "metrics-server" },
};

/** metrics-server: the CPU and memory figures every HPA scales on. Two replicas: no metrics, no scaling. */
export function metricsServer(ctx: AddonContext, opts: AddonOptions): Addon {
    return new Addon(METRICS_SERVER, {
        ctx,
        values: {
            replicas: 2,
            podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
            resources: resources("100m", "200Mi", "400Mi"),
            topologySpreadConstraints: spreadConstraints({ "app.kubernetes.io/name": "metrics-server" }),
        },
        // templates/deployment.yaml: one container; the chart's default strategy surges by 25 % (1 pod).
        workloads: [{ workload: "metrics-server/metrics-server", kind: "Deployment", replicas: "replicas", surge: 1, containers: ["resources"] }],
    }, opts);
}
