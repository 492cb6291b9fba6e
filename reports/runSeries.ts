/**
 * One finished run as time series (issue 12, item 4): acknowledged records per second, produce
 * and end-to-end latency, the smallest ISR and the under-replicated partitions, consumer lag,
 * with the faults as marked instants; and those series as line charts (ChartSpec).
 *
 * Everything is read from the run's histories after it ended, in one pass over each: the
 * acknowledgements' columns (no object per batch), the partition states written to ZooKeeper,
 * each group's lag samples and its end-to-end latency by second (history/LatencyBySecond.ts).
 * Time is cut into equal buckets from 0 to the run's end (the duration and the settle period):
 * a value belongs to the bucket its time falls in, the last bucket also takes the run's last
 * instant.
 */
import type { RunOutcome } from "../scenarios/runner.js";
import type { Scenario } from "../scenarios/model.js";
import type { World } from "../scenarios/world.js";
import type { AckLog } from "../sim/nodes/kafka/history/BatchLog.js";
import { LogBins, SECOND_BINS } from "../sim/nodes/kafka/history/LatencyBySecond.js";
import type { ChartSpec } from "./report/model.js";
import { faultMarks, type FaultMark } from "./faultMarks.js";

export interface RunSeries {
  bucketSec: number;
  /** Each bucket's start, in simulated seconds. */
  t: number[];
  /**
   * Records acknowledged in the bucket, per second of its width (the last bucket's too, though
   * the run may end inside it): Σ throughput × bucketSec is every record acknowledged.
   */
  throughput: number[];
  /**
   * Produce latency per bucket, over the batches acknowledged in it: a batch counts its first
   * record's latency (creation to acknowledgement; the batch's oldest record, so at most
   * linger.ms and the batch's fill time above its newest) once per record of the batch. Read from
   * a histogram with bins 1/256 of their value wide. null when nothing was acknowledged.
   */
  produceP50Ms: Array<number | null>;
  produceP99Ms: Array<number | null>;
  /**
   * p99 of all groups' records whose processing ended in the bucket (warm-up included), from
   * per-second histograms with bins 1/16 of their value wide; null when none (or no group).
   */
  endToEndP99Ms: Array<number | null>;
  /** The smallest ISR of any partition of the produced topics at the end of the bucket (0 before any exists). */
  isrMin: number[];
  /** Partitions of the produced topics whose ISR is smaller than their replica count at the end of the bucket. */
  underReplicated: number[];
  /** Per group (in the scenario's order): the largest lag sampled in the bucket, null when none was. */
  lag: Array<{ group: string; values: Array<number | null> }>;
  faults: FaultMark[];
}

export interface RunSeriesOptions {
  /** The narrowest bucket (default 1,000 ms); a longer run gets a wider one. */
  bucketMs?: number;
  /** At most this many buckets (default 600). */
  maxPoints?: number;
}

/** Bucket widths tried, as multiples of the narrowest: seconds, then minutes, then doubling. */
const WIDTHS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

/** The narrowest width of the list whose buckets cover the run in at most maxPoints. */
export function chooseBucketUs(runUs: number, bucketMs: number, maxPoints: number): number {
  if (!(bucketMs > 0) || !(maxPoints >= 1)) throw new Error(`runSeries: expected bucketMs > 0 and maxPoints >= 1 (got ${bucketMs}, ${maxPoints})`);
  const base = Math.max(1, Math.round(bucketMs * 1000));
  const fits = (us: number): boolean => Math.ceil(runUs / us) <= maxPoints;
  for (const m of WIDTHS) if (fits(base * m)) return base * m;
  let us = base * WIDTHS[WIDTHS.length - 1];
  while (!fits(us)) us *= 2;
  return us;
}

export function runSeries(outcome: RunOutcome, scenario: Scenario, opts: RunSeriesOptions = {}): RunSeries {
  const { world } = outcome;
  const endUs = outcome.simulatedUs;
  const bucketUs = chooseBucketUs(endUs, opts.bucketMs ?? 1000, opts.maxPoints ?? 600);
  const n = Math.max(1, Math.ceil(endUs / bucketUs));
  const bucketOf = (atUs: number): number => Math.min(n - 1, Math.max(0, Math.floor(atUs / bucketUs)));
  const produce = produceSeries(world.history.acks, bucketOf, n, bucketUs / 1e6);
  const groups = groupsOf(scenario);
  const isr = isrSeries(world, scenario, bucketUs, n);
  return {
    bucketSec: bucketUs / 1e6,
    t: Array.from({ length: n }, (_, i) => (i * bucketUs) / 1e6),
    throughput: produce.throughput,
    produceP50Ms: produce.p50,
    produceP99Ms: produce.p99,
    endToEndP99Ms: endToEndSeries(world, groups, bucketOf, n),
    isrMin: isr.min,
    underReplicated: isr.under,
    lag: groups.map((group) => ({ group, values: lagSeries(world, group, bucketOf, n) })),
    faults: faultMarks(world, scenario, endUs),
  };
}

/**
 * The series as line charts over simulated seconds, the faults as markers: throughput; produce
 * latency with the smallest ISR on the right axis (the chart a sweep report shows for a chosen
 * run); end-to-end latency and consumer lag when the scenario has a consumer group; the smallest
 * ISR and the under-replicated partitions. Ids start with `run-`, apart from a report's other charts.
 */
export function runSeriesCharts(series: RunSeries): ChartSpec[] {
  const markers = series.faults.map((f) => ({ x: f.atSec, label: f.label }));
  // Latency spans milliseconds in steady state to tens of seconds across a failover: log scale.
  const line = (id: string, title: string, yLabel: string, datasets: ChartSpec["datasets"], rightLabel?: string, logY = false): ChartSpec => ({
    id,
    title,
    type: "line",
    xLabel: "simulated time (s)",
    yLabel,
    ...(logY ? { logY } : {}),
    ...(rightLabel === undefined ? {} : { rightLabel }),
    labels: series.t,
    datasets,
    markers,
  });
  const charts = [
    line("run-throughput", "Acknowledged records per second", "records/s", [{ label: "acknowledged records/s", data: series.throughput }]),
    line(
      "run-produce-latency",
      "Produce latency p50/p99 (ms)",
      "ms",
      [
        { label: "produce p50 (ms)", data: series.produceP50Ms },
        { label: "produce p99 (ms)", data: series.produceP99Ms },
        { label: "smallest ISR", data: series.isrMin, axis: "right", stepped: true },
      ],
      "ISR size",
      true,
    ),
  ];
  if (series.lag.length > 0) {
    charts.push(line("run-end-to-end-latency", "End-to-end latency p99 (ms)", "ms", [{ label: "end-to-end p99 (ms)", data: series.endToEndP99Ms }], undefined, true));
    charts.push(line("run-consumer-lag", "Consumer lag (records)", "records", series.lag.map((g) => ({ label: g.group, data: g.values }))));
  }
  charts.push(
    line(
      "run-isr",
      "ISR: smallest size and under-replicated partitions",
      "ISR size",
      [
        { label: "smallest ISR", data: series.isrMin, stepped: true },
        { label: "under-replicated partitions", data: series.underReplicated, axis: "right", stepped: true },
      ],
      "partitions",
    ),
  );
  return charts;
}

/** µs to ms, kept to the µs. */
const ms = (us: number): number => Math.round(us) / 1000;

/** Produce latency's bins: 256 per power of two, within 0.2% read at a bin's middle. */
const PRODUCE_BINS = new LogBins(8);

/**
 * The p-th percentile (0 < p <= 100) of `total` values counted in bins (counts[offset + bin]) of
 * which lo..hi are used, as the bin's middle.
 */
function percentileUs(bins: LogBins, counts: Float64Array, offset: number, lo: number, hi: number, total: number, p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let b = lo; b <= hi; b++) {
    seen += counts[offset + b];
    if (seen >= rank) return bins.middleUs(b);
  }
  return bins.middleUs(hi);
}

/**
 * Throughput and produce latency in one pass over the acknowledgements. They are in time order
 * (each is logged at the simulation's now, which never goes back), so a bucket's batches are
 * consecutive rows and one histogram, cleared between buckets, serves them all.
 */
function produceSeries(acks: AckLog, bucketOf: (atUs: number) => number, n: number, bucketSec: number): { throughput: number[]; p50: Array<number | null>; p99: Array<number | null> } {
  const records = new Float64Array(n);
  const p50: Array<number | null> = new Array(n).fill(null);
  const p99: Array<number | null> = new Array(n).fill(null);
  const bins = PRODUCE_BINS;
  const hist = new Float64Array(bins.count);
  let current = -1;
  let lo = bins.count;
  let hi = -1;
  let total = 0;
  const close = (): void => {
    if (total === 0) return;
    p50[current] = ms(percentileUs(bins, hist, 0, lo, hi, total, 50));
    p99[current] = ms(percentileUs(bins, hist, 0, lo, hi, total, 99));
    hist.fill(0, lo, hi + 1);
    lo = bins.count;
    hi = -1;
    total = 0;
  };
  for (let i = 0; i < acks.length; i++) {
    const atUs = acks.atUs(i);
    const b = bucketOf(atUs);
    if (b !== current) {
      close();
      current = b;
    }
    const count = acks.count(i);
    records[b] += count;
    const bin = bins.bin(Math.max(1, atUs - acks.firstArrivalUs(i)));
    hist[bin] += count;
    total += count;
    if (bin < lo) lo = bin;
    if (bin > hi) hi = bin;
  }
  close();
  return { throughput: Array.from(records, (r) => r / bucketSec), p50, p99 };
}

/** The scenario's consumer groups, in its order, once each. */
function groupsOf(scenario: Scenario): string[] {
  return [...new Set((scenario.doc.consumers ?? []).map((c) => c.group))];
}

/** p99 of every group's end-to-end latencies per bucket: their per-second histograms summed into the buckets'. */
function endToEndSeries(world: World, groups: readonly string[], bucketOf: (atUs: number) => number, n: number): Array<number | null> {
  const out: Array<number | null> = new Array(n).fill(null);
  const histories = groups.map((g) => world.history.consumers.groups.get(g)).filter((g) => g !== undefined);
  if (histories.length === 0) return out;
  const bins = SECOND_BINS;
  const counts = new Float64Array(n * bins.count);
  const totals = new Float64Array(n);
  const lo = new Int32Array(n).fill(bins.count);
  const hi = new Int32Array(n).fill(-1);
  for (const g of histories) {
    g.endToEndBySecond.forEach((second, bin, count) => {
      const b = bucketOf(second * 1e6);
      counts[b * bins.count + bin] += count;
      totals[b] += count;
      if (bin < lo[b]) lo[b] = bin;
      if (bin > hi[b]) hi[b] = bin;
    });
  }
  for (let b = 0; b < n; b++) if (totals[b] > 0) out[b] = ms(percentileUs(bins, counts, b * bins.count, lo[b], hi[b], totals[b], 99));
  return out;
}

/** ISR sizes at each bucket's end, walking each partition's state changes once. */
function isrSeries(world: World, scenario: Scenario, bucketUs: number, n: number): { min: number[]; under: number[] } {
  const min = new Array<number>(n).fill(Infinity);
  const under = new Array<number>(n).fill(0);
  const produced = new Set((scenario.doc.producers ?? []).map((p) => p.topic));
  for (const topic of scenario.doc.topics ?? []) {
    if (!produced.has(topic.name)) continue;
    const assignment = world.zookeeper.tree.get(`/brokers/topics/${topic.name}`)?.data as { partitions: Record<string, number[]> } | undefined;
    for (let p = 0; p < topic.partitions; p++) {
      const replicas = assignment?.partitions[String(p)]?.length ?? topic["replication.factor"];
      const states = world.history.states.get(`${topic.name}-${p}`) ?? [];
      let k = 0;
      for (let b = 0; b < n; b++) {
        const end = b === n - 1 ? Infinity : (b + 1) * bucketUs;
        while (k < states.length && states[k].atUs < end) k++;
        // Not created yet: no ISR to count.
        if (k === 0) continue;
        const size = states[k - 1].isr.length;
        if (size < min[b]) min[b] = size;
        if (size < replicas) under[b]++;
      }
    }
  }
  return { min: min.map((m) => (m === Infinity ? 0 : m)), under };
}

/** The largest lag sample of each bucket (a spike shorter than a wide bucket still shows). */
function lagSeries(world: World, group: string, bucketOf: (atUs: number) => number, n: number): Array<number | null> {
  const out: Array<number | null> = new Array(n).fill(null);
  const lag = world.history.consumers.groups.get(group)?.lag;
  if (lag === undefined) return out;
  for (let i = 0; i < lag.length; i++) {
    const b = bucketOf(lag.atUs(i));
    const v = lag.value(i);
    const was = out[b];
    if (was === null || v > was) out[b] = v;
  }
  return out;
}
