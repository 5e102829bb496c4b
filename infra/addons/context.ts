import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";

/** What every add-on may use: the cluster's identity, the stack config, and where to parent itself. */
export interface AddonContext {
    clusterName: string;
    config: StackConfig;
    accountId: pulumi.Input<string>;
    /** IAM OIDC provider of the cluster (IRSA). */
    oidcProviderArn: pulumi.Input<string>;
    /** Its issuer without the scheme: `oidc.eks.<region>.amazonaws.com/id/<ID>`. */
    oidcProviderUrl: pulumi.Input<string>;
    vpcId: pulumi.Input<string>;
    clusterSecurityGroupId: pulumi.Input<string>;
    /** Node IAM role (Karpenter nodes reuse it). */
    nodeRoleName: pulumi.Input<string>;
    nodeRoleArn: pulumi.Input<string>;
    tags: Record<string, string>;
}
