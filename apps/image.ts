import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as dockerBuild from "@pulumi/docker-build";
import { BUILD_CACHE_TAG, Repository } from "../infra/registry";

export interface RegistryAuth {
    address: pulumi.Input<string>;
    username: pulumi.Input<string>;
    password: pulumi.Input<string>;
}

/** How the stack builds a version its registry does not have yet. */
export interface ImageBuild {
    registry: RegistryAuth;
    platforms: dockerBuild.Platform[];
    buildOnPreview: boolean;
    /** A buildx builder (`docker buildx create --driver remote ...`); default: the local Docker daemon's. */
    builder?: string;
}

export interface ServiceImageArgs {
    /** Docker build context, relative to the project root (where `pulumi up` runs). */
    context: string;
    repository: Repository;
    version: string;
    /** Set on the stack that builds (the registry owner, without `release`); else the version is only looked up. */
    build?: ImageBuild;
    /** Names the setting the version came from, for the error when the registry does not have it. */
    versionSource: string;
}

/**
 * The version a stack deploys and the setting it came from: `release` (already pushed: a promotion or a
 * rollback), else `version`, else the git version (computed only when needed). Only a stack that owns
 * its registry builds, and never under `release`.
 */
export function deployedVersion(config: { release?: string; version?: string }, ownsRegistry: boolean, gitVersion: () => string):
    { version: string; source: string; builds: boolean } {
    const builds = ownsRegistry && config.release === undefined;
    if (config.release !== undefined) return { version: config.release, source: "eks-delivery:release", builds };
    if (config.version !== undefined) return { version: config.version, source: "eks-delivery:version", builds };
    return { version: gitVersion(), source: "the git version", builds };
}

/** The build args every image gets: the same function the emulated registry's default uses (tools/plan). */
export function imageBuildArgs(version: string): Record<string, string> {
    return { APP_VERSION: version };
}

/** The node architectures images are built for: both with `images.multiArch`, else the nodes'. */
export function imageArchitectures(images: { multiArch: boolean }, nodeArch: "amd64" | "arm64"): ("amd64" | "arm64")[] {
    return images.multiArch ? ["amd64", "arm64"] : [nodeArch];
}

/** The platforms to build for the node architectures the images must run on. */
export function imagePlatforms(architectures: ("amd64" | "arm64")[]): dockerBuild.Platform[] {
    return architectures.map((arch) => (arch === "arm64" ? dockerBuild.Platform.Linux_arm64 : dockerBuild.Platform.Linux_amd64));
}

/** The digest `tag` names among a repository's images (ListImages' entries), if any. */
export function digestOfTag(imageIds: { imageDigest?: string; imageTag?: string }[], tag: string): string | undefined {
    return imageIds.find((i) => i.imageTag === tag)?.imageDigest;
}

/** `repo:version@digest`, as docker-build's `ref` is: the kubelet pulls by the digest, people read the version. */
export function pinnedRef(repositoryUrl: string, version: string, digest: string): string {
    return `${repositoryUrl}:${version}@${digest}`;
}

/** The one-line error for a version the registry does not have. */
export function notPushedMessage(versionSource: string, version: string, repositoryUrl: string, tags: string[]): string {
    const known = tags.filter((t) => t !== BUILD_CACHE_TAG).sort().reverse().slice(0, 5);
    return `${versionSource} ${version} was never pushed to ${repositoryUrl}: build it on the registry's owner stack first` +
        (known.length ? ` (versions there include ${known.join(", ")})` : " (it holds no versions)");
}

/**
 * A service image at a version, digest-pinned. The registry is asked first (`aws.ecr.getImages`): a
 * version it has is deployed as is, so a re-run, a promotion or a rollback builds and pushes nothing.
 * Only the building stack builds a version it lacks, once, with the layer cache kept in ECR too;
 * a stack that does not build fails on a version it lacks.
 */
export class ServiceImage extends pulumi.ComponentResource {
    readonly ref: pulumi.Output<string>;
    readonly digest: pulumi.Output<string>;

    constructor(name: string, args: ServiceImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:apps:ServiceImage", name, {}, opts);
        const repo = args.repository;
        // Reads the repository once it exists: in a preview of a new repository the answer is unknown.
        const listed = aws.ecr.getImagesOutput({ registryId: repo.registryId, repositoryName: repo.name, ...(repo.region ? { region: repo.region } : {}) }, { parent: this });
        this.digest = pulumi.all([listed.imageIds, repo.url]).apply(([ids, url]): pulumi.Output<string> => {
            const pushed = digestOfTag(ids, args.version);
            if (pushed) return pulumi.output(pushed);
            if (args.build) return this.build(name, args, args.build).digest;
            // Fails the deployment, before anything that runs the image changes.
            throw new pulumi.RunError(notPushedMessage(args.versionSource, args.version, url, ids.flatMap((i) => (i.imageTag ? [i.imageTag] : []))));
        });
        this.ref = pulumi.all([repo.url, this.digest]).apply(([url, digest]) => pinnedRef(url, args.version, digest));
        this.registerOutputs({ ref: this.ref, digest: this.digest });
    }

    /**
     * The build and push. `retainOnDelete`: once the version is in the registry this resource leaves the
     * program, and docker-build's Delete would delete the pushed manifest from the registry
     * (pulumi/pulumi-docker-build@v0.0.22 provider/internal/image.go Image.Delete, client.go cli.Delete:
     * ManifestDelete). What the registry keeps is the lifecycle policy's business (infra/registry.ts).
     */
    private build(name: string, args: ServiceImageArgs, build: ImageBuild): dockerBuild.Image {
        const url = args.repository.url;
        const cacheRef = pulumi.interpolate`${url}:${BUILD_CACHE_TAG}`;
        return new dockerBuild.Image(name, {
            context: { location: args.context },
            dockerfile: { location: `${args.context}/Dockerfile` },
            platforms: build.platforms,
            buildArgs: imageBuildArgs(args.version),
            labels: { "org.opencontainers.image.version": args.version },
            tags: [pulumi.interpolate`${url}:${args.version}`],
            push: true,
            registries: [build.registry],
            cacheFrom: [{ registry: { ref: cacheRef } }],
            // ECR needs image-manifest caches with OCI media types.
            cacheTo: [{ registry: { ref: cacheRef, imageManifest: true, ociMediaTypes: true, mode: dockerBuild.CacheMode.Max } }],
            buildOnPreview: build.buildOnPreview,
            ...(build.builder ? { builder: { name: build.builder } } : {}),
        }, { parent: this, retainOnDelete: true });
    }
}
