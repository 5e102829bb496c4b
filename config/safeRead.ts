/**
 * Reading a file a user names (a stack file, a registry file, a manifest) as untrusted input: only a
 * regular file is read (a FIFO, socket, device or directory is refused before any byte is read, so
 * nothing blocks), at most MAX_FILE_BYTES, within READ_TIMEOUT_MS; its text must be UTF-8. Every
 * problem is one InputError line naming the file. No dependency beyond Node, so a CLI can refuse a bad
 * file before it loads the Pulumi SDK.
 */
import * as fs from "fs";

export class InputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InputError";
    }
}

/** Largest file read (bigger ones are refused unread). */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** Time allowed for reading and parsing all the input. */
export const READ_TIMEOUT_MS = 30_000;

/** A value as an error line shows it: quoted, control characters escaped, long ones cut. */
export function quoted(value: string, max = 80): string {
    const shown = JSON.stringify(value.length > max ? value.slice(0, max) : value);
    return value.length > max ? `${shown}... (${value.length} characters)` : shown;
}

/** One line whatever the text holds: control characters (a newline in a file name) are escaped. */
export const oneLine = (s: string) => s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);

export function errnoText(err: unknown): string {
    const code = (err as NodeJS.ErrnoException).code;
    switch (code) {
        case "ENOENT": return "no such file or directory";
        case "EACCES": case "EPERM": return "permission denied";
        case "ELOOP": return "too many levels of symbolic links (a symlink loop)";
        case "ENOTDIR": return "a part of the path is not a directory";
        case "ENAMETOOLONG": return "file name too long";
        case "ENXIO": return "not a regular file (no such device or address)";
        case "EISDIR": return "is a directory";
        default: return `cannot read (${code ?? (err as Error).message})`;
    }
}

export function fileKind(stat: fs.Stats): string {
    if (stat.isDirectory()) return "a directory";
    if (stat.isFIFO()) return "a FIFO";
    if (stat.isSocket()) return "a socket";
    if (stat.isCharacterDevice()) return "a character device";
    if (stat.isBlockDevice()) return "a block device";
    if (stat.isFile()) return "a regular file";
    return "not a regular file";
}

const tooBig = (file: string, bytes: number) =>
    new InputError(`${file}: is ${(bytes / 1048576).toFixed(1)} MiB or more, above the ${MAX_FILE_BYTES / 1048576} MiB limit per file`);

/** The time left to read all the input of one run (several files share it). */
export class Deadline {
    private readonly end = Date.now() + READ_TIMEOUT_MS;
    check(file: string) {
        if (Date.now() > this.end) throw new InputError(`${file}: reading the input took longer than ${READ_TIMEOUT_MS / 1000} s; stopped`);
    }
}

/** The file's bytes: refused unread unless it is a regular file within MAX_FILE_BYTES. */
export function readBytes(file: string, deadline = new Deadline()): Buffer {
    if (file === "") throw new InputError(`"": empty path`);
    let fd: number;
    try {
        // Non-blocking: opening a FIFO with no writer must not wait; fstat below then refuses it.
        fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch (err) {
        let kind: string | undefined;
        try {
            const stat = fs.statSync(file);
            if (!stat.isFile()) kind = fileKind(stat);
        } catch { /* the open error says it */ }
        let dangling = false;
        try {
            dangling = (err as NodeJS.ErrnoException).code === "ENOENT" && fs.lstatSync(file).isSymbolicLink();
        } catch { /* no link either */ }
        throw new InputError(`${file}: ${kind ? `is ${kind}, not a regular file` : errnoText(err)}${dangling ? " (a symbolic link to nothing)" : ""}`);
    }
    try {
        const stat = fs.fstatSync(fd);
        if (!stat.isFile()) throw new InputError(`${file}: is ${fileKind(stat)}, not a regular file`);
        if (stat.size > MAX_FILE_BYTES) throw tooBig(file, stat.size);
        // Read to the limit (plus one byte, to notice a file that grew): never more, whatever fstat said.
        // The buffer starts at the size fstat gave and doubles if the file grows: a 16 MiB buffer for
        // every file made reading a thousand services' manifests take minutes.
        let buffer = Buffer.allocUnsafe(Math.min(stat.size, MAX_FILE_BYTES) + 1);
        let length = 0;
        for (;;) {
            deadline.check(file);
            if (length === buffer.length) {
                const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, MAX_FILE_BYTES + 1));
                buffer.copy(grown, 0, 0, length);
                buffer = grown;
            }
            let n: number;
            try {
                n = fs.readSync(fd, buffer, length, Math.min(1 << 20, buffer.length - length), null);
            } catch (err) {
                throw new InputError(`${file}: ${errnoText(err)}`);
            }
            if (n === 0) break;
            length += n;
            if (length > MAX_FILE_BYTES) throw tooBig(file, length);
        }
        return buffer.subarray(0, length);
    } finally {
        fs.closeSync(fd);
    }
}

/** Offset of the first byte that is not well-formed UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF), or -1. */
export function invalidUtf8At(b: Buffer): number {
    for (let i = 0; i < b.length;) {
        const c = b[i];
        let n: number, min: number;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xc2 && c <= 0xdf) { n = 1; min = 0x80; }
        else if (c >= 0xe0 && c <= 0xef) { n = 2; min = 0x800; }
        else if (c >= 0xf0 && c <= 0xf4) { n = 3; min = 0x10000; }
        else return i;
        let cp = c & (0x3f >> n);
        for (let k = 1; k <= n; k++) {
            const d = b[i + k];
            if (d === undefined || (d & 0xc0) !== 0x80) return i;
            cp = (cp << 6) | (d & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
        i += n + 1;
    }
    return -1;
}

/**
 * The text of a YAML (or JSON) file. YAML 1.2 (yaml.org/spec/1.2.2 §5.2) allows a UTF-8 byte-order
 * mark, which is dropped; UTF-16 and UTF-32 (told by their BOM or their zero bytes, as §5.2 detects
 * them) are refused, as is a character outside YAML's printable set (§5.1, c-printable: the yaml parser
 * accepts a NUL or a bell in a scalar). JSON is YAML here: a stray control character is a mistake there too.
 */
export function decodeText(file: string, b: Buffer): string {
    const at = (...bytes: number[]) => bytes.every((x, i) => x < 0 || b[i] === x);
    const wide = at(0, 0, 0xfe, 0xff) || at(0, 0, 0, -1) ? "UTF-32BE" : at(0xff, 0xfe, 0, 0) || (b.length >= 4 && at(-1, 0, 0, 0)) ? "UTF-32LE"
        : at(0xfe, 0xff) || at(0, -1) ? "UTF-16BE" : at(0xff, 0xfe) || (b.length >= 2 && at(-1, 0)) ? "UTF-16LE" : undefined;
    if (wide && b.length >= 2) throw new InputError(`${file}: is ${wide}, not UTF-8 (convert it, e.g. iconv -f ${wide} -t UTF-8)`);
    const bad = invalidUtf8At(b);
    if (bad >= 0) {
        const line = b.subarray(0, bad).reduce((n, x) => n + (x === 0x0a ? 1 : 0), 1);
        throw new InputError(`${file}:${line}: invalid UTF-8 at byte ${bad} (0x${b[bad].toString(16).padStart(2, "0")})`);
    }
    const text = b.toString("utf8").replace(/^\ufeff/, "");
    const odd = /[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u.exec(text);
    if (odd) {
        const line = text.slice(0, odd.index).split("\n").length;
        throw new InputError(`${file}:${line}: character U+${odd[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} is not allowed in YAML`);
    }
    return text;
}

/** A small text file given by a flag (`--config`, `--registry`), read under the same limits. */
export function readText(file: string, deadline = new Deadline()): string {
    return decodeText(file, readBytes(file, deadline));
}

export function describeValue(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "a list";
    if (typeof v === "object") return "a map";
    if (typeof v === "string") return "a string";
    if (typeof v === "number") return "a number";
    if (typeof v === "boolean") return "a boolean";
    return typeof v;
}
