/** Shared test fixtures: the dev stack's values, and planning arbitrary values offline. */
import * as path from "path";
import { readStackFile } from "../config/stackFile";
import { PROJECT_ROOT, validateStackConfig, StackConfig } from "../config";
import { loadInstanceCatalog } from "../lib/instanceTypes";
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
export function plan(values: Values, stack = "dev", secretKeys: string[] = [], previousOutputs?: Record<string, unknown>): Promise<PlannedStack> {
    return planStack({ stack, stackFile: { file: `test:${stack}`, values, secretKeys }, previousOutputs });
}

export function ofType(planned: PlannedStack, type: string): PlannedResource[] {
    return planned.plan.resources.filter((r) => r.type === type);
}

export function one(planned: PlannedStack, type: string, name?: string): PlannedResource {
    const found = ofType(planned, type).filter((r) => name === undefined || r.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
    return found[0];
}

/** Module of the kubernetes-models class for an object's apiVersion/kind (CRDs from their model packages). */
const CRD_MODELS: Record<string, string> = {
    "external-secrets.io": "@kubernetes-models/external-secrets",
    "cert-manager.io": "@kubernetes-models/cert-manager",
    "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
    "security.istio.io": "@kubernetes-models/istio",
    "karpenter.sh": "@kubernetes-models/karpenter",
    "karpenter.k8s.aws": "@kubernetes-models/karpenter",
};

function modelModule(apiVersion: string, kind: string): string {
    const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
    return `${CRD_MODELS[group] ?? "kubernetes-models"}/${apiVersion}/${kind}`;
}

/** Validates a Kubernetes object against its OpenAPI schema; throws with the schema's complaint. */
export async function validateKubernetesObject(object: Record<string, unknown>): Promise<void> {
    const { apiVersion, kind } = object as { apiVersion: string; kind: string };
    const module = (await import(modelModule(apiVersion, kind))) as Record<string, new (data: unknown) => { validate(): void }>;
    const Model = module[kind];
    if (!Model) throw new Error(`no schema for ${apiVersion} ${kind}`);
    new Model(object).validate();
}

/** An AddonContext with emulated values, for add-on unit tests. */
export function addonContext(stack = "dev", patch: (v: Values) => void = () => {}): import("../infra/addons/context").AddonContext {
    const values = stackValues(stack);
    patch(values);
    const config = validate(values, stack);
    const oidcUrl = "oidc.eks.ap-northeast-2.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";
    return {
        clusterName: `eks-delivery-${stack}`,
        config,
        accountId: "123456789012",
        oidcProviderArn: `arn:aws:iam::123456789012:oidc-provider/${oidcUrl}`,
        oidcProviderUrl: oidcUrl,
        vpcId: "vpc-0123456789abcdef0",
        clusterSecurityGroupId: "sg-0123456789abcdef0",
        nodeRoleName: "nodes-role-1234567",
        nodeRoleArn: "arn:aws:iam::123456789012:role/nodes-role-1234567",
        tags: { "eks-delivery/stack": stack },
    };
}

/**
 * Runs `body` (which declares resources, e.g. one add-on component) under the emulated cloud and
 * returns the plan of what it registered, as `npm run plan` would show it.
 */
export async function planComponent(body: () => void, stack = "dev"): Promise<import("../tools/plan/plan").Plan> {
    const { runEmulated } = await import("../tools/plan/engine");
    const { buildPlan } = await import("../tools/plan/plan");
    const stackFile = { file: `test:${stack}`, values: stackValues(stack), secretKeys: [] };
    const run = await runEmulated({ project: "eks-delivery", stack, stackFile, projectRoot: PROJECT_ROOT }, async () => { body(); });
    return buildPlan(run);
}
