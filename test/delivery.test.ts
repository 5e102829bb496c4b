/** Delivery automation in the offline plan: Deployments settings, Slack, the OIDC trust, and the secret URL. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT, StackConfigError } from "../config";
import { readStackFile } from "../config/stackFile";
import { planJson } from "../tools/plan/plan";
import { planSummary } from "../tools/ci/plan-summary";
import { planStack } from "../tools/plan/planStack";
import { one, stackValues, TEST_DATE, validate } from "./support";

const EXAMPLE = path.join(PROJECT_ROOT, "examples", "Pulumi.dev-delivery.yaml");
const SLACK = "https://hooks.slack.com/services/T000/B000/very-secret-token";

test("an offline plan with eks-delivery:delivery: push-to-deploy, PR previews, path filters, OIDC, Slack", async () => {
    const planned = await planStack({ stack: "dev", configFile: EXAMPLE, today: TEST_DATE });
    const settings = one(planned, "pulumiservice:index:DeploymentSettings").inputs as any;
    assert.equal(settings.organization, "acme");
    assert.equal(settings.stack, "dev");
    assert.deepEqual(settings.sourceContext.git, { repoUrl: "https://github.com/acme/eks-delivery.git", branch: "refs/heads/main", repoDir: "." });
    assert.equal(settings.github.deployCommits, true, "dev deploys every merge to main");
    assert.equal(settings.github.previewPullRequests, true);
    assert.ok(settings.github.paths.includes("infra/**") && !settings.github.paths.some((p: string) => /README|\.github/.test(p)), "a README change does not redeploy");
    const role = one(planned, "aws:iam/role:Role", "delivery-deploy");
    assert.equal(settings.operationContext.oidc.aws.roleARN, role.outputs.arn);

    const provider = one(planned, "aws:iam/openIdConnectProvider:OpenIdConnectProvider").inputs as any;
    assert.equal(provider.url, "https://api.pulumi.com/oidc");
    assert.deepEqual(provider.clientIdLists, ["acme"]);
    const trust = JSON.parse(String(role.inputs.assumeRolePolicy)).Statement[0];
    assert.equal(trust.Condition.StringEquals["api.pulumi.com/oidc:aud"], "acme");
    assert.equal(trust.Condition.StringLike["api.pulumi.com/oidc:sub"], "pulumi:deploy:org:acme:project:eks-delivery:stack:dev:*");
    const policy = JSON.parse(String(one(planned, "aws:iam/rolePolicy:RolePolicy", "delivery-deploy").inputs.policy));
    const actions = policy.Statement.flatMap((s: any) => s.Action);
    assert.ok(!actions.includes("*") && !actions.some((a: string) => /^iam:.*\*|User|AccessKey/.test(a)), "no admin, no IAM wildcards, no users or keys");

    const hook = one(planned, "pulumiservice:index:Webhook").inputs as any;
    assert.equal(hook.format, "slack");
    for (const failure of ["deployment_failed", "update_failed", "drift_detected"]) assert.ok(hook.filters.includes(failure), failure);
    assert.equal(hook.payloadUrl, "[secret]");
    assert.equal(planned.violations.length, 0);
});

test("the Slack URL appears nowhere in clear in the plan output", async () => {
    const file = readStackFile(EXAMPLE);
    // As under `pulumi up`: the secret arrives decrypted, and its key is known to be secret.
    const values = { ...file.values, "eks-delivery:delivery": { ...(file.values["eks-delivery:delivery"] as object), slackWebhookUrl: SLACK } };
    const planned = await planStack({ stack: "dev", stackFile: { file: "decrypted", values, secretKeys: file.secretKeys }, today: TEST_DATE });
    const out = planJson(planned.plan) + JSON.stringify(planned.manifests) + JSON.stringify(planned.violations);
    assert.ok(!out.includes("very-secret-token") && !out.includes("hooks.slack.com"), "no trace of the webhook URL");
    assert.equal((one(planned, "pulumiservice:index:Webhook").inputs as any).payloadUrl, "[secret]");
});

test("prod: no push-to-deploy (promotion is explicit), PR previews still on", async () => {
    const values = stackValues("prod");
    values["eks-delivery:delivery"] = { organization: "acme", repository: "acme/eks-delivery" };
    const planned = await planStack({ stack: "prod", stackFile: { file: "prod", values, secretKeys: [] }, today: TEST_DATE });
    const settings = one(planned, "pulumiservice:index:DeploymentSettings").inputs as any;
    assert.equal(settings.github.deployCommits, false);
    assert.equal(settings.github.previewPullRequests, true);
    assert.equal(planned.plan.resources.filter((r) => r.type === "pulumiservice:index:Webhook").length, 0, "no URL, no webhook");
});

test("a Slack URL set in clear is refused, naming the key and the fix", () => {
    const values = stackValues("dev");
    values["eks-delivery:delivery"] = { organization: "acme", repository: "acme/eks-delivery", slackWebhookUrl: SLACK };
    assert.throws(() => validate(values, "dev"), (err: unknown) => err instanceof StackConfigError
        && err.problems.some((p) => p.startsWith("eks-delivery:delivery.slackWebhookUrl: is not a secret: set it with `pulumi config set --secret")));
    values["eks-delivery:delivery"] = { organization: "acme", repository: "not a repo" };
    assert.throws(() => validate(values, "dev"), /eks-delivery:delivery\.repository: "not a repo" is not a GitHub repository/);
});

test("the CI job summary shows the policy verdicts and capacity of an offline plan", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eks-delivery-summary-"));
    const out = path.join(dir, "prod");
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, "policy-report.json"), JSON.stringify({ violations: [{ policy: "capacity-fits", enforcementLevel: "mandatory", message: "peak does not fit" }] }));
    fs.writeFileSync(path.join(out, "capacity.json"), JSON.stringify({ peak: { cpuMillicores: 5, memoryMiB: 6, pods: 7 }, capacity: { cpuMillicores: 1, memoryMiB: 2, pods: 3 }, fits: false, monthlyUsd: { totalMin: 1, totalMax: 2, nodesMin: 0, nodesMax: 1, fixed: 1 } }));
    const md = planSummary(out);
    assert.match(md, /## Offline plan: prod/);
    assert.match(md, /1 violation\(s\), 1 mandatory/);
    assert.match(md, /\| capacity-fits \| mandatory \|/);
    assert.match(md, /\*\*does not fit\*\*/);
    assert.match(planSummary(path.join(dir, "missing")), /configuration was rejected/);
});
