/**
 * Where the group coordinator keeps its groups: the __consumer_offsets partitions this broker
 * leads (kafka.coordinator.group.GroupMetadataManager). A group lives in partition
 * partitionFor(groupId); its offset commits and its GroupMetadata records are appended there
 * through the replica manager with offsets.commit.required.acks (acks=-1 by default, so the ISR
 * and min.insync.replicas apply as to any topic), and a broker that becomes the partition's
 * leader loads the groups from the log (loadGroupsForPartition): committed offsets can be lost,
 * or go back, with the log.
 */
import type { Machine } from "../../../Machine.js";
import type { RecordBatch } from "../../log/Log.js";
import type { Behaviour } from "../../common/versions.js";
import { CONSUMER_OFFSETS, type ConsumerSubscription, type ErrorCode, type TopicPartition } from "../../common/protocol.js";
import { GroupMetadata, type CommittedOffset } from "./GroupMetadata.js";

/** Utils.abs(groupId.hashCode) % partitions (GroupMetadataManager.partitionFor, every release), with Java's String.hashCode. */
export function partitionFor(groupId: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(31, h) + groupId.charCodeAt(i)) | 0;
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}

/** The records the coordinator writes (the key and value schemas of GroupMetadataManager), as a batch's payload. */
export type CoordinatorRecord =
  | { kind: "offset"; group: string; topic: string; partition: number; offset: number; leaderEpoch: number; commitUs: number }
  | { kind: "group"; group: string; generation: number; protocol: string; leader: string | null; members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; sessionTimeoutMs: number; rebalanceTimeoutMs: number; subscription: ConsumerSubscription; assignment: TopicPartition[] }> };

/**
 * Record sizes in message format v2: a 61-byte batch header, then per record ~20 bytes of
 * framing, a key (version, group, topic, partition) and a value (version, offset, leader epoch,
 * metadata, commit timestamp; or the group's members with their assignment).
 */
const BATCH_HEADER_BYTES = 61;
function recordBytes(r: CoordinatorRecord): number {
  if (r.kind === "offset") return 20 + 2 + 2 + r.group.length + 2 + r.topic.length + 4 + 2 + 8 + 4 + 2 + 8;
  let bytes = 20 + 2 + 2 + r.group.length + 2 + 4 + 2 + r.protocol.length + 2 + (r.leader?.length ?? 0) + 4;
  for (const m of r.members) bytes += 2 + m.memberId.length + 2 + (m.groupInstanceId?.length ?? 0) + 2 + m.clientId.length + 2 + m.clientHost.length + 8 + 4 + 24 + 12 * m.assignment.length;
  return bytes;
}

export function coordinatorBatch(records: CoordinatorRecord[]): RecordBatch {
  let bytes = BATCH_HEADER_BYTES;
  for (const r of records) bytes += recordBytes(r);
  return { baseOffset: 0, count: records.length, bytes, leaderEpoch: -1, producerId: -1, baseSequence: -1, producer: "", firstIndex: 0, payload: records };
}

/**
 * The append's error as the client sees it (GroupMetadataManager.storeGroup / storeOffsets):
 * a partition short of replicas means the coordinator is not available, one led elsewhere (or
 * offline) that this is not the coordinator. A timeout is REBALANCE_IN_PROGRESS for a group's
 * assignment and REQUEST_TIMED_OUT for a commit.
 */
export function appendErrorFor(error: ErrorCode, what: "group" | "offsets"): ErrorCode {
  switch (error) {
    case "UNKNOWN_TOPIC_OR_PARTITION":
    case "NOT_ENOUGH_REPLICAS":
    case "NOT_ENOUGH_REPLICAS_AFTER_APPEND":
      return "COORDINATOR_NOT_AVAILABLE";
    case "NOT_LEADER_OR_FOLLOWER":
    case "KAFKA_STORAGE_ERROR":
      return "NOT_COORDINATOR";
    case "REQUEST_TIMED_OUT":
      return what === "group" ? "REBALANCE_IN_PROGRESS" : "REQUEST_TIMED_OUT";
    default:
      return error;
  }
}

export interface GroupStoreDeps {
  machine: Machine;
  behaviour: Behaviour;
  partitions: number;
  /** Appends a batch to this broker's __consumer_offsets partition, answered once acks are met. */
  append(partition: number, batch: RecordBatch, done: (error: ErrorCode) => void): void;
  /** The local log of a partition, from its start, and how far a load reads (log end from 0.11, the high watermark before). */
  logOf(partition: number): { batches: readonly RecordBatch[]; loadEnd: number } | null;
  /** A loaded group's members need a session timer (GroupCoordinator.onGroupLoaded). */
  onGroupLoaded(group: GroupMetadata): void;
  onGroupUnloaded(group: GroupMetadata): void;
}

/**
 * Loading reads the partition from the log start (GroupMetadataManager.doLoadGroupsAndOffsets);
 * the CPU it takes is a documented guess: 50 µs to start, 2 µs a record.
 */
const LOAD_BASE_US = 50;
const LOAD_US_PER_RECORD = 2;

export class GroupMetadataManager {
  readonly groups = new Map<string, GroupMetadata>();
  /** Partitions whose groups are loaded (ownedPartitions) and those being loaded (loadingPartitions). */
  private readonly owned = new Set<number>();
  private readonly loading = new Set<number>();

  constructor(private readonly d: GroupStoreDeps) {}

  partitionOf(groupId: string): number {
    return partitionFor(groupId, this.d.partitions);
  }

  isLoading(groupId: string): boolean {
    return this.loading.has(this.partitionOf(groupId));
  }

  isOwned(groupId: string): boolean {
    return this.owned.has(this.partitionOf(groupId));
  }

  /**
   * onElection: the groups of a partition this broker now leads are loaded on the coordinator's
   * one scheduler thread. Up to 2.8 the partition counts as loading at once; from 3.0 only when
   * the load task starts (requests in between get NOT_COORDINATOR), which at this grain is the same.
   */
  onElection(partition: number): void {
    if (this.owned.has(partition) || this.loading.has(partition)) return;
    this.loading.add(partition);
    const log = this.d.logOf(partition);
    const records = log === null ? 0 : log.batches.reduce((n, b) => n + b.count, 0);
    this.d.machine.setTimer(LOAD_BASE_US + LOAD_US_PER_RECORD * records, () => {
      if (!this.loading.delete(partition)) return;
      this.load(partition);
      this.owned.add(partition);
      this.d.machine.trace("group-partition-loaded", { partition: `${CONSUMER_OFFSETS}-${partition}` });
    });
  }

  /** onResignation: the partition's groups leave the cache (Dead), their waiting members get NOT_COORDINATOR. */
  onResignation(partition: number): void {
    this.loading.delete(partition);
    if (!this.owned.delete(partition)) return;
    for (const [id, g] of [...this.groups]) {
      if (this.partitionOf(id) !== partition) continue;
      this.groups.delete(id);
      this.d.onGroupUnloaded(g);
    }
  }

  /** The last GroupMetadata record of a group wins; offsets replay in log order. */
  private load(partition: number): void {
    const log = this.d.logOf(partition);
    if (log === null) return;
    const loaded = new Map<string, GroupMetadata>();
    const groupOf = (id: string): GroupMetadata => {
      let g = loaded.get(id);
      if (g === undefined) loaded.set(id, (g = new GroupMetadata(id)));
      return g;
    };
    for (const b of log.batches) {
      if (b.baseOffset >= log.loadEnd) break;
      const records = b.payload as CoordinatorRecord[] | undefined;
      if (records === undefined) continue;
      for (const r of records) {
        const g = groupOf(r.group);
        if (r.kind === "offset") {
          g.offsets.set(`${r.topic}-${r.partition}`, { offset: r.offset, leaderEpoch: r.leaderEpoch, commitUs: r.commitUs });
          continue;
        }
        g.generationId = r.generation;
        g.protocolName = r.protocol;
        g.leaderId = r.leader;
        g.members.clear();
        g.staticMembers.clear();
        for (const m of r.members) {
          const { subscription, ...rest } = m;
          g.members.set(m.memberId, { ...rest, protocols: [{ name: r.protocol, metadata: subscription }], awaitingJoin: null, awaitingSync: null, heartbeat: null, isNew: false });
          if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, m.memberId);
        }
        // GroupMetadataManager.readGroupMessageValue: Stable with members, Empty without.
        g.state = g.members.size > 0 ? "Stable" : "Empty";
      }
    }
    if (loaded.size > 0) this.d.machine.mark("group: groups and offsets loaded from __consumer_offsets");
    for (const [id, g] of loaded) {
      this.groups.set(id, g);
      this.d.onGroupLoaded(g);
    }
  }

  /** GroupMetadataManager.storeGroup: one GroupMetadata record with every member's assignment. */
  storeGroup(g: GroupMetadata, done: (error: ErrorCode) => void): void {
    const members = [...g.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, sessionTimeoutMs: m.sessionTimeoutMs, rebalanceTimeoutMs: m.rebalanceTimeoutMs, subscription: g.subscriptionOf(m), assignment: m.assignment }));
    const record: CoordinatorRecord = { kind: "group", group: g.groupId, generation: g.generationId, protocol: g.protocolName, leader: g.leaderId, members };
    this.d.append(this.partitionOf(g.groupId), coordinatorBatch([record]), (e) => done(e === "NONE" ? e : appendErrorFor(e, "group")));
  }

  /** GroupMetadataManager.storeOffsets: one batch; the cache takes the offsets only once the append succeeded. */
  storeOffsets(g: GroupMetadata, offsets: ReadonlyArray<{ topic: string; partition: number; offset: number; leaderEpoch: number }>, done: (error: ErrorCode) => void): void {
    const now = this.d.machine.now;
    const records: CoordinatorRecord[] = offsets.map((o) => ({ kind: "offset", group: g.groupId, topic: o.topic, partition: o.partition, offset: o.offset, leaderEpoch: o.leaderEpoch, commitUs: now }));
    this.d.append(this.partitionOf(g.groupId), coordinatorBatch(records), (e) => {
      if (e === "NONE") for (const o of offsets) g.offsets.set(`${o.topic}-${o.partition}`, { offset: o.offset, leaderEpoch: o.leaderEpoch, commitUs: now } satisfies CommittedOffset);
      done(e === "NONE" ? e : appendErrorFor(e, "offsets"));
    });
  }
}
