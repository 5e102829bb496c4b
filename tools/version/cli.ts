/**
 * `npm run version -- [--repo DIR] [--title "PR title"] [--json]`
 * Prints HEAD's release version (`v5.3.25-5e15f0a`). Exit 0; 2 bad arguments or not a git repository.
 */
import { parseArgs } from "util";
import { GitError, versionOf } from "../../apps/version";

const USAGE = 'usage: npm run version -- [--repo DIR] [--title "PR title"] [--json]';

function fail(message: string): never {
    process.stderr.write(`version: ${message}\n${USAGE}\n`);
    process.exit(2);
}

let args;
try {
    args = parseArgs({
        args: process.argv.slice(2),
        options: { repo: { type: "string", default: "." }, title: { type: "string" }, json: { type: "boolean", default: false } },
        strict: true,
        allowPositionals: false,
    }).values;
} catch (err) {
    fail((err as Error).message);
}

try {
    const result = versionOf(args.repo!, args.title);
    process.stdout.write(args.json ? `${JSON.stringify(result)}\n` : `${result.version}\n`);
} catch (err) {
    if (err instanceof GitError) fail(err.message);
    throw err;
}
