/**
 * `plan --against <dir|ref> [--markdown FILE]` once the plan's files are written: the other side read
 * (or planned, for a git ref), the diff, the comment written. The flags are checked before (./flags.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { planRef } from "./against";
import type { DiffFlags } from "./flags";
import { diffJson, diffPlans } from "./diff";
import { loadPlanDir } from "./load";
import { NO_STYLE, renderMarkdown, renderText, Style } from "./render";

export interface DiffRun {
    flags: DiffFlags;
    /** The plan directory just written, and how the output names it. */
    out: string;
    stack: string;
    today: string;
    repoRoot: string;
    json: boolean;
    style?: Style;
    progress?: (message: string) => void;
}

/**
 * Diffs the written plan against --against, writes the comment to --markdown and returns what stdout
 * gets: the text, or with `--json` the diff. AgainstError when the ref cannot be planned (`failed`: its plan failed).
 */
export async function diffAfterPlan(run: DiffRun): Promise<string> {
    const { flags } = run;
    let old;
    let notes: string[] = [];
    if (flags.against.kind === "dir") {
        run.progress?.(`reading ${flags.againstValue}`);
        old = loadPlanDir(flags.against.dir, flags.againstValue);
    } else {
        const planned = await planRef({ repoRoot: run.repoRoot, ref: flags.againstValue, sha: flags.against.sha, stack: run.stack, today: run.today, progress: run.progress });
        try {
            old = loadPlanDir(planned.dir, planned.label);
            notes = planned.notes;
        } finally {
            planned.cleanup();
        }
    }
    run.progress?.("comparing the plans");
    const diff = diffPlans(old, loadPlanDir(run.out, run.out));
    diff.notes.push(...notes);
    if (flags.markdown !== undefined) fs.writeFileSync(path.resolve(flags.markdown), renderMarkdown(diff));
    return run.json ? diffJson(diff) : renderText(diff, run.style ?? NO_STYLE);
}
