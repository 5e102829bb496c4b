import { readGitFacts } from "./git";
import { releaseVersion, ReleaseVersion } from "./semantics";

export * from "./semantics";
export { readGitFacts } from "./git";

/** The release version of `repo`'s HEAD, bumped by `title` (a PR title) or the HEAD commit message. */
export function versionOf(repo: string, title?: string): ReleaseVersion {
    return releaseVersion(readGitFacts(repo), title);
}
