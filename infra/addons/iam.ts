import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { AddonContext } from "./context";

export interface Statement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Action: string[];
    Resource: pulumi.Input<string> | pulumi.Input<string>[];
    Condition?: Record<string, Record<string, pulumi.Input<string> | pulumi.Input<string>[]>>;
}

/**
 * The service EKS Pod Identity assumes roles as, and the session tags it adds to every AssumeRole
 * (awsdocs/amazon-eks-user-guide@4d52b4d0:latest/ug/manage-access/aws-access/service-accounts.adoc:160-175,866-876).
 */
export const POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com";

/**
 * EKS Pod Identity trust: EKS Auth may assume the role, and only with the session tags it sets for this
 * cluster's namespace/service account (the documented `aws:RequestTag/kubernetes-*` conditions), so the
 * role is useless to any other association. `sts:TagSession` is required: EKS tags every session.
 */
export function podIdentityTrustPolicy(clusterArn: string, namespace: string, serviceAccount: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{
            Sid: "AllowEksAuthToAssumeRoleForPodIdentity",
            Effect: "Allow",
            Principal: { Service: POD_IDENTITY_SERVICE },
            Action: ["sts:AssumeRole", "sts:TagSession"],
            Condition: {
                StringEquals: {
                    "aws:RequestTag/eks-cluster-arn": clusterArn,
                    "aws:RequestTag/kubernetes-namespace": namespace,
                    "aws:RequestTag/kubernetes-service-account": serviceAccount,
                },
            },
        }],
    });
}

export interface WorkloadIdentityArgs {
    ctx: AddonContext;
    /** Namespace and service account exactly as the chart renders them (the chart's `serviceAccount.name`). */
    namespace: string;
    serviceAccount: string;
    statements: pulumi.Input<Statement[]>;
}

/** A role for one service account, its inline least-privilege policy, and the Pod Identity association. */
export interface WorkloadIdentity {
    role: aws.iam.Role;
    /**
     * What the chart's release must wait for: EKS injects credentials when a pod is created, so a pod
     * started before the association exists runs without them until it is restarted.
     */
    association: aws.eks.PodIdentityAssociation;
}

export interface PodIdentityRoleArgs {
    clusterName: pulumi.Input<string>;
    clusterArn: pulumi.Input<string>;
    namespace: string;
    serviceAccount: string;
    /** The stack's permissions boundary (infra/identities.ts), when it has one. */
    permissionsBoundary?: pulumi.Input<string>;
    tags: Record<string, string>;
}

/** A role that EKS Pod Identity may assume for one service account of one cluster, and nothing else. */
export function podIdentityRole(name: string, args: PodIdentityRoleArgs, opts: pulumi.CustomResourceOptions): aws.iam.Role {
    const { namespace, serviceAccount } = args;
    return new aws.iam.Role(name, {
        description: pulumi.interpolate`${namespace}/${serviceAccount} in ${args.clusterName} (EKS Pod Identity)`,
        assumeRolePolicy: pulumi.output(args.clusterArn).apply((arn) => podIdentityTrustPolicy(arn, namespace, serviceAccount)),
        permissionsBoundary: args.permissionsBoundary,
        tags: args.tags,
    }, opts);
}

/** Workload identity for one controller through EKS Pod Identity (what AWS recommends for add-ons). */
export function workloadIdentity(name: string, args: WorkloadIdentityArgs, opts: pulumi.CustomResourceOptions): WorkloadIdentity {
    const { ctx, namespace, serviceAccount } = args;
    const role = podIdentityRole(name, { clusterName: ctx.clusterName, clusterArn: ctx.clusterArn, namespace, serviceAccount, permissionsBoundary: ctx.permissionsBoundary, tags: ctx.tags }, opts);
    const policy = new aws.iam.RolePolicy(name, {
        role: role.name,
        policy: pulumi.output(args.statements).apply((statements) => JSON.stringify({ Version: "2012-10-17", Statement: statements })),
    }, opts);
    const association = new aws.eks.PodIdentityAssociation(name, {
        clusterName: ctx.clusterName,
        namespace,
        serviceAccount,
        roleArn: role.arn,
        tags: ctx.tags,
    }, { ...opts, dependsOn: [policy] });
    return { role, association };
}
