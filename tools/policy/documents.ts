/** Kubernetes YAML (files or folders, multi-document, `List`s expanded) as resources the pack evaluates. */
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import type { StackResource } from "../../policies/framework";

export class InputError extends Error {}

function yamlFiles(target: string): string[] {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(target);
    } catch {
        throw new InputError(`${target}: no such file or directory`);
    }
    if (stat.isFile()) return [target];
    return fs.readdirSync(target, { withFileTypes: true })
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .flatMap((e) => (e.isDirectory() ? yamlFiles(path.join(target, e.name)) : /\.ya?ml$/.test(e.name) ? [path.join(target, e.name)] : []));
}

/** Pulumi's type token for an object: `apps/v1` Deployment -> `kubernetes:apps/v1:Deployment`, `v1` -> `core/v1`. */
export function kubernetesType(apiVersion: string, kind: string): string {
    return `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${kind}`;
}

export function readDocuments(file: string): StackResource[] {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new InputError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code})`);
    }
    const resources: StackResource[] = [];
    parseAllDocuments(text).forEach((doc, index) => {
        if (!("errors" in doc)) throw new InputError(`${file}: not YAML`);
        if (doc.errors.length > 0) {
            const e = doc.errors[0];
            throw new InputError(`${file}:${e.linePos?.[0].line ?? "?"}: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`);
        }
        const value = doc.toJS();
        if (value === null || value === undefined) return;
        const objects = value?.kind === "List" || /List$/.test(String(value?.kind)) ? value.items ?? [] : [value];
        for (const obj of objects) {
            if (typeof obj !== "object" || typeof obj.kind !== "string" || typeof obj.apiVersion !== "string") {
                throw new InputError(`${file}: document ${index + 1} is not a Kubernetes object (no apiVersion/kind)`);
            }
            const name = obj.metadata?.name ?? `${obj.kind.toLowerCase()}-${index + 1}`;
            resources.push({ type: kubernetesType(obj.apiVersion, obj.kind), urn: `${file}#${resources.length}`, name, props: obj, file });
        }
    });
    return resources;
}

/** Every YAML document under the given paths, grouped by file (in path order). */
export function readPaths(paths: string[]): Map<string, StackResource[]> {
    const byFile = new Map<string, StackResource[]>();
    for (const file of paths.flatMap(yamlFiles)) byFile.set(file, readDocuments(file));
    return byFile;
}
