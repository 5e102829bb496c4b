/**
 * `--against <plan dir | git ref>`: what the plan is compared with. A path that exists is a plan
 * directory (its `.eks-delivery-plan` marker says so); anything else must name a commit of the
 * repository, whose own program is then planned offline, outside the repository: a `git clone --shared`
 * (objects read from this repository, nothing written to it) in the OS temp directory, checked out at the
 * commit, with this checkout's node_modules linked in. Its own plan CLI plans the same stack from its own
 * Pulumi.<stack>.yaml on the same day. The temp directory is removed in every case.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { oneLine, quoted } from "../../../config/safeRead";
import { planDirProblem } from "./load";

export type Against = { kind: "dir"; dir: string } | { kind: "ref"; ref: string; sha: string };

/** A problem with --against, said in one line; `failed` is the ref's own plan failing (not bad input). */
export class AgainstError extends Error {
    constructor(message: string, readonly failed = false) {
        super(message);
        this.name = "AgainstError";
    }
}

function git(repo: string, args: string[]): string | undefined {
    try {
        return execFileSync("git", args, { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 20 }).trim();
    } catch {
        return undefined;
    }
}

/**
 * What `value` names, cheaply (a stat and one `git rev-parse`): checked before anything heavy loads.
 * Throws AgainstError (bad input) when it is neither a plan directory nor a commit.
 */
export function resolveAgainst(value: string, cwd: string, repoRoot: string): Against {
    if (value === "") throw new AgainstError(`--against "": name a plan directory or a git ref`);
    const dir = path.resolve(cwd, value);
    if (fs.existsSync(dir)) {
        const problem = planDirProblem(dir);
        if (problem) throw new AgainstError(`--against ${quoted(value)} ${problem}`);
        return { kind: "dir", dir };
    }
    // A ref starting with "-" would read as an option to git: never passed on.
    if (value.startsWith("-")) throw new AgainstError(`--against ${quoted(value)}: a git ref never starts with "-", and no such plan directory exists`);
    if (/[\x00-\x1f\x7f]/.test(value)) throw new AgainstError(`--against ${quoted(value)}: not a git ref (control characters)`);
    const sha = git(repoRoot, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${value}^{commit}`]);
    if (!sha || !/^[0-9a-f]{40,64}$/.test(sha)) {
        throw new AgainstError(`--against ${quoted(value)}: neither a plan directory nor a git ref of this repository (a commit git rev-parse knows)`);
    }
    return { kind: "ref", ref: value, sha };
}

/** How the output names a ref: `git main (1a2b3c4)`, or `git 1a2b3c4` for a commit named by its SHA. */
export const refLabel = (ref: string, sha: string) => (sha.startsWith(ref.toLowerCase()) && ref.length >= 7 ? `git ${sha.slice(0, 7)}` : `git ${ref} (${sha.slice(0, 7)})`);

/** The ref holds the stack's file and a plan CLI (two `git cat-file -e`); AgainstError (bad input) if not. */
export function refHasStack(repoRoot: string, ref: string, sha: string, stack: string): void {
    const label = refLabel(ref, sha);
    if (git(repoRoot, ["cat-file", "-e", `${sha}:Pulumi.${stack}.yaml`]) === undefined) {
        throw new AgainstError(`--against ${quoted(ref)}: ${label} has no Pulumi.${stack}.yaml (stack ${quoted(stack)} did not exist there)`);
    }
    if (git(repoRoot, ["cat-file", "-e", `${sha}:tools/plan/cli.ts`]) === undefined) {
        throw new AgainstError(`--against ${quoted(ref)}: ${label} has no tools/plan/cli.ts to plan it with`);
    }
}

export interface RefPlanRequest {
    repoRoot: string;
    ref: string;
    sha: string;
    stack: string;
    today: string;
    /** Called with a line when something slow starts (the clone, the plan). */
    progress?: (message: string) => void;
    /** The plan's time limit; default 15 minutes. */
    timeoutMs?: number;
}

export interface RefPlan {
    /** The plan directory the ref's own CLI wrote. */
    dir: string;
    /** `git main (1a2b3c4)`. */
    label: string;
    /** What the reader should know (this checkout's node_modules served a different lockfile). */
    notes: string[];
    /** Removes the temp directory: call it in a finally. */
    cleanup: () => void;
}

/** The stderr lines worth showing from the ref's failed plan: its own `plan: ...` lines, else its last line. */
function failureLine(stderr: string): string {
    const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
    const own = lines.filter((l) => l.startsWith("plan: "));
    return oneLine((own[0] ?? lines[lines.length - 1] ?? "no message").replace(/^plan: /, "")).slice(0, 400);
}

/** Plans the commit `sha` offline with its own program and CLI; AgainstError when it cannot. */
export async function planRef(request: RefPlanRequest): Promise<RefPlan> {
    const { repoRoot, ref, sha, stack, today } = request;
    const label = refLabel(ref, sha);
    const tmp = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), "eks-delivery-against-"));
    let child: ChildProcess | undefined;
    // Interrupted (Ctrl-C, a CI job cancelled): stop the ref's plan, remove the clone, then die of the
    // same signal as if nothing had caught it.
    const onSignal = (signal: NodeJS.Signals) => {
        child?.kill("SIGKILL");
        cleanup();
        process.kill(process.pid, signal);
    };
    const cleanup = () => {
        process.removeListener("SIGINT", onSignal);
        process.removeListener("SIGTERM", onSignal);
        fs.rmSync(tmp, { recursive: true, force: true });
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
        const tree = path.join(tmp, "tree");
        const out = path.join(tmp, "plan");
        request.progress?.(`checking out ${label} in a temp directory`);
        // --shared: the clone reads this repository's objects (alternates) and writes nothing into it;
        // a commit only a fetch by SHA brought (a PR's base) is there too. Tags come along: the version needs them.
        if (git(repoRoot, ["clone", "--quiet", "--shared", "--no-checkout", "--", repoRoot, tree]) === undefined
            || git(tree, ["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", sha, "--"]) === undefined) {
            throw new AgainstError(`--against ${quoted(ref)}: could not check out ${sha.slice(0, 12)} in a temp directory`, true);
        }
        const stackFile = path.join(tree, `Pulumi.${stack}.yaml`);
        if (!fs.existsSync(stackFile)) throw new AgainstError(`--against ${quoted(ref)}: ${label} has no Pulumi.${stack}.yaml (stack ${quoted(stack)} did not exist there)`, true);
        const cli = path.join(tree, "tools", "plan", "cli.ts");
        if (!fs.existsSync(cli)) throw new AgainstError(`--against ${quoted(ref)}: ${label} has no tools/plan/cli.ts to plan it with`, true);
        // This checkout's dependencies: the ref's own would need an install (and the network).
        if (!fs.lstatSync(path.join(tree, "node_modules"), { throwIfNoEntry: false })) {
            fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(tree, "node_modules"), "dir");
        }
        // The ref's code runs with this checkout's node_modules and environment: say when what decides
        // how it builds and runs differs.
        const read = (root: string, file: string) => { try { return fs.readFileSync(path.join(root, file), "utf8"); } catch { return undefined; } };
        const differ = ["package.json", "package-lock.json", "tsconfig.json"].filter((f) => read(tree, f) !== read(repoRoot, f));
        const notes = differ.length
            ? [`${label} has a different ${differ.join(", ")}: its code was planned with this checkout's node_modules and environment.`]
            : [];

        request.progress?.(`planning ${label} (stack ${stack})`);
        const { code, stderr } = await run(process.execPath, ["--import", "tsx", cli, "--stack", stack, "--out", out, "--today", today], tree, request.timeoutMs ?? 15 * 60_000, (c) => { child = c; });
        // 1: mandatory violations, and the files are written: still a plan to compare with.
        if ((code !== 0 && code !== 1) || planDirProblem(out)) {
            throw new AgainstError(`--against ${quoted(ref)}: the plan of ${label} failed (exit ${code ?? "killed"}): ${failureLine(stderr)}`, true);
        }
        return { dir: out, label, notes, cleanup };
    } catch (err) {
        cleanup();
        throw err;
    }
}

function run(command: string, args: string[], cwd: string, timeoutMs: number, started: (child: ChildProcess) => void): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
        started(child);
        let stderr = "";
        child.stderr.setEncoding("utf8");
        // The last 64 KiB: what a failure says is at the end.
        child.stderr.on("data", (chunk: string) => { stderr = (stderr + chunk).slice(-65536); });
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("error", (err) => { clearTimeout(timer); resolve({ code: null, stderr: err.message }); });
        child.on("close", (code) => { clearTimeout(timer); resolve({ code, stderr }); });
    });
}
