import * as pulumi from "@pulumi/pulumi";

/**
 * Bad stack configuration: one located problem per line. It is a `RunError` so that `pulumi up`
 * prints the problems without a stack trace, and the offline tools catch it to exit with code 2.
 */
export class StackConfigError extends pulumi.RunError {
    constructor(readonly problems: string[], readonly file?: string) {
        super((file ? `invalid stack configuration in ${file}:\n  ` : "invalid stack configuration:\n  ")
            + problems.join("\n  "));
        this.name = "StackConfigError";
    }
}

/** Renders a bad value the way the user wrote it: strings quoted, everything else as compact JSON. */
export function showValue(value: unknown): string {
    if (value === undefined) return "(missing)";
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
