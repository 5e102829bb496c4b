/**
 * List prices with their sources (policies/data/prices/, described in its README): one file per region,
 * `all-regions.tsv` for prices AWS publishes as one figure for every region, and the EC2 us-east-1 column
 * of ec2-instance-types.tsv. Dependency-free, so the config schema and the pack both read it.
 */
import * as fs from "fs";
import * as path from "path";
import { parseTsv } from "./tsv";

/** Price keys besides instance types: what `eks-delivery:cost.prices` may override, and the vendored rows' ids. */
export const PRICE_IDS = [
    "eks-control-plane-standard", "eks-control-plane-extended", "nat-gateway", "alb", "nlb",
    "ebs-gp3", "logs-ingestion", "logs-storage", "kms-key", "public-ipv4",
] as const;
export type PriceId = (typeof PRICE_IDS)[number];

/** The region whose prices stand in where a region has no vendored fact. */
export const FALLBACK_REGION = "us-east-1";
/** `region` of a price AWS publishes once for every region. */
export const ALL_REGIONS = "*";

export interface Price {
    /** An instance type or a PriceId. */
    id: string;
    /** What one unit is billed for: `hour`, `month`, `GB`, `GB-month`. */
    unit: string;
    usdPerUnit: number;
    /** The region the fact is for, or `*`. */
    region: string;
    /** URL or repo@commit:path. */
    source: string;
    /** Date the fact was read or generated (YYYY-MM-DD). */
    read: string;
}

export const PRICES_DIR = path.resolve(__dirname, "..", "data", "prices");

/** Parses one prices file (header `priceId unit usdPerUnit source read`, tab-separated). */
export function parsePrices(tsv: string, region: string, file: string): Price[] {
    const table = parseTsv(tsv, file);
    const [id, unit, usd, source, read] = ["priceId", "unit", "usdPerUnit", "source", "read"].map((name) => table.column(name));
    return table.rows.map(({ cells, line }) => {
        const usdPerUnit = Number(cells[usd]);
        if (!Number.isFinite(usdPerUnit) || usdPerUnit < 0) throw new Error(`${file}:${line}: usdPerUnit ${JSON.stringify(cells[usd])} is not a price`);
        return { id: cells[id], unit: cells[unit], usdPerUnit, region, source: cells[source], read: cells[read] };
    });
}

export class PriceBook {
    constructor(private readonly byRegion: ReadonlyMap<string, ReadonlyMap<string, Price>>) {}

    /** Regions with a file of their own (not `*`). */
    regions(): string[] {
        return [...this.byRegion.keys()].filter((r) => r !== ALL_REGIONS).sort();
    }

    hasRegion(region: string): boolean {
        return region !== ALL_REGIONS && this.byRegion.has(region);
    }

    /** The region's own fact, else the one AWS publishes for every region. */
    own(region: string, id: string): Price | undefined {
        return this.byRegion.get(region)?.get(id) ?? this.byRegion.get(ALL_REGIONS)?.get(id);
    }

    /** A fact of this region (or all regions), else the fallback region's. */
    find(region: string, id: string): Price | undefined {
        return this.own(region, id) ?? this.byRegion.get(FALLBACK_REGION)?.get(id);
    }
}

/** Builds a book from prices files (`<region>.tsv`, `all-regions.tsv`) plus extra rows (the catalog's us-east-1 EC2 prices). */
export function priceBook(files: Array<{ region: string; tsv: string; file: string }>, extra: Price[] = []): PriceBook {
    const byRegion = new Map<string, Map<string, Price>>();
    const add = (p: Price) => {
        const region = byRegion.get(p.region) ?? new Map<string, Price>();
        byRegion.set(p.region, region);
        if (!region.has(p.id)) region.set(p.id, p);
    };
    for (const f of files) parsePrices(f.tsv, f.region, f.file).forEach(add);
    extra.forEach(add);
    return new PriceBook(byRegion);
}

let cached: PriceBook | undefined;

/** Reads every file in policies/data/prices/ once per process; `extra` rows are added on the first call. */
export function loadPriceBook(extra: Price[] = [], dir = PRICES_DIR): PriceBook {
    if (cached && dir === PRICES_DIR) return cached;
    let names: string[];
    try {
        names = fs.readdirSync(dir).filter((n) => n.endsWith(".tsv")).sort();
    } catch {
        throw new Error(`price facts not readable at ${dir}: the repository ships them in policies/data/prices/`);
    }
    const book = priceBook(names.map((n) => {
        const base = n.slice(0, -".tsv".length);
        return { region: base === "all-regions" ? ALL_REGIONS : base, tsv: fs.readFileSync(path.join(dir, n), "utf8"), file: path.join(dir, n) };
    }), extra);
    if (dir === PRICES_DIR) cached = book;
    return book;
}
