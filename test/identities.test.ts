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
import { ofType, one, stackValues, TEST_DATE, Values } from "./support";

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
            const scoped = s.Condition?.StringEquals?.["aws:ResourceTag/eks-delivery/stack"] === "dev"
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
