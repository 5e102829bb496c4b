/**
 * The Polaris and Kyverno fixtures the conformance suite compares the pack against. They are a corpus
 * from outside the repository (`shared/conformance` beside it on the project's machines; the GitHub
 * workflow checks out CONFORMANCE_REPOSITORY and sets EKS_DELIVERY_CONFORMANCE), so they are read only
 * here and only by `npm run conformance`, never by `npm test` or the program.
 */
import * as fs from "fs";
import * as path from "path";

export const CONFORMANCE_ENV = "EKS_DELIVERY_CONFORMANCE";

/** `$EKS_DELIVERY_CONFORMANCE`, else `../shared/conformance` beside the repository root. */
export function conformanceRoot(): string {
    return process.env[CONFORMANCE_ENV] ?? path.resolve(__dirname, "..", "..", "..", "shared", "conformance");
}

/** What is missing from the corpus folder, or undefined when both fixture sets are there. */
export function corpusProblem(root = conformanceRoot()): string | undefined {
    for (const part of ["polaris/INDEX.tsv", "kyverno"]) {
        if (!fs.existsSync(path.join(root, part))) {
            return `conformance corpus not found: ${path.join(root, part)} is missing ` +
                `(put shared/conformance beside the repository, or set ${CONFORMANCE_ENV} to its folder)`;
        }
    }
    return undefined;
}
