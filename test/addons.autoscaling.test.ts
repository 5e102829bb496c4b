/** The two node autoscalers as add-ons, under mocks: pinned charts, cluster-scoped IAM, interruption plumbing, node pools. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Plan, PlannedResource } from "../tools/plan/plan";
import { clusterAutoscaler, CLUSTER_AUTOSCALER, clusterAutoscalerImageTag } from "../infra/addons/cluster-autoscaler";
import { karpenter, KARPENTER } from "../infra/addons/karpenter";
import { spreadConstraints } from "../infra/addons/addon";
import type { AddonSpec } from "../infra/addons/addon";
import { addonContext, assertPodIdentity, planComponent, podIdentity } from "./support";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CLUSTER = "eks-delivery-dev";
const REGION = "ap-northeast-2";
const ACCOUNT = "123456789012";

const byType = (plan: Plan, type: string): PlannedResource[] => plan.resources.filter((r) => r.type === type);
function only(plan: Plan, type: string): PlannedResource {
    const found = byType(plan, type);
    assert.equal(found.length, 1, `exactly one ${type}`);
    return found[0];
}
/** The Addon component of one add-on (`eks-delivery:addons:Addon`, named after it). */
function addon(plan: Plan, name: string): PlannedResource {
    const found = byType(plan, "eks-delivery:addons:Addon").filter((r) => r.name === name);
    assert.equal(found.length, 1, `exactly one Addon named ${name}`);
    return found[0];
}
/** The add-on's one release: named after the add-on, of the pinned chart, under its Addon component. */
function release(plan: Plan, spec: AddonSpec): PlannedResource {
    const r = only(plan, RELEASE);
    const { chart } = spec;
    assert.equal(r.inputs.name, spec.name);
    assert.equal(r.parent, addon(plan, spec.name).urn);
    assert.equal(r.inputs.chart, chart.chart);
    assert.equal(r.inputs.version, chart.version);
    assert.equal((r.inputs.repositoryOpts as any)?.repo, chart.repo);
    assert.equal(r.inputs.atomic, true);
    return r;
}
const resourcesOf = (s: any): string[] => [s.Resource].flat();
const actionsOf = (s: any): string[] => [s.Action].flat();
/** Every statement granting `action`. */
const granting = (statements: any[], action: string): any[] => statements.filter((s) => s.Effect === "Allow" && actionsOf(s).includes(action));

test("cluster-autoscaler image tag matches the cluster minor, and unknown minors throw", () => {
    const expected: Record<string, string> = {
        "1.29": "v1.29.5", "1.30": "v1.30.6", "1.31": "v1.31.4", "1.32": "v1.32.3", "1.33": "v1.33.1", "1.34": "v1.34.5", "1.35": "v1.35.2", "1.36": "v1.36.1",
    };
    for (const [minor, tag] of Object.entries(expected)) assert.equal(clusterAutoscalerImageTag(minor), tag, minor);
    assert.equal(clusterAutoscalerImageTag("1.33.4"), "v1.33.1", "a patch version maps by its minor");
    for (const bad of ["1.28", "1.37", "2.0", "latest", ""]) {
        assert.throws(() => clusterAutoscalerImageTag(bad), /no cluster-autoscaler release is pinned for Kubernetes/, bad);
    }
});

test("cluster-autoscaler: pinned chart, version-matched image, HA, tuned scale-down, restricted pods", async () => {
    const plan = await planComponent(() => { clusterAutoscaler(addonContext(), {}); });
    assert.deepEqual(CLUSTER_AUTOSCALER.chart, { chart: "cluster-autoscaler", version: "9.59.0", repo: "https://kubernetes.github.io/autoscaler" });
    assert.equal((only(plan, "kubernetes:core/v1:Namespace").inputs.metadata as any).name, "cluster-autoscaler");
    const r = release(plan, CLUSTER_AUTOSCALER);
    assert.equal(r.inputs.namespace, "cluster-autoscaler");
    const component = addon(plan, "cluster-autoscaler");
    assert.equal(r.parent, component.urn);

    const values = r.inputs.values as any;
    assert.equal(values.autoDiscovery.clusterName, CLUSTER);
    assert.equal(values.awsRegion, REGION);
    assert.equal(values.image.tag, "v1.36.1", "dev runs Kubernetes 1.36");
    const { role } = podIdentity(plan);
    // No IRSA annotation: the Pod Identity association names this service account.
    assert.deepEqual(values.rbac.serviceAccount, { create: true, name: "cluster-autoscaler" });
    assert.match(String(role.outputs.arn), /^arn:aws:iam::123456789012:role\//);
    assert.equal(values.replicaCount, 2);
    assert.deepEqual(values.resources, { requests: { cpu: "100m", memory: "300Mi" }, limits: { memory: "600Mi" } });
    assert.deepEqual(values.podDisruptionBudget, { maxUnavailable: 1 });
    const labels = { "app.kubernetes.io/instance": "cluster-autoscaler", "app.kubernetes.io/name": "aws-cluster-autoscaler" };
    assert.deepEqual(values.topologySpreadConstraints, spreadConstraints(labels));
    assert.deepEqual(values.extraArgs, {
        "scale-down-unneeded-time": "10m",
        "scale-down-delay-after-add": "10m",
        "scale-down-utilization-threshold": "0.5",
        "balance-similar-node-groups": true,
        "expander": "least-waste",
        "skip-nodes-with-local-storage": false,
        "skip-nodes-with-system-pods": false,
    });
    assert.equal(values.securityContext.runAsNonRoot, true);
    assert.deepEqual(values.securityContext.seccompProfile, { type: "RuntimeDefault" });
    assert.deepEqual(values.containerSecurityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
});

test("cluster-autoscaler: Pod Identity for its service account, resizes only this cluster's tagged groups", async () => {
    const plan = await planComponent(() => { clusterAutoscaler(addonContext(), {}); });
    const { statements } = podIdentity(plan);
    assertPodIdentity(plan, "cluster-autoscaler", "cluster-autoscaler");
    assert.ok(statements.every((s) => s.Effect === "Allow"));

    for (const action of ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]) {
        const grants = granting(statements, action);
        assert.equal(grants.length, 1, action);
        for (const s of grants) {
            assert.ok(!resourcesOf(s).includes("*"), `${action} is not granted on "*"`);
            assert.deepEqual(resourcesOf(s), [`arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/*`]);
            assert.deepEqual(s.Condition, { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${CLUSTER}`]: "owned" } }, action);
        }
    }
    const [nodegroups] = granting(statements, "eks:DescribeNodegroup");
    assert.deepEqual(resourcesOf(nodegroups), [`arn:aws:eks:${REGION}:${ACCOUNT}:nodegroup/${CLUSTER}/*`]);

    // "*" only for reads AWS cannot scope to a resource.
    const unscopable = /^(autoscaling:Describe|ec2:Describe|ec2:GetInstanceTypesFromInstanceRequirements$)/;
    for (const s of statements.filter((s) => resourcesOf(s).includes("*"))) {
        for (const action of actionsOf(s)) assert.match(action, unscopable, `${action} on "*"`);
    }
    const all = statements.flatMap(actionsOf);
    for (const action of ["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeLaunchTemplateVersions", "ec2:DescribeInstanceTypes"]) {
        assert.ok(all.includes(action), action);
    }
});

const KARPENTER_CTX = () => addonContext("dev", (v: any) => { v["eks-delivery:nodes"].autoscaler = "karpenter"; });

test("karpenter: interruption queue fed by four EventBridge rules, writable only by EventBridge", async () => {
    const plan = await planComponent(() => { karpenter(KARPENTER_CTX(), {}); });
    const queue = only(plan, "aws:sqs/queue:Queue");
    assert.equal(queue.inputs.name, `${CLUSTER}-karpenter`);
    assert.equal(queue.inputs.messageRetentionSeconds, 300);
    assert.equal(queue.inputs.sqsManagedSseEnabled, true);
    const queueArn = queue.outputs.arn;
    assert.equal(queueArn, `arn:aws:sqs:${REGION}:${ACCOUNT}:${CLUSTER}-karpenter`);

    const queuePolicy = only(plan, "aws:sqs/queuePolicy:QueuePolicy");
    assert.equal(queuePolicy.inputs.queueUrl, queue.outputs.url);
    const policy = JSON.parse(String(queuePolicy.inputs.policy));
    const allows = policy.Statement.filter((s: any) => s.Effect === "Allow");
    assert.equal(allows.length, 1);
    assert.deepEqual([allows[0].Principal.Service].flat().sort(), ["events.amazonaws.com", "sqs.amazonaws.com"]);
    assert.equal(allows[0].Action, "sqs:SendMessage");
    assert.equal(allows[0].Resource, queueArn);
    for (const s of policy.Statement) assert.equal(s.Resource, queueArn, "the policy speaks of this queue only");

    const rules = byType(plan, "aws:cloudwatch/eventRule:EventRule");
    const patterns = rules.map((r) => JSON.parse(String(r.inputs.eventPattern)));
    assert.deepEqual(
        patterns.map((p) => `${p.source.join()}|${p["detail-type"].join()}`).sort(),
        [
            "aws.ec2|EC2 Instance Rebalance Recommendation",
            "aws.ec2|EC2 Instance State-change Notification",
            "aws.ec2|EC2 Spot Instance Interruption Warning",
            "aws.health|AWS Health Event",
        ],
    );
    const targets = byType(plan, "aws:cloudwatch/eventTarget:EventTarget");
    assert.equal(targets.length, 4);
    for (const rule of rules) {
        const forRule = targets.filter((t) => t.inputs.rule === rule.outputs.name);
        assert.equal(forRule.length, 1, `one target for ${rule.name}`);
        assert.equal(forRule[0].inputs.arn, queueArn, `${rule.name} targets the queue`);
    }

    // Nodes reuse the managed node group's role, whose access entry EKS creates itself.
    assert.equal(byType(plan, "aws:eks/accessEntry:AccessEntry").length, 0);
});

test("karpenter: controller role confined to this cluster, its queue and the node role", async () => {
    const plan = await planComponent(() => { karpenter(KARPENTER_CTX(), {}); });
    const queueArn = only(plan, "aws:sqs/queue:Queue").outputs.arn;
    const { statements } = podIdentity(plan);
    assertPodIdentity(plan, "karpenter", "karpenter");
    const owned = `kubernetes.io/cluster/${CLUSTER}`;

    // Launching: either on read-only inputs (AMIs, snapshots, subnets, security groups) or tagged as this cluster's.
    for (const action of ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate", "ec2:CreateTags"]) {
        const grants = granting(statements, action);
        assert.ok(grants.length > 0, action);
        for (const s of grants) {
            assert.ok(!resourcesOf(s).includes("*"), `${action} not on "*"`);
            for (const arn of resourcesOf(s)) assert.ok(arn.startsWith(`arn:aws:ec2:${REGION}:`), arn);
            const tagged = s.Condition?.StringEquals?.[`aws:RequestTag/${owned}`] === "owned" || s.Condition?.StringEquals?.[`aws:ResourceTag/${owned}`] === "owned";
            const inputsOnly = resourcesOf(s).every((arn) => /:(image|snapshot|security-group|subnet|capacity-reservation)\/\*$/.test(arn));
            assert.ok(tagged || inputsOnly, `${action} (${s.Sid}) is either tag-conditioned or on launch inputs only`);
            if (!tagged) assert.ok(!["ec2:CreateLaunchTemplate", "ec2:CreateTags"].includes(action), `${action} without the cluster tag`);
        }
    }
    for (const action of ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"]) {
        const [s, ...rest] = granting(statements, action);
        assert.equal(rest.length, 0, action);
        assert.ok(!resourcesOf(s).includes("*"));
        assert.equal(s.Condition.StringEquals[`aws:ResourceTag/${owned}`], "owned", action);
        assert.equal(s.Condition.StringLike["aws:ResourceTag/karpenter.sh/nodepool"], "*", action);
    }
    const [passRole, ...morePassRole] = granting(statements, "iam:PassRole");
    assert.equal(morePassRole.length, 0);
    assert.deepEqual(resourcesOf(passRole), ["arn:aws:iam::123456789012:role/nodes-role-1234567"]);
    for (const action of ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl"]) {
        const grants = granting(statements, action);
        assert.equal(grants.length, 1, action);
        assert.deepEqual(resourcesOf(grants[0]), [queueArn], action);
    }
    assert.deepEqual(resourcesOf(granting(statements, "eks:DescribeCluster")[0]), [`arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`]);
    assert.deepEqual(resourcesOf(granting(statements, "ssm:GetParameter")[0]), [`arn:aws:ssm:${REGION}::parameter/aws/service/*`]);
    for (const action of ["iam:CreateInstanceProfile", "iam:TagInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile", "iam:GetInstanceProfile"]) {
        const grants = granting(statements, action);
        assert.equal(grants.length, 1, action);
        assert.deepEqual(resourcesOf(grants[0]), [`arn:aws:iam::${ACCOUNT}:instance-profile/*`], action);
        if (action !== "iam:GetInstanceProfile") {
            const tags = { ...grants[0].Condition.StringEquals };
            assert.ok(tags[`aws:RequestTag/${owned}`] === "owned" || tags[`aws:ResourceTag/${owned}`] === "owned", action);
        }
    }
    assert.equal(granting(statements, "iam:CreateInstanceProfile")[0].Condition.StringEquals[`aws:RequestTag/${owned}`], "owned");

    // "*" only where AWS has no resource to scope to: EC2 describes (held to this region) and pricing.
    for (const s of statements.filter((s) => resourcesOf(s).includes("*"))) {
        // iam:ListInstanceProfiles has no resource type in IAM: `*` is its only scope (Karpenter's reference grants it so).
        for (const action of actionsOf(s)) assert.match(action, /^(ec2:Describe[A-Za-z]+|pricing:GetProducts|iam:ListInstanceProfiles)$/, `${action} on "*"`);
        if (actionsOf(s).some((a) => a.startsWith("ec2:"))) assert.equal(s.Condition.StringEquals["aws:RequestedRegion"], REGION);
    }
    assert.ok(statements.every((s) => s.Effect === "Allow" && !actionsOf(s).some((a) => a.endsWith(":*"))), "no wildcard actions");
});

test("karpenter: pinned OCI chart with the cluster, queue, Pod Identity and HA values", async () => {
    const plan = await planComponent(() => { karpenter(KARPENTER_CTX(), {}); });
    assert.deepEqual(KARPENTER.chart, { chart: "oci://public.ecr.aws/karpenter/karpenter", version: "1.14.1" });
    assert.equal((only(plan, "kubernetes:core/v1:Namespace").inputs.metadata as any).name, "karpenter");
    const r = release(plan, KARPENTER);
    assert.equal(r.inputs.name, "karpenter");
    assert.equal(r.inputs.namespace, "karpenter");
    const values = r.inputs.values as any;
    assert.deepEqual(values.settings, { clusterName: CLUSTER, interruptionQueue: `${CLUSTER}-karpenter` });
    assert.equal(values.serviceAccount.name, "karpenter");
    assert.equal(values.serviceAccount.annotations, undefined, "Pod Identity, not an IRSA annotation");
    assert.equal(values.replicas, 2);
    assert.deepEqual(values.controller.resources, { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "512Mi" } });
    assert.deepEqual(values.topologySpreadConstraints, spreadConstraints({ "app.kubernetes.io/instance": "karpenter", "app.kubernetes.io/name": "karpenter" }));
    assert.equal(values.podDisruptionBudget.maxUnavailable, 1);
});

test("karpenter: default EC2NodeClass and NodePool from the node settings, under the component", async () => {
    const plan = await planComponent(() => { karpenter(KARPENTER_CTX(), {}); });
    const component = addon(plan, "karpenter");

    const nodeClass = only(plan, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass");
    assert.equal(nodeClass.inputs.apiVersion, "karpenter.k8s.aws/v1");
    assert.equal(nodeClass.inputs.kind, "EC2NodeClass");
    assert.equal((nodeClass.inputs.metadata as any).name, "default");
    // Under the component, and after the release, whose chart brings the CRDs.
    const chart = only(plan, RELEASE);
    assert.equal(nodeClass.parent, component.urn);
    assert.ok(nodeClass.options?.dependsOn?.includes(chart.urn), "the EC2NodeClass waits for the release");
    const classSpec = nodeClass.inputs.spec as any;
    assert.deepEqual(classSpec.amiSelectorTerms, [{ alias: "al2023@v20260714" }], "pinned to the managed nodes' AMI release");
    assert.equal(classSpec.role, "nodes-role-1234567");
    assert.deepEqual(classSpec.subnetSelectorTerms, [{ tags: { "karpenter.sh/discovery": CLUSTER } }]);
    assert.deepEqual(classSpec.securityGroupSelectorTerms, [{ id: "sg-0123456789abcdef0" }]);
    assert.deepEqual(classSpec.metadataOptions, { httpEndpoint: "enabled", httpPutResponseHopLimit: 1, httpTokens: "required" });
    assert.deepEqual(classSpec.kubelet, { maxPods: 110 });
    assert.deepEqual(classSpec.tags, { "eks-delivery/stack": "dev" });

    const pool = only(plan, "kubernetes:karpenter.sh/v1:NodePool");
    assert.equal(pool.inputs.apiVersion, "karpenter.sh/v1");
    assert.equal((pool.inputs.metadata as any).name, "default");
    assert.equal(pool.parent, component.urn);
    assert.ok(pool.options?.dependsOn?.includes(chart.urn), "the NodePool waits for the release");
    const poolSpec = pool.inputs.spec as any;
    assert.deepEqual(poolSpec.template.spec.nodeClassRef, { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" });
    assert.deepEqual(poolSpec.template.spec.requirements, [
        { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
        { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
        { key: "node.kubernetes.io/instance-type", operator: "In", values: ["t3.medium"] },
    ]);
    assert.equal(poolSpec.template.spec.expireAfter, "720h");
    assert.deepEqual(poolSpec.limits, { cpu: "16" }, "maxSize 8 x 2 vCPU of t3.medium");
    assert.deepEqual(poolSpec.disruption, { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "1m", budgets: [{ nodes: "10%" }] });
});

test("karpenter: NodePool follows other node settings (arm64, several types, larger max)", async () => {
    const ctx = addonContext("dev", (v: any) => {
        Object.assign(v["eks-delivery:nodes"], { autoscaler: "karpenter", instanceTypes: ["m7g.xlarge", "m7g.large"], maxSize: 5 });
    });
    const plan = await planComponent(() => { karpenter(ctx, {}); });
    const spec = only(plan, "kubernetes:karpenter.sh/v1:NodePool").inputs.spec as any;
    assert.deepEqual(spec.template.spec.requirements[0].values, ["arm64"]);
    assert.deepEqual(spec.template.spec.requirements[2].values, ["m7g.xlarge", "m7g.large"]);
    assert.deepEqual(spec.limits, { cpu: "20" }, "maxSize 5 x 4 vCPU of m7g.xlarge");
    const nodeClass = only(plan, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass").inputs.spec as any;
    assert.deepEqual(nodeClass.kubelet, { maxPods: ctx.config.nodes.maxPods });
});
