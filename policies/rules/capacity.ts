import { loadInstanceCatalog } from "../lib/instanceTypes";
import { capacityReport, CapacityReport, PodSize, unreadableNodeGroups } from "../capacity";
import type { StackPolicy } from "../framework";

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** What of the largest pods exceeds one node, and by how much: `pod monitoring/prometheus (StatefulSet, addons/kube-prometheus-stack) ...`. */
function podsTooBig({ largestPod }: CapacityReport): string[] {
    const node = largestPod.node;
    if (largestPod.fits || !node) return [];
    const over = new Map<PodSize, string[]>();
    const add = (pod: PodSize, what: string) => over.set(pod, [...(over.get(pod) ?? []), what]);
    const { byMemory, byCpu } = largestPod;
    if (byMemory && byMemory.memoryMiB > node.memoryMiB) {
        add(byMemory, `memory ${byMemory.memoryMiB}Mi > ${node.memoryMiB}Mi (${round3(byMemory.memoryMiB - node.memoryMiB)}Mi over)`);
    }
    if (byCpu && byCpu.cpuMillicores > node.cpuMillicores) {
        add(byCpu, `CPU ${byCpu.cpuMillicores}m > ${node.cpuMillicores}m (${round3(byCpu.cpuMillicores - node.cpuMillicores)}m over)`);
    }
    return [...over].map(([pod, what]) => `pod ${pod.workload} (${pod.kind}, ${pod.source}) does not fit on one ${node.instanceType} node of ${node.nodeGroup}, ` +
        `allocatable less its DaemonSets: ${what.join(", ")}`);
}

export const capacityFits: StackPolicy = {
    name: "capacity-fits",
    description: "At peak (every HPA at maxReplicas, plus the rollout surge) the pods' requests and count fit the node groups at maxSize, and the largest pod fits on one node.",
    severity: "critical",
    remediation: "Raise the node group's maxSize or instance type, enable prefix delegation, or lower maxReplicas/requests.",
    why: "More pods than a t3.medium can address (17) sat Pending through a traffic spike; peak demand must fit before it arrives.",
    tags: [],
    check: ({ resources }) => {
        // In a preview the demand is what is known (capacity.ts); the supply must be known whole, or no verdict.
        if (unreadableNodeGroups(resources).length > 0) return [];
        const report = capacityReport(resources, loadInstanceCatalog());
        if (report.nodeGroups.length === 0 || report.fits) return [];
        const { peak, capacity } = report;
        const over = [
            peak.cpuMillicores > capacity.cpuMillicores ? `CPU ${peak.cpuMillicores}m > ${capacity.cpuMillicores}m` : "",
            peak.memoryMiB > capacity.memoryMiB ? `memory ${peak.memoryMiB}Mi > ${capacity.memoryMiB}Mi` : "",
            peak.pods > capacity.pods ? `pods ${peak.pods} > ${capacity.pods}` : "",
        ].filter(Boolean);
        const messages = [
            ...(over.length ? [`peak demand does not fit the node groups at maxSize: ${over.join(", ")}`] : []),
            ...podsTooBig(report),
        ];
        const group = resources.find((r) => r.type === "eks:index:ManagedNodeGroup" || r.type === "aws:eks/nodeGroup:NodeGroup");
        return [{ resource: group, message: messages.join("; ") }];
    },
};
