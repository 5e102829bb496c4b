import * as pulumi from "@pulumi/pulumi";
import type { AddonContext } from "../context";
import { Addon, AddonOptions, AddonSpec, resources, spreadConstraints } from "../addon";
import type { Statement } from "../iam";

/**
 * kubernetes-sigs/aws-load-balancer-controller@v3.5.0 (chart 3.5.0, 2026-08-03; aws/eks-charts@5239609):
 * Gateway API (ALB and NLB) generally available since v3.0, built for Gateway API v1.6.0
 * (docs/guide/gateway/gateway.md:14). Helm applies the chart's CRDs on the first install only, so the
 * program applies them itself (crds/, applied by infra/addons/gateway-api) and the release skips them.
 */
export const AWS_LOAD_BALANCER_CONTROLLER: AddonSpec = {
    name: "aws-load-balancer-controller",
    chart: { chart: "aws-load-balancer-controller", version: "3.5.0", repo: "https://aws.github.io/eks-charts" },
    namespace: "aws-load-balancer-controller",
    // templates/deployment.yaml:181-182 renders every key of featureGates as --feature-gates=K=V, and the
    // controller exits on a gate it does not know (pkg/config/feature_gates.go:158-170): these are the ones it knows.
    knownKeys: {
        "controllerConfig.featureGates": ["ListenerRulesTagging", "WeightedTargetGroups", "ServiceTypeLoadBalancerOnly", "EndpointsFailOpen",
            "EnableServiceController", "EnableIPTargetType", "EnableTCPUDPListener", "EnableRGTAPI", "SubnetsClusterTagCheck",
            "NLBHealthCheckAdvancedConfig", "NLBSecurityGroup", "ALBSingleSubnet", "LBCapacityReservation", "SubnetDiscoveryByReachability",
            "NLBGatewayAPI", "ALBGatewayAPI", "GlobalAcceleratorController", "EnhancedDefaultBehavior", "EnableDefaultTagsLowPriority",
            "ALBTargetControlAgent", "GatewayListenerSet", "EnableCertificateManagement", "IngressPlanAnnotation"],
    },
    reservedValues: {
        clusterName: "the cluster the controller manages is the stack's",
        region: "the stack's region",
        vpcId: "the stack's VPC",
        serviceAccount: "the Pod Identity association names this service account",
        "controllerConfig.featureGates.ALBGatewayAPI": "the Gateway edge runs on it",
        "controllerConfig.featureGates.WeightedTargetGroups": "blue/green routes weigh two target groups (pkg/gateway/routeutils/listener_utils.go:73-79)",
    },
    required: "it runs the stack's load balancers (the Gateway's ALB, or the NLB in front of ingress-nginx)",
    previously: { type: "eks-delivery:addons:AwsLoadBalancerController", name: "aws-load-balancer-controller" },
};
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

/**
 * AWS Load Balancer Controller: the Gateway's ALB (HTTPRoutes, IP targets), or the NLB in front of
 * ingress-nginx. Two replicas spread over zones, webhooks that keep their certificate across upgrades.
 */
export function awsLoadBalancerController(ctx: AddonContext, opts: AddonOptions): Addon {
    const labels = { "app.kubernetes.io/name": "aws-load-balancer-controller" };
    return new Addon(AWS_LOAD_BALANCER_CONTROLLER, {
        ctx,
        identity: {
            serviceAccount: SERVICE_ACCOUNT,
            statements: pulumi.all([ctx.accountId, ctx.vpcId]).apply(([account, vpc]) => loadBalancerControllerStatements(ctx.clusterName, ctx.config.region, account, vpc)),
        },
        // The CRDs (its own and Gateway API's) are applied by the program before the pods start: the
        // controller detects the Gateway API kinds once, at startup (pkg/gateway/crddetect/gateway_feature_flags.go:30-71).
        skipCrds: true,
        values: {
            clusterName: ctx.clusterName,
            region: ctx.config.region,
            vpcId: ctx.vpcId,
            replicaCount: 2,
            serviceAccount: { create: true, name: SERVICE_ACCOUNT },
            resources: resources("100m", "128Mi", "256Mi"),
            podDisruptionBudget: { maxUnavailable: 1 },
            topologySpreadConstraints: spreadConstraints(labels),
            // Only Services that ask for it (ingress-nginx's) get a load balancer.
            enableServiceMutatorWebhook: false,
            // v3 changed the default to false (values.yaml:255): every upgrade would mint a new webhook
            // certificate, and the Fail-policy webhooks would reject requests until pods reloaded it.
            keepTLSSecret: true,
            // Readiness gates (a rollout waits until the ALB sees new pods healthy) must not be skipped silently
            // while the controller restarts: Fail, but only for the services' pods (docs/deploy/pod_readiness_gate.md:53-63;
            // templates/webhook.yaml:22,36-47), so the platform's own pods never wait for the controller.
            podMutatorWebhookConfig: { failurePolicy: "Fail" },
            objectSelector: { matchLabels: { "app.kubernetes.io/part-of": "eks-delivery", "app.kubernetes.io/managed-by": "pulumi" } },
            // All three set, so startup detection cannot switch the ALB Gateway off (gateway_feature_flags.go:32-57);
            // no L4 routes or ListenerSets are used.
            controllerConfig: { featureGates: { ALBGatewayAPI: true, NLBGatewayAPI: false, GatewayListenerSet: false } },
        },
        workloads: [{ workload: "aws-load-balancer-controller/aws-load-balancer-controller", kind: "Deployment", replicas: "replicaCount", surge: 1, containers: ["resources"] }],
    }, opts);
}
