/**
 * Which replica's log the end-of-run checks read, and up to where: the log a consumer would see
 * once the run is over (the final leader's, or the one the controller would elect), read from
 * the brokers' disks and page caches.
 */
import type { World } from "../scenarios/world.js";
import { readSegments, type RecordBatch } from "../sim/nodes/kafka/log/Log.js";
import type { Broker } from "../sim/nodes/kafka/server/Broker.js";
import type { PartitionSummary } from "./availability.js";
import { CheckpointFile, offsetCheckpointBytes } from "../sim/nodes/kafka/log/CheckpointFile.js";
import { HW_CHECKPOINT } from "../sim/nodes/kafka/server/HighWatermarkCheckpoints.js";
import { offlineElection } from "../sim/nodes/kafka/controller/leaderElection.js";

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

function brokerView(world: World, brokerId: number, key: string): { highWatermark: number; logEndOffset: number; logStartOffset: number; isLeader: boolean } | undefined {
  const host = world.brokers.get(brokerId);
  const proc = host?.alive === true ? host.process : null;
  return proc?.kind === "broker" ? (proc as Broker).partitionView(key) : undefined;
}

/** A replica's log start offset: its live log's, else its first segment file's base offset on disk (0 with none). */
export function logStartOf(world: World, brokerId: number, key: string): number {
  const v = brokerView(world, brokerId, key);
  if (v !== undefined) return v.logStartOffset;
  const host = world.brokers.get(brokerId);
  const m = host === undefined ? undefined : world.machines.get(host.name);
  for (const disk of m?.disks ?? []) {
    const first = readSegments(m!.filesOn(disk), key)[0];
    if (first !== undefined) return Number(/(\d{20})\.log$/.exec(first.file.name)?.[1] ?? 0);
  }
  return 0;
}

export function logEnd(batches: readonly RecordBatch[]): number {
  const last = batches[batches.length - 1];
  return last === undefined ? 0 : last.baseOffset + last.count;
}

/** The high watermark a stopped broker starts with: min(its checkpointed value or 0, its log end). */
function checkpointedHighWatermark(world: World, brokerId: number, key: string, logEndOffset: number): number {
  const host = world.brokers.get(brokerId);
  if (host === undefined) return 0;
  const m = world.machines.get(host.name)!;
  for (const disk of m.disks) {
    if (readSegments(m.filesOn(disk), key).every((seg) => seg.batches.length === 0)) continue;
    const hw = new CheckpointFile<Map<string, number>>(m, disk, HW_CHECKPOINT, offsetCheckpointBytes).read()?.get(key) ?? 0;
    return Math.min(hw, logEndOffset);
  }
  return 0;
}

/**
 * The replica a consumer reads a partition from at the end of the run, and up to which offset.
 *
 * - The final leader (the last leader written to the partition's state znode), when its
 *   process is up: a consumer reads below its high watermark (UnifiedLog.read bounds a
 *   consumer's fetch, FetchIsolation.HIGH_WATERMARK, by fetchHighWatermarkMetadata).
 * - Else the replica the controller would elect: PartitionStateMachine
 *   .PartitionLeaderElectionAlgorithms.offlinePartitionLeaderElection (Kafka 3.6; the same rule
 *   since 0.10): the first replica in assignment order that is live and in the ISR, else, with
 *   unclean.leader.election.enable, the first live replica. Election.leaderForOffline makes the
 *   new ISR the live ISR members (or the unclean leader alone); they truncate to the new
 *   leader's log and catch up, so its high watermark reaches its log end: a consumer can read
 *   its whole log.
 * - With no live candidate, the ISR the controller kept (ReplicaStateMachine
 *   .doRemoveReplicasFromIsr never empties it) names who leads once it is back: the first ISR
 *   member in assignment order, with the log its recovery finds on disk.
 */
export interface ReadFrom {
  /** -1 when no replica holds the partition. */
  broker: number;
  basis: "final leader" | "controller would elect" | "controller would elect (unclean)" | "last ISR member, once back" | "none";
  /** A consumer could read the offsets below this. */
  readableEnd: number;
  /** The replica's high watermark (a stopped one: as it would start), for divergence. */
  highWatermark: number;
}

export function readFrom(world: World, s: PartitionSummary): ReadFrom {
  const view = (id: number) => brokerView(world, id, s.key);
  if (s.finalLeader >= 0) {
    const v = view(s.finalLeader);
    if (v !== undefined) return { broker: s.finalLeader, basis: "final leader", readableEnd: v.highWatermark, highWatermark: v.highWatermark };
  }
  const unclean = world.topicConfig(s.topic).bool("unclean.leader.election.enable");
  const elected = offlineElection(s.replicas, s.finalIsr, (id) => view(id) !== undefined, unclean);
  if (elected !== null) {
    const end = logEnd(logOf(world, elected.leader, s.key));
    return { broker: elected.leader, basis: elected.unclean ? "controller would elect (unclean)" : "controller would elect", readableEnd: end, highWatermark: view(elected.leader)!.highWatermark };
  }
  const back = s.replicas.find((r) => s.finalIsr.includes(r));
  if (back === undefined) return { broker: -1, basis: "none", readableEnd: 0, highWatermark: 0 };
  const end = logEnd(logOf(world, back, s.key));
  return { broker: back, basis: "last ISR member, once back", readableEnd: end, highWatermark: checkpointedHighWatermark(world, back, s.key, end) };
}
