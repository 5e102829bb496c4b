/**
 * Every CLI answers every input: malformed documents, shapes, encodings, special files and flags each get
 * exactly one line on stderr naming the file (with document and path) or the flag, exit 2, no stack
 * trace, nothing on stdout, nothing changed on disk. The rows: `npm run policy`, then `npm run plan`
 * (--config, --registry, flags, --out), `npm run version` (--repo, the title on stdin), `npm run bench`
 * (each `eks-delivery <command>`, run through its tools/<command>/cli.ts).
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
import { loadStackFile, parseStackFile } from "../config/stackFile";
import { EmulatedRegistry } from "../tools/plan/registry";
import { isProgressLine } from "../tools/cli/progress";

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** Runs a CLI; `stdin` is what it reads (bytes, or an open file descriptor), else an empty stdin. */
function run(script: string, args: string[], asNobody = false, stdin?: string | Buffer | number): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, script), ...args], {
            cwd: PROJECT_ROOT, timeout: 120_000,
            stdio: [typeof stdin === "number" ? stdin : "pipe", "pipe", "pipe"],
            // Root reads a mode-000 file anyway: the unreadable cases run as nobody.
            ...(asNobody && asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
        });
        let stdout = "", stderr = "";
        child.stdout!.on("data", (d) => (stdout += d));
        child.stderr!.on("data", (d) => (stderr += d));
        if (child.stdin) {
            child.stdin.on("error", () => { /* the CLI stopped reading (a size limit): EPIPE */ });
            child.stdin.end(typeof stdin === "number" ? undefined : stdin);
        }
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** Help text as one line (it is wrapped at 80 columns, a phrase may span two). */
const unwrapped = (text: string) => text.replace(/\s*\n\s*/g, " ");

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
    /** What the CLI reads on stdin: bytes, or a file opened for it (a descriptor). */
    stdin?: () => string | Buffer | number;
    /** Found after the Pulumi SDK loads: progress lines come first (the refusal is still its own line). */
    afterProgress?: boolean;
}
const at = (where: string) => (args: string[]) => new RegExp(`${escape(args[args.length - 1])}${escape(where)}`);
const doc = (name: string, content: string | Buffer, where: string): Case => ({ name, args: () => [file(content)], expect: at(where) });
const flag = (name: string, args: string[], message: RegExp): Case => ({ name, args: () => args, expect: () => message });
/** `npm run policy -- -` with this on stdin (bytes, or a file opened for it); the line is the whole of stderr. */
const stdinCase = (name: string, stdin: () => string | Buffer | number, message: RegExp, args = () => ["-"]): Case =>
    ({ name: `stdin ${name}`, args, stdin, expect: () => new RegExp(`^policy: ${message.source}`) });
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

// npm run plan: the stack file (--config), the registry (--registry) and the flags. Every row plans into a
// fresh --out under the test's folder (unless the row is about --out), which must never appear.
const PLAN = "tools/plan/cli.ts";
/** A row's expected line: a literal tail after the file the args name, or a pattern (its source). */
type Tail = string | RegExp;
const tail = (t: Tail) => (typeof t === "string" ? escape(t) : t.source);
const plan = (name: string, args: () => string[], expect: (args: string[]) => RegExp, more: Partial<Case> = {}): Case => ({
    name: `plan ${name}`, script: PLAN, expect, ...more,
    // No --quiet: a refusal found while the program runs follows progress lines (`[plan] <step>`, stderr),
    // and the refusal is still the one line that is not one of them.
    args: () => {
        const a = args();
        return a.includes("--out") ? a : [...a, "--out", path.join(dir(), "out")];
    },
});
const planFlag = (name: string, args: string[], message: RegExp): Case => plan(name, () => args, () => new RegExp(`^plan: ${message.source}`));
/** `--config FILE` (content, or a path made by the function), the line naming it. */
const planConfig = (name: string, content: string | Buffer | (() => string), where: Tail, more: Partial<Case> = {}): Case =>
    plan(`--config ${name}`, () => ["--config", typeof content === "function" ? content() : file(content, "Pulumi.hostile.yaml")],
        (a) => new RegExp(`^plan: --config ${escape(oneLineName(a[1]))}${tail(where)}`), more);
const planRegistry = (name: string, content: string | Buffer | (() => string), where: Tail, more: Partial<Case> = {}): Case =>
    plan(`--registry ${name}`, () => ["--stack", "dev", "--registry", typeof content === "function" ? content() : file(content, "registry.json")],
        (a) => new RegExp(`^plan: --registry ${escape(a[3])}${tail(where)}`), more);
/** A file name as the one line shows it: control characters escaped. */
const oneLineName = (s: string) => s.replace(/[\x00-\x1f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
/** A stack file every other row breaks one thing of: the dev stack's own. */
const devStack = () => fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8");
const bomb = `${["a: &a [x,x,x,x,x,x,x,x,x]", ..."bcdef".split("").map((l, i) => `${l}: &${l} [${Array(9).fill(`*${"abcde"[i]}`).join(",")}]`)].join("\n")}\n`;
const URI = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/eks-delivery-dev/api";
/** A registry file as a plan writes it, with one thing changed. */
const registry = (patch: (r: any, image: any) => void = () => {}) => {
    const r: any = { clock: 1, repositories: { [URI]: { mutableTags: ["buildcache"], images: [{ digest: `sha256:${"a".repeat(64)}`, tags: ["v1.0.0-abcdef0"], pushedAt: 1767225600, sizeInBytes: 20_000_000 }] } } };
    patch(r, r.repositories[URI].images[0]);
    return JSON.stringify(r, null, 2);
};
const REPO = `repositories[${JSON.stringify(URI)}]`;
const symlinkLoop = () => { const d = dir(); fs.symlinkSync("b.yaml", path.join(d, "a.yaml")); fs.symlinkSync("a.yaml", path.join(d, "b.yaml")); return path.join(d, "a.yaml"); };
const dangling = () => { const d = dir(); fs.symlinkSync("gone.yaml", path.join(d, "link.yaml")); return path.join(d, "link.yaml"); };
const unreadable = (content: string) => { const f = file(content); fs.chmodSync(f, 0); return f; };
const oversized = (content: string) => { const f = file(content); fs.truncateSync(f, MAX_FILE_BYTES + 1); return f; };
const TOO_BIG = `: is 16.0 MiB or more, above the ${MAX_FILE_BYTES / 1048576} MiB limit per file`;
const badUtf8 = (before: string) => Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from("\n")]);

// npm run version: --repo that is no directory, the title on stdin (--title -) that is no UTF-8 text or too long.
const VERSION = "tools/version/cli.ts";
const version = (name: string, args: () => string[], message: (args: string[]) => RegExp, stdin?: () => string | Buffer | number, more: Partial<Case> = {}): Case =>
    ({ name: `version ${name}`, script: VERSION, args, expect: (a) => new RegExp(`^version: ${message(a).source}`), stdin, ...more });
const versionRepo = (name: string, repo: () => string, reason: string, more: Partial<Case> = {}): Case =>
    version(`--repo ${name}`, () => ["--repo", repo()], (a) => new RegExp(`--repo ${escape(JSON.stringify(a[1]))}: ${escape(a[1])} is not a git repository: ${escape(reason)}$`), undefined, more);
const titleOnStdin = (name: string, stdin: () => string | Buffer | number, message: RegExp): Case =>
    version(`--title - ${name}`, () => ["--title", "-"], () => new RegExp(`--title -: ${message.source}`), stdin);

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
    // V8 aborted the process on it (exit 134, a native trace): the yaml composer recursed until the stack
    // was nearly full, and a regular expression compiled there (config/safeYaml.ts).
    doc("a tab error, then nesting 100,000 deep", `a:\n\tb: 1\n---\na: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`, ":4: nested too deeply"),
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
    flag("an unknown flag", ["--bogus"], /^policy: unknown option '--bogus' \(see npx eks-delivery policy --help\)$/),
    flag("an unknown short flag", ["-x"], /^policy: unknown option '-x'/),
    flag("a value for a boolean flag", ["--json=yes", "x.yaml"], /^policy: --json takes no value \(got "yes"\)$/),
    flag("--only without a value", ["--only"], /^policy: option '--only <a,b>' argument missing/),
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
    configCase("a property under all (Pulumi applies only the level from all)", JSON.stringify({ all: { hoursPerMonth: 730 } }), /: all\.hoursPerMonth: "all" takes only an enforcementLevel \(Pulumi applies no properties from it\): set hoursPerMonth under the policy's own name$/),
    configCase("invalid UTF-8", Buffer.from([0x7b, 0xff, 0x7d]), /:1: invalid UTF-8 at byte 1/),
    { name: "--config a FIFO", args: () => ["--config", mkfifo(path.join(dir(), "config.json")), "x.yaml"], expect: (a) => new RegExp(`--config ${escape(a[1])}: is a FIFO, not a regular file`) },
    { name: "--config /dev/null", args: () => ["--config", "/dev/null", "x.yaml"], expect: () => /--config \/dev\/null: is a character device/ },
    { name: "--config a folder", args: () => ["--config", dir(), "x.yaml"], expect: (a) => new RegExp(`--config ${escape(a[1])}: is a directory, not a regular file`) },
    // npm run policy: the flags of the report (--format, --fail-on, --kubernetes-version) and stdin (-).
    flag("--format bogus", ["--format", "bogus", "x.yaml"], /^policy: --format "bogus" is not one of text, json, sarif$/),
    flag("--format empty", ["--format", "", "x.yaml"], /^policy: --format "" is not one of text, json, sarif$/),
    flag("--format given twice", ["--format", "json", "--format", "text", "x.yaml"], /^policy: --format is given twice$/),
    flag("--json with --format sarif", ["--json", "--format", "sarif", "x.yaml"], /^policy: --json and --format sarif disagree \(--json is --format json\)$/),
    flag("--list with --format sarif", ["--list", "--format", "sarif"], /^policy: --list is text or json, not --format sarif$/),
    flag("--fail-on bogus", ["--fail-on", "bogus", "x.yaml"], /^policy: --fail-on "bogus" is not one of critical, high, medium, low, none$/),
    flag("--fail-on in capitals", ["--fail-on", "HIGH", "x.yaml"], /^policy: --fail-on "HIGH" is not one of critical, high, medium, low, none$/),
    flag("--fail-on without a value", ["x.yaml", "--fail-on"], /^policy: option '--fail-on <level>' argument missing/),
    flag("--kubernetes-version 1", ["--kubernetes-version", "1", "x.yaml"], /^policy: --kubernetes-version "1" is not a Kubernetes version like 1\.31 \(MAJOR\.MINOR\)$/),
    flag("--kubernetes-version with a patch", ["--kubernetes-version", "1.33.2", "x.yaml"], /^policy: --kubernetes-version "1\.33\.2" is not a Kubernetes version like 1\.31/),
    flag("--kubernetes-version with a v", ["--kubernetes-version", "v1.33", "x.yaml"], /^policy: --kubernetes-version "v1\.33" is not a Kubernetes version/),
    flag("--kubernetes-version with a newline", ["--kubernetes-version", "1.33\n", "x.yaml"], /^policy: --kubernetes-version "1\.33\\n" is not a Kubernetes version/),
    flag("--kubernetes-version given twice", ["--kubernetes-version", "1.33", "--kubernetes-version", "1.34", "x.yaml"], /^policy: --kubernetes-version is given twice$/),
    flag("- given twice", ["-", "-"], /^policy: PATH - \(stdin\) is given twice: stdin is read once$/),
    stdinCase("a directory", () => fs.openSync(dir(), "r"), /<stdin>: is a directory, not YAML text$/),
    stdinCase("a terminal", () => fs.openSync("/dev/ptmx", "r+"), /-: stdin is a terminal; pipe YAML in/),
    stdinCase("/dev/zero", () => fs.openSync("/dev/zero", "r"), /<stdin>: is 16\.0 MiB or more, above the 16 MiB limit per file$/),
    stdinCase("16 MiB and a byte", () => Buffer.alloc(MAX_FILE_BYTES + 1, 0x20), /<stdin>: is 16\.0 MiB or more, above the 16 MiB limit per file$/),
    stdinCase("invalid UTF-8", () => badUtf8("apiVersion: v1\nkind: Pod\nmetadata: {name: "), /<stdin>:3: invalid UTF-8 at byte 42 \(0xff\)$/),
    stdinCase("UTF-16LE with a BOM", () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("apiVersion: v1\nkind: Pod\n", "utf16le")]), /<stdin>: is UTF-16LE, not UTF-8/),
    stdinCase("YAML that does not parse", () => "kind: Pod\nmetadata: [\n", /<stdin>:3: /),
    stdinCase("not a Kubernetes object", () => "just: data\n", /<stdin>\[0\]: not a Kubernetes object \(no apiVersion\/kind\)$/),
    stdinCase("a broken second document", () => `${JSON.stringify(deployment())}\n---\n${broken((_, c) => (c.env = "A=b"))}\n`, /<stdin>\[1\] spec\.template\.spec\.containers\[0\]\.env: is a string, not a list$/),
    stdinCase("empty (a failed kubectl before the pipe)", () => "", /no Kubernetes object in <stdin>$/),
    stdinCase("the engine's unknown placeholder in a file", () => JSON.stringify({ ...deployment(), metadata: { name: "x", namespace: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" } }),
        /<stdin>\[0\] metadata\.namespace: is "04da6b54-80e4-46f7-96ec-b56ff0331ba9", Pulumi's placeholder for a value unknown in a preview: a file holds known values only$/),
    stdinCase("empty, and an empty folder beside it", () => "", /no Kubernetes object in <stdin>, .*$/, () => ["-", dir()]),
    stdinCase("and a missing file", () => JSON.stringify(deployment()), /.*nothing\.yaml: no such file or directory$/, () => ["-", path.join(dir(), "nothing.yaml")]),
    // npm run plan --config: special files and paths.
    planConfig("a FIFO", () => mkfifo(path.join(dir(), "Pulumi.x.yaml")), ": is a FIFO, not a regular file"),
    planConfig("a socket", () => socket(path.join(dir(), "Pulumi.x.yaml")), ": is a socket, not a regular file"),
    planConfig("/dev/null", () => "/dev/null", ": is a character device, not a regular file"),
    planConfig("/dev/zero", () => "/dev/zero", ": is a character device, not a regular file"),
    planConfig("a folder", () => dir(), ": is a directory, not a regular file"),
    planConfig("a symlink loop", symlinkLoop, ": too many levels of symbolic links (a symlink loop)"),
    planConfig("a dangling symlink", dangling, ": no such file or directory (a symbolic link to nothing)"),
    planConfig("a missing file", () => path.join(dir(), "Pulumi.missing.yaml"), ": no such file or directory"),
    planConfig("a path through a file", () => path.join(file("config: {}\n"), "Pulumi.x.yaml"), ": a part of the path is not a directory"),
    planConfig("unreadable", () => unreadable(devStack()), ": permission denied", { asNobody: true }),
    planConfig("above the size limit", () => oversized(devStack()), TOO_BIG),
    planFlag("--config empty", ["--config", ""], /--config "": empty path$/),
    planConfig("a newline in its name", () => file("- a\n", "Pulumi.a\nb.yaml"), ": is not a mapping with a config: section (it is a list)"),
    // npm run plan --config: encodings.
    planConfig("invalid UTF-8", badUtf8("config:\n  aws:region: ap-"), ":2: invalid UTF-8 at byte 25 (0xff)"),
    planConfig("an overlong UTF-8 sequence", Buffer.from([0x63, 0x3a, 0x20, 0xc0, 0xaf, 0x0a]), ":1: invalid UTF-8 at byte 3 (0xc0)"),
    planConfig("UTF-16LE with a BOM", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(devStack(), "utf16le")]), ": is UTF-16LE, not UTF-8"),
    planConfig("UTF-16BE without a BOM", Buffer.from("config:\n  a: b\n", "utf16le").swap16(), ": is UTF-16BE, not UTF-8"),
    planConfig("a NUL byte", "config:\n  aws:region: \"ap\0\"\n", ":2: character U+0000 is not allowed in YAML"),
    // npm run plan --config: YAML that does not parse, or is no stack file.
    planConfig("not YAML", "config:\n  aws:region: ap-northeast-2\n  eks-delivery:nodes: [\n", /:4:1: Flow sequence in block collection must be sufficiently indented/),
    planConfig("tabs as indentation", "config:\n\taws:region: ap-northeast-2\n", ":2:1: Tabs are not allowed as indentation"),
    planConfig("duplicate keys", devStack().replace("config:\n", "config:\n  aws:region: us-east-1\n"), /:\d+:3: Map keys must be unique$/),
    planConfig("keys that are the same as text", "config:\n  1: a\n  \"1\": b\n", `:3:3: config["1"]: is given twice (as text, the keys are the same)`),
    planConfig("two documents", "config: {}\n---\nconfig: {}\n", ":2:1: a second YAML document: a stack file is one document"),
    planConfig("a list", "- aws:region\n- ap-northeast-2\n", ": is not a mapping with a config: section (it is a list)"),
    planConfig("a scalar", "ap-northeast-2\n", ": is not a mapping with a config: section (it is a string)"),
    planConfig("config: a list", "config:\n  - aws:region: ap-northeast-2\n", ": config: is not a mapping of key: value (it is a list)"),
    planConfig("config: a string", "config: aws:region=ap-northeast-2\n", ": config: is not a mapping of key: value (it is a string)"),
    planConfig("a billion laughs", `${bomb}config: {eks-delivery:x: *f}\n`, ": cannot read (Excessive alias count indicates a resource exhaustion attack)"),
    planConfig("an alias inside its own anchor", "config:\n  eks-delivery:x: &x\n    y: *x\n", ":3:8: config.eks-delivery:x.y: the alias *x refers to a node that contains it"),
    planConfig("nesting 100,000 deep in brackets", `config:\n  eks-delivery:x: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`, ":2: nested too deeply (more than 64 levels)"),
    planConfig("nesting 3,000 deep in blocks", `config:\n${Array.from({ length: 3000 }, (_, i) => `${" ".repeat(i + 2)}k:\n`).join("")}`, ":66: nested too deeply (more than 64 levels)"),
    planConfig("a tab error, then deep nesting", `a:\n\tb: 1\nconfig: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`, ":3: nested too deeply"),
    planConfig("a key that is a list", "config:\n  ? [aws:region]\n  : ap-northeast-2\n", ":2:5: config: has a key that is a list: config keys are text"),
    planConfig("a __proto__ key", "config:\n  __proto__: {polluted: true}\n", ":2:3: config.__proto__: a key named __proto__ is not accepted"),
    planConfig("a !!binary value", "config:\n  eks-delivery:x: !!binary aGVsbG8=\n", ":2:28: config.eks-delivery:x: is tag:yaml.org,2002:binary, not JSON data"),
    planConfig("a !!set value", "config:\n  eks-delivery:x: !!set {a, b}\n", ":2:25: config.eks-delivery:x: is tag:yaml.org,2002:set, not a plain map"),
    planConfig("an infinite number", "config:\n  eks-delivery:x: .inf\n", ":2:19: config.eks-delivery:x: is Infinity, not a finite number"),
    planConfig("an unknown tag", "config:\n  eks-delivery:x: !vault secret/x\n", ":2:19: Unresolved tag: !vault"),
    planConfig("a secure value that is a number", "config:\n  eks-delivery:delivery:\n    slackWebhookUrl: {secure: 5}\n",
        /:3:22: config\.eks-delivery:delivery\.slackWebhookUrl\.secure: is a number, not a ciphertext/),
    planConfig("a secure value that is empty", "config:\n  eks-delivery:delivery:\n    slackWebhookUrl:\n      secure: \"\"\n",
        /:4:7: config\.eks-delivery:delivery\.slackWebhookUrl\.secure: is empty, not a ciphertext/),
    planConfig("a secure value that is a list", "config:\n  eks-delivery:x: {secure: [v1:abc]}\n", /:2:19: config\.eks-delivery:x\.secure: is a list, not a ciphertext/),
    planConfig("one bad value", () => file(devStack().replace("    minSize: 2\n", "    minSize: two\n"), "Pulumi.dev.yaml"), /.*/,
        { expect: (a) => new RegExp(`^plan: invalid stack configuration in ${escape(a[1])}: eks-delivery:nodes\\.minSize: "two" is not a number$`), afterProgress: true }),
    // npm run plan --registry: special files and paths (a missing file is a new, empty registry).
    planRegistry("a FIFO", () => mkfifo(path.join(dir(), "registry.json")), ": is a FIFO, not a regular file"),
    planRegistry("a socket", () => socket(path.join(dir(), "registry.json")), ": is a socket, not a regular file"),
    planRegistry("/dev/zero", () => "/dev/zero", ": is a character device, not a regular file"),
    planRegistry("a folder", () => dir(), ": is a directory, not a regular file"),
    planRegistry("a symlink loop", symlinkLoop, ": too many levels of symbolic links (a symlink loop)"),
    planRegistry("a dangling symlink", dangling, ": no such file or directory (a symbolic link to nothing)"),
    planRegistry("unreadable", () => unreadable(registry()), ": permission denied", { asNobody: true }),
    planRegistry("not writable (the plan writes it back)", () => { const f = file(registry()); fs.chmodSync(f, 0o444); return f; }, ": permission denied (the plan writes the registry back)", { asNobody: true }),
    planRegistry("above the size limit", () => oversized(registry()), TOO_BIG),
    planRegistry("in a missing folder", () => path.join(dir(), "gone", "registry.json"), /: its directory .*gone: no such file or directory$/),
    planRegistry("in a file", () => path.join(file("x"), "registry.json"), ": a part of the path is not a directory"),
    planFlag("--registry empty", ["--registry", ""], /--registry "": empty path$/),
    // npm run plan --registry: what a plan never writes.
    planRegistry("not JSON", "clock: 1\n", /: not an emulated registry file \(not JSON: /),
    planRegistry("invalid UTF-8", badUtf8("{\"clock\": 1, \"x\": \""), ":1: invalid UTF-8 at byte 19 (0xff)"),
    planRegistry("a JSON list", "[]\n", ": not an emulated registry file: the file: is a list, not a registry (a map of clock and repositories)"),
    planRegistry("no repositories", "{\"clock\": 0}\n", ": not an emulated registry file: the file: has no \"repositories\""),
    planRegistry("an unknown key", registry((r) => (r.version = 2)), ": not an emulated registry file: version: is not a key of the registry file (clock, repositories)"),
    planRegistry("a __proto__ key", "{\"__proto__\": {}, \"clock\": 0, \"repositories\": {}}\n", ": not an emulated registry file: __proto__: is not a key"),
    planRegistry("a negative clock", registry((r) => (r.clock = -1)), ": not an emulated registry file: clock: is -1, not a whole number of 0 or more"),
    planRegistry("a clock that is text", registry((r) => (r.clock = "1")), ": not an emulated registry file: clock: is a string, not a number"),
    planRegistry("repositories is a list", registry((r) => (r.repositories = [])), ": not an emulated registry file: repositories: is a list, not a map"),
    planRegistry("a repository that is not in ECR", registry((r) => (r.repositories = { "docker.io/library/nginx": r.repositories[URI] })),
        `: not an emulated registry file: repositories["docker.io/library/nginx"]: is not an ECR repository URI`),
    planRegistry("images is a map", registry((r) => (r.repositories[URI].images = {})), `: not an emulated registry file: ${REPO}.images: is a map, not a list`),
    planRegistry("a digest that is not sha256", registry((_, i) => (i.digest = "md5:abc")), `: not an emulated registry file: ${REPO}.images[0].digest: "md5:abc" is not a sha256 digest`),
    planRegistry("a tag that Docker refuses", registry((_, i) => (i.tags = ["-x"])), `: not an emulated registry file: ${REPO}.images[0].tags[0]: "-x" is not a Docker tag`),
    planRegistry("a tag on two images", registry((r, i) => r.repositories[URI].images.push({ ...i, digest: `sha256:${"b".repeat(64)}` })),
        `: not an emulated registry file: ${REPO}.images[1].tags: "v1.0.0-abcdef0" is also a tag of images[0]`),
    planRegistry("a size that is fractional", registry((_, i) => (i.sizeInBytes = 1.5)), `: not an emulated registry file: ${REPO}.images[0].sizeInBytes: is 1.5, not a whole number`),
    // npm run plan: flags.
    planFlag("an unknown flag", ["--bogus"], /unknown option '--bogus' \(see npx eks-delivery plan --help\)$/),
    planFlag("an unknown flag close to a known one (commander's suggestion, on the same line)", ["--jsno"], /unknown option '--jsno' \(Did you mean --json\?\) \(see npx eks-delivery plan --help\)$/),
    planFlag("an unknown short flag", ["-x"], /unknown option '-x'/),
    planFlag("a positional", ["extra"], /unexpected argument "extra": every value belongs to a flag$/),
    planFlag("a value for a boolean flag", ["--json=yes"], /--json takes no value \(got "yes"\)$/),
    planFlag("a value for --help", ["--help=all"], /--help takes no value \(got "all"\)$/),
    planFlag("--config without a value", ["--out", "x", "--config"], /option '--config <file>' argument missing/),
    planFlag("--config followed by a flag", ["--config", "--json"], /--config "--json": a value that starts with '-' is given as --config=<value>$/),
    planFlag("--json given twice", ["--json", "--json"], /--json is given twice$/),
    planFlag("--stack given twice", ["--stack", "dev", "--stack", "prod"], /--stack is given twice/),
    planFlag("--stack empty", ["--stack", ""], /--stack "": a stack name may not be empty/),
    planFlag("--stack with a slash", ["--stack", "../etc"], /--stack "\.\.\/etc": a stack name may only contain alphanumeric, hyphens, underscores, or periods: invalid character "\/" at position 2/),
    planFlag("--stack with a newline", ["--stack", "dev\nprod"], /--stack "dev\\nprod": .* invalid character "\\n" at position 3/),
    planFlag("--stack of 101 characters", ["--stack", "s".repeat(101)], /--stack "s{80}"\.\.\. \(101 characters\): a stack name cannot exceed 100 characters/),
    planFlag("--stack without a stack file", ["--stack", "nosuchstack"], /--stack "nosuchstack": .*Pulumi\.nosuchstack\.yaml: no such file or directory$/),
    planFlag("--today not a date", ["--today", "tomorrow"], /--today "tomorrow" is not a date like 2026-11-27/),
    planFlag("--today a day February lacks", ["--today", "2026-02-30"], /--today "2026-02-30" is not a date/),
    planFlag("--today empty", ["--today", ""], /--today "" is not a date/),
    planFlag("--today without leading zeros", ["--today", "2026-1-1"], /--today "2026-1-1" is not a date/),
    planFlag("--today with a newline", ["--today", "2026-01-01\n"], /--today "2026-01-01\\n" is not a date/),
    planFlag("--today of 10,000 characters", ["--today", "9".repeat(10_000)], /--today "9{80}"\.\.\. \(10000 characters\) is not a date/),
    // npm run plan --out: what test/outputs.test.ts does not run through the CLI (it covers ., the home
    // directory, a folder the plan did not create, a file).
    planFlag("--out the filesystem root", ["--out", "/"], /--out "\/" is the filesystem root: nothing written$/),
    planFlag("--out the repository", ["--out", PROJECT_ROOT], /--out ".*" is the repository root: nothing written$/),
    planFlag("--out empty (the current directory, here the repository)", ["--out", ""], /--out "" is the repository root: nothing written$/),
    plan("--out a link to the repository", () => { const l = path.join(dir(), "repo"); fs.symlinkSync(PROJECT_ROOT, l); return ["--out", l]; }, () => /^plan: --out ".*repo" is the repository root: nothing written$/),
    plan("--out a FIFO", () => ["--out", mkfifo(path.join(dir(), "out"))], () => /^plan: --out ".*out" is not a directory: nothing written$/),
    planFlag("--out /dev/null", ["--out", "/dev/null"], /--out "\/dev\/null" is not a directory: nothing written$/),
    // npm run plan --against / --markdown (the plan diff, tools/plan/diff/flags.ts): refused before any plan.
    planFlag("--against neither a plan directory nor a ref", ["--against", "no-such-ref-or-dir"], /--against "no-such-ref-or-dir": neither a plan directory nor a git ref of this repository/),
    planFlag("--against a ref starting with -", ["--against=--output=x"], /--against "--output=x": a git ref never starts with "-"/),
    plan("--against a folder that is not a plan", () => ["--against", dir()], () => /^plan: --against ".*" is not a plan directory \(no readable \.eks-delivery-plan/),
    planFlag("--markdown without --against", ["--markdown", "comment.md"], /--markdown "comment\.md" needs --against/),
    plan("--markdown to a directory", () => ["--against", "HEAD", "--markdown", dir()], () => /^plan: --markdown ".*" is a directory: name a file$/),
    // npm run version: --repo that cannot be a repository, and the title on stdin.
    versionRepo("a FIFO", () => mkfifo(path.join(dir(), "repo")), "it is a FIFO, not a directory"),
    versionRepo("/dev/null", () => "/dev/null", "it is a character device, not a directory"),
    versionRepo("a file", () => file("x"), "it is a regular file, not a directory"),
    versionRepo("a symlink loop", symlinkLoop, "too many levels of symbolic links (a symlink loop)"),
    versionRepo("a dangling symlink", dangling, "no such file or directory"),
    versionRepo("a folder it cannot enter", () => { const d = dir(); fs.chmodSync(d, 0); return d; }, "permission denied", { asNobody: true }),
    titleOnStdin("invalid UTF-8", () => Buffer.from([0x5b, 0x6d, 0xff, 0x5d]), /stdin is not UTF-8 text$/),
    titleOnStdin("an overlong UTF-8 slash", () => Buffer.from([0x66, 0x69, 0x78, 0xc0, 0xaf]), /stdin is not UTF-8 text$/),
    titleOnStdin("an encoded surrogate", () => Buffer.from([0x66, 0xed, 0xa0, 0x80]), /stdin is not UTF-8 text$/),
    titleOnStdin("a truncated UTF-8 sequence", () => Buffer.from([0x66, 0x69, 0x78, 0xe2, 0x82]), /stdin is not UTF-8 text$/),
    titleOnStdin("UTF-16LE with a BOM", () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("[minor] x", "utf16le")]), /stdin is not UTF-8 text$/),
    titleOnStdin("1 MiB and a byte", () => Buffer.alloc(1024 * 1024 + 1, 0x61), /stdin is over 1048576 bytes \(the limit for a title\)$/),
    titleOnStdin("/dev/zero", () => fs.openSync("/dev/zero", "r"), /stdin is over 1048576 bytes/),
    titleOnStdin("a folder", () => fs.openSync(dir(), "r"), /stdin is a directory$/),
    version("a value for --help", () => ["--help=all"], () => /--help takes no value \(got "all"\)$/),
    version("an unknown flag", () => ["--bogus"], () => /unknown option '--bogus' \(see npx eks-delivery version --help\)$/),
    version("a title that looks like a flag", () => ["--title", "-x"], () => /--title "-x": a value that starts with '-' is given as --title=<value>/),
    // npm run bench: only its flags (a run takes minutes).
    { name: "bench --sizes abc", script: "tools/bench/cli.ts", args: () => ["--sizes", "abc"], expect: () => /^bench: --sizes "abc" is not a list of service counts/ },
    { name: "bench --sizes 0", script: "tools/bench/cli.ts", args: () => ["--sizes", "1,0"], expect: () => /^bench: --sizes "1,0" is not a list/ },
    { name: "bench a positional", script: "tools/bench/cli.ts", args: () => ["200"], expect: () => /^bench: unexpected argument "200": every value belongs to a flag$/ },
    { name: "bench an unknown flag", script: "tools/bench/cli.ts", args: () => ["--fast"], expect: () => /^bench: unknown option '--fast'/ },
    { name: "bench --sizes above the services a stack may have", script: "tools/bench/cli.ts", args: () => ["--sizes", "200,5001"], expect: () => /^bench: --sizes "200,5001": 5001 is above the 5000 services one stack may have/ },
    { name: "bench --repeats 0", script: "tools/bench/cli.ts", args: () => ["--repeats", "0"], expect: () => /^bench: --repeats "0" is not a whole number from 1 to 20/ },
    { name: "bench --repeats 21", script: "tools/bench/cli.ts", args: () => ["--repeats", "21"], expect: () => /^bench: --repeats "21" is not a whole number from 1 to 20/ },
    { name: "bench --repeats without a value", script: "tools/bench/cli.ts", args: () => ["--repeats"], expect: () => /^bench: option '--repeats <n>' argument missing/ },
    { name: "bench --sizes given twice", script: "tools/bench/cli.ts", args: () => ["--sizes", "1", "--sizes", "2"], expect: () => /^bench: --sizes is given twice$/ },
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
            // A file's size and time too: a registry the CLI must not write back keeps its name.
            const stat = e.isFile() ? fs.statSync(p, { throwIfNoEntry: false }) : undefined;
            seen.push(stat ? `${p} ${stat.size} ${stat.mtimeMs}` : p);
            if (e.isDirectory()) walk(p);
        }
    };
    walk(root);
    return seen.sort();
};

test("every hostile input: one line naming the file or flag, exit 2, no stack trace, nothing written", { concurrency: 2 }, async (t) => {
    // Everything a row needs is made before the snapshot (a folder given as stdin too).
    const built = cases.map((c) => ({ c, args: c.args(), stdin: c.stdin?.() }));
    const before = snapshot();
    try {
        await Promise.all(built.map(({ c, args, stdin }) => t.test(c.name, async () => {
            const script = c.script ?? "tools/policy/cli.ts";
            const result = await run(script, args, c.asNobody, stdin).finally(() => typeof stdin === "number" && fs.closeSync(stdin));
            const label = `${c.name}: ${JSON.stringify(result.stderr)}`;
            assert.equal(result.code, 2, label);
            assert.doesNotMatch(result.stderr, /\n\s+at /, `no stack trace: ${label}`);
            // Progress lines (`[plan] <step>`) only before the answer; the answer is exactly one other line.
            const lines = result.stderr.split(/(?<=\n)/);
            const progress = lines.filter(isProgressLine);
            const answer = lines.filter((l) => !isProgressLine(l)).join("");
            assert.deepEqual(lines.slice(0, progress.length), progress, `progress only before the answer: ${label}`);
            if (c.afterProgress) assert.ok(progress.length > 0, `the refusal follows progress lines: ${label}`);
            assert.match(answer, /^[^\n]+\n$/, `exactly one line that is not progress: ${label}`);
            // Each CLI names itself: tools/<name>/cli.ts answers `<name>: ...`.
            assert.match(answer, new RegExp(`^${path.basename(path.dirname(script))}: `), label);
            assert.match(answer.replace(/\n$/, ""), c.expect(args), label);
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
    for (const line of [/^ {2}0 {2}no finding at or above --fail-on/m, /^ {2}1 {2}findings at or above --fail-on, or mandatory findings under --config/m, /^ {2}2 {2}bad input/m, /^ {2}3 {2}internal error/m,
        /regular files only, 16 MiB per file, UTF-8/, /stdin the same \(a terminal is refused\)/, /^ {2}--fail-on <level> +exit 1 when a finding/m, /\(choices: "critical", "high", "medium", "low", "none"\)/, /score = 100 - 40 per critical - 20 per high - 10 per medium - 5 per low finding, at least 0/]) {
        assert.ok(line.test(help.stdout) || line.test(unwrapped(help.stdout)), `${line}:\n${help.stdout}`);
    }
});

test("what is not hostile still reads: a stack file with a BOM, aliases, secrets, 60 levels; a registry as a plan writes it", () => {
    const nested = `${"[".repeat(60)}${"]".repeat(60)}`;
    const text = `\ufeff# a comment\nsecret: &s {secure: v1:abc}\nconfig:\n  aws:region: ap-northeast-2\n  eks-delivery:a: *s\n  eks-delivery:b: [*s, 1, ${nested}]\n  eks-delivery:c: {1: one, "2": two}\n`;
    const stack = loadStackFile(file(text, "Pulumi.fine.yaml"));
    assert.deepEqual(stack.values, { "aws:region": "ap-northeast-2", "eks-delivery:a": "[secret]", "eks-delivery:b": ["[secret]", 1, JSON.parse(nested)], "eks-delivery:c": { 1: "one", 2: "two" } });
    assert.deepEqual(stack.secretKeys, ["eks-delivery:a", "eks-delivery:b"]);
    assert.deepEqual(loadStackFile(file("# nothing yet\n")).values, {});
    // The dev stack itself, and every example, read as the plan reads them.
    for (const f of [path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), path.join(PROJECT_ROOT, "Pulumi.prod.yaml"), ...fs.readdirSync(path.join(PROJECT_ROOT, "examples")).filter((f) => /^Pulumi\..*\.yaml$/.test(f)).map((f) => path.join(PROJECT_ROOT, "examples", f))]) {
        assert.ok(Object.keys(loadStackFile(f).values).length > 3, f);
    }
    // The base of the registry rows is a registry: each row fails for the one thing it changes.
    const r = EmulatedRegistry.read(file(registry(), "registry.json"));
    assert.deepEqual(r.toJSON(), JSON.parse(registry()));
    assert.deepEqual(EmulatedRegistry.open(path.join(dir(), "new.json")).toJSON(), { clock: 0, repositories: {} }, "a registry file not there yet is an empty registry");
});

test("a 100,000-key map reads in linear time (the yaml library's duplicate-key check was quadratic)", () => {
    const keys = (n: number) => `config:\n  eks-delivery:x:\n${Array.from({ length: n }, (_, i) => `    k${i}: ${i}`).join("\n")}\n`;
    const time = (text: string) => {
        const start = performance.now();
        parseStackFile(text, "big.yaml");
        return performance.now() - start;
    };
    time(keys(1000)); // warm up
    const [small, large] = [time(keys(10_000)), time(keys(100_000))];
    // Quadratic would be 100 times slower; linear is 10 (a generous bound for a shared machine).
    assert.ok(large < small * 40, `10,000 keys: ${small.toFixed(0)} ms, 100,000 keys: ${large.toFixed(0)} ms`);
    assert.throws(() => parseStackFile(`${keys(100_000)}    k5: again\n`, "big.yaml"), /^InputError: big\.yaml:100003:5: Map keys must be unique$/);
});

test("plan and version --help document the exit codes and the input limits", async () => {
    const plan = await run(PLAN, ["--help"]);
    assert.equal(plan.code, 0, plan.stderr);
    for (const line of [/^ {2}0 {2}planned/m, /^ {2}1 {2}mandatory policy violations/m, /^ {2}2 {2}bad input/m, /^ {2}3 {2}the program itself failed/m,
        /the stack file and --registry are regular files only, 16 MiB each, UTF-8, 30 s to read/]) {
        assert.ok(line.test(plan.stdout) || line.test(unwrapped(plan.stdout)), `${line}:\n${plan.stdout}`);
    }
    const version = await run(VERSION, ["--help"]);
    assert.equal(version.code, 0, version.stderr);
    for (const line of [/^ {2}0 {2}the version is printed/m, /^ {2}2 {2}bad input/m, /^ {2}3 {2}internal error/m, /at most 1 MiB, within 5 s/]) {
        assert.ok(line.test(version.stdout) || line.test(unwrapped(version.stdout)), `${line}:\n${version.stdout}`);
    }
});
