import * as pulumi from "@pulumi/pulumi";
import * as dockerBuild from "@pulumi/docker-build";
import { BUILD_CACHE_TAG } from "../infra/registry";

export interface RegistryAuth {
    address: pulumi.Input<string>;
    username: pulumi.Input<string>;
    password: pulumi.Input<string>;
}

export interface ServiceImageArgs {
    /** Docker build context, relative to the project root (where `pulumi up` runs). */
    context: string;
    repositoryUrl: pulumi.Input<string>;
    version: string;
    registry: RegistryAuth;
    platforms: dockerBuild.Platform[];
    buildOnPreview: boolean;
}

/**
 * A service image built from its context, tagged with the release version and pushed to ECR, with
 * the layer cache kept in ECR too. `ref` is digest-pinned (`repo@sha256:...`): a Deployment using it
 * changes exactly when the image content does.
 */
export class ServiceImage extends pulumi.ComponentResource {
    readonly ref: pulumi.Output<string>;
    readonly digest: pulumi.Output<string>;

    constructor(name: string, args: ServiceImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:apps:ServiceImage", name, {}, opts);
        const cacheRef = pulumi.interpolate`${args.repositoryUrl}:${BUILD_CACHE_TAG}`;
        const image = new dockerBuild.Image(name, {
            context: { location: args.context },
            dockerfile: { location: `${args.context}/Dockerfile` },
            platforms: args.platforms,
            buildArgs: { APP_VERSION: args.version },
            labels: { "org.opencontainers.image.version": args.version },
            tags: [pulumi.interpolate`${args.repositoryUrl}:${args.version}`],
            push: true,
            registries: [args.registry],
            cacheFrom: [{ registry: { ref: cacheRef } }],
            // ECR needs image-manifest caches with OCI media types.
            cacheTo: [{ registry: { ref: cacheRef, imageManifest: true, ociMediaTypes: true, mode: dockerBuild.CacheMode.Max } }],
            buildOnPreview: args.buildOnPreview,
        }, { parent: this });
        this.ref = image.ref;
        this.digest = image.digest;
        this.registerOutputs({ ref: this.ref, digest: this.digest });
    }
}
