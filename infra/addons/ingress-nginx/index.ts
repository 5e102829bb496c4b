import * as pulumi from "@pulumi/pulumi";
import { PLATFORM } from "../../platform";
import type { AddonContext } from "../context";
import { Addon, AddonOptions, AddonSpec, resources, spreadConstraints } from "../addon";
import { meshNamespaceLabels, SIDECAR_REQUESTS } from "../mesh";

/**
 * kubernetes/ingress-nginx@helm-chart-4.15.1 (2026-03-19): the project's final release. ingress-nginx was
 * retired in March 2026 (no releases or security fixes since) and its support table stops at Kubernetes 1.35.
 */
export const INGRESS_NGINX: AddonSpec = {
    name: "ingress-nginx",
    chart: { chart: "ingress-nginx", version: "4.15.1", repo: "https://kubernetes.github.io/ingress-nginx" },
    namespace: PLATFORM.ingressNamespace,
    required: "it is the stack's edge (eks-delivery:ingress.controller: nginx): choose gateway there",
    previously: { type: "eks-delivery:addons:IngressNginx", name: "ingress-nginx" },
};

/** The warning every plan and update with ingress-nginx prints. */
export const INGRESS_NGINX_RETIRED = `ingress-nginx was retired upstream in March 2026: ${INGRESS_NGINX.chart.version} is its final release, ` +
    "with no security fixes to come and no support for Kubernetes 1.36 stated; the default edge (eks-delivery:ingress.controller: gateway) is maintained";

/** Service annotations that make the AWS Load Balancer Controller put an internet-facing NLB in front. */
export const NLB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "external",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
    "service.beta.kubernetes.io/aws-load-balancer-attributes": "load_balancing.cross_zone.enabled=true",
    "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": "deregistration_delay.timeout_seconds=30,preserve_client_ip.enabled=true",
};

export interface IngressNginxArgs {
    /** Publish Prometheus ServiceMonitors (needs the monitoring CRDs). */
    serviceMonitor: boolean;
    /**
     * Join the mesh: with STRICT mTLS the controller must reach pods through its own sidecar. Inbound
     * (NLB) ports stay outside the sidecar; upstream traffic goes through it.
     */
    mesh: boolean;
}

/**
 * ingress-nginx behind an NLB, for teams coming from it (opt-in): the ingress class every service uses.
 * At least two replicas spread over nodes and zones (the seeds lost theirs when all pods sat on one
 * node), a PDB, and a CPU-only HPA.
 */
export function ingressNginx(ctx: AddonContext, args: IngressNginxArgs, opts: AddonOptions): Addon {
    pulumi.log.warn(INGRESS_NGINX_RETIRED);
    const labels = { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" };
    const production = ctx.config.environment === "production";
    return new Addon(INGRESS_NGINX, {
        ctx,
        namespaceLabels: meshNamespaceLabels(args.mesh),
        values: {
            controller: {
                ingressClass: PLATFORM.ingressClass,
                ingressClassResource: { name: PLATFORM.ingressClass, enabled: true, default: true, controllerValue: "k8s.io/ingress-nginx" },
                // The HPA sets the count (the chart renders no replicas then). CPU only: the chart's memory target (50 %, values.yaml:418) would survive the merge, and
                // nginx's memory barely falls as replicas are added, so the HPA would ratchet to the maximum.
                autoscaling: { enabled: true, minReplicas: production ? 3 : 2, maxReplicas: 10, targetCPUUtilizationPercentage: 60, targetMemoryUtilizationPercentage: null },
                // One pod per node (required anti-affinity): a surge pod would wait for a node that only an
                // autoscaler adds, so replace one pod at a time instead.
                updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
                minAvailable: 1,
                resources: resources("200m", "256Mi", "512Mi"),
                topologySpreadConstraints: spreadConstraints(labels),
                affinity: {
                    podAntiAffinity: {
                        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey: "kubernetes.io/hostname" }],
                    },
                },
                service: { type: "LoadBalancer", externalTrafficPolicy: "Local", annotations: NLB_ANNOTATIONS },
                // Finish in-flight requests while the NLB deregisters the target.
                config: { "worker-shutdown-timeout": "60s", "use-forwarded-headers": "false" },
                metrics: { enabled: true, serviceMonitor: { enabled: args.serviceMonitor } },
                ...(args.mesh ? {
                    podAnnotations: { "traffic.sidecar.istio.io/includeInboundPorts": "" },
                    // The admission hook Jobs must finish: an injected sidecar never exits, so Helm would wait
                    // out its timeout and roll back (values.yaml:864-873 feed both Jobs' pod templates).
                    admissionWebhooks: { patch: { labels: { "sidecar.istio.io/inject": "false" } } },
                } : {}),
            },
        },
        // The HPA may reach maxReplicas; maxSurge 0 replaces pods one at a time. With the mesh, a sidecar per pod.
        workloads: [{
            workload: "ingress-nginx/ingress-nginx-controller", kind: "Deployment", replicas: "controller.autoscaling.maxReplicas",
            containers: ["controller.resources"], ...(args.mesh ? { injected: SIDECAR_REQUESTS } : {}),
        }],
    }, opts);
}
