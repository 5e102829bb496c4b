/** Every policy of the pack, in report order. */
import type { PolicyDefinition } from "./framework";
import { workloadPolicies } from "./rules/workload";
import { availabilityPolicies } from "./rules/availability";
import { awsPolicies } from "./rules/aws";
import { capacityFits } from "./rules/capacity";

export const allPolicies: PolicyDefinition<any>[] = [...workloadPolicies, ...availabilityPolicies, ...awsPolicies, capacityFits];
