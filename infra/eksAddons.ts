import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { EksAddonName, EksAddonVersions } from "../config";

export type { EksAddonName, EksAddonVersions } from "../config";

/**
 * Pinned add-on versions per Kubernetes minor, from the EKS user guide's version tables
 * (docs.aws.amazon.com/eks/latest/userguide/managing-coredns.html and managing-kube-proxy.html, the copy
 * listing 1.36, read 2026-11-27). A version bump is a reviewed change, never a side effect of a deploy.
 * Where no AWS table was found (vpc-cni, eks-pod-identity-agent), the add-on is created at the version
 * EKS chooses by default for the cluster's Kubernetes version, and stays there: a later `pulumi up` sends
 * no version, so nothing moves until `cluster.addonVersions` names one.
 */
export const EKS_ADDON_VERSIONS: Record<string, EksAddonVersions> = {
    "1.34": { "kube-proxy": "v1.34.6-eksbuild.13", coredns: "v1.13.2-eksbuild.11" },
    "1.35": { "kube-proxy": "v1.35.3-eksbuild.13", coredns: "v1.14.3-eksbuild.3" },
    "1.36": { "kube-proxy": "v1.36.0-eksbuild.14", coredns: "v1.14.3-eksbuild.3" },
};

/** The version to install: the stack's override, else the table's pin, else EKS's default (undefined). */
export function addonVersion(addon: EksAddonName, kubernetesVersion: string, overrides: EksAddonVersions): string | undefined {
    return overrides[addon] ?? EKS_ADDON_VERSIONS[kubernetesVersion]?.[addon];
}

/**
 * The VPC CNI's configuration (the add-on's JSON schema mirrors the aws-vpc-cni chart values,
 * aws/amazon-vpc-cni-k8s@b521883:charts/aws-vpc-cni/values.yaml): NetworkPolicy enforcement on (the
 * services' NetworkPolicies are otherwise decorative), prefix delegation when asked, INFO logs (the
 * pulumi-eks default is DEBUG). Kubelet probes keep working: the policy agent always admits the node's
 * own IP (aws/aws-network-policy-agent@c8619c0:pkg/fwruleprocessor/fw_rule_processor.go:81-85).
 */
export function vpcCniConfiguration(prefixDelegation: boolean): string {
    return JSON.stringify({
        enableNetworkPolicy: "true",
        env: {
            AWS_VPC_K8S_CNI_LOGLEVEL: "INFO",
            ENABLE_PREFIX_DELEGATION: String(prefixDelegation),
            // One spare /28 per node: new pods get IPs without waiting on the EC2 API.
            ...(prefixDelegation ? { WARM_PREFIX_TARGET: "1" } : {}),
        },
    });
}

export interface EksAddonArgs {
    clusterName: pulumi.Input<string>;
    addon: EksAddonName;
    kubernetesVersion: string;
    overrides: EksAddonVersions;
    configurationValues?: string;
    tags: Record<string, string>;
}

/**
 * One EKS managed add-on. OVERWRITE adopts what EKS installed by itself (aws-node, kube-proxy, CoreDNS)
 * and keeps our configuration authoritative; `preserve` leaves the software running if the add-on
 * resource is ever deleted, so removing it from Pulumi never removes cluster DNS or networking.
 */
export function eksAddon(name: string, args: EksAddonArgs, opts: pulumi.CustomResourceOptions): aws.eks.Addon {
    const version = addonVersion(args.addon, args.kubernetesVersion, args.overrides);
    return new aws.eks.Addon(name, {
        clusterName: args.clusterName,
        addonName: args.addon,
        ...(version ? { addonVersion: version } : {}),
        ...(args.configurationValues ? { configurationValues: args.configurationValues } : {}),
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
        preserve: true,
        tags: args.tags,
    }, opts);
}
