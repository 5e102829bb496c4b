/** The AWS layer as the offline plan records it, for dev, prod and each autoscaler mode. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { lifecyclePolicy } from "../infra/registry";
import { one, ofType, plan, stackValues } from "./support";
import type { PlannedResource } from "../tools/plan/plan";

test("dev: VPC, encrypted and logged EKS cluster, node group, ECR", async () => {
    const dev = await plan(stackValues("dev"), "dev");

    const vpc = one(dev, "awsx:ec2:Vpc").inputs as any;
    assert.equal(vpc.numberOfAvailabilityZones, 2);
    assert.equal(vpc.natGateways.strategy, "Single");
    const [publicSpec, privateSpec] = vpc.subnetSpecs;
    assert.equal(publicSpec.tags["kubernetes.io/role/elb"], "1");
    assert.equal(privateSpec.type, "Private");
    assert.equal(privateSpec.tags["kubernetes.io/role/internal-elb"], "1");

    const key = one(dev, "aws:kms/key:Key", "cluster-secrets");
    assert.equal(key.inputs.enableKeyRotation, true);
    const cluster = one(dev, "eks:index:Cluster").inputs as any;
    assert.equal(cluster.name, "eks-delivery-dev");
    assert.equal(cluster.version, "1.36");
    assert.deepEqual(cluster.upgradePolicy, { supportType: "STANDARD" }, "never the EXTENDED default by accident");
    assert.equal(cluster.deletionProtection, false, "development is not protected");
    // pulumi-eks makes no add-ons of its own (they would float to the newest version on every run).
    assert.equal(cluster.useDefaultVpcCni, true);
    assert.deepEqual([cluster.kubeProxyAddonOptions.enabled, cluster.corednsAddonOptions.enabled], [false, false]);
    assert.equal(cluster.authenticationMode, "API");
    assert.equal(cluster.encryptionConfigKeyArn, key.outputs.arn);
    for (const log of ["api", "audit", "authenticator"]) assert.ok(cluster.enabledClusterLogTypes.includes(log), log);
    assert.equal(cluster.createOidcProvider, true);
    assert.equal(cluster.skipDefaultNodeGroup, true);
    assert.equal(cluster.endpointPrivateAccess, true);
    assert.equal(cluster.endpointPublicAccess, true);
    assert.deepEqual(cluster.publicAccessCidrs, ["203.0.113.0/24"]);
    const cni = ofType(dev, "aws:eks/addon:Addon").find((a) => a.inputs.addonName === "vpc-cni")!;
    assert.deepEqual(JSON.parse(String(cni.inputs.configurationValues)),
        { enableNetworkPolicy: "true", env: { AWS_VPC_K8S_CNI_LOGLEVEL: "INFO", ENABLE_PREFIX_DELEGATION: "true", WARM_PREFIX_TARGET: "1" } });
    // The CNI's own IRSA role, trusted on the issuer without https:// (what IAM matches), not the node role.
    const cniRole = one(dev, "aws:iam/role:Role", "cluster-vpc-cni");
    assert.equal(cni.inputs.serviceAccountRoleArn, cniRole.outputs.arn);
    const eksOutputs = one(dev, "eks:index:Cluster").outputs as any;
    const trust = JSON.parse(String(cniRole.inputs.assumeRolePolicy)).Statement[0];
    assert.equal(trust.Principal.Federated, eksOutputs.oidcProviderArn);
    assert.deepEqual(trust.Condition.StringEquals, {
        [`${eksOutputs.oidcIssuer}:sub`]: "system:serviceaccount:kube-system:aws-node",
        [`${eksOutputs.oidcIssuer}:aud`]: "sts.amazonaws.com",
    });
    const cniAttachment = ofType(dev, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").find((a) => a.inputs.role === cniRole.outputs.name)!;
    assert.equal(cniAttachment.inputs.policyArn, "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy");
    assert.ok(cni.options?.dependsOn?.includes(cniAttachment.urn), "the add-on starts with its permissions in place");
    const addons = Object.fromEntries(ofType(dev, "aws:eks/addon:Addon").map((a) => [a.inputs.addonName, a]));
    assert.deepEqual(Object.keys(addons).sort(), ["aws-ebs-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]);
    assert.equal(addons["kube-proxy"].inputs.addonVersion, "v1.36.0-eksbuild.14");
    assert.equal(addons.coredns.inputs.addonVersion, "v1.14.3-eksbuild.3");
    for (const a of Object.values(addons) as PlannedResource[]) {
        assert.equal(a.inputs.preserve, true, "removing the add-on resource never removes DNS or networking");
        assert.equal(a.inputs.resolveConflictsOnCreate, "OVERWRITE");
    }
    assert.deepEqual(cluster.privateSubnetIds, one(dev, "awsx:ec2:Vpc").outputs.privateSubnetIds);
    const logGroup = one(dev, "aws:cloudwatch/logGroup:LogGroup");
    assert.equal(logGroup.inputs.name, "/aws/eks/eks-delivery-dev/cluster");
    assert.equal(logGroup.inputs.retentionInDays, 90);

    const nodeGroup = one(dev, "aws:eks/nodeGroup:NodeGroup");
    const group = nodeGroup.inputs as any;
    assert.deepEqual(nodeGroup.options?.ignoreChanges, ["scalingConfig.desiredSize"]);
    assert.deepEqual(group.instanceTypes, ["t3.medium"]);
    assert.deepEqual(group.scalingConfig, { minSize: 2, desiredSize: 2, maxSize: 8 });
    assert.deepEqual(group.subnetIds, one(dev, "awsx:ec2:Vpc").outputs.privateSubnetIds, "nodes in private subnets");
    assert.deepEqual([group.amiType, group.version, group.releaseVersion], ["AL2023_x86_64_STANDARD", "1.36", "1.36.2-20260714"], "AMI pinned in config");
    assert.equal(group.nodeRoleArn, one(dev, "aws:iam/role:Role", "nodes-role").outputs.arn);
    const template = one(dev, "aws:ec2/launchTemplate:LaunchTemplate");
    assert.match(group.launchTemplate.id, /^lt-[0-9a-f]{17}$/, "the template's id, as EC2 names it");
    assert.equal(group.launchTemplate.version, "1", "its latest version: a template change rolls the nodes");
    assert.equal(template.parent, one(dev, "eks-delivery:infra:NodeGroup").urn);
    assert.deepEqual((template.inputs as any).metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        "pods are two hops from IMDS: no node-role credentials for them");
    assert.equal((template.inputs as any).imageId, undefined, "no AMI in the template: amiType + releaseVersion decide");
    assert.equal(template.inputs.userData, undefined, "no user data: EKS bootstraps the node and sets its max pods");
    const nodeRole = one(dev, "aws:iam/role:Role", "nodes-role");
    const attachments = ofType(dev, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === nodeRole.outputs.name);
    const policies = attachments.map((a) => a.inputs.policyArn).sort();
    assert.deepEqual(policies, ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly", "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"], "ECR pulls with the node role; ENI management is the CNI's role only");
    for (const a of attachments) assert.ok(nodeGroup.options?.dependsOn?.includes(a.urn), `node group waits for ${a.name}`);
    assert.equal(ofType(dev, "aws:autoscaling/policy:Policy").length, 0, "no ASG policy unless cpu-target");

    const repos = ofType(dev, "aws:ecr/repository:Repository");
    assert.deepEqual(repos.map((r) => r.inputs.name).sort(), ["eks-delivery-dev/api", "eks-delivery-dev/web"]);
    const imagesKey = one(dev, "aws:kms/key:Key", "registry-images");
    for (const repo of repos) {
        assert.equal(repo.inputs.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION", "release tags immutable");
        assert.deepEqual(repo.inputs.imageTagMutabilityExclusionFilters, [{ filter: "buildcache", filterType: "WILDCARD" }], "only the build cache tag moves");
        assert.deepEqual(repo.inputs.imageScanningConfiguration, { scanOnPush: true });
        assert.deepEqual(repo.inputs.encryptionConfigurations, [{ encryptionType: "KMS", kmsKey: imagesKey.outputs.arn }]);
        // prod's account pulls from dev's registry: kept like production's.
        assert.equal(repo.inputs.forceDelete, false);
        assert.equal(repo.options?.protect, true);
    }
    assert.equal(imagesKey.options?.protect, true);
    const lifecycle = ofType(dev, "aws:ecr/lifecyclePolicy:LifecyclePolicy");
    assert.equal(lifecycle.length, 2);
    const rules = JSON.parse(String(lifecycle[0].inputs.policy)).rules;
    assert.deepEqual(rules.map((r: any) => r.rulePriority), [1, 2]);
    assert.deepEqual(rules[0].selection, { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 });
    assert.deepEqual(rules[1].selection, { tagStatus: "tagged", tagPrefixList: ["v"], countType: "imageCountMoreThan", countNumber: 100 },
        "the last 100 release tags (Pulumi.dev.yaml); no `any` rule, so buildcache never expires");

    assert.equal(dev.plan.outputs.kubeconfig, "[secret]");
    assert.equal(dev.plan.outputs.maxPodsPerNode, 110);
});

test("prod: three AZs with a NAT gateway each, private endpoint, no registry of its own", async () => {
    const prod = await plan(stackValues("prod"), "prod");
    const vpc = one(prod, "awsx:ec2:Vpc").inputs as any;
    assert.equal(vpc.numberOfAvailabilityZones, 3);
    assert.equal(vpc.natGateways.strategy, "OnePerAz");
    const cluster = one(prod, "eks:index:Cluster").inputs as any;
    assert.equal(cluster.endpointPublicAccess, false);
    assert.equal(cluster.publicAccessCidrs, undefined);
    assert.equal(one(prod, "aws:cloudwatch/logGroup:LogGroup").inputs.retentionInDays, 365);
    // prod deploys from dev's registry (eks-delivery:registry.from): no repositories, no key of its own.
    assert.equal(ofType(prod, "aws:ecr/repository:Repository").length, 0);
    assert.equal(ofType(prod, "eks-delivery:infra:ContainerRegistry").length, 0);
    // Production refuses deletion: the cluster (EKS deletion protection and Pulumi protect), the VPC, every KMS key.
    assert.equal(cluster.deletionProtection, true);
    assert.equal(one(prod, "eks:index:Cluster").options?.protect, true);
    assert.equal(one(prod, "awsx:ec2:Vpc").options?.protect, true);
    for (const key of ofType(prod, "aws:kms/key:Key")) assert.equal(key.options?.protect, true, key.name);
    const group = one(prod, "aws:eks/nodeGroup:NodeGroup").inputs as any;
    assert.deepEqual(group.scalingConfig, { minSize: 3, desiredSize: 3, maxSize: 14 });
});

test("cpu-target: ASG target tracking at the configured CPU and e-mail on every scale event", async () => {
    const values = stackValues("dev");
    Object.assign(values["eks-delivery:nodes"] as object, { autoscaler: "cpu-target", cpuTargetPercent: 42, alertEmail: "ops@example.com" });
    const planned = await plan(values, "dev");
    const nodeGroup = one(planned, "aws:eks/nodeGroup:NodeGroup").outputs as any;
    const expectedAsg = nodeGroup.resources[0].autoscalingGroups[0].name;

    const policy = one(planned, "aws:autoscaling/policy:Policy").inputs as any;
    assert.equal(policy.policyType, "TargetTrackingScaling");
    assert.equal(policy.autoscalingGroupName, expectedAsg);
    assert.equal(policy.targetTrackingConfiguration.predefinedMetricSpecification.predefinedMetricType, "ASGAverageCPUUtilization");
    assert.equal(policy.targetTrackingConfiguration.targetValue, 42);

    const topic = one(planned, "aws:sns/topic:Topic");
    const subscription = one(planned, "aws:sns/topicSubscription:TopicSubscription").inputs;
    assert.equal(subscription.protocol, "email");
    assert.equal(subscription.endpoint, "ops@example.com");
    assert.equal(subscription.topic, topic.outputs.arn);
    const notification = one(planned, "aws:autoscaling/notification:Notification").inputs as any;
    assert.deepEqual(notification.groupNames, [expectedAsg]);
    assert.equal(notification.topicArn, topic.outputs.arn);
    assert.deepEqual(notification.notifications.slice(0, 2), ["autoscaling:EC2_INSTANCE_LAUNCH", "autoscaling:EC2_INSTANCE_TERMINATE"]);
    assert.deepEqual(one(planned, "aws:eks/nodeGroup:NodeGroup").options?.ignoreChanges, ["scalingConfig.desiredSize"]);
});

test("karpenter and cluster-autoscaler: desired size left to the autoscaler, no ASG policy", async () => {
    for (const autoscaler of ["karpenter", "cluster-autoscaler"]) {
        const values = stackValues("dev");
        (values["eks-delivery:nodes"] as any).autoscaler = autoscaler;
        const planned = await plan(values, "dev");
        assert.deepEqual(one(planned, "aws:eks/nodeGroup:NodeGroup").options?.ignoreChanges, ["scalingConfig.desiredSize"], autoscaler);
        assert.equal(ofType(planned, "aws:autoscaling/policy:Policy").length, 0, autoscaler);
        assert.equal(ofType(planned, "aws:sns/topic:Topic").length, 0, autoscaler);
    }
});

test("max pods without prefix delegation follow the ENI formula", async () => {
    const values = stackValues("dev");
    Object.assign(values["eks-delivery:nodes"] as object, { prefixDelegation: false });
    const planned = await plan(values, "dev");
    assert.equal(planned.plan.outputs.maxPodsPerNode, 17, "what EKS computes for t3.medium without prefixes");
    // EKS fixes max pods when a node launches: the figure is in the template, so toggling prefix delegation rolls the nodes.
    const instanceTags = (p: typeof planned) => (one(p, "aws:ec2/launchTemplate:LaunchTemplate").inputs as any).tagSpecifications[0].tags["eks-delivery/max-pods"];
    assert.equal(instanceTags(planned), "17");
    assert.equal(instanceTags(await plan(stackValues("dev"), "dev")), "110");
    const cni = ofType(planned, "aws:eks/addon:Addon").find((a) => a.inputs.addonName === "vpc-cni")!;
    assert.equal(JSON.parse(String(cni.inputs.configurationValues)).env.ENABLE_PREFIX_DELEGATION, "false");
    assert.ok(one(planned, "aws:eks/nodeGroup:NodeGroup").options?.dependsOn === undefined ||
        !one(planned, "aws:eks/nodeGroup:NodeGroup").options!.dependsOn!.includes(cni.urn), "the group's component waits for the CNI instead");
    assert.ok(one(planned, "eks-delivery:infra:NodeGroup").options?.dependsOn?.includes(cni.urn), "nodes join after the CNI is configured");
});

test("lifecycle policy documents", () => {
    const rules = JSON.parse(lifecyclePolicy({ keepImages: 35, untaggedExpiryDays: 3 })).rules;
    assert.deepEqual(rules.map((r: any) => r.selection.countNumber), [3, 35]);
    assert.deepEqual(rules.map((r: any) => r.selection.tagStatus), ["untagged", "tagged"]);
    assert.deepEqual(rules[1].selection.tagPrefixList, ["v"]);
    assert.ok(rules.every((r: any) => r.action.type === "expire"));
});

test("cluster access: the deploy role is cluster admin, configured principals get what they ask for", async () => {
    const values = stackValues("dev");
    (values["eks-delivery:cluster"] as any).access = [
        { principalArn: "arn:aws:iam::123456789012:role/ops/platform-admins", policy: "admin" },
        { principalArn: "arn:aws:iam::123456789012:user/alice", policy: "edit", namespaces: ["dev"] },
        { principalArn: "arn:aws:iam::123456789012:role/auditors", policy: "view" },
        { principalArn: "role/teams/sre", policy: "admin" },
    ];
    // The endpoint is restricted: Deployments run on an agent pool (config/schema.ts).
    values["eks-delivery:delivery"] = { organization: "acme", repository: "acme/eks-delivery", agentPoolId: "0f3c6a2e-8d1b-4e5f-9a7c-2b4d6e8f0a1c" };
    const planned = await plan(values, "dev");
    const entries = ofType(planned, "aws:eks/accessEntry:AccessEntry");
    const associations = ofType(planned, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
    const deployRole = one(planned, "aws:iam/role:Role", "delivery-deploy");
    const grant = (principal: unknown) => associations.find((a) => a.inputs.principalArn === principal)!.inputs as any;
    assert.equal(entries.length, 6, "the deploy and preview roles and the four principals");
    for (const e of entries) assert.deepEqual([e.inputs.clusterName, e.inputs.type], ["eks-delivery-dev", "STANDARD"]);
    const policy = (name: string) => `arn:aws:eks::aws:cluster-access-policy/${name}`;
    assert.deepEqual(grant(deployRole.outputs.arn), { clusterName: "eks-delivery-dev", principalArn: deployRole.outputs.arn, policyArn: policy("AmazonEKSClusterAdminPolicy"), accessScope: { type: "cluster" } });
    const previewRole = one(planned, "aws:iam/role:Role", "delivery-preview");
    assert.deepEqual(grant(previewRole.outputs.arn).policyArn, policy("AmazonEKSViewPolicy"));
    assert.equal(grant("arn:aws:iam::123456789012:role/ops/platform-admins").policyArn, policy("AmazonEKSClusterAdminPolicy"));
    assert.deepEqual(grant("arn:aws:iam::123456789012:user/alice").accessScope, { type: "namespace", namespaces: ["dev"] });
    assert.equal(grant("arn:aws:iam::123456789012:user/alice").policyArn, policy("AmazonEKSEditPolicy"));
    assert.equal(grant("arn:aws:iam::123456789012:role/auditors").policyArn, policy("AmazonEKSViewPolicy"));
    // role/<name> is a role of the stack's own account (the emulated one here).
    assert.equal(grant("arn:aws:iam::123456789012:role/teams/sre").policyArn, policy("AmazonEKSClusterAdminPolicy"));
    // Kubernetes objects wait for the grants, so a destroy by the deploy role removes its access last.
    const addons = one(planned, "eks-delivery:addons:PlatformAddons");
    for (const a of associations) assert.ok(addons.options?.dependsOn?.includes(a.urn), a.name);
});

test("karpenter: its nodes join the EKS-created cluster security group at the pinned AMI", async () => {
    const values = stackValues("dev");
    (values["eks-delivery:nodes"] as any).autoscaler = "karpenter";
    const planned = await plan(values, "dev");
    const cluster = one(planned, "eks:index:Cluster").outputs as any;
    const nodeClass = ofType(planned, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")[0].inputs as any;
    assert.deepEqual(nodeClass.spec.securityGroupSelectorTerms, [{ id: cluster.eksCluster.vpcConfig.clusterSecurityGroupId }]);
    assert.notEqual(cluster.eksCluster.vpcConfig.clusterSecurityGroupId, cluster.clusterSecurityGroupId, "not pulumi-eks's egress-only group");
    assert.deepEqual(nodeClass.spec.amiSelectorTerms, [{ alias: "al2023@v20260714" }], "the managed nodes' release, not @latest");
    assert.equal(nodeClass.spec.metadataOptions.httpPutResponseHopLimit, 1);
});

test("IRSA trust is keyed on the issuer without its scheme, and refuses the issuer URL", async () => {
    const { irsaTrustPolicy } = await import("../infra/trust");
    const issuer = "oidc.eks.ap-northeast-2.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";
    const trust = JSON.parse(irsaTrustPolicy(`arn:aws:iam::123456789012:oidc-provider/${issuer}`, issuer, "ns", "sa")).Statement[0];
    assert.deepEqual(Object.keys(trust.Condition.StringEquals), [`${issuer}:sub`, `${issuer}:aud`]);
    assert.throws(() => irsaTrustPolicy("arn", `https://${issuer}`, "ns", "sa"), /without its scheme/);
});

test("persistent volumes: the EBS CSI driver add-on with its Pod Identity, and a gp3 StorageClass", async () => {
    const values = stackValues("dev");
    values["eks-delivery:monitoring"] = { retentionDays: 30, storageGiB: 100 };
    const planned = await plan(values, "dev");
    const driver = ofType(planned, "aws:eks/addon:Addon").find((a) => a.inputs.addonName === "aws-ebs-csi-driver")!;
    const role = one(planned, "aws:iam/role:Role", "storage-ebs-csi");
    assert.deepEqual(driver.inputs.podIdentityAssociations, [{ roleArn: role.outputs.arn, serviceAccount: "ebs-csi-controller-sa" }]);
    const trust = JSON.parse(String(role.inputs.assumeRolePolicy)).Statement[0];
    assert.deepEqual(trust.Principal, { Service: "pods.eks.amazonaws.com" });
    assert.equal(trust.Condition.StringEquals["aws:RequestTag/kubernetes-service-account"], "ebs-csi-controller-sa");
    const attachment = ofType(planned, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").find((a) => a.inputs.role === role.outputs.name)!;
    assert.equal(attachment.inputs.policyArn, "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicyV2", "only volumes the driver tagged");
    // The driver needs nodes and the Pod Identity agent; Prometheus needs the StorageClass.
    const component = one(planned, "eks-delivery:infra:BlockStorage");
    for (const addon of ["coredns", "eks-pod-identity-agent"]) {
        assert.ok(component.options?.dependsOn?.includes(ofType(planned, "aws:eks/addon:Addon").find((a) => a.inputs.addonName === addon)!.urn), addon);
    }
    const storageClass = one(planned, "kubernetes:storage.k8s.io/v1:StorageClass");
    assert.deepEqual([storageClass.inputs.provisioner, storageClass.inputs.parameters, storageClass.inputs.volumeBindingMode],
        ["ebs.csi.aws.com", { type: "gp3", encrypted: "true" }, "WaitForFirstConsumer"]);
    // Only Prometheus waits for the driver: a slow volume add-on does not hold up the rest of the platform.
    const releases = ofType(planned, "kubernetes:helm.sh/v3:Release");
    const monitoring = releases.find((r) => r.inputs.chart === "kube-prometheus-stack")!;
    assert.ok(monitoring.options?.dependsOn?.includes(storageClass.urn));
    for (const r of releases.filter((r) => r !== monitoring)) assert.ok(!r.options?.dependsOn?.includes(storageClass.urn), `${r.name} does not wait for volumes`);
    const spec = (monitoring.inputs.values as any).prometheus.prometheusSpec;
    assert.deepEqual([spec.retention, spec.retentionSize, spec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage], ["30d", "85GB", "100Gi"]);
});
