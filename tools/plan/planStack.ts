import * as path from "path";
import { readStackFile, StackFile } from "../../config/stackFile";
import { PROJECT_ROOT, validateStackConfig, StackConfig, StackConfigError } from "../../config";
import { loadInstanceCatalog } from "../../infra/instanceTypes";
import { runProgram, ProgramRun } from "./engine";
import { buildPlan, kubernetesManifests, Manifest, Plan } from "./plan";

export const PROJECT = "eks-delivery";
export const PROGRAM = path.join(PROJECT_ROOT, "index.ts");

export interface PlanRequest {
    stack: string;
    /** Stack file; default `Pulumi.<stack>.yaml` in the project root. */
    configFile?: string;
    /** Values to plan instead of reading a file (tests, benchmarks). */
    stackFile?: StackFile;
    /** Stack outputs of a previous update, to plan the next one (blue/green). */
    previousOutputs?: Record<string, unknown>;
}

export interface PlannedStack {
    config: StackConfig;
    run: ProgramRun;
    plan: Plan;
    manifests: Manifest[];
}

export function stackFilePath(stack: string): string {
    return path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
}

/** Validates the stack file (StackConfigError when bad; nothing runs), then runs the program offline. */
export async function runStack(request: PlanRequest): Promise<{ config: StackConfig; run: ProgramRun }> {
    const stackFile = request.stackFile ?? readStackFile(request.configFile ?? stackFilePath(request.stack));
    let catalog;
    try {
        catalog = loadInstanceCatalog();
    } catch (err) {
        throw new StackConfigError([(err as Error).message]);
    }
    const config = validateStackConfig(stackFile.values, {
        project: PROJECT, stack: request.stack, catalog, projectRoot: PROJECT_ROOT, file: stackFile.file,
    });
    const run = await runProgram({ project: PROJECT, stack: request.stack, stackFile, program: PROGRAM, previousOutputs: request.previousOutputs });
    return { config, run };
}

/** Runs the stack offline and builds what `npm run plan` writes. */
export async function planStack(request: PlanRequest): Promise<PlannedStack> {
    const { config, run } = await runStack(request);
    const plan = buildPlan(run);
    return { config, run, plan, manifests: kubernetesManifests(plan) };
}
