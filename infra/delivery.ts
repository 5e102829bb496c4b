import * as pulumi from "@pulumi/pulumi";
import * as service from "@pulumi/pulumiservice";
import type { DeliveryConfig } from "../config";

/** Files whose change redeploys the stack; a README or workflow edit does not. */
export function deployPaths(stack: string): string[] {
    return ["index.ts", "config/**", "infra/**", "apps/**", "policies/**", "Pulumi.yaml", `Pulumi.${stack}.yaml`, "package.json", "package-lock.json"];
}

/**
 * What the webhook tells Slack: what runs inside Pulumi Cloud, i.e. Deployments (push-to-deploy) and
 * the scheduled drift runs (enum names: @pulumi/pulumiservice 1.3.0 types/enums WebhookFilters).
 * CLI updates from the GitHub workflows are left out: those jobs post their own message, with the
 * version, the digests and the run link, which a Pulumi-rendered message cannot carry.
 */
export const SLACK_EVENTS: service.WebhookFilters[] = [
    service.WebhookFilters.DeploymentStarted, service.WebhookFilters.DeploymentSucceeded, service.WebhookFilters.DeploymentFailed,
    service.WebhookFilters.DriftDetected, service.WebhookFilters.DriftDetectionFailed,
];

/** Drift detection on production when the stack names no schedule: every 6 hours (cron, UTC). */
export const DEFAULT_DRIFT_CRON = "0 */6 * * *";

/**
 * When Pulumi Deployments looks for drift (`pulumi refresh --preview-only` on the stack's Deployment
 * settings: its agent pool and role): production by default, other stacks only when they ask.
 */
export function driftCron(delivery: Pick<DeliveryConfig, "driftSchedule">, production: boolean): string | undefined {
    return delivery.driftSchedule ?? (production ? DEFAULT_DRIFT_CRON : undefined);
}

/**
 * The Pulumi ESC environment (`<organization>/<project>/buildkit`) that holds the remote BuildKit
 * endpoint and its TLS material: pre-run commands see no stack environment, only one opened with
 * `pulumi env run` (pulumi/docs content/docs/deployments/concepts/settings/pre-run-commands.md).
 */
export function buildkitEnvironment(organization: string, project: string): string {
    return `${organization}/${project}/buildkit`;
}

/**
 * What runs before every Deployment: the program's and the policy pack's dependencies from their own
 * lock files (the pack from policies/ alone, as `pulumi policy publish` sees it), and, with a remote
 * builder, that builder registered in the runner's buildx store, where @pulumi/docker-build looks
 * it up by name (pulumi/pulumi-docker-build@v0.0.22:provider/internal/host.go builderFor).
 */
export function preRunCommands(organization: string, project: string, builder?: string): string[] {
    const commands = ["npm ci", "cd policies && npm ci"];
    if (builder !== undefined) {
        commands.push(`pulumi env run ${buildkitEnvironment(organization, project)} -- bash tools/ci/buildx-builder.sh ${builder}`);
    }
    return commands;
}

export interface DeliveryAutomationArgs {
    delivery: DeliveryConfig;
    project: string;
    stack: string;
    /** The stack's deploy role (infra/identities.ts): Deployments assume it through Pulumi's OIDC issuer. */
    deployRoleArn: pulumi.Input<string>;
    /** dev deploys every merge to `branch`; prod only on an explicit promotion (see README). */
    deployOnPush: boolean;
    /** Production looks for drift every 6 hours unless `delivery.driftSchedule` says otherwise. */
    production: boolean;
    /** `images.builder`: a remote buildx builder the Deployment registers before it runs. */
    builder?: string;
    tags: Record<string, string>;
}

/** Pulumi Deployments for this stack: source, push-to-deploy, PR previews, AWS via OIDC, and Slack. */
export class DeliveryAutomation extends pulumi.ComponentResource {

    constructor(name: string, args: DeliveryAutomationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:infra:DeliveryAutomation", name, {}, opts);
        const { delivery, project, stack } = args;

        const settings = new service.DeploymentSettings(`${name}-settings`, {
            organization: delivery.organization,
            project,
            stack,
            // A private or restricted endpoint is reached from customer-managed agents in the VPC
            // (config/schema.ts refuses such a stack without a pool); else the Pulumi-hosted pool.
            agentPoolId: delivery.agentPoolId,
            sourceContext: { git: { repoUrl: `https://github.com/${delivery.repository}.git`, branch: `refs/heads/${delivery.branch}`, repoDir: "." } },
            github: {
                repository: delivery.repository,
                deployCommits: args.deployOnPush,
                // Both default to true (@pulumi/pulumiservice 1.3.0 types/input.js): say false. A
                // Deployments preview would run with the deploy role and no policy pack; PR previews
                // run in the pull-request workflow, with the read-only preview role and the pack.
                previewPullRequests: false,
                paths: deployPaths(stack),
            },
            operationContext: {
                oidc: { aws: { roleARN: args.deployRoleArn, sessionName: `pulumi-deployments-${stack}`, duration: "2h0m0s" } },
                preRunCommands: preRunCommands(delivery.organization, project, args.builder),
                // preRunCommands install from the lock files; the executor's own `npm install` would redo it.
                options: { skipInstallDependencies: true },
                environmentVariables: {
                    PULUMI_SKIP_UPDATE_CHECK: "true",
                    // buildx's default builder for any `docker buildx` the run makes.
                    ...(args.builder !== undefined ? { BUILDX_BUILDER: args.builder } : {}),
                },
            },
        }, { parent: this });

        const cron = driftCron(delivery, args.production);
        if (cron !== undefined) {
            // A drift run is a Deployment: it needs the settings (pool, role) to exist first.
            // autoRemediate stays off: remediation is an unreviewed `pulumi up` of the branch head, which
            // for prod would skip the promotion's approval and deploy whatever that head resolves to,
            // not the release that is live. Drift is reported (Slack) and a person decides.
            new service.DriftSchedule(`${name}-drift`, {
                organization: delivery.organization,
                project,
                stack,
                scheduleCron: cron,
                autoRemediate: false,
            }, { parent: this, dependsOn: [settings] });
        }

        if (delivery.slackWebhookUrl !== undefined) {
            // Pulumi renders the Slack message (format: slack): event, stack, result, resource counts and
            // a link to the update, deployment or drift run; the webhook API takes no custom fields
            // (pulumi/pulumi-pulumiservice@v1.3.0:provider/pkg/pulumiapi/webhooks.go WebhookRequest).
            new service.Webhook(`${name}-slack`, {
                organizationName: delivery.organization,
                projectName: project,
                stackName: stack,
                displayName: `Slack: ${project}/${stack}`,
                payloadUrl: pulumi.secret(delivery.slackWebhookUrl),
                format: service.WebhookFormat.Slack,
                active: true,
                filters: SLACK_EVENTS,
            }, { parent: this });
        }
        this.registerOutputs({});
    }
}
