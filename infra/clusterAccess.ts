import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { AccessConfig } from "../config";

/**
 * EKS access policies by the config's names (docs: EKS user guide, access-policy-reference). `admin`
 * cluster-wide is cluster-admin; scoped to namespaces it is the namespace admin policy.
 */
export const ACCESS_POLICIES = {
    clusterAdmin: "AmazonEKSClusterAdminPolicy",
    admin: "AmazonEKSAdminPolicy",
    edit: "AmazonEKSEditPolicy",
    view: "AmazonEKSViewPolicy",
} as const;

export interface AccessGrant {
    /** Stable resource-name suffix: the principal's name and a hash of its full ARN. */
    key: string;
    principalArn: pulumi.Input<string>;
    policyArn: string;
    accessScope: { type: "cluster" } | { type: "namespace"; namespaces: string[] };
}

const policyArn = (policy: string) => `arn:aws:eks::aws:cluster-access-policy/${policy}`;

/** The grant one configured principal gets; `role/<name>` (or `user/<name>`) is in the stack's account. */
export function accessGrant(entry: AccessConfig, accountId: pulumi.Input<string>): AccessGrant {
    const name = entry.principalArn.split("/").pop()!.toLowerCase().replace(/[^a-z0-9-]/g, "-");
    const hash = createHash("sha256").update(entry.principalArn).digest("hex").slice(0, 6);
    const scoped = entry.namespaces !== undefined;
    const policy = entry.policy === "admin" ? (scoped ? ACCESS_POLICIES.admin : ACCESS_POLICIES.clusterAdmin) : ACCESS_POLICIES[entry.policy];
    const ownAccount = !entry.principalArn.startsWith("arn:");
    return {
        key: `${name}-${hash}`,
        principalArn: ownAccount ? pulumi.interpolate`arn:aws:iam::${accountId}:${entry.principalArn}` : entry.principalArn,
        policyArn: policyArn(policy),
        accessScope: scoped ? { type: "namespace", namespaces: entry.namespaces! } : { type: "cluster" },
    };
}

export interface ClusterAccessArgs {
    clusterName: pulumi.Input<string>;
    /** Principals from `eks-delivery:cluster.access`. */
    access: AccessConfig[];
    /** The stack's account, for principals written as `role/<name>`. */
    accountId: pulumi.Input<string>;
    /** The delivery role that runs `pulumi up` (Pulumi Deployments, workflows): cluster admin. */
    deployRoleArn?: pulumi.Input<string>;
    /** The read-only role of pull-request previews: `view` (no Secrets, no writes). */
    previewRoleArn?: pulumi.Input<string>;
    tags: Record<string, string>;
}

/**
 * Who may use the Kubernetes API. With API authentication only the cluster's creator is admin by
 * default (pulumi-eks bootstraps it); everyone else needs an access entry: the deploy role (cluster
 * admin), the preview role (view) and the principals the stack lists. Don't list the principal that created the cluster: EKS
 * already made its entry, and a second one is rejected.
 */
export class ClusterAccess extends pulumi.ComponentResource {
    /** The policy associations: Kubernetes resources depend on them, so a destroy removes access last. */
    readonly grants: pulumi.Resource[] = [];

    constructor(name: string, args: ClusterAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:infra:ClusterAccess", name, {}, opts);
        const grants = args.access.map((entry) => accessGrant(entry, args.accountId));
        if (args.previewRoleArn) {
            grants.unshift({ key: "preview", principalArn: args.previewRoleArn, policyArn: policyArn(ACCESS_POLICIES.view), accessScope: { type: "cluster" } });
        }
        if (args.deployRoleArn) {
            grants.unshift({ key: "deploy", principalArn: args.deployRoleArn, policyArn: policyArn(ACCESS_POLICIES.clusterAdmin), accessScope: { type: "cluster" } });
        }
        for (const grant of grants) {
            const entry = new aws.eks.AccessEntry(`${name}-${grant.key}`, {
                clusterName: args.clusterName,
                principalArn: grant.principalArn,
                type: "STANDARD",
                tags: args.tags,
            }, { parent: this });
            this.grants.push(new aws.eks.AccessPolicyAssociation(`${name}-${grant.key}`, {
                clusterName: args.clusterName,
                principalArn: entry.principalArn,
                policyArn: grant.policyArn,
                accessScope: grant.accessScope,
            }, { parent: this }));
        }
        this.registerOutputs({});
    }
}
