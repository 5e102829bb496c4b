/**
 * Who may change the stack's AWS account, and how far: the account's OIDC providers (GitHub Actions,
 * Pulumi Cloud), the deploy role of this environment, the read-only preview role of pull requests, and
 * the permissions boundary every role the stack creates carries. docs/identities.md tells the story.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { DeliveryConfig } from "../config";
import { webIdentityTrustPolicy } from "./trust";

/** GitHub Actions' issuer; its tokens carry `aud: sts.amazonaws.com` for configure-aws-credentials. */
export const GITHUB_OIDC_ISSUER = "token.actions.githubusercontent.com";
export const GITHUB_AUDIENCE = "sts.amazonaws.com";
/** Pulumi Cloud's issuer: Deployments' tokens carry the organization as `aud` (Pulumi docs, Deployments OIDC). */
export const PULUMI_OIDC_ISSUER = "api.pulumi.com/oidc";

/** The tag every role of the stack carries (index.ts `tags`): role lifecycle writes are limited to it. */
export const STACK_TAG = "eks-delivery/stack";

/** `sub` of a GitHub Actions job that runs in an environment (GitHub's default subject template). */
export function githubEnvironmentSubject(repository: string, environment: string): string {
    return `repo:${repository}:environment:${environment}`;
}

/** `sub` of a GitHub Actions job triggered by `pull_request` (no environment). */
export function pullRequestSubject(repository: string): string {
    return `repo:${repository}:pull_request`;
}

/**
 * `sub` of this stack's Pulumi Deployments, any operation: Pulumi composes it as
 * `pulumi:deploy:org:<org>:project:<project>:stack:<stack>:operation:<preview|update|refresh|destroy>:scope:write`
 * (https://www.pulumi.com/docs/pulumi-cloud/oidc/, "Pulumi Deployments"). Drift detection and
 * destroys of the stack use the same role, so the operation is left open; stack names have no `:`.
 */
export function pulumiDeploymentsSubject(organization: string, project: string, stack: string): string {
    return `pulumi:deploy:org:${organization}:project:${project}:stack:${stack}:operation:*:scope:write`;
}

export interface DeployTrust {
    githubProviderArn: string;
    pulumiProviderArn: string;
    /** `owner/name` on GitHub. */
    repository: string;
    githubEnvironment: string;
    organization: string;
    project: string;
    stack: string;
}

/**
 * The deploy role trusts exactly two callers: jobs of the GitHub environment of this stack, and this
 * stack's Pulumi Deployments. IAM matches the condition keys on the issuer without its scheme.
 */
export function deployRoleTrustPolicy(t: DeployTrust): string {
    const github = JSON.parse(webIdentityTrustPolicy(t.githubProviderArn, {
        StringEquals: {
            [`${GITHUB_OIDC_ISSUER}:aud`]: GITHUB_AUDIENCE,
            [`${GITHUB_OIDC_ISSUER}:sub`]: githubEnvironmentSubject(t.repository, t.githubEnvironment),
        },
    }));
    const pulumiDeployments = JSON.parse(webIdentityTrustPolicy(t.pulumiProviderArn, {
        StringEquals: { [`${PULUMI_OIDC_ISSUER}:aud`]: t.organization },
        StringLike: { [`${PULUMI_OIDC_ISSUER}:sub`]: pulumiDeploymentsSubject(t.organization, t.project, t.stack) },
    }));
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            { Sid: "GitHubEnvironment", ...github.Statement[0] },
            { Sid: "PulumiDeployments", ...pulumiDeployments.Statement[0] },
        ],
    });
}

/** The preview role trusts pull-request jobs of the repository, and nothing else. */
export function previewRoleTrustPolicy(githubProviderArn: string, repository: string): string {
    return webIdentityTrustPolicy(githubProviderArn, {
        StringEquals: {
            [`${GITHUB_OIDC_ISSUER}:aud`]: GITHUB_AUDIENCE,
            [`${GITHUB_OIDC_ISSUER}:sub`]: pullRequestSubject(repository),
        },
    });
}

/**
 * Role writes IAM can condition on the role's permissions boundary (`iam:PermissionsBoundary`): the
 * delegation pattern of awsdocs/iam-user-guide@0f5432dc:doc_source/access_policies_boundaries.md
 * ("CreateOrChangeOnlyWithBoundary"), for roles instead of users.
 */
export const BOUNDED_ROLE_WRITES = [
    "iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
];
/** Role writes without that condition key: allowed only on roles tagged with this stack. */
export const STACK_ROLE_WRITES = [
    "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:DeleteRole", "iam:TagRole", "iam:UntagRole",
];
/**
 * Trust changes, which the deploy role never makes (a role's trust is set by CreateRole): IAM cannot tell
 * tagging a new role from tagging an old untagged one (see tagOnCreate), so a role the deploy role could
 * tag as its stack's must not then be made to trust someone else. The program's trusts do not change
 * between updates (Pod Identity's service principal; the CNI's IRSA issuer, fixed for the cluster's
 * life); when one must, an administrator runs that update (docs/identities.md).
 */
export const TRUST_WRITES = ["iam:UpdateAssumeRolePolicy"];
/**
 * Actions that move or take on a role's identity: the deploy role needs none (the program assumes no
 * role; the kubeconfig's `aws eks get-token` only signs GetCallerIdentity), so any role it could make
 * trust it is still out of reach.
 */
export const ROLE_ASSUMPTION = ["sts:AssumeRole*"];
/** Every write on a role: the deploy and preview roles are closed to all of them. */
export const ROLE_WRITES = [
    ...BOUNDED_ROLE_WRITES, ...STACK_ROLE_WRITES, ...TRUST_WRITES, "iam:DeleteRolePermissionsBoundary", "iam:PassRole",
];
/** Writes that would change what the boundary allows (the "NoBoundaryPolicyEdit" of the same AWS example). */
export const POLICY_WRITES = [
    "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy",
];

export interface DeployPolicyArgs {
    accountId: string;
    region: string;
    stack: string;
    boundaryArn: string;
    deployRoleArn: string;
    previewRoleArn: string;
}

/**
 * What `pulumi up` of the stack needs, and no way past the boundary: the services it manages; roles only
 * with the boundary (created, or changed, with it); role lifecycle only on the stack's own (tagged) roles;
 * PassRole only of those roles to the services that use them; the cluster's IRSA OIDC provider (not the
 * account's GitHub/Pulumi ones). No instance profiles: the stack declares none (managed node groups get
 * theirs from EKS). Explicit denies: the boundary policy is read-only, no role sheds its boundary, the
 * deploy and preview roles cannot be changed by the deploy role (itself included), and it assumes no role.
 */
export function deployRolePolicy(a: DeployPolicyArgs): string {
    const iam = (resource: string) => `arn:aws:iam::${a.accountId}:${resource}`;
    const ownRoles = { StringEquals: { [`aws:ResourceTag/${STACK_TAG}`]: a.stack } };
    // CreateRole with tags is also authorized as iam:TagRole on the new role, which has no tags yet
    // (iann0036/iamlive#97/#98: IAM.CreateRole -> iam:TagRole; AWS IAM user guide, access_iam-tags.md
    // "Controlling access during IAM requests": aws:RequestTag). So the stack tag may be set when the
    // request carries it, on a role with no stack tag or this stack's: never on another stack's role.
    const tagOnCreate = {
        StringEquals: { [`aws:RequestTag/${STACK_TAG}`]: a.stack },
        StringEqualsIfExists: { [`aws:ResourceTag/${STACK_TAG}`]: a.stack },
    };
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "StackServices",
                Effect: "Allow",
                Action: ["ec2:*", "eks:*", "ecr:*", "autoscaling:*", "elasticloadbalancing:*", "logs:*", "sns:*", "sqs:*", "events:*",
                    "cloudwatch:*", "acm:*", "route53:Get*", "route53:List*", "route53:ChangeResourceRecordSets", "route53:ChangeTagsForResource",
                    "route53:CreateHealthCheck", "route53:UpdateHealthCheck", "route53:DeleteHealthCheck",
                    "ssm:GetParameter", "ssm:GetParameters", "sts:GetCallerIdentity", "kms:*"],
                Resource: "*",
            },
            { Sid: "IamRead", Effect: "Allow", Action: ["iam:Get*", "iam:List*"], Resource: "*" },
            {
                Sid: "RolesOnlyWithTheBoundary",
                Effect: "Allow",
                Action: BOUNDED_ROLE_WRITES,
                Resource: iam("role/*"),
                Condition: { StringEquals: { "iam:PermissionsBoundary": a.boundaryArn } },
            },
            { Sid: "StackRolesLifecycle", Effect: "Allow", Action: STACK_ROLE_WRITES, Resource: iam("role/*"), Condition: ownRoles },
            { Sid: "TagStackRolesOnCreate", Effect: "Allow", Action: ["iam:TagRole"], Resource: iam("role/*"), Condition: tagOnCreate },
            {
                Sid: "PassStackRolesToTheirServices",
                Effect: "Allow",
                Action: ["iam:PassRole"],
                Resource: iam("role/*"),
                // eks.amazonaws.com: the cluster role and the managed node groups' node role (EKS makes their
                // instance profiles); pods.eks.amazonaws.com: Pod Identity associations. Nothing the stack
                // declares launches an instance with a role: Karpenter's controller does that, with its own.
                Condition: { StringEquals: { ...ownRoles.StringEquals, "iam:PassedToService": ["eks.amazonaws.com", "pods.eks.amazonaws.com"] } },
            },
            {
                Sid: "ClusterOidcProvider",
                Effect: "Allow",
                Action: ["iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint",
                    "iam:TagOpenIDConnectProvider", "iam:UntagOpenIDConnectProvider"],
                Resource: iam(`oidc-provider/oidc.eks.${a.region}.amazonaws.com/id/*`),
            },
            {
                Sid: "ServiceLinkedRoles",
                Effect: "Allow",
                Action: ["iam:CreateServiceLinkedRole"],
                Resource: iam("role/aws-service-role/*"),
            },
            { Sid: "BoundaryIsReadOnly", Effect: "Deny", Action: POLICY_WRITES, Resource: a.boundaryArn },
            { Sid: "NoRoleShedsItsBoundary", Effect: "Deny", Action: ["iam:DeleteRolePermissionsBoundary"], Resource: "*" },
            { Sid: "DeliveryRolesAreNotSelfService", Effect: "Deny", Action: ROLE_WRITES, Resource: [a.deployRoleArn, a.previewRoleArn] },
            { Sid: "NoRoleAssumption", Effect: "Deny", Action: ROLE_ASSUMPTION, Resource: "*" },
        ],
    });
}

export interface BoundaryArgs {
    accountId: string;
    region: string;
    stack: string;
    /** The EKS cluster's name: Karpenter tags its instance profiles `eks:eks-cluster-name: <name>`. */
    clusterName: string;
}

/**
 * The prefix of every Secrets Manager secret the stack's roles may read (services' `secrets`, the
 * Grafana admin secret `<stack>/grafana-admin`): config/schema.ts refuses others under
 * `eks-delivery:delivery`. The suffix `-??????` is the six characters Secrets Manager appends.
 */
export function stackSecretsArn(a: Pick<BoundaryArgs, "accountId" | "region" | "stack">): string {
    return `arn:aws:secretsmanager:${a.region}:${a.accountId}:secret:${a.stack}/*`;
}

/**
 * The most any role the stack creates may ever do: the union of what the EKS service role, the nodes,
 * the VPC CNI, the EBS CSI driver and the platform controllers need (their managed policies and
 * `*Statements` functions), and no identity writes beyond instance profiles for Karpenter's nodes and
 * service-linked roles. No organizations, no account settings, no users or access keys, no policy edits.
 * Data is scoped: secrets under `<stack>/` only, KMS data keys only through Secrets Manager and EC2
 * (EBS), the node role passed to EC2 only if it is this stack's, instance profiles only of this cluster.
 */
export function permissionsBoundaryPolicy(a: BoundaryArgs): string {
    const iam = (resource: string) => `arn:aws:iam::${a.accountId}:${resource}`;
    const clusterTag = "eks:eks-cluster-name";
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "StackRoleServices",
                Effect: "Allow",
                Action: [
                    "ec2:*", "elasticloadbalancing:*", "autoscaling:*",
                    "eks:Describe*", "eks:List*", "eks-auth:AssumeRoleForPodIdentity",
                    "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchImportUpstreamImage", "ecr:Describe*", "ecr:List*", "ecr:GetLifecyclePolicy*", "ecr:GetRepositoryPolicy",
                    "ssm:Describe*", "ssm:Get*", "ssm:List*", "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult", "ssm:PutInventory",
                    "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation",
                    "ssmmessages:*", "ec2messages:*",
                    "route53:ChangeResourceRecordSets", "route53:Get*", "route53:List*",
                    // AmazonEKSClusterPolicy: the cluster reads its secrets key's metadata.
                    "kms:DescribeKey",
                    "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes",
                    "pricing:GetProducts",
                    "acm:DescribeCertificate", "acm:ListCertificates", "acm:GetCertificate",
                    "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
                    "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL", "waf-regional:DisassociateWebACL",
                    "shield:GetSubscriptionState", "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection",
                    "cognito-idp:DescribeUserPoolClient", "tag:GetResources", "tag:TagResources",
                    "sts:GetCallerIdentity",
                ],
                Resource: "*",
            },
            {
                // external-secrets reads exactly the declared secrets (infra/addons/external-secrets), all under <stack>/.
                Sid: "StackSecrets",
                Effect: "Allow",
                Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                Resource: stackSecretsArn(a),
            },
            {
                // Customer-managed keys only through the services that use them: Secrets Manager decrypting a
                // secret, EC2 encrypting an EBS volume (kms:ViaService, AWS KMS developer guide, conditions-kms).
                Sid: "KmsThroughSecretsAndEbs",
                Effect: "Allow",
                Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                Resource: "*",
                Condition: { StringEquals: { "kms:ViaService": [`secretsmanager.${a.region}.amazonaws.com`, `ec2.${a.region}.amazonaws.com`] } },
            },
            { Sid: "IamRead", Effect: "Allow", Action: ["iam:Get*", "iam:List*"], Resource: "*" },
            {
                // Karpenter creates its nodes' instance profiles tagged with the cluster (its own policy requires
                // the same request tags: aws/karpenter-provider-aws@v1.14.1 cloudformation.yaml).
                Sid: "CreateClusterInstanceProfiles",
                Effect: "Allow",
                Action: ["iam:CreateInstanceProfile", "iam:TagInstanceProfile"],
                Resource: iam("instance-profile/*"),
                Condition: { StringEquals: { [`aws:RequestTag/${clusterTag}`]: a.clusterName } },
            },
            {
                // Adding a role to a profile also needs PassRole of that role (below: this stack's roles only).
                Sid: "ClusterInstanceProfiles",
                Effect: "Allow",
                Action: ["iam:DeleteInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:TagInstanceProfile"],
                Resource: iam("instance-profile/*"),
                Condition: { StringEquals: { [`aws:ResourceTag/${clusterTag}`]: a.clusterName } },
            },
            {
                Sid: "PassStackNodeRoleToEc2",
                Effect: "Allow",
                Action: ["iam:PassRole"],
                Resource: iam("role/*"),
                Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com", [`aws:ResourceTag/${STACK_TAG}`]: a.stack } },
            },
            { Sid: "ServiceLinkedRoles", Effect: "Allow", Action: ["iam:CreateServiceLinkedRole"], Resource: iam("role/aws-service-role/*") },
        ],
    });
}

/**
 * The preview role's policy: reads of what `pulumi preview` looks up (invokes, Kubernetes auth) and
 * nothing that reveals data: no Secrets Manager values, no SSM SecureString parameters (they need
 * kms:Decrypt, not granted), no S3 objects. Chosen over AWS's `ReadOnlyAccess`, which also reads data
 * (S3 objects, DynamoDB items, ...) in every service of the account. A plain `pulumi preview` reads no
 * Kubernetes Secrets: Helm releases render client-side and diff against the state
 * (pulumi/pulumi-kubernetes@v4.32.0:provider/pkg/provider/helm_release.go:519-520,795); only a refresh
 * reads a release's history Secrets, which the `view` access entry does not allow.
 * Each invoke's API calls, as terraform-provider-aws makes them, are listed in test/identities.test.ts
 * (INVOKE_READS), which checks this policy against every invoke the emulated cloud answers.
 */
export function previewRolePolicy(): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{
            Sid: "PreviewReads",
            Effect: "Allow",
            Action: [
                "sts:GetCallerIdentity",
                // getSubnet, getAvailabilityZones, pulumi-eks's look-ups.
                "ec2:Describe*", "eks:Describe*", "eks:List*", "autoscaling:Describe*", "elasticloadbalancing:Describe*",
                // Image look-ups (getImages: ListImages, getImage: DescribeImages, in the registry owner's
                // account for a consumer) and the registry login the image builds do at preview.
                "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:ListImages", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy", "ecr:ListTagsForResource",
                "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:GetPolicy", "iam:GetPolicyVersion",
                // getOpenIdConnectProvider (lookup): ListOpenIDConnectProviders, then GetOpenIDConnectProvider,
                // whose answer carries the tags (internal/service/iam/openid_connect_provider_data_source.go);
                // ListOpenIDConnectProviderTags reads the same tags, for provider versions that list them apart.
                "iam:GetOpenIDConnectProvider", "iam:ListOpenIDConnectProviders", "iam:ListOpenIDConnectProviderTags", "iam:GetInstanceProfile",
                // getZone: ListHostedZones, GetHostedZone, ListTagsForResource (every look-up lists the zone's
                // tags: hashicorp/terraform-provider-aws internal/service/route53/zone_data_source.go).
                "route53:GetHostedZone", "route53:ListHostedZones", "route53:ListHostedZonesByName", "route53:ListResourceRecordSets", "route53:GetHealthCheck",
                "route53:ListTagsForResource",
                "acm:DescribeCertificate", "acm:ListCertificates",
                "kms:DescribeKey", "kms:ListAliases",
                "logs:DescribeLogGroups", "sns:GetTopicAttributes", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "events:DescribeRule",
                "cloudwatch:DescribeAlarms",
            ],
            Resource: "*",
        }],
    });
}

/** The account's OIDC provider for an issuer: its ARN and who made it. */
interface OidcProvider {
    arn: pulumi.Output<string>;
    /** The resource, when this stack creates it (`oidcProviders.<issuer>: create`). */
    resource?: aws.iam.OpenIdConnectProvider;
}

export interface DeliveryIdentitiesArgs {
    delivery: DeliveryConfig;
    project: string;
    stack: string;
    accountId: pulumi.Input<string>;
    region: string;
    /** The EKS cluster's name (index.ts): the boundary scopes Karpenter's instance profiles to it. */
    clusterName: string;
    tags: Record<string, string>;
    /**
     * The URN this component's resources had as children of `DeliveryAutomation` (before identities got
     * their own component): aliases keep the deploy role, its policy and the Pulumi provider in place.
     */
    previousParent?: pulumi.Input<string>;
}

/**
 * The delivery identities of one stack. The first `pulumi up` that creates (or changes) them is run by an
 * administrator: the deploy role may not write the deploy or preview role, nor the boundary policy
 * (docs/identities.md).
 */
export class DeliveryIdentities extends pulumi.ComponentResource {
    readonly deployRoleArn: pulumi.Output<string>;
    readonly previewRoleArn: pulumi.Output<string>;
    readonly permissionsBoundaryArn: pulumi.Output<string>;
    readonly githubProviderArn: pulumi.Output<string>;
    readonly pulumiProviderArn: pulumi.Output<string>;

    constructor(name: string, args: DeliveryIdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:infra:DeliveryIdentities", name, {}, opts);
        const { delivery, project, stack } = args;
        const moved = (resourceName: string): pulumi.CustomResourceOptions => ({
            parent: this,
            ...(args.previousParent ? { aliases: [{ name: resourceName, parent: args.previousParent }] } : {}),
        });

        // One provider per issuer and account (IAM refuses a second with the same URL): one stack per
        // account creates each, the others look it up; per issuer, since either may already exist.
        // `retainOnDelete`: a destroyed stack leaves the account's providers to the others. It acts only
        // once it is in the state: a switch to `lookup` must first run one `up` with `create` (see
        // docs/identities.md), else the provider leaves the program with the old options and is deleted.
        const provider = (key: keyof DeliveryConfig["oidcProviders"], issuer: string, audience: string, existedBefore: boolean): OidcProvider => {
            const url = `https://${issuer}`;
            if (delivery.oidcProviders[key] === "lookup") {
                return { arn: aws.iam.getOpenIdConnectProviderOutput({ url }, { parent: this }).arn };
            }
            const resourceName = `${name}-${key}-oidc`;
            // No thumbprintLists: for GitHub's and Pulumi's issuers IAM validates against its own trusted
            // CAs, and for others it fetches the thumbprint itself (pulumi-aws 7.48.0 iam/openIdConnectProvider.d.ts).
            const resource = new aws.iam.OpenIdConnectProvider(resourceName, { url, clientIdLists: [audience], tags: args.tags },
                { ...(existedBefore ? moved(resourceName) : { parent: this }), retainOnDelete: true });
            return { arn: resource.arn, resource };
        };
        const github = provider("github", GITHUB_OIDC_ISSUER, GITHUB_AUDIENCE, false);
        const pulumiCloud = provider("pulumi", PULUMI_OIDC_ISSUER, delivery.organization, true);
        this.githubProviderArn = github.arn;
        this.pulumiProviderArn = pulumiCloud.arn;

        const boundary = new aws.iam.Policy(`${name}-boundary`, {
            description: `Permissions boundary of every role ${project}/${stack} creates`,
            policy: pulumi.output(args.accountId).apply((accountId) => permissionsBoundaryPolicy({ accountId, region: args.region, stack, clusterName: args.clusterName })),
            tags: args.tags,
        }, { parent: this });

        const deployRole = new aws.iam.Role(`${name}-deploy`, {
            description: `Deploys ${project}/${stack}: GitHub environment ${delivery.githubEnvironment} and Pulumi Deployments of ${delivery.organization}`,
            assumeRolePolicy: pulumi.all([github.arn, pulumiCloud.arn]).apply(([githubProviderArn, pulumiProviderArn]) => deployRoleTrustPolicy({
                githubProviderArn, pulumiProviderArn, repository: delivery.repository, githubEnvironment: delivery.githubEnvironment,
                organization: delivery.organization, project, stack,
            })),
            maxSessionDuration: 7200,
            tags: args.tags,
        }, moved(`${name}-deploy`));
        const previewRole = new aws.iam.Role(`${name}-preview`, {
            description: `Previews ${project}/${stack} for pull requests of ${delivery.repository} (read-only)`,
            assumeRolePolicy: github.arn.apply((arn) => previewRoleTrustPolicy(arn, delivery.repository)),
            tags: args.tags,
        }, { parent: this });

        new aws.iam.RolePolicy(`${name}-deploy`, {
            role: deployRole.name,
            policy: pulumi.all([args.accountId, boundary.arn, deployRole.arn, previewRole.arn]).apply(([accountId, boundaryArn, deployRoleArn, previewRoleArn]) =>
                deployRolePolicy({ accountId, region: args.region, stack, boundaryArn, deployRoleArn, previewRoleArn })),
        }, moved(`${name}-deploy`));
        new aws.iam.RolePolicy(`${name}-preview`, { role: previewRole.name, policy: previewRolePolicy() }, { parent: this });

        this.deployRoleArn = deployRole.arn;
        this.previewRoleArn = previewRole.arn;
        this.permissionsBoundaryArn = boundary.arn;
        this.registerOutputs({
            deployRoleArn: this.deployRoleArn,
            previewRoleArn: this.previewRoleArn,
            permissionsBoundaryArn: this.permissionsBoundaryArn,
        });
    }
}

/**
 * A resource transform that puts the boundary on every IAM role it sees. Given to `eks.Cluster` as
 * `transforms`: the engine keeps a remote component's transforms and runs them on every child the
 * component's provider registers, walking the parent chain
 * (pulumi/pulumi@v3.248.0:pkg/resource/deploy/source_eval.go:2176-2241), so it reaches the EKS service
 * role pulumi-eks creates inside its component (pulumi/pulumi-eks@v4.3.0:nodejs/eks/cluster/cluster.ts:514-545).
 */
export function boundaryTransform(boundaryArn: pulumi.Input<string>): pulumi.ResourceTransform {
    return ({ type, props, opts }) => type === "aws:iam/role:Role" && props.permissionsBoundary === undefined
        ? { props: { ...props, permissionsBoundary: boundaryArn }, opts }
        : undefined;
}

/**
 * Whether the engine runs transforms. Always under `pulumi preview`/`up` (the CLI says so when the
 * program starts); never under runtime mocks, which have no engine to run them
 * (@pulumi/pulumi@3.248.0:runtime/mocks.js:171). There a remote component is one opaque resource with no
 * children, so there is nothing for the transform to reach.
 */
export function engineRunsTransforms(): boolean {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { getStore } = require("@pulumi/pulumi/runtime/state") as { getStore(): { supportsTransforms: boolean } };
    return getStore().supportsTransforms;
}
