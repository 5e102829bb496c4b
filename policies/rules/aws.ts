/**
 * AWS policies. Each checks both shapes a stack can have: the `@pulumi/eks` component's inputs (all
 * the offline plan sees, as remote components are opaque there) and the `aws:*` resources a real
 * preview registers under them.
 */
import { eachKnown, known, ofTypes, wildcardRegExp, type Finding, type ObjectPolicy, type PolicyDefinition, type StackPolicy, type StackResource } from "../framework";
import { EKS_VERSIONS, isIsoDate, supportStatus, utcDate } from "../lib/eksVersions";

const of = (resources: StackResource[], ...types: string[]) => resources.filter((r) => types.includes(r.type));
const finding = (r: StackResource, message: string): Finding => ({ resource: r, message: `${r.type.split(":").pop()} ${r.name}: ${message}` });

const EKS_COMPONENT = "eks:index:Cluster";
const EKS_CLUSTER = "aws:eks/cluster:Cluster";
const CLUSTERS = ofTypes(EKS_COMPONENT, EKS_CLUSTER);

export const eksSecretsEncryption: ObjectPolicy = {
    name: "eks-secrets-encryption",
    description: "EKS envelope-encrypts Kubernetes secrets with a KMS key.",
    severity: "high",
    security: true,
    remediation: "Pass encryptionConfigKeyArn (a KMS key with rotation) to the cluster.",
    why: "Without envelope encryption, etcd snapshots and backups hold every Kubernetes secret readable.",
    tags: ["checkov:CKV_AWS_58"],
    appliesTo: CLUSTERS,
    checkObject: (r) => {
        if (r.type === EKS_COMPONENT) return r.props.encryptionConfigKeyArn ? [] : [finding(r, "has no encryptionConfigKeyArn")];
        const configs: any[] = r.props.encryptionConfig ? [r.props.encryptionConfig].flat() : [];
        return configs.some((c) => (c.resources ?? []).includes("secrets") && c.provider?.keyArn) ? [] : [finding(r, "does not encrypt secrets with a KMS key")];
    },
};

/** Problems with an endpoint's exposure: public access without a CIDR list, or open to the internet. */
function endpointProblem(publicAccess: boolean | undefined, cidrs: string[] | undefined): string | undefined {
    if (publicAccess === false) return undefined;
    if (!cidrs || cidrs.length === 0) return "has a public endpoint open to 0.0.0.0/0 (no publicAccessCidrs)";
    if (cidrs.includes("0.0.0.0/0")) return "has a public endpoint open to 0.0.0.0/0";
    return undefined;
}

export const eksEndpointRestricted: ObjectPolicy = {
    name: "eks-endpoint-restricted",
    description: "The EKS API endpoint is private, or public only to listed CIDRs (never 0.0.0.0/0).",
    severity: "critical",
    security: true,
    remediation: "Set publicAccessCidrs to your office/VPN ranges, or endpointPublicAccess: false.",
    why: "An API server open to the internet is one leaked kubeconfig or one CVE away from the whole cluster.",
    tags: ["checkov:CKV_AWS_38", "checkov:CKV_AWS_39"],
    appliesTo: CLUSTERS,
    checkObject: (r) => {
        // The component's endpointPublicAccess defaults to true, as does the cluster's.
        const problem = r.type === EKS_COMPONENT
            ? endpointProblem(r.props.endpointPublicAccess ?? true, r.props.publicAccessCidrs)
            : endpointProblem(r.props.vpcConfig?.endpointPublicAccess ?? true, r.props.vpcConfig?.publicAccessCidrs);
        return problem ? [finding(r, problem)] : [];
    },
};

const REQUIRED_LOGS = ["api", "audit", "authenticator"];

export const eksControlPlaneLogging: ObjectPolicy = {
    name: "eks-control-plane-logging",
    description: "EKS ships at least the api, audit and authenticator control-plane logs.",
    severity: "medium",
    security: true,
    remediation: "enabledClusterLogTypes: [api, audit, authenticator, controllerManager, scheduler].",
    why: "Without audit logs nobody could say who deleted the Deployment at 3 a.m.",
    tags: ["checkov:CKV_AWS_37"],
    appliesTo: CLUSTERS,
    checkObject: (r) => {
        const enabled: string[] = r.props.enabledClusterLogTypes ?? [];
        const missing = REQUIRED_LOGS.filter((l) => !enabled.includes(l));
        return missing.length ? [finding(r, `does not log ${missing.join(", ")}`)] : [];
    },
};

const REPOSITORY = "aws:ecr/repository:Repository";

export const ecrImmutableTags: ObjectPolicy = {
    name: "ecr-immutable-tags",
    description: "ECR repositories make release tags immutable (exclusions may not cover version tags).",
    severity: "high",
    security: true,
    remediation: "imageTagMutability: IMMUTABLE (or IMMUTABLE_WITH_EXCLUSION for a cache tag only).",
    why: "A re-pushed tag swapped the code under running pods; the next restart ran something nobody deployed.",
    tags: ["checkov:CKV_AWS_51"],
    appliesTo: ofTypes(REPOSITORY),
    checkObject: (r) => {
        const mode = r.props.imageTagMutability ?? "MUTABLE";
        if (mode === "IMMUTABLE") return [];
        if (mode === "IMMUTABLE_WITH_EXCLUSION") {
            const filters: string[] = (r.props.imageTagMutabilityExclusionFilters ?? []).map((f: any) => String(f.filter));
            const loose = filters.filter((f) => ["v1.2.3", "v1.2.3-abcdef0", "latest"].some((tag) => wildcardRegExp(f).test(tag)));
            return loose.length ? [finding(r, `exclusion filters ${loose.join(", ")} make release tags mutable`)] : [];
        }
        return [finding(r, `tags are ${mode}`)];
    },
};

export const ecrScanOnPush: ObjectPolicy = {
    name: "ecr-scan-on-push",
    description: "ECR scans every pushed image.",
    severity: "medium",
    security: true,
    remediation: "imageScanningConfiguration: {scanOnPush: true}.",
    why: "Known CVEs in base images shipped for months because nobody looked.",
    tags: ["checkov:CKV_AWS_163"],
    appliesTo: ofTypes(REPOSITORY),
    checkObject: (r) => r.props.imageScanningConfiguration?.scanOnPush === true ? [] : [finding(r, "does not scan on push")],
};

export const ecrKmsEncryption: ObjectPolicy = {
    name: "ecr-kms-encryption",
    description: "ECR repositories are encrypted with KMS.",
    severity: "medium",
    security: true,
    remediation: "encryptionConfigurations: [{encryptionType: KMS, kmsKey: <key arn>}].",
    why: "Customer-managed keys keep image access auditable and revocable.",
    tags: ["checkov:CKV_AWS_136"],
    appliesTo: ofTypes(REPOSITORY),
    checkObject: (r) => (r.props.encryptionConfigurations ?? []).some((c: any) => c.encryptionType === "KMS") ? [] : [finding(r, "is not KMS-encrypted")],
};

export const ecrLifecyclePolicy: StackPolicy = {
    name: "ecr-lifecycle-policy",
    description: "Every ECR repository has a lifecycle policy.",
    severity: "low",
    remediation: "Add an aws.ecr.LifecyclePolicy expiring untagged images and keeping the last N.",
    why: "Registries grew without bound: storage bills, and scans of thousands of dead images.",
    tags: [],
    check: ({ resources }) => {
        // In a preview a policy's repository may be unknown: the repositories it could cover are then not judged.
        const policies = of(resources, "aws:ecr/lifecyclePolicy:LifecyclePolicy");
        // Each repository value at its first policy, and the first policy whose value cannot be read: a
        // repository named (or URN'd) before that one is covered, else it is not judged, as a scan in order found.
        const first = new Map<string, number>();
        let unreadable: { at: number; err: unknown } | undefined;
        policies.forEach((p, at) => {
            try {
                const repository = String(p.props.repository);
                if (!first.has(repository)) first.set(repository, at);
            } catch (err) {
                unreadable ??= { at, err };
            }
        });
        return eachKnown(of(resources, REPOSITORY), (r) => {
            if (policies.length === 0) return [finding(r, "has no lifecycle policy")];
            const at = Math.min(...[String(r.props.name), r.urn].map((k) => first.get(k) ?? Infinity));
            if (unreadable && unreadable.at < at) throw unreadable.err;
            return at < Infinity ? [] : [finding(r, "has no lifecycle policy")];
        });
    },
};

/** What is wrong with a launch template's metadata options: IMDSv1 allowed, or a hop limit that lets pods in. */
function metadataProblems(options: Record<string, any> | undefined): string[] {
    const problems: string[] = [];
    if (options?.httpTokens !== "required") problems.push("does not set metadataOptions.httpTokens: required");
    const hops = options?.httpPutResponseHopLimit;
    if (hops === undefined || hops === null) {
        // AL2023 AMIs are registered with imds-support v2.0, which defaults the hop limit to 2
        // (docs.aws.amazon.com/linux/al2023/ug/imdsv2.html).
        problems.push("leaves metadataOptions.httpPutResponseHopLimit unset (2 on AL2023 AMIs): pods can reach IMDS");
    } else if (Number(hops) > 1) {
        problems.push(`sets metadataOptions.httpPutResponseHopLimit: ${hops}: pods can reach IMDS and the node role's credentials`);
    }
    return problems;
}

export const nodesImdsV2: ObjectPolicy = {
    name: "nodes-imdsv2",
    description: "Worker nodes require IMDSv2 (session tokens) with a response hop limit of 1, so pods cannot reach instance metadata.",
    severity: "high",
    security: true,
    remediation: "Give the node group a launch template with metadataOptions {httpTokens: required, httpPutResponseHopLimit: 1}; " +
        "pods get AWS credentials from EKS Pod Identity or IRSA. Not eks.ManagedNodeGroup's enableIMDSv2: it sets a hop limit of 2.",
    why: "IMDSv1 hands the node role's credentials to any SSRF in any pod; with IMDSv2 and a hop limit of 2 any pod can still " +
        "fetch a token and take the node role (ECR pull, ENI management) for itself.",
    tags: ["checkov:CKV_AWS_79", "checkov:CKV_AWS_341"],
    appliesTo: ofTypes("eks:index:ManagedNodeGroup", "aws:eks/nodeGroup:NodeGroup", "aws:ec2/launchTemplate:LaunchTemplate"),
    checkObject: (r) => {
        switch (r.type) {
            case "eks:index:ManagedNodeGroup":
                if (r.props.launchTemplate) return []; // judged by its launch template
                // pulumi-eks builds the template with a hop limit of 2 (pulumi/pulumi-eks@v4.3.0:nodejs/eks/nodes/nodegroup.ts:2236-2242).
                return [finding(r, r.props.enableIMDSv2 === true
                    ? "enableIMDSv2 sets a hop limit of 2: pods can reach IMDS and the node role's credentials"
                    : "does not require IMDSv2")];
            case "aws:eks/nodeGroup:NodeGroup":
                return r.props.launchTemplate ? [] : [finding(r, "has no launch template, so IMDSv1 stays enabled")];
            default: {
                const problems = metadataProblems(r.props.metadataOptions);
                return problems.length ? [finding(r, problems.join("; "))] : [];
            }
        }
    },
};

/** Properties of `eks-version-supported`: the day the support calendar is read on. */
export interface EksVersionConfig {
    /** YYYY-MM-DD (UTC); default: the day the policy runs. Set it to make a verdict reproducible. */
    today?: string;
}

/** What is wrong with a cluster's Kubernetes version on `today`, if anything. */
function versionProblem(value: unknown, today: string): string | undefined {
    const version = value === undefined || value === null ? undefined : String(value);
    if (version === undefined) return "sets no version: EKS picks one, and nothing says when it leaves standard support";
    const entry = EKS_VERSIONS.find((v) => v.version === version);
    const status = supportStatus(version, today);
    if (!entry || !status) return `Kubernetes ${version} is not in the EKS support calendar (${EKS_VERSIONS.map((v) => v.version).join(", ")})`;
    if (status.phase === "standard") return undefined;
    return status.phase === "extended"
        ? `Kubernetes ${version} left standard support on ${entry.endOfStandardSupport} (phase: extended, ` +
            `$0.60 instead of $0.10 per cluster-hour until ${entry.endOfExtendedSupport})`
        : `Kubernetes ${version} left standard support on ${entry.endOfStandardSupport} (phase: unsupported, ` +
            `extended support ended ${entry.endOfExtendedSupport}; EKS upgrades the control plane by itself)`;
}

export const eksVersionSupported: ObjectPolicy<EksVersionConfig> = {
    name: "eks-version-supported",
    description: "The EKS cluster runs a Kubernetes version in standard support (policies/lib/eksVersions.ts) and sets its upgrade policy explicitly.",
    severity: "high",
    security: true,
    remediation: "Upgrade cluster.kubernetesVersion (and the node AMI release) to a version in standard support, one minor at a time; " +
        "set upgradePolicy.supportType (STANDARD, or EXTENDED on purpose).",
    why: "Past standard support EKS either upgrades the control plane on its own schedule (STANDARD) or bills six times the " +
        "control-plane price (EXTENDED, the default when upgradePolicy is unset), and the version gets no more patches from upstream.",
    tags: [],
    config: {
        defaults: {},
        schema: { properties: { today: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" } } },
    },
    appliesTo: CLUSTERS,
    checkObject: (r, config) => {
        const today = config.today ?? utcDate();
        if (!isIsoDate(today)) {
            return [{ resource: r, message: `config today ${JSON.stringify(today)} is not a date like 2026-11-27` }];
        }
        // The version and the upgrade policy are judged apart: in a preview either may be unknown.
        const problems = [known(() => versionProblem(r.props.version, today), undefined), known(() => r.props.upgradePolicy?.supportType
            ? undefined
            : "sets no upgradePolicy: EKS defaults to EXTENDED support, billed at six times the price once the version leaves standard support", undefined)]
            .filter((p): p is string => p !== undefined);
        return problems.length ? [finding(r, problems.join("; "))] : [];
    },
};

export const awsPolicies: PolicyDefinition<any>[] = [
    eksSecretsEncryption, eksEndpointRestricted, eksControlPlaneLogging, eksVersionSupported,
    ecrImmutableTags, ecrScanOnPush, ecrKmsEncryption, ecrLifecyclePolicy, nodesImdsV2,
];
