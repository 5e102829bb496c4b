/**
 * Blue/green as a pure decision over the stack's previous state: which colour is live, what runs in
 * each colour, and whether this update activates a colour. The same version twice changes nothing.
 */
import type { Colour } from "./manifests";

export interface ColourSlot {
    version: string;
    image: string;
}

/** What the stack remembers per blue/green service (a stack output, read back on the next update). */
export interface BlueGreenState {
    live: Colour;
    colours: Partial<Record<Colour, ColourSlot>>;
}

export interface BlueGreenPlan extends BlueGreenState {
    idle: Colour;
    /** True when `live` was idle (or absent) before this update: it must be scaled up before the switch. */
    activating: boolean;
}

export const other = (c: Colour): Colour => (c === "blue" ? "green" : "blue");

export function isBlueGreenState(value: unknown): value is BlueGreenState {
    const v = value as BlueGreenState | undefined;
    return !!v && (v.live === "blue" || v.live === "green") && typeof v.colours === "object" && v.colours !== null;
}

/**
 * The next state: a first deployment goes live in blue (green idle on the same image, ready as the
 * rollback target); a new version goes to the idle colour, which becomes live; the same version as
 * the live colour keeps everything as it is.
 */
export function planBlueGreen(previous: BlueGreenState | undefined, next: ColourSlot): BlueGreenPlan {
    if (!previous || !previous.colours[previous.live]) {
        return { live: "blue", idle: "green", colours: { blue: next, green: next }, activating: true };
    }
    const current = previous.colours[previous.live]!;
    if (current.version === next.version && current.image === next.image) {
        const idle = other(previous.live);
        return { live: previous.live, idle, colours: { [previous.live]: current, [idle]: previous.colours[idle] ?? current }, activating: false };
    }
    const live = other(previous.live);
    return { live, idle: previous.live, colours: { [live]: next, [previous.live]: current }, activating: true };
}
