/**
 * The one rule for every command's path flags: a relative path is relative to the folder the caller
 * typed it in. `npm run <script>` runs in the package's folder, not there: npm says where it was
 * started in INIT_CWD ("the full path you were in when you ran `npm run`") and which script it runs in
 * npm_lifecycle_event (npm@11.19.1 docs/content/using-npm/scripts.md, "Working Directory for Scripts" and
 * "Environment"). The rule applies only when npm runs this command's own script (or `eks-delivery`): a
 * test's child process inherits `npm test`'s variables, whose INIT_CWD is not its folder. Otherwise the
 * current directory.
 */
import * as path from "path";

/** The folder relative paths are resolved against, for `command` (`plan`, `policy`, ...). */
export function callerDir(command: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
    const event = env.npm_lifecycle_event;
    const ours = event === command || event === "eks-delivery";
    return ours && env.INIT_CWD && path.isAbsolute(env.INIT_CWD) ? env.INIT_CWD : cwd;
}

/**
 * `p` as the caller meant it, written the shortest clear way: relative to the current directory when
 * inside it, else absolute. An absolute or empty path is kept as it is (the command refuses "").
 */
export function callerPath(p: string, command: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
    const dir = callerDir(command, env, cwd);
    if (p === "" || path.isAbsolute(p) || dir === cwd) return p;
    const full = path.resolve(dir, p);
    const inside = path.relative(cwd, full);
    return inside === "" ? "." : inside.startsWith("..") || path.isAbsolute(inside) ? full : inside;
}
