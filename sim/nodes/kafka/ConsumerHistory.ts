/**
 * The read side of the run's history: per consumer group, what its members were handed by poll()
 * (checked as it happens for offsets jumped over or going back), what they processed (each record
 * by its identity: producer, partition, index in that producer's stream) and when, end-to-end
 * latency (an HDR histogram from the record's CreateTime to the end of its processing, and per
 * second of the run a small histogram of the same, for charts over time), commits,
 * who owned which partition when, and the generations the coordinators formed. It checks "one
 * owner per partition per generation" where ownership changes. Processings per record are kept
 * as runs of equal counts (history/RecordCounts.ts), the lag samples in columns.
 */
import { LatencyRecorder } from "./LatencyRecorder.js";
import { RecordCounts } from "./history/RecordCounts.js";
import { LatencyBySecond } from "./history/LatencyBySecond.js";
import { TimeSeries } from "../../Columns.js";
import { partitionKey } from "./common/partitionKey.js";
import type { Simulation } from "../../Simulation.js";
import type { ErrorCode, TopicPartition } from "./common/protocol.js";
import type { PolledRecords } from "./clients/consumer/Fetcher.js";
import type { ConsumerObserver } from "./clients/consumer/ConsumerObserver.js";
import type { GroupObserver } from "./coordinator/group/GroupCoordinator.js";

export interface OwnershipEvent {
  atUs: number;
  member: string;
  kind: "assigned" | "revoked" | "down";
  /** For assigned: the member's whole assignment; for revoked: what it gave up. */
  partitions: readonly string[];
  generation: number;
}

export interface GroupHistory {
  group: string;
  /** Processings of each record, by "producer/topic-partition" and record index. */
  readonly processed: Map<string, RecordCounts>;
  processedRecords: number;
  duplicates: number;
  skipped: number;
  nonmonotonic: number;
  readonly endToEndUs: LatencyRecorder;
  /** The same latencies by the second their processing ended, warm-up included (a chart shows it). */
  readonly endToEndBySecond: LatencyBySecond;
  readonly ownership: OwnershipEvent[];
  /** Generations that reached Stable, in order. */
  readonly generations: Array<{ atUs: number; generation: number; protocol: string; members: number }>;
  readonly rebalanceStarts: Array<{ atUs: number; generation: number; reason: string }>;
  readonly commits: { ok: number; failed: number; errors: Map<string, number> };
  readonly resets: Array<{ atUs: number; member: string; partition: string; from: number; to: number; why: string }>;
  readonly errors: Array<{ atUs: number; member: string; error: string }>;
  /**
   * Per partition, where the group started reading it: the first position a member was reset to
   * or polled from. Records before it were never the group's to read (auto.offset.reset=latest).
   */
  readonly startOffsets: Map<string, number>;
  /** Consumer lag sampled once a second: the sum over partitions of high watermark minus committed offset. */
  readonly lag: TimeSeries;
}

interface Pending {
  records: readonly PolledRecords[];
  doneUs: Float64Array;
  /** When it began, as a count of processings begun (inFlight lists them in that order). */
  seq: number;
}

/** One member of one group, as the checks follow it (looked up once per poll, not by a key built per poll). */
interface MemberState {
  readonly history: GroupHistory;
  pending: Pending | null;
  /** Per partition key: the last offset poll() returned in this ownership. */
  readonly lastPolled: Map<string, number>;
}

export class ConsumerHistory implements ConsumerObserver, GroupObserver {
  readonly groups = new Map<string, GroupHistory>();
  /** Records created before this time are left out of the end-to-end latency histogram (the warm-up). */
  latencyWarmupUs = 0;
  /** By group, then member. */
  private readonly members = new Map<string, Map<string, MemberState>>();
  private processings = 0;
  /** Per group: the record counts by producer, then partition key (the same objects as `processed`). */
  private readonly countsIndex = new Map<GroupHistory, Map<string, Map<string, RecordCounts>>>();
  /** Per group and partition: the member owning it and the generation it was assigned in. */
  private readonly owners = new Map<string, { member: string; generation: number }>();

  constructor(private readonly sim: Simulation) {}

  group(id: string): GroupHistory {
    let g = this.groups.get(id);
    if (g === undefined) {
      g = {
        group: id,
        processed: new Map(),
        processedRecords: 0,
        duplicates: 0,
        skipped: 0,
        nonmonotonic: 0,
        endToEndUs: new LatencyRecorder(),
        endToEndBySecond: new LatencyBySecond(),
        ownership: [],
        generations: [],
        rebalanceStarts: [],
        commits: { ok: 0, failed: 0, errors: new Map() },
        resets: [],
        errors: [],
        lag: new TimeSeries(),
        startOffsets: new Map(),
      };
      this.groups.set(id, g);
    }
    return g;
  }

  private member(group: string, member: string): MemberState {
    let byMember = this.members.get(group);
    if (byMember === undefined) this.members.set(group, (byMember = new Map()));
    let m = byMember.get(member);
    if (m === undefined) byMember.set(member, (m = { history: this.group(group), pending: null, lastPolled: new Map() }));
    return m;
  }

  onPolled(group: string, member: string, records: readonly PolledRecords[]): void {
    const m = this.member(group, member);
    const g = m.history;
    for (const r of records) {
      const key = partitionKey(r.topic, r.partition);
      const first = r.batch.baseOffset + r.from;
      if (!g.startOffsets.has(key)) g.startOffsets.set(key, first);
      const last = m.lastPolled.get(key);
      if (last !== undefined) {
        if (first > last + 1) g.skipped += first - last - 1;
        else if (first <= last) g.nonmonotonic++;
      }
      m.lastPolled.set(key, first + r.count - 1);
    }
  }

  onProcessing(group: string, member: string, records: readonly PolledRecords[], doneUs: Float64Array): void {
    const m = this.member(group, member);
    this.finish(m, Infinity, 0);
    m.pending = { records, doneUs, seq: this.processings++ };
  }

  onProcessingDone(group: string, member: string, lateUs: number): void {
    this.finish(this.member(group, member), Infinity, lateUs);
  }

  /** The record counts of a producer's records in a partition, for a group. */
  private countsOf(g: GroupHistory, producer: string, topic: string, partition: number): RecordCounts {
    let byProducer = this.countsIndex.get(g);
    if (byProducer === undefined) this.countsIndex.set(g, (byProducer = new Map()));
    let byPartition = byProducer.get(producer);
    if (byPartition === undefined) byProducer.set(producer, (byPartition = new Map()));
    const pk = partitionKey(topic, partition);
    let counts = byPartition.get(pk);
    if (counts === undefined) {
      const k = `${producer}/${pk}`;
      counts = g.processed.get(k);
      if (counts === undefined) g.processed.set(k, (counts = new RecordCounts()));
      byPartition.set(pk, counts);
    }
    return counts;
  }

  /** Counts the member's pending records processed by `untilUs` (all, when it finished). */
  private finish(m: MemberState, untilUs: number, lateUs: number): void {
    const p = m.pending;
    if (p === null) return;
    m.pending = null;
    const g = m.history;
    const doneUs = p.doneUs;
    const warmupUs = this.latencyWarmupUs;
    const e2e = g.endToEndUs;
    const bySecond = g.endToEndBySecond;
    let i = 0;
    let processed = 0;
    let duplicates = 0;
    for (const r of p.records) {
      const counts = this.countsOf(g, r.batch.producer, r.topic, r.partition);
      const first = r.batch.firstIndex + r.from;
      const created = r.batch.createTimesUs;
      // The records processed by untilUs: up to the first one that was not.
      let n = r.count;
      if (untilUs !== Infinity) for (n = 0; n < r.count && doneUs[i + n] + lateUs <= untilUs; ) n++;
      duplicates += counts.add(first, first + n);
      if (created !== undefined) {
        for (let j = 0; j < n; j++) {
          const c = created[r.from + j];
          if (c === undefined) continue;
          const endUs = doneUs[i + j] + lateUs;
          const latencyUs = Math.max(1, endUs - c);
          bySecond.record(endUs, latencyUs);
          if (c >= warmupUs) e2e.record(latencyUs);
        }
      }
      i += n;
      processed += n;
      if (n < r.count) break;
    }
    bySecond.settle(this.sim.now);
    g.processedRecords += processed;
    g.duplicates += duplicates;
  }

  /**
   * The records live members of `group` are processing as the run ends (handed out by poll(), not
   * yet done): still under way, not lost. A member that went down had its records counted then.
   */
  inFlight(group: string): PolledRecords[] {
    const pending: Pending[] = [];
    for (const m of this.members.get(group)?.values() ?? []) if (m.pending !== null) pending.push(m.pending);
    pending.sort((a, b) => a.seq - b.seq);
    const out: PolledRecords[] = [];
    for (const p of pending) out.push(...p.records);
    return out;
  }

  onCommit(group: string, _member: string, _offsets: ReadonlyArray<{ topic: string; partition: number; offset: number }>, error: ErrorCode, _how: "auto" | "sync" | "async"): void {
    const c = this.group(group).commits;
    if (error === "NONE") c.ok++;
    else {
      c.failed++;
      c.errors.set(error, (c.errors.get(error) ?? 0) + 1);
    }
  }

  onAssigned(group: string, member: string, partitions: readonly TopicPartition[], generation: number): void {
    const g = this.group(group);
    const keys = partitions.map((tp) => `${tp.topic}-${tp.partition}`);
    for (const k of keys) {
      const o = this.owners.get(`${group}/${k}`);
      if (o !== undefined && o.member !== member && o.generation === generation && generation >= 0) {
        this.sim.violate("one owner per partition per generation", `${group} ${k}: ${o.member} and ${member} both own it in generation ${generation}`);
      }
      this.owners.set(`${group}/${k}`, { member, generation });
      if (o === undefined || o.member !== member) this.member(group, member).lastPolled.delete(k);
    }
    g.ownership.push({ atUs: this.sim.now, member, kind: "assigned", partitions: keys, generation });
  }

  onRevoked(group: string, member: string, partitions: readonly TopicPartition[], _lost: boolean): void {
    const keys = partitions.map((tp) => `${tp.topic}-${tp.partition}`);
    for (const k of keys) this.release(group, member, k);
    this.group(group).ownership.push({ atUs: this.sim.now, member, kind: "revoked", partitions: keys, generation: -1 });
  }

  private release(group: string, member: string, key: string): void {
    const o = this.owners.get(`${group}/${key}`);
    if (o !== undefined && o.member === member) this.owners.delete(`${group}/${key}`);
    this.member(group, member).lastPolled.delete(key);
  }

  onPositionReset(group: string, member: string, topic: string, partition: number, from: number, to: number, why: string): void {
    const g = this.group(group);
    if (!g.startOffsets.has(`${topic}-${partition}`)) g.startOffsets.set(`${topic}-${partition}`, to);
    if (from < 0) return;
    g.resets.push({ atUs: this.sim.now, member, partition: `${topic}-${partition}`, from, to, why });
  }

  onConsumerError(group: string, member: string, error: string): void {
    this.group(group).errors.push({ atUs: this.sim.now, member, error });
  }

  onMemberDown(group: string, member: string): void {
    this.finish(this.member(group, member), this.sim.now, 0);
    const released: string[] = [];
    for (const [k, o] of this.owners) {
      if (o.member !== member || !k.startsWith(`${group}/`)) continue;
      released.push(k.slice(group.length + 1));
    }
    for (const k of released) this.release(group, member, k);
    this.group(group).ownership.push({ atUs: this.sim.now, member, kind: "down", partitions: released, generation: -1 });
  }

  // --- the coordinator's side ---

  onGenerationStable(groupId: string, generation: number, protocol: string, members: ReadonlyArray<unknown>): void {
    this.group(groupId).generations.push({ atUs: this.sim.now, generation, protocol, members: members.length });
  }

  onRebalanceStarted(groupId: string, generation: number, reason: string): void {
    this.group(groupId).rebalanceStarts.push({ atUs: this.sim.now, generation, reason });
  }

  onLag(groupId: string, lag: number): void {
    this.group(groupId).lag.push(this.sim.now, lag);
  }
}
