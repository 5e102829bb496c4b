// A recording stand-in for a cloud CLI (pulumi, aws, gh, kubectl, docker, helm) in the docs test:
// `node shim.mjs <tool> <argv...>`. It checks argv against the tool's vendored command tree
// (test/docs/trees/<tool>.json: only the commands the docs use, with the flags the real tool defines there,
// each with its upstream source), appends one JSON line per call to $DOCS_SHIM_LOG, prints nothing and
// exits 0; an unknown subcommand or flag, a missing value, a value outside a flag's choices, a wrong count
// of arguments, or a config key or workflow input the repository does not have (repositoryProblem) is one
// line on stderr and exit 97 (no real tool exits 97 for a usage error, so the test can tell the shim's
// refusal apart). `node -- shim.mjs ...`: Node 20 would otherwise take a doc's `--env-file` as its own.
// Plain JavaScript, so each call starts in milliseconds.
import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// The project's own YAML reader (a dependency in package.json), loaded only for `gh workflow run`.
const parseYaml = (text) => createRequire(import.meta.url)("yaml").parse(text);

export const SHIM_REFUSED = 97;

/** Splits `--flag=value`; looks the flag up in the command's own flags, then the tool's global ones. */
function findFlag(tree, command, token) {
    const eq = token.startsWith("--") ? token.indexOf("=") : -1;
    const name = eq > 0 ? token.slice(0, eq) : token;
    const tables = [command ? tree.commands[command].flags : {}, tree.global];
    for (const table of tables) {
        const global = table === tree.global;
        if (table[name]) return { name, spec: table[name], inline: eq > 0, value: eq > 0 ? token.slice(eq + 1) : undefined, global };
        for (const [long, spec] of Object.entries(table)) {
            if (spec.short === name) return { name: long, spec, inline: false, global };
            // Short flags with their value attached (`-ndev`, `-n=dev`), as pflag's parseSingleShortArg reads them.
            if (spec.short && spec.value && name.startsWith(spec.short) && name.length > 2 && !name.startsWith("--")) return { name: long, spec, inline: true, value: token.slice(2).replace(/^=/, ""), global };
        }
    }
    return undefined;
}

/**
 * A value outside the flag's `enum` (the choices the tool accepts), or undefined. With `enumPart:
 * "before ="` only the text before the first `=` is the choice (kubectl's `-o jsonpath={...}`).
 */
function enumProblem(flag) {
    if (!flag.spec.enum || flag.value === undefined) return undefined;
    const choice = flag.spec.enumPart === "before =" ? flag.value.split("=")[0] : flag.value;
    return flag.spec.enum.includes(choice) ? undefined : `${flag.name} ${JSON.stringify(flag.value)} is not one of ${flag.spec.enum.join(", ")}`;
}

/** The check itself, pure: returns the problem, or undefined when the real tool would accept argv. */
export function checkArgv(tree, argv, root) {
    const tool = tree.tool;
    const words = [];
    const values = {};
    let command;
    const commands = Object.keys(tree.commands);
    const aliases = tree.aliases ?? {};
    const positional = [];
    for (let i = 0; i < argv.length; i++) {
        const token = argv[i];
        if (token === "--") { positional.push(...argv.slice(i + 1)); break; }
        if (token.startsWith("-") && token !== "-") {
            const flag = findFlag(tree, command, token);
            if (!flag) return `unknown flag ${token.split("=")[0]} for \`${[tool, ...words].join(" ")}\` (${command ? tree.commands[command].source : tree.source})`;
            if (flag.spec.value && !flag.inline) {
                if (i + 1 >= argv.length) return `flag ${flag.name} of \`${[tool, ...words].join(" ")}\` needs a value`;
                i++;
                flag.value = argv[i];
                // The AWS CLI's list and structure parameters take every following word up to the next flag.
                if (flag.spec.list) while (i + 1 < argv.length && !argv[i + 1].startsWith("--")) i++;
            }
            (values[flag.name] ??= []).push(flag.value);
            const bad = enumProblem(flag);
            if (bad) return `${bad} for \`${[tool, ...words].join(" ")}\` (${command && !flag.global ? tree.commands[command].source : tree.source})`;
            continue;
        }
        if (!command || positional.length === 0) {
            const candidate = [...words, token].join(" ");
            const resolved = aliases[candidate] ?? candidate;
            if (commands.some((c) => c === resolved || c.startsWith(resolved + " "))) {
                words.push(token);
                command = commands.includes(resolved) ? resolved : undefined;
                if (aliases[candidate]) { words.splice(0, words.length, ...resolved.split(" ")); }
                continue;
            }
            if (!command) return `unknown command \`${candidate}\`: the docs' command tree of ${tool} (${tree.source}) has ${commands.filter((c) => c.startsWith(words.join(" "))).map((c) => `\`${tool} ${c}\``).join(", ")}`;
        }
        positional.push(token);
    }
    if (!command) return `\`${[tool, ...words].join(" ")}\` is no command of ${tool}: missing subcommand`;
    const spec = tree.commands[command];
    const [min, max] = spec.args;
    if (positional.length < min || positional.length > max)
        return `\`${tool} ${command}\` takes ${min === max ? min : `${min} to ${max}`} argument(s), got ${positional.length}: ${JSON.stringify(positional)} (${spec.source})`;
    for (const [name, flag] of Object.entries(spec.flags)) {
        if (flag.required && !argv.some((a) => a === name || a.startsWith(name + "=")) && !argv.some((a) => a.startsWith("--cli-input-")))
            return `\`${tool} ${command}\` needs ${name} (${spec.source})`;
    }
    return root === undefined ? undefined : repositoryProblem(tool, command, positional, values, root);
}

/** The nearest folder at or above `dir` with a Pulumi.yaml: the repository the doc runs in. */
export function repositoryRoot(dir) {
    for (let d = resolve(dir); ; d = dirname(d)) {
        if (existsSync(join(d, "Pulumi.yaml"))) return d;
        if (d === dirname(d)) return undefined;
    }
}

/**
 * What the shape check cannot see, read from the repository the doc runs in:
 * - `pulumi config set|get|rm KEY`: KEY (with the project's name as namespace when its first segment has
 *   none, as pulumi/pulumi@v3.248.0:pkg/cmd/pulumi/config/io.go ParseConfigKey adds it) must be a key the stack-file
 *   schema (schema/stack-file.schema.json) allows; with --path, every step of the path too
 *   (`eks-delivery:registry.pullAccounts[0]`, `eks-delivery:cost.prices["t3.medium"]`).
 * - `gh workflow run FILE -f/-F NAME=VALUE`: NAME must be one of the workflow's
 *   on.workflow_dispatch.inputs, and a `choice` input's VALUE one of its options (the dispatch API
 *   answers 422 "Unexpected inputs provided" otherwise: gh posts them as given,
 *   cli/cli@v2.60.0:pkg/cmd/workflow/run/run.go).
 */
export function repositoryProblem(tool, command, positional, values, root) {
    if (!root) return undefined;
    if (tool === "pulumi" && ["config set", "config get", "config rm"].includes(command) && positional.length) {
        const schemaFile = join(root, "schema", "stack-file.schema.json");
        if (!existsSync(schemaFile)) return undefined;
        const project = /^name:\s*(\S+)/m.exec(readFileSync(join(root, "Pulumi.yaml"), "utf8"))?.[1];
        const isPath = "--path" in values;
        const given = positional[0];
        const top = isPath && /[.[]/.test(given.slice(1)) ? given.slice(0, given.slice(1).search(/[.[]/) + 1) : given;
        const key = top.includes(":") ? given : `${project}:${given}`;
        return configKeyProblem(JSON.parse(readFileSync(schemaFile, "utf8")), key, isPath);
    }
    if (tool === "gh" && command === "workflow run" && positional.length) {
        const fields = [...(values["--raw-field"] ?? []), ...(values["--field"] ?? [])];
        if (fields.length === 0) return undefined;
        return workflowInputsProblem(root, positional[0], fields);
    }
    return undefined;
}

/** A Pulumi property path (`a.b[0]["c.d"]`) as its steps; undefined when it does not parse. */
export function pathSteps(path) {
    const steps = [];
    let i = 0;
    const first = /^[^.[\]]+/.exec(path);
    if (!first) return undefined;
    steps.push(first[0]);
    i = first[0].length;
    while (i < path.length) {
        const m = /^\.([^.[\]]+)/.exec(path.slice(i)) ?? /^\["((?:[^"\\]|\\.)*)"\]/.exec(path.slice(i)) ?? /^\[(\d+)\]/.exec(path.slice(i));
        if (!m) return undefined;
        steps.push(m[0].startsWith("[") && !m[0].startsWith('["') ? Number(m[1]) : m[1]);
        i += m[0].length;
    }
    return steps;
}

/** Why the stack-file schema refuses a config key (a path with --path), or undefined. */
export function configKeyProblem(schema, key, isPath) {
    const config = schema.properties?.config;
    if (!config) return undefined;
    const steps = isPath ? pathSteps(key) : [key];
    if (!steps) return `config key ${JSON.stringify(key)} is not a property path`;
    const [top, ...rest] = steps;
    const allowed = config.propertyNames?.anyOf ?? [];
    const named = allowed.some((a) => (a.enum && a.enum.includes(top)) || (a.pattern && new RegExp(a.pattern).test(top)));
    if (allowed.length && !named) return `config key ${JSON.stringify(top)} is not in schema/stack-file.schema.json (keys of ${top.split(":")[0]}: ${Object.keys(config.properties).filter((k) => k.startsWith(top.split(":")[0] + ":")).join(", ")})`;
    let at = config.properties?.[top];
    for (let n = 0; at && n < rest.length; n++) {
        const step = rest[n];
        const where = `${top}${rest.slice(0, n).map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`)).join("")}`;
        const next = stepInto(at, step);
        if (next === null) return `config path ${JSON.stringify(key)}: ${where} has no ${typeof step === "number" ? `index [${step}] (not a list)` : `key ${JSON.stringify(step)}`} in schema/stack-file.schema.json${at.properties ? ` (its keys: ${Object.keys(at.properties).join(", ")})` : ""}`;
        at = next;
    }
    return undefined;
}

/** The schema one step down, undefined when the schema says nothing (anything goes), null when it refuses. */
function stepInto(schema, step) {
    const branches = schema.anyOf ?? schema.oneOf;
    if (branches) {
        const found = branches.map((b) => stepInto(b, step)).filter((r) => r !== null);
        return found.length ? found[0] : null;
    }
    if (typeof step === "number") {
        if (schema.type === "array" || schema.items) return schema.items;
        return schema.type && schema.type !== "array" ? null : undefined;
    }
    if (schema.properties && step in schema.properties) return schema.properties[step];
    if (schema.additionalProperties === false) return null;
    if (typeof schema.additionalProperties === "object") return schema.additionalProperties;
    if (schema.type && schema.type !== "object") return null;
    return undefined;
}

/** Why the workflow's dispatch refuses these `-f NAME=VALUE` fields, or undefined. */
function workflowInputsProblem(root, workflow, fields) {
    const dir = join(root, ".github", "workflows");
    if (!existsSync(dir)) return undefined;
    const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
    const docs = files.map((f) => ({ file: f, doc: parseYaml(readFileSync(join(dir, f), "utf8")) }));
    // gh accepts a file name, a workflow ID or the workflow's name (run.go: shared.ResolveWorkflow).
    const hit = docs.find((d) => d.file === basename(workflow) || d.doc?.name === workflow);
    if (!hit) return `no workflow ${JSON.stringify(workflow)} in .github/workflows (${files.join(", ")})`;
    const on = hit.doc?.on ?? hit.doc?.[true]; // YAML 1.1 readers turn a bare \`on\` into true
    const dispatch = on && typeof on === "object" && !Array.isArray(on) ? on.workflow_dispatch : Array.isArray(on) && on.includes("workflow_dispatch") ? {} : undefined;
    if (dispatch === undefined) return `.github/workflows/${hit.file} has no workflow_dispatch trigger`;
    const inputs = dispatch?.inputs ?? {};
    for (const field of fields) {
        const eq = field.indexOf("=");
        const name = eq < 0 ? field : field.slice(0, eq);
        const value = eq < 0 ? "" : field.slice(eq + 1);
        if (!(name in inputs)) return `input ${JSON.stringify(name)} is not one of .github/workflows/${hit.file}'s workflow_dispatch inputs (${Object.keys(inputs).join(", ") || "none"}): the dispatch API refuses it`;
        const spec = inputs[name] ?? {};
        if (spec.type === "choice" && Array.isArray(spec.options) && !spec.options.map(String).includes(value))
            return `input ${name}=${JSON.stringify(value)} is not one of its options in .github/workflows/${hit.file} (${spec.options.join(", ")})`;
    }
    return undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
    const [tool, ...argv] = process.argv.slice(2);
    const tree = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "trees", `${tool}.json`), "utf8"));
    const problem = checkArgv(tree, argv, repositoryRoot(process.cwd()) ?? null);
    if (process.env.DOCS_SHIM_LOG) appendFileSync(process.env.DOCS_SHIM_LOG, JSON.stringify({ tool, argv, cwd: process.cwd(), problem }) + "\n");
    if (problem) {
        process.stderr.write(`${tool} (docs shim): ${problem}\n`);
        process.exit(SHIM_REFUSED);
    }
}
