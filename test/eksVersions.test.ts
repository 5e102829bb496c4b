import { test } from "node:test";
import assert from "node:assert/strict";
import { calendarDate, CALENDAR_DATE_ENV, EKS_VERSIONS, isIsoDate, supportStatus, supportWarning, utcDate } from "../policies/lib/eksVersions";
import { plan, stackValues } from "./support";

test("the calendar: 14 months of standard support, 12 more of extended, in version order", () => {
    const months = (from: string, to: string) => (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 + Number(to.slice(5, 7)) - Number(from.slice(5, 7));
    for (const v of EKS_VERSIONS) {
        assert.equal(months(v.released, v.endOfStandardSupport), 14, v.version);
        assert.equal(months(v.endOfStandardSupport, v.endOfExtendedSupport), 12, v.version);
    }
    assert.deepEqual(EKS_VERSIONS.map((v) => v.version), [...EKS_VERSIONS.map((v) => v.version)].sort());
});

test("support status on a given day", () => {
    assert.deepEqual(supportStatus("1.34", "2026-11-27"), {
        phase: "standard", daysLeft: 5, summary: "Kubernetes 1.34 leaves EKS standard support on 2026-12-02 (in 5 days)",
    });
    assert.equal(supportStatus("1.34", "2026-12-03")!.phase, "extended");
    assert.equal(supportStatus("1.31", "2026-11-27")!.phase, "unsupported");
    assert.equal(supportStatus("1.99", "2026-11-27"), undefined);
});

test("the plan warns within 90 days of the end of standard support, and after it", () => {
    assert.equal(supportWarning("1.36", "2027-05-03"), undefined, "91 days before");
    assert.match(supportWarning("1.36", "2027-05-04")!, /^Kubernetes 1\.36 leaves EKS standard support on 2027-08-02 \(in 90 days\): plan the upgrade/);
    assert.match(supportWarning("1.33", "2026-11-27")!, /left EKS standard support on 2026-07-29; extended support/);
});

test("planning a version near or past its end of standard support prints the warning", async () => {
    const values = stackValues("dev");
    (values["eks-delivery:cluster"] as any).kubernetesVersion = "1.34";
    (values["eks-delivery:nodes"] as any).amiReleaseVersion = "1.34.9-20260714";
    const warned: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => { warned.push(args.join(" ")); };
    try {
        await plan(values, "dev");
    } finally {
        console.warn = original;
    }
    assert.ok(warned.some((w) => /Kubernetes 1\.34 (leaves|left) EKS standard support/.test(w)), warned.join("\n"));
});

test("the calendar date: the plan's --today when set (a real date), else today", () => {
    const saved = process.env[CALENDAR_DATE_ENV];
    try {
        delete process.env[CALENDAR_DATE_ENV];
        assert.equal(calendarDate(), utcDate());
        process.env[CALENDAR_DATE_ENV] = "2027-05-04";
        assert.equal(calendarDate(), "2027-05-04");
        process.env[CALENDAR_DATE_ENV] = "";
        assert.throws(() => calendarDate(), /^Error: EKS_DELIVERY_TODAY "" is not a date like 2026-11-27$/);
    } finally {
        if (saved === undefined) delete process.env[CALENDAR_DATE_ENV];
        else process.env[CALENDAR_DATE_ENV] = saved;
    }
    assert.deepEqual(["2026-11-27", "2028-02-29", "2026-02-29", "2026-13-01", "27.11.2026"].map(isIsoDate), [true, true, false, false, false]);
});
