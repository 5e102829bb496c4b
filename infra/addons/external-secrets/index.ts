import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { PLATFORM } from "../../platform";
import type { AddonContext } from "../context";
import { addonNamespace, addonRelease, Chart, spreadConstraints } from "../helm";
import { Statement, workloadIdentity } from "../iam";

/**
 * external-secrets/external-secrets@helm-chart-2.9.0 (2026-08-08): 2.9 is tested on Kubernetes 1.36
 * (docs/introduction/stability-support.md:21); 0.17 was end of life and stopped at 1.33.
 */
export const EXTERNAL_SECRETS_CHART: Chart = { chart: "external-secrets", version: "2.9.0", repo: "https://charts.external-secrets.io" };
const NAMESPACE = "external-secrets";
const SERVICE_ACCOUNT = "external-secrets";

/** Read access to exactly the secrets the stack declares (Secrets Manager appends a 6-character suffix). */
export function externalSecretsStatements(region: string, accountId: string, names: string[]): Statement[] {
    return [{
        Sid: "ReadDeclaredSecrets",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        Resource: [...new Set(names)].sort().map((n) => `arn:aws:secretsmanager:${region}:${accountId}:secret:${n}-??????`),
    }];
}

export interface ExternalSecretsArgs {
    ctx: AddonContext;
    /** Every Secrets Manager name an ExternalSecret in the stack reads. */
    secretNames: string[];
}

/** external-secrets with the ClusterSecretStore for AWS Secrets Manager, scoped to the declared names. */
export class ExternalSecrets extends pulumi.ComponentResource {
    readonly store: k8s.apiextensions.CustomResource;

    constructor(name: string, args: ExternalSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:addons:ExternalSecrets", name, {}, opts);
        const { ctx } = args;
        const namespace = addonNamespace(NAMESPACE, { parent: this });
        const { role, association } = workloadIdentity(`${name}-identity`, {
            ctx, namespace: NAMESPACE, serviceAccount: SERVICE_ACCOUNT,
            statements: pulumi.output(ctx.accountId).apply((account) => externalSecretsStatements(ctx.config.region, account, args.secretNames)),
        }, { parent: this });
        const part = (c: string) => ({
            replicaCount: 2,
            // null deletes the chart's default minAvailable: 1, so no template can render both fields (which
            // the API server rejects; with 0.17 it did, and the atomic install rolled back).
            podDisruptionBudget: { enabled: true, minAvailable: null, maxUnavailable: 1 },
            resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
            topologySpreadConstraints: spreadConstraints({ "app.kubernetes.io/name": c }),
        });
        const release = addonRelease(name, {
            chart: EXTERNAL_SECRETS_CHART,
            namespace: namespace.metadata.name,
            values: {
                installCRDs: true,
                ...part("external-secrets"),
                leaderElect: true,
                serviceAccount: { create: true, name: SERVICE_ACCOUNT },
                webhook: part("external-secrets-webhook"),
                certController: part("external-secrets-cert-controller"),
            },
        }, { parent: this, dependsOn: [association] });
        // With no auth block the store uses the controller's own (Pod Identity) identity: nothing else can read.
        this.store = new k8s.apiextensions.CustomResource(`${name}-store`, {
            apiVersion: "external-secrets.io/v1",
            kind: "ClusterSecretStore",
            metadata: { name: PLATFORM.secretStore, annotations: { "pulumi.com/waitFor": "condition=Ready" } },
            spec: { provider: { aws: { service: "SecretsManager", region: ctx.config.region } } },
        }, { parent: this, dependsOn: [release] });
        this.registerOutputs({ roleArn: role.arn });
    }
}
