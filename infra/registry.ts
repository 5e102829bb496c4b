import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/**
 * The one mutable tag: the image builds' layer cache, rewritten by every build. Release tags stay
 * immutable (`IMMUTABLE_WITH_EXCLUSION` with only this tag excluded).
 */
export const BUILD_CACHE_TAG = "buildcache";

export interface LifecycleRules {
    keepImages: number;
    untaggedExpiryDays: number;
}

/** ECR lifecycle policy: untagged layers expire after N days; only the last K images are kept. */
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
                description: `Keep the last ${rules.keepImages} images`,
                selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: rules.keepImages },
                action: { type: "expire" },
            },
        ],
    });
}

export interface Repository {
    name: pulumi.Output<string>;
    url: pulumi.Output<string>;
    arn: pulumi.Output<string>;
}

export interface ContainerRegistryArgs extends LifecycleRules {
    /** Repository names are `<prefix>/<service>`: one set per stack, so immutable tags never collide. */
    prefix: string;
    services: string[];
    /** Production: the repositories and their key are protected, and never deleted with images in them. */
    protect: boolean;
    tags: Record<string, string>;
}

/**
 * One ECR repository per service: immutable tags (a version is built once), scan on push, KMS
 * encryption with a rotating key, and a lifecycle policy so the registry does not grow forever.
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
            this.repositories[service] = { name: repo.name, url: repo.repositoryUrl, arn: repo.arn };
        }
        this.registerOutputs({
            repositoryUrls: Object.fromEntries(Object.entries(this.repositories).map(([s, r]) => [s, r.url])),
        });
    }
}
