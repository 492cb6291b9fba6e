/**
 * What a leader serves its followers and consumers (ReplicaManager.fetchMessages, readFromLocalLog
 * and lastOffsetForLeaderEpoch): fetches, parked in the DelayedFetch purgatory until enough data
 * arrives, and the OffsetsForLeaderEpoch answers followers truncate by (and, from 2.3, consumers
 * validate their positions by). A consumer's fetch (replica id -1) reads only below the high
 * watermark (FetchIsolation.HIGH_WATERMARK), up to max.partition.fetch.bytes a partition, and its
 * DelayedFetch waits for the high watermark to move, not for the leader's appends.
 */
import type { ReplicaManager } from "./ReplicaManager.js";
import type { Partition } from "../cluster/Partition.js";
import type { RecordBatch } from "../log/Log.js";
import { partitionKey } from "../common/partitionKey.js";
import type { EpochEndOffset, ErrorCode, FetchPartition, FetchPartitionResponse, FetchRequest, FetchResponse, OffsetsForLeaderEpochRequest } from "../common/protocol.js";
import type { CachedPartition } from "./FetchSessionCache.js";

export function fetchMessages(rm: ReplicaManager, req: FetchRequest, respond: (res: FetchResponse) => void): void {
  const now = rm.ctx.machine.now;
  const consumer = req.replicaId < 0;
  // KIP-227 (1.1+): FetchManager.newContext.
  const context = rm.fetchSessions?.newContext(req, now) ?? null;
  if (context === null) return fetchPartitions(rm, req, req.partitions, consumer, respond);
  if (context.kind === "error") return respond({ partitions: [], error: context.error, sessionId: 0 });
  const cache = rm.fetchSessions!;
  if (context.kind !== "incremental") {
    return fetchPartitions(rm, req, context.partitions, consumer, (res) => respond({ partitions: res.partitions, error: "NONE", sessionId: cache.respondFull(context, res.partitions, !consumer, rm.ctx.machine.now) }));
  }
  // An incremental fetch reads every partition of its session (IncrementalFetchContext.foreachPartition)
  // and its answer names those with news: a partition with no records to read and the high
  // watermark and log start offset its client was told is left out before it is read.
  const entries = context.entries;
  const dropEpoch = context.withoutLeaderEpoch;
  if (!consumer) for (const c of entries) updateFollower(rm, partitionOf(rm, c), req.replicaId, c.key, c.data, dropEpoch ? -1 : c.data.currentLeaderEpoch, now);
  const partitionMaxBytes = req.partitionMaxBytes ?? req.maxBytes;
  // The session entries the last read found worth reading, beside what it read.
  let candidates: CachedPartition[] = [];
  const read = (): FetchResponse => {
    // Most reads of a parked fetch's session find nothing new: no arrays for them.
    let partitions = NOTHING_READ;
    candidates = NO_CANDIDATES;
    for (const c of entries) {
      const f = c.data;
      const epoch = dropEpoch ? -1 : f.currentLeaderEpoch;
      const p = partitionOf(rm, c);
      if (!hasNews(rm, p, c, epoch, consumer)) continue;
      if (partitions === NOTHING_READ) {
        partitions = [];
        candidates = [];
      }
      candidates.push(c);
      partitions.push(readPartition(rm, p, c.key, f.topic, f.partition, f.fetchOffset, epoch, partitionMaxBytes, consumer));
    }
    return { partitions };
  };
  const session = context.session;
  waitOrAnswer(rm, req, session.keys, consumer, read, (res) => respond({ partitions: cache.respondIncremental(session, candidates, res.partitions), error: "NONE", sessionId: session.id }));
}

/** The session entry's Partition, looked up again only when the replica manager's partitions changed. */
function partitionOf(rm: ReplicaManager, c: CachedPartition): Partition | undefined {
  if (c.foundAt !== rm.partitionsVersion) {
    c.found = rm.partitions.get(c.key);
    c.foundAt = rm.partitionsVersion;
  }
  return c.found;
}

/** ReplicaManager.fetchMessages for the partitions a request (or a full session request) names, in its order. */
function fetchPartitions(rm: ReplicaManager, req: FetchRequest, wanted: FetchPartition[], consumer: boolean, respond: (res: FetchResponse) => void): void {
  const now = rm.ctx.machine.now;
  const keys = wanted.map((f) => partitionKey(f.topic, f.partition));
  if (!consumer) for (let i = 0; i < wanted.length; i++) updateFollower(rm, rm.partitions.get(keys[i]), req.replicaId, keys[i], wanted[i], wanted[i].currentLeaderEpoch, now);
  const partitionMaxBytes = req.partitionMaxBytes ?? req.maxBytes;
  const read = (): FetchResponse => {
    const partitions = new Array<FetchPartitionResponse>(wanted.length);
    for (let i = 0; i < wanted.length; i++) {
      const f = wanted[i];
      partitions[i] = readPartition(rm, rm.partitions.get(keys[i]), keys[i], f.topic, f.partition, f.fetchOffset, f.currentLeaderEpoch, partitionMaxBytes, consumer);
    }
    return { partitions };
  };
  waitOrAnswer(rm, req, keys, consumer, read, respond);
}

/** The follower's fetch offset moves its replica state at the leader (Partition.updateFollowerFetchState). */
function updateFollower(rm: ReplicaManager, p: Partition | undefined, replicaId: number, key: string, f: FetchPartition, currentLeaderEpoch: number, now: number): void {
  if (p !== undefined && p.isLeader && !rm.isOffline(key, p) && leaderEpochError(rm, p, currentLeaderEpoch) === null && f.fetchOffset <= p.log.logEndOffset) {
    p.updateFollower(replicaId, f.fetchOffset, now);
  }
}

/**
 * Answers at once, or parks the fetch in the purgatory until enough new data or its max wait.
 * ReplicaManager.fetchMessages answers at once when `timeout <= 0` (a negative
 * replica.fetch.wait.max.ms included, which KafkaConfig accepts if no larger than the others),
 * when it reads no partition, on an error, or with min bytes read.
 */
function waitOrAnswer(rm: ReplicaManager, req: FetchRequest, keys: readonly string[], consumer: boolean, read: () => FetchResponse, respond: (res: FetchResponse) => void): void {
  const first = read();
  if (req.maxWaitMs <= 0 || keys.length === 0 || hasErrors(first) || bytesOf(first) >= req.minBytes) return respond(first);
  // DelayedFetch: wait for replica.fetch.min.bytes of new data on the partitions, or
  // replica.fetch.wait.max.ms. With min bytes 1 (the default) any new data is enough.
  const enough =
    req.minBytes <= 1
      ? undefined
      : (): boolean => {
          const r = read();
          return hasErrors(r) || bytesOf(r) >= req.minBytes;
        };
  (consumer ? rm.consumerFetchPurgatory : rm.fetchPurgatory).park(keys, req.maxWaitMs * 1000, () => respond(read()), enough);
}

/**
 * Whether a session partition may go in the answer (CachedPartition.maybeUpdateResponseData):
 * false only when reading it would give no error, no records, and the high watermark and log
 * start offset the client already has.
 */
function hasNews(rm: ReplicaManager, p: Partition | undefined, c: CachedPartition, currentLeaderEpoch: number, consumer: boolean): boolean {
  if (p === undefined || !p.isLeader || rm.isOffline(c.key, p) || leaderEpochError(rm, p, currentLeaderEpoch) !== null) return true;
  const log = p.log;
  const offset = c.data.fetchOffset;
  if (offset > log.logEndOffset || offset < log.logStartOffset) return true;
  if (offset < (consumer ? p.highWatermark : log.logEndOffset)) return true;
  return p.highWatermark !== c.highWatermark || log.logStartOffset !== c.logStartOffset;
}

function hasErrors(r: FetchResponse): boolean {
  for (const x of r.partitions) if (x.error !== "NONE") return true;
  return false;
}

function bytesOf(r: FetchResponse): number {
  let bytes = 0;
  for (const x of r.partitions) for (const b of x.batches) bytes += b.bytes;
  return bytes;
}

/** KIP-320: a fetch names the leader epoch it believes in. */
function leaderEpochError(rm: ReplicaManager, p: Partition, currentLeaderEpoch: number): ErrorCode | null {
  if (currentLeaderEpoch < 0 || !rm.ctx.behaviour.fetchLeaderEpoch) return null;
  if (currentLeaderEpoch < p.leaderEpoch) return "FENCED_LEADER_EPOCH";
  if (currentLeaderEpoch > p.leaderEpoch) return "UNKNOWN_LEADER_EPOCH";
  return null;
}

const NO_BATCHES: RecordBatch[] = [];
/** Shared empty results of an incremental read; never written to (the answer is a new array). */
const NOTHING_READ: FetchPartitionResponse[] = [];
const NO_CANDIDATES: CachedPartition[] = [];

function readPartition(rm: ReplicaManager, p: Partition | undefined, key: string, topic: string, index: number, offset: number, currentLeaderEpoch: number, maxBytes: number, consumer: boolean): FetchPartitionResponse {
  const r: FetchPartitionResponse = { topic, partition: index, error: "NONE", highWatermark: -1, logEndOffset: -1, logStartOffset: -1, batches: NO_BATCHES };
  if (rm.isOffline(key, p)) {
    r.error = "KAFKA_STORAGE_ERROR";
    return r;
  }
  if (p === undefined || !p.isLeader) {
    r.error = "NOT_LEADER_OR_FOLLOWER";
    return r;
  }
  const epochError = leaderEpochError(rm, p, currentLeaderEpoch);
  r.highWatermark = p.highWatermark;
  r.logEndOffset = p.log.logEndOffset;
  r.logStartOffset = p.log.logStartOffset;
  if (epochError !== null) r.error = epochError;
  // Log.read: an offset past the log end or below the log start offset (before 0.11, below the
  // first segment: segments.floorEntry is null) is out of range, for a follower as for a consumer.
  else if (offset > p.log.logEndOffset || offset < p.log.logStartOffset) r.error = "OFFSET_OUT_OF_RANGE";
  else if (offset < (consumer ? p.highWatermark : p.log.logEndOffset)) r.batches = consumer ? p.log.read(offset, maxBytes, p.highWatermark) : p.log.read(offset, maxBytes);
  return r;
}

export function lastOffsetForLeaderEpoch(rm: ReplicaManager, req: OffsetsForLeaderEpochRequest): EpochEndOffset[] {
  return req.partitions.map((q) => {
    const key = `${q.topic}-${q.partition}`;
    const p = rm.partitions.get(key);
    if (rm.isOffline(key, p)) return { topic: q.topic, partition: q.partition, error: "KAFKA_STORAGE_ERROR", leaderEpoch: -1, endOffset: -1 };
    if (p === undefined || !p.isLeader) return { topic: q.topic, partition: q.partition, error: "NOT_LEADER_OR_FOLLOWER", leaderEpoch: -1, endOffset: -1 };
    const r = p.log.endOffsetForEpoch(q.leaderEpoch, rm.ctx.behaviour.epochTruncationFix);
    return { topic: q.topic, partition: q.partition, error: "NONE", leaderEpoch: r.epoch, endOffset: r.endOffset };
  });
}
