import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { AddonContext } from "./context";
import { webIdentityTrustPolicy } from "../trust";

export interface Statement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Action: string[];
    Resource: pulumi.Input<string> | pulumi.Input<string>[];
    Condition?: Record<string, Record<string, pulumi.Input<string> | pulumi.Input<string>[]>>;
}

/** IRSA trust: only this namespace/service account of this cluster may assume the role. */
export function serviceAccountTrustPolicy(oidcProviderArn: string, oidcProviderUrl: string, namespace: string, serviceAccount: string): string {
    return webIdentityTrustPolicy(oidcProviderArn, {
        StringEquals: {
            [`${oidcProviderUrl}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
            [`${oidcProviderUrl}:aud`]: "sts.amazonaws.com",
        },
    });
}

export interface WorkloadRoleArgs {
    ctx: AddonContext;
    namespace: string;
    serviceAccount: string;
    statements: pulumi.Input<Statement[]>;
}

/** A least-privilege IAM role for one service account (IRSA), with its policy inline. */
export function workloadRole(name: string, args: WorkloadRoleArgs, opts: pulumi.CustomResourceOptions): aws.iam.Role {
    const role = new aws.iam.Role(name, {
        description: `${args.namespace}/${args.serviceAccount} in ${args.ctx.clusterName}`,
        assumeRolePolicy: pulumi.all([args.ctx.oidcProviderArn, args.ctx.oidcProviderUrl]).apply(([arn, url]) =>
            serviceAccountTrustPolicy(arn, url, args.namespace, args.serviceAccount)),
        tags: args.ctx.tags,
    }, opts);
    new aws.iam.RolePolicy(name, {
        role: role.name,
        policy: pulumi.output(args.statements).apply((statements) => JSON.stringify({ Version: "2012-10-17", Statement: statements })),
    }, opts);
    return role;
}

/** The IRSA annotation a chart puts on its service account. */
export const roleAnnotation = (role: aws.iam.Role) => ({ "eks.amazonaws.com/role-arn": role.arn });
