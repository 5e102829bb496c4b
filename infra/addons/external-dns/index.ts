import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type * as k8s from "@pulumi/kubernetes";
import type { AddonContext } from "../context";
import { addonNamespace, addonRelease, Chart } from "../helm";
import { Statement, workloadIdentity } from "../iam";

/** kubernetes-sigs/external-dns@external-dns-helm-chart-1.21.1 (2026-04-30, app 0.21.0: Kubernetes 1.33+). */
export const EXTERNAL_DNS_CHART: Chart = { chart: "external-dns", version: "1.21.1", repo: "https://kubernetes-sigs.github.io/external-dns/" };
const NAMESPACE = "external-dns";
const SERVICE_ACCOUNT = "external-dns";

/**
 * Record changes only in the stack's zone; listing zones is the one call AWS cannot scope. No
 * route53:ListTagsForResource: v0.15.0 only reads zone tags for --aws-zone-tags, which is not set
 * (kubernetes-sigs/external-dns@v0.15.0:provider/aws/aws.go:349).
 */
export function externalDnsStatements(zoneArn: string): Statement[] {
    return [
        { Sid: "ChangeRecordsInZone", Effect: "Allow", Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"], Resource: zoneArn },
        { Sid: "ListZones", Effect: "Allow", Action: ["route53:ListHostedZones"], Resource: "*" },
    ];
}

export interface ExternalDnsArgs {
    ctx: AddonContext;
    zone: string;
}

/** external-dns: every Ingress host gets a record in the stack's Route53 zone, as the seeds' alias did. */
export class ExternalDns extends pulumi.ComponentResource {
    readonly zoneId: pulumi.Output<string>;
    readonly zoneArn: pulumi.Output<string>;

    constructor(name: string, args: ExternalDnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:addons:ExternalDns", name, {}, opts);
        const { ctx, zone } = args;
        const hostedZone = aws.route53.getZoneOutput({ name: zone, privateZone: false }, { parent: this });
        this.zoneId = hostedZone.zoneId;
        this.zoneArn = hostedZone.arn;
        const namespace = addonNamespace(NAMESPACE, { parent: this });
        const { association } = workloadIdentity(`${name}-identity`, {
            ctx, namespace: NAMESPACE, serviceAccount: SERVICE_ACCOUNT, statements: hostedZone.arn.apply(externalDnsStatements),
        }, { parent: this });
        const release: k8s.helm.v3.Release = addonRelease(name, {
            chart: EXTERNAL_DNS_CHART,
            namespace: namespace.metadata.name,
            values: {
                provider: { name: "aws" },
                env: [{ name: "AWS_DEFAULT_REGION", value: ctx.config.region }],
                serviceAccount: { create: true, name: SERVICE_ACCOUNT },
                sources: ["ingress", "service"],
                domainFilters: [zone],
                extraArgs: [pulumi.interpolate`--zone-id-filter=${hostedZone.zoneId}`, "--aws-zone-type=public"],
                // sync deletes what this cluster published once its source goes away, and only records whose
                // TXT owner record names this cluster (templates/deployment.yaml:98-101): nothing else in the zone.
                txtOwnerId: ctx.clusterName,
                policy: "sync",
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
            },
        }, { parent: this, dependsOn: [association] });
        this.registerOutputs({ zoneId: this.zoneId, status: release.status });
    }
}
