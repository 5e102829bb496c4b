import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type { EksAddonVersions } from "../config";
import { eksAddon } from "./eksAddons";
import { podIdentityRole } from "./addons/iam";
import { PLATFORM } from "./platform";

/**
 * The EBS CSI driver's managed policy: only volumes and snapshots it tagged itself
 * (kubernetes-sigs/aws-ebs-csi-driver@v1.64.0 docs/install.md:57-64; the V1 policy covers every volume).
 */
export const EBS_CSI_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicyV2";
/** The controller's service account as the EKS add-on creates it. */
export const EBS_CSI_SERVICE_ACCOUNT = { namespace: "kube-system", name: "ebs-csi-controller-sa" } as const;

/** The default volume type: gp3, encrypted, bound where the pod lands (a volume lives in one zone). */
export function gp3StorageClass(): k8s.storage.v1.StorageClassArgs {
    return {
        metadata: { name: PLATFORM.storageClass, labels: { "app.kubernetes.io/part-of": PLATFORM.partOf } },
        provisioner: "ebs.csi.aws.com",
        parameters: { type: "gp3", encrypted: "true" },
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
        reclaimPolicy: "Delete",
    };
}

export interface BlockStorageArgs {
    clusterName: pulumi.Input<string>;
    clusterArn: pulumi.Input<string>;
    kubernetesVersion: string;
    addonVersions: EksAddonVersions;
    /** The permissions boundary every role of the stack carries (infra/identities.ts), when it has one. */
    permissionsBoundary?: pulumi.Input<string>;
    tags: Record<string, string>;
}

/**
 * Persistent volumes: the EBS CSI driver as an EKS managed add-on, its role through EKS Pod Identity
 * (the add-on creates the association), and the gp3 StorageClass workloads claim from (Prometheus).
 */
export class BlockStorage extends pulumi.ComponentResource {
    readonly storageClass: k8s.storage.v1.StorageClass;

    constructor(name: string, args: BlockStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:infra:BlockStorage", name, {}, opts);
        const { namespace, name: serviceAccount } = EBS_CSI_SERVICE_ACCOUNT;
        const role = podIdentityRole(`${name}-ebs-csi`, {
            clusterName: args.clusterName, clusterArn: args.clusterArn, namespace, serviceAccount, permissionsBoundary: args.permissionsBoundary, tags: args.tags,
        }, { parent: this });
        const policy = new aws.iam.RolePolicyAttachment(`${name}-ebs-csi`, { role: role.name, policyArn: EBS_CSI_POLICY }, { parent: this });
        const driver = eksAddon(`${name}-ebs-csi`, {
            clusterName: args.clusterName,
            addon: "aws-ebs-csi-driver",
            kubernetesVersion: args.kubernetesVersion,
            overrides: args.addonVersions,
            podIdentityAssociations: [{ roleArn: role.arn, serviceAccount }],
            tags: args.tags,
        }, { parent: this, dependsOn: [policy] });
        this.storageClass = new k8s.storage.v1.StorageClass(`${name}-gp3`, gp3StorageClass(), { parent: this, dependsOn: [driver] });
        this.registerOutputs({ storageClass: PLATFORM.storageClass });
    }
}
