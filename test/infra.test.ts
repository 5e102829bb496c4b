/** The AWS layer as the offline plan records it, for dev, prod and each autoscaler mode. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { nodeadmMaxPods } from "../infra/nodeGroup";
import { lifecyclePolicy } from "../infra/registry";
import { one, ofType, plan, stackValues } from "./support";

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
    assert.equal(cluster.version, "1.33");
    assert.equal(cluster.authenticationMode, "API");
    assert.equal(cluster.encryptionConfigKeyArn, key.outputs.arn);
    for (const log of ["api", "audit", "authenticator"]) assert.ok(cluster.enabledClusterLogTypes.includes(log), log);
    assert.equal(cluster.createOidcProvider, true);
    assert.equal(cluster.skipDefaultNodeGroup, true);
    assert.equal(cluster.endpointPrivateAccess, true);
    assert.equal(cluster.endpointPublicAccess, true);
    assert.deepEqual(cluster.publicAccessCidrs, ["203.0.113.0/24"]);
    assert.equal(cluster.vpcCniOptions.enablePrefixDelegation, true);
    assert.deepEqual(cluster.privateSubnetIds, one(dev, "awsx:ec2:Vpc").outputs.privateSubnetIds);
    const logGroup = one(dev, "aws:cloudwatch/logGroup:LogGroup");
    assert.equal(logGroup.inputs.name, "/aws/eks/eks-delivery-dev/cluster");
    assert.equal(logGroup.inputs.retentionInDays, 90);

    const group = one(dev, "eks:index:ManagedNodeGroup").inputs as any;
    assert.equal(group.enableIMDSv2, true);
    assert.equal(group.ignoreScalingChanges, true);
    assert.deepEqual(group.instanceTypes, ["t3.medium"]);
    assert.deepEqual(group.scalingConfig, { minSize: 2, desiredSize: 2, maxSize: 6 });
    assert.deepEqual(group.subnetIds, one(dev, "awsx:ec2:Vpc").outputs.privateSubnetIds, "nodes in private subnets");
    assert.equal(group.nodeadmExtraOptions[0].content, nodeadmMaxPods(110));
    assert.equal(group.nodeRole, one(dev, "aws:iam/role:Role", "nodes-role").urn);
    const policies = ofType(dev, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => a.inputs.policyArn);
    assert.ok(policies.includes("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly"), "nodes pull from ECR with their role");
    assert.equal(ofType(dev, "aws:autoscaling/policy:Policy").length, 0, "no ASG policy unless cpu-target");

    const repos = ofType(dev, "aws:ecr/repository:Repository");
    assert.deepEqual(repos.map((r) => r.inputs.name).sort(), ["eks-delivery-dev/api", "eks-delivery-dev/web"]);
    const imagesKey = one(dev, "aws:kms/key:Key", "registry-images");
    for (const repo of repos) {
        assert.equal(repo.inputs.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION", "release tags immutable");
        assert.deepEqual(repo.inputs.imageTagMutabilityExclusionFilters, [{ filter: "buildcache", filterType: "WILDCARD" }], "only the build cache tag moves");
        assert.deepEqual(repo.inputs.imageScanningConfiguration, { scanOnPush: true });
        assert.deepEqual(repo.inputs.encryptionConfigurations, [{ encryptionType: "KMS", kmsKey: imagesKey.outputs.arn }]);
        assert.equal(repo.inputs.forceDelete, true);
    }
    const lifecycle = ofType(dev, "aws:ecr/lifecyclePolicy:LifecyclePolicy");
    assert.equal(lifecycle.length, 2);
    const rules = JSON.parse(String(lifecycle[0].inputs.policy)).rules;
    assert.deepEqual(rules[0].selection, { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 });
    assert.deepEqual(rules[1].selection, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 30 });

    assert.equal(dev.plan.outputs.kubeconfig, "[secret]");
    assert.equal(dev.plan.outputs.maxPodsPerNode, 110);
});

test("prod: three AZs with a NAT gateway each, private endpoint, repositories kept", async () => {
    const prod = await plan(stackValues("prod"), "prod");
    const vpc = one(prod, "awsx:ec2:Vpc").inputs as any;
    assert.equal(vpc.numberOfAvailabilityZones, 3);
    assert.equal(vpc.natGateways.strategy, "OnePerAz");
    const cluster = one(prod, "eks:index:Cluster").inputs as any;
    assert.equal(cluster.endpointPublicAccess, false);
    assert.equal(cluster.publicAccessCidrs, undefined);
    assert.equal(one(prod, "aws:cloudwatch/logGroup:LogGroup").inputs.retentionInDays, 365);
    for (const repo of ofType(prod, "aws:ecr/repository:Repository")) assert.equal(repo.inputs.forceDelete, false);
    const group = one(prod, "eks:index:ManagedNodeGroup").inputs as any;
    assert.deepEqual(group.scalingConfig, { minSize: 3, desiredSize: 3, maxSize: 12 });
});

test("cpu-target: ASG target tracking at the configured CPU and e-mail on every scale event", async () => {
    const values = stackValues("dev");
    Object.assign(values["eks-delivery:nodes"] as object, { autoscaler: "cpu-target", cpuTargetPercent: 42, alertEmail: "ops@example.com" });
    const planned = await plan(values, "dev");
    const asgName = one(planned, "eks:index:ManagedNodeGroup").outputs.nodeGroup as any;
    const expectedAsg = asgName.resources[0].autoscalingGroups[0].name;

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
    assert.equal((one(planned, "eks:index:ManagedNodeGroup").inputs as any).ignoreScalingChanges, true);
});

test("karpenter and cluster-autoscaler: desired size left to the autoscaler, no ASG policy", async () => {
    for (const autoscaler of ["karpenter", "cluster-autoscaler"]) {
        const values = stackValues("dev");
        (values["eks-delivery:nodes"] as any).autoscaler = autoscaler;
        const planned = await plan(values, "dev");
        assert.equal((one(planned, "eks:index:ManagedNodeGroup").inputs as any).ignoreScalingChanges, true, autoscaler);
        assert.equal(ofType(planned, "aws:autoscaling/policy:Policy").length, 0, autoscaler);
        assert.equal(ofType(planned, "aws:sns/topic:Topic").length, 0, autoscaler);
    }
});

test("max pods without prefix delegation follow the ENI formula", async () => {
    const values = stackValues("dev");
    Object.assign(values["eks-delivery:nodes"] as object, { prefixDelegation: false });
    const planned = await plan(values, "dev");
    assert.equal((one(planned, "eks:index:ManagedNodeGroup").inputs as any).nodeadmExtraOptions[0].content, nodeadmMaxPods(17));
    assert.equal((one(planned, "eks:index:Cluster").inputs as any).vpcCniOptions.enablePrefixDelegation, false);
});

test("nodeadm config and lifecycle policy documents", () => {
    assert.match(nodeadmMaxPods(17), /kind: NodeConfig[\s\S]*maxPods: 17/);
    const rules = JSON.parse(lifecyclePolicy({ keepImages: 5, untaggedExpiryDays: 3 })).rules;
    assert.deepEqual(rules.map((r: any) => r.selection.countNumber), [3, 5]);
    assert.ok(rules.every((r: any) => r.action.type === "expire"));
});
