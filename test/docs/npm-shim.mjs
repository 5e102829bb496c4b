// `npm` as the docs test runs it (first on PATH in the scratch copy): the real npm ($DOCS_REAL_NPM) for
// every script, with three exceptions, each written to $DOCS_SHIM_LOG:
// - `npm ci` / `npm install` are not run: they would replace node_modules, which the scratch copy links to
//   the checkout's (the lockfile and node_modules must exist, else exit 1);
// - `npm test`, `npm run bench` and `npm run loadtest` are not run (the docs test is part of `npm test`;
//   the others take minutes): the script must exist in package.json, else exit 1 as npm does;
// - `npm run plan -- ARGS` is run once per distinct input: the plan is deterministic (same input,
//   byte-identical output), so a plan whose arguments (but --out) and whose repository files equal an
//   earlier one's gets that plan's files copied to its --out, its --registry file's result, its stdout and
//   its exit code. The cache lives in $DOCS_PLAN_CACHE, shared by the documents.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";

const argv = process.argv.slice(2);
const log = (entry) => process.env.DOCS_SHIM_LOG && appendFileSync(process.env.DOCS_SHIM_LOG, JSON.stringify({ tool: "npm", argv, cwd: process.cwd(), ...entry }) + "\n");
const realNpm = () => {
    const r = spawnSync(process.env.DOCS_REAL_NPM, argv, { stdio: "inherit" });
    process.exit(r.status ?? 1);
};

/** The package root npm would use: the nearest folder with a package.json. */
function packageRoot(dir) {
    for (let d = resolve(dir); ; d = resolve(d, "..")) {
        if (existsSync(join(d, "package.json"))) return d;
        if (d === resolve(d, "..")) return undefined;
    }
}

const flags = argv.filter((a) => a.startsWith("-"));
const words = argv.filter((a) => !a.startsWith("-"));
const root = packageRoot(process.cwd());
const scripts = root ? JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts ?? {} : {};

if (words[0] === "ci" || words[0] === "install" || words[0] === "i") {
    const ok = root && existsSync(join(root, "package-lock.json")) && (existsSync(join(root, "node_modules")) || existsSync(join(resolve(root, ".."), "node_modules")));
    log({ skipped: "install", problem: ok ? undefined : `no package-lock.json or node_modules in ${root}` });
    if (!ok) { process.stderr.write("npm (docs test): no package-lock.json or node_modules here\n"); process.exit(1); }
    process.stderr.write("npm (docs test): `npm ci` not run: node_modules is the checkout's\n");
    process.exit(0);
}
let script = words[0] === "test" || words[0] === "t" ? "test" : (words[0] === "run" || words[0] === "run-script") ? words[1] : undefined;
if (script === undefined) realNpm();
if (!(script in scripts)) {
    log({ problem: `no script ${script}` });
    process.stderr.write(`npm (docs test): Missing script: "${script}"\n`);
    process.exit(1);
}
if (["test", "bench", "loadtest"].includes(script)) {
    log({ skipped: script });
    process.stderr.write(`npm (docs test): \`npm ${script === "test" ? "test" : `run ${script}`}\` not run inside the docs test\n`);
    process.exit(0);
}
const dashdash = argv.indexOf("--");
const args = dashdash < 0 ? [] : argv.slice(dashdash + 1);
const uncached = ["--json", "--help", "-h", "--against", "--markdown"];
if (script !== "plan" || !process.env.DOCS_PLAN_CACHE || args.some((a) => uncached.includes(a.split("=")[0]))) realNpm();

// --- the plan cache ---
const valueOf = (name) => {
    for (let i = 0; i < args.length; i++) {
        if (args[i] === name) return args[i + 1];
        if (args[i].startsWith(name + "=")) return args[i].slice(name.length + 1);
    }
    return undefined;
};
const config = valueOf("--config");
const stack = valueOf("--stack") ?? (config && /^Pulumi\.([^.]+)\.ya?ml$/.exec(basename(config))?.[1]) ?? "dev";
const out = resolve(root, valueOf("--out") ?? join("out", stack));
const registry = valueOf("--registry") && resolve(root, valueOf("--registry"));
// The key: what the plan reads from its flags, with defaults made explicit (so `npm run plan` and
// `npm run plan -- --stack dev --out out/dev` are one plan); --out is where, not what.
const keyArgs = { stack, config: config && relative(root, resolve(root, config)), registry: registry && relative(root, registry), rest: [] };
for (let i = 0; i < args.length; i++) {
    const name = args[i].split("=")[0];
    if (["--out", "--stack", "--config", "--registry"].includes(name)) { if (!args[i].includes("=")) i++; continue; }
    keyArgs.rest.push(args[i]);
}
// Every file of the repository copy but what plans write (out/, plan folders, the registry file) and git's.
const hash = createHash("sha256").update(JSON.stringify(keyArgs));
const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
        const p = join(dir, name);
        const rel = relative(root, p);
        if (rel === ".git" || rel === "node_modules" || rel === "out" || p === registry) continue;
        const st = statSync(p, { throwIfNoEntry: false });
        if (!st) continue;
        if (st.isDirectory()) {
            if (existsSync(join(p, ".eks-delivery-plan")) || name === "node_modules") continue;
            walk(p);
        } else if (st.isFile()) hash.update(rel).update("\0").update(readFileSync(p)).update("\0");
    }
};
walk(root);
if (registry && existsSync(registry)) hash.update("registry\0").update(readFileSync(registry));
if (config && existsSync(resolve(root, config))) hash.update("config\0").update(readFileSync(resolve(root, config)));
const key = hash.digest("hex").slice(0, 24);
const cache = join(process.env.DOCS_PLAN_CACHE, key);
const lock = cache + ".lock";

function replay() {
    const meta = JSON.parse(readFileSync(join(cache, "meta.json"), "utf8"));
    if (meta.wroteOut) {
        if (existsSync(out) && !existsSync(join(out, ".eks-delivery-plan"))) return false; // the real plan would judge it
        rmSync(out, { recursive: true, force: true });
        cpSync(join(cache, "out"), out, { recursive: true });
    }
    if (registry && meta.registry) writeFileSync(registry, readFileSync(join(cache, "registry.json")));
    process.stdout.write(meta.stdout.split("\u0000OUT\u0000").join(relative(process.cwd(), out) || "."));
    process.stderr.write(meta.stderr);
    log({ cached: key, status: meta.status });
    process.exit(meta.status);
}

if (existsSync(join(cache, "meta.json"))) replay();
let mine = false;
try { mkdirSync(lock); mine = true; } catch { /* another document is planning the same input */ }
if (!mine) {
    const until = Date.now() + 10 * 60_000;
    while (!existsSync(join(cache, "meta.json")) && existsSync(lock) && Date.now() < until) spawnSync("sleep", ["0.3"]);
    if (existsSync(join(cache, "meta.json"))) replay();
}
const started = Date.now();
const r = spawnSync(process.env.DOCS_REAL_NPM, argv, { encoding: "utf8", maxBuffer: 1 << 28 });
process.stdout.write(r.stdout ?? "");
process.stderr.write(r.stderr ?? "");
if (mine) {
    mkdirSync(cache, { recursive: true });
    const wroteOut = existsSync(join(out, ".eks-delivery-plan"));
    if (wroteOut) cpSync(out, join(cache, "out"), { recursive: true });
    const hasRegistry = registry && existsSync(registry);
    if (hasRegistry) writeFileSync(join(cache, "registry.json"), readFileSync(registry));
    const outShown = relative(process.cwd(), out) || ".";
    const meta = { status: r.status ?? 1, stdout: (r.stdout ?? "").split(out).join("\u0000OUT\u0000").split(outShown).join("\u0000OUT\u0000"), stderr: r.stderr ?? "", wroteOut, registry: !!hasRegistry, ms: Date.now() - started };
    writeFileSync(join(cache, "meta.json"), JSON.stringify(meta));
    rmSync(lock, { recursive: true, force: true });
}
log({ planned: key, status: r.status, ms: Date.now() - started });
process.exit(r.status ?? 1);
