/**
 * A follower's fetcher thread for one leader broker (ReplicaFetcherThread over
 * AbstractFetcherThread). Partitions start in a truncating state: before leader epochs (< 0.11)
 * the replica manager has already cut the log to the high watermark; from 0.11 the fetcher asks
 * the leader OffsetsForLeaderEpoch (KIP-101, fixed by KIP-279 in 2.0) and truncates to the
 * answer. Then it fetches in a loop: each Fetch waits at the leader up to
 * replica.fetch.wait.max.ms for replica.fetch.min.bytes, and carries the follower's position.
 * replica.socket.timeout.ms bounds the request here; in Kafka it bounds only the wait for the
 * connection (awaitReady), the request's timeout being the broker's request.timeout.ms, 30 s
 * by default as replica.socket.timeout.ms is: we assume, unrealistically for other values, one
 * timeout for both. At <= 0 the follower never connects.
 *
 * The fetched data is appended partition by partition in the fetcher thread (processPartitionData);
 * an append that reaches log.flush.interval.messages flushes before the next partition is
 * processed, so the next fetch waits for the fsync. A storage error in an append or a truncation
 * removes the partition from the fetcher (markPartitionFailed, 2.4+; 1.0 - 2.1 delay and retry
 * the partition, which we do not model; before 1.0 an append's IOException halts the broker).
 *
 * From 0.11 (KIP-107) each answer's log start offset becomes the follower's (processPartitionData:
 * maybeIncrementLogStartOffset), and the follower's retention task then deletes the segments below
 * it. A follower whose fetch offset is below the leader's log start offset (it was away while the
 * leader's retention deleted what it still needs) gets OFFSET_OUT_OF_RANGE and, in every release,
 * deletes its whole log and starts again at the leader's log start offset
 * (handleOffsetOutOfRange / fetchOffsetAndTruncate: truncateFullyAndStartAt).
 */
import type { Host } from "../../../Host.js";
import type { Endpoint } from "../../Endpoint.js";
import type { RecordBatch } from "../log/Log.js";
import { NodeConnection } from "../clients/NodeConnection.js";
import { FetchSessionHandler, withSession } from "../clients/FetchSessionHandler.js";
import { maybeIncrementLogStartOffset, truncateFullyAndStartAt } from "../log/LogRetention.js";
import { partitionKey } from "../common/partitionKey.js";
import type { Partition } from "../cluster/Partition.js";
import type { Behaviour } from "../common/versions.js";
import {
  HEADER_BYTES,
  fetchRequestBytes,
  fetcherClientId,
  UNDEFINED_EPOCH,
  UNDEFINED_OFFSET,
  type EpochEndOffset,
  type ErrorCode,
  type FetchPartition,
  type FetchPartitionResponse,
  type FetchResponse,
  type OffsetsForLeaderEpochRequest,
} from "../common/protocol.js";

export interface FetcherSettings {
  brokerId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  backoffUs: number;
  socketTimeoutUs: number;
  behaviour: Behaviour;
}

export interface FetcherHost {
  /** After the follower appended replicated batches: flushes when log.flush.interval.messages is reached; done(false) on a storage error. */
  onFollowerAppend(p: Partition, done: (ok: boolean) => void): void;
  onTruncated(p: Partition, records: number, reason: string): void;
  /** The leader's log ends below ours: true if the broker exits instead of truncating (before 2.0). */
  refusesTruncation(p: Partition, leaderEndOffset: number): boolean;
}

interface FetchState {
  partition: Partition;
  truncating: boolean;
  /** The fetch data last put in a request, given again while it holds (requests never change it). */
  sent?: FetchPartition;
}

export class ReplicaFetcher {
  private readonly states = new Map<string, FetchState>();
  private readonly conn: NodeConnection;
  private busy = false;
  private stopped = false;
  /** The fetcher's index only changes a digit of the id: number it 0. */
  private readonly clientId: string;
  /** KIP-227 (1.1+): the fetch session with this leader (ReplicaFetcherThread.fetchSessionHandler). */
  private readonly session: FetchSessionHandler;

  constructor(
    private readonly endpoint: Endpoint,
    readonly leaderId: number,
    leaderHost: Host,
    private readonly s: FetcherSettings,
    private readonly host: FetcherHost,
  ) {
    this.conn = new NodeConnection(endpoint, leaderHost, s.socketTimeoutUs);
    this.clientId = fetcherClientId(s.brokerId, 0);
    this.session = new FetchSessionHandler(s.behaviour.fetchSessions);
  }

  get size(): number {
    return this.states.size;
  }

  add(p: Partition): void {
    this.states.set(p.key, { partition: p, truncating: this.s.behaviour.leaderEpochTruncation });
    this.kick();
  }

  remove(key: string): void {
    this.states.delete(key);
  }

  shutdown(): void {
    this.stopped = true;
    this.states.clear();
    this.conn.close();
  }

  /** The partition leaves the fetcher after a storage error (AbstractFetcherThread.markPartitionFailed). */
  private markPartitionFailed(key: string): void {
    this.endpoint.machine.mark("fetcher: partition failed on a storage error");
    this.states.delete(key);
  }

  private kick(): void {
    if (this.busy || this.stopped || this.states.size === 0) return;
    this.busy = true;
    // ReplicaFetcherBlockingSend.sendRequest (BrokerBlockingSender from 3.3; blockingReady in
    // 0.10.2) first waits replica.socket.timeout.ms for the connection: NetworkClientUtils.awaitReady
    // throws for a negative wait and, for 0, returns false before any poll could complete the
    // connect; the connection is closed and the fetcher backs off. Such a follower never fetches.
    if (this.s.socketTimeoutUs <= 0) {
      this.endpoint.machine.mark("fetcher: replica.socket.timeout.ms <= 0, never connects");
      return this.done(true);
    }
    let anyTruncating = false;
    for (const t of this.states.values()) if (t.truncating) anyTruncating = true;
    if (anyTruncating) this.sendEpochRequest([...this.states.values()].filter((t) => t.truncating));
    else this.sendFetch();
  }

  private done(backoff: boolean): void {
    if (!backoff) {
      this.busy = false;
      this.kick();
      return;
    }
    this.endpoint.machine.setTimer(this.s.backoffUs, () => {
      this.busy = false;
      this.kick();
    });
  }

  private sendEpochRequest(truncating: FetchState[]): void {
    const req: OffsetsForLeaderEpochRequest = {
      replicaId: this.s.brokerId,
      partitions: truncating.map((t) => ({ topic: t.partition.topic, partition: t.partition.index, leaderEpoch: t.partition.log.latestEpoch })),
    };
    this.conn.send<EpochEndOffset[]>("OffsetsForLeaderEpoch", req, HEADER_BYTES + 24 * truncating.length, (res) => {
      if (res === null) return this.done(true);
      let failed = false;
      for (const e of res) failed = this.truncate(e) || failed;
      this.done(failed);
    });
  }

  /** Truncates one partition by the leader's answer; returns true when it must be retried. */
  private truncate(e: EpochEndOffset): boolean {
    const t = this.states.get(`${e.topic}-${e.partition}`);
    if (t === undefined || !t.truncating) return false;
    if (e.error !== "NONE") return true;
    const p = t.partition;
    const log = p.log;
    let target: number;
    let again = false;
    if (e.endOffset === UNDEFINED_OFFSET) {
      target = p.highWatermark;
    } else if (!this.s.behaviour.epochTruncationFix || e.leaderEpoch === UNDEFINED_EPOCH) {
      target = Math.min(e.endOffset, log.logEndOffset);
    } else {
      const mine = log.endOffsetForEpoch(e.leaderEpoch, true);
      if (mine.epoch !== e.leaderEpoch && mine.epoch !== UNDEFINED_EPOCH) {
        target = Math.min(mine.endOffset, log.logEndOffset);
        again = true;
      } else {
        target = Math.min(e.endOffset, mine.epoch === UNDEFINED_EPOCH ? log.logEndOffset : mine.endOffset);
      }
    }
    const removed = log.truncateTo(target);
    if (log.offline) {
      this.markPartitionFailed(p.key);
      return false;
    }
    if (removed > 0) this.host.onTruncated(p, removed, "OffsetsForLeaderEpoch");
    if (p.highWatermark > log.logEndOffset) p.highWatermark = log.logEndOffset;
    t.truncating = again;
    return false;
  }

  private sendFetch(): void {
    const b = this.s.behaviour;
    const parts: FetchPartition[] = [];
    const keys: string[] = [];
    for (const t of this.states.values()) {
      const p = t.partition;
      const fetchOffset = p.log.logEndOffset;
      const currentLeaderEpoch = b.fetchLeaderEpoch ? p.leaderEpoch : -1;
      const logStartOffset = b.logStartOffset ? p.log.logStartOffset : -1;
      let f = t.sent;
      if (f === undefined || f.fetchOffset !== fetchOffset || f.currentLeaderEpoch !== currentLeaderEpoch || f.logStartOffset !== logStartOffset) {
        f = { topic: p.topic, partition: p.index, fetchOffset, currentLeaderEpoch, logStartOffset };
        t.sent = f;
      }
      parts.push(f);
      keys.push(p.key);
    }
    const built = this.session.build(parts, keys);
    const req = withSession({ replicaId: this.s.brokerId, maxWaitMs: this.s.maxWaitMs, minBytes: this.s.minBytes, maxBytes: this.s.maxBytes }, built);
    this.conn.send<FetchResponse>("Fetch", req, fetchRequestBytes(b, this.clientId, req.partitions, built.forgotten), (res) => {
      if (res === null) {
        this.session.handleError();
        return this.done(true);
      }
      // A session error: no partition is processed and, with no backoff, a full fetch follows (processFetchRequest on an empty answer).
      if (!this.session.handleResponse(res)) return this.done(false);
      // Partitions are applied in order, each after the previous one's append has completed. A
      // partition that completes at once continues the loop here rather than by recursion, so
      // thousands of partitions in one answer do not grow the stack; one that waits (a flush)
      // resumes the loop from its callback.
      const apply = (start: number, backoffSoFar: boolean): void => {
        let backoff = backoffSoFar;
        for (let i = start; ; i++) {
          if (this.stopped || !this.endpoint.machine.host.alive) return;
          if (i === res.partitions.length) return this.done(backoff);
          const r = res.partitions[i];
          // An idle partition (no data, no error: most of them) only takes the leader's high watermark.
          if (r.error === "NONE" && r.batches.length === 0) {
            const t = this.states.get(partitionKey(r.topic, r.partition));
            if (t !== undefined && !t.truncating) {
              takeLeaderHighWatermark(t.partition, r);
              if (this.s.behaviour.logStartOffset) takeLeaderLogStartOffset(t.partition, r);
            }
            continue;
          }
          let waiting = false;
          let completed = false;
          let partitionBackoff = false;
          const before = backoff;
          this.onPartitionData(r, (b) => {
            if (waiting) apply(i + 1, before || b);
            else {
              completed = true;
              partitionBackoff = b;
            }
          });
          if (!completed) {
            waiting = true;
            return;
          }
          backoff = backoff || partitionBackoff;
        }
      };
      apply(0, false);
    });
  }

  /** Applies one partition's fetched data; next(true) when the fetcher should back off. */
  private onPartitionData(r: FetchPartitionResponse, next: (backoff: boolean) => void): void {
    const t = this.states.get(partitionKey(r.topic, r.partition));
    if (t === undefined || t.truncating) return next(false);
    const p = t.partition;
    const log = p.log;
    const error: ErrorCode = r.error;
    if (error === "OFFSET_OUT_OF_RANGE") {
      // AbstractFetcherThread.handleOffsetOutOfRange (ReplicaFetcherThread's before 1.1).
      if (r.logEndOffset < log.logEndOffset) {
        // The leader's log is shorter than ours (an unclean leader): cut back to its end.
        if (this.host.refusesTruncation(p, r.logEndOffset)) return;
        const removed = log.truncateTo(r.logEndOffset);
        if (log.offline) this.markPartitionFailed(p.key);
        if (removed > 0) this.host.onTruncated(p, removed, "OFFSET_OUT_OF_RANGE");
        if (p.highWatermark > log.logEndOffset) p.highWatermark = log.logEndOffset;
      } else if (r.logStartOffset > log.logEndOffset) {
        // We are below the leader's log start offset: start again there (truncateFullyAndStartAt).
        this.endpoint.machine.mark("fetcher: below the leader's log start offset, truncateFullyAndStartAt");
        this.endpoint.machine.trace("log-truncated-fully", { partition: p.key, logEndOffset: log.logEndOffset, startAt: r.logStartOffset });
        if (!truncateFullyAndStartAt(log, r.logStartOffset)) this.markPartitionFailed(p.key);
        // Log.updateLogStartOffset: the high watermark is raised to the new start.
        else if (p.highWatermark < log.logStartOffset) p.highWatermark = log.logStartOffset;
      }
      return next(false);
    }
    if (error !== "NONE") return next(true);
    let appended = false;
    for (const b of r.batches) {
      if (b.baseOffset < log.logEndOffset) continue;
      if (b.baseOffset !== log.logEndOffset) break;
      if (!log.append(b as RecordBatch, "follower append")) {
        if (this.endpoint.machine.host.alive) this.markPartitionFailed(p.key);
        return next(false);
      }
      appended = true;
    }
    takeLeaderHighWatermark(p, r);
    if (this.s.behaviour.logStartOffset) takeLeaderLogStartOffset(p, r);
    if (!appended) return next(false);
    this.host.onFollowerAppend(p, (ok) => {
      if (!ok && this.endpoint.machine.host.alive) this.markPartitionFailed(p.key);
      next(false);
    });
  }
}

/**
 * processPartitionData (KIP-107): the follower's log start offset follows the leader's. Kafka
 * refuses one past the follower's high watermark (OffsetOutOfRangeException from
 * Replica/Log.maybeIncrementLogStartOffset, from 0.11); we skip it then, to take it on a later
 * answer. In 0.11 that exception ends the fetcher thread (README, version table): not modelled.
 */
function takeLeaderLogStartOffset(p: Partition, r: FetchPartitionResponse): void {
  if (r.logStartOffset > p.log.logStartOffset && r.logStartOffset <= p.highWatermark) maybeIncrementLogStartOffset(p.log, r.logStartOffset);
}

/** A follower's high watermark is the leader's, capped by its own log end (Partition.updateFollowerHighWatermark). */
function takeLeaderHighWatermark(p: Partition, r: FetchPartitionResponse): void {
  p.highWatermark = Math.min(r.highWatermark, p.log.logEndOffset);
}
