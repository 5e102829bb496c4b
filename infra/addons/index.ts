/**
 * The cluster platform, assembled in dependency order from one module per add-on, from the stack
 * config: what every app needs before it can run (metrics for HPAs, the edge, DNS, secrets, reloads),
 * one node autoscaler, monitoring, and the mesh when enabled. Which add-ons a stack installs is decided
 * once (catalog.ts); each is an Addon (addon.ts) with the stack's overrides merged in.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { AddonContext } from "./context";
import { installedAddons } from "./catalog";
import { metricsServer } from "./metrics-server";
import { awsLoadBalancerController } from "./aws-load-balancer-controller";
import { ingressNginx } from "./ingress-nginx";
import { externalDns } from "./external-dns";
import { certManager } from "./cert-manager";
import { externalSecrets } from "./external-secrets";
import { reloader } from "./reloader";
import { clusterAutoscaler } from "./cluster-autoscaler";
import { karpenter } from "./karpenter";
import { monitoring } from "./kube-prometheus-stack";
import { serviceMesh } from "./mesh";
import { GatewayApi } from "./gateway-api";
import { Edge } from "../edge";

export type { AddonContext } from "./context";
export { addonConfigProblems, installedAddons } from "./catalog";

export interface PlatformAddonsArgs {
    ctx: AddonContext;
    /** The StorageClass persistent volumes come from (Prometheus waits for it; nothing else does). */
    storageClass: pulumi.Resource;
}

export class PlatformAddons extends pulumi.ComponentResource {
    /** What the app layer waits for: HPA metrics, the edge, the secret store, Reloader, the mesh. */
    readonly appDependencies: pulumi.Resource[];
    /** The Gateway services attach their HTTPRoutes to (gateway edge with a DNS zone). */
    readonly edge?: Edge;

    constructor(name: string, args: PlatformAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:addons:PlatformAddons", name, {}, opts);
        const { ctx } = args;
        const { config } = ctx;
        const child = { parent: this };
        const installed = new Set(installedAddons(config));
        const ready: pulumi.Resource[] = [];

        ready.push(metricsServer(ctx, child));
        const secrets = externalSecrets(ctx, [...config.services.flatMap((s) => s.secrets), config.monitoring.grafanaAdminSecret], child);
        ready.push(secrets.store);
        if (installed.has("reloader")) ready.push(reloader(ctx, child));

        // Gateway API and the controller's CRDs before the controller: it detects them once, at startup.
        const gatewayApi = new GatewayApi("gateway-api", { after: ctx.inCluster }, child);
        const lbc = awsLoadBalancerController(ctx, { ...child, after: gatewayApi.crds });

        // ServiceMonitors and PrometheusRules need its CRDs; Grafana's login needs the secret store.
        const prometheus = installed.has("kube-prometheus-stack")
            ? monitoring(ctx, { ...child, after: [secrets.store, args.storageClass] })
            : undefined;
        // istiod's injection webhook (failure policy Fail) must serve before any meshed pod starts.
        const mesh = installed.has("istiod")
            ? serviceMesh(ctx, { monitoring: !!prometheus }, { ...child, after: prometheus ? [prometheus] : [] })
            : undefined;
        if (mesh) ready.push(...mesh.ready);

        const zone = config.dns && aws.route53.getZoneOutput({ name: config.dns.zone, privateZone: false }, child);
        if (installed.has("ingress-nginx")) {
            ready.push(ingressNginx(ctx, { serviceMonitor: !!prometheus, mesh: !!mesh },
                { ...child, after: [lbc, ...(prometheus ? [prometheus] : []), ...(mesh?.ready ?? [])] }));
        } else if (config.dns && zone) {
            this.edge = new Edge("edge", {
                zone: config.dns.zone,
                zoneId: zone.zoneId,
                hosts: config.services.flatMap((s) => (s.host ? [s.host] : [])),
                tags: ctx.tags,
                after: [...ctx.inCluster, lbc],
            }, child);
            ready.push(this.edge.gateway);
        }
        if (config.dns && zone && installed.has("cert-manager")) {
            ready.push(certManager(ctx, { zone: config.dns.zone, zoneId: zone.zoneId, zoneArn: zone.arn }, child).issuer);
        }
        // Its HTTPRoute informer needs the Gateway API CRDs; with policy sync it must not start reading routes
        // (and deleting the records of hosts it finds none for) before the Gateway has its ALB.
        if (config.dns && zone && installed.has("external-dns")) {
            externalDns(ctx, { zone: config.dns.zone, zoneId: zone.zoneId, zoneArn: zone.arn },
                { ...child, after: [...gatewayApi.crds, ...(this.edge ? [this.edge.gateway] : [])] });
        }

        // At most one of them (nodes.autoscaler is one value; cpu-target is the node group's own ASG policy).
        if (installed.has("cluster-autoscaler")) clusterAutoscaler(ctx, child);
        if (installed.has("karpenter")) karpenter(ctx, child);

        this.appDependencies = ready;
        this.registerOutputs({ installed: [...installed] });
    }
}
