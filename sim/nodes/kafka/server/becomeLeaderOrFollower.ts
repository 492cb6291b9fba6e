/**
 * The controller's requests to the replica manager (ReplicaManager.becomeLeaderOrFollower with
 * makeLeaders / makeFollowers, and stopReplicas): a partition's replica becomes leader or
 * follower, its fetcher moves, or it stops.
 */
import type { ReplicaManager } from "./ReplicaManager.js";
import type { Partition } from "../cluster/Partition.js";
import type { ControllerResponse, ErrorCode, LeaderAndIsrRequest, LeaderAndIsrResponse, StopReplicaRequest } from "../common/protocol.js";

/** ReplicaManager.becomeLeaderOrFollower. */
export function becomeLeaderOrFollower(rm: ReplicaManager, req: LeaderAndIsrRequest): LeaderAndIsrResponse {
  const stale = rm.staleController(req.controllerEpoch, req.brokerEpoch);
  if (stale !== null) return { error: stale, partitionErrors: [] };
  const now = rm.ctx.machine.now;
  const partitionErrors: LeaderAndIsrResponse["partitionErrors"] = [];
  for (const s of req.partitionStates) {
    const p = rm.partition(s.topic, s.partition);
    const error = leaderAndIsrError(rm, s.topic, s.partition, s.leaderEpoch, p);
    partitionErrors.push({ topic: s.topic, partition: s.partition, error });
    if (p === null || error !== "NONE") continue;
    // ReplicaManager.makeFollowers: a follower changes nothing while its new leader is not alive in
    // the metadata cache (leader -1 included); a later LeaderAndIsr with a live leader applies.
    if (s.leader !== rm.ctx.id && !rm.ctx.isBrokerAlive(s.leader)) {
      rm.ctx.machine.mark("replica: LeaderAndIsr names a leader not alive in the metadata cache, skipped");
      continue;
    }
    const previousLeader = p.leader;
    rm.fetchers.remove(p);
    if (rm.ctx.behaviour.alterIsrClearsPendingOnLeaderAndIsr) rm.isrChanges.clearPending?.(p.key);
    if (s.leader === rm.ctx.id) {
      p.makeLeader(s, now);
      rm.ctx.machine.trace("become-leader", { partition: p.key, leaderEpoch: s.leaderEpoch, isr: s.isr.join(","), logEndOffset: p.log.logEndOffset, highWatermark: p.highWatermark });
      rm.ctx.observer.onBecomeLeader(rm.ctx.id, p);
    } else {
      p.makeFollower(s);
      rm.ctx.machine.trace("become-follower", { partition: p.key, leader: s.leader, leaderEpoch: s.leaderEpoch, logEndOffset: p.log.logEndOffset, highWatermark: p.highWatermark });
      // Before KIP-101 a follower cuts its log back to its high watermark, and only when its
      // leader changed (0.10.2 ReplicaManager.makeFollowers: Partition.makeFollower returned false).
      if (!rm.ctx.behaviour.leaderEpochTruncation && s.leader !== previousLeader) {
        const removed = p.log.truncateTo(p.highWatermark);
        if (removed > 0) rm.onTruncated(p, removed, "high watermark");
      }
      if (s.leader >= 0) rm.fetchers.add(p, s.leader);
    }
  }
  // startHighWatermarkCheckPointThread comes after the partitions changed; its exception (before
  // 3.4, interval 0) leaves them changed and answers the request with the error
  // (KafkaApis.handleError: LeaderAndIsrRequest.getErrorResponse, with a top-level error from 1.1;
  // 0.10.2 - 1.0 answer NONE at the top and the error per partition, which we do not tell apart:
  // their controller ignores the answer, or in 1.0 treats those partitions as neither online nor offline).
  const hwError = rm.hw.start();
  if (hwError !== null) {
    rm.ctx.machine.mark("replica: high-watermark checkpoint task failed to schedule, LeaderAndIsr fails");
    rm.ctx.machine.trace("leader-and-isr-failed", { error: hwError });
    return { error: "UNKNOWN_SERVER_ERROR", partitionErrors: partitionErrors.map((e) => ({ ...e, error: "UNKNOWN_SERVER_ERROR" })) };
  }
  return { error: "NONE", partitionErrors };
}

/**
 * A partition's error in a LeaderAndIsr response: KAFKA_STORAGE_ERROR when its replica is in
 * an offline log dir (HostedPartition.Offline, or a log that could not be created),
 * STALE_CONTROLLER_EPOCH when the state's leader epoch is not newer than the one applied.
 */
function leaderAndIsrError(rm: ReplicaManager, topic: string, partition: number, leaderEpoch: number, p: Partition | null): ErrorCode {
  if (p === null || rm.isOffline(`${topic}-${partition}`, p)) {
    rm.ctx.machine.mark("leaderAndIsr: KAFKA_STORAGE_ERROR for a replica in an offline log dir");
    return "KAFKA_STORAGE_ERROR";
  }
  if (leaderEpoch <= p.leaderEpoch && p.leader >= 0) return "STALE_CONTROLLER_EPOCH";
  return "NONE";
}

export function stopReplicas(rm: ReplicaManager, req: StopReplicaRequest): ControllerResponse {
  const stale = rm.staleController(req.controllerEpoch, req.brokerEpoch);
  if (stale !== null) return { error: stale };
  for (const q of req.partitions) {
    const p = rm.partitions.get(`${q.topic}-${q.partition}`);
    if (p === undefined) continue;
    rm.fetchers.remove(p);
    p.stop();
  }
  return { error: "NONE" };
}
