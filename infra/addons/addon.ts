/**
 * The one add-on base: every platform add-on is a Helm chart pinned to an exact version, in its own
 * namespace, with its AWS identity (Pod Identity), installed atomically after what it needs, with the
 * stack's `eks-delivery:addons.<name>` overrides merged over the program's values, and the pods it runs
 * stated for capacity. An add-on folder keeps only what is its own: chart pin, values, IAM statements,
 * the workloads it renders, and any resources beside the release.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type * as aws from "@pulumi/aws";
import { cpuMillicores, memoryMiB } from "../../policies/lib/quantity";
import { PodFootprint, POD_FOOTPRINT_OUTPUT } from "../../policies/lib/conventions";
import type { AddonContext } from "./context";
import { type AddonName, StackConfigError } from "../../config";
import { helmMerge, mergedValuesProblems, overlay, valueAt, Values, vendoredChart, withOutputsAsText } from "./chartValues";
import { Statement, workloadIdentity } from "./iam";

/** A chart pinned to an exact version: `repo` is an HTTPS Helm repository, or absent for `oci://` charts. */
export interface Chart {
    chart: string;
    version: string;
    repo?: string;
}

/** The chart's name without repository or OCI prefix, as messages name it (its values are vendored by add-on name). */
export const chartName = (chart: Chart) => chart.chart.split("/").pop()!;

/** A pod the chart renders, read from the merged values: where its replicas and each container's resources are. */
export interface Workload {
    /** `<namespace>/<name>` as rendered. */
    workload: string;
    kind: PodFootprint["kind"];
    /** Values path of the replica count (or an HPA's maximum), or a fixed count. Ignored for DaemonSets. */
    replicas: string | number;
    /** Extra pods during a rolling update (maxSurge), 0 when the workload replaces pods one at a time. */
    surge?: number;
    /** Values path of each container's `resources`. */
    containers: string[];
    /** Requests of a container the chart does not render (an injected mesh sidecar). */
    injected?: { cpu: string; memory: string };
}

/** What is fixed about an add-on, whatever the stack: the config checks read these before anything runs. */
export interface AddonSpec {
    /** The key under `eks-delivery:addons`, and the Helm release name. */
    name: AddonName;
    chart: Chart;
    namespace: string;
    /**
     * Maps the chart's templates pass through whole (any key below them is fine), each with the template
     * line that does; `*` matches one path segment.
     */
    openValues?: string[];
    /** Why the stack cannot turn it off (`enabled: false`); undefined when it can. */
    required?: string;
    /**
     * Values the program owns, each with why: an override may not touch them (a renamed service account
     * would leave the pods without the Pod Identity association, a cluster name the chart requires...).
     */
    reservedValues?: Record<string, string>;
    /** Maps whose keys the chart does not list but the application checks (feature gates): the keys it knows. */
    knownKeys?: Record<string, readonly string[]>;
    /**
     * The component this add-on was before the one base (type and name): an alias, so a stack deployed
     * by an earlier release updates its add-on in place instead of creating a second one beside it. Its
     * children follow through the parent's alias, a name prefixed with the new name taking the old one
     * (pulumi/pulumi@v3.248.0:pkg/resource/deploy/step_generator.go:505-672; test/urns.test.ts).
     */
    previously?: { type: string; name: string };
}

export interface AddonArgs {
    ctx: AddonContext;
    /** The program's values; the stack's overrides are merged over them the way Helm merges (null deletes). */
    values: Values;
    /** Create the namespace (false: another add-on's, created before). */
    createNamespace?: boolean;
    namespaceLabels?: Record<string, string>;
    /** The service account the chart renders, and what its role may do (EKS Pod Identity). */
    identity?: { serviceAccount: string; statements: pulumi.Input<Statement[]> };
    /** The pods the chart renders with these values. */
    workloads: Workload[];
    /** Helm applies a chart's crds/ on the first install only: skip them when the program applies them itself. */
    skipCrds?: boolean;
    /** Earlier identities of the release resource (a renamed one), so an update keeps the installed release. */
    releaseAliases?: pulumi.Input<pulumi.Alias>[];
    /**
     * Objects the release's pods need when they start (a Secret they mount): created in the namespace,
     * parented to the add-on, before the release.
     */
    prepare?: (opts: pulumi.CustomResourceOptions) => pulumi.Resource[];
}

/**
 * Where an add-on goes and what it waits for. `after` (CRDs, webhooks, other add-ons) is handed to the
 * namespace and the release: a component's own dependsOn would not hold its children back.
 */
export type AddonOptions = Omit<pulumi.ComponentResourceOptions, "dependsOn"> & { after?: pulumi.Resource[] };

/** The pods of `workloads` as the merged values size them (a container without requests counts 0). */
export function footprintOf(workloads: Workload[], merged: Values): PodFootprint[] {
    return workloads.map((w) => {
        const replicas = typeof w.replicas === "number" ? w.replicas : Number(valueAt(merged, w.replicas) ?? 1);
        let cpu = 0;
        let memory = 0;
        for (const at of w.containers) {
            const requests = (valueAt(merged, at) as { requests?: { cpu?: string | number; memory?: string | number } } | undefined)?.requests ?? {};
            if (requests.cpu !== undefined) cpu += cpuMillicores(String(requests.cpu));
            if (requests.memory !== undefined) memory += memoryMiB(String(requests.memory));
        }
        if (w.injected) {
            cpu += cpuMillicores(w.injected.cpu);
            memory += memoryMiB(w.injected.memory);
        }
        return {
            workload: w.workload,
            kind: w.kind,
            replicas: w.kind === "DaemonSet" ? 0 : replicas + (w.surge ?? 0),
            cpuMillicores: cpu,
            memoryMiB: Math.ceil(memory),
        };
    });
}

/**
 * The values Helm will get: the program's, with the stack's overrides over them (nulls kept for Helm).
 * Overrides were checked against the chart before the program ran (catalog.ts).
 */
export function releaseValues(spec: AddonSpec, ctx: AddonContext, values: Values): Values {
    const overrides = ctx.config.addons[spec.name]?.values;
    return overrides ? overlay(values, overrides) : values;
}

/**
 * One add-on: namespace, identity, release. Its outputs state the chart, the version and the pods
 * (`podFootprint`, read by the capacity policy).
 */
export class Addon extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    readonly namespace: string;
    readonly role?: aws.iam.Role;
    /** The values the release gets (program's + stack's overrides). */
    readonly values: Values;
    readonly pods: PodFootprint[];

    constructor(readonly spec: AddonSpec, args: AddonArgs, opts: AddonOptions = {}) {
        const { after: needs, ...options } = opts;
        const aliases = [...(options.aliases ?? []), ...(spec.previously ? [spec.previously] : [])];
        super("eks-delivery:addons:Addon", spec.name, {}, { ...options, aliases });
        const { ctx } = args;
        const child = { parent: this };
        this.namespace = spec.namespace;
        this.values = releaseValues(spec, ctx, args.values);
        const chart = vendoredChart(spec.name, spec.chart.version);
        const merged = chart ? helmMerge(chart.defaults, this.values) : this.values;
        // What Helm would refuse, or render into a PDB the API server rejects: stop before anything is registered.
        const problems = chart ? mergedValuesProblems(chart, withOutputsAsText(merged) as Values) : [];
        if (problems.length > 0) throw new StackConfigError(problems.map((p) => `eks-delivery:addons.${spec.name}.values: ${chartName(spec.chart)} ${spec.chart.version} would get ${p}`));
        this.pods = footprintOf(args.workloads, merged);
        const after = [...ctx.inCluster, ...(needs ?? [])];
        const waits: pulumi.Resource[] = [...after];
        if (args.createNamespace !== false) {
            waits.push(new k8s.core.v1.Namespace(spec.namespace, {
                metadata: { name: spec.namespace, labels: { "app.kubernetes.io/part-of": "eks-delivery", ...args.namespaceLabels } },
            }, { ...child, dependsOn: after }));
        }
        if (args.prepare) waits.push(...args.prepare({ ...child, dependsOn: [...waits] }));
        if (args.identity) {
            const identity = workloadIdentity(`${spec.name}-identity`, {
                ctx, namespace: spec.namespace, serviceAccount: args.identity.serviceAccount, statements: args.identity.statements,
            }, child);
            this.role = identity.role;
            // EKS injects credentials when a pod is created: the pods must start after the association.
            waits.push(identity.association);
        }
        this.release = new k8s.helm.v3.Release(spec.name, {
            name: spec.name,
            chart: spec.chart.chart,
            version: spec.chart.version,
            ...(spec.chart.repo ? { repositoryOpts: { repo: spec.chart.repo } } : {}),
            namespace: spec.namespace,
            values: this.values,
            // A failed install or upgrade rolls back; Helm waits for the workloads to be ready.
            atomic: true,
            cleanupOnFail: true,
            timeout: 600,
            maxHistory: 5,
            ...(args.skipCrds ? { skipCrds: true } : {}),
        }, { ...child, dependsOn: waits, ...(args.releaseAliases ? { aliases: args.releaseAliases } : {}) });
        this.registerOutputs({ chart: spec.chart.chart, version: spec.chart.version, namespace: spec.namespace, [POD_FOOTPRINT_OUTPUT]: this.pods });
    }
}

/**
 * Spread over zones (when possible) and nodes (always): the ingress controller's pods all on one node is
 * how the seeds lost it. Every add-on with more than one replica uses it, with a PDB of maxUnavailable 1.
 */
export function spreadConstraints(labels: Record<string, string>) {
    return [
        { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels } },
        { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: labels } },
    ];
}

/** Requests and a memory limit, no CPU limit (CFS throttling hurts latency; requests protect neighbours). */
export const resources = (cpu: string, memory: string, memoryLimit: string) => ({ requests: { cpu, memory }, limits: { memory: memoryLimit } });

/**
 * The values of one Deployment of a chart that runs several under `replicaCount`, `podDisruptionBudget`,
 * `resources` and `topologySpreadConstraints` keys (cert-manager, external-secrets): two replicas spread
 * over zones and nodes, one evicted at a time. `pdb` adds to the PDB block (e.g. nulls for a chart default).
 */
export function twoReplicas(podLabels: Record<string, string>, podResources: ReturnType<typeof resources>, pdb: Values = {}) {
    return {
        replicaCount: 2,
        podDisruptionBudget: { enabled: true, ...pdb, maxUnavailable: 1 },
        resources: podResources,
        topologySpreadConstraints: spreadConstraints(podLabels),
    };
}

/** The Workload of such a Deployment: its replicas and resources under `prefix`, one pod of surge. */
export function deploymentAt(workload: string, prefix = ""): Workload {
    return { workload, kind: "Deployment", replicas: `${prefix}replicaCount`, surge: 1, containers: [`${prefix}resources`] };
}
