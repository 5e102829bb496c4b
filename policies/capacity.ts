/**
 * Capacity and cost of a stack, computed from its resources: node groups at maxSize (allocatable after
 * the kubelet's reservations, minus per-node DaemonSets) against every workload at peak (HPAs at
 * maxReplicas plus the rollout surge), the platform's pods included: the EKS add-ons, and the Helm
 * releases' pods that their components state (`podFootprint`), which no preview can see; the Istio
 * sidecar that the mesh injects into the workloads of `istio-injection: enabled` namespaces included too.
 * Written by the plan as capacity.json (its cost: policies/cost.ts, cost.json); `capacity-fits` fails a stack whose peak does not fit, or whose
 * largest pod does not fit on one node. In a preview it counts what is known: a workload, container or
 * footprint whose requests or replicas are unknown is left out of the demand (a node group that cannot be
 * read at all stops the verdict: see `unreadableNodeGroups`).
 */
import { cpuMillicores, isQuantity, memoryMiB } from "./lib/quantity";
import { InstanceCatalog, maxPodsFor } from "./lib/instanceTypes";
import { guardResource, type StackResource } from "./framework";
import { containersOf, KubeIndex, podAnnotationsOf, podLabelsOf, podSpecOf, scaled } from "./kubernetes";
import { known, knownItems } from "./unknowns";
import { ISTIO_INJECTION_LABEL, ISTIO_SIDECAR, POD_FOOTPRINT_OUTPUT, PodFootprint } from "./lib/conventions";

/**
 * Pods of the EKS add-ons, which a stack declares as `aws:eks/addon:Addon` (or EKS installs with the
 * cluster: vpc-cni, kube-proxy, CoreDNS), at the requests EKS installs them with. Sources:
 * aws/amazon-vpc-cni-k8s@v1.23.0 charts/aws-vpc-cni/values.yaml:190-192 and templates/daemonset.yaml:52,160
 * (aws-node 25m, aws-eks-nodeagent 25m); kube-proxy 100m (eksctl@v0.230.0 testdata/sample-1.25.json:86-91);
 * CoreDNS 2 x 100m/70Mi (eksctl@v0.230.0 pkg/addons/default/assets/coredns-1.36.json:96,217-224);
 * eks-pod-identity-agent without requests (aws/eks-pod-identity-agent charts); aws-ebs-csi-driver chart
 * 2.64.0 values.yaml:290,302-307,415-420 (node 3 x 10m with 40+32+32Mi; controller 2 x 6 x 10m, 232Mi).
 */
export const EKS_ADDON_PODS: Readonly<Record<string, PodFootprint[]>> = {
    "vpc-cni": [{ workload: "kube-system/aws-node", kind: "DaemonSet", replicas: 0, cpuMillicores: 50, memoryMiB: 0 }],
    "kube-proxy": [{ workload: "kube-system/kube-proxy", kind: "DaemonSet", replicas: 0, cpuMillicores: 100, memoryMiB: 0 }],
    "coredns": [{ workload: "kube-system/coredns", kind: "Deployment", replicas: 2, cpuMillicores: 100, memoryMiB: 70 }],
    "eks-pod-identity-agent": [{ workload: "kube-system/eks-pod-identity-agent", kind: "DaemonSet", replicas: 0, cpuMillicores: 0, memoryMiB: 0 }],
    "aws-ebs-csi-driver": [
        { workload: "kube-system/ebs-csi-node", kind: "DaemonSet", replicas: 0, cpuMillicores: 30, memoryMiB: 104 },
        { workload: "kube-system/ebs-csi-controller", kind: "Deployment", replicas: 2, cpuMillicores: 60, memoryMiB: 232 },
    ],
};
/** What EKS installs with every cluster whether or not the stack declares it as an add-on. */
const EKS_DEFAULT_ADDONS = ["vpc-cni", "kube-proxy", "coredns"];

/** The injected istio-proxy's requests (ISTIO_SIDECAR, with its source), in the model's units. */
export const ISTIO_SIDECAR_REQUESTS = { cpuMillicores: cpuMillicores(ISTIO_SIDECAR.cpu), memoryMiB: memoryMiB(ISTIO_SIDECAR.memory) } as const;
/** Pod label (or, older, annotation) that opts a pod out of injection with "false". */
export const ISTIO_INJECT = "sidecar.istio.io/inject";
/** Pod annotations that set the injected proxy's CPU and memory requests. */
export const ISTIO_PROXY_CPU = "sidecar.istio.io/proxyCPU";
export const ISTIO_PROXY_MEMORY = "sidecar.istio.io/proxyMemory";

/** A pod of the platform (an EKS add-on or a component's Helm release) as capacity.json lists it. */
export interface PlatformPod extends PodFootprint {
    /** `eks-addon/<name>` or the component's name (`addons/<name>`). */
    source: string;
}

export interface NodeGroupCapacity {
    name: string;
    instanceType: string;
    vcpu: number;
    memoryMiB: number;
    maxPods: number;
    minSize: number;
    maxSize: number;
}

export interface Demand {
    cpuMillicores: number;
    memoryMiB: number;
    pods: number;
}

/** Requests of one container or pod. */
export interface Requests {
    cpuMillicores: number;
    memoryMiB: number;
}

/** An istio-proxy the mesh injects into a workload's pods (capacity.json `meshSidecars`). */
export interface MeshSidecar extends Requests {
    /** `<namespace>/<name>` of the workload. */
    workload: string;
    kind: string;
    /** The workload's pods at peak, each with one proxy; 0 for DaemonSets (one per node). */
    replicas: number;
}

/** One pod as the scheduler places it: its requests, sidecars (declared or injected) included. */
export interface PodSize extends Requests {
    /** `<namespace>/<name>` of the workload. */
    workload: string;
    kind: string;
    /** `kubernetes` (the stack's own objects), `eks-addon/<name>` or the component's name (`addons/<name>`). */
    source: string;
}

/**
 * The largest pods against what one node offers: allocatable minus the per-node DaemonSets, on the node
 * group with the smallest instance type. A pod larger than that never schedules, however much the
 * node groups offer in total.
 */
export interface LargestPod {
    byMemory: PodSize | null;
    byCpu: PodSize | null;
    node: { nodeGroup: string; instanceType: string; cpuMillicores: number; memoryMiB: number } | null;
    fits: boolean;
}

export interface CapacityReport {
    nodeGroups: NodeGroupCapacity[];
    /**
     * The platform's pods (EKS add-ons, Helm releases): DaemonSets take `perNode` from every node; the
     * rest are in `peak` with the workloads.
     */
    platform: { perNode: Demand; pods: PlatformPod[] };
    /** The Istio sidecars injected into the stack's workloads, included in `peak` (DaemonSets': in every node's share). */
    meshSidecars: MeshSidecar[];
    peak: Demand;
    capacity: Demand;
    largestPod: LargestPod;
    /** Peak fits the node groups' sum, and the largest pods fit one node. */
    fits: boolean;
}

/** CPU the kubelet reserves on EKS AMIs: 6% of the first core, 1% of the second, 0.5% of two more, 0.25% above. */
export function reservedCpuMillicores(vcpu: number): number {
    const tiers: Array<[number, number]> = [[1, 60], [1, 10], [2, 5], [Infinity, 2.5]];
    let left = vcpu;
    let reserved = 0;
    for (const [cores, perCore] of tiers) {
        const n = Math.min(left, cores);
        reserved += n * perCore;
        left -= n;
    }
    return reserved;
}

/** Memory the kubelet reserves (255 MiB + 11 MiB per pod) plus the 100 MiB hard-eviction threshold. */
export function reservedMemoryMiB(maxPods: number): number {
    return 255 + 11 * maxPods + 100;
}

export function allocatable(group: Pick<NodeGroupCapacity, "vcpu" | "memoryMiB" | "maxPods">): Demand {
    return {
        cpuMillicores: group.vcpu * 1000 - reservedCpuMillicores(group.vcpu),
        memoryMiB: group.memoryMiB - reservedMemoryMiB(group.maxPods),
        pods: group.maxPods,
    };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The kubelet's max pods set in node user data: nodeadm `maxPods: N` (YAML or JSON), or AL2's `--max-pods=N`. */
export function maxPodsInUserData(text: string): number | undefined {
    const match = /"?maxPods"?\s*:\s*(\d+)/.exec(text) ?? /--max-pods[= ](\d+)/.exec(text);
    return match ? Number(match[1]) : undefined;
}

/** Launch-template user data as text: EC2 takes it base64-encoded; plain text is read as it is. */
function decodeUserData(userData: unknown): string {
    if (typeof userData !== "string") return "";
    const decoded = Buffer.from(userData, "base64").toString("utf8");
    return /^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(userData) && !decoded.includes("\uFFFD") ? decoded : userData;
}

/**
 * The launch template a node group launches from: the one its `launchTemplate.id` (or name) names, or,
 * when the resources carry no ids (the offline plan's inputs), the stack's only template.
 */
export function launchTemplateOf(group: StackResource, templates: StackResource[]): StackResource | undefined {
    const ref = known(() => group.props.launchTemplate, undefined);
    if (!ref) return undefined;
    // A template's id is unknown in a preview until it is created: then only a name, or the only template, tells.
    const named = templates.find((t) => known(() => (ref.id !== undefined && t.props.id === ref.id) || (ref.name !== undefined && t.props.name === ref.name), false));
    return named ?? (templates.length === 1 ? templates[0] : undefined);
}

/** VPC CNI prefix delegation: the vpc-cni add-on's ENABLE_PREFIX_DELEGATION, else the component's vpcCniOptions. */
export function prefixDelegationOf(resources: StackResource[]): boolean {
    return known(() => prefixDelegationIn(resources), false);
}

function prefixDelegationIn(resources: StackResource[]): boolean {
    const addon = resources.find((r) => r.type === "aws:eks/addon:Addon" && known(() => r.props.addonName === "vpc-cni", false));
    if (addon) {
        let values: any;
        try {
            values = typeof addon.props.configurationValues === "string" ? JSON.parse(addon.props.configurationValues) : addon.props.configurationValues;
        } catch {
            return false;
        }
        return String(values?.env?.ENABLE_PREFIX_DELEGATION) === "true";
    }
    return resources.some((r) => r.type === "eks:index:Cluster" && r.props.vpcCniOptions?.enablePrefixDelegation === true);
}

/**
 * Node groups of a stack: the `aws:eks/nodeGroup:NodeGroup`s, with max pods from their launch template's
 * user data (nodeadm NodeConfig). `@pulumi/eks` ManagedNodeGroup components (nodeadmExtraOptions) are
 * read instead when the stack has any, since a real preview registers both them and their aws children.
 */
export function nodeGroupsOf(resources: StackResource[], catalog: InstanceCatalog): NodeGroupCapacity[] {
    const templates = resources.filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate");
    const prefixDelegation = prefixDelegationOf(resources);
    return nodeGroupResources(resources).flatMap((g) => known(() => nodeGroupOf(g, templates, catalog, prefixDelegation), []));
}

/** The node groups capacity is planned on: the components when the stack has any, else the aws node groups. */
export function nodeGroupResources(resources: StackResource[]): StackResource[] {
    const components = resources.filter((r) => r.type === "eks:index:ManagedNodeGroup");
    return components.length ? components : resources.filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup");
}

/** Node groups whose instance types or scaling are unknown (in a preview): capacity cannot be judged while any is. */
export function unreadableNodeGroups(resources: StackResource[]): string[] {
    return nodeGroupResources(resources.map(guardResource))
        .filter((g) => !known(() => { JSON.stringify([g.props.instanceTypes, g.props.scalingConfig]); return true; }, false))
        .map((g) => g.name);
}

function nodeGroupOf(g: StackResource, templates: StackResource[], catalog: InstanceCatalog, prefixDelegation: boolean): NodeGroupCapacity[] {
    const types = (g.props.instanceTypes ?? ["t3.medium"]).map((t: string) => catalog.find(t)).filter(Boolean);
    if (types.length === 0) return [];
    // Several types: plan for the smallest, which the group may well get.
    const type = types.sort((a: any, b: any) => a.vcpu - b.vcpu || a.memoryMiB - b.memoryMiB)[0]!;
    // User data unknown in a preview: the max pods EKS itself sets (below).
    const userData = known(() => g.type === "eks:index:ManagedNodeGroup"
        ? (g.props.nodeadmExtraOptions ?? []).map((o: any) => String(o.content)).join("\n")
        : decodeUserData(launchTemplateOf(g, templates)?.props.userData), "");
    const maxPods = maxPodsInUserData(userData) ?? (type.maxEnis !== undefined ? maxPodsFor(type, prefixDelegation) : 110);
    const scaling = g.props.scalingConfig ?? {};
    return [{
        name: g.name,
        instanceType: type.name,
        vcpu: type.vcpu,
        memoryMiB: type.memoryMiB,
        maxPods,
        minSize: scaling.minSize ?? 1,
        maxSize: scaling.maxSize ?? scaling.minSize ?? 1,
    }];
}

/**
 * Requests of one pod, as the scheduler sums them: app containers and sidecars together, or an init
 * container plus the sidecars (`restartPolicy: Always`) started before it, if more. `injected` is a
 * sidecar the mesh adds: counted first, beside the init containers as well (as a native sidecar runs).
 */
export function podRequests(pod: Record<string, any> | undefined, injected?: Requests): Demand {
    const app = { cpuMillicores: 0, memoryMiB: 0 };
    const sidecars = { cpuMillicores: injected?.cpuMillicores ?? 0, memoryMiB: injected?.memoryMiB ?? 0 };
    const init = { cpuMillicores: 0, memoryMiB: 0 };
    for (const { container, role } of containersOf(pod)) {
        // A request unknown in a preview counts as none: the demand is what is known.
        const cpu = known(() => {
            const req = container.resources?.requests?.cpu;
            return req !== undefined && isQuantity(String(req)) ? cpuMillicores(req) : 0;
        }, 0);
        const memory = known(() => {
            const req = container.resources?.requests?.memory;
            return req !== undefined && isQuantity(String(req)) ? memoryMiB(req) : 0;
        }, 0);
        if (role === "init") {
            init.cpuMillicores = Math.max(init.cpuMillicores, cpu + sidecars.cpuMillicores);
            init.memoryMiB = Math.max(init.memoryMiB, memory + sidecars.memoryMiB);
        } else {
            const into = role === "sidecar" ? sidecars : app;
            into.cpuMillicores += cpu;
            into.memoryMiB += memory;
        }
    }
    return {
        cpuMillicores: Math.max(app.cpuMillicores + sidecars.cpuMillicores, init.cpuMillicores),
        memoryMiB: Math.max(app.memoryMiB + sidecars.memoryMiB, init.memoryMiB),
        pods: 1,
    };
}

/**
 * The istio-proxy Istio injects into a workload's pods, or undefined: pods of a namespace the stack labels
 * `istio-injection: enabled`, unless their template opts out (`sidecar.istio.io/inject: "false"`, the label
 * ahead of the annotation, as istiod reads them) or uses the host's network, which Istio never injects.
 * Requests: the pod's `sidecar.istio.io/proxyCPU` / `proxyMemory` annotations, else Istio's defaults.
 */
export function meshSidecarOf(kube: KubeIndex, w: StackResource): Requests | undefined {
    const ns = kube.namespace(kube.namespaceOf(w.props));
    if (ns?.props.metadata?.labels?.[ISTIO_INJECTION_LABEL] !== "enabled") return undefined;
    if (podSpecOf(w.props)?.hostNetwork === true) return undefined;
    const labels = podLabelsOf(w.props);
    const annotations = podAnnotationsOf(w.props);
    const inject = labels[ISTIO_INJECT] ?? annotations[ISTIO_INJECT];
    if (inject !== undefined && String(inject).toLowerCase() === "false") return undefined;
    const cpu = annotations[ISTIO_PROXY_CPU];
    const memory = annotations[ISTIO_PROXY_MEMORY];
    return {
        cpuMillicores: cpu !== undefined && isQuantity(String(cpu)) ? cpuMillicores(cpu) : ISTIO_SIDECAR_REQUESTS.cpuMillicores,
        memoryMiB: memory !== undefined && isQuantity(String(memory)) ? memoryMiB(memory) : ISTIO_SIDECAR_REQUESTS.memoryMiB,
    };
}

/**
 * Pods each workload runs at peak: HPA max (or replicas) plus the rollout surge. Blue/green: during a
 * switch the old colour still serves at its scale while the new one wakes at that same scale (up to the
 * HPA's max, apps/service/blueGreen.ts colourReplicas), so the idle colour counts at its sibling's max.
 */
function peakReplicas(kube: KubeIndex, w: StackResource): number {
    const spec = w.props.spec ?? {};
    switch (w.props.kind) {
        case "Pod": return 1;
        case "Job": return spec.parallelism ?? 1;
        case "CronJob": return spec.jobTemplate?.spec?.parallelism ?? 1;
        case "DaemonSet": return 0; // counted per node
    }
    const hpa = kube.hpaFor(w);
    const colour = w.props.metadata?.labels?.color;
    if (kube.isIdleColour(w)) {
        const sibling = kube.hpaFor(kube.blueGreenSibling(w)!);
        return sibling?.props.spec?.maxReplicas ?? sibling?.props.spec?.minReplicas ?? 1;
    }
    const replicas = hpa ? hpa.props.spec?.maxReplicas ?? 1 : spec.replicas ?? 1;
    if (w.props.kind !== "Deployment" || colour || spec.strategy?.type === "Recreate") return replicas;
    return replicas + (scaled(spec.strategy?.rollingUpdate?.maxSurge ?? "25%", replicas) ?? 0);
}

/** Pods of the platform: the EKS add-ons the stack has, and every component's stated `podFootprint`. */
export function platformPods(resources: StackResource[]): PlatformPod[] {
    // Nodes of an EKS cluster run these whether the stack declares the cluster or only its node groups.
    const hasCluster = resources.some((r) => ["eks:index:Cluster", "aws:eks/cluster:Cluster", "eks:index:ManagedNodeGroup", "aws:eks/nodeGroup:NodeGroup"].includes(r.type));
    const declared = resources.filter((r) => r.type === "aws:eks/addon:Addon").flatMap((r) => known(() => [String(r.props.addonName)], []));
    const eksAddons = [...new Set([...(hasCluster ? EKS_DEFAULT_ADDONS : []), ...declared])].filter((a) => a in EKS_ADDON_PODS).sort();
    const pods: PlatformPod[] = eksAddons.flatMap((a) => EKS_ADDON_PODS[a].map((p) => ({ source: `eks-addon/${a}`, ...p })));
    for (const r of resources) {
        // A footprint (or one of its entries) unknown in a preview is left out.
        for (const p of knownItems<PodFootprint>(() => (Array.isArray(r.props[POD_FOOTPRINT_OUTPUT]) ? r.props[POD_FOOTPRINT_OUTPUT] : []))) {
            known(() => pods.push({ source: `${r.type.split(":")[1]}/${r.name}`, ...p }), 0);
        }
    }
    return pods;
}

export function capacityReport(stackResources: StackResource[], catalog: InstanceCatalog): CapacityReport {
    const resources = stackResources.map(guardResource);
    const kube = new KubeIndex(resources);
    const nodeGroups = nodeGroupsOf(resources, catalog);

    const platform = platformPods(resources);
    const perNode = { pods: 0, cpuMillicores: 0, memoryMiB: 0 };
    const peak = { pods: 0, cpuMillicores: 0, memoryMiB: 0 };
    for (const p of platform) {
        const into = p.kind === "DaemonSet" ? perNode : peak;
        const n = p.kind === "DaemonSet" ? 1 : p.replicas;
        into.pods += n;
        into.cpuMillicores += n * p.cpuMillicores;
        into.memoryMiB += n * p.memoryMiB;
    }
    const platformPerNode = { ...perNode };
    // Pods the scheduler must place on some node (DaemonSets are in every node's share instead).
    const pods: PodSize[] = platform.filter((p) => p.kind !== "DaemonSet" && p.replicas > 0)
        .map((p) => ({ workload: p.workload, kind: p.kind, source: p.source, cpuMillicores: p.cpuMillicores, memoryMiB: p.memoryMiB }));
    const meshSidecars: MeshSidecar[] = [];
    for (const w of kube.workloads) {
        // A workload whose replicas, namespace labels or name are unknown in a preview is left out of the demand.
        const seen = known(() => {
            const sidecar = meshSidecarOf(kube, w);
            const kind = String(w.props.kind);
            return {
                sidecar, kind,
                pod: podRequests(podSpecOf(w.props), sidecar),
                workload: `${kube.namespaceOf(w.props)}/${w.props.metadata?.name ?? w.name}`,
                n: kind === "DaemonSet" ? 0 : peakReplicas(kube, w),
            };
        }, undefined);
        if (!seen) continue;
        const { sidecar, kind, pod, workload, n } = seen;
        if (kind === "DaemonSet") {
            if (sidecar) meshSidecars.push({ workload, kind, replicas: 0, ...sidecar });
            perNode.pods += 1;
            perNode.cpuMillicores += pod.cpuMillicores;
            perNode.memoryMiB += pod.memoryMiB;
            continue;
        }
        if (sidecar) meshSidecars.push({ workload, kind, replicas: n, ...sidecar });
        if (n > 0) pods.push({ workload, kind, source: "kubernetes", cpuMillicores: pod.cpuMillicores, memoryMiB: pod.memoryMiB });
        peak.pods += n;
        peak.cpuMillicores += n * pod.cpuMillicores;
        peak.memoryMiB += n * pod.memoryMiB;
    }

    const capacity = { cpuMillicores: 0, memoryMiB: 0, pods: 0 };
    for (const g of nodeGroups) {
        const node = allocatable(g);
        capacity.cpuMillicores += g.maxSize * (node.cpuMillicores - perNode.cpuMillicores);
        capacity.memoryMiB += g.maxSize * (node.memoryMiB - perNode.memoryMiB);
        capacity.pods += g.maxSize * (node.pods - perNode.pods);
    }
    const sumFits = nodeGroups.length > 0 && peak.cpuMillicores <= capacity.cpuMillicores
        && peak.memoryMiB <= capacity.memoryMiB && peak.pods <= capacity.pods;
    const largestPod = largestPodOf(pods, nodeGroups, perNode);
    const fits = sumFits && largestPod.fits;

    return {
        nodeGroups,
        platform: { perNode: platformPerNode, pods: platform },
        meshSidecars: meshSidecars.map((m) => ({ ...m, memoryMiB: round3(m.memoryMiB) })),
        peak: { cpuMillicores: Math.ceil(peak.cpuMillicores), memoryMiB: Math.ceil(peak.memoryMiB), pods: peak.pods },
        capacity: { cpuMillicores: Math.floor(capacity.cpuMillicores), memoryMiB: Math.floor(capacity.memoryMiB), pods: capacity.pods },
        largestPod,
        fits,
    };
}

/**
 * The largest pod by memory and by CPU against one node of the node group with the smallest instance type
 * (fewest vCPUs, then least memory, then least left after the DaemonSets): its allocatable minus what
 * runs on every node. Comparing the two largest suffices: every other pod needs less of both.
 */
function largestPodOf(pods: PodSize[], nodeGroups: NodeGroupCapacity[], perNode: Requests): LargestPod {
    const biggest = (key: keyof Requests, other: keyof Requests) => pods.reduce<PodSize | null>((best, p) =>
        !best || p[key] > best[key] || (p[key] === best[key] && p[other] > best[other]) ? p : best, null);
    const present = (p: PodSize | null) => p && { ...p, memoryMiB: round3(p.memoryMiB) };
    const byMemory = biggest("memoryMiB", "cpuMillicores");
    const byCpu = biggest("cpuMillicores", "memoryMiB");
    const free = (g: NodeGroupCapacity) => {
        const node = allocatable(g);
        return { cpuMillicores: node.cpuMillicores - perNode.cpuMillicores, memoryMiB: node.memoryMiB - perNode.memoryMiB };
    };
    const smallest = [...nodeGroups].sort((a, b) => a.vcpu - b.vcpu || a.memoryMiB - b.memoryMiB || free(a).memoryMiB - free(b).memoryMiB)[0];
    if (!smallest) return { byMemory: present(byMemory), byCpu: present(byCpu), node: null, fits: false };
    const node = free(smallest);
    const fits = (byMemory?.memoryMiB ?? 0) <= node.memoryMiB && (byCpu?.cpuMillicores ?? 0) <= node.cpuMillicores;
    return {
        byMemory: present(byMemory),
        byCpu: present(byCpu),
        node: { nodeGroup: smallest.name, instanceType: smallest.instanceType, cpuMillicores: round3(node.cpuMillicores), memoryMiB: round3(node.memoryMiB) },
        fits,
    };
}
