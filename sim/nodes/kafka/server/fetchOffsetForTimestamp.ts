/**
 * ListOffsets on the leader (ReplicaManager.fetchOffsetForTimestamp, KafkaApis.handleListOffsetRequest):
 * the earliest offset is the log start, the latest what a consumer may read up to, the high
 * watermark (read_uncommitted). From 2.3 (KIP-320) the request names the leader epoch the
 * consumer believes in, checked as a fetch's is.
 */
import type { ReplicaManager } from "./ReplicaManager.js";
import { EARLIEST_TIMESTAMP, type ListOffsetsPartitionResponse, type ListOffsetsRequest } from "../common/protocol.js";

export function fetchOffsetForTimestamp(rm: ReplicaManager, req: ListOffsetsRequest): ListOffsetsPartitionResponse[] {
  return req.partitions.map((q) => {
    const key = `${q.topic}-${q.partition}`;
    const p = rm.partitions.get(key);
    const answer = (error: ListOffsetsPartitionResponse["error"], offset = -1, leaderEpoch = -1): ListOffsetsPartitionResponse => ({ topic: q.topic, partition: q.partition, error, offset, leaderEpoch });
    if (rm.isOffline(key, p)) return answer("KAFKA_STORAGE_ERROR");
    if (p === undefined || !p.isLeader) return answer("NOT_LEADER_OR_FOLLOWER");
    if (q.currentLeaderEpoch >= 0 && rm.ctx.behaviour.consumerOffsetValidation) {
      if (q.currentLeaderEpoch < p.leaderEpoch) return answer("FENCED_LEADER_EPOCH");
      if (q.currentLeaderEpoch > p.leaderEpoch) return answer("UNKNOWN_LEADER_EPOCH");
    }
    return answer("NONE", q.timestamp === EARLIEST_TIMESTAMP ? p.log.logStartOffset : p.highWatermark, p.leaderEpoch);
  });
}
