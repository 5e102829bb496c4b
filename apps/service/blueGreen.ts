/**
 * Blue/green as a pure decision over the stack's previous state: which colour is live, which version
 * each colour runs, and whether this update activates a colour. It is decided on the version alone (a
 * version names one source, so one image): the decision, and with it every manifest but the new image,
 * is known in a preview, before the image is built. The same version twice changes nothing.
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

/** A colour in this update: its version, and its image unless it runs this update's build (`image` absent). */
export interface PlannedColour {
    version: string;
    image?: string;
}

export interface BlueGreenPlan {
    live: Colour;
    idle: Colour;
    colours: Record<Colour, PlannedColour>;
    /** True when `live` was idle (or absent) before this update: it must be scaled up before the switch. */
    activating: boolean;
}

export const other = (c: Colour): Colour => (c === "blue" ? "green" : "blue");

export function isBlueGreenState(value: unknown): value is BlueGreenState {
    const v = value as BlueGreenState | undefined;
    return !!v && (v.live === "blue" || v.live === "green") && typeof v.colours === "object" && v.colours !== null;
}

/**
 * The next plan: a first deployment goes live in blue (green idle on the same build, ready as the
 * rollback target); a new version goes to the idle colour, which becomes live; the version the live
 * colour already runs keeps everything as it is.
 */
export function planBlueGreen(previous: BlueGreenState | undefined, version: string): BlueGreenPlan {
    if (!previous || !previous.colours[previous.live]) {
        return { live: "blue", idle: "green", colours: { blue: { version }, green: { version } }, activating: true };
    }
    const current = previous.colours[previous.live]!;
    const idle = other(previous.live);
    if (current.version === version) {
        return { live: previous.live, idle, colours: { [previous.live]: current, [idle]: previous.colours[idle] ?? current } as Record<Colour, PlannedColour>, activating: false };
    }
    return { live: idle, idle: previous.live, colours: { [idle]: { version }, [previous.live]: current } as Record<Colour, PlannedColour>, activating: true };
}

/** The state to remember: the plan with this update's image filled in where a colour runs it. */
export function stateAfter(plan: BlueGreenPlan, image: string): BlueGreenState {
    const slot = (c: PlannedColour): ColourSlot => ({ version: c.version, image: c.image ?? image });
    return { live: plan.live, colours: { blue: slot(plan.colours.blue), green: slot(plan.colours.green) } };
}
