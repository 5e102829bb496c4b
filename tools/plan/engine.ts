/**
 * Runs the real program (index.ts) in-process under `pulumi.runtime.setMocks`, the way Pulumi's
 * unit-testing guide does, and records every registration the engine would see: URN, type, parent,
 * provider, inputs and outputs, with secrets kept marked so the plan can redact them.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { toRuntimeConfig, StackFile } from "../../config/stackFile";
import { AccountOidcProvider, EmulatedCloud, EMULATED_ACCOUNT_ID, KubernetesObject } from "./emulatedCloud";
import type { EmulatedRegistry } from "./registry";

// MockMonitor is the runtime's own mock engine; it is not re-exported from the package index.
const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: new (mocks: pulumi.runtime.Mocks) => MonitorBase };

interface MonitorBase {
    registerResource(req: RegisterRequest, callback: (err: unknown, res: RegisterResponse | undefined) => void): Promise<void>;
    readResource(req: ReadRequest, callback: (err: unknown, res: ReadResponse | undefined) => void): Promise<void>;
    registerResourceOutputs(req: OutputsRequest, callback: (err: unknown, res: unknown) => void): void;
}
interface Struct { toJavaScript(): Record<string, unknown> }
// The protobuf Struct the runtime's messages carry (what the mock monitor builds its responses with).
const { Struct: StructMessage } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [require.resolve("@pulumi/pulumi")] })) as { Struct: { fromJavaScript(value: Record<string, unknown>): Struct } };
interface RegisterRequest {
    getType(): string; getName(): string; getParent(): string; getProvider(): string; getCustom(): boolean;
    getObject(): Struct | undefined;
    /** Optional only so hand-built requests in tests need not carry it; the SDK always sets it. */
    getAdditionalsecretoutputsList?(): string[];
    getProtect(): boolean | undefined; getRetainondelete(): boolean | undefined; getDeletebeforereplace(): boolean;
    getDependenciesList(): string[]; getPropertydependenciesMap(): { forEach(f: (deps: { getUrnsList(): string[] }) => void): void };
    getIgnorechangesList(): string[]; getReplaceonchangesList(): string[];
    getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
    /** Optional only so hand-built requests in tests need not carry it; the SDK always sets it. */
    getAliasesList?(): AliasMessage[];
}
/** pulumirpc.Alias (proto/alias_pb.js): a literal URN, or a spec the engine completes from the resource. */
interface AliasMessage {
    getUrn(): string;
    getSpec(): {
        getName(): string; getType(): string; getStack(): string; getProject(): string;
        getParenturn(): string; getNoparent(): boolean;
    } | undefined;
}
interface RegisterResponse { getUrn(): string; getObject(): Struct | undefined; setObject(value: Struct): void }
interface ReadRequest { getType(): string; getName(): string; getParent(): string; getId(): string; getDependenciesList(): string[]; getAdditionalsecretoutputsList(): string[] }
interface ReadResponse { getUrn(): string; getProperties(): Struct | undefined; setProperties(value: Struct): void }
interface OutputsRequest { getUrn(): string; getOutputs(): Struct | undefined }

/**
 * The resource options that change what `pulumi up` does to a resource, as the engine receives them.
 * Only options that are set appear.
 */
export interface UpdateOptions {
    protect?: true;
    retainOnDelete?: true;
    deleteBeforeReplace?: true;
    /** Explicit `dependsOn` (URNs): the request's dependencies less those its inputs already carry. */
    dependsOn?: string[];
    ignoreChanges?: string[];
    replaceOnChanges?: string[];
    customTimeouts?: { create?: string; update?: string; delete?: string };
    /**
     * `aliases`, as the SDK sends them to a monitor that supports alias specs (the mock monitor does):
     * a literal URN, or a spec whose absent fields the engine fills from the resource itself (its name,
     * type, parent, stack, project). The SDK fills `parent` with the resource's own parent unless the
     * alias names one or says `noParent`. Inherited aliases (from a parent's) are computed by the engine
     * and do not appear here.
     */
    aliases?: Alias[];
}

export type Alias = { urn: string } | { name?: string; type?: string; parent?: string; noParent?: true; stack?: string; project?: string };

/** One pulumirpc.Alias as plain data, empty fields omitted. */
function aliasOf(message: AliasMessage): Alias {
    const spec = message.getSpec();
    if (!spec) return { urn: message.getUrn() };
    return {
        ...(spec.getName() ? { name: spec.getName() } : {}),
        ...(spec.getType() ? { type: spec.getType() } : {}),
        ...(spec.getParenturn() ? { parent: spec.getParenturn() } : {}),
        ...(spec.getNoparent() ? { noParent: true as const } : {}),
        ...(spec.getStack() ? { stack: spec.getStack() } : {}),
        ...(spec.getProject() ? { project: spec.getProject() } : {}),
    };
}

/** One registration, with values still in the runtime's wire form (secrets carry their signature). */
export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    provider?: string;
    custom: boolean;
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
    options: UpdateOptions;
    /** Every URN the registration waited for (dependsOn and its inputs' resources), as the engine records them. */
    dependencies: string[];
}

/** Reads the update-relevant options off a registration request. */
export function updateOptions(req: RegisterRequest): UpdateOptions {
    const viaInputs = new Set<string>();
    req.getPropertydependenciesMap().forEach((deps) => deps.getUrnsList().forEach((urn) => viaInputs.add(urn)));
    const dependsOn = [...new Set(req.getDependenciesList())].filter((urn) => !viaInputs.has(urn)).sort();
    const timeouts = req.getCustomtimeouts();
    // In the order the program gave them: the engine tries them in that order.
    const aliases = (req.getAliasesList?.() ?? []).map(aliasOf);
    const customTimeouts = timeouts && Object.fromEntries(
        ([["create", timeouts.getCreate()], ["update", timeouts.getUpdate()], ["delete", timeouts.getDelete()]] as const).filter(([, v]) => v));
    return {
        ...(req.getProtect() ? { protect: true as const } : {}),
        ...(req.getRetainondelete() ? { retainOnDelete: true as const } : {}),
        ...(req.getDeletebeforereplace() ? { deleteBeforeReplace: true as const } : {}),
        ...(dependsOn.length ? { dependsOn } : {}),
        ...(req.getIgnorechangesList().length ? { ignoreChanges: [...req.getIgnorechangesList()] } : {}),
        ...(req.getReplaceonchangesList().length ? { replaceOnChanges: [...req.getReplaceonchangesList()] } : {}),
        ...(customTimeouts && Object.keys(customTimeouts).length ? { customTimeouts } : {}),
        ...(aliases.length ? { aliases } : {}),
    };
}

export interface ProgramRun {
    project: string;
    stack: string;
    region: string;
    accountId: string;
    resources: RecordedResource[];
    /** Stack outputs in wire form. */
    outputs: Record<string, unknown>;
    /** Number of provider function calls (invokes) the program made; engine look-ups of its own
     * resources (`pulumi:pulumi:getResource`) are not counted. */
    invokes: number;
    /** The same, by function token. */
    invokesByToken: Record<string, number>;
    /** Reads of existing objects (`Resource.get`): the engine runs them in previews too. */
    reads: RecordedRead[];
}

/** One read: the URN it gets in the state (an external resource, not one the stack manages), and what it found. */
export interface RecordedRead {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    id: string;
    /** The URNs the read waited for (its dependsOn, components expanded to their resources): the engine records them. */
    dependencies: string[];
    outputs: Record<string, unknown>;
}

const { specialSigKey, specialSecretSig } = pulumi.runtime;

/** A value in wire form marked secret. */
export function isSecretValue(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[specialSigKey] === specialSecretSig;
}

function containsSecrets(value: unknown): boolean {
    if (isSecretValue(value)) return true;
    if (Array.isArray(value)) return value.some(containsSecrets);
    return typeof value === "object" && value !== null && Object.values(value).some(containsSecrets);
}

export function markSecret(value: unknown): unknown {
    return isSecretValue(value) ? value : { [specialSigKey]: specialSecretSig, value };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !(specialSigKey in v);

/**
 * What the engine stores for a resource's outputs, which the mock monitor does not do: an output whose
 * input (same key; objects key by key) holds a secret is secret (pulumi/pulumi
 * pkg/resource/plugin/provider_plugin.go annotateSecrets: a whole array if any element was), and every
 * output named in `additionalSecretOutputs` is secret, as the provider's schema asks through the SDK
 * (pkg/resource/deploy/step_executor.go).
 */
export function engineSecrets(outputs: Record<string, unknown>, inputs: Record<string, unknown> | undefined, additionalSecretOutputs: string[]): Record<string, unknown> {
    const annotate = (outs: Record<string, unknown>, ins: Record<string, unknown>): Record<string, unknown> => {
        const result = { ...outs };
        for (const [key, inValue] of Object.entries(ins)) {
            if (!(key in outs)) continue;
            const outValue = outs[key];
            if (isPlainObject(outValue) && isPlainObject(inValue)) result[key] = annotate(outValue, inValue);
            else if (containsSecrets(inValue)) result[key] = markSecret(outValue);
        }
        return result;
    };
    const result = inputs ? annotate(outputs, inputs) : { ...outputs };
    for (const key of additionalSecretOutputs) if (key !== "id" && key in result) result[key] = markSecret(result[key]);
    return result;
}

/**
 * Values that grant access to the cluster but that their provider does not mark secret, so a real
 * state holds them in clear: the plan records them secret all the same (never in a plan or a manifest).
 * - eks.Cluster's `kubeconfig`/`kubeconfigJson` (pulumi/pulumi-eks@v4.3.0: plain in
 *   provider/cmd/pulumi-resource-eks/schema.json and nodejs/eks/cluster/cluster.ts 2166), and the CA
 *   bundle inside its `eksCluster` output: really a reference to the aws.eks.Cluster (a plan shows its
 *   URN), the emulator gives its outputs, and that bundle is the kubeconfig's certificate data.
 * - the Kubernetes provider's `kubeconfig` input (and the output the engine echoes): a credential.
 * Paths are property paths in the recorded inputs or outputs.
 */
export const CREDENTIALS: Record<string, { inputs?: string[][]; outputs?: string[][] }> = {
    "eks:index:Cluster": { outputs: [["kubeconfig"], ["kubeconfigJson"], ["eksCluster", "certificateAuthority"]] },
    "pulumi:providers:kubernetes": { inputs: [["kubeconfig"]], outputs: [["kubeconfig"]] },
};

/** `value` with the property at `path` marked secret (unchanged if absent). */
function markAt(value: Record<string, unknown>, path: string[]): Record<string, unknown> {
    const [key, ...rest] = path;
    if (!(key in value)) return value;
    const inner = value[key];
    if (rest.length === 0) return { ...value, [key]: markSecret(inner) };
    return isPlainObject(inner) ? { ...value, [key]: markAt(inner, rest) } : value;
}

export function markCredentials(type: string, kind: "inputs" | "outputs", value: Record<string, unknown>): Record<string, unknown> {
    return (CREDENTIALS[type]?.[kind] ?? []).reduce(markAt, value);
}

/** A refused registration or read as the engine reports it: the resource, then the cloud's reason. */
const refusal = (type: string, name: string, err: unknown) => new Error(`${type} "${name}": ${err instanceof Error ? err.message : String(err)}`);

class RecordingMonitor extends MockMonitor {
    readonly recorded = new Map<string, RecordedResource>();
    readonly reads: RecordedRead[] = [];
    /**
     * Registrations and reads the cloud refused. The engine fails the update on the first one, whether or
     * not the program awaits the resource's outputs; under mocks the refusal only rejects those outputs,
     * which nothing may observe (the rejection then surfaces after the run, or never).
     */
    readonly refused: Error[] = [];

    override async readResource(req: ReadRequest, callback: (err: unknown, res: ReadResponse | undefined) => void) {
        await super.readResource(req, (err, res) => {
            if (err) this.refused.push(refusal(req.getType(), req.getName(), err));
            if (!err && res) {
                const outputs = engineSecrets(res.getProperties()?.toJavaScript() ?? {}, undefined, req.getAdditionalsecretoutputsList());
                res.setProperties(StructMessage.fromJavaScript(outputs));
                this.reads.push({
                    urn: res.getUrn(), type: req.getType(), name: req.getName(), parent: req.getParent() || undefined,
                    id: req.getId(), dependencies: [...new Set(req.getDependenciesList())].sort(), outputs: markCredentials(req.getType(), "outputs", outputs),
                });
            }
            callback(err, res);
        });
    }

    override async registerResource(req: RegisterRequest, callback: (err: unknown, res: RegisterResponse | undefined) => void) {
        await super.registerResource(req, (err, res) => {
            if (err) this.refused.push(refusal(req.getType(), req.getName(), err));
            if (!err && res) {
                const urn = res.getUrn();
                const inputs = req.getObject()?.toJavaScript() ?? {};
                // The program sees outputs as the engine returns them (secret where it marks them);
                // the record also marks the credentials no provider marks (CREDENTIALS).
                const outputs = engineSecrets(res.getObject()?.toJavaScript() ?? {}, req.getCustom() ? inputs : undefined, req.getAdditionalsecretoutputsList?.() ?? []);
                res.setObject(StructMessage.fromJavaScript(outputs));
                const type = req.getType();
                const recordedInputs = markCredentials(type, "inputs", inputs);
                this.recorded.set(urn, {
                    urn,
                    type,
                    name: req.getName(),
                    parent: req.getParent() || undefined,
                    provider: req.getProvider() ? req.getProvider().replace(/::[^:]*$/, "") : undefined,
                    custom: req.getCustom(),
                    inputs: recordedInputs,
                    outputs: markCredentials(type, "outputs", engineSecrets(outputs, req.getCustom() ? recordedInputs : undefined, [])),
                    options: updateOptions(req),
                    dependencies: [...new Set(req.getDependenciesList())].sort(),
                });
            }
            callback(err, res);
        });
    }

    override registerResourceOutputs(req: OutputsRequest, callback: (err: unknown, res: unknown) => void) {
        const recorded = this.recorded.get(req.getUrn());
        if (recorded) recorded.outputs = markCredentials(recorded.type, "outputs", req.getOutputs()?.toJavaScript() ?? {});
        super.registerResourceOutputs(req, callback);
    }
}

export interface EngineOptions {
    project: string;
    stack: string;
    stackFile: StackFile;
    /** The project root: image build contexts are read from it. */
    projectRoot: string;
    accountId?: string;
    /** Outputs of the stack's previous update (blue/green reads which colour is live from them). */
    previousOutputs?: Record<string, unknown>;
    /** The account's IAM OIDC providers before the run (`delivery.oidcProviders: lookup` finds them); default: none. */
    oidcProviders?: AccountOidcProvider[];
    /** The ECR registry the run pushes to and looks images up in (it is changed in place); default: an empty one. */
    registry?: EmulatedRegistry;
    /** The cluster's live objects, for reads (`Resource.get`); default: none. */
    liveObjects?: KubernetesObject[];
    /** Run as `pulumi preview` does (`pulumi.runtime.isDryRun()`); default: an update. */
    preview?: boolean;
}

export interface RunOptions extends Omit<EngineOptions, "projectRoot"> {
    /** The program's entry module (index.ts): required afresh for every run. */
    program: string;
}

/**
 * For the offline CLIs, which print messages and never stack traces: Pulumi captures a stack trace for
 * every promise it tracks (for its leak report) and every resource, and with tsx's source maps each
 * capture is mapped. Without both, large plans run about twice as fast. Resource call sites are
 * unaffected (Pulumi lifts the limit for them).
 */
export function withoutDebugStackTraces(): void {
    process.setSourceMapsEnabled(false);
    Error.stackTraceLimit = 0;
}

/** The project's own modules: dropped from the require cache so each run executes the program anew. */
function forgetProjectModules(root: string) {
    for (const id of Object.keys(require.cache)) {
        if (id.startsWith(root) && !id.includes(`${path.sep}node_modules${path.sep}`)) delete require.cache[id];
    }
}

/**
 * Runs `body` as a Pulumi program against the emulated cloud, recording every registration. Shared
 * by the plan (body = the real program) and the benchmark's baseline (body = a bare replay).
 */
export async function runEmulated(options: EngineOptions, body: () => Promise<unknown>): Promise<ProgramRun> {
    const region = String(options.stackFile.values["aws:region"] ?? "us-east-1");
    const accountId = options.accountId ?? EMULATED_ACCOUNT_ID;
    const cloud = new EmulatedCloud({ region, accountId, projectRoot: options.projectRoot, previousOutputs: options.previousOutputs, registry: options.registry, liveObjects: options.liveObjects, oidcProviders: options.oidcProviders });

    pulumi.runtime.setAllConfig(toRuntimeConfig(options.stackFile.values), options.stackFile.secretKeys);
    // "organization" is what self-managed backends and personal accounts report.
    await pulumi.runtime.setMocks(cloud, options.project, options.stack, options.preview === true, "organization");
    const monitor = new RecordingMonitor(cloud);
    pulumi.runtime.setMockOptions(monitor, options.project, options.stack, options.preview === true, "organization");
    // A failure inside an apply (a read of a missing object, say) reaches no caller, and the registrations
    // waiting on it never end: the language host fails the program on the first unhandled rejection
    // (@pulumi/pulumi cmd/run/run.js uncaughtHandler), and so does this run, instead of waiting forever.
    let fail: (reason: unknown) => void = () => {};
    const failed = new Promise<never>((_, reject) => { fail = reject; });
    const running = (async () => {
        try {
            await pulumi.runtime.runInPulumiStack(body);
        } finally {
            await pulumi.runtime.disconnect();
        }
    })();
    for (const p of [failed, running]) p.catch(() => undefined); // whichever loses the race is not unhandled
    process.on("unhandledRejection", fail);
    try {
        await Promise.race([running, failed]);
    } finally {
        // A refused resource's outputs reject once nothing else is pending: let that pass under the handler.
        if (monitor.refused.length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
        process.off("unhandledRejection", fail);
    }
    if (monitor.refused.length > 0) throw monitor.refused[0];

    const resources = [...monitor.recorded.values()];
    const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack");
    return {
        project: options.project,
        stack: options.stack,
        region,
        accountId,
        resources,
        outputs: stack?.outputs ?? {},
        invokes: [...cloud.invokes.values()].reduce((a, b) => a + b, 0),
        invokesByToken: Object.fromEntries([...cloud.invokes].sort()),
        reads: monitor.reads,
    };
}

/** Runs the real program (index.ts) offline. */
export function runProgram(options: RunOptions): Promise<ProgramRun> {
    const projectRoot = path.dirname(options.program);
    return runEmulated({ ...options, projectRoot }, async () => {
        forgetProjectModules(projectRoot);
        return require(options.program);
    });
}
