import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { PLATFORM } from "../../platform";
import type { AddonContext } from "../context";
import { Addon, AddonOptions, AddonSpec, deploymentAt, resources, twoReplicas } from "../addon";
import type { Statement } from "../iam";

/**
 * external-secrets/external-secrets@helm-chart-2.9.0 (2026-08-08): 2.9 is tested on Kubernetes 1.36
 * (docs/introduction/stability-support.md:21); 0.17 was end of life and stopped at 1.33.
 */
export const EXTERNAL_SECRETS: AddonSpec = {
    name: "external-secrets",
    chart: { chart: "external-secrets", version: "2.9.0", repo: "https://charts.external-secrets.io" },
    namespace: "external-secrets",
    // templates/*poddisruptionbudget.yaml:10-14 read maxUnavailable (hasKey), which values.yaml does not list.
    openValues: ["podDisruptionBudget", "webhook.podDisruptionBudget", "certController.podDisruptionBudget"],
    required: "the services' secrets and Grafana's login come from Secrets Manager through it",
    previously: { type: "eks-delivery:addons:ExternalSecrets", name: "external-secrets" },
    reservedValues: { serviceAccount: "the Pod Identity association names this service account" },
};
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

export interface ExternalSecrets {
    addon: Addon;
    /** The ClusterSecretStore every ExternalSecret names: ready once it can read Secrets Manager. */
    store: k8s.apiextensions.CustomResource;
}

/** external-secrets with the ClusterSecretStore for AWS Secrets Manager, scoped to the declared names. */
export function externalSecrets(ctx: AddonContext, secretNames: string[], opts: AddonOptions): ExternalSecrets {
    // null deletes the chart's default minAvailable: 1, so no template can render both fields (which the API
    // server rejects; with 0.17 it did, and the atomic install rolled back).
    const part = (c: string) => twoReplicas({ "app.kubernetes.io/name": c }, resources("50m", "128Mi", "256Mi"), { minAvailable: null });
    const addon = new Addon(EXTERNAL_SECRETS, {
        ctx,
        identity: {
            serviceAccount: SERVICE_ACCOUNT,
            statements: pulumi.output(ctx.accountId).apply((account) => externalSecretsStatements(ctx.config.region, account, secretNames)),
        },
        values: {
            installCRDs: true,
            ...part("external-secrets"),
            leaderElect: true,
            serviceAccount: { create: true, name: SERVICE_ACCOUNT },
            webhook: part("external-secrets-webhook"),
            certController: part("external-secrets-cert-controller"),
        },
        workloads: [deploymentAt("external-secrets/external-secrets"), deploymentAt("external-secrets/external-secrets-webhook", "webhook."),
            deploymentAt("external-secrets/external-secrets-cert-controller", "certController.")],
    }, opts);
    // With no auth block the store uses the controller's own (Pod Identity) identity: nothing else can read.
    const store = new k8s.apiextensions.CustomResource("external-secrets-store", {
        apiVersion: "external-secrets.io/v1",
        kind: "ClusterSecretStore",
        metadata: { name: PLATFORM.secretStore, annotations: { "pulumi.com/waitFor": "condition=Ready" } },
        spec: { provider: { aws: { service: "SecretsManager", region: ctx.config.region } } },
    }, { parent: addon, dependsOn: [addon.release] });
    return { addon, store };
}
