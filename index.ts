/**
 * eks-delivery: one stack = one environment. Composition only; each piece lives in its own module.
 *   config  -> validated, typed stack settings (fails fast, with located messages)
 *   infra   -> VPC, EKS control plane, managed node group, ECR repositories, platform add-ons
 *   apps    -> images tagged with the git version, zero-downtime services (rolling or blue/green)
 */
import * as aws from "@pulumi/aws";
import { loadStackConfig, PROJECT_ROOT } from "./config";
import { Apps } from "./apps";
import { versionOf } from "./apps/version";
import { Network } from "./infra/network";
import { EksCluster } from "./infra/cluster";
import { ClusterAccess } from "./infra/clusterAccess";
import { eksAddon } from "./infra/eksAddons";
import { BlockStorage } from "./infra/storage";
import { NodeGroup } from "./infra/nodeGroup";
import { ContainerRegistry } from "./infra/registry";
import { addonConfigProblems, PlatformAddons } from "./infra/addons";
import { DeliveryAutomation } from "./infra/delivery";

// The add-on overrides are checked against the pinned charts with the rest of the config.
const config = loadStackConfig([addonConfigProblems]);
const clusterName = `${config.project}-${config.stack}`;
const production = config.environment === "production";
const tags = {
    "eks-delivery/stack": config.stack,
    "eks-delivery/project": config.project,
    "eks-delivery/environment": config.environment,
    "managed-by": "pulumi",
};

const network = new Network("network", {
    availabilityZones: config.cluster.availabilityZones,
    natGateways: config.cluster.natGateways,
    clusterName,
    tags,
}, { protect: production });

const cluster = new EksCluster("cluster", {
    clusterName,
    kubernetesVersion: config.cluster.kubernetesVersion,
    extendedSupport: config.cluster.extendedSupport,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    publicSubnetIds: network.publicSubnetIds,
    publicAccessCidrs: config.cluster.publicAccessCidrs,
    prefixDelegation: config.nodes.prefixDelegation,
    logRetentionDays: config.cluster.logRetentionDays,
    protect: production,
    addonVersions: config.cluster.addonVersions,
    tags,
});

const accountId = aws.getCallerIdentityOutput().accountId;

// Pulumi Deployments on git push, PR previews, AWS via OIDC, Slack (when the stack configures it).
const delivery = config.delivery && new DeliveryAutomation("delivery", {
    delivery: config.delivery,
    project: config.project,
    stack: config.stack,
    accountId,
    deployOnPush: !production,
    tags,
});

const access = new ClusterAccess("access", {
    clusterName: cluster.clusterName,
    access: config.cluster.access,
    accountId,
    deployRoleArn: delivery ? delivery.deployRoleArn : undefined,
    tags,
});

const nodes = new NodeGroup("nodes", {
    clusterName: cluster.clusterName,
    kubernetesVersion: config.cluster.kubernetesVersion,
    amiReleaseVersion: config.nodes.amiReleaseVersion,
    subnetIds: network.privateSubnetIds,
    instanceTypes: config.nodes.instanceTypes,
    arch: config.nodes.arch,
    minSize: config.nodes.minSize,
    desiredSize: config.nodes.desiredSize,
    maxSize: config.nodes.maxSize,
    maxPods: config.nodes.maxPods,
    diskSizeGiB: config.nodes.diskSizeGiB,
    autoscaler: config.nodes.autoscaler,
    cpuTargetPercent: config.nodes.cpuTargetPercent,
    alertEmail: config.nodes.alertEmail,
    tags,
}, { dependsOn: cluster.networkAddons });

// Add-ons whose pods need nodes to become ACTIVE: cluster DNS and the Pod Identity agent.
const systemAddon = { clusterName: cluster.clusterName, kubernetesVersion: config.cluster.kubernetesVersion, overrides: config.cluster.addonVersions, tags };
const systemAddons = [
    eksAddon("coredns", { ...systemAddon, addon: "coredns" }, { dependsOn: [nodes.ready] }),
    eksAddon("eks-pod-identity-agent", { ...systemAddon, addon: "eks-pod-identity-agent" }, { dependsOn: [nodes.ready] }),
];

// Persistent volumes (Prometheus): the EBS CSI driver needs nodes and the Pod Identity agent.
const storage = new BlockStorage("storage", {
    clusterName: cluster.clusterName,
    clusterArn: cluster.clusterArn,
    kubernetesVersion: config.cluster.kubernetesVersion,
    addonVersions: config.cluster.addonVersions,
    tags,
}, { providers: { kubernetes: cluster.provider }, dependsOn: systemAddons });

const registry = new ContainerRegistry("registry", {
    prefix: clusterName,
    services: config.services.map((s) => s.name),
    keepImages: config.registry.keepImages,
    untaggedExpiryDays: config.registry.untaggedExpiryDays,
    protect: production,
    tags,
});

// Everything inside the cluster waits for the nodes, DNS, the Pod Identity agent and the access
// entries (so a destroy by the deploy role removes its own access last).
const inCluster = [nodes.ready, ...systemAddons, ...access.grants];

const addons = new PlatformAddons("addons", {
    ctx: {
        clusterName,
        clusterArn: cluster.clusterArn,
        config,
        accountId,
        vpcId: network.vpcId,
        clusterSecurityGroupId: cluster.clusterSecurityGroupId,
        nodeRoleName: nodes.roleName,
        nodeRoleArn: nodes.roleArn,
        tags,
        inCluster,
    },
    storageClass: storage.storageClass,
}, { providers: { kubernetes: cluster.provider }, dependsOn: inCluster });

const version = config.version ?? versionOf(PROJECT_ROOT).version;
const apps = new Apps("apps", {
    project: config.project,
    stack: config.stack,
    services: config.services,
    version,
    repositories: registry.repositories,
    architectures: config.images.multiArch ? ["amd64", "arm64"] : [config.nodes.arch],
    buildOnPreview: config.images.buildOnPreview,
    mesh: config.mesh.enabled,
    edge: config.ingress.controller,
    publicSubnetCidrs: network.publicSubnetCidrs,
}, { providers: { kubernetes: cluster.provider }, dependsOn: [...inCluster, ...addons.appDependencies] });

export const environment = config.environment;
export const releaseVersion = version;
// null (not undefined) without delivery: the output exists and says "not configured".
export const deployRoleArn = delivery ? delivery.deployRoleArn : null;
export const images = apps.images;
export const vpcId = network.vpcId;
export const eksClusterName = cluster.clusterName;
export const kubernetesVersion = config.cluster.kubernetesVersion;
export const kubeconfig = cluster.kubeconfig;
// For apps that use IRSA: the provider, and the issuer (without https://) their trust conditions key on.
export const oidcProviderArn = cluster.oidcProviderArn;
export const oidcIssuer = cluster.oidcIssuer;
export const nodeGroupName = nodes.nodeGroupName;
export const autoScalingGroupName = nodes.autoScalingGroupName;
export const maxPodsPerNode = config.nodes.maxPods;
export const repositoryUrls = Object.fromEntries(Object.entries(registry.repositories).map(([s, r]) => [s, r.url]));
// Read back by the next update (apps/BLUE_GREEN_OUTPUT, via a reference to this stack) to know which colour is live.
export const blueGreen = apps.blueGreen;
