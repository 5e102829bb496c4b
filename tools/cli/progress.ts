/**
 * Progress for work that takes over a second, on stderr only (stdout stays the command's output, so
 * `--json` and redirected summaries stay clean). Nothing is shown until `delayMs` (1 s) has passed: a
 * quick run prints no progress at all. On a terminal it is one line that each step rewrites and done()
 * clears; elsewhere (CI logs, a pipe) each step is a plain `[<command>] <step>` line, a form no refusal
 * (`<command>: <problem>`) takes, so the one error line stays apart. `quiet` shows nothing.
 * A step known to be slow (`{ now: true }`) shows at once; so does any step once the delay has passed,
 * even when blocking work (loading the Pulumi SDK) kept the delay's timer from firing.
 *
 *   const progress = startProgress("plan", process.stderr, { quiet });
 *   progress.step("loading the Pulumi SDK", { now: true });
 *   ...
 *   progress.done();
 */
import { oneLine } from "../../config/safeRead";
import { paint, streamHasColour } from "./colour";

export interface Progress {
    /** The step now running (shown at once if the delay has passed or `now`, else when it passes). */
    step(message: string, options?: { now?: boolean }): void;
    /** The work is over: clears the terminal line; no step is shown after this. */
    done(): void;
}

export interface ProgressStream {
    write(text: string): unknown;
    isTTY?: boolean;
    columns?: number;
}

export interface ProgressOptions {
    quiet?: boolean;
    /** How long before anything shows (default 1000 ms). */
    delayMs?: number;
    env?: NodeJS.ProcessEnv;
}

export const PROGRESS_DELAY_MS = 1000;
/** Erase the terminal line and return to its start (ECMA-48 EL, CSI 2 K). */
const CLEAR_LINE = "\r\x1b[2K";

/** Whether a line of stderr is a progress line (tests tell them from the one refusal line). */
export const isProgressLine = (line: string): boolean => /^\[[a-z:-]+\] /.test(line);

/** What one step writes: a plain line off a terminal; on one, the line rewritten in place (cut to its width: a wrapped line cannot be erased). */
export function progressText(command: string, message: string, tty: boolean, columns: number | undefined, colour: boolean): string {
    const line = `[${command}] ${oneLine(message)}`;
    if (!tty) return `${line}\n`;
    // A stream that does not know its width says 0 (or nothing): 80 then.
    const width = Math.max(10, (columns || 80) - 1);
    const cut = line.length > width ? `${line.slice(0, width - 1)}…` : line;
    return `${CLEAR_LINE}${paint(colour, "dim", cut)}`;
}

export function startProgress(command: string, stream: ProgressStream = process.stderr, options: ProgressOptions = {}): Progress {
    if (options.quiet) return { step() {}, done() {} };
    const tty = stream.isTTY === true;
    const delayMs = options.delayMs ?? PROGRESS_DELAY_MS;
    const start = Date.now();
    const colour = streamHasColour(stream, options.env ?? process.env);
    let current: string | undefined;
    let shown = false;
    let over = false;
    let drawn = false;
    const show = (message: string) => {
        stream.write(progressText(command, message, tty, stream.columns, colour));
        drawn = true;
    };
    const timer = setTimeout(() => {
        // A step already shown (the loop was blocked past the delay): not again.
        if (shown) return;
        shown = true;
        if (current !== undefined && !over) show(current);
    }, delayMs);
    // Progress never keeps a process alive.
    timer.unref();
    return {
        step(message, stepOptions) {
            if (over) return;
            current = message;
            if (!shown && (stepOptions?.now || Date.now() - start >= delayMs)) shown = true;
            if (shown) show(message);
        },
        done() {
            if (over) return;
            over = true;
            clearTimeout(timer);
            if (tty && drawn) stream.write(CLEAR_LINE);
        },
    };
}
