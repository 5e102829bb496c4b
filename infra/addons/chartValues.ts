/**
 * Helm values checked against the chart's own `values.yaml`, the way Helm will read them: a key the chart
 * does not have is silently ignored by Helm (a setting that never takes effect), and Helm's merge of the
 * chart's defaults with ours decides what the templates render (a default we did not null survives).
 * The program checks a stack's `eks-delivery:addons` overrides with them before anything is planned, and
 * the tests run them over every release of every variant, against the vendored values of the pinned charts.
 */

import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import Ajv, { type ValidateFunction } from "ajv";
import Ajv2020 from "ajv/dist/2020";
import { parsedOnce } from "./manifests";

export type Values = Record<string, unknown>;

/** A plain mapping (not a list, and not a Pulumi Output or other class instance, which are leaves). */
export const isMap = (v: unknown): v is Values => typeof v === "object" && v !== null && [Object.prototype, null].includes(Object.getPrototypeOf(v));

/**
 * Helm's coalescing of user values over chart defaults: maps merge key by key, lists and scalars replace,
 * and a `null` deletes the chart's default (helm/helm@v3.20.2:pkg/chartutil/coalesce.go:278-308, the Helm
 * that pulumi-kubernetes builds on: pulumi/pulumi-kubernetes@v4.32.0:provider/go.mod:30).
 */
export function helmMerge(defaults: Values, overrides: Values): Values {
    return merge(defaults, overrides, "delete");
}

/**
 * The stack's overrides over the program's values, as the release gets them: the same merge, but a
 * `null` stays `null`, so that Helm deletes the chart's default too (merging it away here would hand
 * Helm no key, and the chart's default would come back). The provider passes nulls on since 4.30
 * (pulumi/pulumi-kubernetes@v4.32.0:CHANGELOG.md:45, #2997).
 */
export function overlay(values: Values, overrides: Values): Values {
    return merge(values, overrides, "keep");
}

function merge(base: Values, overrides: Values, nulls: "delete" | "keep"): Values {
    const out: Values = { ...base };
    for (const [key, value] of Object.entries(overrides)) {
        if (value === null && nulls === "delete") delete out[key];
        else if (isMap(value) && isMap(out[key])) out[key] = merge(out[key] as Values, value, nulls);
        else out[key] = value;
    }
    return out;
}

/** Reads a dotted values path (undefined where the path leaves the maps). */
export function valueAt(values: Values, dotted: string): unknown {
    return dotted.split(".").reduce<unknown>((v, key) => (isMap(v) ? v[key] : undefined), values);
}

/**
 * Keys that are Kubernetes objects (or config files) the charts render whole (`toYaml`), wherever they
 * appear: a chart's default may show `requests` only, and `limits` is no less valid; Grafana renders
 * `grafana.ini` section by section (grafana chart values.yaml:959).
 */
export const PASS_THROUGH_KEYS: readonly string[] = ["resources", "securityContext", "podSecurityContext", "containerSecurityContext", "grafana.ini"];

/**
 * Paths of `values` that the chart's defaults do not have. Below a key whose default is an empty map or
 * any list, or a path listed in `open` (maps the templates pass through: annotations, extraArgs, ...),
 * anything goes. `open` entries may use `*` for one path segment.
 */
export function unknownValuePaths(values: Values, defaults: Values, open: readonly string[] = [], prefix = ""): string[] {
    const unknown: string[] = [];
    for (const [key, value] of Object.entries(values)) {
        const path = prefix ? `${prefix}.${key}` : key;
        if (PASS_THROUGH_KEYS.includes(key) || open.some((pattern) => matches(pattern, path))) continue;
        if (!(key in defaults)) {
            unknown.push(path);
            continue;
        }
        const fallback = defaults[key];
        if (isMap(value) && isMap(fallback) && Object.keys(fallback).length > 0) {
            unknown.push(...unknownValuePaths(value, fallback, open, path));
        }
    }
    return unknown;
}

function matches(pattern: string, path: string): boolean {
    const a = pattern.split(".");
    const b = path.split(".");
    return a.length <= b.length && a.every((segment, i) => segment === "*" || segment === b[i]);
}

/**
 * Every PodDisruptionBudget block of the merged values that is enabled must give exactly one of
 * minAvailable and maxUnavailable: both is rejected by the API server (so an atomic install rolls back),
 * neither renders a PDB that allows no eviction at all (drains, upgrades and scale-in hang).
 */
export function pdbProblems(merged: Values, prefix = ""): string[] {
    const problems: string[] = [];
    for (const [key, value] of Object.entries(merged)) {
        if (!isMap(value)) continue;
        const path = prefix ? `${prefix}.${key}` : key;
        if (/^(podDisruptionBudget|pdb)$/.test(key) && value.enabled !== false && ("enabled" in value || "minAvailable" in value || "maxUnavailable" in value)) {
            const set = ["minAvailable", "maxUnavailable"].filter((field) => value[field] !== undefined && value[field] !== null && value[field] !== "");
            if (set.length !== 1) problems.push(`${path}: ${set.length === 0 ? "neither minAvailable nor maxUnavailable" : "both minAvailable and maxUnavailable"}`);
        }
        problems.push(...pdbProblems(value, path));
    }
    return problems;
}

/** Where each pinned chart's own `values.yaml` (and `values.schema.json`) is vendored, with SOURCE.json. */
export const CHARTS_DIR = path.join(__dirname, "charts");

/** A vendored chart: its defaults as Helm sees them, its schema if it has one, and where it came from. */
export interface VendoredChart {
    chart: string;
    version: string;
    /** `owner/repo@tag:path` of the values.yaml. */
    source: string;
    defaults: Values;
    schema?: object;
}

/**
 * A vendored chart's defaults as Helm sees them: its own values.yaml, with each vendored subchart's
 * (`charts/<name>/values.yaml`) under the subchart's key, the parent's values taking precedence.
 */
export function chartDefaults(dir: string): Values {
    const file = path.join(dir, "values.yaml");
    const raw = parsedOnce(file, () => (parse(fs.readFileSync(file, "utf8")) ?? {}) as Values);
    // Istio's charts keep their defaults under `_internal_defaults_do_not_set`; users set the same keys at
    // the top level (istio/istio@1.30.3:manifests/charts/*/templates/zzz_profile.yaml).
    const { _internal_defaults_do_not_set: internal, ...rest } = raw;
    const own = isMap(internal) ? { ...internal, ...rest } : raw;
    const subcharts = path.join(dir, "charts");
    if (!fs.existsSync(subcharts)) return own;
    const merged: Values = { ...own };
    for (const name of fs.readdirSync(subcharts).sort()) {
        if (!fs.existsSync(path.join(subcharts, name, "values.yaml"))) continue;
        merged[name] = helmMerge(chartDefaults(path.join(subcharts, name)), (own[name] ?? {}) as Values);
    }
    return merged;
}

const loaded = new Map<string, VendoredChart | undefined>();

/**
 * The chart vendored for an add-on (folder `charts/<add-on name>/`), if it is the pinned version: a stale
 * folder after a version bump reads as not vendored, never as the wrong chart.
 */
export function vendoredChart(addon: string, version: string): VendoredChart | undefined {
    const key = `${addon}@${version}`;
    if (!loaded.has(key)) {
        const dir = path.join(CHARTS_DIR, addon);
        const sourceFile = path.join(dir, "SOURCE.json");
        const source = fs.existsSync(sourceFile) ? JSON.parse(fs.readFileSync(sourceFile, "utf8")) : undefined;
        const schemaFile = path.join(dir, "values.schema.json");
        loaded.set(key, source?.version === version ? {
            chart: source.chart, version, source: source.source, defaults: chartDefaults(dir),
            schema: fs.existsSync(schemaFile) ? JSON.parse(fs.readFileSync(schemaFile, "utf8")) : undefined,
        } : undefined);
    }
    return loaded.get(key);
}

const validators = new Map<object, ValidateFunction>();
/** A validator for the schema's own draft (external-secrets declares 2020-12; the others draft-07 or none). */
function validatorOf(schema: { $schema?: string }): ValidateFunction {
    let validate = validators.get(schema);
    if (!validate) {
        const ajv = String(schema.$schema ?? "").includes("2020-12") ? new Ajv2020({ strict: false, allErrors: true }) : new Ajv({ strict: false, allErrors: true });
        validate = ajv.compile(schema);
        validators.set(schema, validate);
    }
    return validate;
}

/** What Helm's install would do with these values: refuse them (schema), or render a bad PDB. */
export function mergedValuesProblems(chart: VendoredChart, merged: Values): string[] {
    const problems: string[] = [];
    if (chart.schema) {
        const validate = validatorOf(chart.schema);
        if (!validate(merged)) {
            for (const e of validate.errors ?? []) problems.push(`${e.instancePath.slice(1).replace(/\//g, ".") || "(values)"} ${e.message} (values.schema.json)`);
        }
    }
    problems.push(...pdbProblems(merged));
    return problems;
}

/**
 * Values as a check sees them before Pulumi resolves them: an Output (a VPC id, a zone id) stands in as
 * the string it will become.
 */
export function withOutputsAsText(values: unknown): unknown {
    if (Array.isArray(values)) return values.map(withOutputsAsText);
    if (isMap(values)) return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, withOutputsAsText(v)]));
    return typeof values === "object" && values !== null ? "(computed)" : values;
}
