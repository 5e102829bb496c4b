/**
 * The Kubernetes shape of a service, as pure functions of its config: what zero downtime took the
 * seeds a dozen outages to learn. The ServiceDeployment component turns these into resources.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { ServiceConfig } from "../../config";
import { PLATFORM } from "../../infra/platform";
import { ACTIVATION_ANNOTATION } from "../../policies/lib/conventions";

export type Colour = "blue" | "green";

/**
 * Timings of a graceful shutdown: the pod leaves the load balancer during preStop, the app then finishes
 * in-flight work. The ALB keeps sending new requests to a target for some seconds after the controller
 * deregisters it (kubernetes-sigs/aws-load-balancer-controller#3270; the EKS best-practices guide,
 * Load Balancing, adds a preStop sleep for it), so preStop covers the controller's watch, the
 * DeregisterTargets call and the ALB's propagation with room to spare.
 */
export const SHUTDOWN = {
    /** preStop sleep: the controller deregisters the pod's IP and the ALB stops routing to it meanwhile. */
    preStopSeconds: 15,
    /** The app keeps serving this long after SIGTERM (DRAIN_SECONDS), then closes. */
    drainSeconds: 5,
    /**
     * Grace period: preStop 15 + drain 5 + the app's close deadline 10 (serve.js CLOSE_SECONDS) = 30 s,
     * and 15 s to spare before SIGKILL. Also the target group's deregistration delay (ALB_TARGETS).
     */
    terminationGracePeriodSeconds: 45,
} as const;

export const ROLLOUT = {
    maxUnavailable: 0,
    minReadySeconds: 10,
    revisionHistoryLimit: 5,
    /** After this long without progress the rollout is failed (and `pulumi up` with it). */
    progressDeadlineSeconds: 300,
} as const;

/**
 * How long `pulumi up` waits for a Deployment: just past the progress deadline, so a stuck rollout fails
 * with Kubernetes' reason (ProgressDeadlineExceeded) in about five minutes, not after a longer timeout of
 * Pulumi's own that says less.
 */
export const ROLLOUT_TIMEOUT = `${Math.ceil((ROLLOUT.progressDeadlineSeconds + 60) / 60)}m`;

/** The non-root user of the distroless images (`nonroot`). */
const RUN_AS = 65532;

export interface WorkloadNames {
    /** Deployment name: the service name, or `<service>-<colour>` for blue/green. */
    deployment: string;
    colour?: Colour;
}

export interface ServiceContext {
    namespace: string;
    version: string;
    /** Digest-pinned image reference (`repo@sha256:...`). */
    image: pulumi.Input<string>;
    /** Name of the Secret the ExternalSecret writes, when the service has secrets. */
    envSecretName?: string;
}

/** The label that tells the colours apart: the Service selects the live one by it. */
export const COLOUR_LABEL = "color";
/** The label a workload carries its release version in. */
export const VERSION_LABEL = "app.kubernetes.io/version";

export function labels(service: ServiceConfig, version: string, colour?: Colour): Record<string, string> {
    return {
        "app.kubernetes.io/name": service.name,
        [VERSION_LABEL]: version,
        "app.kubernetes.io/part-of": PLATFORM.partOf,
        "app.kubernetes.io/managed-by": "pulumi",
        ...(colour ? { [COLOUR_LABEL]: colour } : {}),
    };
}

/** Selector labels: stable across versions (a Deployment's selector is immutable). */
export function selector(service: ServiceConfig, colour?: Colour): Record<string, string> {
    return { "app.kubernetes.io/name": service.name, ...(colour ? { [COLOUR_LABEL]: colour } : {}) };
}

/**
 * With the gateway edge: the load balancer controller adds a readiness gate per ALB target group to pods
 * created in a namespace with this label, so a rollout waits until the ALB sees new pods as healthy
 * (kubernetes-sigs/aws-load-balancer-controller@v3.5.0:pkg/inject/pod_readiness/pod_readiness_gate.go:64-99).
 */
export const READINESS_GATE_LABELS = { "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled" } as const;

export function namespaceManifest(name: string, extraLabels: Record<string, string> = {}): k8s.core.v1.NamespaceArgs {
    const restricted = {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    };
    return { metadata: { name, labels: { ...restricted, ...extraLabels, "app.kubernetes.io/part-of": PLATFORM.partOf } } };
}

export function serviceAccountManifest(service: ServiceConfig, namespace: string, version: string): k8s.core.v1.ServiceAccountArgs {
    return {
        metadata: { name: service.name, namespace, labels: labels(service, version) },
        // The services do not call the Kubernetes API: no token in the pods.
        automountServiceAccountToken: false,
    };
}

function container(service: ServiceConfig, ctx: ServiceContext): k8s.types.input.core.v1.Container {
    const { requests, limits } = service.resources;
    const http = (path: string) => ({ path, port: "http" });
    return {
        name: service.name,
        image: ctx.image,
        imagePullPolicy: "IfNotPresent",
        ports: [{ name: "http", containerPort: service.port, protocol: "TCP" }],
        env: [
            { name: "PORT", value: String(service.port) },
            { name: "DRAIN_SECONDS", value: String(SHUTDOWN.drainSeconds) },
        ],
        ...(ctx.envSecretName ? { envFrom: [{ secretRef: { name: ctx.envSecretName } }] } : {}),
        resources: {
            requests: { cpu: requests.cpu, memory: requests.memory, "ephemeral-storage": requests.ephemeralStorage },
            // Memory limit always (an OOM kill beats a dead node); a CPU limit only where configured,
            // since CFS throttling hurts latency more than it protects neighbours that have requests.
            limits: { memory: limits.memory, ...(limits.cpu ? { cpu: limits.cpu } : {}), "ephemeral-storage": limits.ephemeralStorage },
        },
        // Slow starters get up to 150 s before liveness applies.
        startupProbe: { httpGet: http(service.healthPath), periodSeconds: 5, failureThreshold: 30, timeoutSeconds: 2 },
        // Readiness (may fail while draining or overloaded) and liveness (the process is wedged) differ.
        readinessProbe: { httpGet: http(service.readinessPath), periodSeconds: 5, successThreshold: 2, failureThreshold: 2, timeoutSeconds: 2 },
        livenessProbe: { httpGet: http(service.healthPath), periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
        lifecycle: { preStop: { sleep: { seconds: SHUTDOWN.preStopSeconds } } },
        securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS,
            runAsGroup: RUN_AS,
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    };
}

export interface DeploymentOptions extends WorkloadNames {
    /** Blue/green colours only: the scale Pulumi holds (apps/service/blueGreen.ts colourReplicas). Rolling Deployments leave it to the HPA. */
    replicas?: number;
}

export function deploymentManifest(service: ServiceConfig, ctx: ServiceContext, opts: DeploymentOptions): k8s.apps.v1.DeploymentArgs {
    const match = selector(service, opts.colour);
    const annotations: Record<string, string> = {};
    if (ctx.envSecretName) annotations["secret.reloader.stakater.com/reload"] = ctx.envSecretName; // secret refresh rolls the pods
    if (opts.replicas !== undefined) {
        // Forced: spec.replicas may be owned by the HPA (kube-controller-manager, subresource scale) or the idle
        // DeploymentPatch's manager; a non-forced apply of another value would fail with a conflict.
        annotations["pulumi.com/patchForce"] = "true";
        annotations[ACTIVATION_ANNOTATION] = "true";
    }
    return {
        metadata: { name: opts.deployment, namespace: ctx.namespace, labels: labels(service, ctx.version, opts.colour), annotations },
        spec: {
            ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
            selector: { matchLabels: match },
            strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: ROLLOUT.maxUnavailable, maxSurge: service.maxSurge } },
            minReadySeconds: ROLLOUT.minReadySeconds,
            revisionHistoryLimit: ROLLOUT.revisionHistoryLimit,
            progressDeadlineSeconds: ROLLOUT.progressDeadlineSeconds,
            template: {
                metadata: { labels: labels(service, ctx.version, opts.colour) },
                spec: {
                    serviceAccountName: service.name,
                    automountServiceAccountToken: false,
                    terminationGracePeriodSeconds: SHUTDOWN.terminationGracePeriodSeconds,
                    securityContext: {
                        runAsNonRoot: true,
                        runAsUser: RUN_AS,
                        runAsGroup: RUN_AS,
                        fsGroup: RUN_AS,
                        seccompProfile: { type: "RuntimeDefault" },
                    },
                    containers: [container(service, ctx)],
                    volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
                    // Spread per revision (pod-template-hash) so a rollout spreads too: zones when
                    // possible, nodes always (the seeds' outage: every pod on one node).
                    topologySpreadConstraints: [
                        { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: match }, matchLabelKeys: ["pod-template-hash"] },
                        { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: match }, matchLabelKeys: ["pod-template-hash"] },
                    ],
                },
            },
        },
    };
}

export function hpaManifest(service: ServiceConfig, namespace: string, version: string, target: pulumi.Input<string>): k8s.autoscaling.v2.HorizontalPodAutoscalerArgs {
    return {
        metadata: { name: service.name, namespace, labels: labels(service, version) },
        spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target },
            minReplicas: service.replicas.min,
            maxReplicas: service.replicas.max,
            metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: service.cpuTargetPercent } } }],
            behavior: {
                // Scale up at once, by whichever is more: double, or four pods, every 15 s.
                scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }, { type: "Pods", value: 4, periodSeconds: 15 }] },
                // Scale down only after 5 minutes of lower load, half at a time: no flapping.
                scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: "Max", policies: [{ type: "Percent", value: 50, periodSeconds: 60 }] },
            },
        },
    };
}

export function pdbManifest(service: ServiceConfig, namespace: string, version: string, colour?: pulumi.Input<Colour>): k8s.policy.v1.PodDisruptionBudgetArgs {
    return {
        metadata: { name: service.name, namespace, labels: labels(service, version) },
        spec: {
            // One pod at a time, whatever the scale: node drains always make progress.
            maxUnavailable: 1,
            selector: { matchLabels: { "app.kubernetes.io/name": service.name, ...(colour ? { color: colour } : {}) } },
            // A crash-looping pod must not block a node drain.
            unhealthyPodEvictionPolicy: "AlwaysAllow",
        },
    };
}

/** The service's Service; `name` for a colour's own Service (`<service>-<colour>`, a target of the Gateway's route). */
export function serviceManifest(service: ServiceConfig, namespace: string, version: string, colour?: pulumi.Input<Colour>, name = service.name): k8s.core.v1.ServiceArgs {
    return {
        metadata: { name, namespace, labels: labels(service, version) },
        spec: {
            type: "ClusterIP",
            selector: { "app.kubernetes.io/name": service.name, ...(colour ? { [COLOUR_LABEL]: colour } : {}) },
            ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
        },
    };
}

export function ingressManifest(service: ServiceConfig & { host: string }, namespace: string, version: string, meshed = false): k8s.networking.v1.IngressArgs {
    return {
        metadata: {
            name: service.name,
            namespace,
            labels: labels(service, version),
            annotations: {
                // ingress-nginx edge only: the certificate comes from cert-manager.
                "cert-manager.io/cluster-issuer": PLATFORM.clusterIssuer,
                // In the mesh, nginx sends to the Service so its sidecar applies mTLS and routing.
                ...(meshed ? { "nginx.ingress.kubernetes.io/service-upstream": "true" } : {}),
            },
        },
        spec: {
            ingressClassName: PLATFORM.ingressClass,
            tls: [{ hosts: [service.host], secretName: `${service.name}-tls` }],
            rules: [{
                host: service.host,
                http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: service.name, port: { name: "http" } } } }] },
            }],
        },
    };
}

/** Istio's ports a meshed pod needs beyond its own: istiod (xDS and certificates) and the merged metrics. */
export const MESH_PORTS = { istiod: 15012, mergedMetrics: 15020 } as const;

/**
 * Where a service's public traffic comes from: the Gateway's ALB, which connects from its private
 * addresses in the public subnets (IP targets), or the ingress-nginx pods.
 */
export type EdgeSource = { kind: "gateway"; publicSubnetCidrs: pulumi.Input<string[]> } | { kind: "nginx" };

/**
 * Only the edge, Prometheus and the namespace's own pods reach the service port; the pods reach DNS,
 * HTTPS anywhere (AWS APIs, external services) and their own namespace. The VPC CNI enforces this
 * (infra/eksAddons.ts). With the gateway edge the ALB's health checks come from the same subnets, so a
 * pod whose port they cannot reach never becomes a healthy target. In the mesh the sidecar must also
 * reach the mesh's namespace (istiod, the trace collector), and Prometheus scrapes the sidecar's merged
 * metrics port.
 */
export function networkPolicyManifest(service: ServiceConfig, namespace: string, version: string, edge: EdgeSource, meshed = false): k8s.networking.v1.NetworkPolicyArgs {
    const from = (ns: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } });
    type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;
    const edgePeers: pulumi.Input<Peer[]> = edge.kind === "gateway"
        ? pulumi.output(edge.publicSubnetCidrs).apply((cidrs) => cidrs.map((cidr): Peer => ({ ipBlock: { cidr } })))
        : [from(PLATFORM.ingressNamespace)];
    return {
        metadata: { name: service.name, namespace, labels: labels(service, version) },
        spec: {
            podSelector: { matchLabels: selector(service) },
            policyTypes: ["Ingress", "Egress"],
            ingress: [{
                from: pulumi.output(edgePeers).apply((peers) => [...peers, from(PLATFORM.monitoringNamespace), { podSelector: {} }]),
                ports: [{ port: "http", protocol: "TCP" }],
            }, ...(meshed ? [{ from: [from(PLATFORM.monitoringNamespace)], ports: [{ port: MESH_PORTS.mergedMetrics, protocol: "TCP" }] }] : [])],
            egress: [
                {
                    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                    ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }],
                },
                { ports: [{ port: 443, protocol: "TCP" }] },
                { to: [{ podSelector: {} }] },
                ...(meshed ? [{ to: [from(PLATFORM.meshNamespace)] }] : []),
            ],
        },
    };
}

/**
 * The service's route through the stack's Gateway: its host on the HTTPS listener, everything to the
 * Service, or for blue/green to both colours' Services, weighted to the live one.
 */
/** A Service the route sends to, and its share of the traffic (blue/green: 100 to the live colour, 0 to the idle). */
export interface RouteBackend {
    name: string;
    port: number;
    weight?: number;
}

export function httpRouteManifest(service: ServiceConfig & { host: string }, namespace: string, version: string, backends: pulumi.Input<RouteBackend[]> = [{ name: service.name, port: 80 }]) {
    const { gateway } = PLATFORM;
    return {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: service.name, namespace, labels: labels(service, version) },
        spec: {
            parentRefs: [{ name: gateway.name, namespace: gateway.namespace, sectionName: gateway.httpsListener }],
            hostnames: [service.host],
            rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: backends }],
        },
    };
}

/** The ALB's view of a pod: how often it is checked, and how long it drains. */
export const ALB_TARGETS = {
    /** Seconds between health checks, and failures/successes before a target changes state (ALB minimum 5 s). */
    intervalSeconds: 5,
    timeoutSeconds: 2,
    thresholdCount: 2,
    /** In-flight requests finish within the pod's grace period; new ones stopped during preStop. */
    deregistrationDelaySeconds: SHUTDOWN.terminationGracePeriodSeconds,
} as const;

/**
 * The target group the load balancer controller builds for the service: pod IPs (a ClusterIP Service has
 * no NodePort, so instance targets would fail the whole Gateway), health-checked on the readiness path,
 * and drained for as long as a pod takes to stop. kubernetes-sigs/aws-load-balancer-controller@v3.5.0
 * docs/guide/gateway/targetgroupconfig.md; apis/gateway/v1/targetgroupconfig_types.go:54-88,186-233.
 */
export function targetGroupConfigurationManifest(service: ServiceConfig, namespace: string, version: string, backend = service.name) {
    return {
        apiVersion: "gateway.k8s.aws/v1",
        kind: "TargetGroupConfiguration",
        metadata: { name: backend, namespace, labels: labels(service, version) },
        spec: {
            targetReference: { name: backend },
            defaultConfiguration: {
                targetType: "ip",
                healthCheckConfig: {
                    healthCheckPath: service.readinessPath,
                    healthCheckProtocol: "HTTP",
                    healthCheckInterval: ALB_TARGETS.intervalSeconds,
                    healthCheckTimeout: ALB_TARGETS.timeoutSeconds,
                    healthyThresholdCount: ALB_TARGETS.thresholdCount,
                    unhealthyThresholdCount: ALB_TARGETS.thresholdCount,
                    // What the kubelet counts as ready, too.
                    matcher: { httpCode: "200-399" },
                },
                targetGroupAttributes: [{ key: "deregistration_delay.timeout_seconds", value: String(ALB_TARGETS.deregistrationDelaySeconds) }],
            },
        },
    };
}

/**
 * In the mesh (STRICT mTLS), the ALB is not a mesh client: the service port also accepts plain HTTP (the
 * NetworkPolicy admits only the ALB's subnets, Prometheus and the namespace); meshed callers keep mTLS.
 */
export function peerAuthenticationManifest(service: ServiceConfig, namespace: string, version: string) {
    return {
        apiVersion: "security.istio.io/v1",
        kind: "PeerAuthentication",
        metadata: { name: service.name, namespace, labels: labels(service, version) },
        spec: {
            selector: { matchLabels: selector(service) },
            mtls: { mode: "STRICT" },
            portLevelMtls: { [String(service.port)]: { mode: "PERMISSIVE" } },
        },
    };
}

/** ExternalSecret: Secrets Manager values become the pods' environment; nothing secret passes Pulumi. */
export function externalSecretManifest(service: ServiceConfig, namespace: string, version: string, targetName: string) {
    return {
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: {
            name: service.name,
            namespace,
            labels: labels(service, version),
            // Wait until the secret has synced: pods must not start without their environment.
            annotations: { "pulumi.com/waitFor": "condition=Ready" },
        },
        spec: {
            refreshInterval: "1h",
            secretStoreRef: { kind: "ClusterSecretStore", name: PLATFORM.secretStore },
            target: { name: targetName, creationPolicy: "Owner", deletionPolicy: "Retain" },
            dataFrom: service.secrets.map((key) => ({ extract: { key } })),
        },
    };
}
