/** The vendored data tables (policies/data/*.tsv): tab-separated, header line first, blank lines ignored. */
export interface TsvTable {
    /** Each data row's cells, with its line number in the file (for messages). */
    rows: Array<{ cells: string[]; line: number }>;
    /** The index of a named column; throws, naming the file, when the header lacks it. */
    column(name: string): number;
}

export function parseTsv(tsv: string, file: string): TsvTable {
    const lines = tsv.split(/\r?\n/).map((text, i) => ({ text, line: i + 1 })).filter(({ text }) => text.trim() !== "");
    const [header, ...rows] = lines;
    const columns = header ? header.text.split("\t") : [];
    return {
        rows: rows.map(({ text, line }) => ({ cells: text.split("\t"), line })),
        column(name) {
            const index = columns.indexOf(name);
            if (index < 0) throw new Error(`${file}: missing column "${name}"`);
            return index;
        },
    };
}
