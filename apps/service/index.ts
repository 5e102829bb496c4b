import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { ServiceConfig } from "../../config";
import { planBlueGreen, BlueGreenState } from "./blueGreen";
import {
    Colour, deploymentManifest, EdgeSource, externalSecretManifest, hpaManifest, httpRouteManifest, ingressManifest, networkPolicyManifest,
    pdbManifest, peerAuthenticationManifest, serviceAccountManifest, serviceManifest, targetGroupConfigurationManifest,
} from "./manifests";

export interface ServiceDeploymentArgs {
    service: ServiceConfig;
    namespace: string;
    version: string;
    /** Digest-pinned image reference. */
    image: pulumi.Input<string>;
    /** Blue/green only: this service's state after the previous update (undefined on the first). */
    previous?: pulumi.Input<BlueGreenState | undefined>;
    /** The namespace is in the service mesh. */
    meshed?: boolean;
    /** Where public traffic comes from: the Gateway (an HTTPRoute) or ingress-nginx (an Ingress). */
    edge: EdgeSource;
}

/**
 * One service, zero-downtime by construction: ServiceAccount, Deployment(s), HPA, PDB, Service,
 * NetworkPolicy, its route (an HTTPRoute and target group settings on the Gateway, or an Ingress with
 * TLS behind ingress-nginx), and an ExternalSecret for its Secrets Manager entries. `pulumi up`
 * waits for the new ReplicaSet to be Available and fails with the reason when it does not progress.
 */
export class ServiceDeployment extends pulumi.ComponentResource {
    /** Blue/green services: the state the next update starts from. */
    readonly blueGreen?: pulumi.Output<BlueGreenState>;

    constructor(name: string, args: ServiceDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:apps:ServiceDeployment", name, {}, opts);
        const { service, namespace, version } = args;
        const child = { parent: this };

        new k8s.core.v1.ServiceAccount(name, serviceAccountManifest(service, namespace, version), child);

        let envSecretName: string | undefined;
        const waitFor: pulumi.Resource[] = [];
        if (service.secrets.length > 0) {
            envSecretName = `${service.name}-env`;
            waitFor.push(new k8s.apiextensions.CustomResource(name, externalSecretManifest(service, namespace, version, envSecretName), child));
        }
        const context = { namespace, version, image: args.image, envSecretName };
        const workload = { ...child, dependsOn: waitFor, customTimeouts: { create: "10m", update: "10m" } };

        let target: pulumi.Input<string>;
        let liveColour: pulumi.Output<Colour> | undefined;
        let afterSwitch: pulumi.CustomResourceOptions = child;
        if (service.strategy === "rolling") {
            const deployment = new k8s.apps.v1.Deployment(name, deploymentManifest(service, context, { deployment: service.name }), workload);
            target = deployment.metadata.name;
            new k8s.core.v1.Service(name, serviceManifest(service, namespace, version), child);
        } else {
            const plan = pulumi.output(args.image).apply((image) =>
                pulumi.output(args.previous).apply((previous) => planBlueGreen(previous, { version, image })));
            const deployments = (["blue", "green"] as Colour[]).map((colour) => {
                const manifest = plan.apply((p) => deploymentManifest(service, {
                    ...context, version: p.colours[colour]!.version, image: p.colours[colour]!.image,
                }, {
                    deployment: `${service.name}-${colour}`,
                    colour,
                    // Pulumi owns the scale only to wake a colour up; after that the HPA does.
                    replicas: p.live === colour && p.activating ? service.replicas.min : undefined,
                }));
                // The manifest is computed inside an apply, so its (already plain) parts arrive as Outputs.
                type Meta = k8s.types.input.meta.v1.ObjectMeta;
                type Spec = k8s.types.input.apps.v1.DeploymentSpec;
                return new k8s.apps.v1.Deployment(`${name}-${colour}`, {
                    metadata: manifest.apply((m) => m.metadata) as unknown as pulumi.Output<Meta>,
                    spec: manifest.apply((m) => m.spec) as unknown as pulumi.Output<Spec>,
                }, workload);
            });
            liveColour = plan.live;
            // The switch: the Service selects the live colour only once both Deployments are Available.
            const svc = new k8s.core.v1.Service(name, serviceManifest(service, namespace, version, liveColour), { ...child, dependsOn: deployments });
            afterSwitch = { ...child, dependsOn: [svc] };
            // Then the previous colour goes to zero, kept for an instant rollback.
            new k8s.apps.v1.DeploymentPatch(`${name}-idle`, {
                metadata: {
                    name: pulumi.interpolate`${service.name}-${plan.idle}`,
                    namespace,
                    annotations: { "pulumi.com/patchForce": "true" },
                },
                spec: { replicas: 0 },
            }, afterSwitch);
            target = pulumi.interpolate`${service.name}-${liveColour}`;
            this.blueGreen = plan.apply(({ live, colours }) => ({ live, colours }));
        }

        new k8s.autoscaling.v2.HorizontalPodAutoscaler(name, hpaManifest(service, namespace, version, target), afterSwitch);
        new k8s.policy.v1.PodDisruptionBudget(name, pdbManifest(service, namespace, version, liveColour), afterSwitch);
        new k8s.networking.v1.NetworkPolicy(name, networkPolicyManifest(service, namespace, version, args.edge, args.meshed), child);
        if (service.host && args.edge.kind === "gateway") {
            const hosted = { ...service, host: service.host };
            // Target group settings first: without them the controller would build instance targets.
            const targets = new k8s.apiextensions.CustomResource(name, targetGroupConfigurationManifest(service, namespace, version), child);
            if (args.meshed) new k8s.apiextensions.CustomResource(name, peerAuthenticationManifest(service, namespace, version), child);
            new k8s.apiextensions.CustomResource(name, httpRouteManifest(hosted, namespace, version), { ...child, dependsOn: [targets] });
        } else if (service.host) {
            new k8s.networking.v1.Ingress(name, ingressManifest({ ...service, host: service.host }, namespace, version, args.meshed), child);
        }

        this.registerOutputs({ blueGreen: this.blueGreen });
    }
}
