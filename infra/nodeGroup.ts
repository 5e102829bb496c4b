import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import { stringify } from "yaml";
import type { Autoscaler } from "../config";

/** Policies every EKS node needs; image pulls use the node role, so no ECR token job exists. */
export const NODE_ROLE_POLICIES = {
    worker: "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    cni: "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
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

/**
 * nodeadm (AL2023) configuration that sets the kubelet's max pods. Without it the kubelet keeps the
 * ENI-derived default and prefix delegation buys nothing; with a number above what the node can
 * address, pods hang in ContainerCreating without an IP.
 */
export function nodeadmMaxPods(maxPods: number): string {
    return stringify({
        apiVersion: "node.eks.aws/v1alpha1",
        kind: "NodeConfig",
        spec: { kubelet: { config: { maxPods } } },
    });
}

export interface NodeGroupArgs {
    cluster: eks.Cluster;
    clusterName: string;
    subnetIds: pulumi.Input<string[]>;
    instanceTypes: string[];
    arch: "amd64" | "arm64";
    minSize: number;
    desiredSize: number;
    maxSize: number;
    maxPods: number;
    autoscaler: Autoscaler;
    /** cpu-target only: average CPU the ASG keeps its nodes at. */
    cpuTargetPercent?: number;
    /** cpu-target only: who is told about every scale event. */
    alertEmail?: string;
    tags: Record<string, string>;
}

/**
 * The managed node group: AL2023 nodes in private subnets, IMDSv2 only, kubelet max pods from the
 * instance facts, desired size left to the autoscaler. In `cpu-target` mode it also carries the
 * seeds' ASG target-tracking policy and the SNS e-mail on every scale event.
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
            description: `Nodes of ${args.clusterName}`,
            assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "ec2.amazonaws.com" }),
            tags: args.tags,
        }, { parent: this });
        for (const [key, policyArn] of Object.entries(NODE_ROLE_POLICIES)) {
            new aws.iam.RolePolicyAttachment(`${name}-${key}`, { role: role.name, policyArn }, { parent: this });
        }

        const group = new eks.ManagedNodeGroup(name, {
            cluster: args.cluster,
            nodeRole: role,
            subnetIds: args.subnetIds,
            instanceTypes: args.instanceTypes,
            capacityType: "ON_DEMAND",
            operatingSystem: eks.OperatingSystem.AL2023,
            amiType: args.arch === "arm64" ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD",
            scalingConfig: { minSize: args.minSize, desiredSize: args.desiredSize, maxSize: args.maxSize },
            // Every autoscaler mode (cluster-autoscaler, Karpenter, ASG target tracking) moves the desired
            // size; without this each `pulumi up` would undo its work.
            ignoreScalingChanges: true,
            enableIMDSv2: true,
            nodeadmExtraOptions: [{ contentType: "application/node.eks.aws", content: nodeadmMaxPods(args.maxPods) }],
            labels: { "eks-delivery/node-group": name },
            tags: args.tags,
        }, { parent: this });

        this.ready = group;
        this.roleArn = role.arn;
        this.roleName = role.name;
        this.nodeGroupName = group.nodeGroup.nodeGroupName;
        // Explicit applies: `Output` has its own `resources` member, so property lifting cannot reach it.
        this.autoScalingGroupName = group.nodeGroup.apply((ng) => ng.resources).apply((resources) => {
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
