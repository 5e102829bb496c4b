/**
 * The emulated cloud is a test fixture with a duty to be faithful: the offline plan only proves what the
 * emulator answers like AWS and the providers do. Each shape here is the real one, from the provider's
 * source (cited), so a program that relies on a wrong assumption fails here and not in `pulumi up`.
 * (Output names are also checked at compile time against the SDKs' declarations: `satisfies OutputsOf<...>`
 * in tools/plan/emulatedCloud.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as path from "path";
import { EmulatedCloud } from "../tools/plan/emulatedCloud";
import { one, ofType, plan, stackValues } from "./support";

const cloud = () => new EmulatedCloud({ region: "ap-northeast-2", accountId: "123456789012", projectRoot: path.resolve(__dirname, "..") });
const emulate = (type: string, name: string, inputs: Record<string, unknown>) =>
    cloud().newResource({ type, name, inputs, custom: true } as never) as { id?: string; state: Record<string, any> };

test("eks.Cluster: oidcProviderUrl is the https issuer, oidcIssuer the same without the scheme", () => {
    // pulumi/pulumi-eks@v4.3.0:nodejs/eks/cluster/cluster.ts:2168-2181 (oidcProviderUrl = identities[0].oidcs[0].issuer)
    // and :2211 (oidcIssuer = oidcProviderUrl.replace("https://", "")).
    const { state } = emulate("eks:index:Cluster", "cluster", { name: "c", createOidcProvider: true });
    assert.match(state.oidcProviderUrl, /^https:\/\/oidc\.eks\.ap-northeast-2\.amazonaws\.com\/id\/[0-9A-F]{32}$/);
    assert.equal(state.oidcProviderUrl, state.eksCluster.identities[0].oidcs[0].issuer);
    assert.equal(state.oidcIssuer, state.oidcProviderUrl.replace("https://", ""));
    assert.equal(state.oidcProviderArn, `arn:aws:iam::123456789012:oidc-provider/${state.oidcIssuer}`);
    assert.equal(emulate("eks:index:Cluster", "cluster", { name: "c" }).state.oidcProviderArn, "", "no provider unless asked (cluster.ts:2208)");
});

test("eks.Cluster: the component's security group is not the one EKS gives managed nodes", () => {
    // cluster.ts:555-583 creates `<name>-eksClusterSecurityGroup` (egress only) and :2196 returns it as
    // clusterSecurityGroupId; managed nodes run in eksCluster.vpcConfig.clusterSecurityGroupId.
    const { state } = emulate("eks:index:Cluster", "cluster", { name: "c" });
    assert.match(state.clusterSecurityGroupId, /^sg-[0-9a-f]{17}$/);
    assert.match(state.eksCluster.vpcConfig.clusterSecurityGroupId, /^sg-[0-9a-f]{17}$/);
    assert.notEqual(state.clusterSecurityGroupId, state.eksCluster.vpcConfig.clusterSecurityGroupId);
});

test("eks.Cluster: EKS defaults apply when the program leaves them out", () => {
    // EKS: upgradePolicy defaults to EXTENDED, deletion protection to off (aws eks.Cluster docs).
    const { state } = emulate("eks:index:Cluster", "cluster", { name: "c" });
    assert.deepEqual(state.eksCluster.upgradePolicy, { supportType: "EXTENDED" });
    assert.equal(state.eksCluster.deletionProtection, false);
    assert.equal(state.eksCluster.arn, "arn:aws:eks:ap-northeast-2:123456789012:cluster/c");
});

test("eks.Cluster: the kubeconfig authenticates with `aws eks get-token` for its region", () => {
    // cluster.ts:211-276.
    const { state } = emulate("eks:index:Cluster", "cluster", { name: "c" });
    const exec = JSON.parse(state.kubeconfigJson).users[0].user.exec;
    assert.deepEqual(exec.args, ["--region", "ap-northeast-2", "eks", "get-token", "--cluster-name", "c", "--output", "json"]);
    assert.equal(exec.apiVersion, "client.authentication.k8s.io/v1beta1");
});

test("aws.eks.NodeGroup reports its Auto Scaling group as EKS names it", () => {
    const { id, state } = emulate("aws:eks/nodeGroup:NodeGroup", "nodes", { clusterName: "c", nodeGroupName: "nodes-1" });
    assert.equal(id, "c:nodes-1");
    assert.match(state.resources[0].autoscalingGroups[0].name, /^eks-nodes-1-[0-9a-f-]{36}$/);
});

test("per-type ids and ARNs have the provider's formats", () => {
    assert.equal(emulate("aws:eks/addon:Addon", "a", { clusterName: "c", addonName: "coredns" }).id, "c:coredns");
    assert.equal(emulate("aws:eks/accessEntry:AccessEntry", "e", { clusterName: "c", principalArn: "arn:aws:iam::1:role/r" }).id, "c:arn:aws:iam::1:role/r");
    assert.equal(emulate("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "p", { clusterName: "c", principalArn: "P", policyArn: "A" }).id, "c#P#A");
    const pia = emulate("aws:eks/podIdentityAssociation:PodIdentityAssociation", "i", { clusterName: "c", serviceAccount: "sa" });
    assert.match(pia.state.associationId, /^a-[0-9a-f]{17}$/);
    assert.equal(pia.id, `c,${pia.state.associationId}`);
    assert.match(emulate("aws:ec2/launchTemplate:LaunchTemplate", "lt", {}).id!, /^lt-[0-9a-f]{17}$/);
});

test("no IAM condition in the plan keys on a URL with a scheme (IAM matches the issuer without https://)", async () => {
    for (const stack of ["dev", "prod"]) {
        const planned = await plan(stackValues(stack), stack);
        for (const role of ofType(planned, "aws:iam/role:Role")) {
            const trust = role.inputs.assumeRolePolicy;
            const conditions = (typeof trust === "string" ? JSON.parse(trust) : trust as any).Statement.flatMap((s: any) => Object.values(s.Condition ?? {}));
            for (const keys of conditions) for (const key of Object.keys(keys as object)) assert.doesNotMatch(key, /^https?:\/\//, `${role.name}: ${key}`);
        }
        assert.match(String(planned.plan.outputs.oidcIssuer), /^oidc\.eks\./, "the exported issuer is the one IRSA keys on");
        assert.ok(one(planned, "eks:index:Cluster"));
    }
});

test("an AWS type without a shape is an error, not invented outputs", () => {
    assert.throws(() => emulate("aws:s3/bucket:Bucket", "b", {}), /no shape for aws:s3\/bucket:Bucket/);
    assert.throws(() => cloud().call({ token: "aws:s3/getBucket:getBucket", inputs: {} } as never), /no answer for invoke aws:s3\/getBucket:getBucket/);
});

test("resources with no ARN in the provider get none here", () => {
    for (const [type, inputs] of [["aws:iam/rolePolicy:RolePolicy", { role: "r", name: "p" }], ["aws:eks/accessPolicyAssociation:AccessPolicyAssociation", {}],
        ["aws:iam/rolePolicyAttachment:RolePolicyAttachment", { role: "r", policyArn: "a" }], ["aws:ecr/lifecyclePolicy:LifecyclePolicy", { repository: "r" }]] as const) {
        assert.equal(emulate(type, "x", inputs).state.arn, undefined, type);
    }
});

test("a registration the cloud refuses fails the run even when nothing awaits the resource (as the engine fails the update)", () => {
    // In a child: the SDK also rejects the refused resource's outputs, which node:test would pin on this test.
    const script = `require("./test/support").planComponent(() => { new (require("@pulumi/aws").ecr.LifecyclePolicy)("bad", { repository: "r", policy: "{}" }); })
        .then(() => console.log("planned"), (err) => console.log("refused: " + err.message));`;
    const run = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: path.resolve(__dirname, ".."), encoding: "utf8" });
    assert.match(run.stdout, /^refused: aws:ecr\/lifecyclePolicy:LifecyclePolicy "bad": InvalidParameterException/m, run.stdout + run.stderr);
});
