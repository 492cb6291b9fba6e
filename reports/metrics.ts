/**
 * Metrics of a finished run, read from the history and from what each broker's disk and page
 * cache hold after the settle period. The names are the ones `expect:` and `--json` use.
 * A metric the run could not measure is null and named in `unmeasured` with the reason, so
 * that an `expect:` on it fails instead of passing on a zero.
 */
import type { RunOutcome } from "../scenarios/runner.js";
import type { World } from "../scenarios/world.js";
import { partitionSummaries, type PartitionSummary } from "./availability.js";
import { logEnd, logOf, logStartOf, readFrom, type ReadFrom } from "./readReplica.js";
import { produceStalls, type ProduceStall } from "./stall.js";
import type { Histogram } from "hdr-histogram-js";
import { groupMetrics, type GroupMetrics } from "./consumerChecks.js";
import { latencyHistogram, type LatencyRecorder } from "../sim/nodes/kafka/LatencyRecorder.js";
import { groupMetricName, METRIC_ALIASES } from "../scenarios/metrics.js";
import { recoveryMetrics, type RecoveryMetrics } from "./recovery.js";

/** Produce latency of the records created after the warm-up; null when none was acknowledged. */
export interface LatencySummary {
  p50: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  /** Records in the histogram. */
  records: number;
  warmupMs: number;
}

/**
 * A percentile of a latency histogram, never above the histogram's max. hdr-histogram-js
 * answers getValueAtPercentile with the highest value equivalent to the percentile's bucket (3
 * significant digits: a bucket 64 µs wide around 80 ms, 16 ms around 30 s), while maxValue is
 * the largest value recorded, exactly (lowestDiscernibleValue 1), so the top bucket reaches
 * above it: with fewer than 1,000 records p99.9 is that bucket and read up to 0.1% above max.
 * No recorded value exceeds the max, so the percentile is capped there; p50 <= p99 <= p99.9 <=
 * max, all from the one histogram.
 */
export function percentileOf(hist: Histogram, percentile: number): number {
  return Math.min(hist.getValueAtPercentile(percentile), hist.maxValue);
}

/** The histogram's mean (from each bucket's middle value), likewise never above its max. */
export function meanOf(hist: Histogram): number {
  return Math.min(hist.mean, hist.maxValue);
}

export interface PartitionMetrics extends PartitionSummary {
  /** The replica lostAcked and duplicates read, and why that one. */
  readFrom: ReadFrom;
  /** The longest produce stall of any producer on this partition. */
  produceStallMs: number;
}

/** With the recovery after the faults heal: healedAtMs, recoveryMs, ackedAfterHeal, ... (reports/recovery.ts). */
export interface Metrics extends RecoveryMetrics {
  sent: number;
  acked: number;
  failed: number;
  /** acks=0 records written to a socket: never acknowledged, so never in acked or lostAcked. */
  sentWithoutAck: number;
  /** Acknowledged records a consumer could not read at the end (see readFrom). */
  lostAcked: number;
  /** Acknowledged records missing because retention deleted them: below the read replica's log start offset. */
  expiredAcked: number;
  duplicates: number;
  reordered: number;
  divergence: number;
  unavailableMs: number;
  /** The longest produce stall (reports/stall.ts); null when no producer sent anything. */
  produceStallMs: number | null;
  produceStall: ProduceStall | null;
  produceLatencyMs: LatencySummary;
  /** Acknowledged records and bytes per second over [fromUs, toUs]: first acknowledgement to the end of the duration. */
  throughput: { recordsPerSec: number | null; bytesPerSec: number | null; fromUs: number | null; toUs: number; records: number };
  leaderChanges: number;
  isrChanges: number;
  truncatedRecords: number;
  controllerElections: number;
  /** Who won each controller election, in order. */
  controllers: Array<{ atUs: number; broker: number; epoch: number }>;
  /** Broker processes that ended themselves (failed start-up, halt), with Kafka's reason. */
  brokerExits: Array<{ atUs: number; broker: number; why: string }>;
  bytesLostToPowerLoss: number;
  messagesDropped: number;
  invariantViolations: number;
  /** Log dirs taken offline by storage errors (KIP-112), and broker processes that halted. */
  logDirFailures: number;
  brokerHalts: number;
  /** Each halt: broker, when, why. */
  halts: Array<{ broker: number; atUs: number; reason: string }>;
  errors: Record<string, number>;
  partitions: PartitionMetrics[];
  /** The read side, over every consumer group (counts summed, latency merged, lag the largest of any group). */
  lostConsumed: number | null;
  duplicatesConsumed: number | null;
  skipped: number | null;
  nonmonotonic: number | null;
  endToEndLatencyMs: LatencySummary;
  consumerLag: { max: number | null; final: number | null };
  rebalances: number | null;
  rebalancePauseMs: number | null;
  /** Per consumer group. */
  groups: GroupMetrics[];
  /** Metric name to why this run did not measure it; an `expect:` on one of them fails. */
  unmeasured: Record<string, string>;
}

export function computeMetrics(outcome: RunOutcome): Metrics {
  const { world } = outcome;
  const h = world.history;
  const durationUs = world.scenario.durationUs;
  const stalls = produceStalls(h, world.sim.now);
  const summaries = partitionSummaries(world);
  // Occurrences of each (producer, partition, record index) in what a consumer could read, from
  // the smallest index the read log holds: below it retention deleted them, and an hour-long run
  // would otherwise hold two bytes for every record it ever produced.
  const counts = new Map<string, { base: number; c: Uint16Array }>();
  const sizeOf = new Map<string, number>();
  const acks = h.acks;
  const streamKeys = Array.from({ length: h.streams.size }, (_, id) => h.streams.key(id));
  for (let i = 0; i < acks.length; i++) {
    const k = streamKeys[acks.stream(i)];
    sizeOf.set(k, Math.max(sizeOf.get(k) ?? 0, acks.firstIndex(i) + acks.count(i)));
  }
  let duplicates = 0;
  let reordered = 0;
  let divergence = 0;
  const partitions: PartitionMetrics[] = [];
  const logStarts = new Map<string, number>();
  for (const s of summaries) {
    const from = readFrom(world, s);
    const log = from.broker < 0 ? [] : logOf(world, from.broker, s.key);
    // Below it retention deleted the records (expiredAcked, not lostAcked; not divergence either).
    const logStart = from.broker < 0 ? 0 : logStartOf(world, from.broker, s.key);
    logStarts.set(s.key, logStart);
    const maxSeen = new Map<string, number>();
    const bases = new Map<string, number>();
    for (const b of log) {
      if (b.baseOffset >= from.readableEnd) break;
      const k = `${b.producer}/${s.key}`;
      const base = bases.get(k);
      if (base === undefined || b.firstIndex < base) bases.set(k, b.firstIndex);
    }
    for (const b of log) {
      if (b.baseOffset >= from.readableEnd) break;
      const k = `${b.producer}/${s.key}`;
      let entry = counts.get(k);
      const base = bases.get(k)!;
      const need = b.firstIndex + Math.min(b.count, from.readableEnd - b.baseOffset);
      if (entry === undefined || entry.c.length < need - base) {
        const bigger = new Uint16Array(Math.max(need, sizeOf.get(k) ?? 0, base + (entry?.c.length ?? 0) * 2) - base);
        if (entry !== undefined) bigger.set(entry.c);
        counts.set(k, (entry = { base, c: bigger }));
      }
      const c = entry.c;
      const seen = maxSeen.get(k) ?? -1;
      for (let i = b.firstIndex; i < need; i++) {
        const n = c[i - base];
        if (n > 0) duplicates++;
        else if (i < seen) reordered++;
        if (n < 65535) c[i - base] = n + 1;
      }
      if (need - 1 > seen) maxSeen.set(k, need - 1);
    }
    // ISR members must hold what the read replica holds below its high watermark (Kafka's
    // guarantee for the committed log); count the records on which one differs or that it lacks.
    const hw = from.highWatermark;
    const byOffset = new Map(log.map((b) => [b.baseOffset, b]));
    for (const r of s.finalIsr) {
      if (r === from.broker || from.broker < 0) continue;
      const theirs = logOf(world, r, s.key);
      for (const b of theirs) {
        if (b.baseOffset >= hw) break;
        if (b.baseOffset < (log[0]?.baseOffset ?? logStart)) continue;
        const mine = byOffset.get(b.baseOffset);
        if (mine === undefined || mine.count !== b.count || mine.producer !== b.producer || mine.firstIndex !== b.firstIndex || mine.leaderEpoch !== b.leaderEpoch) divergence += Math.min(b.count, hw - b.baseOffset);
      }
      // A replica whose every batch retention deleted ends where its one empty segment starts.
      divergence += Math.max(0, hw - (theirs.length > 0 ? logEnd(theirs) : logStartOf(world, r, s.key)));
    }
    let stall = 0;
    for (const st of stalls.values()) if (st.partition === s.key) stall = Math.max(stall, st.ms);
    partitions.push({ ...s, readFrom: from, produceStallMs: stall });
  }
  let lostAcked = 0;
  let expiredAcked = 0;
  // Per stream, its partition's log start offset on the read replica: records below it were deleted by retention.
  const streamLogStarts = Array.from({ length: h.streams.size }, (_, id) => logStarts.get(`${h.streams.topics[id]}-${h.streams.partitions[id]}`) ?? 0);
  for (let j = 0; j < acks.length; j++) {
    const stream = acks.stream(j);
    const entry = counts.get(streamKeys[stream]);
    const base = entry?.base ?? 0;
    const c = entry?.c;
    const logStart = streamLogStarts[stream];
    const firstIndex = acks.firstIndex(j);
    const offset = acks.offset(j);
    const end = firstIndex + acks.count(j);
    for (let i = firstIndex; i < end; i++) {
      if (c !== undefined && i >= base && i - base < c.length && c[i - base] > 0) continue;
      if (offset + (i - firstIndex) < logStart) expiredAcked++;
      else lostAcked++;
    }
  }
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let sentWithoutAck = 0;
  for (const t of h.producers.values()) {
    sent += t.sent;
    acked += t.acked;
    failed += t.failed;
    sentWithoutAck += t.sentWithoutAck;
  }
  const unmeasured: Record<string, string> = {};
  // Throughput over [first acknowledgement, end of duration]: the start-up before the first
  // acknowledgement and the settle period's drain of late acknowledgements are left out.
  const firstAckUs = acks.length > 0 ? acks.atUs(0) : null;
  let windowRecords = 0;
  let windowBytes = 0;
  for (let i = 0; i < acks.length; i++) {
    if (acks.atUs(i) > durationUs) break;
    windowRecords += acks.count(i);
    windowBytes += acks.bytes(i);
  }
  const windowUs = firstAckUs === null ? 0 : durationUs - firstAckUs;
  if (windowUs <= 0) {
    const why = firstAckUs === null ? (sentWithoutAck > 0 ? "no record was acknowledged (acks=0 sends are never acknowledged)" : "no record was acknowledged") : "the first acknowledgement came after the end of the duration";
    unmeasured["throughput.recordsPerSec"] = unmeasured["throughput.bytesPerSec"] = why;
  }
  const ms = (us: number): number => Math.round(us) / 1000;
  const lat = h.latencyUs.histogram;
  if (lat.totalCount === 0) {
    const why = h.latencyWarmupUs > 0 ? `no record created after the latency warm-up (${ms(h.latencyWarmupUs)} ms) was acknowledged` : "no record was acknowledged";
    for (const p of ["p50", "p99", "p999", "max"]) unmeasured[`produceLatencyMs.${p}`] = why;
  }
  const readFroms = new Map(partitions.map((p) => [p.key, p.readFrom]));
  const groups = groupMetrics({
    world,
    readFromOf: (key) => {
      const from = readFroms.get(key);
      return from === undefined ? undefined : { from, log: from.broker < 0 ? [] : logOf(world, from.broker, key) };
    },
    logOf: (broker, key) => logOf(world, broker, key),
  });
  const readSide = readSideTotals(groups, world.history.consumers.groups, unmeasured, ms(world.history.consumers.latencyWarmupUs));
  let worstStall: ProduceStall | null = null;
  for (const st of stalls.values()) if (worstStall === null || st.ms > worstStall.ms) worstStall = st;
  if (worstStall === null) unmeasured["produceStallMs"] = "no producer sent a record";
  let bytesLost = 0;
  for (const m of world.machines.values()) bytesLost += m.pageCache.bytesLostToPowerLoss;
  return {
    sent,
    acked,
    failed,
    sentWithoutAck,
    lostAcked,
    expiredAcked,
    duplicates,
    reordered,
    divergence,
    unavailableMs: Math.max(0, ...summaries.map((s) => s.unavailableMs)),
    produceStallMs: worstStall?.ms ?? null,
    produceStall: worstStall,
    produceLatencyMs:
      lat.totalCount === 0
        ? { p50: null, p99: null, p999: null, max: null, records: 0, warmupMs: ms(h.latencyWarmupUs) }
        : { p50: ms(percentileOf(lat, 50)), p99: ms(percentileOf(lat, 99)), p999: ms(percentileOf(lat, 99.9)), max: ms(lat.maxValue), records: lat.totalCount, warmupMs: ms(h.latencyWarmupUs) },
    throughput:
      windowUs <= 0
        ? { recordsPerSec: null, bytesPerSec: null, fromUs: firstAckUs, toUs: durationUs, records: 0 }
        : { recordsPerSec: Math.round(windowRecords / (windowUs / 1e6)), bytesPerSec: Math.round(windowBytes / (windowUs / 1e6)), fromUs: firstAckUs, toUs: durationUs, records: windowRecords },
    leaderChanges: summaries.reduce((n, s) => n + s.leaderChanges, 0),
    isrChanges: summaries.reduce((n, s) => n + s.isrChanges, 0),
    truncatedRecords: h.truncations.reduce((n, t) => n + t.records, 0),
    controllerElections: h.controllers.length,
    controllers: h.controllers.slice(),
    brokerExits: h.exits.slice(),
    bytesLostToPowerLoss: bytesLost,
    messagesDropped: world.network.messagesDropped,
    invariantViolations: world.sim.violations.length,
    logDirFailures: h.logDirFailures.length,
    brokerHalts: h.halts.length,
    halts: h.halts.map((x) => ({ broker: x.broker, atUs: x.atUs, reason: x.reason })),
    errors: Object.fromEntries([...h.errors].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
    partitions,
    ...readSide,
    groups,
    ...recoveryMetrics(world, unmeasured),
    unmeasured,
  };
}

type ReadSide = Pick<Metrics, "lostConsumed" | "duplicatesConsumed" | "skipped" | "nonmonotonic" | "endToEndLatencyMs" | "consumerLag" | "rebalances" | "rebalancePauseMs">;

/** The groups' metrics together; with no group they are unmeasured. */
function readSideTotals(groups: GroupMetrics[], histories: ReadonlyMap<string, { endToEndUs: LatencyRecorder }>, unmeasured: Record<string, string>, warmupMs: number): ReadSide {
  const none = { p50: null, p99: null, p999: null, max: null, records: 0, warmupMs };
  if (groups.length === 0) {
    for (const name of ["lostConsumed", "duplicatesConsumed", "skipped", "nonmonotonic", "rebalances", "rebalancePauseMs", "consumerLag", "consumerLag.max", "consumerLag.final", "endToEndLatencyMs.p50", "endToEndLatencyMs.p99", "endToEndLatencyMs.p999", "endToEndLatencyMs.max"]) unmeasured[name] = "the scenario has no consumer group";
    return { lostConsumed: null, duplicatesConsumed: null, skipped: null, nonmonotonic: null, endToEndLatencyMs: none, consumerLag: { max: null, final: null }, rebalances: null, rebalancePauseMs: null };
  }
  const e2e = latencyHistogram();
  for (const g of groups) {
    const h = histories.get(g.group);
    if (h !== undefined) e2e.add(h.endToEndUs.histogram);
  }
  const ms = (us: number): number => Math.round(us) / 1000;
  if (e2e.totalCount === 0) for (const p of ["p50", "p99", "p999", "max"]) unmeasured[`endToEndLatencyMs.${p}`] = "no record was processed by a consumer";
  const lags = groups.filter((g) => g.consumerLag.max !== null);
  if (lags.length === 0) for (const n of ["consumerLag", "consumerLag.max", "consumerLag.final"]) unmeasured[n] = "no group had a coordinator to read its committed offsets from";
  const sum = (f: (g: GroupMetrics) => number): number => groups.reduce((n, g) => n + f(g), 0);
  return {
    lostConsumed: sum((g) => g.lostConsumed),
    duplicatesConsumed: sum((g) => g.duplicatesConsumed),
    skipped: sum((g) => g.skipped),
    nonmonotonic: sum((g) => g.nonmonotonic),
    endToEndLatencyMs: e2e.totalCount === 0 ? none : { p50: ms(percentileOf(e2e, 50)), p99: ms(percentileOf(e2e, 99)), p999: ms(percentileOf(e2e, 99.9)), max: ms(e2e.maxValue), records: e2e.totalCount, warmupMs },
    consumerLag: lags.length === 0 ? { max: null, final: null } : { max: Math.max(...lags.map((g) => g.consumerLag.max as number)), final: Math.max(...lags.map((g) => g.consumerLag.final as number)) },
    rebalances: sum((g) => g.rebalances),
    rebalancePauseMs: Math.round(sum((g) => g.rebalancePauseMs) * 1000) / 1000,
  };
}

/** A metric by its dotted name (`produceLatencyMs.p99`), or undefined when not measured (null or absent). */
export function metricValue(metrics: Metrics, name: string): number | undefined {
  let v: unknown = metrics;
  name = METRIC_ALIASES[name] ?? name;
  const perGroup = groupMetricName(name);
  if (perGroup !== null) {
    v = metrics.groups.find((g) => g.group === perGroup.group);
    name = perGroup.metric;
  }
  for (const part of name.split(".")) v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[part] : undefined;
  return typeof v === "number" ? v : undefined;
}
