import { test } from "node:test";
import assert from "node:assert/strict";
import { StackConfigError } from "../config";
import { MAX_SERVICES } from "../config/schema";
import { stackValues, validate, Values } from "./support";

/** Validates, expecting failure; returns the problem lines. */
function problems(values: Values, stack = "dev"): string[] {
    try {
        validate(values, stack);
    } catch (err) {
        assert.ok(err instanceof StackConfigError, `expected StackConfigError, got ${err}`);
        return err.problems;
    }
    assert.fail("expected the configuration to be rejected");
}

type Mutation = (v: Record<string, any>) => void;
const nodes = (v: Values) => v["eks-delivery:nodes"] as Record<string, any>;
const cluster = (v: Values) => v["eks-delivery:cluster"] as Record<string, any>;
const api = (v: Values) => (v["eks-delivery:services"] as Record<string, any>[])[0];

const rules: Array<[string, Mutation, string | RegExp, string?]> = [
    ["unknown top-level key, with a hint", (v) => { v["eks-delivery:node"] = {}; }, "eks-delivery:node: unknown key (did you mean nodes?)"],
    ["missing services", (v) => { delete v["eks-delivery:services"]; }, "eks-delivery:services: is required"],
    ["empty services", (v) => { v["eks-delivery:services"] = []; }, "eks-delivery:services: [] is empty: list at least one service"],
    ["missing cluster", (v) => { delete v["eks-delivery:cluster"]; }, "eks-delivery:cluster: is required"],
    ["missing region", (v) => { delete v["aws:region"]; }, /^aws:region: is required/],
    ["bad region", (v) => { v["aws:region"] = "seoul"; }, 'aws:region: "seoul" is not an AWS region'],
    ["a region typo, with a hint", (v) => { v["aws:region"] = "ap-northeast-22"; }, 'aws:region: "ap-northeast-22" is not an AWS region (did you mean ap-northeast-2?)'],
    ["a region the old pattern let through", (v) => { v["aws:region"] = "xx-nowhere-9"; }, /^aws:region: "xx-nowhere-9" is not an AWS region/],
    ["a region that is not text", (v) => { v["aws:region"] = 2; }, "aws:region: 2 is not a string"],
    ["an SDK pseudo-region", (v) => { v["aws:region"] = "aws-global"; }, /^aws:region: "aws-global" is not an AWS region/],
    ["a consumer registry region typo", (v) => { v["eks-delivery:registry"] = { from: { account: "123456789012", prefix: "eks-delivery-dev", region: "us-east1" } }; },
        'eks-delivery:registry.from.region: "us-east1" is not an AWS region (did you mean us-east-1?)'],
    ["section of the wrong type", (v) => { v["eks-delivery:nodes"] = "t3.medium"; }, 'eks-delivery:nodes: "t3.medium" is not a mapping'],
    ["unquoted kubernetes version", (v) => { cluster(v).kubernetesVersion = 1.3; }, /^eks-delivery:cluster\.kubernetesVersion: 1\.3 is a number: quote it \("1\.30"\)/],
    ["malformed kubernetes version", (v) => { cluster(v).kubernetesVersion = "v1.36"; }, 'eks-delivery:cluster.kubernetesVersion: "v1.36" is not a Kubernetes minor version like "1.36"'],
    ["one availability zone", (v) => { cluster(v).availabilityZones = 1; }, /^eks-delivery:cluster\.availabilityZones: 1 is less than 2/],
    ["fractional availability zones", (v) => { cluster(v).availabilityZones = 2.5; }, "eks-delivery:cluster.availabilityZones: 2.5 is not a whole number"],
    ["not a CIDR", (v) => { cluster(v).publicAccessCidrs = ["10.0.0.0/33"]; }, 'eks-delivery:cluster.publicAccessCidrs[0]: "10.0.0.0/33" is not an IPv4 CIDR'],
    ["CIDR with host bits", (v) => { cluster(v).publicAccessCidrs = ["203.0.113.7/24"]; }, 'eks-delivery:cluster.publicAccessCidrs[0]: "203.0.113.7/24" has host bits set (did you mean 203.0.113.0/24?)'],
    ["production endpoint open to the internet", (v) => { v["eks-delivery:environment"] = "production"; cluster(v).publicAccessCidrs = ["0.0.0.0/0"]; }, /^eks-delivery:cluster\.publicAccessCidrs\[0\]: "0\.0\.0\.0\/0" opens the production API endpoint/],
    ["production without a named admin", (v) => { v["eks-delivery:environment"] = "production"; cluster(v).access = [{ principalArn: "arn:aws:iam::123456789012:role/a", policy: "view" }]; },
        /^eks-delivery:cluster\.access: names no cluster-wide admin: production needs one besides whoever created the cluster/],
    ["production with no access list at all", (v) => { v["eks-delivery:environment"] = "production"; delete cluster(v).access; },
        /^eks-delivery:cluster\.access: names no cluster-wide admin/],
    ["production with a namespace admin only", (v) => { v["eks-delivery:environment"] = "production"; cluster(v).access = [{ principalArn: "role/a", policy: "admin", namespaces: ["dev"] }]; },
        /^eks-delivery:cluster\.access: names no cluster-wide admin/],
    ["missing environment", (v) => { delete v["eks-delivery:environment"]; }, "eks-delivery:environment: is required"],
    ["unknown environment", (v) => { v["eks-delivery:environment"] = "prod"; }, 'eks-delivery:environment: "prod" is not one of production, staging, development'],
    ["kubernetes version outside the EKS calendar", (v) => { cluster(v).kubernetesVersion = "1.28"; }, /^eks-delivery:cluster\.kubernetesVersion: "1\.28" is not in the EKS support calendar \(policies\/lib\/eksVersions\.ts\): one of 1\.31, .*1\.36$/],
    ["Kubernetes without pinned add-ons", (v) => { cluster(v).kubernetesVersion = "1.33"; nodes(v).amiReleaseVersion = "1.33.8-20260714"; },
        /^eks-delivery:cluster\.addonVersions\.kube-proxy: is required for Kubernetes 1\.33: no version is pinned for it \(policies\/lib\/eksVersions\.ts pins 1\.34, 1\.35, 1\.36\)/],
    ["kube-proxy of another minor", (v) => { cluster(v).addonVersions = { "kube-proxy": "v1.35.3-eksbuild.13" }; },
        'eks-delivery:cluster.addonVersions.kube-proxy: "v1.35.3-eksbuild.13" is not a kube-proxy for Kubernetes 1.36 (v1.36.x-eksbuild.N)'],
    ["Prometheus volume too small", (v) => { v["eks-delivery:monitoring"] = { storageGiB: 5 }; }, "eks-delivery:monitoring.storageGiB: 5 is less than 10"],
    ["Prometheus retention of zero days", (v) => { v["eks-delivery:monitoring"] = { retentionDays: 0 }; }, "eks-delivery:monitoring.retentionDays: 0 is less than 1"],
    ["extendedSupport not a boolean", (v) => { cluster(v).extendedSupport = "yes"; }, 'eks-delivery:cluster.extendedSupport: "yes" is not true or false'],
    ["access principal not an ARN", (v) => { cluster(v).access = [{ principalArn: "admins", policy: "admin" }]; }, 'eks-delivery:cluster.access[0].principalArn: "admins" is not an IAM role or user: arn:aws:iam::<account>:role/<name>, or role/<name> in this stack\'s account'],
    ["access principal is a session", (v) => { cluster(v).access = [{ principalArn: "arn:aws:sts::123456789012:assumed-role/Admin/alice", policy: "admin" }]; },
        'eks-delivery:cluster.access[0].principalArn: "arn:aws:sts::123456789012:assumed-role/Admin/alice" is a session, not a principal: use the role, arn:aws:iam::123456789012:role/Admin'],
    ["access principal of a group", (v) => { cluster(v).access = [{ principalArn: "arn:aws:iam::123456789012:group/admins", policy: "view" }]; }, /^eks-delivery:cluster\.access\[0\]\.principalArn: "arn:aws:iam::123456789012:group\/admins" is not an IAM role or user/],
    ["access principal as a group in the own account", (v) => { cluster(v).access = [{ principalArn: "group/admins", policy: "view" }]; }, /^eks-delivery:cluster\.access\[0\]\.principalArn: "group\/admins" is not an IAM role or user/],
    ["unknown access policy", (v) => { cluster(v).access = [{ principalArn: "arn:aws:iam::123456789012:role/a", policy: "owner" }]; }, 'eks-delivery:cluster.access[0].policy: "owner" is not one of admin, edit, view'],
    ["empty access namespaces", (v) => { cluster(v).access = [{ principalArn: "arn:aws:iam::123456789012:role/a", policy: "edit", namespaces: [] }]; }, /^eks-delivery:cluster\.access\[0\]\.namespaces: \[\] is empty/],
    ["duplicate access principal", (v) => { cluster(v).access = [{ principalArn: "arn:aws:iam::123456789012:role/a", policy: "edit" }, { principalArn: "arn:aws:iam::123456789012:role/a", policy: "view" }]; },
        'eks-delivery:cluster.access[1].principalArn: "arn:aws:iam::123456789012:role/a" is already given access by access[0]'],
    ["bad add-on version", (v) => { cluster(v).addonVersions = { coredns: "latest" }; }, 'eks-delivery:cluster.addonVersions.coredns: "latest" is not an EKS add-on version like "v1.14.3-eksbuild.3"'],
    ["unknown add-on", (v) => { cluster(v).addonVersions = { "snapshot-controller": "v1.0.0-eksbuild.1" }; }, /^eks-delivery:cluster\.addonVersions\.snapshot-controller: unknown key/],
    ["missing AMI release", (v) => { delete nodes(v).amiReleaseVersion; }, "eks-delivery:nodes.amiReleaseVersion: is required"],
    ["malformed AMI release", (v) => { nodes(v).amiReleaseVersion = "latest"; }, /^eks-delivery:nodes\.amiReleaseVersion: "latest" is not an AL2023 EKS AMI release like "1\.36\.2-20260714" \(aws ssm get-parameter/],
    ["AMI release for another Kubernetes", (v) => { nodes(v).amiReleaseVersion = "1.35.6-20260714"; }, 'eks-delivery:nodes.amiReleaseVersion: "1.35.6-20260714" is an AMI for Kubernetes 1.35, but cluster.kubernetesVersion is "1.36"'],
    ["root volume too small", (v) => { nodes(v).diskSizeGiB = 8; }, /^eks-delivery:nodes\.diskSizeGiB: 8 is less than 20/],
    ["bad NAT strategy", (v) => { cluster(v).natGateways = "two"; }, 'eks-delivery:cluster.natGateways: "two" is not one of single, one-per-az'],
    ["unknown instance type, with a hint", (v) => { nodes(v).instanceTypes = ["t3.mediun"]; }, 'eks-delivery:nodes.instanceTypes[0]: unknown instance type "t3.mediun" (did you mean t3.medium?)'],
    ["no instance types", (v) => { nodes(v).instanceTypes = []; }, /^eks-delivery:nodes\.instanceTypes: \[\] is empty/],
    ["mixed architectures", (v) => { nodes(v).instanceTypes = ["t3.medium", "t4g.medium"]; }, /^eks-delivery:nodes\.instanceTypes: \["t3\.medium","t4g\.medium"\] mixes amd64 and arm64/],
    ["minSize above maxSize", (v) => { Object.assign(nodes(v), { minSize: 5, desiredSize: 5, maxSize: 3 }); }, "eks-delivery:nodes.minSize: 5 is greater than maxSize 3"],
    ["desiredSize below minSize", (v) => { nodes(v).desiredSize = 1; }, "eks-delivery:nodes.desiredSize: 1 is less than minSize 2"],
    ["desiredSize above maxSize", (v) => { nodes(v).desiredSize = 9; }, "eks-delivery:nodes.desiredSize: 9 is greater than maxSize 8"],
    ["size as a string", (v) => { nodes(v).maxSize = "6"; }, 'eks-delivery:nodes.maxSize: "6" is not a number'],
    ["unknown autoscaler", (v) => { nodes(v).autoscaler = "keda"; }, 'eks-delivery:nodes.autoscaler: "keda" is not one of cluster-autoscaler, karpenter, cpu-target'],
    ["cpu-target without a percentage", (v) => { Object.assign(nodes(v), { autoscaler: "cpu-target", alertEmail: "ops@example.com" }); }, "eks-delivery:nodes.cpuTargetPercent: is required when autoscaler is cpu-target"],
    ["cpu-target without an e-mail", (v) => { Object.assign(nodes(v), { autoscaler: "cpu-target", cpuTargetPercent: 50 }); }, /^eks-delivery:nodes\.alertEmail: is required when autoscaler is cpu-target/],
    ["bad e-mail", (v) => { nodes(v).alertEmail = "ops-at-example"; }, 'eks-delivery:nodes.alertEmail: "ops-at-example" is not an e-mail address'],
    ["cpu target out of range", (v) => { nodes(v).cpuTargetPercent = 0; }, "eks-delivery:nodes.cpuTargetPercent: 0 is not within 1..100"],
    ["max pods as a number (EKS sets it on managed nodes)", (v) => { Object.assign(nodes(v), { maxPods: 30, prefixDelegation: false }); },
        'eks-delivery:nodes.maxPods: 30 cannot be applied: managed nodes run the max pods EKS computes for the instance type (17 here; prefixDelegation: true raises it), which only a custom AMI could change: leave it "auto"'],
    ["max pods neither auto nor a number", (v) => { nodes(v).maxPods = "many"; }, 'eks-delivery:nodes.maxPods: "many" is not "auto"'],
    ["instance type without ENI facts", (v) => { nodes(v).instanceTypes = ["p3.2xlarge"]; }, /^eks-delivery:nodes\.instanceTypes: p3\.2xlarge has no ENI facts in policies\/data/],
    ["prefix delegation not a boolean", (v) => { nodes(v).prefixDelegation = "yes"; }, 'eks-delivery:nodes.prefixDelegation: "yes" is not true or false'],
    ["misspelt node field, with a hint", (v) => { nodes(v).minSzie = 1; }, "eks-delivery:nodes.minSzie: unknown key (did you mean minSize?)"],
    ["registry keepImages below 30 (rollback depth)", (v) => { v["eks-delivery:registry"] = { keepImages: 29 }; }, "eks-delivery:registry.keepImages: 29 is less than 30 (rollbacks need the last 30 release tags)"],
    ["hoursPerMonth beyond a month", (v) => { v["eks-delivery:cost"] = { hoursPerMonth: 800 }; }, /^eks-delivery:cost\.hoursPerMonth: 800 is more than the 744 hours/],
    ["service name not a DNS label", (v) => { api(v).name = "Api_1"; }, /^eks-delivery:services\[0\]\.name: "Api_1" is not a DNS-1123 label/],
    ["duplicate service names", (v) => { (v["eks-delivery:services"] as any[])[1].name = "api"; }, 'eks-delivery:services[1].name: "api" is already the name of services[0]'],
    ["duplicate hosts", (v) => { (v["eks-delivery:services"] as any[])[1].host = "api.dev.example.com"; }, 'eks-delivery:services[1].host: "api.dev.example.com" is already the host of services[0]'],
    ["build context missing", (v) => { api(v).path = "apps/services/nothere"; }, 'eks-delivery:services[0].path: "apps/services/nothere" does not exist (no such directory)'],
    ["build context outside the project", (v) => { api(v).path = "../elsewhere"; }, /^eks-delivery:services\[0\]\.path: "\.\.\/elsewhere" is not a path inside the project/],
    ["build context without a Dockerfile", (v) => { api(v).path = "config"; }, 'eks-delivery:services[0].path: "config" has no Dockerfile'],
    ["port out of range", (v) => { api(v).port = 70000; }, "eks-delivery:services[0].port: 70000 is not within 1..65535"],
    ["health path without a slash", (v) => { api(v).healthPath = "healthz"; }, 'eks-delivery:services[0].healthPath: "healthz" does not start with /'],
    ["readiness identical to liveness", (v) => { api(v).readinessPath = "/healthz"; }, /^eks-delivery:services\[0\]\.readinessPath: "\/healthz" is the same as healthPath/],
    ["replicas min above max", (v) => { api(v).replicas = { min: 5, max: 2 }; }, "eks-delivery:services[0].replicas.min: 5 is greater than max 2"],
    ["replicas min below 1", (v) => { api(v).replicas = { min: 0, max: 2 }; }, "eks-delivery:services[0].replicas.min: 0 is less than 1"],
    ["service cpu target out of range", (v) => { api(v).cpuTargetPercent = 130; }, "eks-delivery:services[0].cpuTargetPercent: 130 is not within 1..100"],
    ["invalid cpu quantity", (v) => { api(v).resources.requests.cpu = "500mm"; }, 'eks-delivery:services[0].resources.requests.cpu: "500mm" is not a Kubernetes quantity'],
    ["invalid memory quantity", (v) => { api(v).resources.requests.memory = "256MB"; }, 'eks-delivery:services[0].resources.requests.memory: "256MB" is not a Kubernetes quantity'],
    ["zero cpu request", (v) => { api(v).resources.requests.cpu = "0"; }, 'eks-delivery:services[0].resources.requests.cpu: "0" is not greater than zero'],
    ["missing memory limit", (v) => { delete api(v).resources.limits.memory; }, "eks-delivery:services[0].resources.limits.memory: is required"],
    ["memory limit below request", (v) => { api(v).resources.limits.memory = "128Mi"; }, 'eks-delivery:services[0].resources.limits.memory: "128Mi" is less than the request "256Mi"'],
    ["cpu limit below request", (v) => { api(v).resources.limits.cpu = "100m"; }, 'eks-delivery:services[0].resources.limits.cpu: "100m" is less than the request "250m"'],
    ["ephemeral-storage limit below its default request", (v) => { api(v).resources.limits.ephemeralStorage = "64Mi"; }, 'eks-delivery:services[0].resources.limits.ephemeralStorage: "64Mi" is less than the request "128Mi"'],
    ["ephemeral-storage request not a quantity", (v) => { api(v).resources.requests.ephemeralStorage = "lots"; }, 'eks-delivery:services[0].resources.requests.ephemeralStorage: "lots" is not a Kubernetes quantity'],
    ["unknown strategy", (v) => { api(v).strategy = "canary"; }, 'eks-delivery:services[0].strategy: "canary" is not one of rolling, blue-green'],
    ["invalid host", (v) => { api(v).host = "not a host"; }, 'eks-delivery:services[0].host: "not a host" is not a DNS host name'],
    ["invalid secret name", (v) => { api(v).secrets = ["bad secret!"]; }, 'eks-delivery:services[0].secrets[0]: "bad secret!" is not a Secrets Manager secret name'],
    ["version override not usable as a tag", (v) => { v["eks-delivery:version"] = "v1.0.0 beta"; }, /^eks-delivery:version: "v1\.0\.0 beta" is not usable as an image tag/],
    ["buildOnPreview not a boolean", (v) => { v["eks-delivery:images"] = { buildOnPreview: "no" }; }, 'eks-delivery:images.buildOnPreview: "no" is not true or false'],
    ["maxSurge of zero", (v) => { api(v).maxSurge = "0%"; }, /^eks-delivery:services\[0\]\.maxSurge: "0%" is not a surge like "25%"/],
    ["misspelt service field, with a hint", (v) => { api(v).readinesPath = "/ready"; }, "eks-delivery:services[0].readinesPath: unknown key (did you mean readinessPath?)"],
    ["unknown edge", (v) => { v["eks-delivery:ingress"] = { controller: "traefik" }; }, 'eks-delivery:ingress.controller: "traefik" is not one of gateway, nginx'],
    ["unknown add-on, with a hint", (v) => { v["eks-delivery:addons"] = { reloder: { enabled: false } }; }, "eks-delivery:addons.reloder: unknown key (did you mean reloader?)"],
    ["add-on values not a mapping", (v) => { v["eks-delivery:addons"] = { reloader: { values: ["a"] } }; }, 'eks-delivery:addons.reloader.values: ["a"] is not a mapping'],
    ["override with a typo, named with its path and a hint", (v) => { v["eks-delivery:addons"] = { "kube-prometheus-stack": { values: { prometheus: { prometheusSpec: { replica: 1 } } } } }; },
        /^eks-delivery:addons\.kube-prometheus-stack\.values\.prometheus\.prometheusSpec\.replica: is not a value of chart kube-prometheus-stack 88\.5\.3 \(prometheus-community\/helm-charts@kube-prometheus-stack-88\.5\.3:.*\) \(did you mean replicas\?\)$/],
    ["override the chart's schema refuses", (v) => { v["eks-delivery:addons"] = { "external-dns": { values: { policy: "delete-everything" } } }; },
        /^eks-delivery:addons\.external-dns\.values\.policy must be equal to one of the allowed values \(values\.schema\.json\)$/],
    ["override leaving a PDB with both fields", (v) => { v["eks-delivery:addons"] = { "metrics-server": { values: { podDisruptionBudget: { enabled: true, minAvailable: 1, maxUnavailable: 1 } } } }; },
        "eks-delivery:addons.metrics-server.values.podDisruptionBudget: both minAvailable and maxUnavailable"],
    ["turning off an add-on the platform needs", (v) => { v["eks-delivery:addons"] = { "metrics-server": { enabled: false } }; },
        "eks-delivery:addons.metrics-server.enabled: false is not possible: every service's HorizontalPodAutoscaler scales on its metrics"],
    ["an add-on the stack does not install", (v) => { v["eks-delivery:addons"] = { karpenter: { values: { replicas: 3 } } }; },
        'eks-delivery:addons.karpenter: is not installed by this stack: eks-delivery:nodes.autoscaler is "cluster-autoscaler"'],
    ["a feature gate the controller does not know", (v) => { v["eks-delivery:addons"] = { "aws-load-balancer-controller": { values: { controllerConfig: { featureGates: { ALBGatewayApi: false } } } } }; },
        "eks-delivery:addons.aws-load-balancer-controller.values.controllerConfig.featureGates.ALBGatewayApi: is not one the application knows (did you mean ALBGatewayAPI?)"],
    ["a value the program owns", (v) => { v["eks-delivery:addons"] = { "aws-load-balancer-controller": { values: { serviceAccount: { name: "other" } } } }; },
        "eks-delivery:addons.aws-load-balancer-controller.values.serviceAccount.name: is set by the program, not by a stack: the Pod Identity association names this service account"],
    ["turning off what blue/green routes need", (v) => { v["eks-delivery:addons"] = { "aws-load-balancer-controller": { values: { controllerConfig: { featureGates: { WeightedTargetGroups: false } } } } }; },
        /^eks-delivery:addons\.aws-load-balancer-controller\.values\.controllerConfig\.featureGates\.WeightedTargetGroups: is set by the program, not by a stack: blue\/green routes/],
    ["external-dns sources", (v) => { v["eks-delivery:addons"] = { "external-dns": { values: { sources: ["service"] } } }; },
        "eks-delivery:addons.external-dns.values.sources: is set by the program, not by a stack: with policy sync, a source left out deletes the records of every host it served"],
    ["nginx's add-ons on the gateway edge", (v) => { v["eks-delivery:addons"] = { "cert-manager": { enabled: true } }; },
        "eks-delivery:addons.cert-manager: is not installed by this stack: only ingress-nginx uses it (eks-delivery:ingress.controller is gateway)"],
    // Pulumi-hosted Deployments reach only an endpoint open to every address, and have no Docker daemon.
    ["a private endpoint under Deployments without an agent pool", (v) => { cluster(v).publicAccessCidrs = []; v["eks-delivery:delivery"] = { organization: "acme", repository: "acme/eks-delivery" }; },
        "eks-delivery:delivery.agentPoolId: is required: the API endpoint is private, so Pulumi-hosted Deployments cannot reach it " +
        "(run a customer-managed agent pool in the VPC and name it here; see docs/private-clusters.md)"],
    ["a restricted endpoint under Deployments without an agent pool", (v) => { v["eks-delivery:delivery"] = { organization: "acme", repository: "acme/eks-delivery" }; },
        /^eks-delivery:delivery\.agentPoolId: is required: the API endpoint is restricted to 203\.0\.113\.0\/24, so Pulumi-hosted Deployments cannot reach it/],
    ["a building stack on hosted Deployments without a builder", (v) => { cluster(v).publicAccessCidrs = ["0.0.0.0/0"]; v["eks-delivery:delivery"] = { organization: "acme", repository: "acme/eks-delivery" }; },
        "eks-delivery:images.builder: is required: this stack builds images under Pulumi Deployments, whose hosted runners have no Docker daemon " +
        "(name a remote buildx builder, or set delivery.agentPoolId to build on your agents; see docs/private-clusters.md)"],
    ["an agent pool id that is not a UUID", (v) => { v["eks-delivery:delivery"] = { organization: "acme", repository: "acme/eks-delivery", agentPoolId: "prod-pool" }; },
        'eks-delivery:delivery.agentPoolId: "prod-pool" is not a Pulumi agent pool id (a UUID)'],
    ["a builder name a shell would split", (v) => { v["eks-delivery:images"] = { builder: "remote; rm -rf /" }; },
        'eks-delivery:images.builder: "remote; rm -rf /" is not a buildx builder name'],
    // Stack names as Pulumi validates them, and the names built from them (config/names.ts).
    ["a stack name Pulumi refuses", () => {}, 'stack "a/b": a stack name may only contain alphanumeric, hyphens, underscores, or periods: invalid character "/" at position 1', "a/b"],
    ["a stack name over 100 characters", () => {}, /^stack "x{76}\.\.\.: a stack name cannot exceed 100 characters$/, "x".repeat(101)],
    ["a stack name that is not a namespace", () => {}, /^stack "Feature_X": is not a DNS-1123 label .*, and it names the services' Kubernetes namespace: use e\.g\. "feature-x"$/, "Feature_X"],
    ["a stack name of dots", () => {}, /^stack "\.\.": is not a DNS-1123 label/, ".."],
    ["a stack name too long for a namespace", () => {}, /^stack "d{64}": is 64 characters: a DNS-1123 label has at most 63/, "d".repeat(64)],
    ["a stack name too long for Karpenter's queue", (v) => { nodes(v).autoscaler = "karpenter"; },
        /^stack "k{60}": makes Karpenter's SQS queue "eks-delivery-k{60}-karpenter" of 83 characters: SQS allows at most 80$/, "k".repeat(60)],
    ["a stack name too long for the Deployments session", (v) => { v["eks-delivery:delivery"] = { organization: "acme", repository: "acme/eks-delivery" }; },
        /^stack "s{50}": makes the Deployments role session "pulumi-deployments-s{50}" of 69 characters: STS allows at most 64$/, "s".repeat(50)],
    ["a service name that makes an invalid Kubernetes Service name", (v) => { api(v).name = "1api"; api(v).strategy = "blue-green"; },
        'eks-delivery:services[0].name: "1api" makes the Kubernetes name "1api", which is not a DNS-1035 label (lower-case letters, digits and \'-\', starting with a letter and ending with a letter or digit)'],
    // Namespaces and keys close to known ones.
    ["a misspelt project namespace", (v) => { v["eks-delivry:services"] = []; }, 'eks-delivry:services: unknown configuration namespace "eks-delivry" (did you mean eks-delivery:services?)'],
    ["a misspelt provider namespace", (v) => { v["kubernets:context"] = "x"; }, 'kubernets:context: unknown configuration namespace "kubernets" (did you mean kubernetes:context?)'],
    ["a key without a namespace", (v) => { v["aws-region"] = "ap-northeast-2"; }, "aws-region: is not a configuration key: keys are <namespace>:<name> (did you mean aws:region?)"],
    ["a misspelt aws:region", (v) => { v["aws:regoin"] = "ap-northeast-2"; }, "aws:regoin: is not read (did you mean aws:region?)"],
    ["a misspelt key in a list item's mapping", (v) => { cluster(v).access = [{ principalArn: "role/a", polcy: "view" }]; }, "eks-delivery:cluster.access[0].polcy: unknown key (did you mean policy?)"],
    ["a misspelt key two levels down", (v) => { api(v).resources.requets = {}; }, "eks-delivery:services[0].resources.requets: unknown key (did you mean requests?)"],
    ["a misspelt key in an optional section", (v) => { v["eks-delivery:registry"] = { from: { acount: "123456789012", prefix: "eks-delivery-dev" } }; }, "eks-delivery:registry.from.acount: unknown key (did you mean account?)"],
    ["a misspelt key in a union", (v) => { v["eks-delivery:delivery"] = { organization: "acme", repository: "acme/eks-delivery", agentPoolId: "0f3c6a2e-8d1b-4e5f-9a7c-2b4d6e8f0a1c", oidcProviders: { gihub: "lookup" } }; },
        "eks-delivery:delivery.oidcProviders.gihub: unknown key (did you mean github?)"],
    ["more services than one stack deploys", (v) => { v["eks-delivery:services"] = Array.from({ length: MAX_SERVICES + 1 }, (_, i) => ({ ...api(v), name: `s${i}`, host: undefined })); },
        `eks-delivery:services: lists ${MAX_SERVICES + 1} services: one stack deploys at most ${MAX_SERVICES} (all in its one namespace; see docs/reference/configuration.md)`],
];

for (const [name, mutate, expected, stack] of rules) {
    test(`config rejects: ${name}`, () => {
        const values = stackValues("dev");
        mutate(values);
        const lines = problems(values, stack);
        const hit = lines.some((line) => (typeof expected === "string" ? line === expected : expected.test(line)));
        assert.ok(hit, `expected ${expected} among:\n  ${lines.join("\n  ")}`);
    });
}

test("Deployments paths that can work are accepted: an open endpoint with a remote builder, a pool, a stack that builds nothing", () => {
    const delivery = { organization: "acme", repository: "acme/eks-delivery" };
    const pool = "0f3c6a2e-8d1b-4e5f-9a7c-2b4d6e8f0a1c";
    // Open endpoint + builder: Pulumi-hosted runners reach the API and build on the remote BuildKit.
    const open = stackValues("dev");
    cluster(open).publicAccessCidrs = ["0.0.0.0/0"];
    open["eks-delivery:delivery"] = delivery;
    open["eks-delivery:images"] = { builder: "acme-buildkit" };
    assert.equal(validate(open).images.builder, "acme-buildkit");
    // Restricted endpoint + pool: the agents reach the API and build with their host's daemon.
    const pooled = stackValues("dev");
    pooled["eks-delivery:delivery"] = { ...delivery, agentPoolId: pool };
    assert.equal(validate(pooled).delivery?.agentPoolId, pool);
    // A consumer of another stack's registry builds nothing: a pool for its private endpoint, no builder.
    const consumer = stackValues("prod");
    consumer["eks-delivery:delivery"] = { ...delivery, agentPoolId: pool };
    const prod = validate(consumer, "prod");
    assert.equal(prod.images.builder, undefined);
    assert.equal(prod.delivery?.githubEnvironment, "prod", "the deploy role trusts the GitHub environment named after the stack");
    // A release builds nothing either: an open endpoint needs no builder.
    const release = stackValues("dev");
    cluster(release).publicAccessCidrs = ["0.0.0.0/0"];
    release["eks-delivery:delivery"] = delivery;
    release["eks-delivery:release"] = "v5.3.20-1a2b3c4";
    assert.doesNotThrow(() => validate(release));
});

test("config reports every independent problem at once, one per line", () => {
    const values = stackValues("dev");
    cluster(values).availabilityZones = 1;
    nodes(values).instanceTypes = ["t3.mediun"];
    api(values).port = 0;
    api(values).resources.requests.cpu = "lots";
    const lines = problems(values);
    assert.equal(lines.length, 4, lines.join("\n"));
});

test("field errors, a duplicate service name and cross-field problems are all reported in one run", () => {
    const values = stackValues("dev");
    values["eks-delivry:services"] = [];                                      // a namespace typo
    cluster(values).availabilityZones = 1;                                    // field errors...
    api(values).port = "eighty";                                              // type errors abort zod's own refinements
    nodes(values).diskSizeGiB = "big";
    nodes(values).instanceTypes = ["t3.mediun"];
    Object.assign(nodes(values), { minSize: 5, desiredSize: 5, maxSize: 3 }); // ...a cross-field one beside a field error
    const services = values["eks-delivery:services"] as any[];
    services[1].name = "api";                                                 // a duplicate, while services[0] is wrong
    values["eks-delivery:version"] = "v1";                                    // and the root's cross-field rule
    values["eks-delivery:release"] = "v2";
    const lines = problems(values, "Feature_X");
    const expected = [
        /^eks-delivry:services: unknown configuration namespace/,
        /^stack "Feature_X": is not a DNS-1123 label/,
        /^stack "Feature_X": makes the ECR repository prefix "eks-delivery-Feature_X", which ECR refuses/,
        /^eks-delivery:cluster\.availabilityZones: 1 is less than 2/,
        /^eks-delivery:services\[0\]\.port: "eighty" is not a number$/,
        /^eks-delivery:nodes\.diskSizeGiB: "big" is not a number$/,
        /^eks-delivery:nodes\.instanceTypes\[0\]: unknown instance type "t3\.mediun"/,
        /^eks-delivery:nodes\.minSize: 5 is greater than maxSize 3$/,
        /^eks-delivery:nodes\.desiredSize: 5 is greater than maxSize 3$/,
        /^eks-delivery:services\[1\]\.name: "api" is already the name of services\[0\]$/,
        /^eks-delivery:release: "v2" and version "v1" are both set/,
    ];
    for (const e of expected) assert.ok(lines.some((l) => e.test(l)), `expected ${e} among:\n  ${lines.join("\n  ")}`);
    assert.equal(lines.length, expected.length, lines.join("\n"));
});

test("the checks beside the schema (add-on overrides) report with the schema's problems, on the sections that parsed", () => {
    const values = stackValues("dev");
    nodes(values).diskSizeGiB = "big";                                         // a schema problem elsewhere
    values["eks-delivery:addons"] = { "metrics-server": { values: { replica: 3 } } }; // and a bad override
    const lines = problems(values);
    assert.deepEqual(lines.map((l) => l.replace(/ \(.*$/, "")), [
        'eks-delivery:nodes.diskSizeGiB: "big" is not a number',
        "eks-delivery:addons.metrics-server.values.replica: is not a value of chart metrics-server 3.13.1",
    ]);
    // A section the check reads that is itself wrong: only the schema's problem (the check is skipped).
    const broken = stackValues("dev");
    broken["eks-delivery:addons"] = { "metrics-server": { values: { replica: 3 } } };
    broken["eks-delivery:mesh"] = { enabled: "yes" };
    assert.deepEqual(problems(broken), ['eks-delivery:mesh.enabled: "yes" is not true or false']);
});

test("stack names Pulumi and every derived name accept pass: dots and underscores are Pulumi's, not Kubernetes'", async () => {
    const { pulumiStackNameProblem } = await import("../config/names");
    for (const ok of ["dev", "Feature_X", "..", "a.b-c_d", "x".repeat(100)]) assert.equal(pulumiStackNameProblem(ok), undefined, ok);
    assert.doesNotThrow(() => validate(stackValues("dev"), "d".repeat(63)), "a 63-character stack is a namespace and a cluster name");
    const other = stackValues("dev");
    other["kubernetes:context"] = "x"; other["aws:profile"] = "p"; other["random:x"] = 1; other["acme:anything"] = true;
    assert.doesNotThrow(() => validate(other), "other namespaces pass unread");
    const many = stackValues("dev");
    many["eks-delivery:services"] = Array.from({ length: MAX_SERVICES }, (_, i) => ({ ...api(many), name: `s${i}`, host: undefined }));
    assert.equal(validate(many).services.length, MAX_SERVICES);
});

test("the dev and prod stack files are valid, and defaults are applied", () => {
    const dev = validate(stackValues("dev"), "dev");
    assert.equal(dev.nodes.maxPods, 110, "t3.medium with prefix delegation");
    assert.equal(dev.cluster.natGateways, "single");
    assert.equal(dev.cluster.logRetentionDays, 90);
    assert.equal(dev.environment, "development");
    assert.equal(dev.monitoring.grafanaAdminSecret, "dev/grafana-admin", "defaults to <stack>/grafana-admin");
    const prod = validate(stackValues("prod"), "prod");
    assert.equal(prod.environment, "production");
    assert.equal(prod.cluster.natGateways, "one-per-az");
    assert.equal(prod.cluster.availabilityZones, 3);
    assert.deepEqual(prod.cluster.publicAccessCidrs, []);
});

test("the environment, not the stack's name, decides what production means", () => {
    const values = stackValues("dev");
    cluster(values).publicAccessCidrs = ["0.0.0.0/0"];
    assert.doesNotThrow(() => validate(values, "prod"), "a stack named prod in development");
    values["eks-delivery:environment"] = "production";
    assert.throws(() => validate(values, "dev"), StackConfigError);
    delete cluster(values).publicAccessCidrs;
    cluster(values).publicAccessCidrs = [];
    assert.equal(validate(values, "anything").cluster.natGateways, "one-per-az", "production default");
});

test("access entries and add-on versions default to none; principals with paths are accepted", () => {
    const values = stackValues("dev");
    delete cluster(values).access;
    const config = validate(values);
    assert.deepEqual([config.cluster.access, config.cluster.addonVersions, config.cluster.extendedSupport], [[], {}, false]);
    cluster(values).access = [{ principalArn: "arn:aws:iam::123456789012:role/teams/platform/admin", policy: "admin" }, { principalArn: "role/teams/dev", policy: "view" }];
    assert.deepEqual(validate(values).cluster.access.map((a) => a.principalArn), ["arn:aws:iam::123456789012:role/teams/platform/admin", "role/teams/dev"]);
});

test("maxPods auto is the smallest the instance types can address", () => {
    const values = stackValues("dev");
    Object.assign(nodes(values), { instanceTypes: ["t3.medium", "t3.large"], prefixDelegation: false });
    assert.equal(validate(values).nodes.maxPods, 17);
});

test("service defaults: probes, replicas, cpu target, rolling, no secrets", () => {
    const values = stackValues("dev");
    const services = values["eks-delivery:services"] as any[];
    services[0] = { name: "api", path: "apps/services/api", port: 8080, resources: { requests: { cpu: 1, memory: "1Gi" }, limits: { memory: "1Gi" } } };
    const api = validate(values).services[0];
    assert.equal(api.healthPath, "/healthz");
    assert.equal(api.readinessPath, "/readyz");
    assert.deepEqual(api.replicas, { min: 2, max: 10 });
    assert.equal(api.cpuTargetPercent, 30);
    assert.equal(api.strategy, "rolling");
    assert.deepEqual(api.secrets, []);
    assert.equal(api.resources.requests.cpu, "1", "numeric quantities are normalised to strings");
    assert.equal(api.resources.requests.ephemeralStorage, "128Mi");
    assert.equal(api.resources.limits.ephemeralStorage, "1Gi");
});

test("add-on toggles and overrides that the charts accept pass, and decide what is installed", async () => {
    const { installedAddons } = await import("../infra/addons/catalog");
    const values = stackValues("dev");
    values["eks-delivery:addons"] = {
        reloader: { enabled: false },
        "kube-prometheus-stack": { values: { prometheus: { prometheusSpec: { replicas: 1 } }, grafana: { annotations: { team: "platform" }, "grafana.ini": { auth: { anonymous: { enabled: false } } } } } },
        "external-secrets": { values: { podDisruptionBudget: { maxUnavailable: 2 } } },
        // Maps the charts render whole: Grafana's ini file, security contexts.
        "aws-load-balancer-controller": { values: { securityContext: { runAsUser: 65534 }, controllerConfig: { featureGates: { ListenerRulesTagging: true } } } },
        karpenter: { enabled: false },
    };
    const config = validate(values);
    const installed = installedAddons(config);
    assert.ok(!installed.includes("reloader"));
    assert.ok(installed.includes("kube-prometheus-stack") && installed.includes("aws-load-balancer-controller"));
    assert.ok(!installed.includes("ingress-nginx") && !installed.includes("cert-manager"), "the gateway edge is the default");
    values["eks-delivery:ingress"] = { controller: "nginx" };
    assert.ok(installedAddons(validate(values)).includes("ingress-nginx") && installedAddons(validate(values)).includes("cert-manager"));
});

test("real namespaces close to short known ones are not typos: awsx, esc, k8s, dns, tls", () => {
    const values = stackValues("dev");
    for (const key of ["awsx:foo", "esc:env", "k8s:context", "dns:zone", "eks:skipDefaultNodeGroup"]) values[key] = "x";
    assert.doesNotThrow(() => validate(values, "dev"));
    values["eks-deliver:services"] = [];
    assert.throws(() => validate(values, "dev"), (err: unknown) => err instanceof StackConfigError
        && err.problems.some((p) => p.startsWith('eks-deliver:services: unknown configuration namespace "eks-deliver" (did you mean eks-delivery:services?)')));
});
