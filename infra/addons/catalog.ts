/**
 * Every add-on the program can install, which of them a stack installs, and the checks of a stack's
 * `eks-delivery:addons` entries against them: a toggle the platform cannot do without, an entry for an
 * add-on the stack does not install, and override values the pinned chart does not have. Run with the
 * config validation, before anything is planned (index.ts passes `addonConfigProblems` to loadStackConfig).
 */
import { type AddonName, type ConfigCheck, type StackConfig, ADDON_NAMES, nearest, showValue } from "../../config";
import { type AddonSpec, chartName } from "./addon";
import { helmMerge, isMap, mergedValuesProblems, unknownValuePaths, valueAt, Values, vendoredChart } from "./chartValues";
import { METRICS_SERVER } from "./metrics-server";
import { AWS_LOAD_BALANCER_CONTROLLER } from "./aws-load-balancer-controller";
import { EXTERNAL_DNS } from "./external-dns";
import { CERT_MANAGER } from "./cert-manager";
import { EXTERNAL_SECRETS } from "./external-secrets";
import { RELOADER } from "./reloader";
import { CLUSTER_AUTOSCALER } from "./cluster-autoscaler";
import { KARPENTER } from "./karpenter";
import { KUBE_PROMETHEUS_STACK } from "./kube-prometheus-stack";
import { INGRESS_NGINX } from "./ingress-nginx";
import { ISTIO_BASE, ISTIO_CNI, ISTIOD, JAEGER_SPEC, KIALI } from "./mesh";

export const ADDONS: Readonly<Record<AddonName, AddonSpec>> = {
    "metrics-server": METRICS_SERVER,
    "aws-load-balancer-controller": AWS_LOAD_BALANCER_CONTROLLER,
    "external-dns": EXTERNAL_DNS,
    "cert-manager": CERT_MANAGER,
    "external-secrets": EXTERNAL_SECRETS,
    "reloader": RELOADER,
    "cluster-autoscaler": CLUSTER_AUTOSCALER,
    "karpenter": KARPENTER,
    "kube-prometheus-stack": KUBE_PROMETHEUS_STACK,
    "ingress-nginx": INGRESS_NGINX,
    "istio-base": ISTIO_BASE,
    "istio-cni": ISTIO_CNI,
    "istiod": ISTIOD,
    "kiali": KIALI,
    "jaeger": JAEGER_SPEC,
};

/** Why the stack's settings leave an add-on out, or undefined when they call for it (toggles aside). */
export function notCalledFor(name: AddonName, config: StackConfig): string | undefined {
    const nginx = config.ingress.controller === "nginx";
    switch (name) {
        case "external-dns": return config.dns ? undefined : "it publishes hosts under eks-delivery:dns.zone, which is not set";
        case "cert-manager": return !nginx ? "only ingress-nginx uses it (eks-delivery:ingress.controller is gateway)" : config.dns ? undefined : "it issues certificates under eks-delivery:dns.zone, which is not set";
        case "ingress-nginx": return nginx ? undefined : "eks-delivery:ingress.controller is gateway";
        case "cluster-autoscaler":
        case "karpenter": return config.nodes.autoscaler === name ? undefined : `eks-delivery:nodes.autoscaler is ${showValue(config.nodes.autoscaler)}`;
        case "istio-base": case "istio-cni": case "istiod": case "jaeger":
            return config.mesh.enabled ? undefined : "eks-delivery:mesh.enabled is false";
        case "kiali":
            if (!config.mesh.enabled) return "eks-delivery:mesh.enabled is false";
            return config.addons["kube-prometheus-stack"]?.enabled === false ? "it reads Prometheus, which eks-delivery:addons.kube-prometheus-stack turns off" : undefined;
        default: return undefined;
    }
}

/** The add-ons this stack installs, in the catalog's order. */
export function installedAddons(config: StackConfig): AddonName[] {
    return ADDON_NAMES.filter((name) => notCalledFor(name, config) === undefined && config.addons[name]?.enabled !== false);
}

/** The keys the chart has beside a bad one, for "did you mean". */
function siblings(defaults: Values, dotted: string): string[] {
    const above = dotted.split(".").slice(0, -1);
    const parent = above.length ? valueAt(defaults, above.join(".")) : defaults;
    return isMap(parent) ? Object.keys(parent) : [];
}

/** The paths an override sets: its leaves (scalars, lists, nulls, empty maps), since maps merge key by key. */
function leafPaths(values: Values, prefix = ""): string[] {
    return Object.entries(values).flatMap(([key, value]) => {
        const path = prefix ? `${prefix}.${key}` : key;
        return isMap(value) && Object.keys(value).length > 0 ? leafPaths(value, path) : [path];
    });
}

/** Problems with the stack's `eks-delivery:addons` entries, located (`eks-delivery:addons.<name>...`). */
export function addonConfigProblems(config: StackConfig): string[] {
    const problems: string[] = [];
    for (const name of ADDON_NAMES) {
        const entry = config.addons[name];
        if (!entry) continue;
        const spec = ADDONS[name];
        const at = `eks-delivery:addons.${name}`;
        const absent = notCalledFor(name, config);
        if (absent) {
            // Turning off what is not installed changes nothing; anything else would be ignored silently.
            if (entry.enabled !== false || entry.values) problems.push(`${at}: is not installed by this stack: ${absent}`);
            continue;
        }
        if (entry.enabled === false && spec.required) problems.push(`${at}.enabled: false is not possible: ${spec.required}`);
        if (!entry.values) continue;
        const chart = vendoredChart(spec.name, spec.chart.version);
        if (!chart) {
            problems.push(`${at}.values: chart ${spec.chart.chart} ${spec.chart.version} has no vendored values (infra/addons/charts/) to check them against`);
            continue;
        }
        for (const path of unknownValuePaths(entry.values, chart.defaults, spec.openValues ?? [])) {
            const guess = nearest(path.split(".").pop()!, siblings(chart.defaults, path));
            problems.push(`${at}.values.${path}: is not a value of chart ${chartName(spec.chart)} ${spec.chart.version} (${chart.source})${guess ? ` (did you mean ${guess}?)` : ""}`);
        }
        for (const [reserved, why] of Object.entries(spec.reservedValues ?? {})) {
            const touched = leafPaths(entry.values).find((p) => p === reserved || p.startsWith(`${reserved}.`) || reserved.startsWith(`${p}.`));
            if (touched) problems.push(`${at}.values.${touched}: is set by the program, not by a stack: ${why}`);
        }
        for (const [mapPath, keys] of Object.entries(spec.knownKeys ?? {})) {
            const map = valueAt(entry.values, mapPath);
            for (const key of isMap(map) ? Object.keys(map) : []) {
                if (keys.includes(key)) continue;
                const guess = nearest(key, keys);
                problems.push(`${at}.values.${mapPath}.${key}: is not one the application knows${guess ? ` (did you mean ${guess}?)` : ""}`);
            }
        }
        for (const p of mergedValuesProblems(chart, helmMerge(chart.defaults, entry.values))) problems.push(`${at}.values.${p}`);
    }
    return problems;
}

/** The add-on overrides checked with the rest of the config (config/schema.ts ConfigCheck): what notCalledFor reads. */
export const addonConfigCheck: ConfigCheck = { reads: ["addons", "ingress", "dns", "nodes.autoscaler", "mesh"], problems: (config) => addonConfigProblems(config) };
