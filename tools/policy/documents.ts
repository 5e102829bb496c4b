/**
 * Kubernetes YAML (files or folders, multi-document, `List`s expanded, or stdin) as resources the pack
 * evaluates. Input is untrusted: only regular files are read (a FIFO, socket, device or directory named as
 * a file is refused before any byte is read, so nothing blocks), up to MAX_FILE_BYTES each and
 * READ_TIMEOUT_MS in all; stdin (`-`) under the same limits; text must be UTF-8; every problem is one
 * InputError naming the file, the document and the path.
 */
import * as fs from "fs";
import * as path from "path";
import * as tty from "tty";
import { isMap, isSeq, type LineCounter, type Node } from "yaml";
import { isUnknown, type StackResource } from "../../policies/framework";
import { Deadline, decodeText, describeValue, errnoText, InputError, MAX_FILE_BYTES, READ_TIMEOUT_MS, readBytes } from "../../config/safeRead";
import { parseYaml } from "../../config/safeYaml";

export { describeValue, InputError, MAX_FILE_BYTES, READ_TIMEOUT_MS, readText } from "../../config/safeRead";

/** The PATH that means stdin, and the file name reports give it. */
export const STDIN_PATH = "-";
export const STDIN = "<stdin>";

/**
 * Where a resource came from: its file, document index (from 0), path within the document (`items[2]`
 * in a List), and where the object starts in the file (1-based line and column, as an editor shows them;
 * a List item's own line), with the end of that line (SARIF's region: the column after its last character).
 */
export interface Origin {
    file: string;
    document: number;
    path: string;
    line: number;
    column: number;
    endColumn: number;
}
const origins = new WeakMap<StackResource, Origin>();
export const originOf = (r: StackResource): Origin | undefined => origins.get(r);

/** `file[doc] path: problem`, the one line every bad document gets. */
export function located(o: Pick<Origin, "file" | "document" | "path">, subpath: string, problem: string): string {
    const where = [o.path, subpath].filter(Boolean).join(".").replace(/\.\[/g, "[");
    return `${o.file}[${o.document}]${where ? ` ${where}` : ""}: ${problem}`;
}

function yamlFiles(target: string, deadline: Deadline, seen = new Set<string>()): string[] {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(target);
    } catch (err) {
        throw new InputError(`${target}: ${errnoText(err)}`);
    }
    if (!stat.isDirectory()) return [target]; // special files are refused when read, with what they are
    deadline.check(target);
    const real = fs.realpathSync(target);
    if (seen.has(real)) return []; // a symlinked folder already walked (or a loop back to a parent)
    seen.add(real);
    let entries: fs.Dirent[];
    try {
        entries = fs.readdirSync(target, { withFileTypes: true });
    } catch (err) {
        throw new InputError(`${target}: ${errnoText(err)}`);
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : 1)).flatMap((e) => {
        const full = path.join(target, e.name);
        if (e.isDirectory()) return yamlFiles(full, deadline, seen);
        if (!/\.ya?ml$/.test(e.name)) return [];
        // A symlink named *.yaml: followed (a loop is refused when read); a folder behind it is walked.
        if (e.isSymbolicLink()) {
            try {
                if (fs.statSync(full).isDirectory()) return yamlFiles(full, deadline, seen);
            } catch { /* reported when read */ }
        }
        return [full];
    });
}

/** Pulumi's type token for an object: `apps/v1` Deployment -> `kubernetes:apps/v1:Deployment`, `v1` -> `core/v1`. */
export function kubernetesType(apiVersion: string, kind: string): string {
    return `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${kind}`;
}

/** The first value that JSON (what the API server takes) cannot hold: `!!binary`, `!!set`, `.inf`, a `__proto__` key. */
function notJson(v: unknown, at = ""): [string, string] | undefined {
    if (typeof v === "number") return Number.isFinite(v) ? undefined : [at, `is ${v}, not a finite number`];
    // The policies would read it as a value a preview does not know yet, and skip what holds it.
    if (isUnknown(v)) return [at, `is ${JSON.stringify(v)}, Pulumi's placeholder for a value unknown in a preview: a file holds known values only`];
    if (v === null || typeof v !== "object") return undefined;
    if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
            const odd = notJson(v[i], `${at}[${i}]`);
            if (odd) return odd;
        }
        return undefined;
    }
    if (Object.getPrototypeOf(v) !== Object.prototype) return [at, `is ${v.constructor?.name ?? "a tagged value"} (a YAML tag such as !!binary or !!set), not JSON data`];
    for (const key of Object.keys(v)) {
        const sub = at ? `${at}.${key}` : key;
        // kubernetes-models' constructor would assign it as the model's prototype.
        if (key === "__proto__") return [sub, "a key named __proto__ is not accepted"];
        const odd = notJson((v as Record<string, unknown>)[key], sub);
        if (odd) return odd;
    }
    return undefined;
}

/** Where a node starts: line and column, and the column just past the end of its first line (a CR not counted). */
function position(node: Node | null | undefined, lines: LineCounter, text: string): Pick<Origin, "line" | "column" | "endColumn"> {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = lines.linePos(offset);
    const start = offset - (col - 1);
    let end = text.indexOf("\n", offset);
    if (end < 0) end = text.length;
    if (end > start && text[end - 1] === "\r") end--;
    return { line: Math.max(line, 1), column: col, endColumn: Math.max(end - start + 1, col) };
}

function parse(file: string, text: string, deadline: Deadline): StackResource[] {
    let docs, lines: LineCounter;
    try {
        // Bounded nesting, time and duplicate-key cost (config/safeYaml.ts): the composer recurses per level.
        ({ documents: docs, lines } = parseYaml(text, file, deadline));
    } catch (err) {
        if (err instanceof InputError) throw err;
        throw new InputError(`${file}: cannot parse (${err instanceof RangeError ? "nested too deeply" : (err as Error).message})`);
    }
    const resources: StackResource[] = [];
    (Array.isArray(docs) ? docs : [docs]).forEach((doc, index) => {
        deadline.check(file);
        if (!("errors" in doc)) throw new InputError(`${file}: not YAML`);
        if (doc.errors.length > 0) {
            const e = doc.errors[0];
            const message = /call stack/.test(e.message) ? "nested too deeply" : e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
            throw new InputError(`${file}:${e.linePos?.[0].line ?? "?"}: ${message} (document ${index})`);
        }
        let value: unknown;
        try {
            value = doc.toJS(); // bounded by yaml's maxAliasCount (100): no billion laughs
        } catch (err) {
            throw new InputError(located({ file, document: index, path: "" }, "", `cannot read (${err instanceof RangeError ? "nested too deeply" : (err as Error).message.split("\n")[0]})`));
        }
        if (value === null || value === undefined) return;
        const odd = notJson(value);
        if (odd) throw new InputError(located({ file, document: index, path: "" }, odd[0], odd[1]));
        const here = { file, document: index, path: "" };
        if (typeof value !== "object" || Array.isArray(value)) throw new InputError(located(here, "", `is ${describeValue(value)}, not a Kubernetes object`));
        const top = value as Record<string, any>;
        const isList = typeof top.kind === "string" && /List$/.test(top.kind);
        if (isList && !Array.isArray(top.items) && top.items !== undefined && top.items !== null) {
            throw new InputError(located(here, "items", `is ${describeValue(top.items)}, not a list`));
        }
        // The nodes the objects were read from, for their lines: the document's, or each List item's.
        const itemNodes = isList && isMap(doc.contents) ? doc.contents.get("items", true) : undefined;
        const nodeOf = (i: number): Node | null | undefined => (!isList ? doc.contents : isSeq(itemNodes) ? (itemNodes.items[i] as Node) : doc.contents);
        const objects: Array<[unknown, string, number]> = isList ? (top.items ?? []).map((o: unknown, i: number) => [o, `items[${i}]`, i]) : [[top, "", 0]];
        for (const [obj, itemPath, i] of objects) {
            const origin: Origin = { file, document: index, path: itemPath, ...position(nodeOf(i), lines, text) };
            if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw new InputError(located(origin, "", `is ${describeValue(obj)}, not a Kubernetes object`));
            const o = obj as Record<string, any>;
            if (o.kind === undefined || o.apiVersion === undefined) throw new InputError(located(origin, "", "not a Kubernetes object (no apiVersion/kind)"));
            for (const key of ["apiVersion", "kind"]) {
                if (typeof o[key] !== "string" || o[key] === "") throw new InputError(located(origin, key, `is ${o[key] === "" ? "empty" : describeValue(o[key])}, not a non-empty string`));
            }
            if (o.metadata !== undefined && o.metadata !== null && (typeof o.metadata !== "object" || Array.isArray(o.metadata))) {
                throw new InputError(located(origin, "metadata", `is ${describeValue(o.metadata)}, not a map`));
            }
            const name = typeof o.metadata?.name === "string" ? o.metadata.name : `${o.kind.toLowerCase()}-${index + 1}`;
            const resource: StackResource = { type: kubernetesType(o.apiVersion, o.kind), urn: `${file}#${resources.length}`, name, props: o, file };
            origins.set(resource, origin);
            resources.push(resource);
        }
    });
    return resources;
}

/** The documents of one file (see the module's comment for what is refused). */
export function readDocuments(file: string, deadline = new Deadline()): StackResource[] {
    return parse(file, decodeText(file, readBytes(file, deadline)), deadline);
}

/**
 * stdin's bytes under the limits a file has: MAX_FILE_BYTES, and the run's READ_TIMEOUT_MS (a writer
 * that never closes is not waited on past it). A terminal is refused at once: nobody is piping YAML in.
 * A directory as stdin reads as an empty stream in Node: refused, rather than judged as no objects.
 */
export function readStdin(timeoutMs = READ_TIMEOUT_MS): Promise<Buffer> {
    if (tty.isatty(0)) throw new InputError(`${STDIN_PATH}: stdin is a terminal; pipe YAML in (e.g. kubectl get deploy -o yaml | npm run policy -- -)`);
    let stat: fs.Stats;
    try {
        stat = fs.fstatSync(0);
    } catch (err) {
        throw new InputError(`${STDIN}: ${(err as NodeJS.ErrnoException).code === "EBADF" ? "stdin is closed" : errnoText(err)}`);
    }
    if (stat.isDirectory()) throw new InputError(`${STDIN}: is a directory, not YAML text`);
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = (err?: Error) => {
            clearTimeout(timer);
            process.stdin.removeAllListeners("data").removeAllListeners("end").removeAllListeners("error");
            // Nothing more is read: an open stdin (a writer still writing) must not keep the process alive.
            process.stdin.destroy();
            if (err) reject(err);
            else resolve(Buffer.concat(chunks, size));
        };
        const timer = setTimeout(() => done(new InputError(`${STDIN}: reading the input took longer than ${timeoutMs / 1000} s; stopped`)), timeoutMs);
        process.stdin.on("data", (chunk: Buffer) => {
            size += chunk.length;
            // Worded as a file's (config/safeRead.ts): what was read up to the first byte past the limit.
            if (size > MAX_FILE_BYTES) return done(new InputError(`${STDIN}: is ${((MAX_FILE_BYTES + 1) / 1048576).toFixed(1)} MiB or more, above the ${MAX_FILE_BYTES / 1048576} MiB limit per file`));
            chunks.push(chunk);
        });
        process.stdin.on("end", () => done());
        process.stdin.on("error", (err: NodeJS.ErrnoException) => done(new InputError(`${STDIN}: ${errnoText(err)}`)));
    });
}

/**
 * Every YAML document under the given paths, `-` being stdin (read once, first, under the same limits),
 * grouped by file in path order; stdin's documents are named STDIN.
 */
export async function readInputs(paths: string[]): Promise<Map<string, StackResource[]>> {
    const deadline = new Deadline();
    const stdin = paths.includes(STDIN_PATH) ? parse(STDIN, decodeText(STDIN, await readStdin()), deadline) : [];
    const byFile = new Map<string, StackResource[]>();
    // One file named twice (`a.yaml`, `./a.yaml`, or in a folder also given) is read once, under its first name.
    const read = new Set<string>();
    for (const p of paths) {
        if (p === STDIN_PATH) byFile.set(STDIN, stdin);
        else for (const file of yamlFiles(p, deadline)) {
            let real = file;
            try {
                real = fs.realpathSync(file);
            } catch { /* reported when read */ }
            if (read.has(real)) continue;
            read.add(real);
            byFile.set(file, readDocuments(file, deadline));
        }
    }
    return byFile;
}

/** The schema-checked model class of a built-in kind (kubernetes-models, kubernetes' own OpenAPI), if there is one. */
type Model = new (data: unknown) => { validate(): void };
const models = new Map<string, Promise<Model | undefined>>();
function modelOf(apiVersion: string, kind: string): Promise<Model | undefined> {
    // Only names shaped like an API version and a kind reach import(): no path from a document.
    if (!/^([a-z0-9][a-z0-9.-]*\/)?v[0-9][a-z0-9]*$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return Promise.resolve(undefined);
    const key = `${apiVersion}/${kind}`;
    if (!models.has(key)) {
        models.set(key, import(`kubernetes-models/${key}`)
            .then((m: Record<string, Model>) => m[kind])
            .catch(() => undefined));
    }
    return models.get(key)!;
}
const objectMeta = () => import("@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta").then((m) => m.ObjectMeta as unknown as Model);

interface SchemaError { instancePath: string; keyword: string; params: Record<string, any>; message?: string }

const TYPE_WORDS: Record<string, string> = { array: "a list", object: "a map", string: "a string", integer: "an integer", number: "a number", boolean: "a boolean", null: "null" };

/** One schema complaint in words: the first path the validator names, and what is wrong there. */
function complaint(object: unknown, errors: SchemaError[]): [string, string] {
    const first = errors.find((e) => e.keyword !== "anyOf" && e.keyword !== "oneOf") ?? errors[0];
    const at = errors.filter((e) => e.instancePath === first.instancePath);
    const segments = first.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    const value = segments.reduce<any>((v, s) => (v == null ? undefined : v[s]), object);
    const dotted = segments.map((s) => (/^\d+$/.test(s) ? `[${s}]` : /^[A-Za-z_][\w-]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`)).join("").replace(/^\./, "");
    const format = at.find((e) => e.keyword === "format");
    if (format && typeof value === "string") return [dotted, `${JSON.stringify(value)} is not a valid ${format.params.format}`];
    const types = at.filter((e) => e.keyword === "type").map((e) => TYPE_WORDS[e.params.type] ?? e.params.type);
    if (types.length) return [dotted, `is ${describeValue(value)}, not ${[...new Set(types)].join(" or ")}`];
    if (first.keyword === "required") return [dotted, `has no "${first.params.missingProperty}" (required)`];
    if (first.keyword === "enum") return [dotted, `is ${JSON.stringify(value)}, not one of ${first.params.allowedValues.map((v: unknown) => JSON.stringify(v)).join(", ")}`];
    return [dotted, first.message ?? first.keyword];
}

/** A copy without null-valued fields: the API server decodes `field: null` as an unset field. */
function withoutNulls(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(withoutNulls);
    if (v === null || typeof v !== "object") return v;
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, withoutNulls(x)]));
}

/**
 * Checks every object against its kind's OpenAPI schema (kubernetes-models; any other kind's metadata
 * against ObjectMeta's), so that policies only ever see shapes Kubernetes accepts; the first problem
 * is an InputError naming file, document and path. Then drops null fields, as the API server does.
 */
export async function checkShapes(resources: StackResource[]): Promise<void> {
    for (const r of resources) {
        const origin = originOf(r) ?? { file: r.file ?? r.urn, document: 0, path: "" };
        const Model = await modelOf(r.props.apiVersion, r.props.kind);
        const [subject, checked, prefix] = Model ? [Model, r.props, ""] : [await objectMeta(), r.props.metadata ?? {}, "metadata"];
        try {
            new subject(checked).validate();
        } catch (err) {
            const errors = (err as { errors?: SchemaError[] }).errors;
            if (!Array.isArray(errors) || errors.length === 0) throw err;
            const [where, problem] = complaint(checked, errors);
            throw new InputError(located(origin, [prefix, where].filter(Boolean).join(where.startsWith("[") ? "" : "."), problem));
        }
        r.props = withoutNulls(r.props) as Record<string, any>;
    }
}
