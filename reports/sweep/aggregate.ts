/**
 * A sweep's figures per config, with how sure they are: the share of runs that lost an
 * acknowledged record with its 95% Wilson interval, spreads over seeds (mean, p95, max), and
 * latency percentiles read from the merged histograms of every run (never an average of
 * percentiles). Everything here is a function of the run records alone, in plan order, so a
 * sweep run whole and the same sweep merged from shards aggregate to the same numbers.
 */
import * as hdr from "hdr-histogram-js";
import { latencyHistogram } from "../../sim/nodes/kafka/LatencyRecorder.js";
import { percentileOf } from "../metrics.js";
import type { SweepConfig } from "./plan.js";
import type { EncodedHistogram, RunFigures, RunRecord } from "./runRecord.js";

/** A proportion k/n with its 95% Wilson score interval (Wilson 1927; Agresti & Coull 1998). */
export interface Proportion {
  k: number;
  n: number;
  share: number | null;
  low: number | null;
  high: number | null;
}

export function wilson(k: number, n: number, z = 1.959963984540054): Proportion {
  if (n === 0) return { k, n, share: null, low: null, high: null };
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Rounded so that the figures print the same from any process (and k = 0 gives exactly 0).
  const round = (x: number): number => Math.round(x * 1e6) / 1e6;
  return { k, n, share: round(p), low: round(Math.max(0, centre - half)), high: round(Math.min(1, centre + half)) };
}

/** Over seeds: how many runs measured it, mean, p95 (nearest rank), max; null when none did. */
export interface Spread {
  runs: number;
  mean: number | null;
  p95: number | null;
  max: number | null;
}

export function spread(values: ReadonlyArray<number | null>): Spread {
  const v = values.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (v.length === 0) return { runs: 0, mean: null, p95: null, max: null };
  const sum = v.reduce((s, x) => s + x, 0);
  return { runs: v.length, mean: Math.round((sum / v.length) * 1000) / 1000, p95: v[Math.ceil(0.95 * v.length) - 1], max: v[v.length - 1] };
}

export interface LatencyPercentiles {
  records: number;
  p50: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

/** Encoded histograms merged one at a time; percentiles in ms, each capped at the exact max of the runs. */
export class HistogramMerger {
  private readonly merged = latencyHistogram();
  private maxUs = 0;

  add(p: EncodedHistogram | null): void {
    if (p === null) return;
    this.merged.add(hdr.decodeFromCompressedBase64(p.hdr, 32, false));
    this.maxUs = Math.max(this.maxUs, p.maxUs);
  }

  percentiles(): LatencyPercentiles {
    const merged = this.merged;
    if (merged.totalCount === 0) return { records: 0, p50: null, p99: null, p999: null, max: null };
    const ms = (us: number): number => Math.round(Math.min(us, this.maxUs)) / 1000;
    return { records: merged.totalCount, p50: ms(percentileOf(merged, 50)), p99: ms(percentileOf(merged, 99)), p999: ms(percentileOf(merged, 99.9)), max: ms(this.maxUs) };
  }
}

export function mergeHistograms(parts: ReadonlyArray<EncodedHistogram | null>): LatencyPercentiles {
  const m = new HistogramMerger();
  for (const p of parts) m.add(p);
  return m.percentiles();
}

/** Seeds whose run failed one `expect:` (or an invariant), with their repro lines. */
export interface CheckFailures {
  check: string;
  expected: string;
  seeds: number[];
  repro: string[];
}

export interface ConfigAggregate {
  id: string;
  label: string;
  sets: string[];
  runs: number;
  /** Runs that did not finish (stalled or threw): kafkasim bugs, listed by seed. */
  brokenRuns: Array<{ seed: number; status: string; error: string }>;
  runsOk: number;
  lossRuns: Proportion;
  lostAcked: Spread;
  duplicates: Spread;
  lostConsumed: Spread;
  duplicatesConsumed: Spread;
  unavailableMs: Spread;
  produceStallMs: Spread;
  throughputRecordsPerSec: Spread;
  rebalances: Spread;
  rebalancePauseMs: Spread;
  leaderChanges: Spread;
  produceLatencyMs: LatencyPercentiles;
  endToEndLatencyMs: LatencyPercentiles;
  failedChecks: CheckFailures[];
}

const MAX_REPRO_LINES = 5;

type SpreadKey = "lostAcked" | "duplicates" | "lostConsumed" | "duplicatesConsumed" | "unavailableMs" | "produceStallMs" | "throughputRecordsPerSec" | "rebalances" | "rebalancePauseMs" | "leaderChanges";
const SPREAD_KEYS: readonly SpreadKey[] = ["lostAcked", "duplicates", "lostConsumed", "duplicatesConsumed", "unavailableMs", "produceStallMs", "throughputRecordsPerSec", "rebalances", "rebalancePauseMs", "leaderChanges"];

/**
 * One config's aggregate, fed a run at a time: it keeps a number per run and figure, one merged
 * histogram per latency, and the failing seeds, never the records, so a sweep of many thousand
 * runs is reported in bounded memory.
 */
export class ConfigAccumulator {
  private runs = 0;
  private runsOk = 0;
  private lossRuns = 0;
  private finished = 0;
  private readonly broken: ConfigAggregate["brokenRuns"] = [];
  private readonly values = new Map<SpreadKey, Array<number | null>>(SPREAD_KEYS.map((k) => [k, []]));
  private readonly produce = new HistogramMerger();
  private readonly endToEnd = new HistogramMerger();
  private readonly failures = new Map<string, CheckFailures>();

  constructor(
    private readonly config: SweepConfig,
    private readonly repro: (config: SweepConfig, seed: number) => string,
  ) {}

  add(r: RunRecord): void {
    this.runs++;
    if (r.status !== "ok" || r.figures === null) {
      this.broken.push({ seed: r.seed, status: r.status, error: r.error ?? "" });
      return;
    }
    this.finished++;
    if (r.ok) this.runsOk++;
    if (r.figures.lostAcked > 0) this.lossRuns++;
    for (const k of SPREAD_KEYS) this.values.get(k)!.push(r.figures[k]);
    this.produce.add(r.produceLatencyUs);
    this.endToEnd.add(r.endToEndLatencyUs);
    for (const c of r.checks) if (!c.ok) this.fail(c.name, c.expected, r.seed);
    if (r.violations.length > 0) this.fail("invariants", "no invariant violated", r.seed);
  }

  private fail(check: string, expected: string, seed: number): void {
    let f = this.failures.get(check);
    if (f === undefined) this.failures.set(check, (f = { check, expected, seeds: [], repro: [] }));
    f.seeds.push(seed);
    if (f.repro.length < MAX_REPRO_LINES) f.repro.push(this.repro(this.config, seed));
  }

  result(): ConfigAggregate {
    const sp = (k: SpreadKey): Spread => spread(this.values.get(k)!);
    return {
      id: this.config.id,
      label: this.config.label,
      sets: this.config.sets,
      runs: this.runs,
      brokenRuns: this.broken,
      runsOk: this.runsOk,
      lossRuns: wilson(this.lossRuns, this.finished),
      lostAcked: sp("lostAcked"),
      duplicates: sp("duplicates"),
      lostConsumed: sp("lostConsumed"),
      duplicatesConsumed: sp("duplicatesConsumed"),
      unavailableMs: sp("unavailableMs"),
      produceStallMs: sp("produceStallMs"),
      throughputRecordsPerSec: sp("throughputRecordsPerSec"),
      rebalances: sp("rebalances"),
      rebalancePauseMs: sp("rebalancePauseMs"),
      leaderChanges: sp("leaderChanges"),
      produceLatencyMs: this.produce.percentiles(),
      endToEndLatencyMs: this.endToEnd.percentiles(),
      failedChecks: [...this.failures.values()],
    };
  }
}

/**
 * The run whose time series the report draws: the one that lost the most acknowledged records,
 * then the longest unavailable, then the first in plan order, so the chart shows the worst case
 * and every process picks the same run.
 */
export function chooseRun(records: Iterable<RunRecord>): RunRecord | null {
  let best: RunRecord | null = null;
  for (const r of records) if (betterChoice(r, best)) best = r;
  return best;
}

/** Whether r shows more than best: more lost acknowledged records, then longer unavailable; earlier wins ties. */
export function betterChoice(r: RunRecord, best: RunRecord | null): boolean {
  if (r.status !== "ok" || r.figures === null) return false;
  if (best === null || best.figures === null) return true;
  const [a, b] = [r.figures, best.figures];
  return a.lostAcked > b.lostAcked || (a.lostAcked === b.lostAcked && a.unavailableMs > b.unavailableMs);
}
