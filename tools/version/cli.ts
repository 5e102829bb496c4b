/**
 * `npm run version -- [--repo DIR] [--title=TITLE | --title -] [--json]`
 * Prints HEAD's release version (`v5.3.25-5e15f0a`). Exit 0; 2 for a bad flag or value, a title stdin
 * cannot give, or a repository that gives no usable version; 3 for a bug. One line on stderr, never a stack trace.
 * `--title -` reads stdin: any UTF-8 text (NUL and newlines included), at most 1 MiB, within 5 s.
 * `--repo` must be a directory that can be read: anything else is refused before git runs.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { errnoText, fileKind, quoted } from "../../config/safeRead";

const USAGE = "usage: npm run version -- [--repo DIR] [--title=TITLE | --title - (stdin)] [--json]";
/** `--title -` reads at most this much, for at most this long: a title is a line, not a file. */
export const STDIN_MAX_BYTES = 1024 * 1024;
export const STDIN_TIMEOUT_MS = 5_000;
const HELP = `${USAGE}

  --repo DIR      the git repository (default .)
  --title=TITLE   the PR title that bumps the version (a title starting with '-' is given this way)
  --title -       the title from stdin: any UTF-8 text, NUL and newlines included, at most ${STDIN_MAX_BYTES / 1048576} MiB, within ${STDIN_TIMEOUT_MS / 1000} s
  --json          print {version, base, bump, sha, dirty}

exit codes:
  0  the version is printed
  2  bad input: a flag or its value, a title stdin cannot give, a repository that gives no usable version
     (one line on stderr names the flag and the value)
  3  internal error (a bug to report)`;

class UsageError extends Error {}

/** One line on stderr, then the exit code: 2 for bad input, 3 for a bug. */
function fail(message: string, code = 2): never {
    process.stderr.write(`version: ${message.replace(/[\r\n]+/g, " ")}\n`);
    process.exit(code);
}

interface Args { repo: string; title?: string; json: boolean; help: boolean }

/**
 * The flags, checked by hand over parseArgs' tokens so each refusal names the flag and the value. A
 * value that starts with `-` must be attached (`--title=-x`): parseArgs itself would call `--title -x`
 * ambiguous (nodejs/node@v20.19.0:lib/internal/util/parse_args/parse_args.js, checkOptionLikeValue), and
 * `--title --json` must never swallow the next flag.
 */
function parse(argv: string[]): Args {
    const { tokens } = parseArgs({
        args: argv, strict: false, allowPositionals: true, tokens: true,
        options: { repo: { type: "string" }, title: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } },
    });
    const seen = new Set<string>();
    const out: Args = { repo: ".", json: false, help: false };
    for (const token of tokens) {
        if (token.kind === "option-terminator") continue;
        if (token.kind === "positional") throw new UsageError(`unexpected argument ${quoted(token.value)}: every value belongs to a flag`);
        const flag = token.rawName;
        if (!["repo", "title", "json", "help"].includes(token.name) || !flag.startsWith("--")) throw new UsageError(`unknown flag ${quoted(flag)} (${USAGE})`);
        if (seen.has(token.name)) throw new UsageError(`${flag} is given twice`);
        seen.add(token.name);
        if (token.name === "json" || token.name === "help") {
            if (token.value !== undefined) throw new UsageError(`--${token.name} takes no value (got ${quoted(token.value)})`);
            out[token.name] = true;
            continue;
        }
        const value = token.value;
        if (value === undefined) throw new UsageError(`${flag} needs a value`);
        if (!token.inlineValue && value.startsWith("-") && !(token.name === "title" && value === "-")) {
            throw new UsageError(`${flag} ${quoted(value)}: a value that starts with '-' is given as ${flag}=<value>${token.name === "title" ? " (or --title - to read it from stdin)" : ""}`);
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

/**
 * Why `repo` cannot be a repository, before git runs: git's own answer for a FIFO, a symlink loop or a
 * directory it cannot enter is only "not a git repository".
 */
function repoProblem(repo: string): string | undefined {
    const dir = path.resolve(repo);
    try {
        const stat = fs.statSync(dir);
        if (!stat.isDirectory()) return `${dir} is not a git repository: it is ${fileKind(stat)}, not a directory`;
        fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
    } catch (err) {
        return `${dir} is not a git repository: ${errnoText(err)}`;
    }
    return undefined;
}

async function main(): Promise<void> {
    const args = parse(process.argv.slice(2));
    if (args.help) {
        process.stdout.write(`${HELP}\n`);
        return;
    }
    const problem = repoProblem(args.repo);
    if (problem) throw new UsageError(`--repo ${quoted(args.repo)}: ${problem}`);
    const title = args.title === "-" ? await readTitle() : args.title;
    // Loaded once the input is known good: apps/version loads the Pulumi SDK (a second or two).
    const { GitError, versionOf } = await import("../../apps/version");
    let result;
    try {
        result = versionOf(args.repo, title);
    } catch (err) {
        if (err instanceof GitError) throw new UsageError(`--repo ${quoted(args.repo)}: ${err.message}`);
        throw err;
    }
    process.stdout.write(args.json ? `${JSON.stringify(result)}\n` : `${result.version}\n`);
}

main().catch((err) => {
    if (err instanceof UsageError) fail(err.message);
    // Anything else is a bug: still one line, never a stack trace in a release log.
    fail(`internal error: ${(err as Error)?.message ?? String(err)}`, 3);
});
