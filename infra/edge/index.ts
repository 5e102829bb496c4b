/**
 * The public edge on Gateway API: one internet-facing ALB per stack (the AWS Load Balancer Controller's
 * `gateway.k8s.aws/alb` class), HTTPS on 443 with an ACM certificate Pulumi creates and validates in the
 * stack's Route53 zone, and HTTP on 80 answering with a redirect to HTTPS. Services attach with an
 * HTTPRoute each (apps/service/manifests.ts). Shapes after kubernetes-sigs/aws-load-balancer-controller@v3.5.0
 * docs/guide/gateway/l7gateway.md:41-108 and loadbalancerconfig.md:45-66,202-222.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { PLATFORM } from "../platform";
import { certificateDomains, validationDomains } from "./certificate";

/** TLS 1.3 and 1.2 only (the controller's default, ELBSecurityPolicy-2016-08, still allows TLS 1.0). */
export const SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export interface EdgeArgs {
    /** The stack's public Route53 zone and its id. */
    zone: string;
    zoneId: pulumi.Input<string>;
    /** Every service host (all under the zone). */
    hosts: string[];
    /** Labels on the Gateway's own objects. */
    tags: Record<string, string>;
    /** The load balancer controller (its CRDs and webhooks) and what in-cluster objects wait for. */
    after: pulumi.Resource[];
}

export class Edge extends pulumi.ComponentResource {
    readonly certificateArn: pulumi.Output<string>;
    /** What an HTTPRoute waits for: the Gateway accepting routes. */
    readonly gateway: k8s.apiextensions.CustomResource;
    private readonly gatewayRef: { namespace: string; name: string };

    constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:edge:Edge", name, {}, opts);
        const child = { parent: this };
        const { namespace, name: gatewayName, httpListener, httpsListener, gatewayClass } = PLATFORM.gateway;

        const domains = certificateDomains(args.zone, args.hosts);
        const certificate = new aws.acm.Certificate(name, { ...domains, validationMethod: "DNS", tags: args.tags }, child);
        const records = validationDomains(domains).map((domain) => {
            const option = certificate.domainValidationOptions.apply((options) => {
                const found = options.find((o) => o.domainName === domain || o.domainName === `*.${domain}`);
                if (!found) throw new Error(`ACM returned no validation record for ${domain}`);
                return found;
            });
            return new aws.route53.Record(`${name}-validation-${domain}`, {
                zoneId: args.zoneId,
                name: option.resourceRecordName,
                type: option.resourceRecordType,
                records: [option.resourceRecordValue],
                ttl: 60,
                // ACM's record is the same for every certificate of this name: a previous one may own it.
                allowOverwrite: true,
            }, child);
        });
        // Waits until ACM has issued the certificate (the listener cannot use a pending one).
        const validation = new aws.acm.CertificateValidation(name, {
            certificateArn: certificate.arn,
            validationRecordFqdns: records.map((r) => r.fqdn),
        }, child);
        this.certificateArn = validation.certificateArn;

        const inCluster = { parent: this, dependsOn: args.after };
        const labels = { "app.kubernetes.io/part-of": PLATFORM.partOf };
        const ns = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: namespace, labels } }, inCluster);
        const afterNamespace = { parent: this, dependsOn: [...args.after, ns] };
        const gatewayClassObject = new k8s.apiextensions.CustomResource(`${name}-class`, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "GatewayClass",
            metadata: { name: gatewayClass, labels },
            spec: { controllerName: "gateway.k8s.aws/alb" },
        }, inCluster);
        const loadBalancer = new k8s.apiextensions.CustomResource(`${name}-load-balancer`, {
            apiVersion: "gateway.k8s.aws/v1",
            kind: "LoadBalancerConfiguration",
            metadata: { name: gatewayName, namespace, labels },
            spec: {
                // The controller's default is internal (loadbalancerconfig.md:45-66).
                scheme: "internet-facing",
                // listeners[].tls.certificateRefs is not supported: the ACM certificate goes here (gateway.md:63-71).
                listenerConfigurations: [{ protocolPort: "HTTPS:443", defaultCertificate: this.certificateArn, sslPolicy: SSL_POLICY }],
            },
        }, afterNamespace);
        this.gateway = new k8s.apiextensions.CustomResource(`${name}-gateway`, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "Gateway",
            metadata: {
                name: gatewayName,
                namespace,
                labels,
                // Programmed once the ALB is active (the controller writes its DNS name to status.addresses); the provider
                // waits for the condition (pulumi/pulumi-kubernetes@v4.32.0:provider/pkg/await/condition/custom.go:37-59).
                annotations: { "pulumi.com/waitFor": "condition=Programmed" },
            },
            spec: {
                gatewayClassName: gatewayClass,
                infrastructure: { parametersRef: { group: "gateway.k8s.aws", kind: "LoadBalancerConfiguration", name: gatewayName } },
                listeners: [
                    // Only the redirect below attaches here.
                    { name: httpListener, protocol: "HTTP", port: 80, allowedRoutes: { namespaces: { from: "Same" } } },
                    // No tls block: the certificate comes from the LoadBalancerConfiguration. Routes from this
                    // project's namespaces only (the default, Same, would refuse the services' routes).
                    { name: httpsListener, protocol: "HTTPS", port: 443, allowedRoutes: { namespaces: { from: "Selector", selector: { matchLabels: labels } } } },
                ],
            },
            // Sent as nothing (undefined is dropped: pulumi/pulumi sdk/nodejs/runtime/rpc.ts serializeProperties), but the
            // key makes the SDK expose the live object's status, which CustomResource does not declare
            // (pulumi/pulumi-kubernetes#1836): outputs resolve only for keys the resource was registered with.
            status: undefined,
        }, { parent: this, dependsOn: [...args.after, ns, gatewayClassObject, loadBalancer] });
        this.gatewayRef = { namespace, name: gatewayName };
        new k8s.apiextensions.CustomResource(`${name}-https-redirect`, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "HTTPRoute",
            metadata: { name: "https-redirect", namespace, labels },
            spec: {
                parentRefs: [{ name: gatewayName, sectionName: httpListener }],
                // Lower-case scheme (the CRD's enum); the controller answers HTTP_301 to port 443.
                rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
            },
        }, { parent: this, dependsOn: [this.gateway] });
        this.registerOutputs({ certificateArn: this.certificateArn });
    }

    /**
     * The ALB's DNS name, as the controller reports it on the Programmed Gateway (the cutover's EKS target).
     * Computed only when asked: an Output that fails and nobody consumes would still fail the update.
     * The controller writes one Hostname address, the ALB's lower-cased DNS name, when the ALB is active
     * (kubernetes-sigs/aws-load-balancer-controller@v3.5.0:controllers/gateway/gateway_controller.go:480-489).
     */
    loadBalancerDnsName(): pulumi.Output<string> {
        const { namespace, name } = this.gatewayRef;
        const status = (this.gateway as unknown as { status: pulumi.Output<{ addresses?: Array<{ type?: string; value: string }> } | undefined> }).status;
        return status.apply((s) => {
            const address = s?.addresses?.find((a) => a.type === undefined || a.type === "Hostname");
            if (!address) throw new Error(`Gateway ${namespace}/${name} is Programmed but reports no ALB address in status.addresses`);
            return address.value;
        });
    }
}
