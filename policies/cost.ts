/**
 * The itemised monthly cost of a stack, from its resources as the plan records them, at minimum (node
 * groups at minSize, workloads at their floor) and at peak (maxSize, HPAs at maxReplicas), with each
 * price's region, source and date (policies/data/prices/, policies/lib/prices.ts). Written by the plan as
 * cost.json. Prices are the stack region's list prices where a public fact is vendored, AWS's one price
 * for every region where it publishes one, else us-east-1's, and the report's first line says which.
 * A team's negotiated rates (`eks-delivery:cost.prices`) replace any of them. What is not counted (traffic,
 * LCUs, log volume unless stated, ...) is listed with the report.
 */
import { InstanceCatalog } from "./lib/instanceTypes";
import { ALL_REGIONS, FALLBACK_REGION, loadPriceBook, Price, PriceBook } from "./lib/prices";
import { launchTemplateOf, nodeGroupResources, nodeGroupsOf } from "./capacity";
import { guardResource, type StackResource } from "./framework";
import { KubeIndex } from "./kubernetes";
import { known } from "./unknowns";
import { isQuantity } from "./lib/quantity";
import { supportStatus } from "./lib/eksVersions";

export interface CostOptions {
    /** The stack's `aws:region`. */
    region: string;
    hoursPerMonth: number;
    /** The day (YYYY-MM-DD, UTC) the EKS support calendar is read on: it decides standard or extended control-plane pricing. */
    today: string;
    /** Negotiated rates: instance type or price id -> USD per the price's unit (per hour for hourly prices). */
    prices?: Record<string, number>;
    /** CloudWatch Logs the stack ships per month, in GB (volume is unknown offline: no logs items without it). */
    logsGiBPerMonth?: number;
}

export interface CostItem {
    id: string;
    label: string;
    /** What one unit of `quantity` is billed as: `node-hour`, `cluster-hour`, `GB-month`, `key-month`, ... */
    unit: string;
    quantity: { min: number; max: number };
    /** The price key (instance type or price id) an override names. */
    priceId: string;
    /** USD per unit; hourly units are multiplied by hoursPerMonth. Null: no price known (counted as 0, listed in notCounted). */
    usdPerUnit: number | null;
    /** The price's region, `*` (one price for every region), or `override`. */
    priceRegion: string;
    source: string;
    /** Date the price was read or generated. */
    read: string;
    monthlyUsd: { min: number; max: number };
}

export interface CostOverride {
    key: string;
    usdPerUnit: number;
    /** The list price it replaces, when the stack uses the key. */
    replaced: { usdPerUnit: number; priceRegion: string } | null;
    /** Items priced with it (none: the stack does not use the key). */
    items: string[];
}

export interface CostReport {
    region: string;
    /** The region whose list prices were used (the stack's own, or us-east-1 when none are vendored for it). */
    pricesFrom: string;
    firstLine: string;
    hoursPerMonth: number;
    items: CostItem[];
    overrides: CostOverride[];
    monthlyUsd: { min: number; max: number };
    notCounted: string[];
}

const round2 = (x: number) => Math.round(x * 100) / 100;
/** GiB in a Kubernetes quantity (`50Gi`, `100G`, `1Ti`), or undefined. */
export function storageGiB(quantity: unknown): number | undefined {
    if (typeof quantity === "number") return quantity / 2 ** 30;
    if (typeof quantity !== "string" || !isQuantity(quantity)) return undefined;
    const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(quantity.trim());
    if (!m) return undefined;
    const factor: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };
    return (Number(m[1]) * (m[2] ? factor[m[2]] : 1)) / 2 ** 30;
}

/** The EC2 us-east-1 prices of the instance catalog (policies/data/README.md, source 3), as fallback rows. */
export function catalogPrices(catalog: InstanceCatalog): Price[] {
    return catalog.names().flatMap((name) => {
        const usd = catalog.find(name)?.usdPerHour;
        return usd === undefined ? [] : [{
            id: name, unit: "hour", usdPerUnit: usd, region: FALLBACK_REGION, read: "2026-07-20",
            source: "aws/karpenter-provider-aws@1d927085dd81a9df9301e613f371dac5b4d16bfe:pkg/providers/pricing/zz_generated.pricing_aws.go (policies/data/ec2-instance-types.tsv)",
        }];
    });
}

/** The resource's props, guarded: values unknown in a preview read as the fallback. */
const read = <T>(f: () => T, fallback: T) => known(f, fallback);

interface Counted { id: string; label: string; unit: string; priceId: string; min: number; max: number; hourly: boolean }

export function costReport(stackResources: StackResource[], catalog: InstanceCatalog, options: CostOptions, book: PriceBook = loadPriceBook(catalogPrices(catalog))): CostReport {
    const resources = stackResources.map(guardResource);
    const kube = new KubeIndex(resources);
    const counted: Counted[] = [];
    const notCounted: string[] = [];
    const add = (c: Counted) => { if (c.max > 0) counted.push(c); };

    // Nodes: each node group at minSize and at maxSize, on the instance type capacity plans for.
    const groups = nodeGroupsOf(resources, catalog);
    for (const g of groups) {
        add({ id: `nodes/${g.name}`, label: `node group ${g.name}: ${g.instanceType} nodes`, unit: "node-hour", priceId: g.instanceType, min: g.minSize, max: g.maxSize, hourly: true });
    }
    if (resources.some((r) => read(() => r.props?.kind === "NodePool" && String(r.props.apiVersion ?? "").startsWith("karpenter.sh/"), false))) {
        notCounted.push("nodes Karpenter launches for its NodePools (their number follows the pods; set a node group's maxSize to budget them)");
    }

    // Node root volumes: the launch template's EBS mappings (else the node group's diskSize, EKS's default 20 GiB) x nodes.
    const templates = resources.filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate");
    let rootMin = 0;
    let rootMax = 0;
    for (const r of nodeGroupResources(resources)) {
        const g = groups.find((x) => x.name === r.name);
        if (!g) continue;
        const template = read(() => launchTemplateOf(r, templates), undefined);
        const mappings: any[] = read(() => template?.props.blockDeviceMappings ?? [], []);
        const gp3 = mappings.filter((m) => read(() => (m.ebs?.volumeType ?? "gp3") === "gp3", true));
        const other = mappings.length - gp3.length;
        if (other > 0) notCounted.push(`${other} non-gp3 root volume mapping(s) of ${g.name} (only gp3 is priced)`);
        const perNode = mappings.length
            ? gp3.reduce((sum, m) => sum + read(() => Number(m.ebs?.volumeSize ?? 0), 0), 0)
            : read(() => Number(r.props.diskSize ?? 20), 20);
        rootMin += perNode * g.minSize;
        rootMax += perNode * g.maxSize;
    }
    add({ id: "ebs-node-volumes", label: "EBS gp3 root volumes of the nodes", unit: "GB-month", priceId: "ebs-gp3", min: rootMin, max: rootMax, hourly: false });

    // The EKS control plane: EKS bills extended support only for a version past standard support on a cluster whose
    // upgradePolicy.supportType is EXTENDED (EKS's default); a STANDARD cluster is upgraded instead, at the standard price.
    const clusters = resources.filter((r) => r.type === "eks:index:Cluster");
    const controlPlanes = clusters.length ? clusters : resources.filter((r) => r.type === "aws:eks/cluster:Cluster");
    const supportCount = { standard: 0, extended: 0 };
    for (const c of controlPlanes) {
        const supportType = read(() => String(c.props.upgradePolicy?.supportType ?? "EXTENDED").toUpperCase(), "EXTENDED");
        const version = read(() => (c.props.version === undefined ? undefined : String(c.props.version)), undefined);
        const status = version === undefined ? undefined : supportStatus(version, options.today);
        if (!status) {
            notCounted.push(`extended support of EKS cluster ${c.name}: Kubernetes version ${version ?? "(unknown)"} is not in the EKS calendar (policies/lib/eksVersions.ts) on ${options.today}; priced at standard support`);
        }
        supportCount[status && status.phase !== "standard" && supportType === "EXTENDED" ? "extended" : "standard"] += 1;
    }
    for (const support of ["standard", "extended"] as const) {
        const n = supportCount[support];
        add({ id: "eks-control-plane", label: `EKS control plane (${support} support)`, unit: "cluster-hour", priceId: `eks-control-plane-${support}`, min: n, max: n, hourly: true });
    }

    // NAT gateways: the ones declared, else the awsx VPC's strategy over its AZs (pulumi/pulumi-awsx@v3.8.0
    // awsx/ec2/vpc.ts:124-132,658: availabilityZoneNames, else numberOfAvailabilityZones, else 3; the file
    // is unchanged in the newest stored snapshot after v3.8.0; the installed 3.9.0 holds only the generated
    // SDK, as the component runs in its provider).
    const vpcs = resources.filter((r) => r.type === "awsx:ec2:Vpc");
    const azsOf = (v: StackResource) => read(() => (v.props.availabilityZoneNames?.length as number | undefined) ?? v.props.numberOfAvailabilityZones ?? 3, 3);
    const natResources = resources.filter((r) => r.type === "aws:ec2/natGateway:NatGateway").length;
    const nat = natResources || vpcs.reduce((sum, v) => {
        const strategy = read(() => v.props.natGateways?.strategy ?? "OnePerAz", "OnePerAz");
        return sum + (strategy === "None" ? 0 : strategy === "Single" ? 1 : azsOf(v));
    }, 0);
    add({ id: "nat-gateway", label: "NAT gateways", unit: "gateway-hour", priceId: "nat-gateway", min: nat, max: nat, hourly: true });

    // Load balancers the AWS Load Balancer Controller creates: per Gateway, the load balancer its class's controller
    // makes (kubernetes-sigs/aws-load-balancer-controller@v2.17.1:pkg/gateway/constants/controller_constants.go),
    // an ALB per ALB ingress group, an NLB per LoadBalancer Service.
    const classes = new Map<string, string>();
    for (const r of resources) {
        read(() => {
            if (r.props?.kind === "GatewayClass" && String(r.props.apiVersion ?? "").startsWith("gateway.networking.k8s.io/")) {
                classes.set(String(r.props.metadata?.name), String(r.props.spec?.controllerName));
            }
        }, undefined);
    }
    const lbConfigs = resources.filter((r) => read(() => r.props?.kind === "LoadBalancerConfiguration" && String(r.props.apiVersion ?? "").startsWith("gateway.k8s.aws/"), false));
    const azs = vpcs.length ? Math.min(...vpcs.map(azsOf)) : 1;
    let albs = 0;
    let nlbs = 0;
    // Internet-facing load balancers: one public IPv4 address per AZ at least (the controller's default scheme is internal).
    let publicLbAddresses = 0;
    const unknownClasses: string[] = [];
    for (const gw of resources) {
        read(() => {
            if (!(gw.props?.kind === "Gateway" && String(gw.props.apiVersion ?? "").startsWith("gateway.networking.k8s.io/"))) return;
            const cls = String(gw.props.spec?.gatewayClassName);
            const controller = classes.get(cls);
            const where = `${kube.namespaceOf(gw.props)}/${gw.props.metadata?.name ?? gw.name}`;
            if (controller !== "gateway.k8s.aws/alb" && controller !== "gateway.k8s.aws/nlb") {
                unknownClasses.push(`${where} (class ${cls}${controller ? `, controller ${controller}` : ", not declared by the stack"})`);
                return;
            }
            if (controller === "gateway.k8s.aws/alb") albs += 1; else nlbs += 1;
            const ref = gw.props.spec?.infrastructure?.parametersRef;
            const config = ref?.kind === "LoadBalancerConfiguration"
                ? lbConfigs.find((l) => l.props.metadata?.name === ref.name && kube.namespaceOf(l.props) === kube.namespaceOf(gw.props)) : undefined;
            if (config?.props.spec?.scheme === "internet-facing") publicLbAddresses += azs;
        }, undefined);
    }
    if (unknownClasses.length) notCounted.push(`load balancers of Gateways whose class is not the AWS Load Balancer Controller's (gateway.k8s.aws/alb or /nlb): ${unknownClasses.join(", ")}`);
    const albGroups = new Map<string, boolean>();
    for (const ing of kube.ofKind("Ingress")) {
        read(() => {
            const annotations = ing.props.metadata?.annotations ?? {};
            const cls = ing.props.spec?.ingressClassName ?? annotations["kubernetes.io/ingress.class"];
            if (cls !== "alb") return;
            const group = annotations["alb.ingress.kubernetes.io/group.name"];
            const key = group ? `group/${group}` : `ingress/${kube.namespaceOf(ing.props)}/${ing.props.metadata?.name ?? ing.name}`;
            albGroups.set(key, albGroups.get(key) || annotations["alb.ingress.kubernetes.io/scheme"] === "internet-facing");
        }, undefined);
    }
    albs += albGroups.size;
    publicLbAddresses += [...albGroups.values()].filter(Boolean).length * azs;
    add({ id: "alb", label: "Application Load Balancers (Gateways of class gateway.k8s.aws/alb, ALB ingress groups)", unit: "ALB-hour", priceId: "alb", min: albs, max: albs, hourly: true });
    const SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme";
    const lbServices = kube.ofKind("Service").filter((s) => read(() => s.props.spec?.type === "LoadBalancer", false));
    publicLbAddresses += lbServices.filter((s) => read(() => s.props.metadata?.annotations?.[SCHEME] === "internet-facing", false)).length * azs;
    // A Helm release's Service of type LoadBalancer (ingress-nginx's controller.service) is stated in its values.
    const helmLb = helmReleases(resources).flatMap((values) => findObjects(values, (o) => o.type === "LoadBalancer" && o.enabled !== false));
    publicLbAddresses += helmLb.filter((o) => read(() => o.annotations?.[SCHEME] === "internet-facing", false)).length * azs;
    nlbs += lbServices.length + helmLb.length;
    add({ id: "nlb", label: "Network Load Balancers (Services of type LoadBalancer, Gateways of class gateway.k8s.aws/nlb)", unit: "NLB-hour", priceId: "nlb", min: nlbs, max: nlbs, hourly: true });

    // Public IPv4 addresses: one Elastic IP per NAT gateway; an internet-facing load balancer has at least one per AZ
    // (more when it scales out), so the load balancers' count is a lower bound.
    add({ id: "public-ipv4-nat", label: "public IPv4 addresses of the NAT gateways (one Elastic IP each)", unit: "address-hour", priceId: "public-ipv4", min: nat, max: nat, hourly: true });
    add({ id: "public-ipv4-load-balancers", label: `public IPv4 addresses of the internet-facing load balancers (at least one per AZ, ${azs} AZ(s): a lower bound)`, unit: "address-hour", priceId: "public-ipv4", min: publicLbAddresses, max: publicLbAddresses, hourly: true });

    // Persistent volumes: PVCs, StatefulSet claim templates x replicas, and the volumes Helm releases' values ask for.
    const pv = persistentVolumes(kube, resources, notCounted);
    add({ id: "ebs-persistent-volumes", label: "EBS gp3 persistent volumes (PVCs, StatefulSet and Helm claim templates)", unit: "GB-month", priceId: "ebs-gp3", min: pv.min, max: pv.max, hourly: false });

    // Logs: the log groups cost nothing until logs arrive; the volume is unknown offline.
    const logGroups = resources.filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup");
    const logTypes = [...new Set(controlPlanes.flatMap((c) => read(() => [...(c.props.enabledClusterLogTypes ?? [])].map(String), [])))];
    const retention = Math.max(0, ...logGroups.map((g) => read(() => Number(g.props.retentionInDays ?? 0), 0)));
    const shipped = `${logTypes.length ? `EKS control-plane logs (${logTypes.join(", ")})` : "logs"} into ${logGroups.length} log group(s)${retention ? ` kept ${retention} days` : ""}`;
    if (options.logsGiBPerMonth !== undefined && (logGroups.length || logTypes.length)) {
        const gb = options.logsGiBPerMonth;
        // Steady state: a month's logs stored for the retention (never-expiring groups: one year's, as a floor).
        const storedMonths = (retention || 365) / (options.hoursPerMonth / 24);
        add({ id: "logs-ingestion", label: `CloudWatch Logs ingestion: ${shipped} (cost.logsGiBPerMonth)`, unit: "GB", priceId: "logs-ingestion", min: gb, max: gb, hourly: false });
        add({ id: "logs-storage", label: `CloudWatch Logs storage at ${retention || 365} days' retention`, unit: "GB-month", priceId: "logs-storage", min: gb * storedMonths, max: gb * storedMonths, hourly: false });
    } else if (logGroups.length || logTypes.length) {
        notCounted.push(`CloudWatch Logs ingestion and storage of ${shipped}: volume unknown offline (set eks-delivery:cost.logsGiBPerMonth to count it)`);
    }

    // KMS customer managed keys.
    const keys = resources.filter((r) => r.type === "aws:kms/key:Key").length;
    add({ id: "kms-keys", label: "KMS customer managed keys", unit: "key-month", priceId: "kms-key", min: keys, max: keys, hourly: false });

    notCounted.push(
        "data transfer (internet egress, cross-AZ traffic)",
        "NAT gateway data processing per GB",
        "load balancer capacity units (ALB LCUs, NLB NLCUs), which follow traffic",
        "EBS gp3 IOPS and throughput above the free 3,000 IOPS and 125 MB/s (the stack provisions none), and EBS snapshots",
        "KMS requests, and the extra key-month per rotated backing key",
        "ECR image storage and scanning, Secrets Manager secrets the services read (created outside the stack), Route 53 zones and queries, ACM certificates (public ones are free)",
        "public IPv4 addresses a load balancer adds beyond one per AZ as it scales",
    );
    // Route 53 health checks: priced by endpoint and optional features (HTTPS, fast interval, ...), none vendored.
    const checks = resources.filter((r) => r.type === "aws:route53/healthCheck:HealthCheck");
    if (checks.length) {
        const kinds = [...new Set(checks.map((c) => read(() => `${c.props.type ?? "?"}${c.props.requestInterval ? ` every ${c.props.requestInterval} s` : ""}`, "?")))];
        notCounted.push(`${checks.length} Route 53 health check(s) (${kinds.join(", ")}): no price vendored for health checks and their optional features`);
    }

    return priced(counted, notCounted, options, book);
}

/** Prices the counted items: an override, the region's fact, AWS's one price for all regions, else us-east-1's. */
function priced(counted: Counted[], notCounted: string[], options: CostOptions, book: PriceBook): CostReport {
    const { region, hoursPerMonth } = options;
    const overrides = options.prices ?? {};
    const items: CostItem[] = counted.map((c) => {
        const price = book.find(region, c.priceId);
        const override = overrides[c.priceId];
        const usd = override ?? price?.usdPerUnit ?? null;
        if (usd === null) notCounted.push(`${c.label}: no price vendored for ${c.priceId} (set eks-delivery:cost.prices.${c.priceId})`);
        const factor = c.hourly ? hoursPerMonth : 1;
        return {
            id: c.id, label: c.label, unit: c.unit,
            quantity: { min: round2(c.min), max: round2(c.max) },
            priceId: c.priceId,
            usdPerUnit: usd,
            priceRegion: override !== undefined ? "override" : price?.region ?? "none",
            source: override !== undefined ? "eks-delivery:cost.prices" : price?.source ?? "none",
            read: override !== undefined ? "" : price?.read ?? "",
            monthlyUsd: { min: round2(c.min * (usd ?? 0) * factor), max: round2(c.max * (usd ?? 0) * factor) },
        };
    });
    const applied: CostOverride[] = Object.keys(overrides).sort().map((key) => {
        const list = book.find(region, key);
        const used = items.filter((i) => i.priceId === key).map((i) => i.id);
        return { key, usdPerUnit: overrides[key], replaced: used.length && list ? { usdPerUnit: list.usdPerUnit, priceRegion: list.region } : null, items: used };
    });
    const total = (k: "min" | "max") => round2(items.reduce((s, i) => s + i.monthlyUsd[k], 0));
    const pricesFrom = book.hasRegion(region) ? region : FALLBACK_REGION;
    return {
        region, pricesFrom, firstLine: firstLine(region, items, applied, book), hoursPerMonth, items, overrides: applied,
        monthlyUsd: { min: total("min"), max: total("max") }, notCounted,
    };
}

/** Which region's prices the report used, first: the reader must not take us-east-1 figures for their region's. */
function firstLine(region: string, items: CostItem[], overrides: CostOverride[], book: PriceBook): string {
    const used = overrides.filter((o) => o.items.length);
    const tail = used.length ? `; ${used.length} price(s) overridden by eks-delivery:cost.prices (${used.map((o) => o.key).join(", ")})` : "";
    if (!book.hasRegion(region)) return `Prices: ${FALLBACK_REGION} list prices: no facts vendored for ${region}${tail}`;
    const own = items.filter((i) => i.priceRegion === region);
    const dates = [...new Set(own.map((i) => i.read))].sort();
    const fallback = [...new Set(items.filter((i) => i.priceRegion === FALLBACK_REGION && region !== FALLBACK_REGION).map((i) => i.priceId))];
    const global = items.some((i) => i.priceRegion === ALL_REGIONS);
    const read = dates.length ? ` (read ${dates.join(", ")})` : "";
    const globalPart = global ? ", AWS's one price for every region where it publishes one" : "";
    // The stand-ins first: a reader must not take them for the region's own prices.
    return (fallback.length
        ? `Prices: ${fallback.length} price(s) at ${FALLBACK_REGION} prices (no ${region} fact vendored: ${fallback.join(", ")}); the rest ${region} list prices${read}${globalPart}`
        : `Prices: ${region} list prices${read}${globalPart}`) + tail;
}

/** The values of every Helm release (`kubernetes:helm.sh/v3:Release`), as the plan records its inputs. */
function helmReleases(resources: StackResource[]): any[] {
    return resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release").flatMap((r) => read(() => (r.props.values && typeof r.props.values === "object" ? [r.props.values] : []), []));
}

/** Every object inside `value` (depth first) that `match` accepts, values unknown in a preview skipped. */
function findObjects(value: unknown, match: (o: Record<string, any>) => boolean): Array<Record<string, any>> {
    const found: Array<Record<string, any>> = [];
    const walk = (v: unknown) => read(() => {
        if (Array.isArray(v)) { v.forEach(walk); return; }
        if (!v || typeof v !== "object") return;
        const o = v as Record<string, any>;
        if (read(() => match(o), false)) found.push(o);
        Object.keys(o).forEach((k) => walk(o[k]));
    }, undefined);
    walk(value);
    return found;
}

/**
 * GB of persistent volumes at minimum and peak: PersistentVolumeClaims, StatefulSets' volumeClaimTemplates x
 * replicas (HPA min..max), and in Helm values a `volumeClaimTemplate` (or `persistence: {enabled, size}`)
 * x the `replicas` of the object holding it (kube-prometheus-stack's prometheusSpec). All as gp3, the stack's StorageClass.
 */
function persistentVolumes(kube: KubeIndex, resources: StackResource[], notCounted: string[]): { min: number; max: number } {
    let min = 0;
    let max = 0;
    const claim = (spec: any) => storageGiB(read(() => spec?.resources?.requests?.storage, undefined));
    for (const pvc of kube.ofKind("PersistentVolumeClaim")) {
        const gb = claim(pvc.props.spec);
        if (gb === undefined) continue;
        min += gb;
        max += gb;
    }
    for (const sts of kube.ofKind("StatefulSet")) {
        read(() => {
            const templates: any[] = sts.props.spec?.volumeClaimTemplates ?? [];
            const gb = templates.reduce((s, t) => s + (claim(t.spec) ?? 0), 0);
            if (!gb) return;
            const hpa = kube.hpaFor(sts);
            const replicas = sts.props.spec?.replicas ?? 1;
            min += gb * (hpa?.props.spec?.minReplicas ?? replicas);
            max += gb * (hpa?.props.spec?.maxReplicas ?? replicas);
        }, undefined);
    }
    for (const values of helmReleases(resources)) {
        // An object that holds a claim template or persistence block, with its replicas beside it.
        const holders = findObjects(values, (o) => Object.values(o).some((v) => v && typeof v === "object" && (
            "volumeClaimTemplate" in v || (v.enabled === true && typeof v.size === "string"))));
        for (const holder of holders) {
            const replicas = typeof holder.replicas === "number" ? holder.replicas : 1;
            for (const v of Object.values(holder)) {
                if (!v || typeof v !== "object") continue;
                const gb = "volumeClaimTemplate" in v ? claim((v as any).volumeClaimTemplate?.spec)
                    : (v as any).enabled === true && typeof (v as any).size === "string" ? storageGiB((v as any).size) : undefined;
                if (gb === undefined) continue;
                min += gb * replicas;
                max += gb * replicas;
            }
        }
    }
    if (resources.some((r) => r.type === "kubernetes:helm.sh/v3:Release")) notCounted.push("volumes a Helm chart creates that its release's values do not state");
    return { min, max };
}

const usd = (x: number) => x.toFixed(2);
const range = (r: { min: number; max: number }) => (r.min === r.max ? `${r.min}` : `${r.min}..${r.max}`);

/** `line` broken at spaces into lines of at most `columns` (a longer word stays whole), continued with `indent`. */
function wrapped(line: string, columns: number, indent: string): string[] {
    const out: string[] = [];
    let current = "";
    for (const word of line.split(" ")) {
        if (current && current.length + 1 + word.length > columns) {
            out.push(current);
            current = indent + word;
        } else current = current ? `${current} ${word}` : word;
    }
    return [...out, current];
}

/**
 * The report as the plan prints it: the first line (wrapped at 100 columns), the total, one line per
 * item (minimum..peak), the overrides, and how many costs are not counted (cost.json lists them).
 */
export function formatCost(report: CostReport): string {
    const rows = report.items.map((i) => [
        i.id, range(i.quantity), i.unit, i.usdPerUnit === null ? "-" : String(i.usdPerUnit), i.priceRegion,
        `${usd(i.monthlyUsd.min)}..${usd(i.monthlyUsd.max)}`,
    ]);
    const header = ["item", "quantity", "unit", "USD/unit", "price region", "USD/month min..peak"];
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    const line = (cells: string[]) => `  ${cells.map((x, c) => (c === 1 || c === 3 || c === 5 ? x.padStart(widths[c]) : x.padEnd(widths[c]))).join("  ")}`.trimEnd();
    return [
        ...wrapped(report.firstLine, 100, "  "),
        `Monthly cost (${report.hoursPerMonth} h/month): ${usd(report.monthlyUsd.min)} USD at minimum, ${usd(report.monthlyUsd.max)} USD at peak`,
        line(header),
        ...rows.map(line),
        ...report.overrides.map((o) => `  override ${o.key}: ${o.usdPerUnit} USD/unit${o.replaced ? ` (list ${o.replaced.usdPerUnit}, ${o.replaced.priceRegion})` : ""}${o.items.length ? "" : " (not used by this stack)"}`),
        `Not counted: ${report.notCounted.length} kind(s) of cost, listed in cost.json ("notCounted")`,
    ].join("\n");
}
