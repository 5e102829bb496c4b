/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi CLI does, for the offline tools: structured values
 * stay structured, `secure:` values become a redacted placeholder and mark their key secret.
 * The file is untrusted input, read under config/safeRead.ts's limits (a regular file, 16 MiB, UTF-8);
 * whatever is wrong with it is one line naming the file, the line and the path within it.
 * No dependency on the Pulumi SDK (only readStackFile loads it), so the plan CLI refuses a bad file fast.
 */
import { Document, isAlias, isMap, isScalar, isSeq, LineCounter } from "yaml";
import type { Node } from "yaml";
import { Deadline, describeValue, InputError, readText } from "./safeRead";
import { parseYaml } from "./safeYaml";

/** What a secure value reads as offline: the ciphertext is never decrypted (there is no key here). */
export const SECRET_PLACEHOLDER = "[secret]";

export interface StackFile {
    file: string;
    /** Config values by full key (`aws:region`, `eks-delivery:nodes`). */
    values: Record<string, unknown>;
    /** Keys whose value is (or contains) a `secure:` value. */
    secretKeys: string[];
}

function isSecure(value: unknown): boolean {
    return typeof value === "object" && value !== null && !Array.isArray(value)
        && Object.keys(value).length === 1 && typeof (value as { secure?: unknown }).secure === "string";
}

/** Replaces every `{secure: ...}` with the placeholder; reports whether any was found. */
function redact(value: unknown): { value: unknown; secret: boolean } {
    if (isSecure(value)) return { value: SECRET_PLACEHOLDER, secret: true };
    if (Array.isArray(value)) {
        const items = value.map(redact);
        return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
    }
    if (typeof value === "object" && value !== null) {
        const entries = Object.entries(value).map(([k, v]) => [k, redact(v)] as const);
        return {
            value: Object.fromEntries(entries.map(([k, r]) => [k, r.value])),
            secret: entries.some(([, r]) => r.secret),
        };
    }
    return { value, secret: false };
}

const firstLine = (message: string) => message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
const segment = (key: string) => (/^[A-Za-z_][\w:/-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);
const MAP_TAG = "tag:yaml.org,2002:map";
const SEQ_TAG = "tag:yaml.org,2002:seq";

/**
 * What the stack file holds that Pulumi's config cannot (JSON-like values, text keys), as a problem at
 * the first such node: a key that is a list or a map (the yaml library would stringify it, with a
 * warning on stderr), a `__proto__` key, a tagged value that is not JSON data (`!!binary`, `!!set`,
 * `!!timestamp`, `.inf`), an alias to a node that contains it, and a map whose only key is `secure` that
 * holds no ciphertext: Pulumi reserves those for secrets (pulumi/pulumi@pkg/v3.248.0:
 * sdk/go/common/resource/config/object.go, errSecureReprReserved and isSecureValue).
 */
function nodeProblem(doc: Document.Parsed, lines: LineCounter, file: string, deadline: Deadline): string | undefined {
    let visited = 0;
    const at = (node: Node, path: string, problem: string) => {
        const pos = node.range ? lines.linePos(node.range[0]) : undefined;
        return `${file}${pos ? `:${pos.line}:${pos.col}` : ""}: ${path.replace(/^\./, "") || "(the document)"}: ${problem}`;
    };
    const resolve = (node: unknown) => (isAlias(node) ? node.resolve(doc) : node);
    const walk = (node: unknown, path: string, ancestors: Node[]): string | undefined => {
        if (++visited % 4096 === 0) deadline.check(file);
        if (isAlias(node)) {
            const target = node.resolve(doc);
            if (target && ancestors.includes(target)) return at(node, path, `the alias *${node.source} refers to a node that contains it`);
            return undefined; // checked where its anchor is
        }
        if (isScalar(node)) {
            const v = node.value;
            if (typeof v === "number" && !Number.isFinite(v)) return at(node, path, `is ${v}, not a finite number`);
            if (v !== null && !["string", "number", "boolean"].includes(typeof v)) return at(node, path, `is ${node.tag ?? (v as object).constructor?.name}, not JSON data (a YAML tag such as !!binary or !!timestamp)`);
            return undefined;
        }
        if (isMap(node)) {
            if (node.tag && node.tag !== MAP_TAG) return at(node, path, `is ${node.tag}, not a plain map (a YAML tag such as !!set)`);
            const secure = node.items.length === 1 && isScalar(resolve(node.items[0].key)) && (resolve(node.items[0].key) as { value: unknown }).value === "secure";
            if (secure) {
                const value = resolve(node.items[0].value);
                const text = isScalar(value) ? value.value : value === null ? null : isSeq(value) ? [] : {};
                if (typeof text !== "string" || text === "") {
                    return at(node, `${path}.secure`, `is ${text === "" ? "empty" : describeValue(text)}, not a ciphertext (a map whose only key is "secure" is a secret: set it with pulumi config set --secret)`);
                }
            }
            const names = new Set<string>();
            for (const pair of node.items) {
                const key = resolve(pair.key);
                if (key !== null && !isScalar(key)) return at(pair.key as Node, path, `has a key that is ${isSeq(key) ? "a list" : "a map"}: config keys are text`);
                const name = String(key === null ? "" : key.value);
                if (name === "__proto__") return at(pair.key as Node, `${path}${segment(name)}`, "a key named __proto__ is not accepted");
                // `1` and `"1"` are two YAML keys but one config key: the second would silently win.
                if (names.has(name)) return at((pair.key ?? node) as Node, `${path}${segment(name)}`, "is given twice (as text, the keys are the same)");
                names.add(name);
                const problem = (pair.key && !isAlias(pair.key) ? walk(pair.key, `${path}${segment(name)}`, ancestors) : undefined)
                    ?? walk(pair.value, `${path}${segment(name)}`, [...ancestors, node]);
                if (problem) return problem;
            }
            return undefined;
        }
        if (isSeq(node)) {
            if (node.tag && node.tag !== SEQ_TAG) return at(node, path, `is ${node.tag}, not a plain list (a YAML tag such as !!omap)`);
            for (let i = 0; i < node.items.length; i++) {
                const problem = walk(node.items[i], `${path}[${i}]`, [...ancestors, node]);
                if (problem) return problem;
            }
        }
        return undefined;
    };
    try {
        return walk(doc.contents, "", []);
    } catch (err) {
        if (err instanceof RangeError) return `${file}: nested too deeply`; // bounded by the parser's nesting limit: not expected
        throw err;
    }
}

/** Parses stack-file text; any problem throws one InputError line naming the file, the line and the path. */
export function parseStackFile(text: string, file: string, deadline = new Deadline()): StackFile {
    // Nesting, time and duplicate keys are bounded there (config/safeYaml.ts).
    const { documents, lines } = parseYaml(text, file, deadline);
    if (documents.length > 1) {
        const pos = lines.linePos(documents[1].range[0]);
        throw new InputError(`${file}:${pos.line}:${pos.col}: a second YAML document: a stack file is one document`);
    }
    const doc = documents[0];
    if (!doc) return { file, values: {}, secretKeys: [] };
    const first = doc.errors[0] ?? doc.warnings[0];
    if (first) {
        const pos = first.linePos?.[0];
        throw new InputError(`${pos ? `${file}:${pos.line}:${pos.col}` : file}: ${firstLine(first.message)}`);
    }
    const problem = nodeProblem(doc, lines, file, deadline);
    if (problem) throw new InputError(problem);
    const root = doc.contents;
    if (root !== null && !isMap(root)) throw new InputError(`${file}: is not a mapping with a config: section (it is ${isSeq(root) ? "a list" : describeValue(isScalar(root) ? root.value : root)})`);
    let data: Record<string, unknown>;
    try {
        // yaml's maxAliasCount (100) bounds how far aliases expand: no billion laughs.
        data = (doc.toJS() ?? {}) as Record<string, unknown>;
    } catch (err) {
        throw new InputError(`${file}: cannot read (${firstLine((err as Error).message)})`);
    }
    const config = data.config ?? {};
    if (typeof config !== "object" || Array.isArray(config) || config === null) {
        throw new InputError(`${file}: config: is not a mapping of key: value (it is ${describeValue(config)})`);
    }
    const values: Record<string, unknown> = {};
    const secretKeys: string[] = [];
    for (const [key, raw] of Object.entries(config)) {
        const { value, secret } = redact(raw);
        values[key] = value;
        if (secret) secretKeys.push(key);
    }
    return { file, values, secretKeys };
}

/** Reads and parses a stack file; any problem is one InputError line (see config/safeRead.ts for the limits). */
export function loadStackFile(file: string): StackFile {
    const deadline = new Deadline();
    return parseStackFile(readText(file, deadline), file, deadline);
}

/**
 * Reads a stack file; any problem is a StackConfigError, the error the program and the tools report
 * bad configuration with. errors.ts loads @pulumi/pulumi (about two seconds), so it is loaded only here.
 */
export function readStackFile(file: string): StackFile {
    try {
        return loadStackFile(file);
    } catch (err) {
        if (!(err instanceof InputError)) throw err;
        const { StackConfigError } = require("./errors") as typeof import("./errors");
        throw new StackConfigError([err.message]);
    }
}

/** Encodes values as the Pulumi CLI hands them to a program: structured values as JSON strings. */
export function toRuntimeConfig(values: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(Object.entries(values).map(([key, value]) =>
        [key, typeof value === "string" ? value : JSON.stringify(value)]));
}
