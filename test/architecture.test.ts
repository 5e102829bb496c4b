/**
 * The tree's layering, held: config <- infra <- apps <- index.ts, tools and tests on top. The policy pack
 * (policies/) stands alone so it can be published: it imports nothing outside itself, and what both the
 * program and the pack need (facts, conventions) lives in the pack's lib/, which anyone may import.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
/** Which top-level parts each part may import from (itself always allowed). */
const ALLOWED: Record<string, string[]> = {
    "policies": [],
    "config": ["policies/lib"],
    "infra": ["config", "policies/lib"],
    "apps": ["config", "infra", "policies/lib"],
    "index.ts": ["config", "infra", "apps", "policies/lib"],
};

function sources(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === "node_modules" ? [] : sources(full);
        return e.name.endsWith(".ts") ? [full] : [];
    });
}

/** The layer a repository file belongs to, or undefined for tools/tests (allowed everything). */
function layerOf(file: string): string | undefined {
    const rel = path.relative(ROOT, file).split(path.sep).join("/");
    if (rel === "index.ts") return "index.ts";
    if (rel.startsWith("policies/lib/")) return "policies/lib";
    const top = rel.split("/")[0];
    return top in ALLOWED ? top : undefined;
}

/** Relative module specifiers in a source text: `import/export ... from`, side-effect `import "x"`, `require()`, `import()`. */
export function relativeImports(text: string): string[] {
    const pattern = /(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|(?:^|[;\s])import\s*["']([^"']+)["']|\brequire\(\s*["']([^"']+)["']\s*\)|\bimport\(\s*["']([^"']+)["']\s*\)/g;
    return [...text.matchAll(pattern)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]).filter((s) => s.startsWith("."));
}

function importsOf(file: string): string[] {
    return relativeImports(fs.readFileSync(file, "utf8")).map((s) => path.resolve(path.dirname(file), s));
}

/** The layering rule for one import: may a file in `from` import a module of `to`? */
function allowed(from: string, to: string): boolean {
    if (to === from) return true;
    if (from === "policies") return to === "policies/lib";
    if (from === "policies/lib") return false;
    return ALLOWED[from].includes(to);
}

test("imports run one way: config <- infra <- apps <- index.ts; the pack imports nothing outside itself", () => {
    const wrong: string[] = [];
    const files = [path.join(ROOT, "index.ts"), ...["config", "infra", "apps", "policies"].flatMap((d) => sources(path.join(ROOT, d)))];
    for (const file of files) {
        const from = layerOf(file)!;
        for (const target of importsOf(file)) {
            const to = layerOf(target.endsWith(".ts") ? target : `${target}.ts`) ?? path.relative(ROOT, target);
            if (!allowed(from, to)) wrong.push(`${path.relative(ROOT, file)} imports ${path.relative(ROOT, target)} (${from} -> ${to})`);
        }
    }
    assert.deepEqual(wrong, []);
});

test("the scanner finds every form of import, and the rule refuses reversed ones", () => {
    const text = [
        'import * as a from "../infra/a";', 'import type { B } from "./b";', 'export { c } from "../apps/c";',
        'import "../tools/side-effect";', 'const d = require("../infra/d");', 'const e = await import("./e");',
        'import * as pulumi from "@pulumi/pulumi";', '// a comment mentioning from "nowhere" is not an import of a relative path',
    ].join("\n");
    assert.deepEqual(relativeImports(text), ["../infra/a", "./b", "../apps/c", "../tools/side-effect", "../infra/d", "./e"]);
    assert.equal(allowed("config", "infra"), false);
    assert.equal(allowed("infra", "apps"), false);
    assert.equal(allowed("policies", "config"), false);
    assert.equal(allowed("policies/lib", "policies"), false);
    assert.equal(allowed("apps", "infra"), true);
    assert.equal(allowed("config", "policies/lib"), true);
});
