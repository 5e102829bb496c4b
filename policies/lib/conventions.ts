/**
 * Names shared by the app layer, which sets them, and the policy pack, which reads them. Dependency-free
 * so the pack can import it.
 */

/**
 * Set on the blue/green colour an update wakes up: for that one update Pulumi owns spec.replicas (the
 * HPA's minimum) although an HPA scales the Deployment. `hpa-owns-replicas` accepts exactly this.
 */
export const ACTIVATION_ANNOTATION = "eks-delivery/activation";
