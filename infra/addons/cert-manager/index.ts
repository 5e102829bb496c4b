import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { PLATFORM } from "../../platform";
import type { AddonContext } from "../context";
import { addonNamespace, addonRelease, Chart, spreadConstraints } from "../helm";
import { Statement, workloadIdentity } from "../iam";

export const CERT_MANAGER_CHART: Chart = { chart: "cert-manager", version: "v1.16.2", repo: "https://charts.jetstack.io" };
export const LETSENCRYPT = "https://acme-v02.api.letsencrypt.org/directory";
const NAMESPACE = "cert-manager";
const SERVICE_ACCOUNT = "cert-manager";

/** DNS-01 in the stack's zone only (it works before the NLB answers, and for every host under the zone). */
export function certManagerStatements(zoneArn: string): Statement[] {
    return [
        { Sid: "Changes", Effect: "Allow", Action: ["route53:GetChange"], Resource: "arn:aws:route53:::change/*" },
        { Sid: "RecordsInZone", Effect: "Allow", Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"], Resource: zoneArn },
        { Sid: "FindZone", Effect: "Allow", Action: ["route53:ListHostedZonesByName"], Resource: "*" },
    ];
}

export interface CertManagerArgs {
    ctx: AddonContext;
    zone: string;
    zoneId: pulumi.Input<string>;
    zoneArn: pulumi.Input<string>;
}

/** cert-manager and the `letsencrypt` ClusterIssuer the services' Ingresses name for their TLS. */
export class CertManager extends pulumi.ComponentResource {
    readonly issuer: k8s.apiextensions.CustomResource;

    constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:addons:CertManager", name, {}, opts);
        const { ctx } = args;
        const namespace = addonNamespace(NAMESPACE, { parent: this });
        const { association } = workloadIdentity(`${name}-identity`, {
            ctx, namespace: NAMESPACE, serviceAccount: SERVICE_ACCOUNT, statements: pulumi.output(args.zoneArn).apply(certManagerStatements),
        }, { parent: this });
        const component = (c: string) => ({ "app.kubernetes.io/name": c, "app.kubernetes.io/instance": "cert-manager" });
        const ha = (c: string, memory: string) => ({
            replicaCount: 2,
            podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
            resources: { requests: { cpu: "50m", memory }, limits: { memory: `${parseInt(memory, 10) * 2}Mi` } },
            topologySpreadConstraints: spreadConstraints(component(c)),
        });
        const release = addonRelease(name, {
            chart: CERT_MANAGER_CHART,
            namespace: namespace.metadata.name,
            values: {
                crds: { enabled: true, keep: true },
                ...ha("cert-manager", "128Mi"),
                serviceAccount: { create: true, name: SERVICE_ACCOUNT },
                // Files the non-root controller writes or reads (e.g. a projected web-identity token) need its group.
                securityContext: { runAsNonRoot: true, fsGroup: 1001, seccompProfile: { type: "RuntimeDefault" } },
                webhook: ha("webhook", "64Mi"),
                cainjector: ha("cainjector", "128Mi"),
            },
        }, { parent: this, dependsOn: [association] });
        this.issuer = new k8s.apiextensions.CustomResource(`${name}-issuer`, {
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
        }, { parent: this, dependsOn: [release] });
        this.registerOutputs({ issuer: PLATFORM.clusterIssuer });
    }
}
