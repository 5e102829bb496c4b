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
import { colourReplicas, planBlueGreen, stateAfter } from "../apps/service/blueGreen";
import { ACTIVATION_ANNOTATION } from "../policies/lib/conventions";
import { PROJECT_ROOT } from "../config";
import { liveDeployment, ofType, one, plan, stackValues, validateKubernetesObject, Values } from "./support";

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
const liveColour = (p: PlannedStack): Colour => (p.plan.outputs.blueGreen as any).web.live;

/** The cluster after update `p`: each colour's Deployment as `p` declared it, at the count its HPA (or the idle patch) set. */
const cluster = (p: PlannedStack, counts: Record<Colour, number>) =>
    (["blue", "green"] as Colour[]).map((c) => liveDeployment(deployment(p, c), counts[c]));

test("the count each colour declares: held while serving, woken at the live count within the HPA's bounds, zero when idle", () => {
    const range = { min: 3, max: 10 };
    const first = planBlueGreen(undefined, "v1");
    assert.deepEqual(colourReplicas(first, undefined, range), { blue: 3, green: 0 }, "first deployment: the minimum");
    const same = planBlueGreen(stateAfter(first, "r@sha256:a"), "v1");
    assert.deepEqual(colourReplicas(same, 7, range), { blue: 7, green: 0 }, "the serving colour holds what it has");
    assert.deepEqual(colourReplicas(same, 14, range), { blue: 14, green: 0 }, "even above the maximum: Pulumi never changes a serving colour's scale");
    const next = planBlueGreen(stateAfter(same, "r@sha256:a"), "v2");
    assert.deepEqual(colourReplicas(next, 7, range), { green: 7, blue: 7 }, "woken at the live count; the old colour serves until the switch");
    assert.deepEqual(colourReplicas(next, 1, range), { green: 3, blue: 1 }, "at least the minimum");
    assert.deepEqual(colourReplicas(next, 15, range), { green: 10, blue: 15 }, "at most the maximum");
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
});

test("first deployment: no read; blue at the minimum, green at zero; Pulumi holds both scales", async () => {
    const first = await plan(values());
    assert.deepEqual(deploymentReads(first), [], "nothing to read before anything exists");
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
    assert.deepEqual(deploymentReads(same).map((r) => [r.name, r.id]), [["web-live", "dev/web-blue"]], "the serving colour is read");
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

test("a serving colour missing from the cluster fails the update with the engine's error, not a guess", () => {
    // In a child process: the failure surfaces as an unhandled rejection, which the test runner would pin on itself.
    const script = `
        const { plan, stackValues } = require("./test/support");
        (async () => {
            const values = { ...stackValues("dev"), "eks-delivery:version": "${VERSION}" };
            const first = await plan(values);
            await plan(values, "dev", [], first.plan.outputs, undefined, { liveObjects: [] });
            console.log("planned");
        })().catch((err) => { console.log(String(err.message)); process.exitCode = 3; });`;
    let out = "";
    let code = 0;
    try {
        out = execFileSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: PROJECT_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (err: any) {
        out = String(err.stdout);
        code = err.status;
    }
    assert.equal(code, 3, out);
    assert.match(out, /failed to read resource #dev\/web-blue 'web-live' \[kubernetes:apps\/v1:Deployment\]: resource 'dev\/web-blue' does not exist/);
});
