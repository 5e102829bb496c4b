/**
 * Reads the facts a release version needs from git. Arguments go to git directly (execFile, no
 * shell), and nothing the user typed (a PR title) is ever passed to it.
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { GitError, type GitFacts } from "./semantics";

export { GitError };

function git(repo: string, args: string[]): string {
    try {
        return execFileSync("git", args, { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
    } catch (err) {
        const e = err as NodeJS.ErrnoException & { stderr?: string };
        if (e.code === "ENOENT" && !e.stderr) throw new GitError(`git is not installed (or ${repo} does not exist)`);
        throw new GitError((e.stderr ?? e.message).trim().split("\n")[0]);
    }
}

const lines = (text: string) => text.split("\n").map((l) => l.trim()).filter(Boolean);

export function readGitFacts(repo: string): GitFacts {
    const dir = path.resolve(repo);
    try {
        if (git(dir, ["rev-parse", "--is-inside-work-tree"]).trim() !== "true") throw new Error();
    } catch {
        throw new GitError(`${dir} is not a git repository (set eks-delivery:version to deploy without one)`);
    }
    let sha: string;
    try {
        sha = git(dir, ["rev-parse", "--verify", "HEAD^{commit}"]).trim();
    } catch {
        throw new GitError(`${dir} has no commits yet`);
    }
    const reachableTags = lines(git(dir, ["tag", "--merged", "HEAD"]));
    if (reachableTags.length === 0 && git(dir, ["rev-parse", "--is-shallow-repository"]).trim() === "true") {
        throw new GitError(`${dir} is a shallow clone without tags: fetch the history and tags (e.g. fetch-depth: 0) so the version is not computed from v0.0.0`);
    }
    return {
        sha,
        headTags: lines(git(dir, ["tag", "--points-at", "HEAD"])),
        reachableTags,
        message: git(dir, ["log", "-1", "--format=%B", "HEAD"]),
        dirty: git(dir, ["status", "--porcelain", "--untracked-files=no"]).trim() !== "",
    };
}
