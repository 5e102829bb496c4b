/**
 * Built-in Kubernetes API versions that are deprecated or no longer served, by apiVersion and kind, and the
 * version to use instead: the table `api-version-removed` and `api-version-deprecated` judge against.
 *
 * Source: the API server's own lifecycle data, kubernetes/api@v0.36.3 (Kubernetes 1.36.3), every
 * <group>/<version>/zz_generated.prerelease-lifecycle.go (APILifecycleDeprecated, APILifecycleRemoved,
 * APILifecycleReplacement), generated from the `k8s:prerelease-lifecycle-gen` tags in types.go: kube-apiserver
 * stops serving a type from its APILifecycleRemoved release and sends a deprecation warning from its
 * APILifecycleDeprecated release. Types no longer in v0.36.3 come from the last tag that had them (v0.19.0
 * through v0.35.0); a type dropped from k8s.io/api before its generated removal release is removed in the
 * first release without it ("dropped in"). Every alpha and beta kind is listed (List kinds left out). The
 * replacement is upstream's; where upstream names none, the GA version of the same group and kind in
 * v0.36.3 (networking.k8s.io/v1beta1 IngressClass: upstream names IngressClassList, a typo).
 * Checked against the Deprecated API Migration Guide (kubernetes/website, content/en/docs/reference/
 * using-api/deprecation-guide.md; kubernetes.io/docs/reference/using-api/deprecation-guide/, its v1.16,
 * v1.22, v1.25, v1.26, v1.27, v1.29 and v1.32 sections), which agrees on every release it lists.
 * Add-on CRDs (Gateway API, cert-manager, ...) are not listed: their deprecations carry no removal release.
 * Two built-in groups live outside k8s.io/api (apiextensions-apiserver, kube-aggregator) and are added from
 * the guide's v1.22 section: apiextensions.k8s.io/v1beta1 CustomResourceDefinition (deprecated 1.16) and
 * apiregistration.k8s.io/v1beta1 APIService (deprecated 1.19), both no longer served as of 1.22.
 */

export interface ApiVersionLifecycle {
    apiVersion: string;
    kind: string;
    /** First Kubernetes minor that warns on it ("1.22"). */
    deprecatedIn: string;
    /** First Kubernetes minor that no longer serves it: the API server rejects the object. */
    removedIn: string;
    /** `<apiVersion> <kind>` to migrate to, when there is one. */
    replacement?: string;
}

export const KUBE_API_LIFECYCLE: readonly ApiVersionLifecycle[] = [
    { apiVersion: "apiextensions.k8s.io/v1beta1", kind: "CustomResourceDefinition", deprecatedIn: "1.16", removedIn: "1.22", replacement: "apiextensions.k8s.io/v1 CustomResourceDefinition" },
    { apiVersion: "apiregistration.k8s.io/v1beta1", kind: "APIService", deprecatedIn: "1.19", removedIn: "1.22", replacement: "apiregistration.k8s.io/v1 APIService" },
    { apiVersion: "apps/v1beta1", kind: "ControllerRevision", deprecatedIn: "1.8", removedIn: "1.16", replacement: "apps/v1 ControllerRevision" },
    { apiVersion: "apps/v1beta1", kind: "Deployment", deprecatedIn: "1.8", removedIn: "1.16", replacement: "apps/v1 Deployment" },
    { apiVersion: "apps/v1beta1", kind: "DeploymentRollback", deprecatedIn: "1.8", removedIn: "1.16", replacement: "apps/v1 DeploymentRollback" },
    { apiVersion: "apps/v1beta1", kind: "Scale", deprecatedIn: "1.8", removedIn: "1.16", replacement: "autoscaling/v1 Scale" },
    { apiVersion: "apps/v1beta1", kind: "StatefulSet", deprecatedIn: "1.8", removedIn: "1.16", replacement: "apps/v1 StatefulSet" },
    { apiVersion: "apps/v1beta2", kind: "ControllerRevision", deprecatedIn: "1.9", removedIn: "1.16", replacement: "apps/v1 ControllerRevision" },
    { apiVersion: "apps/v1beta2", kind: "DaemonSet", deprecatedIn: "1.9", removedIn: "1.16", replacement: "apps/v1 DaemonSet" },
    { apiVersion: "apps/v1beta2", kind: "Deployment", deprecatedIn: "1.9", removedIn: "1.16", replacement: "apps/v1 Deployment" },
    { apiVersion: "apps/v1beta2", kind: "ReplicaSet", deprecatedIn: "1.9", removedIn: "1.16", replacement: "apps/v1 ReplicaSet" },
    { apiVersion: "apps/v1beta2", kind: "Scale", deprecatedIn: "1.9", removedIn: "1.16", replacement: "autoscaling/v1 Scale" },
    { apiVersion: "apps/v1beta2", kind: "StatefulSet", deprecatedIn: "1.9", removedIn: "1.16", replacement: "apps/v1 StatefulSet" },
    { apiVersion: "extensions/v1beta1", kind: "DaemonSet", deprecatedIn: "1.8", removedIn: "1.16", replacement: "apps/v1 DaemonSet" },
    { apiVersion: "extensions/v1beta1", kind: "Deployment", deprecatedIn: "1.8", removedIn: "1.16", replacement: "apps/v1 Deployment" },
    { apiVersion: "extensions/v1beta1", kind: "DeploymentRollback", deprecatedIn: "1.8", removedIn: "1.16" },
    { apiVersion: "extensions/v1beta1", kind: "NetworkPolicy", deprecatedIn: "1.9", removedIn: "1.16", replacement: "networking.k8s.io/v1 NetworkPolicy" },
    { apiVersion: "extensions/v1beta1", kind: "PodSecurityPolicy", deprecatedIn: "1.11", removedIn: "1.16", replacement: "policy/v1beta1 PodSecurityPolicy" },
    { apiVersion: "extensions/v1beta1", kind: "ReplicaSet", deprecatedIn: "1.8", removedIn: "1.16", replacement: "apps/v1 ReplicaSet" },
    { apiVersion: "extensions/v1beta1", kind: "Scale", deprecatedIn: "1.2", removedIn: "1.16" },
    { apiVersion: "flowcontrol.apiserver.k8s.io/v1alpha1", kind: "FlowSchema", deprecatedIn: "1.20", removedIn: "1.21", replacement: "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema" },
    { apiVersion: "flowcontrol.apiserver.k8s.io/v1alpha1", kind: "PriorityLevelConfiguration", deprecatedIn: "1.20", removedIn: "1.21", replacement: "flowcontrol.apiserver.k8s.io/v1beta3 PriorityLevelConfiguration" },
    { apiVersion: "admission.k8s.io/v1beta1", kind: "AdmissionReview", deprecatedIn: "1.19", removedIn: "1.22", replacement: "admission.k8s.io/v1 AdmissionReview" },
    { apiVersion: "admissionregistration.k8s.io/v1beta1", kind: "MutatingWebhookConfiguration", deprecatedIn: "1.16", removedIn: "1.22", replacement: "admissionregistration.k8s.io/v1 MutatingWebhookConfiguration" },
    { apiVersion: "admissionregistration.k8s.io/v1beta1", kind: "ValidatingWebhookConfiguration", deprecatedIn: "1.16", removedIn: "1.22", replacement: "admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration" },
    { apiVersion: "authentication.k8s.io/v1beta1", kind: "TokenReview", deprecatedIn: "1.19", removedIn: "1.22", replacement: "authentication.k8s.io/v1 TokenReview" },
    { apiVersion: "authorization.k8s.io/v1beta1", kind: "LocalSubjectAccessReview", deprecatedIn: "1.19", removedIn: "1.22", replacement: "authorization.k8s.io/v1 LocalSubjectAccessReview" },
    { apiVersion: "authorization.k8s.io/v1beta1", kind: "SelfSubjectAccessReview", deprecatedIn: "1.19", removedIn: "1.22", replacement: "authorization.k8s.io/v1 SelfSubjectAccessReview" },
    { apiVersion: "authorization.k8s.io/v1beta1", kind: "SelfSubjectRulesReview", deprecatedIn: "1.19", removedIn: "1.22", replacement: "authorization.k8s.io/v1 SelfSubjectRulesReview" },
    { apiVersion: "authorization.k8s.io/v1beta1", kind: "SubjectAccessReview", deprecatedIn: "1.19", removedIn: "1.22", replacement: "authorization.k8s.io/v1 SubjectAccessReview" },
    { apiVersion: "certificates.k8s.io/v1beta1", kind: "CertificateSigningRequest", deprecatedIn: "1.19", removedIn: "1.22", replacement: "certificates.k8s.io/v1 CertificateSigningRequest" },
    { apiVersion: "coordination.k8s.io/v1beta1", kind: "Lease", deprecatedIn: "1.19", removedIn: "1.22", replacement: "coordination.k8s.io/v1 Lease" },
    { apiVersion: "extensions/v1beta1", kind: "Ingress", deprecatedIn: "1.14", removedIn: "1.22", replacement: "networking.k8s.io/v1 Ingress" },
    { apiVersion: "networking.k8s.io/v1beta1", kind: "Ingress", deprecatedIn: "1.19", removedIn: "1.22", replacement: "networking.k8s.io/v1 Ingress" },
    { apiVersion: "networking.k8s.io/v1beta1", kind: "IngressClass", deprecatedIn: "1.19", removedIn: "1.22", replacement: "networking.k8s.io/v1 IngressClass" }, // upstream: IngressClassList
    { apiVersion: "rbac.authorization.k8s.io/v1beta1", kind: "ClusterRole", deprecatedIn: "1.17", removedIn: "1.22", replacement: "rbac.authorization.k8s.io/v1 ClusterRole" },
    { apiVersion: "rbac.authorization.k8s.io/v1beta1", kind: "ClusterRoleBinding", deprecatedIn: "1.17", removedIn: "1.22", replacement: "rbac.authorization.k8s.io/v1 ClusterRoleBinding" },
    { apiVersion: "rbac.authorization.k8s.io/v1beta1", kind: "Role", deprecatedIn: "1.17", removedIn: "1.22", replacement: "rbac.authorization.k8s.io/v1 Role" },
    { apiVersion: "rbac.authorization.k8s.io/v1beta1", kind: "RoleBinding", deprecatedIn: "1.17", removedIn: "1.22", replacement: "rbac.authorization.k8s.io/v1 RoleBinding" },
    { apiVersion: "scheduling.k8s.io/v1beta1", kind: "PriorityClass", deprecatedIn: "1.14", removedIn: "1.22", replacement: "scheduling.k8s.io/v1 PriorityClass" },
    { apiVersion: "storage.k8s.io/v1beta1", kind: "CSIDriver", deprecatedIn: "1.19", removedIn: "1.22", replacement: "storage.k8s.io/v1 CSIDriver" },
    { apiVersion: "storage.k8s.io/v1beta1", kind: "CSINode", deprecatedIn: "1.17", removedIn: "1.22", replacement: "storage.k8s.io/v1 CSINode" },
    { apiVersion: "storage.k8s.io/v1beta1", kind: "StorageClass", deprecatedIn: "1.19", removedIn: "1.22", replacement: "storage.k8s.io/v1 StorageClass" },
    { apiVersion: "storage.k8s.io/v1beta1", kind: "VolumeAttachment", deprecatedIn: "1.19", removedIn: "1.22", replacement: "storage.k8s.io/v1 VolumeAttachment" },
    { apiVersion: "storage.k8s.io/v1alpha1", kind: "CSIStorageCapacity", deprecatedIn: "1.21", removedIn: "1.24", replacement: "storage.k8s.io/v1beta1 CSIStorageCapacity" },
    { apiVersion: "storage.k8s.io/v1alpha1", kind: "VolumeAttachment", deprecatedIn: "1.21", removedIn: "1.24", replacement: "storage.k8s.io/v1 VolumeAttachment" },
    { apiVersion: "autoscaling/v2beta1", kind: "HorizontalPodAutoscaler", deprecatedIn: "1.22", removedIn: "1.25", replacement: "autoscaling/v2 HorizontalPodAutoscaler" },
    { apiVersion: "batch/v1beta1", kind: "CronJob", deprecatedIn: "1.21", removedIn: "1.25", replacement: "batch/v1 CronJob" },
    { apiVersion: "batch/v1beta1", kind: "JobTemplate", deprecatedIn: "1.22", removedIn: "1.25" },
    { apiVersion: "discovery.k8s.io/v1beta1", kind: "EndpointSlice", deprecatedIn: "1.21", removedIn: "1.25", replacement: "discovery.k8s.io/v1 EndpointSlice" },
    { apiVersion: "events.k8s.io/v1beta1", kind: "Event", deprecatedIn: "1.22", removedIn: "1.25", replacement: "events.k8s.io/v1 Event" },
    { apiVersion: "node.k8s.io/v1beta1", kind: "RuntimeClass", deprecatedIn: "1.22", removedIn: "1.25", replacement: "node.k8s.io/v1 RuntimeClass" },
    { apiVersion: "policy/v1beta1", kind: "Eviction", deprecatedIn: "1.22", removedIn: "1.25", replacement: "policy/v1 Eviction" },
    { apiVersion: "policy/v1beta1", kind: "PodDisruptionBudget", deprecatedIn: "1.21", removedIn: "1.25", replacement: "policy/v1 PodDisruptionBudget" },
    { apiVersion: "policy/v1beta1", kind: "PodSecurityPolicy", deprecatedIn: "1.21", removedIn: "1.25" },
    { apiVersion: "autoscaling/v2beta2", kind: "HorizontalPodAutoscaler", deprecatedIn: "1.23", removedIn: "1.26", replacement: "autoscaling/v2 HorizontalPodAutoscaler" },
    { apiVersion: "flowcontrol.apiserver.k8s.io/v1beta1", kind: "FlowSchema", deprecatedIn: "1.23", removedIn: "1.26", replacement: "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema" },
    { apiVersion: "flowcontrol.apiserver.k8s.io/v1beta1", kind: "PriorityLevelConfiguration", deprecatedIn: "1.23", removedIn: "1.26", replacement: "flowcontrol.apiserver.k8s.io/v1beta3 PriorityLevelConfiguration" },
    { apiVersion: "storage.k8s.io/v1beta1", kind: "CSIStorageCapacity", deprecatedIn: "1.24", removedIn: "1.27", replacement: "storage.k8s.io/v1 CSIStorageCapacity" },
    { apiVersion: "flowcontrol.apiserver.k8s.io/v1beta2", kind: "FlowSchema", deprecatedIn: "1.26", removedIn: "1.29", replacement: "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema" },
    { apiVersion: "flowcontrol.apiserver.k8s.io/v1beta2", kind: "PriorityLevelConfiguration", deprecatedIn: "1.26", removedIn: "1.29", replacement: "flowcontrol.apiserver.k8s.io/v1beta3 PriorityLevelConfiguration" },
    { apiVersion: "networking.k8s.io/v1alpha1", kind: "ClusterCIDR", deprecatedIn: "1.28", removedIn: "1.29" }, // dropped in v0.29.0
    { apiVersion: "admissionregistration.k8s.io/v1alpha1", kind: "ValidatingAdmissionPolicy", deprecatedIn: "1.29", removedIn: "1.32", replacement: "admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy" },
    { apiVersion: "admissionregistration.k8s.io/v1alpha1", kind: "ValidatingAdmissionPolicyBinding", deprecatedIn: "1.29", removedIn: "1.32", replacement: "admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding" },
    { apiVersion: "authentication.k8s.io/v1alpha1", kind: "SelfSubjectReview", deprecatedIn: "1.29", removedIn: "1.32", replacement: "authentication.k8s.io/v1 SelfSubjectReview" },
    { apiVersion: "coordination.k8s.io/v1alpha1", kind: "LeaseCandidate", deprecatedIn: "1.32", removedIn: "1.32" }, // dropped in v0.32.0
    { apiVersion: "flowcontrol.apiserver.k8s.io/v1beta3", kind: "FlowSchema", deprecatedIn: "1.29", removedIn: "1.32", replacement: "flowcontrol.apiserver.k8s.io/v1 FlowSchema" },
    { apiVersion: "flowcontrol.apiserver.k8s.io/v1beta3", kind: "PriorityLevelConfiguration", deprecatedIn: "1.29", removedIn: "1.32", replacement: "flowcontrol.apiserver.k8s.io/v1 PriorityLevelConfiguration" },
    { apiVersion: "authentication.k8s.io/v1beta1", kind: "SelfSubjectReview", deprecatedIn: "1.30", removedIn: "1.33", replacement: "authentication.k8s.io/v1 SelfSubjectReview" },
    { apiVersion: "networking.k8s.io/v1alpha1", kind: "IPAddress", deprecatedIn: "1.30", removedIn: "1.33", replacement: "networking.k8s.io/v1 IPAddress" },
    { apiVersion: "networking.k8s.io/v1alpha1", kind: "ServiceCIDR", deprecatedIn: "1.30", removedIn: "1.33", replacement: "networking.k8s.io/v1 ServiceCIDR" },
    { apiVersion: "admissionregistration.k8s.io/v1beta1", kind: "ValidatingAdmissionPolicy", deprecatedIn: "1.31", removedIn: "1.34", replacement: "admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy" },
    { apiVersion: "admissionregistration.k8s.io/v1beta1", kind: "ValidatingAdmissionPolicyBinding", deprecatedIn: "1.31", removedIn: "1.34", replacement: "admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding" },
    { apiVersion: "resource.k8s.io/v1alpha3", kind: "DeviceClass", deprecatedIn: "1.34", removedIn: "1.34", replacement: "resource.k8s.io/v1beta1 DeviceClass" }, // dropped in v0.34.0
    { apiVersion: "resource.k8s.io/v1alpha3", kind: "ResourceClaim", deprecatedIn: "1.34", removedIn: "1.34", replacement: "resource.k8s.io/v1beta1 ResourceClaim" }, // dropped in v0.34.0
    { apiVersion: "resource.k8s.io/v1alpha3", kind: "ResourceClaimTemplate", deprecatedIn: "1.34", removedIn: "1.34", replacement: "resource.k8s.io/v1beta1 ResourceClaimTemplate" }, // dropped in v0.34.0
    { apiVersion: "resource.k8s.io/v1alpha3", kind: "ResourceSlice", deprecatedIn: "1.34", removedIn: "1.34", replacement: "resource.k8s.io/v1beta1 ResourceSlice" }, // dropped in v0.34.0
    { apiVersion: "apidiscovery.k8s.io/v2beta1", kind: "APIGroupDiscovery", deprecatedIn: "1.32", removedIn: "1.35", replacement: "apidiscovery.k8s.io/v2 APIGroupDiscovery" },
    { apiVersion: "certificates.k8s.io/v1alpha1", kind: "PodCertificateRequest", deprecatedIn: "1.35", removedIn: "1.35" }, // dropped in v0.35.0
    { apiVersion: "storage.k8s.io/v1alpha1", kind: "VolumeAttributesClass", deprecatedIn: "1.32", removedIn: "1.35", replacement: "storage.k8s.io/v1 VolumeAttributesClass" },
    { apiVersion: "storagemigration.k8s.io/v1alpha1", kind: "StorageVersionMigration", deprecatedIn: "1.33", removedIn: "1.35" }, // dropped in v0.35.0
    { apiVersion: "certificates.k8s.io/v1alpha1", kind: "ClusterTrustBundle", deprecatedIn: "1.34", removedIn: "1.37" },
    { apiVersion: "networking.k8s.io/v1beta1", kind: "IPAddress", deprecatedIn: "1.34", removedIn: "1.37", replacement: "networking.k8s.io/v1 IPAddress" },
    { apiVersion: "networking.k8s.io/v1beta1", kind: "ServiceCIDR", deprecatedIn: "1.34", removedIn: "1.37", replacement: "networking.k8s.io/v1 ServiceCIDR" },
    { apiVersion: "storage.k8s.io/v1beta1", kind: "VolumeAttributesClass", deprecatedIn: "1.34", removedIn: "1.37", replacement: "storage.k8s.io/v1 VolumeAttributesClass" },
    { apiVersion: "admissionregistration.k8s.io/v1alpha1", kind: "MutatingAdmissionPolicy", deprecatedIn: "1.35", removedIn: "1.38", replacement: "admissionregistration.k8s.io/v1 MutatingAdmissionPolicy" },
    { apiVersion: "admissionregistration.k8s.io/v1alpha1", kind: "MutatingAdmissionPolicyBinding", deprecatedIn: "1.35", removedIn: "1.38", replacement: "admissionregistration.k8s.io/v1 MutatingAdmissionPolicyBinding" },
    { apiVersion: "coordination.k8s.io/v1alpha2", kind: "LeaseCandidate", deprecatedIn: "1.35", removedIn: "1.38" },
    { apiVersion: "resource.k8s.io/v1beta1", kind: "DeviceClass", deprecatedIn: "1.35", removedIn: "1.38", replacement: "resource.k8s.io/v1 DeviceClass" },
    { apiVersion: "resource.k8s.io/v1beta1", kind: "ResourceClaim", deprecatedIn: "1.35", removedIn: "1.38", replacement: "resource.k8s.io/v1 ResourceClaim" },
    { apiVersion: "resource.k8s.io/v1beta1", kind: "ResourceClaimTemplate", deprecatedIn: "1.35", removedIn: "1.38", replacement: "resource.k8s.io/v1 ResourceClaimTemplate" },
    { apiVersion: "resource.k8s.io/v1beta1", kind: "ResourceSlice", deprecatedIn: "1.35", removedIn: "1.38", replacement: "resource.k8s.io/v1 ResourceSlice" },
    { apiVersion: "coordination.k8s.io/v1beta1", kind: "LeaseCandidate", deprecatedIn: "1.36", removedIn: "1.39" },
    { apiVersion: "resource.k8s.io/v1alpha3", kind: "DeviceTaintRule", deprecatedIn: "1.36", removedIn: "1.39" },
    { apiVersion: "resource.k8s.io/v1beta2", kind: "DeviceClass", deprecatedIn: "1.36", removedIn: "1.39", replacement: "resource.k8s.io/v1 DeviceClass" },
    { apiVersion: "resource.k8s.io/v1beta2", kind: "ResourceClaim", deprecatedIn: "1.36", removedIn: "1.39", replacement: "resource.k8s.io/v1 ResourceClaim" },
    { apiVersion: "resource.k8s.io/v1beta2", kind: "ResourceClaimTemplate", deprecatedIn: "1.36", removedIn: "1.39", replacement: "resource.k8s.io/v1 ResourceClaimTemplate" },
    { apiVersion: "resource.k8s.io/v1beta2", kind: "ResourceSlice", deprecatedIn: "1.36", removedIn: "1.39", replacement: "resource.k8s.io/v1 ResourceSlice" },
    { apiVersion: "admissionregistration.k8s.io/v1beta1", kind: "MutatingAdmissionPolicy", deprecatedIn: "1.37", removedIn: "1.40", replacement: "admissionregistration.k8s.io/v1 MutatingAdmissionPolicy" },
    { apiVersion: "admissionregistration.k8s.io/v1beta1", kind: "MutatingAdmissionPolicyBinding", deprecatedIn: "1.37", removedIn: "1.40", replacement: "admissionregistration.k8s.io/v1 MutatingAdmissionPolicyBinding" },
    { apiVersion: "certificates.k8s.io/v1beta1", kind: "ClusterTrustBundle", deprecatedIn: "1.37", removedIn: "1.40" },
    { apiVersion: "certificates.k8s.io/v1beta1", kind: "PodCertificateRequest", deprecatedIn: "1.38", removedIn: "1.41" },
    { apiVersion: "storagemigration.k8s.io/v1beta1", kind: "StorageVersionMigration", deprecatedIn: "1.38", removedIn: "1.41" },
    { apiVersion: "resource.k8s.io/v1alpha3", kind: "ResourcePoolStatusRequest", deprecatedIn: "1.39", removedIn: "1.42" },
    { apiVersion: "resource.k8s.io/v1beta2", kind: "DeviceTaintRule", deprecatedIn: "1.39", removedIn: "1.42" },
];

const byKey = new Map(KUBE_API_LIFECYCLE.map((e) => [`${e.apiVersion} ${e.kind}`, e]));

/** The lifecycle entry of an apiVersion and kind, undefined for a GA or unlisted one (a CRD's). */
export function apiLifecycle(apiVersion: string, kind: string): ApiVersionLifecycle | undefined {
    return byKey.get(`${apiVersion} ${kind}`);
}

/** A Kubernetes minor version as the config and the calendar write it: `1.34`. */
export const KUBE_MINOR_PATTERN = "^1\\.(0|[1-9]\\d{0,2})$";

/** `1.34` -> 34 (major 1 only); undefined when it is not such a version. */
export function minorOf(version: string): number | undefined {
    return new RegExp(KUBE_MINOR_PATTERN).test(version) ? Number(version.split(".")[1]) : undefined;
}

/** Is `version` (`1.N`) at or past `since` (`1.M`)? */
export function atOrAfter(version: string, since: string): boolean {
    return (minorOf(version) ?? -1) >= (minorOf(since) ?? Infinity);
}

/**
 * What to migrate to on `version`: the replacement, followed while it is itself removed by then
 * (flowcontrol v1beta1 -> v1beta3 -> v1), or undefined.
 */
export function replacementOn(entry: ApiVersionLifecycle, version: string): string | undefined {
    let replacement = entry.replacement;
    for (let hops = 0; replacement && hops < 5; hops++) {
        const [apiVersion, kind] = replacement.split(" ");
        const next = apiLifecycle(apiVersion, kind);
        if (!next || !atOrAfter(version, next.removedIn) || !next.replacement) break;
        replacement = next.replacement;
    }
    return replacement;
}
