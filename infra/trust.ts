/** IAM trust for OIDC web identities (IRSA service accounts, Pulumi Deployments): federated, conditioned. */
export function webIdentityTrustPolicy(providerArn: string, condition: Record<string, Record<string, string>>): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Federated: providerArn }, Action: "sts:AssumeRoleWithWebIdentity", Condition: condition }],
    });
}
