/**
 * What a report is made of, before it is written as Markdown, JSON, HTML or PNG: tables a person
 * can paste into a design review, and charts described as data (ChartSpec), so that the PNG
 * renderer (chartjs-node-canvas) and the HTML page (chart.js in the browser) draw the same
 * charts from one description.
 */

/** One series of a chart. `low` / `high`, when given, are an interval drawn as error bars. */
export interface ChartDataset {
  label: string;
  data: Array<number | null>;
  low?: Array<number | null>;
  high?: Array<number | null>;
  /** Which y axis: the left one (default) or a second one on the right. */
  axis?: "left" | "right";
  /** A step line (ISR size, a count that holds until it changes). */
  stepped?: boolean;
}

/** A vertical line across a time chart, at x (in the x axis' unit), with a label: a fault. */
export interface ChartMarker {
  x: number;
  label: string;
}

export interface ChartSpec {
  /** File name stem of the PNG and the HTML element id: letters, digits and dashes. */
  id: string;
  title: string;
  /** bar: one category per label (configs); line: x values in `labels` (simulated seconds). */
  type: "bar" | "line";
  xLabel: string;
  yLabel: string;
  /** The right axis' title, when a dataset uses it. */
  rightLabel?: string;
  logY?: boolean;
  labels: Array<string | number>;
  datasets: ChartDataset[];
  markers?: ChartMarker[];
}

export interface ReportTable {
  title: string;
  columns: string[];
  rows: string[][];
  /** A sentence under the table: what the numbers mean, how sure they are. */
  note?: string;
}

export interface ReportDoc {
  title: string;
  /** The scenario's story (its description), as written. */
  story: string;
  /** Key facts: scenario, Kafka version, seeds, configs, kafkasim version. */
  facts: Array<[string, string]>;
  /** The fault schedule, a line each. */
  faults: string[];
  tables: ReportTable[];
  charts: ChartSpec[];
  /** Closing lines: repro commands, violations. */
  notes: string[];
}
