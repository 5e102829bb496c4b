/** Every policy of the pack, in report order. */
import type { PolicyDefinition } from "./framework";
import { workloadPolicies } from "./rules/workload";
import { availabilityPolicies } from "./rules/availability";
import { awsPolicies } from "./rules/aws";
import { capacityFits } from "./rules/capacity";
import { exemptionReason } from "./rules/exemptions";
import { referencePolicies } from "./rules/references";
import { apiVersionPolicies } from "./rules/apiVersions";

const judging: PolicyDefinition<any>[] = [...workloadPolicies, ...availabilityPolicies, ...referencePolicies, ...apiVersionPolicies, ...awsPolicies, capacityFits];

/** The judging policies, then `exemption-reason`, which knows them by name. */
export const allPolicies: PolicyDefinition<any>[] = [...judging, exemptionReason(judging.map((p) => p.name))];
