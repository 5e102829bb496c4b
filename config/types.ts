/**
 * The config's types, derived from the zod schema (config/schema.ts): one definition of every key,
 * its defaults and its shape. The only hand-written parts are what validation adds (node facts).
 */
import type { z } from "zod";
import type { InstanceType } from "../policies/lib/instanceTypes";
import type { ADDON_NAMES, EKS_ADDONS, stackSchema } from "./schema";

/** The configuration namespace: every project key is `eks-delivery:<key>` in the stack file. */
export const NAMESPACE = "eks-delivery";

/** The stack's values as the schema outputs them (defaults applied). */
type Parsed = z.output<ReturnType<typeof stackSchema>>;

export type Environment = Parsed["environment"];
export type ClusterConfig = Parsed["cluster"];
export type AccessConfig = ClusterConfig["access"][number];
export type EksAddonName = typeof EKS_ADDONS[number];
export type EksAddonVersions = ClusterConfig["addonVersions"];
export type NodesConfig = Parsed["nodes"];
export type Autoscaler = NodesConfig["autoscaler"];
export type RegistryConfig = Parsed["registry"];
export type CostConfig = Parsed["cost"];
export type ServiceConfig = Parsed["services"][number];
export type DeployStrategy = ServiceConfig["strategy"];
export type ImagesConfig = Parsed["images"];
export type DeliveryConfig = NonNullable<Parsed["delivery"]>;
export type IngressController = Parsed["ingress"]["controller"];
export type CutoverConfig = NonNullable<Parsed["cutover"]>;
export type RegistrySource = NonNullable<RegistryConfig["from"]>;
export type AddonName = typeof ADDON_NAMES[number];
export type AddonOverrides = Parsed["addons"];

/** Node facts derived once from the instance catalog and the node settings. */
export interface NodeFacts {
    instances: InstanceType[];
    /** Pods per node the kubelet is told to allow (the smallest the instance types can address). */
    maxPods: number;
    arch: "amd64" | "arm64";
}

/** Everything the program needs, validated and typed: the only thing the rest of the code reads. */
export type StackConfig = Omit<Parsed, "nodes"> & {
    project: string;
    stack: string;
    nodes: Omit<NodesConfig, "maxPods"> & NodeFacts;
};
