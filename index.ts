/**
 * eks-delivery: one stack = one environment. Composition only; each piece lives in its own module.
 *   config  -> validated, typed stack settings (fails fast, with located messages)
 *   infra   -> VPC, EKS control plane, managed node group, ECR repositories, platform add-ons
 *   apps    -> images tagged with the git version, zero-downtime services (rolling or blue/green)
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { loadStackConfig, PROJECT_ROOT } from "./config";
import { Apps } from "./apps";
import { versionOf } from "./apps/version";
import { deployedVersion, imageArchitectures } from "./apps/image";
import { Network } from "./infra/network";
import { EksCluster } from "./infra/cluster";
import { ClusterAccess } from "./infra/clusterAccess";
import { eksAddon } from "./infra/eksAddons";
import { BlockStorage } from "./infra/storage";
import { NodeGroup } from "./infra/nodeGroup";
import { ContainerRegistry, pulledRepositories } from "./infra/registry";
import { PlatformAddons } from "./infra/addons";
import { DeliveryAutomation } from "./infra/delivery";
import { DeliveryIdentities } from "./infra/identities";
import { Cutover } from "./infra/edge/cutover";
import { CONFIG_CHECKS } from "./infra/configChecks";

// The add-on overrides (against the pinned charts) and the cutover record are checked with the rest of the config.
const config = loadStackConfig(CONFIG_CHECKS);
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

const accountId = aws.getCallerIdentityOutput().accountId;

// The account's OIDC providers, the deploy and preview roles, and the boundary every role of the stack
// carries (docs/identities.md). Without eks-delivery:delivery an administrator deploys: no boundary.
const identities = config.delivery && new DeliveryIdentities("delivery", {
    delivery: config.delivery,
    project: config.project,
    stack: config.stack,
    accountId,
    region: config.region,
    clusterName,
    tags,
    // These resources were DeliveryAutomation's children before: aliases keep the deploy role in place.
    previousParent: pulumi.createUrn("delivery", "eks-delivery:infra:DeliveryAutomation"),
});
const permissionsBoundary = identities ? identities.permissionsBoundaryArn : undefined;

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
    permissionsBoundary,
    tags,
});

// Pulumi Deployments on git push, PR previews, AWS via OIDC, Slack (when the stack configures it).
if (config.delivery && identities) new DeliveryAutomation("delivery", {
    delivery: config.delivery,
    project: config.project,
    stack: config.stack,
    deployRoleArn: identities.deployRoleArn,
    deployOnPush: !production,
    production,
    builder: config.images.builder,
    tags,
});

const access = new ClusterAccess("access", {
    clusterName: cluster.clusterName,
    access: config.cluster.access,
    accountId,
    deployRoleArn: identities ? identities.deployRoleArn : undefined,
    previewRoleArn: identities ? identities.previewRoleArn : undefined,
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
    permissionsBoundary,
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
    permissionsBoundary,
    tags,
}, { providers: { kubernetes: cluster.provider }, dependsOn: systemAddons });

// One registry, build once: the owner (no `registry.from`) holds the repositories; a stack that pulls
// from it has none of its own and deploys the digests the owner pushed.
const registry = config.registry.from ? undefined : new ContainerRegistry("registry", {
    prefix: clusterName,
    services: config.services.map((s) => s.name),
    keepImages: config.registry.keepImages,
    untaggedExpiryDays: config.registry.untaggedExpiryDays,
    // Other accounts deploy from it: kept like production's, whatever this stack's environment.
    protect: production || config.registry.pullAccounts.length > 0,
    pullAccounts: config.registry.pullAccounts,
    tags,
});
const repositories = registry ? registry.repositories
    : pulledRepositories(config.registry.from!, config.region, config.services.map((s) => s.name));

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
        permissionsBoundary,
        tags,
        inCluster,
    },
    storageClass: storage.storageClass,
}, { providers: { kubernetes: cluster.provider }, dependsOn: inCluster });

// `release` deploys a version already pushed (a promotion or a rollback); only the owner builds, and
// only a version its registry lacks.
const { version, source: versionSource, builds } = deployedVersion(config, registry !== undefined, () => versionOf(PROJECT_ROOT).version);
const apps = new Apps("apps", {
    project: config.project,
    stack: config.stack,
    services: config.services,
    version,
    versionSource,
    repositories,
    build: builds ? {
        architectures: imageArchitectures(config.images, config.nodes.arch),
        buildOnPreview: config.images.buildOnPreview,
        builder: config.images.builder,
    } : undefined,
    mesh: config.mesh.enabled,
    edge: config.ingress.controller,
    publicSubnetCidrs: network.publicSubnetCidrs,
}, { providers: { kubernetes: cluster.provider }, dependsOn: [...inCluster, ...addons.appDependencies] });

// Weighted records between this stack's ALB and the legacy target; moved after the apps serve the name.
const cutover = config.cutover && config.dns && addons.edge && new Cutover("cutover", {
    cutover: config.cutover,
    zone: config.dns.zone,
    loadBalancerDnsName: addons.edge.loadBalancerDnsName(),
    tags,
    after: [apps],
});

export const environment = config.environment;
export const releaseVersion = version;
// null (not undefined) without delivery: the output exists and says "not configured".
export const deployRoleArn = identities ? identities.deployRoleArn : null;
export const previewRoleArn = identities ? identities.previewRoleArn : null;
export const permissionsBoundaryArn = identities ? identities.permissionsBoundaryArn : null;
export const images = apps.images;
// The digest of each service's image at releaseVersion (what Slack messages carry).
export const imageDigests = apps.digests;
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
export const repositoryUrls = Object.fromEntries(Object.entries(repositories).map(([s, r]) => [s, r.url]));
// Read back by the next update (apps/BLUE_GREEN_OUTPUT, via a reference to this stack) to know which colour is live.
export const blueGreen = apps.blueGreen;
// null without a cutover: the outputs exist and say "not configured".
export const cutoverRecord = cutover ? cutover.fqdn : null;
export const cutoverWeights = cutover && config.cutover ? config.cutover.weights : null;
