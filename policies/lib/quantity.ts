/**
 * Kubernetes resource quantities ("250m", "512Mi", "1.5", "2e3"), parsed the way the API server
 * does, so config validation, capacity maths and policies agree on what a value means.
 */

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const SUFFIX_FACTOR: Record<string, number> = {
    n: 1e-9, u: 1e-6, m: 1e-3, "": 1,
    k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** True when `value` is a syntactically valid Kubernetes quantity. */
export function isQuantity(value: string): boolean {
    return QUANTITY.test(value);
}

/** The quantity's value in base units (cores for CPU, bytes for memory); throws on a non-quantity. */
export function parseQuantity(value: string | number): number {
    if (typeof value === "number") return value;
    const match = QUANTITY.exec(value);
    if (!match) throw new Error(`"${value}" is not a Kubernetes quantity`);
    const [, digits, suffix = ""] = match;
    const factor = SUFFIX_FACTOR[suffix] ?? 10 ** Number(suffix.slice(1));
    return Number(digits) * factor;
}

/** CPU quantity in millicores, rounded up as the scheduler does. */
export function cpuMillicores(value: string | number): number {
    return Math.ceil(parseQuantity(value) * 1000 - 1e-9);
}

/** Memory quantity in MiB (fractional MiB kept, callers round where they present). */
export function memoryMiB(value: string | number): number {
    return parseQuantity(value) / 2 ** 20;
}
