/**
 * eks-delivery: one stack = one environment. Composition only; each piece lives in its own module.
 *   config  -> validated, typed stack settings (fails fast, with located messages)
 *   infra   -> VPC, EKS control plane, managed node group, ECR repositories, platform add-ons
 *   apps    -> images tagged with the git version, zero-downtime services (rolling or blue/green)
 */
import * as aws from "@pulumi/aws";
import { isProductionStack, loadStackConfig, PROJECT_ROOT } from "./config";
import { Apps } from "./apps";
import { versionOf } from "./apps/version";
import { Network } from "./infra/network";
import { EksCluster } from "./infra/cluster";
import { NodeGroup } from "./infra/nodeGroup";
import { ContainerRegistry } from "./infra/registry";
import { PlatformAddons } from "./infra/addons";
import { DeliveryAutomation } from "./infra/delivery";

const config = loadStackConfig();
const clusterName = `${config.project}-${config.stack}`;
const tags = { "eks-delivery/stack": config.stack, "eks-delivery/project": config.project, "managed-by": "pulumi" };

const network = new Network("network", {
    availabilityZones: config.cluster.availabilityZones,
    natGateways: config.cluster.natGateways,
    clusterName,
    tags,
});

const cluster = new EksCluster("cluster", {
    clusterName,
    kubernetesVersion: config.cluster.kubernetesVersion,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    publicSubnetIds: network.publicSubnetIds,
    publicAccessCidrs: config.cluster.publicAccessCidrs,
    prefixDelegation: config.nodes.prefixDelegation,
    logRetentionDays: config.cluster.logRetentionDays,
    tags,
});

const nodes = new NodeGroup("nodes", {
    cluster: cluster.cluster,
    clusterName,
    subnetIds: network.privateSubnetIds,
    instanceTypes: config.nodes.instanceTypes,
    arch: config.nodes.arch,
    minSize: config.nodes.minSize,
    desiredSize: config.nodes.desiredSize,
    maxSize: config.nodes.maxSize,
    maxPods: config.nodes.maxPods,
    autoscaler: config.nodes.autoscaler,
    cpuTargetPercent: config.nodes.cpuTargetPercent,
    alertEmail: config.nodes.alertEmail,
    tags,
});

const registry = new ContainerRegistry("registry", {
    prefix: clusterName,
    services: config.services.map((s) => s.name),
    keepImages: config.registry.keepImages,
    untaggedExpiryDays: config.registry.untaggedExpiryDays,
    forceDelete: !isProductionStack(config.stack),
    tags,
});

const accountId = aws.getCallerIdentityOutput().accountId;

const addons = new PlatformAddons("addons", {
    ctx: {
        clusterName,
        config,
        accountId,
        oidcProviderArn: cluster.oidcProviderArn,
        oidcProviderUrl: cluster.oidcProviderUrl,
        vpcId: network.vpcId,
        clusterSecurityGroupId: cluster.clusterSecurityGroupId,
        nodeRoleName: nodes.roleName,
        nodeRoleArn: nodes.roleArn,
        tags,
    },
    appNamespaces: [config.stack],
}, { providers: { kubernetes: cluster.provider }, dependsOn: [nodes.ready] });

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
}, { providers: { kubernetes: cluster.provider }, dependsOn: [nodes.ready, ...addons.appDependencies] });

// Pulumi Deployments on git push, PR previews, AWS via OIDC, Slack (when the stack configures it).
const delivery = config.delivery && new DeliveryAutomation("delivery", {
    delivery: config.delivery,
    project: config.project,
    stack: config.stack,
    accountId,
    deployOnPush: !isProductionStack(config.stack),
    tags,
});

export const releaseVersion = version;
// null (not undefined) without delivery: the output exists and says "not configured".
export const deployRoleArn = delivery ? delivery.deployRoleArn : null;
export const images = apps.images;
export const vpcId = network.vpcId;
export const eksClusterName = cluster.clusterName;
export const kubeconfig = cluster.kubeconfig;
export const oidcProviderArn = cluster.oidcProviderArn;
export const nodeGroupName = nodes.nodeGroupName;
export const autoScalingGroupName = nodes.autoScalingGroupName;
export const maxPodsPerNode = config.nodes.maxPods;
export const repositoryUrls = Object.fromEntries(Object.entries(registry.repositories).map(([s, r]) => [s, r.url]));
// Read back by the next update (apps/BLUE_GREEN_OUTPUT, via a reference to this stack) to know which colour is live.
export const blueGreen = apps.blueGreen;
