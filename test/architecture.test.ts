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

function importsOf(file: string): string[] {
    const text = fs.readFileSync(file, "utf8");
    const specifiers = [...text.matchAll(/(?:import|export)[^'"]*?from\s+["']([^"']+)["']|require\(["']([^"']+)["']\)|import\(["']([^"']+)["']\)/g)]
        .map((m) => m[1] ?? m[2] ?? m[3]);
    return specifiers.filter((s) => s.startsWith(".")).map((s) => path.resolve(path.dirname(file), s));
}

test("imports run one way: config <- infra <- apps <- index.ts; the pack imports nothing outside itself", () => {
    const wrong: string[] = [];
    const files = [path.join(ROOT, "index.ts"), ...["config", "infra", "apps", "policies"].flatMap((d) => sources(path.join(ROOT, d)))];
    for (const file of files) {
        const from = layerOf(file)!;
        for (const target of importsOf(file)) {
            const to = layerOf(target.endsWith(".ts") ? target : `${target}.ts`) ?? path.relative(ROOT, target);
            const ok = to === from || (from === "policies/lib" ? false : ALLOWED[from].includes(to)) ||
                (from === "policies" && to === "policies/lib") || (from === "policies/lib" && to === "policies/lib");
            if (!ok) wrong.push(`${path.relative(ROOT, file)} imports ${path.relative(ROOT, target)} (${from} -> ${to})`);
        }
    }
    assert.deepEqual(wrong, []);
});

test("the layering check catches a reversed import", () => {
    // A config module importing infra would be flagged: the check itself can fail.
    const from = layerOf(path.join(ROOT, "config", "schema.ts"))!;
    assert.equal(ALLOWED[from].includes(layerOf(path.join(ROOT, "infra", "cluster.ts"))!), false);
});
