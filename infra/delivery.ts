import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as service from "@pulumi/pulumiservice";
import type { DeliveryConfig } from "../config";
import { webIdentityTrustPolicy } from "./trust";

/** Pulumi Cloud's OIDC issuer: Deployments exchange its tokens for AWS credentials (no stored keys). */
export const PULUMI_OIDC_ISSUER = "api.pulumi.com/oidc";

/** Files whose change redeploys the stack; a README or workflow edit does not. */
export function deployPaths(stack: string): string[] {
    return ["index.ts", "config/**", "infra/**", "apps/**", "policies/**", "Pulumi.yaml", `Pulumi.${stack}.yaml`, "package.json", "package-lock.json"];
}

/** Events a team hears about in Slack: every start, success and failure, and drift. */
export const SLACK_EVENTS: service.WebhookFilters[] = [
    service.WebhookFilters.DeploymentStarted, service.WebhookFilters.DeploymentSucceeded, service.WebhookFilters.DeploymentFailed,
    service.WebhookFilters.UpdateSucceeded, service.WebhookFilters.UpdateFailed,
    service.WebhookFilters.PreviewFailed, service.WebhookFilters.DriftDetected, service.WebhookFilters.DriftDetectionFailed,
];

/** Trust: only Pulumi Deployments of this organization/project/stack may assume the deploy role. */
export function deployRoleTrustPolicy(providerArn: string, organization: string, project: string, stack: string): string {
    // Condition keys are the issuer without its scheme, as IAM matches them.
    return webIdentityTrustPolicy(providerArn, {
        StringEquals: { [`${PULUMI_OIDC_ISSUER}:aud`]: organization },
        StringLike: { [`${PULUMI_OIDC_ISSUER}:sub`]: `pulumi:deploy:org:${organization}:project:${project}:stack:${stack}:*` },
    });
}

/**
 * What the stack's own resources need, and nothing else: the services it manages (no IAM users or
 * access keys, no organizations, no billing), IAM limited to roles/policies/OIDC providers and
 * instance profiles, and PassRole only to the services that use the roles.
 */
export function deployRolePolicy(accountId: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "StackServices",
                Effect: "Allow",
                Action: ["ec2:*", "eks:*", "ecr:*", "autoscaling:*", "elasticloadbalancing:*", "logs:*", "sns:*", "sqs:*", "events:*",
                    "route53:Get*", "route53:List*", "ssm:GetParameter", "ssm:GetParameters", "sts:GetCallerIdentity", "kms:*"],
                Resource: "*",
            },
            {
                Sid: "StackIam",
                Effect: "Allow",
                Action: [
                    "iam:CreateRole", "iam:GetRole", "iam:UpdateRole", "iam:DeleteRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy",
                    "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
                    "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies",
                    "iam:CreatePolicy", "iam:GetPolicy", "iam:DeletePolicy", "iam:CreatePolicyVersion", "iam:GetPolicyVersion",
                    "iam:DeletePolicyVersion", "iam:ListPolicyVersions", "iam:TagPolicy",
                    "iam:CreateOpenIDConnectProvider", "iam:GetOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider",
                    "iam:UpdateOpenIDConnectProviderThumbprint", "iam:AddClientIDToOpenIDConnectProvider", "iam:TagOpenIDConnectProvider",
                    "iam:CreateInstanceProfile", "iam:GetInstanceProfile", "iam:DeleteInstanceProfile", "iam:AddRoleToInstanceProfile",
                    "iam:RemoveRoleFromInstanceProfile", "iam:ListInstanceProfilesForRole", "iam:TagInstanceProfile", "iam:CreateServiceLinkedRole",
                ],
                Resource: [`arn:aws:iam::${accountId}:role/*`, `arn:aws:iam::${accountId}:policy/*`, `arn:aws:iam::${accountId}:oidc-provider/*`,
                    `arn:aws:iam::${accountId}:instance-profile/*`],
            },
            {
                Sid: "PassRolesToTheirServices",
                Effect: "Allow",
                Action: ["iam:PassRole"],
                Resource: `arn:aws:iam::${accountId}:role/*`,
                // pods.eks.amazonaws.com: EKS Pod Identity associations pass the controllers' roles to it.
                Condition: { StringEquals: { "iam:PassedToService": ["eks.amazonaws.com", "ec2.amazonaws.com", "pods.eks.amazonaws.com"] } },
            },
        ],
    });
}

export interface DeliveryAutomationArgs {
    delivery: DeliveryConfig;
    project: string;
    stack: string;
    accountId: pulumi.Input<string>;
    /** dev deploys every merge to `branch`; prod only on an explicit promotion (see README). */
    deployOnPush: boolean;
    tags: Record<string, string>;
}

/** Pulumi Deployments for this stack: source, push-to-deploy, PR previews, AWS via OIDC, and Slack. */
export class DeliveryAutomation extends pulumi.ComponentResource {
    readonly deployRoleArn: pulumi.Output<string>;

    constructor(name: string, args: DeliveryAutomationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:infra:DeliveryAutomation", name, {}, opts);
        const { delivery, project, stack } = args;

        const oidc = new aws.iam.OpenIdConnectProvider(`${name}-pulumi-oidc`, {
            url: `https://${PULUMI_OIDC_ISSUER}`,
            clientIdLists: [delivery.organization],
            tags: args.tags,
        }, { parent: this });
        const role = new aws.iam.Role(`${name}-deploy`, {
            description: `Pulumi Deployments of ${delivery.organization}/${project}/${stack}`,
            assumeRolePolicy: oidc.arn.apply((arn) => deployRoleTrustPolicy(arn, delivery.organization, project, stack)),
            maxSessionDuration: 7200,
            tags: args.tags,
        }, { parent: this });
        new aws.iam.RolePolicy(`${name}-deploy`, {
            role: role.name,
            policy: pulumi.output(args.accountId).apply(deployRolePolicy),
        }, { parent: this });
        this.deployRoleArn = role.arn;

        new service.DeploymentSettings(`${name}-settings`, {
            organization: delivery.organization,
            project,
            stack,
            sourceContext: { git: { repoUrl: `https://github.com/${delivery.repository}.git`, branch: `refs/heads/${delivery.branch}`, repoDir: "." } },
            github: {
                repository: delivery.repository,
                deployCommits: args.deployOnPush,
                previewPullRequests: true,
                paths: deployPaths(stack),
            },
            operationContext: {
                oidc: { aws: { roleARN: role.arn, sessionName: `pulumi-deployments-${stack}`, duration: "2h0m0s" } },
                preRunCommands: ["npm ci", "npm --prefix policies ci"],
                environmentVariables: { PULUMI_SKIP_UPDATE_CHECK: "true" },
            },
        }, { parent: this });

        if (delivery.slackWebhookUrl !== undefined) {
            new service.Webhook(`${name}-slack`, {
                organizationName: delivery.organization,
                projectName: project,
                stackName: stack,
                displayName: `Slack: ${project}/${stack}`,
                payloadUrl: pulumi.secret(delivery.slackWebhookUrl),
                format: service.WebhookFormat.Slack,
                active: true,
                filters: SLACK_EVENTS,
            }, { parent: this });
        }
        this.registerOutputs({ deployRoleArn: this.deployRoleArn });
    }
}
