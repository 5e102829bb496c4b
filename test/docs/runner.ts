/**
 * Runs a document's `sh` commands, in order, in a scratch copy of the repository: a `git clone --shared`
 * of the checkout (so `npm run version` has the history and tags) with the working tree's files copied
 * over it (tracked and new, not ignored: what the checkout would run), node_modules linked. Cloud CLIs are
 * the recording shims of shim.mjs first on PATH, npm is npm-shim.mjs (the plan cache). Nothing in the
 * checkout changes.
 */
import { spawn, spawnSync } from "node:child_process";
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

/** A scratch copy of the checkout under the OS temp dir, with the shims on PATH. */
export function makeScratch(cacheDir: string, root = REPO_ROOT): Scratch {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eks-delivery-docs-"));
    const repo = path.join(dir, "repo");
    const git = (args: string[], cwd = root) => {
        const r = spawnSync("git", args, { cwd, encoding: "utf8", maxBuffer: 1 << 26 });
        if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
        return r.stdout;
    };
    git(["clone", "-q", "--shared", "--no-checkout", root, repo]);
    git(["reset", "-q"], repo);
    for (const file of git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"]).split("\0").filter(Boolean)) {
        const from = path.join(root, file);
        const st = fs.lstatSync(from, { throwIfNoEntry: false });
        if (!st || st.isDirectory()) continue; // deleted in the checkout (or a submodule): deleted here too
        fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
        fs.copyFileSync(from, path.join(repo, file));
        fs.chmodSync(path.join(repo, file), st.mode & 0o777);
    }
    fs.symlinkSync(path.join(root, "node_modules"), path.join(repo, "node_modules"), "dir");
    if (fs.existsSync(path.join(root, "policies", "node_modules")))
        fs.symlinkSync(path.join(root, "policies", "node_modules"), path.join(repo, "policies", "node_modules"), "dir");
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const node = process.execPath;
    for (const tool of SHIMMED) fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\nexec "${node}" "${path.join(DOCS_DIR, "shim.mjs")}" ${tool} "$@"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "npm"), `#!/bin/sh\nexec "${node}" "${path.join(DOCS_DIR, "npm-shim.mjs")}" "$@"\n`, { mode: 0o755 });
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
        let output = "";
        const add = (b: Buffer) => { output = (output + b.toString()).slice(-20000); };
        child.stdout.on("data", add);
        child.stderr.on("data", add);
        child.on("close", (status) => resolve({ status, output }));
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
        fs.rmSync(scratch.dir, { recursive: true, force: true });
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
