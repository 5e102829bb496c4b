/** Release versions from git, over real temporary repositories, as `npm run version` computes them. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../config";
import { bumpFrom, highestTag, versionOf } from "../apps/version";

function repo(): { dir: string; git: (...args: string[]) => string; commit: (message: string) => string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eks-delivery-git-"));
    const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };
    const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, env, encoding: "utf8" }).trim();
    git("init", "-q", "-b", "main");
    let n = 0;
    const commit = (message: string) => {
        fs.writeFileSync(path.join(dir, "file.txt"), String(n++));
        git("add", "file.txt");
        git("commit", "-q", "-m", message);
        return git("rev-parse", "--short=7", "HEAD");
    };
    return { dir, git, commit };
}

function cli(args: string[]) {
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "tools/version/cli.ts"), ...args], { encoding: "utf8" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("the seeds' example: v5.3.24 + a [patch] PR title -> v5.3.25-<sha>", () => {
    const r = repo();
    r.commit("initial");
    r.git("tag", "v5.3.24");
    const sha = r.commit("work");
    const out = cli(["--repo", r.dir, "--title", "[patch] fix the login redirect"]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, `v5.3.25-${sha}\n`);
    const json = JSON.parse(cli(["--repo", r.dir, "--title", "[patch] x", "--json"]).stdout);
    assert.deepEqual(json, { version: `v5.3.25-${sha}`, base: "v5.3.24", bump: "patch", sha, dirty: false });
});

test("the seeds' tags carry the sha: v5.3.24-5e15f0a is a base, and successive releases advance", () => {
    const r = repo();
    r.commit("initial");
    r.git("tag", "v5.3.24-5e15f0a");
    const sha = r.commit("Merge pull request #7\n\n[patch] fix");
    assert.equal(versionOf(r.dir, "[patch] fix the cart").version, `v5.3.25-${sha}`);
    r.git("tag", `v5.3.25-${sha}`);
    const next = r.commit("more");
    const v = versionOf(r.dir, "[minor] search");
    assert.equal(v.base, `v5.3.25-${sha}`);
    assert.equal(v.version, `v5.4.0-${next}`);
});

test("bracket markers: any case, any position, non-ASCII titles; the highest wins", () => {
    assert.equal(bumpFrom("[MAJOR] drop the v1 API").bump, "major");
    assert.equal(bumpFrom("Add dark mode [Minor]").bump, "minor");
    assert.equal(bumpFrom("결제 모듈 수정 [patch] — 修正").bump, "patch");
    assert.equal(bumpFrom("Überarbeitung [minor] der Suche").bump, "minor");
    assert.equal(bumpFrom("[patch] then [major] later").bump, "major");
    assert.deepEqual(bumpFrom("Update README"), { bump: "patch", explicit: false });
});

test("Conventional Commits: feat! and BREAKING CHANGE major, feat minor, fix patch", () => {
    assert.equal(bumpFrom("feat!: remove v1 endpoints").bump, "major");
    assert.equal(bumpFrom("refactor(api)!: rename fields").bump, "major");
    assert.equal(bumpFrom("feat: add search\n\nBREAKING CHANGE: the index is rebuilt").bump, "major");
    assert.equal(bumpFrom("feat(ui): add search").bump, "minor");
    assert.equal(bumpFrom("fix: handle empty carts").bump, "patch");
    assert.equal(bumpFrom("chore: bump deps").bump, "patch");
    assert.equal(bumpFrom("featuring: not a type").bump, "patch");
});

test("markers in a merge or squash commit body count", () => {
    const r = repo();
    r.commit("initial");
    r.git("tag", "v1.4.2");
    const sha = r.commit("Merge pull request #42 from team/search\n\n[minor] Add product search");
    assert.equal(versionOf(r.dir).version, `v1.5.0-${sha}`);
    const squash = r.commit("Search (#43)\n\n* feat(search): add filters\n* fix: typo");
    assert.equal(versionOf(r.dir).version, `v1.5.0-${squash}`, "base is still v1.4.2: nothing new tagged");
});

test("no tags: bumps from v0.0.0", () => {
    const r = repo();
    const sha = r.commit("feat: first feature");
    assert.deepEqual(versionOf(r.dir), { version: `v0.1.0-${sha}`, base: "v0.0.0", bump: "minor", sha, dirty: false });
});

test("several tags out of order and non-semver tags: the highest release by number is the base", () => {
    const r = repo();
    r.commit("a");
    r.git("tag", "v1.10.0");
    r.commit("b");
    r.git("tag", "v1.9.7");
    r.git("tag", "release-2025");
    r.git("tag", "v2.0");
    r.git("tag", "vnext");
    r.git("tag", "v3.0.0-rc.1");
    const sha = r.commit("c");
    const v = versionOf(r.dir, "[minor] c");
    assert.equal(v.base, "v1.10.0", "numeric comparison; v2.0 and vnext are not semver; pre-releases are not bases");
    assert.equal(v.version, `v1.11.0-${sha}`);
    assert.equal(highestTag(["v1.2.3", "v1.10.0", "v1.9.0"]), "v1.10.0");
});

test("tags not reachable from HEAD are ignored", () => {
    const r = repo();
    r.commit("a");
    r.git("checkout", "-q", "-b", "other");
    r.commit("b");
    r.git("tag", "v9.0.0");
    r.git("checkout", "-q", "main");
    const sha = r.commit("c");
    assert.equal(versionOf(r.dir).version, `v0.0.1-${sha}`);
});

test("HEAD already tagged: the tag is the version, re-runs never re-bump", () => {
    const r = repo();
    r.commit("a");
    r.git("tag", "v2.3.4");
    assert.deepEqual(versionOf(r.dir, "[major] whatever"), { version: "v2.3.4", base: "v2.3.4", bump: "none", sha: r.git("rev-parse", "--short=7", "HEAD"), dirty: false });
    r.git("tag", "v2.4.0-rc.1");
    assert.equal(versionOf(r.dir).version, "v2.4.0-rc.1", "the highest tag on HEAD");
});

test("dirty tracked files add .dirty; untracked files do not", () => {
    const r = repo();
    const sha = r.commit("a");
    fs.writeFileSync(path.join(r.dir, "untracked.txt"), "x");
    assert.equal(versionOf(r.dir).version, `v0.0.1-${sha}`);
    fs.writeFileSync(path.join(r.dir, "file.txt"), "changed");
    assert.equal(versionOf(r.dir).version, `v0.0.1-${sha}.dirty`);
    r.git("tag", "v1.0.0");
    assert.equal(versionOf(r.dir).version, `v1.0.0-${sha}.dirty`, "a modified tree is not the tagged release");
});

test("titles with shell syntax are data, never executed", () => {
    const r = repo();
    const sha = r.commit("a");
    const marker = path.join(r.dir, "pwned");
    const title = `[minor] $(touch ${marker}) \`touch ${marker}\`; touch ${marker} && echo "'"`;
    const out = cli(["--repo", r.dir, "--title", title]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, `v0.1.0-${sha}\n`);
    assert.equal(fs.existsSync(marker), false);
});

test("not a repository, an empty repository, a shallow clone without tags: clear errors, exit 2", () => {
    const plain = fs.mkdtempSync(path.join(os.tmpdir(), "eks-delivery-nogit-"));
    const out = cli(["--repo", plain]);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /is not a git repository \(set eks-delivery:version to deploy without one\)/);
    assert.doesNotMatch(out.stderr, /\n\s+at /);

    const empty = repo();
    assert.match(cli(["--repo", empty.dir]).stderr, /has no commits yet/);

    const origin = repo();
    origin.commit("a");
    origin.git("tag", "v1.0.0");
    origin.commit("b");
    const shallow = fs.mkdtempSync(path.join(os.tmpdir(), "eks-delivery-shallow-"));
    execFileSync("git", ["clone", "-q", "--depth", "1", "--no-tags", `file://${origin.dir}`, shallow]);
    const result = cli(["--repo", shallow]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /shallow clone without tags/);

    assert.equal(cli(["--bogus"]).code, 2);
});
