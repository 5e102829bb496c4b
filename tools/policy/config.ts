/**
 * The policy config `npm run policy` runs with: --config (the --policy-pack-config format) and
 * --kubernetes-version, checked as Pulumi checks a pack's config. Every problem is one InputError line
 * naming the flag, the key and the value.
 */
import Ajv from "ajv";
import { allPolicies } from "../../policies/all";
import type { PackConfig, PolicyDefinition } from "../../policies/framework";
import { describeValue, InputError, readText } from "./documents";

/** Pulumi's enforcement levels (@pulumi/policy EnforcementLevel); `remediate` counts as mandatory here (no policy remediates). */
const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];

/**
 * Policy config as `--policy-pack-config` takes it, checked as Pulumi checks it
 * (pulumi/pulumi@18817b6 pkg/resource/analyzer/config.go: validatePolicyPackConfig, convertSchema): each
 * policy's properties against `{type: object, properties, required}` of its config schema (other
 * properties pass, as there), the enforcement level against Pulumi's levels.
 */
export function readConfig(file: string | undefined, policies: PolicyDefinition<any>[] = allPolicies): PackConfig {
    if (file === undefined) return {};
    let config: unknown;
    try {
        config = JSON.parse(readText(file));
    } catch (err) {
        if (err instanceof InputError) throw new InputError(`--config ${err.message}`);
        throw new InputError(`--config ${file}: not JSON (${(err as Error).message})`);
    }
    if (typeof config !== "object" || config === null || Array.isArray(config)) throw new InputError(`--config ${file}: is ${describeValue(config)}, not a JSON object`);
    const byName = new Map<string, PolicyDefinition<any>>(policies.map((p) => [p.name, p]));
    const unknown = Object.keys(config).filter((k) => k !== "all" && !byName.has(k));
    if (unknown.length) throw new InputError(`--config names unknown policies: ${unknown.join(", ")}`);
    const ajv = new Ajv({ strict: false, allErrors: false });
    for (const [key, entry] of Object.entries(config)) {
        const level = typeof entry === "string" ? entry : typeof entry === "object" && entry !== null && !Array.isArray(entry) ? (entry as Record<string, unknown>).enforcementLevel : null;
        const at = typeof entry === "string" ? key : `${key}.enforcementLevel`;
        if (typeof entry !== "string" && (typeof entry !== "object" || entry === null || Array.isArray(entry))) {
            throw new InputError(`--config ${file}: ${key}: is ${describeValue(entry)}, not an enforcement level or an object`);
        }
        if (level !== undefined && !LEVELS.includes(level as string)) throw new InputError(`--config ${file}: ${at}: is ${JSON.stringify(level)}, not one of ${LEVELS.join(", ")}`);
        if (typeof entry === "string") continue;
        const { enforcementLevel: _level, ...properties } = entry as Record<string, unknown>;
        if (key === "all") {
            // Pulumi applies only the level from `all` (pulumi/pulumi@18817b6 pkg/resource/analyzer/config.go
            // applyConfig): a property there would silently do nothing in a preview.
            const [first] = Object.keys(properties);
            if (first !== undefined) throw new InputError(`--config ${file}: all.${first}: "all" takes only an enforcementLevel (Pulumi applies no properties from it): set ${first} under the policy's own name`);
            continue;
        }
        for (const policy of [byName.get(key)!]) {
            const schema = policy.config?.schema;
            if (!schema) continue;
            const validate = ajv.compile({ type: "object", properties: schema.properties, required: schema.required ?? [] });
            if (!validate(properties)) {
                const e = validate.errors![0];
                const where = [key, ...e.instancePath.split("/").slice(1)].join(".");
                throw new InputError(`--config ${file}: ${where}: ${e.message} (policy ${policy.name})`);
            }
        }
    }
    return config as PackConfig;
}

/** The Kubernetes version a policy is judged against: MAJOR.MINOR, as the stack file and EKS spell it. */
const KUBERNETES_VERSION = /^1\.(0|[1-9][0-9]{0,2})$/;

/**
 * --kubernetes-version as the property `kubernetesVersion` of every policy whose config declares it (the
 * flag wins over --config), checked against that policy's schema as --config's properties are.
 */
export function withKubernetesVersion(config: PackConfig, version: string | undefined, policies: PolicyDefinition<any>[] = allPolicies): PackConfig {
    if (version === undefined) return config;
    if (!KUBERNETES_VERSION.test(version)) throw new InputError(`--kubernetes-version ${JSON.stringify(version)} is not a Kubernetes version like 1.31 (MAJOR.MINOR)`);
    const out: PackConfig = { ...config };
    const ajv = new Ajv({ strict: false, allErrors: false });
    for (const policy of policies) {
        const property = policy.config?.schema.properties?.kubernetesVersion;
        if (!property) continue;
        const validate = ajv.compile(property as object);
        if (!validate(version)) throw new InputError(`--kubernetes-version ${JSON.stringify(version)}: ${validate.errors![0].message} (policy ${policy.name})`);
        const entry = out[policy.name];
        out[policy.name] = typeof entry === "string" ? { enforcementLevel: entry, kubernetesVersion: version } : { ...(entry ?? {}), kubernetesVersion: version };
    }
    return out;
}
