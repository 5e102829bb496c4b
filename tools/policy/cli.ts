/**
 * `npm run policy -- [--json] [--each-file] [--only a,b] [--config FILE] PATH...`
 * `npm run policy -- --list [--json]`
 * Evaluates the pack over existing Kubernetes YAML, the documents together as one stack (or each file
 * alone). Every input is untrusted: whatever it is, the answer is a report or one line on stderr.
 */
import Ajv from "ajv";
import { parseArgs } from "util";
import { allPolicies } from "../../policies/all";
import { checkResource, enforcementLevelOf, evaluate, isObjectPolicy, PackConfig, PolicyDefinition, propertiesOf, StackResource, Violation } from "../../policies/framework";
import { formatViolations, hasMandatory } from "../plan/report";
import { checkShapes, describeValue, InputError, MAX_FILE_BYTES, originOf, READ_TIMEOUT_MS, readPaths, readText } from "./documents";

/** Exit codes, as --help and the README list them. */
const EXIT = { clean: 0, violations: 1, badInput: 2, internal: 3 } as const;

const USAGE = "usage: npm run policy -- [--json] [--each-file] [--only a,b] [--config FILE] PATH...\n       npm run policy -- --list [--json]";
const HELP = `${USAGE}

PATH is a YAML file or a folder (its *.yaml and *.yml files, recursively).
Input limits: regular files only, ${MAX_FILE_BYTES / 1048576} MiB per file, UTF-8, ${READ_TIMEOUT_MS / 1000} s to read everything.

exit codes:
  0  no mandatory violation
  1  mandatory violations (the report says which)
  2  bad input: a flag, --config, a path, or a document (one line names the file, document and path)
  3  internal error (a policy failed on valid input: a bug to report)`;

/** One line whatever the text holds: control characters (a newline in a file name) are escaped. */
const oneLine = (s: string) => s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);

class Exit extends Error {
    constructor(readonly code: number, message: string) {
        super(message);
    }
}
const badInput = (message: string) => new Exit(EXIT.badInput, message);

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
        throw badInput(`${(err as Error).message} (see npm run policy -- --help)`);
    }
}

/** Pulumi's enforcement levels (@pulumi/policy EnforcementLevel); `remediate` counts as mandatory here (no policy remediates). */
const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];

/**
 * Policy config as `--policy-pack-config` takes it, checked as Pulumi checks it
 * (pulumi/pulumi@18817b6 pkg/resource/analyzer/config.go: validatePolicyPackConfig, convertSchema): each
 * policy's properties against `{type: object, properties, required}` of its config schema (other
 * properties pass, as there), the enforcement level against Pulumi's levels.
 */
function readConfig(file: string | undefined): PackConfig {
    if (file === undefined) return {};
    let config: unknown;
    try {
        config = JSON.parse(readText(file));
    } catch (err) {
        if (err instanceof InputError) throw badInput(`--config ${err.message}`);
        throw badInput(`--config ${file}: not JSON (${(err as Error).message})`);
    }
    if (typeof config !== "object" || config === null || Array.isArray(config)) throw badInput(`--config ${file}: is ${describeValue(config)}, not a JSON object`);
    const byName = new Map<string, PolicyDefinition<any>>(allPolicies.map((p) => [p.name, p]));
    const unknown = Object.keys(config).filter((k) => k !== "all" && !byName.has(k));
    if (unknown.length) throw badInput(`--config names unknown policies: ${unknown.join(", ")}`);
    const ajv = new Ajv({ strict: false, allErrors: false });
    for (const [key, entry] of Object.entries(config)) {
        const level = typeof entry === "string" ? entry : typeof entry === "object" && entry !== null && !Array.isArray(entry) ? (entry as Record<string, unknown>).enforcementLevel : null;
        const at = typeof entry === "string" ? key : `${key}.enforcementLevel`;
        if (typeof entry !== "string" && (typeof entry !== "object" || entry === null || Array.isArray(entry))) {
            throw badInput(`--config ${file}: ${key}: is ${describeValue(entry)}, not an enforcement level or an object`);
        }
        if (level !== undefined && !LEVELS.includes(level as string)) throw badInput(`--config ${file}: ${at}: is ${JSON.stringify(level)}, not one of ${LEVELS.join(", ")}`);
        if (typeof entry === "string") continue;
        const { enforcementLevel: _level, ...properties } = entry as Record<string, unknown>;
        for (const policy of key === "all" ? allPolicies : [byName.get(key)!]) {
            const schema = policy.config?.schema;
            if (!schema) continue;
            // `all`'s properties reach every policy here (propertiesOf): each checks the ones it has.
            const validate = ajv.compile({ type: "object", properties: schema.properties, required: schema.required ?? [] });
            if (!validate(properties)) {
                const e = validate.errors![0];
                const where = [key, ...e.instancePath.split("/").slice(1)].join(".");
                throw badInput(`--config ${file}: ${where}: ${e.message} (policy ${policy.name})`);
            }
        }
    }
    return config as PackConfig;
}

/** Which policy and document made evaluation throw: named in the internal error's one line. */
function culprit(policies: PolicyDefinition<any>[], resources: StackResource[], config: PackConfig): string {
    for (const policy of policies) {
        try {
            evaluate([policy], resources, config);
            continue;
        } catch (err) {
            if (isObjectPolicy(policy)) {
                for (const r of resources) {
                    try {
                        checkResource(policy, r, propertiesOf(policy, config));
                    } catch {
                        const o = originOf(r);
                        return `policy ${policy.name} failed on ${o ? `${o.file}[${o.document}]${o.path ? ` ${o.path}` : ""}` : r.urn}: ${(err as Error).message}`;
                    }
                }
            }
            return `policy ${policy.name} failed: ${(err as Error).message}`;
        }
    }
    return "evaluation failed";
}

async function main() {
    const { values, positionals } = parse();
    if (values.help) {
        process.stdout.write(`${HELP}\n`);
        return;
    }
    const config = readConfig(values.config);
    const known = allPolicies.map((p) => p.name);

    if (values.list) {
        const list = allPolicies.map((p) => ({ name: p.name, description: p.description, enforcementLevel: enforcementLevelOf(p.name, config), severity: p.severity, tags: p.tags }));
        process.stdout.write(values.json ? `${JSON.stringify(list, null, 2)}\n`
            : list.map((p) => `${p.name.padEnd(28)} ${p.severity.padEnd(8)} ${p.enforcementLevel.padEnd(9)} ${p.description}`).join("\n") + "\n");
        return;
    }

    const only = values.only?.split(",").map((s) => s.trim()).filter(Boolean);
    if (only && only.length === 0) throw badInput(`--only ${JSON.stringify(values.only)} names no policy (see npm run policy -- --list)`);
    const unknown = (only ?? []).filter((n) => !known.includes(n));
    if (unknown.length) throw badInput(`unknown policy ${unknown.join(", ")} (see npm run policy -- --list)`);
    const policies = only ? allPolicies.filter((p) => only.includes(p.name)) : allPolicies;
    if (positionals.length === 0) throw badInput("no PATH given");
    const empty = positionals.find((p) => p.trim() === "");
    if (empty !== undefined) throw badInput(`PATH ${JSON.stringify(empty)} is empty`);

    let byFile: Map<string, StackResource[]>;
    try {
        byFile = readPaths(positionals);
        await checkShapes([...byFile.values()].flat());
    } catch (err) {
        if (err instanceof InputError) throw badInput(err.message);
        throw err;
    }
    const groups = values["each-file"] ? [...byFile.values()] : [[...byFile.values()].flat()];
    const violations: Violation[] = [];
    for (const resources of groups) {
        try {
            violations.push(...evaluate(policies, resources, config));
        } catch {
            throw new Exit(EXIT.internal, `internal error: ${culprit(policies, resources, config)}`);
        }
    }
    const evaluated = [...byFile.values()].reduce((n, docs) => n + docs.length, 0);

    if (values.json) {
        const out = violations.map(({ policy, enforcementLevel, file, kind, name, namespace, message }) => ({ policy, enforcementLevel, file, kind, name, namespace, message }));
        process.stdout.write(`${JSON.stringify({ evaluated, violations: out }, null, 2)}\n`);
    } else {
        process.stdout.write(`Evaluated ${evaluated} document${evaluated === 1 ? "" : "s"} from ${byFile.size} file${byFile.size === 1 ? "" : "s"} against ${policies.length} policies\n`);
        process.stdout.write(`${formatViolations(violations, (v) => v.file ?? "")}\n`);
    }
    if (hasMandatory(violations)) process.exitCode = EXIT.violations;
}

// A reader that went away (`| head`) ends the run quietly.
process.stdout.on("error", () => process.exit(process.exitCode ?? EXIT.clean));

main().catch((err) => {
    const exit = err instanceof Exit ? err : new Exit(EXIT.internal, `internal error: ${(err as Error)?.message ?? String(err)}`);
    process.stderr.write(`policy: ${oneLine(exit.message)}\n`);
    process.exitCode = exit.code;
});
