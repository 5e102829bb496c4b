/** The add-ons as the dev/prod plans assemble them: one autoscaler per mode, the mesh, scoped IAM. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { PlannedStack } from "../tools/plan/planStack";
import { plan, stackValues, Values } from "./support";

const RELEASE = "kubernetes:helm.sh/v3:Release";
/** The stack's Helm releases by release name (each add-on's name). */
const releases = (p: PlannedStack) => new Map(p.plan.resources.filter((r) => r.type === RELEASE).map((r) => [String(r.inputs.name), r]));
const withNodes = (patch: object, stack = "dev"): Values => {
    const values: Values = { ...stackValues(stack), "eks-delivery:version": "v1.0.0-abcdef0" };
    Object.assign(values["eks-delivery:nodes"] as object, patch);
    return values;
};
/** The same, behind ingress-nginx instead of the default ALB Gateway. */
const behindNginx = (values: Values): Values => ({ ...values, "eks-delivery:ingress": { controller: "nginx" } });
const PINNED = /^v?\d+\.\d+\.\d+$/;
const externalDnsSources = (p: PlannedStack) => (releases(p).get("external-dns")!.inputs.values as any).sources;

test("dev: every platform add-on is installed from a pinned chart, each as an Addon; the Gateway edge needs no ingress-nginx or cert-manager", async () => {
    const dev = await plan(withNodes({}), "dev");
    const installed = releases(dev);
    const addons = new Map(dev.plan.resources.filter((r) => r.type === "eks-delivery:addons:Addon").map((r) => [r.name, r]));
    for (const name of ["metrics-server", "aws-load-balancer-controller", "external-dns", "external-secrets", "reloader", "kube-prometheus-stack", "cluster-autoscaler"]) {
        assert.ok(installed.has(name), `${name} installed`);
        assert.match(String(installed.get(name)!.inputs.version), PINNED, `${name} pinned`);
        assert.equal(installed.get(name)!.parent, addons.get(name)?.urn, `${name}'s release is its Addon's`);
    }
    assert.deepEqual([...installed.keys()].sort(), [...addons.keys()].sort(), "a release per Addon, and nothing else");
    // Their pods count against the node groups: each Addon states them (podFootprint), the capacity report reads them.
    const sources = new Set(dev.capacity.platform.pods.map((p) => p.source));
    for (const name of addons.keys()) assert.ok(sources.has(`addons/${name}`), `${name}'s pods are in the capacity report`);
    // The ALB terminates TLS with an ACM certificate; services get HTTPRoutes, which external-dns publishes.
    assert.ok(!installed.has("ingress-nginx"), "the default edge is the ALB Gateway");
    assert.ok(!installed.has("cert-manager"), "no cert-manager: the Gateway's certificate comes from ACM");
    assert.ok(dev.plan.resources.some((r) => r.type === "aws:acm/certificate:Certificate"), "an ACM certificate for the Gateway");
    assert.deepEqual(externalDnsSources(dev), ["gateway-httproute", "service"]);
    assert.ok(!installed.has("karpenter"), "cluster-autoscaler mode runs no Karpenter");
    assert.ok(!installed.has("istiod"), "the mesh is off by default");
});

test("dev behind ingress-nginx: ingress-nginx and cert-manager from pinned charts, external-dns on Ingresses", async () => {
    const dev = await plan(behindNginx(withNodes({})), "dev");
    const installed = releases(dev);
    for (const name of ["ingress-nginx", "cert-manager"]) {
        assert.ok(installed.has(name), `${name} installed`);
        assert.match(String(installed.get(name)!.inputs.version), PINNED, `${name} pinned`);
    }
    assert.equal(installed.get("cert-manager")!.inputs.version, "v1.21.1");
    assert.ok(dev.plan.resources.some((r) => r.type === "kubernetes:cert-manager.io/v1:ClusterIssuer"), "the letsencrypt ClusterIssuer");
    assert.deepEqual(externalDnsSources(dev), ["ingress", "service"]);
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

const namespaceLabels = (stack: PlannedStack) => new Map(stack.plan.resources.filter((r) => r.type === "kubernetes:core/v1:Namespace")
    .map((r) => [(r.outputs.metadata as any).name, (r.outputs.metadata as any).labels ?? {}]));
/** NetworkPolicies are enforced (VPC CNI): a sidecar that cannot reach istiod never gets ready. */
function assertMeshNetworkPolicy(stack: PlannedStack): void {
    const policy = stack.plan.resources.find((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy")!.inputs.spec as any;
    assert.ok(policy.egress.some((e: any) => e.to?.[0]?.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] === "istio-system" && !e.ports), "egress to the mesh namespace");
    assert.ok(policy.ingress.some((i: any) => i.ports?.[0]?.port === 15020), "Prometheus scrapes the merged sidecar metrics");
}
const withMesh = (values: Values): Values => ({ ...values, "eks-delivery:mesh": { enabled: true } });
/**
 * The mesh's pods (istiod at its HPA maximum, the CNI agent on every node, Kiali, Jaeger, a sidecar per
 * ingress-nginx pod, and a sidecar in every app pod) count against the node group (capacity-fits): dev's
 * maxSize 8 holds the default platform only, so these plans get the nodes they need.
 */
const MESH_GATEWAY_NODES = { maxSize: 10 };
const MESH_NGINX_NODES = { maxSize: 12 };
const PEER_AUTHENTICATION = "kubernetes:security.istio.io/v1:PeerAuthentication";

test("mesh: Istio with STRICT mTLS, Kiali and tracing; the apps join it, and the Gateway's ALB reaches them in plain HTTP", async () => {
    const stack = await plan(withMesh(withNodes(MESH_GATEWAY_NODES)), "dev");
    const installed = releases(stack);
    for (const name of ["istio-base", "istio-cni", "istiod", "kiali", "jaeger"]) assert.ok(installed.has(name), name);
    const sources = new Set(stack.capacity.platform.pods.map((p) => p.source));
    for (const name of ["istio-cni", "istiod", "kiali", "jaeger"]) assert.ok(sources.has(`addons/${name}`), `${name}'s pods are in the capacity report`);
    const peers = stack.plan.resources.filter((r) => r.type === PEER_AUTHENTICATION).map((r) => r.outputs as any);
    const meshWide = peers.filter((p) => p.metadata.namespace === "istio-system");
    assert.equal(meshWide.length, 1);
    assert.deepEqual(meshWide[0].spec, { mtls: { mode: "STRICT" } }, "mesh-wide STRICT mTLS");
    assert.equal(namespaceLabels(stack).get("dev")["istio-injection"], "enabled");
    assert.ok(!namespaceLabels(stack).has("ingress-nginx"), "no ingress-nginx behind the Gateway");
    // The ALB is not a mesh client: each routed service's port also takes plain HTTP; the rest stays STRICT.
    const routes = stack.plan.resources.filter((r) => r.type === "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute" && (r.outputs as any).metadata.namespace === "dev");
    assert.ok(routes.length > 0, "services are routed through the Gateway");
    for (const route of routes) {
        const { name, namespace } = (route.outputs as any).metadata;
        const peer = peers.find((p) => p.metadata.namespace === namespace && p.metadata.name === name);
        assert.ok(peer, `${namespace}/${name} has its PeerAuthentication`);
        assert.equal(peer.spec.mtls.mode, "STRICT", name);
        assert.ok(peer.spec.selector?.matchLabels, `${name}: only its pods`);
        assert.deepEqual(Object.values(peer.spec.portLevelMtls ?? {}), [{ mode: "PERMISSIVE" }], `${name}: plain HTTP on the service port only`);
    }
    assertMeshNetworkPolicy(stack);
    assert.equal(stack.violations.length, 0, stack.violations.map((v) => v.message).join("; "));
});

test("mesh behind ingress-nginx: the apps and the ingress controller join it", async () => {
    const stack = await plan(withMesh(behindNginx(withNodes(MESH_NGINX_NODES))), "dev");
    const installed = releases(stack);
    for (const name of ["istio-base", "istio-cni", "istiod", "kiali", "jaeger", "ingress-nginx"]) assert.ok(installed.has(name), name);
    const peer = stack.plan.resources.find((r) => r.type === PEER_AUTHENTICATION)!;
    assert.equal((peer.inputs.spec as any).mtls.mode, "STRICT");
    const namespaces = namespaceLabels(stack);
    assert.equal(namespaces.get("dev")["istio-injection"], "enabled");
    assert.equal(namespaces.get("ingress-nginx")["istio-injection"], "enabled");
    const ingress = stack.plan.resources.find((r) => r.type === "kubernetes:networking.k8s.io/v1:Ingress")!;
    assert.equal((ingress.outputs.metadata as any).annotations["nginx.ingress.kubernetes.io/service-upstream"], "true");
    assertMeshNetworkPolicy(stack);
    assert.equal(stack.violations.length, 0, stack.violations.map((v) => v.message).join("; "));
});

/**
 * Actions AWS offers no resource-level scoping for (reads and discovery); iam:ListInstanceProfiles is
 * granted on `*` by Karpenter's own reference policy (AllowUnscopedInstanceProfileListAction, v1.14).
 */
const UNSCOPABLE = /^(ec2:(Describe|Get)|elasticloadbalancing:Describe|autoscaling:Describe|route53:List(HostedZones|HostedZonesByName)$|pricing:|acm:(List|Describe)|wafv2:Get|shield:Get|eks:Describe|iam:GetInstanceProfile|iam:ListInstanceProfiles$|sqs:GetQueueUrl)/;

test("add-on IAM policies name no * resource where AWS allows scoping, and trust only their service account", async () => {
    // Both node autoscalers, and both edges (cert-manager's role exists behind ingress-nginx only).
    for (const values of [withNodes({ autoscaler: "cluster-autoscaler" }), behindNginx(withNodes({ autoscaler: "karpenter" }))]) {
        const stack = await plan(values, "dev");
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
