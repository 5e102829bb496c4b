/**
 * Helm values checked against the chart's own `values.yaml`, the way Helm will read them: a key the chart
 * does not have is silently ignored by Helm (a setting that never takes effect), and Helm's merge of the
 * chart's defaults with ours decides what the templates render (a default we did not null survives).
 * Pure functions: the tests run them over every release the program plans, against the vendored values
 * of the pinned chart versions.
 */

export type Values = Record<string, unknown>;

const isMap = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Helm's coalescing of user values over chart defaults: maps merge key by key, lists and scalars replace,
 * and a `null` deletes the chart's default (helm/helm pkg/chart/v2/util/coalesce.go: coalesceTablesFullKey).
 */
export function helmMerge(defaults: Values, overrides: Values): Values {
    const out: Values = { ...defaults };
    for (const [key, value] of Object.entries(overrides)) {
        if (value === null) delete out[key];
        else if (isMap(value) && isMap(out[key])) out[key] = helmMerge(out[key] as Values, value);
        else out[key] = value;
    }
    return out;
}

/**
 * Keys that are Kubernetes objects the charts render whole (`toYaml`), wherever they appear: a chart's
 * default may show `requests` only, and `limits` is no less valid.
 */
export const PASS_THROUGH_KEYS: readonly string[] = ["resources"];

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
