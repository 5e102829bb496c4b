import * as k8s from "@pulumi/kubernetes";
import { PLATFORM } from "../../platform";
import type { AddonContext } from "../context";
import { Addon, AddonOptions, AddonSpec, resources, spreadConstraints, Workload } from "../addon";
import { POD_RESOURCES_DASHBOARD } from "./dashboard";

/**
 * prometheus-community/helm-charts@kube-prometheus-stack-88.5.3 (2026-08-21; prometheus-operator v0.93.1,
 * grafana subchart 12.11.1). Helm installs the chart's CRDs on the first install only: an existing release
 * needs the new CRDs applied before this upgrade (the chart's UPGRADE.md).
 */
export const KUBE_PROMETHEUS_STACK: AddonSpec = {
    name: "kube-prometheus-stack",
    chart: { chart: "kube-prometheus-stack", version: "88.5.3", repo: "https://prometheus-community.github.io/helm-charts" },
    namespace: PLATFORM.monitoringNamespace,
    // grafana 12.11.1 templates/deployment.yaml:12-15 render .Values.annotations, which values.yaml:245 only comments.
    openValues: ["grafana.annotations"],
    reservedValues: { fullnameOverride: "Kiali and the alerts reach Prometheus by the names it gives (PROMETHEUS_URL)" },
    previously: { type: "eks-delivery:addons:Monitoring", name: "monitoring" },
};

/** Pinned so the chart's object names (and the URLs below) do not depend on the release name. */
const FULLNAME = "kube-prometheus-stack";
/** The Prometheus custom resource the chart creates; its pods carry `prometheus: <this>`. */
const PROMETHEUS = `${FULLNAME}-prometheus`;
const ALERTMANAGER = `${FULLNAME}-alertmanager`;

/** In-cluster Prometheus API, for Kiali and anything else that queries metrics. */
export const PROMETHEUS_URL = `http://${PROMETHEUS}.${PLATFORM.monitoringNamespace}.svc.cluster.local:9090`;

/** The Secret external-secrets writes and Grafana reads its admin login from. */
export const GRAFANA_ADMIN_SECRET = "grafana-admin";

/** Node CPU alert threshold when the stack sets no target (cluster-autoscaler and Karpenter modes). */
export const DEFAULT_NODE_CPU_TARGET = 70;

/** The alerts of the platform's PrometheusRule. */
export const ALERTS = {
    oomKilled: "ContainerOOMKilled",
    crashLoop: "ContainerCrashLoopBackOff",
    hpaAtMax: "HpaAtMaxReplicas",
    nodeCpu: "NodeCpuAboveTarget",
} as const;

type Resources = ReturnType<typeof resources>;

const NON_ROOT = { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 2000, fsGroup: 2000, seccompProfile: { type: "RuntimeDefault" } };

export type KubePrometheusStackValues = {
    fullnameOverride: string;
    defaultRules: { create: boolean };
    prometheus: {
        prometheusSpec: {
            replicas: number;
            retention: string;
            retentionSize: string;
            storageSpec: {
                volumeClaimTemplate: { spec: { storageClassName: string; accessModes: string[]; resources: { requests: { storage: string } } } };
            };
            resources: Resources;
            serviceMonitorSelectorNilUsesHelmValues: boolean;
            podMonitorSelectorNilUsesHelmValues: boolean;
            ruleSelectorNilUsesHelmValues: boolean;
            topologySpreadConstraints: ReturnType<typeof spreadConstraints>;
            securityContext: typeof NON_ROOT;
        };
    };
    alertmanager: {
        alertmanagerSpec: {
            replicas: number;
            resources: Resources;
            topologySpreadConstraints: ReturnType<typeof spreadConstraints>;
            securityContext: typeof NON_ROOT;
        };
    };
    grafana: {
        replicas: number;
        resources: Resources;
        admin: { existingSecret: string; userKey: string; passwordKey: string };
        annotations: Record<string, string>;
        sidecar: {
            resources: Resources;
            dashboards: { enabled: boolean; label: string; labelValue: string; searchNamespace: string };
        };
    };
    prometheusOperator: { resources: Resources; prometheusConfigReloader: { resources: Resources } };
    "kube-state-metrics": { resources: Resources };
    "prometheus-node-exporter": { resources: Resources };
};

export interface PrometheusStorage {
    retentionDays: number;
    storageGiB: number;
    /** The StorageClass of the volumes (EBS gp3, infra/storage.ts). */
    storageClass: string;
}

/** The chart's values: HA Prometheus and Alertmanager, one Grafana, every pod with requests and a memory limit. */
export function kubePrometheusStackValues(storage: PrometheusStorage): KubePrometheusStackValues {
    return {
        fullnameOverride: FULLNAME,
        defaultRules: { create: true },
        prometheus: {
            prometheusSpec: {
                replicas: 2,
                retention: `${storage.retentionDays}d`,
                // A volume per replica that outlives the pod (a restart keeps the data); Prometheus deletes
                // the oldest blocks before the volume fills (85 %: the WAL and compaction need headroom).
                retentionSize: `${Math.floor(storage.storageGiB * 0.85)}GB`,
                storageSpec: {
                    volumeClaimTemplate: {
                        spec: { storageClassName: storage.storageClass, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${storage.storageGiB}Gi` } } },
                    },
                },
                resources: resources("500m", "2Gi", "4Gi"),
                // Pick up every ServiceMonitor, PodMonitor and PrometheusRule, not only the chart's own.
                serviceMonitorSelectorNilUsesHelmValues: false,
                podMonitorSelectorNilUsesHelmValues: false,
                ruleSelectorNilUsesHelmValues: false,
                topologySpreadConstraints: spreadConstraints({ "app.kubernetes.io/name": "prometheus", prometheus: PROMETHEUS }),
                securityContext: NON_ROOT,
            },
        },
        alertmanager: {
            alertmanagerSpec: {
                replicas: 2,
                resources: resources("50m", "128Mi", "256Mi"),
                topologySpreadConstraints: spreadConstraints({ "app.kubernetes.io/name": "alertmanager", alertmanager: ALERTMANAGER }),
                securityContext: NON_ROOT,
            },
        },
        grafana: {
            // One replica: each pod keeps its own SQLite database (persistence is off), so two replicas behind
            // one Service log users out at random. Dashboards, data sources and the admin are provisioned.
            replicas: 1,
            resources: resources("100m", "256Mi", "512Mi"),
            // The login comes from the Secret external-secrets writes: no password in values or state.
            admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: "admin-user", passwordKey: "admin-password" },
            // A rotated password reaches Grafana through a rollout.
            annotations: { "secret.reloader.stakater.com/reload": GRAFANA_ADMIN_SECRET },
            sidecar: {
                resources: resources("50m", "64Mi", "128Mi"),
                // Dashboards are ConfigMaps with this label, in any namespace (services may ship their own).
                dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" },
            },
        },
        prometheusOperator: {
            resources: resources("100m", "128Mi", "256Mi"),
            // The config-reloader sidecar of every Prometheus and Alertmanager pod: the chart sets no requests (values.yaml:3561).
            prometheusConfigReloader: { resources: resources("10m", "32Mi", "64Mi") },
        },
        "kube-state-metrics": { resources: resources("50m", "128Mi", "256Mi") },
        "prometheus-node-exporter": { resources: resources("50m", "32Mi", "64Mi") },
    };
}

export interface AlertRule {
    alert: string;
    expr: string;
    for: string;
    labels: { severity: "warning" | "critical" };
    annotations: { summary: string; description: string };
}

/** The platform's alerts: the failures the seeds only noticed from users. */
export function alertRules(nodeCpuTargetPercent: number): AlertRule[] {
    return [
        {
            alert: ALERTS.oomKilled,
            // last_terminated_reason stays 1 long after the kill; only a recent restart makes it news.
            expr: "(kube_pod_container_status_restarts_total - kube_pod_container_status_restarts_total offset 10m >= 1)"
                + ' and ignoring (reason) min_over_time(kube_pod_container_status_last_terminated_reason{reason="OOMKilled"}[10m]) == 1',
            for: "0m",
            labels: { severity: "warning" },
            annotations: {
                summary: "Container OOM-killed",
                description: "{{ $labels.namespace }}/{{ $labels.pod }} container {{ $labels.container }} was killed for exceeding its memory limit in the last 10 minutes.",
            },
        },
        {
            alert: ALERTS.crashLoop,
            expr: 'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1',
            for: "15m",
            labels: { severity: "critical" },
            annotations: {
                summary: "Container crash-looping",
                description: "{{ $labels.namespace }}/{{ $labels.pod }} container {{ $labels.container }} has been in CrashLoopBackOff for 15 minutes.",
            },
        },
        {
            alert: ALERTS.hpaAtMax,
            // An HPA whose min equals its max is always "at max": not news.
            expr: "kube_horizontalpodautoscaler_status_current_replicas >= kube_horizontalpodautoscaler_spec_max_replicas"
                + " and on (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_spec_max_replicas > kube_horizontalpodautoscaler_spec_min_replicas)",
            for: "15m",
            labels: { severity: "warning" },
            annotations: {
                summary: "HPA at its maximum replicas",
                description: "{{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }} has run at maxReplicas for 15 minutes: load beyond it is not absorbed.",
            },
        },
        {
            alert: ALERTS.nodeCpu,
            expr: `100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))) > ${nodeCpuTargetPercent}`,
            for: "15m",
            labels: { severity: "warning" },
            annotations: {
                summary: `Node CPU above ${nodeCpuTargetPercent}%`,
                description: `{{ $labels.instance }} has used more than ${nodeCpuTargetPercent}% CPU for 15 minutes ({{ $value | humanize }}%): the node group is not scaling out.`,
            },
        },
    ];
}

/**
 * The pods the chart renders with these values (templates of kube-prometheus-stack 88.5.3 and its
 * subcharts): Prometheus and Alertmanager are StatefulSets the operator creates, with a config-reloader
 * sidecar each (prometheusOperator.prometheusConfigReloader.resources); node-exporter runs on every node.
 */
export const MONITORING_WORKLOADS = [
    { workload: "monitoring/prometheus-kube-prometheus-stack-prometheus", kind: "StatefulSet", replicas: "prometheus.prometheusSpec.replicas",
        containers: ["prometheus.prometheusSpec.resources", "prometheusOperator.prometheusConfigReloader.resources"] },
    { workload: "monitoring/alertmanager-kube-prometheus-stack-alertmanager", kind: "StatefulSet", replicas: "alertmanager.alertmanagerSpec.replicas",
        containers: ["alertmanager.alertmanagerSpec.resources", "prometheusOperator.prometheusConfigReloader.resources"] },
    { workload: "monitoring/kube-prometheus-stack-grafana", kind: "Deployment", replicas: "grafana.replicas", surge: 1,
        // Two sidecars (dashboards and datasources) share grafana.sidecar.resources (grafana templates/_pod.tpl).
        containers: ["grafana.resources", "grafana.sidecar.resources", "grafana.sidecar.resources"] },
    { workload: "monitoring/kube-prometheus-stack-operator", kind: "Deployment", replicas: 1, surge: 1, containers: ["prometheusOperator.resources"] },
    { workload: "monitoring/kube-prometheus-stack-kube-state-metrics", kind: "Deployment", replicas: "kube-state-metrics.replicas", surge: 1, containers: ["kube-state-metrics.resources"] },
    { workload: "monitoring/kube-prometheus-stack-prometheus-node-exporter", kind: "DaemonSet", replicas: 0, containers: ["prometheus-node-exporter.resources"] },
] as const satisfies readonly Workload[];

/**
 * kube-prometheus-stack: Prometheus (on EBS volumes) and Alertmanager, two replicas each, one Grafana, plus
 * the platform's pod-resources dashboard and alerts. Grafana's admin login comes from Secrets Manager
 * through an ExternalSecret, so it never passes through Pulumi. Needs the secret store (`after`).
 */
export function monitoring(ctx: AddonContext, opts: AddonOptions): Addon {
    const labels = { "app.kubernetes.io/part-of": PLATFORM.partOf };
    const namespace = PLATFORM.monitoringNamespace;
    const addon = new Addon(KUBE_PROMETHEUS_STACK, {
        ctx,
        values: kubePrometheusStackValues({
            retentionDays: ctx.config.monitoring.retentionDays,
            storageGiB: ctx.config.monitoring.storageGiB,
            storageClass: PLATFORM.storageClass,
        }),
        // Grafana must not start before its login exists.
        prepare: (options) => [new k8s.apiextensions.CustomResource("kube-prometheus-stack-grafana-admin", {
            apiVersion: "external-secrets.io/v1",
            kind: "ExternalSecret",
            metadata: { name: GRAFANA_ADMIN_SECRET, namespace, labels, annotations: { "pulumi.com/waitFor": "condition=Ready" } },
            spec: {
                refreshInterval: "1h",
                secretStoreRef: { kind: "ClusterSecretStore", name: PLATFORM.secretStore },
                target: { name: GRAFANA_ADMIN_SECRET, creationPolicy: "Owner" },
                // The Secrets Manager secret holds JSON with the keys admin-user and admin-password.
                dataFrom: [{ extract: { key: ctx.config.monitoring.grafanaAdminSecret } }],
            },
        }, options)],
        workloads: [...MONITORING_WORKLOADS],
    }, opts);

    const afterRelease = { parent: addon, dependsOn: [addon.release] };
    new k8s.core.v1.ConfigMap("kube-prometheus-stack-dashboard-pod-resources", {
        metadata: { name: "dashboard-pod-resources", namespace, labels: { ...labels, grafana_dashboard: "1" } },
        data: { "pod-resources.json": JSON.stringify(POD_RESOURCES_DASHBOARD) },
    }, afterRelease);
    // The PrometheusRule CRD comes with the chart.
    new k8s.apiextensions.CustomResource("kube-prometheus-stack-rules", {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: "eks-delivery", namespace, labels },
        spec: { groups: [{ name: "eks-delivery", rules: alertRules(ctx.config.nodes.cpuTargetPercent ?? DEFAULT_NODE_CPU_TARGET) }] },
    }, afterRelease);
    return addon;
}
