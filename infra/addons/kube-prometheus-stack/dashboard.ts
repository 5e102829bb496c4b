/**
 * The Grafana dashboard the platform ships: per-pod CPU and memory against what the pod requested
 * and may use. Requests are what HPAs and the scheduler reason with; limits are where CPU throttles
 * and memory OOM-kills. Usage far above requests means the HPA target lies, near the memory limit an
 * OOM kill is coming.
 */

/** Matches the dashboard's namespace and pod variables. */
const POD = 'namespace=~"$namespace", pod=~"$pod"';
/** cAdvisor also reports the pod's own cgroup (container="") and the pause container: not workloads. */
const CONTAINERS = 'container!="", container!="POD"';

const byPod = (expr: string) => `sum by (namespace, pod) (${expr})`;

/** The PromQL behind every panel, by namespace and pod. */
export const POD_QUERIES = {
    cpuUsage: byPod(`rate(container_cpu_usage_seconds_total{${POD}, ${CONTAINERS}}[$__rate_interval])`),
    cpuRequests: byPod(`kube_pod_container_resource_requests{${POD}, resource="cpu"}`),
    cpuLimits: byPod(`kube_pod_container_resource_limits{${POD}, resource="cpu"}`),
    memoryUsage: byPod(`container_memory_working_set_bytes{${POD}, ${CONTAINERS}}`),
    memoryRequests: byPod(`kube_pod_container_resource_requests{${POD}, resource="memory"}`),
    memoryLimits: byPod(`kube_pod_container_resource_limits{${POD}, resource="memory"}`),
} as const;

interface Target {
    refId: string;
    expr: string;
    legendFormat: string;
}

interface GridPos {
    x: number;
    y: number;
    w: number;
    h: number;
}

const datasource = { type: "prometheus", uid: "${datasource}" };

function target(refId: string, expr: string, what: string): Target {
    return { refId, expr, legendFormat: `{{namespace}}/{{pod}} ${what}` };
}

/** Usage as a line, requests dashed, limits dotted: the gap between them is the point of the panel. */
function timeseries(id: number, title: string, description: string, unit: string, gridPos: GridPos, targets: Target[]) {
    const style = (match: string, dash: number[]) => ({
        matcher: { id: "byRegexp", options: `.* ${match}$` },
        properties: [{ id: "custom.lineStyle", value: { fill: "dash", dash } }],
    });
    return {
        id,
        type: "timeseries",
        title,
        description,
        datasource,
        gridPos,
        fieldConfig: {
            defaults: { unit, min: 0, custom: { lineWidth: 1, fillOpacity: 0, showPoints: "never" } },
            overrides: [style("request", [10, 10]), style("limit", [2, 4])],
        },
        options: {
            legend: { displayMode: "table", placement: "right", calcs: ["max", "lastNotNull"] },
            tooltip: { mode: "multi", sort: "desc" },
        },
        targets,
    };
}

/** Ratio per pod, worst first, with thresholds where attention is due. */
function ratio(id: number, title: string, description: string, gridPos: GridPos, expr: string, warn: number, bad: number) {
    return {
        id,
        type: "bargauge",
        title,
        description,
        datasource,
        gridPos,
        fieldConfig: {
            defaults: {
                unit: "percent",
                min: 0,
                thresholds: { mode: "absolute", steps: [{ color: "green", value: null }, { color: "orange", value: warn }, { color: "red", value: bad }] },
            },
            overrides: [],
        },
        options: { orientation: "horizontal", displayMode: "gradient", reduceOptions: { calcs: ["lastNotNull"], values: false } },
        targets: [{ refId: "A", expr: `sort_desc(100 * ${expr})`, legendFormat: "{{namespace}}/{{pod}}", instant: true }],
    };
}

const q = POD_QUERIES;

export const POD_RESOURCES_DASHBOARD = {
    uid: "eks-delivery-pod-resources",
    title: "Pod resources: usage against requests and limits",
    tags: ["eks-delivery", "kubernetes", "resources"],
    editable: false,
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-3h", to: "now" },
    timezone: "browser",
    templating: {
        list: [
            { name: "datasource", label: "Data source", type: "datasource", query: "prometheus", current: {}, hide: 0 },
            {
                name: "namespace", label: "Namespace", type: "query", datasource,
                query: { query: "label_values(kube_pod_info, namespace)", refId: "namespace" },
                refresh: 2, includeAll: true, multi: true, allValue: ".+", current: {}, sort: 1,
            },
            {
                name: "pod", label: "Pod", type: "query", datasource,
                query: { query: 'label_values(kube_pod_info{namespace=~"$namespace"}, pod)', refId: "pod" },
                refresh: 2, includeAll: true, multi: true, allValue: ".+", current: {}, sort: 1,
            },
        ],
    },
    panels: [
        timeseries(1, "CPU: usage, requests, limits", "Cores per pod. Pods without a CPU limit (the default here) show no limit line.", "cores",
            { x: 0, y: 0, w: 24, h: 10 },
            [target("A", q.cpuUsage, "usage"), target("B", q.cpuRequests, "request"), target("C", q.cpuLimits, "limit")]),
        timeseries(2, "Memory: working set, requests, limits", "Working set is what the OOM killer compares with the limit.", "bytes",
            { x: 0, y: 10, w: 24, h: 10 },
            [target("A", q.memoryUsage, "usage"), target("B", q.memoryRequests, "request"), target("C", q.memoryLimits, "limit")]),
        ratio(3, "CPU usage / request", "Far above 100%: the pod lives on spare node CPU and the HPA target is misleading.",
            { x: 0, y: 20, w: 12, h: 10 }, `(${q.cpuUsage}) / (${q.cpuRequests})`, 80, 150),
        ratio(4, "Memory working set / limit", "Close to 100%: the next spike is an OOM kill.",
            { x: 12, y: 20, w: 12, h: 10 }, `(${q.memoryUsage}) / (${q.memoryLimits})`, 80, 90),
    ],
};
