/**
 * A ChartSpec as a chart.js v4 configuration: plain JSON (no functions, no class instances), so
 * the PNG renderer hands it to chartjs-node-canvas and the HTML page embeds it as JSON, and both
 * draw the same chart. What chart.js cannot do by itself (error bars, fault markers) is described
 * under `options.plugins.kafkasimMarks` and drawn by the plugin in chartPlugins.ts, which each
 * renderer adds to the configuration it gets from here.
 *
 * Bar charts have one category per label (configs). Line charts are drawn over a linear x axis
 * from `{x, y}` points, so a fault marker at x = 12.5 s lands at 12.5 s whatever the sampling.
 * Colours come from the Okabe–Ito palette (told apart with the common colour-vision
 * deficiencies), in a fixed order, so dataset i has the same colour in every chart and run.
 */
import type { ChartConfiguration, ChartType } from "chart.js";
import type { ChartDataset, ChartSpec } from "./model.js";
import type { MarksInterval, MarksOptions } from "./chartPlugins.js";

declare module "chart.js" {
  interface PluginOptionsByType<TType extends ChartType> {
    kafkasimMarks?: MarksOptions;
  }
}

/**
 * Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion, reddish
 * purple, sky blue, black; their yellow comes last, as it is faint on white.
 */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"];

/** Above this many points a line is drawn without point dots (they would merge into a band). */
const MAX_DOTTED_POINTS = 60;
/** Rows of fault-marker labels drawn above the plot, under the title (more go inside the plot). */
const MARKER_ROWS_ABOVE = 2;
const MARKER_ROW_PX = 15;

export type LinePoint = { x: number; y: number | null };
export type KafkasimChartConfig =
  | ChartConfiguration<"bar", Array<number | null>, string>
  | ChartConfiguration<"line", LinePoint[], number>;

export function chartJsConfig(spec: ChartSpec): KafkasimChartConfig {
  return spec.type === "bar" ? barConfig(spec) : lineConfig(spec);
}

function barConfig(spec: ChartSpec): ChartConfiguration<"bar", Array<number | null>, string> {
  const twoAxes = usesBothAxes(spec);
  return {
    type: "bar",
    data: {
      labels: spec.labels.map(String),
      datasets: spec.datasets.map((d, i) => ({
        label: legendLabel(d, twoAxes),
        data: d.data.slice(),
        backgroundColor: colour(i),
        borderColor: colour(i),
        borderWidth: 1,
        yAxisID: axisId(d),
      })),
    },
    options: {
      ...common(spec, { mode: "index", intersect: false }),
      scales: {
        x: { type: "category", title: axisTitle(spec.xLabel), grid: { display: false } },
        ...yScales(spec, true),
      },
    },
  };
}

function lineConfig(spec: ChartSpec): ChartConfiguration<"line", LinePoint[], number> {
  const twoAxes = usesBothAxes(spec);
  const xs = spec.labels.map(Number);
  const markerXs = (spec.markers ?? []).map((m) => m.x);
  const bounds = [...xs, ...markerXs].filter((x) => Number.isFinite(x));
  return {
    type: "line",
    data: {
      datasets: spec.datasets.map((d, i) => ({
        label: legendLabel(d, twoAxes),
        data: xs.map((x, j) => ({ x, y: d.data[j] ?? null })),
        borderColor: colour(i),
        backgroundColor: colour(i),
        borderWidth: 2,
        pointRadius: xs.length > MAX_DOTTED_POINTS ? 0 : 2.5,
        pointHoverRadius: 4,
        // true is chart.js' "before": a value holds flat until the next sample, then jumps.
        stepped: d.stepped === true,
        fill: false,
        spanGaps: false,
        yAxisID: axisId(d),
      })),
    },
    options: {
      ...common(spec, { mode: "nearest", axis: "x", intersect: false }),
      scales: {
        x: {
          type: "linear",
          title: axisTitle(spec.xLabel),
          // The whole run and every fault in view, even a fault before the first sample.
          ...(bounds.length > 0 ? { min: least(bounds), max: greatest(bounds) } : {}),
        },
        ...yScales(spec, false),
      },
    },
  };
}

/** Options every chart shares: title, legend, tooltips, no animation, the plugin's data. */
function common(spec: ChartSpec, interaction: { mode: "index" | "nearest"; axis?: "x"; intersect: boolean }) {
  const markers = (spec.markers ?? []).map((m) => ({ x: m.x, label: m.label }));
  const rowsAbove = markers.length > 0 ? MARKER_ROWS_ABOVE : 0;
  const marks: MarksOptions = { markers, labelRowsAbove: rowsAbove, intervals: intervals(spec.datasets) };
  return {
    // Off: a PNG must be the finished chart, and the page should show numbers at once.
    animation: false as const,
    responsive: true,
    maintainAspectRatio: true,
    aspectRatio: 2,
    layout: { padding: 8 },
    interaction,
    plugins: {
      title: { display: true, text: spec.title, color: "#222222", font: { size: 16, weight: "bold" as const }, padding: { top: 4, bottom: 8 + rowsAbove * MARKER_ROW_PX } },
      legend: { display: true, position: "bottom" as const },
      tooltip: { enabled: true },
      kafkasimMarks: marks,
    },
  };
}

function intervals(datasets: ChartDataset[]): MarksInterval[] {
  const out: MarksInterval[] = [];
  datasets.forEach((d, datasetIndex) => {
    if (d.low === undefined || d.high === undefined) return;
    out.push({ datasetIndex, low: d.low.slice(), high: d.high.slice() });
  });
  return out;
}

/**
 * The left axis `y` and, when a dataset asks for it, the right axis `y1` (its grid lines off, so
 * the plot keeps one grid). An axis reaches every interval's ends (chart.js scales to the data
 * only, and a whisker would leave the plot) and counts in whole numbers when all its values are
 * whole (an ISR of 2.5 replicas would be a lie of the tick labels).
 */
function yScales(spec: ChartSpec, bar: boolean) {
  const left = spec.datasets.filter((d) => axisId(d) === "y");
  const right = spec.datasets.filter((d) => axisId(d) === "y1");
  const scales: Record<string, object> = {
    y: {
      type: spec.logY === true ? ("logarithmic" as const) : ("linear" as const),
      position: "left" as const,
      title: axisTitle(spec.logY === true ? `${spec.yLabel} (log scale)` : spec.yLabel),
      // A line at the axis' maximum (an ISR at full size) would hide in the plot's top edge.
      ...(spec.logY === true ? {} : { beginAtZero: true, ...(bar ? {} : { grace: "5%" }) }),
      ...intervalBounds(left, spec.logY === true),
      ...(wholeNumbers(left) ? { ticks: { precision: 0 } } : {}),
    },
  };
  if (right.length > 0) {
    scales.y1 = {
      type: "linear" as const,
      position: "right" as const,
      title: axisTitle(spec.rightLabel ?? ""),
      beginAtZero: true,
      ...(bar ? {} : { grace: "5%" }),
      grid: { drawOnChartArea: false },
      ...intervalBounds(right, false),
      ...(wholeNumbers(right) ? { ticks: { precision: 0 } } : {}),
    };
  }
  return scales;
}

function intervalBounds(datasets: ChartDataset[], log: boolean): { suggestedMin?: number; suggestedMax?: number } {
  const lows = datasets.flatMap((d) => d.low ?? []).filter((v): v is number => v !== null && Number.isFinite(v) && (!log || v > 0));
  const highs = datasets.flatMap((d) => d.high ?? []).filter((v): v is number => v !== null && Number.isFinite(v));
  return {
    ...(lows.length > 0 ? { suggestedMin: least(lows) } : {}),
    ...(highs.length > 0 ? { suggestedMax: greatest(highs) } : {}),
  };
}

function wholeNumbers(datasets: ChartDataset[]): boolean {
  const values = datasets.flatMap((d) => [...d.data, ...(d.low ?? []), ...(d.high ?? [])]).filter((v): v is number => v !== null);
  return values.length > 0 && values.every((v) => Number.isInteger(v));
}

function axisTitle(text: string) {
  return { display: text !== "", text, color: "#333333", font: { size: 13 } };
}

function axisId(d: ChartDataset): "y" | "y1" {
  return d.axis === "right" ? "y1" : "y";
}

function usesBothAxes(spec: ChartSpec): boolean {
  return spec.datasets.some((d) => d.axis === "right") && spec.datasets.some((d) => d.axis !== "right");
}

/** With two y axes the legend says which one a line is read against. */
function legendLabel(d: ChartDataset, twoAxes: boolean): string {
  return twoAxes && d.axis === "right" ? `${d.label} (right axis)` : d.label;
}

/** Math.min(...xs) throws RangeError past ~100k arguments; a long run's time series has more. */
function least(xs: number[]): number {
  return xs.reduce((a, b) => (b < a ? b : a));
}

function greatest(xs: number[]): number {
  return xs.reduce((a, b) => (b > a ? b : a));
}

function colour(i: number): string {
  return PALETTE[i % PALETTE.length];
}
