import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { PLATFORM } from "../../platform";
import type { AddonContext } from "../context";
import { addonNamespace, addonRelease, Chart, spreadConstraints } from "../helm";
import { meshNamespaceLabels } from "../mesh";

/**
 * kubernetes/ingress-nginx@helm-chart-4.15.1 (2026-03-19): the project's final release. ingress-nginx was
 * retired in March 2026 (no releases or security fixes since) and its support table stops at Kubernetes 1.35.
 */
export const INGRESS_NGINX_CHART: Chart = { chart: "ingress-nginx", version: "4.15.1", repo: "https://kubernetes.github.io/ingress-nginx" };

/** Service annotations that make the AWS Load Balancer Controller put an internet-facing NLB in front. */
export const NLB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "external",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
    "service.beta.kubernetes.io/aws-load-balancer-attributes": "load_balancing.cross_zone.enabled=true",
    "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": "deregistration_delay.timeout_seconds=30,preserve_client_ip.enabled=true",
};

export interface IngressNginxArgs {
    ctx: AddonContext;
    /** Publish Prometheus ServiceMonitors (needs the monitoring CRDs). */
    serviceMonitor: boolean;
    /**
     * Join the mesh: with STRICT mTLS the controller must reach pods through its own sidecar. Inbound
     * (NLB) ports stay outside the sidecar; upstream traffic goes through it.
     */
    mesh: boolean;
}

/**
 * ingress-nginx behind an NLB: the ingress class every service uses. At least two replicas spread over
 * nodes and zones (the seeds lost theirs when all pods sat on one node), a PDB, and an HPA.
 */
export class IngressNginx extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: IngressNginxArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:addons:IngressNginx", name, {}, opts);
        pulumi.log.warn(`ingress-nginx was retired upstream in March 2026: ${INGRESS_NGINX_CHART.version} is its final release, ` +
            "with no security fixes to come and no support for Kubernetes 1.36 stated", this);
        const namespace = addonNamespace(PLATFORM.ingressNamespace, { parent: this }, meshNamespaceLabels(args.mesh));
        const labels = { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" };
        const production = args.ctx.config.environment === "production";
        this.release = addonRelease(name, {
            chart: INGRESS_NGINX_CHART,
            namespace: namespace.metadata.name,
            values: {
                controller: {
                    ingressClass: PLATFORM.ingressClass,
                    ingressClassResource: { name: PLATFORM.ingressClass, enabled: true, default: true, controllerValue: "k8s.io/ingress-nginx" },
                    replicaCount: production ? 3 : 2,
                    // CPU only: the chart's memory target (50 %, values.yaml:418) would survive the merge, and
                    // nginx's memory barely falls as replicas are added, so the HPA would ratchet to the maximum.
                    autoscaling: { enabled: true, minReplicas: production ? 3 : 2, maxReplicas: 10, targetCPUUtilizationPercentage: 60, targetMemoryUtilizationPercentage: null },
                    // One pod per node (required anti-affinity): a surge pod would wait for a node that only an
                    // autoscaler adds, so replace one pod at a time instead.
                    updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
                    minAvailable: 1,
                    resources: { requests: { cpu: "200m", memory: "256Mi" }, limits: { memory: "512Mi" } },
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
            // The component's dependsOn (the load balancer controller, the monitoring CRDs for the
            // ServiceMonitor) is not inherited by children: hand it to the release itself.
        }, { parent: this, dependsOn: opts?.dependsOn });
        this.registerOutputs({ status: this.release.status });
    }
}
