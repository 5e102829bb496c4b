import { test } from "node:test";
import assert from "node:assert/strict";
import { costReport } from "../policies/cost";
import { loadInstanceCatalog } from "../policies/lib/instanceTypes";
import type { StackResource } from "../policies/framework";

const catalog = loadInstanceCatalog();
const r = (type: string, name: string, props: Record<string, unknown>): StackResource => ({ type, name, urn: `urn:${type}::${name}`, props });
const stack = (supportType?: string): StackResource[] => [
    r("eks:index:Cluster", "cluster", { ...(supportType ? { upgradePolicy: { supportType } } : {}), enabledClusterLogTypes: ["api", "audit"] }),
    r("aws:ec2/launchTemplate:LaunchTemplate", "lt", { blockDeviceMappings: [{ ebs: { volumeSize: 50, volumeType: "gp3" } }] }),
    r("aws:eks/nodeGroup:NodeGroup", "nodes", { instanceTypes: ["t3.medium"], scalingConfig: { minSize: 2, maxSize: 8 }, launchTemplate: { id: "x" } }),
    r("awsx:ec2:Vpc", "vpc", { natGateways: { strategy: "OnePerAz" }, numberOfAvailabilityZones: 3 }),
    r("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gw", { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "edge", namespace: "edge" } }),
    r("kubernetes:core/v1:Service", "svc", { apiVersion: "v1", kind: "Service", metadata: { name: "tcp", namespace: "a" }, spec: { type: "LoadBalancer" } }),
    r("kubernetes:apps/v1:StatefulSet", "db", { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "db", namespace: "a" },
        spec: { replicas: 3, volumeClaimTemplates: [{ spec: { resources: { requests: { storage: "10Gi" } } } }] } }),
    r("aws:kms/key:Key", "key", {}),
    r("aws:cloudwatch/logGroup:LogGroup", "logs", { retentionInDays: 90 }),
];
const item = (report: ReturnType<typeof costReport>, id: string) => report.items.find((i) => i.id === id);

test("every item is counted from the resources, at minimum and at peak, with ap-northeast-2 prices", () => {
    const report = costReport(stack("STANDARD"), catalog, { region: "ap-northeast-2", hoursPerMonth: 730 });
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
    assert.match(report.firstLine, /^Prices: ap-northeast-2 list prices \(read 2026-11-27\).*at us-east-1 prices \(no ap-northeast-2 fact vendored: .*nat-gateway/);
    assert.ok(report.notCounted.some((n) => /CloudWatch Logs .*api, audit.*logsGiBPerMonth/.test(n)));
    assert.ok(report.items.every((i) => i.source && i.source !== "none"));
});

test("extended support costs six times standard; EKS's default without an upgrade policy is extended", () => {
    const std = item(costReport(stack("STANDARD"), catalog, { region: "ap-northeast-2", hoursPerMonth: 730 }), "eks-control-plane")!;
    const ext = item(costReport(stack("EXTENDED"), catalog, { region: "ap-northeast-2", hoursPerMonth: 730 }), "eks-control-plane")!;
    const unset = item(costReport(stack(), catalog, { region: "ap-northeast-2", hoursPerMonth: 730 }), "eks-control-plane")!;
    assert.equal(std.priceId, "eks-control-plane-standard");
    assert.equal(ext.monthlyUsd.max, 438);
    assert.equal(unset.priceId, "eks-control-plane-extended");
});

test("another region: us-east-1 prices, said on the first line", () => {
    const report = costReport(stack("STANDARD"), catalog, { region: "eu-west-3", hoursPerMonth: 730 });
    assert.equal(report.firstLine, "Prices: us-east-1 list prices: no facts vendored for eu-west-3");
    assert.equal(report.pricesFrom, "us-east-1");
    assert.equal(item(report, "nodes/nodes")?.usdPerUnit, 0.0416);
});

test("overrides by instance type and by price id replace the list price and are listed", () => {
    const report = costReport(stack("STANDARD"), catalog, { region: "ap-northeast-2", hoursPerMonth: 730, prices: { "t3.medium": 0.04, "nat-gateway": 0.03, "m6i.large": 0.1 } });
    assert.equal(item(report, "nodes/nodes")?.usdPerUnit, 0.04);
    assert.equal(item(report, "nodes/nodes")?.priceRegion, "override");
    assert.equal(item(report, "nat-gateway")?.monthlyUsd.max, 65.7);
    assert.deepEqual(report.overrides.map((o) => [o.key, o.items]), [["m6i.large", []], ["nat-gateway", ["nat-gateway"]], ["t3.medium", ["nodes/nodes"]]]);
    assert.match(report.firstLine, /2 price\(s\) overridden by eks-delivery:cost\.prices \(nat-gateway, t3\.medium\)$/);
});

test("logs are counted when the stack states their volume", () => {
    const report = costReport(stack("STANDARD"), catalog, { region: "ap-northeast-2", hoursPerMonth: 730, logsGiBPerMonth: 10 });
    assert.equal(item(report, "logs-ingestion")?.monthlyUsd.max, 5);
    assert.ok(item(report, "logs-storage")!.quantity.max > 29);
});

test("bad eks-delivery:cost.prices keys and values are refused with one line each", async () => {
    const { readStackFile } = await import("../config/stackFile");
    const { validateStackConfig, PROJECT_ROOT } = await import("../config");
    const file = readStackFile(`${PROJECT_ROOT}/Pulumi.dev.yaml`);
    const values = { ...file.values, "eks-delivery:cost": { hoursPerMonth: 730, prices: { "t3.mediun": 0.04, "nat-gateway": -1, "alb": "cheap" } } };
    const validate = () => validateStackConfig(values, { project: "eks-delivery", stack: "dev", catalog, projectRoot: PROJECT_ROOT });
    assert.throws(validate, (err: Error) => {
        const lines = err.message.split("\n");
        assert.ok(lines.some((l) => /eks-delivery:cost\.prices\.t3\.mediun: is neither an instance type nor a price id .*did you mean t3\.medium\?$/.test(l)), err.message);
        assert.ok(lines.some((l) => /eks-delivery:cost\.prices\.nat-gateway: -1 is negative$/.test(l)), err.message);
        assert.ok(lines.some((l) => /eks-delivery:cost\.prices\.alb: "cheap" is not a number$/.test(l)), err.message);
        return true;
    });
});
