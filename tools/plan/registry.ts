/**
 * The emulated ECR registry behind the offline plan: which images each repository holds, by digest and
 * tag, across plans. A plan's docker-build Image pushes into it; `aws.ecr.getImages`/`getImage` answer
 * from it. Each plan runs in its own process, so a registry is a file (`npm run plan -- --registry FILE`):
 * building plans write what they pushed, later plans (a consumer, a rollback) read it.
 *
 * Deterministic: no clocks. A push is stamped with the registry's own counter, so the same sequence of
 * plans gives the same file byte for byte.
 */
import * as fs from "fs";
import * as path from "path";
import { describeValue, errnoText, InputError, readText } from "../../config/safeRead";

/** One image manifest in a repository, as DescribeImages reports it (imageDetails[]). */
export interface StoredImage {
    digest: string;
    tags: string[];
    /** Unix seconds: the registry's logical clock at the push. */
    pushedAt: number;
    sizeInBytes: number;
}

export interface StoredRepository {
    /** Tags that may move (ECR `IMMUTABLE_WITH_EXCLUSION` wildcard filters); every other tag is immutable. */
    mutableTags: string[];
    images: StoredImage[];
}

/** The file form: repositories by URI (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`), sorted. */
export interface RegistryFile {
    clock: number;
    repositories: Record<string, StoredRepository>;
}

// An ECR repository URI: account, region, and a repository name as CreateRepository takes it
// (docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html, repositoryName pattern).
const REPOSITORY_URI = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
// A Docker tag (distribution/reference@v0.6.0:regexp.go) and an image manifest digest.
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

const key = (k: string) => (/^[A-Za-z_]\w*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);

/** The first thing in a parsed registry file that is not what toJSON writes: [path, problem]. */
function registryProblem(data: unknown): [string, string] | undefined {
    const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
    const not = (at: string, v: unknown, what: string): [string, string] => [at, `is ${describeValue(v)}, not ${what}`];
    const only = (at: string, v: Record<string, unknown>, keys: string[]): [string, string] | undefined => {
        const extra = Object.keys(v).find((k) => !keys.includes(k));
        if (extra !== undefined) return [`${at}${key(extra)}`, `is not a key of the registry file (${keys.join(", ")})`];
        const missing = keys.find((k) => !(k in v));
        return missing === undefined ? undefined : [at, `has no "${missing}"`];
    };
    const count = (at: string, v: unknown): [string, string] | undefined =>
        (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? undefined : typeof v === "number" ? [at, `is ${v}, not a whole number of 0 or more`] : not(at, v, "a number"));
    const strings = (at: string, v: unknown, rule?: RegExp, what = "a Docker tag"): [string, string] | undefined => {
        if (!Array.isArray(v)) return not(at, v, "a list");
        for (let i = 0; i < v.length; i++) {
            if (typeof v[i] !== "string" || v[i] === "") return typeof v[i] === "string" ? [`${at}[${i}]`, "is empty"] : not(`${at}[${i}]`, v[i], "a string");
            if (rule && !rule.test(v[i])) return [`${at}[${i}]`, `${JSON.stringify(v[i].slice(0, 80))} is not ${what}`];
        }
        return undefined;
    };
    if (!isMap(data)) return not("", data, "a registry (a map of clock and repositories)");
    const top = only("", data, ["clock", "repositories"]) ?? count("clock", data.clock);
    if (top) return top;
    if (!isMap(data.repositories)) return not("repositories", data.repositories, "a map");
    for (const [uri, repo] of Object.entries(data.repositories)) {
        const at = `repositories${key(uri)}`;
        if (!REPOSITORY_URI.test(uri)) return [at, "is not an ECR repository URI (<account>.dkr.ecr.<region>.amazonaws.com/<name>)"];
        if (!isMap(repo)) return not(at, repo, "a map");
        const shape = only(at, repo, ["mutableTags", "images"]) ?? strings(`${at}.mutableTags`, repo.mutableTags);
        if (shape) return shape;
        if (!Array.isArray(repo.images)) return not(`${at}.images`, repo.images, "a list");
        const byTag = new Map<string, number>();
        const digests = new Set<string>();
        for (let i = 0; i < repo.images.length; i++) {
            const image = repo.images[i];
            const here = `${at}.images[${i}]`;
            if (!isMap(image)) return not(here, image, "a map");
            const problem = only(here, image, ["digest", "tags", "pushedAt", "sizeInBytes"])
                ?? (typeof image.digest !== "string" ? not(`${here}.digest`, image.digest, "a string") : undefined)
                ?? strings(`${here}.tags`, image.tags, TAG) ?? count(`${here}.pushedAt`, image.pushedAt) ?? count(`${here}.sizeInBytes`, image.sizeInBytes);
            if (problem) return problem;
            const digest = image.digest as string;
            if (!DIGEST.test(digest)) return [`${here}.digest`, `${JSON.stringify(digest.slice(0, 80))} is not a sha256 digest`];
            if (digests.has(digest)) return [`${here}.digest`, `${digest} is listed twice`];
            digests.add(digest);
            // In ECR a tag names one image.
            for (const tag of image.tags as string[]) {
                if (byTag.has(tag)) return [`${here}.tags`, `${JSON.stringify(tag)} is also a tag of images[${byTag.get(tag)}]`];
                byTag.set(tag, i);
            }
        }
    }
    return undefined;
}

/** The registry file's text, checked against what toJSON writes (so nothing in it is dropped on write-back). */
export function parseRegistryFile(text: string, file: string): RegistryFile {
    let data: unknown;
    try {
        data = JSON.parse(text);
    } catch (err) {
        throw new InputError(`${file}: not an emulated registry file (not JSON: ${(err as Error).message})`);
    }
    const problem = registryProblem(data);
    if (problem) throw new InputError(`${file}: not an emulated registry file: ${problem[0].replace(/^\./, "") || "the file"}: ${problem[1]}`);
    return data as RegistryFile;
}

/** 2026-01-01T00:00:00Z: the first push's time; each push is a minute later. */
const EPOCH = 1767225600;

/** An error the emulated AWS APIs return: `details` is what the engine hands the program (gRPC status details). */
export function awsError(message: string): Error {
    return Object.assign(new Error(message), { details: message });
}

export function repositoryUri(registryId: string, region: string, name: string): string {
    return `${registryId}.dkr.ecr.${region}.amazonaws.com/${name}`;
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<name>:<tag>` -> its parts, or undefined for another registry. */
export function parseEcrTag(ref: string): { registryId: string; region: string; name: string; tag: string } | undefined {
    const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+):([^@]+)$/.exec(ref);
    return m ? { registryId: m[1], region: m[2], name: m[3], tag: m[4] } : undefined;
}

/** A plausible compressed size for a pushed image, from its digest (20-60 MB). */
function imageSize(digest: string): number {
    return 20_000_000 + (parseInt(digest.slice(7, 15), 16) % 40_000_000);
}

/** ECR's wildcard filter (`*` any run of characters). */
function wildcard(filter: string): RegExp {
    return new RegExp(`^${filter.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}

export class EmulatedRegistry {
    private clock: number;
    private readonly repositories: Map<string, StoredRepository>;

    constructor(file?: RegistryFile) {
        this.clock = file?.clock ?? 0;
        this.repositories = new Map(Object.entries(structuredClone(file?.repositories ?? {})));
    }

    /** A registry file (written by an earlier plan); anything else is one InputError line naming the file and the path. */
    static read(file: string): EmulatedRegistry {
        return new EmulatedRegistry(parseRegistryFile(readText(file), file));
    }

    /**
     * `--registry FILE`: the registry in FILE, or an empty one when FILE does not exist yet. The plan
     * writes FILE back, so it must be writable, or its directory must exist for a new one.
     */
    static open(file: string): EmulatedRegistry {
        if (file === "") throw new InputError(`"": empty path`);
        let exists: boolean;
        try {
            exists = fs.lstatSync(file, { throwIfNoEntry: false }) !== undefined;
        } catch (err) {
            throw new InputError(`${file}: ${errnoText(err)}`);
        }
        if (!exists) {
            const dir = path.dirname(file);
            let stat: fs.Stats;
            try {
                stat = fs.statSync(dir);
            } catch (err) {
                throw new InputError(`${file}: its directory ${dir}: ${errnoText(err)}`);
            }
            if (!stat.isDirectory()) throw new InputError(`${file}: its directory ${dir} is not a directory`);
            return new EmulatedRegistry();
        }
        const registry = EmulatedRegistry.read(file);
        try {
            fs.accessSync(file, fs.constants.W_OK);
        } catch (err) {
            throw new InputError(`${file}: ${errnoText(err)} (the plan writes the registry back)`);
        }
        return registry;
    }

    /** The file form, keys and images in a stable order. */
    toJSON(): RegistryFile {
        const repositories: Record<string, StoredRepository> = {};
        for (const uri of [...this.repositories.keys()].sort()) {
            const repo = this.repositories.get(uri)!;
            repositories[uri] = {
                mutableTags: [...repo.mutableTags].sort(),
                images: [...repo.images].sort((a, b) => a.pushedAt - b.pushedAt || (a.digest < b.digest ? -1 : 1))
                    .map((i) => ({ ...i, tags: [...i.tags].sort() })),
            };
        }
        return { clock: this.clock, repositories };
    }

    write(file: string): void {
        fs.writeFileSync(file, `${JSON.stringify(this.toJSON(), null, 2)}\n`);
    }

    /** CreateRepository: an existing repository (from an earlier plan) keeps its images. */
    createRepository(uri: string, mutableTags: string[]): void {
        const existing = this.repositories.get(uri);
        if (existing) existing.mutableTags = [...mutableTags];
        else this.repositories.set(uri, { mutableTags: [...mutableTags], images: [] });
    }

    hasRepository(uri: string): boolean {
        return this.repositories.has(uri);
    }

    /**
     * A manifest push of `tag`. As ECR answers it: no repository is `name unknown`; an immutable tag that
     * already names another digest is refused; the same digest again is a no-op; a mutable tag moves
     * (its old image stays, untagged when it has no other tag).
     */
    push(uri: string, tag: string, digest: string): void {
        const repo = this.repositories.get(uri);
        const [registry, ...name] = uri.split("/");
        if (!repo) throw awsError(`name unknown: The repository with name '${name.join("/")}' does not exist in the registry with id '${registry.split(".")[0]}'`);
        const holder = repo.images.find((i) => i.tags.includes(tag));
        if (holder?.digest === digest) return;
        if (holder && !repo.mutableTags.some((f) => wildcard(f).test(tag))) {
            throw awsError(`tag invalid: The image tag '${tag}' already exists in the '${name.join("/")}' repository and cannot be overwritten because the tag is immutable.`);
        }
        if (holder) holder.tags = holder.tags.filter((t) => t !== tag);
        const image = repo.images.find((i) => i.digest === digest);
        if (image) image.tags.push(tag);
        else repo.images.push({ digest, tags: [tag], pushedAt: EPOCH + 60 * this.clock++, sizeInBytes: imageSize(digest) });
    }

    /** The images of a repository, or undefined when there is no such repository. */
    images(uri: string): readonly StoredImage[] | undefined {
        return this.repositories.get(uri)?.images;
    }

    /** ECR's lifecycle run: the images `policy` expires at `now` leave the repository; returns them. */
    applyLifecycle(uri: string, policy: string, now: number): StoredImage[] {
        const repo = this.repositories.get(uri);
        if (!repo) return [];
        const expired = lifecycleExpired(policy, repo.images, now);
        repo.images = repo.images.filter((i) => !expired.includes(i));
        return expired;
    }

    /** The registry's clock: the time of the next push. */
    now(): number {
        return EPOCH + 60 * this.clock;
    }
}

// ---- ECR lifecycle policies, as AWS evaluates them --------------------------------------------------------
// awsdocs/amazon-ecr-user-guide doc_source/LifecyclePolicies.md ("Lifecycle policy evaluation rules",
// "Lifecycle policy parameters"); tagPatternList: the same page in its current version (docs.aws.amazon.com
// AmazonECR/latest/userguide/LifecyclePolicies.html).

interface LifecycleRule {
    rulePriority: number;
    selection: {
        tagStatus: "tagged" | "untagged" | "any";
        tagPrefixList?: string[];
        tagPatternList?: string[];
        countType: "imageCountMoreThan" | "sinceImagePushed";
        countUnit?: string;
        countNumber: number;
    };
    action: { type: string };
}

/** What PutLifecyclePolicy would refuse in this policy text (InvalidParameterException), empty when valid. */
export function lifecyclePolicyProblems(text: string): string[] {
    const problems: string[] = [];
    let rules: LifecycleRule[];
    try {
        rules = (JSON.parse(text) as { rules: LifecycleRule[] }).rules;
    } catch {
        return ["not JSON"];
    }
    if (!Array.isArray(rules) || rules.length === 0) return ["no rules"];
    const priorities = rules.map((r) => r.rulePriority);
    if (new Set(priorities).size !== priorities.length) problems.push("rulePriority values are not unique");
    const untagged = rules.filter((r) => r.selection.tagStatus === "untagged");
    if (untagged.length > 1) problems.push("more than one rule selects untagged images");
    for (const r of rules) {
        const s = r.selection;
        const at = `rule ${r.rulePriority}`;
        if (s.tagStatus === "tagged" && !(s.tagPrefixList?.length || s.tagPatternList?.length)) problems.push(`${at}: tagged needs tagPrefixList or tagPatternList`);
        if (s.tagStatus !== "tagged" && (s.tagPrefixList || s.tagPatternList)) problems.push(`${at}: tag lists only go with tagStatus tagged`);
        if (s.countType === "sinceImagePushed" && s.countUnit !== "days") problems.push(`${at}: sinceImagePushed needs countUnit days`);
        if (s.countType !== "sinceImagePushed" && s.countUnit !== undefined) problems.push(`${at}: countUnit only goes with sinceImagePushed`);
        if (!Number.isInteger(s.countNumber) || s.countNumber < 1) problems.push(`${at}: countNumber is not a positive integer`);
        if (r.action?.type !== "expire") problems.push(`${at}: the only action is expire`);
        if (s.tagStatus === "any" && r.rulePriority !== Math.max(...priorities)) problems.push(`${at}: a tagStatus any rule must have the highest rulePriority`);
    }
    return problems;
}

/** Does the rule's tag selection match the image (every listed prefix/pattern matches one of its tags)? */
function matches(rule: LifecycleRule, image: StoredImage): boolean {
    const s = rule.selection;
    if (s.tagStatus === "any") return true;
    if (s.tagStatus === "untagged") return image.tags.length === 0;
    if (image.tags.length === 0) return false;
    const prefixes = (s.tagPrefixList ?? []).every((p) => image.tags.some((t) => t.startsWith(p)));
    const patterns = (s.tagPatternList ?? []).every((p) => image.tags.some((t) => wildcard(p).test(t)));
    return prefixes && patterns;
}

/**
 * The images a lifecycle policy expires at `now` (unix seconds). Every rule marks what it selects; rules
 * apply by priority; an image is expired by one rule at most, and an image a rule's tag selection matches
 * cannot be expired by a rule of lower priority; expiry goes oldest first.
 */
export function lifecycleExpired(text: string, images: readonly StoredImage[], now: number): StoredImage[] {
    const rules = [...(JSON.parse(text) as { rules: LifecycleRule[] }).rules].sort((a, b) => a.rulePriority - b.rulePriority);
    const claimed = new Set<StoredImage>();
    const expired: StoredImage[] = [];
    for (const rule of rules) {
        const selected = images.filter((i) => matches(rule, i));
        const youngestFirst = [...selected].sort((a, b) => b.pushedAt - a.pushedAt);
        const { countType, countNumber } = rule.selection;
        const marked = countType === "imageCountMoreThan"
            ? youngestFirst.slice(countNumber)
            : youngestFirst.filter((i) => now - i.pushedAt > countNumber * 86400);
        for (const image of marked) if (!claimed.has(image)) expired.push(image);
        for (const image of selected) claimed.add(image);
    }
    return expired;
}
