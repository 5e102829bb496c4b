/**
 * The Route53 weighted cutover (infra/edge/cutover.ts): two weighted records for one name, aliases or CNAMEs on
 * both sides, the legacy side's health check attached to its record, what Route53 refuses refused first, and
 * external-dns kept off exactly that name; moving the weights changes the two records and nothing else.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CLOUDFRONT_ZONE_ID, CNAME_TTL, cutoverConfigProblems, weightedGroupProblem, weightedRecords, type WeightedRecord } from "../infra/edge/cutover";
import { cutoverExclusionArgs } from "../infra/addons/external-dns";
import type { CutoverConfig } from "../config";
import type { PlannedStack } from "../tools/plan/planStack";
import { EMULATED_ACCOUNT_ID, EmulatedCloud } from "../tools/plan/emulatedCloud";
import { ofType, one, plan, stackValues, validate, type Values } from "./support";

const ZONE = "dev.example.com";
const RECORD = "www.dev.example.com";
const LEGACY_ALB = "legacy-web-1234567890.ap-northeast-2.elb.amazonaws.com";
/** The ALB canonical zone of ap-northeast-2 (terraform-provider-aws elbv2/hosted_zone_id_data_source.go). */
const ALB_ZONE = "ZWKZPGTI48KDX";
const EKS = { dnsName: "k8s-edge-public-0123456789-1111111111.ap-northeast-2.elb.amazonaws.com", zoneId: ALB_ZONE };

const config = (patch: Partial<CutoverConfig> = {}): CutoverConfig => ({
    record: RECORD,
    weights: { eks: 10, legacy: 90 },
    legacy: { dnsName: LEGACY_ALB, zoneId: ALB_ZONE },
    ...patch,
});

const withCutover = (cutover: Record<string, unknown> | undefined) => {
    const values: Values = stackValues("dev");
    if (cutover) values["eks-delivery:cutover"] = cutover;
    return values;
};
const cutoverValues = (weights: { eks: number; legacy: number }) => ({
    record: RECORD, weights, legacy: { dnsName: LEGACY_ALB, zoneId: ALB_ZONE }, healthCheckPath: "/healthz",
});

test("alias on both sides when the legacy target has a hosted zone: A records, set identifiers eks/legacy, the configured weights", () => {
    const [eks, legacy] = weightedRecords(config(), EKS);
    assert.deepEqual(eks, { side: "eks", name: RECORD, type: "A", setIdentifier: "eks", weight: 10, alias: { name: EKS.dnsName, zoneId: ALB_ZONE, evaluateTargetHealth: true } });
    assert.deepEqual(legacy, { side: "legacy", name: RECORD, type: "A", setIdentifier: "legacy", weight: 90, alias: { name: LEGACY_ALB, zoneId: ALB_ZONE, evaluateTargetHealth: true } });
    assert.equal(weightedGroupProblem(ZONE, [eks, legacy]), undefined);
    // CloudFront: Route53 refuses EvaluateTargetHealth on its alias.
    const [, cloudFront] = weightedRecords(config({ legacy: { dnsName: "d111111abcdef8.cloudfront.net", zoneId: CLOUDFRONT_ZONE_ID } }), EKS);
    assert.equal(cloudFront.alias?.evaluateTargetHealth, false);
});

test("CNAMEs on both sides when the legacy target has no hosted zone, with a TTL", () => {
    const records = weightedRecords(config({ legacy: { dnsName: "old.hosting.example.net" } }), EKS);
    assert.deepEqual(records.map((r) => [r.setIdentifier, r.type, r.records, r.ttl, r.alias]), [
        ["eks", "CNAME", [EKS.dnsName], CNAME_TTL, undefined],
        ["legacy", "CNAME", ["old.hosting.example.net"], CNAME_TTL, undefined],
    ]);
    assert.equal(weightedGroupProblem(ZONE, records), undefined);
});

test("health checks: an HTTPS check of the legacy target on healthCheckPath; the EKS alias takes the ALB's target health", () => {
    const [eks, legacy] = weightedRecords(config({ healthCheckPath: "/healthz" }), EKS);
    assert.deepEqual(legacy.healthCheck, { fqdn: LEGACY_ALB, resourcePath: "/healthz" });
    assert.equal(eks.healthCheck, undefined);
    assert.equal(eks.alias?.evaluateTargetHealth, true);
    assert.ok(weightedRecords(config(), EKS).every((r) => r.healthCheck === undefined), "no path, no health check");
});

test("what Route53 refuses is refused first, in one line: alias A mixed with a CNAME, a CNAME at the apex, all weights 0", () => {
    const [eks] = weightedRecords(config(), EKS);
    const [, cname] = weightedRecords(config({ legacy: { dnsName: "old.hosting.example.net" } }), EKS);
    const mixed = weightedGroupProblem(ZONE, [eks, cname]);
    assert.equal(mixed, "eks-delivery:cutover: www.dev.example.com: mixes eks alias A and legacy CNAME: Route53 needs one type for the whole group and a CNAME shares its name with nothing (give cutover.legacy.zoneId so both sides are aliases)");
    const apex = weightedRecords(config({ record: ZONE, legacy: { dnsName: "old.hosting.example.net" } }), EKS);
    assert.match(weightedGroupProblem(ZONE, apex) ?? "", /^eks-delivery:cutover: dev\.example\.com: is the zone apex, where Route53 refuses a CNAME/);
    const zero: WeightedRecord[] = weightedRecords(config({ weights: { eks: 0, legacy: 0 } }), EKS);
    assert.match(weightedGroupProblem(ZONE, zero) ?? "", /every weight is 0/);
    const cloudFrontHealth = weightedRecords(config({ legacy: { dnsName: "d111111abcdef8.cloudfront.net", zoneId: CLOUDFRONT_ZONE_ID } }), EKS);
    cloudFrontHealth[1].alias!.evaluateTargetHealth = true;
    assert.match(weightedGroupProblem(ZONE, cloudFrontHealth) ?? "", /aliases CloudFront, where Route53 refuses EvaluateTargetHealth/);
});

test("the config refuses a CNAME at the apex, and a record that is no service's host (the ALB would answer 404)", () => {
    assert.throws(() => validate(withCutover({ record: ZONE, weights: { eks: 0, legacy: 100 }, legacy: { dnsName: "old.hosting.example.net" } })),
        /eks-delivery:cutover\.legacy\.zoneId: is required for the zone apex/);
    const stray = validate(withCutover({ record: "shop.dev.example.com", weights: { eks: 0, legacy: 100 }, legacy: { dnsName: LEGACY_ALB, zoneId: ALB_ZONE } }));
    assert.deepEqual(cutoverConfigProblems(stray), ['eks-delivery:cutover.record: "shop.dev.example.com" is not the host of any service (api.dev.example.com, www.dev.example.com): the ALB would answer its share with 404']);
    assert.deepEqual(cutoverConfigProblems(validate(withCutover(cutoverValues({ eks: 10, legacy: 90 })))), []);
});

test("external-dns leaves exactly the cutover name alone: its subdomains, siblings and the apex stay managed, other zones stay out", () => {
    assert.deepEqual(cutoverExclusionArgs(ZONE, undefined), []);
    const args = cutoverExclusionArgs(ZONE, RECORD);
    assert.deepEqual(args, ["--regex-domain-filter=(^|\\.)dev\\.example\\.com$", "--regex-domain-exclusion=^www\\.dev\\.example\\.com$"]);
    // external-dns v0.21.0 matchRegex: excluded if the exclusion matches, else included if the filter matches
    // (endpoint/domain_filter.go:162-186). These patterns mean the same in Go's RE2 and here.
    const value = (flag: string) => new RegExp(args.find((a) => a.startsWith(`--${flag}=`))!.split("=")[1]);
    const managed = (name: string) => !value("regex-domain-exclusion").test(name) && value("regex-domain-filter").test(name);
    assert.equal(managed(RECORD), false);
    for (const name of ["api.dev.example.com", "a.www.dev.example.com", "wwwx.dev.example.com", ZONE, "a-www.dev.example.com"]) assert.equal(managed(name), true, name);
    for (const name of ["www.dev.example.com.evil.org", "xdev.example.com", "example.com"]) assert.equal(managed(name), false, name);
    // At the apex the exclusion matches the zone's own name: the zone is kept by matching its parent.
    assert.deepEqual(cutoverExclusionArgs(ZONE, ZONE).slice(1), ["--regex-domain-exclusion=^dev\\.example\\.com$", "--aws-zone-match-parent"]);
});

const byUrn = (p: PlannedStack) => new Map(p.plan.resources.map((r) => [r.urn, r]));
const externalDnsArgs = (p: PlannedStack) => ((one(p, "kubernetes:helm.sh/v3:Release", "external-dns").inputs.values as any).extraArgs as string[]);

test("dev with a cutover: two weighted alias records to the Gateway's ALB and the legacy ALB, the legacy health check attached, external-dns excluding the name", async () => {
    const planned = await plan(withCutover(cutoverValues({ eks: 10, legacy: 90 })));
    const weighted = ofType(planned, "aws:route53/record:Record").filter((r) => r.inputs.setIdentifier !== undefined);
    assert.deepEqual(weighted.map((r) => [r.inputs.setIdentifier, r.inputs.name, r.inputs.type, (r.inputs.weightedRoutingPolicies as any)[0].weight]).sort(),
        [["eks", RECORD, "A", 10], ["legacy", RECORD, "A", 90]]);
    const zoneIds = new Set(ofType(planned, "aws:route53/record:Record").map((r) => r.inputs.zoneId));
    assert.equal(zoneIds.size, 1, "in the stack's zone, as the certificate's validation records");
    const gateway = one(planned, "kubernetes:gateway.networking.k8s.io/v1:Gateway");
    const albDns = (gateway.outputs.status as any).addresses[0].value;
    assert.match(albDns, /^k8s-edge-public-[0-9a-f]{10}-\d{10}\.ap-northeast-2\.elb\.amazonaws\.com$/);
    const eks = weighted.find((r) => r.inputs.setIdentifier === "eks")!;
    const legacy = weighted.find((r) => r.inputs.setIdentifier === "legacy")!;
    assert.deepEqual(eks.inputs.aliases, [{ name: albDns, zoneId: ALB_ZONE, evaluateTargetHealth: true }]);
    assert.deepEqual(legacy.inputs.aliases, [{ name: LEGACY_ALB, zoneId: ALB_ZONE, evaluateTargetHealth: true }]);

    const check = one(planned, "aws:route53/healthCheck:HealthCheck");
    assert.deepEqual([check.inputs.type, check.inputs.fqdn, check.inputs.port, check.inputs.resourcePath, check.inputs.enableSni], ["HTTPS", LEGACY_ALB, 443, "/healthz", true]);
    assert.match(String(legacy.inputs.healthCheckId), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(check.outputs.arn, `arn:aws:route53:::healthcheck/${legacy.inputs.healthCheckId}`, "the legacy record carries this check's id");
    assert.equal(eks.inputs.healthCheckId, undefined);

    // The name is excluded from external-dns, and its HTTPRoute keeps the host: the ALB still serves it.
    assert.deepEqual(externalDnsArgs(planned).slice(-2), cutoverExclusionArgs(ZONE, RECORD));
    const route = ofType(planned, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute").find((r) => (r.inputs.spec as any).hostnames?.includes(RECORD));
    assert.ok(route, "the www HTTPRoute still lists the record's host");
    // The records move once the apps are up: the route that serves the name among them (the SDK expands the
    // Apps component into its resources).
    for (const r of weighted) assert.ok(r.options?.dependsOn?.includes(route.urn), `${r.name} waits for the HTTPRoute of ${RECORD}`);
    assert.deepEqual([planned.plan.outputs.cutoverRecord, planned.plan.outputs.cutoverWeights], [RECORD, { eks: 10, legacy: 90 }]);
});

test("without a cutover: no weighted records, no health check, no external-dns exclusion, null outputs", async () => {
    const planned = await plan(withCutover(undefined));
    assert.equal(ofType(planned, "aws:route53/record:Record").filter((r) => r.inputs.setIdentifier !== undefined).length, 0);
    assert.equal(ofType(planned, "aws:route53/healthCheck:HealthCheck").length, 0);
    assert.ok(!externalDnsArgs(planned).some((a) => a.startsWith("--regex-domain")));
    assert.deepEqual([planned.plan.outputs.cutoverRecord, planned.plan.outputs.cutoverWeights], [null, null]);
});

test("moving the weights (10/90 -> 50/50) changes the two records' weights and nothing else", async () => {
    const before = await plan(withCutover(cutoverValues({ eks: 10, legacy: 90 })));
    const after = await plan(withCutover(cutoverValues({ eks: 50, legacy: 50 })));
    const a = byUrn(before);
    const b = byUrn(after);
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), "the same resources");
    const changed = [...a.keys()].filter((urn) => a.get(urn)!.type !== "pulumi:pulumi:Stack" && JSON.stringify(a.get(urn)) !== JSON.stringify(b.get(urn)));
    assert.deepEqual(changed.map((urn) => a.get(urn)!.name).sort(), ["cutover-eks", "cutover-legacy"]);
    for (const urn of changed) {
        const { weightedRoutingPolicies: w1, ...rest1 } = a.get(urn)!.inputs;
        const { weightedRoutingPolicies: w2, ...rest2 } = b.get(urn)!.inputs;
        assert.deepEqual(rest1, rest2, "only the weight moves");
        assert.notDeepEqual(w1, w2);
    }
    const { cutoverWeights: w1, ...outputs1 } = before.plan.outputs;
    const { cutoverWeights: w2, ...outputs2 } = after.plan.outputs;
    assert.deepEqual([w1, w2], [{ eks: 10, legacy: 90 }, { eks: 50, legacy: 50 }]);
    assert.deepEqual(outputs1, outputs2, "no other stack output moves");
});

test("the emulated Route53 ids a weighted record by zone, name, type and set identifier, as the provider does", () => {
    const cloud = new EmulatedCloud({ region: "ap-northeast-2", accountId: EMULATED_ACCOUNT_ID, projectRoot: "." });
    const id = (setIdentifier?: string) => cloud.newResource({ type: "aws:route53/record:Record", name: `r-${setIdentifier}`, inputs: { zoneId: "Z1", name: RECORD, type: "A", setIdentifier }, custom: true } as any).id;
    assert.deepEqual([id("eks"), id("legacy"), id(undefined)], [`Z1_${RECORD}_A_eks`, `Z1_${RECORD}_A_legacy`, `Z1_${RECORD}_A`]);
    const zone = (region: string) => cloud.call({ token: "aws:lb/getHostedZoneId:getHostedZoneId", inputs: { loadBalancerType: "application", region } } as any);
    assert.equal((zone("ap-northeast-2") as any).id, ALB_ZONE);
    assert.equal((zone("us-east-1") as any).id, "Z35SXDOTRQ7X7K");
    assert.throws(() => zone("xx-nowhere-1"), /unsupported AWS Region: xx-nowhere-1/);
});
