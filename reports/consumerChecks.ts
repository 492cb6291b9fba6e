/**
 * The read side's checks, per consumer group, with the names Jepsen's Kafka checker made
 * familiar:
 * - lostConsumed: records from where the group started reading a partition up to its final
 *   committed offset (what it would resume from), in the partition's final log, that no member
 *   ever finished processing, less those a live member is still processing as the run ends;
 * - duplicatesConsumed: processings of a record beyond its first;
 * - skipped: offsets a member's polls jumped over within one ownership of a partition;
 * - nonmonotonic: polls that went back to an offset at or below one the member already had;
 * - endToEndLatencyMs: from a record's CreateTime to the end of its processing (HDR);
 * - consumerLag: high watermark minus committed offset over the partitions, sampled each second;
 * - rebalances: generations the coordinator formed after the first;
 * - rebalancePauseMs: from the group's first full assignment, the time each partition had no live
 *   owner, summed over the partitions.
 */
import type { World } from "../scenarios/world.js";
import type { GroupHistory } from "../sim/nodes/kafka/ConsumerHistory.js";
import type { CoordinatorRecord } from "../sim/nodes/kafka/coordinator/group/GroupMetadataManager.js";
import { partitionFor } from "../sim/nodes/kafka/coordinator/group/GroupMetadataManager.js";
import { CONSUMER_OFFSETS } from "../sim/nodes/kafka/common/protocol.js";
import { liveBrokers, liveCoordinator } from "../scenarios/consumers.js";
import { percentileOf, type LatencySummary } from "./metrics.js";
import type { ReadFrom } from "./readReplica.js";
import type { RecordBatch } from "../sim/nodes/kafka/log/Log.js";
import type { PolledRecords } from "../sim/nodes/kafka/clients/consumer/Fetcher.js";

export interface GroupMetrics {
  group: string;
  topic: string;
  members: number;
  processed: number;
  lostConsumed: number;
  duplicatesConsumed: number;
  skipped: number;
  nonmonotonic: number;
  endToEndLatencyMs: LatencySummary;
  consumerLag: { max: number | null; final: number | null };
  rebalances: number;
  rebalancePauseMs: number;
  commits: { ok: number; failed: number; errors: Record<string, number> };
  /** The committed offset per partition at the end (-1 none), and where it was read. */
  committed: Record<string, number>;
  committedFrom: string;
  resets: number;
  consumerErrors: string[];
}

export interface ConsumerDeps {
  world: World;
  /** The replica a consumer reads a partition from at the end, and its log. */
  readFromOf(key: string): { from: ReadFrom; log: readonly RecordBatch[] } | undefined;
  logOf(broker: number, key: string): RecordBatch[];
}

export function groupMetrics(d: ConsumerDeps): GroupMetrics[] {
  const { world } = d;
  const out: GroupMetrics[] = [];
  for (const c of world.scenario.doc.consumers ?? []) {
    const g = world.history.consumers.group(c.group);
    const partitions = (world.scenario.doc.topics ?? []).find((t) => t.name === c.topic)?.partitions ?? 0;
    const { committed, from } = committedAtEnd(d, c.group);
    const inFlight = inFlightIndices(world.history.consumers.inFlight(c.group));
    let lost = 0;
    for (let p = 0; p < partitions; p++) {
      const key = `${c.topic}-${p}`;
      const end = committed.get(key) ?? -1;
      const r = d.readFromOf(key);
      if (r === undefined || end <= 0) continue;
      // Records before the group's first position were never its to read (auto.offset.reset=latest).
      const start = g.startOffsets.get(key) ?? end;
      for (const b of r.log) {
        if (b.baseOffset >= Math.min(end, r.from.readableEnd)) break;
        const stream = `${b.producer}/${key}`;
        const counts = g.processed.get(stream);
        const n = Math.min(b.count, Math.min(end, r.from.readableEnd) - b.baseOffset);
        const from = Math.max(0, start - b.baseOffset);
        if (from >= n) continue;
        const lo = b.firstIndex + from;
        const hi = b.firstIndex + n;
        const zeros = (a: number, z: number): number => (counts === undefined ? z - a : counts.zerosIn(a, z));
        lost += zeros(lo, hi);
        // A live member still processing them as the run ends has not lost them (a crash would have).
        for (const [a, z] of inFlight.get(stream) ?? []) if (Math.max(a, lo) < Math.min(z, hi)) lost -= zeros(Math.max(a, lo), Math.min(z, hi));
      }
    }
    const ms = (us: number): number => Math.round(us) / 1000;
    const e2e = g.endToEndUs.histogram;
    out.push({
      group: c.group,
      topic: c.topic,
      members: c.members,
      processed: g.processedRecords,
      lostConsumed: lost,
      duplicatesConsumed: g.duplicates,
      skipped: g.skipped,
      nonmonotonic: g.nonmonotonic,
      endToEndLatencyMs:
        e2e.totalCount === 0
          ? { p50: null, p99: null, p999: null, max: null, records: 0, warmupMs: ms(world.history.consumers.latencyWarmupUs) }
          : { p50: ms(percentileOf(e2e, 50)), p99: ms(percentileOf(e2e, 99)), p999: ms(percentileOf(e2e, 99.9)), max: ms(e2e.maxValue), records: e2e.totalCount, warmupMs: ms(world.history.consumers.latencyWarmupUs) },
      consumerLag: g.lag.length === 0 ? { max: null, final: null } : { max: g.lag.maxValue(), final: g.lag.value(g.lag.length - 1) },
      rebalances: Math.max(0, g.generations.length - 1),
      rebalancePauseMs: ms(pauseUs(g, partitions, c.topic, world.sim.now)),
      commits: { ok: g.commits.ok, failed: g.commits.failed, errors: Object.fromEntries([...g.commits.errors].sort((a, b) => (a[0] < b[0] ? -1 : 1))) },
      committed: Object.fromEntries([...committed].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))),
      committedFrom: from,
      resets: g.resets.length,
      consumerErrors: g.errors.map((e) => `${e.member}: ${e.error}`),
    });
  }
  return out;
}

/**
 * The group's committed offsets at the end: the coordinator's cache when a live broker holds the
 * group, else what its __consumer_offsets partition's last leader has in its log (what a new
 * coordinator would load).
 */
function committedAtEnd(d: ConsumerDeps, group: string): { committed: Map<string, number>; from: string } {
  const { world } = d;
  const holder = liveCoordinator(liveBrokers(world.brokers), group);
  if (holder !== undefined) return { committed: new Map([...holder.group.offsets].map(([k, v]) => [k, v.offset])), from: `the coordinator's cache on broker ${holder.id}` };
  const partitions = world.brokerConfig.num("offsets.topic.num.partitions");
  const key = `${CONSUMER_OFFSETS}-${partitionFor(group, partitions)}`;
  const states = world.history.states.get(key) ?? [];
  const leader = [...states].reverse().find((s) => s.leader >= 0)?.leader ?? -1;
  const committed = new Map<string, number>();
  if (leader < 0) return { committed, from: "none (no coordinator ever)" };
  for (const b of d.logOf(leader, key)) {
    for (const r of (b.payload as CoordinatorRecord[] | undefined) ?? []) if (r.kind === "offset" && r.group === group) committed.set(`${r.topic}-${r.partition}`, r.offset);
  }
  return { committed, from: `the log of ${key} on broker ${leader}` };
}

/** Partition-time with no live owner, from the first moment every partition had one. */
function pauseUs(g: GroupHistory, partitions: number, topic: string, endUs: number): number {
  const owner = new Map<string, string>();
  let startUs = -1;
  let total = 0;
  let lastUs = 0;
  const unowned = (): number => {
    let n = 0;
    for (let p = 0; p < partitions; p++) if (!owner.has(`${topic}-${p}`)) n++;
    return n;
  };
  for (const e of g.ownership) {
    if (startUs >= 0) total += unowned() * (e.atUs - lastUs);
    lastUs = e.atUs;
    if (e.kind === "assigned") {
      for (const [k, m] of [...owner]) if (m === e.member && !e.partitions.includes(k)) owner.delete(k);
      for (const k of e.partitions) owner.set(k, e.member);
    } else {
      for (const k of e.partitions) if (owner.get(k) === e.member) owner.delete(k);
    }
    if (startUs < 0 && unowned() === 0) startUs = e.atUs;
  }
  if (startUs >= 0) total += unowned() * (endUs - lastUs);
  return total;
}

/**
 * In-flight records by stream (`producer/topic-partition`) as disjoint, sorted ranges of record
 * indices: two members may hold the same records after a rebalance, and each counts once.
 */
function inFlightIndices(records: readonly PolledRecords[]): Map<string, Array<[number, number]>> {
  const byStream = new Map<string, Array<[number, number]>>();
  for (const r of records) {
    const stream = `${r.batch.producer}/${r.topic}-${r.partition}`;
    let list = byStream.get(stream);
    if (list === undefined) byStream.set(stream, (list = []));
    list.push([r.batch.firstIndex + r.from, r.batch.firstIndex + r.from + r.count]);
  }
  for (const [stream, list] of byStream) {
    list.sort((x, y) => x[0] - y[0]);
    const merged: Array<[number, number]> = [];
    for (const [a, z] of list) {
      const last = merged[merged.length - 1];
      if (last !== undefined && a <= last[1]) last[1] = Math.max(last[1], z);
      else merged.push([a, z]);
    }
    byStream.set(stream, merged);
  }
  return byStream;
}
