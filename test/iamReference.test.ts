/**
 * Our add-on IAM policies against each controller's published reference policy
 * (test/fixtures/iam-reference/<controller>.json, vendored from the upstream tag named in its `source`).
 *
 * The rule, per controller:
 *  1. The fixture is the policy of the version the project pins: its `version` and the tag in its `source`
 *     must equal what the chart/image constants pin, so a version bump without re-vendoring (and reviewing)
 *     the fixture fails here.
 *  2. Every action the reference grants is granted by our `*Statements` function (built with this project's
 *     sample values) on the same or a wider resource scope, under a condition no narrower than the
 *     reference's, or it is in UNUSED_FEATURES with the feature this project does not use (and is then not
 *     granted at all). How "same or wider" is read:
 *     - Reference placeholders (${AWS::Region}, ${ClusterName}, the node role and queue ARNs ...) become the
 *       sample values, and a `*` in the region or account field of a reference ARN becomes this region and
 *       account: each controller acts in one region and one account.
 *     - A reference Resource "*" on an action AWS authorizes against resource types stands for the ARNs of
 *       those types (RESOURCE_TYPES, from the AWS Service Authorization Reference); on any other action our
 *       Resource must be "*" too.
 *     - Our resource pattern must match every ARN the reference pattern matches (IAM's `*` and `?`).
 *     - Our condition counts only if the reference's condition implies it; an unconditional reference grant
 *       is not covered by a conditional one. Where ours is narrower by design, NARROWED records what this
 *       project does need instead (resources and/or condition) and why that is provably enough here; the
 *       need is then checked the same way. CONDITION_REWRITES are the same kind of judgement, applied to
 *       every reference condition of a controller. These are the judgement calls, each with its reason.
 *  3. The reverse: we grant no action the reference lacks, except those in EXTRA, each with its reason.
 * The maps are kept honest too: a stale entry (an action the reference no longer has, an unused action we
 * still grant, a judgement on a statement that no longer holds those actions) fails the test.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { Statement } from "../infra/addons/iam";
import { AWS_LOAD_BALANCER_CONTROLLER, loadBalancerControllerStatements } from "../infra/addons/aws-load-balancer-controller";
import { EXTERNAL_DNS, externalDnsStatements } from "../infra/addons/external-dns";
import { CERT_MANAGER, certManagerStatements } from "../infra/addons/cert-manager";
import { EXTERNAL_SECRETS, externalSecretsStatements } from "../infra/addons/external-secrets";
import { CLUSTER_AUTOSCALER, clusterAutoscalerImageTag, clusterAutoscalerStatements } from "../infra/addons/cluster-autoscaler";
import { KARPENTER, karpenterStatements } from "../infra/addons/karpenter";
import { addonContext } from "./support";

const FIXTURES = path.join(__dirname, "fixtures", "iam-reference");
const ACCOUNT = "123456789012";
const REGION = "ap-northeast-2";
const CLUSTER = "eks-delivery-dev";
const VPC_ID = "vpc-0123456789abcdef0";
const VPC_ARN = `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/${VPC_ID}`;
const ZONE_ARN = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ";
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:${CLUSTER}-karpenter`;

/** `operator -> key -> values`, as IAM reads a Condition block. */
type Conditions = Record<string, Record<string, string[]>>;
interface PolicyStatement { Sid?: string; Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string | string[]>> }
interface Fixture { controller: string; version: string; source: string; retrieved: string; notes: string; policy: { Version: string; Statement: PolicyStatement[] } }

/** What this project needs instead of one reference grant; a field left out is taken from the reference. */
interface Need { resources?: string[]; condition?: Conditions }
interface Narrowing {
    /** The reference statement (index in the fixture's Statement list, or its Sid). */
    statement: number | string;
    actions: string[];
    needs: Need[];
    why: string;
}
interface ConditionRewrite { operator: string; key: string; value: string; to: Conditions; why: string }

interface Controller {
    fixture: string;
    /**
     * The fixture's `version` the project's constants pin, the `<repo>@<tag>:` (or path) its `source` must name,
     * and, where the policy follows an image rather than the chart, the chart its notes must say was reviewed.
     */
    pinned: () => { version: string; source: string; reviewedChart?: string };
    statements: () => pulumi.Input<Statement[]>;
    /** Reference placeholders and the sample values they stand for. */
    placeholders: Record<string, string>;
}

const ctx = addonContext("dev");
const ownTag = (key: string): Conditions => ({ StringEquals: { [key]: [CLUSTER] } });
const LBC_RESOURCE_TAG = "aws:ResourceTag/elbv2.k8s.aws/cluster";
const LBC_REQUEST_TAG = "aws:RequestTag/elbv2.k8s.aws/cluster";

/** Chart -> app version, from each chart's Chart.yaml at its release tag (re-check when a chart moves). */
const LBC_APP_OF_CHART: Record<string, string> = { "3.5.0": "v3.5.0" }; // kubernetes-sigs/aws-load-balancer-controller@v3.5.0:helm/aws-load-balancer-controller/Chart.yaml:4-5
const EXTERNAL_DNS_APP_OF_CHART: Record<string, string> = { "1.21.1": "v0.21.0" }; // kubernetes-sigs/external-dns@external-dns-helm-chart-1.21.1:charts/external-dns/Chart.yaml (appVersion 0.21.0)
const EXTERNAL_SECRETS_APP_OF_CHART: Record<string, string> = { "2.9.0": "v2.9.0" }; // external-secrets/external-secrets@helm-chart-2.9.0:deploy/charts/external-secrets/Chart.yaml (appVersion v2.9.0)
const required = (map: Record<string, string>, chart: string, what: string): string => {
    const app = map[chart];
    assert.ok(app, `${what} chart ${chart} has no reviewed app version: re-vendor its reference policy and add the mapping`);
    return app;
};

/**
 * ARNs a reference "*" stands for, for actions AWS authorizes against resource types (Service Authorization
 * Reference: Elastic Load Balancing V2, EC2, Route 53, EKS, Auto Scaling). Gateway load balancer types are
 * left out: the load balancer controller manages application and network load balancers only.
 */
const RESOURCE_TYPES: Record<string, string[]> = (() => {
    const elb = (kind: string) => `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:${kind}`;
    const loadBalancers = [elb("loadbalancer/app/*/*"), elb("loadbalancer/net/*/*")];
    const targetGroups = [elb("targetgroup/*/*")];
    const listeners = [elb("listener/app/*/*/*"), elb("listener/net/*/*/*")];
    const rules = [elb("listener-rule/app/*/*/*/*"), elb("listener-rule/net/*/*/*/*")];
    const securityGroups = [`arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/*`];
    const types: Record<string, string[]> = {
        "ec2:AuthorizeSecurityGroupIngress": securityGroups,
        "ec2:RevokeSecurityGroupIngress": securityGroups,
        "ec2:DeleteSecurityGroup": securityGroups,
        "ec2:CreateSecurityGroup": [...securityGroups, `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/*`],
        "route53:ListResourceRecordSets": ["arn:aws:route53:::hostedzone/*"],
        "eks:DescribeNodegroup": [`arn:aws:eks:${REGION}:${ACCOUNT}:nodegroup/*/*/*`],
        "autoscaling:SetDesiredCapacity": [`arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/*`],
        "autoscaling:TerminateInstanceInAutoScalingGroup": [`arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/*`],
        "elasticloadbalancing:CreateTargetGroup": targetGroups,
        "elasticloadbalancing:CreateListener": loadBalancers,
        "elasticloadbalancing:CreateRule": listeners,
        "elasticloadbalancing:DeleteListener": listeners,
        "elasticloadbalancing:DeleteRule": rules,
        "elasticloadbalancing:ModifyListener": listeners,
        "elasticloadbalancing:ModifyListenerAttributes": listeners,
        "elasticloadbalancing:AddListenerCertificates": listeners,
        "elasticloadbalancing:RemoveListenerCertificates": listeners,
        "elasticloadbalancing:ModifyRule": rules,
        "elasticloadbalancing:SetRulePriorities": rules,
        "elasticloadbalancing:SetWebAcl": [elb("loadbalancer/app/*/*")],
    };
    for (const a of ["CreateLoadBalancer", "ModifyLoadBalancerAttributes", "SetIpAddressType", "SetSecurityGroups", "SetSubnets", "DeleteLoadBalancer", "ModifyCapacityReservation"]) {
        types[`elasticloadbalancing:${a}`] = loadBalancers;
    }
    for (const a of ["ModifyTargetGroup", "ModifyTargetGroupAttributes", "DeleteTargetGroup", "RegisterTargets", "DeregisterTargets"]) {
        types[`elasticloadbalancing:${a}`] = targetGroups;
    }
    return types;
})();

const LBC_SOURCE = "kubernetes-sigs/aws-load-balancer-controller@v3.5.0";
const CONTROLLERS: Record<string, Controller> = {
    "aws-load-balancer-controller": {
        fixture: "aws-load-balancer-controller.json",
        pinned: () => {
            const version = required(LBC_APP_OF_CHART, AWS_LOAD_BALANCER_CONTROLLER.chart.version, "aws-load-balancer-controller");
            return { version, source: `kubernetes-sigs/aws-load-balancer-controller@${version}:` };
        },
        statements: () => loadBalancerControllerStatements(ctx.clusterName, ctx.config.region, ACCOUNT, VPC_ID),
        placeholders: {},
    },
    "external-dns": {
        fixture: "external-dns.json",
        pinned: () => {
            const version = required(EXTERNAL_DNS_APP_OF_CHART, EXTERNAL_DNS.chart.version, "external-dns");
            return { version, source: `kubernetes-sigs/external-dns@${version}:` };
        },
        statements: () => externalDnsStatements(ZONE_ARN),
        placeholders: {},
    },
    "cert-manager": {
        fixture: "cert-manager.json",
        pinned: () => {
            const version = CERT_MANAGER.chart.version; // jetstack chart versions are the app's tags
            const minor = /^v(\d+\.\d+)\./.exec(version)?.[1];
            // The website repo has no tags: the docs of a minor are frozen into content/v<minor>-docs once the next
            // one is released; until then (1.21 at website@776e5dba) content/docs is the pinned minor's.
            const frozen = minor !== "1.21";
            return { version, source: frozen ? `content/v${minor}-docs/configuration/acme/dns01/route53.md` : "content/docs/configuration/acme/dns01/route53.md" };
        },
        statements: () => certManagerStatements(ZONE_ARN),
        placeholders: {},
    },
    "external-secrets": {
        fixture: "external-secrets.json",
        pinned: () => {
            const version = required(EXTERNAL_SECRETS_APP_OF_CHART, EXTERNAL_SECRETS.chart.version, "external-secrets");
            return { version, source: `external-secrets/external-secrets@${version}:` };
        },
        statements: () => externalSecretsStatements(ctx.config.region, ACCOUNT, secretNames()),
        placeholders: {},
    },
    "cluster-autoscaler": {
        fixture: "cluster-autoscaler.json",
        pinned: () => {
            // The policy follows the image (the cluster's minor), not the chart's default appVersion.
            const version = clusterAutoscalerImageTag(ctx.config.cluster.kubernetesVersion).replace(/^v/, "");
            assert.equal(clusterAutoscalerImageTag("1.36"), `v${version}`, "the dev stack runs Kubernetes 1.36");
            return { version, source: `kubernetes/autoscaler@cluster-autoscaler-${version}:`, reviewedChart: `cluster-autoscaler-chart-${CLUSTER_AUTOSCALER.chart.version}` };
        },
        statements: () => clusterAutoscalerStatements(ctx),
        placeholders: {},
    },
    "karpenter": {
        fixture: "karpenter.json",
        pinned: () => {
            const version = `v${KARPENTER.chart.version}`; // the OCI chart is released at the app's version (hack/release/common.sh:114)
            return { version, source: `aws/karpenter-provider-aws@${version}:` };
        },
        statements: () => karpenterStatements({ ctx, queueArn: QUEUE_ARN }),
        placeholders: {
            "${AWS::Partition}": "aws",
            "${AWS::Region}": REGION,
            "${AWS::AccountId}": ACCOUNT,
            "${ClusterName}": CLUSTER,
            "${KarpenterNodeRole.Arn}": String(ctx.nodeRoleArn),
            "${KarpenterInterruptionQueue.Arn}": QUEUE_ARN,
        },
    },
};

/**
 * Reference actions this project never calls, by controller: `action`, or `action @ <reference resource>` for
 * one resource of a grant. The value names the feature; an unused action must not be granted.
 */
const UNUSED_FEATURES: Record<string, Record<string, string>> = {
    "aws-load-balancer-controller": {
        // The edge is an ALB Gateway with plain HTTPRoutes, or ingress-nginx behind an NLB: no Cognito/OIDC authenticate actions,
        "cognito-idp:DescribeUserPoolClient": "ALB authenticate-cognito listener rules (ALB Ingress)",
        // no IAM server certificates (the Gateway's HTTPS listener uses an ACM certificate, infra/edge; with nginx, TLS ends in ingress-nginx),
        "iam:ListServerCertificates": "TLS listeners with IAM server certificates (NLB TLS / ALB HTTPS listeners)",
        "iam:GetServerCertificate": "TLS listeners with IAM server certificates (NLB TLS / ALB HTTPS listeners)",
        // no WAF or Shield Advanced on load balancers (ALB addons: pkg/deploy/stack_deployer.go).
        "waf-regional:GetWebACL": "WAF Classic web ACL on an ALB (alb.ingress.kubernetes.io/waf-acl-id)",
        "waf-regional:GetWebACLForResource": "WAF Classic web ACL on an ALB (alb.ingress.kubernetes.io/waf-acl-id)",
        "waf-regional:AssociateWebACL": "WAF Classic web ACL on an ALB (alb.ingress.kubernetes.io/waf-acl-id)",
        "waf-regional:DisassociateWebACL": "WAF Classic web ACL on an ALB (alb.ingress.kubernetes.io/waf-acl-id)",
        "wafv2:AssociateWebACL": "WAFv2 web ACL on an ALB (alb.ingress.kubernetes.io/wafv2-acl-arn)",
        "wafv2:DisassociateWebACL": "WAFv2 web ACL on an ALB (alb.ingress.kubernetes.io/wafv2-acl-arn)",
        "elasticloadbalancing:SetWebAcl": "WAF web ACL on an ALB",
        "shield:DescribeProtection": "Shield Advanced protection of an ALB (alb.ingress.kubernetes.io/shield-advanced-protection)",
        "shield:CreateProtection": "Shield Advanced protection of an ALB (alb.ingress.kubernetes.io/shield-advanced-protection)",
        "shield:DeleteProtection": "Shield Advanced protection of an ALB (alb.ingress.kubernetes.io/shield-advanced-protection)",
        // Only called when the annotation is set (pkg/deploy/elbv2/listener_attributes_reconciler.go:44, load_balancer_capacity_reservation_reconciler.go:42).
        "elasticloadbalancing:ModifyListenerAttributes": "listener attributes (service.beta.kubernetes.io/aws-load-balancer-listener-attributes.*)",
        "elasticloadbalancing:ModifyCapacityReservation": "load balancer capacity reservation (aws-load-balancer-minimum-load-balancer-capacity)",
        // v3.5.0 pkg/deploy/elbv2/load_balancer_manager.go:290-325: only with an IPAM pool for the load balancer's addresses.
        "ec2:DescribeIpamPools": "IPAM pools for load balancer addresses (ipv4IPAMPoolId); the stack uses none",
        "elasticloadbalancing:ModifyIpPools": "IPAM pools for load balancer addresses (ipv4IPAMPoolId); the stack uses none",
    },
    "external-dns": {
        // kubernetes-sigs/external-dns@v0.21.0:provider/aws/aws.go:438-449 (zone tags are read only to filter zones).
        "route53:ListTagsForResources": "--aws-zone-tags zone filtering; zones are picked by --zone-id-filter",
    },
    "cert-manager": {},
    "external-secrets": {
        // external-secrets/external-secrets@v2.9.0:providers/v1/aws/secretsmanager/secretsmanager.go:333-441,729-738 (GetAllSecrets).
        "secretsmanager:ListSecrets": "dataFrom.find (by name, tags or path); the stack reads named secrets (dataFrom.extract)",
        "secretsmanager:BatchGetSecretValue": "dataFrom.find with a path; the stack reads named secrets (dataFrom.extract)",
        // secretsmanager.go:956 (PushSecret managing a resource policy); ListSecretVersionIds is called nowhere in v2.9.0.
        "secretsmanager:GetResourcePolicy": "PushSecret with a resource policy: the stack only reads secrets",
        "secretsmanager:ListSecretVersionIds": "nothing in v2.9.0 (listed by upstream's generic read policy only)",
    },
    "cluster-autoscaler": {},
    "karpenter": {
        // aws/karpenter-provider-aws@v1.14.1:pkg/providers/placementgroup/provider.go:55 (nothing without a placement group selector).
        "ec2:DescribePlacementGroups": "EC2NodeClass placementGroupSelector; the default EC2NodeClass names none",
        "ec2:RunInstances @ arn:${AWS::Partition}:ec2:${AWS::Region}:*:placement-group/*": "launching into a placement group (EC2NodeClass placementGroupSelector)",
        "ec2:CreateFleet @ arn:${AWS::Partition}:ec2:${AWS::Region}:*:placement-group/*": "launching into a placement group (EC2NodeClass placementGroupSelector)",
        // charts/karpenter/values.yaml:212 (settings.enableZonalShift: false), pkg/operator/operator.go:372.
        "arc-zonal-shift:GetManagedResource": "zonal shift (settings.enableZonalShift), not enabled",
    },
};

/** Judgement calls: what the project needs where ours is narrower than the reference, and why that is enough. */
const NARROWED: Record<string, Narrowing[]> = {
    "aws-load-balancer-controller": [
        {
            statement: 3, actions: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            needs: [{ condition: { StringEquals: { "ec2:Vpc": [VPC_ARN] } } }],
            why: "The untagged groups it edits are its targets' (pods in the EKS cluster security group, nodes' groups), all in the cluster's VPC.",
        },
        {
            statement: 4, actions: ["ec2:CreateSecurityGroup"],
            needs: [{ resources: [`arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/*`, VPC_ARN] }],
            why: "The chart passes vpcId: the controller creates its security groups in the cluster's VPC only.",
        },
        {
            statement: 9, actions: ["elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener", "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule"],
            needs: [{ condition: ownTag(LBC_RESOURCE_TAG) }],
            why: "CreateListener is authorized on the load balancer, CreateRule on the listener, the deletes on listener and rule; all of them are this " +
                "controller's and tagged for this cluster (listeners and rules since ListenerRulesTagging, on by default: " +
                `${LBC_SOURCE}:pkg/config/feature_gates.go:53, pkg/deploy/elbv2/listener_manager.go:79-82).`,
        },
        {
            statement: 11, actions: ["elasticloadbalancing:AddTags"],
            needs: [
                { resources: RESOURCE_TYPES["elasticloadbalancing:ModifyListener"], condition: { StringEquals: { [LBC_REQUEST_TAG]: [CLUSTER], "elasticloadbalancing:CreateAction": ["CreateListener"] } } },
                { resources: RESOURCE_TYPES["elasticloadbalancing:ModifyRule"], condition: { StringEquals: { [LBC_REQUEST_TAG]: [CLUSTER], "elasticloadbalancing:CreateAction": ["CreateRule"] } } },
                { condition: ownTag(LBC_RESOURCE_TAG) },
            ],
            why: "Listeners and rules get their tags in CreateListener/CreateRule (with this cluster's tag) and are this cluster's afterwards.",
        },
        {
            statement: 11, actions: ["elasticloadbalancing:RemoveTags"],
            needs: [{ condition: ownTag(LBC_RESOURCE_TAG) }],
            why: "It only removes tags from its own listeners and rules, which carry this cluster's tag.",
        },
        {
            statement: 14, actions: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            needs: [{ condition: ownTag(LBC_RESOURCE_TAG) }],
            why: "No TargetGroupBinding to a target group made outside the controller; its own target groups carry this cluster's tag.",
        },
        {
            statement: 15, actions: ["elasticloadbalancing:ModifyListener", "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates", "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities"],
            needs: [{ condition: ownTag(LBC_RESOURCE_TAG) }],
            why: "Only its own listeners and rules, tagged for this cluster at creation.",
        },
    ],
    "external-dns": [
        {
            statement: 0, actions: ["route53:ChangeResourceRecordSets"], needs: [{ resources: [ZONE_ARN] }],
            why: "Runs with --zone-id-filter=<the stack's zone> and domainFilters, so it never touches another zone (docs/tutorials/aws.md:932).",
        },
        {
            statement: 0, actions: ["route53:ListResourceRecordSets"], needs: [{ resources: [ZONE_ARN] }],
            why: "Records are listed only in the zones that pass --zone-id-filter: the stack's zone.",
        },
    ],
    "cert-manager": [
        {
            statement: 1, actions: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"], needs: [{ resources: [ZONE_ARN] }],
            why: "The ClusterIssuer's solver names hostedZoneID = the stack's zone; upstream suggests this narrowing (route53.md:49-52).",
        },
    ],
    "external-secrets": [
        {
            statement: 1, actions: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            needs: [{ resources: secretNames().map((n) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${n}-AbC123`) }],
            why: "The reference's secret ARN is upstream's example (us-west-2, 111122223333, dev-*); the stack reads exactly its declared secrets, " +
                "whose ARNs end in Secrets Manager's 6-character suffix.",
        },
    ],
    "cluster-autoscaler": [
        {
            statement: 0, actions: ["eks:DescribeNodegroup"], needs: [{ resources: [`arn:aws:eks:${REGION}:${ACCOUNT}:nodegroup/${CLUSTER}/*/*`] }],
            why: "It describes only the managed node groups behind the ASGs it discovered, which are this cluster's (cluster-autoscaler/cloudprovider/aws/aws_manager.go:307).",
        },
        {
            statement: 1, actions: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            needs: [{ condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${CLUSTER}`]: ["owned"] } } }],
            why: "The README asks for exactly this restriction (cloudprovider/aws/README.md:29-32); auto-discovery only picks ASGs tagged " +
                "k8s.io/cluster-autoscaler/<cluster>, which EKS sets to owned on every managed node group's ASG.",
        },
    ],
    "karpenter": [
        {
            statement: "AllowPassingInstanceRole", actions: ["iam:PassRole"],
            needs: [{ condition: { StringEquals: { "iam:PassedToService": ["ec2.amazonaws.com"] } } }],
            why: "ec2.amazonaws.com.cn is EC2's principal in the China partition; this stack runs in the aws partition.",
        },
    ],
};

/** Judgement calls applied to every reference condition of a controller. */
const CONDITION_REWRITES: Record<string, ConditionRewrite[]> = {
    "aws-load-balancer-controller": [
        {
            operator: "Null", key: LBC_RESOURCE_TAG, value: "false", to: ownTag(LBC_RESOURCE_TAG),
            why: "The controller runs with clusterName eks-delivery-dev, tags what it creates elbv2.k8s.aws/cluster=<that name> and finds what it " +
                `manages by that tag (${LBC_SOURCE}:pkg/deploy/tracking/provider.go StackTags); a resource tagged for another cluster is another controller's.`,
        },
        {
            operator: "Null", key: LBC_REQUEST_TAG, value: "false", to: ownTag(LBC_REQUEST_TAG),
            why: `Every tag set it creates carries elbv2.k8s.aws/cluster=<its clusterName> (${LBC_SOURCE}:pkg/deploy/tracking/provider.go ResourceTags).`,
        },
    ],
    "external-dns": [],
    "cert-manager": [],
    "external-secrets": [],
    "cluster-autoscaler": [],
    "karpenter": [],
};

/** Actions we grant beyond the reference, with the reason. */
const EXTRA: Record<string, Record<string, string>> = {
    "aws-load-balancer-controller": {},
    "external-dns": {},
    "cert-manager": {},
    "external-secrets": {},
    "cluster-autoscaler": {},
    "karpenter": {},
};

function secretNames(): string[] {
    // As infra/addons/index.ts declares them: every service's secrets and Grafana's admin secret.
    return [...ctx.config.services.flatMap((s) => s.secrets), ctx.config.monitoring.grafanaAdminSecret];
}

// ---------------------------------------------------------------------------------------------------------
// Matching.

const list = (v: unknown): string[] => (v === undefined ? [] : [v].flat().map(String));

/** Whether IAM glob `pattern` matches every string glob `target` matches (`*` any run, `?` one character). */
function covers(pattern: string, target: string): boolean {
    const memo = new Map<string, boolean>();
    const go = (i: number, j: number): boolean => {
        const key = `${i},${j}`;
        const known = memo.get(key);
        if (known !== undefined) return known;
        let result: boolean;
        if (i === pattern.length) result = j === target.length;
        else if (pattern[i] === "*") result = go(i + 1, j) || (j < target.length && go(i, j + 1));
        else if (j === target.length || target[j] === "*") result = false;
        else if (target[j] === "?") result = pattern[i] === "?" && go(i + 1, j + 1);
        else result = (pattern[i] === "?" || pattern[i] === target[j]) && go(i + 1, j + 1);
        memo.set(key, result);
        return result;
    };
    return go(0, 0);
}

const actionMatches = (pattern: string, action: string): boolean => covers(pattern.toLowerCase(), action.toLowerCase());

function normalizeConditions(c: Record<string, Record<string, unknown>> | undefined): Conditions {
    const out: Conditions = {};
    for (const [operator, clauses] of Object.entries(c ?? {})) {
        out[operator] = {};
        for (const [key, values] of Object.entries(clauses)) out[operator][key] = list(values);
    }
    return out;
}

/** Values `need` puts on `key` under `operator` (condition keys are case-insensitive). */
function clause(need: Conditions, operator: string, key: string): string[] | undefined {
    const found = Object.entries(need[operator] ?? {}).find(([k]) => k.toLowerCase() === key.toLowerCase());
    return found?.[1];
}
const subset = (inner: string[], outer: string[]) => inner.every((v) => outer.includes(v));
/** Whether `need` guarantees `key` is in the request (a String* or Arn* test on it, or Null = false). */
const present = (need: Conditions, key: string) =>
    ["StringEquals", "StringLike", "ArnEquals", "ArnLike"].some((op) => clause(need, op, key) !== undefined) || list(clause(need, "Null", key)).join() === "false";

/** Whether every request satisfying `need` also satisfies our clause `operator: { key: values }`. */
function clauseImplied(need: Conditions, operator: string, key: string, values: string[]): boolean {
    const exact = (op: string) => clause(need, op, key);
    switch (operator) {
        case "StringEquals":
        case "ArnEquals":
        case "Bool": {
            const v = exact(operator);
            return v !== undefined && subset(v, values);
        }
        case "StringEqualsIfExists": {
            const v = exact("StringEqualsIfExists") ?? exact("StringEquals");
            return v !== undefined && subset(v, values);
        }
        case "StringLike":
        case "ArnLike": {
            if (values.includes("*") && present(need, key)) return true;
            const v = exact("StringLike") ?? exact("ArnLike") ?? exact("StringEquals") ?? exact("ArnEquals");
            return v !== undefined && v.every((x) => values.some((p) => covers(p, x)));
        }
        case "Null": {
            const v = exact("Null");
            if (v !== undefined) return v.join() === values.join();
            return values.join() === "false" && present(need, key);
        }
        case "ForAllValues:StringEquals": {
            const v = exact(operator);
            return v !== undefined && subset(v, values);
        }
        default:
            return false;
    }
}

function conditionImplied(need: Conditions, ours: Conditions): boolean {
    return Object.entries(ours).every(([operator, clauses]) => Object.entries(clauses).every(([key, values]) => clauseImplied(need, operator, key, values)));
}

const show = (c: Conditions) => (Object.keys(c).length ? ` if ${JSON.stringify(c)}` : "");

interface Requirement { action: string; resource: string; condition: Conditions; origin: string }

function unusedKey(unused: Record<string, string>, action: string, resource?: string): boolean {
    return Object.keys(unused).some((k) => {
        const [a, r] = k.split(" @ ");
        return a === action && (r === undefined || r === resource);
    });
}

/** What the reference requires of our statements, in this project's terms. */
function requirements(name: string, fixture: Fixture): Requirement[] {
    const c = CONTROLLERS[name];
    const unused = UNUSED_FEATURES[name];
    const substitute = (s: string) => Object.entries(c.placeholders).reduce((acc, [from, to]) => acc.split(from).join(to), s);
    const instantiate = (arn: string) => {
        if (!arn.startsWith("arn:")) return arn;
        const parts = arn.split(":");
        if (parts[3] === "*") parts[3] = REGION;
        if (parts[4] === "*") parts[4] = ACCOUNT;
        return parts.join(":");
    };
    const out: Requirement[] = [];
    fixture.policy.Statement.forEach((s, index) => {
        assert.equal(s.Effect, "Allow", `${fixture.controller} statement ${index} is not an Allow`);
        const origin = s.Sid ?? `#${index}`;
        let condition = normalizeConditions(s.Condition);
        condition = Object.fromEntries(Object.entries(condition).map(([op, clauses]) => [op, Object.fromEntries(
            Object.entries(clauses).map(([k, v]) => [substitute(k), v.map(substitute)]))]));
        for (const rw of CONDITION_REWRITES[name]) {
            const v = clause(condition, rw.operator, rw.key);
            if (v === undefined || v.join() !== rw.value) continue;
            delete condition[rw.operator][rw.key];
            if (!Object.keys(condition[rw.operator]).length) delete condition[rw.operator];
            for (const [op, clauses] of Object.entries(rw.to)) condition[op] = { ...condition[op], ...clauses };
        }
        for (const action of list(s.Action)) {
            if (unusedKey(unused, action)) continue;
            const resources = list(s.Resource).filter((r) => !unusedKey(unused, action, r)).map(substitute).map(instantiate)
                .flatMap((r) => (r === "*" && RESOURCE_TYPES[action] ? RESOURCE_TYPES[action] : [r]));
            for (const r of resources) assert.doesNotMatch(r, /\$\{/, `${fixture.controller} ${origin}: placeholder left in ${r}`);
            const narrowed = NARROWED[name].filter((n) => (n.statement === index || n.statement === s.Sid) && n.actions.includes(action));
            const needs: Need[] = narrowed.length ? narrowed.flatMap((n) => n.needs) : [{}];
            for (const need of needs) {
                for (const resource of need.resources ?? resources) {
                    out.push({ action, resource, condition: need.condition ?? condition, origin: narrowed.length ? `${origin}, narrowed` : origin });
                }
            }
        }
    });
    return out;
}

function resolve<T>(value: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
    return new Promise((done) => { pulumi.output(value).apply((v) => { done(v); return v; }); });
}

let mocked: Promise<void> | undefined;
async function ours(c: Controller): Promise<PolicyStatement[]> {
    // Some builders interpolate Inputs: resolve them the way a deployment would.
    mocked ??= pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "eks-delivery", "dev", false);
    await mocked;
    return (await resolve(c.statements())) as unknown as PolicyStatement[];
}

async function check(name: string): Promise<void> {
    const c = CONTROLLERS[name];
    const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, c.fixture), "utf8")) as Fixture;
    assert.equal(ctx.config.region, REGION);

    // 1. The fixture is the pinned version's policy.
    const pinned = c.pinned();
    assert.equal(fixture.controller, name);
    assert.equal(fixture.version, pinned.version, `${c.fixture} was vendored at ${fixture.version}, the project pins ${pinned.version}: re-vendor it`);
    assert.ok(fixture.source.includes(pinned.source), `${c.fixture} source ${fixture.source} is not ${pinned.source}`);
    if (pinned.reviewedChart) assert.ok(fixture.notes.includes(pinned.reviewedChart), `${c.fixture} was not reviewed for ${pinned.reviewedChart}`);

    const statements = await ours(c);
    const allows = statements.filter((s) => s.Effect === "Allow");
    const granted = allows.flatMap((s) => list(s.Action));
    const referenceActions = [...new Set(fixture.policy.Statement.flatMap((s) => list(s.Action)))];

    // 2. Every reference grant is covered, or unused.
    const missing: string[] = [];
    for (const req of requirements(name, fixture)) {
        const ok = allows.some((s) => list(s.Action).some((a) => actionMatches(a, req.action))
            && list(s.Resource).some((r) => covers(r, req.resource))
            && conditionImplied(req.condition, normalizeConditions(s.Condition)));
        if (!ok) missing.push(`${req.action} on ${req.resource}${show(req.condition)} (reference ${req.origin})`);
    }
    assert.deepEqual(missing, [], `${name}: reference grants our statements lack (grant them, or name the unused feature)`);

    // 3. Nothing beyond the reference, but the listed extras.
    const beyond = [...new Set(granted)].filter((a) => !referenceActions.some((r) => r.toLowerCase() === a.toLowerCase()) && !(a in EXTRA[name]));
    assert.deepEqual(beyond, [], `${name}: actions the reference does not grant (remove them, or give the reason in EXTRA)`);

    // The maps stay honest.
    for (const key of Object.keys(UNUSED_FEATURES[name])) {
        const [action, resource] = key.split(" @ ");
        const inReference = fixture.policy.Statement.some((s) => list(s.Action).includes(action) && (resource === undefined || list(s.Resource).includes(resource)));
        assert.ok(inReference, `${name}: UNUSED_FEATURES names ${key}, which the reference does not grant`);
        if (resource === undefined) assert.ok(!granted.some((g) => actionMatches(g, action)), `${name}: ${action} is listed as unused but granted`);
    }
    for (const action of Object.keys(EXTRA[name])) {
        assert.ok(granted.includes(action), `${name}: EXTRA names ${action}, which we do not grant`);
        assert.ok(!referenceActions.includes(action), `${name}: EXTRA names ${action}, which the reference grants`);
    }
    for (const n of NARROWED[name]) {
        const s = typeof n.statement === "number" ? fixture.policy.Statement[n.statement] : fixture.policy.Statement.find((x) => x.Sid === n.statement);
        assert.ok(s && n.actions.every((a) => list(s.Action).includes(a)), `${name}: NARROWED entry for statement ${n.statement} no longer matches the reference`);
        assert.ok(n.why.length > 0);
    }
}

for (const name of Object.keys(CONTROLLERS)) {
    test(`${name}: our IAM statements cover the pinned version's reference policy, and add nothing unexplained`, () => check(name));
}
