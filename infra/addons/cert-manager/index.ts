import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { PLATFORM } from "../../platform";
import type { AddonContext } from "../context";
import { Addon, AddonOptions, AddonSpec, deploymentAt, resources, twoReplicas } from "../addon";
import type { Statement } from "../iam";

/**
 * Only ingress-nginx needs it (its Ingresses' TLS from Let's Encrypt); the Gateway's ALB terminates TLS
 * with an ACM certificate that Pulumi creates (infra/edge).
 */
export const CERT_MANAGER: AddonSpec = {
    name: "cert-manager",
    // cert-manager/cert-manager@v1.21.1 (2026-07-29): supports Kubernetes 1.33-1.36; v1.16 reached end of life on 2025-06-10.
    chart: { chart: "cert-manager", version: "v1.21.1", repo: "https://charts.jetstack.io" },
    namespace: "cert-manager",
    // templates/*poddisruptionbudget.yaml:20-28 read min/maxUnavailable (hasKey), which values.yaml only comments;
    // _helpers.tpl:29-35 reads serviceAccount.name (values.yaml:256 comments it); deployment.yaml:72-74 renders securityContext whole.
    openValues: ["podDisruptionBudget", "webhook.podDisruptionBudget", "cainjector.podDisruptionBudget", "serviceAccount.name", "securityContext"],
    required: "ingress-nginx's TLS certificates come from it: the gateway edge (eks-delivery:ingress.controller: gateway) needs none",
    previously: { type: "eks-delivery:addons:CertManager", name: "cert-manager" },
    reservedValues: { serviceAccount: "the Pod Identity association names this service account" },
};
export const LETSENCRYPT = "https://acme-v02.api.letsencrypt.org/directory";
const SERVICE_ACCOUNT = "cert-manager";

/** DNS-01 in the stack's zone only (it works before the NLB answers, and for every host under the zone). */
export function certManagerStatements(zoneArn: string): Statement[] {
    return [
        { Sid: "Changes", Effect: "Allow", Action: ["route53:GetChange"], Resource: "arn:aws:route53:::change/*" },
        // TXT records only: the ACME challenge is all it writes (cert-manager/website@776e5dba:content/docs/configuration/acme/dns01/route53.md:37-41).
        {
            Sid: "RecordsInZone", Effect: "Allow", Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"], Resource: zoneArn,
            Condition: { "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"] } },
        },
        { Sid: "FindZone", Effect: "Allow", Action: ["route53:ListHostedZonesByName"], Resource: "*" },
    ];
}

export interface CertManagerArgs {
    zone: string;
    zoneId: pulumi.Input<string>;
    zoneArn: pulumi.Input<string>;
}

export interface CertManager {
    addon: Addon;
    /** The `letsencrypt` ClusterIssuer the services' Ingresses name for their TLS: ready once ACME registered. */
    issuer: k8s.apiextensions.CustomResource;
}

/** cert-manager and the `letsencrypt` ClusterIssuer (DNS-01 in the stack's zone). */
export function certManager(ctx: AddonContext, args: CertManagerArgs, opts: AddonOptions): CertManager {
    const ha = (c: string, memory: string) =>
        twoReplicas({ "app.kubernetes.io/name": c, "app.kubernetes.io/instance": "cert-manager" }, resources("50m", memory, `${parseInt(memory, 10) * 2}Mi`));
    const addon = new Addon(CERT_MANAGER, {
        ctx,
        identity: { serviceAccount: SERVICE_ACCOUNT, statements: pulumi.output(args.zoneArn).apply(certManagerStatements) },
        values: {
            crds: { enabled: true, keep: true },
            ...ha("cert-manager", "128Mi"),
            serviceAccount: { create: true, name: SERVICE_ACCOUNT },
            // Files the non-root controller writes or reads (e.g. a projected token) need its group.
            securityContext: { runAsNonRoot: true, fsGroup: 1001, seccompProfile: { type: "RuntimeDefault" } },
            webhook: ha("webhook", "64Mi"),
            cainjector: ha("cainjector", "128Mi"),
        },
        workloads: [deploymentAt("cert-manager/cert-manager"), deploymentAt("cert-manager/cert-manager-webhook", "webhook."), deploymentAt("cert-manager/cert-manager-cainjector", "cainjector.")],
    }, opts);
    const issuer = new k8s.apiextensions.CustomResource("cert-manager-issuer", {
        apiVersion: "cert-manager.io/v1",
        kind: "ClusterIssuer",
        metadata: { name: PLATFORM.clusterIssuer, annotations: { "pulumi.com/waitFor": "condition=Ready" } },
        spec: {
            acme: {
                server: LETSENCRYPT,
                privateKeySecretRef: { name: `${PLATFORM.clusterIssuer}-account-key` },
                solvers: [{ selector: { dnsZones: [args.zone] }, dns01: { route53: { region: ctx.config.region, hostedZoneID: args.zoneId } } }],
            },
        },
    }, { parent: addon, dependsOn: [addon.release] });
    return { addon, issuer };
}
