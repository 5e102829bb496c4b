import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { AddonContext } from "../context";
import { addonNamespace, addonRelease, Chart, spreadConstraints } from "../helm";

/** kubernetes-sigs/metrics-server@metrics-server-helm-chart-3.13.1 (2026-06-11, app 0.8.1: Kubernetes 1.31+). */
export const METRICS_SERVER_CHART: Chart = { chart: "metrics-server", version: "3.13.1", repo: "https://kubernetes-sigs.github.io/metrics-server/" };

export interface MetricsServerArgs {
    ctx: AddonContext;
}

/** metrics-server: the CPU and memory figures every HPA scales on. Two replicas: no metrics, no scaling. */
export class MetricsServer extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, _args: MetricsServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:addons:MetricsServer", name, {}, opts);
        const namespace = addonNamespace("metrics-server", { parent: this });
        const labels = { "app.kubernetes.io/name": "metrics-server" };
        this.release = addonRelease(name, {
            chart: METRICS_SERVER_CHART,
            namespace: namespace.metadata.name,
            values: {
                replicas: 2,
                podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
                resources: { requests: { cpu: "100m", memory: "200Mi" }, limits: { memory: "400Mi" } },
                topologySpreadConstraints: spreadConstraints(labels),
            },
        }, { parent: this });
        this.registerOutputs({ status: this.release.status });
    }
}
