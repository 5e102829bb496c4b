/**
 * The cluster platform, assembled from one module per add-on in dependency order, from the stack
 * config: what every app needs before it can run (metrics for HPAs, ingress behind an NLB, DNS and
 * TLS, secrets, reloads), one node autoscaler, monitoring, and the mesh when enabled.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AddonContext } from "./context";
import { MetricsServer } from "./metrics-server";
import { AwsLoadBalancerController } from "./aws-load-balancer-controller";
import { IngressNginx } from "./ingress-nginx";
import { ExternalDns } from "./external-dns";
import { CertManager } from "./cert-manager";
import { ExternalSecrets } from "./external-secrets";
import { Reloader } from "./reloader";
import { ClusterAutoscaler } from "./cluster-autoscaler";
import { Karpenter } from "./karpenter";
import { Monitoring } from "./kube-prometheus-stack";
import { ServiceMesh } from "./mesh";

export type { AddonContext } from "./context";

export interface PlatformAddonsArgs {
    ctx: AddonContext;
    /** Namespaces of the app layer (mesh sidecar injection). */
    appNamespaces: string[];
    /** The StorageClass persistent volumes come from (Prometheus waits for it; nothing else does). */
    storageClass: pulumi.Resource;
}

/** The add-on that owns desired size for each `nodes.autoscaler` mode: exactly one, never two. */
export function nodeAutoscalerAddon(mode: AddonContext["config"]["nodes"]["autoscaler"]): "cluster-autoscaler" | "karpenter" | undefined {
    switch (mode) {
        case "cluster-autoscaler": return "cluster-autoscaler";
        case "karpenter": return "karpenter";
        case "cpu-target": return undefined; // the ASG target-tracking policy of the node group
    }
}

export class PlatformAddons extends pulumi.ComponentResource {
    /** What the app layer waits for: HPA metrics, the ingress class, the secret store, the issuer, Reloader. */
    readonly appDependencies: pulumi.Resource[];

    constructor(name: string, args: PlatformAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:addons:PlatformAddons", name, {}, opts);
        const { ctx } = args;
        const { config } = ctx;
        const child = { parent: this };

        const metrics = new MetricsServer("metrics-server", { ctx }, child);
        const secretNames = [...config.services.flatMap((s) => s.secrets), config.monitoring.grafanaAdminSecret];
        const secrets = new ExternalSecrets("external-secrets", { ctx, secretNames }, child);
        const reloader = new Reloader("reloader", { ctx }, child);
        // The Grafana admin ExternalSecret needs the secret store; ServiceMonitors need the monitoring CRDs.
        const monitoring = new Monitoring("monitoring", { ctx }, { ...child, dependsOn: [secrets.store, args.storageClass] });
        const lbc = new AwsLoadBalancerController("aws-load-balancer-controller", { ctx }, child);
        // With the mesh on, istiod's injection webhook (failure policy Fail) must serve before ingress pods start.
        const mesh = config.mesh.enabled ? new ServiceMesh("mesh", { ctx, injectNamespaces: args.appNamespaces }, { ...child, dependsOn: [monitoring] }) : undefined;
        const ingress = new IngressNginx("ingress-nginx", { ctx, serviceMonitor: true, mesh: config.mesh.enabled },
            { ...child, dependsOn: [lbc.release, monitoring, ...(mesh ? [mesh] : [])] });

        const ready: pulumi.Resource[] = [metrics.release, ingress.release, secrets.store, reloader.release];
        if (config.dns) {
            const dns = new ExternalDns("external-dns", { ctx, zone: config.dns.zone }, child);
            const tls = new CertManager("cert-manager", { ctx, zone: config.dns.zone, zoneId: dns.zoneId, zoneArn: dns.zoneArn }, child);
            ready.push(tls.issuer);
        }

        switch (nodeAutoscalerAddon(config.nodes.autoscaler)) {
            case "cluster-autoscaler": new ClusterAutoscaler("cluster-autoscaler", { ctx }, child); break;
            case "karpenter": new Karpenter("karpenter", { ctx }, child); break;
        }


        this.appDependencies = ready;
        this.registerOutputs({});
    }
}
