/**
 * `npm run readme:graph`: plans the dev stack offline and writes its component graph (graph.mmd, the
 * same bytes `npm run plan -- --stack dev` writes) into the README's ```mermaid block.
 * test/graph.test.ts fails when the two differ. Its flags (--help alone) on commander; the plan loads
 * only once they parse.
 */
import * as fs from "fs";
import * as path from "path";
import { CliError, newCommand, runAlone } from "../cli/command";

const README = path.resolve(__dirname, "..", "..", "README.md");

async function main(): Promise<void> {
    const [{ mermaidGraph, readmeWithGraph }, { planStack }] = await Promise.all([import("./graph"), import("./planStack")]);
    const planned = await planStack({ stack: "dev" });
    const before = fs.readFileSync(README, "utf8");
    const after = readmeWithGraph(before, mermaidGraph(planned.plan, planned.run));
    if (after !== before) fs.writeFileSync(README, after);
    process.stdout.write(`${after === before ? "unchanged" : "updated"}: README.md's dev graph\n`);
}

/** `npm run readme:graph`. */
export const readmeGraphCommand = () => newCommand("readme:graph", "plan the dev stack offline and write its graph into README.md", {
    notes: "Rewrites only README.md's ```mermaid block, and only when the graph changed.",
    exitCodes: [[0, "README.md's graph is current (updated or unchanged)"], [2, "bad input: a flag"], [3, "the plan failed, or README.md has no graph block"]],
    examples: ["npm run readme:graph"],
}).action(async () => {
    try {
        await main();
    } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err), 3);
    }
});

if (require.main === module) void runAlone(readmeGraphCommand(), process.argv.slice(2), "npm run");
