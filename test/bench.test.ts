/** `npm run bench` runs end to end (its figures are printed, never asserted: no timed tests). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as path from "path";
import { PROJECT_ROOT } from "../config";

const bench = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "tools/bench/cli.ts"), ...args], { encoding: "utf8" });

test("bench plans synthetic stacks and prints one row per size", () => {
    const result = bench("--sizes", "1,2", "--json");
    assert.equal(result.status, 0, result.stderr);
    const rows = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(rows.map((r) => r.services), [1, 2]);
    for (const row of rows) assert.deepEqual(Object.keys(row), ["services", "resources", "invokes", "planMs", "baselineMs"]);
    assert.ok(rows[1].resources > rows[0].resources, "a service adds resources");
    // Each service's repository is looked up once (is its version already pushed?); nothing else grows.
    assert.equal(rows[1].invokes - rows[0].invokes, 1, "one registry look-up per service, the rest constant");
});

test("bench refuses a bad --sizes with one line and exit 2", () => {
    const result = bench("--sizes", "10,-1");
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^bench: --sizes "10,-1" is not a list of service counts like 1,10,50 \(usage: [^\n]*\)\n$/);
});
