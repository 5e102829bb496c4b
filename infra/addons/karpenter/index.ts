import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type { AddonContext } from "../context";
import { AMI_RELEASE } from "../../../config/schema";
import { Addon, AddonOptions, AddonSpec, resources, spreadConstraints } from "../addon";
import type { Statement } from "../iam";

/**
 * aws/karpenter-provider-aws tag v1.14.1 (2026-08-20): supports Kubernetes 1.26-1.36
 * (website/content/en/v1.14/upgrading/compatibility.md); 1.5.x stopped at 1.33.
 */
export const KARPENTER: AddonSpec = {
    name: "karpenter",
    chart: { chart: "oci://public.ecr.aws/karpenter/karpenter", version: "1.14.1" },
    namespace: "karpenter",
    required: "it is the node autoscaler of eks-delivery:nodes.autoscaler: choose another mode there",
    previously: { type: "eks-delivery:addons:Karpenter", name: "karpenter" },
    reservedValues: {
        serviceAccount: "the Pod Identity association names this service account",
        "settings.clusterName": "the cluster Karpenter launches nodes for is the stack's",
        "settings.interruptionQueue": "the queue the program creates and the role may read",
    },
};

/** The AL2023 alias pinned to the managed nodes' AMI release (`1.36.2-20260714` -> `al2023@v20260714`). */
export function amiAlias(amiReleaseVersion: string): string {
    const date = AMI_RELEASE.exec(amiReleaseVersion)?.[2];
    if (!date) throw new Error(`${amiReleaseVersion} is not an AL2023 AMI release like 1.36.2-20260714`);
    return `al2023@v${date}`;
}

const SERVICE_ACCOUNT = "karpenter";
/** The chart's selector labels (release name "karpenter"). */
const POD_LABELS = { "app.kubernetes.io/instance": "karpenter", "app.kubernetes.io/name": "karpenter" };

/** Events Karpenter drains a node ahead of, delivered to its interruption queue. */
export const INTERRUPTION_EVENTS: Record<string, { source: string[]; "detail-type": string[] }> = {
    "scheduled-change": { source: ["aws.health"], "detail-type": ["AWS Health Event"] },
    "spot-interruption": { source: ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"] },
    "rebalance": { source: ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"] },
    "instance-state-change": { source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"] },
};

export interface KarpenterStatementArgs {
    ctx: AddonContext;
    queueArn: pulumi.Input<string>;
}

/**
 * The controller policy of Karpenter's own reference template (v1.14.1, its six managed policies merged),
 * for this cluster only: it may launch, tag and terminate only what carries this cluster's ownership tag,
 * and pass only the node role. Left out, as unused here: placement groups and zonal shift (see
 * test/iamReference.test.ts, which holds this against the pinned version's template).
 */
export function karpenterStatements({ ctx, queueArn }: KarpenterStatementArgs): Statement[] {
    const { clusterName } = ctx;
    const region = ctx.config.region;
    const ec2 = (resource: string) => `arn:aws:ec2:${region}:*:${resource}`;
    const instanceProfiles = pulumi.interpolate`arn:aws:iam::${ctx.accountId}:instance-profile/*`;
    const owned = `kubernetes.io/cluster/${clusterName}`;
    const created = ["fleet/*", "instance/*", "volume/*", "network-interface/*", "launch-template/*", "spot-instances-request/*"].map(ec2);
    return [
        {
            // What a launch reads: AMIs and snapshots are owned by AWS or others, hence no account.
            Sid: "AllowScopedEC2InstanceAccessActions",
            Effect: "Allow",
            Action: ["ec2:RunInstances", "ec2:CreateFleet"],
            Resource: [`arn:aws:ec2:${region}::image/*`, `arn:aws:ec2:${region}::snapshot/*`, ec2("security-group/*"), ec2("subnet/*"), ec2("capacity-reservation/*")],
        },
        {
            Sid: "AllowScopedEC2LaunchTemplateAccessActions",
            Effect: "Allow",
            Action: ["ec2:RunInstances", "ec2:CreateFleet"],
            Resource: ec2("launch-template/*"),
            Condition: { StringEquals: { [`aws:ResourceTag/${owned}`]: "owned" }, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
        },
        {
            // What a launch creates must be tagged as this cluster's in the same request.
            Sid: "AllowScopedEC2InstanceActionsWithTags",
            Effect: "Allow",
            Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            Resource: [...created, ec2("capacity-reservation/*")],
            Condition: {
                StringEquals: { [`aws:RequestTag/${owned}`]: "owned", "aws:RequestTag/eks:eks-cluster-name": clusterName },
                StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
            },
        },
        {
            Sid: "AllowScopedResourceCreationTagging",
            Effect: "Allow",
            Action: ["ec2:CreateTags"],
            Resource: created,
            Condition: {
                StringEquals: {
                    [`aws:RequestTag/${owned}`]: "owned",
                    "aws:RequestTag/eks:eks-cluster-name": clusterName,
                    "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                },
                StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
            },
        },
        {
            // Later tagging of its own instances, limited to the keys Karpenter sets after launch.
            Sid: "AllowScopedResourceTagging",
            Effect: "Allow",
            Action: ["ec2:CreateTags"],
            Resource: ec2("instance/*"),
            Condition: {
                StringEquals: { [`aws:ResourceTag/${owned}`]: "owned" },
                StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
                StringEqualsIfExists: { "aws:RequestTag/eks:eks-cluster-name": clusterName },
                "ForAllValues:StringEquals": { "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"] },
            },
        },
        {
            // Only instances and templates Karpenter launched for this cluster: never the managed node group's.
            Sid: "AllowScopedDeletion",
            Effect: "Allow",
            Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            Resource: [ec2("instance/*"), ec2("launch-template/*")],
            Condition: { StringEquals: { [`aws:ResourceTag/${owned}`]: "owned" }, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
        },
        {
            // EC2 Describe* calls support no resource-level permissions: "*", confined to this region.
            Sid: "AllowRegionalReadActions",
            Effect: "Allow",
            Action: [
                "ec2:DescribeCapacityReservations",
                "ec2:DescribeImages",
                "ec2:DescribeInstances",
                // Required since 1.12 (instance status health checks).
                // aws/karpenter-provider-aws@v1.14.1:website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml
                "ec2:DescribeInstanceStatus",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
            ],
            Resource: "*",
            Condition: { StringEquals: { "aws:RequestedRegion": region } },
        },
        {
            // The public AMI parameters (the al2023 alias resolves through them).
            Sid: "AllowSSMReadActions",
            Effect: "Allow",
            Action: ["ssm:GetParameter"],
            Resource: `arn:aws:ssm:${region}::parameter/aws/service/*`,
        },
        {
            // The Price List API has no resources to scope to: AWS only accepts "*".
            Sid: "AllowPricingReadActions",
            Effect: "Allow",
            Action: ["pricing:GetProducts"],
            Resource: "*",
        },
        {
            Sid: "AllowInterruptionQueueActions",
            Effect: "Allow",
            Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            Resource: queueArn,
        },
        {
            Sid: "AllowPassingInstanceRole",
            Effect: "Allow",
            Action: ["iam:PassRole"],
            Resource: ctx.nodeRoleArn,
            Condition: { StringEquals: { "iam:PassedToService": ["ec2.amazonaws.com"] } },
        },
        {
            // Instance profile names are generated, so they are scoped by the tags Karpenter must set.
            Sid: "AllowScopedInstanceProfileCreationActions",
            Effect: "Allow",
            Action: ["iam:CreateInstanceProfile"],
            Resource: instanceProfiles,
            Condition: {
                StringEquals: {
                    [`aws:RequestTag/${owned}`]: "owned",
                    "aws:RequestTag/eks:eks-cluster-name": clusterName,
                    "aws:RequestTag/topology.kubernetes.io/region": region,
                },
                StringLike: { "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
            },
        },
        {
            Sid: "AllowScopedInstanceProfileTagActions",
            Effect: "Allow",
            Action: ["iam:TagInstanceProfile"],
            Resource: instanceProfiles,
            Condition: {
                StringEquals: {
                    [`aws:ResourceTag/${owned}`]: "owned",
                    "aws:ResourceTag/topology.kubernetes.io/region": region,
                    [`aws:RequestTag/${owned}`]: "owned",
                    "aws:RequestTag/eks:eks-cluster-name": clusterName,
                    "aws:RequestTag/topology.kubernetes.io/region": region,
                },
                StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*", "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
            },
        },
        {
            Sid: "AllowScopedInstanceProfileActions",
            Effect: "Allow",
            Action: ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
            Resource: instanceProfiles,
            Condition: {
                StringEquals: { [`aws:ResourceTag/${owned}`]: "owned", "aws:ResourceTag/topology.kubernetes.io/region": region },
                StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*" },
            },
        },
        {
            // Finding its instance profiles to garbage-collect them and to finalize a deleted EC2NodeClass; IAM offers
            // no resource type for ListInstanceProfiles, so "*" is the only scope AWS accepts.
            // aws/karpenter-provider-aws@v1.14.1:website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml
            Sid: "AllowUnscopedInstanceProfileListAction",
            Effect: "Allow",
            Action: ["iam:ListInstanceProfiles"],
            Resource: "*",
        },
        {
            Sid: "AllowInstanceProfileReadActions",
            Effect: "Allow",
            Action: ["iam:GetInstanceProfile"],
            Resource: instanceProfiles,
        },
        {
            // Karpenter discovers the API endpoint and CA from the cluster itself.
            Sid: "AllowAPIServerEndpointDiscovery",
            Effect: "Allow",
            Action: ["eks:DescribeCluster"],
            Resource: pulumi.interpolate`arn:aws:eks:${region}:${ctx.accountId}:cluster/${clusterName}`,
        },
    ];
}

/** Only EventBridge (and SQS itself) may send to the queue, and only over TLS. */
export function interruptionQueuePolicy(queueArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Id: "EC2InterruptionPolicy",
        Statement: [
            {
                Sid: "AllowEventBridge",
                Effect: "Allow",
                Principal: { Service: ["events.amazonaws.com", "sqs.amazonaws.com"] },
                Action: "sqs:SendMessage",
                Resource: queueArn,
            },
            {
                Sid: "DenyHTTP",
                Effect: "Deny",
                Principal: "*",
                Action: "sqs:*",
                Resource: queueArn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    });
}

/**
 * Karpenter: the interruption queue and its EventBridge rules, a controller role confined to this
 * cluster, the chart, and the default EC2NodeClass/NodePool built from the node settings. Its nodes
 * reuse the managed node group's role, so they get the same permissions and image pulls (with API
 * authentication EKS already created that role's EC2_LINUX access entry; a second would be a duplicate).
 */
export function karpenter(ctx: AddonContext, opts: AddonOptions): Addon {
    const nodes = ctx.config.nodes;
    const name = KARPENTER.name;
    // Before the one add-on base these were children of a `Karpenter` component: same names, that parent.
    const parent = { parent: opts.parent, aliases: [{ parent: pulumi.createUrn(name, "eks-delivery:addons:Karpenter", opts.parent) }] };
    // Five minutes of retention: an interruption notice older than that is past acting on.
    const queue = new aws.sqs.Queue(`${name}-interruptions`, {
        name: `${ctx.clusterName}-karpenter`,
        messageRetentionSeconds: 300,
        sqsManagedSseEnabled: true,
        tags: ctx.tags,
    }, parent);
    new aws.sqs.QueuePolicy(`${name}-interruptions`, {
        queueUrl: queue.url,
        policy: queue.arn.apply(interruptionQueuePolicy),
    }, parent);
    for (const [event, pattern] of Object.entries(INTERRUPTION_EVENTS)) {
        const rule = new aws.cloudwatch.EventRule(`${name}-${event}`, {
            description: `${pattern["detail-type"][0]} for Karpenter in ${ctx.clusterName}`,
            eventPattern: JSON.stringify(pattern),
            tags: ctx.tags,
        }, parent);
        new aws.cloudwatch.EventTarget(`${name}-${event}`, {
            rule: rule.name,
            targetId: "KarpenterInterruptionQueueTarget",
            arn: queue.arn,
        }, parent);
    }

    const addon = new Addon(KARPENTER, {
        ctx,
        identity: { serviceAccount: SERVICE_ACCOUNT, statements: karpenterStatements({ ctx, queueArn: queue.arn }) },
        values: {
            settings: { clusterName: ctx.clusterName, interruptionQueue: queue.name },
            serviceAccount: { create: true, name: SERVICE_ACCOUNT },
            // Leader election keeps one active; the chart's default affinity keeps both off Karpenter's own nodes.
            replicas: 2,
            controller: {
                // Nodes answer IMDS only to the host (hop limit 1), so Karpenter cannot look its region
                // up there (aws/karpenter-provider-aws@v1.14.1:pkg/operator/operator.go:114-120); the chart's own hint is this env.
                env: [{ name: "AWS_REGION", value: ctx.config.region }],
                resources: resources("250m", "512Mi", "512Mi"),
            },
            topologySpreadConstraints: spreadConstraints(POD_LABELS),
            podDisruptionBudget: { name: "karpenter", maxUnavailable: 1 },
        },
        // templates/deployment.yaml: one controller container; the strategy sets only maxUnavailable, so
        // Kubernetes' default maxSurge (25 %) adds one pod during a rollout.
        workloads: [{ workload: "karpenter/karpenter", kind: "Deployment", replicas: "replicas", surge: 1, containers: ["controller.resources"] }],
    }, opts);

    // The CRDs come with the chart: the objects can only be created once the release is installed.
    const afterChart: pulumi.CustomResourceOptions = { parent: addon, dependsOn: [addon.release] };
    new k8s.apiextensions.CustomResource(`${name}-node-class`, {
        apiVersion: "karpenter.k8s.aws/v1",
        kind: "EC2NodeClass",
        metadata: { name: "default" },
        spec: {
            // The managed nodes' AMI release, not @latest: new AMIs arrive when a person bumps it.
            amiSelectorTerms: [{ alias: amiAlias(nodes.amiReleaseVersion) }],
            role: ctx.nodeRoleName,
            subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": ctx.clusterName } }],
            securityGroupSelectorTerms: [{ id: ctx.clusterSecurityGroupId }],
            // IMDSv2 only, and one hop: pods get AWS credentials from EKS Pod Identity, never from the node role.
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            // Same max pods as the managed nodes: more than the instance can address leaves pods without IPs.
            kubelet: { maxPods: nodes.maxPods },
            tags: ctx.tags,
        },
    }, afterChart);

    const firstInstance = nodes.instances[0];
    if (!firstInstance) throw new Error("Karpenter needs at least one instance type in the node settings");
    new k8s.apiextensions.CustomResource(`${name}-node-pool`, {
        apiVersion: "karpenter.sh/v1",
        kind: "NodePool",
        metadata: { name: "default" },
        spec: {
            template: {
                spec: {
                    nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
                    requirements: [
                        { key: "kubernetes.io/arch", operator: "In", values: [nodes.arch] },
                        { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
                        { key: "node.kubernetes.io/instance-type", operator: "In", values: nodes.instanceTypes },
                    ],
                    // Nodes are replaced after 30 days, so none drifts far from the pinned configuration.
                    expireAfter: "720h",
                },
            },
            // The same ceiling as the node group's maxSize, expressed in vCPUs.
            limits: { cpu: String(nodes.maxSize * firstInstance.vcpu) },
            disruption: {
                consolidationPolicy: "WhenEmptyOrUnderutilized",
                consolidateAfter: "1m",
                // At most a tenth of the nodes drained at once.
                budgets: [{ nodes: "10%" }],
            },
        },
    }, afterChart);

return addon;
}
