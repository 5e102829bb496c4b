// The CrossGuard entry point: `pulumi preview --policy-pack policies [--policy-pack-config policies/config/<environment>.json]`.
// Published with `pulumi policy publish <org>` from this directory (README.md). Only the pack is constructed
// here (it starts the analyzer's gRPC server); policies live in modules tests import.
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./all";
import { toCrossGuard } from "./crossguard";

new PolicyPack("eks-delivery", {
    enforcementLevel: "advisory",
    policies: allPolicies.map(toCrossGuard),
});
