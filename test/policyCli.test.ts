/** The pack where users meet it: `npm run plan` (report, capacity, exit 1) and `npm run policy` over YAML. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../config";
import { allPolicies } from "../policies/all";
import { plan, stackValues } from "./support";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "eks-delivery-policy-"));
function run(script: string, args: string[]) {
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, script), ...args], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const policyCli = (...args: string[]) => run("tools/policy/cli.ts", args);

test("the project's own dev and prod plans pass every policy, prod at mandatory level", async () => {
    for (const stack of ["dev", "prod"]) {
        const planned = await plan(stackValues(stack), stack);
        assert.deepEqual(planned.violations.map((v) => `${v.policy}: ${v.message}`), [], stack);
        assert.equal(planned.capacity.fits, true, `${stack} fits at peak`);
        // What EKS sets on managed nodes: the VPC CNI formula with prefix delegation (on in both stacks).
        assert.deepEqual(planned.capacity.nodeGroups.map((g) => [g.name, g.maxPods]), [["nodes", 110]], stack);
    }
});

test("a prod stack whose peak cannot fit fails the plan (exit 1) through capacity-fits", () => {
    const dir = tmp();
    const file = path.join(dir, "Pulumi.prod.yaml");
    fs.writeFileSync(file, fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.prod.yaml"), "utf8").replace("replicas: {min: 3, max: 20}", "replicas: {min: 3, max: 200}"));
    const out = path.join(dir, "out");
    const result = run("tools/plan/cli.ts", ["--config", file, "--out", out]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /capacity-fits \[mandatory, critical\]/);
    const report = JSON.parse(fs.readFileSync(path.join(out, "policy-report.json"), "utf8"));
    assert.deepEqual(report.violations.map((v: any) => [v.policy, v.enforcementLevel]), [["capacity-fits", "mandatory"]]);
    for (const key of ["policy", "enforcementLevel", "urn", "name", "message"]) assert.ok(key in report.violations[0], key);
    const capacity = JSON.parse(fs.readFileSync(path.join(out, "capacity.json"), "utf8"));
    assert.equal(capacity.fits, false);
    assert.deepEqual(Object.keys(capacity), ["hoursPerMonth", "nodeGroups", "platform", "meshSidecars", "peak", "capacity", "largestPod", "fits", "monthlyUsd"]);
    // The platform's pods are listed with where they come from: the EKS add-ons and every Helm release's.
    const sources = new Set(capacity.platform.pods.map((p: any) => p.source));
    for (const s of ["eks-addon/coredns", "eks-addon/vpc-cni", "addons/kube-prometheus-stack", "addons/aws-load-balancer-controller", "addons/metrics-server"]) assert.ok(sources.has(s), s);
    assert.deepEqual(Object.keys(capacity.monthlyUsd), ["nodesMin", "nodesMax", "fixed", "totalMin", "totalMax"]);
    assert.deepEqual(Object.keys(capacity.nodeGroups[0]), ["name", "instanceType", "vcpu", "memoryMiB", "maxPods", "minSize", "maxSize", "usdPerHour"]);
});

test("the same oversized stack on dev is only advisory", async () => {
    const values = stackValues("dev");
    (values["eks-delivery:services"] as any[])[0].replicas = { min: 2, max: 400 };
    const planned = await plan(values, "dev");
    assert.deepEqual(planned.violations.map((v) => [v.policy, v.enforcementLevel]), [["capacity-fits", "advisory"]]);
});

test("a cluster past EKS standard support fails prod through eks-version-supported; dev is advisory", async () => {
    // 1.33 left standard support on 2026-07-29: past it on the tests' date (TEST_DATE).
    for (const [stack, level] of [["prod", "mandatory"], ["dev", "advisory"]]) {
        const values = stackValues(stack);
        // 1.33 has no pinned add-ons: the stack names them (as a stack still on it would).
        Object.assign(values["eks-delivery:cluster"] as object, { kubernetesVersion: "1.33", addonVersions: { "kube-proxy": "v1.33.0-eksbuild.2", coredns: "v1.12.1-eksbuild.2" } });
        (values["eks-delivery:nodes"] as any).amiReleaseVersion = "1.33.8-20260714";
        const planned = await plan(values, stack);
        const found = planned.violations.filter((v) => v.policy === "eks-version-supported");
        assert.deepEqual(found.map((v) => [v.enforcementLevel, v.type]), [[level, "eks:index:Cluster"]], stack);
        assert.match(found[0].message, /Kubernetes 1\.33 left standard support on 2026-07-29 \(phase: (extended|unsupported)/);
        assert.deepEqual(planned.violations.filter((v) => v.policy !== "eks-version-supported"), [], `${stack}: nothing else`);
    }
});

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: cart}}
  template:
    metadata: {labels: {app: cart}}
    spec:
      containers: [{name: cart, image: "registry.local:5000/cart"}]
`;
const pdb = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: cart, namespace: shop}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: cart}}}
`;

test("npm run policy: documents together or each file alone, --only, --json, exit codes", () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "deployment.yaml"), deployment);
    fs.writeFileSync(path.join(dir, "pdb.yml"), pdb);
    fs.writeFileSync(path.join(dir, "notes.txt"), "not yaml");

    const together = policyCli("--json", "--only", "pdb-required,image-tag", dir);
    assert.equal(together.code, 0, "advisory by default");
    const json = JSON.parse(together.stdout);
    assert.equal(json.evaluated, 2);
    assert.deepEqual(json.violations.map((v: any) => v.policy), ["image-tag"], "the PDB in the other file covers the Deployment");
    assert.deepEqual(Object.keys(json.violations[0]), ["policy", "enforcementLevel", "file", "kind", "name", "namespace", "message"]);
    assert.match(json.violations[0].message, /image "registry.local:5000\/cart" has no tag/);

    const each = JSON.parse(policyCli("--json", "--each-file", "--only", "pdb-required", dir).stdout);
    assert.deepEqual(each.violations.map((v: any) => [v.policy, path.basename(v.file)]), [["pdb-required", "deployment.yaml"]]);

    const config = path.join(dir, "strict.json");
    fs.writeFileSync(config, JSON.stringify({ all: "mandatory" }));
    const mandatory = policyCli("--config", config, "--only", "image-tag", path.join(dir, "deployment.yaml"));
    assert.equal(mandatory.code, 1);
    assert.match(mandatory.stdout, /image-tag \[mandatory, high\]/);
    assert.equal(policyCli("--config", config, "--only", "cpu-limits", path.join(dir, "deployment.yaml")).code, 0, "cpu-limits is off by default");
});

test("npm run policy: unreadable input and unknown policies exit 2", () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "broken.yaml"), "kind: Pod\nmetadata: [\n");
    fs.writeFileSync(path.join(dir, "nokind.yaml"), "just: data\n");
    for (const [args, message] of [
        [[path.join(dir, "nothing.yaml")], /no such file or directory/],
        [[path.join(dir, "broken.yaml")], /broken\.yaml:\d+: /],
        [[path.join(dir, "nokind.yaml")], /not a Kubernetes object/],
        [["--only", "no-such-policy", dir], /unknown policy no-such-policy/],
        [["--config", path.join(dir, "missing.json"), dir], /--config .*missing\.json: no such file/],
        [["--bogus"], /Unknown option/],
        [[], /no PATH given/],
    ] as Array<[string[], RegExp]>) {
        const result = policyCli(...args);
        assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
        assert.match(result.stderr, message);
        assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    }
});

test("npm run policy -- --list --json lists every policy with its level, severity and tags", () => {
    const list = JSON.parse(policyCli("--list", "--json").stdout);
    assert.equal(list.length, allPolicies.length);
    assert.deepEqual(Object.keys(list[0]), ["name", "description", "enforcementLevel", "severity", "tags"]);
    assert.ok(list.every((p: any) => p.enforcementLevel === "advisory"));
    const prod = JSON.parse(policyCli("--list", "--json", "--config", path.join(PROJECT_ROOT, "policies/config/production.json")).stdout);
    assert.ok(prod.every((p: any) => p.enforcementLevel === "mandatory"));
});
