// The CrossGuard entry point: `pulumi preview --policy-pack policies [--policy-pack-config policies/config/<environment>.json]`.
// Only the pack is constructed here (it starts a gRPC server); policies live in modules tests import.
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./all";
import { toCrossGuard } from "./crossguard";

new PolicyPack("eks-delivery", {
    enforcementLevel: "advisory",
    policies: allPolicies.map(toCrossGuard),
});
