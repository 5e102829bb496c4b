/**
 * Every policy's pass and fail examples (test/fixtures/policy-examples/<policy>.yaml, one case per YAML
 * document: `case`, `about`, `expect`, `resources`, and optionally `config`, the policy's properties for
 * the case, e.g. `cpu-limits: {required: true}`), each judged by that policy alone, at the advisory level,
 * through the places the pack runs, which must give the same answer:
 *  - evaluate() / evaluateReport() (policies/framework.ts): the verdict the case states;
 *  - CrossGuard: @pulumi/policy's own analyzer functions (test/crossguard.ts), resource policies per
 *    resource, stack policies over the stack (findings only: CrossGuard has no place for exemptions);
 *  - the plan: the case's resources registered as a program's (`new pulumi.CustomResource(type, name,
 *    props)`) under the plan's own engine (tools/plan/engine.ts runEmulated: `pulumi.runtime.setMocks`
 *    with the emulated cloud, whose outputs complete the inputs as in a plan), turned into a plan
 *    (buildPlan), into the pack's resources (policyResources) and judged by policyVerdicts: the very
 *    functions planStack calls. Not for a case with preview unknowns (a plan has none: its cloud knows
 *    every output) or a type the emulated cloud cannot create (no program of the project declares it);
 *  - `npm run policy`: every Kubernetes-only case written to its own file, the CLI run once over all of
 *    them (--each-file --json --only <every policy>; once more per distinct `config`), its findings and
 *    exemptions compared per file (by policy and message, policy and reason: the CLI's JSON names files,
 *    not URNs). Not for cases with non-Kubernetes resources (it reads Kubernetes YAML only), nor for those
 *    it refuses as bad input (what Kubernetes' schema rejects).
 * Findings are compared as (policy, object, message), the object being the case's resource the finding is
 * about (its index in `resources`); exemptions as (policy, object, reason, findings removed). Each test
 * lists the cases that skipped an entry point, and why. `POLICY=<name>` runs one policy's examples only.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parseAllDocuments } from "yaml";
import { PROJECT_ROOT } from "../config";
import { allPolicies } from "../policies/all";
import { containsUnknown, evaluate, evaluateReport, type PackConfig, type PolicyDefinition, type StackResource } from "../policies/framework";
import { checkShapes, InputError, kubernetesType } from "../tools/policy/documents";
import { runEmulated } from "../tools/plan/engine";
import { EMULATED_ACCOUNT_ID, EmulatedCloud } from "../tools/plan/emulatedCloud";
import { buildPlan } from "../tools/plan/plan";
import { policyResources, policyVerdicts, PROJECT } from "../tools/plan/planStack";
import { crossGuard } from "./crossguard";

const DIR = path.join(__dirname, "fixtures", "policy-examples");
const byName = new Map(allPolicies.map((p) => [p.name, p]));

interface Case {
    policy: PolicyDefinition<any>;
    /** `<policy>.yaml[<document>]`: where the case is. */
    where: string;
    case: "pass" | "fail";
    about: string;
    expect?: string;
    /** The policy's properties for this case (its config schema's), else its defaults. */
    config?: Record<string, unknown>;
    resources: StackResource[];
    /** Only Kubernetes objects: the CLI can read it. */
    kubernetesOnly: boolean;
    /** Holds a value a preview cannot know (one of the engine's sentinels). */
    previewUnknowns: boolean;
}

const isMap = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

/** One fixture document as a case; a malformed one throws one line naming the file, document and key. */
function toCase(policy: PolicyDefinition<any>, file: string, index: number, doc: unknown): Case {
    const where = `${file}[${index}]`;
    const bad = (what: string) => new Error(`${where}: ${what}`);
    if (!isMap(doc)) throw bad(`is ${JSON.stringify(doc)}, not a map with case, about, resources`);
    const unknownKeys = Object.keys(doc).filter((k) => !["case", "about", "expect", "config", "resources"].includes(k));
    if (unknownKeys.length) throw bad(`unknown key ${unknownKeys.join(", ")} (case, about, expect, config, resources)`);
    if (doc.config !== undefined) {
        if (!isMap(doc.config)) throw bad(`config is ${JSON.stringify(doc.config)}, not a map of ${policy.name}'s properties`);
        const properties = Object.keys(policy.config?.schema.properties ?? {});
        const unknownProperties = Object.keys(doc.config).filter((k) => !properties.includes(k));
        if (unknownProperties.length) throw bad(`config: ${policy.name} has no property ${unknownProperties.join(", ")} (${properties.join(", ") || "it has none"})`);
    }
    if (doc.case !== "pass" && doc.case !== "fail") throw bad(`case is ${JSON.stringify(doc.case)}, not pass or fail`);
    if (typeof doc.about !== "string" || doc.about.trim() === "") throw bad("about: one line saying what the case shows is required");
    if (doc.expect !== undefined && (doc.case !== "fail" || typeof doc.expect !== "string" || doc.expect === "")) throw bad("expect: a non-empty string, on fail cases only");
    if (!Array.isArray(doc.resources) || doc.resources.length === 0) throw bad("resources: a non-empty list is required");
    const names = new Set<string>();
    const resources = doc.resources.map((r: unknown, i: number): StackResource => {
        const at = `resources[${i}]`;
        if (!isMap(r)) throw bad(`${at} is ${JSON.stringify(r)}, not a map`);
        let resource: StackResource;
        if ("apiVersion" in r || "kind" in r) {
            if (typeof r.apiVersion !== "string" || typeof r.kind !== "string") throw bad(`${at}: apiVersion and kind must be strings`);
            // The plan auto-names an object without one, the CLI names it by kind: the name must be given to compare.
            if (typeof r.metadata?.name !== "string" || r.metadata.name === "") throw bad(`${at}: metadata.name is required`);
            const type = kubernetesType(r.apiVersion, r.kind);
            const name = r.metadata.namespace ? `${r.metadata.namespace}.${r.metadata.name}` : r.metadata.name;
            resource = { type, urn: "", name: r.metadata.name, props: r };
            if (names.has(`${type}::${name}`)) throw bad(`${at}: a second ${r.kind} ${name}`);
            names.add(`${type}::${name}`);
            resource.urn = `urn:pulumi:examples::${PROJECT}::${type}::${name}`;
        } else {
            if (typeof r.type !== "string" || !/^[\w.-]+:[\w./-]*:\w+$/.test(r.type)) throw bad(`${at}: type ${JSON.stringify(r.type)} is not a Pulumi type token`);
            if (typeof r.name !== "string" || r.name === "") throw bad(`${at}: name is required`);
            if (r.props !== undefined && !isMap(r.props)) throw bad(`${at}: props is ${JSON.stringify(r.props)}, not a map`);
            const extra = Object.keys(r).filter((k) => !["type", "name", "props"].includes(k));
            if (extra.length) throw bad(`${at}: unknown key ${extra.join(", ")} (type, name, props)`);
            if (names.has(`${r.type}::${r.name}`)) throw bad(`${at}: a second ${r.type} ${r.name}`);
            names.add(`${r.type}::${r.name}`);
            resource = { type: r.type, urn: `urn:pulumi:examples::${PROJECT}::${r.type}::${r.name}`, name: r.name, props: r.props ?? {} };
        }
        return resource;
    });
    return {
        policy, where, case: doc.case, about: doc.about, ...(doc.expect !== undefined ? { expect: doc.expect } : {}), ...(doc.config ? { config: doc.config } : {}), resources,
        // Components (Helm releases, yaml and kustomize groups) are Pulumi resources, not objects a file holds.
        kubernetesOnly: resources.every((r: StackResource) => r.type.startsWith("kubernetes:") && !/^kubernetes:(helm\.sh|yaml|kustomize)\//.test(r.type)),
        previewUnknowns: resources.some((r: StackResource) => containsUnknown(r.props)),
    };
}

function loadFixtures(): Map<string, Case[]> {
    const only = process.env.POLICY;
    if (only !== undefined && !byName.has(only)) throw new Error(`POLICY=${only}: not a policy of allPolicies`);
    const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
    const fixtures = new Map<string, Case[]>();
    for (const file of files) {
        const name = file.replace(/\.ya?ml$/, "");
        const policy = byName.get(name);
        if (!policy) throw new Error(`${file}: ${JSON.stringify(name)} is not a policy of allPolicies (policies/all.ts)`);
        if (only !== undefined && name !== only) continue;
        const docs = parseAllDocuments(fs.readFileSync(path.join(DIR, file), "utf8"));
        if (!Array.isArray(docs)) throw new Error(`${file}: not YAML`);
        fixtures.set(name, docs.map((doc, i) => {
            if (doc.errors.length) throw new Error(`${file}[${i}]: ${doc.errors[0].message.split("\n")[0]}`);
            return toCase(policy, file, i, doc.toJS());
        }));
    }
    return fixtures;
}

const fixtures = loadFixtures();
const cases = [...fixtures.values()].flat();

/** A Deployment of two replicas without a memory limit and without a PDB, with these annotations. */
const unlimited = (annotations: Record<string, string>) => `
    - apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: batch
        namespace: shop
        annotations: ${JSON.stringify(annotations)}
      spec:
        replicas: 2
        selector: {matchLabels: {app: batch}}
        template:
          metadata: {labels: {app: batch}}
          spec:
            containers: [{name: batch, image: "nginx:1.27", resources: {requests: {cpu: 100m, memory: 128Mi}}}]`;
const EXEMPT = "eks-delivery.dev/exempt";
const REASON = "eks-delivery.dev/exempt-reason";
/** The engine's sentinel for an unknown string (pulumi/pulumi@v3.248.0:sdk/go/common/resource/plugin/rpc.go:61). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * Exemptions judged by the policies they exempt from, an object policy (memory-limits: a resource policy
 * in CrossGuard) and a stack policy (pdb-required): through all entry points like the examples. Here and
 * not in those policies' example files, which judge the policies' own semantics.
 */
const exemptionCases: Case[] = ([
    ["memory-limits", "pass", "exempt with a reason: the finding is left out", unlimited({ [EXEMPT]: "memory-limits", [REASON]: "sized by the JVM until OPS-142" })],
    ["memory-limits", "pass", "one of several policies named, spaces around the comma", unlimited({ [EXEMPT]: "cpu-limits , memory-limits", [REASON]: "batch" })],
    ["memory-limits", "fail", "no reason: the exemption does not apply", unlimited({ [EXEMPT]: "memory-limits" })],
    ["memory-limits", "fail", "a blank reason: the exemption does not apply", unlimited({ [EXEMPT]: "memory-limits", [REASON]: " " })],
    ["memory-limits", "fail", "exempt from another policy only", unlimited({ [EXEMPT]: "cpu-limits", [REASON]: "batch" })],
    ["memory-limits", "fail", "preview: the exempt annotation unknown, the object is judged", unlimited({ [EXEMPT]: UNKNOWN, [REASON]: "batch" })],
    ["memory-limits", "fail", "preview: the reason unknown, the exemption does not apply yet", unlimited({ [EXEMPT]: "memory-limits", [REASON]: UNKNOWN })],
    ["pdb-required", "pass", "a stack policy's finding on the exempted object is left out", unlimited({ [EXEMPT]: "pdb-required", [REASON]: "a singleton in all but name" })],
    ["pdb-required", "fail", "a stack policy's finding on an object not exempted stays", unlimited({ [EXEMPT]: "memory-limits", [REASON]: "batch" })],
    ["exemption-reason", "fail", "exemption-reason on an object exempt from it is still reported", unlimited({ [EXEMPT]: "exemption-reason,memory-limits" })],
] as const).filter(([policy]) => byName.has(policy)).map(([policy, kind, about, resources], i) =>
    toCase(byName.get(policy)!, "exemptions (test/policyExamples.test.ts)", i, { case: kind, about, resources: parseAllDocuments(`${resources}\n`)[0].toJS() }));

/** A finding as compared across entry points: policy, the case's resource it is about (#index), message. */
const key = (policy: string, object: number | undefined, message: string) => `${policy} | ${object === undefined ? "-" : `#${object}`} | ${message}`;
const sorted = (xs: string[]) => [...xs].sort();
/** The pack config of a case: its policy's properties, at the default (advisory) level. */
const packConfig = (c: Case): PackConfig => (c.config ? { [c.policy.name]: c.config as PackConfig[string] } : {});

/** An exemption as compared: policy, the case's resource that declares it (#index), reason, findings it removed. */
const exemptionKey = (policy: string, object: number | undefined, reason: string, suppressed: number) => `${policy} | ${object === undefined ? "-" : `#${object}`} | ${reason} | ${suppressed}`;

interface Verdicts { findings: string[]; exemptions: string[] }

/** What a report says, as compared: `urnIndex` maps a URN to the case's resource. */
function verdicts(report: ReturnType<typeof evaluateReport>, urnIndex: (urn: string | undefined) => number | undefined): Verdicts {
    return {
        findings: sorted(report.violations.map((v) => key(v.policy, urnIndex(v.urn), v.message))),
        exemptions: report.exemptions.map((e) => exemptionKey(e.policy, urnIndex(e.urn), e.reason, e.suppressed)),
    };
}

/** evaluate(), the pack's own entry point, with only the case's policy at its defaults (advisory). */
function viaEvaluate(c: Case): Verdicts {
    const index = new Map(c.resources.map((r, i) => [r.urn, i]));
    const report = evaluateReport([c.policy], c.resources, packConfig(c));
    assert.deepEqual(evaluate([c.policy], c.resources, packConfig(c)), report.violations, `${c.where}: evaluate() and evaluateReport() agree`);
    return verdicts(report, (urn) => (urn === undefined ? undefined : index.get(urn)));
}

async function viaCrossGuard(c: Case): Promise<string[]> {
    const index = new Map(c.resources.map((r, i) => [r.urn, i]));
    return sorted((await crossGuard(c.resources, [c.policy], packConfig(c))).map((d) => key(d.policy, d.urn === undefined ? undefined : index.get(d.urn), d.message)));
}

/** A resource of any type, as an SDK class registers it (CustomResource itself is abstract). */
class Registered extends pulumi.CustomResource {
    constructor(type: string, name: string, props: Record<string, unknown>) {
        super(type, name, props);
    }
}

/**
 * The plan: the resources registered as a program's (`new pulumi.CustomResource(type, name, props)`, what
 * the SDKs' classes register) under the plan's engine and emulated cloud, then judged as planStack does.
 */
async function viaPlan(c: Case): Promise<Verdicts | { skipped: string }> {
    // A type no program of this project declares (the raw aws:eks/cluster:Cluster is inside the eks
    // component, opaque offline) has no shape in the emulated cloud: a plan of it stops there, so the plan
    // gives no verdict to compare. Asked of the cloud itself, before the run.
    const cloud = new EmulatedCloud({ region: "us-east-1", accountId: EMULATED_ACCOUNT_ID, projectRoot: PROJECT_ROOT });
    for (const r of c.resources) {
        try {
            cloud.newResource({ type: r.type, name: r.name, inputs: structuredClone(r.props), custom: true });
        } catch (err) {
            const noShape = /the emulated cloud has no shape for (\S+):/.exec((err as Error).message);
            if (noShape) return { skipped: `the plan cannot register ${noShape[1]}` };
        }
    }
    const run = await runEmulated(
        { project: PROJECT, stack: "examples", projectRoot: PROJECT_ROOT, stackFile: { file: c.where, values: { "aws:region": "us-east-1" }, secretKeys: [] } },
        async () => {
            const registered = c.resources.map((r) => new Registered(r.type, r.urn.split("::").pop()!, r.props));
            // Waits for every registration, so that one the emulated cloud refuses fails the run (the engine
            // does not wait for registrations nothing awaits: their failure would come after the run).
            await Promise.all(registered.map((r) => (r.urn as unknown as { promise(): Promise<string> }).promise()));
        });
    const resources = policyResources(buildPlan(run));
    const index = new Map(resources.map((r) => [r.urn, c.resources.findIndex((x) => x.type === r.type && x.urn.split("::").pop() === r.name)]));
    return verdicts(policyVerdicts(resources, packConfig(c), [c.policy]), (urn) => (urn === undefined ? undefined : index.get(urn)));
}

/** What `npm run policy` says of one file: findings of the case's policy (policy | message), exemptions (policy | reason). */
interface CliVerdicts { findings: string[]; exemptions: string[] }

type CliAnswer = CliVerdicts | { refused: string };

/**
 * `npm run policy` over every Kubernetes-only case, each its own file, in one spawn (it takes seconds to
 * start); one more per distinct `config` a case sets (given as --config). A case the CLI refuses as bad
 * input (an object Kubernetes' schema rejects: the CLI's own checkShapes says so first, in-process) gets
 * that one line instead of verdicts, since one bad file fails the whole run.
 */
let cliRun: Promise<Map<Case, CliAnswer>> | undefined;
function viaCli(): Promise<Map<Case, CliAnswer>> {
    cliRun ??= (async () => {
        const answers = new Map<Case, CliAnswer>();
        const groups = new Map<string, Case[]>();
        for (const c of [...cases, ...exemptionCases].filter((c) => c.kubernetesOnly && !c.previewUnknowns)) {
            try {
                await checkShapes(c.resources.map((r) => ({ ...r, props: structuredClone(r.props) })));
            } catch (err) {
                if (!(err instanceof InputError)) throw err;
                answers.set(c, { refused: err.message });
                continue;
            }
            const group = JSON.stringify(packConfig(c));
            groups.set(group, [...(groups.get(group) ?? []), c]);
        }
        for (const [config, group] of groups) {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eks-delivery-examples-"));
            try {
                const files = new Map(group.map((c, i) => [path.join(dir, `${c.policy.name}.${i}.yaml`), c]));
                for (const [file, c] of files) fs.writeFileSync(file, c.resources.map((r) => `---\n${JSON.stringify(r.props)}\n`).join(""));
                const configFile = path.join(dir, "config.json");
                fs.writeFileSync(configFile, config);
                const r = spawnSync(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "tools/policy/cli.ts"),
                    "--each-file", "--json", "--only", allPolicies.map((p) => p.name).join(","), "--config", configFile, ...files.keys()],
                    // Every policy's findings on every file: more than spawnSync's default buffer.
                    { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
                assert.ok(r.status === 0 || r.status === 1, `npm run policy exited ${r.status}${r.error ? ` (${r.error.message})` : ""}: ${r.stderr}`);
                const report = JSON.parse(r.stdout) as {
                    violations: Array<{ policy: string; file: string; message: string }>;
                    exemptions?: Array<{ policy: string; file: string; reason: string }>;
                };
                const found = new Map(group.map((c) => [c, { findings: [] as string[], exemptions: [] as string[] }]));
                const caseOf = (file: string) => {
                    const c = files.get(path.resolve(PROJECT_ROOT, file));
                    assert.ok(c, `npm run policy reported a file it was not given: ${file}`);
                    return c;
                };
                for (const v of report.violations) {
                    const c = caseOf(v.file);
                    if (v.policy === c.policy.name) found.get(c)!.findings.push(`${v.policy} | ${v.message}`);
                }
                assert.ok(Array.isArray(report.exemptions), "npm run policy --json lists exemptions");
                for (const e of report.exemptions) found.get(caseOf(e.file))!.exemptions.push(`${e.policy} | ${e.reason}`);
                for (const [c, v] of found) answers.set(c, { findings: sorted(v.findings), exemptions: sorted(v.exemptions) });
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        }
        return answers;
    })();
    return cliRun;
}

/** The cases that skipped an entry point, by why: printed as each test's diagnostics. */
const skipped = new Map<string, string[]>();
const skip = (c: Case, why: string) => skipped.set(why, [...(skipped.get(why) ?? []), c.where]);

/** The case's verdict by evaluate(), and the same findings and exemptions through CrossGuard, the plan and the CLI. */
async function judge(c: Case): Promise<void> {
    const label = `${c.where} (${c.case}: ${c.about})`;
    const offline = viaEvaluate(c);
    const name = c.policy.name;
    if (c.case === "pass") assert.deepEqual(offline.findings, [], `${label}: expected no finding of ${name}`);
    else {
        assert.ok(offline.findings.length > 0, `${label}: expected a finding of ${name}, got none`);
        if (c.expect !== undefined) assert.ok(offline.findings.some((f) => f.includes(c.expect!)), `${label}: no finding contains ${JSON.stringify(c.expect)}:\n${offline.findings.join("\n")}`);
    }
    // CrossGuard has no place for exemptions: only its findings compare.
    assert.deepEqual(await viaCrossGuard(c), offline.findings, `${label}: CrossGuard`);
    // The plan has no preview unknowns to give the pack: its emulated cloud knows every output, and a value
    // a program passes as unknown is dropped in an update ("[unknown]" in plan.json of a preview).
    if (c.previewUnknowns) skip(c, "not through the plan (preview unknowns)");
    else {
        const planned = await viaPlan(c);
        if ("skipped" in planned) skip(c, `not through the plan (${planned.skipped})`);
        else assert.deepEqual(planned, offline, `${label}: the plan`);
    }
    // Not through npm run policy when the case has non-Kubernetes resources: it reads Kubernetes YAML only.
    if (!c.kubernetesOnly) skip(c, "not through npm run policy (non-Kubernetes resources)");
    // The CLI refuses the engine's unknown placeholder in a file (tools/policy/documents.ts): YAML holds known values.
    else if (c.previewUnknowns) skip(c, "not through npm run policy (preview unknowns)");
    else {
        const cli = (await viaCli()).get(c)!;
        if ("refused" in cli) {
            skip(c, `refused by npm run policy as bad input, as Kubernetes would refuse it (${cli.refused.replace(/^.*?\[\d+\] /, "")})`);
            return;
        }
        const drop = (k: string) => k.replace(/ \| (#\d+|-) \| /, " | ");
        assert.deepEqual(cli.findings, sorted(offline.findings.map(drop)), `${label}: npm run policy findings`);
        // The CLI runs every policy and lists the exemptions of every policy it ran: compare the case's.
        assert.deepEqual(cli.exemptions.filter((e) => e.startsWith(`${name} | `)), sorted(offline.exemptions.map((e) => drop(e).replace(/ \| \d+$/, ""))), `${label}: npm run policy exemptions`);
    }
}

for (const [name, list] of fixtures) {
    test(`${name}: every example's verdict, the same through evaluate(), CrossGuard, the plan and npm run policy`, async (t) => {
        skipped.clear();
        for (const c of list) await judge(c);
        for (const [why, where] of skipped) t.diagnostic(`${why}: ${where.join(", ")}`);
    });
}

test("exemptions: judged the same through evaluate(), CrossGuard, the plan and npm run policy, and listed with what they removed", async () => {
    for (const c of exemptionCases) await judge(c);
    const listed = (i: number) => viaEvaluate(exemptionCases[i]).exemptions;
    assert.deepEqual(listed(0), ["memory-limits | #0 | sized by the JVM until OPS-142 | 1"], "one finding removed");
    assert.deepEqual(listed(1), ["memory-limits | #0 | batch | 1"], "only the exemptions of the policies evaluated (here memory-limits alone)");
    assert.deepEqual(listed(2), [], "an exemption without a reason is not one");
    assert.deepEqual(listed(7), ["pdb-required | #0 | a singleton in all but name | 1"]);
    assert.deepEqual(listed(6), [], "a reason not known yet");
    assert.deepEqual(listed(5), [], "an exempt annotation not known yet");
});

test("every policy has examples: at least one pass and one fail case", () => {
    const only = process.env.POLICY;
    const missing = allPolicies.filter((p) => only === undefined || p.name === only).flatMap((p) => {
        const list = fixtures.get(p.name) ?? [];
        return (["pass", "fail"] as const).filter((k) => !list.some((c) => c.case === k)).map((k) => `${p.name}: no ${k} case`);
    });
    assert.deepEqual(missing, [], `test/fixtures/policy-examples/<policy>.yaml`);
});
