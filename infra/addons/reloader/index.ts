import type { AddonContext } from "../context";
import { Addon, AddonOptions, AddonSpec, resources } from "../addon";

/** stakater/Reloader@chart-v2.2.16 (2026-08-10, app v1.4.21): 1.2.1 could not render a PDB maxUnavailable. */
export const RELOADER: AddonSpec = {
    name: "reloader",
    chart: { chart: "reloader", version: "2.2.16", repo: "https://stakater.github.io/stakater-charts" },
    namespace: "reloader",
    // templates/poddisruptionbudget.yaml:8-13 reads maxUnavailable, which values.yaml only shows commented out.
    openValues: ["reloader.podDisruptionBudget"],
    previously: { type: "eks-delivery:addons:Reloader", name: "reloader" },
};

/**
 * Reloader: when external-secrets refreshes a service's Secret, the Deployments that name it in
 * `secret.reloader.stakater.com/reload` roll (a normal, zero-downtime rollout). Without it a rotated
 * secret reaches pods at their next rollout.
 */
export function reloader(ctx: AddonContext, opts: AddonOptions): Addon {
    return new Addon(RELOADER, {
        ctx,
        values: {
            reloader: {
                enableHA: true,
                reloadStrategy: "annotations",
                deployment: {
                    replicas: 2,
                    resources: resources("20m", "64Mi", "128Mi"),
                    securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
                },
                // templates/poddisruptionbudget.yaml:8-13 renders maxUnavailable when set, else minAvailable.
                podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
            },
        },
        workloads: [{ workload: "reloader/reloader-reloader", kind: "Deployment", replicas: "reloader.deployment.replicas", surge: 1, containers: ["reloader.deployment.resources"] }],
    }, opts);
}
