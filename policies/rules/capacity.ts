import { loadInstanceCatalog } from "../lib/instanceTypes";
import { capacityReport } from "../capacity";
import type { PolicyDefinition } from "../framework";

export const capacityFits: PolicyDefinition<{ hoursPerMonth: number }> = {
    name: "capacity-fits",
    description: "At peak (every HPA at maxReplicas, plus the rollout surge) the pods' requests and count fit the node groups at maxSize.",
    severity: "critical",
    remediation: "Raise the node group's maxSize or instance type, enable prefix delegation, or lower maxReplicas/requests.",
    why: "More pods than a t3.medium can address (17) sat Pending through a traffic spike; peak demand must fit before it arrives.",
    tags: [],
    config: { defaults: { hoursPerMonth: 730 }, schema: { properties: { hoursPerMonth: { type: "number", default: 730 } } } },
    check: ({ resources, config }) => {
        const report = capacityReport(resources, loadInstanceCatalog(), config.hoursPerMonth);
        if (report.nodeGroups.length === 0 || report.fits) return [];
        const { peak, capacity } = report;
        const over = [
            peak.cpuMillicores > capacity.cpuMillicores ? `CPU ${peak.cpuMillicores}m > ${capacity.cpuMillicores}m` : "",
            peak.memoryMiB > capacity.memoryMiB ? `memory ${peak.memoryMiB}Mi > ${capacity.memoryMiB}Mi` : "",
            peak.pods > capacity.pods ? `pods ${peak.pods} > ${capacity.pods}` : "",
        ].filter(Boolean);
        const group = resources.find((r) => r.type === "eks:index:ManagedNodeGroup" || r.type === "aws:eks/nodeGroup:NodeGroup");
        return [{ resource: group, message: `peak demand does not fit the node groups at maxSize: ${over.join(", ")}` }];
    },
};
