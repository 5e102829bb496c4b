/**
 * Reading a plan directory for the diff: plan.json, capacity.json, policy-report.json and, when helper
 * cost's plan wrote it, cost.json. A directory is a plan when its `.eks-delivery-plan` marker (written by
 * tools/plan/outDir.ts writeOwned) lists plan.json. Files are read as untrusted input (config/safeRead.ts).
 * No dependency beyond Node and config/safeRead, so a bad --against is refused before anything heavy loads.
 */
import * as fs from "fs";
import * as path from "path";
import { Deadline, InputError, readText } from "../../../config/safeRead";
import { MARKER } from "../outDir";
import type { CapacityJson, CostJson, PlanJson, PlanSide, PolicyReportJson } from "./model";

/** Why `dir` is not a plan directory, or undefined when it is one. */
export function planDirProblem(dir: string): string | undefined {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(dir);
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    }
    if (!stat.isDirectory()) return "is not a directory";
    const marker = path.join(dir, MARKER);
    let files: unknown;
    try {
        if (!fs.lstatSync(marker).isFile()) return `is not a plan directory (its ${MARKER} is not a file)`;
        files = (JSON.parse(fs.readFileSync(marker, "utf8")) as { files?: unknown }).files;
    } catch {
        return `is not a plan directory (no readable ${MARKER}: the file npm run plan writes there)`;
    }
    if (!Array.isArray(files) || !files.includes("plan.json")) return `is not a plan directory (its ${MARKER} lists no plan.json)`;
    return undefined;
}

function readJson<T>(file: string, deadline: Deadline, check: (v: any) => boolean, what: string): T {
    const text = readText(file, deadline);
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (err) {
        throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
    }
    if (!check(value)) throw new InputError(`${file}: not ${what}`);
    return value as T;
}

const isObject = (v: unknown): v is Record<string, any> => v !== null && typeof v === "object" && !Array.isArray(v);
const isDemand = (v: any) => isObject(v) && ["cpuMillicores", "memoryMiB", "pods"].every((k) => typeof v[k] === "number");
const isRange = (v: any) => isObject(v) && typeof v.min === "number" && typeof v.max === "number";

/** Loads one side of the diff; InputError (one line naming the file) when a file is missing or malformed. */
export function loadPlanDir(dir: string, label = dir, deadline = new Deadline()): PlanSide {
    const problem = planDirProblem(dir);
    if (problem) throw new InputError(`${dir} ${problem}`);
    const file = (name: string) => path.join(dir, name);
    const plan = readJson<PlanJson>(file("plan.json"), deadline,
        (v) => isObject(v) && typeof v.project === "string" && typeof v.stack === "string" && Array.isArray(v.resources) && v.resources.every((r: any) => isObject(r) && typeof r.urn === "string" && typeof r.type === "string" && typeof r.name === "string"),
        "a plan.json npm run plan wrote");
    for (const r of plan.resources) {
        r.inputs ??= {};
        r.outputs ??= {};
    }
    plan.outputs ??= {};
    const capacity = readJson<CapacityJson>(file("capacity.json"), deadline,
        (v) => isObject(v) && isDemand(v.peak) && isDemand(v.capacity) && typeof v.fits === "boolean", "a capacity.json npm run plan wrote");
    const policy = readJson<PolicyReportJson>(file("policy-report.json"), deadline,
        (v) => isObject(v) && Array.isArray(v.violations) && Array.isArray(v.exemptions), "a policy-report.json npm run plan wrote");
    const cost = fs.existsSync(file("cost.json"))
        ? readJson<CostJson>(file("cost.json"), deadline,
            (v) => isObject(v) && isRange(v.monthlyUsd) && Array.isArray(v.items) && v.items.every((i: any) => isObject(i) && typeof i.id === "string" && typeof i.label === "string" && isRange(i.monthlyUsd)),
            "a cost.json npm run plan wrote")
        : undefined;
    return { label, plan, capacity, policy, ...(cost ? { cost } : {}) };
}
