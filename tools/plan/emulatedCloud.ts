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
import { awsError, EmulatedRegistry, lifecyclePolicyProblems, parseEcrTag, repositoryUri, StoredImage } from "./registry";

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
    /** The account's IAM OIDC providers before the run (made by another stack or by hand); default: none. */
    oidcProviders?: AccountOidcProvider[];
    /** The ECR registry images are pushed to and looked up in (tools/plan/registry.ts); default: empty. */
    registry?: EmulatedRegistry;
    /** The cluster's live objects, as the API server returns them: what a `.get` read finds. Default: none. */
    liveObjects?: KubernetesObject[];
}

/** A Kubernetes object as the API server returns it (apiVersion, kind, metadata, spec, status...). */
export interface KubernetesObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; [field: string]: unknown };
    [field: string]: unknown;
}

/** An IAM OIDC provider the account already holds, as IAM's GetOpenIDConnectProvider describes it. */
export interface AccountOidcProvider {
    /** The issuer, with or without `https://` (IAM stores it without). */
    url: string;
    clientIdList: string[];
    thumbprintList?: string[];
    tags?: Record<string, string>;
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

/** ALB canonical hosted zones by region (hashicorp/terraform-provider-aws internal/service/elbv2/hosted_zone_id_data_source.go, HostedZoneIdPerRegionALBMap). */
const ALB_HOSTED_ZONE_IDS: Record<string, string> = {
    "af-south-1": "Z268VQBMOI5EKX", "ap-east-1": "Z3DQVH9N71FHZ0", "ap-northeast-1": "Z14GRHDCWA56QT", "ap-northeast-2": "ZWKZPGTI48KDX",
    "ap-northeast-3": "Z5LXEXXYW11ES", "ap-south-1": "ZP97RAFLXTNZK", "ap-south-2": "Z0173938T07WNTVAEPZN", "ap-southeast-1": "Z1LMS91P8CMLE5",
    "ap-southeast-2": "Z1GM3OXH4ZPM65", "ap-southeast-3": "Z08888821HLRG5A9ZRTER", "ca-central-1": "ZQSVJUPU6J1EY", "cn-north-1": "Z1GDH35T77C1KE",
    "cn-northwest-1": "ZM7IZAIOVVDZF", "eu-central-1": "Z215JYRZR1TBD5", "eu-central-2": "Z06391101F2ZOEP8P5EB3", "eu-north-1": "Z23TAZ6LKFMNIO",
    "eu-south-1": "Z3ULH7SSC9OV64", "eu-south-2": "Z0956581394HF5D5LXGAP", "eu-west-1": "Z32O12XQLNTSW2", "eu-west-2": "ZHURV8PSTC4K8",
    "eu-west-3": "Z3Q77PNBQS71R4", "me-central-1": "Z08230872XQRWHG2XF6I", "me-south-1": "ZS929ML54UICD", "sa-east-1": "Z2P70J7HTTTPLU",
    "us-east-1": "Z35SXDOTRQ7X7K", "us-east-2": "Z3AADJGX6KTTL2", "us-gov-east-1": "Z166TLBEWOO7G0", "us-gov-west-1": "Z33AYJ8TM3BH4J",
    "us-west-1": "Z368ELLRRE2KJ0", "us-west-2": "Z1H1FL5HABSF5",
};
type Shape = (name: string, inputs: State) => { id?: string; state?: State };


export class EmulatedCloud implements pulumi.runtime.Mocks {
    /** Invokes answered, by token: the benchmark reports their number. */
    readonly invokes = new Map<string, number>();
    readonly registry: EmulatedRegistry;

    constructor(private readonly options: CloudOptions) {
        this.registry = options.registry ?? new EmulatedRegistry();
    }

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
            // Without a thumbprint list IAM fetches the issuer's top intermediate CA thumbprint itself.
            const thumbprintLists = (i.thumbprintLists as string[] | undefined) ?? [stableHex(40, String(i.url), "thumbprint")];
            return { id: arn, state: { arn, thumbprintLists } satisfies OutputsOf<aws.iam.OpenIdConnectProvider> };
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
        "aws:ecr/repository:Repository": (_n, i) => {
            // Tags outside the exclusion filters are immutable (IMMUTABLE_WITH_EXCLUSION); MUTABLE: all move.
            const filters = (i.imageTagMutabilityExclusionFilters as { filter: string }[] | undefined) ?? [];
            const mutable = i.imageTagMutability === "IMMUTABLE" ? [] : i.imageTagMutability === "IMMUTABLE_WITH_EXCLUSION" ? filters.map((f) => f.filter) : ["*"];
            this.registry.createRepository(repositoryUri(this.options.accountId, this.options.region, String(i.name)), mutable);
            return { id: String(i.name), state: {
                arn: this.arn("ecr", `repository/${i.name}`),
                registryId: this.options.accountId,
                repositoryUrl: `${this.registryHost()}/${i.name}`,
            } satisfies OutputsOf<aws.ecr.Repository> };
        },
        "aws:ecr/lifecyclePolicy:LifecyclePolicy": (_n, i) => {
            // PutLifecyclePolicy validates the text (InvalidParameterException).
            const problems = typeof i.policy === "string" ? lifecyclePolicyProblems(i.policy) : [];
            if (problems.length) throw awsError(`InvalidParameterException: Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: '${problems.join("; ")}'`);
            return { id: String(i.repository), state: { registryId: this.options.accountId } satisfies OutputsOf<aws.ecr.LifecyclePolicy> };
        },
        // internal/service/ecr/repository_policy.go: the id is the repository name.
        "aws:ecr/repositoryPolicy:RepositoryPolicy": (_n, i) => ({
            id: String(i.repository),
            state: { registryId: this.options.accountId } satisfies OutputsOf<aws.ecr.RepositoryPolicy>,
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
        // internal/service/route53/record.go: id <zone>_<name>_<type>[_<set identifier>]; fqdn is the name without the final dot.
        "aws:route53/record:Record": (_n, i) => {
            const fqdn = String(i.name).replace(/\.$/, "").toLowerCase();
            const id = [i.zoneId, fqdn, i.type, ...(i.setIdentifier ? [i.setIdentifier] : [])].join("_");
            return { id, state: { fqdn } satisfies OutputsOf<aws.route53.Record> };
        },
        // internal/service/route53/health_check.go: the id is Route53's health check id (a UUID), arn route53:::healthcheck/<id>.
        "aws:route53/healthCheck:HealthCheck": (n) => {
            const id = uuid(`healthcheck/${n}`);
            return { id, state: { arn: `arn:aws:route53:::healthcheck/${id}` } satisfies OutputsOf<aws.route53.HealthCheck> };
        },
        "kubernetes:gateway.networking.k8s.io/v1:Gateway": (n, i) => ({ state: { status: this.gatewayStatus(n, i) } }),
        "awsx:ec2:Vpc": (n, i) => this.vpc(n, i),
        "eks:index:Cluster": (n, i) => this.eksCluster(n, i),

    };

    /**
     * A read of a live Kubernetes object, answered with the object as the cluster has it. The provider reads
     * `<namespace>/<name>` (pulumi/pulumi-kubernetes@v4.32.0:provider/pkg/provider/provider.go:1964, util.go:103-110) and
     * answers a 404 with no object (provider.go:2061-2063), which the engine turns into this error
     * (pulumi/pulumi@v3.248.0:pkg/resource/deploy/step.go:1327-1329).
     */
    private read(type: string, id: string): pulumi.runtime.MockResourceResult {
        const match = /^kubernetes:([^:/]+)\/([^:]+):(.+)$/.exec(type);
        if (!match) throw new Error(`the emulated cloud cannot read ${type}: add it to tools/plan/emulatedCloud.ts`);
        const [, group, version, kind] = match;
        const apiVersion = group === "core" ? version : `${group}/${version}`;
        const [namespace, name] = id.includes("/") ? id.split("/", 2) : [undefined, id];
        const live = (this.options.liveObjects ?? []).find((o) => o.apiVersion === apiVersion && o.kind === kind
            && o.metadata.name === name && o.metadata.namespace === namespace);
        if (!live) throw new Error(`resource '${id}' does not exist`);
        return { id, state: structuredClone(live) };
    }

    registryHost(): string {
        return `${this.options.accountId}.dkr.ecr.${this.options.region}.amazonaws.com`;
    }

    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        const { type, name } = args;
        // The mock monitor routes reads (`Resource.get`) here with the id set (@pulumi/pulumi runtime/mocks.js
        // readResource); a stack reference is a read too, of the stack's outputs (its shape below).
        if (args.id && type !== "pulumi:pulumi:StackReference") return this.read(type, args.id);
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
            case "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider":
                return this.openIdConnectProvider(args.inputs as aws.iam.GetOpenIdConnectProviderArgs);
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
            // internal/service/ecr/images_data_source.go: ListImages, one entry per tag (an untagged image: digest
            // only); no repository is a not-found error.
            case "aws:ecr/getImages:getImages": {
                const { images } = this.repositoryOf(args.inputs);
                if (!images) throw awsError("reading ECR Images: couldn't find resource");
                const imageIds = images.flatMap((i) => (i.tags.length ? i.tags.map((imageTag) => ({ imageDigest: i.digest, imageTag })) : [{ imageDigest: i.digest }]));
                return {
                    imageIds: imageIds as aws.types.output.ecr.GetImagesImageId[],
                    region: String(args.inputs.region ?? region), registryId: args.inputs.registryId as string | undefined, repositoryName: String(args.inputs.repositoryName),
                } satisfies aws.ecr.GetImagesResult;
            }
            // internal/service/ecr/image_data_source.go: DescribeImages by tag or digest; ImageNotFoundException and
            // RepositoryNotFoundException are retry.NotFoundError, whose message is "couldn't find resource".
            case "aws:ecr/getImage:getImage": {
                const { uri, images } = this.repositoryOf(args.inputs);
                const { imageTag, imageDigest, mostRecent } = args.inputs as { imageTag?: string; imageDigest?: string; mostRecent?: boolean };
                const found = (images ?? []).filter((i) => (imageTag === undefined || i.tags.includes(imageTag)) && (imageDigest === undefined || i.digest === imageDigest) &&
                    (!mostRecent || i.tags.includes("latest")));
                if (!images || found.length === 0) throw awsError("reading ECR Images: couldn't find resource");
                const image = found[0];
                return {
                    id: image.digest, imageDigest: image.digest, imagePushedAt: image.pushedAt, imageSizeInBytes: image.sizeInBytes, imageTag, imageTags: [...image.tags],
                    imageUri: `${uri}@${image.digest}`, mostRecent, region: String(args.inputs.region ?? region), registryId: uri.split(".")[0], repositoryName: String(args.inputs.repositoryName),
                } satisfies aws.ecr.GetImageResult;
            }
            case "aws:ec2/getSubnet:getSubnet": {
                const subnet = this.subnets.get(String(args.inputs.id));
                if (!subnet) throw new Error(`the emulated cloud has no subnet ${args.inputs.id}`);
                return { id: String(args.inputs.id), ...subnet } satisfies Partial<aws.ec2.GetSubnetResult>;
            }
            case "aws:lb/getHostedZoneId:getHostedZoneId": {
                // The provider's table (hashicorp/terraform-provider-aws internal/service/elbv2/hosted_zone_id_data_source.go): ALBs only here.
                const type = String(args.inputs.loadBalancerType ?? "application");
                const at = String(args.inputs.region ?? region);
                const id = type === "application" ? ALB_HOSTED_ZONE_IDS[at] : undefined;
                if (!id) throw new Error(type === "application" ? `unsupported AWS Region: ${at}` : `the emulated cloud has no ${type} load balancer zone table`);
                return { id, region: at, loadBalancerType: type } satisfies aws.lb.GetHostedZoneIdResult;
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
     * A built image: its digest is `emulatedImageDigest` of the build's inputs. With `push`, each ECR tag
     * is pushed to the emulated registry (refused as ECR refuses it: no repository, an immutable tag moved),
     * and each registry `cacheTo` ref gets the build cache's own manifest.
     */
    private image(_name: string, inputs: State) {
        const context = String((inputs.context as { location?: string } | undefined)?.location ?? ".");
        const digest = emulatedImageDigest(this.options.projectRoot, context, inputs.buildArgs, inputs.platforms);
        const tags = (inputs.tags as string[] | undefined) ?? [];
        if (inputs.push === true) {
            const caches = ((inputs.cacheTo as { registry?: { ref?: string } }[] | undefined) ?? []).flatMap((c) => (c.registry?.ref ? [c.registry.ref] : []));
            for (const [ref, pushed] of [...tags.map((t) => [t, digest] as const), ...caches.map((c) => [c, `sha256:${stableHex(64, digest, "cache")}`] as const)]) {
                const target = parseEcrTag(ref);
                if (!target) continue;
                this.registry.push(repositoryUri(target.registryId, target.region, target.name), target.tag, pushed);
            }
        }
        // As docker-build reports it: the first tag, pinned by the digest.
        const tag = String(tags[0] ?? "");
        return { state: { digest, ref: tag ? `${tag}@${digest}` : "", contextHash: stableHex(64, digest, "context") } satisfies OutputsOf<dockerBuild.Image> };
    }

    /** The repository an ECR data source reads: `registryId` (default: the caller's account) and `region` (default: the provider's). */
    private repositoryOf(inputs: Record<string, unknown>): { uri: string; images: readonly StoredImage[] | undefined } {
        const uri = repositoryUri(String(inputs.registryId ?? this.options.accountId), String(inputs.region ?? this.options.region), String(inputs.repositoryName));
        return { uri, images: this.registry.images(uri) };
    }

    /**
     * A Gateway of the `gateway.k8s.aws/alb` class once Programmed, as the provider reads it back after its
     * waitFor: the controller writes the ALB's lower-cased DNS name to status.addresses and its ARN to the
     * Programmed condition's message (kubernetes-sigs/aws-load-balancer-controller@v3.5.0:
     * controllers/gateway/gateway_controller.go:429-490); the ALB is named k8s-<ns 8>-<name 8>-<hash 10>
     * (pkg/gateway/model/model_build_loadbalancer.go:88-101), and ELB appends -<id> to its DNS name.
     */
    private gatewayStatus(name: string, inputs: State) {
        const meta = (inputs.metadata ?? {}) as { name?: string; namespace?: string };
        const clean = (s: string) => s.replace(/[^a-zA-Z0-9-]/g, "");
        const lbName = `k8s-${clean(String(meta.namespace ?? "default")).slice(0, 8)}-${clean(String(meta.name ?? name)).slice(0, 8)}-${stableHex(10, name, "alb")}`;
        const dnsName = `${lbName}-${parseInt(stableHex(8, name, "alb-dns"), 16) % 9000000000 + 1000000000}.${this.options.region}.elb.amazonaws.com`.toLowerCase();
        const arn = this.arn("elasticloadbalancing", `loadbalancer/app/${lbName}/${stableHex(16, name, "alb-id")}`);
        return {
            addresses: [{ type: "Hostname", value: dnsName }],
            conditions: [
                { type: "Accepted", status: "True", reason: "Accepted", message: "" },
                { type: "Programmed", status: "True", reason: "Programmed", message: arn },
            ],
        };
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

    /**
     * The data source aws_iam_openid_connect_provider: exactly one of `arn` or `url`; by URL it lists the
     * account's providers and takes the one whose ARN ends in the URL without `https://`, else fails
     * "couldn't find resource"; `url` comes back as IAM stores it, without the scheme
     * (hashicorp/terraform-provider-aws internal/service/iam/openid_connect_provider_data_source.go,
     * internal/retry/error.go NotFoundError).
     */
    private openIdConnectProvider(inputs: aws.iam.GetOpenIdConnectProviderArgs): aws.iam.GetOpenIdConnectProviderResult {
        const { accountId } = this.options;
        if ((inputs.arn === undefined) === (inputs.url === undefined)) throw new Error('getOpenIdConnectProvider: exactly one of "arn" or "url" must be specified');
        const arnOf = (p: AccountOidcProvider) => `arn:aws:iam::${accountId}:oidc-provider/${p.url.replace(/^https:\/\//, "")}`;
        const providers = this.options.oidcProviders ?? [];
        const found = inputs.arn !== undefined
            ? providers.find((p) => arnOf(p) === inputs.arn)
            : providers.find((p) => arnOf(p).split("/").slice(1).join("/") === String(inputs.url).replace(/^https:\/\//, ""));
        if (!found) {
            throw awsError(inputs.arn !== undefined
                ? `reading IAM OIDC Provider: couldn't find resource`
                : `reading IAM OIDC Provider (${inputs.url}): couldn't find resource`);
        }
        const arn = arnOf(found);
        return {
            id: arn, arn, url: found.url.replace(/^https:\/\//, ""), clientIdLists: found.clientIdList,
            thumbprintLists: found.thumbprintList ?? [], tags: found.tags ?? {},
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

/**
 * The digest of an emulated build: the build context's files, the build args and the platforms, so the
 * same source, version and platforms give the same digest and any change gives a new one. The default
 * registry of a consumer plan (tools/plan/planStack.ts) computes what the owner pushed with it too.
 */
export function emulatedImageDigest(projectRoot: string, context: string, buildArgs: unknown, platforms: unknown): string {
    const hash = createHash("sha256");
    const root = path.resolve(projectRoot, context);
    if (!fs.existsSync(root)) throw new Error(`image build context ${context} does not exist`);
    for (const file of filesUnder(root)) {
        hash.update(path.relative(root, file)).update("\u0000").update(fs.readFileSync(file)).update("\u0000");
    }
    hash.update(JSON.stringify(buildArgs ?? {})).update(JSON.stringify(platforms ?? []));
    return `sha256:${hash.digest("hex")}`;
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
