/** The plan's Mermaid graph (tools/plan/graph.ts): what is drawn, which edges, escaping, determinism, and the README's copy. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GraphPlan, GraphResource, mermaidGraph, mermaidLabel, readmeGraph, readmeWithGraph } from "../tools/plan/graph";

const ROOT = path.resolve(__dirname, "..");
const STACK = "urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev";
const urn = (type: string, name: string) => `urn:pulumi:dev::demo::${type}::${name}`;
const res = (type: string, name: string, parent = STACK, more: Partial<GraphResource> = {}): GraphResource =>
    ({ urn: urn(type, name), type, name, parent, inputs: {}, ...more });
const graphOf = (resources: GraphResource[], run?: Parameters<typeof mermaidGraph>[1]) =>
    mermaidGraph({ project: "demo", stack: "dev", resources: [{ urn: STACK, type: "pulumi:pulumi:Stack", name: "demo-dev", inputs: {} }, ...resources] }, run);
const edges = (mmd: string) => mmd.split("\n").filter((l) => l.includes(" --> ")).map((l) => l.trim());
const nodeLines = (mmd: string) => mmd.split("\n").filter((l) => /^\s*n_\w+[[(]/.test(l)).map((l) => l.trim());

/**
 * Every label that would not read back as written in Mermaid (mermaid-js/mermaid@mermaid@11.14.0,
 * flow.jison and utils.ts encodeEntities): a `"` or a leading backtick in a quoted label, `#` that is no
 * entity code, raw HTML (`<`, `>`, `&`) other than the `<br/>` line breaks, a control character, a
 * direction statement, or a style/classDef line whose last `;` Mermaid drops.
 */
function unescapedLabels(mmd: string): string[] {
    const problems: string[] = [];
    for (const line of mmd.split("\n")) {
        const m = /^\s*(?:subgraph )?(\S+?)\s?(\[\[|\[|\()"(.*)"(\]\]|\]|\))(:::\w+)?$/.exec(line);
        if (!m) {
            const statement = /^(%% [^\n]*|flowchart TB|\s+end|\s+n_\w+ --> n_\w+|\s+classDef \w+ [\w#:,.-]+(?: \d+)*|)$/;
            if (!statement.test(line)) problems.push(`not a statement the graph writes: ${line}`);
            continue;
        }
        const label = m[3].replace(/<br\/>/g, "\n");
        if (!/^n_[A-Za-z0-9_]+$/.test(m[1])) problems.push(`id ${m[1]}`);
        if (/["`<>&\p{Cc}]/u.test(label.replace(/\n/g, ""))) problems.push(`raw character in ${label}`);
        if (/#(?!\d+;)/.test(label)) problems.push(`# that is no entity code in ${label}`);
        if (/direction\s+(TB|BT|RL|LR|TD)/.test(line)) problems.push(`direction statement in ${label}`);
        if (/(style|classDef).*:\S*#.*;/.test(line)) problems.push(`style pattern in ${label}`);
    }
    return problems;
}

test("components nest as subgraphs; a component without child components is one node; custom children fold into it", () => {
    const outer = res("demo:infra:Platform", "platform");
    const inner = res("demo:infra:Addon", "dns", outer.urn);
    const leaf = res("demo:infra:Network", "net");
    const mmd = graphOf([outer, inner, res("aws:iam/role:Role", "dns-role", inner.urn), leaf, res("aws:ec2/vpc:Vpc", "vpc", leaf.urn)]);
    assert.match(mmd, /^ {4}subgraph n_Platform_platform \["Platform platform"\]\n {8}n_Addon_dns\["Addon dns"\]:::component\n {4}end$/m);
    assert.match(mmd, /^ {4}n_Network_net\["Network net"\]:::component$/m);
    assert.doesNotMatch(mmd, /dns-role|vpc"/, "custom resources inside a component are not drawn");
});

test("a top-level custom resource is a node of its own; the stack and providers are not drawn", () => {
    const mmd = graphOf([res("aws:ecr/repository:Repository", "api"), res("pulumi:providers:aws", "default")]);
    assert.deepEqual(nodeLines(mmd), ['n_aws_ecr_repository_Repository_api("aws:ecr/repository:Repository api"):::resource']);
});

test("edges come from dependsOn, from resource references in inputs, from the provider and from the run, aggregated to the top box", () => {
    const net = res("demo:infra:Network", "net");
    const subnet = res("aws:ec2/subnet:Subnet", "a", net.urn);
    const cluster = res("demo:infra:Cluster", "cluster");
    const provider = res("pulumi:providers:kubernetes", "k8s", cluster.urn);
    const apps = res("demo:apps:Apps", "apps");
    const registry = res("demo:infra:Registry", "registry");
    const dns = res("demo:infra:Dns", "dns");
    const resources = [net, subnet, cluster, provider, apps, registry, dns,
        // dependsOn on a child: drawn from the child's component
        res("aws:eks/cluster:Cluster", "eks", cluster.urn, { options: { dependsOn: [subnet.urn] } }),
        // a resource reference in the inputs (recorded as its URN), twice: one edge; a string that is no URN: none
        res("kubernetes:core/v1:Namespace", "ns", apps.urn, { provider: `${provider.urn}::0a1b`, inputs: { a: registry.urn, b: [{ c: registry.urn }], d: "urn:pulumi:dev::demo::x::y" } }),
        // the run's recorded dependencies
        res("aws:route53/record:Record", "r", dns.urn)];
    const run = { resources: [{ urn: urn("aws:route53/record:Record", "r"), dependencies: [cluster.urn, urn("aws:route53/record:Record", "r")] }] };
    assert.deepEqual(edges(graphOf(resources, run)), [
        "n_Cluster_cluster --> n_Apps_apps", // through the Kubernetes provider
        "n_Cluster_cluster --> n_Dns_dns", // from the run
        "n_Network_net --> n_Cluster_cluster", // dependsOn
        "n_Registry_registry --> n_Apps_apps", // input reference, once
    ]);
    assert.deepEqual(edges(graphOf(resources)), ["n_Cluster_cluster --> n_Apps_apps", "n_Network_net --> n_Cluster_cluster", "n_Registry_registry --> n_Apps_apps"],
        "without the run, what the plan itself records");
});

test("no self-edges, no edge between a subgraph and its members, one edge to a subgraph every member needs", () => {
    const group = res("demo:addons:Addons", "addons");
    const a = res("demo:addons:Addon", "a", group.urn);
    const b = res("demo:addons:Addon", "b", group.urn);
    const nodes = res("demo:infra:Nodes", "nodes");
    const access = res("demo:infra:Access", "access");
    const mmd = graphOf([group, a, b, nodes, access,
        res("aws:iam/role:Role", "a-role", a.urn, { options: { dependsOn: [nodes.urn, a.urn, group.urn, access.urn] } }),
        res("aws:iam/role:Role", "b-role", b.urn, { options: { dependsOn: [nodes.urn, urn("aws:iam/role:Role", "a-role")] } }),
        res("aws:iam/role:Role", "g-role", group.urn, { options: { dependsOn: [urn("aws:iam/role:Role", "b-role")] } })]);
    assert.deepEqual(edges(mmd), [
        "n_Access_access --> n_Addon_a", // one member only: drawn to it
        "n_Addon_a --> n_Addon_b",
        "n_Nodes_nodes --> n_Addons_addons", // every member: one edge to the subgraph
    ]);
});

test("remote components, Helm releases and EKS managed add-ons are opaque: one marked node, folded into a component that only wraps them", () => {
    const cluster = res("demo:infra:EksCluster", "cluster");
    const addon = res("demo:addons:Addon", "dns");
    const mmd = graphOf([cluster, res("eks:index:Cluster", "cluster", cluster.urn), res("aws:kms/key:Key", "k", cluster.urn),
        addon, res("kubernetes:helm.sh/v3:Release", "dns", addon.urn), res("awsx:ec2:Vpc", "vpc"), res("aws:eks/addon:Addon", "coredns")]);
    assert.deepEqual(nodeLines(mmd), [
        'n_Addon_dns[["Addon dns<br/>kubernetes:helm.sh/v3:Release dns (Helm release: opaque)"]]:::opaque',
        'n_EksCluster_cluster[["EksCluster cluster<br/>eks:index:Cluster cluster (remote component: opaque)"]]:::opaque',
        'n_aws_eks_addon_Addon_coredns[["aws:eks/addon:Addon coredns<br/>(EKS managed add-on: opaque)"]]:::opaque',
        'n_awsx_ec2_Vpc_vpc[["awsx:ec2:Vpc vpc<br/>(remote component: opaque)"]]:::opaque',
    ]);
    assert.match(mmd, /^ {4}classDef opaque /m);
});

test("ids are Mermaid-safe and unique even when names collide after cleaning", () => {
    const mmd = graphOf([res("demo:x:Comp", "a-b"), res("demo:x:Comp", "a_b"), res("demo:x:Comp", "end"), res("demo:x:Comp", "1")]);
    const ids = nodeLines(mmd).map((l) => l.split(/[[(]/)[0]);
    assert.deepEqual(ids, ["n_Comp_1", "n_Comp_a_b", "n_Comp_a_b_2", "n_Comp_end"]);
});

test("labels are escaped: every character Mermaid would read as syntax or markup becomes an entity code", () => {
    assert.equal(mermaidLabel('a "b" <i>c</i> & #d; `e`'), "a #34;b#34; #60;i#62;c#60;/i#62; #38; #35;d#59; #96;e#96;");
    assert.equal(mermaidLabel("x\ny\u2028"), "x#10;y#8232;");
    assert.equal(mermaidLabel("direction LR now"), "direction#32;LR now");
    assert.equal(mermaidLabel("classDef x:y#z"), "classDef x#58;y#35;z");
    assert.equal(mermaidLabel("aws:eks/addon:Addon coredns-1.2"), "aws:eks/addon:Addon coredns-1.2", "ordinary names stay readable");

    const hostile = ['q"uote', "`tick", "<script>alert(1)</script>", "a&amp;b", "#35;", "semi;colon", "new\nline", "tab\there",
        "direction TB", "style:x#y;", "classDef a:b#c;", "end", "subgraph", "a-->b", "a]]b", 'x"]:::opaque', "%%", "ünïcödé 名前"];
    const mmd = graphOf(hostile.flatMap((name, i) => {
        const comp = res("demo:x:Comp", name);
        return [comp, res("demo:x:Inner", `${name}-${i}`, comp.urn), res("eks:index:Cluster", name)];
    }));
    assert.deepEqual(unescapedLabels(mmd), []);
    assert.equal(nodeLines(mmd).length + mmd.split("\n").filter((l) => l.trim().startsWith("subgraph ")).length, hostile.length * 3, "every hostile name is drawn");
});

test("the label check itself catches an unescaped label", () => {
    assert.deepEqual(unescapedLabels('    n_a["fine<br/>line"]:::component\n    n_b["#35; ok"]:::opaque'), []);
    assert.equal(unescapedLabels('    n_a["a <b>bold</b>"]:::component').length, 1);
    assert.equal(unescapedLabels('    n_a["a #1 b"]:::component').length, 1);
    assert.equal(unescapedLabels('    n_a["say "hi""]:::component').length, 1);
    assert.equal(unescapedLabels('    n_a["direction LR"]:::component').length, 1);
    assert.equal(unescapedLabels('    n_a["`md`"]:::component').length, 1);
});

test("identical input, identical bytes, whatever the order the resources come in", () => {
    const group = res("demo:addons:Addons", "addons");
    const resources = [group, res("demo:addons:Addon", "b", group.urn), res("demo:addons:Addon", "a", group.urn), res("demo:infra:Nodes", "n"),
        res("aws:iam/role:Role", "r", urn("demo:addons:Addon", "a"), { options: { dependsOn: [urn("demo:infra:Nodes", "n")] } }),
        // names that clean to the same id: which one gets the suffix must not depend on the order
        res("demo:x:Comp", "a-b"), res("demo:x:Comp", "a_b", STACK, { options: { dependsOn: [urn("demo:infra:Nodes", "n")] } })];
    const first = graphOf(resources);
    assert.equal(graphOf([...resources].reverse()), first);
    assert.equal(graphOf(resources), first);
    assert.ok(first.endsWith("\n") && !first.includes("\r"));
});

test("readmeWithGraph replaces the one mermaid block and refuses a README with none or two", () => {
    const readme = "# x\n\n```sh\nnpm ci\n```\n\n```mermaid\nold\n```\n\ntail\n";
    const updated = readmeWithGraph(readme, "flowchart TB\n    a\n");
    assert.equal(updated, "# x\n\n```sh\nnpm ci\n```\n\n```mermaid\nflowchart TB\n    a\n```\n\ntail\n");
    assert.equal(readmeGraph(updated), "flowchart TB\n    a\n");
    assert.throws(() => readmeWithGraph("# x\n", "g\n"), /0 ```mermaid blocks/);
    assert.throws(() => readmeWithGraph(`${readme}\n\`\`\`mermaid\ny\n\`\`\`\n`, "g\n"), /2 ```mermaid blocks/);
});

test("npm run plan writes graph.mmd, and the README shows dev's graph as written", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "eks-delivery-graph-"));
    const result = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "tools/plan/cli.ts"), "--stack", "dev", "--out", out],
        { cwd: ROOT, encoding: "utf8", timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(result.status, 0, result.stderr);
    const graph = fs.readFileSync(path.join(out, "graph.mmd"), "utf8");
    assert.deepEqual(unescapedLabels(graph), []);
    const nodes = nodeLines(graph).length + graph.split("\n").filter((l) => l.trim().startsWith("subgraph ")).length;
    assert.ok(nodes >= 10 && nodes <= 60, `dev's graph has ${nodes} boxes: readable, not one per resource`);
    assert.match(graph, /n_EksCluster_cluster\[\[".*eks:index:Cluster.*opaque.*"\]\]:::opaque/);
    const plan = JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8")) as GraphPlan;
    assert.ok(plan.resources.length > nodes * 3);
    assert.equal(readmeGraph(fs.readFileSync(path.join(ROOT, "README.md"), "utf8")), graph,
        "README.md's mermaid block is not the dev graph the plan writes: run `npm run readme:graph` and commit README.md");
});
