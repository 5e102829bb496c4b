/**
 * The JSON Schema of `Pulumi.<stack>.yaml` and the `config:` declarations of `Pulumi.yaml`, both
 * derived from the zod config schema (config/schema.ts) so that editors, reviewers and Pulumi check
 * the keys the program reads. Pure: `npm run schema` (tools/schema/cli.ts) writes what these return.
 *
 * How zod@4.6.7 converts (node_modules/zod/v4/core/json-schema-processors.js, to-json-schema.js):
 * - `io: "input"`: the schema of what a stack file may say. A key with a default is optional, its
 *   default shown; a pipe whose input is not a transform converts its input side (`.transform(String)`
 *   after a union keeps the union); `.prefault({})` becomes `default: {}`.
 * - refinements (`superRefine`, `refine`) are dropped: JSON Schema cannot run them. Those it can state
 *   are added below (the Kubernetes version calendar, the secret webhook URL, lower-casing); the rest
 *   (build contexts on disk, cross-field rules, instance types) only the program checks.
 * - `unrepresentable: "throw"`: a type with no JSON form (a bare transform, a Map) stops generation
 *   instead of silently becoming `{}`.
 * - `.describe()`/`.meta()` land as `description` and other keywords (the region list is `.meta({enum})`).
 *
 * The stack file's own keys are pulumi/pulumi@v3.259.0:sdk/go/common/workspace/project.go
 * ProjectStack (secretsprovider, encryptedkey, encryptionsalt, config, environment). Pulumi ignores
 * other top-level keys; this schema refuses them, since one is most likely a typo.
 */
import { z } from "zod";
import { KNOWN_KEYS, PROVIDER_NAMESPACES, stackSchema, ValidationContext } from "../../config/schema";
import { NAMESPACE } from "../../config/types";
import { EKS_VERSIONS } from "../../policies/lib/eksVersions";
import { loadInstanceCatalog } from "../../policies/lib/instanceTypes";
import { DESCRIPTIONS } from "./descriptions";

type Json = Record<string, any>;

/** Where the schema is committed, relative to the repository root; stack files point at it. */
export const SCHEMA_FILE = "schema/stack-file.schema.json";
export const SCHEMA_ID = "https://github.com/eks-delivery/eks-delivery/schema/stack-file.schema.json";

/** Two stacks that differ in everything a default can depend on (the stack name, production or not). */
function zodJson(environment: "production" | "development", stack: string, projectRoot: string): Json {
    const ctx: ValidationContext = { project: "eks-delivery", stack, catalog: loadInstanceCatalog(), projectRoot };
    return z.toJSONSchema(stackSchema(ctx, { environment }), { io: "input", unrepresentable: "throw", target: "draft-2020-12" }) as Json;
}

/**
 * One schema from the two: where only a default differs it depends on the stack and is dropped (the
 * description says what it is). Any other difference is a bug in this reasoning, so it throws.
 */
function merge(a: unknown, b: unknown, at: string): unknown {
    if (JSON.stringify(a) === JSON.stringify(b)) return a;
    if (Array.isArray(a) || Array.isArray(b) || typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
        throw new Error(`the JSON Schema at ${at || "(root)"} depends on the stack beyond a default`);
    }
    const out: Json = {};
    for (const key of Object.keys(a)) {
        if (key === "default" && JSON.stringify((a as Json)[key]) !== JSON.stringify((b as Json)[key])) continue;
        out[key] = merge((a as Json)[key], (b as Json)[key], `${at}/${key}`);
    }
    return out;
}

/** Makes a pattern written for lower-case letters accept upper case too (the zod string lower-cases first). */
function caseInsensitive(pattern: string): string {
    return pattern.replace(/a-z/g, "a-zA-Z");
}

/** Each node of the schema by its path under `eks-delivery:` (`services[].name`, `addons.*`). */
function visit(node: Json, path: string, f: (node: Json, path: string, option: boolean) => void, option = false) {
    f(node, path, option);
    for (const [key, child] of Object.entries<Json>(node.properties ?? {})) {
        visit(child, path === "" ? key : `${path}.${key}`, f);
    }
    if (node.items && typeof node.items === "object") visit(node.items, `${path}[]`, f);
    for (const alternative of node.anyOf ?? []) visit(alternative, path, f, true);
}

/** The add-on key paths are one description each: `addons.<name>` reads as `addons.*`. */
export function descriptionKey(path: string): string {
    return path.replace(/^addons\.[^.]+/, "addons.*");
}

/** Paths the schema of `eks-delivery:*` and `aws:region` has (as DESCRIPTIONS keys them). */
export function schemaPaths(values: Json): string[] {
    const paths = new Set<string>();
    // List items are described by their list; `secure` is Pulumi's, described where it is added.
    visit(values, "", (_node, path) => { if (path && !path.endsWith("[]") && !path.endsWith(".secure")) paths.add(descriptionKey(path)); });
    return [...paths];
}

/** The zod schema of the values (region and every `eks-delivery:` key), as JSON Schema, refined. */
export function valuesSchema(projectRoot: string): Json {
    const values = merge(zodJson("production", "prod", projectRoot), zodJson("development", "dev", projectRoot), "") as Json;
    const zodLowercases = new Set(["dns.zone", "services[].host", "cutover.record", "cutover.legacy.dnsName"]);
    visit(values, "", (node, path, option) => {
        if (!path) return;
        const description = DESCRIPTIONS[descriptionKey(path)];
        if (description && !option && node.description === undefined) node.description = description;
        // text().toLowerCase().regex(...): the pattern is checked after lower-casing.
        if (zodLowercases.has(path) && typeof node.pattern === "string") node.pattern = caseInsensitive(node.pattern);
    });
    const props = values.properties;
    // The superRefine refuses numbers and versions EKS does not have: JSON Schema can say so.
    const version = props.cluster.properties.kubernetesVersion;
    delete version.anyOf;
    Object.assign(version, { type: "string", enum: EKS_VERSIONS.map((e) => e.version) });
    // Refused unless it is a secret: in the stack file, Pulumi's `secure:` form only.
    const webhook = props.delivery.properties.slackWebhookUrl;
    delete webhook.type;
    Object.assign(webhook, secureValue());
    return values;
}

/** Pulumi's encrypted value: a map whose only key is `secure` (pulumi/pulumi@v3.259.0:sdk/go/common/resource/config/object.go isSecureValue). */
function secureValue(): Json {
    return {
        type: "object",
        properties: { secure: { type: "string", minLength: 1, description: "Ciphertext written by pulumi config set --secret." } },
        required: ["secure"],
        additionalProperties: false,
    };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The whole stack file's JSON Schema. */
export function stackFileSchema(projectRoot: string): Json {
    const values = valuesSchema(projectRoot);
    const config: Json = {
        type: "object",
        description: `Configuration: aws:region, the ${NAMESPACE}:* keys, and other providers' keys (${PROVIDER_NAMESPACES.join(", ")} and any other namespace), which pass unread.`,
        properties: {
            "aws:region": values.properties.region,
            ...Object.fromEntries(KNOWN_KEYS.map((key) => [`${NAMESPACE}:${key}`, values.properties[key]])),
        },
        // Keys are <namespace>:<name>; under this project's namespace only the keys above.
        propertyNames: {
            anyOf: [
                { enum: ["aws:region", ...KNOWN_KEYS.map((key) => `${NAMESPACE}:${key}`)] },
                { pattern: `^(?!${escapeRegExp(NAMESPACE)}:)[^:\\s]+:\\S` },
            ],
        },
        required: ["aws:region", ...(values.required as string[]).filter((k) => k !== "region").map((k) => `${NAMESPACE}:${k}`)],
    };
    return {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        $id: SCHEMA_ID,
        title: "Pulumi.<stack>.yaml of eks-delivery",
        description: "Generated from config/schema.ts by npm run schema: do not edit.",
        type: "object",
        properties: {
            secretsprovider: { type: "string", description: "The stack's secrets provider (e.g. awskms://..., passphrase)." },
            encryptedkey: { type: "string", description: "The KMS-encrypted data key (cloud secrets providers)." },
            encryptionsalt: { type: "string", description: "The encryption salt (passphrase secrets provider)." },
            config,
            environment: {
                description: "Pulumi ESC environments to import: a list of names, or an inline definition.",
                anyOf: [{ type: "array", items: { type: "string" } }, { type: "object" }],
            },
        },
        required: ["config"],
        additionalProperties: false,
    };
}

/** The stable text of the schema file. */
export function stackFileSchemaText(projectRoot: string): string {
    return `${JSON.stringify(stackFileSchema(projectRoot), null, 2)}\n`;
}

/** A `Pulumi.yaml` config declaration (pulumi/pulumi@v3.259.0:sdk/go/common/workspace/project.go ProjectConfigType). */
export interface ConfigDeclaration {
    type: "string" | "integer" | "boolean" | "array" | "object";
    description: string;
    items?: { type: string };
    default?: unknown;
}

/**
 * The project's config declarations. Pulumi makes a declared project key without `default` REQUIRED
 * (pulumi/pulumi@v3.259.0:pkg/workspace/config.go mergeConfig: missingConfigurationKeys) and sets a
 * declared `default` on every stack that lacks the key. So: the keys the schema requires are declared
 * without a default; the keys with a zod default, with that default (the program then parses the same
 * value either way); optional keys without a default (the returned `undeclared`) cannot be declared
 * without making them required or giving them a value, and are left to the stack-file schema.
 * Keys of other namespaces (aws:region) may carry only a `value`, no type (Project.Validate): not declared.
 */
export function projectConfig(projectRoot: string): { declared: Record<string, ConfigDeclaration>; undeclared: string[] } {
    const values = valuesSchema(projectRoot);
    const required = new Set<string>(values.required);
    const declared: Record<string, ConfigDeclaration> = {};
    const undeclared: string[] = [];
    for (const key of KNOWN_KEYS) {
        const node: Json = values.properties[key];
        if (!required.has(key) && node.default === undefined) {
            undeclared.push(key);
            continue;
        }
        const type = node.type as ConfigDeclaration["type"];
        if (!["string", "integer", "boolean", "array", "object"].includes(type)) throw new Error(`${NAMESPACE}:${key}: no Pulumi config type for ${JSON.stringify(node.type)}`);
        declared[`${NAMESPACE}:${key}`] = {
            type,
            description: DESCRIPTIONS[key],
            ...(type === "array" ? { items: { type: node.items.type } } : {}),
            ...(node.default !== undefined ? { default: node.default } : {}),
        };
    }
    return { declared, undeclared };
}
