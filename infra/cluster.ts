import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import { eksAddon, EksAddonVersions, vpcCniConfiguration } from "./eksAddons";
import { irsaTrustPolicy } from "./trust";
import { boundaryTransform, engineRunsTransforms } from "./identities";
import { calendarDate, supportWarning } from "../policies/lib/eksVersions";

/** What the VPC CNI needs to attach ENIs and assign addresses (IPv4), on its own role rather than the nodes'. */
export const VPC_CNI_POLICY = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy";

/** Control-plane log types shipped to CloudWatch: who called the API, what changed, who authenticated. */
export const CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

export interface EksClusterArgs {
    clusterName: string;
    kubernetesVersion: string;
    /** Keep the version past standard support at the extended price, instead of letting EKS upgrade it. */
    extendedSupport: boolean;
    vpcId: pulumi.Input<string>;
    privateSubnetIds: pulumi.Input<string[]>;
    publicSubnetIds: pulumi.Input<string[]>;
    /** CIDRs allowed to reach the public endpoint; empty = private endpoint only. */
    publicAccessCidrs: string[];
    /** VPC CNI prefix delegation (raises pods per node; needs Nitro instances). */
    prefixDelegation: boolean;
    logRetentionDays: number;
    /** Production: the cluster and its secrets key refuse deletion (EKS deletion protection, Pulumi protect). */
    protect: boolean;
    /** Add-on versions that override the pinned table (infra/eksAddons.ts). */
    addonVersions: EksAddonVersions;
    /** The permissions boundary every role of the stack carries (infra/identities.ts), when it has one. */
    permissionsBoundary?: pulumi.Input<string>;
    tags: Record<string, string>;
}

/**
 * The EKS control plane: API authentication (access entries), Kubernetes secrets envelope-encrypted
 * with a rotating KMS key, control-plane logs with a retention, the STANDARD upgrade policy unless
 * extended support is chosen, and the networking add-ons (VPC CNI with NetworkPolicy enforcement,
 * kube-proxy) as EKS managed add-ons at pinned versions.
 *
 * pulumi-eks is told not to create add-ons of its own: it would install kube-proxy and the VPC CNI at
 * the newest version on every run (`mostRecent: true`, pulumi/pulumi-eks@v4.3.0:nodejs/eks/addons/
 * cni-addon.ts and cluster/cluster.ts), rolling them during unrelated deploys.
 */
export class EksCluster extends pulumi.ComponentResource {
    readonly clusterName: pulumi.Output<string>;
    readonly clusterArn: pulumi.Output<string>;
    readonly kubeconfig: pulumi.Output<string>;
    readonly oidcProviderArn: pulumi.Output<string>;
    /** The OIDC issuer without `https://`: what IRSA condition keys are built on (for apps that use IRSA). */
    readonly oidcIssuer: pulumi.Output<string>;
    /**
     * The security group EKS creates and puts on managed nodes (`vpcConfig.clusterSecurityGroupId`), not
     * the egress-only group pulumi-eks adds (`clusterSecurityGroupId` of the component,
     * pulumi/pulumi-eks@v4.3.0:nodejs/eks/cluster/cluster.ts:555,2196). Karpenter nodes must join this one.
     */
    readonly clusterSecurityGroupId: pulumi.Output<string>;
    /** Kubernetes provider for everything deployed into this cluster. */
    readonly provider: k8s.Provider;
    /** Add-ons the nodes need before they join (CNI, kube-proxy). */
    readonly networkAddons: aws.eks.Addon[];

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:infra:EksCluster", name, {}, opts);
        const protect = { protect: args.protect };

        // A version about to leave standard support is news before it is a bill (or a forced upgrade).
        let today: string;
        try {
            today = calendarDate();
        } catch (err) {
            throw new pulumi.RunError((err as Error).message);
        }
        const notice = supportWarning(args.kubernetesVersion, today);
        if (notice) pulumi.log.warn(notice, this);

        const secretsKey = new aws.kms.Key(`${name}-secrets`, {
            description: `Envelope encryption of Kubernetes secrets in ${args.clusterName}`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            tags: args.tags,
        }, { parent: this, ...protect });
        new aws.kms.Alias(`${name}-secrets`, {
            name: `alias/${args.clusterName}-secrets`,
            targetKeyId: secretsKey.keyId,
        }, { parent: this });

        // EKS creates this group on first log line with no expiry; owning it sets the retention.
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-control-plane`, {
            name: `/aws/eks/${args.clusterName}/cluster`,
            retentionInDays: args.logRetentionDays,
            tags: args.tags,
        }, { parent: this });

        const publicEndpoint = args.publicAccessCidrs.length > 0;
        const cluster = new eks.Cluster(name, {
            name: args.clusterName,
            version: args.kubernetesVersion,
            // EKS's default is EXTENDED: a forgotten version silently costs six times as much.
            upgradePolicy: { supportType: args.extendedSupport ? "EXTENDED" : "STANDARD" },
            deletionProtection: args.protect,
            vpcId: args.vpcId,
            privateSubnetIds: args.privateSubnetIds,
            publicSubnetIds: args.publicSubnetIds,
            nodeAssociatePublicIpAddress: false,
            skipDefaultNodeGroup: true,
            // API mode: access entries only (infra/clusterAccess.ts); the creator is bootstrapped as admin.
            authenticationMode: eks.AuthenticationMode.Api,
            // Kept for apps that use IRSA; the platform's controllers use EKS Pod Identity.
            createOidcProvider: true,
            encryptionConfigKeyArn: secretsKey.arn,
            enabledClusterLogTypes: CONTROL_PLANE_LOGS,
            endpointPrivateAccess: true,
            endpointPublicAccess: publicEndpoint,
            ...(publicEndpoint ? { publicAccessCidrs: args.publicAccessCidrs } : {}),
            // The add-ons below replace pulumi-eks's own (unpinned) ones.
            useDefaultVpcCni: true,
            kubeProxyAddonOptions: { enabled: false },
            corednsAddonOptions: { enabled: false },
            tags: args.tags,
        }, {
            parent: this, dependsOn: [logGroup], ...protect,
            // The EKS service role is made inside the component, and passing our own `serviceRole` would
            // change the cluster's role ARN, which replaces the cluster: the transform bounds it in place.
            ...(args.permissionsBoundary && engineRunsTransforms() ? { transforms: [boundaryTransform(args.permissionsBoundary)] } : {}),
        });

        // The CNI's own role, through IRSA rather than Pod Identity: the CNI must have credentials before
        // any pod can run, and IRSA needs nothing in the cluster (the Pod Identity agent is an add-on that
        // comes with the nodes). AWS recommends this role over the node role (EKS user guide, cni-iam-role).
        const cniRole = new aws.iam.Role(`${name}-vpc-cni`, {
            description: `VPC CNI (kube-system/aws-node) of ${args.clusterName}, through IRSA`,
            assumeRolePolicy: pulumi.all([cluster.oidcProviderArn, cluster.oidcIssuer]).apply(([arn, issuer]) =>
                irsaTrustPolicy(arn, issuer, "kube-system", "aws-node")),
            permissionsBoundary: args.permissionsBoundary,
            tags: args.tags,
        }, { parent: this });
        const cniPolicy = new aws.iam.RolePolicyAttachment(`${name}-vpc-cni`, { role: cniRole.name, policyArn: VPC_CNI_POLICY }, { parent: this });

        const addon = { clusterName: cluster.eksCluster.name, kubernetesVersion: args.kubernetesVersion, overrides: args.addonVersions, tags: args.tags };
        this.networkAddons = [
            eksAddon(`${name}-vpc-cni`, {
                ...addon, addon: "vpc-cni", configurationValues: vpcCniConfiguration(args.prefixDelegation), serviceAccountRoleArn: cniRole.arn,
            }, { parent: this, dependsOn: [cniPolicy] }),
            eksAddon(`${name}-kube-proxy`, { ...addon, addon: "kube-proxy" }, { parent: this }),
        ];

        this.clusterName = cluster.eksCluster.name;
        this.clusterArn = cluster.eksCluster.arn;
        this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);
        this.oidcProviderArn = cluster.oidcProviderArn;
        this.oidcIssuer = cluster.oidcIssuer;
        this.clusterSecurityGroupId = cluster.eksCluster.vpcConfig.clusterSecurityGroupId;
        // Secret in the provider's state too: neither pulumi-eks (its kubeconfig outputs are plain) nor
        // @pulumi/kubernetes@4.34.2 (provider.js: a plain input) marks it. The value is unchanged, so
        // nothing is replaced: DiffConfig unmarshals without KeepSecrets (secrets compare by value) and
        // answers DIFF_NONE (pulumi/pulumi-kubernetes default branch @94977969, v4.32.0-27, the newest read:
        // provider/pkg/provider/provider.go DiffConfig).
        this.provider = new k8s.Provider(`${name}-k8s`, {
            kubeconfig: this.kubeconfig,
            enableServerSideApply: true,
        }, { parent: this });

        this.registerOutputs({
            clusterName: this.clusterName,
            clusterArn: this.clusterArn,
            kubeconfig: this.kubeconfig,
            oidcProviderArn: this.oidcProviderArn,
            oidcIssuer: this.oidcIssuer,
            clusterSecurityGroupId: this.clusterSecurityGroupId,
        });
    }
}
