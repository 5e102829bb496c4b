/** The pack's verdicts on hand-written manifests, AWS resources and capacity, as a platform engineer expects them. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { allPolicies } from "../policies/all";
import { evaluate, PackConfig, StackResource } from "../policies/framework";
import { allocatable, capacityReport, nodeCost } from "../policies/capacity";
import { toCrossGuard } from "../policies/crossguard";
import { parseImage } from "../policies/rules/workload";
import { loadInstanceCatalog } from "../policies/lib/instanceTypes";
import { kubernetesType } from "../tools/policy/documents";

const ECR = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com";

function docs(yaml: string): StackResource[] {
    return parseAllDocuments(yaml).map((d, i) => {
        const obj = d.toJS();
        return { type: kubernetesType(obj.apiVersion, obj.kind), urn: `doc#${i}`, name: obj.metadata?.name, props: obj };
    });
}

/** Names of the policies that flag anything, for the given policies (default: all). */
function flagged(resources: StackResource[], only?: string[], config: PackConfig = {}): string[] {
    const policies = only ? allPolicies.filter((p) => only.includes(p.name)) : allPolicies;
    return [...new Set(evaluate(policies, resources, config).map((v) => v.policy))].sort();
}

/** A Deployment that passes every workload policy; tests then change one thing. */
const good = (patch = "") => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop, namespace: prod, labels: {app.kubernetes.io/name: shop}}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: shop}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}
  minReadySeconds: 10
  template:
    metadata: {labels: {app.kubernetes.io/name: shop}}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 30
      securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app.kubernetes.io/name: shop}}}
        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app.kubernetes.io/name: shop}}}
      containers:
        - name: shop
          image: ${ECR}/shop:v1.2.3@sha256:${"a".repeat(64)}
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
          readinessProbe: {httpGet: {path: /readyz, port: 8080}}
          livenessProbe: {httpGet: {path: /healthz, port: 8080}}
          lifecycle: {preStop: {sleep: {seconds: 10}}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
${patch}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: shop, namespace: prod}
spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: shop}, minReplicas: 2, maxReplicas: 6}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: shop, namespace: prod}
spec: {maxUnavailable: 1, selector: {matchLabels: {app.kubernetes.io/name: shop}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: shop, namespace: prod}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/name: shop}}
  policyTypes: [Ingress, Egress]
  ingress: [{ports: [{port: 8080}]}]
  egress: [{ports: [{port: 443}]}]
`;

test("a well-formed service passes every policy", () => {
    assert.deepEqual(flagged(docs(good())), []);
});

test("sidecars need probes and resources; init containers need resources but no probes", () => {
    const withSidecar = good(`        - name: envoy
          image: ${ECR}/envoy:v1.30.0@sha256:${"b".repeat(64)}
          resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 128Mi}}
          lifecycle: {preStop: {sleep: {seconds: 10}}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}`);
    assert.deepEqual(flagged(docs(withSidecar)), ["liveness-probe", "readiness-probe"]);

    const withInit = good().replace("      containers:", `      initContainers:
        - name: migrate
          image: ${ECR}/shop:v1.2.3@sha256:${"a".repeat(64)}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
      containers:`);
    assert.deepEqual(flagged(docs(withInit)), ["cpu-requests", "memory-limits", "memory-requests"], "no probes asked of an init container");

    const nativeSidecar = withInit.replace("        - name: migrate\n", "        - name: migrate\n          restartPolicy: Always\n");
    assert.ok(flagged(docs(nativeSidecar)).includes("readiness-probe"), "a native sidecar (restartPolicy: Always) serves: probes apply");
});

test("images: registry ports are not tags, digests pin, latest is refused, foreign registries are not allowed", () => {
    assert.deepEqual(parseImage("registry.local:5000/team/app"), { registry: "registry.local:5000", repository: "team/app", tag: undefined, digest: undefined });
    assert.deepEqual(parseImage("registry.local:5000/team/app:1.2@sha256:abc"), { registry: "registry.local:5000", repository: "team/app", tag: "1.2", digest: "sha256:abc" });
    assert.equal(parseImage("nginx").registry, "docker.io");
    const image = (ref: string) => docs(good().replace(/image: \S+shop:v1\.2\.3@sha256:a+/, `image: ${ref}`));
    const imagePolicies = ["image-tag", "image-digest", "image-registry"];
    assert.deepEqual(flagged(image(`${ECR}/shop:v1.2.3`), imagePolicies), ["image-digest"]);
    assert.deepEqual(flagged(image(`${ECR}/shop:latest@sha256:${"a".repeat(64)}`), imagePolicies), ["image-tag"]);
    assert.deepEqual(flagged(image("registry.local:5000/shop"), imagePolicies), ["image-digest", "image-registry", "image-tag"], "port is not a tag");
    assert.deepEqual(flagged(image("registry.local:5000/shop:v1"), imagePolicies, { "image-registry": { allowedRegistries: ["registry.local:5000"] } }), ["image-digest"]);
});

test("HPA-owned replicas: spec.replicas is refused unless it is a blue/green activation", () => {
    assert.deepEqual(flagged(docs(good().replace("  minReadySeconds: 10", "  minReadySeconds: 10\n  replicas: 3")), ["hpa-owns-replicas"]), ["hpa-owns-replicas"]);
    const activation = good().replace("  minReadySeconds: 10", "  minReadySeconds: 10\n  replicas: 2")
        .replace("metadata: {name: shop, namespace: prod, labels: {app.kubernetes.io/name: shop}}", "metadata: {name: shop, namespace: prod, labels: {app.kubernetes.io/name: shop}, annotations: {eks-delivery/activation: \"true\"}}");
    assert.deepEqual(flagged(docs(activation), ["hpa-owns-replicas"]), []);
    const noHpa = docs(good()).filter((r) => r.props.kind !== "HorizontalPodAutoscaler");
    assert.deepEqual(flagged(noHpa, ["min-replicas"]), ["min-replicas"], "without an HPA, the default of 1 replica is too few");
});

test("PDBs against HPAs: minAvailable above the HPA minimum, or equal to it, blocks drains", () => {
    const pdb = (spec: string) => docs(good().replace("spec: {maxUnavailable: 1, selector:", `spec: {${spec}, selector:`));
    assert.deepEqual(flagged(pdb("minAvailable: 3"), ["pdb-within-hpa-min", "pdb-allows-eviction"]), ["pdb-allows-eviction", "pdb-within-hpa-min"]);
    assert.deepEqual(flagged(pdb("minAvailable: 2"), ["pdb-within-hpa-min", "pdb-allows-eviction"]), ["pdb-allows-eviction"], "equal to min: allowed by Polaris, yet no eviction at min scale");
    assert.deepEqual(flagged(pdb("minAvailable: 1"), ["pdb-within-hpa-min", "pdb-allows-eviction"]), []);
    assert.deepEqual(flagged(pdb("maxUnavailable: 0"), ["pdb-allows-eviction"]), ["pdb-allows-eviction"]);
    assert.deepEqual(flagged(pdb("minAvailable: 50%"), ["pdb-allows-eviction"]), [], "50% of 2 is 1: one eviction allowed");
    const noPdb = docs(good()).filter((r) => r.props.kind !== "PodDisruptionBudget");
    assert.deepEqual(flagged(noPdb, ["pdb-required"]), ["pdb-required"]);
});

test("grace periods must outlast the preStop hook; rollouts must not lose capacity", () => {
    const grace = (seconds: number) => docs(good().replace("terminationGracePeriodSeconds: 30", `terminationGracePeriodSeconds: ${seconds}`));
    assert.deepEqual(flagged(grace(10), ["graceful-shutdown"]), ["graceful-shutdown"]);
    assert.deepEqual(flagged(grace(11), ["graceful-shutdown"]), []);
    const execSleep = docs(good().replace("preStop: {sleep: {seconds: 10}}", 'preStop: {exec: {command: ["/bin/sh", "-c", "sleep 20"]}}'));
    assert.deepEqual(flagged(execSleep, ["graceful-shutdown"]), [], "grace 30 > sleep 20");
    assert.deepEqual(flagged(docs(good().replace("lifecycle: {preStop: {sleep: {seconds: 10}}}", "env: []")), ["graceful-shutdown"]), ["graceful-shutdown"]);
    assert.deepEqual(flagged(docs(good().replace("maxUnavailable: 0, maxSurge: 1", "maxUnavailable: 25%, maxSurge: 1")), ["zero-downtime-rollout"]), ["zero-downtime-rollout"]);
    assert.deepEqual(flagged(docs(good().replace("  minReadySeconds: 10\n", "")), ["zero-downtime-rollout"]), ["zero-downtime-rollout"]);
});

test("security: pod and container contexts combine as Kubernetes does", () => {
    const rootOverride = docs(good().replace("securityContext: {allowPrivilegeEscalation: false,", "securityContext: {runAsUser: 0, allowPrivilegeEscalation: false,"));
    assert.deepEqual(flagged(rootOverride, ["run-as-non-root"]), ["run-as-non-root"], "container runAsUser 0 overrides the pod");
    const podOnly = docs(good());
    assert.deepEqual(flagged(podOnly, ["run-as-non-root", "seccomp-profile"]), [], "pod-level settings cover the containers");
    const unconfined = docs(good().replace("capabilities: {drop: [ALL]}}", "capabilities: {drop: [ALL]}, seccompProfile: {type: Unconfined}}"));
    assert.deepEqual(flagged(unconfined, ["seccomp-profile"]), ["seccomp-profile"]);
    const secret = docs(good().replace("          lifecycle:", "          env: [{name: DB_PASSWORD, value: hunter2}, {name: LOG_LEVEL, value: info}]\n          lifecycle:"));
    assert.deepEqual(flagged(secret, ["no-secret-env-literals"]), ["no-secret-env-literals"]);
});

test("the pack covers every AWS rule on both the component and the raw AWS resources", () => {
    const aws = (type: string, props: Record<string, unknown>): StackResource => ({ type, urn: `urn:${type}`, name: "x", props });
    const open = [aws("eks:index:Cluster", { endpointPublicAccess: true, enabledClusterLogTypes: ["api"] }),
        aws("aws:eks/cluster:Cluster", { vpcConfig: { publicAccessCidrs: ["0.0.0.0/0"] }, enabledClusterLogTypes: [] })];
    assert.deepEqual(flagged(open), ["eks-control-plane-logging", "eks-endpoint-restricted", "eks-secrets-encryption"]);
    const repo = aws("aws:ecr/repository:Repository", { name: "r", imageTagMutability: "IMMUTABLE_WITH_EXCLUSION", imageTagMutabilityExclusionFilters: [{ filter: "v*", filterType: "WILDCARD" }] });
    assert.deepEqual(flagged([repo]), ["ecr-immutable-tags", "ecr-kms-encryption", "ecr-lifecycle-policy", "ecr-scan-on-push"]);
    const nodes = [aws("eks:index:ManagedNodeGroup", { instanceTypes: ["t3.medium"] }), aws("aws:ec2/launchTemplate:LaunchTemplate", { metadataOptions: { httpTokens: "optional" } })];
    assert.deepEqual(flagged(nodes, ["nodes-imdsv2"]), ["nodes-imdsv2"]);
    assert.equal(evaluate(allPolicies.filter((p) => p.name === "nodes-imdsv2"), nodes).length, 2);
});

test("the seeds' arithmetic: pods per node and node costs", () => {
    const catalog = loadInstanceCatalog();
    const t2medium = catalog.get("t2.medium");
    assert.equal(nodeCost(1, t2medium.usdPerHour!, 720), 33.408);
    assert.equal(nodeCost(2, t2medium.usdPerHour!, 720), 66.816);
    assert.equal(nodeCost(1, catalog.get("t2.xlarge").usdPerHour!, 720), 133.632);
    // t3.medium: 2 vCPU, 4096 MiB; kubelet reserves 70m CPU and 255 + 11 x 17 + 100 MiB.
    assert.deepEqual(allocatable({ vcpu: 2, memoryMiB: 4096, maxPods: 17 }), { cpuMillicores: 1930, memoryMiB: 3554, pods: 17 });
});

test("capacity: pods beyond what t3.medium nodes address do not fit", () => {
    const group = (maxPods: number): StackResource => ({
        type: "eks:index:ManagedNodeGroup", urn: "urn:nodes", name: "nodes",
        props: { instanceTypes: ["t3.medium"], scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 2 }, nodeadmExtraOptions: [{ content: `maxPods: ${maxPods}` }] },
    });
    const small = good().replace("requests: {cpu: 100m, memory: 128Mi}", "requests: {cpu: 10m, memory: 16Mi}").replace("maxReplicas: 6", "maxReplicas: 30");
    const at17 = capacityReport([...docs(small), group(17)], loadInstanceCatalog(), 730);
    // 30 replicas + 1 surge + 2 CoreDNS = 33 pods; 2 nodes x (17 - 2 per-node system pods) = 30.
    assert.deepEqual([at17.peak.pods, at17.capacity.pods, at17.fits], [33, 30, false]);
    assert.deepEqual(flagged([...docs(small), group(17)], ["capacity-fits"]), ["capacity-fits"]);
    const at110 = capacityReport([...docs(small), group(110)], loadInstanceCatalog(), 730);
    assert.equal(at110.fits, true, "prefix delegation's 110 pods per node fit");
});

test("CrossGuard: the adapter reports each finding with its resource's URN", () => {
    const policy = toCrossGuard(allPolicies.find((p) => p.name === "hpa-min-replicas")!);
    const reported: Array<[string, string | undefined]> = [];
    const resources = docs(good().replace("minReplicas: 2", "minReplicas: 1"));
    const args = {
        resources: resources.map((r) => ({ ...r, opts: {} as any, dependencies: [], propertyDependencies: {}, isType: () => false, asType: () => undefined })),
        stackTags: new Map<string, string>(),
        getConfig: <T extends object>() => ({}) as T,
        notApplicable: (reason?: string): never => { throw new Error(reason); },
    };
    policy.validateStack(args as any, (message, urn) => { reported.push([message, urn]); });
    assert.equal(reported.length, 1);
    assert.match(reported[0][0], /minReplicas is 1/);
    assert.equal(reported[0][1], resources.find((r) => r.props.kind === "HorizontalPodAutoscaler")!.urn);
    assert.equal(policy.severity, "high");
    assert.ok(policy.tags!.includes("polaris:hpaMinAvailability"));
});

test("every policy has a stable name, description, severity, remediation, why and tags; names are unique", () => {
    const names = allPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    for (const p of allPolicies) {
        assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
        assert.ok(p.description && p.remediation && p.why && p.severity, p.name);
        for (const tag of p.tags) assert.match(tag, /^(polaris|kube-score|checkov|kyverno):\S+$/, `${p.name}: ${tag}`);
    }
});

test("policies/README.md lists every policy as the definitions say (npm run policy:readme)", async () => {
    const fs = await import("fs");
    const { README, renderReadme } = await import("../tools/policy/readme");
    const current = fs.readFileSync(README, "utf8");
    assert.equal(current, renderReadme(current), "run npm run policy:readme");
});
