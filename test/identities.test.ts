/**
 * Delivery identities in the offline plan (infra/identities.ts): the account's OIDC providers (create or
 * look up), the deploy role's and the preview role's trust, the deploy role's boundary conditions and
 * self-denies, the boundary on every role, the read-only preview role and its `view` access entry.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../config";
import { planStack, PlannedStack } from "../tools/plan/planStack";
import { EmulatedCloud } from "../tools/plan/emulatedCloud";
import type { PlannedResource } from "../tools/plan/plan";
import { boundaryTransform } from "../infra/identities";
import { ofType, one, stackValues, TEST_DATE, validate, Values } from "./support";

const EXAMPLE = path.join(PROJECT_ROOT, "examples", "Pulumi.dev-delivery.yaml");
const ACCOUNT = "123456789012";
const DELIVERY = { organization: "acme", repository: "acme/eks-delivery", agentPoolId: "0f3c6a2e-8d1b-4e5f-9a7c-2b4d6e8f0a1c" };
const GITHUB_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
const PULUMI_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/api.pulumi.com/oidc`;

/**
 * The actions of the AWS managed policies the stack's roles get (vendored; see the fixture's `source`),
 * AmazonEKSClusterPolicy included: pulumi-eks attaches it to the cluster role inside its component.
 */
const MANAGED: Record<string, string[]> = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "aws-managed-policy-actions.json"), "utf8")).policies;

const plans = new Map<string, Promise<PlannedStack>>();
function planned(variant: "example" | "prod" | "karpenter"): Promise<PlannedStack> {
    if (!plans.has(variant)) {
        if (variant === "example") {
            plans.set(variant, planStack({ stack: "dev", configFile: EXAMPLE, today: TEST_DATE }));
        } else {
            const stack = variant === "prod" ? "prod" : "dev";
            const values = stackValues(stack);
            values["eks-delivery:delivery"] = { ...DELIVERY };
            if (variant === "karpenter") (values["eks-delivery:nodes"] as Values).autoscaler = "karpenter";
            plans.set(variant, planStack({ stack, stackFile: { file: variant, values, secretKeys: [] }, today: TEST_DATE }));
        }
    }
    return plans.get(variant)!;
}

const json = (r: PlannedResource, key: string) => JSON.parse(String(r.inputs[key]));
const statements = (doc: any): any[] => doc.Statement;
const actionsOf = (s: any): string[] => [s.Action].flat();
const sid = (doc: any, name: string) => {
    const found = statements(doc).find((s) => s.Sid === name);
    assert.ok(found, `statement ${name}`);
    return found;
};
/** IAM's wildcard match of an action against a pattern (`*` any run, `?` one character; case-insensitive). */
const matches = (pattern: string, action: string) =>
    new RegExp(`^${pattern.split("").map((c) => c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")).join("")}$`, "i").test(action);

test("create: the stack makes the account's GitHub and Pulumi OIDC providers, kept if the stack goes", async () => {
    const plan = await planned("example");
    const providers = ofType(plan, "aws:iam/openIdConnectProvider:OpenIdConnectProvider");
    assert.deepEqual(providers.map((p) => [p.inputs.url, p.inputs.clientIdLists]).sort(),
        [["https://api.pulumi.com/oidc", ["acme"]], ["https://token.actions.githubusercontent.com", ["sts.amazonaws.com"]]]);
    for (const p of providers) {
        assert.equal(p.options?.retainOnDelete, true, `${p.name}: a stack that moves to lookup leaves the provider to the others`);
        assert.equal(p.inputs.thumbprintLists, undefined, "IAM validates GitHub's and Pulumi's issuers with its own CAs");
    }
});

test("the deploy role trusts the GitHub environment of the stack and its Pulumi Deployments, nothing else", async () => {
    const plan = await planned("example");
    const trust = json(one(plan, "aws:iam/role:Role", "delivery-deploy"), "assumeRolePolicy");
    assert.deepEqual(trust, {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "GitHubEnvironment", Effect: "Allow", Principal: { Federated: GITHUB_ARN }, Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringEquals: {
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    "token.actions.githubusercontent.com:sub": "repo:acme/eks-delivery:environment:dev",
                } },
            },
            {
                Sid: "PulumiDeployments", Effect: "Allow", Principal: { Federated: PULUMI_ARN }, Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: { "api.pulumi.com/oidc:aud": "acme" },
                    StringLike: { "api.pulumi.com/oidc:sub": "pulumi:deploy:org:acme:project:eks-delivery:stack:dev:operation:*:scope:write" },
                },
            },
        ],
    });
    // The Deployments settings assume that role.
    const settings = one(plan, "pulumiservice:index:DeploymentSettings").inputs as any;
    assert.equal(settings.operationContext.oidc.aws.roleARN, one(plan, "aws:iam/role:Role", "delivery-deploy").outputs.arn);
});

test("githubEnvironment names the environment prod's deploy role trusts", async () => {
    const values = stackValues("prod");
    values["eks-delivery:delivery"] = { ...DELIVERY, githubEnvironment: "production" };
    const plan = await planStack({ stack: "prod", stackFile: { file: "prod", values, secretKeys: [] }, today: TEST_DATE });
    const trust = json(one(plan, "aws:iam/role:Role", "delivery-deploy"), "assumeRolePolicy");
    assert.equal(trust.Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"], "repo:acme/eks-delivery:environment:production");
    assert.equal(trust.Statement[1].Condition.StringLike["api.pulumi.com/oidc:sub"], "pulumi:deploy:org:acme:project:eks-delivery:stack:prod:operation:*:scope:write");
});

test("the preview role trusts pull requests of the repository only, reads only, and gets a view access entry", async () => {
    const plan = await planned("example");
    const role = one(plan, "aws:iam/role:Role", "delivery-preview");
    assert.deepEqual(json(role, "assumeRolePolicy"), {
        Version: "2012-10-17",
        Statement: [{
            Effect: "Allow", Principal: { Federated: GITHUB_ARN }, Action: "sts:AssumeRoleWithWebIdentity",
            Condition: { StringEquals: {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": "repo:acme/eks-delivery:pull_request",
            } },
        }],
    });
    const policies = ofType(plan, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.outputs.name);
    assert.equal(policies.length, 1, "one inline policy, no managed attachments");
    assert.equal(ofType(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === role.outputs.name).length, 0);
    const doc = json(policies[0], "policy");
    for (const s of statements(doc)) {
        assert.equal(s.Effect, "Allow");
        for (const action of actionsOf(s)) {
            const [, verb] = action.split(":");
            assert.match(verb, /^(Get|List|Describe|BatchGet|BatchCheck)/, `${action} is not a read`);
            assert.ok(!/^(secretsmanager:GetSecretValue|ssm:GetParameter|kms:Decrypt|s3:GetObject)/.test(action) && !/^\*$|:\*$/.test(action), `${action} reads data`);
        }
    }
    const view = one(plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "access-preview").inputs as any;
    assert.equal(view.principalArn, role.outputs.arn);
    assert.equal(view.policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy");
    assert.deepEqual(view.accessScope, { type: "cluster" });
    const admin = one(plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "access-deploy").inputs as any;
    assert.equal(admin.policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
});

test("the deploy role writes roles only with the boundary, never edits the boundary, and cannot change itself", async () => {
    const plan = await planned("example");
    const deploy = one(plan, "aws:iam/role:Role", "delivery-deploy");
    const preview = one(plan, "aws:iam/role:Role", "delivery-preview");
    const boundaryArn = one(plan, "aws:iam/policy:Policy", "delivery-boundary").outputs.arn;
    const doc = json(ofType(plan, "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === deploy.outputs.name)!, "policy");

    const bounded = sid(doc, "RolesOnlyWithTheBoundary");
    for (const a of ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary"]) {
        assert.ok(actionsOf(bounded).includes(a), a);
    }
    assert.deepEqual(bounded.Condition, { StringEquals: { "iam:PermissionsBoundary": boundaryArn } });
    // Every other allowed IAM write is limited: to the stack's own roles (tag), or to resources no role is.
    for (const s of statements(doc).filter((s) => s.Effect === "Allow" && s !== bounded)) {
        for (const action of actionsOf(s).filter((a) => a.startsWith("iam:") && !/^iam:(Get|List)/.test(a))) {
            // Tag-on-create: only the stack's own tag, and never on a role another stack's tag marks.
            const onCreate = actionsOf(s).every((a) => a === "iam:TagRole") && s.Condition?.StringEquals?.["aws:RequestTag/eks-delivery/stack"] === "dev"
                && s.Condition?.StringEqualsIfExists?.["aws:ResourceTag/eks-delivery/stack"] === "dev";
            const scoped = s.Condition?.StringEquals?.["aws:ResourceTag/eks-delivery/stack"] === "dev" || onCreate
                || [s.Resource].flat().every((r: string) => !r.includes(":role/") || r.includes(":role/aws-service-role/"));
            assert.ok(scoped, `${action} (${s.Sid}) is not limited to the stack's roles`);
        }
        assert.ok(!actionsOf(s).some((a) => a === "*" || a === "iam:*" || /User|AccessKey|Organizations/i.test(a)), `${s.Sid}: no admin, no users or keys`);
    }
    assert.deepEqual(sid(doc, "BoundaryIsReadOnly"), {
        Sid: "BoundaryIsReadOnly", Effect: "Deny", Resource: boundaryArn,
        Action: ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"],
    });
    assert.deepEqual(sid(doc, "NoRoleShedsItsBoundary"), { Sid: "NoRoleShedsItsBoundary", Effect: "Deny", Action: ["iam:DeleteRolePermissionsBoundary"], Resource: "*" });
    const self = sid(doc, "DeliveryRolesAreNotSelfService");
    assert.equal(self.Effect, "Deny");
    assert.deepEqual(self.Resource, [deploy.outputs.arn, preview.outputs.arn]);
    const allowedRoleWrites = statements(doc).filter((s) => s.Effect === "Allow").flatMap(actionsOf)
        .filter((a: string) => a.startsWith("iam:") && /Role/.test(a) && !/^iam:(Get|List)/.test(a) && !/InstanceProfile|ServiceLinked/.test(a));
    for (const a of allowedRoleWrites) assert.ok(actionsOf(self).includes(a), `${a} is allowed on roles but not denied on the delivery roles`);
});

/** Every role of a plan, but the deploy and preview roles an administrator creates, carries the boundary. */
async function assertEveryRoleBounded(variant: "example" | "prod" | "karpenter") {
    const plan = await planned(variant);
    const boundaryArn = one(plan, "aws:iam/policy:Policy", "delivery-boundary").outputs.arn;
    const roles = ofType(plan, "aws:iam/role:Role").filter((r) => !["delivery-deploy", "delivery-preview"].includes(r.name));
    assert.ok(roles.length >= 5, `${variant}: the stack's roles are planned`);
    for (const role of roles) assert.equal(role.inputs.permissionsBoundary, boundaryArn, `${variant}: ${role.name} has no boundary`);
    for (const name of ["delivery-deploy", "delivery-preview"]) assert.equal(one(plan, "aws:iam/role:Role", name).inputs.permissionsBoundary, undefined);
    assert.equal(plan.run.outputs.permissionsBoundaryArn, boundaryArn);
    assert.equal(plan.run.outputs.previewRoleArn, one(plan, "aws:iam/role:Role", "delivery-preview").outputs.arn);
    assert.equal(plan.run.outputs.deployRoleArn, one(plan, "aws:iam/role:Role", "delivery-deploy").outputs.arn);
}
test("every role of the dev plan carries the boundary", () => assertEveryRoleBounded("example"));
test("every role of the prod plan carries the boundary", () => assertEveryRoleBounded("prod"));

test("the boundary allows what the stack's roles do (inline and AWS managed policies), and no identity writes", async () => {
    for (const variant of ["example", "karpenter"] as const) {
        const plan = await planned(variant);
        const boundary = json(one(plan, "aws:iam/policy:Policy", "delivery-boundary"), "policy");
        const allowed = statements(boundary).filter((s) => s.Effect === "Allow").flatMap(actionsOf);
        const roleNames = new Set(ofType(plan, "aws:iam/role:Role").filter((r) => !r.name.startsWith("delivery-")).map((r) => r.outputs.name));
        const inline = ofType(plan, "aws:iam/rolePolicy:RolePolicy").filter((p) => roleNames.has(p.inputs.role))
            .flatMap((p) => statements(json(p, "policy")).filter((s) => s.Effect === "Allow").flatMap(actionsOf));
        const managed = ofType(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => roleNames.has(a.inputs.role))
            .flatMap((a) => {
                const actions = MANAGED[String(a.inputs.policyArn)];
                assert.ok(actions, `no actions on file for ${a.inputs.policyArn}`);
                return actions;
            });
        for (const action of [...inline, ...managed, ...MANAGED["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]]) {
            assert.ok(allowed.some((p: string) => matches(p, action)), `${variant}: the boundary stops ${action}`);
        }
        const identityWrites = allowed.filter((a: string) => a.startsWith("iam:") && !/^iam:(Get|List)/.test(a));
        assert.deepEqual(identityWrites.filter((a: string) => !/InstanceProfile|^iam:PassRole$|^iam:CreateServiceLinkedRole$/.test(a)), [],
            "no role, policy or user writes in the boundary");
        assert.ok(!allowed.some((a: string) => /^(organizations|account|iam):\*$|^\*$/.test(a)));
    }
});

test("the deploy role, its policy and the Pulumi provider keep their URNs: aliases to DeliveryAutomation's children", async () => {
    const plan = await planned("example");
    const old = "urn:pulumi:dev::eks-delivery::eks-delivery:infra:DeliveryAutomation::delivery";
    for (const [type, name] of [["aws:iam/role:Role", "delivery-deploy"], ["aws:iam/rolePolicy:RolePolicy", "delivery-deploy"],
        ["aws:iam/openIdConnectProvider:OpenIdConnectProvider", "delivery-pulumi-oidc"]]) {
        assert.deepEqual(one(plan, type, name).options?.aliases, [{ name, parent: old }], `${type} ${name}`);
    }
});

test("lookup: no providers are created; the trust names the account's existing ones", async () => {
    const values = stackValues("dev");
    values["eks-delivery:delivery"] = { ...DELIVERY, oidcProviders: "lookup" };
    const existing = [
        { url: "token.actions.githubusercontent.com", clientIdList: ["sts.amazonaws.com"] },
        { url: "api.pulumi.com/oidc", clientIdList: ["acme"] },
    ];
    const plan = await planStack({ stack: "dev", stackFile: { file: "lookup", values, secretKeys: [] }, today: TEST_DATE, oidcProviders: existing });
    assert.equal(ofType(plan, "aws:iam/openIdConnectProvider:OpenIdConnectProvider").length, 0);
    assert.equal(plan.run.invokesByToken["aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider"], 2);
    const trust = json(one(plan, "aws:iam/role:Role", "delivery-deploy"), "assumeRolePolicy");
    assert.deepEqual(trust.Statement.map((s: any) => s.Principal.Federated), [GITHUB_ARN, PULUMI_ARN]);
    assert.equal(json(one(plan, "aws:iam/role:Role", "delivery-preview"), "assumeRolePolicy").Statement[0].Principal.Federated, GITHUB_ARN);
});

test("the emulated data source answers as aws_iam_openid_connect_provider does, and fails for a missing provider", () => {
    const cloud = new EmulatedCloud({ region: "ap-northeast-2", accountId: ACCOUNT, projectRoot: PROJECT_ROOT,
        oidcProviders: [{ url: "api.pulumi.com/oidc", clientIdList: ["acme"], thumbprintList: ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"] }] });
    const call = (inputs: Record<string, unknown>) => cloud.call({ token: "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider", inputs, provider: "" });
    assert.deepEqual(call({ url: "https://api.pulumi.com/oidc" }), {
        id: PULUMI_ARN, arn: PULUMI_ARN, url: "api.pulumi.com/oidc", clientIdLists: ["acme"], thumbprintLists: ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"], tags: {},
    });
    assert.equal((call({ arn: PULUMI_ARN }) as { url: string }).url, "api.pulumi.com/oidc");
    assert.throws(() => call({ url: "https://token.actions.githubusercontent.com" }),
        /^Error: reading IAM OIDC Provider \(https:\/\/token\.actions\.githubusercontent\.com\): couldn't find resource$/);
    assert.throws(() => call({}), /exactly one of "arn" or "url"/);
});

test("the boundary transform bounds the roles a remote component makes, and only roles", () => {
    const transform = boundaryTransform("arn:aws:iam::123456789012:policy/b");
    const opts = { parent: undefined };
    assert.deepEqual(transform({ type: "aws:iam/role:Role", name: "cluster-eksRole-role", custom: true, props: { assumeRolePolicy: "{}" }, opts }),
        { props: { assumeRolePolicy: "{}", permissionsBoundary: "arn:aws:iam::123456789012:policy/b" }, opts });
    assert.equal(transform({ type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name: "x", custom: true, props: {}, opts }), undefined);
    assert.equal(transform({ type: "aws:iam/role:Role", name: "y", custom: true, props: { permissionsBoundary: "other" }, opts }), undefined);
});

// ---- Review of issue 12: tag-on-create, scoped boundary, per-issuer providers, preview reads ----

type Context = Record<string, string>;
/**
 * IAM's decision for one request against one policy (explicit deny, then allow, else implicit deny), with
 * the operators these policies use. A missing key fails StringEquals/StringLike and passes ...IfExists.
 */
function decide(doc: any, action: string, resource: string, context: Context = {}): "allow" | "deny" | "implicit" {
    const values = (v: unknown) => [v].flat().map(String);
    const conditionHolds = (condition: Record<string, Record<string, unknown>> = {}) => Object.entries(condition).every(([op, keys]) =>
        Object.entries(keys).every(([key, want]) => {
            const got = context[key];
            switch (op) {
                case "StringEquals": return got !== undefined && values(want).includes(got);
                case "StringEqualsIfExists": return got === undefined || values(want).includes(got);
                case "StringLike": return got !== undefined && values(want).some((p) => matches(p, got));
                default: throw new Error(`decide: no support for ${op}`);
            }
        }));
    const applies = (s: any) => actionsOf(s).some((p) => matches(p, action)) && [s.Resource].flat().some((p: string) => matches(p, resource)) && conditionHolds(s.Condition);
    const hits = statements(doc).filter(applies);
    return hits.some((s) => s.Effect === "Deny") ? "deny" : hits.some((s) => s.Effect === "Allow") ? "allow" : "implicit";
}

async function deployPolicyOf(variant: "example" | "prod" | "karpenter") {
    const plan = await planned(variant);
    const deploy = one(plan, "aws:iam/role:Role", "delivery-deploy");
    return { plan, deploy, doc: json(ofType(plan, "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === deploy.outputs.name)!, "policy") };
}

test("the deploy role can create every role of the plan as planned: CreateRole with its boundary, TagRole of its tags at creation", async () => {
    for (const variant of ["example", "prod", "karpenter"] as const) {
        const { plan, doc } = await deployPolicyOf(variant);
        const stack = variant === "prod" ? "prod" : "dev";
        const boundaryArn = String(one(plan, "aws:iam/policy:Policy", "delivery-boundary").outputs.arn);
        for (const role of ofType(plan, "aws:iam/role:Role").filter((r) => !r.name.startsWith("delivery-"))) {
            const arn = String(role.outputs.arn);
            const tags = role.inputs.tags as Record<string, string>;
            assert.equal(tags["eks-delivery/stack"], stack, `${variant}: ${role.name} carries the stack tag`);
            assert.equal(decide(doc, "iam:CreateRole", arn, { "iam:PermissionsBoundary": boundaryArn }), "allow", `${variant}: create ${role.name}`);
            // IAM authorizes the tags of CreateRole as iam:TagRole on the new role, which has no tags yet.
            const requestTags = Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v]));
            assert.equal(decide(doc, "iam:TagRole", arn, requestTags), "allow", `${variant}: tag ${role.name} at creation`);
            // Later tag edits of an own role, and deleting it.
            assert.equal(decide(doc, "iam:TagRole", arn, { ...requestTags, "aws:ResourceTag/eks-delivery/stack": stack }), "allow");
            assert.equal(decide(doc, "iam:DeleteRole", arn, { "aws:ResourceTag/eks-delivery/stack": stack }), "allow");
        }
    }
    const { doc } = await deployPolicyOf("example");
    const other = `arn:aws:iam::${ACCOUNT}:role/prod-node-role`;
    assert.equal(decide(doc, "iam:CreateRole", other, {}), "implicit", "no role without the boundary");
    assert.equal(decide(doc, "iam:TagRole", other, { "aws:RequestTag/eks-delivery/stack": "dev", "aws:ResourceTag/eks-delivery/stack": "prod" }), "implicit",
        "another stack's role cannot be re-tagged as this stack's");
    assert.equal(decide(doc, "iam:TagRole", other, { "aws:RequestTag/team": "x" }), "implicit", "no other tagging of roles");
    assert.equal(decide(doc, "iam:DeleteRole", other, { "aws:ResourceTag/eks-delivery/stack": "prod" }), "implicit");
    // IAM cannot tell tagging a new role from tagging an old untagged one: a role tagged that way
    // (an administrator's, say) must still not be made to trust anyone new, nor get policies.
    const admin = `arn:aws:iam::${ACCOUNT}:role/admin`;
    assert.equal(decide(doc, "iam:TagRole", admin, { "aws:RequestTag/eks-delivery/stack": "dev" }), "allow", "the gap IAM leaves");
    assert.equal(decide(doc, "iam:UpdateAssumeRolePolicy", admin, { "aws:ResourceTag/eks-delivery/stack": "dev" }), "implicit", "no trust rewrite");
    assert.equal(decide(doc, "iam:AttachRolePolicy", admin, { "aws:ResourceTag/eks-delivery/stack": "dev" }), "implicit", "no policy without the boundary");
});

test("the deploy role passes only its stack's roles, to EKS and Pod Identity only, makes no instance profiles, and assumes no role", async () => {
    const { plan, doc, deploy } = await deployPolicyOf("example");
    const nodeRole = String(ofType(plan, "aws:iam/role:Role").find((r) => /nodes/.test(r.name))!.outputs.arn);
    const own = { "aws:ResourceTag/eks-delivery/stack": "dev" };
    assert.equal(decide(doc, "iam:PassRole", nodeRole, { ...own, "iam:PassedToService": "eks.amazonaws.com" }), "allow");
    assert.equal(decide(doc, "iam:PassRole", nodeRole, { ...own, "iam:PassedToService": "pods.eks.amazonaws.com" }), "allow");
    assert.equal(decide(doc, "iam:PassRole", nodeRole, { ...own, "iam:PassedToService": "ec2.amazonaws.com" }), "implicit");
    assert.equal(decide(doc, "iam:PassRole", nodeRole, { "aws:ResourceTag/eks-delivery/stack": "prod", "iam:PassedToService": "eks.amazonaws.com" }), "implicit");
    for (const a of ["iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:TagInstanceProfile"]) {
        assert.equal(decide(doc, a, `arn:aws:iam::${ACCOUNT}:instance-profile/x`, { "aws:RequestTag/eks-delivery/stack": "dev" }), "implicit", a);
    }
    for (const a of ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"]) {
        assert.equal(decide(doc, a, `arn:aws:iam::${ACCOUNT}:role/admin`), "deny", a);
    }
    // The deny on the delivery roles outweighs tag-on-create: the deploy role cannot tag itself into anything.
    assert.equal(decide(doc, "iam:TagRole", String(deploy.outputs.arn), { "aws:RequestTag/eks-delivery/stack": "dev" }), "deny");
    assert.equal(decide(doc, "iam:UpdateAssumeRolePolicy", String(deploy.outputs.arn), own), "deny");
});

test("the boundary reads only the stack's secrets, uses KMS only through Secrets Manager and EC2, and passes only the stack's node role to EC2", async () => {
    for (const variant of ["example", "karpenter"] as const) {
        const plan = await planned(variant);
        const boundary = json(one(plan, "aws:iam/policy:Policy", "delivery-boundary"), "policy");
        const secret = (name: string) => `arn:aws:secretsmanager:ap-northeast-2:${ACCOUNT}:secret:${name}-AbCdEf`;
        // Every secret external-secrets may read (its policy's resources) is inside the boundary; others are not.
        const esoResources = ofType(plan, "aws:iam/rolePolicy:RolePolicy").flatMap((p) => statements(json(p, "policy")))
            .filter((s) => actionsOf(s).includes("secretsmanager:GetSecretValue")).flatMap((s) => [s.Resource].flat());
        assert.ok(esoResources.length >= 2, `${variant}: external-secrets reads the declared secrets`);
        for (const r of esoResources) assert.equal(decide(boundary, "secretsmanager:GetSecretValue", r.replace("-??????", "-AbCdEf")), "allow", r);
        assert.equal(decide(boundary, "secretsmanager:GetSecretValue", secret("dev/api")), "allow");
        assert.equal(decide(boundary, "secretsmanager:GetSecretValue", secret("prod/api")), "implicit", "another stack's secret");
        assert.equal(decide(boundary, "secretsmanager:GetSecretValue", secret("rds/master")), "implicit", "any other secret of the account");
        const key = `arn:aws:kms:ap-northeast-2:${ACCOUNT}:key/1234`;
        assert.equal(decide(boundary, "kms:Decrypt", key, { "kms:ViaService": "secretsmanager.ap-northeast-2.amazonaws.com" }), "allow");
        assert.equal(decide(boundary, "kms:CreateGrant", key, { "kms:ViaService": "ec2.ap-northeast-2.amazonaws.com" }), "allow");
        assert.equal(decide(boundary, "kms:Decrypt", key), "implicit", "no direct decrypt with any key");
        const role = `arn:aws:iam::${ACCOUNT}:role/x`;
        assert.equal(decide(boundary, "iam:PassRole", role, { "iam:PassedToService": "ec2.amazonaws.com", "aws:ResourceTag/eks-delivery/stack": "dev" }), "allow");
        assert.equal(decide(boundary, "iam:PassRole", role, { "iam:PassedToService": "ec2.amazonaws.com" }), "implicit", "an untagged role");
        assert.equal(decide(boundary, "iam:PassRole", role, { "iam:PassedToService": "ec2.amazonaws.com", "aws:ResourceTag/eks-delivery/stack": "prod" }), "implicit");
        // Karpenter's instance profiles: created and tagged with this cluster's tag, changed only if they carry it.
        const profile = `arn:aws:iam::${ACCOUNT}:instance-profile/eks-delivery-dev_123`;
        assert.equal(decide(boundary, "iam:CreateInstanceProfile", profile, { "aws:RequestTag/eks:eks-cluster-name": "eks-delivery-dev" }), "allow");
        assert.equal(decide(boundary, "iam:TagInstanceProfile", profile, { "aws:RequestTag/eks:eks-cluster-name": "eks-delivery-dev" }), "allow");
        assert.equal(decide(boundary, "iam:CreateInstanceProfile", profile, { "aws:RequestTag/eks:eks-cluster-name": "other" }), "implicit");
        assert.equal(decide(boundary, "iam:AddRoleToInstanceProfile", profile, { "aws:ResourceTag/eks:eks-cluster-name": "eks-delivery-dev" }), "allow");
        assert.equal(decide(boundary, "iam:AddRoleToInstanceProfile", profile), "implicit", "a profile of no cluster");
    }
    // Karpenter's own policy asks for that cluster tag at creation, so the boundary lets it through.
    const karpenter = ofType(await planned("karpenter"), "aws:iam/rolePolicy:RolePolicy").flatMap((p) => statements(json(p, "policy")))
        .find((s) => s.Sid === "AllowScopedInstanceProfileCreationActions");
    assert.equal(karpenter.Condition.StringEquals["aws:RequestTag/eks:eks-cluster-name"], "eks-delivery-dev");
});

test("a secret outside <stack>/ is refused under eks-delivery:delivery: the boundary would stop it", () => {
    const values = stackValues("dev");
    values["eks-delivery:delivery"] = { ...DELIVERY };
    (values["eks-delivery:services"] as Values[])[0].secrets = ["shared/api"];
    assert.throws(() => validate(values, "dev"), (e: any) => e.problems?.length === 1 &&
        /^eks-delivery:services\[0\]\.secrets\[0\]: "shared\/api" is not under dev\/: the permissions boundary of eks-delivery:delivery lets the stack read only secrets named dev\/\.\.\.$/.test(e.problems[0]));
    const grafana = stackValues("dev");
    grafana["eks-delivery:delivery"] = { ...DELIVERY };
    grafana["eks-delivery:monitoring"] = { ...(grafana["eks-delivery:monitoring"] as Values ?? {}), grafanaAdminSecret: "grafana" };
    assert.throws(() => validate(grafana, "dev"), /eks-delivery:monitoring\.grafanaAdminSecret: "grafana" is not under dev\//);
    // Without delivery (an administrator deploys, no boundary) any name stays allowed.
    const plain = stackValues("dev");
    (plain["eks-delivery:services"] as Values[])[0].secrets = ["shared/api"];
    assert.deepEqual(validate(plain, "dev").services[0].secrets, ["shared/api"]);
});

test("oidcProviders per issuer: create one, look up the other; the string form is shorthand for both", async () => {
    const values = stackValues("dev");
    values["eks-delivery:delivery"] = { ...DELIVERY, oidcProviders: { github: "lookup", pulumi: "create" } };
    const plan = await planStack({ stack: "dev", stackFile: { file: "mixed", values, secretKeys: [] }, today: TEST_DATE,
        oidcProviders: [{ url: "token.actions.githubusercontent.com", clientIdList: ["sts.amazonaws.com"] }] });
    assert.deepEqual(ofType(plan, "aws:iam/openIdConnectProvider:OpenIdConnectProvider").map((p) => p.inputs.url), ["https://api.pulumi.com/oidc"]);
    assert.equal(plan.run.invokesByToken["aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider"], 1);
    assert.deepEqual(json(one(plan, "aws:iam/role:Role", "delivery-deploy"), "assumeRolePolicy").Statement.map((s: any) => s.Principal.Federated), [GITHUB_ARN, PULUMI_ARN]);

    const parse = (oidcProviders: unknown) => {
        const v = stackValues("dev");
        v["eks-delivery:delivery"] = { ...DELIVERY, oidcProviders };
        return validate(v, "dev").delivery!.oidcProviders;
    };
    assert.deepEqual(parse("lookup"), { github: "lookup", pulumi: "lookup" });
    assert.deepEqual(parse({ pulumi: "lookup" }), { github: "create", pulumi: "lookup" });
    assert.deepEqual(validate(stackValuesWithDelivery(), "dev").delivery!.oidcProviders, { github: "create", pulumi: "create" });
    assert.throws(() => parse("lookups"), (e: any) =>
        e.problems?.join("|") === 'eks-delivery:delivery.oidcProviders: "lookups" is not create, lookup, or {github: create|lookup, pulumi: create|lookup}');
    assert.throws(() => parse({ gitlab: "create" }), /eks-delivery:delivery\.oidcProviders\.gitlab: unknown key/);
});
function stackValuesWithDelivery(): Values {
    const v = stackValues("dev");
    v["eks-delivery:delivery"] = { ...DELIVERY };
    return v;
}

/**
 * What each invoke costs in IAM, as terraform-provider-aws's data sources call AWS (internal/service/...):
 * route53/zone_data_source.go ListHostedZones (by name), GetHostedZone (name servers), ListTagsForResource
 * (always: the tags attribute); iam/openid_connect_provider_data_source.go ListOpenIDConnectProviders (by
 * url), GetOpenIDConnectProvider; ecr/images_data_source.go ListImages; ecr/image_data_source.go
 * DescribeImages; ecr authorization token GetAuthorizationToken; ec2 subnet DescribeSubnets; availability
 * zones DescribeAvailabilityZones; caller identity GetCallerIdentity. getRegion, getPartition and the load
 * balancer zone table call nothing (meta/region_data_source*.go resolves from the endpoints table).
 */
const INVOKE_READS: Record<string, string[]> = {
    "aws:index/getRegion:getRegion": [],
    "aws:index/getPartition:getPartition": [],
    "aws:lb/getHostedZoneId:getHostedZoneId": [],
    "aws:index/getCallerIdentity:getCallerIdentity": ["sts:GetCallerIdentity"],
    "aws:index/getAvailabilityZones:getAvailabilityZones": ["ec2:DescribeAvailabilityZones"],
    "aws:ec2/getSubnet:getSubnet": ["ec2:DescribeSubnets"],
    "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": ["iam:ListOpenIDConnectProviders", "iam:GetOpenIDConnectProvider"],
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": ["ecr:GetAuthorizationToken"],
    "aws:ecr/getImages:getImages": ["ecr:ListImages"],
    "aws:ecr/getImage:getImage": ["ecr:DescribeImages"],
    "aws:route53/getZone:getZone": ["route53:ListHostedZones", "route53:GetHostedZone", "route53:ListTagsForResource"],
};
/** Reads of a preview that are no invoke: the AWS provider's configure (account id), the cluster's kubeconfig token. */
const PREVIEW_READS = ["sts:GetCallerIdentity", "eks:DescribeCluster"];

test("the preview role may make every read the dev and prod previews make: each invoke's API calls, and the provider's own", async () => {
    // Every invoke the emulated cloud can answer has its IAM actions on file here.
    const source = fs.readFileSync(path.join(PROJECT_ROOT, "tools", "plan", "emulatedCloud.ts"), "utf8");
    const body = source.slice(source.indexOf("call(args: pulumi.runtime.MockCallArgs)"));
    const tokens = [...body.slice(0, body.indexOf("default:")).matchAll(/case "([^"]+)":/g)].map((m) => m[1]);
    assert.ok(tokens.length >= 10, "the emulator's invoke switch was found");
    assert.deepEqual(tokens.filter((t) => !(t in INVOKE_READS)), [], "an invoke without its IAM actions on file");

    const lookup = stackValuesWithDelivery();
    (lookup["eks-delivery:delivery"] as Values).oidcProviders = "lookup";
    const plans = [await planned("example"), await planned("prod"), await planned("karpenter"),
        await planStack({ stack: "dev", stackFile: { file: "lookup", values: lookup, secretKeys: [] }, today: TEST_DATE,
            oidcProviders: [{ url: "token.actions.githubusercontent.com", clientIdList: ["sts.amazonaws.com"] }, { url: "api.pulumi.com/oidc", clientIdList: ["acme"] }] })];
    const answered = new Set(plans.flatMap((p) => Object.keys(p.run.invokesByToken)));
    for (const t of ["aws:route53/getZone:getZone", "aws:ecr/getImages:getImages", "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider"]) assert.ok(answered.has(t), t);
    const policy = json(one(plans[0], "aws:iam/rolePolicy:RolePolicy", "delivery-preview"), "policy");
    for (const token of answered) {
        for (const action of INVOKE_READS[token]) assert.equal(decide(policy, action, "*"), "allow", `${token} needs ${action}`);
    }
    for (const action of PREVIEW_READS) assert.equal(decide(policy, action, "*"), "allow", action);
    // ...and it still writes nothing.
    for (const a of ["route53:ChangeResourceRecordSets", "iam:TagRole", "ecr:PutImage", "secretsmanager:GetSecretValue", "kms:Decrypt"]) {
        assert.equal(decide(policy, a, "*"), "implicit", a);
    }
});
