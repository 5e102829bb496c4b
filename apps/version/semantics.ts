/**
 * Release version rules, as pure functions: which tags count, how a PR title or commit message
 * bumps the version, and what the result looks like (`v5.3.25-5e15f0a`, `.dirty` when modified).
 */
import * as semver from "semver";

export type Bump = "major" | "minor" | "patch";
const RANK: Record<Bump, number> = { patch: 0, minor: 1, major: 2 };

/** A release tag: `vX.Y.Z`, optionally with a pre-release suffix (`v1.2.3-rc.1`). */
const TAG = /^v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/;
/** A base tag for bumping: a plain `vX.Y.Z`, or a release this tool tagged (`vX.Y.Z-<7-hex sha>`). */
const RELEASE = /^v\d+\.\d+\.\d+(-[0-9a-f]{7})?$/;

export function isVersionTag(tag: string): boolean {
    const match = TAG.exec(tag);
    return !!match && semver.valid(match[1]) !== null;
}

/** The highest tag by semver precedence (numeric, not lexical), or undefined. */
export function highestTag(tags: string[], releasesOnly = false): string | undefined {
    const candidates = tags.filter((t) => isVersionTag(t) && (!releasesOnly || RELEASE.test(t)));
    // Releases compare by their X.Y.Z (a sha suffix is not a pre-release of anything); ties: the plain tag.
    const key = (t: string) => (releasesOnly ? semver.coerce(t)!.version : t.slice(1));
    return candidates.sort((a, b) => semver.rcompare(key(a), key(b)) || a.length - b.length)[0];
}

const BRACKET = /\[(major|minor|patch)\]/gi;
/** Conventional Commits subject, also as a list item in squash-merge bodies (`* feat(ui): ...`). */
const CONVENTIONAL = /^\s*(?:[*-]\s+)?([a-z]+)(?:\([^)]*\))?(!)?:\s/i;
const BREAKING = /^\s*BREAKING[ -]CHANGE:/m;

/**
 * The bump a PR title or commit message asks for: `[major]`/`[minor]`/`[patch]` anywhere in any case,
 * or Conventional Commits (`feat!:`/`BREAKING CHANGE` major, `feat:` minor, `fix:` patch), on any
 * line so merge and squash commits work; the highest wins; nothing = patch.
 */
export function bumpFrom(text: string): { bump: Bump; explicit: boolean } {
    const found: Bump[] = [...text.matchAll(BRACKET)].map((m) => m[1].toLowerCase() as Bump);
    if (BREAKING.test(text)) found.push("major");
    for (const line of text.split(/\r?\n/)) {
        const match = CONVENTIONAL.exec(line);
        if (!match) continue;
        if (match[2]) found.push("major");
        else if (match[1].toLowerCase() === "feat") found.push("minor");
        else if (match[1].toLowerCase() === "fix") found.push("patch");
    }
    if (found.length === 0) return { bump: "patch", explicit: false };
    return { bump: found.reduce((a, b) => (RANK[b] > RANK[a] ? b : a)), explicit: true };
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

/** HEAD's release version: its own tag if it has one, else the bumped highest reachable release. */
export function releaseVersion(git: GitFacts, title?: string): ReleaseVersion {
    const sha = git.sha.slice(0, 7);
    const suffix = git.dirty ? ".dirty" : "";
    const tagged = highestTag(git.headTags);
    if (tagged) {
        // Re-running a deploy of a tagged commit never re-bumps; a modified tree is not that release.
        return { version: git.dirty ? `${tagged}-${sha}${suffix}` : tagged, base: tagged, bump: "none", sha, dirty: git.dirty };
    }
    const base = highestTag(git.reachableTags, true) ?? "v0.0.0";
    const { bump } = bumpFrom(title ?? git.message);
    const next = semver.inc(semver.coerce(base)!.version, bump)!;
    return { version: `v${next}-${sha}${suffix}`, base, bump, sha, dirty: git.dirty };
}
