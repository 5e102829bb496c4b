import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type { IngressController, ServiceConfig } from "../config";
import type { Repository } from "../infra/registry";
import { imagePlatforms, ServiceImage } from "./image";
import { ServiceDeployment } from "./service";
import { BlueGreenState, isBlueGreenState } from "./service/blueGreen";
import { EdgeSource, namespaceManifest, READINESS_GATE_LABELS } from "./service/manifests";
import { meshNamespaceLabels } from "../infra/addons/mesh";

export interface AppsArgs {
    project: string;
    stack: string;
    services: ServiceConfig[];
    /** The release version every image is tagged with. */
    version: string;
    /** The setting the version comes from (`eks-delivery:release`, ...), named when the registry lacks it. */
    versionSource: string;
    /** Each service's repository: this stack's own, or the registry owner's. */
    repositories: Record<string, Repository>;
    /** Set when this stack builds the versions its registry lacks (the owner, without `release`). */
    build?: {
        /** Node CPU architectures the images must run on. */
        architectures: ("amd64" | "arm64")[];
        buildOnPreview: boolean;
        /** A buildx builder name (`eks-delivery:images.builder`). */
        builder?: string;
    };
    /** The app namespace joins the service mesh (sidecar injection, Ingresses via the Service). */
    mesh: boolean;
    /** The stack's edge: services with a host get an HTTPRoute on the Gateway, or an Ingress for ingress-nginx. */
    edge: IngressController;
    /** The public subnets the Gateway's ALB connects to pods from (NetworkPolicy sources). */
    publicSubnetCidrs: pulumi.Input<string[]>;
}

/** Stack output name under which blue/green state is kept between updates. */
export const BLUE_GREEN_OUTPUT = "blueGreen";

/**
 * The app layer: the environment's namespace, one image per service at the release version (built and
 * pushed once by the building stack, with one registry-auth look-up for all; looked up by every other),
 * and one ServiceDeployment per service.
 */
export class Apps extends pulumi.ComponentResource {
    /** Digest-pinned image per service. */
    readonly images: Record<string, pulumi.Output<string>> = {};
    /** Image digest per service. */
    readonly digests: Record<string, pulumi.Output<string>> = {};
    /** Blue/green state per service, read back on the next update. */
    readonly blueGreen: pulumi.Output<Record<string, BlueGreenState>>;

    constructor(name: string, args: AppsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:apps:Apps", name, {}, opts);
        const child = { parent: this };

        const gateway = args.edge === "gateway";
        const namespace = new k8s.core.v1.Namespace(args.stack,
            namespaceManifest(args.stack, { ...meshNamespaceLabels(args.mesh), ...(gateway ? READINESS_GATE_LABELS : {}) }), child);
        const edge: EdgeSource = gateway ? { kind: "gateway", publicSubnetCidrs: args.publicSubnetCidrs } : { kind: "nginx" };
        // Only a building stack pushes, so only it needs the registry's credentials.
        const token = args.build && aws.ecr.getAuthorizationTokenOutput({}, child);
        const build = args.build && token && {
            registry: {
                address: token.proxyEndpoint.apply((endpoint) => endpoint.replace(/^https:\/\//, "")),
                username: token.userName,
                password: pulumi.secret(token.password),
            },
            platforms: imagePlatforms(args.build.architectures),
            buildOnPreview: args.build.buildOnPreview,
            builder: args.build.builder,
        };

        // Which colour is live comes from this stack's own last update.
        const blueGreenServices = args.services.filter((s) => s.strategy === "blue-green");
        const previous: pulumi.Output<Record<string, unknown>> = blueGreenServices.length === 0
            ? pulumi.output({}).apply((none) => none as Record<string, unknown>)
            : new pulumi.StackReference(`${name}-previous`, {
                name: `${pulumi.getOrganization()}/${args.project}/${args.stack}`,
            }, child).getOutput(BLUE_GREEN_OUTPUT).apply((value) => (value ?? {}) as Record<string, unknown>);

        const blueGreen: Record<string, pulumi.Output<BlueGreenState>> = {};
        for (const service of args.services) {
            const image = new ServiceImage(service.name, {
                context: service.path,
                repository: args.repositories[service.name],
                version: args.version,
                versionSource: args.versionSource,
                build,
            }, child);
            this.images[service.name] = image.ref;
            this.digests[service.name] = image.digest;
            const deployment = new ServiceDeployment(service.name, {
                service,
                namespace: args.stack,
                version: args.version,
                image: image.ref,
                previous: previous.apply((all) => (isBlueGreenState(all[service.name]) ? all[service.name] as BlueGreenState : undefined)),
                meshed: args.mesh,
                edge,
            }, { ...child, dependsOn: [namespace] });
            if (deployment.blueGreen) blueGreen[service.name] = deployment.blueGreen;
        }
        this.blueGreen = pulumi.output(blueGreen);
        this.registerOutputs({ images: this.images, digests: this.digests, blueGreen: this.blueGreen });
    }
}
