/**
 * The plan diff (tools/plan/diff/): the pure diff on hand-made plans (added, removed, changed, renamed,
 * replaceOnChanges, secrets, cost and policy), the PR comment (escaping, truncation, the size limit),
 * determinism; then `npm run plan -- --against` for real: against a previous plan directory, and against a
 * git ref of a scratch clone. Four plans in all.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../config";
import { CREDENTIALS } from "../tools/plan/engine";
import { CREDENTIAL_INPUTS, diffJson, diffPlans, formatPath, isReleaseChange, parsePath, pathContains, SECRET_NOTE } from "../tools/plan/diff/diff";
import type { PlanDiff, PlanResource, PlanSide } from "../tools/plan/diff/model";
import { code, COMMENT_MARKER, COMMENT_PART_LIMIT, cutSafely, GITHUB_COMMENT_LIMIT, renderMarkdown, renderText } from "../tools/plan/diff/render";
import { TEST_DATE } from "./support";

const STACK = "dev";
const urn = (type: string, name: string, parentType?: string) => `urn:pulumi:${STACK}::eks-delivery::${parentType ? `${parentType}$` : ""}${type}::${name}`;

function resource(type: string, name: string, inputs: Record<string, unknown>, more: Partial<PlanResource> = {}): PlanResource {
    return { urn: urn(type, name), type, name, inputs, outputs: inputs, ...more };
}

function side(label: string, resources: PlanResource[], more: Partial<PlanSide> = {}): PlanSide {
    return {
        label,
        plan: { project: "eks-delivery", stack: STACK, resources, outputs: {} },
        capacity: { peak: { cpuMillicores: 1000, memoryMiB: 1024, pods: 10 }, capacity: { cpuMillicores: 4000, memoryMiB: 8192, pods: 110 }, fits: true, monthlyUsd: { totalMin: 100, totalMax: 200 } },
        policy: { violations: [], exemptions: [] },
        ...more,
    };
}

const deployment = (name: string, image: string, extra: Record<string, unknown> = {}) => resource("kubernetes:apps/v1:Deployment", name, {
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace: "dev", labels: { "app.kubernetes.io/name": name } },
    spec: { replicas: 2, template: { spec: { containers: [{ name, image }] } } }, ...extra,
});

test("property paths: formatted and parsed as Pulumi does, Contains with wildcards", () => {
    assert.equal(formatPath(["metadata", "labels", "app.kubernetes.io/name"]), 'metadata.labels["app.kubernetes.io/name"]');
    assert.equal(formatPath(["spec", "containers", 0, "image"]), "spec.containers[0].image");
    assert.equal(formatPath(["a", 'b"c']), 'a["b\\"c"]');
    assert.deepEqual(parsePath('metadata.labels["app.kubernetes.io/name"]'), ["metadata", "labels", "app.kubernetes.io/name"]);
    assert.deepEqual(parsePath('a["b\\"c"][3].d'), ["a", 'b"c', 3, "d"]);
    assert.equal(parsePath(".a"), undefined);
    // pulumi/pulumi@v3.248.0:sdk/go/common/resource/properties_path.go Contains
    assert.ok(pathContains(parsePath("spec.selector")!, parsePath("spec.selector.matchLabels.app")!));
    assert.ok(pathContains(parsePath("spec.*.image")!, parsePath("spec.x.image.tag")!));
    assert.ok(pathContains(parsePath("*")!, parsePath("anything[0]")!));
    assert.ok(!pathContains(parsePath("spec.selector")!, parsePath("spec")!));
    assert.ok(!pathContains(parsePath("a[0]")!, parsePath("a[1]")!));
});

test("added, removed and changed resources, field by field, with the manifest's unified diff", () => {
    const bucket = resource("aws:s3/bucket:Bucket", "logs", { bucket: "logs", tags: { team: "a" } });
    const queue = resource("aws:sqs/queue:Queue", "jobs", { name: "jobs" });
    const topic = resource("aws:sns/topic:Topic", "alerts", { name: "alerts" });
    const old = side("old", [bucket, queue, deployment("api", "api:v1")]);
    const next = side("new", [{ ...bucket, inputs: { bucket: "logs", tags: { team: "b", cost: "x" } } }, topic, deployment("api", "api:v2")]);
    const d = diffPlans(old, next);
    assert.deepEqual(d.resources.added.map((r) => r.name), ["alerts"]);
    assert.deepEqual(d.resources.removed.map((r) => r.name), ["jobs"]);
    // In URN order: aws:... before kubernetes:...
    assert.deepEqual(d.resources.changed.map((r) => r.name), ["logs", "api"]);
    const logs = d.resources.changed.find((r) => r.name === "logs")!;
    assert.deepEqual(logs.inputs, [{ path: "tags.cost", new: "x" }, { path: "tags.team", old: "a", new: "b" }]);
    assert.equal(logs.manifest, undefined, "not a Kubernetes object: no manifest");
    const api = d.resources.changed.find((r) => r.name === "api")!;
    assert.deepEqual(api.inputs, [{ path: "spec.template.spec.containers[0].image", old: "api:v1", new: "api:v2" }]);
    assert.match(api.manifest!, /^--- a\/manifests\/dev_deployment_api\.yaml\n\+\+\+ b\/manifests\/dev_deployment_api\.yaml\n@@ /);
    assert.match(api.manifest!, /^-\s+image: api:v1$/m);
    assert.match(api.manifest!, /^\+\s+image: api:v2$/m);
    assert.deepEqual(d.summary, { added: 1, removed: 1, changed: 2, rolled: 0, renamed: 0, replaced: 0, unchanged: 0, newViolations: 0, resolvedViolations: 0 });
});

test("a URN whose new resource lists the old one in aliases is a rename, children included", () => {
    const compType = "eks-delivery:apps:Service";
    const oldParent = resource(compType, "api", {});
    const oldChild = { ...resource("aws:iam/role:Role", "api-role", { name: "r" }), urn: urn("aws:iam/role:Role", "api-role", compType), parent: oldParent.urn };
    const newParent = { ...resource(compType, "backend", {}), options: { aliases: [{ name: "api" }] } };
    // The child is named after its parent: its old name follows the parent's (inheritedChildAlias).
    const newChild = { ...resource("aws:iam/role:Role", "backend-role", { name: "r2" }), urn: urn("aws:iam/role:Role", "backend-role", compType), parent: newParent.urn };
    const literal = { ...resource("aws:sqs/queue:Queue", "jobs2", { name: "jobs" }), options: { aliases: [{ urn: urn("aws:sqs/queue:Queue", "jobs") }] } };
    const d = diffPlans(side("old", [oldParent, oldChild, resource("aws:sqs/queue:Queue", "jobs", { name: "jobs" })]), side("new", [newParent, newChild, literal]));
    assert.deepEqual(d.resources.added, []);
    assert.deepEqual(d.resources.removed, []);
    const renamed = Object.fromEntries(d.resources.changed.map((c) => [c.name, c.renamedFrom]));
    assert.deepEqual(renamed, { backend: oldParent.urn, "backend-role": oldChild.urn, jobs2: urn("aws:sqs/queue:Queue", "jobs") });
    assert.equal(d.summary.renamed, 3);
    assert.deepEqual(d.resources.changed.find((c) => c.name === "backend-role")!.inputs, [{ path: "name", old: "r", new: "r2" }]);
});

test("replaceOnChanges marks the fields that force a replacement; other fields update", () => {
    const opts = { replaceOnChanges: ["spec.selector", "metadata.*.team"] };
    const old = resource("kubernetes:apps/v1:Deployment", "web", { spec: { selector: { app: "web" }, replicas: 1 }, metadata: { labels: { team: "a" } } }, { options: opts });
    const changedSelector = { ...old, inputs: { spec: { selector: { app: "web2" }, replicas: 1 }, metadata: { labels: { team: "b" } } } };
    const d = diffPlans(side("old", [old]), side("new", [changedSelector]));
    const web = d.resources.changed[0];
    assert.deepEqual(web.replaceOnChanges, ["metadata.*.team", "spec.selector"]);
    assert.deepEqual(web.inputs.map((f) => [f.path, f.replaces ?? false]), [["metadata.labels.team", true], ["spec.selector.app", true]]);
    assert.equal(d.summary.replaced, 1);
    const onlyReplicas = diffPlans(side("old", [old]), side("new", [{ ...old, inputs: { ...old.inputs, spec: { selector: { app: "web" }, replicas: 3 } } }]));
    assert.deepEqual(onlyReplicas.resources.changed[0].replaceOnChanges, []);
    assert.equal(onlyReplicas.summary.replaced, 0);
    assert.match(renderText(d), /\(replaced\)/);
    assert.match(d.notes[0], /not known offline/);
});

test("secrets redacted on both sides: may have changed, never shown, never counted as a change", () => {
    const db = resource("aws:rds/instance:Instance", "db", { password: "[secret]", instanceClass: "a" });
    const d = diffPlans(side("old", [db]), side("new", [{ ...db }]));
    assert.equal(d.summary.changed, 0);
    assert.deepEqual(d.resources.secretsUnknown, [{ urn: db.urn, type: db.type, name: db.name, paths: ["password"] }]);
    assert.ok(d.notes.includes(SECRET_NOTE));
    const both = diffPlans(side("old", [db]), side("new", [{ ...db, inputs: { password: "[secret]", instanceClass: "b" } }]));
    assert.deepEqual(both.resources.changed[0].inputs, [{ path: "instanceClass", old: "a", new: "b" }, { path: "password", old: "[secret]", new: "[secret]", secret: true }]);
    const md = renderMarkdown(both);
    assert.match(md, /\| `inputs\.password` \| `\[secret\]` \| `\[secret\]` \(may have changed\) \|/);
    assert.match(renderText(both), /password: \[secret\] \(may have changed\)/);
});

test("the credentials every plan holds (kubeconfig, the ECR login) are left out: no secrets note for them", () => {
    // In step with what the plan redacts by design (tools/plan/engine.ts CREDENTIALS), inputs side.
    for (const [type, { inputs = [] }] of Object.entries(CREDENTIALS)) {
        for (const p of inputs) assert.ok(CREDENTIAL_INPUTS[type]?.includes(formatPath(p)), `${type} ${formatPath(p)}`);
    }
    const provider = resource("pulumi:providers:kubernetes", "cluster-k8s", { kubeconfig: "[secret]", context: "a" });
    const image = resource("docker-build:index:Image", "api", { registries: [{ address: "r", password: "[secret]", username: "AWS" }], push: true });
    const d = diffPlans(side("old", [provider, image]), side("new", [provider, { ...image, inputs: { ...image.inputs, push: false } }]));
    assert.deepEqual(d.resources.secretsUnknown, []);
    assert.deepEqual(d.resources.changed.map((r) => r.inputs), [[{ path: "push", old: true, new: false }]]);
    assert.ok(!d.notes.includes(SECRET_NOTE), "no note for the credentials");
    assert.doesNotMatch(renderMarkdown(d) + renderText(d), /may have changed|kubeconfig|password/);
});

test("cost per item from cost.json (capacity.json's totals without it), capacity and policy findings", () => {
    const cost = (nodes: number, nat: number | undefined) => ({
        monthlyUsd: { min: nodes + (nat ?? 0), max: nodes * 2 + (nat ?? 0) },
        items: [{ id: "nodes/nodes", label: "nodes", monthlyUsd: { min: nodes, max: nodes * 2 } }, ...(nat === undefined ? [] : [{ id: "nat", label: "NAT gateways", monthlyUsd: { min: nat, max: nat } }])],
    });
    const violation = (message: string, resourceUrn = urn("aws:s3/bucket:Bucket", "logs")) => ({ policy: "p", enforcementLevel: "mandatory", urn: resourceUrn, message });
    const old = side("old", [], { cost: cost(60.7, undefined), policy: { violations: [violation("a"), violation("b")], exemptions: [] } });
    const next = side("new", [], {
        cost: cost(60.7, 32.85),
        capacity: { ...old.capacity, peak: { cpuMillicores: 5000, memoryMiB: 1024, pods: 12 }, fits: false },
        policy: { violations: [violation("b"), violation("c")], exemptions: [{ policy: "p", reason: "OPS-1", kind: "Deployment", namespace: "dev", name: "api" }] },
    });
    const d = diffPlans(old, next);
    assert.deepEqual(d.cost.source, { old: "cost.json", new: "cost.json" });
    assert.deepEqual(d.cost.delta, { min: 32.85, max: 32.85 });
    assert.deepEqual(d.cost.items, [{ id: "nat", label: "NAT gateways", new: { min: 32.85, max: 32.85 }, delta: { min: 32.85, max: 32.85 } }]);
    assert.deepEqual(d.capacity.delta.peak, { cpuMillicores: 4000, memoryMiB: 0, pods: 2 });
    assert.equal(d.capacity.new.fits, false);
    assert.deepEqual(d.policy.newViolations.map((v) => v.message), ["c"]);
    assert.deepEqual(d.policy.resolvedViolations.map((v) => v.message), ["a"]);
    assert.equal(d.policy.exemptionsAdded.length, 1);
    const md = renderMarkdown(d);
    // No "$": two on a line are inline math on GitHub.
    assert.match(md, /\| Cost \(USD\/month\) \| 60\.70 to 121\.40 → 93\.55 to 154\.25 \(\+32\.85 at minimum, \+32\.85 at peak\) \|/);
    assert.doesNotMatch(md + renderText(d), /\$/);
    assert.match(md, /\| Capacity at peak \| \*\*does not fit\*\* \(was: fits\)/);
    assert.match(md, /\| Change at peak \| demand: CPU \+4000m, memory ±0Mi, pods \+2; capacity: CPU ±0m, memory ±0Mi, pods ±0 \|/);
    assert.match(md, /\| Policy violations \| 1 new \(\*\*mandatory\*\*\), 1 resolved \|/);
    // Without cost.json: capacity.json's totals, said so.
    const fallback = diffPlans(side("old", []), side("new", [], { cost: cost(100, 50) }));
    assert.deepEqual(fallback.cost.source, { old: "capacity.json", new: "cost.json" });
    assert.deepEqual(fallback.cost.old, { min: 100, max: 200 });
    assert.deepEqual(fallback.cost.items, [], "no items when one side does not itemise");
    assert.equal(fallback.cost.comparable, false);
    assert.match(renderMarkdown(fallback), /\| Cost \(USD\/month\) \| 100\.00 to 200\.00 → 150\.00 to 250\.00 \(not comparable: old from capacity\.json, new from cost\.json\) \|/);
    assert.match(renderText(fallback), /Cost \(USD\/month\): .*\(not comparable: old from capacity\.json, new from cost\.json\)/);
    assert.equal(d.cost.comparable, true);
});

test("a new release alone collapses to one line: image and version label changes are the release's", () => {
    const [v1, v2] = ["v1.2.3", "v1.3.0-4-gabc1234"];
    const digest = (c: string) => `sha256:${c.repeat(64)}`;
    const svc = (name: string, v: string, d: string, extra: Record<string, unknown> = {}) => deployment(name, `123.dkr.ecr/x/${name}:${v}@${d}`, { metadata: { name, namespace: "dev", labels: { "app.kubernetes.io/version": v } }, ...extra });
    const hpa = (v: string) => resource("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "api", { metadata: { name: "api", labels: { "app.kubernetes.io/version": v } } });
    const image = (v: string) => resource("docker-build:index:Image", "api", { tags: [`r/api:${v}`], buildArgs: { APP_VERSION: v }, registries: [{ password: "[secret]" }] });
    const plan = (v: string, d: string, replicas = 2) => {
        const resources = [svc("api", v, d, { spec: { replicas, template: { spec: { containers: [{ name: "api", image: `123.dkr.ecr/x/api:${v}@${d}` }] } } } }), svc("web", v, d), hpa(v), image(v)];
        return side(v, resources, { plan: { project: "eks-delivery", stack: STACK, resources, outputs: { releaseVersion: v, imageDigests: { api: d } } } });
    };
    const old = plan(v1, digest("a"));
    const next = plan(v2, digest("b"), 3);
    const d = diffPlans(old, next);
    assert.deepEqual(d.release, { old: v1, new: v2 });
    // api's replicas changed too: a real change; web, the HPA and the image only roll.
    assert.deepEqual(d.resources.changed.filter((r) => r.releaseOnly).map((r) => `${r.type} ${r.name}`).sort(),
        ["docker-build:index:Image api", "kubernetes:apps/v1:Deployment web", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler api"]);
    assert.deepEqual({ changed: d.summary.changed, rolled: d.summary.rolled }, { changed: 1, rolled: 3 });
    const api = d.resources.changed.find((r) => r.name === "api" && r.type.endsWith("Deployment"))!;
    assert.equal(api.releaseOnly, undefined);
    assert.deepEqual(api.inputs.map((f) => [f.path, f.release ?? false]), [
        ['metadata.labels["app.kubernetes.io/version"]', true], ["spec.replicas", false], ["spec.template.spec.containers[0].image", true]]);
    assert.deepEqual(d.outputs.map((f) => [f.path, f.release ?? false]), [["imageDigests.api", true], ["releaseVersion", true]]);
    const md = renderMarkdown(d);
    assert.match(md, /\| Resources \| 0 to add, 1 to change \(0 renamed, 0 replaced\), 0 to remove; 3 resources roll to the new release `v1\.2\.3` → `v1\.3\.0-4-gabc1234` \|/);
    assert.match(md, /<details><summary>3 resources roll to the new release <code>v1\.2\.3<\/code> → <code>v1\.3\.0-4-gabc1234<\/code>: image and version label only \(3\)<\/summary>/);
    assert.match(md, /\*\*To change\*\* \(1\)/);
    assert.match(md, /^2 stack outputs only carry the new release \(`--json` has them\)\.$/m);
    assert.doesNotMatch(md, /imageDigests/);
    assert.equal((md.match(/<details><summary><code>/g) ?? []).length, 1, "only api's details");
    assert.match(renderText(d), /^ {2}and 3 resources roll to the new release v1\.2\.3 → v1\.3\.0-4-gabc1234 \(image and version label only\)$/m);
    // --json keeps them, flagged.
    assert.equal((JSON.parse(diffJson(d)) as PlanDiff).resources.changed.filter((r) => r.releaseOnly).length, 3);

    // What is not the release's: another value, a version the new side lacks, the same release.
    const rel = { old: v1, new: v2 };
    assert.ok(isReleaseChange({ path: "x", old: `a:${v1}@${digest("a")}`, new: `a:${v2}@${digest("c")}` }, rel));
    assert.ok(!isReleaseChange({ path: "x", old: `a:${v1}`, new: `b:${v2}` }, rel), "another repository");
    assert.ok(!isReleaseChange({ path: "x", old: `a:${v1}`, new: "a:v9" }, rel));
    assert.ok(!isReleaseChange({ path: "x", old: 1, new: 2 }, rel));
    const same = diffPlans(plan(v1, digest("a")), plan(v1, digest("b")));
    assert.equal(same.release, undefined);
    assert.equal(same.summary.rolled, 0, "no release change: a new digest is a change");
});

/** The markdown with everything shown as code removed: fenced blocks, <code> elements and code spans. */
function outsideCode(md: string): string {
    let text = md.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, "");
    text = text.replace(/<code>[^<]*<\/code>/g, "");
    // Code spans: a run of N backticks up to the next run of exactly N.
    text = text.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, "");
    return text;
}

test("values from the plans cannot inject HTML, markdown, links or mentions into the comment", () => {
    const evil = "x</summary></details><img src=x onerror=alert(1)> @octocat #1 [link](https://evil.example) **bold** | cell `tick` ```fence\n<!-- eks-delivery:plan-diff stack=prod -->";
    const a = resource("aws:s3/bucket:Bucket", evil, { bucket: evil, tags: { [evil]: "a" } });
    const dep = deployment("api", "api:v1");
    const depEvil = deployment("api", `api:v2\n\`\`\`\n</details>\n@octocat <script>`);
    const d = diffPlans(
        side("old", [a, dep], { policy: { violations: [], exemptions: [] } }),
        side(`new ${evil}`, [{ ...a, inputs: { bucket: `${evil}2`, tags: { [evil]: "b" } } }, depEvil],
            { policy: { violations: [{ policy: evil, enforcementLevel: "advisory", urn: a.urn, message: evil }], exemptions: [] } }),
    );
    const md = renderMarkdown(d);
    const outside = outsideCode(md);
    for (const bad of ["<img", "<script", "@octocat", "[link](", "**bold**", "onerror", "#1"]) {
        assert.ok(!outside.includes(bad), `${JSON.stringify(bad)} outside code in:\n${outside}`);
    }
    // The part starts with its heading; no marker from the plans outside code (the workflow adds the one marker).
    assert.equal(md.split("\n")[0], "### Plan diff: `dev`");
    assert.ok(!outside.includes("<!--"), "no HTML comment outside code");
    // Every <details> we open is closed, and none comes from the plans.
    assert.equal(outside.match(/<details>/g)!.length, outside.match(/<\/details>/g)!.length);
    // A table cell's pipe is escaped inside its code span.
    assert.ok(md.includes("\\| cell"), "the pipe is escaped in the table");
    assert.equal(code("a`b"), "``a`b``");
    assert.equal(code("`a"), "`` `a ``");
});

test("the comment stays under GitHub's limit: long diffs are truncated, the rest folded away with a note", () => {
    const big = (n: number, v: string) => Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`key${i}`, `${v}-${n}-${"x".repeat(50)}`]));
    const olds = Array.from({ length: 60 }, (_, i) => deployment(`svc${String(i).padStart(2, "0")}`, "img:v1", { data: big(i, "old") }));
    const news = olds.map((r, i) => ({ ...r, inputs: { ...r.inputs, data: big(i, "new") }, outputs: { ...r.outputs, data: big(i, "new") } }));
    const d = diffPlans(side("old", olds), side("new", news));
    assert.equal(d.summary.changed, 60);
    const md = renderMarkdown(d);
    assert.ok(Buffer.byteLength(md) <= COMMENT_PART_LIMIT, `${Buffer.byteLength(md)} bytes`);
    assert.ok(2 * COMMENT_PART_LIMIT + Buffer.byteLength(`${COMMENT_MARKER}\n\n\n`) <= GITHUB_COMMENT_LIMIT, "two stacks' parts fit in one comment");
    assert.match(md, /… manifest diff truncated: \d+ more lines/);
    assert.match(md, /… \d+ more fields not shown/);
    assert.match(md, /… \d+ more changed resources not shown: this part of the comment holds at most 32000 bytes/);
    // The summary always comes first.
    assert.match(md, /^### Plan diff: `dev`\n[\s\S]*\| Resources \| 0 to add, 60 to change/);
    // --json keeps everything.
    assert.equal((JSON.parse(diffJson(d)) as PlanDiff).resources.changed.length, 60);
});

test("one huge resource is skipped, not the ones after it; diff lines are cut at 400 characters", () => {
    // 100 fields changed, one of them 20,000 characters long: more than the whole budget.
    const data = (c: string) => Object.fromEntries([["blob", c.repeat(20000)], ...Array.from({ length: 99 }, (_, i) => [`k${i}`, `${c}${i}`.repeat(100)])]);
    const huge = deployment("aaa", "img:v1", { data: data("x") });
    const small = deployment("bbb", "img:v1", { data: { a: 1 } });
    const d = diffPlans(side("old", [huge, small]), side("new", [
        { ...huge, inputs: { ...huge.inputs, data: data("y") }, outputs: { ...huge.outputs, data: data("y") } },
        { ...small, inputs: { ...small.inputs, data: { a: 2 } }, outputs: { ...small.outputs, data: { a: 2 } } },
    ]));
    const md = renderMarkdown(d, 8000);
    assert.ok(Buffer.byteLength(md) <= 8000);
    assert.match(md, /<code>bbb<\/code>/, "the small resource after the huge one is shown");
    assert.doesNotMatch(md, /<code>aaa<\/code>/);
    assert.match(md, /… 1 more changed resource not shown/);
    const blob = deployment("ccc", "img:v1", { data: { blob: "x".repeat(20000) } });
    const wide = renderMarkdown(diffPlans(side("old", [blob]), side("new", [{ ...blob, outputs: { ...blob.outputs, data: { blob: "y".repeat(20000) } } }])));
    assert.match(wide, /^\+\s+blob: y{300,}… \(\d+ characters\)$/m);
    assert.ok(wide.split("\n").every((l) => l.length <= 600), "no line longer than the cap");
});

test("a cut never leaves a fence or <details> open", () => {
    const text = ["# t", "<details><summary>a</summary>", "", "```diff", ...Array.from({ length: 50 }, (_, i) => `+ line ${i} ${"z".repeat(40)}`), "```", "", "</details>", "tail"].join("\n");
    for (const limit of [200, 700, 1500, 2600]) {
        const out = cutSafely(text, limit, "… truncated");
        assert.ok(Buffer.byteLength(out) <= limit, `${limit}: ${Buffer.byteLength(out)}`);
        assert.equal(outsideCode(out).match(/<details>/g)?.length ?? 0, outsideCode(out).match(/<\/details>/g)?.length ?? 0, out);
        assert.equal((out.match(/^```/gm) ?? []).length % 2, 0, out);
        assert.match(out, /… truncated\n$/);
    }
    // Hundreds of findings: the fixed part alone overflows, cut the same way.
    const many = Array.from({ length: 400 }, (_, i) => ({ policy: `p${i}`, enforcementLevel: "advisory", message: "m".repeat(100) }));
    const d = diffPlans(side("o", []), side("n", [], { policy: { violations: many, exemptions: [] } }));
    const md = renderMarkdown(d, 10000);
    assert.ok(Buffer.byteLength(md) <= 10000);
    assert.match(md, /… truncated: this part of the comment holds at most 10000 bytes\.\n$/);
});

test("deterministic: the same plans in any order give byte-identical JSON, text and markdown", () => {
    const rs = [resource("aws:s3/bucket:Bucket", "b", { x: 1 }), resource("aws:sqs/queue:Queue", "q", { y: [1, 2] }), deployment("api", "v1")];
    const changed = [resource("aws:s3/bucket:Bucket", "b", { x: 2 }), resource("aws:sqs/queue:Queue", "q2", { y: [2] }), deployment("api", "v2")];
    const first = diffPlans(side("o", rs), side("n", changed));
    const second = diffPlans(side("o", [...rs].reverse()), side("n", [...changed].reverse()));
    assert.equal(diffJson(first), diffJson(second));
    assert.equal(renderMarkdown(first), renderMarkdown(second));
    assert.equal(renderText(first), renderText(second));
});

// ---------------------------------------------------------------------------------------------------
// The CLI, for real: four plans.

function runPlan(args: string[], cwd = PROJECT_ROOT, script = path.join(PROJECT_ROOT, "tools/plan/cli.ts")) {
    const result = spawnSync(process.execPath, ["--import", "tsx", script, "--quiet", "--today", TEST_DATE, ...args],
        { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Pulumi.dev.yaml with `edit` applied to its text (each edit must apply). */
function devStackWith(...edits: Array<[string | RegExp, string]>): string {
    let text = fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8");
    for (const [from, to] of edits) {
        const next = text.replace(from, to);
        assert.notEqual(next, text, `edit ${from} applies`);
        text = next;
    }
    return text;
}

const MAX_SIZE: [RegExp, string] = [/^(\s+maxSize:) 8$/m, "$1 10"];
const WORKER: [RegExp, string] = [/^(\s+)- name: web\n/m, "$1- name: worker\n$1  path: apps/services/api\n$1  port: 8080\n$1  healthPath: /healthz\n$1  readinessPath: /readyz\n$1  replicas: {min: 2, max: 4}\n$1  cpuTargetPercent: 50\n$1  resources:\n$1    requests: {cpu: 100m, memory: 128Mi}\n$1    limits: {memory: 256Mi}\n$1  strategy: rolling\n$1- name: web\n"];

test("plan --against a previous plan directory: --json is the diff, --markdown the comment", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-diff-dir-"));
    try {
        const first = runPlan(["--stack", "dev", "--out", path.join(dir, "before")]);
        assert.equal(first.code, 0, first.stderr);
        const config = path.join(dir, "Pulumi.dev.yaml");
        fs.writeFileSync(config, devStackWith(MAX_SIZE, WORKER));
        const md = path.join(dir, "comment.md");
        const second = runPlan(["--config", config, "--out", path.join(dir, "after"), "--against", path.join(dir, "before"), "--markdown", md, "--json"]);
        assert.equal(second.code, 0, second.stderr);
        const d = JSON.parse(second.stdout) as PlanDiff;
        assert.equal(d.stack, "dev");
        assert.ok(d.resources.added.some((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "worker"), "the new service's Deployment is added");
        assert.deepEqual(d.resources.removed, []);
        const maxSize = d.resources.changed.flatMap((r) => r.inputs.filter((f) => /maxSize$/.test(f.path)).map((f) => [r.type, f.path, f.old, f.new]));
        assert.ok(maxSize.some(([, p, o, n]) => p === "scalingConfig.maxSize" && o === 8 && n === 10), JSON.stringify(maxSize));
        assert.ok(d.capacity.delta.capacity.cpuMillicores > 0, "more nodes at most: more capacity");
        assert.ok(d.cost.delta.max > 0, "more nodes at most: more cost at peak");
        const comment = fs.readFileSync(md, "utf8");
        assert.equal(comment.split("\n")[0], "### Plan diff: `dev`");
        assert.match(comment, /\| Resources \| \d+ to add, \d+ to change/);
        assert.ok(Buffer.byteLength(comment) <= COMMENT_PART_LIMIT);
        assert.doesNotMatch(comment, /may have changed|kubeconfig/, "the by-design credentials are no news");
        // The Kubernetes manifests the diff shows are the files the plan wrote.
        const after = JSON.parse(fs.readFileSync(path.join(dir, "after", "plan.json"), "utf8"));
        const { manifestOf } = require("../tools/plan/diff/diff") as typeof import("../tools/plan/diff/diff");
        const api = after.resources.find((r: PlanResource) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "api");
        const m = manifestOf(api);
        assert.equal(m.yaml, fs.readFileSync(path.join(dir, "after", "manifests", m.file), "utf8"));
        // The same plans again: byte-identical.
        const again = runPlan(["--config", config, "--out", path.join(dir, "after"), "--against", path.join(dir, "before"), "--markdown", md, "--json"]);
        assert.equal(again.stdout, second.stdout);
        assert.equal(fs.readFileSync(md, "utf8"), comment);
        // A plan of another stack is no base: one line, exit 2, nothing planned or written.
        const prod = path.join(dir, "prod-like");
        fs.cpSync(path.join(dir, "before"), prod, { recursive: true });
        const planFile = path.join(prod, "plan.json");
        fs.writeFileSync(planFile, fs.readFileSync(planFile, "utf8").replace(/"stack": "dev"/, '"stack": "prod"'));
        const other = runPlan(["--config", config, "--out", path.join(dir, "never"), "--against", prod]);
        assert.equal(other.code, 2, other.stderr);
        assert.match(other.stderr, /^plan: --against ".*prod-like" is a plan of stack "prod", not "dev": diff plans of the same stack\n$/);
        assert.ok(!fs.existsSync(path.join(dir, "never")));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test("plan --against a git ref plans that commit's own program in a temp clone, and cleans up", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-diff-ref-"));
    try {
        // A scratch repository with this checkout's files (tracked and new), and its dependencies linked.
        const repo = path.join(dir, "repo");
        const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: PROJECT_ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
        for (const f of files) {
            const from = path.join(PROJECT_ROOT, f);
            if (!fs.existsSync(from)) continue;
            fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
            fs.copyFileSync(from, path.join(repo, f));
        }
        fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(repo, "node_modules"), "dir");
        const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", ...args], { cwd: repo, encoding: "utf8" });
        git("init", "--quiet", "--initial-branch=main");
        // The link is not a directory to .gitignore's "node_modules/": keep it out of the commits.
        fs.appendFileSync(path.join(repo, ".git", "info", "exclude"), "node_modules\n");
        git("add", "-A");
        git("commit", "--quiet", "-m", "base");
        fs.writeFileSync(path.join(repo, "Pulumi.dev.yaml"), devStackWith(MAX_SIZE));
        git("commit", "--quiet", "-am", "dev: up to 10 nodes");
        const before = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("eks-delivery-against-"));
        const md = path.join(dir, "comment.md");
        const result = runPlan(["--stack", "dev", "--out", path.join(dir, "out"), "--against", "HEAD~1", "--markdown", md], repo, path.join(repo, "tools/plan/cli.ts"));
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /Plan diff for eks-delivery\/dev: git HEAD~1 \([0-9a-f]{7}\) → /);
        assert.match(result.stdout, /inputs\.scalingConfig\.maxSize: 8 → 10/);
        const comment = fs.readFileSync(md, "utf8");
        assert.match(comment, /`git HEAD~1 \([0-9a-f]{7}\)`/);
        assert.match(comment, /\| `inputs\.scalingConfig\.maxSize` \| `8` \| `10` \|/);
        // The temp clone is gone, and nothing was written into the repository's git directory but its own commits.
        const after = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("eks-delivery-against-"));
        assert.deepEqual(after.filter((f) => !before.includes(f)), []);
        assert.equal(git("worktree", "list").trim().split("\n").length, 1);
        // A ref without the stack: one line, exit 2, before anything is planned.
        const missing = runPlan(["--stack", "staging", "--config", path.join(repo, "Pulumi.dev.yaml"), "--out", path.join(dir, "out2"), "--against", "HEAD~1"], repo, path.join(repo, "tools/plan/cli.ts"));
        assert.equal(missing.code, 2, missing.stderr);
        assert.match(missing.stderr, /^plan: --against "HEAD~1": git HEAD~1 \([0-9a-f]{7}\) has no Pulumi\.staging\.yaml/);
        assert.ok(!fs.existsSync(path.join(dir, "out2")));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test("the PR comment job holds the write token and runs no code from the pull request", () => {
    const wf = parse(fs.readFileSync(path.join(PROJECT_ROOT, ".github/workflows/pull-request.yml"), "utf8"));
    const job = wf.jobs["plan-comment"];
    assert.deepEqual(job.permissions, { "pull-requests": "write" });
    assert.deepEqual(job.needs, "plan");
    for (const step of job.steps) {
        assert.ok(!String(step.uses ?? "").startsWith("actions/checkout"), "no checkout");
        assert.doesNotMatch(String(step.run ?? ""), /\b(npm|npx|node|tsx)\b/, "no project code");
        if (step.uses) assert.match(step.uses, /@[0-9a-f]{40}$/, "pinned by SHA");
    }
    assert.match(JSON.stringify(job.steps), /head\.repo\.full_name != github\.repository/, "forks get a notice");
    // One comment: every stack of the plan matrix under the one marker, written whole on each push.
    const body = job.steps.find((s: { name?: string }) => s.name === "One comment with every stack's part");
    assert.ok(body.run.includes(`marker='${COMMENT_MARKER}'`));
    assert.deepEqual(/for stack in ([\w ]+); do/.exec(body.run)![1].split(" "), wf.jobs.plan.strategy.matrix.stack);
    assert.match(body.run, /-le 32000 \]/);
    assert.ok(body.run.includes(String(COMMENT_PART_LIMIT)));
    assert.match(body.run, /plan diff unavailable for/, "a stack without a part says so");
    const post = job.steps.find((s: { name?: string }) => s.name === "Create or update the comment");
    assert.equal(post["continue-on-error"], true, "Dependabot's read-only token fails nothing");
    assert.ok(post.run.includes(`marker='${COMMENT_MARKER}'`));
    assert.match(post.run, /--method PATCH .* -F "body=@comment\.md"/);
    const plan = wf.jobs.plan;
    const planStep = plan.steps.find((s: { name?: string }) => s.name === "Offline plan and its diff (exit 1 on a mandatory policy violation)");
    // The head planned once, against the merge commit's first parent; the job's verdict is the plan's.
    assert.equal(plan.steps.filter((s: { run?: string }) => /npm run (--silent )?plan\b/.test(s.run ?? "")).length, 1);
    assert.match(planStep.run, /^ *base=\$\(git rev-parse --verify 'HEAD\^1\^\{commit\}'\)$/m);
    assert.match(planStep.run, /--against "\$base" --markdown "\$part"/);
    assert.match(planStep.run, /plan diff unavailable for/);
    assert.match(planStep.run, /exit "\$status"\n$/);
    assert.equal(planStep["continue-on-error"], undefined, "a mandatory violation fails the job");
    const later = plan.steps.slice(plan.steps.indexOf(planStep) + 1);
    for (const step of later.filter((s: { name?: string }) => /summary|Keep the plan diff/.test(s.name ?? ""))) assert.match(step.if, /always\(\)|!cancelled\(\)/, step.name);
    // Checkouts that run PR code keep no token; every job that plans or tests has the tags.
    for (const [name, j] of Object.entries<any>(wf.jobs)) {
        for (const step of j.steps ?? []) {
            if (String(step.uses ?? "").startsWith("actions/checkout")) assert.equal(step.with?.["persist-credentials"], false, name);
        }
    }
    assert.equal(wf.jobs.test.steps[0].with["fetch-depth"], 0, "the tests read tags");
    assert.equal(plan.steps[0].with["fetch-depth"], 0);
});
