import * as pulumi from "@pulumi/pulumi";
import type { AddonContext } from "../context";
import { Addon, AddonOptions, AddonSpec, resources } from "../addon";
import type { Statement } from "../iam";

/** kubernetes-sigs/external-dns@external-dns-helm-chart-1.21.1 (2026-04-30, app 0.21.0: Kubernetes 1.33+). */
export const EXTERNAL_DNS: AddonSpec = {
    name: "external-dns",
    chart: { chart: "external-dns", version: "1.21.1", repo: "https://kubernetes-sigs.github.io/external-dns/" },
    namespace: "external-dns",
    previously: { type: "eks-delivery:addons:ExternalDns", name: "external-dns" },
    reservedValues: {
        serviceAccount: "the Pod Identity association names this service account",
        txtOwnerId: "policy sync deletes only records whose owner is this cluster",
        domainFilters: "the role may change records in the stack's zone only",
        sources: "with policy sync, a source left out deletes the records of every host it served",
    },
};
const SERVICE_ACCOUNT = "external-dns";

/**
 * Record changes only in the stack's zone; listing zones is the one call AWS cannot scope. No
 * route53:ListTagsForResource: v0.21.0 only reads zone tags with a zone tag filter, which is not set
 * (kubernetes-sigs/external-dns@v0.21.0:provider/aws/aws.go:438-453).
 */
export function externalDnsStatements(zoneArn: string): Statement[] {
    return [
        { Sid: "ChangeRecordsInZone", Effect: "Allow", Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"], Resource: zoneArn },
        { Sid: "ListZones", Effect: "Allow", Action: ["route53:ListHostedZones"], Resource: "*" },
    ];
}

/**
 * The sources external-dns watches: HTTPRoutes (v1) behind the Gateway, or Ingresses behind nginx, and
 * LoadBalancer Services with a hostname annotation. v0.21.0 reads TLS/TCP/UDP routes as v1alpha2, which the
 * Gateway API v1.6.0 CRDs no longer serve (source/gateway_tlsroute.go:33): only HTTPRoute is listed.
 */
export function externalDnsSources(edge: "gateway" | "nginx"): string[] {
    return edge === "gateway" ? ["gateway-httproute", "service"] : ["ingress", "service"];
}

/**
 * The flags that keep external-dns off the cutover's weighted record (infra/edge/cutover.ts) and nothing else,
 * after kubernetes-sigs/external-dns@v0.21.0:
 * - `--exclude-domains` excludes a name and every name below it (endpoint/domain_filter.go:135-160), and at the
 *   apex the whole zone: not exact;
 * - `--regex-domain-exclusion` is exact, but any regex flag switches the filter to regex mode, which drops
 *   `--domain-filter` (domain_filter.go:107-133; pkg/apis/externaldns/types.go:584-585): so the zone filter is
 *   restated as `--regex-domain-filter` (the same names: the zone and every name below it);
 * - the same filter picks the zones (provider/aws/aws.go:429-436): excluding the apex would drop the zone
 *   itself, unless `--aws-zone-match-parent` keeps it (MatchParent is true in regex mode; --zone-id-filter still
 *   limits it to the stack's zone).
 * The HTTPRoute keeps its hostname, so the ALB still serves the name; only its DNS record is left alone.
 */
export function cutoverExclusionArgs(zone: string, record: string | undefined): string[] {
    if (record === undefined) return [];
    const literal = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return [
        `--regex-domain-filter=(^|\\.)${literal(zone)}$`,
        `--regex-domain-exclusion=^${literal(record)}$`,
        ...(record === zone ? ["--aws-zone-match-parent"] : []),
    ];
}

export interface ExternalDnsArgs {
    zone: string;
    zoneId: pulumi.Input<string>;
    zoneArn: pulumi.Input<string>;
}

/**
 * external-dns: every route's host gets a record in the stack's Route53 zone (an alias to the load
 * balancer), and loses it when the route goes: policy sync, owned per cluster.
 */
export function externalDns(ctx: AddonContext, args: ExternalDnsArgs, opts: AddonOptions): Addon {
    return new Addon(EXTERNAL_DNS, {
        ctx,
        identity: { serviceAccount: SERVICE_ACCOUNT, statements: pulumi.output(args.zoneArn).apply(externalDnsStatements) },
        values: {
            provider: { name: "aws" },
            env: [{ name: "AWS_DEFAULT_REGION", value: ctx.config.region }],
            serviceAccount: { create: true, name: SERVICE_ACCOUNT },
            sources: externalDnsSources(ctx.config.ingress.controller),
            domainFilters: [args.zone],
            extraArgs: [pulumi.interpolate`--zone-id-filter=${args.zoneId}`, "--aws-zone-type=public", ...cutoverExclusionArgs(args.zone, ctx.config.cutover?.record)],
            // sync deletes what this cluster published once its source goes away, and only records whose
            // TXT owner record names this cluster (templates/deployment.yaml:98-101): nothing else in the zone.
            txtOwnerId: ctx.clusterName,
            policy: "sync",
            resources: resources("50m", "64Mi", "128Mi"),
        },
        // One replica, Recreate (values.yaml:72-73): a second would race the first on the same records.
        workloads: [{ workload: "external-dns/external-dns", kind: "Deployment", replicas: 1, containers: ["resources"] }],
    }, opts);
}
