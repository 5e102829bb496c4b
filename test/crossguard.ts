/**
 * The pack as CrossGuard runs it, for tests: through @pulumi/policy's own analyzer functions (server.js:
 * the properties serialized to the engine's protobuf, deserialized and wrapped in its
 * `unknownCheckingProxy`), with the engine's unknown sentinels where a preview cannot know a value.
 */
import * as path from "path";
import { allPolicies } from "../policies/all";
import { toCrossGuard } from "../policies/crossguard";
import type { PackConfig, PolicyDefinition, StackResource } from "../policies/framework";

export const PACK = path.resolve(__dirname, "..", "policies");
/** The SDK modules as the pack resolves them (its own node_modules when installed there, else the repository's). */
export const fromPack = (id: string, dir = PACK) => require(require.resolve(id, { paths: [dir] }));
export const PULUMI = (dir = PACK) => path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [dir] }));

export interface Diagnostic { policy: string; message: string; urn?: string; level: "advisory" | "mandatory" }

/** Protobuf messages as the engine sends them (KeepUnknowns: unknowns as sentinel strings). */
export function protocol(dir = PACK) {
    const pb = require(path.join(PULUMI(dir), "proto", "analyzer_pb"));
    const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [PULUMI(dir)] }));
    const struct = (value: object) => Struct.fromJavaScript(JSON.parse(JSON.stringify(value)));
    const fill = <M>(m: any, r: StackResource): M => {
        m.setType(r.type); m.setUrn(r.urn); m.setName(r.name); m.setProperties(struct(r.props));
        m.setOptions(new pb.AnalyzerResourceOptions());
        return m;
    };
    const levels: Record<number, Diagnostic["level"]> = { [pb.EnforcementLevel.ADVISORY]: "advisory", [pb.EnforcementLevel.MANDATORY]: "mandatory" };
    const diagnostics = (response: any): Diagnostic[] => response.getDiagnosticsList().map((d: any) => {
        const description: string = d.getDescription();
        const message: string = d.getMessage();
        return {
            policy: d.getPolicyname(),
            // CrossGuard prefixes the policy's description (server.js makeReportViolationFun).
            message: message.startsWith(`${description}\n`) ? message.slice(description.length + 1) : message,
            ...(d.getUrn() ? { urn: d.getUrn() } : {}),
            level: levels[d.getEnforcementlevel()],
        };
    });
    return {
        pb, struct, diagnostics,
        analyzeRequest: (r: StackResource) => fill(new pb.AnalyzeRequest(), r),
        stackRequest: (resources: StackResource[]) => {
            const req = new pb.AnalyzeStackRequest();
            req.setResourcesList(resources.map((r) => fill(new pb.AnalyzerResource(), r)));
            return req;
        },
    };
}

/**
 * A policy given its properties from `config` as the SDK gives them after the engine's `configure` call
 * (pulumi/pulumi-policy@v1.21.0 sdk/nodejs/policy/server.ts makeGetConfigFun: the policy's entry less
 * enforcementLevel); `configure`, which sets it, is not exported. Levels are not applied: the analyzer functions run at the pack's advisory level.
 */
function configured(policy: any, entry: PackConfig[string] | undefined): any {
    if (typeof entry !== "object") return policy;
    const { enforcementLevel: _level, ...properties } = entry;
    const withConfig = (args: any) => ({ ...args, getConfig: () => properties });
    return "validateResource" in policy
        ? { ...policy, validateResource: (args: any, report: any) => policy.validateResource(withConfig(args), report) }
        : { ...policy, validateStack: (args: any, report: any) => policy.validateStack(withConfig(args), report) };
}

/** Runs the pack's CrossGuard policies the way the policy SDK does for a preview: each resource, then the stack. */
export async function crossGuard(resources: StackResource[], policies: PolicyDefinition<any>[] = allPolicies, config: PackConfig = {}): Promise<Diagnostic[]> {
    const server = fromPack("@pulumi/policy/server");
    const { analyzeRequest, stackRequest, diagnostics } = protocol();
    const served = policies.map((p) => configured(toCrossGuard(p), config[p.name]));
    const call = (fn: any, request: any) => new Promise<Diagnostic[]>((resolve, reject) =>
        fn({ request }, (err: unknown, response: any) => (err ? reject(err) : resolve(diagnostics(response)))));
    const perResource = server.makeAnalyzeRpcFun("eks-delivery", "0.1.0", "advisory", served);
    const stack = server.makeAnalyzeStackRpcFun("eks-delivery", "0.1.0", "advisory", served);
    const out: Diagnostic[] = [];
    for (const r of resources) out.push(...await call(perResource, analyzeRequest(r)));
    out.push(...await call(stack, stackRequest(resources)));
    return out;
}
