/**
 * The plan diff as a person reads it: text for a terminal, and markdown for a pull request comment.
 * Every value comes from the plans, that is from a pull request's code: in markdown it is shown only
 * inside code (a code span or a fenced block, never raw), so it cannot inject HTML, markdown, links or
 * @mentions (GitHub's mention and reference filters skip code: html-pipeline's IGNORE_PARENTS).
 */
import type { ChangedResource, ExemptionEntry, FieldChange, Finding, PlanDiff, UsdRange } from "./model";

// ---------------------------------------------------------------------------------------------------
// Values

/** A value on one line: JSON for anything but a plain string, control characters escaped, cut at `max`. */
export function showValue(value: unknown, max = 120): string {
    if (value === undefined) return "(absent)";
    const raw = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
    const line = raw.replace(/[\x00-\x1f\x7f\u2028\u2029]/g, (c) => (c === "\n" ? "\\n" : c === "\t" ? "\\t" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
    return line.length > max ? `${line.slice(0, max)}… (${line.length} characters)` : line;
}

const signed = (n: number, unit = "") => `${n > 0 ? "+" : n < 0 ? "−" : "±"}${Math.abs(n)}${unit}`;
// Amounts as plain numbers under a "USD/month" heading: two `$` on a line of GitHub markdown read as
// inline math ($...$), and the text output says the same.
const money = (n: number) => n.toFixed(2);
const moneyDelta = (n: number) => `${n > 0 ? "+" : n < 0 ? "−" : "±"}${Math.abs(n).toFixed(2)}`;
const rangeText = (r: UsdRange) => (r.min === r.max ? money(r.min) : `${money(r.min)} to ${money(r.max)}`);
const rangeDelta = (r: UsdRange) => `${moneyDelta(r.min)} at minimum, ${moneyDelta(r.max)} at peak`;
/** The total's change, or why there is none: figures from cost.json and from capacity.json count different items. */
const costChange = (c: PlanDiff["cost"]) => (c.comparable ? rangeDelta(c.delta) : `not comparable: old from ${c.source.old}, new from ${c.source.new}`);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** `N resources roll to the new release vX → vY`, the version strings shown by `show`. */
const rollLine = (diff: PlanDiff, show: (t: string) => string) =>
    `${plural(diff.summary.rolled, "resource")} ${diff.summary.rolled === 1 ? "rolls" : "roll"} to the new release ${show(diff.release!.old)} → ${show(diff.release!.new)}`;

function fieldLine(f: FieldChange): string {
    if (f.secret) return `${f.path || "(the whole value)"}: [secret] (may have changed)`;
    const replaces = f.replaces ? "  (forces replacement: replaceOnChanges)" : "";
    if (!("old" in f)) return `${f.path}: + ${showValue(f.new)}${replaces}`;
    if (!("new" in f)) return `${f.path}: − ${showValue(f.old)}${replaces}`;
    return `${f.path}: ${showValue(f.old)} → ${showValue(f.new)}${replaces}`;
}

const findingLine = (f: Finding) => `${f.policy} [${f.enforcementLevel}] ${f.message}${f.urn ? ` (${f.urn})` : ""}`;
const exemptionLine = (e: ExemptionEntry) => `${e.policy} on ${e.kind ? `${e.kind} ${e.namespace ? `${e.namespace}/` : ""}${e.name ?? "?"}` : e.urn ?? "?"}: ${JSON.stringify(e.reason)}`;

// ---------------------------------------------------------------------------------------------------
// Text

/** How the text output colours itself: identity functions when colour is off. */
export interface Style {
    bold(s: string): string;
    green(s: string): string;
    red(s: string): string;
    yellow(s: string): string;
    dim(s: string): string;
}
const plain = (s: string) => s;
export const NO_STYLE: Style = { bold: plain, green: plain, red: plain, yellow: plain, dim: plain };

/** Fields and diff lines shown per resource in text: `--json` has everything. */
const TEXT_FIELDS = 40;
const TEXT_DIFF_LINES = 60;

export function renderText(diff: PlanDiff, style: Style = NO_STYLE): string {
    const s = diff.summary;
    const lines: string[] = [];
    const safe = (t: string) => showValue(t, 400);
    lines.push(style.bold(`Plan diff for ${diff.project}/${diff.stack}: ${safe(diff.old.label)} → ${safe(diff.new.label)}`));
    lines.push(`Resources: ${style.green(`${s.added} to add`)}, ${style.yellow(`${s.changed} to change`)} (${s.renamed} renamed, ${s.replaced} replaced), ${style.red(`${s.removed} to remove`)}, ${s.unchanged} unchanged`);
    if (s.rolled) lines.push(`  and ${rollLine(diff, safe)} (image and version label only)`);
    const c = diff.cost;
    lines.push(`Cost (USD/month): ${rangeText(c.old)} → ${rangeText(c.new)} (${costChange(c)})`);
    const cap = diff.capacity;
    const { peak, capacity } = cap.new;
    lines.push(`Capacity at peak: CPU ${peak.cpuMillicores}m of ${capacity.cpuMillicores}m, memory ${peak.memoryMiB}Mi of ${capacity.memoryMiB}Mi, pods ${peak.pods} of ${capacity.pods}: ${cap.new.fits ? "fits" : style.red("DOES NOT FIT")}` +
        `${cap.old.fits !== cap.new.fits ? ` (was: ${cap.old.fits ? "fits" : "does not fit"})` : ""}`);
    lines.push(`  change: peak CPU ${signed(cap.delta.peak.cpuMillicores, "m")}, memory ${signed(cap.delta.peak.memoryMiB, "Mi")}, pods ${signed(cap.delta.peak.pods)}; ` +
        `capacity CPU ${signed(cap.delta.capacity.cpuMillicores, "m")}, memory ${signed(cap.delta.capacity.memoryMiB, "Mi")}, pods ${signed(cap.delta.capacity.pods)}`);
    lines.push(`Policies: ${s.newViolations} new violation${s.newViolations === 1 ? "" : "s"}, ${s.resolvedViolations} resolved`);
    for (const f of diff.policy.newViolations) lines.push(style.red(`  + ${safe(findingLine(f))}`));
    for (const f of diff.policy.resolvedViolations) lines.push(style.green(`  − ${safe(findingLine(f))}`));
    for (const e of diff.policy.exemptionsAdded) lines.push(`  exemption added: ${safe(exemptionLine(e))}`);
    for (const e of diff.policy.exemptionsRemoved) lines.push(`  exemption removed: ${safe(exemptionLine(e))}`);
    if (c.items.length) {
        lines.push("", "Cost items that change (USD/month):");
        for (const i of c.items) lines.push(`  ${safe(i.label)}: ${i.old ? rangeText(i.old) : "(none)"} → ${i.new ? rangeText(i.new) : "(none)"} (${rangeDelta(i.delta)})`);
    }
    if (diff.resources.added.length) {
        lines.push("", "To add:");
        for (const r of diff.resources.added) lines.push(style.green(`  + ${safe(r.type)} ${safe(r.name)}`));
    }
    if (diff.resources.removed.length) {
        lines.push("", "To remove:");
        for (const r of diff.resources.removed) lines.push(style.red(`  − ${safe(r.type)} ${safe(r.name)}`));
    }
    const changed = diff.resources.changed.filter((r) => !r.releaseOnly);
    if (changed.length) {
        lines.push("", "To change:");
        for (const r of changed) {
            const how = r.replaceOnChanges.length ? style.red(" (replaced)") : "";
            lines.push(style.yellow(`  ~ ${safe(r.type)} ${safe(r.name)}`) + how + (r.renamedFrom ? style.dim(` (renamed from ${safe(r.renamedFrom)})`) : ""));
            const fields = [...r.inputs.map((f) => ["inputs", f] as const), ...r.options.map((f) => ["options", f] as const)];
            for (const [where, f] of fields.slice(0, TEXT_FIELDS)) lines.push(`      ${where}.${fieldLine(f)}`);
            if (fields.length > TEXT_FIELDS) lines.push(style.dim(`      … ${fields.length - TEXT_FIELDS} more fields (--json has them all)`));
            if (r.manifest) {
                const patch = r.manifest.trimEnd().split("\n");
                for (const l of patch.slice(0, TEXT_DIFF_LINES)) {
                    const shown = `      ${showValue(l, 400)}`;
                    lines.push(l.startsWith("+") && !l.startsWith("+++") ? style.green(shown) : l.startsWith("-") && !l.startsWith("---") ? style.red(shown) : shown);
                }
                if (patch.length > TEXT_DIFF_LINES) lines.push(style.dim(`      … ${patch.length - TEXT_DIFF_LINES} more lines of the manifest diff (--json has it all)`));
            }
        }
    }
    if (s.rolled) {
        lines.push("", `Roll to the new release (${s.rolled}; --json has their fields):`);
        for (const r of diff.resources.changed.filter((x) => x.releaseOnly)) lines.push(style.dim(`  ~ ${safe(r.type)} ${safe(r.name)}`));
    }
    const outputs = diff.outputs.filter((f) => !f.release);
    if (outputs.length) {
        lines.push("", "Stack outputs:");
        for (const f of outputs) lines.push(`  ${fieldLine(f)}`);
    }
    const releaseOutputs = diff.outputs.length - outputs.length;
    if (releaseOutputs) lines.push("", `${plural(releaseOutputs, "stack output")} only ${releaseOutputs === 1 ? "carries" : "carry"} the new release (--json has ${releaseOutputs === 1 ? "it" : "them"}).`);
    if (diff.resources.secretsUnknown.length) {
        lines.push("", `Secrets that may have changed (redacted in both plans) in ${diff.resources.secretsUnknown.length} otherwise unchanged resource(s):`);
        for (const r of diff.resources.secretsUnknown) lines.push(`  ${safe(r.type)} ${safe(r.name)}: ${r.paths.map((p) => safe(p)).join(", ")}`);
    }
    lines.push("", ...diff.notes.map((n) => style.dim(`Note: ${safe(n)}`)));
    return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------------
// Markdown (the pull request comment)

/**
 * The comment's size limit. GitHub refuses a longer body: "Body is too long (maximum is 65536
 * characters)" (the REST API's 422 on POST /repos/{owner}/{repo}/issues/{n}/comments, quoted in
 * telia-oss/github-pr-resource#259; dead-claudia/github-limits: issue bodies, 65536 characters).
 * Counted here in UTF-8 bytes, which are never fewer than characters.
 */
export const GITHUB_COMMENT_LIMIT = 65536;
/**
 * One stack's part of the comment: the pull-request workflow posts every stack's part (dev and prod)
 * under one COMMENT_MARKER line in a single comment, so each gets a little under half the limit.
 */
export const COMMENT_PART_LIMIT = 32000;
/** Manifest diff lines and fields shown per resource in the comment; characters per diff line. */
export const MD_DIFF_LINES = 80;
export const MD_FIELDS = 30;
export const MD_LINE_CHARS = 400;
/** Resources listed by name per list (added, removed, rolled) in the comment. */
export const MD_LIST_ITEMS = 200;

/** The hidden first line the workflow finds its one comment by (.github/workflows/pull-request.yml). */
export const COMMENT_MARKER = "<!-- eks-delivery:plan-diff -->";

/** An inline code span holding `text` literally (no markdown, HTML or mention inside); `|` escaped in a table cell. */
export function code(text: string, inTable = false): string {
    const body = showValue(text, 200);
    const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((r) => r.length));
    const fence = "`".repeat(longest + 1);
    const pad = body.startsWith("`") || body.endsWith("`") || /^ .* $/.test(body) ? " " : "";
    const span = `${fence}${pad}${body}${pad}${fence}`;
    return inTable ? span.replace(/\|/g, "\\|") : span;
}

/** Text for raw HTML (a <summary>): escaped, and inside <code> so that no mention or reference links. */
function htmlCode(text: string): string {
    const escaped = showValue(text, 200).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    return `<code>${escaped}</code>`;
}

/** A fenced block holding `text` literally: the fence is longer than any backtick run inside. */
function fenced(text: string, info = ""): string {
    const longest = Math.max(2, ...(text.match(/`{3,}/g) ?? []).map((r) => r.length));
    const fence = "`".repeat(longest + 1);
    return `${fence}${info}\n${text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)}\n${fence}`;
}

const byteLength = (s: string) => Buffer.byteLength(s, "utf8");

function resourceDetails(r: ChangedResource): string {
    const tags = [r.replaceOnChanges.length ? "replaced" : "", r.renamedFrom ? "renamed" : ""].filter(Boolean).join(", ");
    const out = [`<details><summary>${htmlCode(r.type)} ${htmlCode(r.name)}${tags ? ` (${tags})` : ""}</summary>`, ""];
    if (r.renamedFrom) out.push(`Renamed from ${code(r.renamedFrom)} (an alias: the engine moves it, nothing is replaced for the rename).`, "");
    if (r.replaceOnChanges.length) out.push(`Replaced: its replaceOnChanges ${r.replaceOnChanges.map((p) => code(p)).join(", ")} ${r.replaceOnChanges.length === 1 ? "names" : "name"} a changed field.`, "");
    const fields = [...r.inputs.map((f) => ["inputs", f] as const), ...r.options.map((f) => ["options", f] as const)];
    if (fields.length) {
        out.push("| field | old | new |", "| --- | --- | --- |");
        for (const [where, f] of fields.slice(0, MD_FIELDS)) {
            const name = code(`${where}.${f.path}`, true) + (f.replaces ? " (forces replacement)" : "");
            if (f.secret) out.push(`| ${name} | \`[secret]\` | \`[secret]\` (may have changed) |`);
            else out.push(`| ${name} | ${"old" in f ? code(showValue(f.old), true) : "(absent)"} | ${"new" in f ? code(showValue(f.new), true) : "(absent)"} |`);
        }
        if (fields.length > MD_FIELDS) out.push("", `… ${fields.length - MD_FIELDS} more fields not shown (\`--json\` has them all).`);
        out.push("");
    }
    if (r.manifest) {
        const patch = r.manifest.trimEnd().split("\n");
        out.push(fenced(patch.slice(0, MD_DIFF_LINES).map((l) => (l.length > MD_LINE_CHARS ? `${l.slice(0, MD_LINE_CHARS)}… (${l.length} characters)` : l)).join("\n"), "diff"));
        if (patch.length > MD_DIFF_LINES) out.push("", `… manifest diff truncated: ${patch.length - MD_DIFF_LINES} more lines (\`--json\` has it all).`);
        out.push("");
    }
    out.push("</details>", "");
    return out.join("\n");
}

function refList(title: string, refs: Array<{ type: string; name: string }>): string {
    if (refs.length === 0) return "";
    const more = refs.length > MD_LIST_ITEMS ? ["", `… ${refs.length - MD_LIST_ITEMS} more (\`--json\` lists them all).`] : [];
    return [`<details><summary>${title} (${refs.length})</summary>`, "", ...refs.slice(0, MD_LIST_ITEMS).map((r) => `- ${code(r.type)} ${code(r.name)}`), ...more, "", "</details>", ""].join("\n");
}

/**
 * `text` cut to at most `limit` bytes at a line, with `note` after it, never leaving a fence or a
 * <details> open: the cut closes what it left open (our own markup only: values from the plans are in
 * code, which the fences and <code> keep literal).
 */
export function cutSafely(text: string, limit: number, note: string): string {
    const lines = text.split("\n");
    const closing = (upTo: number) => {
        let fence: string | undefined;
        let open = 0;
        for (const l of lines.slice(0, upTo)) {
            const f = /^(`{3,})/.exec(l)?.[1];
            if (fence) { if (f && l === fence) fence = undefined; continue; }
            if (f) { fence = f; continue; }
            open += (l.match(/<details>/g) ?? []).length - (l.match(/<\/details>/g) ?? []).length;
        }
        return [...(fence ? [fence] : []), ...Array.from({ length: Math.max(0, open) }, () => "</details>")].join("\n");
    };
    let keep = lines.length;
    for (;;) {
        const close = closing(keep);
        const out = `${lines.slice(0, keep).join("\n")}\n${close ? `${close}\n` : ""}\n${note}\n`;
        if (byteLength(out) <= limit || keep === 0) return out;
        // Halve the overshoot's worth of lines at a time, then a line at a time near the limit.
        keep = Math.max(0, keep - Math.max(1, Math.floor((byteLength(out) - limit) / 200)));
    }
}

/**
 * One stack's part of the pull request comment: a heading, a summary table, then details folded, within
 * `limit` bytes. The workflow puts COMMENT_MARKER above the stacks' parts.
 */
export function renderMarkdown(diff: PlanDiff, limit = COMMENT_PART_LIMIT): string {
    const s = diff.summary;
    const c = diff.cost;
    const cap = diff.capacity;
    const d = cap.delta;
    const head: string[] = [
        `### Plan diff: ${code(diff.stack)}`,
        "",
        `${code(diff.old.label)} → ${code(diff.new.label)} (offline plan, no cloud access)`,
        "",
        "| | |",
        "| --- | --- |",
        `| Resources | ${s.added} to add, ${s.changed} to change (${s.renamed} renamed, ${s.replaced} replaced), ${s.removed} to remove${s.rolled ? `; ${rollLine(diff, (t) => code(t, true))}` : ""} |`,
        `| Cost (USD/month) | ${rangeText(c.old)} → ${rangeText(c.new)} (${costChange(c)}) |`,
        `| Capacity at peak | ${cap.new.fits ? "fits" : "**does not fit**"}${cap.old.fits !== cap.new.fits ? ` (was: ${cap.old.fits ? "fits" : "does not fit"})` : ""}: CPU ${cap.new.peak.cpuMillicores}m of ${cap.new.capacity.cpuMillicores}m, memory ${cap.new.peak.memoryMiB}Mi of ${cap.new.capacity.memoryMiB}Mi, pods ${cap.new.peak.pods} of ${cap.new.capacity.pods} |`,
        `| Change at peak | demand: CPU ${signed(d.peak.cpuMillicores, "m")}, memory ${signed(d.peak.memoryMiB, "Mi")}, pods ${signed(d.peak.pods)}; capacity: CPU ${signed(d.capacity.cpuMillicores, "m")}, memory ${signed(d.capacity.memoryMiB, "Mi")}, pods ${signed(d.capacity.pods)} |`,
        `| Policy violations | ${s.newViolations} new${diff.policy.newViolations.some((f) => f.enforcementLevel === "mandatory") ? " (**mandatory**)" : ""}, ${s.resolvedViolations} resolved |`,
        "",
    ];
    const policy: string[] = [];
    const findings = (title: string, list: Finding[]) => {
        if (list.length) policy.push(`**${title}**`, "", ...list.map((f) => `- ${code(f.policy)} ${f.enforcementLevel === "mandatory" ? "**mandatory**" : "advisory"}: ${code(f.message)}${f.urn ? ` on ${code(f.urn)}` : ""}`), "");
    };
    findings("New violations", diff.policy.newViolations);
    findings("Resolved violations", diff.policy.resolvedViolations);
    const exemptions = (title: string, list: ExemptionEntry[]) => {
        if (list.length) policy.push(`**${title}**`, "", ...list.map((e) => `- ${code(exemptionLine(e))}`), "");
    };
    exemptions("Exemptions added", diff.policy.exemptionsAdded);
    exemptions("Exemptions removed", diff.policy.exemptionsRemoved);
    const costItems = c.items.length
        ? ["<details><summary>Cost items that change</summary>", "", "| item | old | new | change |", "| --- | --- | --- | --- |",
            ...c.items.map((i) => `| ${code(i.label, true)} | ${i.old ? rangeText(i.old) : "(none)"} | ${i.new ? rangeText(i.new) : "(none)"} | ${rangeDelta(i.delta)} |`), "", "</details>", ""]
        : [];
    // Outputs that only carry the new release (image references, digests, the version) are the roll's.
    const shownOutputs = diff.outputs.filter((f) => !f.release);
    const releaseOutputs = diff.outputs.length - shownOutputs.length;
    const outputs = shownOutputs.length
        ? ["<details><summary>Stack outputs that change</summary>", "", "| output | old | new |", "| --- | --- | --- |",
            ...shownOutputs.slice(0, MD_FIELDS).map((f) => `| ${code(f.path, true)} | ${"old" in f ? code(showValue(f.old), true) : "(absent)"} | ${"new" in f ? code(showValue(f.new), true) : "(absent)"} |`),
            ...(shownOutputs.length > MD_FIELDS ? ["", `… ${shownOutputs.length - MD_FIELDS} more outputs not shown.`] : []), "", "</details>", ""]
        : [];
    if (releaseOutputs) outputs.push(`${plural(releaseOutputs, "stack output")} only ${releaseOutputs === 1 ? "carries" : "carry"} the new release (\`--json\` has ${releaseOutputs === 1 ? "it" : "them"}).`, "");
    const secrets = diff.resources.secretsUnknown.length
        ? [`${diff.resources.secretsUnknown.length} otherwise unchanged resource(s) hold \`[secret]\` inputs (may have changed): ${diff.resources.secretsUnknown.map((r) => code(r.name)).join(", ")}.`, ""]
        : [];
    const notes = diff.notes.map((n) => `<sub>${htmlText(n)}</sub>`).join("<br>\n");

    const rolled = diff.resources.changed.filter((r) => r.releaseOnly);
    const rolling = rolled.length ? refList(`${rollLine(diff, htmlCode)}: image and version label only`, rolled) : "";
    const fixed = [head.join("\n"), policy.join("\n"), costItems.join("\n"), refList("To add", diff.resources.added), refList("To remove", diff.resources.removed), rolling];
    const tail = [outputs.join("\n"), secrets.join("\n"), notes, ""].join("\n");
    let body = fixed.filter(Boolean).join("\n");
    const changed = diff.resources.changed.filter((r) => !r.releaseOnly);
    if (changed.length) body += `\n**To change** (${changed.length})\n\n`;
    // The resources in URN order while the budget lasts (one too long to fit is skipped, not the rest):
    // the summary and the tail always fit.
    const omitted = (n: number) => `… ${n} more changed resource${n === 1 ? "" : "s"} not shown: this part of the comment holds at most ${limit} bytes (run \`npm run plan -- --against\` for all of them).\n\n`;
    const budget = limit - byteLength(tail) - byteLength(omitted(changed.length)) - 16;
    let shown = 0;
    for (const r of changed) {
        const part = resourceDetails(r);
        if (byteLength(body) + byteLength(part) > budget) continue;
        body += part;
        shown++;
    }
    if (shown < changed.length) body += omitted(changed.length - shown);
    const out = `${body}\n${tail}`;
    // The fixed part alone may be too long (hundreds of findings): cut at a line, closing what is open.
    return byteLength(out) > limit ? cutSafely(out, limit, `… truncated: this part of the comment holds at most ${limit} bytes.`) : out;
}

/** Our own prose for raw HTML: escaped all the same. */
const htmlText = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
