/**
 * The plan's output directory (`--out DIR`): the plan writes only into a directory it created, which a
 * marker file tells, and replaces only the files it wrote there (listed in the marker). Anything else in
 * DIR, or DIR itself when it is somebody else's, is never touched.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const MARKER = ".eks-delivery-plan";
const WRITTEN_BY = "npm run plan (eks-delivery)";
/** The only names the plan writes: a marker listing anything else is not one the plan wrote. */
const OWN_FILE = /^(plan\.json|capacity\.json|cost\.json|policy-report\.json|graph\.mmd|manifests\/[^/\\]+\.yaml)$/;

export interface OutContext {
    cwd: string;
    projectRoot: string;
    home: string;
}

export function outContext(projectRoot: string): OutContext {
    return { cwd: process.cwd(), projectRoot, home: os.homedir() };
}

/** The path with symlinks resolved as far as it exists (so a link to the repository is the repository). */
export function realPath(p: string): string {
    const missing: string[] = [];
    let existing = path.resolve(p);
    for (;;) {
        try {
            return path.join(fs.realpathSync(existing), ...missing.reverse());
        } catch {
            const parent = path.dirname(existing);
            if (parent === existing) return path.resolve(p);
            missing.push(path.basename(existing));
            existing = parent;
        }
    }
}

function isAncestor(dir: string, of: string): boolean {
    const relative = path.relative(dir, of);
    return relative !== "" && !/^\.\.(\/|\\|$)/.test(relative) && !path.isAbsolute(relative);
}

/** The files a plan directory's marker lists, or a reason it is not one the plan wrote. */
function readMarker(dir: string): { files: string[] } | { problem: string } {
    const file = path.join(dir, MARKER);
    let text: string;
    try {
        if (!fs.lstatSync(file).isFile()) return { problem: `its ${MARKER} is not a file` };
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        return { problem: `its ${MARKER} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
    }
    try {
        const marker = JSON.parse(text) as { writtenBy?: unknown; files?: unknown };
        if (marker.writtenBy === WRITTEN_BY && Array.isArray(marker.files) && marker.files.every((f) => typeof f === "string" && OWN_FILE.test(f))) {
            return { files: marker.files as string[] };
        }
    } catch { /* not JSON: the problem below */ }
    return { problem: `its ${MARKER} is not one the plan wrote` };
}

/**
 * Why the plan must not write to `out`, or undefined if it may: never the filesystem root, the current
 * directory, the repository, the home directory or any of their ancestors; an existing directory only if
 * it is empty (nothing in it to lose) or the plan created it (its marker says so).
 */
export function outDirProblem(out: string, context: OutContext): string | undefined {
    const target = realPath(path.resolve(context.cwd, out));
    const guarded: Array<[string, string]> = [
        [context.projectRoot, "the repository root"], [context.home, "the home directory"], [context.cwd, "the current directory"],
    ];
    if (path.parse(target).root === target) return "is the filesystem root";
    for (const [dir, name] of guarded) {
        const real = realPath(dir);
        if (target === real) return `is ${name}`;
        if (isAncestor(target, real)) return `contains ${name}`;
    }
    let stat: fs.Stats;
    try {
        stat = fs.statSync(target);
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "ENOENT") return `cannot be used (${code === "ENOTDIR" ? "a part of the path is not a directory" : code ?? (err as Error).message})`;
        // A new directory: the plan creates it, under the nearest existing directory, which must be one.
        let parent = path.dirname(target);
        while (!fs.existsSync(parent)) parent = path.dirname(parent);
        return fs.statSync(parent).isDirectory() ? undefined : `cannot be used (${parent} is not a directory)`;
    }
    if (!stat.isDirectory()) return "is not a directory";
    let entries: string[];
    try {
        entries = fs.readdirSync(target);
    } catch (err) {
        return `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    }
    if (entries.length === 0) return undefined;
    if (!entries.includes(MARKER)) {
        // Plans before the marker existed wrote exactly these files: such a directory is the plan's.
        if (legacyFiles(target)) return undefined;
        return `is an existing directory the plan did not create (no ${MARKER} in it)`;
    }
    const marker = readMarker(target);
    return "problem" in marker ? `is not the plan's: ${marker.problem}` : undefined;
}

/**
 * The files of a directory an earlier plan (before the marker) wrote: plan.json, capacity.json,
 * policy-report.json and manifests/*.yaml, regular files only and nothing else; undefined otherwise.
 */
function legacyFiles(dir: string): string[] | undefined {
    const files: string[] = [];
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory() && entry.name === "manifests") {
            for (const manifest of fs.readdirSync(path.join(dir, entry.name), { withFileTypes: true })) {
                const file = `manifests/${manifest.name}`;
                if (!manifest.isFile() || !OWN_FILE.test(file)) return undefined;
                files.push(file);
            }
        } else if (entry.isFile() && OWN_FILE.test(entry.name)) {
            files.push(entry.name);
        } else {
            return undefined;
        }
    }
    return files.includes("plan.json") ? files : undefined;
}

/**
 * Writes `files` (paths relative to `out`) into the plan directory `out`: removes the files the previous
 * plan wrote there (its marker's list), writes the new marker, then the files. Returns a problem instead
 * of writing anything when the directory is not the plan's or a file to write is somebody else's.
 */
export function writeOwned(out: string, files: Array<{ file: string; content: string }>, context: OutContext): string | undefined {
    const problem = outDirProblem(out, context);
    if (problem) return problem;
    const dir = path.resolve(context.cwd, out);
    const previous = fs.existsSync(path.join(dir, MARKER)) ? (readMarker(dir) as { files: string[] }).files
        : fs.existsSync(dir) ? legacyFiles(dir) ?? [] : [];
    const owned = new Set(previous);
    for (const { file } of files) {
        if (!OWN_FILE.test(file)) throw new Error(`the plan does not write ${file}`);
    }
    const manifests = path.join(dir, "manifests");
    const manifestsStat = fs.lstatSync(manifests, { throwIfNoEntry: false });
    if (manifestsStat && !manifestsStat.isDirectory()) return `has a manifests that is not a directory the plan made`;
    for (const { file } of files) {
        if (!owned.has(file) && fs.lstatSync(path.join(dir, file), { throwIfNoEntry: false })) return `has ${file}, which the plan did not write`;
    }
    // Links are removed, not followed: what the plan replaces is the entry it wrote.
    for (const file of [...previous, MARKER]) fs.rmSync(path.join(dir, file), { force: true });
    fs.mkdirSync(manifests, { recursive: true });
    if (!fs.lstatSync(manifests).isDirectory()) return "has a manifests that is not a directory the plan made";
    // Every file is created anew ("wx": O_CREAT|O_EXCL, which also refuses a symlink): one that
    // appeared between the checks above and the write (a link planted meanwhile) is never written through.
    // The marker comes last and lists only what was created, so a later run never removes the stranger.
    const created: string[] = [];
    let failure: string | undefined;
    for (const { file, content } of files) {
        try {
            fs.writeFileSync(path.join(dir, file), content, { flag: "wx" });
            created.push(file);
        } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            failure = code === "EEXIST" ? `has ${file}, which appeared while the plan was writing (left as it is)` : `could not be written (${file}: ${code ?? (err as Error).message})`;
            break;
        }
    }
    fs.writeFileSync(path.join(dir, MARKER), `${JSON.stringify({ writtenBy: WRITTEN_BY, files: created.sort() }, null, 2)}\n`);
    if (failure) return `${failure}: partly written, ${created.length} of ${files.length} files`;
    return undefined;
}
