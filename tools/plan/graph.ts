/**
 * The plan as a picture: a Mermaid flowchart of the stack's components and what they depend on
 * (`graph.mmd`, and the README's dev graph). Pure: identical input gives identical bytes.
 *
 * What is drawn:
 * - every ComponentResource: a subgraph when it holds other components, else one node;
 * - every custom resource at the top of the stack (not inside a component) as one node;
 * - what the plan cannot see inside, marked `opaque` (a double-bordered box): remote components
 *   (`@pulumi/eks` v4, `@pulumi/awsx`: their children are created by the provider plugin during
 *   `pulumi up`, the SDK registers the component alone), Helm releases (one resource for the
 *   whole chart) and EKS managed add-ons (one resource; EKS creates the workloads). A component
 *   whose only opaque content is such a resource is that node, marked.
 * Everything else is folded into the component it belongs to.
 *
 * Edges run from what is needed to what needs it (creation order): every dependency of every
 * resource (its `dependsOn`, the resources its inputs reference, its provider, and, when the run
 * is given, every URN the registration waited for) drawn between the boxes the two resources fold
 * into. Left out: an edge inside one box, an edge between a box and what it contains, and an edge
 * into a member of a subgraph when the same edge already reaches the subgraph.
 */

/** What the graph reads of a resource: the fields of tools/plan/plan.ts `PlannedResource` it needs. */
export interface GraphResource {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    /** The provider's URN (the plan records it so), or a provider reference `<urn>::<id>`. */
    provider?: string;
    options?: { dependsOn?: string[] };
    inputs?: Record<string, unknown>;
}

export interface GraphPlan {
    project: string;
    stack: string;
    resources: GraphResource[];
}

/** tools/plan/engine.ts `ProgramRun`: every URN each registration waited for (dependsOn and its inputs' resources). */
export interface GraphRun {
    resources: Array<{ urn: string; dependencies: string[] }>;
}

/**
 * Types whose insides the plan cannot show. `eks:` and `awsx:` types are remote components
 * (node_modules/@pulumi/eks@4.3.0 cluster.js and @pulumi/awsx@3.9.0 ec2/vpc.js call
 * `super(..., true /*remote*\/)`); a Helm v3 `Release` is a CustomResource standing for a whole chart
 * (@pulumi/kubernetes@4.34.2 helm/v3/release.d.ts); an `aws:eks/addon:Addon` is one EKS API object
 * (CreateAddon) whose Deployments, DaemonSets and service accounts EKS itself installs into the cluster
 * (coredns, eks-pod-identity-agent, vpc-cni, kube-proxy, the EBS CSI driver).
 */
export function opaqueKind(type: string): string | undefined {
    if (type === "kubernetes:helm.sh/v3:Release") return "Helm release";
    if (type === "aws:eks/addon:Addon") return "EKS managed add-on";
    const pkg = type.split(":")[0];
    if (pkg === "eks" || pkg === "awsx") return "remote component";
    return undefined;
}

/**
 * Text safe inside a quoted Mermaid label (`["..."]`), as mermaid-js/mermaid@mermaid@11.14.0 reads it:
 * - flow.jison: inside `"..."` only `"` ends the string, and `"` followed by a backtick opens a
 *   markdown string;
 * - utils.ts `encodeEntities`: `#name;` / `#123;` are entity codes (so a bare `#` is one too), and a
 *   line matching `style.*:\S*#.*;` or `classDef.*:\S*#.*;` loses its last `;`;
 * - flow.jison: a line matching `.*direction\s+(TB|BT|RL|LR|TD)` is a direction statement, whatever
 *   quotes it sits in;
 * - labels are HTML: `<`, `>` and `&` would be markup.
 * Each such character becomes the entity code `#<decimal>;`, which Mermaid renders as the character.
 */
export function mermaidLabel(text: string): string {
    const code = (ch: string) => `#${ch.codePointAt(0)};`;
    let out = "";
    for (const ch of text) out += /["#<>&`;\\\p{Cc}\u2028\u2029]/u.test(ch) ? code(ch) : ch;
    if (/style|classDef/.test(out)) out = out.replace(/:/g, code);
    return out.replace(/(direction)(\s+)(?=TB|BT|RL|LR|TD)/g, (_m, word: string, space: string) => word + [...space].map(code).join(""));
}

/** The URN a provider field names: a URN, or a provider reference `<urn>::<id>` (pulumi/pulumi sdk/go/common/resource/providers/reference.go). */
function providerUrn(ref: string, known: Set<string>): string {
    return known.has(ref) ? ref : ref.slice(0, ref.lastIndexOf("::"));
}

/** Every string in a value that is the URN of a resource in the plan (resource references are recorded as their URN). */
function referencedUrns(value: unknown, known: Set<string>, out: Set<string>): Set<string> {
    if (typeof value === "string") {
        if (known.has(value)) out.add(value);
    } else if (Array.isArray(value)) {
        for (const v of value) referencedUrns(v, known, out);
    } else if (value !== null && typeof value === "object") {
        for (const v of Object.values(value)) referencedUrns(v, known, out);
    }
    return out;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface Box {
    id: string;
    urn: string;
    label: string;
    /** `opaque`, `component` or `resource`. */
    kind: "opaque" | "component" | "resource";
    members: Box[];
    parent?: Box;
}

/** The Mermaid flowchart of a plan's components and their dependencies (see the file comment). */
export function mermaidGraph(plan: GraphPlan, run?: GraphRun): string {
    const known = new Set(plan.resources.map((r) => r.urn));
    const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
    const hidden = (r: GraphResource) => r.type === "pulumi:pulumi:Stack" || r.type.startsWith("pulumi:providers:");
    const sorted = [...plan.resources].sort((a, b) => byString(a.urn, b.urn));
    const children = new Map<string, GraphResource[]>();
    for (const r of sorted) if (r.parent && known.has(r.parent)) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
    const kids = (r: GraphResource) => (children.get(r.urn) ?? []).filter((c) => !hidden(c));
    const isComponent = (r: GraphResource) => kids(r).length > 0 || r.type.startsWith(`${plan.project}:`);
    const shortType = (type: string) => (type.startsWith(`${plan.project}:`) ? type.slice(type.lastIndexOf(":") + 1) : type);

    const usedIds = new Set<string>();
    const idFor = (r: GraphResource) => {
        const base = `n_${`${shortType(r.type)}_${r.name}`.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "")}`;
        let id = base;
        for (let n = 2; usedIds.has(id); n++) id = `${base}_${n}`;
        usedIds.add(id);
        return id;
    };

    // The boxes, walked from the top of the stack; `boxOf` maps every resource to the box it folds into.
    const boxOf = new Map<string, Box>();
    const top: Box[] = [];
    const place = (r: GraphResource, parent: Box | undefined, into: Box[]) => {
        const opaque = opaqueKind(r.type);
        const inner = kids(r);
        const drawn = inner.filter((c) => isComponent(c) || opaqueKind(c.type));
        const heldOpaque = drawn.length > 0 && drawn.every((c) => opaqueKind(c.type) && kids(c).length === 0);
        const custom = !isComponent(r) && !opaque;
        if (custom && parent) return; // folded into its component
        const lines = [`${shortType(r.type)} ${r.name}`];
        if (opaque) lines.push(`(${opaque}: opaque)`);
        if (heldOpaque) for (const c of drawn) lines.push(`${c.type} ${c.name} (${opaqueKind(c.type)}: opaque)`);
        const box: Box = {
            id: idFor(r), urn: r.urn, label: lines.map(mermaidLabel).join("<br/>"),
            kind: opaque || heldOpaque ? "opaque" : custom ? "resource" : "component", members: [], parent,
        };
        into.push(box);
        const mark = (x: GraphResource) => {
            if (!boxOf.has(x.urn)) boxOf.set(x.urn, box);
            for (const c of children.get(x.urn) ?? []) mark(c);
        };
        if (!heldOpaque) for (const c of inner) place(c, box, box.members);
        mark(r);
    };
    const roots = sorted.filter((r) => !r.parent || !known.has(r.parent));
    for (const root of roots) {
        if (root.type === "pulumi:pulumi:Stack") {
            for (const r of kids(root)) place(r, undefined, top);
        } else if (!hidden(root)) {
            place(root, undefined, top);
        }
    }

    const ancestors = (b: Box) => {
        const out: Box[] = [];
        for (let p = b.parent; p; p = p.parent) out.push(p);
        return out;
    };
    const runDeps = new Map((run?.resources ?? []).map((r) => [r.urn, r.dependencies]));
    const edges = new Map<string, { from: Box; to: Box }>();
    for (const r of sorted) {
        const to = boxOf.get(r.urn);
        if (!to) continue;
        const deps = referencedUrns(r.inputs ?? {}, known, new Set(r.options?.dependsOn ?? []));
        if (r.provider) deps.add(providerUrn(r.provider, known));
        for (const d of runDeps.get(r.urn) ?? []) deps.add(d);
        for (const d of deps) {
            const dep = byUrn.get(d);
            const from = dep && boxOf.get(dep.urn);
            if (!from || from === to || ancestors(to).includes(from) || ancestors(from).includes(to)) continue;
            edges.set(`${from.id} ${to.id}`, { from, to });
        }
    }
    // A box that reaches every member of a subgraph reaches the subgraph: one edge instead of many
    // (innermost subgraphs first, so a nested one that is reached whole counts as a reached member).
    const subgraphs: Box[] = [];
    const collect = (boxes: Box[]) => {
        for (const b of boxes) if (b.members.length) { collect(b.members); subgraphs.push(b); }
    };
    collect(top);
    for (const s of subgraphs) {
        const sources = new Set([...edges.values()].filter((e) => s.members.includes(e.to)).map((e) => e.from));
        for (const from of sources) {
            if (ancestors(from).includes(s) || s.members.some((m) => !edges.has(`${from.id} ${m.id}`))) continue;
            edges.set(`${from.id} ${s.id}`, { from, to: s });
        }
    }
    // An edge into a member is implied when the same box already reaches the subgraph around it.
    const kept = [...edges.values()].filter((e) => !ancestors(e.to).some((a) => edges.has(`${e.from.id} ${a.id}`)));

    const lines = [`%% ${mermaidLabel(plan.project)}/${mermaidLabel(plan.stack)}: components and dependencies (npm run plan writes it as graph.mmd)`, "flowchart TB"];
    const shape = (b: Box) => (b.kind === "opaque" ? `[["${b.label}"]]` : b.kind === "resource" ? `("${b.label}")` : `["${b.label}"]`);
    const emit = (boxes: Box[], depth: number) => {
        const pad = "    ".repeat(depth);
        for (const b of [...boxes].sort((x, y) => byString(x.id, y.id))) {
            if (b.members.length && b.kind !== "opaque") {
                lines.push(`${pad}subgraph ${b.id} ["${b.label}"]`);
                emit(b.members, depth + 1);
                lines.push(`${pad}end`);
            } else {
                lines.push(`${pad}${b.id}${shape(b)}:::${b.kind}`);
            }
        }
    };
    emit(top, 1);
    for (const e of kept.sort((x, y) => byString(x.from.id, y.from.id) || byString(x.to.id, y.to.id))) lines.push(`    ${e.from.id} --> ${e.to.id}`);
    lines.push(
        "    classDef component fill:#eef4ff,stroke:#3b6fd8",
        "    classDef resource fill:#f4f4f4,stroke:#777777",
        "    classDef opaque fill:#fff3e0,stroke:#b35c00,stroke-dasharray:5 3",
    );
    return `${lines.join("\n")}\n`;
}

/** The README with its one ```mermaid block replaced by `graph` (`npm run readme:graph`). */
export function readmeWithGraph(readme: string, graph: string): string {
    const blocks = [...readme.matchAll(/^```mermaid\n[\s\S]*?^```$/gm)];
    if (blocks.length !== 1) throw new Error(`README.md has ${blocks.length} \`\`\`mermaid blocks; the dev graph needs exactly one`);
    const [block] = blocks;
    return readme.slice(0, block.index) + "```mermaid\n" + graph + "```" + readme.slice(block.index + block[0].length);
}

/** The graph in the README's one ```mermaid block (what `readmeWithGraph` put there), or undefined. */
export function readmeGraph(readme: string): string | undefined {
    const blocks = [...readme.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)];
    return blocks.length === 1 ? blocks[0][1] : undefined;
}
