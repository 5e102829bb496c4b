/** `npm run plan` as a user runs it: files written, determinism, exit codes, redaction. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../config";
import { parseStackFile } from "../config/stackFile";
import { planFiles, planJson, planReport } from "../tools/plan/plan";
import { policyResources, policyVerdicts } from "../tools/plan/planStack";
import { plan, stackValues } from "./support";

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `eks-delivery-${prefix}-`));

function runPlan(args: string[]) {
    const result = spawnSync(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "tools/plan/cli.ts"), ...args], {
        // The plan carries the Gateway API CRDs (over 1 MB): more than spawnSync's default buffer.
        cwd: PROJECT_ROOT, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function readTree(dir: string): Record<string, string> {
    const files: Record<string, string> = {};
    for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (entry.isFile()) {
            const full = path.join(entry.parentPath, entry.name);
            files[path.relative(dir, full)] = fs.readFileSync(full, "utf8");
        }
    }
    return files;
}

test("plan writes plan.json and manifests, byte-identical across runs", () => {
    const [a, b] = [tmp("plan-a"), tmp("plan-b")];
    const first = runPlan(["--stack", "dev", "--out", a, "--tree"]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^Plan for eks-delivery\/dev/);
    assert.match(first.stdout, /eks:index:Cluster\s+cluster/);
    assert.match(first.stdout, /Resources: \d+ to create/);
    // The summary leads; the tree (--tree) comes after where the files went.
    assert.ok(first.stdout.indexOf("Wrote ") < first.stdout.indexOf("eks:index:Cluster"), first.stdout.slice(0, 2000));
    const second = runPlan(["--stack", "dev", "--out", b]);
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /eks:index:Cluster\s+cluster/, "no tree without --tree");
    assert.match(second.stdout, /^Resources: \d+ to create$/m);
    assert.match(second.stdout, /\(--tree for every resource/);
    const [treeA, treeB] = [readTree(a), readTree(b)];
    assert.ok(treeA["plan.json"], "plan.json written");
    assert.ok(fs.statSync(path.join(a, "manifests")).isDirectory(), "manifests/ written");
    assert.deepEqual(treeA, treeB);

    const written = JSON.parse(treeA["plan.json"]);
    assert.equal(written.project, "eks-delivery");
    assert.equal(written.stack, "dev");
    for (const r of written.resources) {
        for (const key of ["urn", "type", "name", "inputs", "outputs"]) assert.ok(key in r, `${r.urn} has ${key}`);
    }
    const urns = written.resources.map((r: { urn: string }) => r.urn);
    assert.deepEqual(urns, [...urns].sort(), "resources in URN order");
});

test("planning the same values twice in one process gives identical plans", async () => {
    const [first, second] = [await plan(stackValues("prod"), "prod"), await plan(stackValues("prod"), "prod")];
    assert.equal(planJson(first.plan), planJson(second.plan));
});

test("--json prints the plan; --config takes another stack file", () => {
    const out = tmp("json");
    const file = path.join(out, "Pulumi.staging.yaml");
    fs.writeFileSync(file, fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml")));
    const result = runPlan(["--config", file, "--out", path.join(out, "plan"), "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const printed = JSON.parse(result.stdout);
    assert.equal(printed.stack, "staging", "stack name taken from Pulumi.<stack>.yaml");
    assert.equal(result.stdout, fs.readFileSync(path.join(out, "plan", "plan.json"), "utf8"));
});

const badFiles: Array<[string, string, RegExp]> = [
    ["broken YAML", "config:\n  aws:region: ap-northeast-2\n  eks-delivery:nodes: [\n", /Pulumi\.bad\.yaml:4:1: /],
    ["duplicate keys", "config:\n  aws:region: ap-northeast-2\n  aws:region: us-east-1\n", /Pulumi\.bad\.yaml:3:3: Map keys must be unique/],
    ["not a mapping", "- just\n- a list\n", /Pulumi\.bad\.yaml: is not a mapping/],
    ["wrong types and values", "config:\n  aws:region: ap-northeast-2\n  eks-delivery:environment: development\n" +
        "  eks-delivery:cluster: {kubernetesVersion: \"1.36\", availabilityZones: two, publicAccessCidrs: []}\n" +
        "  eks-delivery:nodes: {instanceTypes: [t3.mediun], minSize: 5, desiredSize: 5, maxSize: 3, amiReleaseVersion: 1.36.2-20260714}\n" +
        "  eks-delivery:services:\n    - {name: api, path: apps/services/nope, port: 8080, resources: {requests: {cpu: 500mm, memory: 1Gi}, limits: {memory: 1Gi}}}\n",
        /availabilityZones: "two" is not a number[\s\S]*instanceTypes\[0\]: unknown instance type "t3.mediun" \(did you mean t3.medium\?\)[\s\S]*minSize: 5 is greater than maxSize 3[\s\S]*path: "apps\/services\/nope" does not exist[\s\S]*cpu: "500mm" is not a Kubernetes quantity/],
    ["missing environment and services", "config:\n  aws:region: ap-northeast-2\n  eks-delivery:cluster: {kubernetesVersion: \"1.36\", availabilityZones: 2, publicAccessCidrs: []}\n" +
        "  eks-delivery:nodes: {instanceTypes: [t3.medium], minSize: 2, desiredSize: 2, maxSize: 3, amiReleaseVersion: 1.36.2-20260714}\n",
        /:\n  eks-delivery:environment: is required\n  eks-delivery:services: is required\n$/],
];

for (const [name, text, expected] of badFiles) {
    test(`bad stack file exits 2 with a located message and writes nothing: ${name}`, () => {
        const dir = tmp("bad");
        const file = path.join(dir, "Pulumi.bad.yaml");
        fs.writeFileSync(file, text);
        const out = path.join(dir, "out");
        const result = runPlan(["--config", file, "--out", out]);
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, expected);
        assert.doesNotMatch(result.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, "no stack trace");
        assert.equal(fs.existsSync(out), false, "nothing written");
    });
}

test("--registry that is not a registry file exits 2 before planning", () => {
    const dir = tmp("registry");
    const file = path.join(dir, "registry.json");
    fs.writeFileSync(file, "not json");
    const result = runPlan(["--stack", "dev", "--registry", file, "--out", path.join(dir, "out")]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^plan: --registry .*registry\.json: not an emulated registry file/);
    assert.equal(fs.existsSync(path.join(dir, "out")), false, "nothing written");
    assert.equal(fs.readFileSync(file, "utf8"), "not json", "the file is left alone");
});

test("bad arguments exit 2 with one line naming the flag or argument", () => {
    for (const args of [["--bogus"], ["--stack"], ["extra"], ["--stack", "../etc"], ["--today", "2026-02-30"], ["--today", "tomorrow"]]) {
        const result = runPlan(args);
        assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
        assert.match(result.stderr, new RegExp(`^plan: [^\n]*${args[args.length - 1].replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[^\n]*\n$`));
    }
    const missing = runPlan(["--stack", "nosuchstack"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^plan: --stack "nosuchstack": .*Pulumi\.nosuchstack\.yaml: no such file or directory\n$/);
});

test("secure: values become a redacted placeholder and mark their key secret", () => {
    const file = parseStackFile("config:\n  aws:region: ap-northeast-2\n  eks-delivery:delivery:\n    slackWebhookUrl:\n      secure: v1:abc==\n", "Pulumi.x.yaml");
    assert.deepEqual(file.values["eks-delivery:delivery"], { slackWebhookUrl: "[secret]" });
    assert.deepEqual(file.secretKeys, ["eks-delivery:delivery"]);
    assert.ok(!JSON.stringify(file.values).includes("v1:abc"));
});

test("plan.json records the options that change what an update does, as the engine receives them", async () => {
    const { updateOptions } = await import("../tools/plan/engine");
    const request = (o: Partial<Record<string, unknown>>) => ({
        getProtect: () => o.protect, getRetainondelete: () => o.retain, getDeletebeforereplace: () => o.dbr ?? false,
        getDependenciesList: () => (o.deps as string[]) ?? [],
        getPropertydependenciesMap: () => ({ forEach: (f: (d: { getUrnsList(): string[] }) => void) => ((o.propDeps as string[][]) ?? []).forEach((urns) => f({ getUrnsList: () => urns })) }),
        getIgnorechangesList: () => (o.ignore as string[]) ?? [], getReplaceonchangesList: () => (o.replace as string[]) ?? [],
        getCustomtimeouts: () => o.timeouts as never,
    });
    assert.deepEqual(updateOptions(request({}) as never), {}, "nothing set, nothing recorded");
    assert.deepEqual(updateOptions(request({
        protect: true, retain: true, dbr: true, deps: ["urn:b", "urn:a", "urn:input"], propDeps: [["urn:input"]],
        ignore: ["spec.replicas"], replace: ["metadata.name"],
        timeouts: { getCreate: () => "5m", getUpdate: () => "", getDelete: () => "20m" },
    }) as never), {
        protect: true, retainOnDelete: true, deleteBeforeReplace: true, dependsOn: ["urn:a", "urn:b"],
        ignoreChanges: ["spec.replicas"], replaceOnChanges: ["metadata.name"], customTimeouts: { create: "5m", delete: "20m" },
    }, "a dependency its inputs carry is not an explicit dependsOn");

    const prod = await plan(stackValues("prod"), "prod");
    const deployment = prod.plan.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "api")!;
    // Just past the 300 s progress deadline: a stuck rollout fails with Kubernetes' reason, not Pulumi's timeout.
    assert.deepEqual(deployment.options?.customTimeouts, { create: "6m", update: "6m" });
    assert.ok(deployment.options?.dependsOn?.length, "rollouts wait for the platform");
});

test("the plan's policy report lists exemptions: policy-report.json and the printed report, with what each left out", async () => {
    const dev = await plan(stackValues("dev"), "dev");
    const files = (planned: typeof dev) => Object.fromEntries(planFiles(planned).map((f) => [f.file, f.content]));
    assert.deepEqual(JSON.parse(files(dev)["policy-report.json"]).exemptions, [], "the project declares none");
    assert.match(planReport(dev, "development"), /^Exemptions: none$/m);

    // The program's api Deployment, as if it declared an exemption and had no memory limit: what the plan evaluates.
    const resources = policyResources(dev.plan).map((r) => {
        if (r.type !== "kubernetes:apps/v1:Deployment" || r.props.metadata?.name !== "api") return r;
        const props = structuredClone(r.props);
        props.metadata.annotations = { ...props.metadata.annotations, "eks-delivery.dev/exempt": "memory-limits", "eks-delivery.dev/exempt-reason": "load test, OPS-7" };
        for (const c of props.spec.template.spec.containers) delete c.resources.limits;
        return { ...r, props };
    });
    const exempted = { ...dev, ...policyVerdicts(resources, {}) };
    assert.deepEqual(exempted.violations.filter((v) => v.policy === "memory-limits"), [], "the exempted findings are left out");
    const report = JSON.parse(files(exempted)["policy-report.json"]);
    assert.equal(report.exemptions.length, 1);
    const [e] = report.exemptions;
    assert.deepEqual([e.policy, e.reason, e.kind, e.name, e.suppressed], ["memory-limits", "load test, OPS-7", "Deployment", "api", e.findings.length]);
    assert.ok(e.suppressed >= 1 && e.findings.every((m: string) => /has no memory limit/.test(m)), JSON.stringify(e));
    assert.match(planReport(exempted, "development"), new RegExp(`^Exemptions: 1 \\(${e.suppressed} findings? left out\\)\n  - memory-limits on Deployment [\\w-]+/api: "load test, OPS-7" \\(${e.suppressed} left out\\)`, "m"));
});
