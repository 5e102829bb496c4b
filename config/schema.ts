/**
 * The stack configuration schema: every `eks-delivery:*` key, its defaults, and every rule that can be
 * checked before anything is planned. Problems come back located (`eks-delivery:nodes.minSize`) and
 * carry the bad value, one per line, so a user can fix a stack file without reading code.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { closest, distance } from "fastest-levenshtein";
import { cpuMillicores, isQuantity, memoryMiB } from "../policies/lib/quantity";
import { InstanceCatalog, maxPodsFor } from "../policies/lib/instanceTypes";
import { StackConfigError, showValue } from "./errors";
import { NAMESPACE, StackConfig } from "./types";
import { ADDON_PINS, EKS_VERSIONS, PinnedAddon } from "../policies/lib/eksVersions";
import { PRICE_IDS } from "../policies/lib/prices";
import { SECRET_PLACEHOLDER } from "./stackFile";
import { serviceNameProblems, stackNameProblems } from "./names";
import { AWS_REGIONS, regionProblem } from "./awsRegions";

export interface ValidationContext {
    project: string;
    stack: string;
    catalog: InstanceCatalog;
    /** Directory service build contexts (`services[].path`) are relative to: the project root. */
    projectRoot: string;
    /** Stack file the values came from, named in the error. */
    file?: string;
    /** Keys whose values are secrets (`secure:` in the stack file). */
    secretKeys?: string[];
    /**
     * Checks that need more than the schema (the add-on overrides against their charts, infra/addons):
     * each returns located problems. They run with the schema's own problems too, on the sections they read.
     */
    checks?: ConfigCheck[];
}

/** A check the schema cannot express (it lives with what it checks, in infra/), and what it reads. */
export interface ConfigCheck {
    /**
     * What it reads, as paths under `eks-delivery:` (`addons`, `nodes.autoscaler`). When something else
     * is wrong, the check still runs (every problem at once), given only these, each parsed on its own;
     * it is skipped when one of them is wrong (that problem is reported already).
     */
    reads: readonly string[];
    problems(config: StackConfig): string[];
}

// Messages are predicates ("is not a whole number"): the formatter puts the key path and the bad
// value in front. Issues raised with `params.full` carry a complete message instead.
const number = () => z.number({ error: "is not a number" });
const whole = () => number().int({ error: "is not a whole number" });
const text = () => z.string({ error: "is not a string" });
const list = <T extends z.ZodType>(item: T) => z.array(item, { error: "is not a list" });
const object = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape, { error: "is not a mapping" });

const oidcProviderMode = () => z.enum(["create", "lookup"], { error: "is not one of create, lookup" });

function full(ctx: z.RefinementCtx, path: PropertyKey[], message: string) {
    ctx.addIssue({ code: "custom", path, message, params: { full: true } });
}

/** Whether the fields at these paths (a key, or a path under the value) parsed without a problem. */
type Parsed = (...paths: Array<PropertyKey | PropertyKey[]>) => boolean;

/**
 * A cross-field rule that runs even when other fields are wrong, so every problem is reported at once.
 * Zod skips a refinement once any issue aborted the parse, unless the check has `when`
 * (zod@4.6.7: v4/core/schemas.js runChecks, v4/core/api.d.ts $ZodSuperRefineParams);
 * with it the rule sees the parsed fields typed and the failed ones raw, so it reads a field only after
 * `parsed(...)` says that field (or list item) had no problem. Unknown keys do not count: they change no value.
 */
function crossField<S extends z.ZodType>(schema: S, rule: (value: z.output<S>, c: z.RefinementCtx, parsed: Parsed) => void): S {
    return schema.superRefine((value, c) => {
        const issues = c.issues.filter((i) => i.code !== "unrecognized_keys");
        const parsed: Parsed = (...paths) => paths.every((p) => {
            const path = Array.isArray(p) ? p : [p];
            return !issues.some((i) => {
                const at = i.path ?? [];
                return at.slice(0, Math.min(at.length, path.length)).every((segment, k) => segment === path[k]);
            });
        });
        rule(value as z.output<S>, c, parsed);
    }, { when: (payload) => typeof payload.value === "object" && payload.value !== null }) as S;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
/** An AWS region code from the list (config/awsRegions.ts); a typo gets the region it was probably meant to be. */
const region = () => text().superRefine((r, c) => {
    const problem = regionProblem(r);
    if (problem) full(c, [], `${showValue(r)} ${problem}`);
}).meta({ enum: [...AWS_REGIONS] });
/** IAM principals an EKS access entry accepts: a role or a user, in any partition (paths allowed). */
const IAM_PRINCIPAL = /^arn:aws(-cn|-us-gov|-iso[a-z]*)?:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/;
/** The same in the stack's own account, without the ARN prefix: `role/<path/name>` or `user/<name>`. */
export const OWN_ACCOUNT_PRINCIPAL = /^(role|user)\/[\w+=,.@/-]{1,512}$/;
/** AL2023 EKS AMI release as managed node groups take it: `<kubernetes>.<patch>-<yyyymmdd>`. */
export const AMI_RELEASE = /^(\d+\.\d+)\.\d+-(\d{8})$/;

export const ENVIRONMENTS = ["production", "staging", "development"] as const;
/** The EKS managed add-ons the program installs (infra/eksAddons.ts), whose versions a stack may pin. */
export const EKS_ADDONS = ["vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver"] as const;

/**
 * The platform add-ons a stack may tune under `eks-delivery:addons.<name>` (the Helm release names;
 * infra/addons/catalog.ts holds their charts).
 */
export const ADDON_NAMES = [
    "metrics-server", "aws-load-balancer-controller", "external-dns", "cert-manager", "external-secrets", "reloader",
    "cluster-autoscaler", "karpenter", "kube-prometheus-stack", "ingress-nginx", "istio-base", "istio-cni", "istiod", "kiali", "jaeger",
] as const;

/**
 * The most services one stack deploys. They all live in the stack's one namespace, and Kubernetes' SIG
 * Scalability thresholds put #Services per namespace at 5000 (kubernetes/community:
 * sig-scalability/configs-and-limits/thresholds.md): the Service named after each service. 5000 is
 * also the size the offline plan is required to complete (issue 13). Blue/green services add two more
 * Services each, and the same table's per-namespace #Pods (3000) and #Deployments (2000) are lower:
 * those are where performance degrades, not where the API refuses, so they are left to the plan's policies.
 */
export const MAX_SERVICES = 5000;

/** The edges a stack can serve its hosts through. */
export const INGRESS_CONTROLLERS = ["gateway", "nginx"] as const;

/** A version usable as a Docker tag and a Kubernetes label value (`app.kubernetes.io/version`). */
function isDeployableVersion(version: string): boolean {
    return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(version) && /[A-Za-z0-9]$/.test(version);
}

/** What an access entry's principal is wrong with, or undefined when EKS accepts it. */
export function principalProblem(arn: string): string | undefined {
    const session = /^arn:(aws[-a-z]*):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(arn);
    if (session) {
        const [, partition, account, role] = session;
        return `${showValue(arn)} is a session, not a principal: use the role, arn:${partition}:iam::${account}:role/${role}`;
    }
    if (!IAM_PRINCIPAL.test(arn) && !OWN_ACCOUNT_PRINCIPAL.test(arn)) {
        return `${showValue(arn)} is not an IAM role or user: arn:aws:iam::<account>:role/<name>, or role/<name> in this stack's account`;
    }
    return undefined;
}

/** Checks an IPv4 CIDR; returns a complete problem description, or undefined when valid. */
export function cidrProblem(cidr: string): string | undefined {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    const octets = match?.slice(1, 5).map(Number) ?? [];
    const bits = Number(match?.[5]);
    if (!match || octets.some((o) => o > 255) || bits > 32) return `${showValue(cidr)} is not an IPv4 CIDR`;
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    const size = 2 ** (32 - bits);
    if (address % size !== 0) {
        const network = address - (address % size);
        const dotted = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join(".");
        return `${showValue(cidr)} has host bits set (did you mean ${dotted}/${bits}?)`;
    }
    return undefined;
}

function quantity(kind: "cpu" | "memory") {
    return z.union([text(), number()], { error: "is not a Kubernetes quantity" })
        .transform(String)
        .superRefine((q, c) => {
            if (!isQuantity(q)) full(c, [], `${showValue(q)} is not a Kubernetes quantity`);
            else if ((kind === "cpu" ? cpuMillicores(q) : memoryMiB(q)) <= 0) full(c, [], `${showValue(q)} is not greater than zero`);
        });
}

/** The schema of one stack's values. Its output type is the config's type (config/types.ts). */
export function stackSchema(ctx: ValidationContext, input: Record<string, unknown>) {
    const { catalog } = ctx;
    const production = input.environment === "production";

    const cluster = crossField(object({
        kubernetesVersion: z.union([text(), number()], { error: 'is not a version like "1.33"' })
            .superRefine((v, c) => {
                if (typeof v === "number") {
                    full(c, [], `${v} is a number: quote it ("${v.toFixed(2)}") so YAML keeps the version as written`);
                } else if (!/^1\.\d{2}$/.test(v)) {
                    full(c, [], `${showValue(v)} is not a Kubernetes minor version like "1.36"`);
                } else if (!EKS_VERSIONS.some((e) => e.version === v)) {
                    full(c, [], `${showValue(v)} is not in the EKS support calendar (policies/lib/eksVersions.ts): one of ${EKS_VERSIONS.map((e) => e.version).join(", ")}`);
                }
            })
            .transform(String),
        // Past standard support EKS keeps a STANDARD cluster going by upgrading it; EXTENDED keeps the
        // version at six times the control-plane price. Opt in, never by default.
        extendedSupport: z.boolean({ error: "is not true or false" }).default(false),
        access: list(object({
            principalArn: text().superRefine((arn, c) => {
                const problem = principalProblem(arn);
                if (problem) full(c, [], problem);
            }),
            policy: z.enum(["admin", "edit", "view"], { error: "is not one of admin, edit, view" }),
            namespaces: list(text().regex(DNS_LABEL, { error: "is not a namespace name" })).min(1, { error: "is empty: leave it out for cluster-wide access" }).optional(),
        })).superRefine((entries, c) => {
            const seen = new Map<string, number>();
            entries.forEach((e, i) => {
                if (seen.has(e.principalArn)) full(c, [i, "principalArn"], `${showValue(e.principalArn)} is already given access by access[${seen.get(e.principalArn)}]`);
                else seen.set(e.principalArn, i);
            });
        }).default([]),
        // Overrides of the pinned EKS add-on versions (infra/eksAddons.ts), e.g. after `aws eks describe-addon-versions`.
        addonVersions: object(Object.fromEntries(EKS_ADDONS.map((name) => [name,
            text().regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, { error: 'is not an EKS add-on version like "v1.14.3-eksbuild.3"' }).optional()])) as
            Record<typeof EKS_ADDONS[number], z.ZodOptional<z.ZodString>>).default({}),
        availabilityZones: whole()
            .min(2, { error: "is less than 2 (EKS needs subnets in two availability zones)" })
            .max(6, { error: "is more than 6" }),
        publicAccessCidrs: list(text()).superRefine((cidrs, c) => {
            cidrs.forEach((cidr, i) => {
                const problem = cidrProblem(cidr);
                if (problem) full(c, [i], problem);
                else if (cidr === "0.0.0.0/0" && production) {
                    full(c, [i], `"0.0.0.0/0" opens the production API endpoint to the internet: list your office/VPN CIDRs, or [] for a private endpoint`);
                }
            });
        }),
        logRetentionDays: whole().min(1, { error: "is less than 1" }).default(90),
        natGateways: z.enum(["single", "one-per-az"], { error: "is not one of single, one-per-az" })
            .default(production ? "one-per-az" : "single"),
    }), (cl, c, parsed) => {
        // pulumi-eks makes the creator an admin (bootstrapClusterCreatorAdminPermissions is hard-coded,
        // pulumi/pulumi-eks@v4.3.0:nodejs/eks/cluster/cluster.ts:733-741); production needs admins by name.
        if (production && input.delivery === undefined && parsed("access") && !cl.access.some((e) => e.policy === "admin" && !e.namespaces)) {
            full(c, ["access"], "names no cluster-wide admin: production needs one besides whoever created the cluster " +
                "(add {principalArn: role/<name>, policy: admin}, or configure eks-delivery:delivery, whose deploy role is admin)");
        }
        // kube-proxy must match the control plane's minor: a minor without pins needs explicit versions.
        if (!parsed("kubernetesVersion", "addonVersions")) return; // reported on the key
        if (!EKS_VERSIONS.some((e) => e.version === cl.kubernetesVersion)) return; // reported on the version
        const proxy = cl.addonVersions["kube-proxy"];
        if (proxy && !proxy.startsWith(`v${cl.kubernetesVersion}.`)) {
            full(c, ["addonVersions", "kube-proxy"], `${showValue(proxy)} is not a kube-proxy for Kubernetes ${cl.kubernetesVersion} (v${cl.kubernetesVersion}.x-eksbuild.N)`);
        }
        for (const addon of ["kube-proxy", "coredns"] as PinnedAddon[]) {
            if (!ADDON_PINS[cl.kubernetesVersion]?.[addon] && !cl.addonVersions[addon]) {
                full(c, ["addonVersions", addon], `is required for Kubernetes ${cl.kubernetesVersion}: no version is pinned for it ` +
                    `(policies/lib/eksVersions.ts pins ${Object.keys(ADDON_PINS).join(", ")}); see aws eks describe-addon-versions`);
            }
        }
    });

    const nodes = crossField(object({
        instanceTypes: list(text().superRefine((name, c) => {
            if (!catalog.find(name)) {
                const hint = nearest(name, catalog.names());
                full(c, [], `unknown instance type ${showValue(name)}${hint ? ` (did you mean ${hint}?)` : ""}`);
            }
        })).min(1, { error: "is empty: name at least one instance type" }),
        minSize: whole().min(1, { error: "is less than 1 (system pods need a node)" }),
        desiredSize: whole().min(0, { error: "is negative" }),
        maxSize: whole().min(1, { error: "is less than 1" }),
        autoscaler: z.enum(["cluster-autoscaler", "karpenter", "cpu-target"], {
            error: "is not one of cluster-autoscaler, karpenter, cpu-target",
        }).default("cluster-autoscaler"),
        cpuTargetPercent: whole().min(1, { error: "is not within 1..100" }).max(100, { error: "is not within 1..100" }).optional(),
        alertEmail: z.email({ error: "is not an e-mail address" }).optional(),
        // Managed nodes run the max pods EKS computes for the type (prefix delegation included); only a
        // custom AMI could change it, so the key documents the rule rather than choosing a number.
        maxPods: z.union([z.literal("auto"), number()], { error: 'is not "auto"' }).default("auto"),
        prefixDelegation: z.boolean({ error: "is not true or false" }).default(false),
        // Pinned: a new AMI replaces every node, so it happens when a person bumps this, not on a deploy.
        amiReleaseVersion: text().regex(AMI_RELEASE, {
            error: "is not an AL2023 EKS AMI release like \"1.36.2-20260714\" (aws ssm get-parameter --name /aws/service/eks/optimized-ami/<version>/amazon-linux-2023/x86_64/standard/recommended/release_version)",
        }),
        diskSizeGiB: whole().min(20, { error: "is less than 20 (the AL2023 image needs 20 GiB)" }).max(16384, { error: "is more than 16384" }).default(50),
    }), (n, c, parsed) => {
        if (parsed("minSize", "maxSize") && n.minSize > n.maxSize) full(c, ["minSize"], `${n.minSize} is greater than maxSize ${n.maxSize}`);
        if (parsed("minSize", "desiredSize") && n.desiredSize < n.minSize) full(c, ["desiredSize"], `${n.desiredSize} is less than minSize ${n.minSize}`);
        if (parsed("maxSize", "desiredSize") && n.desiredSize > n.maxSize) full(c, ["desiredSize"], `${n.desiredSize} is greater than maxSize ${n.maxSize}`);
        if (parsed("autoscaler") && n.autoscaler === "cpu-target") {
            if (n.cpuTargetPercent === undefined) full(c, ["cpuTargetPercent"], "is required when autoscaler is cpu-target");
            if (n.alertEmail === undefined) full(c, ["alertEmail"], "is required when autoscaler is cpu-target (scale events are e-mailed)");
        }
        if (!parsed("instanceTypes", "maxPods", "prefixDelegation")) return; // reported on the key
        const instances = n.instanceTypes.map((t) => catalog.find(t));
        if (instances.some((t) => !t)) return; // reported on the element
        const arches = new Set(instances.map((t) => t!.arch));
        if (arches.size > 1) {
            full(c, ["instanceTypes"], `${showValue(n.instanceTypes)} mixes amd64 and arm64: one node group runs one AMI architecture`);
        }
        const unknown = instances.find((t) => t!.maxEnis === undefined);
        if (unknown) {
            full(c, ["instanceTypes"], `${unknown.name} has no ENI facts in policies/data/ec2-instance-types.tsv, so its pods per node are unknown: choose another type`);
        } else if (typeof n.maxPods === "number") {
            const limit = Math.min(...instances.map((t) => maxPodsFor(t!, n.prefixDelegation)));
            full(c, ["maxPods"], `${n.maxPods} cannot be applied: managed nodes run the max pods EKS computes for the instance type ` +
                `(${limit} here${n.prefixDelegation ? ", with prefix delegation" : "; prefixDelegation: true raises it"}), which only a custom AMI could change: leave it "auto"`);
        }
    });

    // One registry, build once: the owner stack (dev) holds the repositories and builds each version
    // once; other stacks name it under `from` and deploy the digests it pushed (infra/registry.ts).
    const account = () => text().regex(/^\d{12}$/, { error: "is not a 12-digit AWS account id" });
    const registry = object({
        // Rollback reaches back this many release tags: fewer than 30 is refused.
        keepImages: whole().min(30, { error: "is less than 30 (rollbacks need the last 30 release tags)" }).max(10000, { error: "is more than 10000" }).default(30),
        untaggedExpiryDays: whole().min(1, { error: "is less than 1" }).default(7),
        // Owner only: accounts whose stacks pull from these repositories (cross-account pull).
        pullAccounts: list(account()).default([]),
        // Consumer only: the owner's account, repository prefix (`<project>-<stack>` of the owner) and region.
        from: object({
            account: account(),
            prefix: text().regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, { error: "is not an ECR repository prefix like eks-delivery-dev" }),
            region: region().optional(),
        }).optional(),
    }).superRefine((r, c) => {
        if (r.from && r.pullAccounts.length > 0) {
            full(c, ["pullAccounts"], "is set on a stack that pulls from another registry (from): only the owner grants pulls");
        }
    });

    const cost = object({
        hoursPerMonth: number().positive({ error: "is not positive" }).max(744, { error: "is more than the 744 hours of the longest month" }).default(730),
        // A team's negotiated rates, by instance type or price id (policies/lib/prices.ts): USD per the price's
        // unit (per hour for instance types and the hourly items), replacing the list price (policies/cost.ts).
        // Keys and values checked together, so a bad key is reported beside a bad value.
        // The value is checked here, with its key, not by zod (so a bad key and a bad value are both reported);
        // its metadata gives the JSON Schema the value's type and the keys' examples. `prefault`: the input-side
        // default, which the JSON Schema (io: "input") keeps through the transform.
        prices: z.record(
            text().meta({ examples: [...PRICE_IDS, "m6i.large"] }),
            z.unknown().meta({ type: "number", minimum: 0 }),
            { error: "is not a mapping" },
        ).superRefine((prices, c) => {
            for (const [key, value] of Object.entries(prices)) {
                if (!catalog.find(key) && !(PRICE_IDS as readonly string[]).includes(key)) {
                    const hint = nearest(key, [...PRICE_IDS, ...catalog.names()]);
                    full(c, [key], `is neither an instance type nor a price id (${PRICE_IDS.join(", ")})${hint ? `: did you mean ${hint}?` : ""}`);
                } else if (typeof value !== "number" || !Number.isFinite(value)) full(c, [key], `${showValue(value)} is not a number`);
                else if (value < 0) full(c, [key], `${showValue(value)} is negative`);
            }
        }).transform((prices) => prices as Record<string, number>).prefault({}),
        // CloudWatch Logs the stack ships per month (GB): unknown offline, so logs are counted only when stated.
        logsGiBPerMonth: number().nonnegative({ error: "is negative" }).optional(),
    });

    const service = crossField(object({
        name: text().regex(DNS_LABEL, { error: "is not a DNS-1123 label (lower-case letters, digits and '-')" })
            .max(40, { error: "is longer than 40 characters (it prefixes Kubernetes and AWS names)" }),
        path: text().min(1, { error: "is empty" }).superRefine((context, c) => {
            const problem = buildContextProblem(ctx.projectRoot, context);
            if (problem) full(c, [], problem);
        }),
        port: whole().min(1, { error: "is not within 1..65535" }).max(65535, { error: "is not within 1..65535" }),
        healthPath: text().startsWith("/", { error: "does not start with /" }).default("/healthz"),
        readinessPath: text().startsWith("/", { error: "does not start with /" }).default("/readyz"),
        replicas: object({
            min: whole().min(1, { error: "is less than 1" }),
            max: whole().min(1, { error: "is less than 1" }),
        }).superRefine((r, c) => {
            if (r.min > r.max) full(c, ["min"], `${r.min} is greater than max ${r.max}`);
        }).default({ min: 2, max: 10 }),
        cpuTargetPercent: whole().min(1, { error: "is not within 1..100" }).max(100, { error: "is not within 1..100" }).default(30),
        resources: object({
            // Ephemeral storage (logs, the writable layer, emptyDir): the kubelet evicts a pod over its limit
            // instead of letting one noisy pod fill the node's disk and evict its neighbours. 1Gi covers the
            // kubelet's rotated logs (containerLogMaxSize 10Mi x containerLogMaxFiles 5) and the 64Mi /tmp.
            requests: object({ cpu: quantity("cpu"), memory: quantity("memory"), ephemeralStorage: quantity("memory").default("128Mi") }),
            limits: object({ memory: quantity("memory"), cpu: quantity("cpu").optional(), ephemeralStorage: quantity("memory").default("1Gi") }),
        }).superRefine((r, c) => {
            // Compared only when both sides parsed: a bad quantity is reported on its own key.
            const both = (a?: string, b?: string) => a !== undefined && b !== undefined && isQuantity(a) && isQuantity(b);
            if (both(r.limits.memory, r.requests.memory) && memoryMiB(r.limits.memory) < memoryMiB(r.requests.memory)) {
                full(c, ["limits", "memory"], `${showValue(r.limits.memory)} is less than the request ${showValue(r.requests.memory)}`);
            }
            if (both(r.limits.cpu, r.requests.cpu) && cpuMillicores(r.limits.cpu!) < cpuMillicores(r.requests.cpu)) {
                full(c, ["limits", "cpu"], `${showValue(r.limits.cpu)} is less than the request ${showValue(r.requests.cpu)}`);
            }
            if (both(r.limits.ephemeralStorage, r.requests.ephemeralStorage) && memoryMiB(r.limits.ephemeralStorage) < memoryMiB(r.requests.ephemeralStorage)) {
                full(c, ["limits", "ephemeralStorage"], `${showValue(r.limits.ephemeralStorage)} is less than the request ${showValue(r.requests.ephemeralStorage)}`);
            }
        }),
        strategy: z.enum(["rolling", "blue-green"], { error: "is not one of rolling, blue-green" }).default("rolling"),
        // maxUnavailable is always 0, so a rollout must be allowed to surge.
        maxSurge: z.union([
            text().regex(/^([1-9]\d?|100)%$/, { error: 'is not a surge like "25%" (1..100%) or a pod count >= 1' }),
            whole().min(1, { error: 'is not a surge like "25%" (1..100%) or a pod count >= 1' }),
        ], { error: 'is not a surge like "25%" (1..100%) or a pod count >= 1' }).default("25%"),
        host: text().toLowerCase().regex(HOSTNAME, { error: "is not a DNS host name" }).optional(),
        secrets: list(text().regex(SECRET_NAME, { error: "is not a Secrets Manager secret name" })).default([]),
    }), (s, c, parsed) => {
        if (parsed("name", "strategy")) {
            for (const problem of serviceNameProblems(s.name, s.strategy === "blue-green")) full(c, ["name"], problem);
        }
        if (parsed("healthPath", "readinessPath") && s.healthPath === s.readinessPath) {
            full(c, ["readinessPath"], `${showValue(s.readinessPath)} is the same as healthPath: readiness must be able to fail (drain) while liveness passes`);
        }
    });

    const images = object({
        // PR previews often run where no Docker daemon is: build on `pulumi up` only unless asked.
        buildOnPreview: z.boolean({ error: "is not true or false" }).default(false),
        // Build linux/amd64 and linux/arm64 whatever the node types (e.g. for a mixed Karpenter pool).
        multiArch: z.boolean({ error: "is not true or false" }).default(false),
        // A buildx builder to build on (e.g. one created with `docker buildx create --driver remote
        // tcp://buildkitd:1234`): where the deploy runs without a Docker daemon.
        builder: text().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: "is not a buildx builder name" }).optional(),
    });

    const dns = object({
        // The stack's Route53 public zone: external-dns writes records only under it.
        zone: text().toLowerCase().regex(HOSTNAME, { error: "is not a DNS zone name like dev.example.com" }),
    });
    const mesh = object({ enabled: z.boolean({ error: "is not true or false" }).default(false) });
    // gateway: the AWS Load Balancer Controller's ALB through Gateway API; nginx: the retired ingress-nginx behind an NLB.
    const ingress = object({ controller: z.enum(INGRESS_CONTROLLERS, { error: `is not one of ${INGRESS_CONTROLLERS.join(", ")}` }).default("gateway") });
    // Per add-on: turn it off, or merge values over the program's (checked against the chart before anything runs).
    const addon = object({
        enabled: z.boolean({ error: "is not true or false" }).optional(),
        values: z.record(z.string(), z.unknown(), { error: "is not a mapping" }).optional(),
    });
    const addons = object(Object.fromEntries(ADDON_NAMES.map((name) => [name, addon.optional()])) as Record<typeof ADDON_NAMES[number], z.ZodOptional<typeof addon>>);
    const monitoring = object({
        // Secrets Manager entry with the Grafana admin `admin-user`/`admin-password` (never in Pulumi).
        grafanaAdminSecret: text().regex(SECRET_NAME, { error: "is not a Secrets Manager secret name" }).default(`${ctx.stack}/grafana-admin`),
        // Prometheus keeps its TSDB on an EBS gp3 volume per replica: this many days, in this many GiB.
        retentionDays: whole().min(1, { error: "is less than 1" }).max(3650, { error: "is more than 3650" }).default(15),
        storageGiB: whole().min(10, { error: "is less than 10" }).max(16384, { error: "is more than 16384" }).default(50),
    });

    const deliveryKey = `${NAMESPACE}:delivery`;
    const delivery = object({
        organization: text().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/, { error: "is not a Pulumi organization name" }),
        repository: text().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: "is not a GitHub repository like owner/name" }),
        branch: text().regex(/^[A-Za-z0-9._/-]+$/, { error: "is not a branch name" }).default("main"),
        slackWebhookUrl: text().superRefine((url, c) => {
            if (!(ctx.secretKeys ?? []).includes(deliveryKey)) {
                full(c, [], `is not a secret: set it with \`pulumi config set --secret --path ${deliveryKey}.slackWebhookUrl <url>\``);
            } else if (url !== SECRET_PLACEHOLDER && !/^https:\/\/hooks\.slack\.com\/\S+$/.test(url)) {
                full(c, [], "is not a Slack incoming-webhook URL (https://hooks.slack.com/...)");
            }
        }).optional(),
        // The account's GitHub and Pulumi OIDC providers, per issuer: created by one stack per account, looked
        // up by the others. A single create|lookup is shorthand for both.
        oidcProviders: z.union([
            oidcProviderMode().transform((mode) => ({ github: mode, pulumi: mode })),
            object({ github: oidcProviderMode().default("create"), pulumi: oidcProviderMode().default("create") }),
        ], { error: "is not create, lookup, or {github: create|lookup, pulumi: create|lookup}" }).default({ github: "create", pulumi: "create" }),
        // The GitHub environment whose jobs may assume this stack's deploy role (repo:<owner>/<repo>:environment:<name>).
        githubEnvironment: text().regex(/^[A-Za-z0-9._-]{1,255}$/, { error: "is not a GitHub environment name" }).default(ctx.stack),
        // A Pulumi customer-managed agent pool inside the VPC: required when the API endpoint is not public.
        agentPoolId: text().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { error: "is not a Pulumi agent pool id (a UUID)" }).optional(),
        // Drift detection (cron, UTC) through Pulumi Deployments; production defaults to every 6 hours.
        driftSchedule: text().regex(/^(\S+\s+){4}\S+$/, { error: 'is not a five-field cron expression like "0 */6 * * *"' }).optional(),
    });

    // Route53 weighted records between this stack's edge and a legacy target (infra/edge/cutover.ts).
    const cutover = object({
        record: text().toLowerCase().regex(HOSTNAME, { error: "is not a DNS host name" }),
        weights: object({
            eks: whole().min(0, { error: "is not within 0..255" }).max(255, { error: "is not within 0..255" }),
            legacy: whole().min(0, { error: "is not within 0..255" }).max(255, { error: "is not within 0..255" }),
        }).superRefine((w, c) => {
            // Route53 splits evenly when every weight is 0: say so rather than mean it by accident.
            if (w.eks === 0 && w.legacy === 0) full(c, [], "are both 0: Route53 would split traffic evenly; give one side a weight");
        }),
        legacy: object({
            dnsName: text().toLowerCase().regex(HOSTNAME, { error: "is not a DNS host name" }),
            // The target's hosted zone (an ALB/NLB's canonical zone, CloudFront's Z2FDTNDATAQYW2): alias records; else CNAMEs.
            zoneId: text().regex(/^Z[A-Z0-9]{1,31}$/, { error: "is not a Route53 hosted zone id" }).optional(),
        }),
        healthCheckPath: text().startsWith("/", { error: "does not start with /" }).optional(),
    });

    return crossField(z.strictObject({
        region: region(),
        environment: z.enum(ENVIRONMENTS, { error: `is not one of ${ENVIRONMENTS.join(", ")}` }),
        delivery: delivery.optional(),
        dns: dns.optional(),
        mesh: mesh.default({ enabled: false }),
        ingress: ingress.prefault({}),
        addons: addons.default({}),
        monitoring: monitoring.prefault({}),
        version: text().refine(isDeployableVersion, { error: "is not usable as an image tag and label (letters, digits, '.', '_', '-'; at most 63)" }).optional(),
        // Deploy the images of this already-pushed version and build nothing: a promotion or a rollback.
        release: text().refine(isDeployableVersion, { error: "is not usable as an image tag and label (letters, digits, '.', '_', '-'; at most 63)" }).optional(),
        cutover: cutover.optional(),
        images: images.default({ buildOnPreview: false, multiArch: false }),
        cluster,
        nodes: crossField(nodes, (n, c, parsed) => {
            if (!parsed("amiReleaseVersion")) return;
            const clusterVersion = (input.cluster as { kubernetesVersion?: unknown } | undefined)?.kubernetesVersion;
            const minor = AMI_RELEASE.exec(n.amiReleaseVersion)?.[1];
            const known = EKS_VERSIONS.some((e) => e.version === clusterVersion); // else reported on the version
            if (minor && known && minor !== clusterVersion) {
                full(c, ["amiReleaseVersion"], `${showValue(n.amiReleaseVersion)} is an AMI for Kubernetes ${minor}, but cluster.kubernetesVersion is ${showValue(clusterVersion)}`);
            }
        }),
        registry: registry.default({ keepImages: 30, untaggedExpiryDays: 7, pullAccounts: [] }),
        cost: cost.prefault({ hoursPerMonth: 730, prices: {} }),
        services: crossField(list(service).min(1, { error: "is empty: list at least one service" }), (services, c, parsed) => {
            if (!Array.isArray(services)) return;
            if (services.length > MAX_SERVICES) {
                full(c, [], `lists ${services.length} services: one stack deploys at most ${MAX_SERVICES} (all in its one namespace; see docs/reference/configuration.md)`);
            }
            const zone = (input.dns as { zone?: unknown } | undefined)?.zone;
            services.forEach((s, i) => {
                if (!parsed([i, "host"]) || !s.host) return;
                if (typeof zone !== "string") full(c, [i, "host"], `${showValue(s.host)} needs eks-delivery:dns.zone (the Route53 zone it lives in)`);
                else if (s.host !== zone.toLowerCase() && !s.host.endsWith(`.${zone.toLowerCase()}`)) {
                    full(c, [i, "host"], `${showValue(s.host)} is not under the stack's DNS zone ${showValue(zone)}`);
                }
            });
            const seen = new Map<string, number>();
            services.forEach((s, i) => {
                if (!parsed([i, "name"])) return;
                if (seen.has(s.name)) full(c, [i, "name"], `${showValue(s.name)} is already the name of services[${seen.get(s.name)}]`);
                else seen.set(s.name, i);
            });
            const hosts = new Map<string, number>();
            services.forEach((s, i) => {
                if (!parsed([i, "host"]) || !s.host) return;
                if (hosts.has(s.host)) full(c, [i, "host"], `${showValue(s.host)} is already the host of services[${hosts.get(s.host)}]`);
                else hosts.set(s.host, i);
            });
        }),
    }), (v, c, parsed) => {
        if (parsed("version", "release") && v.version !== undefined && v.release !== undefined) {
            full(c, ["release"], `${showValue(v.release)} and version ${showValue(v.version)} are both set: version names a build, release deploys one already pushed`);
        }
        const zone = parsed("dns") ? v.dns?.zone : undefined;
        if (parsed("cutover", "dns", "ingress") && v.cutover) {
            if (!zone) full(c, ["cutover", "record"], `${showValue(v.cutover.record)} needs eks-delivery:dns.zone (the Route53 zone it lives in)`);
            else if (v.cutover.record !== zone && !v.cutover.record.endsWith(`.${zone}`)) {
                full(c, ["cutover", "record"], `${showValue(v.cutover.record)} is not under the stack's DNS zone ${showValue(zone)}`);
            }
            if (v.ingress.controller !== "gateway") full(c, ["cutover"], "needs the gateway edge (eks-delivery:ingress.controller: gateway): its ALB is the EKS side of the records");
            if (v.cutover.record === zone && !v.cutover.legacy.zoneId) {
                full(c, ["cutover", "legacy", "zoneId"], "is required for the zone apex: a CNAME cannot sit there, so the legacy target must be an alias");
            }
        }
        if (!parsed("delivery") || !v.delivery) return;
        {
            // Hosted Deployments runners reach only a public endpoint open to every address.
            const open = parsed(["cluster", "publicAccessCidrs"]) && v.cluster.publicAccessCidrs.includes("0.0.0.0/0");
            if (parsed(["cluster", "publicAccessCidrs"]) && !open && v.delivery.agentPoolId === undefined) {
                const endpoint = v.cluster.publicAccessCidrs.length === 0 ? "private" : `restricted to ${v.cluster.publicAccessCidrs.join(", ")}`;
                full(c, ["delivery", "agentPoolId"], `is required: the API endpoint is ${endpoint}, so Pulumi-hosted Deployments cannot reach it ` +
                    "(run a customer-managed agent pool in the VPC and name it here; see docs/private-clusters.md)");
            }
            // The permissions boundary lets the stack's roles read secrets under <stack>/ only (infra/identities.ts).
            const prefix = `${ctx.stack}/`;
            if (Array.isArray(v.services)) v.services.forEach((svc, i) => parsed(["services", i, "secrets"]) && svc.secrets.forEach((name, j) => {
                if (!name.startsWith(prefix)) full(c, ["services", i, "secrets", j], `${showValue(name)} is not under ${prefix}: the permissions boundary of eks-delivery:delivery lets the stack read only secrets named ${prefix}...`);
            }));
            if (parsed("monitoring") && !v.monitoring.grafanaAdminSecret.startsWith(prefix)) {
                full(c, ["monitoring", "grafanaAdminSecret"], `${showValue(v.monitoring.grafanaAdminSecret)} is not under ${prefix}: the permissions boundary of eks-delivery:delivery lets the stack read only secrets named ${prefix}...`);
            }
            // A build needs a Docker daemon: the agent's host, or a remote builder.
            const builds = parsed("registry", "release", "images") && v.registry.from === undefined && v.release === undefined;
            if (builds && v.delivery.agentPoolId === undefined && v.images.builder === undefined) {
                full(c, ["images", "builder"], "is required: this stack builds images under Pulumi Deployments, whose hosted runners have no Docker daemon " +
                    "(name a remote buildx builder, or set delivery.agentPoolId to build on your agents; see docs/private-clusters.md)");
            }
        }
    });
}

/** Returns what is wrong with a service build context, or undefined when it is usable. */
function buildContextProblem(projectRoot: string, context: string): string | undefined {
    if (path.isAbsolute(context) || path.normalize(context).startsWith("..")) {
        return `${showValue(context)} is not a path inside the project (it must be relative, e.g. apps/services/api)`;
    }
    const dir = path.join(projectRoot, context);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return `${showValue(context)} does not exist (no such directory)`;
    if (!fs.existsSync(path.join(dir, "Dockerfile"))) return `${showValue(context)} has no Dockerfile`;
    return undefined;
}

/**
 * Config namespaces of the providers and tools a stack may configure: their own keys pass unread.
 * Any other namespace close to one of these (or to the project's) is a typo; anything else is left alone.
 */
export const PROVIDER_NAMESPACES = ["aws", "kubernetes", "pulumi", "eks", "docker", "docker-build", "pulumiservice", "tls", "random", "command"] as const;

/** The keys this project reads; anything else under `eks-delivery:` is a typo. */
export const KNOWN_KEYS = ["environment", "cluster", "nodes", "registry", "cost", "services", "images", "version", "release", "dns", "mesh", "ingress", "addons", "monitoring", "delivery", "cutover"] as const;
const REQUIRED_KEYS = ["environment", "cluster", "nodes", "services"] as const;

function keyPath(segments: readonly PropertyKey[]): string {
    const [head, ...rest] = segments;
    let out = head === "region" ? "aws:region" : `${NAMESPACE}:${String(head)}`;
    for (const s of rest) out += typeof s === "number" ? `[${s}]` : `.${String(s)}`;
    return out;
}

function describe(issue: z.core.$ZodIssue): string[] {
    if (issue.code === "unrecognized_keys") {
        return issue.keys.map((key) => `${keyPath([...issue.path, key])}: unknown key`);
    }
    const where = keyPath(issue.path);
    if (issue.code === "custom" && issue.params?.full) return [`${where}: ${issue.message}`];
    if (issue.input === undefined) return [`${where}: is required`];
    return [`${where}: ${showValue(issue.input)} ${issue.message}`];
}

/** The candidate a misspelling was probably meant to be: close enough to be a typo, else none. */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
    const list = [...candidates];
    if (list.length === 0) return undefined;
    const guess = closest(word, list);
    return guess !== word && distance(word, guess) <= Math.max(2, Math.floor(word.length / 3)) ? guess : undefined;
}

/**
 * The namespace a misspelt one was meant to be. This project's own by the usual closeness (its keys
 * would be silently ignored); a provider's only one edit away and at five letters or more, since real
 * namespaces sit close to the short ones (`awsx`, `esc`, `k8s`, `dns` are not typos of `aws` or `eks`).
 */
function namespaceTypo(namespace: string): string | undefined {
    const own = nearest(namespace, [NAMESPACE]);
    if (own) return own;
    if (namespace.length < 5) return undefined;
    return PROVIDER_NAMESPACES.find((known) => distance(namespace, known) === 1);
}

/** Suggests the known key or field a misspelt one was meant to be. */
function withSuggestion(problem: string, known: readonly string[]): string {
    const match = /:([A-Za-z0-9_-]+): unknown key$/.exec(problem) ?? /\.([A-Za-z0-9_-]+): unknown key$/.exec(problem);
    if (!match || known.length === 0) return problem;
    const guess = nearest(match[1], known);
    return guess ? `${problem} (did you mean ${guess}?)` : problem;
}

/**
 * Validates the stack's configuration values (keys as in the stack file, structured values already
 * parsed) and returns the typed config; throws StackConfigError listing every problem found.
 */
export function validateStackConfig(values: Record<string, unknown>, ctx: ValidationContext): StackConfig {
    const problems: string[] = [];
    const input: Record<string, unknown> = { region: values["aws:region"] };
    const namespaces = [NAMESPACE, ...PROVIDER_NAMESPACES];
    const fullKeys = ["aws:region", ...KNOWN_KEYS.map((k) => `${NAMESPACE}:${k}`)];
    for (const [key, value] of Object.entries(values)) {
        const colon = key.indexOf(":");
        if (colon < 0) {
            // Pulumi refuses these (pulumi/pulumi@v3.248.0:sdk/go/common/resource/config/key.go ParseKey).
            const guess = nearest(key, fullKeys);
            problems.push(`${key}: is not a configuration key: keys are <namespace>:<name>${guess ? ` (did you mean ${guess}?)` : ""}`);
            continue;
        }
        const namespace = key.slice(0, colon);
        const name = key.slice(colon + 1);
        if (namespace !== NAMESPACE) {
            const guess = namespaces.includes(namespace) ? undefined : namespaceTypo(namespace);
            if (guess) problems.push(`${key}: unknown configuration namespace ${showValue(namespace)} (did you mean ${guess}:${name}?)`);
            else if (namespace === "aws" && name !== "region" && distance(name, "region") <= 2) problems.push(`${key}: is not read (did you mean aws:region?)`);
            continue;
        }
        if ((KNOWN_KEYS as readonly string[]).includes(name)) input[name] = value;
        else problems.push(withSuggestion(`${key}: unknown key`, KNOWN_KEYS));
    }
    const raw = (key: string) => values[`${NAMESPACE}:${key}`] as Record<string, unknown> | undefined;
    problems.push(...stackNameProblems({
        project: ctx.project,
        stack: ctx.stack,
        karpenter: typeof raw("nodes") === "object" && raw("nodes")?.autoscaler === "karpenter",
        delivery: raw("delivery") !== undefined,
    }));
    for (const key of REQUIRED_KEYS) {
        if (input[key] === undefined) problems.push(`${NAMESPACE}:${key}: is required`);
    }
    if (input.region === undefined) problems.push("aws:region: is required (e.g. aws:region: ap-northeast-2)");

    const schema = stackSchema(ctx, input);
    const result = schema.safeParse(input, { reportInput: true });
    if (!result.success) {
        for (const issue of result.error.issues) {
            const top = issue.path.length === 1 ? String(issue.path[0]) : undefined;
            if (issue.input === undefined && top && [...REQUIRED_KEYS, "region"].includes(top)) continue; // listed above
            for (const line of describe(issue)) problems.push(withSuggestion(line, knownFieldsAt(schema, issue.path)));
        }
    }
    if (!result.success) {
        problems.push(...(ctx.checks ?? []).flatMap((check) => partialCheck(check, schema, input, result.error.issues)));
        throw new StackConfigError(problems, ctx.file);
    }
    const typed = withNodeFacts(result.data, ctx);
    problems.push(...(ctx.checks ?? []).flatMap((check) => check.problems(typed)));
    if (problems.length > 0) throw new StackConfigError(problems, ctx.file);
    return typed;
}

/**
 * A check's problems when the config as a whole did not parse: given only what it reads, each path parsed
 * on its own with the schema's field there (defaults applied); none when one of those paths is wrong.
 */
function partialCheck(check: ConfigCheck, schema: ReturnType<typeof stackSchema>, input: Record<string, unknown>, issues: readonly z.core.$ZodIssue[]): string[] {
    const wrong = issues.filter((i) => i.code !== "unrecognized_keys").map((i) => i.path.map(String));
    const config: Record<string, any> = {};
    for (const read of check.reads) {
        const at = read.split(".");
        // Wrong at the path, above it (a section that is not a mapping) or under it.
        if (wrong.some((p) => p.slice(0, at.length).every((segment, k) => segment === at[k]))) return [];
        const field = fieldAt(schema, at);
        const parsed = field?.safeParse(at.reduce<any>((value, key) => (isRecord(value) ? value[key] : undefined), input));
        if (!parsed?.success) return [];
        at.slice(0, -1).reduce((parent, key) => (parent[key] ??= {}), config)[at[at.length - 1]] = parsed.data;
    }
    return check.problems(config as StackConfig);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

type ZodDef = { type: string; innerType?: z.ZodType; in?: z.ZodType; shape?: Record<string, z.ZodType>; element?: z.ZodType; options?: z.ZodType[] };
const zodDef = (schema: z.ZodType) => (schema as unknown as { _zod: { def: ZodDef } })._zod.def;

/** The schema under defaults, optionals and pipes; of a union of a shorthand and a mapping (delivery.oidcProviders), the mapping. */
function unwrapped(schema: z.ZodType): z.ZodType {
    const d = zodDef(schema);
    const mapping = d.type === "union" ? d.options?.map(unwrapped).find((o) => zodDef(o).shape) : undefined;
    const inner = d.innerType ?? (d.type === "pipe" ? d.in : undefined) ?? mapping;
    return inner ? unwrapped(inner) : schema;
}

/** The field's schema at a path (object keys, list indexes), as declared: its default still applies. */
function fieldAt(root: z.ZodType, at: readonly PropertyKey[]): z.ZodType | undefined {
    let node: z.ZodType | undefined = root;
    for (const segment of at) {
        if (!node) return undefined;
        const d = zodDef(unwrapped(node));
        node = typeof segment === "number" ? d.element : d.shape?.[String(segment)];
    }
    return node;
}

function withNodeFacts(config: z.output<ReturnType<typeof stackSchema>>, ctx: ValidationContext): StackConfig {
    const instances = config.nodes.instanceTypes.map((t) => ctx.catalog.get(t));
    const addressable = Math.min(...instances.map((t) => maxPodsFor(t, config.nodes.prefixDelegation)));
    return {
        project: ctx.project,
        stack: ctx.stack,
        region: config.region,
        environment: config.environment,
        cluster: config.cluster,
        nodes: {
            ...config.nodes,
            instances,
            maxPods: addressable,
            arch: instances[0].arch,
        },
        registry: config.registry,
        cost: config.cost,
        services: config.services,
        images: config.images,
        version: config.version,
        release: config.release,
        cutover: config.cutover,
        dns: config.dns,
        delivery: config.delivery,
        mesh: config.mesh,
        ingress: config.ingress,
        addons: config.addons,
        monitoring: config.monitoring,
    };
}

/** Field names the schema allows at a path, for "did you mean" on unknown keys (the unknown key was in the mapping of a union). */
function knownFieldsAt(root: z.ZodType, issuePath: readonly PropertyKey[]): string[] {
    const node = fieldAt(root, issuePath);
    return node ? Object.keys(zodDef(unwrapped(node)).shape ?? {}) : [];
}
