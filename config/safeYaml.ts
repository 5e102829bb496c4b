/**
 * YAML from untrusted text, parsed under the limits the yaml library does not set:
 * - nesting: its composer recurses once per level. Past about 900 levels the stack runs out, and when V8
 *   compiles a regular expression with the stack that full it aborts the process (exit 134 and a native
 *   trace, not an exception): a file with a tab error and then deep brackets did that. The parser
 *   (iterative) is fed token by token here and stopped past MAX_YAML_NESTING;
 * - time: the deadline is checked between tokens;
 * - duplicate keys, found in linear time: the library's uniqueKeys compares each key with every earlier
 *   one (yaml@2.9.1 dist/compose/util-map-includes.js), and a 40,000-key map took 24 s.
 * Otherwise the documents are what parseAllDocuments gives, errors and warnings with their linePos.
 */
import { Composer, Document, isAlias, isMap, isPair, isScalar, isSeq, Lexer, LineCounter, Parser, YAMLParseError } from "yaml";
import type { CST } from "yaml";
import { Deadline, InputError } from "./safeRead";

/** How deeply collections may nest (a stack file or a manifest needs a dozen levels). */
export const MAX_YAML_NESTING = 64;

export interface ParsedYaml {
    documents: Document.Parsed[];
    lines: LineCounter;
}

/** Adds a "Map keys must be unique" error where the yaml library's uniqueKeys would (same equality: the node, or a scalar's value). */
function checkUniqueKeys(doc: Document.Parsed, deadline: Deadline, file: string): void {
    let visited = 0;
    const walk = (node: unknown): void => {
        if (++visited % 4096 === 0) deadline.check(file);
        if (isMap(node)) {
            const seen = new Set<unknown>();
            for (const pair of node.items) {
                const key = pair.key as unknown;
                const identity = isScalar(key) && (key.value === null || typeof key.value !== "object") ? key.value : key ?? pair;
                if (seen.has(identity)) {
                    const range = (key as { range?: [number, number] } | null)?.range ?? node.range ?? [0, 0];
                    doc.errors.push(new YAMLParseError([range[0], range[1]], "DUPLICATE_KEY", "Map keys must be unique"));
                }
                seen.add(identity);
                walk(key);
                walk(pair.value);
            }
        } else if (isSeq(node)) {
            for (const item of node.items) walk(isPair(item) ? item.value : item);
        }
    };
    if (!isAlias(doc.contents)) walk(doc.contents);
}

/** Every document in `text` (none for an empty text); refused with an InputError past the nesting or time limit. */
export function parseYaml(text: string, file: string, deadline = new Deadline()): ParsedYaml {
    const lines = new LineCounter();
    const parser = new Parser(lines.addNewLine);
    lines.addNewLine(0); // what Parser.parse does first (yaml@2.9.1 dist/parse/parser.js)
    const tokens: CST.Token[] = [];
    let count = 0;
    for (const lexeme of new Lexer().lex(text)) {
        for (const token of parser.next(lexeme)) tokens.push(token);
        // The parser's stack holds the document, the collections it is inside, and the token it reads.
        if (parser.stack.length > MAX_YAML_NESTING + 2) {
            throw new InputError(`${file}:${lines.linePos(parser.offset).line}: nested too deeply (more than ${MAX_YAML_NESTING} levels)`);
        }
        if (++count % 4096 === 0) deadline.check(file);
    }
    for (const token of parser.end()) tokens.push(token);
    // logLevel error: the library never writes a warning to stderr itself; callers read doc.warnings.
    const documents = [...new Composer({ uniqueKeys: false, logLevel: "error" }).compose(tokens)];
    deadline.check(file);
    for (const doc of documents) {
        checkUniqueKeys(doc, deadline, file);
        doc.errors.sort((a, b) => a.pos[0] - b.pos[0]);
        for (const e of [...doc.errors, ...doc.warnings]) e.linePos = [lines.linePos(e.pos[0]), lines.linePos(e.pos[1])];
    }
    return { documents, lines };
}
