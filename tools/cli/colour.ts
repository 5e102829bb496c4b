/**
 * When the CLI colours what it writes: only on a terminal, and never when NO_COLOR is set to anything but
 * "" (https://no-color.org, read 2026: "when present and not an empty string"). Decided per stream.
 *
 * Not util.styleText: on Node 20 it colours whatever the stream (nodejs/node@v20.19.0:lib/util.js
 * styleText takes no stream; the `stream`/`validateStream` options came in v22.13.0), and Node's own
 * tty hasColors() counts an empty NO_COLOR as set and honours FORCE_COLOR even off a terminal
 * (nodejs/node@v22.12.0:lib/internal/tty.js getColorDepth). Commander's default does the same
 * (commander@14.0.3:lib/command.js useColor), so every command hands it this decision instead.
 */
export const colourWanted = (isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean => isTTY === true && !env.NO_COLOR;

/** The decision for one stream (process.stdout or process.stderr). */
export const streamHasColour = (stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean => colourWanted(stream.isTTY, env);

const SGR = { bold: "1", dim: "2", red: "31", green: "32", yellow: "33", cyan: "36" } as const;
export type Style = keyof typeof SGR;

/** `text` in a style when `on`, else as it is. */
export const paint = (on: boolean, style: Style, text: string): string => (on ? `\x1b[${SGR[style]}m${text}\x1b[0m` : text);
