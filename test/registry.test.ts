/**
 * One registry, build once (issue 12): dev owns the ECR repositories and builds each version once; prod
 * and any `release` deploy the digests already pushed, building nothing. Plans share an emulated registry
 * (tools/plan/registry.ts) as separate `pulumi up`s share ECR.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../config";
import { lifecyclePolicy, LOOKUP_ACTIONS, PULL_ACTIONS } from "../infra/registry";
import { EmulatedCloud } from "../tools/plan/emulatedCloud";
import { EmulatedRegistry, lifecycleExpired, lifecyclePolicyProblems, repositoryUri } from "../tools/plan/registry";
import { defaultRegistry } from "../tools/plan/planStack";
import { loadInstanceCatalog } from "../policies/lib/instanceTypes";
import type { PlannedStack } from "../tools/plan/planStack";
import { one, ofType, plan, stackValues, validate, Values } from "./support";

const V1 = "v1.0.0-1111111";
const V2 = "v1.1.0-2222222";
const HOST = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com";
const IMAGE = "docker-build:index:Image";

function values(stack: string, patch: Values): Values {
    return { ...stackValues(stack), ...patch };
}
function planIn(registry: EmulatedRegistry, stack: string, patch: Values): Promise<PlannedStack> {
    return plan(values(stack, patch), stack, [], undefined, undefined, { registry });
}
const outputs = (p: PlannedStack) => ({ images: p.plan.outputs.images as Record<string, string>, digests: p.plan.outputs.imageDigests as Record<string, string> });
/** The images the Deployments run, by container name. */
function deployedImages(p: PlannedStack): string[] {
    return ofType(p, "kubernetes:apps/v1:Deployment").flatMap((d) => (d.outputs as any).spec.template.spec.containers.map((c: any) => c.image as string)).sort();
}

/**
 * dev builds v1, then v2, into one registry: what several tests read. Started by the first test that needs
 * it, never alongside another plan (the Pulumi runtime's mocks are process-wide).
 */
let built: Promise<{ registry: EmulatedRegistry; v1: PlannedStack; v2: PlannedStack; afterV1: ReturnType<EmulatedRegistry["toJSON"]> }> | undefined;
const history = () => built ??= (async () => {
    const registry = new EmulatedRegistry();
    const v1 = await planIn(registry, "dev", { "eks-delivery:version": V1 });
    const afterV1 = registry.toJSON();
    const v2 = await planIn(registry, "dev", { "eks-delivery:version": V2 });
    return { registry, v1, v2, afterV1 };
})();

test("the dev plan builds and pushes each service's version, and the registry records the build's digest", async () => {
    const { v1, afterV1 } = await history();
    const images = ofType(v1, IMAGE);
    assert.deepEqual(images.map((i) => i.name).sort(), ["api", "web"]);
    for (const image of images) {
        assert.equal(image.inputs.push, true);
        assert.equal(image.options?.retainOnDelete, true, "deleting the resource must not delete the pushed manifest");
        const repo = afterV1.repositories[`${HOST}/eks-delivery-dev/${image.name}`];
        const pushed = repo.images.find((i) => i.tags.includes(V1));
        assert.equal(pushed?.digest, image.outputs.digest, "the registry holds what the build produced");
        assert.ok(repo.images.some((i) => i.tags.includes("buildcache")), "the layer cache is pushed too");
        assert.equal(outputs(v1).digests[image.name], image.outputs.digest);
        assert.equal(outputs(v1).images[image.name], `${HOST}/eks-delivery-dev/${image.name}:${V1}@${image.outputs.digest}`);
    }
    assert.deepEqual(new Set(deployedImages(v1)), new Set(Object.values(outputs(v1).images)), "every Deployment runs a pushed digest");
});

test("re-running a deploy of the same version builds and pushes nothing and changes no workload", async () => {
    const registry = new EmulatedRegistry();
    const first = await planIn(registry, "dev", { "eks-delivery:version": V1 });
    const pushed = JSON.stringify(registry.toJSON());
    const again = await planIn(registry, "dev", { "eks-delivery:version": V1 });
    assert.equal(ofType(again, IMAGE).length, 0, "no build");
    assert.equal(JSON.stringify(registry.toJSON()), pushed, "no push");
    assert.deepEqual(outputs(again), outputs(first));
    assert.deepEqual(deployedImages(again), deployedImages(first));
});

test("the prod plan builds nothing and deploys the digests the dev plan's build of that version produced", async () => {
    const { registry, v2 } = await history();
    const prod = await planIn(registry, "prod", { "eks-delivery:version": V2 });
    assert.equal(ofType(prod, IMAGE).length, 0, "no image builds in prod");
    assert.equal(ofType(prod, "aws:ecr/repository:Repository").length, 0, "no repositories of its own");
    assert.deepEqual(outputs(prod), outputs(v2), "the same digests in both plans");
    assert.deepEqual(deployedImages(prod), deployedImages(v2));
    assert.ok(Object.values(outputs(prod).images).every((i) => i.startsWith(`${HOST}/eks-delivery-dev/`)), "pulled from the owner's repositories");
    assert.equal(prod.plan.outputs.releaseVersion, V2);
    assert.equal(prod.run.invokesByToken["aws:ecr/getAuthorizationToken:getAuthorizationToken"], undefined, "no registry login: it pushes nothing");
});

test("without a registry file, a consumer plan finds what the owner's plan of that version builds from this checkout", async () => {
    const { v2 } = await history();
    const prod = await plan(values("prod", { "eks-delivery:version": V2 }), "prod");
    assert.deepEqual(outputs(prod), outputs(v2));
    // The default follows the owner's build inputs: another version is another digest.
    const catalog = loadInstanceCatalog();
    const seeded = defaultRegistry(validate(values("prod", { "eks-delivery:version": V1 }), "prod"), catalog);
    assert.equal(seeded.images(`${HOST}/eks-delivery-dev/api`)?.[0].digest, outputs((await history()).v1).digests.api);
    assert.equal(defaultRegistry(validate(values("dev", { "eks-delivery:version": V1 }), "dev"), catalog).toJSON().clock, 0, "a building stack starts empty");
});

test("rollback: release <older version> on dev and on prod deploys that version's digests and builds nothing", async () => {
    const { registry, v1, v2 } = await history();
    assert.notDeepEqual(outputs(v1).digests, outputs(v2).digests, "two versions, two builds");
    const before = JSON.stringify(registry.toJSON());
    for (const stack of ["dev", "prod"]) {
        const rollback = await planIn(registry, stack, { "eks-delivery:release": V1 });
        assert.equal(ofType(rollback, IMAGE).length, 0, `${stack}: nothing built`);
        assert.deepEqual(outputs(rollback), outputs(v1), `${stack}: v1's digests`);
        assert.deepEqual(deployedImages(rollback), deployedImages(v1));
        assert.equal(rollback.plan.outputs.releaseVersion, V1);
    }
    assert.equal(JSON.stringify(registry.toJSON()), before, "nothing pushed");
});

test("images.builder is docker-build's builder", async () => {
    const built = await planIn(new EmulatedRegistry(), "dev", { "eks-delivery:version": V1, "eks-delivery:images": { builder: "remote-buildkit" } });
    for (const image of ofType(built, IMAGE)) assert.deepEqual(image.inputs.builder, { name: "remote-buildkit" });
    const { v1 } = await history();
    for (const image of ofType(v1, IMAGE)) assert.equal(image.inputs.builder, undefined, "the default builder otherwise");
});

test("the owner's repositories grant exactly pullAccounts cross-account pull and look-up, and are kept", async () => {
    const { v1 } = await history();
    const repos = ofType(v1, "aws:ecr/repository:Repository");
    const policies = ofType(v1, "aws:ecr/repositoryPolicy:RepositoryPolicy");
    assert.deepEqual(policies.map((p) => p.inputs.repository).sort(), repos.map((r) => r.outputs.name).sort(), "one per repository");
    for (const policy of policies) {
        const document = JSON.parse(String(policy.inputs.policy));
        assert.equal(document.Statement.length, 1);
        const [statement] = document.Statement;
        assert.equal(statement.Effect, "Allow");
        assert.deepEqual(statement.Principal, { AWS: ["arn:aws:iam::210987654321:root"] });
        assert.deepEqual(statement.Action.sort(), ["ecr:BatchGetImage", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer", "ecr:ListImages"]);
        assert.deepEqual([...PULL_ACTIONS, ...LOOKUP_ACTIONS].sort(), statement.Action);
        assert.equal(statement.Condition, undefined);
    }
    for (const repo of repos) assert.equal(repo.options?.protect, true, "other accounts deploy from it: protected like production's");

    const two = await planIn(new EmulatedRegistry(), "dev", { "eks-delivery:version": V1, "eks-delivery:registry": { pullAccounts: ["210987654321", "111122223333"] } });
    assert.deepEqual(JSON.parse(String(ofType(two, "aws:ecr/repositoryPolicy:RepositoryPolicy")[0].inputs.policy)).Statement[0].Principal.AWS,
        ["arn:aws:iam::210987654321:root", "arn:aws:iam::111122223333:root"]);
    const none = await planIn(new EmulatedRegistry(), "dev", { "eks-delivery:version": V1, "eks-delivery:registry": { pullAccounts: [] } });
    assert.equal(ofType(none, "aws:ecr/repositoryPolicy:RepositoryPolicy").length, 0, "no policy without pull accounts");
    assert.equal(ofType(none, "aws:ecr/repository:Repository")[0].options?.protect, undefined);
});

test("lifecycle: ECR accepts the policy; it keeps the last 30 release tags, never the build cache's tag, and expires untagged images", async () => {
    const { v1 } = await history();
    const policy = String(one(v1, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "registry-api").inputs.policy);
    assert.equal(policy, lifecyclePolicy({ keepImages: 100, untaggedExpiryDays: 7 }), "Pulumi.dev.yaml keeps 100 releases");
    assert.deepEqual(lifecyclePolicyProblems(policy), []);
    // From here, the smallest depth the config accepts.
    const minimum = lifecyclePolicy({ keepImages: 30, untaggedExpiryDays: 7 });
    assert.deepEqual(lifecyclePolicyProblems(minimum), []);

    // 40 releases, a build cache re-pushed after each (the old cache goes untagged), then ECR's lifecycle run.
    const registry = new EmulatedRegistry();
    const uri = repositoryUri("123456789012", "ap-northeast-2", "r");
    registry.createRepository(uri, ["buildcache"]);
    const digest = (n: number, kind: string) => `sha256:${String(n).padStart(4, "0")}${kind.padEnd(60, "0")}`.slice(0, 71);
    for (let n = 1; n <= 40; n++) {
        registry.push(uri, `v1.${n}.0-abcdef${n % 10}`, digest(n, "a"));
        registry.push(uri, "buildcache", digest(n, "c"));
    }
    const expired = registry.applyLifecycle(uri, minimum, registry.now() + 8 * 86400);
    const left = registry.images(uri)!;
    const releases = left.filter((i) => i.tags.some((t) => t.startsWith("v")));
    assert.equal(releases.length, 30, "the last 30 releases stay");
    assert.deepEqual(releases.map((i) => i.tags[0]), Array.from({ length: 30 }, (_, k) => `v1.${k + 11}.0-abcdef${(k + 11) % 10}`));
    assert.ok(left.some((i) => i.tags.includes("buildcache")), "the current build cache stays");
    assert.equal(left.length, 31, "nothing else");
    assert.equal(expired.filter((i) => i.tags.length === 0).length, 39, "old caches, untagged, expire after 7 days");
    // Before the untagged images are 7 days old, only releases beyond 30 go.
    assert.equal(lifecycleExpired(minimum, [...left, { digest: "sha256:x", tags: [], pushedAt: registry.now(), sizeInBytes: 1 }], registry.now() + 86400).length, 0);

    // What the previous policy did: an `any` rule counted the cache and untagged images among the 30.
    const old = JSON.stringify({ rules: [
        { rulePriority: 1, selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 }, action: { type: "expire" } },
        { rulePriority: 2, selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 30 }, action: { type: "expire" } },
    ] });
    const images = [...left, ...expired].sort((a, b) => a.pushedAt - b.pushedAt);
    assert.ok(lifecycleExpired(old, images, registry.now()).some((i) => i.tags.some((t) => t.startsWith("v1.2"))), "the old policy kept fewer than 30 releases");
    assert.deepEqual(lifecyclePolicyProblems(JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: "tagged", countType: "imageCountMoreThan", countNumber: 30 }, action: { type: "expire" } }] })),
        ["rule 1: tagged needs tagPrefixList or tagPatternList"]);
});

test("the emulated ECR answers and refuses as ECR and the provider do", () => {
    const registry = new EmulatedRegistry();
    const cloud = new EmulatedCloud({ region: "ap-northeast-2", accountId: "123456789012", projectRoot: PROJECT_ROOT, registry });
    const uri = repositoryUri("123456789012", "ap-northeast-2", "team/api");
    const call = (token: string, inputs: Record<string, unknown>) => cloud.call({ token, inputs, provider: "" });
    assert.throws(() => call("aws:ecr/getImages:getImages", { repositoryName: "team/api" }), { message: "reading ECR Images: couldn't find resource" });
    assert.throws(() => registry.push(uri, "v1", "sha256:1"), /name unknown: The repository with name 'team\/api' does not exist in the registry with id '123456789012'/);
    registry.createRepository(uri, ["buildcache"]);
    assert.deepEqual(call("aws:ecr/getImages:getImages", { repositoryName: "team/api" }).imageIds, []);
    registry.push(uri, "v1", "sha256:1");
    registry.push(uri, "v1", "sha256:1");
    assert.throws(() => registry.push(uri, "v1", "sha256:2"), /tag invalid: The image tag 'v1' already exists in the 'team\/api' repository and cannot be overwritten because the tag is immutable/);
    registry.push(uri, "buildcache", "sha256:c1");
    registry.push(uri, "buildcache", "sha256:c2");
    assert.deepEqual(call("aws:ecr/getImages:getImages", { repositoryName: "team/api", registryId: "123456789012" }).imageIds,
        [{ imageDigest: "sha256:1", imageTag: "v1" }, { imageDigest: "sha256:c1" }, { imageDigest: "sha256:c2", imageTag: "buildcache" }]);
    const image = call("aws:ecr/getImage:getImage", { repositoryName: "team/api", imageTag: "v1" });
    assert.equal(image.imageDigest, "sha256:1");
    assert.equal(image.imageUri, `${uri}@sha256:1`);
    assert.throws(() => call("aws:ecr/getImage:getImage", { repositoryName: "team/api", imageTag: "v9" }), { message: "reading ECR Images: couldn't find resource" });
    assert.throws(() => call("aws:ecr/getImages:getImages", { repositoryName: "team/api", registryId: "210987654321" }), /couldn't find resource/, "another account's registry");
    // The file form round-trips.
    assert.deepEqual(new EmulatedRegistry(JSON.parse(JSON.stringify(registry.toJSON()))).toJSON(), registry.toJSON());
});

test("npm run plan: each plan in its own process; the registry file carries dev's pushes to prod; a release never pushed fails in one line", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eks-delivery-registry-"));
    const file = path.join(dir, "registry.json");
    const config = (stack: string, key: string, version: string) => {
        const target = path.join(dir, `Pulumi.${stack}.yaml`);
        fs.writeFileSync(target, fs.readFileSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8").replace(/^config:\n/m, `config:\n  eks-delivery:${key}: ${version}\n`));
        return target;
    };
    const run = (stack: string, key: string, version: string) => spawnSync(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "tools/plan/cli.ts"),
        "--config", config(stack, key, version), "--out", path.join(dir, stack), "--registry", file, "--json", "--quiet"], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
    const dev = run("dev", "version", V1);
    assert.equal(dev.status, 0, dev.stderr);
    const pushed = EmulatedRegistry.read(file);
    const prod = run("prod", "version", V1);
    assert.equal(prod.status, 0, prod.stderr);
    const [devPlan, prodPlan] = [JSON.parse(dev.stdout), JSON.parse(prod.stdout)];
    assert.ok(devPlan.resources.some((r: { type: string }) => r.type === IMAGE));
    assert.ok(!prodPlan.resources.some((r: { type: string }) => r.type === IMAGE));
    assert.deepEqual(prodPlan.outputs.imageDigests, devPlan.outputs.imageDigests);
    assert.equal(pushed.images(`${HOST}/eks-delivery-dev/api`)!.find((i) => i.tags.includes(V1))!.digest, devPlan.outputs.imageDigests.api);
    assert.deepEqual(EmulatedRegistry.read(file).toJSON(), pushed.toJSON(), "the consumer pushed nothing");

    const rollback = run("prod", "release", "v0.9.0-0000000");
    assert.equal(rollback.status, 3, rollback.stderr);
    assert.match(rollback.stderr, new RegExp(`^plan: the program failed: eks-delivery:release v0\\.9\\.0-0000000 was never pushed to ${HOST.replace(/\./g, "\\.")}/eks-delivery-dev/(api|web): ` +
        `build it on the registry's owner stack first \\(versions there include ${V1}\\)\n$`));
});

test("the deployed version: release, else version, else git; only a registry owner without release builds", async () => {
    const { deployedVersion } = await import("../apps/image");
    let asked = 0;
    const git = () => { asked++; return "v1.0.0-abcdef0"; };
    assert.deepEqual(deployedVersion({ release: "v0.9.0-1234567", version: undefined }, true, git), { version: "v0.9.0-1234567", source: "eks-delivery:release", builds: false });
    assert.deepEqual(deployedVersion({ version: "v2.0.0-7654321" }, true, git), { version: "v2.0.0-7654321", source: "eks-delivery:version", builds: true });
    assert.equal(asked, 0, "git is not asked when config names the version");
    assert.deepEqual(deployedVersion({}, false, git), { version: "v1.0.0-abcdef0", source: "the git version", builds: false });
});
