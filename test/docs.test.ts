/**
 * The docs cannot rot: every `sh` block of README.md and docs/**\/*.md runs (test/docs/runner.ts), in
 * order per document, in a scratch copy of the repository; cloud CLIs are shims that check each command
 * against the real tool's command tree (test/docs/trees/, with sources); relative links must resolve.
 */
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { relativeLinks, shCommands, unrunShellFences } from "./docs/markdown";
import { documents, missingProgramsLine, ownTempDir, REPO_ROOT, runDocument, SHIMMED, unrunnable } from "./docs/runner";

// bash runs every command and the docs pipe into jq: without them every document would fail, each with
// its own puzzling message. One line instead.
const missing = missingProgramsLine();
if (missing) {
    process.stderr.write(`${missing}\n`);
    process.exit(1);
}

const docs = documents();
const read = (rel: string) => fs.readFileSync(path.join(REPO_ROOT, rel), "utf8");
const cacheDir = ownTempDir("plans-"); // removed on exit, SIGINT and SIGTERM

const shim = (tool: string, ...argv: string[]) =>
    spawnSync(process.execPath, ["--", path.join(REPO_ROOT, "test", "docs", "shim.mjs"), tool, ...argv], { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, DOCS_SHIM_LOG: "" } });

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
        // helper-defined flags (cmdutil.StringEnumFlag) and their choices; `variable set` takes 0 or 1 names
        ["gh", ["variable", "set", "X", "--org", "acme", "--visibility", "selected", "--repos", "acme/a"], true],
        ["gh", ["variable", "set", "--env-file", "vars.env"], true],
        ["gh", ["variable", "set", "X", "--body", "1", "-v", "everyone"], false],
        ["gh", ["secret", "set", "X", "--app", "dependabot", "--body", "1"], true],
        // the repository's own facts: dispatch inputs of .github/workflows, keys of the stack-file schema
        ["gh", ["workflow", "run", "promote.yml", "-f", "version=v1.0.0-abcdef0", "-f", "stack=prod"], true],
        ["gh", ["workflow", "run", "promote.yml", "-f", "versoin=v1.0.0-abcdef0", "-f", "stack=prod"], false],
        ["gh", ["workflow", "run", "promote.yml", "-f", "version=v1.0.0-abcdef0", "-f", "stack=prd"], false],
        ["gh", ["workflow", "run", "promot.yml", "-f", "version=v1.0.0-abcdef0"], false],
        ["pulumi", ["config", "set", "eks-delivery:relaese", "v1.2.3", "--stack", "prod"], false],
        ["pulumi", ["config", "set", "relaese", "v1.2.3"], false],
        ["pulumi", ["config", "set", "release", "v1.2.3"], true],
        ["pulumi", ["config", "get", "eks-delivery:delivery.organization"], false],
        ["pulumi", ["config", "get", "--path", "eks-delivery:delivery.organization"], true],
        ["pulumi", ["config", "set", "--path", "eks-delivery:registry.pullAcounts[0]", "1"], false],
        ["pulumi", ["config", "set", "--path", 'eks-delivery:cost.prices["t3.medium"]', "0.04", "--type", "float"], true],
        ["pulumi", ["config", "rm", "--path", "eks-delivery:cutover.weights.eks2"], false],
        ["pulumi", ["config", "set", "aws:profile", "admin"], true],
        ["aws", ["ssm", "get-parameter", "--name", "/x", "--output", "txt"], false],
        ["aws", ["ssm", "get-parameter", "--name", "/x", "--output=yaml"], true],
        ["kubectl", ["get", "service", "web", "-o", "jsonpath={.spec.selector}"], true],
        ["kubectl", ["get", "service", "web", "-ojsn"], false],
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

describe("docs: the harness itself", () => {
    const git = (args: string[], cwd: string) => {
        const r = spawnSync("git", args, { cwd, encoding: "utf8" });
        assert.equal(r.status, 0, `git ${args.join(" ")}: ${r.stderr}`);
        return r.stdout.trim();
    };

    // actions/checkout fetches one commit and no tags by default; `npm run version` refuses such a clone
    // (apps/version/git.ts). The scratch copy is a repository of its own, so the docs run the same there.
    it("runs a doc's `npm run version` from a `--depth 1` clone without tags", async () => {
        const dir = ownTempDir("shallow-");
        const clone = path.join(dir, "clone");
        git(["clone", "-q", "--depth", "1", "--no-tags", `file://${REPO_ROOT}`, clone], dir);
        assert.equal(git(["rev-parse", "--is-shallow-repository"], clone), "true");
        assert.equal(git(["tag", "--list"], clone), "");
        fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(clone, "node_modules"), "dir");
        const direct = spawnSync(process.execPath, ["--import", "tsx", "tools/version/cli.ts"], { cwd: clone, encoding: "utf8" });
        assert.equal(direct.status, 2, "the clone is not the shallow checkout this test is about");
        assert.match(direct.stderr, /shallow clone without tags/);
        const doc = "# t\n\n```sh\nnpm run --silent version\ngit log --oneline | wc -l\n```\n";
        const { results, problems } = await runDocument("shallow.md", doc, cacheDir, clone);
        assert.deepEqual(problems, []);
        assert.match(results[0].output, /^v0\.0\.1-[0-9a-f]{7}\n$/);
        assert.equal(results[1].output.trim(), "1");
    });

    it("names the programs it needs and cannot find, in one line", () => {
        const dir = ownTempDir("path-");
        assert.equal(missingProgramsLine(dir), "the docs test needs bash, git, jq on PATH (not found): install them and run it again");
        for (const p of ["bash", "git"]) fs.writeFileSync(path.join(dir, p), "#!/bin/sh\n", { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "jq"), "not executable\n", { mode: 0o644 });
        assert.equal(missingProgramsLine(dir), "the docs test needs jq on PATH (not found): install it and run it again");
        assert.equal(missingProgramsLine(process.env.PATH), undefined);
    });

    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        it(`removes its scratch copies on ${signal}`, async () => {
            const script = `const r = require(${JSON.stringify(path.join(REPO_ROOT, "test", "docs", "runner.ts"))});
const s = r.makeScratch(r.ownTempDir("plans-"));
process.stdout.write(s.dir + "\\n");
setInterval(() => {}, 1000);`;
            const child = spawn(process.execPath, ["--import", "tsx", "-e", script], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] });
            let out = "";
            const dir = await new Promise<string>((resolve) => child.stdout.on("data", (b: Buffer) => {
                out += b.toString();
                if (out.includes("\n")) resolve(out.trim());
            }));
            assert.ok(fs.existsSync(path.join(dir, "repo", "package.json")), dir);
            const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on("close", (_code, sig) => resolve(sig)));
            child.kill(signal);
            assert.equal(await closed, signal);
            assert.equal(fs.existsSync(dir), false, `${dir} is left behind`);
        });
    }
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
