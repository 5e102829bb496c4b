/**
 * The difference between two offline plans: resources added, removed, changed (field by field, and the
 * manifest of a Kubernetes object) or renamed (an alias), and the change in capacity, cost and policy
 * findings. Pure: the same two sides give the same diff, in a fixed order.
 */
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";
import { stringify } from "yaml";
import type {
    AliasSpec, ChangedResource, CostJson, CostLine, Demand, ExemptionEntry, FieldChange, Finding, PlanDiff, PlanJson, PlanResource, PlanSide, ResourceRef, UsdRange,
} from "./model";

/** What plan.json holds where a value was secret (tools/plan/plan.ts REDACTED). */
export const REDACTED = "[secret]";

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------------------------------------------
// Property paths, as Pulumi writes and parses them (pulumi/pulumi@v3.248.0:sdk/go/common/resource/properties_path.go)

export type PathSegment = string | number;

/** `spec.template.spec.containers[0].image`; a key that is not a plain name is quoted: `labels["app.kubernetes.io/name"]`. */
export function formatPath(segments: PathSegment[]): string {
    let out = "";
    for (const s of segments) {
        if (typeof s === "number") out += `[${s}]`;
        else if (/^[A-Za-z_$][\w$-]*$/.test(s)) out += out === "" ? s : `.${s}`;
        else out += `["${s.replace(/\\/g, "\\\\").replace(/"/g, "\\\"")}"]`;
    }
    return out;
}

/**
 * ParsePropertyPath, loosely as Pulumi does: a bare name runs to the next `.` or `[`; `[n]`, `["key"]`
 * (`\"` escapes a quote) and `[*]`; `*` is a wildcard. Undefined when the path does not parse.
 */
export function parsePath(path: string): PathSegment[] | undefined {
    const out: PathSegment[] = [];
    let rest = path;
    if (rest.startsWith(".")) return undefined;
    while (rest.length > 0) {
        if (rest[0] === ".") {
            rest = rest.slice(1);
            if (rest.length === 0) return undefined;
        } else if (rest[0] === "[") {
            if (rest[1] === "\"") {
                let key = "";
                let i = 2;
                for (;;) {
                    if (i >= rest.length) return undefined;
                    if (rest[i] === "\"") { i++; break; }
                    if (rest[i] === "\\" && rest[i + 1] === "\"") { key += "\""; i += 2; continue; }
                    key += rest[i++];
                }
                if (rest[i] !== "]") return undefined;
                out.push(key);
                rest = rest.slice(i + 1);
            } else {
                const close = rest.indexOf("]");
                if (close < 0) return undefined;
                const segment = rest.slice(1, close);
                if (segment === "*") out.push("*");
                else if (/^-?\d+$/.test(segment)) out.push(Number(segment));
                else return undefined;
                rest = rest.slice(close + 1);
            }
        } else {
            const end = rest.search(/[.[]/);
            const name = end < 0 ? rest : rest.slice(0, end);
            out.push(name);
            rest = end < 0 ? "" : rest.slice(end);
        }
    }
    return out;
}

/** PropertyPath.Contains: `outer` is a prefix of `inner`, `*` matching any key or index at its level. */
export function pathContains(outer: PathSegment[], inner: PathSegment[]): boolean {
    if (inner.length < outer.length) return false;
    return outer.every((p, i) => (p === "*" ? true : typeof p === typeof inner[i] && p === inner[i]));
}

// ---------------------------------------------------------------------------------------------------
// Field-level differences

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Every leaf that differs between `a` and `b`, in key order (arrays by index), and every place both sides
 * are "[secret]" (unknowable: flagged, not counted as a change). `undefined` is a field that is absent.
 */
export function fieldChanges(a: unknown, b: unknown, at: PathSegment[] = []): FieldChange[] {
    if (a === REDACTED && b === REDACTED) return [{ path: formatPath(at), old: REDACTED, new: REDACTED, secret: true }];
    if (isRecord(a) && isRecord(b)) {
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(byString);
        return keys.flatMap((k) => fieldChanges(a[k], b[k], [...at, k]));
    }
    if (Array.isArray(a) && Array.isArray(b)) {
        const out: FieldChange[] = [];
        for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(...fieldChanges(a[i], b[i], [...at, i]));
        return out;
    }
    if (sameJson(a, b)) return [];
    return [{ path: formatPath(at), ...(a === undefined ? {} : { old: a }), ...(b === undefined ? {} : { new: b }) }];
}

function sameJson(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    return JSON.stringify(a) === JSON.stringify(b);
}

// ---------------------------------------------------------------------------------------------------
// Renames: a new resource whose aliases name an old URN

/** createUrn (@pulumi/pulumi@3.248.0 resource.js): the parent's type chain prefixes the type, never the Stack's. */
export function createUrn(name: string, type: string, parent: string | undefined, project: string, stack: string): string {
    if (parent) {
        const prefix = `${parent.slice(0, parent.lastIndexOf("::"))}$`;
        if (!prefix.endsWith("::pulumi:pulumi:Stack$")) return `${prefix}${type}::${name}`;
    }
    return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

const urnName = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/** The URN an alias spec stands for: its absent fields are the resource's own (as the engine fills them). */
export function aliasUrn(alias: AliasSpec, r: PlanResource, plan: Pick<PlanJson, "project" | "stack">): string {
    if ("urn" in alias) return alias.urn;
    const parent = alias.noParent ? undefined : alias.parent ?? r.parent;
    return createUrn(alias.name ?? r.name, alias.type ?? r.type, parent, alias.project ?? plan.project, alias.stack ?? plan.stack);
}

/**
 * Every URN a resource may have had: its own aliases, and those it inherits from its parent's
 * (inheritedChildAlias, resource.js: a child named after its parent takes the parent's old name).
 */
function allAliasUrns(r: PlanResource, plan: PlanJson, byUrn: Map<string, PlanResource>, memo: Map<string, string[]>): string[] {
    const known = memo.get(r.urn);
    if (known) return known;
    memo.set(r.urn, []);
    const own = (r.options?.aliases ?? []).map((a) => aliasUrn(a, r, plan));
    const parent = r.parent ? byUrn.get(r.parent) : undefined;
    const inherited = parent
        ? allAliasUrns(parent, plan, byUrn, memo).map((parentAlias) => {
            const name = r.name.startsWith(parent.name) ? urnName(parentAlias) + r.name.slice(parent.name.length) : r.name;
            return createUrn(name, r.type, parentAlias, plan.project, plan.stack);
        })
        : [];
    const all = [...new Set([...own, ...inherited])];
    memo.set(r.urn, all);
    return all;
}

// ---------------------------------------------------------------------------------------------------
// Kubernetes manifests

/** tools/plan/plan.ts isKubernetesType (policies/kubernetes.ts): an object, not a Helm release, list or patch. */
export function isKubernetesObject(type: string): boolean {
    return /^kubernetes:[^:]+:[A-Z]/.test(type) && !/^kubernetes:(helm\.sh|yaml|kustomize)/.test(type) && !/(List|Patch)$/.test(type);
}

function withoutStatus(outputs: Record<string, unknown>): Record<string, unknown> {
    const { status: _status, ...object } = outputs;
    return object;
}

/** The object's manifest as manifests/ holds it (tools/plan/plan.ts kubernetesManifests): its outputs less status. */
export function manifestOf(r: PlanResource): { file: string; yaml: string } {
    const { status: _status, ...object } = r.outputs as Record<string, unknown> & { metadata?: { name?: string; namespace?: string } };
    const kind = String(object.kind ?? r.type.split(":")[2]);
    const meta = object.metadata ?? {};
    const file = [meta.namespace ?? "cluster", kind.toLowerCase(), meta.name ?? r.name].join("_") + ".yaml";
    return { file, yaml: stringify({ apiVersion: object.apiVersion, kind, metadata: meta, ...object }, { sortMapEntries: false }) };
}

/** A unified diff of two manifests (jsdiff createTwoFilesPatch, 3 lines of context), or undefined when equal. */
export function manifestDiff(oldR: PlanResource, newR: PlanResource): string | undefined {
    const [a, b] = [manifestOf(oldR), manifestOf(newR)];
    if (a.yaml === b.yaml && a.file === b.file) return undefined;
    return createTwoFilesPatch(`a/manifests/${a.file}`, `b/manifests/${b.file}`, a.yaml, b.yaml, undefined, undefined,
        { context: 3, headerOptions: FILE_HEADERS_ONLY });
}

// ---------------------------------------------------------------------------------------------------
// Credentials that are "[secret]" by design, and the release version's own changes

/**
 * Inputs that hold a credential in every plan, so "[secret]" on both sides says nothing: the Kubernetes
 * provider's kubeconfig (tools/plan/engine.ts CREDENTIALS, which test/planDiff.test.ts keeps in step) and
 * the ECR token each image build logs in with (apps/index.ts: registries[].password, pulumi.secret of
 * aws.ecr.getAuthorizationToken, new on every run).
 */
export const CREDENTIAL_INPUTS: Record<string, string[]> = {
    "pulumi:providers:kubernetes": ["kubeconfig"],
    "docker-build:index:Image": ["registries[*].password"],
};

function isCredential(type: string, change: FieldChange): boolean {
    const at = parsePath(change.path);
    return change.secret === true && at !== undefined && (CREDENTIAL_INPUTS[type] ?? []).some((p) => pathContains(parsePath(p)!, at));
}

/** The stack's releaseVersion output on both sides, when it changed (index.ts exports it). */
export function releaseChange(a: PlanJson, b: PlanJson): { old: string; new: string } | undefined {
    const [o, n] = [a.outputs.releaseVersion, b.outputs.releaseVersion];
    return typeof o === "string" && typeof n === "string" && o !== "" && n !== "" && o !== n ? { old: o, new: n } : undefined;
}

const DIGEST = /sha256:[0-9a-f]{64}/g;

/**
 * A change that is the new release and nothing else: the old value with the old version replaced by the
 * new one is the new value (a version label, a build arg, an image tag), up to image digests in a value
 * that names the version (`repo:v1.2.3@sha256:...`). A bare digest counts too: the image's config holds
 * the version (the org.opencontainers.image.version label, the APP_VERSION build arg), so a new release
 * is always a new digest (tools/plan/emulatedCloud.ts emulatedImageDigest hashes the build args alike).
 */
export function isReleaseChange(change: FieldChange, release: { old: string; new: string }): boolean {
    const { old: o, new: n } = change;
    if (typeof o !== "string" || typeof n !== "string" || change.secret) return false;
    if (/^sha256:[0-9a-f]{64}$/.test(o) && /^sha256:[0-9a-f]{64}$/.test(n)) return true;
    if (!o.includes(release.old) || !n.includes(release.new)) return false;
    const bumped = o.split(release.old).join(release.new);
    return bumped === n || bumped.replace(DIGEST, "sha256:") === n.replace(DIGEST, "sha256:");
}

// ---------------------------------------------------------------------------------------------------
// The diff

const ref = (r: PlanResource): ResourceRef => ({ urn: r.urn, type: r.type, name: r.name });

/** USD to the tenth of a cent: the figures are sums of hourly prices, and a delta must not show float noise. */
const usd = (n: number) => Math.round(n * 1000) / 1000;
const range = (min: number, max: number): UsdRange => ({ min: usd(min), max: usd(max) });
const minus = (a: UsdRange | undefined, b: UsdRange | undefined): UsdRange => range((a?.min ?? 0) - (b?.min ?? 0), (a?.max ?? 0) - (b?.max ?? 0));
const demandDelta = (a: Demand, b: Demand): Demand => ({ cpuMillicores: b.cpuMillicores - a.cpuMillicores, memoryMiB: b.memoryMiB - a.memoryMiB, pods: b.pods - a.pods });

function totalCost(side: PlanSide): { source: "cost.json" | "capacity.json"; total: UsdRange; cost?: CostJson } {
    if (side.cost) return { source: "cost.json", total: range(side.cost.monthlyUsd.min, side.cost.monthlyUsd.max), cost: side.cost };
    const m = side.capacity.monthlyUsd ?? {};
    return { source: "capacity.json", total: range(m.totalMin ?? 0, m.totalMax ?? 0) };
}

function costLines(a: CostJson | undefined, b: CostJson | undefined): CostLine[] {
    // Items only when both sides itemise: against a plan without cost.json every item would read as new.
    if (!a || !b) return [];
    const olds = new Map(a.items.map((i) => [i.id, i]));
    const news = new Map(b.items.map((i) => [i.id, i]));
    const lines: CostLine[] = [];
    for (const id of [...new Set([...olds.keys(), ...news.keys()])].sort(byString)) {
        const [o, n] = [olds.get(id), news.get(id)];
        const oldR = o && range(o.monthlyUsd.min, o.monthlyUsd.max);
        const newR = n && range(n.monthlyUsd.min, n.monthlyUsd.max);
        if (oldR && newR && oldR.min === newR.min && oldR.max === newR.max) continue;
        lines.push({ id, label: (n ?? o)!.label, ...(oldR ? { old: oldR } : {}), ...(newR ? { new: newR } : {}), delta: minus(newR, oldR) });
    }
    return lines;
}

const findingKey = (f: Finding, urn = f.urn ?? "") => `${f.policy}\u0000${urn}\u0000${f.message}`;
const exemptionKey = (e: ExemptionEntry, urn = e.urn ?? "") => `${e.policy}\u0000${urn}\u0000${e.kind ?? ""}\u0000${e.namespace ?? ""}\u0000${e.name ?? ""}\u0000${e.reason}`;
const sortFindings = <T extends { policy: string; urn?: string }>(list: T[], key: (t: T) => string) =>
    [...list].sort((x, y) => byString(x.policy, y.policy) || byString(x.urn ?? "", y.urn ?? "") || byString(key(x), key(y)));

/** A finding (or an exemption) in one list and not the other; old URNs read through the renames. */
function onlyIn<T extends { urn?: string }>(these: T[], those: T[], key: (t: T, urn?: string) => string, theseUrn: (u?: string) => string | undefined, thoseUrn: (u?: string) => string | undefined): T[] {
    const other = new Set(those.map((t) => key(t, thoseUrn(t.urn))));
    return these.filter((t) => !other.has(key(t, theseUrn(t.urn))));
}

export const OFFLINE_NOTE = "Replacements a provider decides (a property its schema replaces on change) are not known offline: only the resources' own replaceOnChanges are marked.";
export const SECRET_NOTE = "[secret] values are redacted in both plans: whether they changed cannot be known offline (marked \"may have changed\"). The credentials every plan holds (the Kubernetes provider's kubeconfig, the ECR login token) are left out.";

export function diffPlans(oldSide: PlanSide, newSide: PlanSide): PlanDiff {
    const [a, b] = [oldSide.plan, newSide.plan];
    const olds = new Map(a.resources.map((r) => [r.urn, r]));
    const news = new Map(b.resources.map((r) => [r.urn, r]));

    // Renames first: a new URN the old plan lacks, whose alias names an old URN the new plan lacks.
    const renamedFrom = new Map<string, string>();
    const taken = new Set<string>();
    const memo = new Map<string, string[]>();
    for (const r of [...b.resources].sort((x, y) => byString(x.urn, y.urn))) {
        if (olds.has(r.urn)) continue;
        const from = allAliasUrns(r, b, news, memo).find((u) => olds.has(u) && !news.has(u) && !taken.has(u));
        if (from) {
            renamedFrom.set(r.urn, from);
            taken.add(from);
        }
    }
    const newUrnOf = new Map([...renamedFrom].map(([n, o]) => [o, n]));

    const release = releaseChange(a, b);
    const added: ResourceRef[] = [];
    const changed: ChangedResource[] = [];
    const secretsUnknown: PlanDiff["resources"]["secretsUnknown"] = [];
    let unchanged = 0;
    for (const r of [...news.values()].sort((x, y) => byString(x.urn, y.urn))) {
        const oldUrn = olds.has(r.urn) ? r.urn : renamedFrom.get(r.urn);
        const o = oldUrn ? olds.get(oldUrn) : undefined;
        if (!o) {
            added.push(ref(r));
            continue;
        }
        const inputs = fieldChanges(o.inputs, r.inputs).filter((c) => !isCredential(r.type, c));
        const options = fieldChanges(o.options ?? {}, r.options ?? {});
        const replacePaths = (r.options?.replaceOnChanges ?? []).map((p) => ({ p, parsed: parsePath(p) }));
        const hit = new Set<string>();
        for (const change of inputs) {
            if (change.secret) continue;
            const at = parsePath(change.path) ?? [];
            for (const { p, parsed } of replacePaths) {
                if (parsed && pathContains(parsed, at)) {
                    change.replaces = true;
                    hit.add(p);
                }
            }
        }
        const manifest = isKubernetesObject(r.type) ? manifestDiff(o, r) : undefined;
        const real = [...inputs, ...options].filter((c) => !c.secret);
        if (real.length === 0 && !manifest && !renamedFrom.has(r.urn)) {
            unchanged++;
            const secrets = inputs.filter((c) => c.secret).map((c) => c.path);
            if (secrets.length) secretsUnknown.push({ ...ref(r), paths: secrets });
            continue;
        }
        // Rolls to the new release only: every input change is the version's, and so is every change of
        // the object the manifest holds (its outputs), nothing renamed, no option changed.
        let releaseOnly = false;
        if (release) {
            for (const c of inputs) if (isReleaseChange(c, release)) c.release = true;
            const objectChanges = manifest ? fieldChanges(withoutStatus(o.outputs), withoutStatus(r.outputs)).filter((c) => !c.secret) : [];
            releaseOnly = real.length > 0 && options.length === 0 && !renamedFrom.has(r.urn) && hit.size === 0
                && real.every((c) => c.release) && objectChanges.every((c) => isReleaseChange(c, release));
        }
        changed.push({
            ...ref(r),
            ...(renamedFrom.has(r.urn) ? { renamedFrom: renamedFrom.get(r.urn) } : {}),
            inputs,
            options,
            replaceOnChanges: [...hit].sort(byString),
            ...(manifest ? { manifest } : {}),
            ...(releaseOnly ? { releaseOnly: true as const } : {}),
        });
    }
    const removed = [...olds.values()].filter((r) => !news.has(r.urn) && !taken.has(r.urn)).sort((x, y) => byString(x.urn, y.urn)).map(ref);

    const [oc, nc] = [totalCost(oldSide), totalCost(newSide)];
    const asNew = (u?: string) => (u && newUrnOf.get(u)) ?? u;
    const same = (u?: string) => u;
    const newViolations = sortFindings(onlyIn(newSide.policy.violations, oldSide.policy.violations, findingKey, same, asNew), findingKey);
    const resolvedViolations = sortFindings(onlyIn(oldSide.policy.violations, newSide.policy.violations, findingKey, asNew, same), findingKey);
    const exemptionsAdded = sortFindings(onlyIn(newSide.policy.exemptions, oldSide.policy.exemptions, exemptionKey, same, asNew), exemptionKey);
    const exemptionsRemoved = sortFindings(onlyIn(oldSide.policy.exemptions, newSide.policy.exemptions, exemptionKey, asNew, same), exemptionKey);

    const capacityOf = (s: PlanSide) => ({ peak: s.capacity.peak, capacity: s.capacity.capacity, fits: s.capacity.fits });
    const hasSecrets = secretsUnknown.length > 0 || changed.some((c) => c.inputs.some((f) => f.secret));
    const rolled = changed.filter((c) => c.releaseOnly).length;
    const outputs = fieldChanges(a.outputs, b.outputs).filter((c) => !c.secret);
    if (release) for (const c of outputs) if (isReleaseChange(c, release)) c.release = true;
    const comparable = oc.source === nc.source;
    return {
        project: b.project,
        stack: b.stack,
        old: { label: oldSide.label, stack: a.stack },
        new: { label: newSide.label, stack: b.stack },
        ...(release ? { release } : {}),
        summary: {
            added: added.length,
            removed: removed.length,
            changed: changed.length - rolled,
            rolled,
            renamed: renamedFrom.size,
            replaced: changed.filter((c) => c.replaceOnChanges.length > 0).length,
            unchanged,
            newViolations: newViolations.length,
            resolvedViolations: resolvedViolations.length,
        },
        resources: { added, removed, changed, secretsUnknown },
        outputs,
        capacity: {
            old: capacityOf(oldSide),
            new: capacityOf(newSide),
            delta: { peak: demandDelta(oldSide.capacity.peak, newSide.capacity.peak), capacity: demandDelta(oldSide.capacity.capacity, newSide.capacity.capacity) },
        },
        cost: { source: { old: oc.source, new: nc.source }, old: oc.total, new: nc.total, comparable, delta: minus(nc.total, oc.total), items: costLines(oc.cost, nc.cost) },
        policy: { newViolations, resolvedViolations, exemptionsAdded, exemptionsRemoved },
        notes: [OFFLINE_NOTE, ...(hasSecrets ? [SECRET_NOTE] : [])],
    };
}

/** `--json`: the diff object, keys in the order the diff builds them. */
export function diffJson(diff: PlanDiff): string {
    return `${JSON.stringify(diff, null, 2)}\n`;
}
