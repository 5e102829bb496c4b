/**
 * Blue/green as a pure decision over the stack's previous state: which colour is live, which version
 * each colour runs, and whether this update activates a colour. It is decided on the version alone (a
 * version names one source, so one image): the decision, and with it every manifest but the new image,
 * is known in a preview, before the image is built. The same version twice changes nothing.
 */
import { type Colour, COLOUR_LABEL } from "./manifests";

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

/**
 * The colour the previous state says serves, when it says one exists: a Deployment the update reads from
 * the cluster. Undefined on the first deployment (nothing to read).
 */
export function servingColour(previous: BlueGreenState | undefined): Colour | undefined {
    return previous?.colours[previous.live] ? previous.live : undefined;
}

/** The colour a Service's selector picks (`color`, manifests.ts COLOUR_LABEL), if it picks one. */
export function selectedColour(selector: Record<string, string> | undefined): Colour | undefined {
    const colour = selector?.[COLOUR_LABEL];
    return colour === "blue" || colour === "green" ? colour : undefined;
}

/**
 * The colours that may take traffic before this update: the one the state calls live and the one the
 * cluster's Service selects. They differ when an update failed after its state was recorded (before the
 * state waited for the switch) or when someone switched the Service by hand; both are read, and neither
 * is scaled down before the switch.
 */
export function servingColours(previous: BlueGreenState | undefined, selected: Colour | undefined): Colour[] {
    const state = servingColour(previous);
    if (!state) return [];
    return [...new Set([state, ...(selected ? [selected] : [])])].sort();
}

/** A colour's Deployment as the cluster has it: its scale, and the version and image it runs. */
export interface LiveColour {
    replicas: number;
    version?: string;
    image?: string;
}

/**
 * The state to plan from: the previous state, with the colour the Service selects as the live one when
 * the state says otherwise, at the version and image that colour's Deployment runs (the state may not
 * know them: an update that failed before the switch recorded the colour it was rolling out).
 */
export function reconcileState(previous: BlueGreenState | undefined, selected: Colour | undefined,
    live: Partial<Record<Colour, LiveColour>>): BlueGreenState | undefined {
    const running = selected && live[selected];
    if (!previous || !selected || selected === previous.live || !running?.version || !running.image) return previous;
    return { live: selected, colours: { ...previous.colours, [selected]: { version: running.version, image: running.image } } };
}

/** The HPA's bounds for a service. */
export interface ReplicaRange {
    min: number;
    max: number;
}

/**
 * The `spec.replicas` each colour's Deployment declares in this update. Both always declare one: under
 * server-side apply, a field the manifest stops sending is removed from the live object when no other
 * manager owns it, and after a wake-up at the count Pulumi wrote the HPA usually owns nothing (it writes
 * the scale only to change it), so a colour without `spec.replicas` falls to the default of 1.
 * `serving` holds the live count of each colour that may take traffic now (servingColours); empty on the
 * first deployment.
 * - A colour that keeps serving holds the count the cluster has: Pulumi never changes the scale the HPA chose.
 * - A colour woken up starts at the serving count, within the HPA's bounds: a release under load lands
 *   on as many pods as served it. Without a serving colour (the first deployment), at the minimum.
 * - The idle colour stays at zero. No colour that may serve gets less than it has: in the update that
 *   switches, the previous colour still serves until the switch; the idle DeploymentPatch takes it to
 *   zero after the switch, and from the next update on its manifest says zero too (the same value: no
 *   conflict, no revival).
 */
export function colourReplicas(plan: BlueGreenPlan, serving: Partial<Record<Colour, number>>, range: ReplicaRange): Record<Colour, number> {
    const counts = Object.values(serving) as number[];
    if (counts.length === 0) return { [plan.live]: range.min, [plan.idle]: 0 } as Record<Colour, number>;
    const wake = Math.min(range.max, Math.max(range.min, Math.max(...counts)));
    const replicas = (plan.activating
        ? { [plan.live]: wake, [plan.idle]: serving[plan.idle] ?? 0 }
        : { [plan.live]: serving[plan.live] ?? wake, [plan.idle]: 0 }) as Record<Colour, number>;
    for (const [colour, count] of Object.entries(serving) as [Colour, number][]) replicas[colour] = Math.max(replicas[colour], count);
    return replicas;
}

/** The state to remember: the plan with this update's image filled in where a colour runs it. */
export function stateAfter(plan: BlueGreenPlan, image: string): BlueGreenState {
    const slot = (c: PlannedColour): ColourSlot => ({ version: c.version, image: c.image ?? image });
    return { live: plan.live, colours: { blue: slot(plan.colours.blue), green: slot(plan.colours.green) } };
}
