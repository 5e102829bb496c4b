/**
 * `eks-delivery version [--repo DIR] [--title=TITLE | --title -] [--json]` (`npm run version -- ...` runs the same command).
 * Prints HEAD's release version (`v5.3.25-5e15f0a`). Exit 0; 2 for a bad flag or value, a title stdin
 * cannot give, or a repository that gives no usable version; 3 for a bug. One line on stderr, never a stack trace.
 * `--title -` reads stdin: any UTF-8 text (NUL and newlines included), at most 1 MiB, within 5 s.
 * `--repo` must be a directory that can be read: anything else is refused before git runs. A value
 * that starts with `-` must be attached (`--title=-x`), so `--title --json` never swallows a flag
 * (tools/cli/command.ts argvProblem).
 */
import * as fs from "fs";
import * as path from "path";
import { errnoText, fileKind, quoted } from "../../config/safeRead";
import { callerPath } from "../cli/callerPath";
import { badInput, newCommand, runAlone } from "../cli/command";

/** `--title -` reads at most this much, for at most this long: a title is a line, not a file. */
export const STDIN_MAX_BYTES = 1024 * 1024;
export const STDIN_TIMEOUT_MS = 5_000;

class UsageError extends Error {}

function versionFlags() {
    return newCommand("version", "print HEAD's release version (v<semver>-<sha>) from the tags and a PR title", {
        notes: `--title - reads the title from stdin: any UTF-8 text, NUL and newlines included, at most ${STDIN_MAX_BYTES / 1048576} MiB, within ${STDIN_TIMEOUT_MS / 1000} s.
A title that starts with '-' is given as --title=<title>.`,
        dashHints: { "--title": "(or --title - to read it from stdin)" },
        exitCodes: [
            [0, "the version is printed"],
            [2, "bad input: a flag or its value, a title stdin cannot give, a repository that gives no usable version\n(one line on stderr names the flag and the value)"],
            [3, "internal error (a bug to report)"],
        ],
        examples: [
            "npx eks-delivery version",
            "npx eks-delivery version --title \"[minor] add the cart service\" --json",
            "echo \"$PR_TITLE\" | npm run --silent version -- --title -",
        ],
    })
        .option("--repo <dir>", "the git repository (default: the current folder; with npm run, the one npm was started in)")
        .option("--title <title>", "the PR title that bumps the version; - reads it from stdin (default: none, a patch)")
        .option("--json", "print {version, base, bump, sha, dirty} (default: the version alone)");
}

type VersionOptions = ReturnType<ReturnType<typeof versionFlags>["opts"]>;

/** `eks-delivery version`: the flags above, the work in version(). */
export const versionCommand = () => versionFlags().action(version);

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

async function version(options: VersionOptions): Promise<void> {
    try {
        await versionOf(options);
    } catch (err) {
        if (err instanceof UsageError) throw badInput(err.message);
        throw err;
    }
}

async function versionOf(options: VersionOptions): Promise<void> {
    if (options.repo === "") throw new UsageError("--repo is empty: give a directory");
    const repo = options.repo === undefined ? callerPath(".", "version") : callerPath(options.repo, "version");
    const problem = repoProblem(repo);
    if (problem) throw new UsageError(`--repo ${quoted(repo)}: ${problem}`);
    const title = options.title === "-" ? await readTitle() : options.title;
    // Loaded once the input is known good: apps/version loads the Pulumi SDK (a second or two).
    const { GitError, versionOf } = await import("../../apps/version");
    let result;
    try {
        result = versionOf(repo, title);
    } catch (err) {
        if (err instanceof GitError) throw new UsageError(`--repo ${quoted(repo)}: ${err.message}`);
        throw err;
    }
    process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${result.version}\n`);
}

if (require.main === module) void runAlone(versionCommand());
