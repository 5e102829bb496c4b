/** The platform add-ons one by one, under mocks: pinned charts, scoped IAM, HA values, CRD ordering. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Plan, PlannedResource } from "../tools/plan/plan";
import { metricsServer, METRICS_SERVER } from "../infra/addons/metrics-server";
import { ingressNginx, INGRESS_NGINX, NLB_ANNOTATIONS } from "../infra/addons/ingress-nginx";
import { awsLoadBalancerController, AWS_LOAD_BALANCER_CONTROLLER } from "../infra/addons/aws-load-balancer-controller";
import { externalDns, externalDnsSources, EXTERNAL_DNS } from "../infra/addons/external-dns";
import { certManager, CERT_MANAGER } from "../infra/addons/cert-manager";
import { externalSecrets, EXTERNAL_SECRETS } from "../infra/addons/external-secrets";
import { reloader, RELOADER } from "../infra/addons/reloader";
import { podIdentityTrustPolicy } from "../infra/addons/iam";
import type { AddonSpec } from "../infra/addons/addon";
import { POD_FOOTPRINT_OUTPUT } from "../policies/lib/conventions";
import { addonContext, assertPodIdentity, planComponent, podIdentity } from "./support";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const ADDON = "eks-delivery:addons:Addon";
const byType = (plan: Plan, type: string) => plan.resources.filter((r) => r.type === type);
/** The add-on's one release: named after the add-on, in its namespace, of the pinned chart, under its Addon component. */
function release(plan: Plan, spec: AddonSpec): PlannedResource {
    const releases = byType(plan, RELEASE);
    assert.equal(releases.length, 1, "one release");
    const [r] = releases;
    const { chart } = spec;
    assert.equal(r.inputs.name, spec.name, "the release is named after the add-on");
    assert.equal(r.inputs.namespace, spec.namespace);
    const component = byType(plan, ADDON).find((c) => c.name === spec.name);
    assert.ok(component, `an ${ADDON} named ${spec.name}`);
    assert.equal(r.parent, component.urn, "the release is the Addon component's");
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
    const plan = await planComponent(() => { metricsServer(addonContext(), {}); });
    const values = release(plan, METRICS_SERVER).inputs.values as any;
    assert.equal(values.replicas, 2);
    assert.equal(values.podDisruptionBudget.enabled, true);
    assert.ok(values.resources.requests.cpu && values.resources.limits.memory);
    assert.equal((byType(plan, "kubernetes:core/v1:Namespace")[0].inputs.metadata as any).name, "metrics-server");
});

test("Addon: the component states its chart and the pods its release runs (podFootprint), after the stack's overrides", async () => {
    const plan = await planComponent(() => { metricsServer(addonContext(), {}); });
    const component = byType(plan, ADDON).find((c) => c.name === "metrics-server")!;
    const outputs = component.outputs as any;
    assert.equal(outputs.chart, METRICS_SERVER.chart.chart);
    assert.equal(outputs.version, METRICS_SERVER.chart.version);
    assert.equal(outputs.namespace, "metrics-server");
    // One Deployment: two replicas plus the rolling update's surge pod, 100m CPU and 200 MiB each.
    assert.deepEqual(outputs[POD_FOOTPRINT_OUTPUT], [
        { workload: "metrics-server/metrics-server", kind: "Deployment", replicas: 3, cpuMillicores: 100, memoryMiB: 200 },
    ]);

    // The footprint is read from the values the release gets: the stack's overrides count.
    const ctx = addonContext("dev", (v) => {
        v["eks-delivery:addons"] = { "metrics-server": { values: { replicas: 3, resources: { requests: { cpu: "250m", memory: "1Gi" } } } } };
    });
    const tuned = await planComponent(() => { metricsServer(ctx, {}); });
    const values = release(tuned, METRICS_SERVER).inputs.values as any;
    assert.equal(values.replicas, 3);
    assert.deepEqual(values.resources, { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "400Mi" } }, "merged the way Helm merges");
    assert.deepEqual((byType(tuned, ADDON)[0].outputs as any)[POD_FOOTPRINT_OUTPUT], [
        { workload: "metrics-server/metrics-server", kind: "Deployment", replicas: 4, cpuMillicores: 250, memoryMiB: 1024 },
    ]);
});

test("ingress-nginx: NLB annotations, an HPA from >= 2 replicas spread over nodes and zones, PDB, the nginx class", async () => {
    const plan = await planComponent(() => { ingressNginx(addonContext(), { serviceMonitor: true, mesh: false }, {}); });
    const c = (release(plan, INGRESS_NGINX).inputs.values as any).controller;
    assert.deepEqual(c.service.annotations, NLB_ANNOTATIONS);
    assert.equal(c.service.annotations["service.beta.kubernetes.io/aws-load-balancer-type"], "external");
    assert.equal(c.service.annotations["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"], "ip");
    // The HPA sets the count: no replicaCount beside it, and it never goes below two.
    assert.equal(c.autoscaling.enabled, true);
    assert.equal(c.replicaCount, undefined, "the HPA owns the replica count");
    assert.ok(c.autoscaling.minReplicas >= 2, `minReplicas ${c.autoscaling.minReplicas}`);
    assert.ok(c.autoscaling.maxReplicas >= c.autoscaling.minReplicas);
    assert.equal(c.minAvailable, 1);
    assert.deepEqual(c.topologySpreadConstraints.map((t: any) => t.topologyKey), ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
    assert.equal(c.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey, "kubernetes.io/hostname");
    assert.equal(c.ingressClassResource.name, "nginx");
    const prod = await planComponent(() => { ingressNginx(addonContext("prod"), { serviceMonitor: true, mesh: false }, {}); }, "prod");
    const prodController = (release(prod, INGRESS_NGINX).inputs.values as any).controller;
    assert.equal(prodController.autoscaling.minReplicas, 3);
    assert.equal(prodController.replicaCount, undefined);
});

test("aws-load-balancer-controller: Pod Identity for its service account, mutations only on this cluster's load balancers", async () => {
    const plan = await planComponent(() => { awsLoadBalancerController(addonContext(), {}); });
    const r = release(plan, AWS_LOAD_BALANCER_CONTROLLER);
    const values = r.inputs.values as any;
    assert.equal(values.clusterName, "eks-delivery-dev");
    assert.equal(values.serviceAccount.annotations, undefined, "Pod Identity, not an IRSA annotation");
    // The program applies the CRDs (Helm would only on the first install); the ALB Gateway cannot be switched off at startup.
    assert.equal(r.inputs.skipCrds, true);
    assert.deepEqual(values.controllerConfig.featureGates, { ALBGatewayAPI: true, NLBGatewayAPI: false, GatewayListenerSet: false });
    assert.equal(values.keepTLSSecret, true, "the webhook certificate survives upgrades");
    const { statements } = podIdentity(plan);
    assertPodIdentity(plan, "aws-load-balancer-controller", "aws-load-balancer-controller");
    for (const s of statements.filter((s) => s.Action.some((a: string) => /:(Create|Delete|Modify|Set|Register|Deregister|Authorize|Revoke|Add|Remove)/.test(a) && a !== "iam:CreateServiceLinkedRole"))) {
        assert.ok(!resourcesOf(s).includes("*"), `${s.Sid} names no * resource`);
        assert.ok(s.Condition || resourcesOf(s).some((r) => r.endsWith(":vpc/vpc-0123456789abcdef0")), `${s.Sid} is conditioned on the cluster tag or limited to this VPC`);
    }
});

const ZONE = "dev.example.com";
const ZONE_ID = "Z0123456789ABCDEF0123";
const ZONE_ARN = `arn:aws:route53:::hostedzone/${ZONE_ID}`;

test("external-dns: records only in the stack's zone, owned by this cluster, from the edge's routes", async () => {
    const plan = await planComponent(() => { externalDns(addonContext(), { zone: ZONE, zoneId: ZONE_ID, zoneArn: ZONE_ARN }, {}); });
    const values = release(plan, EXTERNAL_DNS).inputs.values as any;
    assert.deepEqual(values.domainFilters, [ZONE]);
    assert.equal(values.txtOwnerId, "eks-delivery-dev");
    assert.equal(values.policy, "sync", "deletes what it published, and only that (owner id)");
    assert.equal(values.extraArgs[0], `--zone-id-filter=${ZONE_ID}`);
    // The default (gateway) edge: the Gateway's HTTPRoutes, and LoadBalancer Services with a hostname.
    assert.deepEqual(values.sources, ["gateway-httproute", "service"]);
    const { statements } = podIdentity(plan);
    assertPodIdentity(plan, "external-dns", "external-dns");
    const change = statements.find((s) => s.Action.includes("route53:ChangeResourceRecordSets"));
    assert.equal(change.Resource, ZONE_ARN);
    assert.deepEqual(statements.filter((s) => resourcesOf(s).includes("*")).flatMap((s) => s.Action), ["route53:ListHostedZones"]);

    const nginx = addonContext("dev", (v) => { v["eks-delivery:ingress"] = { controller: "nginx" }; });
    const behindNginx = await planComponent(() => { externalDns(nginx, { zone: ZONE, zoneId: ZONE_ID, zoneArn: ZONE_ARN }, {}); });
    assert.deepEqual((release(behindNginx, EXTERNAL_DNS).inputs.values as any).sources, ["ingress", "service"], "ingress-nginx's Ingresses");
});

test("external-dns sources follow the edge", () => {
    assert.deepEqual(externalDnsSources("gateway"), ["gateway-httproute", "service"]);
    assert.deepEqual(externalDnsSources("nginx"), ["ingress", "service"]);
});

test("cert-manager: DNS-01 in the zone, and the letsencrypt ClusterIssuer after its CRDs", async () => {
    const plan = await planComponent(() => {
        certManager(addonContext(), { zone: "dev.example.com", zoneId: "ZONE1", zoneArn: "arn:aws:route53:::hostedzone/ZONE1" }, {});
    });
    assert.equal(CERT_MANAGER.chart.version, "v1.21.1");
    const values = release(plan, CERT_MANAGER).inputs.values as any;
    assert.equal(values.crds.enabled, true);
    assert.equal(values.replicaCount, 2);
    assert.equal(values.webhook.replicaCount, 2);
    const { statements } = podIdentity(plan);
    assertPodIdentity(plan, "cert-manager", "cert-manager");
    assert.deepEqual(statements.find((s) => s.Action.includes("route53:ChangeResourceRecordSets")).Resource, "arn:aws:route53:::hostedzone/ZONE1");
    const issuer = byType(plan, "kubernetes:cert-manager.io/v1:ClusterIssuer")[0];
    assert.equal((issuer.inputs.metadata as any).name, "letsencrypt");
    assert.deepEqual((issuer.inputs.spec as any).acme.solvers[0].dns01.route53.hostedZoneID, "ZONE1");
    assert.ok(issuer.options?.dependsOn?.includes(byType(plan, RELEASE)[0].urn), "the ClusterIssuer waits for the release (its CRDs)");
});

test("external-secrets: the ClusterSecretStore, reading exactly the declared secrets", async () => {
    const plan = await planComponent(() => { externalSecrets(addonContext(), ["dev/api", "dev/grafana-admin", "dev/api"], {}); });
    release(plan, EXTERNAL_SECRETS);
    const { statements } = podIdentity(plan);
    assertPodIdentity(plan, "external-secrets", "external-secrets");
    assert.deepEqual(statements[0].Resource, [
        "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:dev/api-??????",
        "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:dev/grafana-admin-??????",
    ]);
    const store = byType(plan, "kubernetes:external-secrets.io/v1:ClusterSecretStore")[0];
    assert.equal((store.inputs.metadata as any).name, "aws-secrets-manager");
    assert.equal((store.inputs.spec as any).provider.aws.service, "SecretsManager");
    assert.ok(store.options?.dependsOn?.includes(byType(plan, RELEASE)[0].urn), "the store waits for the release (its CRDs)");
});

test("reloader: HA, restricted, rolling on secret changes", async () => {
    const plan = await planComponent(() => { reloader(addonContext(), {}); });
    const values = (release(plan, RELOADER).inputs.values as any).reloader;
    assert.equal(values.enableHA, true);
    assert.equal(values.deployment.replicas, 2);
    assert.equal(values.deployment.securityContext.runAsNonRoot, true);
});
