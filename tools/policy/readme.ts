/**
 * `npm run policy:readme` rewrites the policy table in policies/README.md from the definitions, so the
 * table cannot drift from the code (a test checks it is current).
 */
import * as fs from "fs";
import * as path from "path";
import { allPolicies } from "../../policies/all";
import { isObjectPolicy } from "../../policies/framework";
import { newCommand, runAlone } from "../cli/command";

export const README = path.resolve(__dirname, "..", "..", "policies", "README.md");
const BEGIN = "<!-- policy-table:begin -->";
const END = "<!-- policy-table:end -->";

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function policyTable(): string {
    const rows = allPolicies.map((p) => `| \`${p.name}\` | ${p.severity}${p.security ? ", security" : ""} | ${isObjectPolicy(p) ? "resource" : "stack"} | ${cell(p.description)} | ${cell(p.why)} | ${p.tags.map((t) => `\`${t}\``).join(" ") || "-"} |`);
    return ["| policy | severity | runs as | what it checks | why (the outage it prevents) | equivalents |", "| --- | --- | --- | --- | --- | --- |", ...rows].join("\n");
}

export function renderReadme(current: string): string {
    const start = current.indexOf(BEGIN);
    const end = current.indexOf(END);
    if (start < 0 || end < start) throw new Error(`${README}: markers ${BEGIN} / ${END} not found`);
    return `${current.slice(0, start + BEGIN.length)}\n${policyTable()}\n${current.slice(end)}`;
}

/** `npm run policy:readme` (flags: --help alone). */
export const policyReadmeCommand = () => newCommand("policy:readme", "rewrite the policy table in policies/README.md from the definitions", {
    exitCodes: [[0, "the table is written"], [2, "bad input: a flag"], [3, "internal error (no table markers: a bug to report)"]],
    examples: ["npm run policy:readme"],
}).action(() => {
    fs.writeFileSync(README, renderReadme(fs.readFileSync(README, "utf8")));
    process.stdout.write(`updated ${path.relative(process.cwd(), README)} (${allPolicies.length} policies)\n`);
});

if (require.main === module) void runAlone(policyReadmeCommand(), process.argv.slice(2), "npm run");
