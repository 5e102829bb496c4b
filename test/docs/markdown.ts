/**
 * What the docs test reads in a Markdown file: its `sh` blocks as commands (the docs convention: one
 * command a line, `\` continues it, heredocs run to their terminator, `#` comments, `# exits N` says the
 * exit code a command is expected to end with), and its relative links.
 */

export interface DocCommand {
    /** The command as bash receives it (continuations joined, heredoc bodies kept). */
    text: string;
    /** 1-based line of the command's first line in the Markdown file. */
    line: number;
    /** The exit code the doc promises: 0 unless the line says `# exits N`. */
    exits: number;
}

export interface Fence {
    info: string;
    line: number;
    body: string[];
}

/** Fenced code blocks (``` or ~~~, at most three spaces of indent, as CommonMark reads them). */
export function fences(markdown: string): Fence[] {
    const lines = markdown.split("\n");
    const out: Fence[] = [];
    for (let i = 0; i < lines.length; i++) {
        const open = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/.exec(lines[i]);
        if (!open) continue;
        const marker = open[1];
        const indent = lines[i].length - lines[i].trimStart().length;
        const body: string[] = [];
        let j = i + 1;
        while (j < lines.length && !new RegExp(`^ {0,3}${marker[0]}{${marker.length},}\\s*$`).test(lines[j])) {
            body.push(lines[j].slice(Math.min(indent, lines[j].length - lines[j].trimStart().length)));
            j++;
        }
        out.push({ info: open[2], line: i + 1, body });
        i = j;
    }
    return out;
}

const EXITS = /#\s*exits\s+(\d+)\b/;

/** The commands of one `sh` block, in order. */
export function commandsOf(fence: Fence): DocCommand[] {
    const out: DocCommand[] = [];
    const body = fence.body;
    for (let i = 0; i < body.length; i++) {
        const first = body[i];
        if (first.trim() === "" || first.trimStart().startsWith("#")) continue;
        const line = fence.line + 1 + i;
        let text = first;
        let exits = EXITS.exec(first);
        while (/\\\s*$/.test(text) && !/#/.test(text.split("\n").pop()!.replace(/'[^']*'|"[^"]*"/g, "")) && i + 1 < body.length) {
            i++;
            text = text.replace(/\\\s*$/, "\\") + "\n" + body[i];
            exits ??= EXITS.exec(body[i]);
        }
        const heredoc = /<<-?\s*(['"]?)([A-Za-z_]+)\1/.exec(text);
        if (heredoc) {
            const end = heredoc[2];
            while (i + 1 < body.length && body[i + 1].trim() !== end) text += "\n" + body[++i];
            if (i + 1 < body.length) text += "\n" + body[++i];
        }
        out.push({ text, line, exits: exits ? Number(exits[1]) : 0 });
    }
    return out;
}

export function shCommands(markdown: string): DocCommand[] {
    return fences(markdown).filter((f) => f.info === "sh").flatMap(commandsOf);
}

/** Fences whose info string says shell but not `sh`: commands the docs test would not run. */
export function unrunShellFences(markdown: string): Fence[] {
    return fences(markdown).filter((f) => /^(bash|shell|console|zsh|shell-session)$/.test(f.info));
}

/** Relative link targets (not URLs, not pure #anchors), with their line; fenced code excluded. */
export function relativeLinks(markdown: string): { target: string; line: number }[] {
    const lines = markdown.split("\n");
    const inFence = new Set<number>();
    for (const f of fences(markdown)) for (let l = f.line; l <= f.line + f.body.length + 1; l++) inFence.add(l);
    const out: { target: string; line: number }[] = [];
    lines.forEach((text, i) => {
        if (inFence.has(i + 1)) return;
        const stripped = text.replace(/`[^`]*`/g, "");
        for (const m of stripped.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
            const target = m[1];
            if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue;
            out.push({ target, line: i + 1 });
        }
    });
    return out;
}

/**
 * The programs a command runs: the first word of each simple command (after `&&`, `||`, `|`, `;`,
 * `(`, `$(`), skipping variable assignments. Heredoc bodies and quoted text are not commands.
 */
export function programsOf(text: string): string[] {
    const heredoc = /<<-?\s*(['"]?)([A-Za-z_]+)\1/.exec(text);
    let src = heredoc ? text.slice(0, text.indexOf("\n", heredoc.index) < 0 ? undefined : text.indexOf("\n", heredoc.index)) : text;
    src = src.replace(/\\\n/g, " ").replace(/(^|\s)#.*$/gm, "");
    src = src.replace(/'[^']*'/g, "''").replace(/"(?:[^"\\$]|\\.)*"/g, '""');
    const out: string[] = [];
    for (const part of src.split(/&&|\|\||[|;(]|\$\(|`/)) {
        const words = part.trim().split(/\s+/).filter(Boolean);
        while (words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) words.shift();
        if (words.length && !/^[)}]/.test(words[0])) out.push(words[0]);
    }
    return out;
}
