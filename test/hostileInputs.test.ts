/**
 * Every CLI answers every input: malformed documents, shapes, encodings, special files and flags each get
 * exactly one line on stderr naming the file (with document and path) or the flag, exit 2, no stack
 * trace, nothing on stdout, nothing changed on disk.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../config";
import { MAX_FILE_BYTES } from "../tools/policy/documents";

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

function run(script: string, args: string[], asNobody = false): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, script), ...args], {
            cwd: PROJECT_ROOT, timeout: 120_000,
            // Root reads a mode-000 file anyway: the unreadable cases run as nobody.
            ...(asNobody && asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
        });
        let stdout = "", stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const root = fs.mkdtempSync(path.join(os.tmpdir(), "eks-delivery-hostile-"));
fs.chmodSync(root, 0o755); // nobody walks to the unreadable files
let counter = 0;
/** A fresh file with this content (text or bytes); returns its path. */
function file(content: string | Buffer, name = `f${++counter}.yaml`): string {
    const dir = fs.mkdtempSync(path.join(root, "case-"));
    fs.chmodSync(dir, 0o755);
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    return p;
}
const dir = () => {
    const d = fs.mkdtempSync(path.join(root, "case-"));
    fs.chmodSync(d, 0o755);
    return d;
};

const deployment = () => ({
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "cart", namespace: "shop" },
    spec: {
        replicas: 2, selector: { matchLabels: { app: "cart" } },
        template: { metadata: { labels: { app: "cart" } }, spec: { containers: [{ name: "cart", image: "r.example/cart:1", resources: { requests: { cpu: "100m", memory: "64Mi" } } }] } },
    },
});
/** A Deployment (as JSON, which is YAML) with one thing broken. */
const broken = (patch: (d: any, c: any) => void) => {
    const d: any = deployment();
    patch(d, d.spec.template.spec.containers[0]);
    return JSON.stringify(d);
};
const C = "spec.template.spec.containers";

interface Case {
    name: string;
    /** The CLI's arguments (files created when the case is built). */
    args: () => string[];
    /** What the one line must say, given the case's first argument (the file or flag it names). */
    expect: (args: string[]) => RegExp;
    script?: string;
    asNobody?: boolean;
}
const at = (where: string) => (args: string[]) => new RegExp(`${escape(args[args.length - 1])}${escape(where)}`);
const doc = (name: string, content: string | Buffer, where: string): Case => ({ name, args: () => [file(content)], expect: at(where) });
const flag = (name: string, args: string[], message: RegExp): Case => ({ name, args: () => args, expect: () => message });
const configCase = (name: string, content: string | Buffer | null, message: RegExp): Case => ({
    name: `--config ${name}`, args: () => { const c = content === null ? path.join(dir(), "config.json") : file(content, "config.json"); return ["--config", c, file(JSON.stringify(deployment()))]; },
    expect: (args) => new RegExp(`--config ${escape(args[1])}${message.source}`),
});
const mkfifo = (p: string) => {
    const r = spawnSync("mkfifo", [p]);
    assert.equal(r.status, 0, String(r.stderr));
    return p;
};
const sockets: net.Server[] = [];
const socket = (p: string) => {
    sockets.push(net.createServer().listen(p));
    return p;
};

const cases: Case[] = [
    // Shapes inside valid YAML (kubernetes-models' schemas).
    doc("containers is a string", broken((d) => (d.spec.template.spec.containers = "cart")), `[0] ${C}: is a string, not a list`),
    doc("a null container", broken((d) => (d.spec.template.spec.containers = [null])), `[0] ${C}[0]: is null, not a map`),
    doc("env is a map", broken((_, c) => (c.env = { A: "b" })), `[0] ${C}[0].env: is a map, not a list`),
    doc("cpu request is a list", broken((_, c) => (c.resources.requests.cpu = [1])), `[0] ${C}[0].resources.requests.cpu: is a list, not a number or a string`),
    doc("cpu request is not a quantity", broken((_, c) => (c.resources.requests.cpu = "lots")), `[0] ${C}[0].resources.requests.cpu: "lots" is not a valid quantity`),
    doc("memory limit is not a quantity", broken((_, c) => (c.resources.limits = { memory: "12XB" })), `[0] ${C}[0].resources.limits.memory: "12XB" is not a valid quantity`),
    doc("resources is a list", broken((_, c) => (c.resources = ["cpu"])), `[0] ${C}[0].resources: is a list, not a map`),
    doc("requests is a string", broken((_, c) => (c.resources.requests = "100m")), `[0] ${C}[0].resources.requests: is a string, not a map`),
    doc("ports is a number", broken((_, c) => (c.ports = 8080)), `[0] ${C}[0].ports: is a number, not a list`),
    doc("a port is a string", broken((_, c) => (c.ports = ["8080"])), `[0] ${C}[0].ports[0]: is a string, not a map`),
    doc("containerPort is missing", broken((_, c) => (c.ports = [{ name: "http" }])), `[0] ${C}[0].ports[0]: has no "containerPort"`),
    doc("a container has no name", broken((_, c) => delete c.name), `[0] ${C}[0]: has no "name"`),
    doc("image is a number", broken((_, c) => (c.image = 5)), `[0] ${C}[0].image: is a number, not a string`),
    doc("livenessProbe is a string", broken((_, c) => (c.livenessProbe = "/healthz")), `[0] ${C}[0].livenessProbe: is a string, not a map`),
    doc("runAsNonRoot is a string", broken((_, c) => (c.securityContext = { runAsNonRoot: "yes" })), `[0] ${C}[0].securityContext.runAsNonRoot: is a string, not a boolean`),
    doc("initContainers is a string", broken((d) => (d.spec.template.spec.initContainers = "init")), `[0] spec.template.spec.initContainers: is a string, not a list`),
    doc("volumes is a map", broken((d) => (d.spec.template.spec.volumes = { data: {} })), `[0] spec.template.spec.volumes: is a map, not a list`),
    doc("nodeSelector is a list", broken((d) => (d.spec.template.spec.nodeSelector = ["a"])), `[0] spec.template.spec.nodeSelector: is a list, not a map`),
    doc("tolerations is a map", broken((d) => (d.spec.template.spec.tolerations = { key: "a" })), `[0] spec.template.spec.tolerations: is a map, not a list`),
    doc("metadata is a string", broken((d) => (d.metadata = "cart")), `[0] metadata: is a string, not a map`),
    doc("metadata.name is a list", broken((d) => (d.metadata.name = ["cart"])), `[0] metadata.name: is a list, not a string`),
    doc("a label value is a number", broken((d) => (d.metadata.labels = { tier: 1 })), `[0] metadata.labels.tier: is a number, not a string`),
    doc("pod labels is a number", broken((d) => (d.spec.template.metadata.labels = 5)), `[0] spec.template.metadata.labels: is a number, not a map`),
    doc("an annotation is a map", broken((d) => (d.metadata.annotations = { a: { b: 1 } })), `[0] metadata.annotations.a: is a map, not a string`),
    doc("spec is a number", broken((d) => (d.spec = 7)), `[0] spec: is a number, not a map`),
    doc("replicas is a string", broken((d) => (d.spec.replicas = "3")), `[0] spec.replicas: is a string, not an integer`),
    doc("replicas is fractional", broken((d) => (d.spec.replicas = 1.5)), `[0] spec.replicas: is a number, not an integer`),
    doc("matchLabels is a list", broken((d) => (d.spec.selector.matchLabels = ["app"])), `[0] spec.selector.matchLabels: is a list, not a map`),
    doc("HPA without maxReplicas", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\nspec: {scaleTargetRef: {kind: Deployment, name: a}}\n", `[0] spec: has no "maxReplicas"`),
    doc("HPA scaleTargetRef is a number", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\nspec: {scaleTargetRef: 5, maxReplicas: 3}\n", `[0] spec.scaleTargetRef: is a number, not a map`),
    doc("PDB matchExpressions is a number", "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: a}\nspec: {selector: {matchExpressions: 5}}\n", `[0] spec.selector.matchExpressions: is a number, not a list`),
    doc("Service ports is a string", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: \"80\"}\n", `[0] spec.ports: is a string, not a list`),
    doc("CronJob jobTemplate is a string", "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: a}\nspec: {schedule: \"* * * * *\", jobTemplate: x}\n", `[0] spec.jobTemplate: is a string, not a map`),
    doc("the second document is broken", `${JSON.stringify(deployment())}\n---\n${broken((_, c) => (c.env = "A=b"))}\n`, `[1] ${C}[0].env: is a string, not a list`),
    doc("a custom resource's metadata is a list", "apiVersion: example.com/v1\nkind: Widget\nmetadata: [a]\n", `[0] metadata: is a list, not a map`),
    doc("a custom resource's label is a number", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: a, labels: {x: 1}}\n", `[0] metadata.labels.x: is a number, not a string`),
    // Documents that are not Kubernetes objects.
    doc("List items is a string", "apiVersion: v1\nkind: List\nitems: abc\n", "[0] items: is a string, not a list"),
    doc("a null List item", "apiVersion: v1\nkind: List\nitems: [null]\n", "[0] items[0]: is null, not a Kubernetes object"),
    doc("a List item is a number", "apiVersion: v1\nkind: List\nitems: [7]\n", "[0] items[0]: is a number, not a Kubernetes object"),
    doc("a List item without kind", `apiVersion: v1\nkind: List\nitems: [${JSON.stringify(deployment())}, {apiVersion: v1}]\n`, "[0] items[1]: not a Kubernetes object"),
    doc("a bad shape inside a List item", `apiVersion: v1\nkind: List\nitems: [${broken((d) => (d.spec = []))}]\n`, "[0] items[0].spec: is a list, not a map"),
    doc("a scalar document", "hello\n", "[0]: is a string, not a Kubernetes object"),
    doc("a list document", "- a\n- b\n", "[0]: is a list, not a Kubernetes object"),
    doc("no apiVersion or kind", "just: data\n", "[0]: not a Kubernetes object (no apiVersion/kind)"),
    doc("kind is a number", "apiVersion: v1\nkind: 5\n", "[0] kind: is a number, not a non-empty string"),
    doc("apiVersion is empty", "apiVersion: ''\nkind: Pod\n", "[0] apiVersion: is empty, not a non-empty string"),
    doc("a !!binary value", "apiVersion: v1\nkind: ConfigMap\nmetadata: !!binary aGVsbG8=\n", "[0] metadata: is Buffer"),
    doc("an infinite number", broken((d) => (d.spec.replicas = "__INF__")).replace('"__INF__"', ".inf"), "[0] spec.replicas: is Infinity, not a finite number"),
    doc("a __proto__ key", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n__proto__: {polluted: 1}\n", "[0] __proto__: a key named __proto__ is not accepted"),
    // YAML that does not parse.
    doc("an unclosed flow sequence", "kind: Pod\nmetadata: [\n", ":3: "),
    doc("tabs as indentation", "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: a\n", ":4: Tabs are not allowed as indentation (document 0)"),
    doc("duplicate keys", "apiVersion: v1\nkind: Pod\nkind: Service\n", ":3: Map keys must be unique (document 0)"),
    doc("an undefined alias", "apiVersion: v1\nkind: Pod\nmetadata: *nope\n", "[0]: cannot read (Unresolved alias"),
    doc("a billion laughs", `${["a: &a [x,x,x,x,x,x,x,x,x]", ..."bcdef".split("").map((l, i) => `${l}: &${l} [${Array(9).fill(`*${"abcde"[i]}`).join(",")}]`)].join("\n")}\nkind: Pod\napiVersion: v1\n`, "[0]: cannot read (Excessive alias count"),
    doc("nesting 100,000 deep", `a: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`, ":1: nested too deeply"),
    // Encodings.
    doc("invalid UTF-8", Buffer.concat([Buffer.from("apiVersion: v1\nkind: Pod\nmetadata: {name: "), Buffer.from([0xff]), Buffer.from("}\n")]), ":3: invalid UTF-8 at byte 42 (0xff)"),
    doc("an overlong UTF-8 slash", Buffer.from([0x6b, 0x3a, 0x20, 0xc0, 0xaf, 0x0a]), ":1: invalid UTF-8 at byte 3 (0xc0)"),
    doc("an encoded surrogate", Buffer.from([0x6b, 0x3a, 0x20, 0xed, 0xa0, 0x80, 0x0a]), ":1: invalid UTF-8 at byte 3 (0xed)"),
    doc("a truncated UTF-8 sequence", Buffer.from([0x6b, 0x3a, 0x20, 0xe2, 0x82]), ":1: invalid UTF-8 at byte 3 (0xe2)"),
    doc("UTF-16LE with a BOM", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("apiVersion: v1\nkind: Pod\n", "utf16le")]), ": is UTF-16LE, not UTF-8"),
    doc("UTF-16BE with a BOM", Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from("apiVersion: v1\n", "utf16le").swap16()]), ": is UTF-16BE, not UTF-8"),
    doc("UTF-16LE without a BOM", Buffer.from("apiVersion: v1\nkind: Pod\n", "utf16le"), ": is UTF-16LE, not UTF-8"),
    doc("UTF-32LE with a BOM", Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0]), ": is UTF-32LE, not UTF-8"),
    doc("a NUL byte", Buffer.from("apiVersion: v1\nkind: Pod\nmetadata: {name: \"a\0b\"}\n"), ":3: character U+0000 is not allowed in YAML"),
    doc("a bell character", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\u0007}\n", ":3: character U+0007 is not allowed in YAML"),
    doc("a UTF-8 BOM before a broken shape (the BOM is fine, the shape is not)", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(broken((d) => (d.spec = 1)))]), "[0] spec: is a number, not a map"),
    // Special files and paths.
    { name: "a FIFO", args: () => [mkfifo(path.join(dir(), "fifo.yaml"))], expect: at(": is a FIFO, not a regular file") },
    { name: "a FIFO in a folder", args: () => { const d = dir(); mkfifo(path.join(d, "fifo.yaml")); return [d]; }, expect: (a) => new RegExp(`${escape(path.join(a[0], "fifo.yaml"))}: is a FIFO, not a regular file`) },
    { name: "a socket", args: () => [socket(path.join(dir(), "sock.yaml"))], expect: at(": is a socket, not a regular file") },
    { name: "/dev/null", args: () => ["/dev/null"], expect: at(": is a character device, not a regular file") },
    { name: "/dev/zero", args: () => ["/dev/zero"], expect: at(": is a character device, not a regular file") },
    { name: "a symlink to /dev/zero in a folder", args: () => { const d = dir(); fs.symlinkSync("/dev/zero", path.join(d, "zero.yaml")); return [d]; }, expect: (a) => new RegExp(`${escape(path.join(a[0], "zero.yaml"))}: is a character device`) },
    { name: "a symlink loop", args: () => { const d = dir(); fs.symlinkSync("b.yaml", path.join(d, "a.yaml")); fs.symlinkSync("a.yaml", path.join(d, "b.yaml")); return [path.join(d, "a.yaml")]; }, expect: at(": too many levels of symbolic links (a symlink loop)") },
    { name: "a symlink loop in a folder", args: () => { const d = dir(); fs.symlinkSync("self.yaml", path.join(d, "self.yaml")); return [d]; }, expect: (a) => new RegExp(`${escape(path.join(a[0], "self.yaml"))}: too many levels of symbolic links`) },
    { name: "a dangling symlink", args: () => { const d = dir(); fs.symlinkSync("gone.yaml", path.join(d, "link.yaml")); return [path.join(d, "link.yaml")]; }, expect: at(": no such file or directory") },
    { name: "a missing file", args: () => [path.join(dir(), "nothing.yaml")], expect: at(": no such file or directory") },
    { name: "a path through a file", args: () => [path.join(file("a: 1\n"), "sub.yaml")], expect: at(": a part of the path is not a directory") },
    { name: "a file name too long", args: () => [path.join(dir(), `${"x".repeat(300)}.yaml`)], expect: at(": file name too long") },
    { name: "an unreadable file", args: () => { const f = file(JSON.stringify(deployment())); fs.chmodSync(f, 0); return [f]; }, expect: at(": permission denied"), asNobody: true },
    { name: "an unreadable folder", args: () => { const d = dir(); fs.writeFileSync(path.join(d, "a.yaml"), "a: 1\n"); fs.chmodSync(d, 0); return [d]; }, expect: at(": permission denied"), asNobody: true },
    {
        name: "a file above the size limit", args: () => { const f = file("apiVersion: v1\nkind: ConfigMap\n"); fs.truncateSync(f, MAX_FILE_BYTES + 1); return [f]; },
        expect: at(`: is 16.0 MiB or more, above the ${MAX_FILE_BYTES / 1048576} MiB limit per file`),
    },
    { name: "a newline in the file name", args: () => [file("just: data\n", "a\nb.yaml")], expect: (a) => new RegExp(`${escape(path.dirname(a[0]))}/a\\\\x0ab\\.yaml\\[0\\]: not a Kubernetes object`) },
    // Flags.
    flag("an unknown flag", ["--bogus"], /Unknown option '--bogus'/),
    flag("an unknown short flag", ["-x"], /Unknown option '-x'/),
    flag("a value for a boolean flag", ["--json=yes", "x.yaml"], /Option '--json' does not take an argument/),
    flag("--only without a value", ["--only"], /Option '--only <value>' argument missing/),
    flag("--only empty", ["--only", "", "x.yaml"], /--only "" names no policy/),
    flag("--only a comma", ["--only", ",", "x.yaml"], /--only "," names no policy/),
    flag("--only an unknown policy", ["--only", "no-such-policy", "x.yaml"], /unknown policy no-such-policy/),
    flag("no PATH", [], /no PATH given/),
    flag("an empty PATH", [""], /PATH "" is empty/),
    flag("--config empty", ["--config", "", "x.yaml"], /--config "": empty path/),
    configCase("missing", null, /: no such file or directory/),
    configCase("an empty file", "", /: not JSON/),
    configCase("not JSON", "{all: mandatory", /: not JSON/),
    configCase("a JSON array", "[]", /: is a list, not a JSON object/),
    configCase("an unknown enforcement level", JSON.stringify({ all: "strict" }), /: all: is "strict", not one of advisory, mandatory, remediate, disabled/),
    configCase("a level that is a number", JSON.stringify({ "image-tag": 5 }), /: image-tag: is a number, not an enforcement level or an object/),
    configCase("a property of the wrong type", JSON.stringify({ "image-registry": { allowedRegistries: "ecr" } }), /: image-registry\.allowedRegistries: must be array \(policy image-registry\)/),
    configCase("a property of the wrong type under all", JSON.stringify({ all: { hoursPerMonth: "730" } }), /: all\.hoursPerMonth: must be number \(policy capacity-fits\)/),
    configCase("invalid UTF-8", Buffer.from([0x7b, 0xff, 0x7d]), /:1: invalid UTF-8 at byte 1/),
    { name: "--config a FIFO", args: () => ["--config", mkfifo(path.join(dir(), "config.json")), "x.yaml"], expect: (a) => new RegExp(`--config ${escape(a[1])}: is a FIFO, not a regular file`) },
    { name: "--config /dev/null", args: () => ["--config", "/dev/null", "x.yaml"], expect: () => /--config \/dev\/null: is a character device/ },
    { name: "--config a folder", args: () => ["--config", dir(), "x.yaml"], expect: (a) => new RegExp(`--config ${escape(a[1])}: is a directory, not a regular file`) },
    // npm run bench: only its flags (a run takes minutes).
    { name: "bench --sizes abc", script: "tools/bench/cli.ts", args: () => ["--sizes", "abc"], expect: () => /^bench: --sizes "abc" is not a list of service counts/ },
    { name: "bench --sizes 0", script: "tools/bench/cli.ts", args: () => ["--sizes", "1,0"], expect: () => /^bench: --sizes "1,0" is not a list/ },
    { name: "bench a positional", script: "tools/bench/cli.ts", args: () => ["200"], expect: () => /^bench: Unexpected argument '200'/ },
    { name: "bench an unknown flag", script: "tools/bench/cli.ts", args: () => ["--fast"], expect: () => /^bench: Unknown option '--fast'/ },
];

test("the hostile-input table is at least 60 inputs", () => {
    assert.ok(cases.length >= 60, `${cases.length}`);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length, "names are unique");
});

const snapshot = (): string[] => {
    const seen: string[] = [];
    const walk = (d: string) => {
        let entries: fs.Dirent[] = [];
        try {
            entries = fs.readdirSync(d, { withFileTypes: true });
        } catch { return; }
        for (const e of entries) {
            const p = path.join(d, e.name);
            seen.push(p);
            if (e.isDirectory()) walk(p);
        }
    };
    walk(root);
    return seen.sort();
};

test("every hostile input: one line naming the file or flag, exit 2, no stack trace, nothing written", { concurrency: 2 }, async (t) => {
    const built = cases.map((c) => ({ c, args: c.args() }));
    const before = snapshot();
    try {
        await Promise.all(built.map(({ c, args }) => t.test(c.name, async () => {
            const script = c.script ?? "tools/policy/cli.ts";
            const result = await run(script, args, c.asNobody);
            const label = `${c.name}: ${JSON.stringify(result.stderr)}`;
            assert.equal(result.code, 2, label);
            assert.doesNotMatch(result.stderr, /\n\s+at /, `no stack trace: ${label}`);
            assert.match(result.stderr, /^[^\n]+\n$/, `exactly one line: ${label}`);
            assert.match(result.stderr, new RegExp(`^${script.includes("bench") ? "bench" : "policy"}: `), label);
            assert.match(result.stderr, c.expect(args), label);
            assert.equal(result.stdout, "", `nothing on stdout: ${c.name}`);
        })));
        // Before the sockets close (closing one removes its file).
        assert.deepEqual(snapshot(), before, "nothing written next to the input");
    } finally {
        for (const s of sockets) s.close();
    }
});

test("what is not hostile still runs: a UTF-8 BOM, null fields, empty requests, a folder linked into itself", async () => {
    const d = dir();
    fs.writeFileSync(path.join(d, "bom.yaml"), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(deployment()))]));
    // `field: null` is an unset field to the API server; `requests: {}` asks for nothing.
    fs.writeFileSync(path.join(d, "nulls.yaml"), broken((d, c) => { d.metadata.name = "nulls"; c.name = "nulls"; c.resources = { requests: null, limits: null }; c.env = null; }));
    fs.writeFileSync(path.join(d, "empty.yaml"), broken((d, c) => { d.metadata.name = "empty"; c.name = "empty"; c.resources = { requests: {} }; }));
    fs.symlinkSync(".", path.join(d, "loop.yaml"));
    const result = await run("tools/policy/cli.ts", ["--json", "--only", "cpu-requests", d]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    const json = JSON.parse(result.stdout);
    assert.equal(json.evaluated, 3, "each file once, the link to the folder walked no further");
    assert.deepEqual(json.violations.map((v: any) => [path.basename(v.file), v.message]).sort(), [
        ["empty.yaml", 'Deployment shop/empty: container "empty" has no cpu request'],
        ["nulls.yaml", 'Deployment shop/nulls: container "nulls" has no cpu request'],
    ]);
});

test("--help documents the exit codes and the input limits", async () => {
    const help = await run("tools/policy/cli.ts", ["--help"]);
    assert.equal(help.code, 0);
    for (const line of [/^ {2}0 {2}no mandatory violation/m, /^ {2}1 {2}mandatory violations/m, /^ {2}2 {2}bad input/m, /^ {2}3 {2}internal error/m, /regular files only, 16 MiB per file, UTF-8/]) {
        assert.match(help.stdout, line);
    }
});
