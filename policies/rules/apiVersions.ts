/**
 * Kubernetes objects written in an apiVersion the cluster no longer serves (rejected on apply) or soon
 * will not (deprecated), from the table in lib/kubeApiVersions.ts. The Kubernetes version judged against:
 * the policy's `kubernetesVersion` property (what `npm run policy -- --kubernetes-version` sets), else the
 * stack's EKS cluster version, else the newest version of the EKS calendar (lib/eksVersions.ts).
 */
import { known, UnknownValue, type Finding, type StackPolicy, type StackResource } from "../framework";
import { describeObject } from "../kubernetes";
import { EKS_VERSIONS } from "../lib/eksVersions";
import { apiLifecycle, atOrAfter, KUBE_MINOR_PATTERN, minorOf, replacementOn, type ApiVersionLifecycle } from "../lib/kubeApiVersions";

/** Properties of both policies. */
export interface KubernetesVersionConfig {
    /** The Kubernetes minor judged against (`1.34`); default: the stack's EKS cluster version. */
    kubernetesVersion?: string;
}

const EKS_CLUSTERS = ["eks:index:Cluster", "aws:eks/cluster:Cluster"];

/** The version judged against, and where it came from (said in every finding). */
export interface JudgedVersion {
    version: string;
    source: string;
}

/**
 * The Kubernetes version of the stack: the config's, else the newest version an EKS cluster of the stack
 * declares (`version` of the @pulumi/eks component or of aws.eks.Cluster: both when a preview registers
 * the component's children), else the newest of the EKS calendar. When a preview knows no cluster's
 * version but one is still unknown, throws that UnknownValue: every verdict depends on it, so the policy
 * cannot run (and says so).
 * Returns a problem line instead for a config value that is not a version.
 */
export function judgedVersion(resources: StackResource[], config: KubernetesVersionConfig): JudgedVersion | { problem: string } {
    const configured = config.kubernetesVersion;
    if (configured !== undefined) {
        if (typeof configured !== "string" || minorOf(configured) === undefined) {
            return { problem: `config kubernetesVersion ${JSON.stringify(configured)} is not a Kubernetes version like 1.34` };
        }
        return { version: configured, source: "policy config kubernetesVersion" };
    }
    let newest: { version: string; cluster: StackResource } | undefined;
    let unknown: UnknownValue | undefined;
    for (const r of resources) {
        if (!EKS_CLUSTERS.includes(r.type)) continue;
        let value: unknown;
        try {
            value = r.props.version;
        } catch (err) {
            if (!(err instanceof UnknownValue)) throw err;
            unknown ??= err;
            continue;
        }
        // A version EKS would reject is eks-version-supported's to report; an unset one is EKS's default (the newest).
        const version = value === undefined || value === null ? undefined : String(value);
        if (version === undefined || minorOf(version) === undefined) continue;
        if (!newest || minorOf(version)! > minorOf(newest.version)!) newest = { version, cluster: r };
    }
    // A preview registers the component and its aws.eks.Cluster: one known version speaks for the stack.
    if (!newest && unknown) throw unknown;
    if (newest) return { version: newest.version, source: `the version of EKS cluster ${newest.cluster.name}` };
    const latest = EKS_VERSIONS.reduce((a, b) => (minorOf(b.version)! > minorOf(a.version)! ? b : a)).version;
    return { version: latest, source: "no kubernetesVersion configured and no EKS cluster version in the stack: the newest version of the EKS calendar" };
}

/** `kubernetes:networking.k8s.io/v1:Ingress` -> [`networking.k8s.io/v1`, `Ingress`]; `core/v1` is `v1`. */
export function apiVersionOf(r: StackResource): [string, string] {
    const [, groupVersion, kind] = r.type.split(":");
    return [groupVersion.startsWith("core/") ? groupVersion.slice("core/".length) : groupVersion, kind];
}

function versionPolicy(
    name: string,
    judge: (entry: ApiVersionLifecycle, version: string) => string | undefined,
    info: Omit<StackPolicy<KubernetesVersionConfig>, "name" | "check" | "config">,
): StackPolicy<KubernetesVersionConfig> {
    return {
        name,
        ...info,
        config: {
            defaults: {},
            schema: { properties: { kubernetesVersion: { type: "string", pattern: KUBE_MINOR_PATTERN } } },
        },
        check: ({ resources, kube, config }) => {
            const judged = judgedVersion(resources, config);
            if ("problem" in judged) return [{ message: judged.problem }];
            const findings: Finding[] = [];
            for (const r of kube.objects) {
                // The type token says what the provider sends (kubernetes:<apiVersion>:<kind>), known in a preview.
                const [apiVersion, kind] = apiVersionOf(r);
                const entry = apiLifecycle(apiVersion, kind);
                const problem = entry && judge(entry, judged.version);
                if (problem) findings.push({ resource: r, message: `${known(() => describeObject(r), `${kind} ${r.name}`)}: ${apiVersion} ${kind} ${problem} (Kubernetes ${judged.version}: ${judged.source})` });
            }
            return findings;
        },
    };
}

const migrate = (entry: ApiVersionLifecycle, version: string) => {
    const to = replacementOn(entry, version);
    return to ? `: use ${to}` : ": it has no replacement";
};

export const apiVersionRemoved = versionPolicy(
    "api-version-removed",
    (entry, version) => (atOrAfter(version, entry.removedIn) ? `is no longer served since Kubernetes ${entry.removedIn}${migrate(entry, version)}` : undefined),
    {
        description: "Kubernetes objects use an apiVersion the cluster's Kubernetes version still serves (lib/kubeApiVersions.ts).",
        severity: "high",
        remediation: "Move the object to the replacement apiVersion (kubectl convert, then review the notable changes in the deprecation guide); " +
            "set kubernetesVersion (or --kubernetes-version) to the version the stack targets.",
        why: "The API server rejects an object in a removed apiVersion: the deploy fails halfway, or a chart that rendered " +
            "policy/v1beta1 PDBs blocked the cluster upgrade to 1.25 until every release was fixed.",
        tags: ["kube-score:stable-version"],
    },
);

export const apiVersionDeprecated = versionPolicy(
    "api-version-deprecated",
    (entry, version) => (atOrAfter(version, entry.deprecatedIn) && !atOrAfter(version, entry.removedIn)
        ? `is deprecated since Kubernetes ${entry.deprecatedIn} and removed in ${entry.removedIn}${migrate(entry, version)}`
        : undefined),
    {
        description: "Kubernetes objects do not use an apiVersion deprecated in the cluster's Kubernetes version (still served, removed in a later one).",
        severity: "low",
        remediation: "Move the object to the replacement apiVersion before upgrading the cluster to the version that removes it.",
        why: "Deprecated versions keep working until the upgrade that removes them; found then, every manifest blocks the upgrade at once.",
        tags: ["kube-score:stable-version"],
    },
);

export const apiVersionPolicies = [apiVersionRemoved, apiVersionDeprecated];
