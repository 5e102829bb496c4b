/**
 * Release version rules, as pure functions: which tags count, how a PR title or commit message
 * bumps the version, and what the result looks like (`v5.3.25-5e15f0a`, `.dirty` when modified).
 * Titles, messages and tags are untrusted text of any length: every rule here runs in linear time.
 */
import * as pulumi from "@pulumi/pulumi";
import * as semver from "semver";

/** Git cannot give a usable release version. A RunError, so `pulumi up` prints the message without a stack trace. */
export class GitError extends pulumi.RunError {
    constructor(message: string) {
        super(message);
        this.name = "GitError";
    }
}

export type Bump = "major" | "minor" | "patch";
const RANK: Record<Bump, number> = { patch: 0, minor: 1, major: 2 };

/**
 * A version tag: `v` + a semver exactly as written (no whitespace, no `=`, no double `v`). semver
 * refuses anything over 256 characters before running a regex (npm/node-semver@v7.8.6:classes/semver.js,
 * MAX_LENGTH), so a long tag costs nothing. Every other tag (`release-2025`, `v2.0`, `vnext`, and
 * `v1.2.3+build`: semver.valid drops build metadata, and `+` is in no label value) is ignored:
 * repositories carry tags of their own.
 */
export function isVersionTag(tag: string): boolean {
    return tag.startsWith("v") && semver.valid(tag.slice(1)) === tag.slice(1);
}

/** A base tag for bumping: a plain `vX.Y.Z`, or a release this tool tagged (`vX.Y.Z-<7-hex sha>`). */
const RELEASE = /^v\d+\.\d+\.\d+(-[0-9a-f]{7})?$/;

/** The highest tag by semver precedence (numeric, not lexical), or undefined. */
export function highestTag(tags: string[], releasesOnly = false): string | undefined {
    const candidates = tags.filter((t) => isVersionTag(t) && (!releasesOnly || RELEASE.test(t)));
    // Releases compare by their X.Y.Z (a sha suffix is not a pre-release of anything); ties: the plain tag.
    const key = (t: string) => (releasesOnly ? semver.coerce(t)!.version : t.slice(1));
    return candidates.sort((a, b) => semver.rcompare(key(a), key(b)) || a.length - b.length)[0];
}

const BRACKET = /\[(major|minor|patch)\]/gi;
/**
 * Conventional Commits subject, also as a list item in squash-merge bodies (`* feat(ui): ...`), matched
 * on a line without its leading whitespace. Each part consumes a distinct character class and the
 * pattern is anchored, so a failing line costs one pass over it.
 */
const CONVENTIONAL = /^(?:[*-]\s+)?([a-z]+)(?:\([^)]*\))?(!)?:\s/i;
/**
 * Matched per line, never as `/^\s*BREAKING.../m` over the whole text: `\s` also matches newlines, so
 * that form rescans every following blank line from every line start (quadratic: 100 KB of newlines took 10 s).
 */
const BREAKING = /^BREAKING[ -]CHANGE:/;

/**
 * The bump a PR title or commit message asks for: `[major]`/`[minor]`/`[patch]` anywhere in any case,
 * or Conventional Commits (`feat!:`/`BREAKING CHANGE` major, `feat:` minor, `fix:` patch), on any
 * line so merge and squash commits work; the highest wins; nothing = patch. Linear in the text's length.
 */
export function bumpFrom(text: string): { bump: Bump; explicit: boolean } {
    const found: Bump[] = [...text.matchAll(BRACKET)].map((m) => m[1].toLowerCase() as Bump);
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.trimStart();
        if (BREAKING.test(line)) found.push("major");
        const match = CONVENTIONAL.exec(line);
        if (!match) continue;
        if (match[2]) found.push("major");
        else if (match[1].toLowerCase() === "feat") found.push("minor");
        else if (match[1].toLowerCase() === "fix") found.push("patch");
    }
    if (found.length === 0) return { bump: "patch", explicit: false };
    return { bump: found.reduce((a, b) => (RANK[b] > RANK[a] ? b : a)), explicit: true };
}

/** A value as an error line shows it: quoted, control characters escaped, long ones cut. */
export function showText(value: string, max = 80): string {
    const shown = JSON.stringify(value.length > max ? value.slice(0, max) : value);
    return value.length > max ? `${shown}... (${value.length} characters)` : shown;
}

// kubernetes/apimachinery@v0.36.3:pkg/api/validate/content/kube.go (IsLabelValue: labelValueFmt, LabelValueMaxLength).
const LABEL_MAX = 63;
const LABEL_CHARS = /^[-A-Za-z0-9_.]*$/;
const ALNUM = /[A-Za-z0-9]/;

/**
 * Why `version` cannot be both a Kubernetes label value (`app.kubernetes.io/version`) and a Docker tag,
 * or undefined. A non-empty label value is the stricter of the two: a Docker tag is `[\w][\w.-]{0,127}`
 * (distribution/reference@v0.6.0:regexp.go), which allows a leading `_` and 128 characters.
 */
export function versionProblem(version: string): string | undefined {
    if (version === "") return "is empty";
    if (version.length > LABEL_MAX) return `is ${version.length} characters: a Kubernetes label value has at most ${LABEL_MAX}`;
    if (!LABEL_CHARS.test(version)) {
        const bad = [...version].find((c) => !/[-A-Za-z0-9_.]/.test(c))!;
        return `contains ${JSON.stringify(bad)}: a Kubernetes label value and a Docker tag take only letters, digits, '-', '_' and '.'`;
    }
    if (!ALNUM.test(version[0]) || !ALNUM.test(version[version.length - 1])) {
        const end = ALNUM.test(version[0]) ? `ends with '${version[version.length - 1]}'` : `starts with '${version[0]}'`;
        return `${end}: a Kubernetes label value starts and ends with a letter or digit`;
    }
    return undefined;
}

export interface GitFacts {
    /** Full HEAD commit id. */
    sha: string;
    /** Tags on HEAD. */
    headTags: string[];
    /** Tags reachable from HEAD. */
    reachableTags: string[];
    /** HEAD commit message, subject and body. */
    message: string;
    /** Tracked files have uncommitted changes. */
    dirty: boolean;
}

export interface ReleaseVersion {
    version: string;
    base: string;
    bump: Bump | "none";
    sha: string;
    dirty: boolean;
}

/**
 * HEAD's release version: its own tag if it has one, else the bumped highest reachable release. An empty
 * title is no title (the HEAD commit message decides). A result that is no label value or Docker tag is
 * refused with the reason (a GitError): HEAD's tag names the release, so it is never silently skipped.
 */
export function releaseVersion(git: GitFacts, title?: string): ReleaseVersion {
    const sha = git.sha.slice(0, 7);
    const suffix = git.dirty ? ".dirty" : "";
    const tagged = highestTag(git.headTags);
    let result: ReleaseVersion;
    if (tagged) {
        // Re-running a deploy of a tagged commit never re-bumps; a modified tree is not that release.
        result = { version: git.dirty ? `${tagged}-${sha}${suffix}` : tagged, base: tagged, bump: "none", sha, dirty: git.dirty };
    } else {
        const base = highestTag(git.reachableTags, true) ?? "v0.0.0";
        const { bump } = bumpFrom(title || git.message);
        const next = semver.inc(semver.coerce(base)!.version, bump)!;
        // semver.inc does not re-check: past Number.MAX_SAFE_INTEGER the number is no longer semver.
        if (semver.valid(next) !== next) throw new GitError(`the ${bump} bump of ${base} overflows: ${next} is not a valid semver version`);
        result = { version: `v${next}-${sha}${suffix}`, base, bump, sha, dirty: git.dirty };
    }
    const problem = versionProblem(result.version);
    if (problem) {
        const from = tagged ? `HEAD's tag ${showText(tagged)}` : `the bump of ${showText(result.base)}`;
        throw new GitError(`version ${showText(result.version)} (from ${from}) ${problem}`);
    }
    return result;
}
