/**
 * The program's single entry to configuration: reads every key Pulumi hands the program (the same
 * values under `pulumi up` and the offline plan), validates them once, and returns typed values.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { loadInstanceCatalog } from "../policies/lib/instanceTypes";
import { StackConfigError } from "./errors";
import { ConfigCheck, validateStackConfig } from "./schema";
import { NAMESPACE, StackConfig } from "./types";

export * from "./types";
export { StackConfigError, showValue } from "./errors";
export { ADDON_NAMES, INGRESS_CONTROLLERS, nearest, validateStackConfig, type ConfigCheck } from "./schema";

/** The repository root: build contexts and `Pulumi.<stack>.yaml` are relative to it. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

// The runtime knows which keys the CLI decrypted; the function is exported but missing from its typings.
const { isConfigSecret } = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };

/** Decodes a runtime config value: structured values arrive as JSON text, plain strings as-is. */
function decode(key: string, raw: string): unknown {
    if (!key.startsWith(`${NAMESPACE}:`)) return raw;
    try {
        return JSON.parse(raw);
    } catch {
        return raw;
    }
}

/** `checks`: what the schema cannot see (the add-on overrides against their charts), passed in by index.ts. */
export function loadStackConfig(checks: ConfigCheck[] = []): StackConfig {
    const values = Object.fromEntries(
        Object.entries(pulumi.runtime.allConfig()).map(([key, raw]) => [key, decode(key, raw)]));
    let catalog;
    try {
        catalog = loadInstanceCatalog();
    } catch (err) {
        throw new StackConfigError([(err as Error).message]);
    }
    return validateStackConfig(values, {
        project: pulumi.getProject(),
        stack: pulumi.getStack(),
        catalog,
        projectRoot: PROJECT_ROOT,
        secretKeys: Object.keys(values).filter(isConfigSecret),
        checks,
    });
}
