/**
 * The stack's name as Pulumi validates it, and every cloud and Kubernetes name the program builds from
 * it and from the service names: a stack the CLI accepts can still make a namespace or a cluster name
 * that Kubernetes or AWS refuses half-way through an update. Checked before anything is planned.
 */
import { showValue } from "./errors";

/** A derived name in full (they are bounded): showValue would cut the long ones this file reports. */
const quote = (name: string) => JSON.stringify(name);

/**
 * Pulumi's own rule for a stack name: non-empty, at most 100 characters of [A-Za-z0-9_.-]
 * (pulumi/pulumi@v3.248.0:sdk/go/common/tokens/stack_name.go ParseStackName, called by every backend's
 * ValidateStackName in pkg/backend/{httpstate,diy}/backend.go). The messages are Pulumi's.
 */
export function pulumiStackNameProblem(stack: string): string | undefined {
    if (stack === "") return "a stack name may not be empty";
    if (stack.length > 100) return "a stack name cannot exceed 100 characters";
    const bad = /[^A-Za-z0-9_.-]/.exec(stack);
    if (bad) return `a stack name may only contain alphanumeric, hyphens, underscores, or periods: invalid character ${JSON.stringify(bad[0])} at position ${bad.index}`;
    return undefined;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** EKS CreateCluster's name (@pulumi/aws@7.48.0 eks/cluster.d.ts, `name`): 1-100 characters. */
const EKS_CLUSTER = /^[0-9A-Za-z][A-Za-z0-9\-_]*$/;
/** An ECR repository name (`<project>-<stack>/<service>`, infra/registry.ts). */
const ECR_REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

function label(kind: "DNS-1123" | "DNS-1035", name: string): string | undefined {
    if (name.length > 63) return `is ${name.length} characters: a ${kind} label has at most 63`;
    const rule = kind === "DNS-1123" ? DNS1123_LABEL : DNS1035_LABEL;
    if (!rule.test(name)) {
        return kind === "DNS-1123"
            ? "is not a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit)"
            : "is not a DNS-1035 label (lower-case letters, digits and '-', starting with a letter and ending with a letter or digit)";
    }
    return undefined;
}

/** What the derived-name checks read from the (possibly invalid) raw config. */
export interface NameInputs {
    project: string;
    stack: string;
    karpenter: boolean;
    delivery: boolean;
}

/**
 * Every name built from the project and the stack, with the rule of whoever receives it. One line per
 * refused name, naming the name, who builds it and why; empty when all are usable.
 */
export function stackNameProblems(n: NameInputs): string[] {
    const at = `stack ${showValue(n.stack)}`;
    const pulumi = pulumiStackNameProblem(n.stack);
    if (pulumi) return [`${at}: ${pulumi}`];
    const problems: string[] = [];
    // The services' namespace is the stack's name (apps/index.ts).
    const ns = label("DNS-1123", n.stack);
    if (ns) problems.push(`${at}: ${ns}, and it names the services' Kubernetes namespace: use e.g. ${showValue(suggestLabel(n.stack))}`);
    const cluster = `${n.project}-${n.stack}`; // index.ts
    if (cluster.length > 100) problems.push(`${at}: makes the EKS cluster name ${quote(cluster)} of ${cluster.length} characters: EKS allows at most 100`);
    else if (!EKS_CLUSTER.test(cluster)) problems.push(`${at}: makes the EKS cluster name ${quote(cluster)}, which is not ^[0-9A-Za-z][A-Za-z0-9-_]*$`);
    // The registry's repositories are <cluster>/<service> (index.ts, infra/registry.ts): lower-case only.
    else if (!ECR_REPOSITORY.test(`${cluster}/x`)) problems.push(`${at}: makes the ECR repository prefix ${quote(cluster)}, which ECR refuses (lower-case letters, digits, and single '.', '_' or '-' between them)`);
    // Karpenter's interruption queue (infra/addons/karpenter): SQS queue names have at most 80 characters
    // (@pulumi/aws@7.48.0 sqs/queue.d.ts, `name`).
    const queue = `${cluster}-karpenter`;
    if (n.karpenter && queue.length > 80) problems.push(`${at}: makes Karpenter's SQS queue ${quote(queue)} of ${queue.length} characters: SQS allows at most 80`);
    // Pulumi Deployments assume the deploy role with this session name (infra/delivery.ts): STS allows 2-64 characters.
    const session = `pulumi-deployments-${n.stack}`;
    if (n.delivery && session.length > 64) problems.push(`${at}: makes the Deployments role session ${quote(session)} of ${session.length} characters: STS allows at most 64`);
    return problems;
}

/**
 * The Kubernetes objects named after a service (apps/service): its ServiceAccount, Deployment, Service,
 * HPA..., the blue/green Deployments and Services, and the Secret its ExternalSecret writes.
 */
export const SERVICE_NAME_SUFFIXES = ["", "-blue", "-green", "-env"] as const;

/**
 * The names a service's name makes, as Kubernetes Service names: DNS-1035 labels of at most 63
 * characters (kubernetes/kubernetes:pkg/apis/core/validation/validation.go, ValidateServiceName = NameIsDNS1035Label).
 */
export function serviceNameProblems(name: string, blueGreen: boolean): string[] {
    const problems: string[] = [];
    for (const suffix of SERVICE_NAME_SUFFIXES) {
        if (!blueGreen && (suffix === "-blue" || suffix === "-green")) continue;
        const problem = label("DNS-1035", `${name}${suffix}`);
        if (problem) problems.push(`${quote(name)} makes the Kubernetes name ${quote(`${name}${suffix}`)}, which ${problem}`);
        if (problem) break; // the same fault in every suffix: one line
    }
    return problems;
}

/** A DNS-1123 label close to a name: lower-cased, other characters as '-', trimmed to 63. */
function suggestLabel(name: string): string {
    const out = name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
    return out === "" ? "dev" : out;
}
