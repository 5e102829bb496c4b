/** The stacks the benchmark plans: the dev stack with `n` synthetic services. */
import * as path from "path";
import { PROJECT_ROOT } from "../../config";
import { readStackFile, StackFile } from "../../config/stackFile";

/** The stack name every benchmark run plans as (its namespace, its names). */
export const BENCH_STACK = "bench";

/**
 * The dev stack with `n` services (every tenth blue/green), all built from the api sample, on nodes large
 * enough that the capacity check passes at any size.
 */
export function syntheticStack(n: number): StackFile {
    const dev = readStackFile(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"));
    const services = Array.from({ length: n }, (_, i) => {
        const name = `svc-${String(i + 1).padStart(4, "0")}`;
        return {
            name, path: "apps/services/api", port: 8080,
            replicas: { min: 2, max: 4 }, cpuTargetPercent: 50,
            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
            strategy: i % 10 === 9 ? "blue-green" : "rolling",
            host: `${name}.dev.example.com`,
            secrets: [`bench/${name}`],
        };
    });
    const values = {
        ...dev.values,
        "eks-delivery:version": "v1.0.0-bench00",
        "eks-delivery:nodes": { ...(dev.values["eks-delivery:nodes"] as object), instanceTypes: ["m6i.4xlarge"], minSize: 3, desiredSize: 3, maxSize: 100, prefixDelegation: true },
        "eks-delivery:services": services,
    };
    return { file: `synthetic:${n}`, values, secretKeys: [] };
}
