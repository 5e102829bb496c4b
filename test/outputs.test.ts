/** What the plan writes: never outside a directory it owns, and no secret in clear anywhere it writes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pathToFileURL } from "url";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT_ROOT } from "../config";
import { MARKER, outDirProblem, writeOwned } from "../tools/plan/outDir";
import { planStack, PlannedStack } from "../tools/plan/planStack";
import { planFiles, planReport, REDACTED, resourceTree } from "../tools/plan/plan";
import { engineSecrets, isSecretValue } from "../tools/plan/engine";
import { TEST_DATE } from "./support";

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `eks-delivery-${prefix}-`));
const TSX = pathToFileURL(path.join(PROJECT_ROOT, "node_modules/tsx/dist/loader.mjs")).href;

function runPlan(args: string[], options: { cwd?: string; home?: string } = {}) {
    const result = spawnSync(process.execPath, ["--import", TSX, path.join(PROJECT_ROOT, "tools/plan/cli.ts"), ...args], {
        cwd: options.cwd ?? PROJECT_ROOT, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, ...(options.home ? { HOME: options.home } : {}) },
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Every file under `dir` with its bytes (links as their target's text), for before/after comparisons. */
function snapshot(dir: string): Record<string, string> {
    const files: Record<string, string> = {};
    for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
        const full = path.join(entry.parentPath, entry.name);
        files[path.relative(dir, full)] = entry.isFile() ? fs.readFileSync(full, "utf8") : entry.isSymbolicLink() ? `-> ${fs.readlinkSync(full)}` : "<dir>";
    }
    return files;
}

test("--out refuses the root, the repository, home, the current directory and their ancestors (symlinks resolved)", () => {
    const base = fs.realpathSync(tmp("guard"));
    const repo = path.join(base, "work", "repo");
    const home = path.join(base, "home", "me");
    const cwd = path.join(repo, "apps");
    for (const d of [repo, home, cwd]) fs.mkdirSync(d, { recursive: true });
    fs.symlinkSync(repo, path.join(base, "link-to-repo"));
    const context = { cwd, projectRoot: repo, home };
    const cases: Array<[string, RegExp]> = [
        ["/", /^is the filesystem root$/],
        [".", /^is the current directory$/],
        ["", /^is the current directory$/],
        ["..", /^is the repository root$/],
        [repo, /^is the repository root$/],
        [`${repo}/`, /^is the repository root$/],
        [path.join(cwd, "..", ".."), /^contains the repository root$/],
        [path.join(base, "work"), /^contains the repository root$/],
        [base, /^contains the repository root$/],
        [home, /^is the home directory$/],
        [path.join(base, "home"), /^contains the home directory$/],
        [path.join(base, "link-to-repo"), /^is the repository root$/],
    ];
    for (const [out, expected] of cases) assert.match(outDirProblem(out, context) ?? "accepted", expected, JSON.stringify(out));
    // New paths, inside the repository or not, and an empty directory are the plan's to create and fill.
    assert.equal(outDirProblem(path.join(repo, "out", "dev"), context), undefined);
    assert.equal(outDirProblem("fresh", context), undefined);
    fs.mkdirSync(path.join(base, "empty"));
    assert.equal(outDirProblem(path.join(base, "empty"), context), undefined);
});

test("--out refuses a directory the plan did not create, a file, and a marker that is not the plan's", () => {
    const base = fs.realpathSync(tmp("owned"));
    const context = { cwd: base, projectRoot: path.join(base, "repo"), home: path.join(base, "home") };
    const dir = (name: string, files: Record<string, string>) => {
        const d = path.join(base, name);
        fs.mkdirSync(d);
        for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(d, f), text);
        return d;
    };
    fs.writeFileSync(path.join(base, "a-file"), "x");
    const valid = JSON.stringify({ writtenBy: "npm run plan (eks-delivery)", files: ["plan.json"] });
    const cases: Array<[string, RegExp]> = [
        [dir("user", { "notes.txt": "mine" }), /^is an existing directory the plan did not create \(no \.eks-delivery-plan in it\)$/],
        [dir("user-manifests", { "plan.json": "{}", "notes.txt": "mine" }), /did not create/],
        [path.join(base, "a-file"), /^is not a directory$/],
        [path.join(base, "a-file", "out"), /^cannot be used \(a part of the path is not a directory\)$/],
        [path.join(base, "a-file", "deeper", "out"), /^cannot be used \(a part of the path is not a directory\)$/],
        [dir("forged", { [MARKER]: "" }), /^is not the plan's: its \.eks-delivery-plan is not one the plan wrote$/],
        [dir("escaping", { [MARKER]: JSON.stringify({ writtenBy: "npm run plan (eks-delivery)", files: ["../../etc/passwd"] }) }), /is not one the plan wrote/],
        [dir("foreign-file", { [MARKER]: JSON.stringify({ writtenBy: "npm run plan (eks-delivery)", files: ["notes.txt"] }) }), /is not one the plan wrote/],
    ];
    for (const [out, expected] of cases) assert.match(outDirProblem(out, context) ?? "accepted", expected, out);
    assert.equal(outDirProblem(dir("mine", { [MARKER]: valid, "plan.json": "{}" }), context), undefined);

    // What a plan wrote before the marker existed (only its own files) is taken over, not refused.
    const legacy = dir("legacy", { "plan.json": "old", "policy-report.json": "old" });
    fs.mkdirSync(path.join(legacy, "manifests"));
    fs.writeFileSync(path.join(legacy, "manifests", "old.yaml"), "old");
    assert.equal(outDirProblem(legacy, context), undefined, "a pre-marker plan directory");
    assert.equal(writeOwned(legacy, [{ file: "plan.json", content: "new" }], context), undefined);
    assert.deepEqual(fs.readdirSync(legacy).sort(), [MARKER, "manifests", "plan.json"]);
    assert.deepEqual(fs.readdirSync(path.join(legacy, "manifests")), [], "its old manifests replaced");
    assert.equal(fs.readFileSync(path.join(legacy, "plan.json"), "utf8"), "new");

    // A file the plan would write that it did not write before is somebody else's: nothing is written.
    const clash = dir("clash", { [MARKER]: valid, "plan.json": "old", "capacity.json": "user's" });
    const before = snapshot(clash);
    assert.equal(writeOwned(clash, [{ file: "plan.json", content: "new" }, { file: "capacity.json", content: "new" }], context), "has capacity.json, which the plan did not write");
    assert.deepEqual(snapshot(clash), before, "nothing changed");
});

test("a link planted while the plan writes is never written through", (t) => {
    const base = fs.realpathSync(tmp("race"));
    const context = { cwd: base, projectRoot: path.join(base, "repo"), home: path.join(base, "home") };
    const out = path.join(base, "out");
    const victim = path.join(base, "victim.txt");
    fs.writeFileSync(victim, "the user's");
    // The race: after writeOwned's checks, before its writes (here: when it creates manifests/).
    // The fs module object itself (an `import * as` namespace cannot be patched).
    const fsModule = require("fs") as typeof fs;
    const mkdir = fsModule.mkdirSync;
    t.mock.method(fsModule, "mkdirSync", (...args: Parameters<typeof fs.mkdirSync>) => {
        const made = mkdir(...args);
        if (!fs.existsSync(path.join(out, "plan.json"))) fs.symlinkSync(victim, path.join(out, "plan.json"));
        return made;
    });
    const problem = writeOwned(out, [{ file: "plan.json", content: "planned" }], context);
    assert.equal(problem, "has plan.json, which appeared while the plan was writing (left as it is): partly written, 0 of 1 files");
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, MARKER), "utf8")).files, [], "the marker does not claim it");
    assert.equal(fs.readFileSync(victim, "utf8"), "the user's", "the link's target is untouched");
});

test("npm run plan: a refused --out exits 2 in one line naming the flag and the value, and changes nothing", () => {
    const base = fs.realpathSync(tmp("refuse"));
    const home = path.join(base, "home");
    const user = path.join(base, "user");
    for (const d of [home, user]) fs.mkdirSync(d);
    for (const d of [home, user, base]) fs.writeFileSync(path.join(d, "keep.txt"), "mine");
    fs.mkdirSync(path.join(user, "manifests"));
    fs.writeFileSync(path.join(user, "manifests", "mine.yaml"), "kind: Mine\n");
    const cases: Array<[string[], { cwd?: string; home?: string }, RegExp]> = [
        [["--out", "."], { cwd: base }, /^plan: --out "\." is the current directory: nothing written\n$/],
        [["--out", home], { home }, /^plan: --out ".*home" is the home directory: nothing written\n$/],
        [["--out", user], {}, /^plan: --out ".*user" is an existing directory the plan did not create \(no \.eks-delivery-plan in it\): nothing written\n$/],
        [["--out", path.join(user, "keep.txt")], {}, /^plan: --out ".*keep\.txt" is not a directory: nothing written\n$/],
    ];
    const before = snapshot(base);
    for (const [args, options, expected] of cases) {
        const result = runPlan(["--stack", "dev", ...args], options);
        assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
        assert.match(result.stderr, expected);
        assert.equal(result.stdout, "");
    }
    assert.deepEqual(snapshot(base), before, "nothing changed");
});

/**
 * Every string the run carries only under a secret marker (never in clear elsewhere in the run),
 * long enough to be told apart from ordinary words, and the redaction placeholder excepted.
 */
function secretValues(planned: PlannedStack): Set<string> {
    const secret = new Set<string>();
    const open = new Set<string>();
    const walk = (value: unknown, inSecret: boolean) => {
        if (typeof value === "string") (inSecret ? secret : open).add(value);
        else if (Array.isArray(value)) value.forEach((v) => walk(v, inSecret));
        else if (typeof value === "object" && value !== null) {
            if (isSecretValue(value)) {
                const inner = (value as { value: unknown }).value;
                if (typeof inner === "object" && inner !== null) secret.add(JSON.stringify(inner));
                walk(inner, true);
            } else Object.values(value).forEach((v) => walk(v, inSecret));
        }
    };
    const run = planned.run;
    walk(run.outputs, false);
    for (const r of run.resources) { walk(r.inputs, false); walk(r.outputs, false); }
    for (const r of run.reads) walk(r.outputs, false);
    return new Set([...secret].filter((s) => s.length >= 12 && !open.has(s) && s !== REDACTED));
}

const SLACK_CIPHERTEXT = /secure:\s*(\S+)/.exec(fs.readFileSync(path.join(PROJECT_ROOT, "examples/Pulumi.dev-delivery.yaml"), "utf8"))![1];

const stacks: Array<[string, { stack: string; configFile?: string }]> = [
    ["dev", { stack: "dev" }],
    ["prod", { stack: "prod" }],
    ["the delivery example", { stack: "dev", configFile: path.join(PROJECT_ROOT, "examples/Pulumi.dev-delivery.yaml") }],
];

for (const [name, request] of stacks) {
    test(`no secret in clear in anything the plan writes or prints: ${name}`, async () => {
        const planned = await planStack({ ...request, today: TEST_DATE });
        const cluster = planned.run.resources.find((r) => r.type === "eks:index:Cluster")!;
        const kubeconfig = JSON.parse(String((cluster.outputs.kubeconfigJson as { value: unknown }).value));
        const needles = new Map<string, string>([
            ["the kubeconfig's certificate data", kubeconfig.clusters[0].cluster["certificate-authority-data"]],
            ["the kubeconfig's exec args", kubeconfig.users[0].user.exec.args.join(" ")],
            ["the exec command", "get-token"],
            ["the emulated ECR token password", "emulated-"],
            ["the Slack URL's ciphertext", SLACK_CIPHERTEXT],
            ...[...secretValues(planned)].map((s): [string, string] => [`a value the run marked secret (${s.slice(0, 24)}...)`, s]),
        ]);
        assert.ok(needles.size > 6, "the run marked values secret");

        const out = path.join(tmp("secrets"), "out");
        assert.equal(writeOwned(out, planFiles(planned), { cwd: PROJECT_ROOT, projectRoot: PROJECT_ROOT, home: os.homedir() }), undefined);
        const written: Record<string, string> = { ...snapshot(out), "(printed summary)": planReport(planned, "levels"), "(printed tree)": resourceTree(planned.plan) };
        assert.ok(Object.keys(written).length > 10);
        for (const [file, text] of Object.entries(written)) {
            for (const [what, needle] of needles) {
                assert.ok(!text.includes(needle), `${file} holds ${what}`);
            }
        }
        assert.equal(planned.plan.outputs.kubeconfig, REDACTED);
        const k8sProvider = planned.plan.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
        assert.equal(k8sProvider.inputs.kubeconfig, REDACTED, "the provider's credential is redacted");
    });
}

test("the engine's secretness: outputs follow secret inputs key by key, and additionalSecretOutputs", () => {
    const { specialSigKey, specialSecretSig } = pulumi.runtime;
    const secret = (value: unknown) => ({ [specialSigKey]: specialSecretSig, value });
    const outputs = engineSecrets(
        { password: "p", nested: { token: "t", plain: "x" }, list: ["a", "b"], id: "i", arn: "a", other: "o" },
        { password: secret("p"), nested: { token: secret("t"), plain: "x" }, list: ["a", secret("b")] },
        ["arn", "id"]);
    assert.deepEqual(outputs, {
        password: secret("p"), nested: { token: secret("t"), plain: "x" }, list: secret(["a", "b"]), id: "i", arn: secret("a"), other: "o",
    });
});

test("a second plan into its own directory replaces what it wrote and leaves the user's files alone", () => {
    const out = path.join(tmp("rerun"), "plan");
    const first = runPlan(["--stack", "prod", "--out", out]);
    assert.ok(first.code === 0 || first.code === 1, first.stderr);
    fs.writeFileSync(path.join(out, "notes.txt"), "mine");
    fs.writeFileSync(path.join(out, "manifests", "mine.yaml"), "kind: Mine\n");
    const second = runPlan(["--stack", "dev", "--out", out]);
    assert.equal(second.code, 0, second.stderr);
    const tree = snapshot(out);
    assert.equal(tree["notes.txt"], "mine");
    assert.equal(tree[path.join("manifests", "mine.yaml")], "kind: Mine\n");
    assert.equal(JSON.parse(tree["plan.json"]).stack, "dev");
    const listed: string[] = JSON.parse(tree[MARKER]).files;
    const manifests = Object.keys(tree).filter((f) => f.startsWith(`manifests${path.sep}`) && f !== path.join("manifests", "mine.yaml"));
    assert.deepEqual(manifests.sort(), listed.filter((f) => f.startsWith("manifests/")).map((f) => path.join(...f.split("/"))).sort(), "prod's manifests are gone, dev's are listed");
    for (const needle of ["get-token", "emulated-"]) assert.ok(!second.stdout.includes(needle), `the summary holds ${needle}`);
});
