/**
 * `plan --against <dir|ref> [--markdown FILE]`: the flags, checked with the plan's other checks before
 * anything heavy loads (a stat, a `git rev-parse`, two `git cat-file`): nothing here loads the diff.
 */
import * as fs from "fs";
import * as path from "path";
import { InputError, quoted, readText } from "../../../config/safeRead";
import { realPath } from "../outDir";
import { Against, AgainstError, refHasStack, resolveAgainst } from "./against";

export interface DiffFlags {
    against: Against;
    /** The value given to --against, as the output names it. */
    againstValue: string;
    markdown?: string;
}

const within = (dir: string, p: string) => {
    const rel = path.relative(dir, p);
    return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
};

/**
 * A plan directory of another stack or project is no base to diff with (every resource would read as
 * removed and added): InputError naming both. Reads plan.json's two names (and Pulumi.yaml's `name:`).
 */
function otherPlanProblem(value: string, dir: string, stack: string, repoRoot: string): void {
    let planned: { project?: unknown; stack?: unknown };
    try {
        planned = JSON.parse(readText(path.join(dir, "plan.json"))) as typeof planned;
    } catch (err) {
        throw new InputError(`--against ${quoted(value)}: its plan.json cannot be read (${err instanceof InputError ? err.message : (err as Error).message})`);
    }
    if (planned.stack !== stack) {
        throw new InputError(`--against ${quoted(value)} is a plan of stack ${quoted(String(planned.stack))}, not ${quoted(stack)}: diff plans of the same stack`);
    }
    // Pulumi.yaml's top-level `name:` (a plain scalar in this repository): the project every plan names.
    let project: string | undefined;
    try {
        project = /^name:\s*["']?([^"'#\s]+)/m.exec(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8"))?.[1];
    } catch { /* no Pulumi.yaml: the program's own check reports it */ }
    if (project !== undefined && planned.project !== project) {
        throw new InputError(`--against ${quoted(value)} is a plan of project ${quoted(String(planned.project))}, not ${quoted(project)}`);
    }
}

/**
 * The diff's flags, checked: undefined without --against. Throws InputError (one line, naming the flag
 * and the value) for a bad --against, --markdown without --against, a --markdown FILE that is a
 * directory, inside the plan's --out directory, or in a directory that does not exist.
 */
export function checkDiffFlags(flags: { against?: string; markdown?: string }, out: string, stack: string, cwd: string, repoRoot: string): DiffFlags | undefined {
    if (flags.markdown !== undefined && flags.against === undefined) throw new InputError(`--markdown ${quoted(flags.markdown)} needs --against <dir|ref>: the comment is a diff`);
    if (flags.against === undefined) return undefined;
    let against: Against;
    try {
        against = resolveAgainst(flags.against, cwd, repoRoot);
        if (against.kind === "ref") refHasStack(repoRoot, flags.against, against.sha, stack);
    } catch (err) {
        if (err instanceof AgainstError) throw new InputError(err.message);
        throw err;
    }
    if (against.kind === "dir" && realPath(against.dir) === realPath(path.resolve(cwd, out))) {
        throw new InputError(`--against ${quoted(flags.against)} is the plan's own --out directory: the plan replaces it before the diff reads it`);
    }
    if (against.kind === "dir") otherPlanProblem(flags.against, against.dir, stack, repoRoot);
    if (flags.markdown !== undefined) {
        const file = path.resolve(cwd, flags.markdown);
        if (flags.markdown === "") throw new InputError(`--markdown "": name a file to write`);
        const stat = fs.statSync(file, { throwIfNoEntry: false });
        if (stat?.isDirectory()) throw new InputError(`--markdown ${quoted(flags.markdown)} is a directory: name a file`);
        if (stat && !stat.isFile()) throw new InputError(`--markdown ${quoted(flags.markdown)} is not a regular file`);
        if (within(realPath(path.resolve(cwd, out)), realPath(file))) {
            throw new InputError(`--markdown ${quoted(flags.markdown)} is inside the plan's --out directory ${quoted(out)}: the plan owns that directory; write the comment elsewhere`);
        }
        const parent = fs.statSync(path.dirname(file), { throwIfNoEntry: false });
        if (!parent?.isDirectory()) throw new InputError(`--markdown ${quoted(flags.markdown)}: its directory does not exist`);
    }
    return { against, againstValue: flags.against, ...(flags.markdown !== undefined ? { markdown: flags.markdown } : {}) };
}
