/**
 * Values a preview cannot know, as policies meet them: the engine's sentinel strings, and a guarded view
 * of a resource's properties that throws `UnknownValue` where a policy touches one.
 */
import type { Finding } from "./framework";

/**
 * The sentinels the engine sends for values a preview cannot know, one per type
 * (pulumi/pulumi@v3.248.0:sdk/go/common/resource/plugin/rpc.go:52-73; the same strings in
 * pulumi/pulumi-policy@v1.21.0 proxy.ts, and `unknownValue` of @pulumi/pulumi's runtime is the string one).
 */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string (also any unknown output)
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
    "030794c1-ac77-496b-92df-f27374a8bd58", // asset
    "e48ece36-62e2-4504-bad9-02848725956a", // archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

export function isUnknown(value: unknown): boolean {
    return typeof value === "string" && UNKNOWN_SENTINELS.has(value);
}

/** Thrown when a policy touches a value a preview cannot know; caught where the policy can skip that part. */
export class UnknownValue extends Error {
    constructor(readonly sentinel: string, readonly path: PropertyKey[]) {
        super(`.${path.map(String).join(".")} can't be known during preview`);
        this.name = "UnknownValue";
    }
}

/** The value of `read()`, or `fallback` when it touches an unknown value. */
export function known<T>(read: () => T, fallback: T): T {
    try {
        return read();
    } catch (err) {
        if (err instanceof UnknownValue) return fallback;
        throw err;
    }
}

/** Judges each item; an item whose judgement touches an unknown value is skipped, the others are judged. */
export function eachKnown<T>(items: readonly T[], judge: (item: T) => Finding[]): Finding[] {
    return items.flatMap((item) => known(() => judge(item), []));
}

/** Does a value hold an unknown anywhere? */
export function containsUnknown(value: unknown): boolean {
    if (isUnknown(value)) return true;
    if (value === null || typeof value !== "object") return false;
    return Object.values(value).some(containsUnknown);
}

const guards = new WeakMap<object, object>();
const views = new WeakSet<object>();

/** A read-only view of `value` that throws UnknownValue where it holds an unknown (same view for the same object). */
export function guard<T>(value: T, path: PropertyKey[]): T {
    if (value === null || typeof value !== "object") return value;
    const cached = guards.get(value as object);
    if (cached) return cached as T;
    const view = new Proxy(value as object, {
        get(target, prop, receiver) {
            const field = Reflect.get(target, prop, receiver);
            if (typeof prop === "symbol") return field;
            if (isUnknown(field)) throw new UnknownValue(field as string, [...path, prop]);
            // A Proxy must return non-configurable, read-only data properties as they are.
            const desc = Object.getOwnPropertyDescriptor(target, prop);
            if (desc && "value" in desc && !desc.configurable && !desc.writable) return field;
            return guard(field, [...path, prop]);
        },
    });
    guards.set(value as object, view);
    views.add(view);
    return view as T;
}

/** Is this one of the guarded views? */
export function isView(value: unknown): boolean {
    return typeof value === "object" && value !== null && views.has(value);
}

/** The known elements of a list: an unknown list is empty, unknown elements are left out. */
export function knownItems<T>(read: () => T[] | undefined | null): T[] {
    const list = known(read, undefined) ?? [];
    const items: T[] = [];
    for (let i = 0; i < list.length; i++) known(() => items.push(list[i]), 0);
    return items;
}
