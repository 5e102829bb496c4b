import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/**
 * The one mutable tag: the image builds' layer cache, rewritten by every build. Release tags stay
 * immutable (`IMMUTABLE_WITH_EXCLUSION` with only this tag excluded).
 */
export const BUILD_CACHE_TAG = "buildcache";

/** Release versions are `v<semver>-<sha>` (apps/version): the tags the keep-last-N rule counts. */
export const RELEASE_TAG_PREFIX = "v";

export interface LifecycleRules {
    keepImages: number;
    untaggedExpiryDays: number;
}

/**
 * ECR lifecycle policy: untagged images (an old build cache, a dangling push) expire after N days; of
 * the release tags, the last K are kept (the versions a rollback can reach). No `any` rule: every
 * other tag, `buildcache` included, is never expired. ECR's rules (awsdocs/amazon-ecr-user-guide
 * doc_source/LifecyclePolicies.md): `tagged` needs a tag list, `untagged` must have none, one rule at most
 * selects untagged images.
 */
export function lifecyclePolicy(rules: LifecycleRules): string {
    return JSON.stringify({
        rules: [
            {
                rulePriority: 1,
                description: `Expire untagged images after ${rules.untaggedExpiryDays} days`,
                selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: rules.untaggedExpiryDays },
                action: { type: "expire" },
            },
            {
                rulePriority: 2,
                description: `Keep the last ${rules.keepImages} release tags (${RELEASE_TAG_PREFIX}*)`,
                selection: { tagStatus: "tagged", tagPrefixList: [RELEASE_TAG_PREFIX], countType: "imageCountMoreThan", countNumber: rules.keepImages },
                action: { type: "expire" },
            },
        ],
    });
}

/** What a pulling account may do: pull layers and manifests (AmazonEC2ContainerRegistryPullOnly's repository actions). */
export const PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];
/** And resolve a version to its digest: ListImages (aws.ecr.getImages, apps/image.ts), DescribeImages (aws.ecr.getImage, `aws ecr describe-images`). */
export const LOOKUP_ACTIONS = ["ecr:DescribeImages", "ecr:ListImages"];

/**
 * Repository policy granting cross-account pull to these accounts (their IAM policies then decide which
 * of their principals may: awsdocs/amazon-ecr-user-guide doc_source/repository-policy-examples.md,
 * "Allow another account"). `ecr:GetAuthorizationToken` is not a repository action: the puller's IAM
 * policy grants it. The KMS key needs nothing for them: ECR decrypts with the grants it holds on the key
 * (doc_source/encryption-at-rest.md), so pullers never call KMS.
 */
export function pullPolicy(accounts: string[]): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{
            Sid: "CrossAccountPull",
            Effect: "Allow",
            Principal: { AWS: accounts.map((account) => `arn:aws:iam::${account}:root`) },
            Action: [...PULL_ACTIONS, ...LOOKUP_ACTIONS],
        }],
    });
}

export interface Repository {
    name: pulumi.Output<string>;
    url: pulumi.Output<string>;
    /** The account the registry belongs to (the owner's, for a stack that pulls from it). */
    registryId: pulumi.Output<string>;
    /** The registry's region when it is not the stack's. */
    region?: string;
}

/** The owner's repositories, as a stack that pulls from them (`eks-delivery:registry.from`) names them. */
export function pulledRepositories(from: { account: string; prefix: string; region?: string }, stackRegion: string, services: string[]): Record<string, Repository> {
    const region = from.region ?? stackRegion;
    return Object.fromEntries(services.map((service) => {
        const name = `${from.prefix}/${service}`;
        return [service, {
            name: pulumi.output(name),
            url: pulumi.output(`${from.account}.dkr.ecr.${region}.amazonaws.com/${name}`),
            registryId: pulumi.output(from.account),
            ...(from.region && from.region !== stackRegion ? { region } : {}),
        }];
    }));
}

export interface ContainerRegistryArgs extends LifecycleRules {
    /** Repository names are `<prefix>/<service>`: one set per stack, so immutable tags never collide. */
    prefix: string;
    services: string[];
    /** Production: the repositories and their key are protected, and never deleted with images in them. */
    protect: boolean;
    /** Accounts whose stacks deploy from these repositories (cross-account pull). */
    pullAccounts: string[];
    tags: Record<string, string>;
}

/**
 * One ECR repository per service: immutable tags (a version is built once), scan on push, KMS
 * encryption with a rotating key, a lifecycle policy so the registry does not grow forever, and pull
 * access for the accounts of the stacks that deploy from it.
 */
export class ContainerRegistry extends pulumi.ComponentResource {
    readonly repositories: Record<string, Repository> = {};

    constructor(name: string, args: ContainerRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:infra:ContainerRegistry", name, {}, opts);
        const key = new aws.kms.Key(`${name}-images`, {
            description: `Encryption of the ${args.prefix} container images`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            tags: args.tags,
        }, { parent: this, protect: args.protect });

        for (const service of args.services) {
            const repo = new aws.ecr.Repository(`${name}-${service}`, {
                name: `${args.prefix}/${service}`,
                imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
                imageTagMutabilityExclusionFilters: [{ filter: BUILD_CACHE_TAG, filterType: "WILDCARD" }],
                imageScanningConfiguration: { scanOnPush: true },
                encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: key.arn }],
                forceDelete: !args.protect,
                tags: { ...args.tags, "eks-delivery/service": service },
            }, { parent: this, protect: args.protect });
            new aws.ecr.LifecyclePolicy(`${name}-${service}`, {
                repository: repo.name,
                policy: lifecyclePolicy(args),
            }, { parent: this });
            if (args.pullAccounts.length > 0) {
                new aws.ecr.RepositoryPolicy(`${name}-${service}`, { repository: repo.name, policy: pullPolicy(args.pullAccounts) }, { parent: this });
            }
            this.repositories[service] = { name: repo.name, url: repo.repositoryUrl, registryId: repo.registryId };
        }
        this.registerOutputs({
            repositoryUrls: Object.fromEntries(Object.entries(this.repositories).map(([s, r]) => [s, r.url])),
        });
    }
}
