/** `npm run bench` (the script itself) runs end to end (its figures are printed, never asserted: no timed tests). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { PROJECT_ROOT } from "../config";

/** `npm run --silent bench -- ARGS` (--silent: npm prints nothing of its own on stdout or stderr). */
const bench = (...args: string[]) => spawnSync("npm", ["run", "--silent", "bench", "--", ...args], { cwd: PROJECT_ROOT, encoding: "utf8" });

test("bench plans, replays and checks synthetic stacks, one row per size", () => {
    const result = bench("--sizes", "1,2", "--repeats", "1", "--json");
    assert.equal(result.status, 0, result.stderr);
    const rows = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(rows.map((r) => r.services), [1, 2]);
    for (const row of rows) {
        assert.deepEqual(Object.keys(row), ["services", "resources", "invokes", "planMs", "baselineMs", "peakRssMb", "policyMs", "baselinePeakRssMb", "manifests"]);
        for (const [key, value] of Object.entries(row)) assert.ok(Number.isInteger(value) && (value as number) > 0, `${key}: ${value}`);
    }
    assert.ok(rows[1].resources > rows[0].resources, "a service adds resources");
    assert.ok(rows[1].manifests > rows[0].manifests, "a service adds manifests for the policy CLI");
    // Each service's repository is looked up once (is its version already pushed?); nothing else grows.
    assert.equal(rows[1].invokes - rows[0].invokes, 1, "one registry look-up per service, the rest constant");
    // Progress on stderr (a pipe here: plain `[bench] <step>` lines, once a second has passed), one step per measurement:
    // plan, baseline and policy CLI for each size.
    for (const step of ["[1/6] plan, 1 services", "[2/6] baseline, 1 services", "[3/6] policy CLI, 1 services", "[6/6] policy CLI, 2 services"]) {
        assert.ok(result.stderr.includes(`[bench] ${step}`), `progress shows ${step}:\n${result.stderr}`);
    }
});

test("bench prints a table and each target against the figures", () => {
    const result = bench("--sizes", "1", "--repeats", "1");
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^services +resources +invokes +planMs +baselineMs +ratio +peakRssMb +baselinePeakRssMb +manifests +policyMs\n +1 +\d+/);
    assert.match(result.stdout, /plan\/floor at 1 services: \d+\.\d\d \(target <= 1\.3: (met|not met)\)/);
    assert.match(result.stdout, /peak memory at 1000 services: not measured/);
});

test("bench refuses a bad --sizes with one line and exit 2", () => {
    const result = bench("--sizes", "10,-1");
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^bench: --sizes "10,-1" is not a list of service counts like 200,1000\n$/);
});
