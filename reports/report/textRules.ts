/**
 * What the Markdown and the HTML renderers agree on about a report's text, so the two read alike:
 * which table columns hold numbers (right-aligned, digits under digits) and which note is a
 * command to run (a repro line, shown as code so it can be copied whole).
 */
import type { ReportTable } from "./model.js";

/** A number, maybe signed or bounded (`<0.1`, `≥ 3`), maybe with a unit after it (`12.5 ms`). */
const NUMBER_CELL = /^(?:[<>≤≥~]\s?)?[-+−]?(?:\d|\.\d)/;
/** What a numeric column may show for "no value". */
const EMPTY_CELL = /^(?:|-|—|–|n\/a)$/i;

/** For each column: true when every cell reads as a number (and at least one is one). */
export function numericColumns(table: ReportTable): boolean[] {
  return table.columns.map((_, c) => {
    const cells = table.rows.map((r) => (r[c] ?? "").trim());
    return cells.some((s) => NUMBER_CELL.test(s)) && cells.every((s) => NUMBER_CELL.test(s) || EMPTY_CELL.test(s));
  });
}

/**
 * A command line in a note: `npx kafkasim …`, `kafkasim …` or `node <file> …`, alone or after a
 * lead ending in a colon (`repro: npx kafkasim run …`). Null for prose.
 */
const COMMAND_NOTE = /^(?:(.*?:)\s+)?((?:\$\s+)?(?:npx\s+kafkasim|kafkasim|node\s+\S+)\s.*)$/s;

export function splitCommand(note: string): { lead: string; command: string } | null {
  const m = COMMAND_NOTE.exec(note.trim());
  if (m === null) return null;
  return { lead: m[1] ?? "", command: m[2] };
}
