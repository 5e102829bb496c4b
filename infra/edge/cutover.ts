/**
 * Route53 weighted cutover: one name (`eks-delivery:cutover.record`) answered by two weighted record sets,
 * `eks` (this stack's ALB) and `legacy` (the old ALB/NLB, CloudFront or another stack's edge), whose
 * weights `pulumi up` moves. Route53's rules, enforced before anything is sent:
 * - a weighted group is one name and one type; weights 0..255; a non-weighted record of the same name and
 *   type cannot exist beside it (docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-weighted.html);
 * - a CNAME shares its name with no other record and cannot sit at the zone apex (RFC 1034 3.6.2;
 *   .../resource-record-sets-choosing-alias-non-alias.html), so an alias A on one side and a CNAME on the other
 *   is refused: both sides are aliases (the legacy target has a hosted zone id) or both are CNAMEs;
 * - EvaluateTargetHealth cannot be true for a CloudFront alias (Route53 API reference, AliasTarget).
 *
 * How a failing side loses its share (.../health-checks-how-route-53-chooses-records.html): Route53 picks a
 * record by weight among the non-zero ones, and skips it when it is unhealthy (its health check fails, or,
 * for an alias with EvaluateTargetHealth, its target is unhealthy: for an ALB, a target group with targets
 * but none healthy), then picks again; zero-weight records are considered only when every non-zero one is
 * unhealthy, and when all are unhealthy all are answered. A record with no health signal is always healthy.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { showValue, type ConfigCheck, type CutoverConfig, type StackConfig } from "../../config";

/** The two set identifiers: what `pulumi up` and the docs refer to. */
export const SIDES = ["eks", "legacy"] as const;
export type Side = typeof SIDES[number];

/** CloudFront's alias hosted zone, the same for every distribution. */
export const CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2";
/** CNAMEs are cached this long: a weight change reaches most resolvers within a minute. */
export const CNAME_TTL = 60;

/** One side of the weighted group, with its target's values of type T (strings in tests, Outputs in the program). */
export interface WeightedRecord<T = string> {
    side: Side;
    name: string;
    type: "A" | "CNAME";
    setIdentifier: Side;
    weight: number;
    /** Alias records: the target and its hosted zone; CNAMEs: `records` and `ttl`. */
    alias?: { name: T; zoneId: T; evaluateTargetHealth: boolean };
    records?: T[];
    ttl?: number;
    /** An HTTPS Route53 health check of this side's target, attached to its record. */
    healthCheck?: { fqdn: T; resourcePath: string };
}

/**
 * The two weighted records. Aliases when the legacy target has a hosted zone id (the ALB is always one), so both
 * sides are A; else both are CNAMEs. The EKS alias takes its health from the ALB (EvaluateTargetHealth: the
 * target groups' health, i.e. the pods' readiness); a Route53 HTTPS check cannot probe it, because a check sends
 * its own FQDN as Host and the Gateway's ALB answers unknown hosts with 404 (kubernetes-sigs/aws-load-balancer-controller@v3.5.0:
 * pkg/gateway/model/model_build_listener.go:414-423). The legacy side gets the HTTPS check on `healthCheckPath`.
 */
export function weightedRecords<T>(cutover: CutoverConfig, eks: { dnsName: T; zoneId: T }): WeightedRecord<T | string>[] {
    const alias = cutover.legacy.zoneId !== undefined;
    const base = (side: Side) => ({ side, name: cutover.record, type: alias ? "A" as const : "CNAME" as const, setIdentifier: side, weight: cutover.weights[side] });
    const eksRecord: WeightedRecord<T | string> = alias
        ? { ...base("eks"), alias: { name: eks.dnsName, zoneId: eks.zoneId, evaluateTargetHealth: true } }
        : { ...base("eks"), records: [eks.dnsName], ttl: CNAME_TTL };
    const legacyName = cutover.legacy.dnsName;
    const legacyZone = cutover.legacy.zoneId;
    const legacy: WeightedRecord<T | string> = legacyZone !== undefined
        ? { ...base("legacy"), alias: { name: legacyName, zoneId: legacyZone, evaluateTargetHealth: legacyZone !== CLOUDFRONT_ZONE_ID } }
        : { ...base("legacy"), records: [legacyName], ttl: CNAME_TTL };
    if (cutover.healthCheckPath) legacy.healthCheck = { fqdn: legacyName, resourcePath: cutover.healthCheckPath };
    return [eksRecord, legacy];
}

/** What Route53 would refuse in this weighted group, as one line; undefined when it would accept it. */
export function weightedGroupProblem(zone: string, records: WeightedRecord<unknown>[]): string | undefined {
    const [first] = records;
    if (!first) return "eks-delivery:cutover: no records";
    const at = `eks-delivery:cutover: ${first.name}`;
    const names = new Set(records.map((r) => r.name));
    if (names.size > 1) return `${at}: a weighted group has one name, not ${[...names].join(", ")}`;
    const kinds = records.map((r) => `${r.setIdentifier} ${r.alias ? "alias " : ""}${r.type}`);
    if (new Set(records.map((r) => r.type)).size > 1) {
        return `${at}: mixes ${kinds.join(" and ")}: Route53 needs one type for the whole group and a CNAME shares its name with nothing (give cutover.legacy.zoneId so both sides are aliases)`;
    }
    if (first.type === "CNAME" && first.name === zone) return `${at}: is the zone apex, where Route53 refuses a CNAME: set cutover.legacy.zoneId so both sides are aliases`;
    const ids = records.map((r) => r.setIdentifier);
    if (new Set(ids).size !== ids.length) return `${at}: set identifiers ${ids.join(", ")} are not unique`;
    for (const r of records) {
        if (!Number.isInteger(r.weight) || r.weight < 0 || r.weight > 255) return `${at}: weight ${r.weight} of ${r.setIdentifier} is not within 0..255`;
        if (r.alias && (r.records || r.ttl !== undefined)) return `${at}: ${r.setIdentifier} is an alias and cannot also have records or a TTL`;
        if (!r.alias && (!r.records?.length || r.ttl === undefined)) return `${at}: ${r.setIdentifier} is not an alias and needs records and a TTL`;
        if (r.alias?.evaluateTargetHealth && r.alias.zoneId === CLOUDFRONT_ZONE_ID) return `${at}: ${r.setIdentifier} aliases CloudFront, where Route53 refuses EvaluateTargetHealth`;
    }
    if (records.every((r) => r.weight === 0)) return `${at}: every weight is 0, and Route53 would split traffic evenly`;
    return undefined;
}

/**
 * What the schema cannot see: the record must be a service's host, because the ALB routes by host and answers
 * every other name with 404 (model_build_listener.go:414-423); the EKS side would serve nothing.
 */
export function cutoverConfigProblems(config: StackConfig): string[] {
    const cutover = config.cutover;
    if (!cutover) return [];
    const hosts = config.services.flatMap((s) => (s.host ? [s.host] : []));
    if (hosts.includes(cutover.record)) return [];
    return [`eks-delivery:cutover.record: ${showValue(cutover.record)} is not the host of any service (${hosts.join(", ") || "none"}): the ALB would answer its share with 404`];
}

/** The cutover record checked with the rest of the config (config/schema.ts ConfigCheck). */
export const cutoverConfigCheck: ConfigCheck = { reads: ["cutover", "services"], problems: (config) => cutoverConfigProblems(config) };

export interface CutoverArgs {
    cutover: CutoverConfig;
    /** The stack's public Route53 zone (the record lives in it). */
    zone: string;
    /** The edge's ALB DNS name (from the Programmed Gateway). */
    loadBalancerDnsName: pulumi.Input<string>;
    tags: Record<string, string>;
    /** What must serve the name before its records move (the apps and their routes). */
    after: pulumi.Resource[];
}

export class Cutover extends pulumi.ComponentResource {
    /** The record's name as Route53 holds it. */
    readonly fqdn: pulumi.Output<string>;
    readonly records: aws.route53.Record[];

    constructor(name: string, args: CutoverArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:edge:Cutover", name, {}, opts);
        const child = { parent: this };
        const records = { parent: this, dependsOn: args.after };
        const zone = aws.route53.getZoneOutput({ name: args.zone, privateZone: false }, child);
        // The ALB's canonical hosted zone in the provider's region (the alias target's zone, not the stack's).
        const albZone = aws.lb.getHostedZoneIdOutput({ loadBalancerType: "application" }, child);
        const planned = weightedRecords<pulumi.Input<string>>(args.cutover, { dnsName: args.loadBalancerDnsName, zoneId: albZone.id });
        const problem = weightedGroupProblem(args.zone, planned);
        if (problem) throw new Error(problem);

        this.records = planned.map((r) => {
            const check = r.healthCheck && new aws.route53.HealthCheck(`${name}-${r.side}`, {
                type: "HTTPS",
                fqdn: r.healthCheck.fqdn,
                port: 443,
                resourcePath: r.healthCheck.resourcePath,
                // The FQDN is the Host header and the TLS server name (Route53 does not validate the certificate).
                enableSni: true,
                failureThreshold: 3,
                requestInterval: 10,
                tags: { ...args.tags, Name: `${args.cutover.record} ${r.side}` },
            }, child);
            return new aws.route53.Record(`${name}-${r.side}`, {
                zoneId: zone.zoneId,
                name: r.name,
                type: r.type,
                setIdentifier: r.setIdentifier,
                weightedRoutingPolicies: [{ weight: r.weight }],
                ...(r.alias ? { aliases: [r.alias] } : { records: r.records, ttl: r.ttl }),
                ...(check ? { healthCheckId: check.id } : {}),
                // UPSERT: adopts a set of this name, type and identifier made by hand (docs/cutover.md, step 0).
                allowOverwrite: true,
            }, records);
        });
        this.fqdn = this.records[0].fqdn;
        this.registerOutputs({ fqdn: this.fqdn });
    }
}
