/** Shared test fixtures: the dev stack's values, and planning arbitrary values offline. */
import * as path from "path";
import { readStackFile } from "../config/stackFile";
import { PROJECT_ROOT, validateStackConfig, StackConfig } from "../config";
import { loadInstanceCatalog } from "../infra/instanceTypes";
import { planStack, PlannedStack } from "../tools/plan/planStack";
import type { PlannedResource } from "../tools/plan/plan";

export type Values = Record<string, unknown>;

/** A deep copy of a stack file's config values (`dev` by default). */
export function stackValues(stack = "dev"): Values {
    return structuredClone(readStackFile(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`)).values);
}

export function validate(values: Values, stack = "dev"): StackConfig {
    return validateStackConfig(values, { project: "eks-delivery", stack, catalog: loadInstanceCatalog(), projectRoot: PROJECT_ROOT });
}

/** Runs the program offline with these values, as `npm run plan` does. */
export function plan(values: Values, stack = "dev", secretKeys: string[] = []): Promise<PlannedStack> {
    return planStack({ stack, stackFile: { file: `test:${stack}`, values, secretKeys } });
}

export function ofType(planned: PlannedStack, type: string): PlannedResource[] {
    return planned.plan.resources.filter((r) => r.type === type);
}

export function one(planned: PlannedStack, type: string, name?: string): PlannedResource {
    const found = ofType(planned, type).filter((r) => name === undefined || r.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
    return found[0];
}
