/**
 * Writes a report folder: report.json, charts/*.png, report.md and report.html, each file
 * atomically. The report files are derived data, rewritten whenever the report is made again.
 * Without the native canvas module the PNGs are left out and the caller is told how to get them;
 * everything else is written.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ReportDoc } from "./model.js";
import { writeFileAtomic } from "../sweep/SweepStore.js";
import { writePngCharts } from "./png.js";
import { reportMarkdown } from "./markdown.js";
import { reportHtml } from "./html.js";

export async function writeReportFolder(dir: string, json: unknown, doc: ReportDoc): Promise<{ files: string[]; pngNote: string | null }> {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, "report.json"), JSON.stringify(json, null, 2) + "\n");
  const pngs = await writePngCharts(doc.charts, dir);
  const written = "written" in pngs ? pngs.written : null;
  writeFileAtomic(join(dir, "report.md"), reportMarkdown(doc, written));
  writeFileAtomic(join(dir, "report.html"), reportHtml(doc));
  return {
    files: ["report.md", "report.html", "report.json", ...(written === null ? [] : [`charts/ (${written.length} PNG)`])],
    pngNote: "unavailable" in pngs ? `PNG charts not written: ${pngs.unavailable}; report.html draws the same charts` : null,
  };
}
