/**
 * `npm run readme:graph`: plans the dev stack offline and writes its component graph (graph.mmd, the
 * same bytes `npm run plan -- --stack dev` writes) into the README's ```mermaid block.
 * test/graph.test.ts fails when the two differ.
 */
import * as fs from "fs";
import * as path from "path";
import { mermaidGraph, readmeWithGraph } from "./graph";
import { planStack } from "./planStack";

const README = path.resolve(__dirname, "..", "..", "README.md");

async function main(): Promise<void> {
    const planned = await planStack({ stack: "dev" });
    const before = fs.readFileSync(README, "utf8");
    const after = readmeWithGraph(before, mermaidGraph(planned.plan, planned.run));
    if (after !== before) fs.writeFileSync(README, after);
    process.stdout.write(`${after === before ? "unchanged" : "updated"}: README.md's dev graph\n`);
}

main().catch((err: unknown) => {
    process.stderr.write(`readme:graph: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 3;
});
