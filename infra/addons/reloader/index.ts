import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { AddonContext } from "../context";
import { addonNamespace, addonRelease, Chart } from "../helm";

/** stakater/Reloader@chart-v2.2.16 (2026-08-10, app v1.4.21): 1.2.1 could not render a PDB maxUnavailable. */
export const RELOADER_CHART: Chart = { chart: "reloader", version: "2.2.16", repo: "https://stakater.github.io/stakater-charts" };

export interface ReloaderArgs {
    ctx: AddonContext;
}

/**
 * Reloader: when external-secrets refreshes a service's Secret, the Deployments that name it in
 * `secret.reloader.stakater.com/reload` roll (a normal, zero-downtime rollout).
 */
export class Reloader extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, _args: ReloaderArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:addons:Reloader", name, {}, opts);
        const namespace = addonNamespace("reloader", { parent: this });
        this.release = addonRelease(name, {
            chart: RELOADER_CHART,
            namespace: namespace.metadata.name,
            values: {
                reloader: {
                    enableHA: true,
                    reloadStrategy: "annotations",
                    deployment: {
                        replicas: 2,
                        resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                        securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
                    },
                    // templates/poddisruptionbudget.yaml:8-13 renders maxUnavailable when set, else minAvailable.
                    podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
                },
            },
        }, { parent: this });
        this.registerOutputs({ status: this.release.status });
    }
}
