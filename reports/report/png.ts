/**
 * Charts as PNG files, for report.md (a design review pastes images, not scripts): each ChartSpec
 * is drawn by chart.js on a node-canvas through chartjs-node-canvas, 900×450 on white, into
 * `<dir>/charts/<id>.png`.
 *
 * chartjs-node-canvas is an optional dependency: its native `canvas` module builds against cairo
 * and pango, and where those are missing npm skips it. Then this says, in one line, how to get
 * PNGs, and the report goes on without them (the HTML page draws the same charts in a browser).
 * It is imported by a name held in a variable so that type checking does not need it installed.
 *
 * Each file is written under a temporary name in the same directory and renamed into place, so
 * a report directory never holds half a PNG.
 */
import { mkdir, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { chartJsConfig } from "./chartConfig.js";
import { kafkasimChartPlugin } from "./chartPlugins.js";
import type { ChartSpec } from "./model.js";

export const PNG_WIDTH = 900;
export const PNG_HEIGHT = 450;

const ENABLE_PNGS =
  "install chartjs-node-canvas's native canvas module: apt-get install libcairo2-dev libpango1.0-dev libjpeg-dev libgif-dev librsvg2-dev build-essential pkg-config python3 (Debian), then npm rebuild canvas";

/** The part of chartjs-node-canvas used here. */
interface NodeCanvasRenderer {
  renderToBuffer(configuration: object, mimeType?: "image/png"): Promise<Buffer>;
}
type RendererClass = new (options: { width: number; height: number; backgroundColour?: string }) => NodeCanvasRenderer;

/**
 * Writes one PNG per chart; `written` lists their paths relative to `dir` (`charts/<id>.png`), in
 * the charts' order. When chartjs-node-canvas or its canvas module cannot be loaded, writes
 * nothing and returns `unavailable`: one line saying why and how to enable PNGs.
 */
export async function writePngCharts(charts: ChartSpec[], dir: string): Promise<{ written: string[] } | { unavailable: string }> {
  checkIds(charts);
  const renderer = await loadRenderer();
  if (typeof renderer === "string") return { unavailable: renderer };

  const chartsDir = join(dir, "charts");
  await mkdir(chartsDir, { recursive: true });
  const written: string[] = [];
  for (const spec of charts) {
    const config = { ...chartJsConfig(spec), plugins: [kafkasimChartPlugin()] };
    const png = await renderer.renderToBuffer(config, "image/png");
    await writeAtomically(join(chartsDir, `${spec.id}.png`), png);
    written.push(`charts/${spec.id}.png`);
  }
  return { written };
}

/** A renderer, or the one-line reason there is none. */
async function loadRenderer(): Promise<NodeCanvasRenderer | string> {
  const moduleName = "chartjs-node-canvas";
  try {
    const mod = (await import(moduleName)) as { ChartJSNodeCanvas?: RendererClass; default?: { ChartJSNodeCanvas?: RendererClass } };
    const Renderer = mod.ChartJSNodeCanvas ?? mod.default?.ChartJSNodeCanvas;
    if (Renderer === undefined) return `PNG charts unavailable (${moduleName} has no ChartJSNodeCanvas): ${ENABLE_PNGS}`;
    // The constructor loads `canvas`, the native part: a failed build shows up here.
    return new Renderer({ width: PNG_WIDTH, height: PNG_HEIGHT, backgroundColour: "white" });
  } catch (e) {
    const why = firstLine(e instanceof Error ? e.message : String(e));
    return `PNG charts unavailable (${why}): ${ENABLE_PNGS}`;
  }
}

/** Ids become file names: letters, digits and dashes only (model.ts), and each once. */
function checkIds(charts: ChartSpec[]): void {
  const seen = new Set<string>();
  for (const c of charts) {
    if (!/^[A-Za-z0-9-]+$/.test(c.id)) throw new Error(`chart id ${JSON.stringify(c.id)}: use letters, digits and dashes only (it is a file name)`);
    if (seen.has(c.id)) throw new Error(`chart id ${c.id} is used twice: each chart needs its own file`);
    seen.add(c.id);
  }
}

async function writeAtomically(path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

function firstLine(s: string): string {
  const line = s.split("\n", 1)[0].trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
