/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi CLI does, for the offline tools: structured values
 * stay structured, `secure:` values become a redacted placeholder and mark their key secret.
 */
import * as fs from "fs";
import { parseDocument, isMap } from "yaml";
import { StackConfigError } from "./errors";

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

/** Parses stack-file text; YAML problems throw StackConfigError naming the file and line. */
export function parseStackFile(text: string, file: string): StackFile {
    const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
    if (doc.errors.length > 0) {
        throw new StackConfigError(doc.errors.map((e) => {
            const line = e.linePos?.[0];
            const where = line ? `${file}:${line.line}:${line.col}` : file;
            return `${where}: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`;
        }));
    }
    const root = doc.contents;
    if (root !== null && !isMap(root)) throw new StackConfigError([`${file}: is not a mapping with a config: section`]);
    const data = (doc.toJS() ?? {}) as Record<string, unknown>;
    const config = data.config ?? {};
    if (typeof config !== "object" || Array.isArray(config) || config === null) {
        throw new StackConfigError([`${file}: config: is not a mapping of key: value`]);
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

/** Reads a stack file from disk; a missing or unreadable file is a StackConfigError too. */
export function readStackFile(file: string): StackFile {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new StackConfigError([`${file}: cannot read stack file (${code === "ENOENT" ? "no such file" : code})`]);
    }
    return parseStackFile(text, file);
}

/** Encodes values as the Pulumi CLI hands them to a program: structured values as JSON strings. */
export function toRuntimeConfig(values: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(Object.entries(values).map(([key, value]) =>
        [key, typeof value === "string" ? value : JSON.stringify(value)]));
}
