/**
 * The pack against the checkers platform teams trust: Polaris's and Kyverno's own fixtures
 * (outside the repository: see tools/conformance/corpus.ts), each evaluated only with the policies tagged as
 * that check's equivalent (tools/conformance/compare.ts, which also gives `npm run conformance` its figures).
 * Where a policy of ours is deliberately stricter, the difference is listed there with its reason (and in
 * policies/README.md), and the test asserts the stricter verdict.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { conformanceRoot, corpusProblem } from "../../tools/conformance/corpus";
import { disagreement, KYVERNO_CLUSTER_STATE, kyvernoName, kyvernoVerdicts, mapped, polarisVerdicts } from "../../tools/conformance/compare";

const CONFORMANCE = conformanceRoot();
// Run directly without the corpus, the file says so in one failing test instead of a stack trace.
const missing = corpusProblem(CONFORMANCE);
if (missing) test("the conformance corpus is present", () => assert.fail(missing));

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

const polaris = missing ? [] : polarisVerdicts(CONFORMANCE);
for (const check of [...new Set(polaris.map((v) => v.check))]) {
    test(`polaris ${check}: failures flagged, successes clean`, () => {
        assert.deepEqual(polaris.filter((v) => v.check === check).map(disagreement).filter(Boolean), []);
    });
}

const kyvernoDirs = missing ? [] : fs.readdirSync(path.join(CONFORMANCE, "kyverno")).sort();
const kyvernoMapped = kyvernoDirs.filter((dir) => mapped("kyverno", kyvernoName(dir)).length > 0);

test("the Kyverno sets mapped", () => {
    const comparable = kyvernoMapped.filter((dir) => !KYVERNO_CLUSTER_STATE[kyvernoName(dir)]);
    assert.ok(comparable.length >= 20, `${comparable.length} of ${kyvernoDirs.length}: ${comparable.join(", ")}`);
});

const kyverno = missing ? [] : kyvernoVerdicts(CONFORMANCE);
for (const check of kyvernoMapped.map(kyvernoName).filter((c) => !KYVERNO_CLUSTER_STATE[c])) {
    test(`kyverno ${check}: fail resources flagged, pass resources clean`, () => {
        const rows = kyverno.filter((v) => v.check === check);
        assert.ok(rows.length > 0, "the test's resources were read");
        assert.deepEqual(rows.map(disagreement).filter(Boolean), []);
    });
}
