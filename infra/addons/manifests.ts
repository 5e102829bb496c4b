/**
 * Vendored Kubernetes manifests applied as typed Pulumi resources, for CRDs that Helm would install once
 * and never upgrade. They are applied as Patch resources, which pulumi-kubernetes sends as a server-side
 * apply even on create (pulumi/pulumi-kubernetes@v4.32.0:provider/pkg/await/await.go:190-213): a CRD that
 * an earlier Helm install created is taken over (forced, from Helm's field manager) instead of failing with
 * AlreadyExists. They are retained on delete: a destroy leaves the CRDs, and with them every object of
 * their kinds, in place (deleting a Patch would relinquish its fields, await.go:958-961, which on a CRD
 * the stack created fails, and on one it took over strips what it forced).
 *
 * Parsed files are kept for the process (read-only): the offline tools plan many stacks in one process.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { parseAllDocuments } from "yaml";

/** The objects of a multi-document YAML file (comments and empty documents dropped). */
export function readManifests(file: string): Array<Record<string, any>> {
    return parsedOnce(file, () => parseAllDocuments(fs.readFileSync(file, "utf8")).map((doc) => doc.toJS()).filter((o) => o && typeof o === "object"));
}

/**
 * A vendored file parsed once per process (and again when it changes): the plan tools require the program
 * afresh for every plan, so a module-level cache would not survive between plans. Treat the result as read-only.
 */
export function parsedOnce<T>(file: string, parse: () => T): T {
    const key = Symbol.for("eks-delivery.parsed-files");
    const cache: Map<string, unknown> = ((globalThis as Record<symbol, unknown>)[key] as Map<string, unknown> | undefined)
        ?? ((globalThis as Record<symbol, unknown>)[key] = new Map<string, unknown>()) as Map<string, unknown>;
    const stat = fs.statSync(file);
    const id = `${file}:${stat.size}:${stat.mtimeMs}`;
    if (!cache.has(id)) cache.set(id, parse());
    return cache.get(id) as T;
}

/**
 * Registers each object: CustomResourceDefinitions and admission policies, the kinds CRD bundles carry.
 * Any other kind is an error (a bundle that grew one must be looked at, not applied blindly).
 */
export function applyManifests(prefix: string, objects: Array<Record<string, any>>, options: pulumi.CustomResourceOptions): pulumi.Resource[] {
    const opts = { ...options, retainOnDelete: true };
    return objects.map((o) => {
        const name = `${prefix}-${o.metadata.name}`;
        const crd = o.kind === "CustomResourceDefinition";
        const metadata = {
            ...o.metadata,
            annotations: {
                ...o.metadata.annotations,
                "pulumi.com/patchForce": "true",
                // Objects of the kind (and the controller's informers) need the CRD served, not just stored.
                ...(crd ? { "pulumi.com/waitFor": "condition=Established" } : {}),
            },
        };
        const { spec } = o;
        switch (o.kind) {
            case "CustomResourceDefinition": return new k8s.apiextensions.v1.CustomResourceDefinitionPatch(name, { metadata, spec }, opts);
            case "ValidatingAdmissionPolicy": return new k8s.admissionregistration.v1.ValidatingAdmissionPolicyPatch(name, { metadata, spec }, opts);
            case "ValidatingAdmissionPolicyBinding": return new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBindingPatch(name, { metadata, spec }, opts);
            default: throw new Error(`${prefix}: ${o.kind} ${o.metadata?.name} is not a kind a CRD bundle may carry`);
        }
    });
}
