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

/** Merges encoded histograms; percentiles in ms, each capped at the exact max of the runs. */
export function mergeHistograms(parts: ReadonlyArray<EncodedHistogram | null>): LatencyPercentiles {
  const merged = latencyHistogram();
  let maxUs = 0;
  for (const p of parts) {
    if (p === null) continue;
    merged.add(hdr.decodeFromCompressedBase64(p.hdr, 32, false));
    maxUs = Math.max(maxUs, p.maxUs);
  }
  if (merged.totalCount === 0) return { records: 0, p50: null, p99: null, p999: null, max: null };
  const ms = (us: number): number => Math.round(Math.min(us, maxUs)) / 1000;
  return { records: merged.totalCount, p50: ms(percentileOf(merged, 50)), p99: ms(percentileOf(merged, 99)), p999: ms(percentileOf(merged, 99.9)), max: ms(maxUs) };
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

export function aggregateConfig(config: SweepConfig, runs: readonly RunRecord[], repro: (config: SweepConfig, seed: number) => string): ConfigAggregate {
  const done = runs.filter((r) => r.status === "ok" && r.figures !== null);
  const fig = <K extends keyof RunFigures>(k: K): Array<RunFigures[K]> => done.map((r) => r.figures![k]);
  const failures = new Map<string, CheckFailures>();
  const fail = (check: string, expected: string, seed: number): void => {
    let f = failures.get(check);
    if (f === undefined) failures.set(check, (f = { check, expected, seeds: [], repro: [] }));
    f.seeds.push(seed);
    if (f.repro.length < MAX_REPRO_LINES) f.repro.push(repro(config, seed));
  };
  for (const r of done) {
    for (const c of r.checks) if (!c.ok) fail(c.name, c.expected, r.seed);
    if (r.violations.length > 0) fail("invariants", "no invariant violated", r.seed);
  }
  return {
    id: config.id,
    label: config.label,
    sets: config.sets,
    runs: runs.length,
    brokenRuns: runs.filter((r) => r.status !== "ok").map((r) => ({ seed: r.seed, status: r.status, error: r.error ?? "" })),
    runsOk: done.filter((r) => r.ok).length,
    lossRuns: wilson(done.filter((r) => r.figures!.lostAcked > 0).length, done.length),
    lostAcked: spread(fig("lostAcked")),
    duplicates: spread(fig("duplicates")),
    lostConsumed: spread(fig("lostConsumed")),
    duplicatesConsumed: spread(fig("duplicatesConsumed")),
    unavailableMs: spread(fig("unavailableMs")),
    produceStallMs: spread(fig("produceStallMs")),
    throughputRecordsPerSec: spread(fig("throughputRecordsPerSec")),
    rebalances: spread(fig("rebalances")),
    rebalancePauseMs: spread(fig("rebalancePauseMs")),
    leaderChanges: spread(fig("leaderChanges")),
    produceLatencyMs: mergeHistograms(done.map((r) => r.produceLatencyUs)),
    endToEndLatencyMs: mergeHistograms(done.map((r) => r.endToEndLatencyUs)),
    failedChecks: [...failures.values()],
  };
}

/**
 * The run whose time series the report draws: the one that lost the most acknowledged records,
 * then the longest unavailable, then the first in plan order, so the chart shows the worst case
 * and every process picks the same run.
 */
export function chooseRun(records: readonly RunRecord[]): RunRecord | null {
  let best: RunRecord | null = null;
  const key = (r: RunRecord): [number, number] => [r.figures?.lostAcked ?? -1, r.figures?.unavailableMs ?? -1];
  for (const r of records) {
    if (r.status !== "ok") continue;
    if (best === null) {
      best = r;
      continue;
    }
    const [a, b] = [key(r), key(best)];
    if (a[0] > b[0] || (a[0] === b[0] && a[1] > b[1])) best = r;
  }
  return best;
}
