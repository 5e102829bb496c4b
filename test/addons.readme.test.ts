/** The add-on reference's table (docs/reference/addons.md) names every add-on of the catalog with the chart version the code pins. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../config";
import { ADDONS } from "../infra/addons/catalog";

test("every add-on and its pinned chart version is documented in the add-on table of docs/reference/addons.md", () => {
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "reference", "addons.md"), "utf8");
    const table = readme.slice(readme.indexOf("## Platform add-ons"), readme.indexOf("## The edge"));
    const rows = table.split("\n").filter((line) => line.startsWith("| ") && !line.startsWith("| ---"));
    for (const spec of Object.values(ADDONS)) {
        const row = rows.find((line) => line.split("|")[1].split(/[,(]/).map((s) => s.trim()).includes(spec.name));
        assert.ok(row, `${spec.name} has a row in the add-on table`);
        assert.ok(row.includes(` ${spec.chart.version}`), `${spec.name}: docs/reference/addons.md says ${row}, code pins ${spec.chart.version}`);
        assert.ok(row.includes(spec.chart.chart.split("/").pop()!), `${spec.name}: the row names its chart`);
    }
});
