/**
 * Policies on every pod template (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob):
 * resources, probes, images, and the restricted security profile.
 */
import { cpuMillicores, isQuantity, memoryMiB } from "../lib/quantity";
import { eachKnown, known, wildcardRegExp, type Finding, type ObjectPolicy, type PolicyDefinition, type StackPolicy, type StackResource } from "../framework";
import { knownItems } from "../unknowns";
import { ContainerRef, containersOf, describeObject, isKubernetesType, objectFinding, kubernetesKinds, labelKeyProblem, labelValueProblem, podAnnotationsOf, podLabelsOf, podSpecOf, selectorProblem, selects, SERVING_KINDS, WORKLOAD_KINDS } from "../kubernetes";

type Check = (ref: ContainerRef, pod: Record<string, any>, workload: StackResource) => string | undefined;

/** Every workload kind (the pod template's rules), and the serving ones (probes). */
const WORKLOADS = kubernetesKinds(...WORKLOAD_KINDS);
const SERVING = kubernetesKinds(...SERVING_KINDS);

/**
 * One finding per container of the workload that fails `check`, among the roles given. A container
 * whose check touches an unknown value (an image still to be built) is not judged by that check.
 */
function perContainer(w: StackResource, roles: ContainerRef["role"][], check: Check): Finding[] {
    const pod = podSpecOf(w.props) ?? {};
    const findings: Finding[] = [];
    for (const ref of containersOf(pod)) {
        if (!roles.includes(ref.role)) continue;
        const problem = known(() => check(ref, pod, w), undefined);
        const name = known(() => ref.container.name, "?");
        if (problem) findings.push({ resource: w, message: `${describeObject(w)}: ${ref.role === "app" ? "container" : `${ref.role} container`} "${name}" ${problem}` });
    }
    return findings;
}

/** Per-pod checks (host namespaces, volumes). */
function perPod(w: StackResource, check: (pod: Record<string, any>, w: StackResource) => string | undefined): Finding[] {
    const problem = check(podSpecOf(w.props) ?? {}, w);
    return problem ? [objectFinding(w, problem)] : [];
}

const ALL_ROLES: ContainerRef["role"][] = ["init", "sidecar", "app"];
const SERVING_ROLES: ContainerRef["role"][] = ["sidecar", "app"];
const sc = (ref: ContainerRef) => ref.container.securityContext ?? {};
const podSc = (pod: Record<string, any>) => pod.securityContext ?? {};

function requirement(name: string, resource: "cpu" | "memory" | "ephemeral-storage", field: "requests" | "limits", tags: string[], why: string): ObjectPolicy {
    return {
        name,
        description: `Every container sets ${resource === "ephemeral-storage" ? "an" : "a"} ${resource} ${field === "requests" ? "request" : "limit"}.`,
        severity: resource === "memory" && field === "limits" ? "high" : "medium",
        remediation: `Set resources.${field}.${resource} on every container (init containers included).`,
        why,
        tags,
        appliesTo: WORKLOADS,
        checkObject: (w) => perContainer(w, ALL_ROLES, (ref) =>
            ref.container.resources?.[field]?.[resource] === undefined ? `has no ${resource} ${field === "requests" ? "request" : "limit"}` : undefined),
    };
}

export const cpuRequests = requirement("cpu-requests", "cpu", "requests",
    ["polaris:cpuRequestsMissing", "kube-score:container-resources", "checkov:CKV_K8S_10", "kyverno:require-pod-requests-limits"],
    "Pods without requests were packed onto one node until it died and took the others down in a cascade: the scheduler can only spread what it can count.");
export const memoryRequests = requirement("memory-requests", "memory", "requests",
    ["polaris:memoryRequestsMissing", "kube-score:container-resources", "checkov:CKV_K8S_12", "kyverno:require-pod-requests-limits"],
    "Memory is not compressible: without requests, nodes are overcommitted and the kernel OOM-kills whatever it picks.");
export const memoryLimits = requirement("memory-limits", "memory", "limits",
    ["polaris:memoryLimitsMissing", "kube-score:container-resources", "checkov:CKV_K8S_13", "kyverno:require-pod-requests-limits"],
    "A leaking pod without a memory limit takes the node (and every neighbour) down instead of restarting alone.");

/**
 * Ephemeral storage (writable layer, logs, emptyDir): the request is what the scheduler counts and what the
 * kubelet ranks pods by under disk pressure, usage above the request first (kubernetes.io/docs/concepts/
 * scheduling-eviction/node-pressure-eviction/, "Pod selection for kubelet eviction"). kube-score also asks for
 * a limit (zegl/kube-score@v1.20.0:score/container/container.go, containerStorageEphemeralRequestAndLimit);
 * here it is optional (`ephemeral-storage-limits`): exceeding it evicts the pod, a reschedule rather than a
 * restart, so a burst of logs becomes a disruption.
 */
export const ephemeralStorageRequests = requirement("ephemeral-storage-requests", "ephemeral-storage", "requests",
    ["kube-score:container-ephemeral-storage-request-and-limit"],
    "A pod without an ephemeral-storage request uses more than it asked for by definition: under disk pressure the kubelet evicts it first, and the scheduler packs such pods onto a node whose disk then fills.");

export const ephemeralStorageLimits: ObjectPolicy<{ required: boolean }> = {
    name: "ephemeral-storage-limits",
    description: "Every container sets an ephemeral-storage limit, when the stack requires them (off by default).",
    severity: "low",
    remediation: "Set resources.limits.ephemeral-storage above what the container writes at peak (logs, emptyDir, writable layer), or leave `required: false`.",
    why: "A limit evicts a pod that fills the node's disk before its neighbours are evicted with it; it also evicts (reschedules) the pod at the first burst above it, hence configurable.",
    tags: [],
    config: { defaults: { required: false }, schema: { properties: { required: { type: "boolean", default: false } } } },
    appliesTo: WORKLOADS,
    checkObject: (w, config) => config.required
        ? perContainer(w, ALL_ROLES, (ref) => (ref.container.resources?.limits?.["ephemeral-storage"] === undefined ? "has no ephemeral-storage limit" : undefined))
        : [],
};

export const cpuLimits: ObjectPolicy<{ required: boolean }> = {
    name: "cpu-limits",
    description: "Every container sets a CPU limit, when the stack requires CPU limits (off by default).",
    severity: "low",
    remediation: "Set resources.limits.cpu, or leave `required: false`: CPU requests already protect neighbours and limits throttle latency.",
    why: "Some teams need hard CPU ceilings (noisy batch, chargeback); most services are better without CFS throttling, hence configurable.",
    tags: ["polaris:cpuLimitsMissing", "checkov:CKV_K8S_11", "kyverno:require-cpu-limits"],
    config: { defaults: { required: false }, schema: { properties: { required: { type: "boolean", default: false } } } },
    appliesTo: WORKLOADS,
    checkObject: (w, config) => config.required
        ? perContainer(w, ALL_ROLES, (ref) => (ref.container.resources?.limits?.cpu === undefined ? "has no cpu limit" : undefined))
        : [],
};

export const requestsWithinLimits: ObjectPolicy = {
    name: "requests-within-limits",
    description: "No container requests more CPU or memory than its limit.",
    severity: "high",
    remediation: "Lower the request or raise the limit so request <= limit.",
    why: "The API server rejects such pods at rollout time; catching it at review keeps the deploy from failing halfway.",
    tags: [],
    appliesTo: WORKLOADS,
    checkObject: (w) => perContainer(w, ALL_ROLES, (ref) => {
        const { requests = {}, limits = {} } = ref.container.resources ?? {};
        for (const [resource, parse] of [["cpu", cpuMillicores], ["memory", memoryMiB]] as const) {
            const req = requests[resource];
            const lim = limits[resource];
            if (req === undefined || lim === undefined || !isQuantity(String(req)) || !isQuantity(String(lim))) continue;
            if (parse(req) > parse(lim)) return `requests ${resource} ${req} above its limit ${lim}`;
        }
        return undefined;
    }),
};

function probe(name: string, field: "readinessProbe" | "livenessProbe", tags: string[], why: string): ObjectPolicy {
    return {
        name,
        description: `Every serving container (sidecars too) has a ${field === "readinessProbe" ? "readiness" : "liveness"} probe. Jobs and CronJobs are exempt.`,
        severity: field === "readinessProbe" ? "high" : "medium",
        remediation: `Add a ${field} (an HTTP endpoint that answers only when the process can ${field === "readinessProbe" ? "take traffic" : "make progress"}).`,
        why,
        tags,
        appliesTo: SERVING,
        checkObject: (w) => perContainer(w, SERVING_ROLES, (ref) => (ref.container[field] ? undefined : `has no ${field}`)),
    };
}

export const readinessProbe = probe("readiness-probe", "readinessProbe",
    ["polaris:readinessProbeMissing", "kube-score:pod-probes", "checkov:CKV_K8S_9", "kyverno:require-probes"],
    "Pods received traffic before the server was up: every rollout dropped requests until readiness gated the endpoints.");
export const livenessProbe = probe("liveness-probe", "livenessProbe",
    ["polaris:livenessProbeMissing", "checkov:CKV_K8S_8", "kyverno:require-probes"],
    "A wedged process kept its pod Running and its share of traffic failing; liveness restarts it.");

export const probesDiffer: ObjectPolicy = {
    name: "probes-differ",
    description: "Readiness and liveness probes of a container are not identical.",
    severity: "medium",
    remediation: "Point readiness at an endpoint that fails while draining or overloaded (/readyz) and liveness at one that fails only when the process is stuck (/healthz).",
    why: "Identical probes restart pods exactly when they should only stop taking traffic, turning an overload into a crash loop.",
    tags: ["kyverno:ensure-probes-different", "kube-score:pod-probes-identical"],
    appliesTo: SERVING,
    checkObject: (w) => perContainer(w, SERVING_ROLES, (ref) => {
        const { readinessProbe: r, livenessProbe: l } = ref.container;
        return r && l && canonicalProbe(r) === canonicalProbe(l) ? "has identical readiness and liveness probes" : undefined;
    }),
};

/** Probe timings Kubernetes fills in when unset (kubernetes/api@v0.36.3:core/v1/types.go, Probe). */
const PROBE_DEFAULTS = { initialDelaySeconds: 0, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 };

/** A probe as the kubelet runs it, in a form where equal probes are equal strings: defaults filled in, keys sorted. */
export function canonicalProbe(probe: Record<string, unknown>): string {
    const sorted = (v: unknown): unknown => Array.isArray(v) ? v.map(sorted)
        : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;
    return JSON.stringify(sorted({ ...PROBE_DEFAULTS, ...probe }));
}

/** Splits an image reference into registry host, repository, tag and digest. */
export function parseImage(image: string): { registry: string; repository: string; tag?: string; digest?: string } {
    const [withoutDigest, digest] = image.split("@");
    const slash = withoutDigest.indexOf("/");
    const first = slash < 0 ? "" : withoutDigest.slice(0, slash);
    const hasRegistry = first.includes(".") || first.includes(":") || first === "localhost";
    const registry = hasRegistry ? first : "docker.io";
    const rest = hasRegistry ? withoutDigest.slice(slash + 1) : withoutDigest;
    const colon = rest.lastIndexOf(":");
    // A colon in the last path segment is a tag; a registry port lives in the host part.
    const tag = colon > rest.lastIndexOf("/") && colon >= 0 ? rest.slice(colon + 1) : undefined;
    return { registry, repository: tag === undefined ? rest : rest.slice(0, colon), tag, digest };
}

export const imageTag: ObjectPolicy = {
    name: "image-tag",
    description: "Every image is pinned: by digest (`@sha256:...`), or by a tag that is not `latest`.",
    severity: "high",
    remediation: "Tag images with the release version (v1.2.3-<sha>) and deploy that tag, or its digest.",
    why: "`latest` (or no tag) made two pods of one Deployment run different code, and a rollback roll back nothing.",
    tags: ["polaris:tagNotSpecified", "kube-score:container-image-tag", "checkov:CKV_K8S_14", "kyverno:disallow-latest-tag"],
    appliesTo: WORKLOADS,
    checkObject: (w) => perContainer(w, ALL_ROLES, (ref) => {
        const image = String(ref.container.image ?? "");
        const { tag, digest } = parseImage(image);
        // A digest names one image whatever the tag beside it says: the runtime pulls by digest (`repo:latest@sha256:...` too).
        if (digest) return undefined;
        if (!tag) return `image "${image}" has no tag`;
        return tag === "latest" ? `image "${image}" uses the latest tag` : undefined;
    }),
};

export const imageDigest: ObjectPolicy = {
    name: "image-digest",
    description: "Every image is pinned by digest (`@sha256:...`).",
    severity: "medium",
    security: true,
    remediation: "Deploy the digest-pinned reference the build produced (repo:tag@sha256:...).",
    why: "A tag can be re-pushed: pods restarted later would silently run different code than the ones that passed review.",
    tags: ["checkov:CKV_K8S_43"],
    appliesTo: WORKLOADS,
    checkObject: (w) => perContainer(w, ALL_ROLES, (ref) =>
        parseImage(String(ref.container.image ?? "")).digest ? undefined : `image "${ref.container.image}" is not pinned by digest`),
};

/** Any ECR registry: the default of `allowedRegistries` (a stack may pull from the registry owner's account). */
export const ANY_ECR = "*.dkr.ecr.*.amazonaws.com";

export const imageRegistry: ObjectPolicy<{ allowedRegistries: string[] }> = {
    name: "image-registry",
    description: "Images come from allowed registries (default: any ECR registry; a stack's policy config names its own).",
    severity: "high",
    security: true,
    remediation: "Push the image to the stack's ECR repository, or add its registry to `allowedRegistries`.",
    why: "Public registries rate-limit pulls and can change under you; an outage of Docker Hub should not stop a rollout.",
    tags: ["kyverno:restrict-image-registries"],
    config: {
        defaults: { allowedRegistries: [] },
        schema: { properties: { allowedRegistries: { type: "array", items: { type: "string" }, default: [] } } },
    },
    appliesTo: WORKLOADS,
    checkObject: (w, config) => {
        const patterns = (config.allowedRegistries.length > 0 ? config.allowedRegistries : [ANY_ECR]).map((p) => wildcardRegExp(p, "[^/]*"));
        return perContainer(w, ALL_ROLES, (ref) => {
            const { registry } = parseImage(String(ref.container.image ?? ""));
            return patterns.some((p) => p.test(registry)) ? undefined : `image "${ref.container.image}" is from ${registry}, not an allowed registry`;
        });
    },
};

export const runAsNonRoot: ObjectPolicy = {
    name: "run-as-non-root",
    description: "Every container runs as a non-root user (pod and container security contexts combined, the container's winning).",
    severity: "high",
    security: true,
    remediation: "Set securityContext.runAsNonRoot: true and a non-zero runAsUser (the image's USER).",
    why: "Root in a container is root on the node after one kernel or runtime escape.",
    tags: ["polaris:runAsRootAllowed", "checkov:CKV_K8S_23", "kyverno:require-run-as-nonroot", "kyverno:require-run-as-non-root-user"],
    appliesTo: WORKLOADS,
    checkObject: (w) => perContainer(w, ALL_ROLES, (ref, pod) => {
        const nonRoot = sc(ref).runAsNonRoot ?? podSc(pod).runAsNonRoot;
        const user = sc(ref).runAsUser ?? podSc(pod).runAsUser;
        if (user === 0) return "runs as user 0 (root)";
        if (nonRoot === false) return "sets runAsNonRoot: false";
        return nonRoot === true || (typeof user === "number" && user > 0) ? undefined : "may run as root (no runAsNonRoot: true, no non-zero runAsUser)";
    }),
};

export const notPrivileged: ObjectPolicy = {
    name: "no-privileged",
    description: "No container runs privileged.",
    severity: "critical",
    security: true,
    remediation: "Remove securityContext.privileged; grant the one capability needed instead.",
    why: "A privileged container owns the node: every device, every other pod's files.",
    tags: ["polaris:runAsPrivileged", "kube-score:container-security-context-privileged", "checkov:CKV_K8S_16", "kyverno:disallow-privileged-containers"],
    appliesTo: WORKLOADS,
    checkObject: (w) => perContainer(w, ALL_ROLES, (ref) => (sc(ref).privileged === true ? "is privileged" : undefined)),
};

export const noPrivilegeEscalation: ObjectPolicy = {
    name: "no-privilege-escalation",
    description: "Every container sets allowPrivilegeEscalation: false.",
    severity: "high",
    security: true,
    remediation: "Set securityContext.allowPrivilegeEscalation: false.",
    why: "setuid binaries in an image turn a compromised process into root in the container.",
    tags: ["polaris:privilegeEscalationAllowed", "checkov:CKV_K8S_20", "kyverno:disallow-privilege-escalation"],
    appliesTo: WORKLOADS,
    checkObject: (w) => perContainer(w, ALL_ROLES, (ref) => (sc(ref).allowPrivilegeEscalation === false ? undefined : "does not set allowPrivilegeEscalation: false")),
};

export const readOnlyRootFilesystem: ObjectPolicy = {
    name: "read-only-root-filesystem",
    description: "Every container mounts its root filesystem read-only.",
    severity: "medium",
    security: true,
    remediation: "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the app writes (/tmp).",
    why: "A writable image lets an intruder drop tools and persist across requests; it also hides disk growth until the node fills.",
    tags: ["polaris:notReadOnlyRootFilesystem", "kube-score:container-security-context-readonlyrootfilesystem", "checkov:CKV_K8S_22", "kyverno:require-ro-rootfs"],
    appliesTo: WORKLOADS,
    checkObject: (w) => perContainer(w, ALL_ROLES, (ref) => (sc(ref).readOnlyRootFilesystem === true ? undefined : "does not set readOnlyRootFilesystem: true")),
};

/** Capabilities Pod Security "baseline" allows a container to add. */
const BASELINE_CAPABILITIES = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"];
const capName = (c: unknown) => String(c).toUpperCase().replace(/^CAP_/, "");

export const noDangerousCapabilities: ObjectPolicy = {
    name: "no-dangerous-capabilities",
    description: "No container adds a capability beyond Pod Security baseline (SYS_ADMIN, NET_ADMIN, ALL, ...).",
    severity: "critical",
    security: true,
    remediation: "Remove the added capability; if one is truly needed, it must be in the baseline set.",
    why: "SYS_ADMIN and friends are root by another name: one compromised pod rewrites the node's network or mounts.",
    tags: ["polaris:dangerousCapabilities", "checkov:CKV_K8S_39", "kyverno:disallow-capabilities"],
    appliesTo: WORKLOADS,
    checkObject: (w) => perContainer(w, ALL_ROLES, (ref) => {
        const bad = (sc(ref).capabilities?.add ?? []).map(capName).filter((c: string) => !BASELINE_CAPABILITIES.includes(c));
        return bad.length ? `adds capabilities ${bad.join(", ")}` : undefined;
    }),
};

export const dropAllCapabilities: ObjectPolicy = {
    name: "drop-all-capabilities",
    description: "Every container drops ALL capabilities and adds back at most NET_BIND_SERVICE (Pod Security restricted).",
    severity: "medium",
    security: true,
    remediation: "Set securityContext.capabilities: {drop: [ALL]} (add: [NET_BIND_SERVICE] only to bind ports below 1024).",
    why: "The runtime's default set (NET_RAW, CHOWN, ...) is what container breakouts and ARP spoofing start from.",
    tags: ["polaris:insecureCapabilities", "checkov:CKV_K8S_28", "checkov:CKV_K8S_37", "kyverno:require-drop-all", "kyverno:disallow-capabilities-strict"],
    appliesTo: WORKLOADS,
    checkObject: (w) => perContainer(w, ALL_ROLES, (ref) => {
        const caps = sc(ref).capabilities ?? {};
        if (!(caps.drop ?? []).map(capName).includes("ALL")) return "does not drop ALL capabilities";
        const added = (caps.add ?? []).map(capName).filter((c: string) => c !== "NET_BIND_SERVICE");
        return added.length ? `adds back ${added.join(", ")}` : undefined;
    }),
};

const STRICT_SECCOMP = ["RuntimeDefault", "Localhost"];

export const seccompProfile: ObjectPolicy = {
    name: "seccomp-profile",
    description: "Every container runs under the RuntimeDefault (or a Localhost) seccomp profile, set on the pod or the container.",
    severity: "medium",
    security: true,
    remediation: "Set securityContext.seccompProfile.type: RuntimeDefault on the pod.",
    why: "Unconfined containers can call every syscall, including the ones behind most kernel escapes.",
    tags: ["kube-score:container-seccomp-profile", "checkov:CKV_K8S_31", "kyverno:restrict-seccomp-strict"],
    appliesTo: WORKLOADS,
    checkObject: (w) => perContainer(w, ALL_ROLES, (ref, pod) => {
        const type = sc(ref).seccompProfile?.type ?? podSc(pod).seccompProfile?.type;
        return STRICT_SECCOMP.includes(type) ? undefined : `runs with seccomp profile ${type ?? "unset (Unconfined)"}`;
    }),
};

export const linuxHardening: ObjectPolicy = {
    name: "linux-hardening",
    description: "Every container is hardened by at least one of: seccomp RuntimeDefault/Localhost, an AppArmor profile, SELinux options, or dropping ALL capabilities.",
    severity: "medium",
    security: true,
    remediation: "Set seccompProfile RuntimeDefault on the pod (the simplest), or drop ALL capabilities.",
    why: "An unhardened container exposes the node's whole kernel surface to the first RCE in the app.",
    tags: ["polaris:linuxHardening"],
    appliesTo: WORKLOADS,
    checkObject: (w) => perContainer(w, ALL_ROLES, (ref, pod, w) => {
        const c = ref.container;
        const seccomp = sc(ref).seccompProfile?.type ?? podSc(pod).seccompProfile?.type;
        const apparmor = podAnnotationsOf(w.props)[`container.apparmor.security.beta.kubernetes.io/${c.name}`]
            ?? sc(ref).appArmorProfile?.type ?? podSc(pod).appArmorProfile?.type;
        const selinux = sc(ref).seLinuxOptions ?? podSc(pod).seLinuxOptions;
        const caps = sc(ref).capabilities ?? {};
        const dropsAll = (caps.drop ?? []).map(capName).includes("ALL") && !(caps.add ?? []).map(capName).includes("ALL");
        const hardened = STRICT_SECCOMP.includes(seccomp) || (apparmor && apparmor !== "unconfined" && apparmor !== "Unconfined")
            || (selinux && Object.keys(selinux).length > 0) || dropsAll;
        return hardened ? undefined : "has no seccomp, AppArmor, SELinux or dropped capabilities";
    }),
};

export const noHostNamespaces: ObjectPolicy = {
    name: "no-host-namespaces",
    description: "No pod shares the node's network, PID or IPC namespace.",
    severity: "critical",
    security: true,
    remediation: "Remove hostNetwork, hostPID and hostIPC.",
    why: "Host namespaces let a pod sniff node traffic, signal other processes and read shared memory.",
    tags: ["polaris:hostNetworkSet", "polaris:hostPIDSet", "polaris:hostIPCSet", "checkov:CKV_K8S_17", "checkov:CKV_K8S_18", "checkov:CKV_K8S_19", "kyverno:disallow-host-namespaces"],
    appliesTo: WORKLOADS,
    checkObject: (w) => perPod(w, (pod) => {
        const set = ["hostNetwork", "hostPID", "hostIPC"].filter((k) => pod[k] === true);
        return set.length ? `uses ${set.join(", ")}` : undefined;
    }),
};

export const noHostPath: ObjectPolicy = {
    name: "no-host-path",
    description: "No pod mounts a hostPath volume.",
    severity: "high",
    security: true,
    remediation: "Use an emptyDir, a ConfigMap/Secret, or a PersistentVolumeClaim.",
    why: "A hostPath mount reaches the node's filesystem (kubelet credentials, container runtime socket).",
    tags: ["polaris:hostPathSet", "kyverno:disallow-host-path"],
    appliesTo: WORKLOADS,
    checkObject: (w) => perPod(w, (pod) => {
        const vols = (pod.volumes ?? []).filter((v: any) => v?.hostPath).map((v: any) => v.name);
        return vols.length ? `mounts hostPath volumes ${vols.join(", ")}` : undefined;
    }),
};

export const noHostPorts: ObjectPolicy = {
    name: "no-host-ports",
    description: "No container binds a host port.",
    severity: "high",
    security: true,
    remediation: "Remove hostPort and expose the pod through a Service.",
    why: "Host ports cap a workload at one pod per node and bypass NetworkPolicies.",
    tags: ["polaris:hostPortSet", "checkov:CKV_K8S_26", "kyverno:disallow-host-ports"],
    appliesTo: WORKLOADS,
    checkObject: (w) => perContainer(w, ALL_ROLES, (ref) => {
        const ports = (ref.container.ports ?? []).filter((p: any) => p?.hostPort !== undefined && p.hostPort !== 0).map((p: any) => p.hostPort);
        return ports.length ? `binds host ports ${ports.join(", ")}` : undefined;
    }),
};

export const serviceAccountToken: StackPolicy = {
    name: "no-service-account-token",
    description: "Pods do not get a service-account token unless they opt in (pod setting, else the ServiceAccount's, else Kubernetes' default: mounted).",
    severity: "medium",
    security: true,
    remediation: "Set automountServiceAccountToken: false on the pod or its ServiceAccount; true only where the app calls the Kubernetes API.",
    why: "A mounted token turns any RCE in the app into API access to the cluster.",
    tags: ["polaris:automountServiceAccountToken", "checkov:CKV_K8S_38", "kyverno:restrict-automount-sa-token"],
    // A stack policy: the pod's ServiceAccount decides when the pod does not.
    check: ({ kube }) => eachKnown(kube.workloads, (w) => perPod(w, (pod) => {
        const account = pod.serviceAccountName ?? pod.serviceAccount ?? "default";
        const sa = kube.serviceAccount(kube.namespaceOf(w.props), account);
        const mounted = pod.automountServiceAccountToken ?? sa?.props.automountServiceAccountToken ?? true;
        return mounted ? `mounts the service-account token of "${account}"` : undefined;
    })),
};

const SENSITIVE_NAME = /(pass(word|wd)?|secret|token|credential|api[_-]?key|access[_-]?key|private[_-]?key|key[_-]?content|_key$|^key$)/i;
const SENSITIVE_VALUE = /BEGIN [A-Z ]*PRIVATE KEY|^AKIA[0-9A-Z]{16}$/;

export const noSecretEnvLiterals: ObjectPolicy = {
    name: "no-secret-env-literals",
    description: "No container carries a secret as a literal environment value.",
    severity: "critical",
    security: true,
    remediation: "Move the value to AWS Secrets Manager and reference it through an ExternalSecret (envFrom / valueFrom.secretKeyRef).",
    why: "A literal in a manifest lives forever in git history, in Pulumi state and in every `kubectl get -o yaml`.",
    // Not checkov:CKV_K8S_35: it flags env taken from a Secret (bridgecrewio/checkov@3.3.13:checkov/kubernetes/checks/resource/k8s/Secrets.py), the remedy here.
    tags: ["polaris:sensitiveContainerEnvVar"],
    appliesTo: WORKLOADS,
    checkObject: (w) => perContainer(w, ALL_ROLES, (ref) => {
        // An env var whose value is unknown in a preview is not judged; the others are.
        const literal = knownItems<any>(() => ref.container.env).filter((e) => known(() => typeof e?.value === "string" && e.value !== ""
            && (SENSITIVE_NAME.test(String(e.name)) || SENSITIVE_VALUE.test(e.value)), false));
        return literal.length ? `has secret-looking literal env ${literal.map((e: any) => e.name).join(", ")}` : undefined;
    }),
};

export const noDefaultNamespace: ObjectPolicy = {
    name: "no-default-namespace",
    description: "Workloads live in a namespace of their own, not `default`.",
    severity: "low",
    remediation: "Set metadata.namespace (the stack's namespace).",
    why: "The default namespace has no Pod Security labels, quotas or network policies of its own.",
    tags: ["kyverno:disallow-default-namespace", "checkov:CKV_K8S_21"],
    appliesTo: WORKLOADS,
    checkObject: (w) => (w.props.metadata?.namespace ?? "default") === "default"
        ? [{ resource: w, message: `${describeObject(w)} is in the default namespace` }] : [],
};

export const recommendedLabels: ObjectPolicy = {
    name: "recommended-labels",
    description: "Pods carry app.kubernetes.io/name.",
    severity: "low",
    remediation: "Label the pod template with app.kubernetes.io/name (and version, part-of).",
    why: "Dashboards, alerts and selectors all key on it: an unlabeled pod is invisible when it is eating the node.",
    tags: ["kyverno:require-labels"],
    appliesTo: WORKLOADS,
    checkObject: (w) => podLabelsOf(w.props)["app.kubernetes.io/name"]
        ? [] : [{ resource: w, message: `${describeObject(w)}: pods have no app.kubernetes.io/name label` }],
};

/**
 * The env entries of a container that hide an earlier one of the same name, as the API server warns of them
 * (kubernetes/kubernetes pkg/api/pod/warnings.go, "hides previous definition of"): a redefinition that extends
 * the earlier value (`PATH=$(PATH):/app`) is deliberate and not one of them.
 */
export function hiddenEnv(env: readonly Record<string, any>[]): string[] {
    const seen = new Set<string>();
    const hidden: string[] = [];
    for (const e of env) {
        const name = String(e?.name);
        if (!seen.has(name)) {
            seen.add(name);
            continue;
        }
        const ref = `$(${name})`;
        const value = typeof e?.value === "string" ? e.value : "";
        if (e?.valueFrom !== undefined || value === ref || !value.includes(ref)) hidden.push(name);
    }
    return [...new Set(hidden)];
}

export const envKeysUnique: ObjectPolicy = {
    name: "env-keys-unique",
    description: "No container defines an environment variable twice (a redefinition that extends the earlier value, `X=$(X):more`, excepted).",
    severity: "medium",
    remediation: "Keep one entry per name; to extend a value, reference it: `value: $(PATH):/app`.",
    why: "The container gets the last value while reviewers read the first, and env is merged by name, so the next apply may drop one of them (the API server warns: \"may be dropped when using apply\").",
    tags: ["kube-score:environment-variable-key-duplication"],
    appliesTo: WORKLOADS,
    checkObject: (w) => perContainer(w, ALL_ROLES, (ref) => {
        // An entry a preview cannot know is left out; the known ones are compared.
        const names = hiddenEnv(knownItems<any>(() => ref.container.env).filter((e) => known(() => [e?.name, e?.value, e?.valueFrom].length > 0, false)));
        return names.length ? `defines env ${names.join(", ")} more than once (the last definition hides the earlier)` : undefined;
    }),
};

/** The label maps of an object that Kubernetes validates: its own, its pod template's, a CronJob's job template's. */
function labelSets(obj: Record<string, any>): Array<[string, unknown]> {
    const sets: Array<[string, unknown]> = [["metadata.labels", obj.metadata?.labels]];
    if (obj.kind === "CronJob") {
        sets.push(["spec.jobTemplate.metadata.labels", obj.spec?.jobTemplate?.metadata?.labels]);
        sets.push(["spec.jobTemplate.spec.template.metadata.labels", obj.spec?.jobTemplate?.spec?.template?.metadata?.labels]);
    } else if ((WORKLOAD_KINDS as readonly string[]).includes(obj.kind) && obj.kind !== "Pod") {
        sets.push(["spec.template.metadata.labels", obj.spec?.template?.metadata?.labels]);
    }
    return sets;
}

export const validLabels: ObjectPolicy = {
    name: "valid-labels",
    description: "Label keys and values, on every object and its pod template, are what the API server accepts (values: at most 63 alphanumerics, `-`, `_`, `.`, alphanumeric at both ends).",
    severity: "high",
    remediation: "Shorten or clean the value (a version `1.2.3+build` becomes `1.2.3-build`; a commit SHA fits, a URL does not); quote numbers and booleans.",
    why: "An invalid label value is rejected at apply time: the rollout stops halfway through the stack, typically on the label a CI pipeline fills in with a branch name or a build string.",
    tags: ["kube-score:label-values"],
    appliesTo: isKubernetesType,
    checkObject: (r) => {
        const problems: string[] = [];
        for (const [where, labels] of labelSets(r.props)) {
            if (labels === undefined || labels === null) continue;
            if (typeof labels !== "object" || Array.isArray(labels)) {
                problems.push(`${where} is not a mapping`);
                continue;
            }
            for (const key of Object.keys(labels)) {
                // A value a preview cannot know is not judged; the others are.
                const problem = labelKeyProblem(key) ?? known(() => {
                    const valueProblem = labelValueProblem((labels as Record<string, unknown>)[key]);
                    return valueProblem && `value ${JSON.stringify((labels as Record<string, unknown>)[key])} ${valueProblem}`;
                }, undefined);
                if (problem) problems.push(`${where} ${key} ${problem}`);
            }
        }
        return problems.length ? [objectFinding(r, problems.join("; "))] : [];
    },
};

/** Workloads whose selector the API server requires and checks against the template (apps/v1). */
const SELECTING_WORKLOADS = kubernetesKinds("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet");

export const selectorMatchesTemplate: ObjectPolicy = {
    name: "selector-matches-template",
    description: "Deployments, StatefulSets, DaemonSets and ReplicaSets have a valid, non-empty spec.selector that selects their own pod template's labels.",
    severity: "high",
    remediation: "Make the pod template's labels a superset of spec.selector.matchLabels (and satisfy its matchExpressions); the selector is immutable, so fix the template.",
    why: "The API server rejects such a workload (`selector` does not match template `labels`), and a selector edited after creation is refused as immutable: the deploy fails at apply time.",
    tags: ["kube-score:deployment-pod-selector-labels-match-template-metadata-labels", "kube-score:statefulset-pod-selector-labels-match-template-metadata-labels"],
    appliesTo: SELECTING_WORKLOADS,
    // kubernetes/kubernetes pkg/apis/apps/validation/validation.go: ValidateDeploymentSpec, ValidateReplicaSetSpec and
    // ValidatePodTemplateSpecForReplicaSet (selector required, not empty, valid, matching the template's labels).
    checkObject: (w) => {
        const selector = w.props.spec?.selector;
        const labels = w.props.spec?.template?.metadata?.labels ?? {};
        let problem: string | undefined;
        if (selector === undefined || selector === null) problem = "has no spec.selector (required in apps/v1)";
        else if (selectorProblem(selector)) problem = `has an invalid spec.selector: ${selectorProblem(selector)}`;
        else if (Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0) problem = "has an empty spec.selector (the API server refuses it: it would select every pod of the namespace)";
        else if (!selects(selector, labels)) problem = `spec.selector ${JSON.stringify(selector)} does not select its pod template's labels ${JSON.stringify(labels)}`;
        return problem ? [objectFinding(w, problem)] : [];
    },
};

export const workloadPolicies: PolicyDefinition<any>[] = [
    cpuRequests, memoryRequests, memoryLimits, cpuLimits, ephemeralStorageRequests, ephemeralStorageLimits, requestsWithinLimits,
    readinessProbe, livenessProbe, probesDiffer,
    imageTag, imageDigest, imageRegistry,
    runAsNonRoot, notPrivileged, noPrivilegeEscalation, readOnlyRootFilesystem,
    noDangerousCapabilities, dropAllCapabilities, seccompProfile, linuxHardening,
    noHostNamespaces, noHostPath, noHostPorts, serviceAccountToken, noSecretEnvLiterals, envKeysUnique,
    noDefaultNamespace, recommendedLabels, validLabels, selectorMatchesTemplate,
];
