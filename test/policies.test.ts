/** The pack's verdicts on hand-written manifests, AWS resources and capacity, as a platform engineer expects them. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { allPolicies } from "../policies/all";
import { evaluate, PackConfig, StackResource } from "../policies/framework";
import { allocatable, capacityReport, ISTIO_SIDECAR_REQUESTS, podRequests } from "../policies/capacity";
import { parseImage } from "../policies/rules/workload";
import { loadInstanceCatalog } from "../policies/lib/instanceTypes";
import { utcDate } from "../policies/lib/eksVersions";
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
          resources: {requests: {cpu: 100m, memory: 128Mi, ephemeral-storage: 64Mi}, limits: {memory: 256Mi}}
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
          resources: {requests: {cpu: 50m, memory: 64Mi, ephemeral-storage: 16Mi}, limits: {memory: 128Mi}}
          lifecycle: {preStop: {sleep: {seconds: 10}}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}`);
    assert.deepEqual(flagged(docs(withSidecar)), ["liveness-probe", "readiness-probe"]);

    const withInit = good().replace("      containers:", `      initContainers:
        - name: migrate
          image: ${ECR}/shop:v1.2.3@sha256:${"a".repeat(64)}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
      containers:`);
    assert.deepEqual(flagged(docs(withInit)), ["cpu-requests", "ephemeral-storage-requests", "memory-limits", "memory-requests"], "no probes asked of an init container");

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
    assert.deepEqual(flagged(image(`${ECR}/shop:latest@sha256:${"a".repeat(64)}`), imagePolicies), [], "the digest pins it, whatever the tag says");
    assert.deepEqual(flagged(image(`${ECR}/shop@sha256:${"a".repeat(64)}`), imagePolicies), [], "a digest alone is the most precise reference");
    assert.deepEqual(flagged(image(`${ECR}/shop:latest`), imagePolicies), ["image-digest", "image-tag"]);
    assert.deepEqual(flagged(image(`${ECR}/shop`), imagePolicies), ["image-digest", "image-tag"], "neither tag nor digest");
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

const aws = (type: string, props: Record<string, unknown>, name = "x"): StackResource => ({ type, urn: `urn:${type}::${name}`, name, props });

test("the pack covers every AWS rule on both the component and the raw AWS resources", () => {
    const open = [aws("eks:index:Cluster", { endpointPublicAccess: true, enabledClusterLogTypes: ["api"] }),
        aws("aws:eks/cluster:Cluster", { vpcConfig: { publicAccessCidrs: ["0.0.0.0/0"] }, enabledClusterLogTypes: [] })];
    assert.deepEqual(flagged(open), ["eks-control-plane-logging", "eks-endpoint-restricted", "eks-secrets-encryption", "eks-version-supported"]);
    const repo = aws("aws:ecr/repository:Repository", { name: "r", imageTagMutability: "IMMUTABLE_WITH_EXCLUSION", imageTagMutabilityExclusionFilters: [{ filter: "v*", filterType: "WILDCARD" }] });
    assert.deepEqual(flagged([repo]), ["ecr-immutable-tags", "ecr-kms-encryption", "ecr-lifecycle-policy", "ecr-scan-on-push"]);
    const nodes = [aws("eks:index:ManagedNodeGroup", { instanceTypes: ["t3.medium"] }), aws("aws:ec2/launchTemplate:LaunchTemplate", { metadataOptions: { httpTokens: "optional" } })];
    assert.deepEqual(flagged(nodes, ["nodes-imdsv2"]), ["nodes-imdsv2"]);
    assert.equal(evaluate(allPolicies.filter((p) => p.name === "nodes-imdsv2"), nodes).length, 2);
});

test("nodes-imdsv2: IMDSv2 with a hop limit of 1, so pods cannot reach the node role's credentials", () => {
    const imds = (...resources: StackResource[]) => evaluate(allPolicies.filter((p) => p.name === "nodes-imdsv2"), resources).map((v) => v.message);
    const group = aws("aws:eks/nodeGroup:NodeGroup", { instanceTypes: ["t3.medium"], launchTemplate: { id: "lt-1", version: "1" } }, "nodes");
    const template = (metadataOptions: Record<string, unknown>) => aws("aws:ec2/launchTemplate:LaunchTemplate", { metadataOptions }, "nodes-lt");
    assert.deepEqual(imds(group, template({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 })), []);
    const hop2 = imds(group, template({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 2 }));
    assert.equal(hop2.length, 1);
    assert.match(hop2[0], /LaunchTemplate nodes-lt: .*httpPutResponseHopLimit: 2: pods can reach IMDS/);
    assert.match(imds(group, template({ httpTokens: "required" }))[0], /httpPutResponseHopLimit unset \(2 on AL2023 AMIs\)/, "the AL2023 AMI's default is 2");
    assert.match(imds(group, template({ httpTokens: "optional", httpPutResponseHopLimit: 1 }))[0], /httpTokens: required/);
    assert.deepEqual(imds(aws("aws:eks/nodeGroup:NodeGroup", { instanceTypes: ["t3.medium"] }, "bare")), ["NodeGroup bare: has no launch template, so IMDSv1 stays enabled"]);

    // pulumi-eks builds its template with a hop limit of 2 when enableIMDSv2 is set (nodegroup.ts:2236-2242).
    const component = imds(aws("eks:index:ManagedNodeGroup", { instanceTypes: ["t3.medium"], enableIMDSv2: true }, "mng"));
    assert.deepEqual(component, ["ManagedNodeGroup mng: enableIMDSv2 sets a hop limit of 2: pods can reach IMDS and the node role's credentials"]);
    assert.deepEqual(imds(aws("eks:index:ManagedNodeGroup", { launchTemplate: { id: "lt-1", version: "1" } }), template({ httpTokens: "required", httpPutResponseHopLimit: 1 })), [],
        "a component with its own template is judged by the template");
});

test("eks-version-supported: the cluster's version is in standard support on the evaluation date", () => {
    const cluster = (version: string | undefined, props: Record<string, unknown> = {}, type = "eks:index:Cluster") =>
        aws(type, { ...(version === undefined ? {} : { version }), upgradePolicy: { supportType: "STANDARD" }, ...props }, "cluster");
    const on = (today: string, ...resources: StackResource[]) =>
        evaluate(allPolicies.filter((p) => p.name === "eks-version-supported"), resources, { "eks-version-supported": { today } }).map((v) => v.message);

    const past = on("2026-11-27", cluster("1.33"));
    assert.equal(past.length, 1);
    assert.match(past[0], /^Cluster cluster: Kubernetes 1\.33 left standard support on 2026-07-29 \(phase: extended, .* until 2027-07-29\)$/);
    assert.deepEqual(on("2026-11-27", cluster("1.36")), []);
    assert.deepEqual(on("2026-11-27", cluster("1.34")), [], "1.34 is in standard support through 2026-12-02");
    assert.deepEqual(on("2026-12-02", cluster("1.34")), [], "the last day of standard support");
    assert.match(on("2026-12-03", cluster("1.34"))[0], /Kubernetes 1\.34 left standard support on 2026-12-02 \(phase: extended/);
    assert.match(on("2026-11-27", cluster("1.31"))[0], /Kubernetes 1\.31 left standard support on 2025-11-26 \(phase: unsupported, extended support ended 2026-11-26/);
    assert.match(on("2026-11-27", cluster("1.29"))[0], /Kubernetes 1\.29 is not in the EKS support calendar/);
    assert.match(on("2026-11-27", cluster(undefined))[0], /sets no version/);
    assert.match(on("2026-12-03", cluster("1.34", {}, "aws:eks/cluster:Cluster"))[0], /^Cluster cluster: Kubernetes 1\.34 left standard support/, "the raw AWS cluster too");

    // Without an upgrade policy EKS silently chooses EXTENDED.
    const noPolicy = on("2026-11-27", cluster("1.36", { upgradePolicy: undefined }));
    assert.deepEqual(noPolicy, ["Cluster cluster: sets no upgradePolicy: EKS defaults to EXTENDED support, billed at six times the price once the version leaves standard support"]);
    assert.deepEqual(on("2026-11-27", cluster("1.36", { upgradePolicy: { supportType: "EXTENDED" } })), [], "EXTENDED chosen explicitly is allowed");
    assert.equal(on("2026-12-03", cluster("1.34", { upgradePolicy: undefined })).length, 1, "one finding per cluster, both problems in it");
    assert.match(on("2026-12-03", cluster("1.34", { upgradePolicy: undefined }))[0], /phase: extended.*; sets no upgradePolicy/);

    assert.deepEqual(on("27.11.2026", cluster("1.36")), ['config today "27.11.2026" is not a date like 2026-11-27']);
    const versionPolicy = allPolicies.filter((p) => p.name === "eks-version-supported");
    for (const version of ["1.33", "1.36"]) {
        assert.deepEqual(evaluate(versionPolicy, [cluster(version)]), evaluate(versionPolicy, [cluster(version)], { "eks-version-supported": { today: utcDate() } }),
            "today defaults to the current UTC date");
    }
});

test("eks-version-supported is mandatory in production and staging, advisory in development (policies/config/<environment>.json)", async () => {
    const fs = await import("fs");
    const path = await import("path");
    const environmentConfig = (environment: string): PackConfig => JSON.parse(fs.readFileSync(path.join(__dirname, "..", "policies", "config", `${environment}.json`), "utf8"));
    const old = [aws("eks:index:Cluster", { version: "1.33", upgradePolicy: { supportType: "STANDARD" } }, "cluster")];
    const levels = (environment: string) => evaluate(allPolicies.filter((p) => p.name === "eks-version-supported"), old, { ...environmentConfig(environment), "eks-version-supported": { today: "2026-11-27" } })
        .map((v) => [v.enforcementLevel, v.severity]);
    assert.deepEqual(levels("production"), [["mandatory", "high"]]);
    assert.deepEqual(levels("staging"), [["mandatory", "high"]]);
    assert.deepEqual(levels("development"), [["advisory", "high"]]);
});

test("the seeds' arithmetic: pods per node (node costs: test/cost.test.ts)", () => {
    // t3.medium: 2 vCPU, 4096 MiB; kubelet reserves 70m CPU and 255 + 11 x 17 + 100 MiB.
    assert.deepEqual(allocatable({ vcpu: 2, memoryMiB: 4096, maxPods: 17 }), { cpuMillicores: 1930, memoryMiB: 3554, pods: 17 });
});

/** A launch template's user data as the program writes it: base64 of a MIME multi-part document with a nodeadm NodeConfig. */
const userData = (maxPods?: number) => Buffer.from([
    "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="B"', "", "--B", "Content-Type: application/node.eks.aws", "",
    "apiVersion: node.eks.aws/v1alpha1", "kind: NodeConfig", "spec:", "  kubelet:", "    config:", ...(maxPods === undefined ? [] : [`      maxPods: ${maxPods}`]),
    "", "--B--", "",
].join("\n")).toString("base64");

/** A managed node group as the program declares it: aws NodeGroup + LaunchTemplate (+ the vpc-cni add-on). */
function nodeGroup(maxPods: number | undefined, opts: { prefixDelegation?: boolean; ids?: boolean } = {}): StackResource[] {
    const template = aws("aws:ec2/launchTemplate:LaunchTemplate", {
        ...(opts.ids ? { id: "lt-0123" } : {}),
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        userData: userData(maxPods),
    }, "nodes-nodes");
    return [
        aws("aws:eks/nodeGroup:NodeGroup", {
            instanceTypes: ["t3.medium"], amiType: "AL2023_x86_64_STANDARD", releaseVersion: "1.36.2-20260714", version: "1.36",
            scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 2 }, launchTemplate: { id: "lt-0123", version: "1" },
        }, "nodes"),
        template,
        ...(opts.prefixDelegation === undefined ? [] : [aws("aws:eks/addon:Addon", {
            addonName: "vpc-cni",
            configurationValues: JSON.stringify({ enableNetworkPolicy: "true", env: { ENABLE_PREFIX_DELEGATION: String(opts.prefixDelegation), WARM_PREFIX_TARGET: "1" } }),
        }, "vpc-cni")]),
    ];
}

test("capacity: pods beyond what t3.medium nodes address do not fit", () => {
    const small = good().replace("requests: {cpu: 100m, memory: 128Mi,", "requests: {cpu: 10m, memory: 16Mi,").replace("maxReplicas: 6", "maxReplicas: 30");
    const at17 = capacityReport([...docs(small), ...nodeGroup(17)], loadInstanceCatalog());
    // 30 replicas + 1 surge + 2 CoreDNS = 33 pods; 2 nodes x (17 - 2 per-node system pods: aws-node, kube-proxy) = 30.
    assert.deepEqual([at17.peak.pods, at17.capacity.pods, at17.fits], [33, 30, false]);
    assert.deepEqual(flagged([...docs(small), ...nodeGroup(17)], ["capacity-fits"]), ["capacity-fits"]);
    const at110 = capacityReport([...docs(small), ...nodeGroup(110)], loadInstanceCatalog());
    assert.equal(at110.fits, true, "prefix delegation's 110 pods per node fit");
    assert.deepEqual(at110.nodeGroups, [{ name: "nodes", instanceType: "t3.medium", vcpu: 2, memoryMiB: 4096, maxPods: 110, minSize: 1, maxSize: 2 }]);
});

test("capacity: the platform's pods count, DaemonSets on every node, the rest at their stated replicas", () => {
    const app = good();
    const bare = capacityReport([...docs(app), ...nodeGroup(110)], loadInstanceCatalog());
    const addon = aws("eks-delivery:addons:Addon", { podFootprint: [
        { workload: "monitoring/prometheus", kind: "StatefulSet", replicas: 2, cpuMillicores: 510, memoryMiB: 2080 },
        { workload: "monitoring/node-exporter", kind: "DaemonSet", replicas: 0, cpuMillicores: 50, memoryMiB: 32 },
    ] }, "kube-prometheus-stack");
    const ebs = aws("aws:eks/addon:Addon", { addonName: "aws-ebs-csi-driver" }, "ebs");
    const full = capacityReport([...docs(app), ...nodeGroup(110), addon, ebs], loadInstanceCatalog());
    assert.deepEqual([full.peak.pods - bare.peak.pods, full.peak.cpuMillicores - bare.peak.cpuMillicores, full.peak.memoryMiB - bare.peak.memoryMiB],
        [2 + 2, 2 * 510 + 2 * 60, 2 * 2080 + 2 * 232], "Prometheus twice and the EBS controller twice");
    assert.deepEqual([full.platform.perNode.pods - bare.platform.perNode.pods, full.platform.perNode.cpuMillicores - bare.platform.perNode.cpuMillicores],
        [2, 50 + 30], "node-exporter and ebs-csi-node on each node");
    // Two t3.medium nodes: 2 x (4096 - 355 - 11 x 110) = 5062 MiB, less what runs on every node; Prometheus alone takes 4160.
    assert.equal(full.fits, false);
    assert.deepEqual(full.platform.pods.filter((p) => p.source === "addons/kube-prometheus-stack").map((p) => p.workload), ["monitoring/prometheus", "monitoring/node-exporter"]);
    assert.deepEqual(flagged([...docs(app), ...nodeGroup(110), addon, ebs], ["capacity-fits"]), ["capacity-fits"]);
});

/** capacity-fits' messages for these resources. */
const capacityMessages = (resources: StackResource[]) => evaluate(allPolicies.filter((p) => p.name === "capacity-fits"), resources).map((v) => v.message);

test("capacity: a pod larger than what one node offers fails, even though the total fits", () => {
    const catalog = loadInstanceCatalog();
    const prometheus = (memoryMiB: number) => aws("eks-delivery:addons:Addon", { podFootprint: [
        { workload: "monitoring/prometheus", kind: "StatefulSet", replicas: 1, cpuMillicores: 510, memoryMiB },
    ] }, "kube-prometheus-stack");
    const pod = (memoryMiB: number) => ({ workload: "monitoring/prometheus", kind: "StatefulSet", source: "addons/kube-prometheus-stack", cpuMillicores: 510, memoryMiB });
    // One t3.medium at 110 pods: 4096 - (255 + 11 x 110 + 100) = 2531 MiB and 1930m, less aws-node (50m) and kube-proxy (100m).
    const exact = capacityReport([...docs(good()), ...nodeGroup(110), prometheus(2531)], catalog);
    assert.deepEqual(exact.largestPod, { byMemory: pod(2531), byCpu: pod(2531), node: { nodeGroup: "nodes", instanceType: "t3.medium", cpuMillicores: 1780, memoryMiB: 2531 }, fits: true });
    assert.equal(exact.fits, true);
    assert.deepEqual(capacityMessages([...docs(good()), ...nodeGroup(110), prometheus(2531)]), []);

    const big = [...docs(good()), ...nodeGroup(110), prometheus(2600)];
    const report = capacityReport(big, catalog);
    // In total: 2600 + 2 x 70 (CoreDNS) + 7 x 128 (shop at HPA max plus surge) = 3636 MiB of 2 x 2531.
    assert.deepEqual([report.peak.memoryMiB, report.capacity.memoryMiB], [3636, 5062]);
    assert.ok(report.peak.cpuMillicores <= report.capacity.cpuMillicores && report.peak.pods <= report.capacity.pods);
    assert.deepEqual([report.largestPod.byMemory, report.largestPod.fits, report.fits], [pod(2600), false, false]);
    assert.deepEqual(capacityMessages(big), ["pod monitoring/prometheus (StatefulSet, addons/kube-prometheus-stack) does not fit on one t3.medium node of nodes, " +
        "allocatable less its DaemonSets: memory 2600Mi > 2531Mi (69Mi over)"]);

    // What runs on every node comes off what one node offers.
    const exporter = aws("eks-delivery:addons:Addon", { podFootprint: [{ workload: "monitoring/node-exporter", kind: "DaemonSet", replicas: 0, cpuMillicores: 50, memoryMiB: 32 }] }, "exporter");
    const withExporter = capacityReport([...docs(good()), ...nodeGroup(110), prometheus(2531), exporter], catalog);
    assert.deepEqual([withExporter.largestPod.node, withExporter.fits], [{ nodeGroup: "nodes", instanceType: "t3.medium", cpuMillicores: 1730, memoryMiB: 2499 }, false]);
    assert.match(capacityMessages([...docs(good()), ...nodeGroup(110), prometheus(2531), exporter])[0], /memory 2531Mi > 2499Mi \(32Mi over\)$/);

    // Both sums and one pod over: one finding that says both.
    const both = capacityMessages([...docs(good().replace("maxReplicas: 6", "maxReplicas: 60")), ...nodeGroup(110), prometheus(2600)]);
    assert.equal(both.length, 1);
    assert.match(both[0], /^peak demand does not fit the node groups at maxSize: CPU 6810m > 3560m, memory 10548Mi > 5062Mi; pod monitoring\/prometheus .* \(69Mi over\)$/);
});

/** A Namespace with these labels, as YAML to put before a workload's documents. */
const namespace = (name: string, labels: Record<string, string> = {}) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}, labels: ${JSON.stringify(labels)}}\n---`;
const MESHED = { "istio-injection": "enabled" };
/** good() with its pod template's metadata replaced. */
const podMetadata = (metadata: string, yaml = good()) => yaml.replace("    metadata: {labels: {app.kubernetes.io/name: shop}}\n", `    metadata: ${metadata}\n`);

test("capacity: Istio's sidecar counts on every pod of a namespace labelled istio-injection: enabled, and only there", () => {
    const catalog = loadInstanceCatalog();
    const other = good().replaceAll("namespace: prod", "namespace: other");
    const stack = (prodLabels: Record<string, string>) => docs([namespace("prod", prodLabels), good(), "---", namespace("other"), other].join("\n"));
    const plain = capacityReport([...stack({}), ...nodeGroup(110)], catalog);
    const meshed = capacityReport([...stack(MESHED), ...nodeGroup(110)], catalog);
    assert.deepEqual(ISTIO_SIDECAR_REQUESTS, { cpuMillicores: 100, memoryMiB: 128 });
    assert.deepEqual(plain.meshSidecars, []);
    // prod/shop at HPA max (6) plus surge (1): seven pods, each with a proxy; other/shop none.
    assert.deepEqual(meshed.meshSidecars, [{ workload: "prod/shop", kind: "Deployment", replicas: 7, cpuMillicores: 100, memoryMiB: 128 }]);
    assert.deepEqual([meshed.peak.pods - plain.peak.pods, meshed.peak.cpuMillicores - plain.peak.cpuMillicores, meshed.peak.memoryMiB - plain.peak.memoryMiB], [0, 7 * 100, 7 * 128]);
    assert.deepEqual(capacityReport([...stack({ "istio-injection": "disabled" }), ...nodeGroup(110)], catalog).meshSidecars, []);
    // The largest pod includes its proxy.
    const shop = { workload: "prod/shop", kind: "Deployment", source: "kubernetes", cpuMillicores: 200, memoryMiB: 256 };
    assert.deepEqual([meshed.largestPod.byMemory, meshed.largestPod.byCpu], [shop, shop]);
    assert.deepEqual([plain.largestPod.byMemory?.memoryMiB, plain.largestPod.byCpu?.cpuMillicores], [128, 100]);

    // A DaemonSet's proxy is on every node.
    const daemonSet = docs(`${namespace("prod", MESHED)}\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: prod}\nspec:\n  template:\n    spec:\n      containers: [{name: agent, resources: {requests: {cpu: 20m, memory: 32Mi}}}]`);
    const agent = capacityReport([...daemonSet, ...nodeGroup(110)], catalog);
    assert.deepEqual(agent.meshSidecars, [{ workload: "prod/agent", kind: "DaemonSet", replicas: 0, cpuMillicores: 100, memoryMiB: 128 }]);
    assert.equal(agent.largestPod.node?.memoryMiB, 2531 - 32 - 128);

    // Platform pods state their sidecars in podFootprint: a meshed add-on namespace adds nothing to them.
    const addon = aws("eks-delivery:addons:Addon", { podFootprint: [
        { workload: "ingress-nginx/ingress-nginx-controller", kind: "Deployment", replicas: 3, cpuMillicores: 200, memoryMiB: 218 },
    ] }, "ingress-nginx");
    const addonNs = docs(namespace("ingress-nginx", MESHED).replace(/\n---$/, ""));
    const withAddon = capacityReport([...stack({}), ...nodeGroup(110), ...addonNs, addon], catalog);
    assert.deepEqual(withAddon.meshSidecars, []);
    assert.deepEqual([withAddon.peak.cpuMillicores - plain.peak.cpuMillicores, withAddon.peak.memoryMiB - plain.peak.memoryMiB], [3 * 200, 3 * 218]);

    // A proxy can push a pod over one node: 1700m fits the 1780m a t3.medium offers, 1700m + 100m does not.
    const cpuHeavy = good().replace("requests: {cpu: 100m, memory: 128Mi,", "requests: {cpu: 1700m, memory: 128Mi,");
    const manyNodes = nodeGroup(110).map((r) => r.type === "aws:eks/nodeGroup:NodeGroup" ? { ...r, props: { ...r.props, scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 20 } } } : r);
    assert.deepEqual(capacityMessages([...docs(`${namespace("prod")}\n${cpuHeavy}`), ...manyNodes]), []);
    assert.deepEqual(capacityMessages([...docs(`${namespace("prod", MESHED)}\n${cpuHeavy}`), ...manyNodes]), ["pod prod/shop (Deployment, kubernetes) does not fit on one t3.medium node of nodes, " +
        "allocatable less its DaemonSets: CPU 1800m > 1780m (20m over)"]);
});

test("capacity: a pod's annotations set its proxy's requests or opt it out of the mesh", () => {
    const sidecars = (yaml: string) => capacityReport([...docs(`${namespace("prod", MESHED)}\n${yaml}`), ...nodeGroup(110)], loadInstanceCatalog()).meshSidecars;
    const proxy = (cpuMillicores: number, memoryMiB: number) => [{ workload: "prod/shop", kind: "Deployment", replicas: 7, cpuMillicores, memoryMiB }];
    const labels = "labels: {app.kubernetes.io/name: shop}";
    assert.deepEqual(sidecars(podMetadata(`{${labels}, annotations: {sidecar.istio.io/proxyCPU: 250m, sidecar.istio.io/proxyMemory: 0.5Gi}}`)), proxy(250, 512));
    assert.deepEqual(sidecars(podMetadata(`{${labels}, annotations: {sidecar.istio.io/proxyMemory: 64Mi}}`)), proxy(100, 64), "CPU stays at Istio's default");
    assert.deepEqual(sidecars(podMetadata(`{labels: {app.kubernetes.io/name: shop, sidecar.istio.io/inject: "false"}}`)), [], "opted out by label");
    assert.deepEqual(sidecars(podMetadata(`{${labels}, annotations: {sidecar.istio.io/inject: "false"}}`)), [], "opted out by annotation");
    assert.deepEqual(sidecars(podMetadata(`{labels: {app.kubernetes.io/name: shop, sidecar.istio.io/inject: "true"}}`)), proxy(100, 128));
    assert.deepEqual(sidecars(good().replace("      automountServiceAccountToken: false", "      automountServiceAccountToken: false\n      hostNetwork: true")), [], "Istio never injects host-network pods");
    // The overridden proxy is in the pod's requests and the peak.
    const peak = (yaml: string) => capacityReport([...docs(`${namespace("prod", MESHED)}\n${yaml}`), ...nodeGroup(110)], loadInstanceCatalog()).peak;
    const overridden = peak(podMetadata(`{${labels}, annotations: {sidecar.istio.io/proxyCPU: 250m, sidecar.istio.io/proxyMemory: 0.5Gi}}`));
    assert.deepEqual([overridden.cpuMillicores - peak(good()).cpuMillicores, overridden.memoryMiB - peak(good()).memoryMiB], [7 * 150, 7 * 384]);
});

test("capacity: init containers run beside the sidecars started before them, an injected proxy first", () => {
    const requests = (cpu: string) => ({ resources: { requests: { cpu } } });
    const pod = { initContainers: [requests("500m")], containers: [requests("100m")] };
    assert.equal(podRequests(pod).cpuMillicores, 500);
    assert.equal(podRequests(pod, { cpuMillicores: 100, memoryMiB: 128 }).cpuMillicores, 600);
    assert.equal(podRequests(pod, { cpuMillicores: 100, memoryMiB: 128 }).memoryMiB, 128);
    const native = { initContainers: [{ ...requests("50m"), restartPolicy: "Always" }, requests("500m")], containers: [requests("100m")] };
    assert.equal(podRequests(native).cpuMillicores, 550);
    const after = { initContainers: [requests("500m"), { ...requests("50m"), restartPolicy: "Always" }], containers: [requests("100m")] };
    assert.equal(podRequests(after).cpuMillicores, 500);
});

test("capacity: max pods from the launch template's user data, else from the ENIs and the vpc-cni add-on's prefix delegation", () => {
    const maxPods = (resources: StackResource[]) => capacityReport(resources, loadInstanceCatalog()).nodeGroups.map((g) => g.maxPods);
    assert.deepEqual(maxPods(nodeGroup(58, { prefixDelegation: true })), [58], "the kubelet's maxPods wins");
    assert.deepEqual(maxPods(nodeGroup(undefined, { prefixDelegation: true })), [110], "ENABLE_PREFIX_DELEGATION: 16 IPs per slot, capped at 110");
    assert.deepEqual(maxPods(nodeGroup(undefined, { prefixDelegation: false })), [17]);
    assert.deepEqual(maxPods(nodeGroup(undefined)), [17], "no vpc-cni add-on: no prefix delegation");

    // With ids (a real preview's outputs), the group's launchTemplate.id picks its template among several.
    const other = aws("aws:ec2/launchTemplate:LaunchTemplate", { id: "lt-9999", userData: userData(29) }, "other");
    assert.deepEqual(maxPods([...nodeGroup(58, { ids: true }), other]), [58]);
    assert.deepEqual(maxPods([other, ...nodeGroup(58, { ids: true })]), [58]);
    const unmatched = nodeGroup(58).map((r) => r.type === "aws:eks/nodeGroup:NodeGroup" ? { ...r, props: { ...r.props, launchTemplate: { id: "lt-gone", version: "1" } } } : r);
    assert.deepEqual(maxPods([...unmatched, other]), [17], "several templates, none named: the ENI default");
    const withoutTemplate = nodeGroup(58).map((r) => r.type === "aws:eks/nodeGroup:NodeGroup" ? { ...r, props: { ...r.props, launchTemplate: undefined } } : r);
    assert.deepEqual(maxPods(withoutTemplate), [17], "a group without a launch template ignores the stack's templates");

    // The @pulumi/eks component shape (nodeadmExtraOptions, vpcCniOptions) is still read.
    const component = aws("eks:index:ManagedNodeGroup", { instanceTypes: ["t3.medium"], scalingConfig: { minSize: 1, maxSize: 2 }, nodeadmExtraOptions: [{ content: "maxPods: 42" }] });
    assert.deepEqual(maxPods([component]), [42]);
    assert.deepEqual(maxPods([{ ...component, props: { instanceTypes: ["t3.medium"] } }, aws("eks:index:Cluster", { vpcCniOptions: { enablePrefixDelegation: true } })]), [110]);
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

/** The messages of one policy over these resources. */
const messages = (name: string, resources: StackResource[], config: PackConfig = {}) =>
    evaluate(allPolicies.filter((p) => p.name === name), resources, config).map((v) => v.message);

test("a PodDisruptionBudget without minAvailable or maxUnavailable is flagged by pdb-has-policy and covers nothing", () => {
    const pdb = (spec: string) => docs(good().replace("spec: {maxUnavailable: 1, selector:", `spec: {${spec}selector:`));
    const empty = pdb("");
    assert.deepEqual(messages("pdb-has-policy", empty), ["PodDisruptionBudget prod/shop: sets neither minAvailable nor maxUnavailable: the disruption controller then expects no pods and allows no eviction"]);
    assert.deepEqual(messages("pdb-required", empty), ["Deployment prod/shop: the PodDisruptionBudget selecting its pods (shop) sets neither minAvailable nor maxUnavailable"]);
    assert.deepEqual(flagged(empty, ["pdb-allows-eviction", "pdb-within-hpa-min"]), [], "reported once, by pdb-has-policy");
    assert.deepEqual(flagged(pdb("maxUnavailable: 1, "), ["pdb-has-policy", "pdb-required"]), []);
    assert.deepEqual(flagged(pdb("minAvailable: 0, "), ["pdb-has-policy"]), [], "minAvailable 0 is a budget (allowing every eviction)");
    // A second PDB that sets a budget covers the workload.
    const second = `---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: shop-budget, namespace: prod}\nspec: {maxUnavailable: 1, selector: {matchLabels: {app.kubernetes.io/name: shop}}}`;
    assert.deepEqual(flagged(docs(`${good().replace("spec: {maxUnavailable: 1, selector:", "spec: {selector:")}\n${second}`), ["pdb-required"]), []);
});

/** good() with its pod template's spec given affinity and constraints instead of its own spread. */
const spread = (podSpec: string) => docs(good().replace(/      topologySpreadConstraints:\n(        - .*\n)+/, podSpec));
const OWN = "{matchLabels: {app.kubernetes.io/name: shop}}";

test("topology-spread: anti-affinity counts only when a term keeps the pods' own labels apart per node or zone", () => {
    const affinity = (anti: string) => spread(`      affinity:\n        podAntiAffinity: ${anti}\n`);
    const ts = (resources: StackResource[]) => messages("topology-spread", resources);
    assert.deepEqual(ts(affinity("{}")), ["Deployment prod/shop: neither spreads its pods nor sets pod anti-affinity that keeps them apart: no term has topologyKey kubernetes.io/hostname or topology.kubernetes.io/zone and a labelSelector selecting the pods' own labels"]);
    assert.deepEqual(ts(affinity(`{requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, labelSelector: ${OWN}}]}`)), []);
    assert.deepEqual(ts(affinity(`{preferredDuringSchedulingIgnoredDuringExecution: [{weight: 100, podAffinityTerm: {topologyKey: topology.kubernetes.io/zone, labelSelector: ${OWN}}}]}`)), []);
    assert.equal(ts(affinity("{requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: other}}}]}")).length, 1, "another app's pods");
    assert.equal(ts(affinity("{requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname}]}")).length, 1, "a null selector matches no pod");
    assert.equal(ts(affinity(`{requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: topology.kubernetes.io/region, labelSelector: ${OWN}}]}`)).length, 1, "one region: nothing spread");
    assert.equal(ts(affinity(`{requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, namespaces: [other], labelSelector: ${OWN}}]}`)).length, 1, "pods of another namespace");
    assert.equal(ts(affinity(`{requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, labelSelector: {matchExpressions: [{key: app.kubernetes.io/name, operator: In}]}}]}`)).length, 1, "an invalid selector");
    assert.deepEqual(ts(affinity(`{requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, labelSelector: {matchExpressions: [{key: app.kubernetes.io/name, operator: Exists}]}}]}`)), []);
    assert.deepEqual(ts(spread("")), ["Deployment prod/shop: neither spreads its pods nor sets pod anti-affinity"]);
    // Constraints whose selector misses the pods exist (Polaris's check) but spread nothing: topology-spread-valid says so.
    const foreign = spread("      topologySpreadConstraints:\n        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: foo}}}\n");
    assert.deepEqual(flagged(foreign, ["topology-spread", "topology-spread-valid"]), ["topology-spread-valid"]);
});

test("topology-spread-valid: what the API server rejects, and selectors that do not select the pods", () => {
    const constraint = (c: string) => messages("topology-spread-valid", spread(`      topologySpreadConstraints:\n        - ${c}\n`));
    const base = `maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: ${OWN}`;
    assert.deepEqual(constraint(`{${base}}`), []);
    assert.deepEqual(messages("topology-spread-valid", docs(good())), []);
    assert.deepEqual(constraint(`{${base.replace("maxSkew: 1", "maxSkew: 0")}}`), ["Deployment prod/shop: topologySpreadConstraints[0] maxSkew 0 is not an integer >= 1"]);
    assert.deepEqual(constraint(`{${base.replace("topologyKey: kubernetes.io/hostname", "topologyKey: ''")}}`), ["Deployment prod/shop: topologySpreadConstraints[0] has no topologyKey"]);
    assert.deepEqual(constraint(`{${base.replace("DoNotSchedule", "Never")}}`), ['Deployment prod/shop: topologySpreadConstraints[0] whenUnsatisfiable "Never" is not DoNotSchedule or ScheduleAnyway']);
    assert.deepEqual(constraint(`{${base.replace("DoNotSchedule", "ScheduleAnyway")}, minDomains: 2}`), ["Deployment prod/shop: topologySpreadConstraints[0] sets minDomains, which only DoNotSchedule allows"]);
    assert.deepEqual(constraint(`{${base}, minDomains: 0}`), ["Deployment prod/shop: topologySpreadConstraints[0] minDomains 0 is not an integer >= 1"]);
    assert.deepEqual(constraint(`{${base}, minDomains: 3}`), []);
    assert.deepEqual(constraint(`{${base.replace(`, labelSelector: ${OWN}`, "")}}`), ["Deployment prod/shop: topologySpreadConstraints[0] has no labelSelector: it counts no pods and spreads nothing"]);
    assert.match(constraint(`{${base.replace(OWN, "{matchLabels: {app: foo}}")}}`)[0], /labelSelector \{"matchLabels":\{"app":"foo"\}\} does not select the pods' own labels/);
    assert.match(constraint(`{${base.replace(OWN, "{matchExpressions: [{key: app.kubernetes.io/name, operator: Equals, values: [shop]}]}")}}`)[0], /operator "Equals" is not In, NotIn, Exists or DoesNotExist/);
    assert.match(constraint(`{${base}}\n        - {${base}}`)[0], /topologySpreadConstraints\[1\] repeats topologyKey kubernetes.io\/hostname with DoNotSchedule/);
    // Every workload kind, Jobs included (kube-score's check is a pod check).
    const job = docs(`apiVersion: batch/v1\nkind: Job\nmetadata: {name: once, namespace: prod}\nspec:\n  template:\n    metadata: {labels: {app: once}}\n    spec:\n      topologySpreadConstraints: [{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway}]\n      containers: [{name: c, image: x}]`);
    assert.equal(messages("topology-spread-valid", job).length, 1);
});

test("network-policy: a deny-all covers its directions, rules cover theirs, a direction declared bare beside other rules does not", () => {
    const netpol = (spec: string) => docs(good().replace(/  policyTypes: \[Ingress, Egress\]\n  ingress: .*\n  egress: .*\n/, spec));
    const np = (spec: string) => messages("network-policy", netpol(spec));
    assert.deepEqual(np("  policyTypes: [Ingress, Egress]\n"), [], "deny-all: the strongest isolation");
    assert.deepEqual(np("  policyTypes: [Ingress, Egress]\n  ingress: []\n  egress: []\n"), [], "empty rule lists are no rules");
    assert.deepEqual(np("  egress: [{ports: [{port: 443}]}]\n  ingress: [{ports: [{port: 8080}]}]\n"), [], "policyTypes defaults to both when there are egress rules");
    assert.deepEqual(np("  ingress: [{ports: [{port: 8080}]}]\n"), ["Deployment prod/shop: no NetworkPolicy with Egress rules, or denying all Egress, selects its pods"]);
    assert.deepEqual(np("  egress: []\n"), ["Deployment prod/shop: no NetworkPolicy with Egress rules, or denying all Egress, selects its pods"], "no policyTypes, empty egress: Ingress only (a deny-all ingress)");
    assert.deepEqual(np("  policyTypes: [Ingress, Egress]\n  ingress: [{ports: [{port: 8080}]}]\n"),
        ["Deployment prod/shop: no NetworkPolicy with Egress rules, or denying all Egress, selects its pods (NetworkPolicy shop declares Egress without egress rules beside its other rules: write them, or deny Egress in a policy of its own)"]);
    // The same isolation split in two: a deny-all Egress policy beside an Ingress allow-list.
    const denyEgress = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-egress, namespace: prod}\nspec: {podSelector: {}, policyTypes: [Egress]}";
    assert.deepEqual(messages("network-policy", docs(`${good().replace(/  policyTypes: \[Ingress, Egress\]\n  ingress: (.*)\n  egress: .*\n/, "  policyTypes: [Ingress]\n  ingress: $1\n")}\n${denyEgress}`)), []);
    assert.deepEqual(np("  policyTypes: [Ingress]\n"), ["Deployment prod/shop: no NetworkPolicy with Egress rules, or denying all Egress, selects its pods"], "deny-all ingress covers Ingress only");
});

test("env-keys-unique: a name defined twice is flagged unless the later value extends the earlier, as the API server warns", () => {
    const env = (list: string) => messages("env-keys-unique", docs(good().replace("          lifecycle:", `          env: ${list}\n          lifecycle:`)));
    assert.deepEqual(env("[{name: A, value: '1'}, {name: B, value: '2'}]"), []);
    assert.deepEqual(env("[{name: A, value: '1'}, {name: B, value: '2'}, {name: A, value: '3'}]"), ['Deployment prod/shop: container "shop" defines env A more than once (the last definition hides the earlier)']);
    assert.deepEqual(env("[{name: PATH, value: /bin}, {name: PATH, value: '$(PATH):/app'}]"), [], "extends the earlier value");
    assert.equal(env("[{name: PATH, value: /bin}, {name: PATH, value: '$(PATH)'}]").length, 1, "X=$(X) adds nothing");
    assert.equal(env("[{name: A, value: '$(A)x'}, {name: A, valueFrom: {secretKeyRef: {name: s, key: k}}}]").length, 1, "a valueFrom replaces");
    const twoContainers = good().replace("      containers:\n", "      initContainers:\n        - {name: init, image: x, env: [{name: A, value: '1'}]}\n      containers:\n")
        .replace("          lifecycle:", "          env: [{name: A, value: '2'}]\n          lifecycle:");
    assert.deepEqual(messages("env-keys-unique", docs(twoContainers)), [], "per container");
});

test("valid-labels: keys and values as the API server validates them, on the object and its pod templates", () => {
    const labelled = (yaml: string) => messages("valid-labels", docs(yaml));
    const at = (labels: string) => labelled(good().replace("metadata: {name: shop, namespace: prod, labels: {app.kubernetes.io/name: shop}}", `metadata: {name: shop, namespace: prod, labels: ${labels}}`));
    assert.deepEqual(labelled(good()), []);
    assert.deepEqual(at(`{a: '${"x".repeat(63)}', empty: '', v: 1.2.3_rc-1}`), []);
    assert.deepEqual(at(`{a: '${"x".repeat(64)}'}`), [`Deployment prod/shop: metadata.labels a value "${"x".repeat(64)}" is 64 characters long (at most 63)`]);
    assert.deepEqual(at("{version: 1.2.3+build}"), ['Deployment prod/shop: metadata.labels version value "1.2.3+build" must be empty or alphanumerics, \'-\', \'_\' or \'.\', starting and ending with an alphanumeric']);
    assert.match(at("{a: -x}")[0], /metadata\.labels a value "-x" must be/);
    assert.match(at("{replicas: 3}")[0], /metadata\.labels replicas value 3 is 3, not a string \(quote it\)/);
    assert.match(at("{Example.com/x: y}")[0], /metadata\.labels Example\.com\/x has prefix "Example\.com", not a DNS subdomain/);
    assert.match(at("{a/b/c: y}")[0], /has more than one '\/'/);
    const template = labelled(good().replace("    metadata: {labels: {app.kubernetes.io/name: shop}}", "    metadata: {labels: {app.kubernetes.io/name: shop, branch: feature/x}}"));
    assert.deepEqual(template, ['Deployment prod/shop: spec.template.metadata.labels branch value "feature/x" must be empty or alphanumerics, \'-\', \'_\' or \'.\', starting and ending with an alphanumeric']);
    const cron = labelled("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c, namespace: prod}\nspec:\n  jobTemplate:\n    metadata: {labels: {a: 'b c'}}\n    spec:\n      template:\n        metadata: {labels: {d: 'e?'}}\n        spec: {containers: [{name: c, image: x}]}");
    assert.equal(cron.length, 1);
    assert.match(cron[0], /spec\.jobTemplate\.metadata\.labels a value "b c".*; spec\.jobTemplate\.spec\.template\.metadata\.labels d value "e\?"/);
    assert.match(labelled("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: prod, labels: {a: 'x y'}}")[0], /^ConfigMap prod\/c: metadata\.labels a value/, "every object");
});

test("selector-matches-template: the selector must be valid, non-empty and select the template's labels, as Kubernetes evaluates it", () => {
    const sel = (selector: string, labels = "{app.kubernetes.io/name: shop, tier: web}") => messages("selector-matches-template",
        docs(good().replace("  selector: {matchLabels: {app.kubernetes.io/name: shop}}", `  selector: ${selector}`).replace("    metadata: {labels: {app.kubernetes.io/name: shop}}", `    metadata: {labels: ${labels}}`)));
    assert.deepEqual(sel("{matchLabels: {app.kubernetes.io/name: shop}}"), []);
    assert.deepEqual(sel("{matchLabels: {app.kubernetes.io/name: shop, tier: api}}"),
        ['Deployment prod/shop: spec.selector {"matchLabels":{"app.kubernetes.io/name":"shop","tier":"api"}} does not select its pod template\'s labels {"app.kubernetes.io/name":"shop","tier":"web"}']);
    assert.deepEqual(sel("{matchExpressions: [{key: tier, operator: In, values: [web, api]}]}"), []);
    assert.equal(sel("{matchExpressions: [{key: tier, operator: NotIn, values: [web]}]}").length, 1);
    assert.deepEqual(sel("{matchExpressions: [{key: canary, operator: NotIn, values: ['true']}]}"), [], "NotIn: an absent label is not in the set");
    assert.deepEqual(sel("{matchExpressions: [{key: tier, operator: Exists}, {key: canary, operator: DoesNotExist}]}"), []);
    assert.equal(sel("{matchExpressions: [{key: tier, operator: DoesNotExist}]}").length, 1);
    assert.deepEqual(sel("{}"), ["Deployment prod/shop: has an empty spec.selector (the API server refuses it: it would select every pod of the namespace)"]);
    assert.deepEqual(sel("{matchExpressions: [{key: tier, operator: In, values: []}]}"), ["Deployment prod/shop: has an invalid spec.selector: expression on tier: In needs at least one value"]);
    assert.deepEqual(sel("{matchExpressions: [{key: tier, operator: Exists, values: [web]}]}"), ["Deployment prod/shop: has an invalid spec.selector: expression on tier: Exists takes no values"]);
    assert.deepEqual(messages("selector-matches-template", docs(good().replace("  selector: {matchLabels: {app.kubernetes.io/name: shop}}\n", ""))), ["Deployment prod/shop: has no spec.selector (required in apps/v1)"]);
    const daemonSet = docs("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: prod}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agnet}}\n    spec: {containers: [{name: a, image: x}]}");
    assert.equal(messages("selector-matches-template", daemonSet).length, 1);
});

test("ephemeral storage: requests on every container; limits only when the stack asks for them", () => {
    const noRequest = docs(good().replace(", ephemeral-storage: 64Mi}", "}"));
    assert.deepEqual(messages("ephemeral-storage-requests", noRequest), ['Deployment prod/shop: container "shop" has no ephemeral-storage request']);
    assert.deepEqual(messages("ephemeral-storage-limits", docs(good())), [], "off by default");
    assert.deepEqual(messages("ephemeral-storage-limits", docs(good()), { "ephemeral-storage-limits": { required: true } }), ['Deployment prod/shop: container "shop" has no ephemeral-storage limit']);
    assert.deepEqual(messages("ephemeral-storage-limits", docs(good().replace("limits: {memory: 256Mi}", "limits: {memory: 256Mi, ephemeral-storage: 1Gi}")), { "ephemeral-storage-limits": { required: true } }), []);
});

test("probes-differ: identical once Kubernetes' defaults are filled in, whatever the key order", () => {
    const probes = (readiness: string, liveness: string) => messages("probes-differ",
        docs(good().replace("readinessProbe: {httpGet: {path: /readyz, port: 8080}}", `readinessProbe: ${readiness}`).replace("livenessProbe: {httpGet: {path: /healthz, port: 8080}}", `livenessProbe: ${liveness}`)));
    assert.equal(probes("{httpGet: {path: /healthz, port: 8080}}", "{httpGet: {port: 8080, path: /healthz}}").length, 1, "key order");
    assert.equal(probes("{httpGet: {path: /healthz, port: 8080}, periodSeconds: 10}", "{httpGet: {path: /healthz, port: 8080}}").length, 1, "periodSeconds 10 is the default");
    assert.deepEqual(probes("{httpGet: {path: /healthz, port: 8080}}", "{httpGet: {path: /healthz, port: 8080}, failureThreshold: 6}"), [], "a slower liveness on the same endpoint");
});

/**
 * kube-score's checks at v1.20.0, in README_CHECKS.md's order (zegl/kube-score@v1.20.0:README_CHECKS.md, generated
 * by hack/generate-list-docs.py from the checks registered under score/).
 */
const KUBE_SCORE_CHECKS = [
    "deployment-strategy", "deployment-replicas", "ingress-targets-service", "cronjob-has-deadline", "cronjob-restartpolicy",
    "container-resources", "container-resource-requests-equal-limits", "container-cpu-requests-equal-limits", "container-memory-requests-equal-limits",
    "container-image-tag", "container-image-pull-policy", "container-ephemeral-storage-request-and-limit", "container-ephemeral-storage-request-equals-limit",
    "container-ports-check", "environment-variable-key-duplication", "statefulset-has-poddisruptionbudget", "deployment-has-poddisruptionbudget",
    "poddisruptionbudget-has-policy", "pod-networkpolicy", "networkpolicy-targets-pod", "pod-probes", "pod-probes-identical",
    "container-security-context-user-group-id", "container-security-context-privileged", "container-security-context-readonlyrootfilesystem",
    "container-seccomp-profile", "service-targets-pod", "service-type", "stable-version", "deployment-has-host-podantiaffinity",
    "statefulset-has-host-podantiaffinity", "deployment-targeted-by-hpa-does-not-have-replicas-configured", "statefulset-has-servicename",
    "deployment-pod-selector-labels-match-template-metadata-labels", "statefulset-pod-selector-labels-match-template-metadata-labels",
    "label-values", "horizontalpodautoscaler-has-target", "horizontalpodautoscaler-replicas", "pod-topology-spread-constraints",
];

/** The rows of policies/README.md's kube-score table: id, the policies it names, the note. */
async function kubeScoreTable(): Promise<Array<{ id: string; policies: string[]; note: string }>> {
    const fs = await import("fs");
    const path = await import("path");
    const readme = fs.readFileSync(path.join(__dirname, "..", "policies", "README.md"), "utf8");
    const start = readme.indexOf("## kube-score's 39 checks");
    assert.ok(start >= 0, "policies/README.md has a section \"## kube-score's 39 checks\"");
    const next = readme.indexOf("\n## ", start + 1);
    const section = readme.slice(start, next < 0 ? undefined : next);
    const rows = section.split("\n").filter((l) => l.startsWith("| `"));
    return rows.map((row) => {
        const cells = row.split(" | ").map((c) => c.replace(/^\|\s*|\s*\|$/g, "").trim());
        assert.equal(cells.length, 3, `a row of three cells: ${row}`);
        const id = /^`([a-z0-9-]+)`$/.exec(cells[0])?.[1];
        assert.ok(id, `the first cell is one kube-score id in backticks: ${row}`);
        return { id, policies: [...cells[1].matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1]), note: cells[2] };
    });
}

test("policies/README.md answers each of kube-score's 39 checks with a policy or a reason, and every kube-score tag is a real check", async () => {
    assert.equal(new Set(KUBE_SCORE_CHECKS).size, 39);
    const table = await kubeScoreTable();
    const ids = table.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, "each check once");
    assert.deepEqual([...ids].sort(), [...KUBE_SCORE_CHECKS].sort());
    const names = new Set(allPolicies.map((p) => p.name));
    for (const row of table) {
        for (const policy of row.policies) assert.ok(names.has(policy), `${row.id}: policy ${policy} is not in the pack`);
        assert.ok(row.policies.length > 0 || row.note.length > 20, `${row.id}: no policy, so the note must say why`);
    }
    for (const p of allPolicies) {
        for (const tag of p.tags.filter((t) => t.startsWith("kube-score:"))) {
            const id = tag.slice("kube-score:".length);
            assert.ok(KUBE_SCORE_CHECKS.includes(id), `${p.name}: ${tag} is not a kube-score v1.20.0 check`);
            assert.ok(table.find((r) => r.id === id)?.policies.includes(p.name), `${p.name} is tagged ${tag}: the README row of ${id} names it`);
        }
    }
});

test("container entries that are not mappings (which the API server rejects) trip no rule: the others are judged", () => {
    const odd = docs(good().replace("      containers:\n", "      initContainers: [null, init]\n      containers:\n        - null\n        - [x]\n"));
    assert.deepEqual(flagged(odd), []);
});

test("policies/README.md documents every configurable property of every policy", async () => {
    const fs = await import("fs");
    const { README } = await import("../tools/policy/readme");
    const text = fs.readFileSync(README, "utf8");
    const rows = text.split("\n").filter((l) => l.startsWith("| `"));
    const missing = allPolicies.flatMap((p) => Object.keys(p.config?.schema.properties ?? {})
        .filter((prop) => !rows.some((r) => r.split("|")[1].includes(`\`${p.name}\``) && r.split("|")[2]?.includes(`\`${prop}\``)))
        .map((prop) => `${p.name}.${prop}`));
    assert.deepEqual(missing, []);
});

test("the policy reference (docs/reference/policies.md) counts the pack's policies right", async () => {
    const fs = await import("fs");
    const path = await import("path");
    assert.match(fs.readFileSync(path.resolve(__dirname, "..", "docs", "reference", "policies.md"), "utf8"), new RegExp(`\\(${allPolicies.length} policies:`));
});

test("exemptions listed are the ones that apply: a reason, a policy evaluated, never exemption-reason itself", async () => {
    const { evaluateReport } = await import("../policies/framework");
    const pod: StackResourceLike = {
        type: "kubernetes:core/v1:Pod", urn: "urn:pod", name: "p",
        props: { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "shop", annotations: { "eks-delivery.dev/exempt": "memory-limits, nope, exemption-reason, Memory-Limits", "eks-delivery.dev/exempt-reason": "sized by the JVM" } }, spec: { containers: [{ name: "c", image: "r/c:1" }] } },
    };
    const report = evaluateReport(allPolicies, [pod]);
    assert.deepEqual(report.exemptions.map((e) => [e.policy, e.suppressed]), [["memory-limits", 1]]);
    assert.ok(report.violations.some((v) => v.policy === "exemption-reason" && /nope/.test(v.message)), "unknown names are exemption-reason's findings");
    assert.ok(!report.violations.some((v) => v.policy === "memory-limits"));
});
type StackResourceLike = import("../policies/framework").StackResource;
