/**
 * The report renderers (reports/report/): Markdown, chart.js configurations, PNGs and the HTML
 * page, on a small sweep-like ReportDoc. The PNG test needs chartjs-node-canvas (an optional
 * dependency with a native part) and skips, saying why, where it cannot load. The page test runs
 * the page in Debian's chromium; without /usr/bin/chromium it skips locally and fails in CI.
 *
 * REPORT_SAMPLE_DIR=/some/dir keeps the sample's PNGs, report.md, report.html and a screenshot
 * of the page there, to look at.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { chartJsConfig, PALETTE } from "../reports/report/chartConfig.js";
import { kafkasimChartPluginSource } from "../reports/report/chartPlugins.js";
import { reportHtml } from "../reports/report/html.js";
import { reportMarkdown } from "../reports/report/markdown.js";
import type { ChartSpec, ReportDoc } from "../reports/report/model.js";
import { writePngCharts } from "../reports/report/png.js";

const SAMPLE_DIR = process.env.REPORT_SAMPLE_DIR;
const CHROMIUM = "/usr/bin/chromium";

const CONFIGS = ["acks=1 min.isr=1", "acks=all min.isr=1", "acks=all min.isr=2", "acks=all min.isr=2 unclean"];

const latencyChart: ChartSpec = {
  id: "produce-latency",
  title: "Produce latency p50 / p99 / p99.9 per config (200 seeds)",
  type: "bar",
  xLabel: "config",
  yLabel: "produce latency (ms)",
  logY: true,
  labels: CONFIGS,
  datasets: [
    { label: "p50", data: [1.9, 4.2, 4.4, 4.3] },
    { label: "p99", data: [12.5, 38, 41, 40] },
    { label: "p99.9", data: [95, 310, 2950, 420] },
  ],
};

const lossChart: ChartSpec = {
  id: "acked-loss",
  title: "Share of runs losing acknowledged records, with 95% Wilson interval",
  type: "bar",
  xLabel: "config",
  yLabel: "share of runs (0-1)",
  labels: CONFIGS,
  datasets: [{ label: "runs with lost acked records", data: [0.31, 0.12, 0, 0.045], low: [0.25, 0.083, 0, 0.024], high: [0.38, 0.17, 0.019, 0.083] }],
};

const unavailabilityChart: ChartSpec = {
  id: "unavailability",
  title: "Unavailability per config (mean, p95, max over seeds)",
  type: "bar",
  xLabel: "config",
  yLabel: "unavailable (s)",
  labels: CONFIGS,
  datasets: [
    { label: "mean", data: [2.1, 2.3, 9.8, 3.0] },
    { label: "p95", data: [4.5, 4.9, 21.0, 6.1] },
    { label: "max", data: [6.0, 7.2, 30.0, 9.5] },
  ],
};

/** One run: a leader killed at 10 s, its ISR shrinking, restart and a rack partition close together. */
function timeSeriesChart(): ChartSpec {
  const seconds: number[] = [];
  const latency: number[] = [];
  const isr: number[] = [];
  for (let i = 0; i <= 120; i++) {
    const t = i / 2;
    seconds.push(t);
    const base = 4 + ((i * 7) % 5) * 0.4;
    latency.push(t >= 10 && t < 16 ? 180 + (i % 3) * 40 : t >= 26 && t < 32 ? 60 + (i % 4) * 10 : base);
    isr.push(t >= 28 && t < 32 ? 1 : t >= 20 && t < 36 ? 2 : 3);
  }
  return {
    id: "run-timeline",
    title: "Produce latency and ISR size over simulated time, seed 7, faults marked",
    type: "line",
    xLabel: "simulated time (s)",
    yLabel: "produce latency p99 (ms)",
    rightLabel: "ISR size (replicas)",
    labels: seconds,
    datasets: [
      { label: "produce latency p99", data: latency },
      { label: "ISR size of orders-0", data: isr, axis: "right", stepped: true },
    ],
    markers: [
      { x: 10, label: "kill broker-1" },
      { x: 25, label: "restart broker-1" },
      { x: 26, label: "partition rack-a | rest" },
      { x: 40, label: "heal" },
    ],
  };
}

const sampleDoc: ReportDoc = {
  title: "Sweep: leader-failover, acks × min.insync.replicas",
  story: "A three-broker cluster in two racks takes a steady produce load. Broker 1, the leader of orders-0, is killed at 10 s and comes back at 25 s; a second later rack a is cut off from the rest for 14 s.\n\nWhich configs lose acknowledged records, and what does safety cost in latency?",
  facts: [
    ["scenario", "leader-failover"],
    ["Kafka version", "3.6"],
    ["seeds", "1..200 (200 runs per config)"],
    ["configs", "4"],
    ["kafkasim", "0.1.0"],
  ],
  faults: ["10 s: kill broker-1", "25 s: restart broker-1", "26 s: partition {rack-a} | {rack-b}, 14 s", "40 s: heal"],
  tables: [
    {
      title: "Outcomes per config",
      columns: ["config", "runs", "lost acked", "share lost (95% CI)", "p99 (ms)", "unavailable mean (s)"],
      rows: [
        ["acks=1 min.isr=1", "200", "62", "0.31 (0.25–0.38)", "12.5", "2.1"],
        ["acks=all min.isr=1", "200", "24", "0.12 (0.083–0.17)", "38", "2.3"],
        ["acks=all min.isr=2", "200", "0", "0 (0–0.019)", "41", "9.8"],
        ["acks=all min.isr=2 unclean", "200", "9", "0.045 (0.024–0.083)", "40", "3.0"],
      ],
      note: "Share lost: runs with at least one acknowledged record missing at the end; the interval is Wilson's at 95%.",
    },
  ],
  charts: [latencyChart, lossChart, unavailabilityChart, timeSeriesChart()],
  notes: ["Seed 17 of acks=1 min.isr=1 lost 112 acknowledged records; repro: npx kafkasim run leader-failover --seed 17 --set acks=1", "npx kafkasim sweep leader-failover --set acks=1,all --set min.insync.replicas=1,2 --seeds 1..200"],
};

/** Text that every renderer must escape: table pipes, markup, a script end tag, U+2028. */
const hostileDoc: ReportDoc = {
  title: "Evil <script>window.__pwned=1</script> & co",
  story: "Story with <b>tags</b> & a `tick`.",
  facts: [["key|with pipe", "value <i>x</i>"]],
  faults: ["1 s: *kill* broker_1 [now]"],
  tables: [{ title: "T | 1", columns: ["a|b", "n"], rows: [["x | y", "1"], ["<img src=x onerror=window.__pwned=2>", "2"]], note: "note </script><script>window.__pwned=3</script>" }],
  charts: [{ ...lossChart, id: "hostile", title: "t </script><script>window.__pwned=4</script>\u2028" }],
  notes: ["plain <note>"],
};

describe("reportMarkdown", () => {
  it("escapes table pipes and markup, aligns numbers, and links the PNGs that were written", () => {
    const md = reportMarkdown(hostileDoc, ["charts/hostile.png"]);
    expect(md).toContain("# Evil \\<script>window.\\_\\_pwned=1\\</script> & co\n");
    expect(md).toContain("| a\\|b | n |\n| --- | ---: |\n| x \\| y | 1 |\n");
    expect(md).toContain("- **key|with pipe:** value \\<i>x\\</i>");
    expect(md).toContain("- 1 s: \\*kill\\* broker\\_1 \\[now\\]");
    expect(md).toContain("![t \\</script>\\<script>window.\\_\\_pwned=4\\</script> ](charts/hostile.png)");
    // Every table line has the same number of unescaped cell separators.
    const tableLines = md.split("\n").filter((l) => l.startsWith("| "));
    for (const l of tableLines) expect(l.replace(/\\\|/g, "").split("|").length).toBe(4);
  });

  it("links each written chart, names a missing one, and says where charts are without PNGs", () => {
    const md = reportMarkdown(sampleDoc, ["charts/produce-latency.png", "charts/acked-loss.png", "charts/unavailability.png"]);
    expect(md).toContain("![Produce latency p50 / p99 / p99.9 per config (200 seeds)](charts/produce-latency.png)");
    expect(md).toContain("![Share of runs losing acknowledged records, with 95% Wilson interval](charts/acked-loss.png)");
    expect(md).toContain("Produce latency and ISR size over simulated time, seed 7, faults marked: no PNG was written; the chart is in report.html.");
    expect(md).toContain("| config | runs | lost acked | share lost (95% CI) | p99 (ms) | unavailable mean (s) |\n| --- | ---: | ---: | ---: | ---: | ---: |");
    expect(md).toContain("Share lost: runs with at least one acknowledged record missing at the end");
    expect(md).toContain("## Fault schedule\n\n- 10 s: kill broker-1\n");
    // Repro lines are code, copied whole.
    expect(md).toContain("Seed 17 of acks=1 min.isr=1 lost 112 acknowledged records; repro:\n\n```sh\nnpx kafkasim run leader-failover --seed 17 --set acks=1\n```\n\n```sh\nnpx kafkasim sweep leader-failover");

    const without = reportMarkdown(sampleDoc, null);
    expect(without).not.toContain("![");
    expect(without.split("\n").filter((l) => l.includes("report.html"))).toEqual(["The charts are in report.html: PNG images could not be rendered here."]);
  });
});

describe("chartJsConfig", () => {
  it("a grouped bar chart with error-bar intervals: plain JSON, palette colours, axis reaching the whiskers", () => {
    const cfg = chartJsConfig(lossChart);
    expect(JSON.parse(JSON.stringify(cfg))).toEqual(cfg);
    expect(cfg.type).toBe("bar");
    expect(cfg.data.labels).toEqual(CONFIGS);
    expect(cfg.data.datasets[0]).toMatchObject({ label: "runs with lost acked records", data: [0.31, 0.12, 0, 0.045], backgroundColor: PALETTE[0], yAxisID: "y" });
    const o = cfg.options!;
    expect(o.animation).toBe(false);
    expect(o.plugins?.title).toMatchObject({ display: true, text: lossChart.title });
    expect(o.plugins?.legend).toMatchObject({ display: true });
    expect(o.plugins?.tooltip).toMatchObject({ enabled: true });
    expect(o.plugins?.kafkasimMarks).toEqual({ markers: [], labelRowsAbove: 0, intervals: [{ datasetIndex: 0, low: lossChart.datasets[0].low, high: lossChart.datasets[0].high }] });
    expect(o.scales?.y).toMatchObject({ type: "linear", beginAtZero: true, suggestedMax: 0.38, title: { display: true, text: "share of runs (0-1)" } });
    expect(o.scales?.x).toMatchObject({ type: "category", title: { text: "config" } });

    const latency = chartJsConfig(latencyChart);
    expect(latency.options?.scales?.y).toMatchObject({ type: "logarithmic" });
    expect(latency.data.datasets.map((d) => d.backgroundColor)).toEqual(PALETTE.slice(0, 3));
  });

  it("a line chart over a linear time axis with a stepped right axis and fault markers", () => {
    const spec = timeSeriesChart();
    const cfg = chartJsConfig(spec);
    expect(JSON.parse(JSON.stringify(cfg))).toEqual(cfg);
    expect(cfg.type).toBe("line");
    const [latency, isr] = cfg.data.datasets as Array<{ data: Array<{ x: number; y: number | null }>; stepped?: unknown; yAxisID?: string; label?: string; pointRadius?: number }>;
    expect(latency.data[21]).toEqual({ x: 10.5, y: spec.datasets[0].data[21] });
    expect(latency).toMatchObject({ yAxisID: "y", stepped: false, pointRadius: 0 });
    expect(isr).toMatchObject({ yAxisID: "y1", stepped: true, label: "ISR size of orders-0 (right axis)" });
    const scales = cfg.options!.scales as Record<string, Record<string, unknown>>;
    expect(scales.x).toMatchObject({ type: "linear", min: 0, max: 60, title: { text: "simulated time (s)" } });
    expect(scales.y1).toMatchObject({ type: "linear", position: "right", grid: { drawOnChartArea: false }, ticks: { precision: 0 }, title: { text: "ISR size (replicas)" } });
    expect(cfg.options!.plugins?.kafkasimMarks?.markers).toEqual(spec.markers);
  });

  it("the plugin's embedded source stands alone: evaluated without its module it makes the plugin", () => {
    const make = new Function(`return (${kafkasimChartPluginSource()});`)() as () => { id: string; afterDatasetsDraw: unknown };
    const plugin = make();
    expect(plugin.id).toBe("kafkasimMarks");
    expect(typeof plugin.afterDatasetsDraw).toBe("function");
  });
});

// Whether PNGs can be rendered here, and if not the one-line reason writePngCharts gives.
const pngProbe = await writePngCharts([], mkdtempSync(join(tmpdir(), "kafkasim-png-probe-")));
const pngSkip = "unavailable" in pngProbe ? pngProbe.unavailable : null;
if (pngSkip !== null) console.warn(`reportRender: skipping the PNG test: ${pngSkip}`);

describe("writePngCharts", () => {
  it.skipIf(pngSkip !== null)("writes one 900×450 PNG per chart, atomically, under charts/", async () => {
    const dir = SAMPLE_DIR ?? mkdtempSync(join(tmpdir(), "kafkasim-png-"));
    const result = await writePngCharts(sampleDoc.charts, dir);
    if (!("written" in result)) throw new Error(result.unavailable);
    expect(result.written).toEqual(sampleDoc.charts.map((c) => `charts/${c.id}.png`));
    for (const rel of result.written) {
      const png = readFileSync(join(dir, rel));
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(png.toString("latin1", 12, 16)).toBe("IHDR");
      expect({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) }).toEqual({ width: 900, height: 450 });
      expect(png.length).toBeGreaterThan(5000); // drawn, not a blank canvas
    }
    expect(readdirSync(join(dir, "charts")).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    if (SAMPLE_DIR !== undefined) writeFileSync(join(dir, "report.md"), reportMarkdown(sampleDoc, result.written));
  });

  it("without chartjs-node-canvas says in one line how to get PNGs, writes nothing, throws nothing", async () => {
    vi.resetModules();
    vi.doMock("chartjs-node-canvas", () => {
      throw new Error("Cannot find module 'canvas'\nRequire stack: ...");
    });
    try {
      const { writePngCharts: withoutCanvas } = await import("../reports/report/png.js");
      const dir = mkdtempSync(join(tmpdir(), "kafkasim-nopng-"));
      const result = await withoutCanvas(sampleDoc.charts, dir);
      expect("unavailable" in result && result.unavailable).toMatch(/^PNG charts unavailable \(.+\): .*libcairo2-dev.*npm rebuild canvas$/);
      expect("unavailable" in result && result.unavailable.includes("\n")).toBe(false);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      vi.doUnmock("chartjs-node-canvas");
      vi.resetModules();
    }
  });

  it("refuses a chart id that is not a plain file name", async () => {
    await expect(writePngCharts([{ ...lossChart, id: "../x" }], tmpdir())).rejects.toThrow(/letters, digits and dashes/);
  });
});

describe("reportHtml", () => {
  it("escapes report text in the markup and in the inlined JSON, and references nothing outside the page", () => {
    const html = reportHtml(hostileDoc);
    // Booleans, not toContain: a failure would print the whole page, chart.js included.
    expect(html.includes("<title>Evil &lt;script&gt;window.__pwned=1&lt;/script&gt; &amp; co</title>")).toBe(true);
    expect(html.includes("<td>&lt;img src=x onerror=window.__pwned=2&gt;</td>")).toBe(true);
    // Only three script elements: chart.js, the JSON, the start-up script.
    expect(html.match(/<script/g)?.length).toBe(3);
    expect(html.match(/<\/script>/g)?.length).toBe(3);
    const json = /<script type="application\/json" id="kafkasim-charts">(.*?)<\/script>/s.exec(html)?.[1] ?? "";
    expect(json.includes("\u2028") || json.includes("<")).toBe(false);
    expect(JSON.parse(json)[0].config.options.plugins.title.text).toBe(hostileDoc.charts[0].title);
    // The markup and CSS load nothing (the page test also watches the browser's requests).
    const markup = html.replace(/<script\b[^>]*>.*?<\/script>/gs, "<script></script>");
    expect(/<(link|img|iframe|object|embed)\b|<[a-z]+\s[^>]*\b(src|href)=|@import|url\(/i.test(markup)).toBe(false);
  });

  const chromiumMissing = !existsSync(CHROMIUM);
  const inCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";
  if (chromiumMissing && !inCi) console.warn(`reportRender: skipping the browser test: ${CHROMIUM} is missing (apt-get install chromium); CI installs it and runs it`);

  it.skipIf(chromiumMissing && !inCi)("opens offline in chromium: every chart drawn by chart.js, tables present, no errors", async () => {
    if (chromiumMissing) throw new Error(`${CHROMIUM} is missing: CI must install chromium (.ci/run) for the report page test`);
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      for (const doc of [sampleDoc, hostileDoc]) {
        const dir = doc === sampleDoc && SAMPLE_DIR !== undefined ? SAMPLE_DIR : mkdtempSync(join(tmpdir(), "kafkasim-html-"));
        mkdirSync(dir, { recursive: true });
        const file = join(dir, "report.html");
        writeFileSync(file, reportHtml(doc));

        const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
        const errors: string[] = [];
        const requests: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error") errors.push(`console: ${m.text()}`);
        });
        page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
        page.on("request", (r) => requests.push(r.url()));
        await page.goto(pathToFileURL(file).href, { waitUntil: "load" });

        const ids = doc.charts.map((c) => c.id);
        const state = await page.evaluate((chartIds) => {
          const w = window as unknown as { Chart?: { getChart(c: HTMLCanvasElement): { width: number; height: number; config: { type: string } } | undefined }; __pwned?: unknown };
          return {
            pwned: w.__pwned,
            title: document.title,
            tables: document.querySelectorAll("table").length,
            firstTableRows: document.querySelectorAll("section.report-table tbody tr").length,
            charts: chartIds.map((id) => {
              const canvas = document.getElementById(`chart-${id}`) as HTMLCanvasElement | null;
              const chart = canvas === null || w.Chart === undefined ? undefined : w.Chart.getChart(canvas);
              return { id, canvas: canvas !== null, chart: chart !== undefined, type: chart?.config.type, width: chart?.width ?? 0, height: chart?.height ?? 0 };
            }),
          };
        }, ids);

        expect(errors).toEqual([]);
        expect(requests.every((u) => u.startsWith("file:") || u.startsWith("data:") || u.startsWith("about:"))).toBe(true);
        expect(state.pwned).toBeUndefined();
        expect(state.title).toBe(doc.title);
        expect(state.tables).toBe(doc.tables.length + (doc.facts.length > 0 ? 1 : 0));
        expect(state.firstTableRows).toBe(doc.tables[0].rows.length);
        for (const c of state.charts) {
          expect(c, c.id).toMatchObject({ canvas: true, chart: true, type: doc.charts.find((s) => s.id === c.id)!.type });
          expect(c.width, c.id).toBeGreaterThan(100);
          expect(c.height, c.id).toBeGreaterThan(50);
        }
        if (doc === sampleDoc && SAMPLE_DIR !== undefined) await page.screenshot({ path: join(dir, "report-page.png"), fullPage: true });
        await page.close();
      }
    } finally {
      await browser.close();
    }
  });
});
