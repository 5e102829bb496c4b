import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** A chart pinned to an exact version: `repo` is an HTTPS Helm repository, or absent for `oci://` charts. */
export interface Chart {
    chart: string;
    version: string;
    repo?: string;
}

export interface AddonReleaseArgs {
    chart: Chart;
    namespace: pulumi.Input<string>;
    values: Record<string, unknown>;
    /** Helm release name (defaults to the chart's name). */
    name?: string;
}

/**
 * A Helm release as every add-on installs it: exact chart version, atomic (a failed upgrade rolls
 * back), waiting for its workloads, bounded history.
 */
export function addonRelease(name: string, args: AddonReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    return new k8s.helm.v3.Release(name, {
        name: args.name ?? args.chart.chart.split("/").pop(),
        chart: args.chart.chart,
        version: args.chart.version,
        ...(args.chart.repo ? { repositoryOpts: { repo: args.chart.repo } } : {}),
        namespace: args.namespace,
        values: args.values,
        atomic: true,
        cleanupOnFail: true,
        timeout: 600,
        maxHistory: 5,
    }, opts);
}

/** The add-on's own namespace. */
export function addonNamespace(name: string, opts: pulumi.CustomResourceOptions, labels: Record<string, string> = {}): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(name, { metadata: { name, labels: { "app.kubernetes.io/part-of": "eks-delivery", ...labels } } }, opts);
}

/** Spread over nodes and zones: the ingress controller's pods all on one node is how the seeds lost it. */
export function spreadConstraints(labels: Record<string, string>) {
    return [
        { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels } },
        { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: labels } },
    ];
}
