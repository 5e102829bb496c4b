/**
 * The AWS region codes a stack may name in `aws:region` (and `eks-delivery:registry.from.region`).
 *
 * SOURCE, compared on 2026-11-27: the Pulumi AWS provider's `Region` enum, pulumi/pulumi-aws@v7.48.0
 * (installed): node_modules/@pulumi/aws/types/enums/index.d.ts, 46 regions across the aws, aws-cn,
 * aws-us-gov, aws-iso* and aws-eusc (eusc-de-east-1) partitions. This list equals it (test/schema.test.ts
 * checks both ways). A region newer than the provider is refused until it is added here: add it with its source.
 *
 * Opt-in regions (AWS: regions launched after 20 March 2019 are disabled in an account until enabled,
 * https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html) are real regions and accepted.
 */
import { closest, distance } from "fastest-levenshtein";

export const AWS_REGIONS = [
    // aws (commercial)
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1",
    "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
    "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1",
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    // aws-cn
    "cn-north-1", "cn-northwest-1",
    // aws-us-gov
    "us-gov-east-1", "us-gov-west-1",
    // aws-iso, aws-iso-b, aws-iso-e, aws-iso-f
    "us-iso-east-1", "us-iso-west-1", "us-isob-east-1", "us-isob-west-1", "eu-isoe-west-1", "us-isof-east-1", "us-isof-south-1",
    // aws-eusc
    "eusc-de-east-1",
] as const;

export type AwsRegion = typeof AWS_REGIONS[number];

export function isAwsRegion(value: string): value is AwsRegion {
    return (AWS_REGIONS as readonly string[]).includes(value);
}

/** What is wrong with a region code (a predicate after the value), or undefined when it is a region. */
export function regionProblem(value: string): string | undefined {
    if (isAwsRegion(value)) return undefined;
    // Close enough to be a typo (as config/schema.ts nearest): "ap-northeast-22", "us-east1".
    const guess = closest(value, [...AWS_REGIONS]);
    const close = distance(value, guess) <= Math.max(2, Math.floor(value.length / 3));
    return `is not an AWS region${close ? ` (did you mean ${guess}?)` : ""}`;
}
