/**
 * A report as GitHub-flavoured Markdown (report.md), to paste into a design review: title, the
 * scenario's story, the key facts, the fault schedule, each table with its note, the charts as
 * images (the PNGs written beside it), then the closing notes with repro commands as code.
 *
 * Text from the report is escaped where Markdown would read it as markup: `|` in a table cell
 * would end the cell, `<` would start an HTML tag, `*`, `_`, `` ` ``, `[`, `]` would turn a
 * config name into emphasis or a link. The story is the exception: it is the scenario's own
 * description, written for people, and goes in as written.
 */
import type { ChartSpec, ReportDoc, ReportTable } from "./model.js";
import { numericColumns, splitCommand } from "./textRules.js";

/**
 * `pngFiles`: the chart PNGs written, as paths relative to the report's directory
 * (`charts/<id>.png`, as writePngCharts returns them); null when PNGs could not be rendered.
 */
export function reportMarkdown(doc: ReportDoc, pngFiles: string[] | null): string {
  const parts: string[] = [`# ${inline(doc.title)}`];
  if (doc.story.trim() !== "") parts.push(doc.story.trim());
  if (doc.facts.length > 0) parts.push(doc.facts.map(([k, v]) => `- **${inline(k)}:** ${inline(v)}`).join("\n"));
  parts.push("## Fault schedule", doc.faults.length > 0 ? doc.faults.map((f) => `- ${inline(f)}`).join("\n") : "No faults.");
  for (const t of doc.tables) parts.push(...table(t));
  if (doc.charts.length > 0) parts.push("## Charts", ...charts(doc.charts, pngFiles));
  if (doc.notes.length > 0) parts.push("## Notes", ...notes(doc.notes));
  return `${parts.join("\n\n")}\n`;
}

function table(t: ReportTable): string[] {
  const numeric = numericColumns(t);
  const row = (cells: string[]) => `| ${t.columns.map((_, c) => cell(cells[c] ?? "")).join(" | ")} |`;
  const lines = [row(t.columns), `| ${numeric.map((n) => (n ? "---:" : "---")).join(" | ")} |`, ...t.rows.map(row)];
  const out = [`## ${inline(t.title)}`, lines.join("\n")];
  if (t.rows.length === 0) out.push("No rows.");
  if (t.note !== undefined && t.note.trim() !== "") out.push(inline(t.note));
  return out;
}

function charts(specs: ChartSpec[], pngFiles: string[] | null): string[] {
  if (pngFiles === null) return ["The charts are in report.html: PNG images could not be rendered here."];
  const written = new Set(pngFiles.map((p) => p.replace(/\\/g, "/")));
  return specs.map((c) => {
    const path = `charts/${c.id}.png`;
    return written.has(path) ? `![${inline(c.title)}](${path})` : `${inline(c.title)}: no PNG was written; the chart is in report.html.`;
  });
}

/**
 * Prose as paragraphs; a repro command as a code block. Commands in a row share one block, but a
 * command led by its own words ("seed 17 lost records; repro:") gets a block of its own.
 */
function notes(list: string[]): string[] {
  const out: string[] = [];
  let commands: string[] = [];
  const flush = () => {
    if (commands.length > 0) out.push(codeBlock(commands.join("\n")));
    commands = [];
  };
  for (const note of list) {
    const cmd = splitCommand(note);
    if (cmd === null) {
      flush();
      out.push(inline(note));
    } else if (cmd.lead === "") {
      commands.push(cmd.command);
    } else {
      flush();
      out.push(inline(cmd.lead));
      commands.push(cmd.command);
      flush();
    }
  }
  flush();
  return out;
}

function codeBlock(text: string): string {
  // A fence longer than any run of backticks inside, so the block cannot be closed early.
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}sh\n${text}\n${fence}`;
}

/** One line of text with Markdown's inline markup characters escaped. */
export function inline(s: string): string {
  return s.replace(/\r?\n|\u2028|\u2029/g, " ").replace(/[\\`*_[\]<]/g, "\\$&");
}

/** A table cell: inline text, and `|` escaped too (it would end the cell). */
export function cell(s: string): string {
  return inline(s.trim()).replace(/\|/g, "\\|");
}
