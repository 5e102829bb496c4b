/** Shared test fixtures: the dev stack's values, and planning arbitrary values offline. */
import * as path from "path";
import { readStackFile } from "../config/stackFile";
import { PROJECT_ROOT, validateStackConfig, StackConfig } from "../config";
import { loadInstanceCatalog } from "../policies/lib/instanceTypes";
import { planStack, PlannedStack, PlanRequest } from "../tools/plan/planStack";
import { stableHex } from "../tools/plan/emulatedCloud";
import type { PlannedResource } from "../tools/plan/plan";
import { addonConfigCheck } from "../infra/addons/catalog";

export type Values = Record<string, unknown>;

/** A deep copy of a stack file's config values (`dev` by default). */
export function stackValues(stack = "dev"): Values {
    return structuredClone(readStackFile(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`)).values);
}

/** Validates as the program does: the schema, then the add-on overrides against their charts. */
export function validate(values: Values, stack = "dev"): StackConfig {
    return validateStackConfig(values, { project: "eks-delivery", stack, catalog: loadInstanceCatalog(), projectRoot: PROJECT_ROOT, checks: [addonConfigCheck] });
}

/** The day tests read the EKS support calendar on: verdicts must not change with the day the suite runs. */
export const TEST_DATE = "2026-11-27";

/**
 * Runs the program offline with these values, as `npm run plan` does (on TEST_DATE unless `today` says);
 * `more` passes the request's other options (the cluster's live objects, a preview...).
 */
export function plan(values: Values, stack = "dev", secretKeys: string[] = [], previousOutputs?: Record<string, unknown>, today = TEST_DATE,
    more: Omit<PlanRequest, "stack" | "stackFile" | "configFile"> = {}): Promise<PlannedStack> {
    return planStack({ stack, stackFile: { file: `test:${stack}`, values, secretKeys }, previousOutputs, today, ...more });
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

/** The CRDs the program vendors and applies (Gateway API, the load balancer controller's), by `<group>/<version>/<kind>`. */
let vendoredSchemas: Map<string, object> | undefined;
function vendoredCrdSchema(apiVersion: string, kind: string): object | undefined {
    if (!vendoredSchemas) {
        const { readManifests } = require("../infra/addons/manifests") as typeof import("../infra/addons/manifests");
        const { GATEWAY_API_MANIFESTS, LOAD_BALANCER_CONTROLLER_MANIFESTS } = require("../infra/addons/gateway-api") as typeof import("../infra/addons/gateway-api");
        vendoredSchemas = new Map();
        for (const crd of [GATEWAY_API_MANIFESTS, ...LOAD_BALANCER_CONTROLLER_MANIFESTS].flatMap(readManifests).filter((o) => o.kind === "CustomResourceDefinition")) {
            for (const v of crd.spec.versions) vendoredSchemas.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, v.schema.openAPIV3Schema);
        }
    }
    return vendoredSchemas.get(`${apiVersion}/${kind}`);
}

/**
 * Validates a Kubernetes object against its OpenAPI schema (kubernetes-models, or the vendored CRD's own
 * openAPIV3Schema); throws with the schema's complaint. CEL rules (x-kubernetes-validations) are not run.
 */
export async function validateKubernetesObject(object: Record<string, unknown>): Promise<void> {
    const { apiVersion, kind } = object as { apiVersion: string; kind: string };
    const crd = vendoredCrdSchema(apiVersion, kind);
    if (crd) {
        const { default: Ajv } = await import("ajv");
        // int32/int64 are OpenAPI formats ajv does not know: types and enums are what matter here.
        const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(crd);
        const { metadata: _metadata, ...rest } = object;
        if (!validate(rest)) throw new Error(`${apiVersion} ${kind}: ${(validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join("; ")}`);
        return;
    }
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
    return {
        clusterName: `eks-delivery-${stack}`,
        clusterArn: `arn:aws:eks:ap-northeast-2:123456789012:cluster/eks-delivery-${stack}`,
        config,
        accountId: "123456789012",
        vpcId: "vpc-0123456789abcdef0",
        clusterSecurityGroupId: "sg-0123456789abcdef0",
        nodeRoleName: "nodes-role-1234567",
        nodeRoleArn: "arn:aws:iam::123456789012:role/nodes-role-1234567",
        tags: { "eks-delivery/stack": stack },
        inCluster: [],
    };
}

/**
 * Runs `body` (which declares resources, e.g. one add-on component) under the emulated cloud and
 * returns the plan of what it registered, as `npm run plan` would show it.
 */
export async function planComponent(body: () => void, stack = "dev",
    more: Omit<import("../tools/plan/engine").EngineOptions, "project" | "stack" | "stackFile" | "projectRoot"> = {}): Promise<import("../tools/plan/plan").Plan> {
    const { runEmulated } = await import("../tools/plan/engine");
    const { buildPlan } = await import("../tools/plan/plan");
    const stackFile = { file: `test:${stack}`, values: stackValues(stack), secretKeys: [] };
    const run = await runEmulated({ project: "eks-delivery", stack, stackFile, projectRoot: PROJECT_ROOT, ...more }, async () => { body(); });
    return buildPlan(run);
}

/**
 * A Deployment as the API server returns it once `manifest` (a planned Deployment's inputs) has rolled out
 * and its HPA (or Pulumi) has set it to `replicas`: server-set metadata, the controllers' field managers,
 * a settled status. Zero counts are absent from the status, as the API omits them (omitempty).
 */
export function liveDeployment(manifest: Record<string, any>, replicas: number): import("../tools/plan/emulatedCloud").KubernetesObject & import("kubernetes-models/apps/v1/Deployment").IDeployment {
    const time = `${TEST_DATE}T00:00:00Z`;
    const count = replicas > 0 ? replicas : undefined;
    const { name, namespace } = manifest.metadata;
    const managed = (manager: string, fields: object, subresource?: string) => ({ manager, operation: "Update", apiVersion: "apps/v1", time, fieldsType: "FieldsV1", fieldsV1: fields, ...(subresource ? { subresource } : {}) });
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {
            ...manifest.metadata,
            name,
            namespace,
            uid: [8, 4, 4, 4, 12].map((n, i) => stableHex(n, namespace, name, String(i))).join("-"),
            resourceVersion: "48213",
            generation: 2,
            creationTimestamp: time,
            annotations: { ...manifest.metadata.annotations, "deployment.kubernetes.io/revision": "1" },
            managedFields: [
                managed("kube-controller-manager", { "f:spec": { "f:replicas": {} } }, "scale"),
                managed("kube-controller-manager", { "f:status": { "f:conditions": {}, "f:observedGeneration": {}, "f:replicas": {} } }, "status"),
            ],
        },
        spec: { ...manifest.spec, replicas },
        status: {
            observedGeneration: 2,
            replicas: count, updatedReplicas: count, readyReplicas: count, availableReplicas: count,
            conditions: [
                { type: "Available", status: "True", reason: "MinimumReplicasAvailable", message: "Deployment has minimum availability.", lastUpdateTime: time, lastTransitionTime: time },
                { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable", message: `ReplicaSet "${name}-5d8f7c9b6" has successfully progressed.`, lastUpdateTime: time, lastTransitionTime: time },
            ],
        },
    };
}

/**
 * A Service as the API server returns it once `manifest` (a planned Service's inputs) is applied: server-set
 * metadata and the fields it defaults for a ClusterIP Service (kubernetes/kubernetes pkg/apis/core/v1/defaults.go
 * SetDefaults_Service; the cluster IP from the service CIDR; ipFamilies/ipFamilyPolicy from the allocator).
 */
export function liveService(manifest: Record<string, any>): import("../tools/plan/emulatedCloud").KubernetesObject & import("kubernetes-models/v1/Service").IService {
    const time = `${TEST_DATE}T00:00:00Z`;
    const { name, namespace } = manifest.metadata;
    const clusterIP = `172.20.${parseInt(stableHex(2, namespace, name), 16)}.${parseInt(stableHex(2, name, namespace), 16)}`;
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: {
            ...manifest.metadata,
            uid: [8, 4, 4, 4, 12].map((n, i) => stableHex(n, namespace, name, "svc", String(i))).join("-"),
            resourceVersion: "48190",
            creationTimestamp: time,
        },
        spec: {
            ...manifest.spec,
            clusterIP, clusterIPs: [clusterIP],
            internalTrafficPolicy: "Cluster", ipFamilies: ["IPv4"], ipFamilyPolicy: "SingleStack", sessionAffinity: "None",
        },
        status: { loadBalancer: {} },
    };
}

/** The Pod Identity of a planned add-on: its role's trust, its policy statements and its association. */
export function podIdentity(plan: import("../tools/plan/plan").Plan): { role: PlannedResource; trust: any; statements: any[]; association: PlannedResource } {
    const only = (type: string) => {
        const found = plan.resources.filter((r) => r.type === type);
        if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
        return found[0];
    };
    const role = only("aws:iam/role:Role");
    const policy = only("aws:iam/rolePolicy:RolePolicy");
    if (policy.inputs.role !== role.outputs.name) throw new Error("the policy is not on the workload role");
    const association = only("aws:eks/podIdentityAssociation:PodIdentityAssociation");
    return { role, trust: JSON.parse(String(role.inputs.assumeRolePolicy)), statements: JSON.parse(String(policy.inputs.policy)).Statement, association };
}

/**
 * The controller gets credentials the way EKS Pod Identity gives them: a role only pods.eks.amazonaws.com
 * may assume, for exactly this cluster/namespace/service account, an association naming the chart's
 * service account, and a release that waits for the association (credentials are injected at pod creation).
 */
export function assertPodIdentity(plan: import("../tools/plan/plan").Plan, namespace: string, serviceAccount: string, clusterName = "eks-delivery-dev"): void {
    const { role, trust, association } = podIdentity(plan);
    const [statement] = trust.Statement;
    if (trust.Statement.length !== 1) throw new Error("one trust statement expected");
    const expect = (actual: unknown, wanted: unknown, what: string) => {
        if (JSON.stringify(actual) !== JSON.stringify(wanted)) throw new Error(`${what}: ${JSON.stringify(actual)} != ${JSON.stringify(wanted)}`);
    };
    expect(statement.Principal, { Service: "pods.eks.amazonaws.com" }, "trust principal");
    expect(statement.Action, ["sts:AssumeRole", "sts:TagSession"], "trust actions");
    expect(statement.Condition, { StringEquals: {
        "aws:RequestTag/eks-cluster-arn": `arn:aws:eks:ap-northeast-2:123456789012:cluster/${clusterName}`,
        "aws:RequestTag/kubernetes-namespace": namespace,
        "aws:RequestTag/kubernetes-service-account": serviceAccount,
    } }, "trust conditions");
    expect([association.inputs.clusterName, association.inputs.namespace, association.inputs.serviceAccount, association.inputs.roleArn],
        [clusterName, namespace, serviceAccount, role.outputs.arn], "association");
    const release = plan.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release");
    if (!release?.options?.dependsOn?.includes(association.urn)) throw new Error("the release does not wait for the Pod Identity association");
}
