import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as dockerBuild from "@pulumi/docker-build";
import type { IngressController, ServiceConfig } from "../config";
import type { Repository } from "../infra/registry";
import { ServiceImage } from "./image";
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
    repositories: Record<string, Repository>;
    /** Node CPU architectures the images must run on. */
    architectures: ("amd64" | "arm64")[];
    buildOnPreview: boolean;
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
 * The app layer: the environment's namespace, one image per service built and pushed to ECR (one
 * registry-auth look-up for all), and one ServiceDeployment per service.
 */
export class Apps extends pulumi.ComponentResource {
    /** Digest-pinned image per service. */
    readonly images: Record<string, pulumi.Output<string>> = {};
    /** Blue/green state per service, read back on the next update. */
    readonly blueGreen: pulumi.Output<Record<string, BlueGreenState>>;

    constructor(name: string, args: AppsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:apps:Apps", name, {}, opts);
        const child = { parent: this };

        const gateway = args.edge === "gateway";
        const namespace = new k8s.core.v1.Namespace(args.stack,
            namespaceManifest(args.stack, { ...meshNamespaceLabels(args.mesh), ...(gateway ? READINESS_GATE_LABELS : {}) }), child);
        const edge: EdgeSource = gateway ? { kind: "gateway", publicSubnetCidrs: args.publicSubnetCidrs } : { kind: "nginx" };
        const token = aws.ecr.getAuthorizationTokenOutput({}, child);
        const registry = {
            address: token.proxyEndpoint.apply((endpoint) => endpoint.replace(/^https:\/\//, "")),
            username: token.userName,
            password: pulumi.secret(token.password),
        };
        const platforms = args.architectures.map((arch) => (arch === "arm64" ? dockerBuild.Platform.Linux_arm64 : dockerBuild.Platform.Linux_amd64));

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
                repositoryUrl: args.repositories[service.name].url,
                version: args.version,
                registry,
                platforms,
                buildOnPreview: args.buildOnPreview,
            }, child);
            this.images[service.name] = image.ref;
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
        this.registerOutputs({ images: this.images, blueGreen: this.blueGreen });
    }
}
