/**
 * The one CLI, `eks-delivery <command>` (tools/cli/): help on every command (flags, defaults, exit codes,
 * an example), the error convention (one line `<command>: ...`, exit 2), colour only on a terminal
 * without NO_COLOR, progress only on stderr, --json clean, signals and a closed pipe, paths from a subfolder.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../config";
import { callerDir, callerPath } from "../tools/cli/callerPath";
import { argvProblem, wrapText } from "../tools/cli/command";
import { colourWanted, streamHasColour } from "../tools/cli/colour";
import { eksDelivery } from "../tools/cli/program";
import { isProgressLine, progressText, startProgress } from "../tools/cli/progress";
import { wroteLine } from "../tools/plan/cli";

const BIN = path.join(PROJECT_ROOT, "tools/cli/bin.js");
const ESC = /\x1b\[/;

interface Ran { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }
function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = PROJECT_ROOT): Promise<Ran> {
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "", stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
}
const cli = (args: string[], env?: NodeJS.ProcessEnv) => run(process.execPath, [BIN, ...args], env);

/** A command's whole help (commander's part and the sections after it), to a pipe or (`colour`) a terminal. */
function helpOf(name: string, colour = false): string {
    const command = eksDelivery().commands.find((c) => c.name() === name)!;
    let text = "";
    command.configureOutput({ writeOut: (s) => (text += s), getOutHasColors: () => colour });
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
        assert.match(help, /^Examples?:\n {2}(npx eks-delivery|npm run|kubectl|EKS_)/m, `${name}: an example`);
        // In a clone the bin is not on PATH: every example runs as typed.
        assert.doesNotMatch(help, /^ {2}eks-delivery /m, `${name}: examples through npx`);
        assert.doesNotMatch(help, ESC, `${name}: no colour into a pipe`);
        for (const line of help.split("\n")) assert.ok(line.length <= 80, `${name}: a help line over 80 columns: ${line}`);
        // A terminal that takes colour gets it: the titles and the flags.
        assert.match(helpOf(name, true), /\x1b\[1mExit codes:\x1b\[0m/, `${name}: colour on a terminal`);
        assert.match(helpOf(name, true), /\x1b\[36m--/, `${name}: flags coloured on a terminal`);
    }
});

test("help text wraps at 80 columns: a table row under its text, a long word whole", () => {
    assert.equal(wrapText("aaa bbb ccc", 7), "aaa bbb\nccc");
    assert.equal(wrapText("  text   one two three four", 20), "  text   one two\n         three four");
    assert.equal(wrapText("  npx x --flag value", 12, 4), "  npx x\n      --flag\n      value");
    assert.equal(wrapText("short\n\nkept", 80), "short\n\nkept");
    assert.equal(wrapText("a-very-long-word and", 5), "a-very-long-word\nand");
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
        [["deploy"], /^eks-delivery: unknown command 'deploy' \(see npx eks-delivery --help\)\n$/, {}],
        [["plna"], /^eks-delivery: unknown command 'plna' \(Did you mean plan\?\) \(see npx eks-delivery --help\)\n$/, { NO_COLOR: "1" }],
        [["plan", "--bogus"], /^plan: unknown option '--bogus' \(see npx eks-delivery plan --help\)\n$/, { NO_COLOR: "" }],
        // Not commander's whole program help on stderr: one line.
        [[], /^eks-delivery: a command is needed: plan, policy, version, bench, conformance, loadtest \(see npx eks-delivery --help\)\n$/, {}],
        [["help", "nosuch"], /^eks-delivery: unknown command 'nosuch' \(see npx eks-delivery --help\)\n$/, {}],
        [["policy", "--list", "--json", "extra"], /^policy: --list takes no PATH \(got "extra"\): it lists the policies\n$/, {}],
        [["policy", "--fail-on", "HIGH", "x.yaml"], /^policy: --fail-on "HIGH" is not one of critical, high, medium, low, none\n$/, {}],
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

test("help help is the program's help, -V the package's version, both on stdout with exit 0", async () => {
    const [helpHelp, top, version] = await Promise.all([cli(["help", "help"]), cli(["--help"]), cli(["-V"])]);
    for (const r of [helpHelp, top, version]) assert.deepEqual([r.code, r.stderr], [0, ""]);
    assert.equal(helpHelp.stdout, top.stdout);
    assert.equal(version.stdout, `${JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).version}\n`);
});

test("schema, readme:graph and policy:readme answer --help and refuse an unknown flag, writing nothing", async () => {
    const readmes = () => ["README.md", "policies/README.md", "Pulumi.yaml"].map((f) => fs.statSync(path.join(PROJECT_ROOT, f)).mtimeMs);
    const before = readmes();
    for (const script of ["schema", "readme:graph", "policy:readme"]) {
        const [help, bad] = await Promise.all([run("npm", ["run", "--silent", script, "--", "--help"]), run("npm", ["run", "--silent", script, "--", "--bogus"])]);
        assert.equal(help.code, 0, `${script}: ${help.stderr}`);
        assert.match(help.stdout, new RegExp(`^Usage: npm run ${script} \\[options\\]`), script);
        assert.match(help.stdout, /^Exit codes:$/m, script);
        assert.equal(bad.code, 2, script);
        assert.equal(bad.stderr, `${script}: unknown option '--bogus' (see npm run ${script} -- --help)\n`);
    }
    assert.deepEqual(readmes(), before, "nothing rewritten");
});

test("eks-delivery passes on the child's exit code, and a signal: killed by SIGTERM, not exit 0", async () => {
    assert.equal((await cli(["deploy"])).code, 2);
    // A long command that needs no cloud: the load test (30 s), stopped after it has started.
    const child = spawn(process.execPath, [BIN, "loadtest", "--seconds", "30", "--quiet"], { cwd: PROJECT_ROOT, stdio: "ignore" });
    const ended = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("exit", (code, signal) => resolve([code, signal])));
    await wait(3000);
    child.kill("SIGTERM");
    assert.deepEqual(await ended, [null, "SIGTERM"]);
});

test("eks-delivery without tsx (npm ci --omit=dev): one line, exit 3", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eks-delivery-bin-"));
    try {
        fs.copyFileSync(BIN, path.join(dir, "bin.js"));
        const r = await run(process.execPath, [path.join(dir, "bin.js"), "--help"], {}, dir);
        assert.deepEqual([r.code, r.stdout, r.stderr], [3, "", "eks-delivery: tsx is missing (a devDependency that runs the TypeScript): run npm ci\n"]);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test("a reader that goes away (`| head`): the command ends quietly, exit 0, no EPIPE trace", async () => {
    for (const args of [["version", "--json"], ["policy", "--list", "--json"]]) {
        const child = spawn(process.execPath, [BIN, ...args], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
        // Closed before the command writes: its write fails with EPIPE.
        child.stdout.destroy();
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        const code = await new Promise((resolve) => child.on("close", resolve));
        assert.deepEqual([code, stderr], [0, ""], args.join(" "));
    }
});

test("paths from a subfolder: relative to where npm was started (INIT_CWD), for every command", async () => {
    const env = { INIT_CWD: "/repo/sub", npm_lifecycle_event: "plan" };
    assert.equal(callerPath("x.yaml", "plan", env, "/repo"), "sub/x.yaml");
    assert.equal(callerPath("../../y", "plan", env, "/repo"), "/y");
    assert.equal(callerPath("/abs", "plan", env, "/repo"), "/abs");
    assert.equal(callerPath("..", "plan", env, "/repo"), ".");
    assert.equal(callerPath("x.yaml", "policy", env, "/repo"), "x.yaml", "another script's INIT_CWD (npm test's) is not this command's");
    assert.equal(callerDir("policy", { ...env, npm_lifecycle_event: "eks-delivery" }, "/repo"), "/repo/sub");
    assert.equal(callerDir("plan", {}, "/repo"), "/repo");

    const sub = path.join(PROJECT_ROOT, "test", "fixtures");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eks-delivery-sub-"));
    const manifest = path.join(dir, "cm.yaml");
    fs.writeFileSync(manifest, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n");
    // Typed in the subfolder: relative to it, not to the package's folder npm runs the script in.
    const example = path.relative(sub, manifest);
    // npm test's own variables must not leak into the npm runs below.
    const clean = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith("npm_") || k === "INIT_CWD").map((k) => [k, undefined]));
    const [viaBin, viaScript, plan] = await Promise.all([
        run("npm", ["run", "--silent", "eks-delivery", "--", "policy", "--json", "--fail-on", "none", example], clean, sub),
        run("npm", ["run", "--silent", "policy", "--", "--json", "--fail-on", "none", example], clean, sub),
        run("npm", ["run", "--silent", "plan", "--", "--config", "Pulumi.nosuch.yaml"], clean, sub),
    ]);
    for (const r of [viaBin, viaScript]) {
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout).files, [manifest]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(plan.code, 2);
    assert.equal(plan.stderr, `plan: --config ${path.join("test", "fixtures", "Pulumi.nosuch.yaml")}: no such file or directory\n`);
});

test("--json stays machine-clean: only the JSON on stdout, nothing on stderr", async () => {
    const r = await cli(["policy", "--list", "--json"], { NO_COLOR: "" });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.ok(Array.isArray(JSON.parse(r.stdout)));
    assert.doesNotMatch(r.stdout, ESC);
});

test("colour: only on a terminal, never with NO_COLOR set to anything but empty (no-color.org), nor TERM=dumb", () => {
    assert.equal(colourWanted(true, {}), true);
    assert.equal(colourWanted(true, { TERM: "xterm-256color" }), true);
    assert.equal(colourWanted(true, { TERM: "dumb" }), false, "a terminal that takes no escape codes");
    assert.equal(streamHasColour({ isTTY: true }, {}), true);
    assert.equal(streamHasColour({}, {}), false);
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
    assert.deepEqual(pipe.writes, ["[plan] running the program\n", "[plan] writing out/dev\n"]);
    assert.ok(pipe.writes.every(isProgressLine) && !isProgressLine("plan: invalid stack configuration"), "progress lines are told from a refusal");

    const tty = recorder(true);
    const p3 = startProgress("bench", tty.stream, { delayMs: 50, env: { NO_COLOR: "1" } });
    p3.step("a step far longer than the forty columns of this terminal");
    await wait(100);
    p3.done();
    assert.equal(tty.writes.length, 2);
    assert.equal(tty.writes[0], "\r\x1b[2K[bench] a step far longer than the for…", "cut to the width, no colour under NO_COLOR");
    assert.equal(tty.writes[1], "\r\x1b[2K", "cleared at the end");

    const quiet = recorder(false);
    const p4 = startProgress("plan", quiet.stream, { delayMs: 0, quiet: true });
    p4.step("x");
    await wait(20);
    p4.done();
    assert.deepEqual(quiet.writes, []);
    assert.equal(progressText("plan", "a\nb", false, undefined, false), "[plan] a\\x0ab\n", "one line whatever the step says");
    assert.equal(progressText("plan", "x".repeat(100), true, 0, false).length, "\r\x1b[2K".length + 79, "a width of 0 (unknown) is 80");
    assert.equal(progressText("plan", "x", true, 40, true), "\r\x1b[2K\x1b[2m[plan] x\x1b[0m", "dim on a terminal that takes colour");
});

test("progress: a slow step shows at once; a step after blocking work shows though the timer could not fire", () => {
    const now = recorder(false);
    const p1 = startProgress("plan", now.stream, { delayMs: 60_000 });
    p1.step("loading the Pulumi SDK", { now: true });
    p1.done();
    assert.deepEqual(now.writes, ["[plan] loading the Pulumi SDK\n"]);

    const blocked = recorder(false);
    const p2 = startProgress("plan", blocked.stream, { delayMs: 50 });
    p2.step("loading");
    const until = Date.now() + 80;
    while (Date.now() < until) { /* the event loop is blocked, as by loading the SDK */ }
    p2.step("running the program");
    p2.done();
    assert.deepEqual(blocked.writes, ["[plan] running the program\n"]);
});

test("the plan's Wrote line names every file it wrote", () => {
    assert.equal(wroteLine("out/dev", ["plan.json", "capacity.json", "cost.json", "policy-report.json", "graph.mmd", "manifests/a.yaml", "manifests/b.yaml"]),
        "Wrote plan.json, capacity.json, cost.json, policy-report.json, graph.mmd and 2 manifests (manifests/) to out/dev");
});
