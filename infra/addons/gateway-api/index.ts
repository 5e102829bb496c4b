/**
 * The Gateway API CRDs, standard channel v1.6.0: the version the AWS Load Balancer Controller v3.5.0 is
 * built for (kubernetes-sigs/aws-load-balancer-controller@v3.5.0:docs/guide/gateway/gateway.md:14,21), and
 * the load balancer controller's own CRDs (Helm would install them once and never upgrade them). Vendored
 * with their sources (crds/SOURCE.md). Installed whatever the edge: the controller detects the Gateway
 * kinds once, at startup, so they must exist before its pods do.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { applyManifests, readManifests } from "../manifests";

/** kubernetes-sigs/gateway-api@v1.6.0 (2026-06-29), release asset standard-install.yaml. */
export const GATEWAY_API_VERSION = "v1.6.0";
export const GATEWAY_API_MANIFESTS = path.join(__dirname, "crds", "standard-install.yaml");
/** kubernetes-sigs/aws-load-balancer-controller@v3.5.0:helm/aws-load-balancer-controller/crds/{crds,gateway-crds}.yaml */
export const LOAD_BALANCER_CONTROLLER_MANIFESTS = ["crds.yaml", "gateway-crds.yaml"].map((f) => path.join(__dirname, "..", "aws-load-balancer-controller", "crds", f));

export interface GatewayApiArgs {
    /** What the CRDs wait for (the cluster's nodes and access). */
    after: pulumi.Resource[];
}

export class GatewayApi extends pulumi.ComponentResource {
    /** Every CRD and admission policy: what the controller, external-dns and the routes wait for. */
    readonly crds: pulumi.Resource[];

    constructor(name: string, args: GatewayApiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:addons:GatewayApi", name, {}, opts);
        const child = { parent: this, dependsOn: args.after };
        this.crds = [
            ...applyManifests("gateway-api", readManifests(GATEWAY_API_MANIFESTS), child),
            ...applyManifests("aws-load-balancer-controller", LOAD_BALANCER_CONTROLLER_MANIFESTS.flatMap(readManifests), child),
        ];
        this.registerOutputs({ version: GATEWAY_API_VERSION });
    }
}
