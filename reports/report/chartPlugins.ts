/**
 * The one chart.js plugin the reports need, for what chart.js has no option for: error-bar
 * whiskers (an interval from low to high over each bar or point), fault markers (a dashed
 * vertical line with a small label at an x value of a linear x axis), and readable log-axis
 * labels (1, 2, 5 per decade).
 *
 * The same code runs in Node (the PNG renderer) and in the HTML page: the page embeds this
 * function's source, `kafkasimChartPlugin.toString()`. So the factory must be self-contained:
 * it may use nothing from this module or any other (no imports, no module constants, no
 * helpers), only its arguments and the chart it is given, and only syntax browsers and Node 20
 * both run untranspiled (type annotations are erased by tsc / esbuild and leave plain JS).
 * The report test loads the page in chromium and draws every chart through it.
 *
 * Its data comes from the chart's options (`options.plugins.kafkasimMarks`, see MarksOptions),
 * which chartJsConfig fills, so a configuration stays plain JSON.
 */
import type { Chart, ChartType, Plugin, Scale } from "chart.js";

/** The plugin's id, and so its key under `options.plugins`. */
export const MARKS_PLUGIN_ID = "kafkasimMarks";

export interface MarksInterval {
  /** The dataset whose bars (or points) carry the interval. */
  datasetIndex: number;
  low: Array<number | null>;
  high: Array<number | null>;
}

export interface MarksOptions {
  markers: Array<{ x: number; label: string }>;
  /** How many rows of marker labels fit above the plot (the config's top padding). */
  labelRowsAbove: number;
  intervals: MarksInterval[];
}

/**
 * A fresh plugin object. Pass it in a chart's own `plugins: [...]` (not Chart.register), so the
 * plugin applies to the charts made from our configurations and to nothing else.
 */
export function kafkasimChartPlugin(): Plugin<ChartType, MarksOptions> {
  return {
    id: "kafkasimMarks",
    afterDatasetsDraw(chart: Chart, _args: unknown, opts: MarksOptions) {
      const ctx = chart.ctx;
      const area = chart.chartArea;
      if (!opts || !area) return;

      // Whiskers: a vertical line from low to high with caps, black over a white halo so it
      // reads on any bar colour. Hidden datasets (legend click) keep their whiskers hidden too.
      const intervals = opts.intervals || [];
      for (const iv of intervals) {
        if (!chart.isDatasetVisible(iv.datasetIndex)) continue;
        const meta = chart.getDatasetMeta(iv.datasetIndex);
        const yScale = chart.scales[meta.yAxisID as string];
        if (!yScale) continue;
        ctx.save();
        ctx.beginPath();
        ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
        ctx.clip();
        for (let j = 0; j < meta.data.length; j++) {
          const lo = iv.low[j];
          const hi = iv.high[j];
          if (lo === null || lo === undefined || hi === null || hi === undefined) continue;
          const el = meta.data[j] as unknown as { x: number; width?: number };
          const top = yScale.getPixelForValue(hi);
          const bottom = yScale.getPixelForValue(lo);
          if (!isFinite(top) || !isFinite(bottom)) continue;
          const half = Math.max(3, Math.min(10, (el.width || 12) / 4));
          const passes: Array<[string, number]> = [["rgba(255,255,255,0.9)", 4], ["#000000", 1.5]];
          for (const pass of passes) {
            ctx.strokeStyle = pass[0];
            ctx.lineWidth = pass[1];
            ctx.beginPath();
            ctx.moveTo(el.x, top);
            ctx.lineTo(el.x, bottom);
            ctx.moveTo(el.x - half, top);
            ctx.lineTo(el.x + half, top);
            ctx.moveTo(el.x - half, bottom);
            ctx.lineTo(el.x + half, bottom);
            ctx.stroke();
          }
        }
        ctx.restore();
      }

      // Markers: every dashed line first, then the labels over them, so no line crosses a
      // label. Sorted by x, each label goes right of its line (left of it near the right edge),
      // in the first row where it does not overlap the label before it, so faults close together
      // stack their labels instead of printing over each other. The first `labelRowsAbove` rows
      // sit in the room chartJsConfig leaves above the plot; further rows go inside it.
      const xScale = chart.scales.x;
      const markers = (opts.markers || []).slice().sort((a, b) => a.x - b.x);
      if (!xScale || markers.length === 0) return;
      const shown: Array<{ px: number; label: string }> = [];
      for (const m of markers) {
        const px = xScale.getPixelForValue(m.x);
        if (isFinite(px) && px >= area.left - 0.5 && px <= area.right + 0.5) shown.push({ px: px, label: m.label });
      }
      const rowHeight = 15;
      const rowsAbove = opts.labelRowsAbove || 0;
      const firstRowTop = area.top - rowsAbove * rowHeight;
      const maxRows = rowsAbove + Math.max(1, Math.floor((area.bottom - area.top) / rowHeight / 3));
      ctx.save();
      ctx.strokeStyle = "#555555";
      ctx.lineWidth = 1.25;
      ctx.setLineDash([5, 4]);
      for (const m of shown) {
        ctx.beginPath();
        ctx.moveTo(m.px, firstRowTop);
        ctx.lineTo(m.px, area.bottom);
        ctx.stroke();
      }
      ctx.setLineDash([]);
      ctx.font = "11px 'Helvetica Neue', Helvetica, Arial, sans-serif";
      ctx.textBaseline = "middle";
      const rowEnds: number[] = [];
      for (const m of shown) {
        const w = ctx.measureText(m.label).width + 6;
        let left = m.px + 2;
        if (left + w > area.right) left = Math.max(area.left, m.px - 2 - w);
        let row = 0;
        while (row < maxRows - 1 && rowEnds[row] !== undefined && rowEnds[row] > left) row++;
        rowEnds[row] = left + w + 3;
        const y = firstRowTop + 1 + row * rowHeight;
        ctx.fillStyle = "rgba(255,255,255,0.75)";
        ctx.fillRect(left, y, w, rowHeight - 2);
        ctx.fillStyle = "#222222";
        ctx.fillText(m.label, left + 3, y + (rowHeight - 2) / 2);
      }
      ctx.restore();
    },

    // A log axis labels 1, 2, 5 per decade (only powers of ten past five decades): chart.js'
    // own choice labels every tick in the top fifth of the axis, where they overlap ("800" on
    // "1,000"). The other ticks go, grid lines with them; the axis range is already set.
    afterBuildTicks(_chart: Chart, args: { scale: Scale }) {
      const scale = args.scale;
      if (!scale || scale.type !== "logarithmic" || scale.ticks.length < 2) return;
      const decades = Math.log10(scale.max / scale.min);
      const keep = isFinite(decades) && decades > 5 ? [1] : [1, 2, 5];
      const ticks = scale.ticks.filter((t) => {
        if (!(t.value > 0)) return true;
        const significand = t.value / Math.pow(10, Math.floor(Math.log10(t.value) + 1e-9));
        return keep.indexOf(Math.round(significand * 1000) / 1000) >= 0;
      });
      if (ticks.length >= 2) scale.ticks = ticks;
    },
  };
}

/**
 * The factory's JavaScript source, for a page to evaluate: `(<source>)()` gives the plugin.
 * `</script` cannot occur in it, but is escaped anyway in case a later edit adds one.
 */
export function kafkasimChartPluginSource(): string {
  return kafkasimChartPlugin.toString().replace(/<\/(script)/gi, "<\\/$1");
}
