/**
 * The pack as CrossGuard runs it: through @pulumi/policy's own analyzer functions (server.js: the
 * properties deserialized from the engine's protobuf and wrapped in its `unknownCheckingProxy`), with
 * the engine's unknown sentinels where a preview cannot know a value; and as `pulumi policy publish` /
 * a policy group installs it: policies/ alone, `npm ci`, its own tsconfig, started by Pulumi's own
 * policy-pack runner and asked over gRPC.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { allPolicies } from "../policies/all";
import { toCrossGuard } from "../policies/crossguard";
import { evaluate, isObjectPolicy, PackConfig, StackResource } from "../policies/framework";
import { crossGuard, fromPack, PACK, protocol, PULUMI, type Diagnostic } from "./crossguard";

/** The engine's sentinel for an unknown string (pulumi/pulumi@v3.248.0:sdk/go/common/resource/plugin/rpc.go:61). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const ECR = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com";

const k8s = (apiVersion: string, kind: string, name: string, body: Record<string, unknown>, namespace = "shop"): StackResource => ({
    type: `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${kind}`,
    urn: `urn:pulumi:dev::eks-delivery::kubernetes:${kind}::${name}`,
    name,
    props: { apiVersion, kind, metadata: { name, namespace, labels: { "app.kubernetes.io/name": name } }, ...body },
});

/** A Deployment of one container; `container` and `spec` patch it. */
function deployment(name: string, container: Record<string, unknown> = {}, spec: Record<string, unknown> = {}, pod: Record<string, unknown> = {}): StackResource {
    return k8s("apps/v1", "Deployment", name, {
        spec: {
            replicas: 2,
            selector: { matchLabels: { "app.kubernetes.io/name": name } },
            strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
            minReadySeconds: 10,
            template: {
                metadata: { labels: { "app.kubernetes.io/name": name } },
                spec: {
                    automountServiceAccountToken: false,
                    securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
                    topologySpreadConstraints: [
                        { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { "app.kubernetes.io/name": name } } },
                        { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { "app.kubernetes.io/name": name } } },
                    ],
                    containers: [{
                        name,
                        image: `${ECR}/${name}:v1.2.3@sha256:${"a".repeat(64)}`,
                        resources: { requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "64Mi" }, limits: { memory: "256Mi" } },
                        readinessProbe: { httpGet: { path: "/readyz", port: 8080 } },
                        livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
                        lifecycle: { preStop: { sleep: { seconds: 10 } } },
                        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                        ...container,
                    }],
                    ...pod,
                },
            },
            ...spec,
        },
    });
}

/** What a well-formed workload also needs around it: its PDB and NetworkPolicy. */
const companions = (name: string): StackResource[] => [
    k8s("policy/v1", "PodDisruptionBudget", name, { spec: { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": name } } } }),
    k8s("networking.k8s.io/v1", "NetworkPolicy", name, {
        spec: { podSelector: { matchLabels: { "app.kubernetes.io/name": name } }, policyTypes: ["Ingress", "Egress"], ingress: [{ ports: [{ port: 8080 }] }], egress: [{ ports: [{ port: 443 }] }] },
    }),
];

const byPolicy = (ds: Array<{ policy: string }>) => [...new Set(ds.map((d) => d.policy))].sort();
const cantRun = (ds: Diagnostic[]) => ds.filter((d) => /can't run/.test(d.message));

test("the pack's policies are resource policies when they judge one object, stack policies when they relate objects", () => {
    const kinds = Object.fromEntries(allPolicies.map((p) => [p.name, "validateResource" in toCrossGuard(p) ? "resource" : "stack"]));
    for (const name of ["memory-limits", "cpu-requests", "readiness-probe", "image-tag", "image-registry", "run-as-non-root", "no-host-path",
        "graceful-shutdown", "hpa-min-replicas", "topology-spread", "ingress-tls", "eks-secrets-encryption", "ecr-scan-on-push", "nodes-imdsv2", "eks-version-supported"]) {
        assert.equal(kinds[name], "resource", name);
    }
    for (const name of ["pdb-required", "hpa-owns-replicas", "min-replicas", "zone-spread", "network-policy", "no-service-account-token", "ecr-lifecycle-policy", "capacity-fits"]) {
        assert.equal(kinds[name], "stack", name);
    }
});

test("preview: a Deployment without limits whose image is unknown is flagged by the resource policy; image rules neither flag nor throw", async () => {
    const unbuilt = deployment("api", { image: UNKNOWN, resources: { requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "64Mi" } } });
    const diagnostics = await crossGuard([unbuilt, ...companions("api")]);
    assert.deepEqual(cantRun(diagnostics), [], "no policy gave up on the preview");
    assert.deepEqual(diagnostics.map((d) => [d.policy, d.message, d.urn]), [["memory-limits", `Deployment shop/api: container "api" has no memory limit`, unbuilt.urn]]);

    // The same object with a known, bad image: the image rules do judge it.
    const latest = deployment("api", { image: "nginx:latest" });
    assert.deepEqual(byPolicy(await crossGuard([latest, ...companions("api")])), ["image-digest", "image-registry", "image-tag"]);
});

test("preview: an unknown part is skipped, the known rest judged (one container, one env var, one object)", async () => {
    const sidecar = { name: "proxy", image: `${ECR}/proxy:v1@sha256:${"b".repeat(64)}`, securityContext: { privileged: true } };
    const w = deployment("api", {
        image: UNKNOWN,
        env: [{ name: "DB_PASSWORD", value: "hunter2" }, { name: "API_TOKEN", value: UNKNOWN }],
    });
    w.props.spec.template.spec.containers.push({ ...sidecar, resources: UNKNOWN });
    const diagnostics = await crossGuard([w, ...companions("api")]);
    assert.deepEqual(cantRun(diagnostics), []);
    const flagged = diagnostics.map((d) => `${d.policy}: ${d.message}`).sort();
    assert.ok(flagged.includes(`no-secret-env-literals: Deployment shop/api: container "api" has secret-looking literal env DB_PASSWORD`), flagged.join("\n"));
    assert.ok(flagged.includes(`no-privileged: Deployment shop/api: container "proxy" is privileged`), "the sidecar's known security context is judged");
    assert.ok(!flagged.some((f) => f.startsWith("memory-limits") || f.startsWith("cpu-requests")), "its unknown resources are not");
});

test("preview: stack policies run over resources with unknowns and report on the known ones", async () => {
    const known = deployment("web", {}, { replicas: 3 });
    const unknownLabels = deployment("worker");
    unknownLabels.props.spec.template.metadata = { labels: UNKNOWN };
    const hpa = k8s("autoscaling/v2", "HorizontalPodAutoscaler", "api", { spec: { scaleTargetRef: { kind: "Deployment", name: UNKNOWN }, minReplicas: 2, maxReplicas: 4 } });
    const diagnostics = await crossGuard([known, unknownLabels, hpa]);
    assert.deepEqual(cantRun(diagnostics), []);
    const pdb = diagnostics.filter((d) => d.policy === "pdb-required");
    assert.deepEqual(pdb.map((d) => d.urn), [known.urn], "the Deployment whose labels are known is judged, the other skipped");
    assert.deepEqual(diagnostics.filter((d) => d.policy === "network-policy").map((d) => d.urn), [known.urn]);
    // The offline evaluation says the same.
    assert.deepEqual(evaluate(allPolicies.filter((p) => p.name === "pdb-required"), [known, unknownLabels, hpa]).map((v) => v.urn), [known.urn]);
});

/** A node group (aws NodeGroup, t3.medium) of `maxSize` nodes. */
const nodeGroup = (maxSize: number, props: Record<string, unknown> = {}): StackResource => ({
    type: "aws:eks/nodeGroup:NodeGroup", urn: "urn:pulumi:dev::eks-delivery::aws:eks/nodeGroup:NodeGroup::nodes", name: "nodes",
    props: { instanceTypes: ["t3.medium"], scalingConfig: { minSize: 1, maxSize }, ...props },
});

test("preview: capacity-fits counts Helm footprints and the Deployments whose requests are known; an unreadable node group means no verdict", async () => {
    const footprint = {
        type: "eks-delivery:addons:Addon", urn: "urn:pulumi:dev::eks-delivery::eks-delivery:addons:Addon::prometheus", name: "prometheus",
        props: { podFootprint: [{ workload: "monitoring/prometheus", kind: "StatefulSet", replicas: 1, cpuMillicores: 500, memoryMiB: 6000 }] },
    };
    const unbuilt = deployment("api", { image: UNKNOWN });
    const unknownRequests = deployment("worker", { resources: UNKNOWN });
    const capacity = (resources: StackResource[]) => crossGuard(resources, allPolicies.filter((p) => p.name === "capacity-fits"));

    const tooBig = await capacity([nodeGroup(2), footprint, unbuilt, unknownRequests]);
    assert.equal(tooBig.length, 1);
    assert.match(tooBig[0].message, /pod monitoring\/prometheus \(StatefulSet, addons\/prometheus\) does not fit on one t3\.medium node/);
    assert.equal(tooBig[0].urn, nodeGroup(2).urn);

    const crowded = Array.from({ length: 12 }, (_, i) => deployment(`svc${i}`, { image: UNKNOWN, resources: { requests: { cpu: "500m", memory: "256Mi" } } }));
    assert.match((await capacity([nodeGroup(2), ...crowded, unknownRequests]))[0].message, /peak demand does not fit the node groups at maxSize: CPU/, "known requests, unknown images: counted");
    assert.deepEqual(await capacity([nodeGroup(20), ...crowded, unknownRequests]), []);
    assert.deepEqual(await capacity([nodeGroup(2, { scalingConfig: UNKNOWN }), footprint, ...crowded]), [], "supply unknown: no verdict, no error");
});

/**
 * Objects that make every policy speak at least once, so the comparison below is not vacuous. With
 * the unknowns of a preview too: the verdicts must agree there as well.
 */
function corpus(): StackResource[] {
    const bad = deployment("bad", {
        image: "nginx:latest", resources: { requests: { cpu: "2", memory: "1Gi" }, limits: { cpu: "1", memory: "512Mi" } },
        readinessProbe: { httpGet: { path: "/", port: 80 } }, livenessProbe: { httpGet: { path: "/", port: 80 } },
        lifecycle: undefined, ports: [{ containerPort: 80, hostPort: 80 }], env: [{ name: "SECRET_KEY", value: "x" }, { name: "SECRET_KEY", value: "y" }],
        securityContext: { runAsUser: 0, privileged: true, capabilities: { add: ["SYS_ADMIN"] }, seccompProfile: { type: "Unconfined" } },
    }, { replicas: 1, strategy: { type: "Recreate" }, minReadySeconds: 0 }, {
        hostNetwork: true, volumes: [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }], topologySpreadConstraints: [],
        automountServiceAccountToken: undefined, securityContext: {},
    });
    bad.props.metadata.namespace = "default";
    bad.props.metadata.labels = { ...bad.props.metadata.labels, version: "1.2.3+build" };
    // An exemption without its reason (exemption-reason), which therefore exempts nothing.
    bad.props.metadata.annotations = { "eks-delivery.dev/exempt": "memory-limits" };
    bad.props.spec.template.metadata.labels = {};
    bad.props.spec.template.spec.initContainers = [{ name: "init", image: "busybox" }, { name: "native-sidecar", restartPolicy: "Always", image: `${ECR}/log:v1` }];
    const lonely = deployment("lonely", {}, {}, { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule" }] });
    const scaled = deployment("scaled", {}, { replicas: 3 });
    const preview = deployment("preview", { image: UNKNOWN, resources: { requests: { cpu: UNKNOWN } } });
    const hpa = k8s("autoscaling/v2", "HorizontalPodAutoscaler", "scaled", {
        spec: { scaleTargetRef: { kind: "Deployment", name: "scaled" }, minReplicas: 1, maxReplicas: 1, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } },
    });
    const pdbs = [
        k8s("policy/v1", "PodDisruptionBudget", "scaled", { spec: { minAvailable: 3, selector: { matchLabels: { "app.kubernetes.io/name": "scaled" } } } }),
        k8s("policy/v1", "PodDisruptionBudget", "none", { spec: { maxUnavailable: 0, selector: { matchLabels: { "app.kubernetes.io/name": "other" } } } }),
        k8s("policy/v1", "PodDisruptionBudget", "no-policy", { spec: { selector: { matchLabels: { "app.kubernetes.io/name": "lonely" } } } }),
    ];
    const ingress = k8s("networking.k8s.io/v1", "Ingress", "web", { spec: { rules: [{ host: "shop.example.com" }] } });
    const aws = (type: string, name: string, props: Record<string, unknown>): StackResource => ({ type, urn: `urn:pulumi:dev::eks-delivery::${type}::${name}`, name, props });
    // References to nothing, and API versions the cluster (1.29) no longer or not for long serves.
    const references = [
        k8s("v1", "Service", "orphan", { spec: { type: "NodePort", selector: { "app.kubernetes.io/name": "nobody" }, ports: [{ name: "http", port: 80 }] } }),
        k8s("networking.k8s.io/v1", "NetworkPolicy", "orphan", { spec: { podSelector: { matchLabels: { "app.kubernetes.io/name": "nobody" } }, policyTypes: ["Ingress"] } }),
        k8s("networking.k8s.io/v1", "Ingress", "to-nowhere", { spec: { tls: [{ hosts: ["a.example.com"], secretName: "a" }], rules: [{ host: "a.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "missing", port: { number: 80 } } } }] } }] } }),
        k8s("apps/v1", "StatefulSet", "db", { spec: { selector: { matchLabels: { "app.kubernetes.io/name": "db" } }, template: { metadata: { labels: { "app.kubernetes.io/name": "db" } }, spec: { containers: [{ name: "db", image: `${ECR}/db:v1` }] } } } }),
        k8s("batch/v1", "CronJob", "nightly", { spec: { schedule: "0 3 * * *", failedJobsHistoryLimit: 0, jobTemplate: { spec: { template: { spec: { containers: [{ name: "job", image: `${ECR}/job:v1` }] } } } } } }),
        k8s("policy/v1beta1", "PodDisruptionBudget", "legacy", { spec: { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "scaled" } } } }),
        k8s("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "soon-gone", { spec: { priorityLevelConfiguration: { name: "global-default" } } }),
    ];
    return [
        bad, lonely, scaled, preview, hpa, ...pdbs, ingress, ...references, ...companions("preview"),
        aws("eks:index:Cluster", "cluster", { version: "1.29", endpointPublicAccess: true, enabledClusterLogTypes: ["api"] }),
        aws("aws:eks/cluster:Cluster", "cluster-raw", { version: UNKNOWN, vpcConfig: { publicAccessCidrs: ["0.0.0.0/0"] } }),
        aws("aws:ecr/repository:Repository", "repo", { name: "shop", imageTagMutability: "MUTABLE" }),
        aws("aws:ecr/repository:Repository", "repo-preview", { name: "api", imageTagMutability: UNKNOWN, imageScanningConfiguration: { scanOnPush: true } }),
        aws("eks:index:ManagedNodeGroup", "mng", { instanceTypes: ["t3.medium"], scalingConfig: { minSize: 1, maxSize: 1 }, enableIMDSv2: true }),
        aws("aws:ec2/launchTemplate:LaunchTemplate", "lt", { metadataOptions: { httpTokens: "optional" } }),
    ];
}

test("every policy gives the same verdicts through evaluate() (plan, npm run policy) and through CrossGuard", async () => {
    const resources = corpus();
    const config: PackConfig = {};
    const offline = evaluate(allPolicies, resources, config);
    const online = await crossGuard(resources);
    const key = (d: { policy: string; message: string; urn?: string }) => `${d.policy} | ${d.urn ?? "-"} | ${d.message}`;
    // cpu-limits and ephemeral-storage-limits are off by default (config `required`), in both.
    assert.deepEqual(allPolicies.map((p) => p.name).filter((n) => n !== "cpu-limits" && n !== "ephemeral-storage-limits" && !offline.some((v) => v.policy === n)), [], "every policy speaks");
    for (const policy of allPolicies) {
        assert.deepEqual(online.filter((d) => d.policy === policy.name).map(key).sort(), offline.filter((v) => v.policy === policy.name).map(key).sort(),
            `${policy.name} (${isObjectPolicy(policy) ? "resource" : "stack"} policy)`);
    }
    assert.deepEqual(cantRun(online), []);
});

test("the project's own dev plan: the same verdicts through evaluate() and CrossGuard", async () => {
    const { plan, stackValues } = await import("./support");
    const { policyResources } = await import("../tools/plan/planStack");
    const planned = await plan(stackValues("dev"), "dev");
    const resources = policyResources(planned.plan);
    const key = (d: { policy: string; message: string; urn?: string }) => `${d.policy} | ${d.urn ?? "-"} | ${d.message}`;
    assert.deepEqual((await crossGuard(resources)).map(key).sort(), evaluate(allPolicies, resources).map(key).sort());
});

/** Relative module specifiers of a source text (the same forms test/architecture.test.ts scans). */
function relativeImports(text: string): string[] {
    const pattern = /(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|(?:^|[;\s])import\s*["']([^"']+)["']|\brequire\(\s*["']([^"']+)["']\s*\)|\bimport\(\s*["']([^"']+)["']\s*\)/g;
    return [...text.matchAll(pattern)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]).filter((s) => s.startsWith("."));
}

/** Relative imports of a pack file that leave the pack directory. */
function escapes(dir: string): string[] {
    const files = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.name === "node_modules" ? [] : e.isDirectory() ? files(path.join(d, e.name)) : e.name.endsWith(".ts") ? [path.join(d, e.name)] : []);
    return files(dir).flatMap((file) => relativeImports(fs.readFileSync(file, "utf8"))
        .map((spec) => path.resolve(path.dirname(file), spec))
        .filter((target) => path.relative(dir, target).startsWith(".."))
        .map((target) => `${path.relative(dir, file)} -> ${target}`));
}

test("the pack installs and runs from policies/ alone: npm ci, its own tsconfig, Pulumi's runner, gRPC", { timeout: 300_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eks-delivery-pack-"));
    fs.cpSync(PACK, dir, { recursive: true, filter: (src) => path.basename(src) !== "node_modules" });
    assert.deepEqual(escapes(dir), [], "no import leaves the pack");
    const tsconfig = fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8");
    assert.doesNotMatch(tsconfig, /"extends"|\.\.\//, "its own tsconfig");

    // The lockfile names what the npm cache holds: an offline install proves it is complete.
    const install = spawnSync("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, encoding: "utf8", timeout: 240_000 });
    assert.equal(install.status, 0, install.stderr);
    const tsc = spawnSync(process.execPath, [path.join(dir, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", dir], { cwd: dir, encoding: "utf8" });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);

    // What `pulumi-analyzer-policy` runs: @pulumi/pulumi's policy-pack runner (ts-node over the pack's tsconfig,
    // type-checked), which loads `main` and serves the analyzer on a port it prints.
    const child = spawn(process.execPath, [path.join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack"), "127.0.0.1:0", "."], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    try {
        let stderr = "";
        child.stderr.on("data", (b) => { stderr += b; });
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            child.stdout.on("data", (b) => { out += b; const m = /^(\d+)\s*$/m.exec(out); if (m) resolve(Number(m[1])); });
            child.on("exit", (code) => reject(new Error(`pack exited ${code}: ${stderr}`)));
            setTimeout(() => reject(new Error(`no port after 120 s: ${stderr}`)), 120_000);
        });
        const grpc = fromPack("@grpc/grpc-js", dir);
        const { AnalyzerClient } = require(path.join(PULUMI(dir), "proto", "analyzer_grpc_pb"));
        const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        const { pb, struct, analyzeRequest, diagnostics } = protocol(dir);
        const rpc = <T>(method: string, request: unknown) => new Promise<T>((resolve, reject) =>
            client[method](request, (err: unknown, response: T) => (err ? reject(err) : resolve(response))));

        const info: any = await rpc("getAnalyzerInfo", new (fromPack("google-protobuf/google/protobuf/empty_pb", PULUMI(dir)).Empty)());
        assert.equal(info.getName(), "eks-delivery");
        assert.equal(info.getVersion(), JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version);
        assert.deepEqual(info.getPoliciesList().map((p: any) => p.getName()), allPolicies.map((p) => p.name));

        // Production's config, as the engine applies it: `all` first, then each policy's entry (pkg/resource/analyzer/config.go applyConfig).
        const production = JSON.parse(fs.readFileSync(path.join(dir, "config", "production.json"), "utf8")) as PackConfig;
        const configure = new pb.ConfigureAnalyzerRequest();
        for (const p of allPolicies) {
            const entry = production[p.name];
            const level = typeof entry === "string" ? entry : entry?.enforcementLevel ?? production.all;
            const policyConfig = new pb.PolicyConfig();
            policyConfig.setEnforcementlevel(level === "mandatory" ? pb.EnforcementLevel.MANDATORY : pb.EnforcementLevel.ADVISORY);
            const { enforcementLevel: _level, ...properties } = typeof entry === "object" ? entry : {};
            policyConfig.setProperties(struct(properties));
            configure.getPolicyconfigMap().set(p.name, policyConfig);
        }
        await rpc("configure", configure);

        const unbuilt = deployment("api", { image: UNKNOWN, resources: { requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "64Mi" } } });
        const found = diagnostics(await rpc("analyze", analyzeRequest(unbuilt)));
        assert.deepEqual(found.map((d) => [d.policy, d.level, d.message]), [["memory-limits", "mandatory", `Deployment shop/api: container "api" has no memory limit`]],
            "a mandatory violation: the preview fails");
    } finally {
        child.kill();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test("package.json and PulumiPolicy.yaml are ready for `pulumi policy publish`; the lockfile matches package.json", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(PACK, "package.json"), "utf8"));
    assert.match(pkg.name, /^eks-delivery/);
    assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
    assert.equal(pkg.main, "index.ts");
    assert.match(fs.readFileSync(path.join(PACK, "PulumiPolicy.yaml"), "utf8"), /^runtime: nodejs$/m);
    const lock = JSON.parse(fs.readFileSync(path.join(PACK, "package-lock.json"), "utf8"));
    assert.equal(lock.name, pkg.name);
    assert.deepEqual(lock.packages[""].dependencies, pkg.dependencies);
    assert.deepEqual(lock.packages[""].devDependencies ?? {}, pkg.devDependencies ?? {});
    // What `npm pack` (the publish) puts in the tarball: the code, its data and configs, not tests or installs.
    const packed = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: PACK, encoding: "utf8" });
    assert.equal(packed.status, 0, packed.stderr);
    const files: string[] = JSON.parse(packed.stdout)[0].files.map((f: { path: string }) => f.path);
    for (const f of ["PulumiPolicy.yaml", "index.ts", "all.ts", "crossguard.ts", "framework.ts", "unknowns.ts", "data/ec2-instance-types.tsv", "config/production.json", "lib/instanceTypes.ts", "rules/workload.ts", "tsconfig.json"]) {
        assert.ok(files.includes(f), f);
    }
    assert.ok(!files.some((f) => f.startsWith("node_modules/")));
});
