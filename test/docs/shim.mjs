// A recording stand-in for a cloud CLI (pulumi, aws, gh, kubectl, docker, helm) in the docs test:
// `node shim.mjs <tool> <argv...>`. It checks argv against the tool's vendored command tree
// (test/docs/trees/<tool>.json: only the commands the docs use, with the flags the real tool defines there,
// each with its upstream source), appends one JSON line per call to $DOCS_SHIM_LOG, prints nothing and
// exits 0; an unknown subcommand or flag, a missing value or a wrong count of arguments is one line on
// stderr and exit 97 (no real tool exits 97 for a usage error, so the test can tell the shim's refusal apart).
// Plain JavaScript, so each call starts in milliseconds.
import { appendFileSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const SHIM_REFUSED = 97;

/** Splits `--flag=value`; looks the flag up in the command's own flags, then the tool's global ones. */
function findFlag(tree, command, token) {
    const eq = token.startsWith("--") ? token.indexOf("=") : -1;
    const name = eq > 0 ? token.slice(0, eq) : token;
    const tables = [command ? tree.commands[command].flags : {}, tree.global];
    for (const table of tables) {
        if (table[name]) return { name, spec: table[name], inline: eq > 0 };
        for (const [long, spec] of Object.entries(table)) {
            if (spec.short === name) return { name: long, spec, inline: false };
            // Short flags with their value attached (`-n dev` or `-ndev`), as pflag reads them.
            if (spec.short && spec.value && name.startsWith(spec.short) && name.length > 2 && !name.startsWith("--")) return { name: long, spec, inline: true };
        }
    }
    return undefined;
}

/** The check itself, pure: returns the problem, or undefined when the real tool would accept argv. */
export function checkArgv(tree, argv) {
    const tool = tree.tool;
    const words = [];
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
                // The AWS CLI's list and structure parameters take every following word up to the next flag.
                if (flag.spec.list) while (i + 1 < argv.length && !argv[i + 1].startsWith("--")) i++;
            }
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
    return undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
    const [tool, ...argv] = process.argv.slice(2);
    const tree = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "trees", `${tool}.json`), "utf8"));
    const problem = checkArgv(tree, argv);
    if (process.env.DOCS_SHIM_LOG) appendFileSync(process.env.DOCS_SHIM_LOG, JSON.stringify({ tool, argv, cwd: process.cwd(), problem }) + "\n");
    if (problem) {
        process.stderr.write(`${tool} (docs shim): ${problem}\n`);
        process.exit(SHIM_REFUSED);
    }
}
