import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { Autoscaler } from "../config";

/**
 * Policies every EKS node needs; image pulls use the node role, so no ECR token job exists. Not the CNI
 * policy: the VPC CNI has its own role (infra/cluster.ts), so the node role cannot manage ENIs.
 */
export const NODE_ROLE_POLICIES = {
    worker: "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    ecrPull: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
    ssm: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
} as const;

/** ASG events worth an e-mail: every scale-out and scale-in, and the failures of either. */
export const SCALE_EVENTS: aws.autoscaling.NotificationType[] = [
    aws.autoscaling.NotificationType.InstanceLaunch,
    aws.autoscaling.NotificationType.InstanceTerminate,
    aws.autoscaling.NotificationType.InstanceLaunchError,
    aws.autoscaling.NotificationType.InstanceTerminateError,
];

export interface NodeGroupArgs {
    clusterName: pulumi.Input<string>;
    kubernetesVersion: string;
    /** AL2023 AMI release (`1.35.6-20260714`): nodes are replaced only when a person changes it. */
    amiReleaseVersion: string;
    subnetIds: pulumi.Input<string[]>;
    instanceTypes: string[];
    arch: "amd64" | "arm64";
    minSize: number;
    desiredSize: number;
    maxSize: number;
    /** What EKS sets as the kubelet's max pods on these nodes (config: nodes.maxPods). */
    maxPods: number;
    diskSizeGiB: number;
    autoscaler: Autoscaler;
    /** cpu-target only: average CPU the ASG keeps its nodes at. */
    cpuTargetPercent?: number;
    /** cpu-target only: who is told about every scale event. */
    alertEmail?: string;
    /** The permissions boundary every role of the stack carries (infra/identities.ts), when it has one. */
    permissionsBoundary?: pulumi.Input<string>;
    tags: Record<string, string>;
}

/**
 * The managed node group: AL2023 nodes at a pinned AMI release in private subnets, desired size left to
 * the autoscaler, behind a launch template of our own so that
 * pods cannot reach the instance metadata service (IMDSv2 with a hop limit of 1: a pod's request is one
 * hop further and never gets an answer, so the node role's credentials stay on the node; controllers
 * get theirs from EKS Pod Identity). In `cpu-target` mode it also carries the seeds' ASG
 * target-tracking policy and the SNS e-mail on every scale event.
 *
 * The template names no AMI and carries no user data: EKS bootstraps the nodes of `amiType` at
 * `releaseVersion` itself and sets the kubelet's max pods from the instance type and the VPC CNI's prefix
 * delegation (awsdocs/amazon-eks-user-guide@4d52b4d0:latest/ug/networking/eks-networking-add-ons.adoc:2489,2533,
 * "Managed node groups automatically calculates the maximum number of Pods"; nodes/launch-templates.adoc:121-126). That is the figure `nodes.maxPods: auto` computes (policies/lib/instanceTypes.ts).
 *
 * Built from `aws.eks.NodeGroup` directly rather than `eks.ManagedNodeGroup`: with custom user data
 * pulumi-eks drops `releaseVersion` and pins the template to the AMI that SSM recommends on every run,
 * with a hop limit of 2 (pulumi/pulumi-eks@v4.3.0:nodejs/eks/nodes/nodegroup.ts:2065-2072,2236-2242,2287-2291).
 */
export class NodeGroup extends pulumi.ComponentResource {
    readonly roleArn: pulumi.Output<string>;
    readonly roleName: pulumi.Output<string>;
    readonly nodeGroupName: pulumi.Output<string>;
    readonly autoScalingGroupName: pulumi.Output<string>;
    readonly scaleEventsTopicArn?: pulumi.Output<string>;
    /**
     * The node group itself, for workloads to depend on (rollouts need nodes). Depending on this one
     * resource rather than the component avoids expanding its whole subtree for every dependant.
     */
    readonly ready: pulumi.Resource;

    constructor(name: string, args: NodeGroupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:infra:NodeGroup", name, {}, opts);

        const role = new aws.iam.Role(`${name}-role`, {
            description: pulumi.interpolate`Nodes of ${args.clusterName}`,
            assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "ec2.amazonaws.com" }),
            permissionsBoundary: args.permissionsBoundary,
            tags: args.tags,
        }, { parent: this });
        // The node group waits for these: a node that boots before its role can pull images or attach
        // ENIs never joins, and on destroy the policies must outlive the instances.
        const attachments = Object.entries(NODE_ROLE_POLICIES).map(([key, policyArn]) =>
            new aws.iam.RolePolicyAttachment(`${name}-${key}`, { role: role.name, policyArn }, { parent: this }));

        const launchTemplate = new aws.ec2.LaunchTemplate(`${name}-nodes`, {
            description: pulumi.interpolate`Nodes of ${args.clusterName}: IMDSv2 with hop limit 1, encrypted gp3 root volume`,
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            blockDeviceMappings: [{
                deviceName: "/dev/xvda",
                ebs: { volumeSize: args.diskSizeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
            }],
            // EKS fixes a node's max pods at launch (from the type and the CNI's prefix delegation): the tag
            // puts the figure in the template, so a change makes a new template version and rolls the nodes.
            tagSpecifications: [
                { resourceType: "instance", tags: { ...args.tags, "eks-delivery/max-pods": String(args.maxPods) } },
                { resourceType: "volume", tags: args.tags },
            ],
            updateDefaultVersion: true,
            tags: args.tags,
        }, { parent: this });

        const group = new aws.eks.NodeGroup(name, {
            clusterName: args.clusterName,
            nodeRoleArn: role.arn,
            subnetIds: args.subnetIds,
            instanceTypes: args.instanceTypes,
            capacityType: "ON_DEMAND",
            amiType: args.arch === "arm64" ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD",
            version: args.kubernetesVersion,
            releaseVersion: args.amiReleaseVersion,
            launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
            scalingConfig: { minSize: args.minSize, desiredSize: args.desiredSize, maxSize: args.maxSize },
            updateConfig: { maxUnavailable: 1 },
            labels: { "eks-delivery/node-group": name },
            tags: args.tags,
        }, {
            parent: this,
            dependsOn: attachments,
            // Every autoscaler mode (cluster-autoscaler, Karpenter, ASG target tracking) moves the desired
            // size; without this each `pulumi up` would undo its work.
            ignoreChanges: ["scalingConfig.desiredSize"],
        });

        this.ready = group;
        this.roleArn = role.arn;
        this.roleName = role.name;
        this.nodeGroupName = group.nodeGroupName;
        this.autoScalingGroupName = group.resources.apply((resources) => {
            const asg = resources?.[0]?.autoscalingGroups?.[0]?.name;
            if (!asg) throw new Error(`node group ${name} reports no autoscaling group`);
            return asg;
        });

        if (args.autoscaler === "cpu-target") {
            new aws.autoscaling.Policy(`${name}-cpu-target`, {
                autoscalingGroupName: this.autoScalingGroupName,
                policyType: "TargetTrackingScaling",
                estimatedInstanceWarmup: 300,
                targetTrackingConfiguration: {
                    predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
                    targetValue: args.cpuTargetPercent!,
                },
            }, { parent: this });
            // Not KMS-encrypted: the AWS-managed SNS key does not admit the Auto Scaling service, and the
            // events name only instances.
            const topic = new aws.sns.Topic(`${name}-scale-events`, { tags: args.tags }, { parent: this });
            new aws.sns.TopicSubscription(`${name}-scale-events-email`, {
                topic: topic.arn,
                protocol: "email",
                endpoint: args.alertEmail!,
            }, { parent: this });
            new aws.autoscaling.Notification(`${name}-scale-events`, {
                groupNames: [this.autoScalingGroupName],
                notifications: SCALE_EVENTS,
                topicArn: topic.arn,
            }, { parent: this });
            this.scaleEventsTopicArn = topic.arn;
        }

        this.registerOutputs({
            roleArn: this.roleArn,
            nodeGroupName: this.nodeGroupName,
            autoScalingGroupName: this.autoScalingGroupName,
        });
    }
}
