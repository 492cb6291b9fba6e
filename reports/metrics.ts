/**
 * Metrics of a finished run, read from the history and from what each broker's disk and page
 * cache hold after the settle period. The names are the ones `expect:` and `--json` use.
 */
import type { RunOutcome } from "../scenarios/runner.js";
import type { World } from "../scenarios/world.js";
import { readSegments, type RecordBatch } from "../sim/nodes/kafka/Log.js";
import type { Broker } from "../sim/nodes/kafka/Broker.js";
import { partitionSummaries, type PartitionSummary } from "./availability.js";

export interface LatencySummary {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export interface Metrics {
  sent: number;
  acked: number;
  failed: number;
  lostAcked: number;
  duplicates: number;
  reordered: number;
  divergence: number;
  unavailableMs: number;
  produceLatencyMs: LatencySummary;
  throughput: { recordsPerSec: number; bytesPerSec: number };
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
  partitions: PartitionSummary[];
}

/** The batches a broker's disks and page cache hold for a partition (in the first log dir that has any). */
export function logOf(world: World, brokerId: number, key: string): RecordBatch[] {
  const host = world.brokers.get(brokerId);
  if (host === undefined) return [];
  const m = world.machines.get(host.name)!;
  for (const disk of m.disks) {
    const batches = readSegments(m.filesOn(disk), key).flatMap((s) => s.batches);
    if (batches.length > 0) return batches;
  }
  return [];
}

function brokerView(world: World, brokerId: number, key: string): { highWatermark: number; logEndOffset: number } | undefined {
  const proc = world.brokers.get(brokerId)?.process;
  return proc?.kind === "broker" ? (proc as Broker).partitionView(key) : undefined;
}

/** Where a partition's data ends up: its last leader's log (or, with no leader, the longest replica). */
function finalReplica(world: World, key: string, replicas: number[], leader: number): number {
  if (leader >= 0) return leader;
  let best = replicas[0] ?? -1;
  let bestLen = -1;
  for (const r of replicas) {
    const batches = logOf(world, r, key);
    const len = batches.length === 0 ? 0 : batches[batches.length - 1].baseOffset + batches[batches.length - 1].count;
    if (len > bestLen) [best, bestLen] = [r, len];
  }
  return best;
}

export function computeMetrics(outcome: RunOutcome): Metrics {
  const { world } = outcome;
  const h = world.history;
  const summaries = partitionSummaries(world);
  // Occurrences of each (producer, partition, record index) in the final logs.
  const counts = new Map<string, Uint16Array>();
  const sizeOf = new Map<string, number>();
  for (const a of h.acks) sizeOf.set(`${a.producer}/${a.topic}-${a.partition}`, Math.max(sizeOf.get(`${a.producer}/${a.topic}-${a.partition}`) ?? 0, a.firstIndex + a.count));
  let duplicates = 0;
  let reordered = 0;
  let divergence = 0;
  for (const s of summaries) {
    const leader = finalReplica(world, s.key, s.replicas, s.finalLeader);
    const log = logOf(world, leader, s.key);
    const maxSeen = new Map<string, number>();
    for (const b of log) {
      const k = `${b.producer}/${s.key}`;
      let c = counts.get(k);
      const need = b.firstIndex + b.count;
      if (c === undefined || c.length < need) {
        const bigger = new Uint16Array(Math.max(need, sizeOf.get(k) ?? 0, (c?.length ?? 0) * 2));
        if (c !== undefined) bigger.set(c);
        counts.set(k, (c = bigger));
      }
      const seen = maxSeen.get(k) ?? -1;
      for (let i = b.firstIndex; i < need; i++) {
        if (c[i] > 0) duplicates++;
        else if (i < seen) reordered++;
        if (c[i] < 65535) c[i]++;
      }
      if (need - 1 > seen) maxSeen.set(k, need - 1);
    }
    // Replicas that disagree with the final leader below the high watermark.
    const hw = brokerView(world, leader, s.key)?.highWatermark ?? 0;
    const byOffset = new Map(log.map((b) => [b.baseOffset, b]));
    for (const r of s.replicas) {
      if (r === leader) continue;
      for (const b of logOf(world, r, s.key)) {
        if (b.baseOffset >= hw) break;
        if (byOffset.get(b.baseOffset) !== b) divergence += Math.min(b.count, hw - b.baseOffset);
      }
    }
  }
  let lostAcked = 0;
  for (const a of h.acks) {
    const c = counts.get(`${a.producer}/${a.topic}-${a.partition}`);
    for (let i = a.firstIndex; i < a.firstIndex + a.count; i++) if (c === undefined || i >= c.length || c[i] === 0) lostAcked++;
  }
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let ackedBytes = 0;
  for (const t of h.producers.values()) {
    sent += t.sent;
    acked += t.acked;
    failed += t.failed;
    ackedBytes += t.ackedBytes;
  }
  const seconds = world.scenario.durationUs / 1e6;
  const ms = (us: number): number => Math.round(us) / 1000;
  const lat = h.latencyUs;
  let bytesLost = 0;
  for (const m of world.machines.values()) bytesLost += m.pageCache.bytesLostToPowerLoss;
  return {
    sent,
    acked,
    failed,
    lostAcked,
    duplicates,
    reordered,
    divergence,
    unavailableMs: Math.max(0, ...summaries.map((s) => s.unavailableMs)),
    produceLatencyMs: lat.totalCount === 0 ? { p50: 0, p99: 0, p999: 0, max: 0 } : { p50: ms(lat.getValueAtPercentile(50)), p99: ms(lat.getValueAtPercentile(99)), p999: ms(lat.getValueAtPercentile(99.9)), max: ms(lat.maxValue) },
    throughput: { recordsPerSec: Math.round(acked / seconds), bytesPerSec: Math.round(ackedBytes / seconds) },
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
    partitions: summaries,
  };
}

/** A metric by its dotted name (`produceLatencyMs.p99`), or undefined when not measured. */
export function metricValue(metrics: Metrics, name: string): number | undefined {
  let v: unknown = metrics;
  for (const part of name.split(".")) v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[part] : undefined;
  return typeof v === "number" ? v : undefined;
}
