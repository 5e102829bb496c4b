/** The pack where users meet it: `npm run plan` (report, capacity, exit 1) and `npm run policy` over YAML. */
import { test } from "node:test";
import assert from "node:assert/strict";
import Ajv from "ajv";
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pathToFileURL } from "url";
import { PROJECT_ROOT } from "../config";
import { allPolicies } from "../policies/all";
import { evaluate, ObjectPolicy, PackConfig, StackResource } from "../policies/framework";
import { withKubernetesVersion } from "../tools/policy/config";
import { InputError, originOf, readDocuments } from "../tools/policy/documents";
import { colourWanted } from "../tools/cli/colour";
import { FailOn, formatText, Report, ReportFinding, score, summarize } from "../tools/policy/format";
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
    assert.deepEqual(Object.keys(capacity), ["nodeGroups", "platform", "meshSidecars", "peak", "capacity", "largestPod", "fits"]);
    // The platform's pods are listed with where they come from: the EKS add-ons and every Helm release's.
    const sources = new Set(capacity.platform.pods.map((p: any) => p.source));
    for (const s of ["eks-addon/coredns", "eks-addon/vpc-cni", "addons/kube-prometheus-stack", "addons/aws-load-balancer-controller", "addons/metrics-server"]) assert.ok(sources.has(s), s);
    assert.deepEqual(Object.keys(capacity.nodeGroups[0]), ["name", "instanceType", "vcpu", "memoryMiB", "maxPods", "minSize", "maxSize"]);
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
    assert.equal(together.code, 1, "image-tag is high: at the default --fail-on high, the run fails");
    const json = JSON.parse(together.stdout);
    assert.equal(json.evaluated, 2);
    assert.deepEqual(json.violations.map((v: any) => v.policy), ["image-tag"], "the PDB in the other file covers the Deployment");
    assert.deepEqual(Object.keys(json.violations[0]), ["policy", "severity", "enforcementLevel", "file", "line", "kind", "namespace", "name", "message"]);
    assert.match(json.violations[0].message, /image "registry.local:5000\/cart" has no tag/);

    const each = JSON.parse(policyCli("--json", "--each-file", "--only", "pdb-required", dir).stdout);
    assert.deepEqual(each.violations.map((v: any) => [v.policy, path.basename(v.file)]), [["pdb-required", "deployment.yaml"]]);

    // Under an explicit --config, a mandatory finding fails the run whatever its severity; --fail-on none reports only.
    const config = path.join(dir, "strict.json");
    fs.writeFileSync(config, JSON.stringify({ all: "mandatory" }));
    const mandatory = policyCli("--config", config, "--fail-on", "critical", "--only", "image-tag", path.join(dir, "deployment.yaml"));
    assert.equal(mandatory.code, 1, mandatory.stderr);
    assert.match(mandatory.stdout, /^ {2}HIGH {5}image-tag {2}container "cart" image "registry\.local:5000\/cart" has no tag {2}\[mandatory\]$/m);
    assert.match(mandatory.stdout, /FAIL \(1 mandatory finding under --config\)$/m);
    assert.equal(policyCli("--config", config, "--fail-on", "none", "--only", "image-tag", path.join(dir, "deployment.yaml")).code, 0, "--fail-on none: report only");
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
        [["--bogus"], /^policy: unknown option '--bogus' \(see npx eks-delivery policy --help\)\n$/],
        [[], /no PATH given \(- reads stdin\)/],
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

// ---- The CLI people run (issue 14): stdin, text/json/sarif, --fail-on, --kubernetes-version ----

/** Runs the CLI with stdin, in a directory, with an environment of its own. */
function policyRun(args: string[], options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    // --import by URL: a run from another directory finds tsx all the same.
    const r = spawnSync(process.execPath, ["--import", pathToFileURL(require.resolve("tsx")).href, path.join(PROJECT_ROOT, "tools/policy/cli.ts"), ...args], {
        cwd: options.cwd ?? PROJECT_ROOT, encoding: "utf8", timeout: 120_000, input: options.input ?? "", env: options.env ?? withoutColourVars(),
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function withoutColourVars(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env = { ...process.env, ...extra };
    if (!("NO_COLOR" in extra)) delete env.NO_COLOR;
    for (const key of ["GITHUB_SERVER_URL", "GITHUB_REPOSITORY"]) if (!(key in extra)) delete env[key];
    return env;
}

/** Three documents, comments before two of them, the last a List: each object's line is known. One exemption. */
const MULTI = `# policy CLI fixture
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {a: b}
---
# the Deployment: its findings are reported at the line below this comment
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: cart}}
  template:
    metadata: {labels: {app: cart}}
    spec:
      containers: [{name: cart, image: "registry.local:5000/cart", resources: {requests: {memory: 64Mi}}}]
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata: {name: cart, namespace: shop}
    spec: {selector: {app: cart}, ports: [{port: 80}]}
  - apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: listed
      namespace: shop
      annotations: {eks-delivery.dev/exempt: cpu-requests, eks-delivery.dev/exempt-reason: "batch: the queue throttles it"}
    spec:
      replicas: 2
      selector: {matchLabels: {app: listed}}
      template:
        metadata: {labels: {app: listed}}
        spec:
          containers: [{name: listed, image: "registry.local:5000/listed:1.0", resources: {requests: {memory: 64Mi}}}]
`;
/** 1-based line of the first line of `text` that starts with `start` (after indentation) at or after line `from`. */
const lineOf = (text: string, start: string, from = 1) => text.split("\n").findIndex((l, i) => i + 1 >= from && l.trimStart().startsWith(start)) + 1;
const DEPLOYMENT_LINE = lineOf(MULTI, "apiVersion: apps/v1");
const LISTED_LINE = lineOf(MULTI, "- apiVersion: apps/v1");
const ONLY = ["--only", "image-tag,cpu-requests,memory-requests"];

test("documents.ts: each object's line and column, a List item's own, after comments and separators", () => {
    const dir = tmp();
    const file = path.join(dir, "multi.yaml");
    fs.writeFileSync(file, MULTI);
    const found = readDocuments(file).map((r) => { const o = originOf(r)!; return [r.props.kind, o.document, o.path, o.line, o.column, o.endColumn]; });
    assert.deepEqual(found, [
        ["ConfigMap", 0, "", 2, 1, "apiVersion: v1".length + 1],
        ["Deployment", 1, "", DEPLOYMENT_LINE, 1, "apiVersion: apps/v1".length + 1],
        ["Service", 2, "items[0]", lineOf(MULTI, "- apiVersion: v1"), 5, "  - apiVersion: v1".length + 1],
        ["Deployment", 2, "items[1]", LISTED_LINE, 5, "  - apiVersion: apps/v1".length + 1],
    ]);
    assert.deepEqual([DEPLOYMENT_LINE, LISTED_LINE], [8, 26], "the fixture is what the test thinks it is");
    // A document in flow style (JSON) on one line; CRLF line ends are not part of the line.
    fs.writeFileSync(file, `---\r\n  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}\r\n`);
    assert.deepEqual(readDocuments(file).map((r) => [originOf(r)!.line, originOf(r)!.column, originOf(r)!.endColumn]), [[2, 3, 71]]);
});

test("npm run policy - reads stdin: text grouped by object with lines, scores and exemptions, no colour off a terminal, exit 1 at --fail-on high", () => {
    const r = policyRun([...ONLY, "-"], { input: MULTI });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, [
        "Evaluated 4 objects from 1 file against 3 policies",
        "",
        `<stdin>:${DEPLOYMENT_LINE} Deployment shop/cart  score 70/100`,
        '  HIGH     image-tag     container "cart" image "registry.local:5000/cart" has no tag',
        '  MEDIUM   cpu-requests  container "cart" has no cpu request',
        "",
        `<stdin>:${LISTED_LINE} Deployment shop/listed  score 100/100`,
        "  EXEMPT   cpu-requests  batch: the queue throttles it (1 finding not reported)",
        "",
        "4 objects, 2 findings (0 critical, 1 high, 1 medium, 0 low), 1 exemption (1 finding not reported): FAIL (--fail-on high: 1 finding at or above high)",
        "",
    ].join("\n"));
    assert.doesNotMatch(r.stdout, /\x1b/, "no escape sequences when stdout is not a terminal");
});

test("format.ts: the score, --fail-on at each level, the colour rule (no-color.org), escapes from the input never sent", () => {
    assert.equal(score([]), 100);
    assert.equal(score([{ severity: "high" }, { severity: "medium" }, { severity: "low" }]), 65);
    assert.equal(score([{ severity: "critical" }, { severity: "critical" }, { severity: "critical" }]), 0, "never below 0");
    const finding = (severity: ReportFinding["severity"], enforcementLevel: ReportFinding["enforcementLevel"] = "advisory"): ReportFinding => ({
        policy: `p-${severity}`, severity, enforcementLevel, message: "m", file: "f.yaml", line: 1, column: 1, endColumn: 2, kind: "Pod", namespace: "ns", name: "x", object: "f.yaml#0",
    });
    const report = (failOn: FailOn, findings: ReportFinding[], mandatoryFails = false): Report => ({ evaluated: 1, files: ["f.yaml"], policies: [], failOn, mandatoryFails, findings, exemptions: [] });
    const verdicts = (findings: ReportFinding[], mandatoryFails = false) => (["critical", "high", "medium", "low", "none"] as FailOn[]).map((f) => summarize(report(f, findings, mandatoryFails)).result);
    assert.deepEqual(verdicts([finding("medium")]), ["pass", "pass", "fail", "fail", "pass"]);
    assert.deepEqual(verdicts([finding("critical")]), ["fail", "fail", "fail", "fail", "pass"]);
    assert.deepEqual(verdicts([finding("low")]), ["pass", "pass", "pass", "fail", "pass"]);
    assert.deepEqual(verdicts([]), ["pass", "pass", "pass", "pass", "pass"]);
    assert.deepEqual(verdicts([finding("low", "mandatory")], true), ["fail", "fail", "fail", "fail", "pass"], "mandatory under --config fails unless --fail-on none");
    assert.deepEqual(verdicts([finding("low", "mandatory")], false), ["pass", "pass", "pass", "fail", "pass"]);

    assert.equal(colourWanted(true, {}), true);
    assert.equal(colourWanted(true, { NO_COLOR: "1" }), false);
    assert.equal(colourWanted(true, { NO_COLOR: "" }), true, "an empty NO_COLOR is not set (no-color.org)");
    assert.equal(colourWanted(false, {}), false);
    assert.equal(colourWanted(undefined, {}), false);

    const hostile = { ...finding("high"), name: "x\x1b[2J", message: "Pod ns/x\x1b[2J: bad\x07" };
    for (const colour of [true, false]) {
        const text = formatText(report("high", [hostile]), colour);
        assert.match(text, /Pod ns\/x\\x1b\[2J/, "the escape is shown, not sent");
        assert.doesNotMatch(text, /\x1b\[2J|\x07/);
        assert.equal(/\x1b\[31mHIGH/.test(text), colour, `HIGH in red only with colour (${colour})`);
        assert.equal(/\x1b\[1;31m.*FAIL/.test(text), colour);
    }
});

test("npm run policy on a terminal: severities in colour; NO_COLOR turns it off", (t) => {
    // util-linux script(1) gives the CLI a pseudo-terminal as stdout.
    if (spawnSync("script", ["--version"]).status !== 0) return t.skip("no script(1) here to give the CLI a terminal");
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "multi.yaml"), MULTI);
    const command = [process.execPath, "--import", "tsx", path.join(PROJECT_ROOT, "tools/policy/cli.ts"), ...ONLY, path.join(dir, "multi.yaml")].map((a) => `'${a}'`).join(" ");
    const onTerminal = (env: NodeJS.ProcessEnv) => spawnSync("script", ["-qec", command, "/dev/null"], { cwd: PROJECT_ROOT, encoding: "utf8", env, timeout: 120_000 });
    const coloured = onTerminal(withoutColourVars());
    assert.equal(coloured.status, 1, coloured.stderr);
    assert.match(coloured.stdout, /\x1b\[31mHIGH {4}\x1b\[0m image-tag/);
    assert.match(coloured.stdout, /\x1b\[33mMEDIUM {2}\x1b\[0m cpu-requests/);
    assert.match(coloured.stdout, /\x1b\[2m {2}EXEMPT {3}cpu-requests {2}batch: the queue throttles it \(1 finding not reported\)\x1b\[0m/);
    assert.match(coloured.stdout, /\x1b\[1;31m4 objects, 2 findings .*FAIL .*\x1b\[0m/);
    const plain = onTerminal(withoutColourVars({ NO_COLOR: "1" }));
    assert.equal(plain.status, 1, plain.stderr);
    assert.match(plain.stdout, /HIGH {5}image-tag/);
    assert.doesNotMatch(plain.stdout, /\x1b\[/);
});

test("npm run policy --format json is stable: byte-identical runs, fixed keys, findings by file, line, policy, message", () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "b.yaml"), MULTI);
    fs.writeFileSync(path.join(dir, "a.yaml"), deployment);
    const args = ["--format", "json", "--fail-on", "critical", ...ONLY, path.join(dir, "b.yaml"), "-", dir];
    const first = policyRun(args, { input: MULTI });
    const second = policyRun(args, { input: MULTI });
    assert.equal(first.code, 0, `nothing critical: ${first.stderr}`);
    assert.equal(first.stdout, second.stdout, "two runs, the same bytes");
    const json = JSON.parse(first.stdout);
    assert.deepEqual(Object.keys(json), ["evaluated", "files", "policies", "failOn", "summary", "violations", "exemptions"]);
    assert.deepEqual(json.files, [path.join(dir, "b.yaml"), "<stdin>", path.join(dir, "a.yaml")], "in PATH order, a file named twice counted once");
    assert.deepEqual(json.policies, allPolicies.map((p) => p.name).filter((n) => ONLY[1].split(",").includes(n)), "in the pack's order");
    assert.equal(json.failOn, "critical");
    assert.deepEqual(json.summary, { objects: 9, findings: 7, critical: 0, high: 3, medium: 4, low: 0, mandatory: 0, exempted: 2, suppressed: 2, failing: 0, result: "pass" });
    // Code-unit order of the file names as given ("/" sorts before "<"), then line, then policy.
    assert.deepEqual(json.violations.map((v: any) => [v.file === "<stdin>" ? v.file : path.basename(v.file), v.line, v.policy]), [
        ["a.yaml", 1, "cpu-requests"], ["a.yaml", 1, "image-tag"], ["a.yaml", 1, "memory-requests"],
        ["b.yaml", DEPLOYMENT_LINE, "cpu-requests"], ["b.yaml", DEPLOYMENT_LINE, "image-tag"],
        ["<stdin>", DEPLOYMENT_LINE, "cpu-requests"], ["<stdin>", DEPLOYMENT_LINE, "image-tag"],
    ]);
    assert.deepEqual(json.violations.find((v: any) => v.file === "<stdin>" && v.policy === "image-tag"), {
        policy: "image-tag", severity: "high", enforcementLevel: "advisory", file: "<stdin>", line: DEPLOYMENT_LINE, kind: "Deployment", namespace: "shop", name: "cart",
        message: 'Deployment shop/cart: container "cart" image "registry.local:5000/cart" has no tag',
    });
    const exemption = {
        policy: "cpu-requests", reason: "batch: the queue throttles it", line: LISTED_LINE, kind: "Deployment", namespace: "shop", name: "listed",
        suppressed: 1, findings: ['Deployment shop/listed: container "listed" has no cpu request'],
    };
    assert.deepEqual(json.exemptions, [{ ...exemption, file: path.join(dir, "b.yaml") }, { ...exemption, file: "<stdin>" }]);
    assert.deepEqual(Object.keys(json.exemptions[0]), ["policy", "reason", "file", "line", "kind", "namespace", "name", "suppressed", "findings"]);
});

/**
 * The SARIF 2.1.0 schema, vendored byte for byte (tools/policy/sarif.ts names its source). It is draft-04,
 * which ajv 8 does not take: in memory only, its `id` becomes `$id` and `$schema` draft-07. Nothing else
 * differs between the two drafts for this schema (no boolean exclusiveMinimum/exclusiveMaximum).
 * Its formats, checked here as RFC 3986 and RFC 3339 say (ajv has none built in).
 */
const SARIF_SCHEMA = path.join(PROJECT_ROOT, "tools/policy/sarif-schema-2.1.0.json");
function sarifValidator() {
    const text = fs.readFileSync(SARIF_SCHEMA, "utf8");
    assert.equal(createHash("sha256").update(text).digest("hex"), "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e", "the vendored schema is the OASIS file unchanged");
    const { id, $schema, ...schema } = JSON.parse(text);
    assert.equal($schema, "http://json-schema.org/draft-04/schema#");
    assert.doesNotMatch(text, /"exclusive(Minimum|Maximum)"/);
    const ajv = new Ajv({
        strict: false, allErrors: true,
        formats: {
            uri: (s: string) => /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/.test(s) && URL.canParse(s),
            "uri-reference": (s: string) => !/[\s\\<>"{}|^`]/.test(s) && !/%(?![0-9A-Fa-f]{2})/.test(s),
            "date-time": (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(s) && !Number.isNaN(Date.parse(s)),
        },
    });
    return ajv.compile({ ...schema, $id: id, $schema: "http://json-schema.org/draft-07/schema#" });
}

/** What GitHub code scanning requires of a SARIF upload beyond the schema (docs: sarif-support-for-code-scanning). */
function githubProblems(sarif: any): string[] {
    const problems: string[] = [];
    const need = (ok: unknown, what: string) => { if (!ok) problems.push(what); };
    const text = (v: unknown, max = 1024) => typeof v === "string" && v.length > 0 && v.length <= max;
    need(typeof sarif.$schema === "string" && sarif.$schema.length > 0, "$schema");
    need(sarif.version === "2.1.0", "version 2.1.0");
    need(Array.isArray(sarif.runs) && sarif.runs.length === 1, "one run");
    const driver = sarif.runs[0].tool.driver;
    need(text(driver.name), "tool.driver.name");
    need(Array.isArray(driver.rules) && driver.rules.length > 0, "tool.driver.rules");
    const bands: Record<string, [number, number]> = { critical: [9.0, 10], high: [7.0, 8.9], medium: [4.0, 6.9], low: [0.1, 3.9] };
    for (const rule of driver.rules) {
        const at = `rule ${rule.id}`;
        need(text(rule.id), `${at}: id`);
        need(rule.name === undefined || text(rule.name, 255), `${at}: name of 255 characters at most`);
        need(text(rule.shortDescription?.text), `${at}: shortDescription.text (1024 at most)`);
        need(text(rule.fullDescription?.text), `${at}: fullDescription.text (1024 at most)`);
        need(typeof rule.help?.text === "string" && rule.help.text.length > 0, `${at}: help.text`);
        need(["note", "warning", "error"].includes(rule.defaultConfiguration?.level), `${at}: defaultConfiguration.level`);
        need(Array.isArray(rule.properties?.tags) && rule.properties.tags.every((t: unknown) => typeof t === "string"), `${at}: properties.tags`);
        const policy = allPolicies.find((p) => p.name === rule.id);
        const severity = policy?.severity;
        const score = Number(rule.properties?.["security-severity"]);
        // Only the security controls carry a score: GitHub treats every result of a rule with one as a security alert.
        if (policy?.security) {
            need(typeof rule.properties?.["security-severity"] === "string" && severity && score >= bands[severity][0] && score <= bands[severity][1] && (severity !== "critical" || score > 9.0),
                `${at}: security-severity ${rule.properties?.["security-severity"]} in GitHub's ${severity} band`);
        } else need(rule.properties?.["security-severity"] === undefined, `${at}: no security-severity (not a security control)`);
    }
    for (const [i, result] of sarif.runs[0].results.entries()) {
        const at = `result ${i}`;
        need(driver.rules[result.ruleIndex]?.id === result.ruleId, `${at}: ruleIndex points at ruleId`);
        need(text(result.message?.text, Infinity), `${at}: message.text`);
        need(Array.isArray(result.locations) && result.locations.length >= 1 && result.locations.length <= 10, `${at}: 1 to 10 locations`);
        const physical = result.locations?.[0]?.physicalLocation;
        const uri = physical?.artifactLocation?.uri;
        need(typeof uri === "string" && uri.length > 0 && !uri.startsWith("/") && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri) && !uri.includes("\\"), `${at}: a relative uri with forward slashes (${uri})`);
        const region = physical?.region ?? {};
        need(["startLine", "startColumn", "endLine", "endColumn"].every((k) => Number.isInteger(region[k]) && region[k] >= 1), `${at}: region start/end line and column`);
        need(region.endLine > region.startLine || region.endColumn > region.startColumn, `${at}: a non-empty region`);
        need(typeof result.partialFingerprints?.primaryLocationLineHash === "string", `${at}: partialFingerprints.primaryLocationLineHash`);
    }
    return problems;
}

test("npm run policy --format sarif: valid SARIF 2.1.0 that GitHub code scanning accepts, at each object's line, paths relative to where it runs", () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, "manifests"));
    fs.writeFileSync(path.join(dir, "manifests", "multi.yaml"), MULTI);
    const env = withoutColourVars({ GITHUB_SERVER_URL: "https://github.com", GITHUB_REPOSITORY: "acme/eks-delivery" });
    const r = policyRun(["--format", "sarif", "--fail-on", "none", "--kubernetes-version", "1.33", ...ONLY, "manifests", "-"], { cwd: dir, input: MULTI, env });
    assert.equal(r.code, 0, `--fail-on none: ${r.stderr}`);
    const sarif = JSON.parse(r.stdout);
    const validate = sarifValidator();
    assert.ok(validate(JSON.parse(r.stdout)), JSON.stringify(validate.errors?.slice(0, 5)));
    assert.deepEqual(githubProblems(sarif), []);

    const run = sarif.runs[0];
    assert.equal(run.tool.driver.name, "eks-delivery-policy");
    assert.equal(run.tool.driver.informationUri, "https://github.com/acme/eks-delivery/blob/HEAD/policies/README.md");
    assert.deepEqual(run.tool.driver.rules.map((rule: any) => rule.id), allPolicies.map((p) => p.name).filter((n) => ONLY[1].split(",").includes(n)));
    const imageTag = run.tool.driver.rules.find((rule: any) => rule.id === "image-tag");
    const policy = allPolicies.find((p) => p.name === "image-tag")!;
    assert.deepEqual([imageTag.shortDescription.text, imageTag.defaultConfiguration.level, imageTag.properties["security-severity"]], [policy.description, "error", undefined], "image-tag is about rollbacks, not security");
    const security = allPolicies.filter((p) => p.security).map((p) => p.name);
    for (const rule of run.tool.driver.rules) assert.equal(rule.properties.tags.includes("security"), security.includes(rule.id), rule.id);
    assert.match(imageTag.help.text, new RegExp(`${policy.remediation.slice(0, 30).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    for (const tag of policy.tags) assert.ok(imageTag.properties.tags.includes(tag), tag);
    assert.equal(run.tool.driver.rules.find((rule: any) => rule.id === "cpu-requests").defaultConfiguration.level, "warning");

    const where = run.results.map((x: any) => {
        const p = x.locations[0].physicalLocation;
        return [x.ruleId, x.level, p.artifactLocation.uri, p.region.startLine, p.region.startColumn];
    });
    // By file as named ("<stdin>" sorts first), line, policy.
    assert.deepEqual(where, [
        ["cpu-requests", "warning", "%3Cstdin%3E", DEPLOYMENT_LINE, 1],
        ["image-tag", "error", "%3Cstdin%3E", DEPLOYMENT_LINE, 1],
        ["cpu-requests", "warning", "manifests/multi.yaml", DEPLOYMENT_LINE, 1],
        ["image-tag", "error", "manifests/multi.yaml", DEPLOYMENT_LINE, 1],
    ]);
    // Exempted findings are no results (code scanning would open alerts for suppressed ones): the run lists them.
    assert.deepEqual(run.properties.exemptions.map((e: any) => [e.policy, e.reason, e.file, e.line, e.name, e.findings.length]), [
        ["cpu-requests", "batch: the queue throttles it", "%3Cstdin%3E", LISTED_LINE, "listed", 1],
        ["cpu-requests", "batch: the queue throttles it", "manifests/multi.yaml", LISTED_LINE, "listed", 1],
    ]);
    assert.equal(run.properties.summary.exempted, 2);
    assert.doesNotMatch(r.stdout, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), "no machine path");
    // The same finding on the same object is one identity (counted), whatever file or line it is at.
    const prints = run.results.map((x: any) => x.partialFingerprints.primaryLocationLineHash);
    assert.equal(new Set(prints).size, prints.length);
    assert.match(prints[0], /^[0-9a-f]{32}:1$/);
    assert.equal(prints[2], prints[0].replace(/:1$/, ":2"));

    // The validator is not a rubber stamp: what the schema forbids, it refuses.
    const broken = JSON.parse(r.stdout);
    broken.runs[0].results[0].level = "fatal";
    delete broken.runs[0].tool.driver.name;
    assert.equal(validate(broken), false);
    assert.deepEqual(validate.errors!.map((e) => e.instancePath).sort(), ["/runs/0/results/0/level", "/runs/0/tool/driver"]);
});

test("--kubernetes-version reaches every policy whose config declares kubernetesVersion, over --config, checked against its schema", () => {
    const judged: ObjectPolicy<{ kubernetesVersion: string }> = {
        name: "fake-version-aware", description: "d", severity: "low", remediation: "r", why: "w", tags: [],
        config: { defaults: { kubernetesVersion: "1.30" }, schema: { properties: { kubernetesVersion: { type: "string", pattern: "^1\\.[0-9]+$" } } } },
        appliesTo: () => true,
        checkObject: (r, c) => [{ message: `judged against ${c.kubernetesVersion}`, resource: r }],
    };
    const other: ObjectPolicy = { ...judged, name: "fake-other", config: undefined, checkObject: () => [] };
    const pod: StackResource = { type: "kubernetes:core/v1:Pod", urn: "pod", name: "p", props: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" } } };
    const verdict = (config: PackConfig) => evaluate([judged, other], [pod], config).map((v) => `${v.enforcementLevel} ${v.message}`);

    assert.deepEqual(verdict({}), ["advisory judged against 1.30"], "the policy's default");
    assert.deepEqual(withKubernetesVersion({}, "1.33", [judged, other]), { "fake-version-aware": { kubernetesVersion: "1.33" } });
    assert.deepEqual(verdict(withKubernetesVersion({}, "1.33", [judged, other])), ["advisory judged against 1.33"]);
    assert.deepEqual(verdict(withKubernetesVersion({ "fake-version-aware": "mandatory" }, "1.33", [judged, other])), ["mandatory judged against 1.33"], "a level keeps");
    assert.deepEqual(verdict(withKubernetesVersion({ "fake-version-aware": { enforcementLevel: "mandatory", kubernetesVersion: "1.29" } }, "1.34", [judged, other])), ["mandatory judged against 1.34"], "the flag wins over --config");
    const config = { all: "mandatory" } as PackConfig;
    assert.equal(withKubernetesVersion(config, undefined, [judged]), config, "no flag, the config as it is");
    for (const bad of ["1", "1.33.0", "v1.33", "", "1.033", "2.0", "1.x", " 1.33"]) {
        assert.throws(() => withKubernetesVersion({}, bad, [judged]), (err: Error) => err instanceof InputError && err.message === `--kubernetes-version ${JSON.stringify(bad)} is not a Kubernetes version like 1.31 (MAJOR.MINOR)`, bad);
    }
    const narrow: ObjectPolicy<{ kubernetesVersion: string }> = { ...judged, name: "fake-narrow", config: { defaults: { kubernetesVersion: "1.30" }, schema: { properties: { kubernetesVersion: { type: "string", enum: ["1.30", "1.31"] } } } } };
    assert.throws(() => withKubernetesVersion({}, "1.33", [narrow]), /^InputError: --kubernetes-version "1\.33": must be equal to one of the allowed values \(policy fake-narrow\)$/);
});

test("npm run policy --kubernetes-version: the API-version policies judge against it (over --config), their verdicts change with it", () => {
    const hpa = "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: cart, namespace: shop}\n" +
        "spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: cart}, minReplicas: 2, maxReplicas: 5}\n";
    const dir = tmp();
    const config = path.join(dir, "config.json");
    fs.writeFileSync(config, JSON.stringify({ "api-version-removed": { kubernetesVersion: "1.36" }, "api-version-deprecated": { kubernetesVersion: "1.36" } }));
    const verdicts = (version: string) => {
        const r = policyRun(["--format", "json", "--fail-on", "none", "--config", config, "--kubernetes-version", version, "--only", "api-version-removed,api-version-deprecated", "-"], { input: hpa });
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout).violations.map((v: any) => `${v.policy}: ${v.message.replace(/^.*?HorizontalPodAutoscaler (is .*?)(:| \().*\((Kubernetes [\d.]+: .*)\)$/, "$1 ($3)")}`);
    };
    // autoscaling/v2beta2 HPAs: deprecated in 1.23, removed in 1.26 (policies/lib/kubeApiVersions.ts).
    assert.deepEqual(verdicts("1.25"), ["api-version-deprecated: is deprecated since Kubernetes 1.23 and removed in 1.26 (Kubernetes 1.25: policy config kubernetesVersion)"]);
    assert.deepEqual(verdicts("1.26"), ["api-version-removed: is no longer served since Kubernetes 1.26 (Kubernetes 1.26: policy config kubernetesVersion)"]);
});
