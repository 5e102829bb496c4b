import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { EksAddonName, EksAddonVersions } from "../config";
import { ADDON_PINS } from "../policies/lib/eksVersions";

export type { EksAddonName, EksAddonVersions } from "../config";

/**
 * kube-proxy and CoreDNS are pinned per Kubernetes minor (ADDON_PINS, policies/lib/eksVersions.ts): a
 * version bump is a reviewed change, never a side effect of a deploy. The VPC CNI and the Pod Identity
 * agent have no AWS version table to pin from: they are created at the version EKS chooses by default
 * for the cluster's Kubernetes version, and stay there (a later `pulumi up` sends no version, so nothing
 * moves) until `cluster.addonVersions` names one.
 */
/** The version to install: the stack's override, else the pin, else EKS's default (undefined). */
export function addonVersion(addon: EksAddonName, kubernetesVersion: string, overrides: EksAddonVersions): string | undefined {
    return overrides[addon] ?? (addon === "kube-proxy" || addon === "coredns" ? ADDON_PINS[kubernetesVersion]?.[addon] : undefined);
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
    /** IRSA role for the add-on's service account. */
    serviceAccountRoleArn?: pulumi.Input<string>;
    /** EKS Pod Identity associations the add-on creates for its service accounts. */
    podIdentityAssociations?: { roleArn: pulumi.Input<string>; serviceAccount: string }[];
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
        ...(args.serviceAccountRoleArn ? { serviceAccountRoleArn: args.serviceAccountRoleArn } : {}),
        ...(args.podIdentityAssociations ? { podIdentityAssociations: args.podIdentityAssociations } : {}),
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
        preserve: true,
        tags: args.tags,
    }, opts);
}
