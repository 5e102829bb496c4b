/**
 * The docs cannot rot: every `sh` block of README.md and docs/**\/*.md runs (test/docs/runner.ts), in
 * order per document, in a scratch copy of the repository; cloud CLIs are shims that check each command
 * against the real tool's command tree (test/docs/trees/, with sources); relative links must resolve.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { relativeLinks, shCommands, unrunShellFences } from "./docs/markdown";
import { documents, REPO_ROOT, runDocument, SHIMMED, unrunnable } from "./docs/runner";

const docs = documents();
const read = (rel: string) => fs.readFileSync(path.join(REPO_ROOT, rel), "utf8");
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "eks-delivery-docs-plans-"));
process.on("exit", () => fs.rmSync(cacheDir, { recursive: true, force: true }));

const shim = (tool: string, ...argv: string[]) =>
    spawnSync(process.execPath, [path.join(REPO_ROOT, "test", "docs", "shim.mjs"), tool, ...argv], { encoding: "utf8", env: { ...process.env, DOCS_SHIM_LOG: "" } });

describe("docs: static checks", () => {
    it("finds the documents, and runs a command in each how-to", () => {
        assert.ok(docs.includes("README.md") && docs.length > 5, docs.join(", "));
        const without = docs.filter((d) => d.startsWith("docs/") && !d.startsWith("docs/reference/") && d !== "docs/README.md" && shCommands(read(d)).length === 0);
        assert.deepEqual(without, [], "how-tos without an sh block");
    });

    it("every command is one the harness can run, and no shell block hides from it", () => {
        const problems: string[] = [];
        for (const rel of docs) {
            const md = read(rel);
            for (const cmd of shCommands(md)) {
                const why = unrunnable(cmd);
                if (why) problems.push(`${rel}:${cmd.line}: ${why}`);
            }
            for (const f of unrunShellFences(md)) problems.push(`${rel}:${f.line}: a \`${f.info}\` block is not run: make it \`sh\` (commands) or \`text\` (output)`);
        }
        assert.deepEqual(problems, []);
    });

    it("relative links point at files that exist", () => {
        const problems: string[] = [];
        for (const rel of docs) {
            for (const { target, line } of relativeLinks(read(rel))) {
                const file = decodeURIComponent(target.split("#")[0]);
                if (!fs.existsSync(path.resolve(REPO_ROOT, path.dirname(rel), file))) problems.push(`${rel}:${line}: ${target} does not exist`);
            }
        }
        assert.deepEqual(problems, []);
    });

    it("adopt.md lists every repository variable and secret the workflows read, and nothing else", () => {
        const workflows = fs.readdirSync(path.join(REPO_ROOT, ".github", "workflows")).filter((f) => /\.ya?ml$/.test(f))
            .map((f) => fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", f), "utf8")).join("\n");
        const read = new Set<string>();
        for (const m of workflows.matchAll(/\b(vars|secrets)\.([A-Za-z_][A-Za-z0-9_]*)/g)) if (m[2] !== "GITHUB_TOKEN") read.add(`${m[1]}:${m[2]}`);
        // vars[format('NAME_{0}', <stack>)]: one variable per stack (the workflows' stacks are dev and prod).
        for (const m of workflows.matchAll(/\b(vars|secrets)\[format\('([A-Za-z0-9_]*)\{0\}'/g)) for (const stack of ["dev", "prod"]) read.add(`${m[1]}:${m[2]}${stack}`);
        const listed = new Set<string>();
        for (const line of fs.readFileSync(path.join(REPO_ROOT, "docs", "adopt.md"), "utf8").split("\n")) {
            const row = /^\|\s*(variable|secret)\s*\|([^|]*)\|/.exec(line);
            if (row) for (const m of row[2].matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)) listed.add(`${row[1] === "variable" ? "vars" : "secrets"}:${m[1]}`);
        }
        assert.deepEqual([...listed].sort(), [...read].sort());
    });

    it("each shim's command tree names its upstream source for every command", () => {
        for (const tool of SHIMMED) {
            const tree = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "test", "docs", "trees", `${tool}.json`), "utf8"));
            assert.equal(tree.tool, tool);
            assert.match(tree.source, /^[\w.-]+\/[\w.-]+@[\w./-]+$/);
            for (const [name, c] of Object.entries<{ source: string }>(tree.commands)) assert.match(c.source, /^[\w.-]+\/[\w.-]+@[\w.-]+:\S+/, `${tool} ${name}`);
        }
    });
});

describe("docs: the shims refuse what the real tools refuse", () => {
    const cases: [string, string[], boolean][] = [
        ["pulumi", ["stack", "output", "releaseVersion", "--stack", "prod"], true],
        ["pulumi", ["config", "set", "--path", "eks-delivery:release", "v1.2.3", "-s", "prod"], true],
        ["pulumi", ["stack", "outptu"], false],
        ["pulumi", ["up", "--stak", "prod"], false],
        ["pulumi", ["config", "set"], false],
        ["pulumi", ["up", "--stack"], false],
        ["aws", ["ssm", "get-parameter", "--name", "/x", "--query", "Parameter.Value", "--output", "text"], true],
        ["aws", ["ssm", "get-parameters", "--name", "/x"], false],
        ["aws", ["ecr", "describe-images", "--repository-nam", "x"], false],
        ["aws", ["eks", "update-kubeconfig", "--region", "ap-northeast-2"], false],
        ["gh", ["variable", "set", "AWS_REGION", "--body", "ap-northeast-2"], true],
        ["gh", ["variable", "set", "AWS_REGION", "--value", "x"], false],
        ["kubectl", ["-n", "dev", "get", "deployment", "web-blue"], true],
        ["kubectl", ["-n", "dev", "gte", "deployment"], false],
        ["helm", ["show", "values", "metrics-server", "--repo", "https://example.com", "--version", "1.0.0"], true],
        ["docker", ["build", "-t", "x", "apps/services/api"], true],
        ["docker", ["buidl", "."], false],
    ];
    for (const [tool, argv, ok] of cases) {
        it(`${ok ? "accepts" : "refuses"} \`${tool} ${argv.join(" ")}\``, () => {
            const r = shim(tool, ...argv);
            assert.equal(r.status, ok ? 0 : 97, r.stderr);
            assert.equal(r.stdout, "");
            if (!ok) assert.match(r.stderr, new RegExp(`^${tool} \\(docs shim\\): .+\\n$`));
        });
    }
});

describe("docs: the harness fails a doc that is wrong", () => {
    // One scratch copy for three small docs: a typo a shim refuses, a broken promise of an exit code, a
    // command nothing can run. Each must be reported with its line.
    it("reports a shim's refusal, a wrong exit code and an unrunnable command", async () => {
        const typo = "# t\n\n```sh\npulumi stack output --jsno\n```\n";
        const exits = "# t\n\n```sh\nnpm run version -- --no-such-flag   # exits 0\ngit status --short  # exits 3\n```\n";
        const alien = "# t\n\n```sh\nterraform plan\n```\n";
        const a = await runDocument("typo.md", typo, cacheDir);
        assert.equal(a.problems.length, 1, a.problems.join("\n"));
        assert.match(a.problems[0], /^typo\.md:4: .*unknown flag --jsno for `pulumi stack output`/);
        const b = await runDocument("exits.md", exits, cacheDir);
        assert.equal(b.problems.length, 2, b.problems.join("\n"));
        assert.match(b.problems[0], /^exits\.md:4: .*exited 2, the doc says 0/);
        assert.match(b.problems[1], /^exits\.md:5: .*exited 0, the doc says 3/);
        const c = await runDocument("alien.md", alien, cacheDir);
        assert.match(c.problems.join("\n"), /alien\.md:4: the docs test cannot run `terraform plan`: `terraform` is neither/);
    });
});

describe("docs: every sh block runs", { concurrency: 2 }, () => {
    for (const rel of docs) {
        if (shCommands(read(rel)).length === 0) continue;
        it(rel, async () => {
            const { results, problems } = await runDocument(rel, read(rel), cacheDir);
            const slow = results.filter((r) => r.ms > 5000).map((r) => `${r.cmd.line}: ${Math.round(r.ms / 1000)} s`);
            if (slow.length) console.log(`# ${rel}: ${slow.join(", ")}`);
            assert.deepEqual(problems, []);
        });
    }
});
