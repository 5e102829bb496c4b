/**
 * Runs a document's `sh` commands, in order, in a scratch copy of the repository: a new git repository
 * holding the working tree's files (tracked and new, not ignored: what the checkout would run) in one
 * commit, node_modules linked (makeScratch). Cloud CLIs are the recording shims of shim.mjs first on
 * PATH, npm is npm-shim.mjs (the plan cache). Nothing in the checkout changes.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DocCommand, programsOf, shCommands } from "./markdown";

export const SHIMMED = ["pulumi", "aws", "gh", "kubectl", "docker", "helm"] as const;

/** Programs that run for real, offline, inside the scratch copy. */
export const OFFLINE = ["npm", "npx", "cd", "cp", "mv", "mkdir", "rm", "cat", "sed", "grep", "jq", "ls", "head", "tail", "echo", "printf", "diff", "wc", "sort", "cut", "test", "git", "true"];

/** `npx` runs only the project's own tools: no package is fetched from the registry in a doc. */
const NPX_ALLOWED = /^npx\s+(?:--no-install\s+)?(?:eks-delivery|tsx)\b/;

const DOCS_DIR = __dirname;
export const REPO_ROOT = path.resolve(DOCS_DIR, "..", "..");

/** Why the harness cannot run a command, or undefined. */
export function unrunnable(cmd: DocCommand): string | undefined {
    const programs = programsOf(cmd.text);
    if (programs.length === 0) return "no command found";
    for (const p of programs) {
        if (!(SHIMMED as readonly string[]).includes(p) && !OFFLINE.includes(p)) return `\`${p}\` is neither an offline command nor a shimmed cloud CLI (${SHIMMED.join(", ")})`;
    }
    for (const part of cmd.text.split(/&&|\|\||[|;]/)) if (/^\s*npx\b/.test(part) && !NPX_ALLOWED.test(part.trim())) return `\`${part.trim()}\`: npx may only run eks-delivery or tsx (nothing fetched)`;
    // Paths of one machine (the OS temp dir, a home) are not the reader's: commands stay in the repository.
    const firstLines = cmd.text.split("\n")[0];
    if (/(^|[\s=])(\/tmp\/|\/work\/|\/home\/|~\/)/.test(firstLines)) return "an absolute or home path: keep commands inside the repository";
    return undefined;
}

/** The checkout's installed packages, linked (not copied) into the scratch copy. */
const LINKED = ["node_modules", path.join("policies", "node_modules")];

/** Who and when the scratch copy's one commit is: fixed, so its sha depends on the files alone. */
const SCRATCH_GIT_ENV = {
    GIT_AUTHOR_NAME: "eks-delivery docs test", GIT_AUTHOR_EMAIL: "docs-test@eks-delivery.invalid", GIT_AUTHOR_DATE: "2000-01-01T00:00:00Z",
    GIT_COMMITTER_NAME: "eks-delivery docs test", GIT_COMMITTER_EMAIL: "docs-test@eks-delivery.invalid", GIT_COMMITTER_DATE: "2000-01-01T00:00:00Z",
    GIT_CONFIG_NOSYSTEM: "1",
};

export interface Scratch {
    dir: string;
    repo: string;
    bin: string;
    log: string;
    env: NodeJS.ProcessEnv;
}

function realNpm(): string {
    const found = spawnSync("bash", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim();
    if (!found) throw new Error("npm is not on PATH");
    return found;
}

/** The programs the harness itself runs (every command goes through bash; docs pipe plans into jq). */
export const HARNESS_NEEDS = ["bash", "git", "jq"] as const;

/** Which of HARNESS_NEEDS no directory of `pathEnv` (a PATH value) holds as an executable file. */
export function missingPrograms(pathEnv = process.env.PATH ?? ""): string[] {
    const dirs = pathEnv.split(path.delimiter).filter(Boolean);
    const found = (name: string) => dirs.some((d) => {
        try {
            fs.accessSync(path.join(d, name), fs.constants.X_OK);
            return fs.statSync(path.join(d, name)).isFile();
        } catch {
            return false;
        }
    });
    return HARNESS_NEEDS.filter((p) => !found(p));
}

/** One line for the docs test to fail with when a program the harness needs is missing, or undefined. */
export function missingProgramsLine(pathEnv = process.env.PATH ?? ""): string | undefined {
    const missing = missingPrograms(pathEnv);
    return missing.length ? `the docs test needs ${missing.join(", ")} on PATH (not found): install ${missing.length > 1 ? "them" : "it"} and run it again` : undefined;
}

// Temp dirs and children of this process: removed and stopped on SIGINT/SIGTERM as well as on exit, so an
// interrupted docs test leaves nothing in the temp dir. Only this process's own dirs are touched.
const ownDirs = new Set<string>();
const children = new Set<ChildProcess>();
let handlersInstalled = false;
function cleanUp(): void {
    for (const child of children) child.kill("SIGTERM");
    for (const dir of ownDirs) fs.rmSync(dir, { recursive: true, force: true });
    ownDirs.clear();
}
function installHandlers(): void {
    if (handlersInstalled) return;
    handlersInstalled = true;
    process.on("exit", cleanUp);
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.once(signal, () => {
            cleanUp();
            process.kill(process.pid, signal); // the default action now: exit as killed by the signal
        });
    }
}

/** A temp dir of this process (`eks-delivery-docs-<kind>...`), removed on exit, SIGINT and SIGTERM. */
export function ownTempDir(kind: string): string {
    installHandlers();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `eks-delivery-docs-${kind}`));
    ownDirs.add(dir);
    return dir;
}

/** Removes one of ownTempDir's dirs now. */
export function removeOwnTempDir(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
    ownDirs.delete(dir);
}

/**
 * A scratch copy of the checkout under the OS temp dir, with the shims on PATH. It is a new repository
 * (`git init`, one commit of the working tree's files, tracked and new, not ignored: what the checkout
 * would run), not a clone: so it behaves the same from a full clone, a `--depth 1` clone without tags
 * (actions/checkout's default) or a dirty tree, and `npm run version` and the plans never see the
 * checkout's history. No tag: the version is then v0.0.1-<sha> (apps/version: no base tag = v0.0.0, and
 * the commit's message bumps a patch), and the docs print no particular version. The commit's author and
 * dates are fixed, so the same files give the same sha in every scratch copy (the plan cache replays plans
 * across documents, and a plan names the sha).
 */
export function makeScratch(cacheDir: string, root = REPO_ROOT): Scratch {
    const problem = missingProgramsLine();
    if (problem) throw new Error(problem);
    const dir = ownTempDir("");
    const repo = path.join(dir, "repo");
    const git = (args: string[], cwd = root, input?: string) => {
        const r = spawnSync("git", args, { cwd, encoding: "utf8", input, maxBuffer: 1 << 26, env: gitEnv });
        if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
        return r.stdout;
    };
    // A GIT_DIR or GIT_INDEX_FILE of an outer git (a hook running the tests) would point these at its repository.
    const gitEnv: NodeJS.ProcessEnv = { ...process.env, ...SCRATCH_GIT_ENV };
    for (const k of ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR", "GIT_ALTERNATE_OBJECT_DIRECTORIES"]) delete gitEnv[k];
    const files: string[] = [];
    for (const file of git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"]).split("\0").filter(Boolean)) {
        const from = path.join(root, file);
        const st = fs.lstatSync(from, { throwIfNoEntry: false });
        if (!st || st.isDirectory()) continue; // deleted in the checkout (or a submodule): deleted here too
        if (LINKED.includes(file)) continue; // a node_modules symlink (`node_modules/` ignores folders only): linked below
        fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
        if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), path.join(repo, file));
        else {
            fs.copyFileSync(from, path.join(repo, file));
            fs.chmodSync(path.join(repo, file), st.mode & 0o777);
        }
        files.push(file);
    }
    git(["init", "-q", "-b", "main"], repo);
    // -f: a tracked file the .gitignore matches is in the checkout's commit too.
    git(["add", "-f", "--pathspec-from-file=-", "--pathspec-file-nul"], repo, files.join("\0"));
    git(["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", "commit", "-q", "--no-verify", "-m", "docs test: the working tree"], repo);
    for (const rel of LINKED) if (rel === "node_modules" || fs.existsSync(path.join(root, rel))) fs.symlinkSync(path.join(root, rel), path.join(repo, rel), "dir");
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const node = process.execPath;
    for (const tool of SHIMMED) fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\nexec "${node}" -- "${path.join(DOCS_DIR, "shim.mjs")}" ${tool} "$@"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "npm"), `#!/bin/sh\nexec "${node}" -- "${path.join(DOCS_DIR, "npm-shim.mjs")}" "$@"\n`, { mode: 0o755 });
    const log = path.join(dir, "shim.log");
    fs.writeFileSync(log, "");
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${bin}${path.delimiter}${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ""}`,
        DOCS_SHIM_LOG: log,
        DOCS_PLAN_CACHE: cacheDir,
        DOCS_REAL_NPM: realNpm(),
        NO_COLOR: "1",
        TMPDIR: path.join(dir, "tmp"),
    };
    // npm_* variables of an outer `npm test` would make the inner npm think it runs a script of the checkout.
    for (const k of Object.keys(env)) if (k.startsWith("npm_") || k === "INIT_CWD") delete env[k];
    fs.mkdirSync(env.TMPDIR!);
    return { dir, repo, bin, log, env };
}

export interface CommandResult {
    cmd: DocCommand;
    status: number | null;
    output: string;
    ms: number;
    problems: string[];
}

function runOne(text: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string }> {
    return new Promise((resolve) => {
        const child = spawn("bash", ["-o", "pipefail", "-c", text], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        children.add(child);
        let output = "";
        const add = (b: Buffer) => { output = (output + b.toString()).slice(-20000); };
        child.stdout.on("data", add);
        child.stderr.on("data", add);
        child.on("close", (status) => {
            children.delete(child);
            resolve({ status, output });
        });
    });
}

/** Runs one document's commands in its own scratch copy; every problem is named with the file and line. */
export async function runDocument(file: string, markdown: string, cacheDir: string, root = REPO_ROOT): Promise<{ results: CommandResult[]; problems: string[] }> {
    const commands = shCommands(markdown);
    const problems: string[] = [];
    const results: CommandResult[] = [];
    for (const cmd of commands) {
        const why = unrunnable(cmd);
        if (why) problems.push(`${file}:${cmd.line}: the docs test cannot run \`${cmd.text.split("\n")[0]}\`: ${why}`);
    }
    if (problems.length || commands.length === 0) return { results, problems };
    const scratch = makeScratch(cacheDir, root);
    let cwd = scratch.repo;
    try {
        for (const cmd of commands) {
            const before = fs.readFileSync(scratch.log, "utf8").length;
            const started = Date.now();
            const { status, output } = await runOne(cmd.text, cwd, scratch.env);
            const cmdProblems: string[] = [];
            const logged = fs.readFileSync(scratch.log, "utf8").slice(before).split("\n").filter(Boolean).map((l) => JSON.parse(l));
            for (const entry of logged) if (entry.problem) cmdProblems.push(`${entry.tool} ${entry.argv.join(" ")}: ${entry.problem}`);
            if (status !== cmd.exits && !(status === 97 && cmdProblems.length)) cmdProblems.push(`exited ${status}, the doc says ${cmd.exits}${cmd.exits === 0 ? "" : " (# exits)"}:\n${output.trim().split("\n").slice(-15).join("\n")}`);
            for (const p of cmdProblems) problems.push(`${file}:${cmd.line}: \`${cmd.text.split("\n")[0]}\`: ${p}`);
            results.push({ cmd, status, output, ms: Date.now() - started, problems: cmdProblems });
            const cd = /^cd\s+(\S+)\s*$/.exec(cmd.text.trim());
            if (cd && status === 0) cwd = path.resolve(cwd, cd[1]);
        }
    } finally {
        removeOwnTempDir(scratch.dir);
    }
    return { results, problems };
}

/** README.md and every Markdown file under docs/, relative to the root. */
export function documents(root = REPO_ROOT): string[] {
    const out = ["README.md"];
    const walk = (dir: string) => {
        for (const name of fs.readdirSync(path.join(root, dir)).sort()) {
            const rel = path.join(dir, name);
            if (fs.statSync(path.join(root, rel)).isDirectory()) walk(rel);
            else if (name.endsWith(".md")) out.push(rel);
        }
    };
    walk("docs");
    return out;
}
