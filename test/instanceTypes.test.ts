import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInstanceCatalog, maxPodsFor, parseInstanceTypes } from "../policies/lib/instanceTypes";
import { nearest } from "../config/schema";

test("the seeds' pod arithmetic: t3.medium holds 17 pods, 110 with prefix delegation", () => {
    const catalog = loadInstanceCatalog();
    assert.equal(maxPodsFor(catalog.get("t3.medium"), false), 17);
    assert.equal(maxPodsFor(catalog.get("t3.medium"), true), 110);
});

test("EKS's ceiling applies with or without prefix delegation: 110 up to 30 vCPUs, 250 above", () => {
    const catalog = loadInstanceCatalog();
    const big = catalog.get("m5.8xlarge");
    assert.ok(big.vcpu > 30);
    assert.equal(maxPodsFor(big, true), 250);
    assert.equal(maxPodsFor(big, false), big.maxEnis! * (big.ipv4PerEni! - 1) + 2, "234: under the ceiling");
    const m6i4x = catalog.get("m6i.4xlarge");
    assert.equal(m6i4x.vcpu, 16);
    assert.equal(m6i4x.maxEnis! * (m6i4x.ipv4PerEni! - 1) + 2, 234);
    assert.equal(maxPodsFor(m6i4x, false), 110, "the ENI formula says 234; EKS sets 110 below 31 vCPUs");
    const at30 = { name: "x.30", vcpu: 30, memoryMiB: 1, arch: "amd64" as const, maxEnis: 15, ipv4PerEni: 50 };
    assert.equal(maxPodsFor(at30, true), 110, "30 vCPUs is still the low ceiling (CPU_COUNT -gt 30)");
});

test("facts parse from the TSV; missing cells stay unknown", () => {
    const catalog = parseInstanceTypes(
        "instanceType\tvcpu\tmemoryMiB\tarch\tmaxEnis\tipv4PerEni\tmaxPodsEni\tusdPerHourUsEast1\n" +
        "x1.tiny\t1\t512\tarm64\t\t\t\t\n", "inline");
    const t = catalog.get("x1.tiny");
    assert.equal(t.arch, "arm64");
    assert.equal(t.maxEnis, undefined);
    assert.throws(() => maxPodsFor(t, false), /no ENI facts for instance type "x1.tiny"/);
    assert.throws(() => catalog.get("x1.huge"), /unknown instance type "x1.huge"/);
});

test("suggestions only for near misses", () => {
    const catalog = loadInstanceCatalog();
    assert.equal(nearest("t3.mediun", catalog.names()), "t3.medium");
    assert.equal(nearest("definitely-not-a-type", catalog.names()), undefined);
});
