/**
 * The Amazon EKS Kubernetes version calendar: when each version leaves standard support (after which a
 * STANDARD cluster is upgraded by EKS, and an EXTENDED one costs $0.60 instead of $0.10 per cluster-hour)
 * and extended support. Dependency-free, inside the pack: the config validates against it, the plan warns
 * from it, and the `eks-version-supported` policy fails production on it.
 *
 * Sources, read 2026-11-27:
 * - 1.31-1.34: awsdocs/amazon-eks-user-guide@013856044148:latest/ug/versioning/kubernetes-versions.adoc
 *   (release calendar table). Standard support is 14 months from the EKS release, extended 12 more.
 * - 1.35, 1.36: the same AWS table (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html) as
 *   copied on 2026-07-08; "Kubernetes 1.36 is now available in Amazon EKS" (kubernetes-versions-standard).
 * Check the live calendar with `aws eks describe-cluster-versions` when adding a row.
 */

export interface EksVersion {
    version: string;
    /** The day EKS released it (YYYY-MM-DD). */
    released: string;
    /** Last day of standard support; extended-support billing starts the day after. */
    endOfStandardSupport: string;
    endOfExtendedSupport: string;
}

export const EKS_VERSIONS: readonly EksVersion[] = [
    { version: "1.31", released: "2024-09-26", endOfStandardSupport: "2025-11-26", endOfExtendedSupport: "2026-11-26" },
    { version: "1.32", released: "2025-01-23", endOfStandardSupport: "2026-03-23", endOfExtendedSupport: "2027-03-23" },
    { version: "1.33", released: "2025-05-29", endOfStandardSupport: "2026-07-29", endOfExtendedSupport: "2027-07-29" },
    { version: "1.34", released: "2025-10-02", endOfStandardSupport: "2026-12-02", endOfExtendedSupport: "2027-12-02" },
    { version: "1.35", released: "2026-01-27", endOfStandardSupport: "2027-03-27", endOfExtendedSupport: "2028-03-27" },
    { version: "1.36", released: "2026-06-02", endOfStandardSupport: "2027-08-02", endOfExtendedSupport: "2028-08-02" },
];

/** EKS managed add-ons whose versions follow the Kubernetes minor. */
export type PinnedAddon = "kube-proxy" | "coredns";

/**
 * Add-on versions pinned per Kubernetes minor, from the EKS user guide's version tables
 * (docs.aws.amazon.com/eks/latest/userguide/managing-kube-proxy.html and managing-coredns.html, the copy
 * listing 1.36, read 2026-11-27). kube-proxy must match the control plane's minor, so a minor without
 * pins needs `eks-delivery:cluster.addonVersions`; check with `aws eks describe-addon-versions
 * --kubernetes-version <minor> --addon-name kube-proxy`.
 */
export const ADDON_PINS: Readonly<Record<string, Record<PinnedAddon, string>>> = {
    "1.34": { "kube-proxy": "v1.34.6-eksbuild.13", coredns: "v1.13.2-eksbuild.11" },
    "1.35": { "kube-proxy": "v1.35.3-eksbuild.13", coredns: "v1.14.3-eksbuild.3" },
    "1.36": { "kube-proxy": "v1.36.0-eksbuild.14", coredns: "v1.14.3-eksbuild.3" },
};

/** Days of notice the plan gives before a version leaves standard support. */
export const SUPPORT_WARNING_DAYS = 90;

export type SupportPhase = "standard" | "extended" | "unsupported";

export interface SupportStatus {
    phase: SupportPhase;
    /** Whole days until the current phase ends (negative once unsupported). */
    daysLeft: number;
    /** A sentence for a person, e.g. `Kubernetes 1.34 leaves EKS standard support on 2026-12-02 (in 5 days)`. */
    summary: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const days = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);

/** Where a version stands on `today` (YYYY-MM-DD, UTC); undefined for a version not in the calendar. */
export function supportStatus(version: string, today: string): SupportStatus | undefined {
    const entry = EKS_VERSIONS.find((v) => v.version === version);
    if (!entry) return undefined;
    const standardLeft = days(today, entry.endOfStandardSupport);
    if (standardLeft >= 0) {
        return {
            phase: "standard", daysLeft: standardLeft,
            summary: `Kubernetes ${version} leaves EKS standard support on ${entry.endOfStandardSupport} (in ${standardLeft} days)`,
        };
    }
    const extendedLeft = days(today, entry.endOfExtendedSupport);
    if (extendedLeft >= 0) {
        return {
            phase: "extended", daysLeft: extendedLeft,
            summary: `Kubernetes ${version} left EKS standard support on ${entry.endOfStandardSupport}; extended support ` +
                `($0.60 instead of $0.10 per cluster-hour) ends ${entry.endOfExtendedSupport}`,
        };
    }
    return {
        phase: "unsupported", daysLeft: extendedLeft,
        summary: `Kubernetes ${version} left EKS extended support on ${entry.endOfExtendedSupport}: EKS upgrades the control plane by itself`,
    };
}

/**
 * What a plan or `pulumi up` should say about the version on `today`: a warning once it is within
 * SUPPORT_WARNING_DAYS of leaving standard support (and after), else nothing.
 */
export function supportWarning(version: string, today: string): string | undefined {
    const status = supportStatus(version, today);
    if (!status || (status.phase === "standard" && status.daysLeft > SUPPORT_WARNING_DAYS)) return undefined;
    return `${status.summary}: plan the upgrade (eks-delivery:cluster.kubernetesVersion)`;
}

/** A real calendar day written YYYY-MM-DD (not 2026-02-30). */
export function isIsoDate(text: string): boolean {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
    const time = Date.parse(`${text}T00:00:00Z`);
    return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === text;
}

/** Today as the calendar reads it (UTC). */
export function utcDate(date = new Date()): string {
    return date.toISOString().slice(0, 10);
}

/** Set by the offline plan (`npm run plan -- --today`) so a plan's date-dependent verdicts can be reproduced. */
export const CALENDAR_DATE_ENV = "EKS_DELIVERY_TODAY";

/** The day the program reads the calendar on: the plan's `--today`, else today (UTC). */
export function calendarDate(): string {
    const set = process.env[CALENDAR_DATE_ENV];
    if (set === undefined) return utcDate();
    if (!isIsoDate(set)) throw new Error(`${CALENDAR_DATE_ENV} ${JSON.stringify(set)} is not a date like 2026-11-27`);
    return set;
}
