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
import { ofType, one, stackValues, TEST_DATE, validate } from "./support";
import * as service from "@pulumi/pulumiservice";
import { DEFAULT_DRIFT_CRON, driftCron, preRunCommands, SLACK_EVENTS } from "../infra/delivery";

const EXAMPLE = path.join(PROJECT_ROOT, "examples", "Pulumi.dev-delivery.yaml");
const SLACK = "https://hooks.slack.com/services/T000/B000/very-secret-token";
const POOL = "0f3c6a2e-8d1b-4e5f-9a7c-2b4d6e8f0a1c";

test("an offline plan with eks-delivery:delivery: push-to-deploy, PR previews, path filters, OIDC, Slack", async () => {
    const planned = await planStack({ stack: "dev", configFile: EXAMPLE, today: TEST_DATE });
    const settings = one(planned, "pulumiservice:index:DeploymentSettings").inputs as any;
    assert.equal(settings.organization, "acme");
    assert.equal(settings.stack, "dev");
    assert.deepEqual(settings.sourceContext.git, { repoUrl: "https://github.com/acme/eks-delivery.git", branch: "refs/heads/main", repoDir: "." });
    assert.equal(settings.github.deployCommits, true, "dev deploys every merge to main");
    assert.equal(settings.github.previewPullRequests, false, "PR previews run in the pull-request workflow, with the preview role and the pack");
    assert.ok(settings.github.paths.includes("infra/**") && !settings.github.paths.some((p: string) => /README|\.github/.test(p)), "a README change does not redeploy");
    const role = one(planned, "aws:iam/role:Role", "delivery-deploy");
    assert.equal(settings.operationContext.oidc.aws.roleARN, role.outputs.arn);

    // Trust, providers, boundary and self-denies: test/identities.test.ts.
    const providers = ofType(planned, "aws:iam/openIdConnectProvider:OpenIdConnectProvider").map((p) => (p.inputs as any).url).sort();
    assert.deepEqual(providers, ["https://api.pulumi.com/oidc", "https://token.actions.githubusercontent.com"]);
    const trust = JSON.parse(String(role.inputs.assumeRolePolicy)).Statement;
    assert.equal(trust[1].Condition.StringLike["api.pulumi.com/oidc:sub"], "pulumi:deploy:org:acme:project:eks-delivery:stack:dev:operation:*:scope:write");
    const policy = JSON.parse(String(one(planned, "aws:iam/rolePolicy:RolePolicy", "delivery-deploy").inputs.policy));
    const actions = policy.Statement.filter((s: any) => s.Effect === "Allow").flatMap((s: any) => s.Action);
    assert.ok(!actions.includes("*") && !actions.some((a: string) => /^iam:(?!Get\*$|List\*$).*\*|User|AccessKey/.test(a)), "no admin, no IAM write wildcards, no users or keys");

    const hook = one(planned, "pulumiservice:index:Webhook").inputs as any;
    assert.equal(hook.format, "slack");
    for (const failure of ["deployment_failed", "drift_detected", "drift_detection_failed"]) assert.ok(hook.filters.includes(failure), failure);
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

test("prod: no push-to-deploy (promotion is explicit), no Deployments previews, its private endpoint reached from the agent pool", async () => {
    const values = stackValues("prod");
    values["eks-delivery:delivery"] = { organization: "acme", repository: "acme/eks-delivery", agentPoolId: POOL };
    const planned = await planStack({ stack: "prod", stackFile: { file: "prod", values, secretKeys: [] }, today: TEST_DATE });
    const settings = one(planned, "pulumiservice:index:DeploymentSettings").inputs as any;
    assert.equal(settings.github.deployCommits, false);
    assert.equal(settings.github.previewPullRequests, false);
    assert.equal(settings.agentPoolId, POOL);
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
    fs.writeFileSync(path.join(out, "policy-report.json"), JSON.stringify({
        violations: [{ policy: "capacity-fits", enforcementLevel: "mandatory", message: "peak does not fit" }],
        exemptions: [{ policy: "image-digest", reason: "tags until the | registry moves", suppressed: 2, kind: "Deployment", namespace: "shop", name: "api" }],
    }));
    fs.writeFileSync(path.join(out, "capacity.json"), JSON.stringify({ peak: { cpuMillicores: 5, memoryMiB: 6, pods: 7 }, capacity: { cpuMillicores: 1, memoryMiB: 2, pods: 3 }, fits: false }));
    const md = planSummary(out);
    assert.match(md, /## Offline plan: prod/);
    assert.match(md, /1 violation\(s\), 1 mandatory/);
    assert.match(md, /\| capacity-fits \| mandatory \|/);
    assert.match(md, /\*\*does not fit\*\*/);
    assert.match(md, /Exemptions: 1 \(2 finding\(s\) not reported\)/);
    assert.match(md, /\| image-digest \| Deployment shop\/api \| tags until the \\\| registry moves \| 2 \|/);
    assert.match(planSummary(path.join(dir, "missing")), /configuration was rejected/);
});

// ---- Agent pool, drift detection and the remote builder under Deployments (issue 12, items 3 and 7) ----

/** Plans `stack` with eks-delivery:delivery (plus any other overrides) and returns what the plan holds. */
async function planDelivery(stack: string, delivery: Record<string, unknown>, more: Record<string, unknown> = {}) {
    const values = { ...stackValues(stack), ...more };
    values["eks-delivery:delivery"] = { organization: "acme", repository: "acme/eks-delivery", ...delivery };
    // A slackWebhookUrl arrives as a secret, as `pulumi config set --secret` leaves it.
    const secretKeys = "slackWebhookUrl" in delivery ? ["eks-delivery:delivery"] : [];
    return planStack({ stack, stackFile: { file: stack, values, secretKeys }, today: TEST_DATE });
}

test("Deployment settings: the agent pool, the pack's dependencies from policies/ alone, no second npm install", async () => {
    const planned = await planStack({ stack: "dev", configFile: EXAMPLE, today: TEST_DATE });
    const settings = one(planned, "pulumiservice:index:DeploymentSettings").inputs as any;
    assert.equal(settings.agentPoolId, POOL, "the restricted endpoint is reached from the pool in the VPC");
    assert.deepEqual(settings.operationContext.preRunCommands, ["npm ci", "cd policies && npm ci"]);
    assert.equal(settings.operationContext.options.skipInstallDependencies, true);
    assert.equal(settings.operationContext.environmentVariables.BUILDX_BUILDER, undefined, "no builder configured, none named");
    assert.equal(settings.github.previewPullRequests, false);
});

test("drift detection: production every 6 hours by default, never auto-remediated, after the settings exist", async () => {
    const planned = await planDelivery("prod", { agentPoolId: POOL });
    const [drift] = ofType(planned, "pulumiservice:index:DriftSchedule");
    assert.ok(drift, "prod has a drift schedule");
    assert.deepEqual(drift.inputs, { organization: "acme", project: "eks-delivery", stack: "prod", scheduleCron: "0 */6 * * *", autoRemediate: false });
    const settings = one(planned, "pulumiservice:index:DeploymentSettings");
    assert.deepEqual(drift.options?.dependsOn, [settings.urn], "a drift run uses the stack's Deployment settings");
    assert.equal(driftCron({}, true), DEFAULT_DRIFT_CRON);
    assert.equal(driftCron({ driftSchedule: "0 3 * * *" }, true), "0 3 * * *");
});

test("drift detection: none for dev unless delivery.driftSchedule asks; then on that schedule", async () => {
    const none = await planStack({ stack: "dev", configFile: EXAMPLE, today: TEST_DATE });
    assert.equal(ofType(none, "pulumiservice:index:DriftSchedule").length, 0);
    const asked = await planDelivery("dev", { agentPoolId: POOL, driftSchedule: "30 2 * * 1-5" });
    const [drift] = ofType(asked, "pulumiservice:index:DriftSchedule");
    assert.equal(drift.inputs.scheduleCron, "30 2 * * 1-5");
    assert.equal(drift.inputs.autoRemediate, false);
    assert.throws(() => validate({ ...stackValues("dev"), "eks-delivery:delivery": { organization: "acme", repository: "acme/eks-delivery", agentPoolId: POOL, driftSchedule: "hourly" } }, "dev"),
        /eks-delivery:delivery\.driftSchedule: "hourly" is not a five-field cron expression/);
});

test("drift results reach Slack: the webhook listens for drift found and drift runs that failed, and for Deployments", async () => {
    assert.ok(SLACK_EVENTS.includes(service.WebhookFilters.DriftDetected) && SLACK_EVENTS.includes(service.WebhookFilters.DriftDetectionFailed));
    const planned = await planDelivery("prod", { agentPoolId: POOL, slackWebhookUrl: "[secret]" });
    const hook = one(planned, "pulumiservice:index:Webhook").inputs as any;
    assert.deepEqual([...hook.filters].sort(), ["deployment_failed", "deployment_started", "deployment_succeeded", "drift_detected", "drift_detection_failed"]);
    assert.equal(hook.stackName, "prod");
    assert.equal(hook.format, "slack");
});

test("a remote builder under Deployments: registered by the pre-run commands from the buildkit ESC environment, and named for buildx", async () => {
    // An open endpoint and a builder: Pulumi-hosted Deployments, builds on the remote BuildKit.
    const dev = stackValues("dev");
    const planned = await planDelivery("dev", {}, {
        "eks-delivery:cluster": { ...(dev["eks-delivery:cluster"] as object), publicAccessCidrs: ["0.0.0.0/0"] },
        "eks-delivery:images": { builder: "acme-buildkit" },
    });
    const settings = one(planned, "pulumiservice:index:DeploymentSettings").inputs as any;
    assert.equal(settings.agentPoolId, undefined, "the Pulumi-hosted pool");
    assert.deepEqual(settings.operationContext.preRunCommands, [
        "npm ci", "cd policies && npm ci", "pulumi env run acme/eks-delivery/buildkit -- bash tools/ci/buildx-builder.sh acme-buildkit",
    ]);
    assert.equal(settings.operationContext.environmentVariables.BUILDX_BUILDER, "acme-buildkit");
    assert.ok(fs.existsSync(path.join(PROJECT_ROOT, "tools", "ci", "buildx-builder.sh")));
    assert.deepEqual(preRunCommands("acme", "eks-delivery"), ["npm ci", "cd policies && npm ci"]);
});
