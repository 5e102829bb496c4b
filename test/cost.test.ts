import { test } from "node:test";
import assert from "node:assert/strict";
import { costReport } from "../policies/cost";
import { loadInstanceCatalog } from "../policies/lib/instanceTypes";
import type { StackResource } from "../policies/framework";

const catalog = loadInstanceCatalog();
const r = (type: string, name: string, props: Record<string, unknown>): StackResource => ({ type, name, urn: `urn:${type}::${name}`, props });
const TODAY = "2026-11-27";
const stack = (supportType?: string, version = "1.36"): StackResource[] => [
    r("eks:index:Cluster", "cluster", { version, ...(supportType ? { upgradePolicy: { supportType } } : {}), enabledClusterLogTypes: ["api", "audit"] }),
    r("aws:ec2/launchTemplate:LaunchTemplate", "lt", { blockDeviceMappings: [{ ebs: { volumeSize: 50, volumeType: "gp3" } }] }),
    r("aws:eks/nodeGroup:NodeGroup", "nodes", { instanceTypes: ["t3.medium"], scalingConfig: { minSize: 2, maxSize: 8 }, launchTemplate: { id: "x" } }),
    r("awsx:ec2:Vpc", "vpc", { natGateways: { strategy: "OnePerAz" }, numberOfAvailabilityZones: 3 }),
    r("kubernetes:apiextensions.k8s.io:CustomResource", "class", { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: "alb" }, spec: { controllerName: "gateway.k8s.aws/alb" } }),
    r("kubernetes:apiextensions.k8s.io:CustomResource", "lbc", { apiVersion: "gateway.k8s.aws/v1", kind: "LoadBalancerConfiguration", metadata: { name: "edge", namespace: "edge" }, spec: { scheme: "internet-facing" } }),
    r("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gw", { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "edge", namespace: "edge" },
        spec: { gatewayClassName: "alb", infrastructure: { parametersRef: { group: "gateway.k8s.aws", kind: "LoadBalancerConfiguration", name: "edge" } } } }),
    r("kubernetes:core/v1:Service", "svc", { apiVersion: "v1", kind: "Service", metadata: { name: "tcp", namespace: "a" }, spec: { type: "LoadBalancer" } }),
    r("kubernetes:apps/v1:StatefulSet", "db", { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "db", namespace: "a" },
        spec: { replicas: 3, volumeClaimTemplates: [{ spec: { resources: { requests: { storage: "10Gi" } } } }] } }),
    r("aws:kms/key:Key", "key", {}),
    r("aws:cloudwatch/logGroup:LogGroup", "logs", { retentionInDays: 90 }),
];
const item = (report: ReturnType<typeof costReport>, id: string) => report.items.find((i) => i.id === id);

test("every item is counted from the resources, at minimum and at peak, with ap-northeast-2 prices", () => {
    const report = costReport(stack("STANDARD"), catalog, { region: "ap-northeast-2", hoursPerMonth: 730, today: TODAY });
    assert.deepEqual(item(report, "nodes/nodes")?.quantity, { min: 2, max: 8 });
    assert.equal(item(report, "nodes/nodes")?.usdPerUnit, 0.052);
    assert.equal(item(report, "nodes/nodes")?.priceRegion, "ap-northeast-2");
    assert.deepEqual(item(report, "nodes/nodes")?.monthlyUsd, { min: 75.92, max: 303.68 });
    assert.deepEqual(item(report, "ebs-node-volumes")?.quantity, { min: 100, max: 400 });
    assert.deepEqual(item(report, "nat-gateway")?.quantity, { min: 3, max: 3 });
    assert.deepEqual(item(report, "alb")?.quantity, { min: 1, max: 1 });
    assert.deepEqual(item(report, "nlb")?.quantity, { min: 1, max: 1 });
    assert.deepEqual(item(report, "ebs-persistent-volumes")?.quantity, { min: 30, max: 30 });
    assert.deepEqual(item(report, "kms-keys")?.quantity, { min: 1, max: 1 });
    assert.equal(item(report, "eks-control-plane")?.monthlyUsd.max, 73);
    assert.ok(report.monthlyUsd.max > report.monthlyUsd.min);
    assert.equal(report.monthlyUsd.min, Math.round(report.items.reduce((s, i) => s + i.monthlyUsd.min, 0) * 100) / 100);
    // The stand-ins first, then the region's own prices.
    assert.match(report.firstLine, /^Prices: \d+ price\(s\) at us-east-1 prices \(no ap-northeast-2 fact vendored: [^)]*nat-gateway[^)]*\); the rest ap-northeast-2 list prices \(read 2026-11-27\)/);
    // One Elastic IP per NAT gateway; the internet-facing ALB at least one address per AZ (3).
    assert.deepEqual(item(report, "public-ipv4-nat")?.quantity, { min: 3, max: 3 });
    assert.deepEqual(item(report, "public-ipv4-load-balancers")?.quantity, { min: 3, max: 3 });
    assert.equal(item(report, "public-ipv4-nat")?.usdPerUnit, 0.005);
    assert.equal(item(report, "public-ipv4-nat")?.priceRegion, "*");
    assert.ok(report.notCounted.some((n) => /CloudWatch Logs .*api, audit.*logsGiBPerMonth/.test(n)));
    assert.ok(report.items.every((i) => i.source && i.source !== "none"));
});

test("extended support is billed only past standard support on an EXTENDED cluster (EKS's default)", () => {
    const plane = (supportType: string | undefined, version: string) =>
        item(costReport(stack(supportType, version), catalog, { region: "ap-northeast-2", hoursPerMonth: 730, today: TODAY }), "eks-control-plane")!;
    // 1.36 is in standard support until 2027-08-02: standard price whatever the support type.
    assert.equal(plane("EXTENDED", "1.36").priceId, "eks-control-plane-standard");
    assert.equal(plane(undefined, "1.36").priceId, "eks-control-plane-standard");
    assert.equal(plane("EXTENDED", "1.36").monthlyUsd.max, 73);
    // 1.32 left standard support on 2026-03-23: extended on an EXTENDED (or default) cluster, six times the price.
    assert.equal(plane("EXTENDED", "1.32").priceId, "eks-control-plane-extended");
    assert.equal(plane("EXTENDED", "1.32").monthlyUsd.max, 438);
    assert.equal(plane(undefined, "1.32").priceId, "eks-control-plane-extended");
    // A STANDARD cluster is upgraded by EKS instead: never the extended price.
    assert.equal(plane("STANDARD", "1.32").priceId, "eks-control-plane-standard");
    // A version not in the calendar: standard, and said so.
    const report = costReport(stack("EXTENDED", "1.99"), catalog, { region: "ap-northeast-2", hoursPerMonth: 730, today: TODAY });
    assert.equal(item(report, "eks-control-plane")?.priceId, "eks-control-plane-standard");
    assert.ok(report.notCounted.some((n) => /Kubernetes version 1\.99 is not in the EKS calendar .*priced at standard support/.test(n)), report.notCounted.join("\n"));
});

test("a Gateway is priced by its class's controller; an unknown class is listed, not counted", () => {
    const base = stack("STANDARD");
    const withClass = (controllerName: string) => base.map((x) => (x.name === "class" ? { ...x, props: { ...x.props, spec: { controllerName } } } : x));
    const options = { region: "ap-northeast-2", hoursPerMonth: 730, today: TODAY };
    const nlb = costReport(withClass("gateway.k8s.aws/nlb"), catalog, options);
    assert.equal(item(nlb, "alb"), undefined);
    assert.deepEqual(item(nlb, "nlb")?.quantity, { min: 2, max: 2 });
    const other = costReport(withClass("example.com/gateway"), catalog, options);
    assert.equal(item(other, "alb"), undefined);
    assert.deepEqual(item(other, "nlb")?.quantity, { min: 1, max: 1 });
    assert.ok(other.notCounted.some((n) => n.includes("edge/edge (class alb, controller example.com/gateway)")), other.notCounted.join("\n"));
    const undeclared = costReport(base.filter((x) => x.name !== "class"), catalog, options);
    assert.equal(item(undeclared, "alb"), undefined);
    // An internal Gateway (no internet-facing scheme) has no public addresses.
    const internal = costReport(base.filter((x) => x.name !== "lbc"), catalog, options);
    assert.equal(item(internal, "public-ipv4-load-balancers"), undefined);
});

test("NAT gateways follow the VPC's availabilityZoneNames, then numberOfAvailabilityZones", () => {
    const vpc = (props: Record<string, unknown>) => stack("STANDARD").map((x) => (x.name === "vpc" ? { ...x, props } : x));
    const options = { region: "ap-northeast-2", hoursPerMonth: 730, today: TODAY };
    const nat = (props: Record<string, unknown>) => item(costReport(vpc(props), catalog, options), "nat-gateway")?.quantity.max;
    assert.equal(nat({ availabilityZoneNames: ["ap-northeast-2a", "ap-northeast-2c"], numberOfAvailabilityZones: 3 }), 2);
    assert.equal(nat({ numberOfAvailabilityZones: 2 }), 2);
    assert.equal(nat({}), 3);
    assert.equal(nat({ natGateways: { strategy: "Single" }, availabilityZoneNames: ["a", "b"] }), 1);
});

test("Route 53 health checks are listed as not counted", () => {
    const check = r("aws:route53/healthCheck:HealthCheck", "hc", { type: "HTTPS", requestInterval: 10 });
    const report = costReport([...stack("STANDARD"), check], catalog, { region: "ap-northeast-2", hoursPerMonth: 730, today: TODAY });
    assert.ok(report.notCounted.some((n) => /^1 Route 53 health check\(s\) \(HTTPS every 10 s\)/.test(n)), report.notCounted.join("\n"));
});

test("another region: us-east-1 prices, said on the first line", () => {
    const report = costReport(stack("STANDARD"), catalog, { region: "eu-west-3", hoursPerMonth: 730, today: TODAY });
    assert.equal(report.firstLine, "Prices: us-east-1 list prices: no facts vendored for eu-west-3");
    assert.equal(report.pricesFrom, "us-east-1");
    assert.equal(item(report, "nodes/nodes")?.usdPerUnit, 0.0416);
});

test("overrides by instance type and by price id replace the list price and are listed", () => {
    const report = costReport(stack("STANDARD"), catalog, { region: "ap-northeast-2", hoursPerMonth: 730, today: TODAY, prices: { "t3.medium": 0.04, "nat-gateway": 0.03, "m6i.large": 0.1 } });
    assert.equal(item(report, "nodes/nodes")?.usdPerUnit, 0.04);
    assert.equal(item(report, "nodes/nodes")?.priceRegion, "override");
    assert.equal(item(report, "nat-gateway")?.monthlyUsd.max, 65.7);
    assert.deepEqual(report.overrides.map((o) => [o.key, o.items]), [["m6i.large", []], ["nat-gateway", ["nat-gateway"]], ["t3.medium", ["nodes/nodes"]]]);
    assert.match(report.firstLine, /2 price\(s\) overridden by eks-delivery:cost\.prices \(nat-gateway, t3\.medium\)$/);
});

test("logs are counted when the stack states their volume", () => {
    const report = costReport(stack("STANDARD"), catalog, { region: "ap-northeast-2", hoursPerMonth: 730, today: TODAY, logsGiBPerMonth: 10 });
    assert.equal(item(report, "logs-ingestion")?.monthlyUsd.max, 5);
    assert.ok(item(report, "logs-storage")!.quantity.max > 29);
});

test("bad eks-delivery:cost.prices keys and values are refused with one line each", async () => {
    const { readStackFile } = await import("../config/stackFile");
    const { validateStackConfig, PROJECT_ROOT } = await import("../config");
    const file = readStackFile(`${PROJECT_ROOT}/Pulumi.dev.yaml`);
    const values = { ...file.values, "eks-delivery:cost": { hoursPerMonth: 730, today: TODAY, prices: { "t3.mediun": 0.04, "nat-gateway": -1, "alb": "cheap" } } };
    const validate = () => validateStackConfig(values, { project: "eks-delivery", stack: "dev", catalog, projectRoot: PROJECT_ROOT });
    assert.throws(validate, (err: Error) => {
        const lines = err.message.split("\n");
        assert.ok(lines.some((l) => /eks-delivery:cost\.prices\.t3\.mediun: is neither an instance type nor a price id .*did you mean t3\.medium\?$/.test(l)), err.message);
        assert.ok(lines.some((l) => /eks-delivery:cost\.prices\.nat-gateway: -1 is negative$/.test(l)), err.message);
        assert.ok(lines.some((l) => /eks-delivery:cost\.prices\.alb: "cheap" is not a number$/.test(l)), err.message);
        return true;
    });
});
