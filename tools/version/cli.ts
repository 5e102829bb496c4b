/**
 * `npm run version -- [--repo DIR] [--title=TITLE | --title -] [--json]`
 * Prints HEAD's release version (`v5.3.25-5e15f0a`). Exit 0; 2 for a bad flag or value, a title stdin
 * cannot give, or a repository that gives no usable version; 3 for a bug. One line on stderr, never a stack trace.
 */
import * as fs from "fs";
import { parseArgs } from "util";
import { GitError, showText, versionOf } from "../../apps/version";

const USAGE = "usage: npm run version -- [--repo DIR] [--title=TITLE | --title - (stdin)] [--json]";
/** `--title -` reads at most this much, for at most this long: a title is a line, not a file. */
export const STDIN_MAX_BYTES = 1024 * 1024;
export const STDIN_TIMEOUT_MS = 5_000;

class UsageError extends Error {}

/** One line on stderr, then the exit code: 2 for bad input, 3 for a bug. */
function fail(message: string, code = 2): never {
    process.stderr.write(`version: ${message.replace(/[\r\n]+/g, " ")}\n`);
    process.exit(code);
}

interface Args { repo: string; title?: string; json: boolean }

/**
 * The flags, checked by hand over parseArgs' tokens so each refusal names the flag and the value. A
 * value that starts with `-` must be attached (`--title=-x`): parseArgs itself would call `--title -x`
 * ambiguous (nodejs/node@v20.19.0:lib/internal/util/parse_args/parse_args.js, checkOptionLikeValue), and
 * `--title --json` must never swallow the next flag.
 */
function parse(argv: string[]): Args {
    const { tokens } = parseArgs({
        args: argv, strict: false, allowPositionals: true, tokens: true,
        options: { repo: { type: "string" }, title: { type: "string" }, json: { type: "boolean" } },
    });
    const seen = new Set<string>();
    const out: Args = { repo: ".", json: false };
    for (const token of tokens) {
        if (token.kind === "option-terminator") continue;
        if (token.kind === "positional") throw new UsageError(`unexpected argument ${showText(token.value)}: every value belongs to a flag`);
        const flag = token.rawName;
        if (!["repo", "title", "json"].includes(token.name) || !flag.startsWith("--")) throw new UsageError(`unknown flag ${showText(flag)} (${USAGE})`);
        if (seen.has(token.name)) throw new UsageError(`${flag} is given twice`);
        seen.add(token.name);
        if (token.name === "json") {
            if (token.value !== undefined) throw new UsageError(`--json takes no value (got ${showText(token.value)})`);
            out.json = true;
            continue;
        }
        const value = token.value;
        if (value === undefined) throw new UsageError(`${flag} needs a value`);
        if (!token.inlineValue && value.startsWith("-") && !(token.name === "title" && value === "-")) {
            throw new UsageError(`${flag} ${showText(value)}: a value that starts with '-' is given as ${flag}=<value>${token.name === "title" ? " (or --title - to read it from stdin)" : ""}`);
        }
        if (token.name === "repo") {
            if (value === "") throw new UsageError("--repo is empty: give a directory");
            out.repo = value;
        } else out.title = value;
    }
    return out;
}

/** The title on stdin, as UTF-8 without its final newline; refused past the size or time limit. */
function readTitle(): Promise<string> {
    if (process.stdin.isTTY) throw new UsageError("--title -: stdin is a terminal; pipe the title in");
    // Node reads a directory on fd 0 as an empty stream: refuse it rather than deploy with no title.
    if (fs.fstatSync(0).isDirectory()) throw new UsageError("--title -: stdin is a directory");
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = (err?: Error) => {
            clearTimeout(timer);
            process.stdin.removeAllListeners();
            process.stdin.destroy();
            if (err) return reject(err);
            try {
                const text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
                resolve(text.replace(/\r?\n$/, ""));
            } catch {
                reject(new UsageError("--title -: stdin is not UTF-8 text"));
            }
        };
        const timer = setTimeout(() => done(new UsageError(`--title -: stdin did not end within ${STDIN_TIMEOUT_MS / 1000} s`)), STDIN_TIMEOUT_MS);
        process.stdin.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > STDIN_MAX_BYTES) return done(new UsageError(`--title -: stdin is over ${STDIN_MAX_BYTES} bytes (the limit for a title)`));
            chunks.push(chunk);
        });
        process.stdin.on("end", () => done());
        process.stdin.on("error", (err: NodeJS.ErrnoException) => done(new UsageError(`--title -: cannot read stdin (${err.code ?? err.message})`)));
    });
}

async function main(): Promise<void> {
    const args = parse(process.argv.slice(2));
    const title = args.title === "-" ? await readTitle() : args.title;
    let result;
    try {
        result = versionOf(args.repo, title);
    } catch (err) {
        if (err instanceof GitError) throw new UsageError(`--repo ${showText(args.repo)}: ${err.message}`);
        throw err;
    }
    process.stdout.write(args.json ? `${JSON.stringify(result)}\n` : `${result.version}\n`);
}

main().catch((err) => {
    if (err instanceof UsageError) fail(err.message);
    // Anything else is a bug: still one line, never a stack trace in a release log.
    fail(`internal error: ${(err as Error)?.message ?? String(err)}`, 3);
});
