import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInstanceCatalog, maxPodsFor, parseInstanceTypes } from "../policies/lib/instanceTypes";
import { nearest } from "../config/schema";

test("the seeds' pod arithmetic: t3.medium holds 17 pods, 110 with prefix delegation", () => {
    const catalog = loadInstanceCatalog();
    assert.equal(maxPodsFor(catalog.get("t3.medium"), false), 17);
    assert.equal(maxPodsFor(catalog.get("t3.medium"), true), 110);
});

test("prefix delegation caps at 250 from 30 vCPUs", () => {
    const catalog = loadInstanceCatalog();
    const big = catalog.get("m5.8xlarge");
    assert.ok(big.vcpu >= 30);
    assert.equal(maxPodsFor(big, true), 250);
    assert.equal(maxPodsFor(big, false), big.maxEnis! * (big.ipv4PerEni! - 1) + 2);
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
