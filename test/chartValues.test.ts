/**
 * Every Helm release the program plans, in every variant, against the chart it pins: no values path the
 * chart does not have (Helm would ignore it silently), values the chart's values.schema.json accepts, and
 * no PodDisruptionBudget that the merge of the chart's defaults with ours leaves with both or neither of
 * minAvailable/maxUnavailable. The charts' `values.yaml` files are vendored in infra/addons/charts/<add-on>/
 * with SOURCE.json (repo@tag, commit); the program checks a stack's overrides against the same files.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { CHARTS_DIR, helmMerge, mergedValuesProblems, pdbProblems, unknownValuePaths, Values, vendoredChart, withOutputsAsText } from "../infra/addons/chartValues";
import { ADDONS } from "../infra/addons/catalog";
import type { AddonName } from "../config";
import type { PlannedStack } from "../tools/plan/planStack";
import { plan, stackValues } from "./support";

interface Release { variant: string; addon: AddonName; chart: string; version: string; values: Values }

let planned: Promise<Release[]> | undefined;
/** The releases of every variant, planned once for the file. */
function releasesOfEveryVariant(): Promise<Release[]> {
    planned ??= planVariants();
    return planned;
}

/** Each variant turns on add-ons the others do not install. */
export const VARIANTS: Array<[string, string, (v: Record<string, any>) => void]> = [
    ["dev", "dev", () => {}],
    ["prod", "prod", () => {}],
    ["karpenter", "dev", (v) => { v["eks-delivery:nodes"].autoscaler = "karpenter"; }],
    ["mesh", "dev", (v) => { v["eks-delivery:mesh"] = { enabled: true }; }],
    ["nginx", "prod", (v) => { v["eks-delivery:ingress"] = { controller: "nginx" }; }],
    ["nginx-mesh", "dev", (v) => { v["eks-delivery:ingress"] = { controller: "nginx" }; v["eks-delivery:mesh"] = { enabled: true }; }],
    // external-dns gets the cutover's exclusion flags (infra/addons/external-dns/index.ts).
    ["cutover", "dev", (v) => { v["eks-delivery:cutover"] = { record: "www.dev.example.com", weights: { eks: 10, legacy: 90 }, legacy: { dnsName: "legacy-1234567890.ap-northeast-2.elb.amazonaws.com", zoneId: "ZWKZPGTI48KDX" } }; }],
];

async function planVariants(): Promise<Release[]> {
    const releases: Release[] = [];
    for (const [variant, stack, patch] of VARIANTS) {
        const values = stackValues(stack);
        patch(values as Record<string, any>);
        const result: PlannedStack = await plan(values, stack);
        for (const r of result.plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release")) {
            releases.push({ variant, addon: String(r.inputs.name) as AddonName, chart: String(r.inputs.chart), version: String(r.inputs.version), values: (r.inputs.values ?? {}) as Values });
        }
    }
    return releases;
}

test("every release's values exist in its chart, pass its schema, and every PDB gets exactly one of minAvailable/maxUnavailable", async () => {
    const releases = await releasesOfEveryVariant();
    const problems: string[] = [];
    for (const r of releases) {
        const spec = ADDONS[r.addon];
        assert.ok(spec, `${r.variant}: release ${r.addon} is not in the add-on catalog`);
        assert.equal(r.chart, spec.chart.chart);
        const chart = vendoredChart(r.addon, r.version);
        if (!chart) {
            problems.push(`${r.variant}: ${r.addon} ${r.version} has no vendored values (infra/addons/charts/${r.addon}/)`);
            continue;
        }
        for (const p of unknownValuePaths(r.values, chart.defaults, spec.openValues ?? [])) problems.push(`${r.variant}: ${r.addon} ${r.version}: ${p} is not in the chart's values.yaml (${chart.source})`);
        const merged = helmMerge(chart.defaults, r.values);
        // Helm validates the merged values against the chart's values.schema.json and refuses to install.
        for (const p of mergedValuesProblems(chart, withOutputsAsText(merged) as Values)) problems.push(`${r.variant}: ${r.addon} ${r.version}: ${p}`);
        for (const p of TRAPS[r.addon]?.(merged, r.variant) ?? []) problems.push(`${r.variant}: ${r.addon} ${r.version}: ${p}`);
    }
    assert.deepEqual(problems, []);
    // Every add-on of the catalog is released by some variant, so every chart is checked.
    assert.deepEqual([...new Set(releases.map((r) => r.addon))].sort(), Object.keys(ADDONS).sort());
});

/** Chart-specific defaults that survive the merge and break a release (each found in a first version). */
const TRAPS: Record<string, (merged: Values, variant: string) => string[]> = {
    "ingress-nginx": (merged, variant) => {
        const controller = merged.controller as any;
        const problems: string[] = [];
        if (controller.autoscaling?.enabled && controller.autoscaling.targetMemoryUtilizationPercentage != null) {
            problems.push(`controller.autoscaling.targetMemoryUtilizationPercentage ${controller.autoscaling.targetMemoryUtilizationPercentage} is inherited: the HPA also scales on memory`);
        }
        if (variant === "mesh" && controller.admissionWebhooks?.patch?.labels?.["sidecar.istio.io/inject"] !== "false") {
            problems.push("the admission hook Jobs get a sidecar that never exits: the release times out");
        }
        return problems;
    },
};

test("Helm's merge: maps merge, lists and scalars replace, null deletes a default", () => {
    const defaults = { pdb: { enabled: false, minAvailable: 1 }, args: ["a"], replicas: 1, keep: { x: 1 } };
    assert.deepEqual(helmMerge(defaults, { pdb: { enabled: true, maxUnavailable: 1 }, args: ["b"], replicas: 2 }),
        { pdb: { enabled: true, minAvailable: 1, maxUnavailable: 1 }, args: ["b"], replicas: 2, keep: { x: 1 } });
    assert.deepEqual(helmMerge(defaults, { pdb: { minAvailable: null, maxUnavailable: 1 } }).pdb, { enabled: false, maxUnavailable: 1 });
});

test("a values.schema.json rejects what Helm would refuse", () => {
    const chart = vendoredChart("reloader", ADDONS.reloader.chart.version)!;
    assert.deepEqual(mergedValuesProblems(chart, helmMerge(chart.defaults, { reloader: { reloadStrategy: "annotations" } })), []);
    assert.match(mergedValuesProblems(chart, helmMerge(chart.defaults, { reloader: { reloadStrategy: "sometimes" } })).join("\n"), /reloader\.reloadStrategy must be equal to one of the allowed values/, "an enum the chart does not accept");
    // external-secrets declares draft 2020-12.
    const eso = vendoredChart("external-secrets", ADDONS["external-secrets"].chart.version)!;
    assert.match(mergedValuesProblems(eso, helmMerge(eso.defaults, { replicaCount: "two" })).join("\n"), /replicaCount must be integer/);
});

test("the traps the first version fell into are caught", () => {
    // external-secrets 0.17.0: the chart's `podDisruptionBudget.minAvailable: 1` survives our maxUnavailable
    // (external-secrets/external-secrets@helm-chart-0.17.0:deploy/charts/external-secrets/values.yaml:265-268).
    const externalSecrets = { podDisruptionBudget: { enabled: false, minAvailable: 1 }, webhook: { podDisruptionBudget: { enabled: false, minAvailable: 1 } } };
    assert.deepEqual(pdbProblems(helmMerge(externalSecrets, { podDisruptionBudget: { enabled: true, maxUnavailable: 1 }, webhook: { podDisruptionBudget: { enabled: true, maxUnavailable: 1 } } })),
        ["podDisruptionBudget: both minAvailable and maxUnavailable", "webhook.podDisruptionBudget: both minAvailable and maxUnavailable"]);
    assert.deepEqual(pdbProblems(helmMerge(externalSecrets, { podDisruptionBudget: { enabled: true, minAvailable: null, maxUnavailable: 1 } })), []);
    // reloader 1.2.1 had no maxUnavailable key: the PDB rendered with neither field (the chart now pins 2.2.16).
    assert.deepEqual(pdbProblems({ reloader: { podDisruptionBudget: { enabled: true, minAvailable: null } } }), ["reloader.podDisruptionBudget: neither minAvailable nor maxUnavailable"]);
    // ingress-nginx's memory target and unlabelled hook Jobs, from the final chart's own defaults.
    const nginx = parse(fs.readFileSync(path.join(CHARTS_DIR, "ingress-nginx", "values.yaml"), "utf8")) as Values;
    assert.equal(TRAPS["ingress-nginx"](helmMerge(nginx, { controller: { autoscaling: { enabled: true, targetCPUUtilizationPercentage: 60 } } }), "mesh").length, 2);
    assert.deepEqual(TRAPS["ingress-nginx"](helmMerge(nginx, { controller: { autoscaling: { enabled: true, targetMemoryUtilizationPercentage: null },
        admissionWebhooks: { patch: { labels: { "sidecar.istio.io/inject": "false" } } } } }), "mesh"), []);
    // A key the chart does not have is reported with its path; open maps and lists take anything.
    const chart = { controller: { autoscaling: { enabled: false, targetCPUUtilizationPercentage: 50 }, podAnnotations: {}, extraArgs: { v: 2 }, tolerations: [] } };
    assert.deepEqual(unknownValuePaths({ controller: { autoscaling: { enabled: true, targetCPUUtilisationPercentage: 60 }, podAnnotations: { a: "b" }, tolerations: [{ key: "x" }] } }, chart),
        ["controller.autoscaling.targetCPUUtilisationPercentage"]);
    assert.deepEqual(unknownValuePaths({ controller: { extraArgs: { "new-flag": true } } }, chart), ["controller.extraArgs.new-flag"]);
    assert.deepEqual(unknownValuePaths({ controller: { extraArgs: { "new-flag": true } } }, chart, ["*.extraArgs"]), []);
});

test("the chart table of docs/reference/addons.md states every add-on's pinned chart, as vendored", async () => {
    const { PROJECT_ROOT } = await import("../config");
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "reference", "addons.md"), "utf8");
    const table = readme.slice(readme.indexOf("## Chart versions"), readme.indexOf("To change a version"));
    for (const spec of Object.values(ADDONS)) {
        const source = JSON.parse(fs.readFileSync(path.join(CHARTS_DIR, spec.name, "SOURCE.json"), "utf8"));
        assert.equal(source.version, spec.chart.version, `infra/addons/charts/${spec.name}/ vendors ${source.version}, the program pins ${spec.chart.version}`);
        const row = table.split("\n").find((line) => line.startsWith(`| ${spec.name} |`));
        assert.ok(row, `${spec.name} has no row in the chart table of docs/reference/addons.md`);
        for (const cell of [source.version, source.released, source.source.split(":")[0]]) assert.ok(row.includes(cell), `${spec.name}: the docs/reference/addons.md row lacks ${cell}`);
    }
});
