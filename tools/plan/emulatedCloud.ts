/**
 * The emulated cloud behind the offline plan: a `pulumi.runtime.Mocks` that answers every resource
 * and invoke the program makes with realistic, deterministic values (IDs, ARNs, auto-names, URLs),
 * all derived from a hash of the resource's type and name, so the same input plans byte-identically.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import type * as aws from "@pulumi/aws";
import type * as awsx from "@pulumi/awsx";
import type * as dockerBuild from "@pulumi/docker-build";
import type * as eks from "@pulumi/eks";

/**
 * The outputs a resource class declares (its `readonly x: Output<...>` members), with their value types.
 * Emulated states are checked against them with `satisfies`, so an output the real provider does not
 * have, or a value of the wrong shape, fails to compile.
 */
type OutputsOf<T> = {
    [K in Exclude<keyof T, keyof import("@pulumi/pulumi").CustomResource | "getProvider">]?: T[K] extends import("@pulumi/pulumi").Output<infer U> ? Plain<U> : never;
};
/** An output's value as a mock returns it: plain data, where a resource reference reads as its outputs. */
type Plain<T> = T extends import("@pulumi/pulumi").Resource ? OutputsOf<T>
    : T extends (infer E)[] ? Plain<E>[]
    : T extends object ? { [K in keyof T]?: Plain<T[K]> }
    : T;

export interface CloudOptions {
    region: string;
    accountId: string;
    /** Where image build contexts are read from (the project root). */
    projectRoot: string;
    /** The stack's outputs after its previous update, as a self stack reference reads them. */
    previousOutputs?: Record<string, unknown>;
}

export const EMULATED_ACCOUNT_ID = "123456789012";

/** Deterministic hex of the given length, from the parts that identify a resource. */
export function stableHex(length: number, ...parts: string[]): string {
    return createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, length);
}

/** AWS types the provider auto-names (`<name>-<7 hex>`) when the program sets no `name`. */
const AUTO_NAMED = new Set([
    "aws:iam/role:Role", "aws:iam/policy:Policy", "aws:sns/topic:Topic", "aws:sqs/queue:Queue",
    "aws:autoscaling/policy:Policy", "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:ecr/repository:Repository", "aws:cloudwatch/logGroup:LogGroup",
    "aws:iam/instanceProfile:InstanceProfile", "aws:iam/rolePolicy:RolePolicy",
]);

type State = Record<string, unknown>;
type Shape = (name: string, inputs: State) => { id?: string; state?: State };


export class EmulatedCloud implements pulumi.runtime.Mocks {
    /** Invokes answered, by token: the benchmark reports their number. */
    readonly invokes = new Map<string, number>();

    constructor(private readonly options: CloudOptions) {}

    private arn(service: string, resource: string, global = false): string {
        return `arn:aws:${service}:${global ? "" : this.options.region}:${this.options.accountId}:${resource}`;
    }

    /** Per-type outputs beyond the inputs, as the real provider would report them. */
    private readonly shapes: Record<string, Shape> = {
        "aws:iam/role:Role": (_n, i) => ({
            id: String(i.name),
            state: { arn: this.arn("iam", `role/${i.name}`, true), uniqueId: `AROA${stableHex(17, String(i.name)).toUpperCase()}` } satisfies OutputsOf<aws.iam.Role>,
        }),
        "aws:iam/rolePolicy:RolePolicy": (_n, i) => ({ id: `${i.role}:${i.name}` }),
        "aws:iam/policy:Policy": (_n, i) => {
            const arn = this.arn("iam", `policy/${i.name}`, true);
            return { id: arn, state: { arn, policyId: `ANPA${stableHex(17, String(i.name)).toUpperCase()}` } satisfies OutputsOf<aws.iam.Policy> };
        },
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (_n, i) => ({ id: `${i.role}-${stableHex(8, String(i.policyArn))}` }),
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (_n, i) => {
            const arn = `arn:aws:iam::${this.options.accountId}:oidc-provider/${String(i.url).replace(/^https:\/\//, "")}`;
            return { id: arn, state: { arn } satisfies OutputsOf<aws.iam.OpenIdConnectProvider> };
        },
        "aws:iam/instanceProfile:InstanceProfile": (_n, i) => ({
            id: String(i.name),
            state: { arn: this.arn("iam", `instance-profile/${i.name}`, true) } satisfies OutputsOf<aws.iam.InstanceProfile>,
        }),
        "aws:kms/key:Key": (n) => {
            const keyId = uuid(n);
            return { id: keyId, state: { keyId, arn: this.arn("kms", `key/${keyId}`) } satisfies OutputsOf<aws.kms.Key> };
        },
        "aws:kms/alias:Alias": (_n, i) => ({ id: String(i.name), state: { arn: this.arn("kms", String(i.name)) } satisfies OutputsOf<aws.kms.Alias> }),
        "aws:cloudwatch/logGroup:LogGroup": (_n, i) => ({
            id: String(i.name),
            state: { arn: this.arn("logs", `log-group:${i.name}`) } satisfies OutputsOf<aws.cloudwatch.LogGroup>,
        }),
        "aws:cloudwatch/eventRule:EventRule": (_n, i) => ({
            id: String(i.name),
            state: { arn: this.arn("events", `rule/${i.name}`) } satisfies OutputsOf<aws.cloudwatch.EventRule>,
        }),
        "aws:cloudwatch/eventTarget:EventTarget": (_n, i) => ({ id: `${i.rule}-${i.targetId}` }),
        "aws:ecr/repository:Repository": (_n, i) => ({
            id: String(i.name),
            state: {
                arn: this.arn("ecr", `repository/${i.name}`),
                registryId: this.options.accountId,
                repositoryUrl: `${this.registryHost()}/${i.name}`,
            } satisfies OutputsOf<aws.ecr.Repository>,
        }),
        "aws:ecr/lifecyclePolicy:LifecyclePolicy": (_n, i) => ({
            id: String(i.repository),
            state: { registryId: this.options.accountId } satisfies OutputsOf<aws.ecr.LifecyclePolicy>,
        }),
        "aws:sqs/queue:Queue": (_n, i) => {
            const arn = this.arn("sqs", String(i.name));
            const url = `https://sqs.${this.options.region}.amazonaws.com/${this.options.accountId}/${i.name}`;
            return { id: url, state: { arn, url } satisfies OutputsOf<aws.sqs.Queue> };
        },
        "aws:sqs/queuePolicy:QueuePolicy": (_n, i) => ({ id: String(i.queueUrl) }),
        "aws:sns/topic:Topic": (_n, i) => {
            const arn = this.arn("sns", String(i.name));
            return { id: arn, state: { arn } satisfies OutputsOf<aws.sns.Topic> };
        },
        "aws:sns/topicSubscription:TopicSubscription": (n, i) => {
            const arn = `${i.topic}:${uuid(n)}`;
            return { id: arn, state: { arn, pendingConfirmation: i.protocol === "email" } satisfies OutputsOf<aws.sns.TopicSubscription> };
        },
        "aws:autoscaling/policy:Policy": (n, i) => ({
            id: String(i.name),
            state: {
                arn: this.arn("autoscaling", `scalingPolicy:${uuid(n)}:autoScalingGroupName/${i.autoscalingGroupName}:policyName/${i.name}`),
            } satisfies OutputsOf<aws.autoscaling.Policy>,
        }),
        "aws:autoscaling/notification:Notification": (n) => ({ id: `${n}-${stableHex(8, n)}` }),
        "aws:ec2/launchTemplate:LaunchTemplate": (n, i) => {
            const id = `lt-${stableHex(17, n)}`;
            return { id, state: { arn: this.arn("ec2", `launch-template/${id}`), latestVersion: 1, defaultVersion: 1, name: String(i.name ?? `${n}-${stableHex(7, n)}`) } satisfies OutputsOf<aws.ec2.LaunchTemplate> };
        },
        "aws:eks/nodeGroup:NodeGroup": (n, i) => this.nodeGroup(n, i),
        "aws:eks/addon:Addon": (n, i) => ({
            // The real id is `<cluster>:<addon>`; the version EKS chose is unknown offline when none is pinned.
            id: `${i.clusterName}:${i.addonName}`,
            state: { arn: this.arn("eks", `addon/${i.clusterName}/${i.addonName}/${uuid(n)}`) } satisfies OutputsOf<aws.eks.Addon>,
        }),
        "aws:eks/accessEntry:AccessEntry": (_n, i) => ({
            id: `${i.clusterName}:${i.principalArn}`,
            state: {
                accessEntryArn: this.arn("eks", `access-entry/${i.clusterName}/${String(i.principalArn).includes(":user/") ? "user" : "role"}/${this.options.accountId}/${String(i.principalArn).split("/").pop()}/${uuid(String(i.principalArn))}`),
                type: String(i.type ?? "STANDARD"),
                kubernetesGroups: [],
                userName: String(i.principalArn),
            } satisfies OutputsOf<aws.eks.AccessEntry>,
        }),
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": (_n, i) => ({
            id: `${i.clusterName}#${i.principalArn}#${i.policyArn}`,
            state: { associatedAt: "2026-01-01T00:00:00Z" } satisfies OutputsOf<aws.eks.AccessPolicyAssociation>,
        }),
        "aws:eks/podIdentityAssociation:PodIdentityAssociation": (n, i) => {
            const associationId = `a-${stableHex(17, n, String(i.serviceAccount))}`;
            return {
                id: `${i.clusterName},${associationId}`,
                state: {
                    associationId,
                    associationArn: this.arn("eks", `podidentityassociation/${i.clusterName}/${associationId}`),
                    disableSessionTags: false,
                } satisfies OutputsOf<aws.eks.PodIdentityAssociation>,
            };
        },
        "docker-build:index:Image": (n, i) => this.image(n, i),
        "pulumi:pulumi:StackReference": (_n, i) => ({
            id: String(i.name),
            state: { name: i.name, outputs: this.options.previousOutputs ?? {}, secretOutputNames: [] },
        }),
        "aws:acm/certificate:Certificate": (n, i) => this.certificate(n, i),
        // hashicorp/terraform-provider-aws internal/service/acm/certificate_validation.go: the id is the issue time.
        "aws:acm/certificateValidation:CertificateValidation": (_n, i) => ({ id: "2026-01-01 00:00:00 +0000 UTC", state: { certificateArn: String(i.certificateArn) } satisfies OutputsOf<aws.acm.CertificateValidation> }),
        // internal/service/route53/record.go: id <zone>_<name>_<type>; fqdn is the name without the final dot.
        "aws:route53/record:Record": (_n, i) => {
            const fqdn = String(i.name).replace(/\.$/, "").toLowerCase();
            return { id: `${i.zoneId}_${fqdn}_${i.type}`, state: { fqdn } satisfies OutputsOf<aws.route53.Record> };
        },
        "awsx:ec2:Vpc": (n, i) => this.vpc(n, i),
        "eks:index:Cluster": (n, i) => this.eksCluster(n, i),

    };

    registryHost(): string {
        return `${this.options.accountId}.dkr.ecr.${this.options.region}.amazonaws.com`;
    }

    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        const { type, name } = args;
        const inputs: State = { ...(args.inputs as State) };
        if (AUTO_NAMED.has(type) && inputs.name === undefined) inputs.name = `${name}-${stableHex(7, type, name)}`;
        if (type.startsWith("kubernetes:") && !type.startsWith("kubernetes:helm")) nameKubernetesObject(type, name, inputs);
        const defaultId = `${name}-${stableHex(8, type, name)}`;
        const shape = this.shapes[type];
        // Every AWS resource the program declares has its provider's outputs here, never invented ones.
        if (!shape && type.startsWith("aws:")) throw new Error(`the emulated cloud has no shape for ${type}: add it to tools/plan/emulatedCloud.ts`);
        const shaped = shape?.(name, inputs);
        return {
            id: args.custom === false ? undefined : (shaped?.id ?? defaultId),
            state: { ...inputs, ...(shaped?.state ?? {}) },
        };
    }

    call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
        this.invokes.set(args.token, (this.invokes.get(args.token) ?? 0) + 1);
        const { region, accountId } = this.options;
        switch (args.token) {
            case "aws:index/getRegion:getRegion":
                return { id: region, name: region, region, description: region, endpoint: `ec2.${region}.amazonaws.com` } satisfies Partial<aws.GetRegionResult>;
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return { id: accountId, accountId, arn: `arn:aws:sts::${accountId}:assumed-role/plan/offline`, userId: "AROAOFFLINEPLAN:plan" } satisfies aws.GetCallerIdentityResult;
            case "aws:index/getPartition:getPartition":
                return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" } satisfies Partial<aws.GetPartitionResult>;
            case "aws:index/getAvailabilityZones:getAvailabilityZones": {
                const names = ["a", "b", "c", "d"].map((z) => `${region}${z}`);
                return { id: region, names, zoneIds: names.map((_, i) => `${region.replace(/-/g, "").slice(0, 6)}-az${i + 1}`) } satisfies Partial<aws.GetAvailabilityZonesResult>;
            }
            case "aws:ecr/getAuthorizationToken:getAuthorizationToken": {
                const password = `emulated-${stableHex(32, accountId, region, "ecr-token")}`;
                return {
                    id: region, userName: "AWS", password,
                    authorizationToken: Buffer.from(`AWS:${password}`).toString("base64"),
                    proxyEndpoint: `https://${this.registryHost()}`,
                    expiresAt: "2099-01-01T00:00:00Z",
                } satisfies Partial<aws.ecr.GetAuthorizationTokenResult>;
            }
            case "aws:ec2/getSubnet:getSubnet": {
                const subnet = this.subnets.get(String(args.inputs.id));
                if (!subnet) throw new Error(`the emulated cloud has no subnet ${args.inputs.id}`);
                return { id: String(args.inputs.id), ...subnet } satisfies Partial<aws.ec2.GetSubnetResult>;
            }
            case "aws:route53/getZone:getZone": {
                const name = String(args.inputs.name).replace(/\.$/, "");
                const zoneId = `Z${stableHex(20, accountId, name).toUpperCase()}`;
                return { id: zoneId, zoneId, name, arn: `arn:aws:route53:::hostedzone/${zoneId}`, privateZone: false, nameServers: [] } satisfies Partial<aws.route53.GetZoneResult>;
            }
            default:
                throw new Error(`the emulated cloud has no answer for invoke ${args.token}: add it to tools/plan/emulatedCloud.ts`);
        }
    }

    /**
     * A pushed image: its digest hashes the build context's files, the build args and platforms, so
     * the same source and version give the same digest and any change gives a new one.
     */
    private image(_name: string, inputs: State) {
        const context = String((inputs.context as { location?: string } | undefined)?.location ?? ".");
        const hash = createHash("sha256");
        const root = path.resolve(this.options.projectRoot, context);
        if (!fs.existsSync(root)) throw new Error(`image build context ${context} does not exist`);
        for (const file of filesUnder(root)) {
            hash.update(path.relative(root, file)).update("\u0000").update(fs.readFileSync(file)).update("\u0000");
        }
        hash.update(JSON.stringify(inputs.buildArgs ?? {})).update(JSON.stringify(inputs.platforms ?? []));
        const digest = `sha256:${hash.digest("hex")}`;
        // As docker-build reports it: the first tag, pinned by the digest.
        const tag = String((inputs.tags as string[] | undefined)?.[0] ?? "");
        return { state: { digest, ref: tag ? `${tag}@${digest}` : "", contextHash: stableHex(64, digest, "context") } satisfies OutputsOf<dockerBuild.Image> };
    }

    /** Subnets of the emulated VPCs, for `aws.ec2.getSubnet`. */
    private readonly subnets = new Map<string, { cidrBlock: string; vpcId: string; availabilityZone: string; mapPublicIpOnLaunch: boolean }>();

    /**
     * awsx's VPC: a subnet of each spec per availability zone. The CIDRs are laid out like the program's
     * specs ask (/19 private, /22 public, inside 10.0.0.0/16), not by awsx's own allocator.
     */
    private vpc(name: string, inputs: State) {
        const zones = Number(inputs.numberOfAvailabilityZones ?? 3);
        const vpcId = `vpc-${stableHex(17, name)}`;
        const ids = (kind: "public" | "private") => Array.from({ length: zones }, (_, i) => {
            const id = `subnet-${stableHex(17, name, kind, String(i))}`;
            const cidrBlock = kind === "private" ? `10.0.${32 * i}.0/19` : `10.0.${128 + 4 * i}.0/22`;
            this.subnets.set(id, { cidrBlock, vpcId, availabilityZone: `${this.options.region}${"abcdef"[i]}`, mapPublicIpOnLaunch: kind === "public" });
            return id;
        });
        return { state: { vpcId, publicSubnetIds: ids("public"), privateSubnetIds: ids("private"), isolatedSubnetIds: [] } satisfies OutputsOf<awsx.ec2.Vpc> };
    }

    /**
     * An ACM certificate pending DNS validation: one validation option per name, where a wildcard and its
     * base name share the record (`_<hash>.<name>.` CNAME `_<hash>.<random>.acm-validations.aws.`).
     */
    private certificate(name: string, inputs: State) {
        const arn = this.arn("acm", `certificate/${[8, 4, 4, 4, 12].map((n, i) => stableHex(n, name, String(i))).join("-")}`);
        const names = [String(inputs.domainName), ...((inputs.subjectAlternativeNames as string[] | undefined) ?? [])];
        const domainValidationOptions = names.map((domainName) => {
            const base = domainName.replace(/^\*\./, "");
            return {
                domainName,
                resourceRecordName: `_${stableHex(32, base, "name")}.${base}.`,
                resourceRecordType: "CNAME",
                resourceRecordValue: `_${stableHex(32, base, "value")}.${stableHex(10, base)}.acm-validations.aws.`,
            };
        });
        return { id: arn, state: { arn, domainValidationOptions, status: "PENDING_VALIDATION", validationMethod: "DNS" } satisfies OutputsOf<aws.acm.Certificate> };
    }

    /**
     * `eks.Cluster` (a remote component: one opaque resource under mocks) with the outputs pulumi-eks
     * v4.3.0 computes (pulumi/pulumi-eks@v4.3.0:nodejs/eks/cluster/cluster.ts):
     * - `oidcProviderUrl` is the cluster's issuer, `https://oidc.eks.<region>.amazonaws.com/id/<ID>` (2168-2181);
     * - `oidcIssuer` is the same without `https://` (2211): what IAM condition keys use;
     * - `clusterSecurityGroupId` is the group the component creates (egress only, 555-583, 2196), while
     *   `eksCluster.vpcConfig.clusterSecurityGroupId` is the group EKS creates, which managed nodes get;
     * - the kubeconfig runs `aws --region <region> eks get-token` with KUBERNETES_EXEC_INFO (211-276).
     * `eksCluster` is really a resource reference to the aws.eks.Cluster; here it is a plain object of
     * its outputs, which property access (`cluster.eksCluster.arn`) reads the same way.
     */
    private eksCluster(name: string, inputs: State) {
        const clusterName = String(inputs.name ?? `${name}-eksCluster-${stableHex(7, name)}`);
        const { region, accountId } = this.options;
        const oidcId = stableHex(32, clusterName, "oidc").toUpperCase();
        const endpoint = `https://${stableHex(32, clusterName, "endpoint").toUpperCase()}.gr7.${region}.eks.amazonaws.com`;
        const certificateAuthority = Buffer.from(`emulated CA of ${clusterName}`).toString("base64");
        const kubeconfig = {
            apiVersion: "v1",
            clusters: [{ name: "kubernetes", cluster: { server: endpoint, "certificate-authority-data": certificateAuthority } }],
            contexts: [{ name: "aws", context: { cluster: "kubernetes", user: "aws" } }],
            "current-context": "aws",
            kind: "Config",
            users: [{
                name: "aws",
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "aws",
                        args: ["--region", region, "eks", "get-token", "--cluster-name", clusterName, "--output", "json"],
                        env: [{ name: "KUBERNETES_EXEC_INFO", value: '{"apiVersion": "client.authentication.k8s.io/v1beta1"}' }],
                    },
                },
            }],
        };
        const oidcProviderUrl = `https://oidc.eks.${region}.amazonaws.com/id/${oidcId}`;
        const oidcIssuer = oidcProviderUrl.replace("https://", "");
        const eksCluster = {
            name: clusterName,
            arn: this.arn("eks", `cluster/${clusterName}`),
            endpoint,
            version: String(inputs.version),
            status: "ACTIVE",
            certificateAuthority: { data: certificateAuthority },
            identities: [{ oidcs: [{ issuer: oidcProviderUrl }] }],
            vpcConfig: {
                clusterSecurityGroupId: `sg-${stableHex(17, clusterName, "eks-cluster-sg")}`,
                vpcId: String(inputs.vpcId),
                endpointPrivateAccess: inputs.endpointPrivateAccess === true,
                endpointPublicAccess: inputs.endpointPublicAccess !== false,
            } satisfies Partial<aws.types.output.eks.ClusterVpcConfig>,
            upgradePolicy: (inputs.upgradePolicy as { supportType?: string } | undefined) ?? { supportType: "EXTENDED" },
            deletionProtection: inputs.deletionProtection === true,
        } satisfies OutputsOf<aws.eks.Cluster>;
        return {
            state: {
                eksCluster,
                kubeconfig,
                kubeconfigJson: JSON.stringify(kubeconfig),
                oidcProviderUrl,
                oidcIssuer,
                oidcProviderArn: inputs.createOidcProvider ? `arn:aws:iam::${accountId}:oidc-provider/${oidcIssuer}` : "",
                clusterSecurityGroupId: `sg-${stableHex(17, clusterName, "component-cluster-sg")}`,
                nodeSecurityGroupId: `sg-${stableHex(17, clusterName, "component-node-sg")}`,
            } satisfies OutputsOf<eks.Cluster>,
        };
    }

    /** A managed node group: EKS names its Auto Scaling group `eks-<group>-<uuid>`. */
    private nodeGroup(name: string, inputs: State) {
        const nodeGroupName = String(inputs.nodeGroupName ?? `${name}-${stableHex(7, name)}`);
        return {
            id: `${inputs.clusterName}:${nodeGroupName}`,
            state: {
                nodeGroupName,
                arn: this.arn("eks", `nodegroup/${inputs.clusterName}/${nodeGroupName}/${uuid(name)}`),
                status: "ACTIVE",
                resources: [{ autoscalingGroups: [{ name: `eks-${nodeGroupName}-${uuid(`${name}/asg`)}` }], remoteAccessSecurityGroupId: "" }],
            } satisfies OutputsOf<aws.eks.NodeGroup>,
        };
    }
}

/** Files below a directory, sorted, skipping what a .dockerignore would (node_modules, .git). */
function filesUnder(dir: string): string[] {
    const out: string[] = [];
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (entry.name === "node_modules" || entry.name === ".git") continue;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) out.push(...filesUnder(full));
        else if (entry.isFile()) out.push(full);
    }
    return out;
}

function uuid(seed: string): string {
    const h = stableHex(32, seed);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Kubernetes auto-naming: an object without metadata.name gets `<resource name>-<8 hex>`. */
function nameKubernetesObject(type: string, name: string, inputs: State) {
    const metadata = (inputs.metadata ?? {}) as State;
    if (metadata.name === undefined && !type.startsWith("kubernetes:yaml") && type !== "pulumi:providers:kubernetes") {
        inputs.metadata = { ...metadata, name: `${name}-${stableHex(8, type, name)}` };
    }
}
