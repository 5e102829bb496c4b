/**
 * `npm run policy -- [--json] [--each-file] [--only a,b] [--config FILE] PATH...`
 * `npm run policy -- --list [--json]`
 * Evaluates the pack over existing Kubernetes YAML, the documents together as one stack (or each file
 * alone). Exit 0 clean, 1 mandatory violations, 2 unreadable input or unknown policy name.
 */
import * as fs from "fs";
import { parseArgs } from "util";
import { allPolicies } from "../../policies/all";
import { enforcementLevelOf, evaluate, PackConfig, Violation } from "../../policies/framework";
import { formatViolations, hasMandatory } from "../plan/report";
import { InputError, readPaths } from "./documents";

const USAGE = "usage: npm run policy -- [--json] [--each-file] [--only a,b] [--config FILE] PATH...\n       npm run policy -- --list [--json]";

function fail(message: string): never {
    process.stderr.write(`policy: ${message}\n${USAGE}\n`);
    process.exit(2);
}

function parse() {
    try {
        return parseArgs({
            args: process.argv.slice(2),
            options: {
                json: { type: "boolean", default: false },
                "each-file": { type: "boolean", default: false },
                only: { type: "string" },
                config: { type: "string" },
                list: { type: "boolean", default: false },
                help: { type: "boolean", short: "h", default: false },
            },
            allowPositionals: true,
            strict: true,
        });
    } catch (err) {
        return fail((err as Error).message);
    }
}

function readConfig(file: string | undefined): PackConfig {
    if (!file) return {};
    try {
        const config = JSON.parse(fs.readFileSync(file, "utf8"));
        if (typeof config !== "object" || config === null || Array.isArray(config)) throw new Error("not a JSON object");
        return config as PackConfig;
    } catch (err) {
        return fail(`--config ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
    }
}

function main() {
    const { values, positionals } = parse();
    if (values.help) {
        process.stdout.write(`${USAGE}\n`);
        return;
    }
    const config = readConfig(values.config);
    const known = allPolicies.map((p) => p.name);
    const unknownInConfig = Object.keys(config).filter((k) => k !== "all" && !known.includes(k));
    if (unknownInConfig.length) fail(`--config names unknown policies: ${unknownInConfig.join(", ")}`);

    if (values.list) {
        const list = allPolicies.map((p) => ({ name: p.name, description: p.description, enforcementLevel: enforcementLevelOf(p.name, config), severity: p.severity, tags: p.tags }));
        process.stdout.write(values.json ? `${JSON.stringify(list, null, 2)}\n`
            : list.map((p) => `${p.name.padEnd(28)} ${p.severity.padEnd(8)} ${p.enforcementLevel.padEnd(9)} ${p.description}`).join("\n") + "\n");
        return;
    }

    const only = values.only?.split(",").map((s) => s.trim()).filter(Boolean);
    const unknown = (only ?? []).filter((n) => !known.includes(n));
    if (unknown.length) fail(`unknown policy ${unknown.join(", ")} (see npm run policy -- --list)`);
    const policies = only ? allPolicies.filter((p) => only.includes(p.name)) : allPolicies;
    if (positionals.length === 0) fail("no PATH given");

    let byFile;
    try {
        byFile = readPaths(positionals);
    } catch (err) {
        if (err instanceof InputError) fail(err.message);
        throw err;
    }
    const groups = values["each-file"] ? [...byFile.values()] : [[...byFile.values()].flat()];
    const violations: Violation[] = groups.flatMap((resources) => evaluate(policies, resources, config));
    const evaluated = [...byFile.values()].reduce((n, docs) => n + docs.length, 0);

    if (values.json) {
        const out = violations.map(({ policy, enforcementLevel, file, kind, name, namespace, message }) => ({ policy, enforcementLevel, file, kind, name, namespace, message }));
        process.stdout.write(`${JSON.stringify({ evaluated, violations: out }, null, 2)}\n`);
    } else {
        process.stdout.write(`Evaluated ${evaluated} document${evaluated === 1 ? "" : "s"} from ${byFile.size} file${byFile.size === 1 ? "" : "s"} against ${policies.length} policies\n`);
        process.stdout.write(`${formatViolations(violations, (v) => v.file ?? "")}\n`);
    }
    if (hasMandatory(violations)) process.exit(1);
}

main();
