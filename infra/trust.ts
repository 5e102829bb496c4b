/** IAM trust for OIDC web identities (IRSA service accounts, Pulumi Deployments): federated, conditioned. */
export function webIdentityTrustPolicy(providerArn: string, condition: Record<string, Record<string, string>>): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Federated: providerArn }, Action: "sts:AssumeRoleWithWebIdentity", Condition: condition }],
    });
}

/**
 * IAM roles for service accounts (IRSA): trust for one Kubernetes service account through the cluster's
 * OIDC provider. IAM evaluates the condition keys on the issuer *without* its scheme
 * (`oidc.eks.<region>.amazonaws.com/id/<ID>:sub`): pulumi-eks's `oidcIssuer`, not `oidcProviderUrl`
 * (pulumi/pulumi-eks@v4.3.0:nodejs/eks/cluster/cluster.ts:2168-2181,2211).
 */
export function irsaTrustPolicy(oidcProviderArn: string, oidcIssuer: string, namespace: string, serviceAccount: string): string {
    if (/^[a-z]+:\/\//.test(oidcIssuer)) {
        throw new Error(`IRSA trust needs the OIDC issuer without its scheme, got ${oidcIssuer} (use oidcIssuer, not oidcProviderUrl)`);
    }
    return webIdentityTrustPolicy(oidcProviderArn, {
        StringEquals: {
            [`${oidcIssuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
            [`${oidcIssuer}:aud`]: "sts.amazonaws.com",
        },
    });
}
