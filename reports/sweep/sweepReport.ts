/**
 * A sweep's report, from its folder alone: report.json (aggregates per config, schemaVersion) and
 * the ReportDoc the Markdown, HTML and PNG renderers draw. Only `timing` may differ between a
 * sweep run whole and the same sweep merged from shards.
 */
import type { ChartSpec, ReportDoc, ReportTable } from "../report/model.js";
import { faultLines } from "../report/faultLines.js";
import { betterChoice, ConfigAccumulator, type ConfigAggregate, type LatencyPercentiles, type Spread } from "./aggregate.js";
import type { SweepConfig } from "./plan.js";
import type { RunRecord } from "./runRecord.js";
import type { SweepStore } from "./SweepStore.js";
import { shellQuote } from "../shellQuote.js";

export const REPORT_VERSION = 1;

/** The chosen run's time series and charts, computed by re-running it (the run records keep no series). */
export interface ChosenRunSeries {
  charts: ChartSpec[];
  series: unknown;
}

export interface SweepReportJson {
  schemaVersion: number;
  kind: "kafkasim-sweep-report";
  kafkasim: string;
  scenario: { name: string; ref: string; description: string };
  axes: Array<{ key: string; values: string[] }>;
  seeds: { count: number; first: number | null; last: number | null };
  runs: { planned: number; done: number; broken: number };
  configs: ConfigAggregate[];
  chosenRun: { config: string; label: string; seed: number; lostAcked: number; unavailableMs: number; repro: string; series: unknown } | null;
  timing: { runWallMsSum: number; runWallMsMax: number };
}

export interface SweepReport {
  json: SweepReportJson;
  doc: ReportDoc;
}


export function runRepro(ref: string, config: SweepConfig, seed: number): string {
  return ["npx kafkasim run", shellQuote(ref), "--seed", String(seed), ...config.sets.flatMap((s) => ["--set", shellQuote(s)])].join(" ");
}

export function sweepCommand(store: SweepStore): string {
  const p = store.plan;
  const seeds = p.seeds;
  const contiguous = seeds.length > 1 && seeds.every((s, i) => i === 0 || s === seeds[i - 1] + 1);
  const seedText = contiguous ? `${seeds[0]}..${seeds[seeds.length - 1]}` : seeds.join(",");
  return ["npx kafkasim sweep", shellQuote(p.scenarioRef), ...p.axes.flatMap((a) => ["--set", shellQuote(`${a.key}=${a.values.join(",")}`)]), "--seeds", seedText, "--out", "DIR"].join(" ");
}

const fmt = (x: number | null, digits = 1): string => (x === null ? "–" : Number.isInteger(x) ? x.toLocaleString("en-US") : x.toLocaleString("en-US", { maximumFractionDigits: digits }));
const pct = (x: number | null): string => (x === null ? "–" : `${(x * 100).toFixed(1)}%`);
const spreadCells = (s: Spread, digits = 1): string[] => [fmt(s.mean, digits), fmt(s.p95, digits), fmt(s.max, digits)];
const latencyCells = (l: LatencyPercentiles): string[] => [fmt(l.p50, 3), fmt(l.p99, 3), fmt(l.p999, 3), fmt(l.max, 3)];

function tables(configs: readonly ConfigAggregate[]): ReportTable[] {
  const name = (c: ConfigAggregate): string => `${c.id}: ${c.label}`;
  const hasConsumers = configs.some((c) => c.rebalances.runs > 0 || c.endToEndLatencyMs.records > 0);
  const out: ReportTable[] = [
    {
      title: "Lost acknowledged records",
      columns: ["config", "runs", "runs losing acked records", "share (95% CI)", "lostAcked mean", "lostAcked max", "duplicates mean", "duplicates max"],
      rows: configs.map((c) => [name(c), String(c.runs), `${c.lossRuns.k} / ${c.lossRuns.n}`, `${pct(c.lossRuns.share)} (${pct(c.lossRuns.low)}–${pct(c.lossRuns.high)})`, fmt(c.lostAcked.mean), fmt(c.lostAcked.max), fmt(c.duplicates.mean), fmt(c.duplicates.max)]),
      note: "The share of runs (seeds) that lost at least one acknowledged record, with its 95% Wilson score interval: with 0 losses in n runs the true rate can still be up to the interval's upper end.",
    },
    {
      title: "Unavailability and produce stalls (ms, over seeds)",
      columns: ["config", "unavailable mean", "unavailable p95", "unavailable max", "stall mean", "stall p95", "stall max"],
      rows: configs.map((c) => [name(c), ...spreadCells(c.unavailableMs, 0), ...spreadCells(c.produceStallMs, 0)]),
      note: "Unavailable: the longest time any partition had no leader able to take writes. Stall: the longest time a producer's partition acknowledged nothing. p95 is the nearest-rank 95th percentile over seeds.",
    },
    {
      title: "Latency (ms, every record of every run)",
      columns: ["config", "produce p50", "produce p99", "produce p99.9", "produce max", ...(hasConsumers ? ["end-to-end p50", "end-to-end p99", "end-to-end p99.9", "end-to-end max"] : [])],
      rows: configs.map((c) => [name(c), ...latencyCells(c.produceLatencyMs), ...(hasConsumers ? latencyCells(c.endToEndLatencyMs) : [])]),
      note: "Percentiles of the merged HDR histograms of all runs of a config (3 significant digits), never averages of per-run percentiles.",
    },
    {
      title: "Throughput" + (hasConsumers ? " and consumers" : ""),
      columns: ["config", "acked records/s mean", "leader changes mean", ...(hasConsumers ? ["rebalances mean", "rebalance pause ms mean", "lostConsumed max", "duplicatesConsumed mean"] : [])],
      rows: configs.map((c) => [name(c), fmt(c.throughputRecordsPerSec.mean, 0), fmt(c.leaderChanges.mean), ...(hasConsumers ? [fmt(c.rebalances.mean), fmt(c.rebalancePauseMs.mean, 0), fmt(c.lostConsumed.max), fmt(c.duplicatesConsumed.mean)] : [])]),
    },
  ];
  const failed = configs.flatMap((c) => c.failedChecks.map((f) => [name(c), f.check, f.expected, `${f.seeds.length} / ${c.runs}`, f.seeds.slice(0, 10).join(", ") + (f.seeds.length > 10 ? ", …" : ""), f.repro[0]]));
  out.push({
    title: "Expectations violated",
    columns: ["config", "expect", "expected", "runs failing", "seeds", "repro (first)"],
    rows: failed,
    note: failed.length === 0 ? "Every run met the scenario's expect: and the invariants." : "Each row: an expect: entry (or the invariants) some seeds failed; the repro line replays the first.",
  });
  return out;
}

function charts(configs: readonly ConfigAggregate[]): ChartSpec[] {
  const labels = configs.map((c) => `${c.id}: ${c.label}`);
  return [
    {
      id: "produce-latency-per-config",
      title: "Produce latency percentiles per config (merged over seeds)",
      type: "bar",
      xLabel: "config",
      yLabel: "ms",
      logY: true,
      labels,
      datasets: (["p50", "p99", "p999"] as const).map((p) => ({ label: p === "p999" ? "p99.9" : p, data: configs.map((c) => c.produceLatencyMs[p]) })),
    },
    {
      id: "loss-probability-per-config",
      title: "Share of runs losing acknowledged records, 95% Wilson interval",
      type: "bar",
      xLabel: "config",
      yLabel: "share of runs (%)",
      labels,
      datasets: [
        {
          label: "runs with lostAcked > 0",
          data: configs.map((c) => (c.lossRuns.share === null ? null : c.lossRuns.share * 100)),
          low: configs.map((c) => (c.lossRuns.low === null ? null : c.lossRuns.low * 100)),
          high: configs.map((c) => (c.lossRuns.high === null ? null : c.lossRuns.high * 100)),
        },
      ],
    },
    {
      id: "unavailability-per-config",
      title: "Unavailability per config over seeds",
      type: "bar",
      xLabel: "config",
      yLabel: "ms",
      labels,
      datasets: (["mean", "p95", "max"] as const).map((s) => ({ label: s, data: configs.map((c) => c.unavailableMs[s]) })),
    },
  ];
}

export interface SweepReportInput {
  store: SweepStore;
  kafkasimVersion: string;
  description: string;
  kafkaVersion: string;
  faults: unknown;
  /** Re-runs the chosen run for its time series; null skips the time-series charts. */
  chosenSeries: ((config: SweepConfig, seed: number) => ChosenRunSeries) | null;
}

export function buildSweepReport(input: SweepReportInput): SweepReport {
  const { store } = input;
  const plan = store.plan;
  const repro = (c: SweepConfig, seed: number): string => runRepro(plan.scenarioRef, c, seed);
  // One pass over the run files, one record in memory at a time.
  const accumulators = plan.configs.map((c) => new ConfigAccumulator(c, repro));
  let chosen: RunRecord | null = null;
  let done = 0;
  let broken = 0;
  let wallMsSum = 0;
  let wallMsMax = 0;
  for (const r of store.runs()) {
    accumulators[r.config].add(r);
    if (betterChoice(r, chosen)) chosen = r;
    done++;
    if (r.status !== "ok") broken++;
    wallMsSum += r.timing.wallMs;
    wallMsMax = Math.max(wallMsMax, r.timing.wallMs);
  }
  const configs = accumulators.map((a) => a.result());
  const chosenConfig = chosen === null ? null : plan.configs[chosen.config];
  const series = chosen === null || input.chosenSeries === null ? null : input.chosenSeries(chosenConfig!, chosen.seed);
  const planned = plan.configs.length * plan.seeds.length;
  const json: SweepReportJson = {
    schemaVersion: REPORT_VERSION,
    kind: "kafkasim-sweep-report",
    kafkasim: input.kafkasimVersion,
    scenario: { name: plan.scenarioName, ref: plan.scenarioRef, description: input.description },
    axes: plan.axes,
    seeds: { count: plan.seeds.length, first: plan.seeds[0] ?? null, last: plan.seeds[plan.seeds.length - 1] ?? null },
    runs: { planned, done, broken },
    configs,
    chosenRun:
      chosen === null
        ? null
        : { config: chosenConfig!.id, label: chosenConfig!.label, seed: chosen.seed, lostAcked: chosen.figures!.lostAcked, unavailableMs: chosen.figures!.unavailableMs, repro: repro(chosenConfig!, chosen.seed), series: series?.series ?? null },
    timing: { runWallMsSum: wallMsSum, runWallMsMax: wallMsMax },
  };
  const notes = [
    `Reproduce the sweep: ${sweepCommand(store)}`,
    ...(chosen === null ? [] : [`The time-series charts show ${chosenConfig!.id} (${chosenConfig!.label}) seed ${chosen.seed}, the run that lost the most acknowledged records (${chosen.figures!.lostAcked}), then was unavailable longest: ${repro(chosenConfig!, chosen.seed)}`]),
    ...(done < planned ? [`Incomplete: ${done} of ${planned} runs are in this folder (a shard, or a sweep still running); merge the shards with kafkasim report merge.`] : []),
    ...configs.flatMap((c) => c.brokenRuns.map((b) => `${c.id} seed ${b.seed} did not finish (${b.status}: ${b.error}): a kafkasim bug, please report it with ${repro(plan.configs[configs.indexOf(c)], b.seed)}`)),
  ];
  const seedsText = plan.seeds.length === 0 ? "none" : `${plan.seeds.length} (${plan.seeds[0]}…${plan.seeds[plan.seeds.length - 1]})`;
  const doc: ReportDoc = {
    title: `Sweep of ${plan.scenarioName}: ${plan.axes.filter((a) => a.values.length > 1).map((a) => a.key).join(" × ") || "one config"}`,
    story: input.description,
    facts: [
      ["scenario", plan.scenarioRef],
      ["Kafka version", input.kafkaVersion],
      ["configs", plan.configs.map((c) => `${c.id}: ${c.label}`).join("; ")],
      ["seeds per config", seedsText],
      ["runs", `${done} of ${planned}${broken > 0 ? `, ${broken} did not finish` : ""}`],
      ["kafkasim", input.kafkasimVersion],
    ],
    faults: faultLines(input.faults),
    tables: tables(configs),
    charts: [...charts(configs), ...(series?.charts ?? [])],
    notes,
  };
  return { json, doc };
}
