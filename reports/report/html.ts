/**
 * A report as one self-contained HTML page (report.html) that opens offline from a file or an
 * attachment: chart.js itself, our plugin and every chart's configuration are inlined, there is
 * no external URL, font or stylesheet. Charts are interactive (tooltips). Tables, facts, faults
 * and notes are plain HTML, so the numbers read without JavaScript.
 *
 * Escaping: all report text is HTML-escaped. The charts' configurations go in a
 * `<script type="application/json">` with every `<` written `\u003c` (so no `</script>` or
 * `<!--` can end or confuse the element; `\u003c` is still `<` to JSON.parse) and U+2028/U+2029
 * as escapes. Inlined scripts have `</script` written `<\/script` (none today).
 *
 * We assume the reader's browser runs chart.js v4 (any browser since about 2020).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { chartJsConfig } from "./chartConfig.js";
import { kafkasimChartPluginSource } from "./chartPlugins.js";
import type { ReportDoc, ReportTable } from "./model.js";
import { numericColumns, splitCommand } from "./textRules.js";

export function reportHtml(doc: ReportDoc): string {
  const body = [
    `<h1>${esc(doc.title)}</h1>`,
    story(doc.story),
    facts(doc.facts),
    `<h2>Fault schedule</h2>`,
    doc.faults.length > 0 ? `<ul class="faults">\n${doc.faults.map((f) => `<li>${esc(f)}</li>`).join("\n")}\n</ul>` : `<p>No faults.</p>`,
    ...doc.tables.map(table),
    ...(doc.charts.length > 0 ? charts(doc) : []),
    ...(doc.notes.length > 0 ? [`<h2>Notes</h2>`, notes(doc.notes)] : []),
  ];
  const scripts = doc.charts.length > 0 ? chartScripts(doc) : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body.filter((s) => s !== "").join("\n")}
</main>
${scripts}
</body>
</html>
`;
}

/** The story as paragraphs (split at blank lines). */
function story(text: string): string {
  const paragraphs = text.trim() === "" ? [] : text.trim().split(/\n\s*\n/);
  return paragraphs.map((p) => `<p class="story">${esc(p)}</p>`).join("\n");
}

function facts(list: Array<[string, string]>): string {
  if (list.length === 0) return "";
  const rows = list.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`);
  return `<table class="facts">\n<tbody>\n${rows.join("\n")}\n</tbody>\n</table>`;
}

function table(t: ReportTable): string {
  const numeric = numericColumns(t);
  const cls = (c: number) => (numeric[c] ? ` class="num"` : "");
  const head = t.columns.map((h, c) => `<th scope="col"${cls(c)}>${esc(h)}</th>`).join("");
  const rows = t.rows.map((r) => `<tr>${t.columns.map((_, c) => `<td${cls(c)}>${esc(r[c] ?? "")}</td>`).join("")}</tr>`);
  const note = t.note !== undefined && t.note.trim() !== "" ? `\n<p class="note">${esc(t.note)}</p>` : "";
  const empty = t.rows.length === 0 ? `\n<p class="note">No rows.</p>` : "";
  return `<section class="report-table">
<h2>${esc(t.title)}</h2>
<div class="scroll"><table>
<thead><tr>${head}</tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table></div>${empty}${note}
</section>`;
}

function charts(doc: ReportDoc): string[] {
  return [
    `<h2>Charts</h2>`,
    `<noscript><p>The charts need JavaScript; the tables above hold their numbers.</p></noscript>`,
    ...doc.charts.map(
      (c) => `<figure class="chart" id="figure-${esc(c.id)}">
<div class="canvas-box"><canvas id="chart-${esc(c.id)}" role="img" aria-label="${esc(c.title)}"></canvas></div>
</figure>`,
    ),
  ];
}

/** Prose as paragraphs; a repro command as a code block, copied whole. */
function notes(list: string[]): string {
  return list
    .map((note) => {
      const cmd = splitCommand(note);
      if (cmd === null) return `<p>${esc(note)}</p>`;
      return `${cmd.lead === "" ? "" : `<p>${esc(cmd.lead)}</p>\n`}<pre><code>${esc(cmd.command)}</code></pre>`;
    })
    .join("\n");
}

/**
 * chart.js, the configurations as JSON, and a small start-up script that makes the plugin from
 * its embedded source and draws each chart. A chart that fails says so in its place (and on the
 * console), and the others still draw.
 */
function chartScripts(doc: ReportDoc): string {
  const configs = doc.charts.map((c) => ({ id: c.id, config: chartJsConfig(c) }));
  const start = `(function () {
  "use strict";
  var makePlugin = (${kafkasimChartPluginSource()});
  var charts = JSON.parse(document.getElementById("kafkasim-charts").textContent);
  charts.forEach(function (c) {
    var canvas = document.getElementById("chart-" + c.id);
    try {
      if (typeof Chart === "undefined") throw new Error("chart.js did not load");
      c.config.plugins = [makePlugin()];
      new Chart(canvas, c.config);
    } catch (e) {
      var p = document.createElement("p");
      p.className = "chart-error";
      p.textContent = "This chart could not be drawn (" + e + "); the tables hold its numbers.";
      canvas.parentNode.replaceWith(p);
      console.error("kafkasim chart " + c.id + ": " + e);
    }
  });
})();`;
  return [
    `<script>\n${scriptText(chartJsSource())}\n</script>`,
    `<script type="application/json" id="kafkasim-charts">${jsonText(configs)}</script>`,
    `<script>\n${scriptText(start)}\n</script>`,
  ].join("\n");
}

let chartJs: string | null = null;

/**
 * chart.js's UMD bundle (it defines the global `Chart`). Its package's `exports` map hides the
 * dist folder, so the path comes from where the package's main entry resolves.
 */
function chartJsSource(): string {
  if (chartJs === null) {
    const main = createRequire(import.meta.url).resolve("chart.js");
    chartJs = readFileSync(join(dirname(main), "chart.umd.min.js"), "utf8");
  }
  return chartJs;
}

function scriptText(js: string): string {
  return js.replace(/<\/(script)/gi, "<\\/$1");
}

function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const CSS = `
body { margin: 0; background: #fff; color: #1a1a1a; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 960px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 1.6em; margin: 0.6em 0 0.4em; }
h2 { font-size: 1.2em; margin: 1.6em 0 0.5em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
p.story { max-width: 48em; }
table { border-collapse: collapse; margin: 0.4em 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: left; vertical-align: top; }
thead th { background: #f0f3f6; }
tbody tr:nth-child(even) td { background: #fafbfc; }
table.facts th { background: #f0f3f6; font-weight: 600; }
.num { text-align: right; }
.scroll { overflow-x: auto; }
p.note { color: #444; font-size: 0.92em; max-width: 48em; margin-top: 0.3em; }
figure.chart { margin: 1em 0 2em; }
.canvas-box { position: relative; width: 100%; max-width: 900px; }
p.chart-error { color: #a40000; }
pre { background: #f4f5f7; padding: 8px 12px; overflow-x: auto; border-radius: 4px; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.92em; }
`;
