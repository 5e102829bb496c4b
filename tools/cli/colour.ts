/**
 * When the CLI colours what it writes: only on a terminal, never when NO_COLOR is set to anything but ""
 * (https://no-color.org, read 2026: "when present and not an empty string"), and never when TERM=dumb
 * (a terminal that takes no escape codes). Decided per stream; FORCE_COLOR is not honoured.
 *
 * Why not Node's or commander's own decision (sources as read here):
 * - util.styleText: only since v22.8.0 / v20.18.0 does it check a stream at all (nodejs/node
 *   doc/api/util.md, styleText history: "Respect isTTY and environment variables", PR #54389; v22.13.0,
 *   PR #56265, only marked it stable), and it decides as Node does below.
 * - Node's tty.WriteStream hasColors()/getColorDepth() (lib/tty.js, calling lib/internal/tty.js
 *   getColorDepth) count an empty NO_COLOR as set (`NO_COLOR !== undefined`: on Node v20.20.2,
 *   getColorDepth({NO_COLOR: ""}) is 1, two colours); and lib/internal/util/colors.js shouldColorize
 *   colours whatever the stream when FORCE_COLOR is set, even off a terminal.
 * - commander@14.0.3 node_modules/commander/lib/command.js useColor(): `process.env.NO_COLOR ||` (an
 *   empty NO_COLOR is unset, as here) but FORCE_COLOR and CLICOLOR_FORCE force colour into a pipe; so
 *   every command hands commander this decision instead (tools/cli/command.ts configureOutput).
 */
export const colourWanted = (isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean => isTTY === true && !env.NO_COLOR && env.TERM !== "dumb";

/** The decision for one stream (process.stdout or process.stderr). */
export const streamHasColour = (stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean => colourWanted(stream.isTTY, env);

const SGR = { bold: "1", dim: "2", red: "31", green: "32", yellow: "33", cyan: "36" } as const;
export type Style = keyof typeof SGR;

/** `text` in a style when `on`, else as it is. */
export const paint = (on: boolean, style: Style, text: string): string => (on ? `\x1b[${SGR[style]}m${text}\x1b[0m` : text);
