/** The platform add-ons one by one, under mocks: pinned charts, scoped IAM, HA values, CRD ordering. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Plan, PlannedResource } from "../tools/plan/plan";
import { MetricsServer, METRICS_SERVER_CHART } from "../infra/addons/metrics-server";
import { IngressNginx, INGRESS_NGINX_CHART, NLB_ANNOTATIONS } from "../infra/addons/ingress-nginx";
import { AwsLoadBalancerController, AWS_LOAD_BALANCER_CONTROLLER_CHART } from "../infra/addons/aws-load-balancer-controller";
import { ExternalDns, EXTERNAL_DNS_CHART } from "../infra/addons/external-dns";
import { CertManager, CERT_MANAGER_CHART } from "../infra/addons/cert-manager";
import { ExternalSecrets, EXTERNAL_SECRETS_CHART } from "../infra/addons/external-secrets";
import { Reloader, RELOADER_CHART } from "../infra/addons/reloader";
import { podIdentityTrustPolicy } from "../infra/addons/iam";
import type { Chart } from "../infra/addons/helm";
import { addonContext, assertPodIdentity, planComponent, podIdentity } from "./support";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const byType = (plan: Plan, type: string) => plan.resources.filter((r) => r.type === type);
function release(plan: Plan, chart: Chart): PlannedResource {
    const [r] = byType(plan, RELEASE);
    assert.equal(r.inputs.chart, chart.chart);
    assert.equal(r.inputs.version, chart.version);
    assert.match(chart.version, /^v?\d+\.\d+\.\d+$/, "an exact version");
    assert.equal((r.inputs.repositoryOpts as any)?.repo, chart.repo);
    assert.equal(r.inputs.atomic, true);
    return r;
}
const resourcesOf = (s: any): string[] => [s.Resource].flat();

test("Pod Identity trust: only EKS Auth, only for one service account of one cluster", () => {
    const trust = JSON.parse(podIdentityTrustPolicy("arn:aws:eks:r:1:cluster/c", "ns", "sa"));
    assert.deepEqual(trust.Statement[0].Principal, { Service: "pods.eks.amazonaws.com" });
    assert.deepEqual(trust.Statement[0].Action, ["sts:AssumeRole", "sts:TagSession"]);
    assert.deepEqual(trust.Statement[0].Condition.StringEquals, {
        "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:r:1:cluster/c",
        "aws:RequestTag/kubernetes-namespace": "ns",
        "aws:RequestTag/kubernetes-service-account": "sa",
    });
});

test("metrics-server: pinned, two replicas, a PDB, its own namespace", async () => {
    const plan = await planComponent(() => { new MetricsServer("metrics-server", { ctx: addonContext() }); });
    const values = release(plan, METRICS_SERVER_CHART).inputs.values as any;
    assert.equal(values.replicas, 2);
    assert.equal(values.podDisruptionBudget.enabled, true);
    assert.ok(values.resources.requests.cpu && values.resources.limits.memory);
    assert.equal((byType(plan, "kubernetes:core/v1:Namespace")[0].inputs.metadata as any).name, "metrics-server");
});

test("ingress-nginx: NLB annotations, >= 2 replicas spread over nodes and zones, PDB, the nginx class", async () => {
    const plan = await planComponent(() => { new IngressNginx("ingress-nginx", { ctx: addonContext(), serviceMonitor: true, mesh: false }); });
    const c = (release(plan, INGRESS_NGINX_CHART).inputs.values as any).controller;
    assert.deepEqual(c.service.annotations, NLB_ANNOTATIONS);
    assert.equal(c.service.annotations["service.beta.kubernetes.io/aws-load-balancer-type"], "external");
    assert.equal(c.service.annotations["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"], "ip");
    assert.ok(c.replicaCount >= 2 && c.autoscaling.minReplicas >= 2);
    assert.equal(c.minAvailable, 1);
    assert.deepEqual(c.topologySpreadConstraints.map((t: any) => t.topologyKey), ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
    assert.equal(c.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey, "kubernetes.io/hostname");
    assert.equal(c.ingressClassResource.name, "nginx");
    const prod = await planComponent(() => { new IngressNginx("ingress-nginx", { ctx: addonContext("prod"), serviceMonitor: true, mesh: false }); }, "prod");
    assert.equal((byType(prod, RELEASE)[0].inputs.values as any).controller.replicaCount, 3);
});

test("aws-load-balancer-controller: Pod Identity for its service account, mutations only on this cluster's load balancers", async () => {
    const plan = await planComponent(() => { new AwsLoadBalancerController("aws-load-balancer-controller", { ctx: addonContext() }); });
    const values = release(plan, AWS_LOAD_BALANCER_CONTROLLER_CHART).inputs.values as any;
    assert.equal(values.clusterName, "eks-delivery-dev");
    assert.equal(values.serviceAccount.annotations, undefined, "Pod Identity, not an IRSA annotation");
    const { statements } = podIdentity(plan);
    assertPodIdentity(plan, "aws-load-balancer-controller", "aws-load-balancer-controller");
    for (const s of statements.filter((s) => s.Action.some((a: string) => /:(Create|Delete|Modify|Set|Register|Deregister|Authorize|Revoke|Add|Remove)/.test(a) && a !== "iam:CreateServiceLinkedRole"))) {
        assert.ok(!resourcesOf(s).includes("*"), `${s.Sid} names no * resource`);
        assert.ok(s.Condition || resourcesOf(s).some((r) => r.endsWith(":vpc/vpc-0123456789abcdef0")), `${s.Sid} is conditioned on the cluster tag or limited to this VPC`);
    }
});

test("external-dns: records only in the stack's zone, owned by this cluster", async () => {
    const plan = await planComponent(() => { new ExternalDns("external-dns", { ctx: addonContext(), zone: "dev.example.com" }); });
    const values = release(plan, EXTERNAL_DNS_CHART).inputs.values as any;
    assert.deepEqual(values.domainFilters, ["dev.example.com"]);
    assert.equal(values.txtOwnerId, "eks-delivery-dev");
    assert.equal(values.policy, "sync", "deletes what it published, and only that (owner id)");
    assert.match(values.extraArgs[0], /^--zone-id-filter=Z[0-9A-F]{20}$/);
    const { statements } = podIdentity(plan);
    assertPodIdentity(plan, "external-dns", "external-dns");
    const change = statements.find((s) => s.Action.includes("route53:ChangeResourceRecordSets"));
    assert.match(String(change.Resource), /^arn:aws:route53:::hostedzone\/Z[0-9A-F]{20}$/);
    assert.deepEqual(statements.filter((s) => resourcesOf(s).includes("*")).flatMap((s) => s.Action), ["route53:ListHostedZones"]);
});

test("cert-manager: DNS-01 in the zone, and the letsencrypt ClusterIssuer after its CRDs", async () => {
    const plan = await planComponent(() => {
        new CertManager("cert-manager", { ctx: addonContext(), zone: "dev.example.com", zoneId: "ZONE1", zoneArn: "arn:aws:route53:::hostedzone/ZONE1" });
    });
    const values = release(plan, CERT_MANAGER_CHART).inputs.values as any;
    assert.equal(values.crds.enabled, true);
    assert.equal(values.replicaCount, 2);
    assert.equal(values.webhook.replicaCount, 2);
    const { statements } = podIdentity(plan);
    assertPodIdentity(plan, "cert-manager", "cert-manager");
    assert.deepEqual(statements.find((s) => s.Action.includes("route53:ChangeResourceRecordSets")).Resource, "arn:aws:route53:::hostedzone/ZONE1");
    const issuer = byType(plan, "kubernetes:cert-manager.io/v1:ClusterIssuer")[0];
    assert.equal((issuer.inputs.metadata as any).name, "letsencrypt");
    assert.deepEqual((issuer.inputs.spec as any).acme.solvers[0].dns01.route53.hostedZoneID, "ZONE1");
});

test("external-secrets: the ClusterSecretStore, reading exactly the declared secrets", async () => {
    const plan = await planComponent(() => { new ExternalSecrets("external-secrets", { ctx: addonContext(), secretNames: ["dev/api", "dev/grafana-admin", "dev/api"] }); });
    release(plan, EXTERNAL_SECRETS_CHART);
    const { statements } = podIdentity(plan);
    assertPodIdentity(plan, "external-secrets", "external-secrets");
    assert.deepEqual(statements[0].Resource, [
        "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:dev/api-??????",
        "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:dev/grafana-admin-??????",
    ]);
    const store = byType(plan, "kubernetes:external-secrets.io/v1:ClusterSecretStore")[0];
    assert.equal((store.inputs.metadata as any).name, "aws-secrets-manager");
    assert.equal((store.inputs.spec as any).provider.aws.service, "SecretsManager");
});

test("reloader: HA, restricted, rolling on secret changes", async () => {
    const plan = await planComponent(() => { new Reloader("reloader", { ctx: addonContext() }); });
    const values = (release(plan, RELOADER_CHART).inputs.values as any).reloader;
    assert.equal(values.enableHA, true);
    assert.equal(values.deployment.replicas, 2);
    assert.equal(values.deployment.securityContext.runAsNonRoot, true);
});
