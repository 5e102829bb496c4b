/**
 * What the cluster platform provides (the add-ons) and the app layer relies on: one place, so a
 * renamed ingress class or secret store cannot silently break every service.
 */
export const PLATFORM = {
    /** The stack's one Gateway (infra/edge) that every service's HTTPRoute attaches to. */
    gateway: { gatewayClass: "alb", namespace: "edge", name: "public", httpListener: "http", httpsListener: "https" },
    /** Ingress class of the ingress-nginx controller behind the NLB (eks-delivery:ingress.controller: nginx). */
    ingressClass: "nginx",
    /** cert-manager ClusterIssuer that issues the Ingresses' TLS certificates (nginx edge). */
    clusterIssuer: "letsencrypt",
    /** external-secrets ClusterSecretStore backed by AWS Secrets Manager. */
    secretStore: "aws-secrets-manager",
    /** Namespace of ingress-nginx: with that edge, the only source of traffic into service pods. */
    ingressNamespace: "ingress-nginx",
    /** Namespace of the service mesh control plane (istiod) and its trace collector. */
    meshNamespace: "istio-system",
    /** Namespace of Prometheus, which scrapes the services. */
    monitoringNamespace: "monitoring",
    /** StorageClass for persistent volumes: EBS gp3, encrypted (infra/storage.ts). */
    storageClass: "gp3",
    /** Label every object of this project carries. */
    partOf: "eks-delivery",
} as const;
