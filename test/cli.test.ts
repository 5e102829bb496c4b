/**
 * The one CLI, `eks-delivery <command>` (tools/cli/): help on every command (flags, defaults, exit codes,
 * an example), the error convention (one line `<command>: ...`, exit 2), colour only on a terminal
 * without NO_COLOR, progress only on stderr and only after a second, --json clean.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "child_process";
import * as path from "path";
import { PROJECT_ROOT } from "../config";
import { argvProblem } from "../tools/cli/command";
import { colourWanted } from "../tools/cli/colour";
import { eksDelivery } from "../tools/cli/program";
import { progressText, startProgress } from "../tools/cli/progress";

const BIN = path.join(PROJECT_ROOT, "tools/cli/bin.js");
const ESC = /\x1b\[/;

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "", stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}
const cli = (args: string[], env?: NodeJS.ProcessEnv) => run(process.execPath, [BIN, ...args], env);

/** A command's whole help (commander's part and the sections after it), as written to a pipe. */
function helpOf(name: string): string {
    const command = eksDelivery().commands.find((c) => c.name() === name)!;
    let text = "";
    command.configureOutput({ writeOut: (s) => (text += s), getOutHasColors: () => false });
    command.outputHelp();
    return text;
}

test("every command's help lists its flags with defaults, the exit codes and an example", () => {
    const names = eksDelivery().commands.map((c) => c.name());
    assert.deepEqual(names, ["plan", "policy", "version", "bench", "conformance", "loadtest"]);
    for (const name of names) {
        const help = helpOf(name);
        assert.match(help, new RegExp(`^Usage: eks-delivery ${name} \\[options\\]`), name);
        const command = eksDelivery().commands.find((c) => c.name() === name)!;
        for (const option of command.options) {
            assert.ok(help.includes(option.long!), `${name} --help lists ${option.long}`);
            // Every flag that takes a value says its default (a switch says what it is without it).
            if (option.required) assert.match(option.description, /\(default: [^)]+\)/, `${name} ${option.long} says its default`);
        }
        assert.match(help, /^Exit codes:\n {2}0 {2}\S/m, `${name}: exit codes`);
        assert.match(help, /^ {2}2 {2}bad /m, `${name}: exit 2 is bad input`);
        assert.match(help, /^Examples?:\n {2}(eks-delivery|npm run|kubectl|EKS_)/m, `${name}: an example`);
        assert.doesNotMatch(help, ESC, `${name}: no colour into a pipe`);
    }
});

test("help is reachable four ways and exits 0; the program's help lists every command", async () => {
    const [top, helpPlan, planHelp, npmHelp] = await Promise.all([
        cli(["--help"]), cli(["help", "plan"]), cli(["plan", "--help"]), run("npm", ["run", "--silent", "plan", "--", "--help"]),
    ]);
    for (const r of [top, helpPlan, planHelp, npmHelp]) {
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stderr, "");
    }
    for (const name of ["plan", "policy", "version", "bench", "conformance", "loadtest"]) assert.match(top.stdout, new RegExp(`^ {2}${name} `, "m"));
    assert.equal(helpPlan.stdout, planHelp.stdout);
    assert.equal(npmHelp.stdout, planHelp.stdout, "npm run plan is eks-delivery plan");
    assert.match(planHelp.stdout, /--stack <name> +the stack \(default: dev/);
});

test("an unknown command or flag: one line naming it, exit 2, nothing on stdout, no colour with or without NO_COLOR", async () => {
    const cases: Array<[string[], RegExp, NodeJS.ProcessEnv]> = [
        [["deploy"], /^eks-delivery: unknown command 'deploy' \(see eks-delivery --help\)\n$/, {}],
        [["plna"], /^eks-delivery: unknown command 'plna' \(Did you mean plan\?\) \(see eks-delivery --help\)\n$/, { NO_COLOR: "1" }],
        [["plan", "--bogus"], /^plan: unknown option '--bogus' \(see eks-delivery plan --help\)\n$/, { NO_COLOR: "" }],
        [["--json", "plan"], /^eks-delivery: unknown option '--json'/, {}],
        [["version", "--title", "--json"], /^version: --title "--json": a value that starts with '-' is given as --title=<value>/, {}],
        [["policy", "--format", "json", "--format", "text", "x.yaml"], /^policy: --format is given twice\n$/, {}],
    ];
    const results = await Promise.all(cases.map(([args, , env]) => cli(args, env)));
    results.forEach((r, i) => {
        const [args, message] = cases[i];
        assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.equal(r.stdout, "");
        assert.doesNotMatch(r.stderr, ESC);
    });
});

test("--json stays machine-clean: only the JSON on stdout, nothing on stderr", async () => {
    const r = await cli(["policy", "--list", "--json"], { NO_COLOR: "" });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.ok(Array.isArray(JSON.parse(r.stdout)));
    assert.doesNotMatch(r.stdout, ESC);
});

test("colour: only on a terminal, never with NO_COLOR set to anything but empty (no-color.org)", () => {
    assert.equal(colourWanted(true, {}), true);
    assert.equal(colourWanted(true, { NO_COLOR: "" }), true, "an empty NO_COLOR is unset");
    assert.equal(colourWanted(true, { NO_COLOR: "1" }), false);
    assert.equal(colourWanted(true, { NO_COLOR: "0" }), false, "any value, even 0");
    assert.equal(colourWanted(false, {}), false);
    assert.equal(colourWanted(undefined, { FORCE_COLOR: "1" }), false, "never off a terminal");
});

test("the checks commander does not make", () => {
    const options = eksDelivery().commands.find((c) => c.name() === "plan")!.options;
    assert.equal(argvProblem(options, ["--stack", "dev", "--stack", "prod"]), "--stack is given twice");
    assert.equal(argvProblem(options, ["--json=1"]), '--json takes no value (got "1")');
    assert.equal(argvProblem(options, ["--out", "-x"]), `--out "-x": a value that starts with '-' is given as --out=<value>`);
    assert.equal(argvProblem(options, ["--out=-x", "--stack", "dev"]), undefined);
    assert.equal(argvProblem(options, ["--", "--stack", "--stack"]), undefined, "after -- every word is an argument");
    assert.equal(argvProblem(options, ["-h", "--help"]), "--help is given twice");
});

/** A stream that records what is written, as a terminal or a pipe. */
const recorder = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, stream: { isTTY, columns: 40, write: (s: string) => writes.push(s) } };
};
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("progress: nothing before the delay, plain lines off a terminal, one cleared line on it, nothing when quiet", async () => {
    const quick = recorder(false);
    const p1 = startProgress("plan", quick.stream, { delayMs: 200 });
    p1.step("loading");
    p1.done();
    await wait(250);
    assert.deepEqual(quick.writes, [], "a run shorter than the delay shows nothing");

    const pipe = recorder(false);
    const p2 = startProgress("plan", pipe.stream, { delayMs: 50 });
    p2.step("loading the Pulumi SDK");
    p2.step("running the program");
    await wait(100);
    p2.step("writing out/dev");
    p2.done();
    p2.step("after done");
    assert.deepEqual(pipe.writes, ["plan: running the program\n", "plan: writing out/dev\n"]);

    const tty = recorder(true);
    const p3 = startProgress("bench", tty.stream, { delayMs: 50, env: { NO_COLOR: "1" } });
    p3.step("a step far longer than the forty columns of this terminal");
    await wait(100);
    p3.done();
    assert.equal(tty.writes.length, 2);
    assert.equal(tty.writes[0], "\r\x1b[2Kbench: a step far longer than the fort…", "cut to the width, no colour under NO_COLOR");
    assert.equal(tty.writes[1], "\r\x1b[2K", "cleared at the end");

    const quiet = recorder(false);
    const p4 = startProgress("plan", quiet.stream, { delayMs: 0, quiet: true });
    p4.step("x");
    await wait(20);
    p4.done();
    assert.deepEqual(quiet.writes, []);
    assert.equal(progressText("plan", "a\nb", false, undefined, false), "plan: a\\x0ab\n", "one line whatever the step says");
});
