/**
 * What every `eks-delivery` command shares (commander 14, commander@14.0.3:lib/command.js):
 * - one error convention: `<command>: <one line>` on stderr (control characters escaped), exit 2 for bad
 *   input, never a stack trace; a command throws `badInput(...)` or `new CliError(message, code)`;
 * - help on every command: the flags with their defaults, then the notes, the exit codes and examples;
 * - the checks commander does not make: a flag given twice (commander keeps the last), a value that
 *   starts with '-' given apart from its flag (commander takes `--config --json` as the file
 *   "--json"), a value for a flag that takes none, a positional for a command that takes none;
 * - colour only on a terminal without NO_COLOR or TERM=dumb (./colour.ts), for help and errors alike;
 * - a reader that goes away (EPIPE on stdout) ends any command quietly.
 * Commander's own refusals (an unknown flag or command, a missing value) keep its wording, on one line.
 * No command at all is bad input too (one line naming the commands, exit 2: a script that lost its
 * command must fail), `help <unknown>` is the unknown command's one line, and `help help` is the
 * program's help (stdout, exit 0); commander would print the whole help on stderr for all three.
 */
import { Command, CommanderError, Option } from "@commander-js/extra-typings";
import * as fs from "fs";
import * as path from "path";
import { oneLine, quoted } from "../../config/safeRead";
import { paint, streamHasColour } from "./colour";

export const PROGRAM = "eks-delivery";
/** How a reader runs the program from a clone (the bin is not on PATH there): in examples and hints. */
export const RUN = `npx ${PROGRAM}`;
/** Help text is wrapped to this many columns (commander wraps the flags to the same, off a terminal). */
export const HELP_COLUMNS = 80;
export const EXIT_BAD_INPUT = 2;

/** A refusal or failure a command reports: its lines on stderr (the first prefixed `<command>: `), then its exit code. */
export class CliError extends Error {
    readonly lines: string[];
    constructor(message: string | string[], readonly exitCode: number = EXIT_BAD_INPUT) {
        const lines = typeof message === "string" ? [message] : message;
        super(lines.join("\n"));
        this.lines = lines;
    }
}
export const badInput = (message: string | string[]) => new CliError(message, EXIT_BAD_INPUT);

/** Said after the refusal of a flag's value that starts with '-' (`--title -x`): what else the flag takes. */
const dashHints = new WeakMap<object, Record<string, string>>();

export interface CommandHelp {
    /** Per flag (`--title`), a hint added to the refusal of a detached value starting with '-'. */
    dashHints?: Record<string, string>;
    /** Said after the flags: input limits, formats, where the output goes. */
    notes?: string;
    exitCodes: Array<[number, string]>;
    /** Full command lines, as a reader types them. */
    examples: string[];
}

const helpSection = (title: string, body: string) => `\n${paint(true, "bold", title)}\n${body}\n`;

/**
 * `text` wrapped at `columns`: each line longer than that breaks at spaces, its continuation indented as
 * the line is (plus `hang`), or under the text of a table row (`  term   text`); a word longer than the
 * line stays whole. Newlines in `text` are kept.
 */
export function wrapText(text: string, columns = HELP_COLUMNS, hang = 0): string {
    return text.split("\n").map((line) => {
        if (line.length <= columns) return line;
        // A table row (`  term   text`) continues under its text; any other line under itself, plus `hang`.
        const row = /^ *\S+ {2,}(?=\S)/.exec(line);
        const indent = " ".repeat(row ? row[0].length : /^ */.exec(line)![0].length + hang);
        const out: string[] = [];
        let current = line.replace(/ +$/, "");
        while (current.length > columns) {
            const at = current.lastIndexOf(" ", columns);
            const cut = at > indent.length ? at : current.indexOf(" ", columns);
            if (cut < 0) break;
            out.push(current.slice(0, cut).trimEnd());
            current = indent + current.slice(cut + 1).trimStart();
        }
        return [...out, current].join("\n");
    }).join("\n");
}

/** The sections after the flags, wrapped at HELP_COLUMNS (painted always: commander strips colour where the stream has none). */
export function helpAfter(doc: CommandHelp): string {
    const width = Math.max(1, ...doc.exitCodes.map(([code]) => String(code).length));
    const meaning = (text: string) => wrapText(`  ${" ".repeat(width)}  ${text.replace(/\n/g, " ")}`).slice(width + 4);
    return (doc.notes ? `\n${wrapText(doc.notes.trimEnd())}\n` : "") +
        (doc.exitCodes.length ? helpSection("Exit codes:", doc.exitCodes.map(([code, text]) => `  ${String(code).padEnd(width)}  ${meaning(text)}`).join("\n")) : "") +
        (doc.examples.length ? helpSection(doc.examples.length === 1 ? "Example:" : "Examples:", doc.examples.map((e) => wrapText(`  ${e}`, HELP_COLUMNS, 4)).join("\n")) : "");
}

/** Help and colour settings for one command (commander copies none of them to an added command). */
function configure<C extends Command<any, any, any>>(command: C): C {
    command
        .configureHelp({
            sortOptions: false,
            styleTitle: (s) => paint(true, "bold", s),
            styleOptionTerm: (s) => paint(true, "cyan", s),
            styleSubcommandTerm: (s) => paint(true, "cyan", s),
        })
        .configureOutput({
            getOutHasColors: () => streamHasColour(process.stdout),
            getErrHasColors: () => streamHasColour(process.stderr),
            // Errors are written once, by run(), on one line.
            outputError: () => {},
        })
        .helpOption("-h, --help", "show this help")
        .exitOverride();
    return command;
}

/**
 * A command with the shared conventions: add its options, then its action. A command that declares
 * no argument refuses one (`unexpected argument "x": every value belongs to a flag`).
 */
export function newCommand(name: string, summary: string, doc: CommandHelp): Command {
    const command = configure(new Command(name))
        .summary(summary)
        .description(summary)
        .allowExcessArguments(true)
        .addHelpText("after", helpAfter(doc));
    if (doc.dashHints) dashHints.set(command, doc.dashHints);
    command.hook("preAction", (_self, action) => {
        if (action.registeredArguments.length === 0 && action.args.length > 0) {
            throw badInput(`unexpected argument ${quoted(action.args[0])}: every value belongs to a flag`);
        }
    });
    return command;
}

/** `-h, --help` counts among a command's flags for the checks below. */
const HELP_OPTION = new Option("-h, --help");

/**
 * What commander lets through in `args` (a command's arguments after its name), or undefined: a flag
 * given twice, a value for a flag that takes none, a value starting with '-' that is not attached with
 * `=` (so `--config --json` never swallows the next flag; `-` alone, stdin, is a value). Unknown flags
 * are left to commander (it suggests the closest). Everything after `--` is an argument.
 */
export function argvProblem(options: readonly Option[], args: readonly string[], hints: Record<string, string> = {}): string | undefined {
    const known = [...options, HELP_OPTION];
    const seen = new Set<string>();
    for (let i = 0; i < args.length; i++) {
        const arg = args[i];
        if (arg === "--") break;
        if (!arg.startsWith("-") || arg === "-") continue;
        const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
        const flag = eq > 0 ? arg.slice(0, eq) : arg;
        const option = known.find((o) => o.long === flag || o.short === flag);
        if (!option) continue;
        const name = option.long ?? option.short!;
        if (seen.has(name)) return `${name} is given twice`;
        seen.add(name);
        if (!option.required && !option.optional) {
            if (eq > 0) return `${name} takes no value (got ${quoted(arg.slice(eq + 1))})`;
            continue;
        }
        if (eq > 0) continue;
        const value = args[i + 1];
        if (value === undefined) continue; // commander: argument missing
        if (value.length > 1 && value.startsWith("-")) return `${name} ${quoted(value)}: a value that starts with '-' is given as ${name}=<value>${hints[name] ? ` ${hints[name]}` : ""}`;
        i++;
    }
    return undefined;
}

/**
 * Commander's message without its `error: ` prefix, its suggestion on the same line (commander@14.0.3
 * lib/suggestSimilar.js starts it with a newline); a newline inside the flag itself stays, escaped later.
 */
const commanderMessage = (message: string) => message.replace(/^error: /, "").replace(/\n(?=\(Did you mean )/g, " ");

/** The program: `eks-delivery <command>`, with these commands (`name`: `npm run` for a maintainer's script). */
export function newProgram(commands: Command<any, any, any>[], doc: CommandHelp, name = PROGRAM): Command {
    const program = configure(new Command(name))
        .description("Plan, check and release the eks-delivery stacks offline.")
        .usage("<command> [options]")
        .version(packageVersion(), "-V, --version", "print the package's version (see also: version)")
        // A command's flags belong to it: `eks-delivery --json plan` is an unknown flag, not plan's.
        .enablePositionalOptions()
        .helpCommand("help [command]", "show the help of a command")
        .addHelpText("after", helpAfter(doc));
    for (const command of commands) program.addCommand(command);
    return program;
}

/** package.json's version (read when the program is built: the file is beside tools/). */
function packageVersion(): string {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string }).version;
}

/**
 * Runs the program over `argv` (the arguments after the executable and script), then ends the process:
 * after a refusal (written to stderr, nothing on stdout) at once with its code; after a run by setting
 * process.exitCode only, so that stdout still drains into a pipe (process.exit would cut a long
 * `plan --json` short: nodejs/node@v20.19.0 doc/api/process.md, "A note on process I/O").
 * A reader that went away (`plan --json | head -c 100`: EPIPE) ends the run quietly, with the code
 * the run had so far; any other stdout error is one line and exit 3.
 */
export async function runAndExit(program: Command, argv: string[]): Promise<void> {
    process.stdout.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code !== "EPIPE") report(program.name(), [`cannot write to stdout: ${err.code ?? err.message}`]);
        process.exit(err.code === "EPIPE" ? (typeof process.exitCode === "number" ? process.exitCode : 0) : 3);
    });
    const { code, refused } = await run(program, argv);
    if (refused) process.exit(code);
    process.exitCode = code;
}

/** Runs the program over `argv`: the exit code, and whether it is a refusal (or help) already written. */
export async function run(program: Command, argv: string[]): Promise<{ code: number; refused: boolean }> {
    const find = (word: string | undefined) => program.commands.find((c) => c.name() === word || c.aliases().includes(word!));
    const sub = find(argv[0]);
    const name = sub?.name() ?? program.name();
    // No command: one line naming them (commander would print the whole help on stderr).
    if (argv.length === 0) {
        report(name, [`a command is needed: ${program.commands.map((c) => c.name()).join(", ")} (see ${RUN} --help)`]);
        return { code: EXIT_BAD_INPUT, refused: true };
    }
    // `help nosuch` is `nosuch` (one line, commander's suggestion); `help help` the program's help.
    if (argv[0] === "help" && argv[1] !== undefined && !find(argv[1])) return run(program, argv[1] === "help" ? ["--help"] : argv.slice(1));
    try {
        const problem = sub && argvProblem(sub.options, argv.slice(1), dashHints.get(sub));
        if (problem) throw badInput(problem);
        await program.parseAsync(argv, { from: "user" });
        return { code: typeof process.exitCode === "number" ? process.exitCode : 0, refused: false };
    } catch (err) {
        if (err instanceof CommanderError) {
            // Help (asked for, or shown for a missing command) was written; its exit code is commander's 0, else 2.
            if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || (err.code === "commander.help" && err.exitCode === 0)) return { code: 0, refused: true };
            if (err.code === "commander.help" || err.code === "commander.executeSubCommandAsync") return { code: EXIT_BAD_INPUT, refused: true };
            const ours = program.name() === PROGRAM;
            const hint = sub ? ` (see ${ours ? `${RUN} ${name}` : `${program.name()} ${name} --`} --help)` : ` (see ${RUN} --help)`;
            report(name, [`${commanderMessage(err.message)}${hint}`]);
            return { code: EXIT_BAD_INPUT, refused: true };
        }
        const error = err instanceof CliError ? err : new CliError(`internal error: ${(err as Error)?.message ?? String(err)}`, 3);
        report(name, error.lines);
        return { code: error.exitCode, refused: true };
    }
}

/** `<command>: <line>` on stderr, the command's name coloured where stderr takes colour. */
function report(command: string, lines: string[]): void {
    const colour = streamHasColour(process.stderr);
    process.stderr.write(lines.map((line, i) => `${i === 0 ? `${paint(colour, "red", command)}: ` : ""}${oneLine(line)}\n`).join(""));
}

/**
 * Runs one command as its own program (`npm run plan -- ...` is `eks-delivery plan ...`); `program`
 * "npm run" for a script that is no command of eks-delivery (`npm run schema -- ...`).
 */
export async function runAlone(command: Command<any, any, any>, argv = process.argv.slice(2), program = PROGRAM): Promise<void> {
    await runAndExit(newProgram([command], { exitCodes: [], examples: [] }, program), [command.name(), ...argv]);
}
