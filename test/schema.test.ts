/**
 * The stack-file JSON Schema (schema/stack-file.schema.json) and Pulumi.yaml's config declarations:
 * in sync with config/schema.ts, referenced by every stack file, agreeing with the zod schema, and
 * passing Pulumi's own rules for project config (pulumi/pulumi@v3.259.0, cited per test).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import { parse } from "yaml";
import { PROJECT_ROOT, StackConfigError, validateStackConfig } from "../config";
import { loadInstanceCatalog } from "../policies/lib/instanceTypes";
import { addonConfigCheck } from "../infra/addons/catalog";
import { AWS_REGIONS } from "../config/awsRegions";
import { KNOWN_KEYS } from "../config/schema";
import { parseStackFile } from "../config/stackFile";
import { pulumiYamlText } from "../tools/schema/cli";
import { DESCRIPTIONS } from "../tools/schema/descriptions";
import { projectConfig, SCHEMA_FILE, schemaPaths, stackFileSchemaText, valuesSchema } from "../tools/schema/stackFileSchema";
import { stackValues, validate } from "./support";

const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8");
const STACK_FILES = ["Pulumi.dev.yaml", "Pulumi.prod.yaml",
    ...fs.readdirSync(path.join(PROJECT_ROOT, "examples")).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map((f) => `examples/${f}`)];

const schemaText = read(SCHEMA_FILE);
// `format` is an annotation in draft 2020-12; the patterns next to it do the checking.
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, validateFormats: false });
const check = ajv.compile(JSON.parse(schemaText));
const errors = (doc: unknown) => (check(doc) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`));

test("the committed JSON Schema is what npm run schema generates from config/schema.ts", () => {
    assert.equal(schemaText, stackFileSchemaText(PROJECT_ROOT), `${SCHEMA_FILE} is out of date: run npm run schema`);
});

test("Pulumi.yaml's config declarations are what npm run schema generates", () => {
    const text = read("Pulumi.yaml");
    assert.equal(text, pulumiYamlText(text, PROJECT_ROOT), "Pulumi.yaml's config: is out of date: run npm run schema");
});

test("every stack file names the schema on its first line, by a path that resolves from the file", () => {
    // redhat-developer/yaml-language-server@1.23.0: src/languageservice/services/modelineUtil.ts (the form),
    // yamlSchemaService.ts getSchemaForResource (a relative path resolves from the YAML file's directory).
    for (const file of STACK_FILES) {
        const first = read(file).split("\n")[0];
        const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
        assert.ok(match, `${file}: first line is not the modeline: ${first}`);
        assert.equal(path.resolve(path.dirname(path.join(PROJECT_ROOT, file)), match[1]), path.join(PROJECT_ROOT, SCHEMA_FILE), file);
    }
});

test("the schema validates both stack files and the examples", () => {
    for (const file of STACK_FILES) assert.deepEqual(errors(parse(read(file))), [], file);
});

const dev = () => parse(read("Pulumi.dev.yaml"));
const bad: Array<[string, (doc: any) => void, RegExp]> = [
    ["an unknown key under eks-delivery", (d) => { d.config["eks-delivery:node"] = {}; }, /property name must be valid.*"eks-delivery:node"/],
    ["a misspelt field", (d) => { d.config["eks-delivery:nodes"].minSise = 2; }, /additionalProperty.*minSise/],
    ["a wrong type", (d) => { d.config["eks-delivery:nodes"].minSize = "two"; }, /\/config\/eks-delivery:nodes\/minSize must be integer/],
    ["a region typo", (d) => { d.config["aws:region"] = "ap-northeast-22"; }, /\/config\/aws:region must be equal to one of the allowed values/],
    ["a missing required key", (d) => { delete d.config["eks-delivery:services"]; }, /missingProperty.*eks-delivery:services/],
    ["a key without a namespace", (d) => { d.config.region = "ap-northeast-2"; }, /property name must be valid.*"region"/],
    ["an unknown top-level key", (d) => { d.configs = {}; }, /additionalProperty.*configs/],
    ["an unquoted Kubernetes version", (d) => { d.config["eks-delivery:cluster"].kubernetesVersion = 1.36; }, /kubernetesVersion must be string/],
    ["a webhook URL in clear", (d) => { d.config["eks-delivery:delivery"] = { organization: "acme", repository: "acme/x", slackWebhookUrl: "https://hooks.slack.com/x" }; }, /slackWebhookUrl must be object/],
];
for (const [name, mutate, expected] of bad) {
    test(`the schema rejects ${name}`, () => {
        const doc = dev();
        mutate(doc);
        const found = errors(doc);
        assert.ok(found.some((e) => expected.test(e)), `expected ${expected} among:\n  ${found.join("\n  ")}`);
    });
}

test("the schema accepts what the program leaves alone: other namespaces, upper-case hosts, a secure webhook, ESC environments", () => {
    const doc = dev();
    Object.assign(doc.config, { "kubernetes:context": "x", "awsx:anything": { a: 1 }, "aws:profile": "p" });
    doc.config["eks-delivery:services"][0].host = "API.dev.example.com";
    doc.environment = ["team/dev"];
    doc.secretsprovider = "passphrase";
    doc.config["eks-delivery:delivery"] = { organization: "acme", repository: "acme/x", agentPoolId: "0f3c6a2e-8d1b-4e5f-9a7c-2b4d6e8f0a1c", slackWebhookUrl: { secure: "v1:abc" } };
    assert.deepEqual(errors(doc), []);
});

/** Whether the program accepts the stack file's values (as it reads them: secure values redacted). */
function zodAccepts(doc: any): boolean {
    const text = JSON.stringify(doc);
    const { values, secretKeys } = parseStackFile(text, "sample.yaml");
    try {
        validateStackConfig(values, { project: "eks-delivery", stack: "dev", catalog: loadInstanceCatalog(), projectRoot: PROJECT_ROOT, secretKeys, checks: [addonConfigCheck] });
        return true;
    } catch (err) {
        if (err instanceof StackConfigError) return false;
        throw err;
    }
}

// Samples within what JSON Schema can say (types, keys, enums, patterns, bounds): both must agree.
const samples: Array<[string, (d: any) => void]> = [
    ["dev as it is", () => {}],
    ["another real region", (d) => { d.config["aws:region"] = "eu-central-2"; }],
    ["a region typo", (d) => { d.config["aws:region"] = "eu-centrl-1"; }],
    ["a region the old regex accepted", (d) => { d.config["aws:region"] = "zz-moon-1"; }],
    ["a consumer region", (d) => { d.config["eks-delivery:registry"] = { from: { account: "123456789012", prefix: "eks-delivery-dev", region: "us-east-1" } }; }],
    ["a bad consumer region", (d) => { d.config["eks-delivery:registry"] = { from: { account: "123456789012", prefix: "eks-delivery-dev", region: "us-east-9" } }; }],
    ["an unknown key", (d) => { d.config["eks-delivery:clustr"] = {}; }],
    ["a provider key", (d) => { d.config["aws:skipMetadataApiCheck"] = false; }],
    ["a string for a number", (d) => { d.config["eks-delivery:cluster"].availabilityZones = "2"; }],
    ["too many zones", (d) => { d.config["eks-delivery:cluster"].availabilityZones = 7; }],
    ["an unknown environment", (d) => { d.config["eks-delivery:environment"] = "qa"; }],
    ["a Kubernetes version EKS lacks", (d) => { d.config["eks-delivery:cluster"].kubernetesVersion = "1.20"; }],
    ["a number as version", (d) => { d.config["eks-delivery:cluster"].kubernetesVersion = 1.36; }],
    ["a surge count", (d) => { d.config["eks-delivery:services"][0].maxSurge = 2; }],
    ["a bad surge", (d) => { d.config["eks-delivery:services"][0].maxSurge = "200%"; }],
    ["a numeric quantity", (d) => { d.config["eks-delivery:services"][0].resources.requests.cpu = 1; }],
    ["an upper-case host", (d) => { d.config["eks-delivery:services"][0].host = "API.DEV.EXAMPLE.COM"; }],
    ["oidc shorthand", (d) => { d.config["eks-delivery:delivery"] = { organization: "acme", repository: "acme/x", agentPoolId: "0f3c6a2e-8d1b-4e5f-9a7c-2b4d6e8f0a1c", oidcProviders: "lookup" }; }],
    ["a webhook in clear", (d) => { d.config["eks-delivery:delivery"] = { organization: "acme", repository: "acme/x", agentPoolId: "0f3c6a2e-8d1b-4e5f-9a7c-2b4d6e8f0a1c", slackWebhookUrl: "https://hooks.slack.com/x" }; }],
    ["a secure webhook", (d) => { d.config["eks-delivery:delivery"] = { organization: "acme", repository: "acme/x", agentPoolId: "0f3c6a2e-8d1b-4e5f-9a7c-2b4d6e8f0a1c", slackWebhookUrl: { secure: "v1:abc" } }; }],
    ["an add-on override", (d) => { d.config["eks-delivery:addons"] = { kiali: { enabled: false } }; }],
    ["an unknown add-on", (d) => { d.config["eks-delivery:addons"] = { grafana: { enabled: false } }; }],
];
for (const [name, mutate] of samples) {
    test(`JSON Schema and zod agree: ${name}`, () => {
        const doc = dev();
        mutate(doc);
        assert.equal(errors(doc).length === 0, zodAccepts(doc), `schema: ${errors(doc).join("; ") || "accepts"}`);
    });
}

test("every key of the zod schema has a description, and every description a key", () => {
    const paths = schemaPaths(valuesSchema(PROJECT_ROOT));
    assert.deepEqual(paths.filter((p) => !DESCRIPTIONS[p]), [], "keys without a description (tools/schema/descriptions.ts)");
    assert.deepEqual(Object.keys(DESCRIPTIONS).filter((p) => !paths.includes(p)), [], "descriptions of keys the schema does not have");
});

// --- Pulumi.yaml, under Pulumi's rules -------------------------------------------------------------

const project = parse(read("Pulumi.yaml"));
const declared: Record<string, any> = project.config ?? {};

test("Pulumi.yaml validates against Pulumi's project schema (pulumi/pulumi@v3.259.0:sdk/go/common/workspace/project.json)", () => {
    const upstream = JSON.parse(read("schema/upstream/pulumi-project.v3.259.0.json"));
    const validateProject = new Ajv2020({ allErrors: true, strict: false }).compile(upstream);
    assert.ok(validateProject(project), JSON.stringify(validateProject.errors));
});

/** pulumi/pulumi@v3.259.0:sdk/go/common/workspace/project.go ValidateConfigValue (YAML numbers are float64 there). */
function validConfigValue(type: string, items: { type: string; items?: any } | undefined, value: unknown): boolean {
    switch (type) {
        case "string": return typeof value === "string";
        case "integer": return (typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && /^[+-]?\d+$/.test(value));
        case "boolean": return typeof value === "boolean" || value === "true" || value === "false";
        case "object": return typeof value === "object" && value !== null && !Array.isArray(value);
        default: return Array.isArray(value) && items !== undefined && value.every((v) => validConfigValue(items.type, items.items, v));
    }
}

test("Pulumi.yaml passes Project.Validate (pulumi/pulumi@v3.259.0:sdk/go/common/workspace/project.go)", () => {
    for (const [key, decl] of Object.entries(declared)) {
        assert.ok(!(decl.default !== undefined && decl.value !== undefined), `${key}: both default and value`);
        if (key.includes(":") && !key.startsWith(`${project.name}:`)) {
            assert.equal(decl.type, undefined, `${key}: not namespaced by the project, so no type`);
            assert.notEqual(decl.value, undefined, `${key}: not namespaced by the project, so a value`);
            continue;
        }
        if (decl.type === "array") assert.ok(decl.items, `${key}: an array declares its items`);
        if (decl.type && decl.default !== undefined) assert.ok(validConfigValue(decl.type, decl.items, decl.default), `${key}: default is not a ${decl.type}`);
    }
});

for (const file of ["Pulumi.dev.yaml", "Pulumi.prod.yaml", ...STACK_FILES.filter((f) => f.startsWith("examples/"))]) {
    test(`${file} passes the project's config validation of pulumi up (pulumi/pulumi@v3.259.0:pkg/workspace/config.go mergeConfig)`, () => {
        const stack = parse(read(file)).config as Record<string, unknown>;
        const missing = Object.entries(declared)
            .filter(([key, decl]) => !(key in stack) && decl.default === undefined && decl.value === undefined && key.startsWith(`${project.name}:`))
            .map(([key]) => key);
        assert.deepEqual(missing, [], `Stack is missing configuration values ${missing.join(", ")}`);
        for (const [key, decl] of Object.entries(declared)) {
            if (!(key in stack) || decl.type === undefined) continue;
            assert.ok(validConfigValue(decl.type, decl.items, stack[key]), `${key} must be of type '${decl.type}'`);
            if (decl.secret) assert.ok(typeof stack[key] === "object" && stack[key] !== null && "secure" in (stack[key] as object), `${key} must be encrypted`);
        }
    });
}

test("Pulumi.yaml declares the keys config/schema.ts knows, with the same descriptions; the rest cannot be declared", () => {
    const { undeclared } = projectConfig(PROJECT_ROOT);
    const names = Object.keys(declared).map((k) => k.replace(/^eks-delivery:/, ""));
    assert.deepEqual([...names, ...undeclared].sort(), [...KNOWN_KEYS].sort());
    for (const [key, decl] of Object.entries(declared)) assert.equal(decl.description, DESCRIPTIONS[key.replace(/^eks-delivery:/, "")], key);
    // An optional key without a default cannot be declared: Pulumi would require it, or set a value.
    const values = valuesSchema(PROJECT_ROOT);
    for (const key of undeclared) assert.ok(!values.required.includes(key) && values.properties[key].default === undefined, key);
});

test("a declared default that Pulumi sets on a stack lacking the key parses as the key's absence does", () => {
    for (const stack of ["dev", "prod"]) {
        const values = stackValues(stack);
        const injected = { ...values };
        for (const [key, decl] of Object.entries(declared)) {
            // The runtime gets object defaults as JSON text (pkg/workspace/config.go createConfigValue); config/index.ts decodes it.
            if (decl.default !== undefined && !(key in values)) injected[key] = JSON.parse(JSON.stringify(decl.default));
        }
        assert.notDeepEqual(Object.keys(injected), Object.keys(values), "no default was applied: the test checks nothing");
        assert.deepEqual(validate(injected, stack), validate(values, stack), stack);
    }
});

test("the region list is the Pulumi AWS provider's Region enum, no duplicates", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Region } = require("@pulumi/aws/types/enums") as { Region: Record<string, string> };
    const pulumiRegions = Object.values(Region);
    assert.deepEqual(pulumiRegions.filter((r) => !(AWS_REGIONS as readonly string[]).includes(r)), [], "regions @pulumi/aws knows that config/awsRegions.ts lacks");
    assert.deepEqual((AWS_REGIONS as readonly string[]).filter((r) => !pulumiRegions.includes(r)), [], "regions config/awsRegions.ts lists that @pulumi/aws lacks");
    assert.equal(new Set(AWS_REGIONS).size, AWS_REGIONS.length);
    assert.ok(AWS_REGIONS.includes("ap-northeast-2"));
});
