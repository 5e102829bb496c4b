import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { AddonContext } from "../context";
import { addonNamespace, addonRelease, Chart, spreadConstraints } from "../helm";
import { Statement, workloadIdentity } from "../iam";

/**
 * kubernetes-sigs/aws-load-balancer-controller@v3.5.0 (chart 3.5.0, 2026-08-03; aws/eks-charts@5239609):
 * Gateway API (ALB and NLB) generally available since v3.0. Helm applies the chart's CRDs on the first
 * install only: an existing 1.x release needs crds/crds.yaml and crds/gateway-crds.yaml of the tag applied first.
 */
export const AWS_LOAD_BALANCER_CONTROLLER_CHART: Chart = { chart: "aws-load-balancer-controller", version: "3.5.0", repo: "https://aws.github.io/eks-charts" };
const NAMESPACE = "aws-load-balancer-controller";
const SERVICE_ACCOUNT = "aws-load-balancer-controller";

/**
 * The controller's policy, after AWS's reference policy with resource scoping: it may only change load
 * balancers, target groups, listeners, rules and security groups tagged as this cluster's, tag them only as
 * it creates them, and open other security groups (the targets' cluster security group) only in this VPC.
 * Describe/List calls cannot be resource-scoped by AWS, hence "*" there. test/iamReference.test.ts holds
 * it against the upstream policy of the pinned version.
 */
export function loadBalancerControllerStatements(clusterName: string, region: string, accountId: string, vpcId: string): Statement[] {
    const elb = (kind: string) => `arn:aws:elasticloadbalancing:${region}:${accountId}:${kind}`;
    const securityGroups = `arn:aws:ec2:${region}:${accountId}:security-group/*`;
    const ownCluster = { StringEquals: { "aws:ResourceTag/elbv2.k8s.aws/cluster": clusterName } };
    const clusterTagInRequest = { "aws:RequestTag/elbv2.k8s.aws/cluster": clusterName };
    return [
        { Sid: "ServiceLinkedRole", Effect: "Allow", Action: ["iam:CreateServiceLinkedRole"], Resource: "*", Condition: { StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } } },
        {
            // The reference's read actions, listed (no Describe* wildcard: it would also grant reads the controller never makes).
            Sid: "ReadOnly", Effect: "Allow", Resource: "*",
            Action: ["ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones", "ec2:DescribeInternetGateways",
                "ec2:DescribeVpcs", "ec2:DescribeRouteTables", "ec2:DescribeVpcPeeringConnections", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage", "ec2:DescribeCoipPools", "ec2:GetSecurityGroupsForVpc",
                "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeListenerCertificates", "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetHealth",
                "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:DescribeListenerAttributes",
                "elasticloadbalancing:DescribeCapacityReservation",
                "acm:ListCertificates", "acm:DescribeCertificate", "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "shield:GetSubscriptionState"],
        },
        { Sid: "CreateSecurityGroup", Effect: "Allow", Action: ["ec2:CreateSecurityGroup"], Resource: [`arn:aws:ec2:${region}:${accountId}:vpc/${vpcId}`, securityGroups] },
        { Sid: "TagNewSecurityGroup", Effect: "Allow", Action: ["ec2:CreateTags"], Resource: securityGroups, Condition: { StringEquals: { "ec2:CreateAction": "CreateSecurityGroup", ...clusterTagInRequest } } },
        {
            Sid: "OwnSecurityGroups", Effect: "Allow", Resource: securityGroups, Condition: ownCluster,
            Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup", "ec2:CreateTags", "ec2:DeleteTags"],
        },
        {
            // IP targets are pods in the EKS cluster security group, which EKS creates without the elbv2 tag: the
            // controller adds (and removes) the load balancer's ingress rules there. Any security group, in this VPC only.
            // kubernetes-sigs/aws-load-balancer-controller@v3.5.0:docs/install/iam_policy.json (Authorize/RevokeSecurityGroupIngress on "*")
            Sid: "TargetSecurityGroupRules", Effect: "Allow", Resource: securityGroups,
            Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            Condition: { StringEquals: { "ec2:Vpc": `arn:aws:ec2:${region}:${accountId}:vpc/${vpcId}` } },
        },
        {
            Sid: "CreateLoadBalancers", Effect: "Allow", Condition: { StringEquals: clusterTagInRequest },
            Action: ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            Resource: [elb("loadbalancer/*"), elb("targetgroup/*/*")],
        },
        {
            // Tags in a Create* call are authorized as AddTags on the new ARN, listeners and rules included; only then, and only with this cluster's tag.
            // kubernetes-sigs/aws-load-balancer-controller@v3.5.0:docs/install/iam_policy.json (AddTags with elasticloadbalancing:CreateAction; listener/*, listener-rule/*)
            Sid: "TagOnCreate", Effect: "Allow", Action: ["elasticloadbalancing:AddTags"],
            Resource: [elb("loadbalancer/*"), elb("targetgroup/*/*"), elb("listener/*"), elb("listener-rule/*")],
            Condition: { StringEquals: { ...clusterTagInRequest, "elasticloadbalancing:CreateAction": ["CreateLoadBalancer", "CreateTargetGroup", "CreateListener", "CreateRule"] } },
        },
        {
            // CreateListener is authorized on the (tagged) load balancer and CreateRule on the (tagged) listener.
            Sid: "OwnLoadBalancers", Effect: "Allow", Condition: ownCluster,
            Resource: [elb("loadbalancer/*"), elb("targetgroup/*/*"), elb("listener/*"), elb("listener-rule/*")],
            Action: ["elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType", "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets", "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule", "elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
                "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
                "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates"],
        },
    ];
}

export interface AwsLoadBalancerControllerArgs {
    ctx: AddonContext;
}

/** AWS Load Balancer Controller: turns the ingress controller's Service into an NLB (IP targets). */
export class AwsLoadBalancerController extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: AwsLoadBalancerControllerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:addons:AwsLoadBalancerController", name, {}, opts);
        const { ctx } = args;
        const namespace = addonNamespace(NAMESPACE, { parent: this });
        const { role, association } = workloadIdentity(`${name}-identity`, {
            ctx, namespace: NAMESPACE, serviceAccount: SERVICE_ACCOUNT,
            statements: pulumi.all([ctx.accountId, ctx.vpcId]).apply(([account, vpc]) =>
                loadBalancerControllerStatements(ctx.clusterName, ctx.config.region, account, vpc)),
        }, { parent: this });
        const labels = { "app.kubernetes.io/name": "aws-load-balancer-controller" };
        this.release = addonRelease(name, {
            chart: AWS_LOAD_BALANCER_CONTROLLER_CHART,
            namespace: namespace.metadata.name,
            values: {
                clusterName: ctx.clusterName,
                region: ctx.config.region,
                vpcId: ctx.vpcId,
                replicaCount: 2,
                serviceAccount: { create: true, name: SERVICE_ACCOUNT },
                resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
                podDisruptionBudget: { maxUnavailable: 1 },
                topologySpreadConstraints: spreadConstraints(labels),
                // Only Services that ask for it (the ingress controller's) get a load balancer.
                enableServiceMutatorWebhook: false,
                // v3 changed the default to false (values.yaml:255): every upgrade would mint a new webhook
                // certificate, and the Fail-policy webhooks would reject requests until pods reloaded it.
                keepTLSSecret: true,
            },
        }, { parent: this, dependsOn: [association] });
        this.registerOutputs({ roleArn: role.arn });
    }
}
