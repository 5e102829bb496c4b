/** The add-ons as the dev/prod plans assemble them: one autoscaler per mode, the mesh, scoped IAM. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { PlannedStack } from "../tools/plan/planStack";
import { plan, stackValues, Values } from "./support";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const releases = (p: PlannedStack) => new Map(p.plan.resources.filter((r) => r.type === RELEASE).map((r) => [String(r.inputs.chart).split("/").pop(), r]));
const withNodes = (patch: object, stack = "dev"): Values => {
    const values: Values = { ...stackValues(stack), "eks-delivery:version": "v1.0.0-abcdef0" };
    Object.assign(values["eks-delivery:nodes"] as object, patch);
    return values;
};

test("dev: every platform add-on is installed from a pinned chart", async () => {
    const dev = await plan(withNodes({}), "dev");
    const charts = releases(dev);
    for (const chart of ["metrics-server", "aws-load-balancer-controller", "ingress-nginx", "external-dns", "cert-manager", "external-secrets", "reloader", "kube-prometheus-stack", "cluster-autoscaler"]) {
        assert.ok(charts.has(chart), `${chart} installed`);
        assert.match(String(charts.get(chart)!.inputs.version), /^v?\d+\.\d+\.\d+$/, `${chart} pinned`);
    }
    assert.ok(!charts.has("karpenter"), "cluster-autoscaler mode runs no Karpenter");
    assert.ok(!charts.has("istiod"), "the mesh is off by default");
});

test("karpenter: the controller, its NodePool and EC2NodeClass, the interruption queue, and no cluster-autoscaler", async () => {
    const stack = await plan(withNodes({ autoscaler: "karpenter" }), "dev");
    const charts = releases(stack);
    assert.ok(charts.has("karpenter"));
    assert.ok(!charts.has("cluster-autoscaler"), "never two autoscalers");
    const kinds = stack.plan.resources.map((r) => r.type);
    assert.ok(kinds.includes("kubernetes:karpenter.sh/v1:NodePool"));
    assert.ok(kinds.includes("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"));
    assert.ok(kinds.includes("aws:sqs/queue:Queue"));
    assert.equal(kinds.filter((t) => t === "aws:cloudwatch/eventRule:EventRule").length, 4);
    assert.equal(stack.violations.length, 0, stack.violations.map((v) => v.message).join("; "));
});

test("cpu-target: the ASG policy scales; no autoscaler controller runs", async () => {
    const stack = await plan(withNodes({ autoscaler: "cpu-target", cpuTargetPercent: 50, alertEmail: "ops@example.com" }), "dev");
    const charts = releases(stack);
    assert.ok(!charts.has("cluster-autoscaler") && !charts.has("karpenter"));
    assert.equal(stack.plan.resources.filter((r) => r.type === "aws:autoscaling/policy:Policy").length, 1);
});

test("mesh: Istio with STRICT mTLS, Kiali and tracing; the apps and the ingress controller join it", async () => {
    const values = withNodes({});
    values["eks-delivery:mesh"] = { enabled: true };
    const stack = await plan(values, "dev");
    const charts = releases(stack);
    for (const chart of ["base", "istiod", "kiali-server", "jaeger"]) assert.ok(charts.has(chart), chart);
    const peer = stack.plan.resources.find((r) => r.type === "kubernetes:security.istio.io/v1:PeerAuthentication")!;
    assert.equal((peer.inputs.spec as any).mtls.mode, "STRICT");
    const namespaces = new Map(stack.plan.resources.filter((r) => r.type === "kubernetes:core/v1:Namespace").map((r) => [(r.outputs.metadata as any).name, (r.outputs.metadata as any).labels]));
    assert.equal(namespaces.get("dev")["istio-injection"], "enabled");
    assert.equal(namespaces.get("ingress-nginx")["istio-injection"], "enabled");
    const ingress = stack.plan.resources.find((r) => r.type === "kubernetes:networking.k8s.io/v1:Ingress")!;
    assert.equal((ingress.outputs.metadata as any).annotations["nginx.ingress.kubernetes.io/service-upstream"], "true");
    // NetworkPolicies are enforced (VPC CNI): a sidecar that cannot reach istiod never gets ready.
    const policy = stack.plan.resources.find((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy")!.inputs.spec as any;
    assert.ok(policy.egress.some((e: any) => e.to?.[0]?.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] === "istio-system" && !e.ports), "egress to the mesh namespace");
    assert.ok(policy.ingress.some((i: any) => i.ports?.[0]?.port === 15020), "Prometheus scrapes the merged sidecar metrics");
    assert.equal(stack.violations.length, 0, stack.violations.map((v) => v.message).join("; "));
});

/**
 * Actions AWS offers no resource-level scoping for (reads and discovery); iam:ListInstanceProfiles is
 * granted on `*` by Karpenter's own reference policy (AllowUnscopedInstanceProfileListAction, v1.14).
 */
const UNSCOPABLE = /^(ec2:(Describe|Get)|elasticloadbalancing:Describe|autoscaling:Describe|route53:List(HostedZones|HostedZonesByName)$|pricing:|acm:(List|Describe)|wafv2:Get|shield:Get|eks:Describe|iam:GetInstanceProfile|iam:ListInstanceProfiles$|sqs:GetQueueUrl)/;

test("add-on IAM policies name no * resource where AWS allows scoping, and trust only their service account", async () => {
    for (const autoscaler of ["cluster-autoscaler", "karpenter"]) {
        const stack = await plan(withNodes({ autoscaler }), "dev");
        const roles = stack.plan.resources.filter((r) => r.type === "aws:iam/role:Role" && String(r.inputs.assumeRolePolicy).includes("pods.eks.amazonaws.com"));
        assert.ok(roles.length >= 5, `${roles.length} workload roles`);
        // Associations are resources of their own, or made by an EKS add-on for its service account (in kube-system).
        const associations = [
            ...stack.plan.resources.filter((r) => r.type === "aws:eks/podIdentityAssociation:PodIdentityAssociation").map((r) => r.inputs as any),
            ...stack.plan.resources.filter((r) => r.type === "aws:eks/addon:Addon").flatMap((r) =>
                ((r.inputs.podIdentityAssociations ?? []) as any[]).map((a) => ({ ...a, namespace: "kube-system" }))),
        ];
        for (const role of roles) {
            const condition = JSON.parse(String(role.inputs.assumeRolePolicy)).Statement[0].Condition.StringEquals;
            const association = associations.find((a) => a.roleArn === role.outputs.arn);
            assert.ok(association, `${role.name} has a Pod Identity association`);
            assert.deepEqual([condition["aws:RequestTag/kubernetes-namespace"], condition["aws:RequestTag/kubernetes-service-account"]],
                [association.namespace, association.serviceAccount], role.name);
        }
        for (const policy of stack.plan.resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy")) {
            for (const s of JSON.parse(String(policy.inputs.policy)).Statement) {
                if (![s.Resource].flat().includes("*") || s.Condition) continue;
                const scopable = s.Action.filter((a: string) => !UNSCOPABLE.test(a));
                assert.deepEqual(scopable, [], `${policy.name} ${s.Sid ?? ""}: scopable actions on *`);
            }
        }
    }
});
