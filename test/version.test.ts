/** Release versions from git, over real temporary repositories, as `npm run version` computes them. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../config";
import { bumpFrom, highestTag, isVersionTag, releaseVersion, versionOf, versionProblem } from "../apps/version";

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

function cli(args: string[], stdin?: string | Buffer | number) {
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "tools/version/cli.ts"), ...args],
        { encoding: "utf8", cwd: PROJECT_ROOT, ...(typeof stdin === "number" ? { stdio: [stdin, "pipe", "pipe"] } : { input: stdin ?? "" }) });
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

// ---- Untrusted text (issue 13): linear time, option-like titles, label-safe versions, one-line refusals ----

/** 100 KB of each hostile shape: what a title, a commit message or a tag name may hold. */
export const HOSTILE_SHAPES: Record<string, string> = (() => {
    const n = 100_000;
    const fill = (unit: string) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
    return {
        spaces: fill(" "), newlines: fill("\n"), crlf: fill("\r\n"), "blank lines": fill(" \t\n"), "lone CRs": fill("\r"),
        "nested brackets": fill("[").slice(0, n / 2) + fill("]").slice(0, n / 2), "unclosed scopes": "feat" + fill("("),
        "list markers": fill("- "), "almost markers": fill("[majo"), "almost breaking": fill(" BREAKING CHANGE\n"),
        unicode: fill("결제 ✓ \u202e\u{1F600}"), "lone surrogates": fill("\uD800"), NUL: fill("\0"), digits: fill("1"),
        "dotted digits": fill("1."), "semver-ish": "1.2.3-" + fill("a."),
    };
})();

test("titles, messages and tags of 100 KB in hostile shapes: linear time (a generous bound; figures: tools/version/bench.ts)", () => {
    const facts = { sha: "0123456789abcdef", headTags: [], reachableTags: ["v1.2.3"], message: "", dirty: false };
    for (const [shape, text] of Object.entries(HOSTILE_SHAPES)) {
        const start = performance.now();
        bumpFrom(text);
        releaseVersion({ ...facts, message: text });
        isVersionTag(`v${text}`);
        isVersionTag(`v1.2.3-${text}`);
        highestTag([`v${text}`, `v1.2.3-${text}`, text], true);
        versionProblem(`v1.2.3-${text}`);
        releaseVersion({ ...facts, reachableTags: [`v${text}`, text], headTags: [`v1.${text}`] }, text);
        const ms = performance.now() - start;
        // The per-line BREAKING scan over the whole text took 10 s on 100 KB of newlines; linear is ~10 ms.
        assert.ok(ms < 1500, `${shape}: ${ms.toFixed(0)} ms`);
    }
    // Markers still count at the end of a long hostile title.
    assert.equal(bumpFrom(HOSTILE_SHAPES.newlines + "BREAKING CHANGE: gone").bump, "major");
    assert.equal(bumpFrom(HOSTILE_SHAPES["blank lines"] + "  * feat(x): y").bump, "minor");
    assert.equal(bumpFrom(HOSTILE_SHAPES.NUL + "[Minor]").bump, "minor");
});

test("version tags are v + semver exactly as written; every other tag is ignored", () => {
    for (const tag of ["v1.2.3", "v1.2.3-rc.1", "v1.2.3-5e15f0a", "v1.2.3--"]) assert.ok(isVersionTag(tag), tag);
    // Build metadata (`+b`) is semver but no label value or Docker tag: ignored with the rest.
    for (const tag of ["v1.2.3+build.5", "1.2.3", "vv1.2.3", "v=1.2.3", "v 1.2.3", "v1.2.3 ", "v01.2.3", "v1.2", "vnext", "release-2025", "v1.2.3-", "v1.2.3-a..b", `v1.2.3-${"a".repeat(300)}`, "v99999999999999999.0.0"]) {
        assert.ok(!isVersionTag(tag), tag);
    }
});

test("a version that is not a Kubernetes label value or a Docker tag: the reason", () => {
    const table: [string, RegExp | undefined][] = [
        ["v1.2.3-5e15f0a", undefined], ["v1.2.3-5e15f0a.dirty", undefined], ["V_1", undefined], ["x".repeat(63), undefined],
        ["", /is empty/], ["x".repeat(64), /is 64 characters: a Kubernetes label value has at most 63/],
        ["v1.2.3+build", /contains "\+": .*letters, digits, '-', '_' and '.'/], ["v1.2.3 ", /contains " "/], ["v1\u00e9", /contains "é"/],
        ["v1.2.3--", /ends with '-': a Kubernetes label value starts and ends with a letter or digit/], ["_v1", /starts with '_'/], ["v1.", /ends with '\.'/],
    ];
    for (const [version, reason] of table) {
        const problem = versionProblem(version);
        if (reason) assert.match(problem ?? "", reason, version);
        else assert.equal(problem, undefined, version);
    }
});

test("tags that give no label value are refused with the reason; huge bases that overflow too", () => {
    const facts = { sha: "0123456789abcdef", headTags: [] as string[], reachableTags: [] as string[], message: "", dirty: false };
    const refused = (f: typeof facts, reason: RegExp) => assert.throws(() => releaseVersion(f), (e: Error) => e.name === "GitError" && reason.test(e.message), reason.source);
    refused({ ...facts, headTags: [`v1.2.3-${"a".repeat(60)}`] }, /version "v1\.2\.3-a+" \(from HEAD's tag "v1\.2\.3-a+"\) is 67 characters: a Kubernetes label value has at most 63/);
    refused({ ...facts, headTags: ["v1.2.3--"] }, /\(from HEAD's tag "v1\.2\.3--"\) ends with '-'/);
    refused({ ...facts, headTags: [`v1.2.3-${"a".repeat(50)}`], dirty: true }, /is 7\d characters/);
    const big = "1234567890123456";
    refused({ ...facts, reachableTags: [`v${big}.${big}.${big}`], dirty: true }, /\(from the bump of "v1234567890123456\.1234567890123456\.1234567890123456"\) is 6\d characters/);
    refused({ ...facts, reachableTags: ["v9007199254740991.0.0"], message: "[major]" }, /the major bump of v9007199254740991\.0\.0 overflows/);
    // Not semver: ignored, so the version is bumped from the highest real release.
    assert.equal(releaseVersion({ ...facts, headTags: ["vv1.2.3", "v1.2", "release-2025", "v2.0.0+b"], reachableTags: ["v1.4.0", "v01.9.0"] }).version, "v1.4.1-0123456");
    // An empty title is no title: the commit message decides.
    assert.equal(releaseVersion({ ...facts, message: "feat: x" }, "").bump, "minor");
});

test("the CLI refuses a HEAD tag that is no label value: one line naming --repo and the reason, exit 2", () => {
    const r = repo();
    r.commit("a");
    r.git("tag", "v1.2.3--");
    const out = cli(["--repo", r.dir]);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /^version: --repo ".*": version "v1\.2\.3--" \(from HEAD's tag "v1\.2\.3--"\) ends with '-': a Kubernetes label value starts and ends with a letter or digit\n$/);
});

test("option-like titles: --title=<value>, or on stdin with --title -, any content", () => {
    const r = repo();
    const sha = r.commit("a");
    for (const title of ["-x [minor]", "--json [minor]", "--title [minor]", "-- [minor]", "-"]) {
        const attached = cli(["--repo", r.dir, `--title=${title}`]);
        assert.equal(attached.code, 0, attached.stderr);
        if (title !== "-") assert.equal(attached.stdout, `v0.1.0-${sha}\n`, title);
        const piped = cli(["--repo", r.dir, "--title", "-"], title);
        assert.equal(piped.code, 0, piped.stderr);
        assert.equal(piped.stdout, title === "-" ? `v0.0.1-${sha}\n` : `v0.1.0-${sha}\n`, title);
    }
    // Stdin takes what no argument can: NUL, newlines, 100 KB; one final newline is not part of it.
    assert.equal(cli(["--repo", r.dir, "--title", "-"], `\0${HOSTILE_SHAPES.newlines}feat!: x\n`).stdout, `v1.0.0-${sha}\n`);
    assert.equal(cli(["--repo", r.dir, "--title=" + HOSTILE_SHAPES.spaces + "[major]"]).stdout, `v1.0.0-${sha}\n`);
    // Empty stdin (no PR found) = no title: the commit message decides, as release.yml relies on.
    const feat = r.commit("feat: y");
    assert.equal(cli(["--repo", r.dir, "--title", "-", "--json"], "").stdout, `${JSON.stringify({ version: `v0.1.0-${feat}`, base: "v0.0.0", bump: "minor", sha: feat, dirty: false })}\n`);
});

test("every bad flag or input: one line naming the flag and the value, exit 2, no stack trace", () => {
    const r = repo();
    r.commit("a");
    const file = path.join(r.dir, "file.txt");
    const dirFd = fs.openSync(os.tmpdir(), "r");
    const table: [string[], RegExp, (string | Buffer | number)?][] = [
        [["--bogus"], /^unknown option '--bogus' \(see npx eks-delivery version --help\)$/],
        [["-t", "x"], /^unknown option '-t'/],
        [["--JSON"], /^unknown option '--JSON' \(see npx eks-delivery version --help\)$/],
        [["--ti\ntle=x"], /^unknown option '--ti\\x0atle=x'/],
        [["--title"], /^option '--title <title>' argument missing/],
        [["--repo"], /^option '--repo <dir>' argument missing/],
        [["--repo="], /^--repo is empty/],
        [["--title", "-x"], /^--title "-x": a value that starts with '-' is given as --title=<value> \(or --title - to read it from stdin\)$/],
        [["--title", "--json"], /^--title "--json": a value that starts with '-'/],
        [["--repo", "--json"], /^--repo "--json": a value that starts with '-' is given as --repo=<value>$/],
        [["--json=yes"], /^--json takes no value \(got "yes"\)$/],
        [["--json", "--json"], /^--json is given twice$/],
        [["--title=a", "--title", "b"], /^--title is given twice$/],
        [["stray"], /^unexpected argument "stray"/],
        [["--", "--title"], /^unexpected argument "--title"/],
        [["--repo", "/nonexistent/eks-delivery"], /^--repo "\/nonexistent\/eks-delivery": .* is not a git repository/],
        [["--repo", file], /^--repo ".*file\.txt": .* is not a git repository/],
        [["--repo", "x".repeat(5000)], /^--repo "x{80}"\.\.\. \(5000 characters\): .* is not a git repository/],
        [["--repo", r.dir, "--title", "-"], /^--title -: stdin is not UTF-8 text$/, Buffer.from([0x5b, 0xff, 0xfe])],
        [["--repo", r.dir, "--title", "-"], /^--title -: stdin is over 1048576 bytes \(the limit for a title\)$/, Buffer.alloc(1024 * 1024 + 1, 0x20)],
        [["--repo", r.dir, "--title", "-"], /^--title -: stdin is a directory$/, dirFd],
    ];
    assert.ok(table.length >= 15);
    try {
        for (const [args, message, stdin] of table) {
            const out = cli(args, stdin);
            const label = JSON.stringify(args).slice(0, 100);
            assert.equal(out.code, 2, `${label}: ${out.stderr}`);
            assert.equal(out.stdout, "", label);
            assert.match(out.stderr, /^version: [^\n]*\n$/, `${label}: one line: ${out.stderr}`);
            assert.match(out.stderr.slice("version: ".length, -1), message, label);
            assert.doesNotMatch(out.stderr, /\bat .*\.(ts|js):\d+/, label);
        }
    } finally {
        fs.closeSync(dirFd);
    }
});

test("--title - on a stdin that never ends stops at the time limit, exit 2", async () => {
    const { spawn } = await import("child_process");
    const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "tools/version/cli.ts"), "--title", "-"], { cwd: PROJECT_ROOT, stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.write("[minor] and then silence");
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.stdin.destroy();
    assert.equal(code, 2);
    assert.equal(stderr, "version: --title -: stdin did not end within 5 s\n");
});
