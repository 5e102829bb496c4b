import type { InstanceType } from "../lib/instanceTypes";

/** The configuration namespace: every project key is `eks-delivery:<key>` in the stack file. */
export const NAMESPACE = "eks-delivery";

export type Autoscaler = "cluster-autoscaler" | "karpenter" | "cpu-target";
export type DeployStrategy = "rolling" | "blue-green";

export interface ClusterConfig {
    kubernetesVersion: string;
    availabilityZones: number;
    /** CIDRs allowed to reach the public API endpoint; empty = private endpoint only. */
    publicAccessCidrs: string[];
    /** Retention of the control-plane log group, in days. */
    logRetentionDays: number;
    /** NAT gateways: one per AZ survives a zone outage (prod default), a single one is cheaper. */
    natGateways: "single" | "one-per-az";
}

export interface NodesConfig {
    instanceTypes: string[];
    minSize: number;
    desiredSize: number;
    maxSize: number;
    autoscaler: Autoscaler;
    cpuTargetPercent?: number;
    alertEmail?: string;
    maxPods: "auto" | number;
    prefixDelegation: boolean;
}

export interface RegistryConfig {
    keepImages: number;
    untaggedExpiryDays: number;
}

export interface CostConfig {
    hoursPerMonth: number;
}

export interface ResourceQuantities {
    cpu?: string;
    memory?: string;
}

export interface ServiceConfig {
    name: string;
    /** Docker build context, relative to the project root. */
    path: string;
    port: number;
    healthPath: string;
    readinessPath: string;
    replicas: { min: number; max: number };
    cpuTargetPercent: number;
    resources: {
        requests: { cpu: string; memory: string };
        limits: { memory: string; cpu?: string };
    };
    strategy: DeployStrategy;
    /** Extra pods during a rollout ("25%" or a count); maxUnavailable is always 0. */
    maxSurge: string | number;
    host?: string;
    secrets: string[];
}

/** Node facts derived once from the instance catalog and the node settings. */
export interface NodeFacts {
    instances: InstanceType[];
    /** Pods per node the kubelet is told to allow (the smallest the instance types can address). */
    maxPods: number;
    arch: "amd64" | "arm64";
}

/** Everything the program needs, validated and typed: the only thing the rest of the code reads. */
export interface StackConfig {
    project: string;
    stack: string;
    region: string;
    cluster: ClusterConfig;
    nodes: NodesConfig & NodeFacts;
    registry: RegistryConfig;
    cost: CostConfig;
    services: ServiceConfig[];
    images: ImagesConfig;
    /** Explicit release version; otherwise it is computed from git at deploy time. */
    version?: string;
    /** The stack's Route53 zone; every service host lives under it. */
    dns?: { zone: string };
    mesh: { enabled: boolean };
    /** Pulumi Deployments, GitHub and Slack wiring; absent = no delivery automation for this stack. */
    delivery?: DeliveryConfig;
    monitoring: { grafanaAdminSecret: string };
}

export interface ImagesConfig {
    buildOnPreview: boolean;
    multiArch: boolean;
}

export interface DeliveryConfig {
    /** Pulumi Cloud organization (also the audience of its OIDC tokens). */
    organization: string;
    /** GitHub repository, `owner/name`. */
    repository: string;
    branch: string;
    /** A secret: never read in clear outside the Webhook resource. */
    slackWebhookUrl?: string;
}
