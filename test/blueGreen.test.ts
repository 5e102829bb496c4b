/**
 * Blue/green keeps its capacity: each colour always declares spec.replicas (server-side apply removes a
 * field its manager stops sending), the serving colour at the count the cluster has, a colour woken up at
 * that same count (within the HPA's bounds), the idle one at zero. The count is read from the cluster: the
 * emulated cluster's live objects stand in for it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "child_process";
import { planJson } from "../tools/plan/plan";
import { EmulatedCloud } from "../tools/plan/emulatedCloud";
import type { PlannedStack } from "../tools/plan/planStack";
import { colourReplicas, planBlueGreen, reconcileState, selectedColour, servingColours, stateAfter } from "../apps/service/blueGreen";
import { ACTIVATION_ANNOTATION } from "../policies/lib/conventions";
import { PROJECT_ROOT } from "../config";
import { liveDeployment, liveService, ofType, one, plan, stackValues, validateKubernetesObject, Values } from "./support";

const VERSION = "v5.3.25-5e15f0a";
const NEXT = "v5.3.26-1234567";
type Colour = "blue" | "green";

function values(version = VERSION, replicas?: { min: number; max: number }): Values {
    const v: Values = { ...stackValues("dev"), "eks-delivery:version": version };
    if (replicas) {
        v["eks-delivery:services"] = (v["eks-delivery:services"] as Values[]).map((s) => (s.name === "web" ? { ...s, replicas } : s));
    }
    return v;
}

const deployment = (p: PlannedStack, colour: Colour) =>
    ofType(p, "kubernetes:apps/v1:Deployment").find((d) => (d.outputs.metadata as any).name === `web-${colour}`)!.outputs as any;
const replicas = (p: PlannedStack, colour: Colour): number | undefined => deployment(p, colour).spec.replicas;
const deploymentReads = (p: PlannedStack) => p.run.reads.filter((r) => r.type === "kubernetes:apps/v1:Deployment");
const serviceReads = (p: PlannedStack) => p.run.reads.filter((r) => r.type === "kubernetes:core/v1:Service");
const liveColour = (p: PlannedStack): Colour => (p.plan.outputs.blueGreen as any).web.live;
const service = (p: PlannedStack) => ofType(p, "kubernetes:core/v1:Service").find((s) => (s.outputs.metadata as any).name === "web")!.outputs as any;
const image = (p: PlannedStack, colour: Colour): string => deployment(p, colour).spec.template.spec.containers[0].image;

/**
 * The cluster after update `p`: each colour's Deployment as `p` declared it, at the count its HPA (or the idle
 * patch) set, and the Service as `p` switched it.
 */
const cluster = (p: PlannedStack, counts: Record<Colour, number>) =>
    [...(["blue", "green"] as Colour[]).map((c) => liveDeployment(deployment(p, c), counts[c])), liveService(service(p))];

test("the count each colour declares: held while serving, woken at the live count within the HPA's bounds, zero when idle", () => {
    const range = { min: 3, max: 10 };
    const first = planBlueGreen(undefined, "v1");
    assert.deepEqual(colourReplicas(first, {}, range), { blue: 3, green: 0 }, "first deployment: the minimum");
    const same = planBlueGreen(stateAfter(first, "r@sha256:a"), "v1");
    assert.deepEqual(colourReplicas(same, { blue: 7 }, range), { blue: 7, green: 0 }, "the serving colour holds what it has");
    assert.deepEqual(colourReplicas(same, { blue: 14 }, range), { blue: 14, green: 0 }, "even above the maximum: Pulumi never changes a serving colour's scale");
    assert.deepEqual(colourReplicas(same, { blue: 7, green: 5 }, range), { blue: 7, green: 5 }, "a colour that may serve is never lowered before the switch");
    const next = planBlueGreen(stateAfter(same, "r@sha256:a"), "v2");
    assert.deepEqual(colourReplicas(next, { blue: 7 }, range), { green: 7, blue: 7 }, "woken at the live count; the old colour serves until the switch");
    assert.deepEqual(colourReplicas(next, { blue: 1 }, range), { green: 3, blue: 1 }, "at least the minimum");
    assert.deepEqual(colourReplicas(next, { blue: 15 }, range), { green: 10, blue: 15 }, "at most the maximum");
});

test("the cluster's Service decides which colour serves: the state is reconciled to it, at the version and image that colour runs", () => {
    const v1 = stateAfter(planBlueGreen(undefined, "v1"), "r@sha256:1");
    // An update of v2 recorded green live, but its rollout failed: the Service still selects blue.
    const failed = stateAfter(planBlueGreen(v1, "v2"), "r@sha256:2");
    assert.equal(failed.live, "green");
    assert.equal(selectedColour({ "app.kubernetes.io/name": "web", color: "blue" }), "blue");
    assert.equal(selectedColour({ "app.kubernetes.io/name": "web" }), undefined);
    assert.deepEqual(servingColours(failed, "blue"), ["blue", "green"], "both are read");
    assert.deepEqual(servingColours(failed, "green"), ["green"]);
    assert.deepEqual(servingColours(undefined, "blue"), [], "no state: the first deployment reads nothing");
    const live = { blue: { replicas: 6, version: "v1", image: "r@sha256:1" }, green: { replicas: 6, version: "v2", image: "r@sha256:2" } };
    const reconciled = reconcileState(failed, "blue", live)!;
    assert.equal(reconciled.live, "blue");
    assert.deepEqual(planBlueGreen(reconciled, "v2").activating, true, "the same version again is a fresh switch to green");
    assert.deepEqual(planBlueGreen(reconciled, "v3").colours.blue, { version: "v1", image: "r@sha256:1" }, "a fix-forward leaves the serving colour alone");
    assert.equal(reconcileState(failed, "green", live), failed, "state and cluster agree");
    assert.equal(reconcileState(failed, undefined, live), failed, "a Service without a colour decides nothing");
});

test("the emulated cluster answers a read with the live object, and a read of a missing one fails as the engine does", async () => {
    const first = await plan(values());
    const live = liveDeployment(deployment(first, "blue"), 4);
    await validateKubernetesObject(live);
    const cloud = new EmulatedCloud({ region: "ap-northeast-2", accountId: "123456789012", projectRoot: PROJECT_ROOT, liveObjects: [live] });
    const read = (id: string, type = "kubernetes:apps/v1:Deployment") => cloud.newResource({ type, name: "web-live", inputs: {}, custom: true, id });
    const found = read("dev/web-blue");
    assert.equal(found.id, "dev/web-blue");
    assert.deepEqual(found.state, live);
    assert.equal((found.state as any).status.readyReplicas, 4);
    assert.throws(() => read("dev/web-green"), /^Error: resource 'dev\/web-green' does not exist$/);
    assert.throws(() => read("prod/web-blue"), /does not exist/, "the namespace is part of the id");
    assert.throws(() => read("dev/web-blue", "kubernetes:apps/v1:StatefulSet"), /does not exist/, "and the kind");

    // The Service the switch selects by: core/v1 objects have apiVersion `v1`.
    const svc = liveService(service(first));
    await validateKubernetesObject(svc);
    const withService = new EmulatedCloud({ region: "ap-northeast-2", accountId: "123456789012", projectRoot: PROJECT_ROOT, liveObjects: [live, svc] });
    const selector = withService.newResource({ type: "kubernetes:core/v1:Service", name: "web-live", inputs: {}, custom: true, id: "dev/web" });
    assert.deepEqual((selector.state as any).spec.selector, { "app.kubernetes.io/name": "web", color: "blue" });
    assert.match((selector.state as any).spec.clusterIP, /^172\.20\.\d+\.\d+$/);
    assert.throws(() => read("dev/web", "kubernetes:core/v1:Service"), /^Error: resource 'dev\/web' does not exist$/);
});

test("first deployment: no read; blue at the minimum, green at zero; Pulumi holds both scales", async () => {
    const first = await plan(values());
    assert.deepEqual([...deploymentReads(first), ...serviceReads(first)], [], "nothing to read before anything exists");
    assert.equal(replicas(first, "blue"), 2);
    assert.equal(replicas(first, "green"), 0);
    for (const colour of ["blue", "green"] as Colour[]) {
        const annotations = deployment(first, colour).metadata.annotations;
        assert.equal(annotations[ACTIVATION_ANNOTATION], "true", `${colour}: marked as a scale Pulumi holds`);
        assert.equal(annotations["pulumi.com/patchForce"], "true", `${colour}: takes the field from the HPA's manager without a conflict`);
    }
    assert.deepEqual(first.violations.filter((v) => v.policy === "hpa-owns-replicas"), []);
});

test("no replica drop after a switch: the serving colour keeps sending the live count, the idle one zero", async () => {
    const first = await plan(values());
    // Under load the HPA took blue from 2 to 6; the same version again holds 6 (not dropped: SSA would reset it to 1).
    const same = await plan(values(), "dev", [], first.plan.outputs, undefined, { liveObjects: cluster(first, { blue: 6, green: 0 }) });
    assert.deepEqual(serviceReads(same).map((r) => [r.name, r.id]), [["web-live", "dev/web"]], "the Service says which colour serves");
    assert.deepEqual(deploymentReads(same).map((r) => [r.name, r.id]), [["web-blue-live", "dev/web-blue"]], "the serving colour is read");
    assert.equal(replicas(same, "blue"), 6);
    assert.equal(replicas(same, "green"), 0);

    // A new version: green wakes at blue's 6, blue keeps serving its 6 until the switch, then the idle patch takes it to 0.
    const next = await plan(values(NEXT), "dev", [], same.plan.outputs, undefined, { liveObjects: cluster(same, { blue: 6, green: 0 }) });
    assert.equal(liveColour(next), "green");
    assert.equal(replicas(next, "green"), 6, "woken at the live scale");
    assert.equal(replicas(next, "blue"), 6, "still serving until the switch: not dropped either");
    const idle = one(next, "kubernetes:apps/v1:DeploymentPatch").outputs as any;
    assert.deepEqual([idle.metadata.name, idle.spec.replicas], ["web-blue", 0]);

    // After the switch the HPA scales green to 9: the next update holds 9 and leaves blue at the patch's 0.
    const after = await plan(values(NEXT), "dev", [], next.plan.outputs, undefined, { liveObjects: cluster(next, { blue: 0, green: 9 }) });
    assert.deepEqual(deploymentReads(after).map((r) => r.id), ["dev/web-green"]);
    assert.equal(replicas(after, "green"), 9);
    assert.equal(replicas(after, "blue"), 0, "the idle colour's manifest agrees with the patch: not revived");
    const again = await plan(values(NEXT), "dev", [], after.plan.outputs, undefined, { liveObjects: cluster(after, { blue: 0, green: 9 }) });
    assert.equal(planJson(again.plan), planJson(after.plan), "the same version on an unchanged cluster changes nothing");
});

test("wake-up at the live scale, at least the HPA minimum, at most its maximum", async () => {
    const bounds = { min: 3, max: 10 };
    const first = await plan(values(VERSION, bounds));
    for (const [live, woken] of [[7, 7], [1, 3], [14, 10]]) {
        const next = await plan(values(NEXT, bounds), "dev", [], first.plan.outputs, undefined, { liveObjects: cluster(first, { blue: live, green: 0 }) });
        assert.equal(replicas(next, "green"), woken, `live colour at ${live}`);
        assert.equal(replicas(next, "blue"), live, `the serving colour keeps its ${live} until the switch`);
    }
});

test("the read happens in a preview too: the preview shows the count the update will wake up to", async () => {
    const first = await plan(values());
    const preview = await plan(values(NEXT), "dev", [], first.plan.outputs, undefined, { preview: true, liveObjects: cluster(first, { blue: 5, green: 0 }) });
    assert.deepEqual(deploymentReads(preview).map((r) => r.id), ["dev/web-blue"]);
    assert.equal(replicas(preview, "green"), 5);
});

test("every rollout fails just past its progress deadline: Pulumi's timeout sits within two minutes above it", async () => {
    const first = await plan(values());
    const minutes = (t: string) => Number(/^(\d+)m$/.exec(t)?.[1] ?? NaN) * 60;
    for (const d of ofType(first, "kubernetes:apps/v1:Deployment")) {
        const deadline = (d.outputs.spec as any).progressDeadlineSeconds;
        const { create, update } = d.options?.customTimeouts ?? {};
        for (const t of [create, update]) {
            // pulumi-kubernetes' awaiter reports ProgressDeadlineExceeded only when its own timeout fires
            // (pulumi/pulumi-kubernetes@v4.32.0:provider/pkg/await/deployment.go:206,330-336,521-535,853-857).
            assert.ok(minutes(String(t)) > deadline && minutes(String(t)) <= deadline + 120, `${d.name}: ${t} against ${deadline}s`);
        }
    }
    const longer = first.plan.resources.filter((r) => r.urn.includes("eks-delivery:apps:")
        && Object.values(r.options?.customTimeouts ?? {}).some((t) => !/^[1-6]m$/.test(String(t))));
    assert.deepEqual(longer.map((r) => r.urn), [], "no app resource waits longer than the rollouts");
});

/** Plans in a child process (a failed read surfaces as an unhandled rejection, which the test runner would pin on itself). */
function failedPlan(live: string): { code: number; out: string } {
    const script = `
        const { plan, stackValues, liveService } = require("./test/support");
        (async () => {
            const values = { ...stackValues("dev"), "eks-delivery:version": "${VERSION}" };
            const first = await plan(values);
            const svc = first.plan.resources.find((r) => r.type === "kubernetes:core/v1:Service" && r.outputs.metadata.name === "web").outputs;
            await plan(values, "dev", [], first.plan.outputs, undefined, { liveObjects: ${live} });
            console.log("planned");
        })().catch((err) => { console.log(String(err.message)); process.exit(3); }); // the first failure ends the run, as in the engine`;
    try {
        return { code: 0, out: execFileSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: PROJECT_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }) };
    } catch (err: any) {
        return { code: err.status, out: String(err.stdout) };
    }
}

test("a Service or serving colour missing from the cluster fails the update with the engine's error, not a guess", () => {
    const noService = failedPlan("[]");
    assert.equal(noService.code, 3, noService.out);
    assert.match(noService.out, /failed to read resource #dev\/web 'web-live' \[kubernetes:core\/v1:Service\]: resource 'dev\/web' does not exist/);
    const noDeployment = failedPlan("[liveService(svc)]");
    assert.equal(noDeployment.code, 3, noDeployment.out);
    assert.match(noDeployment.out, /failed to read resource #dev\/web-blue 'web-blue-live' \[kubernetes:apps\/v1:Deployment\]: resource 'dev\/web-blue' does not exist/);
});

const V3 = "v5.3.27-89abcde";

test("the recorded state waits for the switch: a rollout that fails leaves it at the colour that serves", async () => {
    const { getAllResources } = await import("@pulumi/pulumi/output");
    const { ServiceDeployment } = await import("../apps/service");
    const { planComponent, validate } = await import("./support");
    const web = validate(values()).services.find((s) => s.name === "web")!;
    let deployment: import("../apps/service").ServiceDeployment | undefined;
    await planComponent(() => {
        deployment = new ServiceDeployment("web", { service: web, namespace: "dev", version: VERSION, image: "r/web@sha256:1", edge: { kind: "nginx" } });
    });
    // An Output resolves only once every resource behind it is registered, and a registration returns once the
    // engine has applied it: the state cannot be recorded before the idle patch, which follows the switch.
    const behind = await Promise.all([...await getAllResources(deployment!.blueGreen!)].map((r) => new Promise<string>((resolve) => r.urn.apply(resolve))));
    assert.ok(behind.some((urn) => urn.endsWith("kubernetes:apps/v1:DeploymentPatch::web-idle")), behind.join("\n"));

    // In a preview the state to be recorded is still shown (a URN is known there).
    const first = await plan(values());
    const preview = await plan(values(NEXT), "dev", [], first.plan.outputs, undefined, { preview: true, liveObjects: cluster(first, { blue: 2, green: 0 }) });
    assert.equal(liveColour(preview), "green");
    // And the next update reads the recorded state back as before.
    const next = await plan(values(NEXT), "dev", [], first.plan.outputs, undefined, { liveObjects: cluster(first, { blue: 2, green: 0 }) });
    const after = await plan(values(NEXT), "dev", [], next.plan.outputs, undefined, { liveObjects: cluster(next, { blue: 0, green: 2 }) });
    assert.equal(liveColour(after), "green");
    assert.equal(service(after).spec.selector.color, "green");
});

test("re-running after a failed rollout: the colour that serves keeps its pods until the switch, for the same version or a fix", async () => {
    const first = await plan(values());
    const same = await plan(values(), "dev", [], first.plan.outputs, undefined, { liveObjects: cluster(first, { blue: 6, green: 0 }) });
    // NEXT went to green, whose rollout failed: the Service still selects blue, green holds its 6 unready pods,
    // and (the state waiting for the switch) the state is still the one `same` recorded.
    const failed = await plan(values(NEXT), "dev", [], same.plan.outputs, undefined, { liveObjects: cluster(same, { blue: 6, green: 0 }) });
    const afterFailure = [liveDeployment(deployment(same, "blue"), 6), liveDeployment(deployment(failed, "green"), 6), liveService(service(same))];

    const again = await plan(values(NEXT), "dev", [], same.plan.outputs, undefined, { liveObjects: afterFailure });
    assert.deepEqual([replicas(again, "blue"), replicas(again, "green")], [6, 6], "the same version: blue serves on, green wakes again");
    assert.equal(liveColour(again), "green");
    const fix = await plan(values(V3), "dev", [], same.plan.outputs, undefined, { liveObjects: afterFailure });
    assert.deepEqual([replicas(fix, "blue"), replicas(fix, "green")], [6, 6], "a fix-forward: the same");
    assert.equal(deployment(fix, "green").metadata.labels["app.kubernetes.io/version"], V3);
    assert.equal(image(fix, "blue"), image(same, "blue"), "the serving colour is not rolled in place");
});

test("the state says green but the cluster's Service selects blue: blue is never scaled down before the switch", async () => {
    // What an update recorded before its state waited for the switch (or a hand-made rollback of the Service).
    const first = await plan(values());
    const same = await plan(values(), "dev", [], first.plan.outputs, undefined, { liveObjects: cluster(first, { blue: 6, green: 0 }) });
    const failed = await plan(values(NEXT), "dev", [], same.plan.outputs, undefined, { liveObjects: cluster(same, { blue: 6, green: 0 }) });
    assert.equal(liveColour(failed), "green", "the state says green");
    const live = [liveDeployment(deployment(same, "blue"), 6), liveDeployment(deployment(failed, "green"), 6), liveService(service(same))];

    const again = await plan(values(NEXT), "dev", [], failed.plan.outputs, undefined, { liveObjects: live });
    assert.deepEqual(serviceReads(again).map((r) => r.id), ["dev/web"]);
    assert.deepEqual(deploymentReads(again).map((r) => r.id).sort(), ["dev/web-blue", "dev/web-green"], "both colours that may serve are read");
    assert.equal(replicas(again, "blue"), 6, "blue serves: it keeps its pods");
    assert.equal(replicas(again, "green"), 6, "green wakes at blue's scale");
    assert.equal(service(again).spec.selector.color, "green", "then the switch");
    assert.equal((one(again, "kubernetes:apps/v1:DeploymentPatch").outputs as any).metadata.name, "web-blue", "and only then blue goes to zero");

    // A fix-forward goes to green too, leaving blue's version and image as they serve.
    const fix = await plan(values(V3), "dev", [], failed.plan.outputs, undefined, { liveObjects: live });
    assert.equal(liveColour(fix), "green");
    assert.equal(deployment(fix, "green").metadata.labels["app.kubernetes.io/version"], V3);
    assert.equal(image(fix, "blue"), image(same, "blue"));
    assert.equal(deployment(fix, "blue").metadata.labels["app.kubernetes.io/version"], VERSION);
    assert.deepEqual([replicas(fix, "blue"), replicas(fix, "green")], [6, 6]);
    assert.deepEqual((fix.plan.outputs.blueGreen as any).web.colours.blue, { version: VERSION, image: image(same, "blue") }, "the state records what blue runs");
});

test("the Service switched but the state did not (a failure before the idle patch): both colours are held", async () => {
    const first = await plan(values());
    const same = await plan(values(), "dev", [], first.plan.outputs, undefined, { liveObjects: cluster(first, { blue: 6, green: 0 }) });
    const next = await plan(values(NEXT), "dev", [], same.plan.outputs, undefined, { liveObjects: cluster(same, { blue: 6, green: 0 }) });
    // The Service selects green, the route may still send to blue; the state is still `same`'s (blue).
    const split = [liveDeployment(deployment(same, "blue"), 6), liveDeployment(deployment(next, "green"), 6), liveService(service(next))];
    const again = await plan(values(NEXT), "dev", [], same.plan.outputs, undefined, { liveObjects: split });
    assert.equal(liveColour(again), "green");
    assert.deepEqual([replicas(again, "blue"), replicas(again, "green")], [6, 6], "blue is taken down only by the idle patch, after the route has moved");
    assert.equal(image(again, "green"), image(next, "green"), "green keeps what it runs");
    // Through the Gateway the weights move only after the Service has switched: a colour the Service does not
    // select is one the route sends nothing to, so the Service is all the next update needs to read.
    const route = one(again, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "web");
    const svc = ofType(again, "kubernetes:core/v1:Service").find((s) => s.name === "web")!;
    assert.ok(route.options?.dependsOn?.includes(svc.urn), JSON.stringify(route.options));
});

test("the scale is read just before it is applied: the reads wait for everything the colour Deployments wait for", async () => {
    const withSecrets = values();
    withSecrets["eks-delivery:services"] = (withSecrets["eks-delivery:services"] as Values[]).map((s) => (s.name === "web" ? { ...s, secrets: ["dev/web"] } : s));
    const first = await plan(withSecrets);
    const next = await plan({ ...withSecrets, "eks-delivery:version": NEXT }, "dev", [], first.plan.outputs, undefined, { liveObjects: cluster(first, { blue: 2, green: 0 }) });
    const reads = next.run.reads.filter((r) => r.parent?.endsWith("ServiceDeployment::web"));
    assert.deepEqual(reads.map((r) => r.name).sort(), ["web-blue-live", "web-live"]);
    const readUrns = new Set(reads.map((r) => r.urn));
    for (const colour of ["blue", "green"] as Colour[]) {
        const registered = next.run.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === `web-${colour}`)!;
        const waits = registered.dependencies.filter((urn) => !readUrns.has(urn));
        assert.ok(waits.some((urn) => urn.includes("ExternalSecret") || urn.includes("external-secrets")), `${colour}: waits for its ExternalSecret`);
        assert.ok(waits.some((urn) => urn.includes("StackReference")), `${colour}: waits for the previous state`);
        if (colour === "green") assert.ok(waits.some((urn) => urn.endsWith("docker-build:index:Image::web")), "green: waits for this version's image");
        for (const read of reads) {
            assert.deepEqual(waits.filter((urn) => !read.dependencies.includes(urn)), [], `${read.name} waits for what web-${colour} waits for`);
        }
    }
});
