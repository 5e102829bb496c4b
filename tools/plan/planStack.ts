import * as path from "path";
import { readStackFile, StackFile } from "../../config/stackFile";
import { PROJECT_ROOT, validateStackConfig, StackConfig, StackConfigError } from "../../config";
import { loadInstanceCatalog } from "../../policies/lib/instanceTypes";
import { runProgram, ProgramRun } from "./engine";
import type { AccountOidcProvider, KubernetesObject } from "./emulatedCloud";
import { buildPlan, kubernetesManifests, Manifest, Plan } from "./plan";
import * as fs from "fs";
import { allPolicies } from "../../policies/all";
import { capacityReport, CapacityReport } from "../../policies/capacity";
import { costReport, CostReport } from "../../policies/cost";
import { evaluateReport, Exemption, PackConfig, PolicyDefinition, StackResource, Violation } from "../../policies/framework";
import { CALENDAR_DATE_ENV, utcDate } from "../../policies/lib/eksVersions";
import { CONFIG_CHECKS } from "../../infra/configChecks";
import { EmulatedRegistry, repositoryUri } from "./registry";
import { EMULATED_ACCOUNT_ID, emulatedImageDigest } from "./emulatedCloud";
import { imageArchitectures, imageBuildArgs, imagePlatforms } from "../../apps/image";
import { versionOf } from "../../apps/version";
import { BUILD_CACHE_TAG } from "../../infra/registry";

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
    /** The day (YYYY-MM-DD) the EKS support calendar is read on; default today (UTC). */
    today?: string;
    /** The cluster's live objects, for the program's reads (blue/green reads the serving colour's scale). */
    liveObjects?: KubernetesObject[];
    /** Run as `pulumi preview` does; default: an update. */
    preview?: boolean;
    /** The ECR registry the plan pushes to and looks up in (changed in place); default: `defaultRegistry`. */
    registry?: EmulatedRegistry;
    /** The account's IAM OIDC providers before the run; default: none (a fresh account). */
    oidcProviders?: AccountOidcProvider[];
    /** Told each phase as it starts (the CLI's progress on stderr). */
    onPhase?: (phase: string) => void;
}

export interface PlannedStack {
    config: StackConfig;
    run: ProgramRun;
    plan: Plan;
    manifests: Manifest[];
    capacity: CapacityReport;
    /** The itemised monthly cost at the stack region's prices (cost.json). */
    cost: CostReport;
    /** The policy pack's verdicts, at the environment's enforcement levels (policies/config/<environment>.json). */
    violations: Violation[];
    /** The exemptions the stack's objects declare (eks-delivery.dev/exempt), with the findings each removed. */
    exemptions: Exemption[];
    /** The policy config file used, if the stack has one. */
    policyConfigFile?: string;
}

/** Enforcement levels follow the environment, never the stack's name: production is mandatory. */
export function policyConfigPath(environment: string): string {
    return path.join(PROJECT_ROOT, "policies", "config", `${environment}.json`);
}

/** Resources as the pack sees them: what the engine would pass (inputs, completed by the outputs). */
export function policyResources(plan: Plan): StackResource[] {
    return plan.resources.map((r) => ({ type: r.type, urn: r.urn, name: r.name, props: { ...r.inputs, ...r.outputs } }));
}

/**
 * The pack's verdicts over a plan's resources, as `npm run plan` reports them (policy-report.json):
 * shared with the test that checks the plan, CrossGuard and `npm run policy` agree (test/policyExamples.test.ts).
 */
export function policyVerdicts(resources: StackResource[], packConfig: PackConfig, policies: PolicyDefinition<any>[] = allPolicies): { violations: Violation[]; exemptions: Exemption[] } {
    return evaluateReport(policies, resources, packConfig);
}

function readPackConfig(file: string): PackConfig | undefined {
    if (!fs.existsSync(file)) return undefined;
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as PackConfig;
    } catch (err) {
        throw new StackConfigError([`${file}: not valid JSON (${(err as Error).message})`]);
    }
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
        project: PROJECT, stack: request.stack, catalog, projectRoot: PROJECT_ROOT, file: stackFile.file, secretKeys: stackFile.secretKeys,
        // The same checks the program runs (index.ts), so a bad override stops here, before anything runs.
        checks: CONFIG_CHECKS,
    });
    // The program reads the calendar date from the environment (policies/lib/eksVersions.ts): set for this run only.
    const previousDate = process.env[CALENDAR_DATE_ENV];
    process.env[CALENDAR_DATE_ENV] = request.today ?? utcDate();
    try {
        const registry = request.registry ?? defaultRegistry(config, catalog);
        const run = await runProgram({ project: PROJECT, stack: request.stack, stackFile, program: PROGRAM, previousOutputs: request.previousOutputs,
            liveObjects: request.liveObjects, preview: request.preview, registry, oidcProviders: request.oidcProviders });
        return { config, run };
    } finally {
        if (previousDate === undefined) delete process.env[CALENDAR_DATE_ENV];
        else process.env[CALENDAR_DATE_ENV] = previousDate;
    }
}

/**
 * The registry a plan sees when none is given. A stack that builds finds it empty and pushes its version.
 * A stack that only deploys (`registry.from`, or `release`) finds what the registry's owner pushed for the
 * version it deploys from this checkout: for each of the owner's services, the digest the emulated build
 * computes (emulatedImageDigest) with the owner's build args and platforms. So a prod plan deploys what
 * the dev plan of the same version builds; plan with `--registry FILE` to deploy what earlier plans pushed.
 */
export function defaultRegistry(config: StackConfig, catalog: ReturnType<typeof loadInstanceCatalog>): EmulatedRegistry {
    const registry = new EmulatedRegistry();
    const from = config.registry.from;
    if (!from && config.release === undefined) return registry;
    const owner = from ? ownerConfig(from.prefix, catalog) : config;
    const account = from ? from.account : EMULATED_ACCOUNT_ID;
    const prefix = from ? from.prefix : `${PROJECT}-${config.stack}`;
    const region = from?.region ?? config.region;
    const version = config.release ?? config.version ?? versionOf(PROJECT_ROOT).version;
    const platforms = imagePlatforms(imageArchitectures(owner.images, owner.nodes.arch));
    for (const service of owner.services) {
        const uri = repositoryUri(account, region, `${prefix}/${service.name}`);
        registry.createRepository(uri, [BUILD_CACHE_TAG]);
        registry.push(uri, version, emulatedImageDigest(PROJECT_ROOT, service.path, imageBuildArgs(version), platforms));
    }
    return registry;
}

/** The owner stack's config, from its stack file in this project (`<project>-<stack>` is its prefix). */
function ownerConfig(prefix: string, catalog: ReturnType<typeof loadInstanceCatalog>): StackConfig {
    const stack = prefix.startsWith(`${PROJECT}-`) ? prefix.slice(PROJECT.length + 1) : undefined;
    const file = stack && stackFilePath(stack);
    if (!file || !fs.existsSync(file)) {
        throw new StackConfigError([`eks-delivery:registry.from.prefix: ${JSON.stringify(prefix)} is not a stack of this project (no Pulumi.<stack>.yaml to tell what its owner builds): ` +
            "plan the owner first and pass its registry with --registry FILE"]);
    }
    const stackFile = readStackFile(file);
    return validateStackConfig(stackFile.values, { project: PROJECT, stack, catalog, projectRoot: PROJECT_ROOT, file, secretKeys: stackFile.secretKeys, checks: CONFIG_CHECKS });
}

/** Runs the stack offline, builds what `npm run plan` writes, and evaluates the policy pack over it. */
export async function planStack(request: PlanRequest): Promise<PlannedStack> {
    const today = request.today ?? utcDate();
    request.onPhase?.("running the program");
    const { config, run } = await runStack({ ...request, today });
    request.onPhase?.("evaluating the policy pack");
    const plan = buildPlan(run);
    const resources = policyResources(plan);
    const file = policyConfigPath(config.environment);
    const packConfig: PackConfig = { ...(readPackConfig(file) ?? {}) };
    const versionEntry = packConfig["eks-version-supported"];
    packConfig["eks-version-supported"] = { ...(typeof versionEntry === "string" ? { enforcementLevel: versionEntry } : versionEntry ?? {}), today };
    return {
        config,
        run,
        plan,
        manifests: kubernetesManifests(plan),
        capacity: capacityReport(resources, loadInstanceCatalog()),
        cost: costReport(resources, loadInstanceCatalog(), { region: config.region, today, ...config.cost }),
        ...policyVerdicts(resources, packConfig),
        policyConfigFile: fs.existsSync(file) ? file : undefined,
    };
}
