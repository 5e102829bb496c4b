/**
 * `npx tsx tools/version/bench.ts`: how long the version rules take on 100 KB of each hostile shape
 * (test/version.test.ts holds them to a generous bound; the figures are printed here, not asserted).
 */
import { bumpFrom, highestTag, isVersionTag, releaseVersion, versionProblem } from "../../apps/version";

const n = 100_000;
const fill = (unit: string, size = n) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
const shapes: Record<string, (size: number) => string> = {
    spaces: (s) => fill(" ", s), newlines: (s) => fill("\n", s), crlf: (s) => fill("\r\n", s), "blank lines": (s) => fill(" \t\n", s),
    "nested brackets": (s) => fill("[", s / 2) + fill("]", s / 2), "unclosed scopes": (s) => "feat" + fill("(", s),
    "list markers": (s) => fill("- ", s), "almost breaking": (s) => fill(" BREAKING CHANGE\n", s),
    unicode: (s) => fill("결제 ✓ \u202e\u{1F600}", s), NUL: (s) => fill("\0", s), "semver-ish": (s) => "1.2.3-" + fill("a.", s),
};
const facts = { sha: "0123456789abcdef", headTags: [] as string[], reachableTags: ["v1.2.3"], message: "", dirty: false };

function time(f: () => void): number {
    const start = performance.now();
    for (let i = 0; i < 5; i++) f();
    return (performance.now() - start) / 5;
}

console.log(`${"shape".padEnd(18)} ${"title 100 KB".padStart(13)} ${"title 200 KB".padStart(13)} ${"tags 100 KB".padStart(12)}`);
for (const [shape, make] of Object.entries(shapes)) {
    const [a, b] = [make(n), make(2 * n)];
    const title = (text: string) => time(() => { bumpFrom(text); releaseVersion(facts, text); });
    const tags = time(() => { isVersionTag(`v${a}`); highestTag([`v1.2.3-${a}`, a]); versionProblem(`v${a}`); });
    console.log(`${shape.padEnd(18)} ${title(a).toFixed(2).padStart(10)} ms ${title(b).toFixed(2).padStart(10)} ms ${tags.toFixed(2).padStart(9)} ms`);
}
