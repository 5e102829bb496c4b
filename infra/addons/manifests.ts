/**
 * Vendored Kubernetes manifests applied as typed Pulumi resources, for CRDs that Helm would install once
 * and never upgrade. They are applied as Patch resources, which pulumi-kubernetes sends as a server-side
 * apply even on create (pulumi/pulumi-kubernetes@v4.32.0:provider/pkg/await/await.go:190-213): a CRD that
 * an earlier Helm install created is taken over (forced, from Helm's field manager) instead of failing with
 * AlreadyExists, and a destroy leaves the CRDs, and with them every object of their kinds, in place.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { parseAllDocuments } from "yaml";

/** The objects of a multi-document YAML file (comments and empty documents dropped). */
export function readManifests(file: string): Array<Record<string, any>> {
    return parseAllDocuments(fs.readFileSync(file, "utf8")).map((doc) => doc.toJS()).filter((o) => o && typeof o === "object");
}

/**
 * Registers each object: CustomResourceDefinitions and admission policies, the kinds CRD bundles carry.
 * Any other kind is an error (a bundle that grew one must be looked at, not applied blindly).
 */
export function applyManifests(prefix: string, objects: Array<Record<string, any>>, opts: pulumi.CustomResourceOptions): pulumi.Resource[] {
    return objects.map((o) => {
        const name = `${prefix}-${o.metadata.name}`;
        const metadata = { ...o.metadata, annotations: { ...o.metadata.annotations, "pulumi.com/patchForce": "true" } };
        const { spec } = o;
        switch (o.kind) {
            case "CustomResourceDefinition": return new k8s.apiextensions.v1.CustomResourceDefinitionPatch(name, { metadata, spec }, opts);
            case "ValidatingAdmissionPolicy": return new k8s.admissionregistration.v1.ValidatingAdmissionPolicyPatch(name, { metadata, spec }, opts);
            case "ValidatingAdmissionPolicyBinding": return new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBindingPatch(name, { metadata, spec }, opts);
            default: throw new Error(`${prefix}: ${o.kind} ${o.metadata?.name} is not a kind a CRD bundle may carry`);
        }
    });
}
