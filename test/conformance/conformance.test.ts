/**
 * The pack against the checkers platform teams trust: Polaris's and Kyverno's own fixtures
 * (outside the repository: see tools/conformance/corpus.ts), each evaluated only with the policies tagged as that check's equivalent.
 * Where a policy of ours is deliberately stricter, the difference is listed here with its reason
 * (and in policies/README.md), and the test asserts the stricter verdict.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { allPolicies } from "../../policies/all";
import { evaluate, PackConfig, StackResource } from "../../policies/framework";
import { readDocuments } from "../../tools/policy/documents";
import { conformanceRoot, corpusProblem } from "../../tools/conformance/corpus";

const CONFORMANCE = conformanceRoot();
// Run directly without the corpus, the file says so in one failing test instead of a stack trace.
const missing = corpusProblem(CONFORMANCE);
if (missing) test("the conformance corpus is present", () => assert.fail(missing));
/** Turn on what Polaris/Kyverno check by default but we make optional. */
const CONFIG: PackConfig = { "cpu-limits": { required: true } };

const mapped = (source: "polaris" | "kyverno", check: string) => allPolicies.filter((p) => p.tags.includes(`${source}:${check}`));

/** Fixtures on which our verdict is deliberately stricter than the source's, with the reason. */
const DROP_ALL = "we require drop: [ALL] (Pod Security restricted), not a list of named capabilities: a list misses what later kernels add.";
const STRICTER: Record<string, string> = {
    "polaris:hpaMinAvailability/success.minReplicaAbsent.yaml":
        "minReplicas defaults to 1: an HPA without it can scale a service down to a single pod.",
    "polaris:insecureCapabilities/success.yaml": DROP_ALL,
    "polaris:insecureCapabilities/success.pod.yaml": DROP_ALL,
    "polaris:insecureCapabilities/success.case.yaml": DROP_ALL,
};

const polarisRequired = [
    "cpuRequestsMissing", "memoryRequestsMissing", "cpuLimitsMissing", "memoryLimitsMissing", "readinessProbeMissing", "livenessProbeMissing",
    "tagNotSpecified", "runAsRootAllowed", "runAsPrivileged", "notReadOnlyRootFilesystem", "privilegeEscalationAllowed",
    "hostNetworkSet", "hostPIDSet", "hostIPCSet", "hostPathSet", "hostPortSet", "dangerousCapabilities", "insecureCapabilities",
    "deploymentMissingReplicas", "missingPodDisruptionBudget", "pdbDisruptionsIsZero", "topologySpreadConstraint",
    "hpaMinAvailability", "hpaMaxAvailability", "pdbMinAvailableGreaterThanHPAMinReplicas", "sensitiveContainerEnvVar",
    "linuxHardening", "automountServiceAccountToken", "tlsSettingsMissing", "missingNetworkPolicy",
];

test("every Polaris check the issue names is mapped to a policy", () => {
    const unmapped = polarisRequired.filter((c) => mapped("polaris", c).length === 0);
    assert.deepEqual(unmapped, []);
});

const index = missing ? [] : fs.readFileSync(path.join(CONFORMANCE, "polaris", "INDEX.tsv"), "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
const polarisChecks = [...new Set(index.map(([check]) => check))].filter((c) => mapped("polaris", c).length > 0);

for (const check of polarisChecks) {
    test(`polaris ${check}: failures flagged, successes clean`, () => {
        const policies = mapped("polaris", check);
        const wrong: string[] = [];
        for (const [, file, expected] of index.filter(([c]) => c === check)) {
            const resources = readDocuments(path.join(CONFORMANCE, "polaris", check, file));
            const violations = evaluate(policies, resources, CONFIG);
            const stricter = STRICTER[`polaris:${check}/${file}`];
            const shouldFail = expected === "fail" || !!stricter;
            if (shouldFail !== violations.length > 0) {
                wrong.push(`${file} (expected ${expected}${stricter ? ", stricter here" : ""}): ${violations.map((v) => v.message).join("; ") || "no violation"}`);
            }
        }
        assert.deepEqual(wrong, []);
    });
}

interface KyvernoResult { kind: string; policy: string; resources: string[]; result: "pass" | "fail" | "skip"; rule: string }

/** Kyverno policies where ours is deliberately stricter: its passes may be flagged (its failures must be). */
const KYVERNO_STRICTER: Record<string, string> = {
    "require-probes": "Kyverno accepts any one probe; we require both readiness and liveness on every serving container.",
    "require-drop-all": "Kyverno only asks for drop ALL; we also refuse adding back anything but NET_BIND_SERVICE (Pod Security restricted).",
    "require-run-as-non-root-user": "Kyverno only forbids runAsUser 0; like its require-run-as-nonroot we also require runAsNonRoot: true or a non-zero user (unset runs as the image's user, often root).",
};

/** Kyverno sets whose verdicts come from cluster state injected through values.yaml, absent from the documents. */
const KYVERNO_CLUSTER_STATE: Record<string, string> = {
    "require-pdb": "the passing Deployment relies on a PDB the test injects as an API lookup (pdb_count: 1).",
    "pdb-minavailable": "the PDB (minAvailable 2) exists only as an injected API lookup, not as a document.",
};

/** Kyverno policy parameters, as our policy config. */
const KYVERNO_CONFIG: Record<string, PackConfig> = {
    "restrict-image-registries": { "image-registry": { allowedRegistries: ["eu.foo.io", "bar.io"] } },
};

const kyvernoDirs = missing ? [] : fs.readdirSync(path.join(CONFORMANCE, "kyverno")).sort();
const kyvernoName = (dir: string) => dir.split("_").pop()!;
const kyvernoMapped = kyvernoDirs.filter((dir) => mapped("kyverno", kyvernoName(dir)).length > 0);

test("the Kyverno sets mapped", () => {
    const comparable = kyvernoMapped.filter((dir) => !KYVERNO_CLUSTER_STATE[kyvernoName(dir)]);
    assert.ok(comparable.length >= 20, `${comparable.length} of ${kyvernoDirs.length}: ${comparable.join(", ")}`);
});

for (const dir of kyvernoMapped.filter((d) => !KYVERNO_CLUSTER_STATE[kyvernoName(d)])) {
    const kyvernoPolicy = kyvernoName(dir);
    test(`kyverno ${kyvernoPolicy}: fail resources flagged, pass resources clean`, () => {
        const folder = path.join(CONFORMANCE, "kyverno", dir);
        const spec = parse(fs.readFileSync(path.join(folder, "kyverno-test.yaml"), "utf8"));
        const files: string[] = (spec.resources ?? []).filter((f: string) => !f.includes(".chainsaw-test") && fs.existsSync(path.join(folder, f)));
        const resources: StackResource[] = files.flatMap((f: string) => readDocuments(path.join(folder, f)));
        const violations = evaluate(mapped("kyverno", kyvernoPolicy), resources, { ...CONFIG, ...KYVERNO_CONFIG[kyvernoPolicy] });
        // Kyverno judges per rule; a resource passes the policy only if it passes every rule tested for its kind.
        const verdicts = new Map<string, { kind: string; name: string; fail: boolean; passedRules: Set<string> }>();
        const rulesOfKind = new Map<string, Set<string>>();
        for (const result of spec.results as KyvernoResult[]) {
            rulesOfKind.set(result.kind, new Set([...(rulesOfKind.get(result.kind) ?? []), result.rule]));
            if (result.result === "skip") continue;
            for (const ref of result.resources) {
                const name = ref.split("/").pop()!;
                const key = `${result.kind}/${name}`;
                const v = verdicts.get(key) ?? { kind: result.kind, name, fail: false, passedRules: new Set<string>() };
                if (result.result === "fail") v.fail = true;
                else v.passedRules.add(result.rule);
                verdicts.set(key, v);
            }
        }
        const wrong: string[] = [];
        for (const { kind, name, fail, passedRules } of verdicts.values()) {
            const resource = resources.find((r) => r.props.kind === kind && r.props.metadata?.name === name);
            if (!resource) continue; // lives in a file that was not copied (chainsaw)
            const flagged = violations.filter((v) => v.urn === resource.urn);
            const passesAll = !fail && [...rulesOfKind.get(kind)!].every((rule) => passedRules.has(rule));
            if (fail && flagged.length === 0) wrong.push(`${kind} ${name}: Kyverno fails it, we pass it`);
            if (passesAll && flagged.length > 0 && !KYVERNO_STRICTER[kyvernoPolicy]) {
                wrong.push(`${kind} ${name}: Kyverno passes it, we flag: ${flagged.map((v) => v.message).join("; ")}`);
            }
        }
        assert.deepEqual(wrong, []);
    });
}
