/** The README's add-on table states the chart versions the code pins. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../config";
import type { Chart } from "../infra/addons/helm";

test("every pinned add-on chart and version is documented in the README", async () => {
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
    const dir = path.join(PROJECT_ROOT, "infra", "addons");
    const charts: Chart[] = [];
    for (const addon of fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
        const module = await import(path.join(dir, addon.name, "index.ts")) as Record<string, unknown>;
        for (const [key, value] of Object.entries(module)) if (key.endsWith("_CHART")) charts.push(value as Chart);
    }
    assert.ok(charts.length >= 14, `${charts.length} charts`);
    for (const chart of charts) {
        const row = readme.split("\n").find((line) => line.startsWith("|") && line.includes(`\`${chart.chart}\``) || line.includes(`${chart.chart}\` ${chart.version}`));
        assert.ok(row, `${chart.chart} has a row`);
        assert.ok(row!.includes(chart.version), `${chart.chart}: README says ${row}, code pins ${chart.version}`);
    }
});
