import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as time from "@pulumiverse/time";
import type { ServiceConfig } from "../../config";
import { planBlueGreen, BlueGreenState, stateAfter } from "./blueGreen";
import {
    Colour, deploymentManifest, EdgeSource, externalSecretManifest, hpaManifest, httpRouteManifest, ingressManifest, networkPolicyManifest,
    pdbManifest, peerAuthenticationManifest, RouteBackend, ROLLOUT_TIMEOUT, serviceAccountManifest, serviceManifest, targetGroupConfigurationManifest,
} from "./manifests";

/**
 * Seconds between writing the route's new weights and scaling the old colour down: the load balancer
 * controller updates the route's status before the ALB rule (kubernetes-sigs/aws-load-balancer-controller@v3.5.0
 * controllers/gateway/gateway_controller.go:235,362), and its reconcile takes seconds; a minute is ample.
 */
export const ALB_SWITCH_SECONDS = 60;

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
        const workload = { ...child, dependsOn: waitFor, customTimeouts: { create: ROLLOUT_TIMEOUT, update: ROLLOUT_TIMEOUT } };

        // Through the Gateway: target group settings per backend Service (before the route, or the controller
        // would build instance targets), plain HTTP from the ALB in the mesh, and the route.
        const gateway = service.host !== undefined && args.edge.kind === "gateway";
        const route = (backends: pulumi.Input<RouteBackend[]>, dependsOn: pulumi.Resource[]) => {
            // One target group per backend Service: the service's own, or each colour's.
            const suffixes = service.strategy === "rolling" ? [""] : ["-blue", "-green"];
            const targets = suffixes.map((suffix) => new k8s.apiextensions.CustomResource(`${name}${suffix}`,
                targetGroupConfigurationManifest(service, namespace, version, `${service.name}${suffix}`), child));
            if (args.meshed) new k8s.apiextensions.CustomResource(name, peerAuthenticationManifest(service, namespace, version), child);
            return new k8s.apiextensions.CustomResource(name, httpRouteManifest({ ...service, host: service.host! }, namespace, version, backends),
                { ...child, dependsOn: [...targets, ...dependsOn] });
        };

        let target: pulumi.Input<string>;
        let liveColour: pulumi.Output<Colour> | undefined;
        let afterSwitch: pulumi.CustomResourceOptions = child;
        if (service.strategy === "rolling") {
            const deployment = new k8s.apps.v1.Deployment(name, deploymentManifest(service, context, { deployment: service.name }), workload);
            target = deployment.metadata.name;
            new k8s.core.v1.Service(name, serviceManifest(service, namespace, version), child);
            if (gateway) route([{ name: service.name, port: 80 }], []);
        } else {
            // Decided on the version, not the image: known in a preview, where the image is not built yet.
            const plan = pulumi.output(args.previous).apply((previous) => planBlueGreen(previous, version));
            const deployments = (["blue", "green"] as Colour[]).map((colour) => {
                // Only the image of a colour that runs this update's build is unknown in a preview.
                const image = plan.apply((p): pulumi.Input<string> => p.colours[colour].image ?? args.image) as pulumi.Output<string>;
                const manifest = plan.apply((p) => deploymentManifest(service, {
                    ...context, version: p.colours[colour].version, image,
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
            const switched: pulumi.Resource[] = [svc];
            if (gateway) {
                // Through the ALB each colour is its own target group, both in the route (a weight-0 backend gets its
                // target group too: aws-load-balancer-controller@v3.5.0:pkg/gateway/model/model_build_listener.go:266-277):
                // the idle colour's pods are registered and pass their readiness gates (health in their target group) before the
                // weights move all traffic to them; the Service switch alone would leave the ALB without a
                // healthy target while the new pods register.
                const colourServices = (["blue", "green"] as Colour[]).map((colour) =>
                    new k8s.core.v1.Service(`${name}-${colour}`, serviceManifest(service, namespace, version, colour, `${service.name}-${colour}`), child));
                const weighted = route(plan.live.apply((live) => (["blue", "green"] as Colour[]).map((colour) =>
                    ({ name: `${service.name}-${colour}`, port: 80, weight: colour === live ? 100 : 0 }))), [...deployments, ...colourServices]);
                // The controller writes the route's status before it changes the ALB's rule: the old colour keeps
                // serving until the rule has surely moved (once per switch: the live colour is the trigger).
                switched.push(new time.Sleep(`${name}-switch`, { createDuration: `${ALB_SWITCH_SECONDS}s`, triggers: { live: plan.live } }, { ...child, dependsOn: [weighted] }));
            }
            afterSwitch = { ...child, dependsOn: switched };
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
            this.blueGreen = pulumi.all([plan, args.image]).apply(([p, image]) => stateAfter(p, image));
        }

        new k8s.autoscaling.v2.HorizontalPodAutoscaler(name, hpaManifest(service, namespace, version, target), afterSwitch);
        new k8s.policy.v1.PodDisruptionBudget(name, pdbManifest(service, namespace, version, liveColour), afterSwitch);
        new k8s.networking.v1.NetworkPolicy(name, networkPolicyManifest(service, namespace, version, args.edge, args.meshed), child);
        if (service.host && !gateway) {
            new k8s.networking.v1.Ingress(name, ingressManifest({ ...service, host: service.host }, namespace, version, args.meshed), child);
        }

        this.registerOutputs({ blueGreen: this.blueGreen });
    }
}
