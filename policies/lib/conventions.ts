/**
 * Names shared by the app layer, which sets them, and the policy pack, which reads them. Dependency-free
 * so the pack can import it.
 */

/**
 * Set on the blue/green colour an update wakes up: for that one update Pulumi owns spec.replicas (the
 * HPA's minimum) although an HPA scales the Deployment. `hpa-owns-replicas` accepts exactly this.
 */
export const ACTIVATION_ANNOTATION = "eks-delivery/activation";

/** A version usable as a Docker tag and a Kubernetes label value (`app.kubernetes.io/version`). */
export function isDeployableVersion(version: string): boolean {
    return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(version) && /[A-Za-z0-9]$/.test(version);
}
