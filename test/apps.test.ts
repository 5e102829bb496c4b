/** The app layer in the offline plan: every service's shape, images, blue/green across updates, schemas. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { planJson, PlannedResource } from "../tools/plan/plan";
import { planBlueGreen, stateAfter } from "../apps/service/blueGreen";
import { SHUTDOWN } from "../apps/service/manifests";
import { BLUE_GREEN_OUTPUT } from "../apps";
import { liveDeployment, liveService, one, ofType, plan, stackValues, validateKubernetesObject, Values } from "./support";

const VERSION = "v5.3.25-5e15f0a";
function values(stack = "dev", version = VERSION): Values {
    return { ...stackValues(stack), "eks-delivery:version": version };
}
const named = (resources: PlannedResource[], name: string) => resources.find((r) => (r.outputs.metadata as any)?.name === name);
/** The blue/green Deployments (at these counts) and Service as the cluster has them after update `p`: what the next update reads. */
const cluster = (p: { plan: { resources: PlannedResource[] } }, counts: Record<"blue" | "green", number>) => [...(["blue", "green"] as const)
    .map((c) => liveDeployment(named(p.plan.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment"), `web-${c}`)!.outputs, counts[c])),
    liveService(named(p.plan.resources.filter((r) => r.type === "kubernetes:core/v1:Service"), "web")!.outputs)];

test("a rolling service: zero-downtime Deployment, HPA, PDB, Service, HTTPRoute, ExternalSecret, NetworkPolicy", async () => {
    const dev = await plan(values(), "dev");
    const deployment = named(ofType(dev, "kubernetes:apps/v1:Deployment"), "api")!.outputs as any;
    const spec = deployment.spec;
    assert.equal(spec.replicas, undefined, "the HPA owns the scale");
    assert.deepEqual(spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } });
    assert.ok(spec.minReadySeconds > 0 && spec.revisionHistoryLimit > 0 && spec.progressDeadlineSeconds > 0);
    assert.equal(deployment.metadata.labels["app.kubernetes.io/version"], VERSION);
    assert.equal(deployment.metadata.labels["app.kubernetes.io/part-of"], "eks-delivery");
    const pod = spec.template.spec;
    assert.equal(spec.template.metadata.labels["app.kubernetes.io/version"], VERSION);
    assert.equal(pod.automountServiceAccountToken, false);
    const [c] = pod.containers;
    assert.match(c.image, new RegExp(`^123456789012\\.dkr\\.ecr\\.ap-northeast-2\\.amazonaws\\.com/eks-delivery-dev/api:${VERSION}@sha256:[0-9a-f]{64}$`), "tagged and digest-pinned");
    assert.equal(c.readinessProbe.httpGet.path, "/readyz");
    assert.ok(c.readinessProbe.successThreshold > 1);
    assert.equal(c.livenessProbe.httpGet.path, "/healthz");
    assert.notDeepEqual(c.readinessProbe, c.livenessProbe);
    assert.ok(c.startupProbe);
    assert.equal(c.lifecycle.preStop.sleep.seconds, SHUTDOWN.preStopSeconds);
    assert.ok(pod.terminationGracePeriodSeconds > SHUTDOWN.preStopSeconds + SHUTDOWN.drainSeconds);
    assert.deepEqual(c.resources, { requests: { cpu: "250m", memory: "256Mi", "ephemeral-storage": "128Mi" }, limits: { memory: "512Mi", "ephemeral-storage": "1Gi" } }, "no CPU limit unless configured; ephemeral storage at its defaults");
    assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] });
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.equal(c.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
    assert.deepEqual(pod.topologySpreadConstraints.map((t: any) => t.topologyKey), ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
    assert.deepEqual(c.envFrom, [{ secretRef: { name: "api-env" } }]);
    assert.ok(c.env.every((e: any) => !/secret|password|token/i.test(e.name)), "no secret literals");

    const hpa = named(ofType(dev, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"), "api")!.outputs as any;
    assert.equal(hpa.spec.scaleTargetRef.name, "api");
    assert.equal(hpa.spec.minReplicas, 2);
    assert.equal(hpa.spec.maxReplicas, 10);
    assert.equal(hpa.spec.metrics[0].resource.target.averageUtilization, 30);
    assert.equal(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds, 300);
    assert.equal(hpa.spec.behavior.scaleUp.stabilizationWindowSeconds, 0);

    const pdb = named(ofType(dev, "kubernetes:policy/v1:PodDisruptionBudget"), "api")!.outputs as any;
    assert.equal(pdb.spec.maxUnavailable, 1);
    assert.equal(pdb.spec.minAvailable, undefined);
    const route = named(ofType(dev, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"), "api")!.outputs as any;
    assert.deepEqual(route.spec.hostnames, ["api.dev.example.com"]);
    assert.deepEqual(route.spec.rules[0].backendRefs, [{ name: "api", port: 80 }]);
    const targets = named(ofType(dev, "kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration"), "api")!.outputs as any;
    // The ALB drains a pod for as long as the pod takes to stop, and checks it where the kubelet does.
    assert.deepEqual(targets.spec.defaultConfiguration.targetGroupAttributes, [{ key: "deregistration_delay.timeout_seconds", value: String(pod.terminationGracePeriodSeconds) }]);
    assert.equal(targets.spec.defaultConfiguration.healthCheckConfig.healthCheckPath, c.readinessProbe.httpGet.path);
    assert.equal(ofType(dev, "kubernetes:networking.k8s.io/v1:Ingress").length, 0, "no Ingress with the gateway edge");
    const external = named(ofType(dev, "kubernetes:external-secrets.io/v1:ExternalSecret"), "api")!.outputs as any;
    assert.deepEqual(external.spec.dataFrom, [{ extract: { key: "dev/api" } }]);
    assert.equal(external.spec.target.name, "api-env");
    const namespace = named(ofType(dev, "kubernetes:core/v1:Namespace"), "dev")!.outputs as any;
    assert.equal(namespace.metadata.name, "dev");
    assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    assert.equal(named(ofType(dev, "kubernetes:core/v1:ServiceAccount"), "api")!.outputs.automountServiceAccountToken, false);
});

test("images: tagged with the version, pushed to the service's ECR repository, cached there, one auth look-up", async () => {
    const dev = await plan(values(), "dev");
    const images = ofType(dev, "docker-build:index:Image");
    assert.equal(images.length, 2);
    for (const image of images) {
        const i = image.inputs as any;
        const repo = `123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/eks-delivery-dev/${image.name}`;
        assert.deepEqual(i.tags, [`${repo}:${VERSION}`]);
        assert.equal(i.push, true);
        assert.equal(i.buildOnPreview, false);
        assert.deepEqual(i.platforms, ["linux/amd64"]);
        assert.equal(i.context.location, `apps/services/${image.name}`);
        assert.equal(i.buildArgs.APP_VERSION, VERSION);
        assert.deepEqual(i.cacheTo, [{ registry: { ref: `${repo}:buildcache`, imageManifest: true, ociMediaTypes: true, mode: "max" } }]);
        assert.equal(i.registries[0].address, "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com");
        assert.equal(i.registries[0].password, "[secret]", "the registry token never reaches state in clear");
    }
    assert.equal(dev.run.invokesByToken["aws:ecr/getAuthorizationToken:getAuthorizationToken"], 1, "one getAuthorizationToken for all images");
    assert.ok(!planJson(dev.plan).includes("emulated-"), "token value absent from the plan");
});

test("a redeploy of the same version changes nothing; changed source changes the digest", async () => {
    const first = await plan(values(), "dev");
    const second = await plan(values(), "dev", [], first.plan.outputs, undefined, { liveObjects: cluster(first, { blue: 2, green: 0 }) });
    const third = await plan(values(), "dev", [], second.plan.outputs, undefined, { liveObjects: cluster(second, { blue: 2, green: 0 }) });
    assert.equal(planJson(third.plan), planJson(second.plan));
    assert.deepEqual(second.plan.outputs.images, first.plan.outputs.images, "same source and version, same digests");
    const other = await plan(values("dev", "v5.3.26-1234567"), "dev");
    const digest = (p: typeof first) => (p.plan.outputs.images as any).api;
    assert.notEqual(digest(other), digest(first), "the version is a build arg, so the image differs");
});

test("blue/green: two colours, one live; a new version goes to the idle colour; the same version is a no-op", async () => {
    const first = await plan(values(), "dev");
    const deployments = ofType(first, "kubernetes:apps/v1:Deployment").map((d) => (d.outputs.metadata as any).name).sort();
    assert.deepEqual(deployments, ["api", "web-blue", "web-green"]);
    const state1 = (first.plan.outputs[BLUE_GREEN_OUTPUT] as any).web;
    assert.equal(state1.live, "blue");
    const svc = (p: typeof first) => (named(ofType(p, "kubernetes:core/v1:Service"), "web")!.outputs as any).spec.selector.color;
    const hpaTarget = (p: typeof first) => (named(ofType(p, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"), "web")!.outputs as any).spec.scaleTargetRef.name;
    const idle = (p: typeof first) => (one(p, "kubernetes:apps/v1:DeploymentPatch").outputs as any);
    const replicas = (p: typeof first, colour: string) => (named(ofType(p, "kubernetes:apps/v1:Deployment"), `web-${colour}`)!.outputs as any).spec.replicas;
    assert.equal(svc(first), "blue");
    assert.equal(hpaTarget(first), "web-blue");
    assert.equal(idle(first).metadata.name, "web-green");
    assert.equal(idle(first).spec.replicas, 0);
    assert.equal(replicas(first, "blue"), 2, "the first live colour starts at the HPA minimum");

    // Same version again: nothing moves; the live colour holds the scale the cluster has (test/blueGreen.test.ts).
    const same = await plan(values(), "dev", [], first.plan.outputs, undefined, { liveObjects: cluster(first, { blue: 2, green: 0 }) });
    assert.equal(svc(same), "blue");
    assert.equal(replicas(same, "blue"), 2, "still declared: server-side apply would drop a field no longer sent");
    const sameAgain = await plan(values(), "dev", [], same.plan.outputs, undefined, { liveObjects: cluster(same, { blue: 2, green: 0 }) });
    assert.equal(planJson(sameAgain.plan), planJson(same.plan), "repeated up of the same version is a no-op");

    // A new version: deployed to green, which goes live; blue keeps the old version at zero.
    const next = await plan(values("dev", "v5.3.26-1234567"), "dev", [], same.plan.outputs, undefined, { liveObjects: cluster(same, { blue: 2, green: 0 }) });
    const state2 = (next.plan.outputs[BLUE_GREEN_OUTPUT] as any).web;
    assert.equal(state2.live, "green");
    assert.equal(state2.colours.green.version, "v5.3.26-1234567");
    assert.equal(state2.colours.blue.version, VERSION, "the previous colour is kept for rollback");
    assert.equal(svc(next), "green");
    // Through the Gateway the route's weights follow: all traffic to green's target group, none to blue's.
    const weights = (p: typeof next) => (named(ofType(p, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"), "web")!.outputs as any).spec.rules[0].backendRefs
        .map((b: any) => [b.name, b.weight]);
    assert.deepEqual(weights(same), [["web-blue", 100], ["web-green", 0]]);
    assert.deepEqual(weights(next), [["web-blue", 0], ["web-green", 100]]);
    assert.equal(hpaTarget(next), "web-green");
    assert.equal(idle(next).metadata.name, "web-blue");
    assert.equal(replicas(next, "green"), 2, "the new colour is woken up before the switch");
    const blue = named(ofType(next, "kubernetes:apps/v1:Deployment"), "web-blue")!.outputs as any;
    assert.equal(blue.spec.template.spec.containers[0].image, state1.colours.blue.image, "blue still runs the old image");
    const service = named(ofType(next, "kubernetes:core/v1:Service"), "web")!;
    const patch = one(next, "kubernetes:apps/v1:DeploymentPatch");
    assert.ok(patch.parent && service.parent === patch.parent);
});

test("the blue/green decision: on the version, with each colour's image kept until it runs a new version", () => {
    const first = planBlueGreen(undefined, "v1.0.0");
    assert.deepEqual(first, { live: "blue", idle: "green", colours: { blue: { version: "v1.0.0" }, green: { version: "v1.0.0" } }, activating: true });
    const state1 = stateAfter(first, "r@sha256:a");
    assert.deepEqual(state1.colours, { blue: { version: "v1.0.0", image: "r@sha256:a" }, green: { version: "v1.0.0", image: "r@sha256:a" } });
    const same = planBlueGreen(state1, "v1.0.0");
    assert.deepEqual(same, { live: "blue", idle: "green", colours: state1.colours as any, activating: false }, "the same version: nothing changes");
    const next = planBlueGreen(stateAfter(same, "r@sha256:ignored"), "v1.1.0");
    assert.deepEqual(next, { live: "green", idle: "blue", colours: { green: { version: "v1.1.0" }, blue: { version: "v1.0.0", image: "r@sha256:a" } }, activating: true });
    const state2 = stateAfter(next, "r@sha256:b");
    assert.deepEqual(state2, { live: "green", colours: { blue: { version: "v1.0.0", image: "r@sha256:a" }, green: { version: "v1.1.0", image: "r@sha256:b" } } });
    const rollback = planBlueGreen(state2, "v1.0.0");
    assert.equal(rollback.live, "blue", "redeploying the old version flips to the idle colour");
    assert.deepEqual(rollback.colours.green, { version: "v1.1.0", image: "r@sha256:b" });
});

test("every Kubernetes object in the dev and prod manifests validates against the Kubernetes schemas", async () => {
    for (const stack of ["dev", "prod"]) {
        const planned = await plan(values(stack), stack);
        assert.ok(planned.manifests.length >= 15, `${stack}: ${planned.manifests.length} manifests`);
        for (const manifest of planned.manifests) {
            await assert.doesNotReject(validateKubernetesObject(manifest.object), `${stack}/${manifest.file}`);
        }
    }
});

test("the schema check catches a broken object", async () => {
    await assert.rejects(validateKubernetesObject({
        apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" },
        spec: { selector: {}, template: { spec: { containers: [{ name: "x", ports: [{ containerPort: "eighty" }] }] } } },
    }), /containerPort/);
    // Custom resources of the vendored CRDs are checked against the CRD's own schema.
    await assert.rejects(validateKubernetesObject({
        apiVersion: "gateway.k8s.aws/v1", kind: "TargetGroupConfiguration", metadata: { name: "x" },
        spec: { targetReference: { name: "x" }, defaultConfiguration: { targetType: "pod" } },
    }), /targetType must be equal to one of the allowed values/);
    await assert.rejects(validateKubernetesObject({
        apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "x" },
        spec: { rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "HTTPS", statusCode: 308 } }] }] },
    }), /requestRedirect\/(scheme|statusCode) must be equal to one of the allowed values/);
});

test("in a preview, before the image is built, a blue/green service's manifests are known but for the new image", async () => {
    const pulumi = await import("@pulumi/pulumi");
    const { ServiceDeployment } = await import("../apps/service");
    const { planComponent, validate } = await import("./support");
    const config = validate(values());
    const web = config.services.find((s) => s.strategy === "blue-green")!;
    // What a preview hands the program for an image it has not built: an unknown output.
    const unknownImage = () => new (pulumi.Output as any)(new Set(), Promise.resolve(undefined), Promise.resolve(false), Promise.resolve(false), Promise.resolve([])) as import("@pulumi/pulumi").Output<string>;
    const previous = { live: "blue" as const, colours: { blue: { version: "v5.3.24-0000000", image: "r/web@sha256:old" }, green: { version: "v5.3.24-0000000", image: "r/web@sha256:old" } } };
    // Blue serves at 4 pods, selected by the Service: the preview reads them too.
    const { deploymentManifest, serviceManifest } = await import("../apps/service/manifests");
    const serving = liveDeployment(deploymentManifest(web, { namespace: "dev", version: "v5.3.24-0000000", image: "r/web@sha256:old" }, { deployment: "web-blue", colour: "blue", replicas: 4 }), 4);
    const selecting = liveService(serviceManifest(web, "dev", "v5.3.24-0000000", "blue") as Record<string, any>);
    const planned = await planComponent(() => {
        new ServiceDeployment("web", { service: web, namespace: "dev", version: VERSION, image: unknownImage(), previous, edge: { kind: "nginx" } });
    }, "dev", { preview: true, liveObjects: [serving, selecting] });
    const deployment = (colour: string) => planned.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === `web-${colour}`)!.inputs as any;
    // Green gets this version (its image unknown); blue keeps serving the old one, fully known.
    const green = deployment("green");
    assert.equal(green.spec.template.spec.containers[0].image, "[unknown]", "plan.json's mark for an unknown value");
    assert.equal(green.spec.template.spec.containers[0].readinessProbe.httpGet.path, web.readinessPath, "everything else is known: policies can judge it");
    assert.equal(green.metadata.labels["app.kubernetes.io/version"], VERSION);
    assert.equal(green.spec.replicas, 4, "woken up for the switch, at the serving colour's scale");
    const blue = deployment("blue");
    assert.equal(blue.spec.template.spec.containers[0].image, "r/web@sha256:old");
    const service = planned.resources.find((r) => r.type === "kubernetes:core/v1:Service" && r.name === "web")!.inputs as any;
    assert.equal(service.spec.selector.color, "green", "the switch is known too");
});
