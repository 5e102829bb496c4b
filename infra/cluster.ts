import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";

/** Control-plane log types shipped to CloudWatch: who called the API, what changed, who authenticated. */
export const CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

export interface EksClusterArgs {
    clusterName: string;
    kubernetesVersion: string;
    vpcId: pulumi.Input<string>;
    privateSubnetIds: pulumi.Input<string[]>;
    publicSubnetIds: pulumi.Input<string[]>;
    /** CIDRs allowed to reach the public endpoint; empty = private endpoint only. */
    publicAccessCidrs: string[];
    /** VPC CNI prefix delegation (raises pods per node; needs Nitro instances). */
    prefixDelegation: boolean;
    logRetentionDays: number;
    tags: Record<string, string>;
}

/**
 * The EKS control plane as the seeds should have had it: access entries (API authentication mode),
 * Kubernetes secrets envelope-encrypted with a rotating KMS key, control-plane logs with a retention,
 * an OIDC provider for workload identity, no default node group, and a restricted endpoint.
 */
export class EksCluster extends pulumi.ComponentResource {
    readonly clusterName: pulumi.Output<string>;
    readonly kubeconfig: pulumi.Output<string>;
    readonly oidcProviderArn: pulumi.Output<string>;
    readonly oidcProviderUrl: pulumi.Output<string>;
    readonly clusterSecurityGroupId: pulumi.Output<string>;
    /** Kubernetes provider for everything deployed into this cluster. */
    readonly provider: k8s.Provider;
    /** The `@pulumi/eks` cluster, for components (node groups) that take it as input. */
    readonly cluster: eks.Cluster;

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:infra:EksCluster", name, {}, opts);

        const secretsKey = new aws.kms.Key(`${name}-secrets`, {
            description: `Envelope encryption of Kubernetes secrets in ${args.clusterName}`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            tags: args.tags,
        }, { parent: this });
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
        this.cluster = new eks.Cluster(name, {
            name: args.clusterName,
            version: args.kubernetesVersion,
            vpcId: args.vpcId,
            privateSubnetIds: args.privateSubnetIds,
            publicSubnetIds: args.publicSubnetIds,
            nodeAssociatePublicIpAddress: false,
            skipDefaultNodeGroup: true,
            authenticationMode: eks.AuthenticationMode.Api,
            createOidcProvider: true,
            encryptionConfigKeyArn: secretsKey.arn,
            enabledClusterLogTypes: CONTROL_PLANE_LOGS,
            endpointPrivateAccess: true,
            endpointPublicAccess: publicEndpoint,
            ...(publicEndpoint ? { publicAccessCidrs: args.publicAccessCidrs } : {}),
            vpcCniOptions: {
                enablePrefixDelegation: args.prefixDelegation,
                // Keep one spare /28 per node so new pods get IPs without waiting on the EC2 API.
                ...(args.prefixDelegation ? { warmPrefixTarget: 1 } : {}),
            },
            tags: args.tags,
        }, { parent: this, dependsOn: [logGroup] });

        this.clusterName = pulumi.output(args.clusterName);
        this.kubeconfig = pulumi.secret(this.cluster.kubeconfigJson);
        this.oidcProviderArn = this.cluster.oidcProviderArn;
        this.oidcProviderUrl = this.cluster.oidcProviderUrl;
        this.clusterSecurityGroupId = this.cluster.clusterSecurityGroupId;
        this.provider = new k8s.Provider(`${name}-k8s`, {
            kubeconfig: this.cluster.kubeconfigJson,
            enableServerSideApply: true,
        }, { parent: this });

        this.registerOutputs({
            clusterName: this.clusterName,
            kubeconfig: this.kubeconfig,
            oidcProviderArn: this.oidcProviderArn,
            oidcProviderUrl: this.oidcProviderUrl,
        });
    }
}
