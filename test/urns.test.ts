/**
 * Resource identity across releases: an update must not lose a resource the previous release created.
 * Pulumi knows a resource by its URN; a resource whose URN changes (new component type, new name, new
 * parent) is deleted and created anew (for a Helm release: uninstalled and installed again), unless
 * `aliases` tell the engine which old URN it is.
 *
 * The previous release's URNs are fixtures (test/fixtures/urns/<commit>-<variant>.txt, planned by that
 * release's own code and stack files; regenerate with test/fixtures/urns/regenerate.sh <commit>). Each
 * variant is planned here with the current code, and every old URN must be claimed by a current
 * resource, directly or through an alias, or be in REMOVED with the reason it goes.
 *
 * How a current resource claims an old URN: the engine's resolution, pulumi/pulumi
 * pkg/resource/deploy/step_generator.go (generateSteps, generateAliases, collapseAliasToUrn,
 * inheritedChildAlias). The SDK sends the `aliases` option as specs, since the monitor supports them (the
 * mock monitor too: MockMonitor.supportsFeature answers yes to all but outputValues,
 * node_modules/@pulumi/pulumi/runtime/mocks.js; the SDK then sends `mapAliasesForRequest`'s specs,
 * runtime/resource.js, and computes nothing itself), and the engine, registering resources parents first,
 * tries for each resource in order:
 *   1. its own URN;
 *   2. its explicit aliases: a literal `urn` as is; a spec with its unset name/type taken from the
 *      resource and its parent from the spec (the SDK fills in the resource's own parent, or sends
 *      `noParent`); a parent that itself matched an old URN through an alias stands for that old URN;
 *      no parent, or the root stack as parent, means a URN without a parent type;
 *   3. inherited aliases, if its parent matched an old URN P through an alias: the resource's own type
 *      and name under P, and each explicit alias's type and name under P, where a name that starts with
 *      the parent's current name has that prefix replaced by P's name (`inheritedChildAlias`, also in
 *      node_modules/@pulumi/pulumi/resource.js, which computes the same when a monitor lacks alias specs,
 *      there from every alias of the parent rather than the one it matched).
 * The first candidate the old state has is the resource's old URN; the others are left to be deleted.
 * Two resources taking the same old URN is an error (`pulumi up` refuses duplicate aliases).
 *
 * Under mocks URNs differ from the engine's in one way: MockMonitor.newUrn qualifies a type with its
 * immediate parent's type only (`<parentType>$<type>`, the root stack's included), not the whole chain.
 * The fixtures and plans are in that form, so candidates are built the same way: a candidate with no
 * parent is `pulumi:pulumi:Stack$<type>` (what the engine's parent-less URN is for a resource of the
 * stack), and a literal URN alias in the engine's form is reduced to its last two type segments.
 * A blind spot of that form: an ancestor's type change does not show in its grandchildren's URNs (it
 * shows in the ancestor's own, which is checked).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { PlannedStack } from "../tools/plan/planStack";
import type { Alias } from "../tools/plan/engine";
import { plan, planComponent, stackValues, Values } from "./support";

/** The previous release: its URNs are the fixtures. */
const PREVIOUS_RELEASE = "cfaf183";
const FIXTURES = path.join(__dirname, "fixtures", "urns");

/** The variants planned at the previous release (see regenerate.sh), patched here the same way. */
const VARIANTS: Record<string, { stack: string; patch?: (values: Values) => void; fixture?: string; keepsEverything?: true }> = {
    dev: { stack: "dev" },
    prod: { stack: "prod" },
    mesh: { stack: "dev", patch: (v) => { v["eks-delivery:mesh"] = { enabled: true }; } },
    karpenter: { stack: "dev", patch: (v) => { (v["eks-delivery:nodes"] as Values).autoscaler = "karpenter"; } },
    // A stack that keeps ingress-nginx (the previous release's only edge) loses nothing at all.
    nginx: { stack: "dev", fixture: "dev", keepsEverything: true, patch: (v) => { v["eks-delivery:ingress"] = { controller: "nginx" }; } },
};

/**
 * Old URNs that no current resource takes over on purpose, as `<qualified type>::<name>` (the URN less
 * `urn:pulumi:<stack>::<project>::`), each with why it goes. Every other old URN must be kept.
 */
const NGINX_EDGE = "the default edge is now the ALB Gateway (Gateway API, ACM certificate); ingress-nginx comes back only with eks-delivery:ingress.controller: nginx";
const CERT_MANAGER = "cert-manager issued the ingress-nginx edge's certificates; the Gateway's certificate is ACM's, and cert-manager comes back only with eks-delivery:ingress.controller: nginx";
const INGRESS = "a service's Ingress (for ingress-nginx) is replaced by its HTTPRoute on the Gateway";
const REMOVED: Record<string, string> = {
    "eks-delivery:addons:PlatformAddons$eks-delivery:addons:IngressNginx::ingress-nginx": NGINX_EDGE,
    "eks-delivery:addons:IngressNginx$kubernetes:core/v1:Namespace::ingress-nginx": NGINX_EDGE,
    "eks-delivery:addons:IngressNginx$kubernetes:helm.sh/v3:Release::ingress-nginx": NGINX_EDGE,
    "eks-delivery:addons:PlatformAddons$eks-delivery:addons:CertManager::cert-manager": CERT_MANAGER,
    "eks-delivery:addons:CertManager$kubernetes:core/v1:Namespace::cert-manager": CERT_MANAGER,
    "eks-delivery:addons:CertManager$aws:iam/role:Role::cert-manager-identity": CERT_MANAGER,
    "eks-delivery:addons:CertManager$aws:iam/rolePolicy:RolePolicy::cert-manager-identity": CERT_MANAGER,
    "eks-delivery:addons:CertManager$aws:eks/podIdentityAssociation:PodIdentityAssociation::cert-manager-identity": CERT_MANAGER,
    "eks-delivery:addons:CertManager$kubernetes:helm.sh/v3:Release::cert-manager": CERT_MANAGER,
    "eks-delivery:addons:CertManager$kubernetes:cert-manager.io/v1:ClusterIssuer::cert-manager-issuer": CERT_MANAGER,
    "eks-delivery:apps:ServiceDeployment$kubernetes:networking.k8s.io/v1:Ingress::api": INGRESS,
    "eks-delivery:apps:ServiceDeployment$kubernetes:networking.k8s.io/v1:Ingress::web": INGRESS,
};

/** Old URNs one variant drops on purpose while others keep them, with why. */
const ONE_REGISTRY = "prod deploys from dev's registry (eks-delivery:registry.from): its own repositories, their key and lifecycle " +
    "policies leave the stack (docs/release-and-rollback.md: dropped from the state, kept in the account until nothing runs from them)";
const BUILD_ONCE = "prod builds nothing: its images are dev's, looked up by version (docs/release-and-rollback.md: dropped from the state first, " +
    "since docker-build's delete removes the manifest from the registry)";
const REMOVED_IN: Record<string, Record<string, string>> = {
    prod: {
        "pulumi:pulumi:Stack$eks-delivery:infra:ContainerRegistry::registry": ONE_REGISTRY,
        "eks-delivery:infra:ContainerRegistry$aws:kms/key:Key::registry-images": ONE_REGISTRY,
        "eks-delivery:infra:ContainerRegistry$aws:ecr/repository:Repository::registry-api": ONE_REGISTRY,
        "eks-delivery:infra:ContainerRegistry$aws:ecr/repository:Repository::registry-web": ONE_REGISTRY,
        "eks-delivery:infra:ContainerRegistry$aws:ecr/lifecyclePolicy:LifecyclePolicy::registry-api": ONE_REGISTRY,
        "eks-delivery:infra:ContainerRegistry$aws:ecr/lifecyclePolicy:LifecyclePolicy::registry-web": ONE_REGISTRY,
        "eks-delivery:apps:ServiceImage$docker-build:index:Image::api": BUILD_ONCE,
        "eks-delivery:apps:ServiceImage$docker-build:index:Image::web": BUILD_ONCE,
    },
};
/** What a variant may drop: the removals of every variant, and its own. */
const removedIn = (variant: string): Record<string, string> => ({ ...REMOVED, ...(REMOVED_IN[variant] ?? {}) });

// ---- URNs, in the mock monitor's form --------------------------------------------------------------

const STACK_TYPE = "pulumi:pulumi:Stack";

interface Urn { stack: string; project: string; qualifiedType: string; type: string; name: string }

function parseUrn(urn: string): Urn {
    const [head, project, qualifiedType, ...name] = urn.split("::");
    if (!head?.startsWith("urn:pulumi:") || project === undefined || qualifiedType === undefined || name.length === 0) throw new Error(`not a URN: ${urn}`);
    return { stack: head.slice("urn:pulumi:".length), project, qualifiedType, type: qualifiedType.split("$").pop()!, name: name.join("::") };
}

/** The URN less `urn:pulumi:<stack>::<project>::`. */
const local = (urn: string) => { const u = parseUrn(urn); return `${u.qualifiedType}::${u.name}`; };

/** MockMonitor.newUrn, with a parent-less resource taken as the stack's (see the header). */
function mockUrn(stack: string, project: string, parent: string | undefined, type: string, name: string): string {
    const parentType = parent ? parseUrn(parent).type : STACK_TYPE;
    return `urn:pulumi:${stack}::${project}::${parentType}$${type}::${name}`;
}

/** A literal URN alias, in the engine's form (whole type chain) or the mock's, in the mock's form. */
function asMockUrn(urn: string): string {
    const u = parseUrn(urn);
    const chain = u.qualifiedType.split("$");
    const qualifiedType = chain.length >= 2 ? chain.slice(-2).join("$") : u.qualifiedType === STACK_TYPE ? u.qualifiedType : `${STACK_TYPE}$${u.qualifiedType}`;
    return `urn:pulumi:${u.stack}::${u.project}::${qualifiedType}::${u.name}`;
}

// ---- The engine's alias resolution ------------------------------------------------------------------

interface PlannedLike { urn: string; type: string; name: string; parent?: string; options?: { aliases?: Alias[] } }

interface Resolution {
    /** Every URN the engine would look the resource up by, in its order (own URN first). */
    candidates: string[];
    /** The first the old state has. */
    previous?: string;
}

/** What each current resource would take over from `old`, as the engine resolves it (see the header). */
function resolveAliases(resources: PlannedLike[], old: ReadonlySet<string>): Map<string, Resolution> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const resolved = new Map<string, Resolution>();
    const visiting = new Set<string>();
    /** The engine's `sg.aliases[urn]`: the old URN a resource matched through an alias, if it did. */
    const aliasedFrom = (urn: string | undefined): string | undefined => {
        const r = urn === undefined ? undefined : byUrn.get(urn);
        if (!r) return undefined;
        const { previous } = resolve(r);
        return previous !== undefined && previous !== r.urn ? previous : undefined;
    };
    const resolve = (r: PlannedLike): Resolution => {
        const done = resolved.get(r.urn);
        if (done) return done;
        if (visiting.has(r.urn)) throw new Error(`alias parents form a cycle at ${r.urn}`);
        visiting.add(r.urn);
        const { stack, project } = parseUrn(r.urn);
        const explicit = (r.options?.aliases ?? []).map((alias): string => {
            if ("urn" in alias) return asMockUrn(alias.urn);
            let parent = alias.parent ? (aliasedFrom(alias.parent) ?? alias.parent) : r.parent;
            if (alias.noParent || (parent && parseUrn(parent).qualifiedType === STACK_TYPE)) parent = undefined;
            return mockUrn(alias.stack ?? stack, alias.project ?? project, parent, alias.type ?? r.type, alias.name ?? r.name);
        });
        const candidates = [r.urn, ...explicit];
        const parentName = r.parent && parseUrn(r.parent).name;
        const parentPrevious = aliasedFrom(r.parent);
        if (parentName !== undefined && parentPrevious !== undefined) {
            const inherited = (type: string, name: string) => mockUrn(stack, project, parentPrevious,
                type, name.startsWith(parentName) ? parseUrn(parentPrevious).name + name.slice(parentName.length) : name);
            candidates.push(inherited(r.type, r.name), ...explicit.map((urn) => inherited(parseUrn(urn).type, parseUrn(urn).name)));
        }
        const unique = [...new Set(candidates)];
        const resolution = { candidates: unique, previous: unique.find((urn) => old.has(urn)) };
        visiting.delete(r.urn);
        resolved.set(r.urn, resolution);
        return resolution;
    };
    for (const r of resources) resolve(r);
    return resolved;
}

/** Old URN -> the current resources that take it over. */
function claims(resources: PlannedLike[], old: ReadonlySet<string>): Map<string, string[]> {
    const claimed = new Map<string, string[]>();
    for (const [urn, { previous }] of resolveAliases(resources, old)) {
        if (previous !== undefined) claimed.set(previous, [...(claimed.get(previous) ?? []), urn]);
    }
    return claimed;
}

// ---- Fixtures and plans -----------------------------------------------------------------------------

function previousUrns(variant: string): string[] {
    const file = path.join(FIXTURES, `${PREVIOUS_RELEASE}-${VARIANTS[variant].fixture ?? variant}.txt`);
    return fs.readFileSync(file, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
}

const plans = new Map<string, Promise<PlannedStack>>();
function planned(variant: string): Promise<PlannedStack> {
    if (!plans.has(variant)) {
        const { stack, patch } = VARIANTS[variant];
        const values = stackValues(stack);
        patch?.(values);
        plans.set(variant, plan(values, stack));
    }
    return plans.get(variant)!;
}

/** Where an uncovered old URN's resource may have gone: current resources of its type and name. */
function hint(oldUrn: string, resources: PlannedLike[]): string {
    const u = parseUrn(oldUrn);
    const same = resources.filter((r) => r.type === u.type && r.name === u.name);
    const named = same.length ? same : resources.filter((r) => r.name === u.name);
    if (!named.length) return "";
    return `\n      now? ${named.slice(0, 3).map((r) => local(r.urn)).join(", ")}`;
}

// ---- Tests --------------------------------------------------------------------------------------------

test("plan.json records aliases as the SDK sends them to the mock monitor: specs, no URNs of its own", async () => {
    const recorded = await planComponent(() => {
        const parent = new pulumi.ComponentResource("test:index:Addon", "metrics", {}, { aliases: [{ type: "test:index:MetricsServer", name: "metrics-server" }] });
        new pulumi.ComponentResource("test:index:Part", "metrics-part", {}, {
            parent,
            aliases: [{ name: "old-part" }, { parent: pulumi.rootStackResource }, "urn:pulumi:dev::eks-delivery::test:index:Part::literal", { stack: "other", project: "elsewhere" }],
        });
        new pulumi.ComponentResource("test:index:Plain", "plain", {}, { parent });
    });
    const byName = new Map(recorded.resources.map((r) => [r.name, r]));
    const stackUrn = "urn:pulumi:dev::eks-delivery::pulumi:pulumi:Stack::eks-delivery-dev";
    const parentUrn = "urn:pulumi:dev::eks-delivery::pulumi:pulumi:Stack$test:index:Addon::metrics";
    assert.deepEqual(byName.get("metrics")?.options?.aliases, [{ name: "metrics-server", type: "test:index:MetricsServer", parent: stackUrn }],
        "a spec, its parent filled in by the SDK");
    assert.deepEqual(byName.get("metrics-part")?.options?.aliases, [
        { name: "old-part", parent: parentUrn },
        { noParent: true },
        { urn: "urn:pulumi:dev::eks-delivery::test:index:Part::literal" },
        { parent: parentUrn, stack: "other", project: "elsewhere" },
    ], "in the program's order, inherited aliases left to the engine");
    assert.equal(byName.get("plain")?.options?.aliases, undefined, "no aliases, none recorded");

    // The engine's resolution over the recorded options.
    const at = (qualifiedType: string, name: string) => `urn:pulumi:dev::eks-delivery::${qualifiedType}::${name}`;
    const oldParent = at("pulumi:pulumi:Stack$test:index:MetricsServer", "metrics-server");
    const resolved = (old: string[]) => resolveAliases(recorded.resources, new Set(old));
    const part = byName.get("metrics-part")!.urn;
    assert.deepEqual(resolved([]).get(part)?.candidates, [
        part,
        at("test:index:Addon$test:index:Part", "old-part"),
        at("pulumi:pulumi:Stack$test:index:Part", "metrics-part"),
        at("pulumi:pulumi:Stack$test:index:Part", "literal"),
        "urn:pulumi:other::elsewhere::test:index:Addon$test:index:Part::metrics-part",
    ], "without a renamed parent, nothing is inherited");
    const withParent = resolved([oldParent, at("test:index:MetricsServer$test:index:Part", "metrics-server-part"), at("test:index:MetricsServer$test:index:Plain", "plain")]);
    assert.equal(withParent.get(parentUrn)?.previous, oldParent);
    assert.deepEqual(withParent.get(part)?.candidates.slice(1, 2), [at("test:index:MetricsServer$test:index:Part", "old-part")],
        "an alias whose parent was renamed stands under the parent's old URN");
    assert.equal(withParent.get(part)?.previous, at("test:index:MetricsServer$test:index:Part", "metrics-server-part"),
        "a child named after its parent follows the parent's old name");
    assert.equal(withParent.get(byName.get("plain")!.urn)?.previous, at("test:index:MetricsServer$test:index:Plain", "plain"), "other children keep their name");
    assert.equal(resolved([at("pulumi:pulumi:Stack$test:index:Part", "metrics-part")]).get(part)?.previous,
        at("pulumi:pulumi:Stack$test:index:Part", "metrics-part"), "noParent: the resource was the stack's");
    assert.equal(asMockUrn("urn:pulumi:dev::p::a:b:C$d:e:F$g:h:I::n"), "urn:pulumi:dev::p::d:e:F$g:h:I::n", "an engine URN reduced to the mock's form");
});

for (const variant of Object.keys(VARIANTS)) {
    test(`${variant}: every resource ${PREVIOUS_RELEASE} planned keeps its URN or is taken over through aliases, or is removed on purpose`, async () => {
        const old = previousUrns(variant);
        const { plan: current } = await planned(variant);
        const claimed = claims(current.resources, new Set(old));
        const lost = old.filter((urn) => !claimed.has(urn) && (VARIANTS[variant].keepsEverything || !(local(urn) in removedIn(variant))));
        assert.ok(lost.length === 0,
            `${lost.length} of ${old.length} resources planned at ${PREVIOUS_RELEASE} (${variant}) would be deleted by the update ` +
            `(no current resource has their URN or an alias to it; add aliases, or list them in REMOVED with a reason):\n` +
            lost.map((urn) => `  - ${local(urn)}${hint(urn, current.resources)}`).join("\n"));
    });

    test(`${variant}: no two current resources take over the same ${PREVIOUS_RELEASE} resource`, async () => {
        const old = previousUrns(variant);
        const { plan: current } = await planned(variant);
        const duplicates = [...claims(current.resources, new Set(old))].filter(([, by]) => by.length > 1);
        assert.ok(duplicates.length === 0, `pulumi up would refuse these duplicate aliases:\n` +
            duplicates.map(([urn, by]) => `  - ${local(urn)} claimed by ${by.map(local).join(", ")}`).join("\n"));
    });
}

test(`every REMOVED entry is a ${PREVIOUS_RELEASE} resource that no current resource takes over`, async () => {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const variant of Object.keys(VARIANTS).filter((v) => !VARIANTS[v].keepsEverything)) {
        const old = previousUrns(variant);
        const { plan: current } = await planned(variant);
        const claimed = claims(current.resources, new Set(old));
        for (const urn of old) {
            if (!(local(urn) in removedIn(variant))) continue;
            seen.add(`${variant} ${local(urn)}`);
            seen.add(local(urn));
            if (claimed.has(urn)) problems.push(`${local(urn)} (${variant}) is taken over by ${claimed.get(urn)!.map(local).join(", ")}: drop it from REMOVED`);
        }
    }
    for (const entry of Object.keys(REMOVED)) if (!seen.has(entry)) problems.push(`${entry} is in no variant of ${PREVIOUS_RELEASE}`);
    for (const [variant, entries] of Object.entries(REMOVED_IN)) {
        for (const entry of Object.keys(entries)) if (!seen.has(`${variant} ${entry}`)) problems.push(`${entry} is not in ${variant} of ${PREVIOUS_RELEASE}`);
    }
    assert.deepEqual(problems, []);
});
