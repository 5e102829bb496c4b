/**
 * EC2 instance facts (vCPU, memory, ENIs, price) and the pod-density arithmetic of the Amazon VPC CNI.
 * Dependency-free and inside the pack, so both the program and the published pack read the same facts
 * from `policies/data/ec2-instance-types.tsv` (vendored with its sources and date: policies/data/README.md).
 */
import * as fs from "fs";
import * as path from "path";
import { parseTsv } from "./tsv";

export interface InstanceType {
    name: string;
    vcpu: number;
    memoryMiB: number;
    arch: "amd64" | "arm64";
    maxEnis?: number;
    ipv4PerEni?: number;
    /** On-demand Linux price in us-east-1, USD per hour. */
    usdPerHour?: number;
}

export class InstanceCatalog {
    private readonly byName: Map<string, InstanceType>;

    constructor(types: InstanceType[], readonly source: string) {
        this.byName = new Map(types.map((t) => [t.name, t]));
    }

    get size(): number {
        return this.byName.size;
    }

    find(name: string): InstanceType | undefined {
        return this.byName.get(name);
    }

    get(name: string): InstanceType {
        const found = this.byName.get(name);
        if (!found) throw new Error(`unknown instance type "${name}" (not in ${this.source})`);
        return found;
    }

    names(): string[] {
        return [...this.byName.keys()];
    }
}

/** Parses the TSV (header line first); rows with missing optional cells keep those fields undefined. */
export function parseInstanceTypes(tsv: string, source: string): InstanceCatalog {
    const table = parseTsv(tsv, source);
    const col = (name: string) => table.column(name);
    const at = {
        name: col("instanceType"), vcpu: col("vcpu"), memoryMiB: col("memoryMiB"), arch: col("arch"),
        maxEnis: col("maxEnis"), ipv4PerEni: col("ipv4PerEni"), usdPerHour: col("usdPerHourUsEast1"),
    };
    const optionalNumber = (cell: string | undefined) => (cell ? Number(cell) : undefined);
    return new InstanceCatalog(
        table.rows.map(({ cells }) => {
            return {
                name: cells[at.name],
                vcpu: Number(cells[at.vcpu]),
                memoryMiB: Number(cells[at.memoryMiB]),
                arch: cells[at.arch] === "arm64" ? "arm64" : "amd64",
                maxEnis: optionalNumber(cells[at.maxEnis]),
                ipv4PerEni: optionalNumber(cells[at.ipv4PerEni]),
                usdPerHour: optionalNumber(cells[at.usdPerHour]),
            };
        }),
        source,
    );
}

/** The vendored facts file, beside this module in the pack (so a published pack carries it). */
export const INSTANCE_TYPES_FILE = path.resolve(__dirname, "..", "data", "ec2-instance-types.tsv");

let cached: InstanceCatalog | undefined;

/** Loads (once per process) the instance facts; a missing file is a clear error, not a stack trace. */
export function loadInstanceCatalog(file = INSTANCE_TYPES_FILE): InstanceCatalog {
    if (cached && cached.source === file) return cached;
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        throw new Error(`EC2 instance facts not readable at ${file}: the repository ships them in policies/data/`);
    }
    cached = parseInstanceTypes(text, file);
    return cached;
}

/**
 * Pods per node as EKS sets them on managed nodes (awslabs/amazon-eks-ami@a92d9fde:
 * templates/al2023/runtime/max-pods-calculator.sh:142-162):
 * - secondary IPs: maxEnis * (ipv4PerEni - 1) + 2 (t3.medium: 17);
 * - prefix delegation: each slot holds a /28 (16 IPs): maxEnis * (ipv4PerEni - 1) * 16 + 2;
 * - either way at most 110 on up to 30 vCPUs, 250 above.
 */
export function maxPodsFor(type: InstanceType, prefixDelegation: boolean): number {
    if (type.maxEnis === undefined || type.ipv4PerEni === undefined) {
        throw new Error(`no ENI facts for instance type "${type.name}"`);
    }
    const slots = type.maxEnis * (type.ipv4PerEni - 1);
    const addressable = prefixDelegation ? slots * 16 + 2 : slots + 2;
    return Math.min(addressable, type.vcpu > 30 ? 250 : 110);
}
