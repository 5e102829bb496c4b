import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as time from "@pulumiverse/time";
import type { ServiceConfig } from "../../config";
import {
    colourReplicas, LiveColour, planBlueGreen, BlueGreenState, reconcileState, selectedColour, servingColour, servingColours, stateAfter,
} from "./blueGreen";
import {
    Colour, deploymentManifest, EdgeSource, externalSecretManifest, hpaManifest, httpRouteManifest, ingressManifest, networkPolicyManifest,
    pdbManifest, peerAuthenticationManifest, RouteBackend, ROLLOUT_TIMEOUT, serviceAccountManifest, serviceManifest, targetGroupConfigurationManifest,
    VERSION_LABEL,
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
            const previous = pulumi.output(args.previous);
            // The cluster as it serves before this update, read only when the previous state says it exists (a read
            // of a missing object fails the update: pulumi/pulumi@v3.248.0:pkg/resource/deploy/step.go:1327-1329). Reads
            // run in previews too (step.go:1276-1277). They wait for what the colour Deployments wait for (their
            // dependsOn, and through their inputs the image and the previous state), so the count is read just
            // before it is applied, not while an image builds. A parent's dependsOn is no child's dependency
            // (@pulumi/pulumi@3.248.0 resource.js, Resource constructor: protect, providers, transformations, aliases); a child
            // only waits for its parent's URN (runtime/resource.js prepareResource), which the parent gets once its
            // own dependsOn are done (runtime/dependsOn.js getAllTransitivelyReferencedResourceURNs): the Apps
            // component's waits (inCluster, the add-ons) come before every read this way.
            // An Output in dependsOn adds the resources behind it (runtime/dependsOn.js gatherExplicitDependencies; the
            // type wants an Output of one resource, the runtime takes an empty list too).
            const inputs = pulumi.all([args.image, previous]).apply((): pulumi.Resource[] => []) as unknown as pulumi.Output<pulumi.Resource>;
            const readOpts = { ...child, dependsOn: [...waitFor, inputs] };
            const cluster = previous.apply((p): pulumi.Input<{ selected?: Colour; live: Partial<Record<Colour, LiveColour>> }> => {
                if (!servingColour(p)) return { live: {} };
                // The Service says which colour serves, whatever the state says (manifests.ts COLOUR_LABEL).
                const svc = k8s.core.v1.Service.get(`${name}-live`, `${namespace}/${service.name}`, readOpts);
                return svc.spec.selector.apply((selector) => {
                    const selected = selectedColour(selector);
                    const live = Object.fromEntries(servingColours(p, selected).map((colour) => {
                        const d = k8s.apps.v1.Deployment.get(`${name}-${colour}-live`, `${namespace}/${service.name}-${colour}`, readOpts);
                        return [colour, pulumi.all([d.spec, d.metadata]).apply(([spec, metadata]): LiveColour => ({
                            // The API server defaults spec.replicas to 1 (kubernetes/kubernetes pkg/apis/apps/v1/defaults.go SetDefaults_Deployment).
                            replicas: spec.replicas ?? 1,
                            version: metadata.labels?.[VERSION_LABEL],
                            image: (spec.template.spec?.containers ?? []).find((c) => c.name === service.name)?.image,
                        }))];
                    }));
                    return pulumi.all(live).apply((l) => ({ selected, live: l }));
                });
            });
            // Decided on the version, not the image: known in a preview, where the image is not built yet (the reads
            // are known there too). The colour the cluster serves wins over the state's.
            const plan = pulumi.all([previous, cluster]).apply(([p, c]) => planBlueGreen(reconcileState(p, c.selected, c.live), version));
            // Each colour always sends spec.replicas, at a count read from the cluster, rather than
            // `ignoreChanges: ["spec.replicas"]`. The provider's server-side apply sends the whole manifest
            // under the resource's own field manager (pulumi/pulumi-kubernetes@v4.32.0:provider/pkg/await/await.go:643-677,
            // manager pulumi-kubernetes-<random> per resource: provider/pkg/provider/provider.go:2883-2906; the
            // mirror has no v4.34.2 tag, and this code is unchanged up to its master 94977969d). With ignoreChanges
            // it would keep the live count (await.go:716-805: re-sent when Pulumi's manager owns it, dropped
            // when only another manager does), but a colour could then never be woken up or put to sleep: the
            // engine resets an ignored path to the old inputs before every diff, replacements included
            // (pulumi/pulumi@v3.248.0:pkg/resource/deploy/step_generator.go:1151-1155,2836-2858), and the
            // option cannot follow which colour serves. So the count is decided here (colourReplicas).
            const replicas = pulumi.all([plan, cluster]).apply(([p, c]) => colourReplicas(p, Object.fromEntries(
                Object.entries(c.live).map(([colour, l]) => [colour, l!.replicas])), service.replicas));
            const deployments = (["blue", "green"] as Colour[]).map((colour) => {
                // Only the image of a colour that runs this update's build is unknown in a preview.
                const image = plan.apply((p): pulumi.Input<string> => p.colours[colour].image ?? args.image) as pulumi.Output<string>;
                const manifest = pulumi.all([plan, replicas]).apply(([p, r]) => deploymentManifest(service, {
                    ...context, version: p.colours[colour].version, image,
                }, {
                    deployment: `${service.name}-${colour}`,
                    colour,
                    // Always sent, so server-side apply never drops it: what the colour has, or wakes up to, or zero.
                    replicas: r[colour],
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
                // healthy target while the new pods register. The weights move after the Service has switched: the
                // Service, which the next update reads, is then never behind the route, so a colour it does not
                // select is one no traffic reaches (a failure between the two leaves both colours read as serving).
                const colourServices = (["blue", "green"] as Colour[]).map((colour) =>
                    new k8s.core.v1.Service(`${name}-${colour}`, serviceManifest(service, namespace, version, colour, `${service.name}-${colour}`), child));
                const weighted = route(plan.live.apply((live) => (["blue", "green"] as Colour[]).map((colour) =>
                    ({ name: `${service.name}-${colour}`, port: 80, weight: colour === live ? 100 : 0 }))), [...deployments, ...colourServices, svc]);
                // The controller writes the route's status before it changes the ALB's rule: the old colour keeps
                // serving until the rule has surely moved (once per switch: the live colour is the trigger).
                switched.push(new time.Sleep(`${name}-switch`, { createDuration: `${ALB_SWITCH_SECONDS}s`, triggers: { live: plan.live } }, { ...child, dependsOn: [weighted] }));
            }
            afterSwitch = { ...child, dependsOn: switched };
            // Then the previous colour goes to zero, kept for an instant rollback. Its own manifest says zero
            // too from the next update on: one value under two field managers is no conflict, and neither
            // revives it. When the patch moves to the other colour (a new name is a replacement), the colour
            // woken up has already taken spec.replicas from this patch's manager (a forced apply), so the old
            // patch, deleted at the end, relinquishes nothing that colour needs
            // (pulumi/pulumi-kubernetes@v4.32.0:provider/pkg/await/await.go:958-961, provider/pkg/ssa/actions.go:27-59).
            const idle = new k8s.apps.v1.DeploymentPatch(`${name}-idle`, {
                metadata: {
                    name: pulumi.interpolate`${service.name}-${plan.idle}`,
                    namespace,
                    annotations: { "pulumi.com/patchForce": "true" },
                },
                spec: { replicas: 0 },
            }, afterSwitch);
            target = pulumi.interpolate`${service.name}-${liveColour}`;
            // The state waits for the switch: a patch's URN resolves when the engine has applied it. The engine keeps
            // the outputs a failed update registered (pulumi/pulumi@v3.248.0:pkg/resource/deploy/step_executor.go:214-262,
            // deployment_executor.go:353-358) and the previous ones otherwise (a same step keeps old outputs: step.go:150-156),
            // so a rollout that fails leaves the state at the colour that still serves. A URN, not the id: known in a
            // preview, where the plan shows the state the update would record.
            this.blueGreen = pulumi.all([plan, args.image, idle.urn]).apply(([p, image]) => stateAfter(p, image));
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
