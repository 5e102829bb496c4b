/**
 * The pack's verdicts against Polaris's and Kyverno's own fixtures, one row per judged fixture (Polaris:
 * a file; Kyverno: a resource of a test), each evaluated only with the policies tagged as that check's
 * equivalent. `test/conformance/conformance.test.ts` asserts every row agrees or is a listed deliberate
 * deviation; `npm run conformance` prints the agreement figures.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { allPolicies } from "../../policies/all";
import { evaluate, PackConfig, StackResource } from "../../policies/framework";
import { readDocuments } from "../policy/documents";

/** Turn on what Polaris/Kyverno check by default but we make optional. */
const CONFIG: PackConfig = { "cpu-limits": { required: true } };

export const mapped = (source: "polaris" | "kyverno", check: string) => allPolicies.filter((p) => p.tags.includes(`${source}:${check}`));

/** Polaris fixtures on which our verdict is deliberately stricter, with the reason (policies/README.md lists them). */
const DROP_ALL = "we require drop: [ALL] (Pod Security restricted), not a list of named capabilities: a list misses what later kernels add.";
export const POLARIS_STRICTER: Record<string, string> = {
    "hpaMinAvailability/success.minReplicaAbsent.yaml": "minReplicas defaults to 1: an HPA without it can scale a service down to a single pod.",
    "insecureCapabilities/success.yaml": DROP_ALL,
    "insecureCapabilities/success.pod.yaml": DROP_ALL,
    "insecureCapabilities/success.case.yaml": DROP_ALL,
};

/** Kyverno policies where ours is deliberately stricter: its passes may be flagged (its failures must be). */
export const KYVERNO_STRICTER: Record<string, string> = {
    "require-probes": "Kyverno accepts any one probe; we require both readiness and liveness on every serving container.",
    "require-drop-all": "Kyverno only asks for drop ALL; we also refuse adding back anything but NET_BIND_SERVICE (Pod Security restricted).",
    "require-run-as-non-root-user": "Kyverno only forbids runAsUser 0; like its require-run-as-nonroot we also require runAsNonRoot: true or a non-zero user (unset runs as the image's user, often root).",
};

/** Kyverno sets whose verdicts come from cluster state injected through values.yaml, absent from the documents. */
export const KYVERNO_CLUSTER_STATE: Record<string, string> = {
    "require-pdb": "the passing Deployment relies on a PDB the test injects as an API lookup (pdb_count: 1).",
    "pdb-minavailable": "the PDB (minAvailable 2) exists only as an injected API lookup, not as a document.",
};

/** Kyverno policy parameters, as our policy config. */
const KYVERNO_CONFIG: Record<string, PackConfig> = {
    "restrict-image-registries": { "image-registry": { allowedRegistries: ["eu.foo.io", "bar.io"] } },
};

/** One judged fixture: what the source expects, what we say, and the listed reason when we deliberately differ. */
export interface Verdict {
    source: "polaris" | "kyverno";
    check: string;
    /** Polaris: the fixture file; Kyverno: `<Kind>/<name>`. */
    subject: string;
    expected: "pass" | "fail";
    flagged: boolean;
    messages: string[];
    /** Why ours may be stricter here (a flagged "pass" is then a deliberate deviation, not a disagreement). */
    stricter?: string;
}

export const agrees = (v: Verdict) => (v.expected === "fail") === v.flagged;

/** Every Polaris fixture of a check some policy is tagged with (`mutated` files, Polaris's fixed versions, must pass). */
export function polarisVerdicts(root: string): Verdict[] {
    const index = fs.readFileSync(path.join(root, "polaris", "INDEX.tsv"), "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
    const verdicts: Verdict[] = [];
    for (const [check, file, expected] of index) {
        const policies = mapped("polaris", check);
        if (policies.length === 0) continue;
        const violations = evaluate(policies, readDocuments(path.join(root, "polaris", check, file)), CONFIG);
        const stricter = POLARIS_STRICTER[`${check}/${file}`];
        verdicts.push({ source: "polaris", check, subject: file, expected: expected === "fail" ? "fail" : "pass", flagged: violations.length > 0, messages: violations.map((v) => v.message), ...(stricter ? { stricter } : {}) });
    }
    return verdicts;
}

interface KyvernoResult { kind: string; policy: string; resources: string[]; result: "pass" | "fail" | "skip"; rule: string }

export const kyvernoName = (dir: string) => dir.split("_").pop()!;

/**
 * Every resource of every Kyverno test whose policy some policy is tagged with. Kyverno judges per rule;
 * a resource passes the policy only if it passes every rule tested for its kind (a resource neither
 * failing nor passing every rule gives no verdict). Sets judged from injected cluster state are left out.
 */
export function kyvernoVerdicts(root: string): Verdict[] {
    const verdicts: Verdict[] = [];
    for (const dir of fs.readdirSync(path.join(root, "kyverno")).sort()) {
        const check = kyvernoName(dir);
        const policies = mapped("kyverno", check);
        if (policies.length === 0 || KYVERNO_CLUSTER_STATE[check]) continue;
        const folder = path.join(root, "kyverno", dir);
        const spec = parse(fs.readFileSync(path.join(folder, "kyverno-test.yaml"), "utf8"));
        const files: string[] = (spec.resources ?? []).filter((f: string) => !f.includes(".chainsaw-test") && fs.existsSync(path.join(folder, f)));
        const resources: StackResource[] = files.flatMap((f) => readDocuments(path.join(folder, f)));
        const violations = evaluate(policies, resources, { ...CONFIG, ...KYVERNO_CONFIG[check] });
        const results = new Map<string, { kind: string; name: string; fail: boolean; passedRules: Set<string> }>();
        const rulesOfKind = new Map<string, Set<string>>();
        for (const result of spec.results as KyvernoResult[]) {
            rulesOfKind.set(result.kind, new Set([...(rulesOfKind.get(result.kind) ?? []), result.rule]));
            if (result.result === "skip") continue;
            for (const ref of result.resources) {
                const name = ref.split("/").pop()!;
                const key = `${result.kind}/${name}`;
                const r = results.get(key) ?? { kind: result.kind, name, fail: false, passedRules: new Set<string>() };
                if (result.result === "fail") r.fail = true;
                else r.passedRules.add(result.rule);
                results.set(key, r);
            }
        }
        for (const [key, { kind, name, fail, passedRules }] of results) {
            const resource = resources.find((r) => r.props.kind === kind && r.props.metadata?.name === name);
            if (!resource) continue; // lives in a file that was not copied (chainsaw)
            const passesAll = !fail && [...rulesOfKind.get(kind)!].every((rule) => passedRules.has(rule));
            if (!fail && !passesAll) continue;
            const flagged = violations.filter((v) => v.urn === resource.urn);
            const stricter = KYVERNO_STRICTER[check];
            verdicts.push({ source: "kyverno", check, subject: key, expected: fail ? "fail" : "pass", flagged: flagged.length > 0, messages: flagged.map((v) => v.message), ...(stricter ? { stricter } : {}) });
        }
    }
    return verdicts;
}

/**
 * A verdict that is neither agreement nor a listed deliberate deviation: a flagged pass where we are
 * stricter. A Polaris fixture listed as stricter must be flagged (the listed reason is the verdict).
 */
export function disagreement(v: Verdict): string | undefined {
    if (v.source === "polaris" && v.stricter && !v.flagged) return `polaris ${v.check} ${v.subject} (stricter here: must be flagged): no violation`;
    if (agrees(v)) return undefined;
    if (v.stricter && v.expected === "pass" && v.flagged) return undefined;
    return `${v.source} ${v.check} ${v.subject} (expected ${v.expected}): ${v.messages.join("; ") || "no violation"}`;
}

/** The figures the closing notes quote: per source, judged fixtures, agreements and deliberate deviations. */
export function agreementSummary(verdicts: Verdict[]): string[] {
    return (["polaris", "kyverno"] as const).map((source) => {
        const rows = verdicts.filter((v) => v.source === source);
        const agree = rows.filter(agrees).length;
        const deliberate = rows.filter((v) => !agrees(v) && !disagreement(v)).length;
        const checks = new Set(rows.map((v) => v.check)).size;
        const unit = source === "polaris" ? "fixture files" : "test resources";
        return `${source}: ${agree} of ${rows.length} ${unit} agree over ${checks} checks; ${deliberate} deliberately stricter; ${rows.length - agree - deliberate} disagree`;
    });
}
