import * as pulumi from "@pulumi/pulumi";
import type { AddonContext } from "../context";
import { Addon, AddonOptions, AddonSpec, spreadConstraints } from "../addon";
import type { Statement } from "../iam";

const NAMESPACE = "cluster-autoscaler";
const SERVICE_ACCOUNT = "cluster-autoscaler";

export const CLUSTER_AUTOSCALER: AddonSpec = {
    name: "cluster-autoscaler",
    // kubernetes/autoscaler tag cluster-autoscaler-chart-9.59.0 (2026-07-21, app 1.35.0).
    chart: { chart: "cluster-autoscaler", version: "9.59.0", repo: "https://kubernetes.github.io/autoscaler" },
    namespace: NAMESPACE,
    // templates/deployment.yaml ranges over extraArgs and renders `--key=value` for any key.
    openValues: ["extraArgs"],
    required: "it is the node autoscaler of eks-delivery:nodes.autoscaler: choose another mode there",
    previously: { type: "eks-delivery:addons:ClusterAutoscaler", name: "cluster-autoscaler" },
    reservedValues: {
        "rbac.serviceAccount": "the Pod Identity association names this service account",
        "autoDiscovery.clusterName": "the role may resize this cluster's node groups only",
    },
};

/**
 * cluster-autoscaler is built against one Kubernetes minor and only supported on it: a mismatched
 * scheduler simulation mispredicts which pods fit, so it scales out for nothing or never scales in.
 */
const IMAGE_TAGS: Record<string, string> = {
    "1.29": "v1.29.5",
    "1.30": "v1.30.6",
    "1.31": "v1.31.4",
    "1.32": "v1.32.3",
    "1.33": "v1.33.1",
    "1.34": "v1.34.5",
    // kubernetes/autoscaler tags cluster-autoscaler-1.35.2 and -1.36.1 (2026-07-22).
    "1.35": "v1.35.2",
    "1.36": "v1.36.1",
};

/** The cluster-autoscaler image tag for a cluster's Kubernetes version ("1.33" or "1.33.2"). */
export function clusterAutoscalerImageTag(kubernetesVersion: string): string {
    const minor = /^v?(\d+\.\d+)(\.\d+)?$/.exec(kubernetesVersion.trim())?.[1];
    const tag = minor === undefined ? undefined : IMAGE_TAGS[minor];
    if (!tag) {
        throw new Error(`no cluster-autoscaler release is pinned for Kubernetes ${kubernetesVersion} ` +
            `(it must match the cluster minor; known: ${Object.keys(IMAGE_TAGS).join(", ")})`);
    }
    return tag;
}

/** The chart's pod labels: release name, and `<cloudProvider>-<chart>` as the app name. */
const POD_LABELS = { "app.kubernetes.io/instance": "cluster-autoscaler", "app.kubernetes.io/name": "aws-cluster-autoscaler" };

/** Least privilege for cluster-autoscaler on AWS, as its own README lists the actions. */
export function clusterAutoscalerStatements(ctx: AddonContext): Statement[] {
    const { clusterName } = ctx;
    const region = ctx.config.region;
    return [
        {
            Sid: "ScaleOwnNodeGroups",
            Effect: "Allow",
            Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            // ASG ARNs embed a random group ID, so this cluster's groups are singled out by the tag EKS puts
            // on every managed node group's ASG; the ARN pattern only confines it to this account and region.
            Resource: pulumi.interpolate`arn:aws:autoscaling:${region}:${ctx.accountId}:autoScalingGroup:*:autoScalingGroupName/*`,
            Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" } },
        },
        {
            Sid: "DiscoverNodeGroups",
            Effect: "Allow",
            Action: [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements",
            ],
            // These reads support no resource-level permissions: AWS only accepts "*" for them.
            Resource: "*",
        },
        {
            Sid: "DescribeOwnNodeGroups",
            Effect: "Allow",
            Action: ["eks:DescribeNodegroup"],
            Resource: pulumi.interpolate`arn:aws:eks:${region}:${ctx.accountId}:nodegroup/${clusterName}/*`,
        },
    ];
}

/**
 * cluster-autoscaler for the managed node groups: two leader-elected replicas spread over zones, a
 * Pod Identity role that can only resize this cluster's groups, and the scale-down tuning the seeds learned.
 */
export function clusterAutoscaler(ctx: AddonContext, opts: AddonOptions): Addon {
    return new Addon(CLUSTER_AUTOSCALER, {
        ctx,
        identity: { serviceAccount: SERVICE_ACCOUNT, statements: clusterAutoscalerStatements(ctx) },
        values: {
            fullnameOverride: "cluster-autoscaler",
            cloudProvider: "aws",
            awsRegion: ctx.config.region,
            autoDiscovery: { clusterName: ctx.clusterName },
            image: {
                repository: "registry.k8s.io/autoscaling/cluster-autoscaler",
                tag: clusterAutoscalerImageTag(ctx.config.cluster.kubernetesVersion),
            },
            rbac: {
                serviceAccount: { create: true, name: SERVICE_ACCOUNT },
            },
            // Leader election keeps one active; the second takes over within seconds of a node loss.
            replicaCount: 2,
            resources: {
                requests: { cpu: "100m", memory: "300Mi" },
                // Memory grows with the number of nodes and pods it simulates; no CPU limit, no throttling.
                limits: { memory: "600Mi" },
            },
            podDisruptionBudget: { maxUnavailable: 1 },
            topologySpreadConstraints: spreadConstraints(POD_LABELS),
            extraArgs: {
                // Scale-in only after ten quiet minutes, so a deploy's surge does not churn nodes.
                "scale-down-unneeded-time": "10m",
                "scale-down-delay-after-add": "10m",
                "scale-down-utilization-threshold": "0.5",
                // Node groups per zone stay even, so the zone spread of workloads can be honoured.
                "balance-similar-node-groups": true,
                "expander": "least-waste",
                // emptyDir and kube-system pods would otherwise pin every node and nothing scales in.
                "skip-nodes-with-local-storage": false,
                "skip-nodes-with-system-pods": false,
            },
            securityContext: {
                runAsNonRoot: true,
                runAsUser: 65534,
                runAsGroup: 65534,
                fsGroup: 65534,
                seccompProfile: { type: "RuntimeDefault" },
            },
            containerSecurityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
            },
        },
        workloads: [{ workload: "cluster-autoscaler/cluster-autoscaler", kind: "Deployment", replicas: "replicaCount", surge: 1, containers: ["resources"] }],
    }, opts);
}
