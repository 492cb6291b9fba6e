/**
 * One run of a sweep and what it leaves: the figures the sweep's aggregates need, its checks,
 * and its latency histograms encoded (HdrHistogram's compressed form), so that shards merge
 * histograms and never average percentiles. Runs inside a worker thread; everything here but
 * the timing is a function of (scenario text, overrides, seed).
 */
import * as hdr from "hdr-histogram-js";
import { loadScenario, formatProblem } from "../../scenarios/loader.js";
import { runScenario } from "../../scenarios/runner.js";
import { computeMetrics, type Metrics } from "../metrics.js";
import { evaluateChecks } from "../checks.js";
import { latencyHistogram } from "../../sim/nodes/kafka/LatencyRecorder.js";
import { parseOverride } from "../../scenarios/overrides.js";
import { formatUs } from "../../sim/time.js";

export const RUN_RECORD_VERSION = 1;

/** What a worker is given: everything needed to run, so a worker reads no file. */
export interface RunTask {
  scenarioText: string;
  /** The name shown in problems (the file or built-in name). */
  scenarioName: string;
  config: number;
  sets: string[];
  seed: number;
}

/** A latency histogram in µs, encoded, with its exact max (the encoding keeps only the max's bucket). */
export interface EncodedHistogram {
  count: number;
  maxUs: number;
  hdr: string;
}

/** The metrics a run record carries as they are (reports/metrics.ts says what each means). */
type CarriedMetric =
  | "sent" | "acked" | "failed" | "lostAcked" | "expiredAcked" | "duplicates" | "reordered" | "divergence" | "unavailableMs" | "produceStallMs"
  | "leaderChanges" | "isrChanges" | "truncatedRecords" | "invariantViolations"
  | "lostConsumed" | "duplicatesConsumed" | "skipped" | "nonmonotonic" | "rebalances" | "rebalancePauseMs";

/** The per-run figures a sweep aggregates; null where the run could not measure it. */
export type RunFigures = Pick<Metrics, CarriedMetric> & {
  throughputRecordsPerSec: number | null;
  consumerLagMax: number | null;
  consumerLagFinal: number | null;
};

export interface RunCheck {
  name: string;
  ok: boolean;
  expected: string;
  actual: number | null;
}

export interface RunRecord {
  schemaVersion: number;
  config: number;
  seed: number;
  /** ok: ran to the end; stalled: simulated time stopped (a kafkasim bug); error: it threw (a bug too). */
  status: "ok" | "stalled" | "error";
  error?: string;
  /** Every `expect:` held and no invariant was violated. */
  ok: boolean;
  traceHash: string;
  events: number;
  simulatedUs: number;
  checks: RunCheck[];
  /** The first invariant violations, as `run` prints them. */
  violations: string[];
  figures: RunFigures | null;
  produceLatencyUs: EncodedHistogram | null;
  endToEndLatencyUs: EncodedHistogram | null;
  /** Wall time of the run in its worker thread; the only field that differs between two sweeps. */
  timing: { wallMs: number };
}

const MAX_VIOLATIONS_KEPT = 10;

function figuresOf(m: Metrics): RunFigures {
  return {
    sent: m.sent,
    acked: m.acked,
    failed: m.failed,
    lostAcked: m.lostAcked,
    expiredAcked: m.expiredAcked,
    duplicates: m.duplicates,
    reordered: m.reordered,
    divergence: m.divergence,
    unavailableMs: m.unavailableMs,
    produceStallMs: m.produceStallMs,
    throughputRecordsPerSec: m.throughput.recordsPerSec,
    leaderChanges: m.leaderChanges,
    isrChanges: m.isrChanges,
    truncatedRecords: m.truncatedRecords,
    invariantViolations: m.invariantViolations,
    lostConsumed: m.lostConsumed,
    duplicatesConsumed: m.duplicatesConsumed,
    skipped: m.skipped,
    nonmonotonic: m.nonmonotonic,
    rebalances: m.rebalances,
    rebalancePauseMs: m.rebalancePauseMs,
    consumerLagMax: m.consumerLag.max,
    consumerLagFinal: m.consumerLag.final,
  };
}

export function encodeHistogram(h: hdr.Histogram, exactMaxUs: number): EncodedHistogram | null {
  if (h.totalCount === 0) return null;
  return { count: h.totalCount, maxUs: exactMaxUs, hdr: hdr.encodeIntoCompressedBase64(h) };
}

/** Runs one (config, seed). Throws only on a scenario the plan should have refused. */
export function runSweepRun(task: RunTask): RunRecord {
  const started = performance.now();
  const base = { schemaVersion: RUN_RECORD_VERSION, config: task.config, seed: task.seed };
  const overrides = task.sets.map((s) => parseOverride(s)!);
  const loaded = loadScenario(task.scenarioText, task.scenarioName, overrides);
  if (!loaded.ok) throw new Error(`config ${task.sets.join(" ")}: ${loaded.problems.map(formatProblem).join("; ")}`);
  const scenario = loaded.scenario;
  const empty = { ok: false, traceHash: "", events: 0, simulatedUs: 0, checks: [], violations: [], figures: null, produceLatencyUs: null, endToEndLatencyUs: null };
  let outcome;
  try {
    outcome = runScenario(scenario, { seed: task.seed });
  } catch (e) {
    return { ...base, ...empty, status: "error", error: (e as Error).message, timing: { wallMs: Math.round(performance.now() - started) } };
  }
  const sim = outcome.world.sim;
  if (outcome.stopReason === "stalled") {
    return { ...base, ...empty, status: "stalled", error: `simulated time stopped advancing at ${formatUs(sim.now)}`, traceHash: sim.trace.hash, events: sim.events, simulatedUs: outcome.simulatedUs, timing: { wallMs: Math.round(performance.now() - started) } };
  }
  const metrics = computeMetrics(outcome);
  const checks = evaluateChecks(scenario.doc.expect, metrics, sim.marks, scenario.doc.marks).map((c) => ({ name: c.name, ok: c.ok, expected: c.expected, actual: c.actual }));
  const produce = outcome.world.history.latencyUs.histogram;
  const e2e = latencyHistogram();
  let e2eMax = 0;
  for (const g of [...outcome.world.history.consumers.groups.keys()].sort()) {
    const hist = outcome.world.history.consumers.groups.get(g)!.endToEndUs.histogram;
    if (hist.totalCount === 0) continue;
    e2e.add(hist);
    e2eMax = Math.max(e2eMax, hist.maxValue);
  }
  return {
    ...base,
    status: "ok",
    ok: checks.every((c) => c.ok) && sim.violations.length === 0,
    traceHash: sim.trace.hash,
    events: sim.events,
    simulatedUs: outcome.simulatedUs,
    checks,
    violations: sim.violations.slice(0, MAX_VIOLATIONS_KEPT).map((v) => `${v.name} at ${formatUs(v.atUs)}: ${v.message}`),
    figures: figuresOf(metrics),
    produceLatencyUs: encodeHistogram(produce, produce.maxValue),
    endToEndLatencyUs: encodeHistogram(e2e, e2eMax),
    timing: { wallMs: Math.round(performance.now() - started) },
  };
}
