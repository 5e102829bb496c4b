/**
 * Every Helm release the program plans, in every variant, against the chart it pins: no values path the
 * chart does not have (Helm would ignore it silently), and no PodDisruptionBudget that the merge of the
 * chart's defaults with ours leaves with both or neither of minAvailable/maxUnavailable. The charts'
 * `values.yaml` files are vendored in test/fixtures/charts/<chart>/ with SOURCE.json (repo@tag, commit).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import Ajv from "ajv";
import Ajv2020 from "ajv/dist/2020";
import { helmMerge, pdbProblems, unknownValuePaths, Values } from "../infra/addons/chartValues";
import type { PlannedStack } from "../tools/plan/planStack";
import { plan, stackValues } from "./support";

const FIXTURES = path.join(__dirname, "fixtures", "charts");

interface ChartFixture { chart: string; version: string; source: string; commit: string; defaults: Values; schema?: object }

/**
 * A vendored chart's defaults as Helm sees them: its own values.yaml, with each vendored subchart's
 * (`charts/<name>/values.yaml`) under the subchart's key, the parent's values taking precedence.
 */
function chartDefaults(dir: string): Values {
    const raw = (parse(fs.readFileSync(path.join(dir, "values.yaml"), "utf8")) ?? {}) as Values;
    // Istio's charts keep their defaults under `_internal_defaults_do_not_set`; users set the same keys at
    // the top level (istio/istio@1.30.3:manifests/charts/*/templates/zzz_profile.yaml).
    const { _internal_defaults_do_not_set: internal, ...rest } = raw;
    const own = internal ? { ...(internal as Values), ...rest } : raw;
    const subcharts = path.join(dir, "charts");
    if (!fs.existsSync(subcharts)) return own;
    const merged: Values = { ...own };
    for (const name of fs.readdirSync(subcharts).sort()) {
        if (!fs.existsSync(path.join(subcharts, name, "values.yaml"))) continue;
        merged[name] = helmMerge(chartDefaults(path.join(subcharts, name)), (own[name] ?? {}) as Values);
    }
    return merged;
}

/** Vendored charts by `<chart>@<version>` (top-level folders; subcharts are part of their parent). */
function fixtures(): Map<string, ChartFixture> {
    const found = new Map<string, ChartFixture>();
    for (const name of fs.existsSync(FIXTURES) ? fs.readdirSync(FIXTURES).sort() : []) {
        const dir = path.join(FIXTURES, name);
        const source = JSON.parse(fs.readFileSync(path.join(dir, "SOURCE.json"), "utf8"));
        const schemaFile = path.join(dir, "values.schema.json");
        const schema = fs.existsSync(schemaFile) ? JSON.parse(fs.readFileSync(schemaFile, "utf8")) : undefined;
        found.set(`${source.chart}@${source.version}`, { ...source, defaults: chartDefaults(dir), schema });
    }
    return found;
}

/** Maps each chart's templates pass through whole (any key is fine below them), with the template that does. */
const OPEN: Record<string, string[]> = {
    // templates/deployment.yaml ranges over extraArgs and renders `--key=value` for any key.
    "cluster-autoscaler": ["extraArgs"],
    // templates/poddisruptionbudget.yaml:8-13 reads maxUnavailable, which values.yaml only shows commented out.
    "reloader": ["reloader.podDisruptionBudget"],
    // templates/*poddisruptionbudget.yaml:10-14 read maxUnavailable (hasKey), which values.yaml does not list.
    "external-secrets": ["podDisruptionBudget", "webhook.podDisruptionBudget", "certController.podDisruptionBudget"],
    // grafana 12.11.1 templates/deployment.yaml:12-15 render .Values.annotations, which values.yaml:245 only comments.
    "kube-prometheus-stack": ["grafana.annotations"],
    // istiod templates/configmap.yaml merges meshConfig whole into the mesh config (MeshConfig's own schema).
    "istiod": ["meshConfig"],
    // kiali-server templates/configmap.yaml:21-41 writes all values into Kiali's config (its own schema).
    "kiali-server": ["external_services"],
    // jaeger 4.11.1 templates/jaeger/jaeger-deploy.yaml:106-109 read jaeger.resources (values.yaml:231-237 comments it).
    "jaeger": ["jaeger.resources"],
};

const chartName = (chart: string) => chart.split("/").pop()!;
const ajv = new Ajv({ strict: false, allErrors: true });
const ajv2020 = new Ajv2020({ strict: false, allErrors: true });
/** A validator for the schema's own draft (external-secrets declares 2020-12; the others draft-07 or none). */
const compile = (schema: { $schema?: string }) => (String(schema.$schema ?? "").includes("2020-12") ? ajv2020 : ajv).compile(schema);

interface Release { variant: string; chart: string; version: string; values: Values }

let planned: Promise<Release[]> | undefined;
/** The releases of the four variants, planned once for the file. */
function releasesOfEveryVariant(): Promise<Release[]> {
    planned ??= planVariants();
    return planned;
}

async function planVariants(): Promise<Release[]> {
    const variants: Array<[string, string, (v: Record<string, any>) => void]> = [
        ["dev", "dev", () => {}],
        ["prod", "prod", () => {}],
        ["karpenter", "dev", (v) => { v["eks-delivery:nodes"].autoscaler = "karpenter"; }],
        ["mesh", "dev", (v) => { v["eks-delivery:mesh"] = { enabled: true }; }],
    ];
    const releases: Release[] = [];
    for (const [variant, stack, patch] of variants) {
        const values = stackValues(stack);
        patch(values as Record<string, any>);
        const result: PlannedStack = await plan(values, stack);
        for (const r of result.plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release")) {
            releases.push({ variant, chart: chartName(String(r.inputs.chart)), version: String(r.inputs.version), values: (r.inputs.values ?? {}) as Values });
        }
    }
    return releases;
}

/**
 * Charts whose values at the pinned version are not vendored yet (issue 11 moves every chart to its
 * latest release and vendors it then). The test fails when one of these gains a fixture, or when a
 * release of a chart outside this list has none.
 */
const NOT_YET_VENDORED = ["cert-manager"];

test("every release's values exist in its chart, and every PDB gets exactly one of minAvailable/maxUnavailable", async () => {
    const vendored = fixtures();
    const releases = await releasesOfEveryVariant();
    const problems: string[] = [];
    const pending = new Set<string>();
    for (const r of releases) {
        const fixture = vendored.get(`${r.chart}@${r.version}`);
        if (!fixture) {
            if (NOT_YET_VENDORED.includes(r.chart)) pending.add(r.chart);
            else problems.push(`${r.variant}: ${r.chart}@${r.version} has no vendored values (test/fixtures/charts/)`);
            continue;
        }
        assert.ok(!NOT_YET_VENDORED.includes(r.chart), `${r.chart} is vendored now: take it off NOT_YET_VENDORED`);
        for (const p of unknownValuePaths(r.values, fixture.defaults, OPEN[r.chart] ?? [])) problems.push(`${r.variant}: ${r.chart}@${r.version}: ${p} is not in the chart's values.yaml (${fixture.source})`);
        const merged = helmMerge(fixture.defaults, r.values);
        // Helm validates the merged values against the chart's values.schema.json and refuses to install.
        if (fixture.schema) {
            const validate = compile(fixture.schema);
            if (!validate(merged)) for (const e of validate.errors ?? []) problems.push(`${r.variant}: ${r.chart}@${r.version}: values.schema.json: ${e.instancePath || "/"} ${e.message}`);
        }
        for (const p of pdbProblems(merged)) problems.push(`${r.variant}: ${r.chart}@${r.version}: ${p}`);
        for (const p of TRAPS[r.chart]?.(merged, r.variant) ?? []) problems.push(`${r.variant}: ${r.chart}@${r.version}: ${p}`);
    }
    assert.deepEqual(problems, []);
    for (const chart of NOT_YET_VENDORED) assert.ok(pending.has(chart), `${chart} on NOT_YET_VENDORED is released by no variant: drop it`);
    assert.ok(releases.some((r) => vendored.has(`${r.chart}@${r.version}`)), "at least one release is checked");
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
    const schema = JSON.parse(fs.readFileSync(path.join(FIXTURES, "reloader", "values.schema.json"), "utf8"));
    const defaults = parse(fs.readFileSync(path.join(FIXTURES, "reloader", "values.yaml"), "utf8")) as Values;
    const validate = compile(schema);
    assert.equal(validate(helmMerge(defaults, { reloader: { reloadStrategy: "annotations" } })), true);
    assert.equal(validate(helmMerge(defaults, { reloader: { reloadStrategy: "sometimes" } })), false, "an enum the chart does not accept");
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
    const nginx = parse(fs.readFileSync(path.join(FIXTURES, "ingress-nginx", "values.yaml"), "utf8")) as Values;
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

test("the README's chart table states every vendored chart the program pins", async () => {
    const { PROJECT_ROOT } = await import("../config");
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("### Chart versions"), readme.indexOf("To change a version"));
    const pinned = new Set((await releasesOfEveryVariant()).map((r) => `${r.chart}@${r.version}`));
    const vendored = [...fixtures().values()].filter((f) => pinned.has(`${f.chart}@${f.version}`));
    assert.ok(vendored.length >= 9);
    for (const f of vendored) {
        const source = JSON.parse(fs.readFileSync(path.join(FIXTURES, fs.readdirSync(FIXTURES).find((d) =>
            JSON.parse(fs.readFileSync(path.join(FIXTURES, d, "SOURCE.json"), "utf8")).chart === f.chart)!, "SOURCE.json"), "utf8"));
        const row = table.split("\n").find((line) => line.startsWith(`| ${f.chart} |`));
        assert.ok(row, `${f.chart} has no row in the README's chart table`);
        for (const cell of [source.version, source.released, source.source.split(":")[0]]) assert.ok(row.includes(cell), `${f.chart}: the README row lacks ${cell}`);
    }
});
