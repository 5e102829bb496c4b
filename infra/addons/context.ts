import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";

/** What every add-on may use: the cluster's identity, the stack config, and where to parent itself. */
export interface AddonContext {
    clusterName: string;
    /** `arn:aws:eks:<region>:<account>:cluster/<name>`: Pod Identity sessions are tagged with it. */
    clusterArn: pulumi.Input<string>;
    config: StackConfig;
    accountId: pulumi.Input<string>;
    vpcId: pulumi.Input<string>;
    /** The EKS-created cluster security group, which managed nodes run in (and Karpenter's must). */
    clusterSecurityGroupId: pulumi.Input<string>;
    /** Node IAM role (Karpenter nodes reuse it, and with it the access entry EKS made for it). */
    nodeRoleName: pulumi.Input<string>;
    nodeRoleArn: pulumi.Input<string>;
    /** The boundary every role the stack creates carries (infra/identities.ts); none without delivery. */
    permissionsBoundary?: pulumi.Input<string>;
    tags: Record<string, string>;
    /**
     * What everything inside the cluster waits for (nodes, cluster DNS, the Pod Identity agent, access
     * entries): a component's dependsOn does not reach its children, so each add-on waits for these itself.
     */
    inCluster: pulumi.Resource[];
}
