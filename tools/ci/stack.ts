/**
 * What the GitHub workflows need to know about a stack before they touch it, read from its
 * `Pulumi.<stack>.yaml` (the same file `pulumi` reads in the job):
 *   `tsx tools/ci/stack.ts facts --stack NAME`            key=value lines for $GITHUB_OUTPUT
 *   `tsx tools/ci/stack.ts check-runner --stack NAME`     fails when the job cannot reach the API
 *                                                          endpoint (RUNNER_LABELS: the labels it ran on)
 *   `tsx tools/ci/stack.ts release --stack NAME --version V`
 *       sets `eks-delivery:release: V` in the stack file, as `pulumi config set` would: the offline plan
 *       and `pulumi up` that follow deploy that version's pushed digests and build nothing. The PR
 *       preview of a stack that pulls (registry.from) pins it to the live `releaseVersion` output: the
 *       PR's own version was never pushed, so its look-up would fail.
 * Exit codes: 0 done; 1 the check failed; 2 bad arguments or stack file.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { parseDocument } from "yaml";
import { PROJECT_ROOT, StackConfigError } from "../../config";
import { readStackFile } from "../../config/stackFile";

const NS = "eks-delivery";

/** A release tag as the release workflow pushes it (tools/version): v<major>.<minor>.<patch>[-<sha7>]. */
export const RELEASE_TAG = /^v\d+\.\d+\.\d+(-[0-9a-f]{7})?$/;
/** A stack name as the Pulumi CLI takes it, and safe in a file name. */
export const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

/** Where the workflow jobs stand with respect to the cluster's API endpoint. */
export type Endpoint = "open" | "restricted" | "private";

export interface StackFacts {
    stack: string;
    /** eks-delivery:environment: the policy levels (policies/config/<environment>.json). */
    environment: string;
    /** The GitHub environment whose jobs the deploy role trusts (delivery.githubEnvironment, default the stack). */
    githubEnvironment: string;
    /** open: 0.0.0.0/0 may call it (GitHub-hosted runners can); else runners must be inside or allowed. */
    endpoint: Endpoint;
    /** images.builder: a remote buildx builder the deploy registers first. */
    builder?: string;
    /** registry.from: the stack deploys digests another stack pushed, and builds nothing. */
    pulls: boolean;
    /** eks-delivery:release as committed in the stack file, if any. */
    release?: string;
}

function section(values: Record<string, unknown>, key: string): Record<string, unknown> {
    const v = values[`${NS}:${key}`];
    return typeof v === "object" && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : {};
}

/** The facts from a stack file's values (unvalidated: the plan step validates; these only route jobs). */
export function stackFacts(stack: string, values: Record<string, unknown>): StackFacts {
    const cidrs = section(values, "cluster").publicAccessCidrs;
    const list = Array.isArray(cidrs) ? cidrs.map(String) : [];
    const endpoint: Endpoint = list.includes("0.0.0.0/0") ? "open" : list.length === 0 ? "private" : "restricted";
    const githubEnvironment = section(values, "delivery").githubEnvironment;
    const builder = section(values, "images").builder;
    const release = values[`${NS}:release`];
    return {
        stack,
        environment: String(values[`${NS}:environment`] ?? ""),
        githubEnvironment: typeof githubEnvironment === "string" ? githubEnvironment : stack,
        endpoint,
        ...(typeof builder === "string" ? { builder } : {}),
        pulls: section(values, "registry").from !== undefined,
        ...(typeof release === "string" ? { release } : {}),
    };
}

/**
 * Why a job that reaches the cluster cannot run where it is, or undefined. `labels` is the JSON the
 * job's `runs-on` came from (CLUSTER_RUNNER_LABELS_<stack> or CLUSTER_RUNNER_LABELS); empty means the
 * GitHub-hosted fallback, which reaches only an endpoint open to every address.
 */
export function runnerProblem(facts: StackFacts, labels: string | undefined): string | undefined {
    const raw = (labels ?? "").trim();
    if (raw !== "") {
        let parsed: unknown;
        try {
            parsed = JSON.parse(raw);
        } catch {
            parsed = undefined;
        }
        const ok = (typeof parsed === "string" && parsed !== "") || (Array.isArray(parsed) && parsed.length > 0 && parsed.every((l) => typeof l === "string" && l !== ""));
        return ok ? undefined : `runner labels ${JSON.stringify(raw)} are not a JSON label or list of labels like ["self-hosted","eks-${facts.stack}"]`;
    }
    if (facts.endpoint === "open") return undefined;
    const where = facts.endpoint === "private" ? "private (publicAccessCidrs: [])" : "restricted to listed CIDRs";
    return `Pulumi.${facts.stack}.yaml: the API endpoint is ${where}, so GitHub-hosted runners cannot reach it: set the repository variable ` +
        `CLUSTER_RUNNER_LABELS_${facts.stack} (or CLUSTER_RUNNER_LABELS) to the labels of self-hosted runners that can, e.g. ["self-hosted","eks-${facts.stack}"] ` +
        "(docs/private-clusters.md)";
}

/** Why `version` cannot be released, or undefined. */
export function releaseProblem(version: string): string | undefined {
    return RELEASE_TAG.test(version) ? undefined : `${JSON.stringify(version)} is not a release tag like v5.3.25-5e15f0a`;
}

/** The stack file's text with `eks-delivery:release` set (comments and order kept, as `pulumi config set` does). */
export function withRelease(text: string, version: string): string {
    const problem = releaseProblem(version);
    if (problem) throw new StackConfigError([`${NS}:release: ${problem}`]);
    const doc = parseDocument(text);
    if (doc.getIn(["config", `${NS}:version`]) !== undefined) {
        throw new StackConfigError([`${NS}:version is set in the stack file: a release deploys pushed images, a version builds them; remove one`]);
    }
    doc.setIn(["config", `${NS}:release`], version);
    return doc.toString();
}

function stackFile(stack: string): string {
    return path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
}

function main(argv: string[]): number {
    const [command, ...rest] = argv;
    const { values } = parseArgs({ args: rest, options: { stack: { type: "string" }, version: { type: "string" } }, strict: true });
    const stack = values.stack ?? "";
    if (!STACK_NAME.test(stack)) {
        process.stderr.write(`stack: --stack ${JSON.stringify(stack)} is not a stack name\n`);
        return 2;
    }
    const file = stackFile(stack);
    const facts = stackFacts(stack, readStackFile(file).values);
    switch (command) {
        case "facts":
            process.stdout.write([
                `environment=${facts.environment}`,
                `github-environment=${facts.githubEnvironment}`,
                `endpoint=${facts.endpoint}`,
                `builder=${facts.builder ?? ""}`,
                `pulls=${facts.pulls}`,
                `release=${facts.release ?? ""}`,
            ].join("\n") + "\n");
            return 0;
        case "check-runner": {
            const problem = runnerProblem(facts, process.env.RUNNER_LABELS);
            if (!problem) return 0;
            process.stdout.write(`::error::${problem}\n`);
            return 1;
        }
        case "release": {
            fs.writeFileSync(file, withRelease(fs.readFileSync(file, "utf8"), values.version ?? ""));
            process.stdout.write(`Pulumi.${stack}.yaml: ${NS}:release: ${values.version}\n`);
            return 0;
        }
        default:
            process.stderr.write("usage: tsx tools/ci/stack.ts facts|check-runner|release --stack NAME [--version V]\n");
            return 2;
    }
}

if (require.main === module) {
    try {
        process.exitCode = main(process.argv.slice(2));
    } catch (err) {
        if (!(err instanceof StackConfigError) && !(err instanceof TypeError)) throw err;
        process.stderr.write(`${(err as StackConfigError).problems?.join("\n") ?? (err as Error).message}\n`);
        process.exitCode = 2;
    }
}
