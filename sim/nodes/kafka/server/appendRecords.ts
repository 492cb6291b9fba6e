/**
 * The produce path of the replica manager (ReplicaManager.appendRecords): each partition's
 * append on the leader, the idempotent producer's sequence checks, and acks=all parked in the
 * DelayedProduce purgatory until the high watermark passes the batch.
 */
import type { ReplicaManager } from "./ReplicaManager.js";
import type { ProduceWait } from "./DelayedProduce.js";
import type { Partition } from "../cluster/Partition.js";
import type { RecordBatch } from "../log/Log.js";
import type { ProducePartitionResponse, ProduceRequest, ProduceResponse } from "../common/protocol.js";

/**
 * NOT_LEADER_OR_FOLLOWER; from 3.7 (KIP-951, KafkaApis.getCurrentLeader) with the leader and
 * epoch this broker's partition knows. We leave out KafkaApis' fallback to the metadata cache
 * for a partition the broker does not host.
 */
function notLeader(rm: ReplicaManager, result: ProducePartitionResponse, p: Partition | undefined): void {
  result.error = "NOT_LEADER_OR_FOLLOWER";
  if (rm.ctx.behaviour.leaderHints && p !== undefined && p.leader >= 0 && p.leader !== rm.ctx.id) result.currentLeader = { leaderId: p.leader, leaderEpoch: p.leaderEpoch };
}

/**
 * ReplicaManager.appendRecords: the partitions in request order, each appended (Log.append,
 * with its flush when log.flush.interval.messages is reached) before the next, as the request
 * handler thread does; then, for acks=all, the DelayedProduce.
 */
export function appendRecords(rm: ReplicaManager, req: ProduceRequest, respond: (res: ProduceResponse) => void): void {
  const results: ProducePartitionResponse[] = [];
  const toWait: ProduceWait[] = [];
  const m = rm.ctx.machine;
  const finish = (): void => {
    if (req.acks === 0 || toWait.length === 0) return respond({ partitions: results });
    rm.producePurgatory.park(req.timeoutMs * 1000, toWait, (p) => rm.isOffline(p.key, p), () => respond({ partitions: results }));
  };
  const step = (i: number): void => {
    if (i === req.data.length) return finish();
    const d = req.data[i];
    const next = (): void => step(i + 1);
    const result: ProducePartitionResponse = { topic: d.topic, partition: d.partition, error: "NONE", baseOffset: -1 };
    results.push(result);
    const key = `${d.topic}-${d.partition}`;
    const p = rm.partitions.get(key);
    if (rm.isOffline(key, p)) {
      // getPartitionOrException: the partition is in an offline log dir.
      result.error = "KAFKA_STORAGE_ERROR";
      m.mark("produce: KAFKA_STORAGE_ERROR (log dir offline)");
      return next();
    }
    if (p === undefined || !p.isLeader) {
      notLeader(rm, result, p);
      return next();
    }
    if (req.acks === -1 && p.isr.length < p.minInsync) {
      result.error = "NOT_ENOUGH_REPLICAS";
      m.mark("produce: NOT_ENOUGH_REPLICAS (ISR below min.insync.replicas)");
      return next();
    }
    const b = d.batch;
    if (b.producerId >= 0) {
      const check = p.log.checkSequence(b.producerId, b.baseSequence);
      if (check.kind === "duplicate") {
        // Answered with the first append's offset, but only once that append is committed:
        // acks=all still waits for the high watermark (and min.insync.replicas) as for a new one.
        m.mark("produce: duplicate batch answered with its first offset");
        result.baseOffset = check.baseOffset;
        if (req.acks === -1) toWait.push({ p, requiredOffset: check.endOffset, result });
        return next();
      }
      if (check.kind === "outOfOrder") {
        result.error = "OUT_OF_ORDER_SEQUENCE_NUMBER";
        return next();
      }
      // ProducerAppendInfo.checkSequence: before KIP-360 (2.5) a producer the broker does not
      // know may only start at sequence 0 (its state was lost to truncation, say).
      if (check.kind === "unknownProducer" && !rm.ctx.behaviour.idempotentEpochBump) {
        m.mark("produce: sequence from an unknown producer refused");
        result.error = rm.ctx.behaviour.unknownProducerIdError ? "UNKNOWN_PRODUCER_ID" : "OUT_OF_ORDER_SEQUENCE_NUMBER";
        return next();
      }
    }
    const batch: RecordBatch = { ...b, baseOffset: p.log.logEndOffset, leaderEpoch: p.leaderEpoch };
    const appended = (ok: boolean): void => {
      // Before 1.0 a storage error in the append halts the broker: no response.
      if (!m.host.alive) return;
      if (!ok) {
        result.error = "KAFKA_STORAGE_ERROR";
        m.mark("produce: KAFKA_STORAGE_ERROR (append failed)");
        return next();
      }
      if (!p.isLeader) {
        // Leadership moved while the append's flush ran (Kafka's makeFollower waits for it, and the
        // DelayedProduce then finds the partition led elsewhere).
        notLeader(rm, result, p);
        return next();
      }
      rm.onLeaderAppend(p);
      p.maybeIncrementHighWatermark();
      if (req.acks === -1) toWait.push({ p, requiredOffset: batch.baseOffset + batch.count, result });
      next();
    };
    if (!p.log.append(batch, "append")) return appended(false);
    result.baseOffset = batch.baseOffset;
    p.log.maybeFlush("append", appended);
  };
  step(0);
}
