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
  group: string;
  records: readonly PolledRecords[];
  doneUs: Float64Array;
}

export class ConsumerHistory implements ConsumerObserver, GroupObserver {
  readonly groups = new Map<string, GroupHistory>();
  /** Records created before this time are left out of the end-to-end latency histogram (the warm-up). */
  latencyWarmupUs = 0;
  /** Per member and partition: the last offset poll() returned in this ownership. */
  private readonly lastPolled = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
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

  onPolled(group: string, member: string, records: readonly PolledRecords[]): void {
    const g = this.group(group);
    for (const r of records) {
      const key = `${member}/${r.topic}-${r.partition}`;
      const first = r.batch.baseOffset + r.from;
      if (!g.startOffsets.has(`${r.topic}-${r.partition}`)) g.startOffsets.set(`${r.topic}-${r.partition}`, first);
      const last = this.lastPolled.get(key);
      if (last !== undefined) {
        if (first > last + 1) g.skipped += first - last - 1;
        else if (first <= last) g.nonmonotonic++;
      }
      this.lastPolled.set(key, first + r.count - 1);
    }
  }

  onProcessing(group: string, member: string, records: readonly PolledRecords[], doneUs: Float64Array): void {
    this.finish(group, member, Infinity, 0);
    this.pending.set(`${group}/${member}`, { group, records, doneUs });
  }

  onProcessingDone(group: string, member: string, lateUs: number): void {
    this.finish(group, member, Infinity, lateUs);
  }

  /** Counts the member's pending records processed by `untilUs` (all, when it finished). */
  private finish(group: string, member: string, untilUs: number, lateUs: number): void {
    const key = `${group}/${member}`;
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.pending.delete(key);
    const g = this.group(group);
    const doneUs = p.doneUs;
    const warmupUs = this.latencyWarmupUs;
    const e2e = g.endToEndUs;
    const bySecond = g.endToEndBySecond;
    let i = 0;
    let processed = 0;
    let duplicates = 0;
    for (const r of p.records) {
      const k = `${r.batch.producer}/${r.topic}-${r.partition}`;
      let counts = g.processed.get(k);
      if (counts === undefined) g.processed.set(k, (counts = new RecordCounts()));
      const first = r.batch.firstIndex + r.from;
      const created = r.batch.createTimesUs;
      // The records processed by untilUs: up to the first one that was not.
      let n = r.count;
      if (untilUs !== Infinity) for (n = 0; n < r.count && doneUs[i + n] + lateUs <= untilUs; ) n++;
      duplicates += counts.add(first, first + n);
      for (let j = 0; j < n; j++) {
        const c = created?.[r.from + j];
        if (c === undefined) continue;
        const endUs = doneUs[i + j] + lateUs;
        const latencyUs = Math.max(1, endUs - c);
        bySecond.record(endUs, latencyUs);
        if (c >= warmupUs) e2e.record(latencyUs);
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
    const out: PolledRecords[] = [];
    for (const p of this.pending.values()) if (p.group === group) out.push(...p.records);
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
      if (o === undefined || o.member !== member) this.lastPolled.delete(`${member}/${k}`);
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
    this.lastPolled.delete(`${member}/${key}`);
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
    this.finish(group, member, this.sim.now, 0);
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
