/**
 * The edge as `pulumi up` meets it: an ACM certificate validated in the zone, the ALB Gateway with HTTPS
 * and an HTTP redirect, one HTTPRoute and target group settings per hosted service, readiness gates, and
 * ingress-nginx (with cert-manager) only when a stack opts in.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { certificateDomains, validationDomains } from "../infra/edge/certificate";
import { PLATFORM } from "../infra/platform";
import type { PlannedStack } from "../tools/plan/planStack";
import { ofType, one, plan, stackValues } from "./support";

const CR = (group: string, kind: string) => `kubernetes:${group}:${kind}`;
const spec = (r: { inputs: Record<string, unknown> }) => r.inputs.spec as any;
const releases = (p: PlannedStack) => ofType(p, "kubernetes:helm.sh/v3:Release").map((r) => String(r.inputs.name));

test("the certificate covers the zone and one label below it, and names deeper hosts; one validation record per base name", () => {
    const domains = certificateDomains("dev.example.com", ["api.dev.example.com", "web.dev.example.com", "a.b.dev.example.com", "dev.example.com"]);
    assert.deepEqual(domains, { domainName: "*.dev.example.com", subjectAlternativeNames: ["dev.example.com", "a.b.dev.example.com"] });
    assert.deepEqual(validationDomains(domains), ["dev.example.com", "a.b.dev.example.com"]);
    // Adding a service one label below the zone does not change (so does not replace) the certificate.
    assert.deepEqual(certificateDomains("dev.example.com", ["api.dev.example.com", "new.dev.example.com"]), certificateDomains("dev.example.com", ["api.dev.example.com"]));
});

for (const stack of ["dev", "prod"]) {
    test(`${stack}: the Gateway edge, a validated ACM certificate, one HTTPRoute per hosted service, and no ingress-nginx`, async () => {
        const values = stackValues(stack);
        const planned = await plan(values, stack);
        const zone = (values["eks-delivery:dns"] as { zone: string }).zone;
        const hosted = (values["eks-delivery:services"] as Array<{ name: string; host?: string; readinessPath?: string }>).filter((s) => s.host);
        assert.ok(hosted.length >= 1, "the stack has hosted services");

        const certificate = one(planned, "aws:acm/certificate:Certificate");
        assert.equal(certificate.inputs.domainName, `*.${zone}`);
        assert.equal(certificate.inputs.validationMethod, "DNS");
        const records = ofType(planned, "aws:route53/record:Record");
        const options = certificate.outputs.domainValidationOptions as Array<{ resourceRecordName: string; resourceRecordValue: string }>;
        assert.deepEqual(records.map((r) => r.inputs.name).sort(), [...new Set(options.map((o) => o.resourceRecordName))].sort(), "a record for each validation name ACM asks for");
        for (const r of records) assert.equal(r.inputs.type, "CNAME");
        const validation = one(planned, "aws:acm/certificateValidation:CertificateValidation");
        assert.equal(validation.inputs.certificateArn, certificate.outputs.arn);
        assert.deepEqual([...(validation.inputs.validationRecordFqdns as string[])].sort(), records.map((r) => r.outputs.fqdn).sort());

        const { gateway: g } = PLATFORM;
        const gatewayClass = one(planned, CR("gateway.networking.k8s.io/v1", "GatewayClass"));
        assert.equal(spec(gatewayClass).controllerName, "gateway.k8s.aws/alb");
        const lbConfig = one(planned, CR("gateway.k8s.aws/v1", "LoadBalancerConfiguration"));
        assert.equal(spec(lbConfig).scheme, "internet-facing");
        assert.deepEqual(spec(lbConfig).listenerConfigurations, [{ protocolPort: "HTTPS:443", defaultCertificate: validation.outputs.certificateArn, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" }]);
        const gateway = one(planned, CR("gateway.networking.k8s.io/v1", "Gateway"));
        assert.deepEqual(spec(gateway).listeners.map((l: any) => [l.name, l.protocol, l.port, !!l.tls]), [[g.httpListener, "HTTP", 80, false], [g.httpsListener, "HTTPS", 443, false]]);
        assert.equal((gateway.inputs.metadata as any).annotations["pulumi.com/waitFor"], "condition=Programmed");
        assert.deepEqual(spec(gateway).infrastructure.parametersRef, { group: "gateway.k8s.aws", kind: "LoadBalancerConfiguration", name: g.name });

        const routes = ofType(planned, CR("gateway.networking.k8s.io/v1", "HTTPRoute"));
        const redirect = routes.find((r) => (r.inputs.metadata as any).namespace === g.namespace)!;
        assert.deepEqual(spec(redirect).parentRefs, [{ name: g.name, sectionName: g.httpListener }]);
        assert.deepEqual(spec(redirect).rules[0].filters, [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }]);
        const serviceRoutes = routes.filter((r) => r !== redirect);
        assert.deepEqual(serviceRoutes.map((r) => spec(r).hostnames[0]).sort(), hosted.map((s) => s.host).sort(), "one route per hosted service");
        // The app namespace must be one the HTTPS listener admits.
        const appNamespace = ofType(planned, "kubernetes:core/v1:Namespace").find((n) => (n.inputs.metadata as any).name === stack)!;
        const selector = spec(gateway).listeners[1].allowedRoutes.namespaces.selector.matchLabels;
        for (const [k, v] of Object.entries(selector)) assert.equal((appNamespace.inputs.metadata as any).labels[k], v);
        assert.equal((appNamespace.inputs.metadata as any).labels["elbv2.k8s.aws/pod-readiness-gate-inject"], "enabled");
        const services = values["eks-delivery:services"] as Array<{ name: string; strategy?: string; readinessPath?: string }>;
        const tgcs = ofType(planned, CR("gateway.k8s.aws/v1", "TargetGroupConfiguration"));
        for (const route of serviceRoutes) {
            assert.deepEqual(spec(route).parentRefs, [{ name: g.name, namespace: g.namespace, sectionName: g.httpsListener }]);
            const name = (route.inputs.metadata as any).name;
            const blueGreen = services.find((s) => s.name === name)!.strategy === "blue-green";
            // Blue/green: each colour is a backend (its own Service and target group), the live one weighted 100.
            const backends = spec(route).rules[0].backendRefs;
            assert.deepEqual(backends, blueGreen
                ? [{ name: `${name}-blue`, port: 80, weight: 100 }, { name: `${name}-green`, port: 80, weight: 0 }]
                : [{ name, port: 80 }]);
            for (const backend of backends) {
                const tgc = tgcs.find((t) => (t.inputs.metadata as any).name === backend.name);
                assert.ok(tgc, `${backend.name} has target group settings`);
                assert.deepEqual(spec(tgc).targetReference, { name: backend.name });
                assert.equal(spec(tgc).defaultConfiguration.targetType, "ip", "ClusterIP Services need IP targets");
                assert.equal(spec(tgc).defaultConfiguration.healthCheckConfig.healthCheckPath, services.find((s) => s.name === name)!.readinessPath ?? "/readyz");
                assert.ok(route.options?.dependsOn?.includes(tgc.urn), "the target group settings exist before the route");
                assert.ok(ofType(planned, "kubernetes:core/v1:Service").some((svc) => (svc.inputs.metadata as any).name === backend.name), `Service ${backend.name}`);
            }
            if (blueGreen) {
                // The idle colour goes to zero only after the route has moved the traffic and the controller
                // has had time to change the ALB's rule (a wait, renewed on every switch).
                const idle = ofType(planned, "kubernetes:apps/v1:DeploymentPatch").find((d) => d.name === `${name}-idle`)!;
                const wait = one(planned, "time:index/sleep:Sleep", `${name}-switch`);
                assert.equal(wait.inputs.createDuration, "60s");
                assert.deepEqual(wait.inputs.triggers, { live: "blue" });
                assert.ok(wait.options?.dependsOn?.includes(route.urn));
                assert.ok(idle.options?.dependsOn?.includes(wait.urn));
                for (const backend of backends) {
                    const svc = ofType(planned, "kubernetes:core/v1:Service").find((x) => (x.inputs.metadata as any).name === backend.name)!;
                    assert.ok(route.options?.dependsOn?.includes(svc.urn), `the route waits for Service ${backend.name}`);
                }
                for (const colour of ["blue", "green"]) {
                    const deployment = ofType(planned, "kubernetes:apps/v1:Deployment").find((d) => d.name === `${name}-${colour}`)!;
                    assert.ok(route.options?.dependsOn?.includes(deployment.urn), "the weights move once both colours are Available");
                }
            }
        }

        // The controller at v3, its CRDs and Gateway API's applied first, and no nginx or cert-manager.
        const lbc = one(planned, "kubernetes:helm.sh/v3:Release", "aws-load-balancer-controller");
        assert.match(String(lbc.inputs.version), /^3\./);
        assert.equal(lbc.inputs.skipCrds, true);
        // Patches: a server-side apply that takes over CRDs an earlier Helm install created, and a destroy leaves.
        const crds = ofType(planned, "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinitionPatch");
        for (const crd of crds) {
            assert.equal((crd.inputs.metadata as any).annotations["pulumi.com/patchForce"], "true");
            assert.equal((crd.inputs.metadata as any).annotations["pulumi.com/waitFor"], "condition=Established");
            assert.equal(crd.options?.retainOnDelete, true, "a destroy leaves the CRDs (and every object of their kinds)");
        }
        for (const name of ["gateways.gateway.networking.k8s.io", "httproutes.gateway.networking.k8s.io", "targetgroupconfigurations.gateway.k8s.aws", "targetgroupbindings.elbv2.k8s.aws"]) {
            const crd = crds.find((c) => (c.inputs.metadata as any).name === name);
            assert.ok(crd, `${name} is applied`);
            assert.ok(lbc.options?.dependsOn?.includes(crd.urn), `the controller starts after ${name}`);
        }
        assert.equal((crds.find((c) => (c.inputs.metadata as any).name === "gateways.gateway.networking.k8s.io")!.inputs.metadata as any).annotations["gateway.networking.k8s.io/bundle-version"], "v1.6.0");
        assert.ok(!releases(planned).includes("ingress-nginx") && !releases(planned).includes("cert-manager"));
        assert.deepEqual(ofType(planned, "kubernetes:networking.k8s.io/v1:Ingress"), []);
        const dns = one(planned, "kubernetes:helm.sh/v3:Release", "external-dns");
        assert.deepEqual((dns.inputs.values as any).sources, ["gateway-httproute", "service"]);
        assert.equal((dns.inputs.values as any).policy, "sync");
        assert.equal((dns.inputs.values as any).txtOwnerId, `eks-delivery-${stack}`);
    });
}

test("the ALB reaches the pods: NetworkPolicies admit the public subnets on the service port", async () => {
    const planned = await plan(stackValues("dev"));
    const subnets = ["10.0.128.0/22", "10.0.132.0/22"];
    for (const policy of ofType(planned, "kubernetes:networking.k8s.io/v1:NetworkPolicy")) {
        const from = spec(policy).ingress[0].from as any[];
        assert.deepEqual(from.filter((p) => p.ipBlock).map((p) => p.ipBlock.cidr), subnets, "the emulated VPC's public subnets");
        assert.ok(!from.some((p) => p.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === PLATFORM.ingressNamespace));
    }
});

test("ingress-nginx only when opted in: with cert-manager, Ingresses, a retirement warning, and no Gateway", async () => {
    const values = stackValues("dev");
    values["eks-delivery:ingress"] = { controller: "nginx" };
    // Under the emulator, the program's warnings go to the console (no engine to send them to).
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => { warnings.push(args.join(" ")); };
    let planned: PlannedStack;
    try {
        planned = await plan(values);
    } finally {
        console.warn = warn;
    }
    assert.ok(releases(planned).includes("ingress-nginx") && releases(planned).includes("cert-manager"));
    assert.equal(ofType(planned, CR("gateway.networking.k8s.io/v1", "Gateway")).length, 0);
    assert.equal(ofType(planned, "aws:acm/certificate:Certificate").length, 0);
    assert.ok(ofType(planned, "kubernetes:networking.k8s.io/v1:Ingress").length >= 1);
    assert.ok(warnings.some((w) => /ingress-nginx was retired upstream in March 2026/.test(w)), warnings.join("\n"));
    const dns = one(planned, "kubernetes:helm.sh/v3:Release", "external-dns");
    assert.deepEqual((dns.inputs.values as any).sources, ["ingress", "service"]);
});
