/**
 * The broker's replica manager (kafka.server.ReplicaManager): the partitions this broker holds,
 * produce (appendRecords with acks and min.insync.replicas, parked in the DelayedProduce
 * purgatory), follower fetches (parked in the DelayedFetch purgatory), LeaderAndIsr and
 * StopReplica, ISR changes written to ZooKeeper, the ISR expiration task, and log dir failures
 * (KIP-112: handleLogDirFailure, KAFKA_STORAGE_ERROR for partitions in an offline dir). The logs
 * themselves live in the LogManager; the high-watermark checkpoint in HighWatermarkCheckpoints.
 */
import type { Host } from "../../../Host.js";
import type { Endpoint } from "../../Endpoint.js";
import type { Machine } from "../../Machine.js";
import type { ZkClient } from "../../zookeeper/ZkClient.js";
import { HighWatermarkCheckpoints } from "./HighWatermarkCheckpoints.js";
import { schedule } from "./KafkaScheduler.js";
import type { KafkaObserver } from "../KafkaObserver.js";
import { AlterIsrManager, ZkIsrManager, type IsrChangeManager } from "./IsrChangeManager.js";
import type { RecordBatch } from "../log/Log.js";
import type { LogDir, LogDirFailureChannel } from "../log/LogDir.js";
import type { LogManager } from "../log/LogManager.js";
import { Partition, type PartitionObserver, type PartitionRules } from "../cluster/Partition.js";
import { FetchPurgatory } from "./DelayedFetch.js";
import { delayProduce, type ProduceWait } from "./DelayedProduce.js";
import { ReplicaFetcherManager } from "./ReplicaFetcherManager.js";
import type { Behaviour, KafkaConfig } from "../common/versions.js";
import type {
  ControllerResponse,
  EpochEndOffset,
  ErrorCode,
  FetchPartitionResponse,
  FetchRequest,
  FetchResponse,
  LeaderAndIsrRequest,
  LeaderAndIsrResponse,
  OffsetsForLeaderEpochRequest,
  ProducePartitionResponse,
  ProduceRequest,
  ProduceResponse,
  StopReplicaRequest,
} from "../common/protocol.js";

export interface BrokerContext {
  id: number;
  machine: Machine;
  endpoint: Endpoint;
  zk: ZkClient;
  config: KafkaConfig;
  behaviour: Behaviour;
  observer: KafkaObserver;
  hostOf(brokerId: number): Host | undefined;
  topicConfig(topic: string): KafkaConfig;
  brokerEpoch(): number;
  /** The controller as this broker knows it (for AlterIsr). */
  controllerHost(): Host | undefined;
  /** The broker's metadata cache lists this broker as alive. */
  isBrokerAlive(id: number): boolean;
  logManager: LogManager;
  channel: LogDirFailureChannel;
  /** The process exits (Exit.halt / System.exit). */
  halt(reason: string): void;
  /** KafkaZkClient.propagateLogDirEvent: a /log_dir_event_notification/log_dir_event_ znode. */
  propagateLogDirEvent(): void;
}

export class ReplicaManager implements PartitionObserver {
  readonly partitions = new Map<string, Partition>();
  private readonly fetchers: ReplicaFetcherManager;
  private readonly fetchPurgatory: FetchPurgatory;
  /** Partitions in an offline log dir (HostedPartition.Offline): every request for them gets KAFKA_STORAGE_ERROR. */
  readonly offlinePartitions = new Set<string>();
  private controllerEpoch = -1;
  private readonly hw: HighWatermarkCheckpoints;
  private readonly lagUs: number;
  private readonly rules: PartitionRules;
  private readonly isrChanges: IsrChangeManager;

  constructor(private readonly ctx: BrokerContext) {
    const c = ctx.config;
    this.fetchPurgatory = new FetchPurgatory(ctx.machine);
    this.lagUs = c.num("replica.lag.time.max.ms") * 1000;
    const settings = {
      brokerId: ctx.id,
      maxWaitMs: c.num("replica.fetch.wait.max.ms"),
      minBytes: c.num("replica.fetch.min.bytes"),
      maxBytes: c.num("replica.fetch.max.bytes"),
      backoffUs: c.num("replica.fetch.backoff.ms") * 1000,
      socketTimeoutUs: c.num("replica.socket.timeout.ms") * 1000,
      behaviour: ctx.behaviour,
    };
    this.fetchers = new ReplicaFetcherManager(ctx.endpoint, settings, c.num("num.replica.fetchers"), ctx.hostOf, {
      // Log.append's `if (unflushedMessages >= flushInterval) flush()`, in the fetcher thread.
      onFollowerAppend: (q, done) => q.log.maybeFlush("follower append", done),
      onTruncated: (q, n, why) => this.onTruncated(q, n, why),
      refusesTruncation: (q, leaderEnd) => this.refusesTruncation(q, leaderEnd),
    });
    this.rules = { behaviour: ctx.behaviour, lagTimeMaxUs: this.lagUs, now: () => ctx.machine.now, isBrokerAlive: (id) => ctx.isBrokerAlive(id) };
    this.isrChanges = ctx.behaviour.alterIsr
      ? new AlterIsrManager(ctx.endpoint, {
          brokerId: ctx.id,
          brokerEpoch: () => ctx.brokerEpoch(),
          controller: () => ctx.controllerHost(),
          api: ctx.behaviour.alterPartitionName ? "AlterPartition" : "AlterIsr",
          requestTimeoutUs: c.num("controller.socket.timeout.ms") * 1000,
        })
      : new ZkIsrManager(ctx.endpoint, ctx.id, () => ctx.zk);
    this.hw = new HighWatermarkCheckpoints(
      ctx.machine,
      ctx.logManager.dirs,
      c.num("replica.high.watermark.checkpoint.interval.ms") * 1000,
      () => this.partitions.values(),
      (dir, error) => ctx.channel.maybeAddOfflineLogDir(dir, "high-watermark checkpoint", error),
      ctx.behaviour,
    );
  }

  /**
   * ReplicaManager.startup: the isr-expiration task, every replica.lag.time.max.ms / 2 in whole
   * milliseconds (a Long division: 1 / 2 = 0, -1 / 2 = 0), by KafkaScheduler's rule: a period <= 0
   * runs it once, at start-up, when the broker leads nothing, so the ISR never shrinks (0 from
   * 3.4); before 3.4 a period of 0 throws and fails the start-up. Returns that error, or null.
   */
  startup(): string | null {
    const periodMs = Math.trunc(this.ctx.config.num("replica.lag.time.max.ms") / 2);
    const r = schedule(this.ctx.machine, this.ctx.behaviour, "isr-expiration", 0, periodMs * 1000, () => this.isrExpiration());
    return "error" in r ? r.error : null;
  }

  /** The partition, created with its log (LogManager.getOrCreateLog) if new; null when its log cannot be had (offline). */
  private partition(topic: string, index: number): Partition | null {
    const key = `${topic}-${index}`;
    let p = this.partitions.get(key);
    if (p === undefined) {
      if (this.offlinePartitions.has(key)) return null;
      const log = this.ctx.logManager.getOrCreateLog(key);
      if (log === null) {
        this.offlinePartitions.add(key);
        return null;
      }
      p = new Partition(this.ctx.id, topic, index, log, this, this.rules);
      p.highWatermark = Math.min(this.hw.read(log.logDir, key), log.logEndOffset);
      p.minInsync = this.ctx.topicConfig(topic).num("min.insync.replicas");
      this.partitions.set(key, p);
    }
    return p;
  }

  /** A partition whose log dir failed (or whose log hit an IOException not yet handled). */
  private isOffline(key: string, p: Partition | undefined): boolean {
    return this.offlinePartitions.has(key) || (p !== undefined && p.log.offline);
  }

  // --- produce ---

  /**
   * ReplicaManager.appendRecords: the partitions in request order, each appended (Log.append,
   * with its flush when log.flush.interval.messages is reached) before the next, as the request
   * handler thread does; then, for acks=all, the DelayedProduce.
   */
  /**
   * NOT_LEADER_OR_FOLLOWER; from 3.7 (KIP-951, KafkaApis.getCurrentLeader) with the leader and
   * epoch this broker's partition knows. We leave out KafkaApis' fallback to the metadata cache
   * for a partition the broker does not host.
   */
  private notLeader(result: ProducePartitionResponse, p: Partition | undefined): void {
    result.error = "NOT_LEADER_OR_FOLLOWER";
    if (this.ctx.behaviour.leaderHints && p !== undefined && p.leader >= 0 && p.leader !== this.ctx.id) result.currentLeader = { leaderId: p.leader, leaderEpoch: p.leaderEpoch };
  }

  handleProduce(req: ProduceRequest, respond: (res: ProduceResponse) => void): void {
    const results: ProducePartitionResponse[] = [];
    const toWait: ProduceWait[] = [];
    const m = this.ctx.machine;
    const finish = (): void => {
      if (req.acks === 0 || toWait.length === 0) return respond({ partitions: results });
      delayProduce(m, req.timeoutMs * 1000, toWait, (p) => this.isOffline(p.key, p), () => respond({ partitions: results }));
    };
    const step = (i: number): void => {
      if (i === req.data.length) return finish();
      const d = req.data[i];
      const next = (): void => step(i + 1);
      const result: ProducePartitionResponse = { topic: d.topic, partition: d.partition, error: "NONE", baseOffset: -1 };
      results.push(result);
      const key = `${d.topic}-${d.partition}`;
      const p = this.partitions.get(key);
      if (this.isOffline(key, p)) {
        // getPartitionOrException: the partition is in an offline log dir.
        result.error = "KAFKA_STORAGE_ERROR";
        m.mark("produce: KAFKA_STORAGE_ERROR (log dir offline)");
        return next();
      }
      if (p === undefined || !p.isLeader) {
        this.notLeader(result, p);
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
        if (check.kind === "unknownProducer" && !this.ctx.behaviour.idempotentEpochBump) {
          m.mark("produce: sequence from an unknown producer refused");
          result.error = this.ctx.behaviour.unknownProducerIdError ? "UNKNOWN_PRODUCER_ID" : "OUT_OF_ORDER_SEQUENCE_NUMBER";
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
          this.notLeader(result, p);
          return next();
        }
        this.onLeaderAppend(p);
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

  // --- fetch (from followers) ---

  handleFetch(req: FetchRequest, respond: (res: FetchResponse) => void): void {
    const now = this.ctx.machine.now;
    for (const f of req.partitions) {
      const key = `${f.topic}-${f.partition}`;
      const p = this.partitions.get(key);
      if (p !== undefined && p.isLeader && !this.isOffline(key, p) && this.epochError(p, f.currentLeaderEpoch) === null && f.fetchOffset <= p.log.logEndOffset) {
        p.updateFollower(req.replicaId, f.fetchOffset, now);
      }
    }
    const read = (): FetchResponse => ({ partitions: req.partitions.map((f) => this.readPartition(f.topic, f.partition, f.fetchOffset, f.currentLeaderEpoch, req.maxBytes)) });
    const first = read();
    const bytes = first.partitions.reduce((s, r) => s + r.batches.reduce((t, b) => t + b.bytes, 0), 0);
    const errors = first.partitions.some((r) => r.error !== "NONE");
    // ReplicaManager.fetchMessages answers at once when `timeout <= 0` (a negative
    // replica.fetch.wait.max.ms included, which KafkaConfig accepts if no larger than the others).
    if (bytes >= req.minBytes || errors || req.maxWaitMs <= 0) return respond(first);
    // DelayedFetch: wait for replica.fetch.min.bytes of new data on the partitions, or
    // replica.fetch.wait.max.ms. With min bytes 1 (the default) any new data is enough.
    const enough =
      req.minBytes <= 1
        ? undefined
        : (): boolean => {
            const r = read();
            return r.partitions.some((x) => x.error !== "NONE") || r.partitions.reduce((s, x) => s + x.batches.reduce((t, b) => t + b.bytes, 0), 0) >= req.minBytes;
          };
    this.fetchPurgatory.park(
      req.partitions.map((f) => `${f.topic}-${f.partition}`),
      req.maxWaitMs * 1000,
      () => respond(read()),
      enough,
    );
  }

  /** KIP-320: a fetch names the leader epoch it believes in. */
  private epochError(p: Partition, currentLeaderEpoch: number): ErrorCode | null {
    if (currentLeaderEpoch < 0 || !this.ctx.behaviour.fetchLeaderEpoch) return null;
    if (currentLeaderEpoch < p.leaderEpoch) return "FENCED_LEADER_EPOCH";
    if (currentLeaderEpoch > p.leaderEpoch) return "UNKNOWN_LEADER_EPOCH";
    return null;
  }

  private readPartition(topic: string, index: number, offset: number, currentLeaderEpoch: number, maxBytes: number): FetchPartitionResponse {
    const key = `${topic}-${index}`;
    const p = this.partitions.get(key);
    const r: FetchPartitionResponse = { topic, partition: index, error: "NONE", highWatermark: -1, logEndOffset: -1, batches: [] };
    if (this.isOffline(key, p)) {
      r.error = "KAFKA_STORAGE_ERROR";
      return r;
    }
    if (p === undefined || !p.isLeader) {
      r.error = "NOT_LEADER_OR_FOLLOWER";
      return r;
    }
    const epochError = this.epochError(p, currentLeaderEpoch);
    r.highWatermark = p.highWatermark;
    r.logEndOffset = p.log.logEndOffset;
    if (epochError !== null) r.error = epochError;
    else if (offset > p.log.logEndOffset) r.error = "OFFSET_OUT_OF_RANGE";
    else r.batches = p.log.read(offset, maxBytes);
    return r;
  }

  onLeaderAppend(p: Partition): void {
    this.fetchPurgatory.wake(p.key);
  }

  handleOffsetsForLeaderEpoch(req: OffsetsForLeaderEpochRequest): EpochEndOffset[] {
    return req.partitions.map((q) => {
      const key = `${q.topic}-${q.partition}`;
      const p = this.partitions.get(key);
      if (this.isOffline(key, p)) return { topic: q.topic, partition: q.partition, error: "KAFKA_STORAGE_ERROR", leaderEpoch: -1, endOffset: -1 };
      if (p === undefined || !p.isLeader) return { topic: q.topic, partition: q.partition, error: "NOT_LEADER_OR_FOLLOWER", leaderEpoch: -1, endOffset: -1 };
      const r = p.log.endOffsetForEpoch(q.leaderEpoch, this.ctx.behaviour.epochTruncationFix);
      return { topic: q.topic, partition: q.partition, error: "NONE", leaderEpoch: r.epoch, endOffset: r.endOffset };
    });
  }

  // --- controller requests ---

  staleController(controllerEpoch: number, brokerEpoch: number): ErrorCode | null {
    if (controllerEpoch < this.controllerEpoch) return "STALE_CONTROLLER_EPOCH";
    if (this.ctx.behaviour.brokerEpoch && brokerEpoch >= 0 && brokerEpoch < this.ctx.brokerEpoch()) return "STALE_BROKER_EPOCH";
    this.controllerEpoch = controllerEpoch;
    return null;
  }

  /** ReplicaManager.becomeLeaderOrFollower. */
  handleLeaderAndIsr(req: LeaderAndIsrRequest): LeaderAndIsrResponse {
    const stale = this.staleController(req.controllerEpoch, req.brokerEpoch);
    if (stale !== null) return { error: stale, partitionErrors: [] };
    const now = this.ctx.machine.now;
    const partitionErrors: LeaderAndIsrResponse["partitionErrors"] = [];
    for (const s of req.partitionStates) {
      const p = this.partition(s.topic, s.partition);
      const error = this.leaderAndIsrError(s.topic, s.partition, s.leaderEpoch, p);
      partitionErrors.push({ topic: s.topic, partition: s.partition, error });
      if (p === null || error !== "NONE") continue;
      // ReplicaManager.makeFollowers: a follower changes nothing while its new leader is not alive in
      // the metadata cache (leader -1 included); a later LeaderAndIsr with a live leader applies.
      if (s.leader !== this.ctx.id && !this.ctx.isBrokerAlive(s.leader)) {
        this.ctx.machine.mark("replica: LeaderAndIsr names a leader not alive in the metadata cache, skipped");
        continue;
      }
      const previousLeader = p.leader;
      this.fetchers.remove(p);
      if (this.ctx.behaviour.alterIsrClearsPendingOnLeaderAndIsr) this.isrChanges.clearPending?.(p.key);
      if (s.leader === this.ctx.id) {
        p.makeLeader(s, now);
        this.ctx.machine.trace("become-leader", { partition: p.key, leaderEpoch: s.leaderEpoch, isr: s.isr.join(","), logEndOffset: p.log.logEndOffset, highWatermark: p.highWatermark });
        this.ctx.observer.onBecomeLeader(this.ctx.id, p);
      } else {
        p.makeFollower(s);
        this.ctx.machine.trace("become-follower", { partition: p.key, leader: s.leader, leaderEpoch: s.leaderEpoch, logEndOffset: p.log.logEndOffset, highWatermark: p.highWatermark });
        // Before KIP-101 a follower cuts its log back to its high watermark, and only when its
        // leader changed (0.10.2 ReplicaManager.makeFollowers: Partition.makeFollower returned false).
        if (!this.ctx.behaviour.leaderEpochTruncation && s.leader !== previousLeader) {
          const removed = p.log.truncateTo(p.highWatermark);
          if (removed > 0) this.onTruncated(p, removed, "high watermark");
        }
        if (s.leader >= 0) this.fetchers.add(p, s.leader);
      }
    }
    // startHighWatermarkCheckPointThread comes after the partitions changed; its exception (before
    // 3.4, interval 0) leaves them changed and answers the request with the error
    // (KafkaApis.handleError: LeaderAndIsrRequest.getErrorResponse, with a top-level error from 1.1;
    // 0.10.2 - 1.0 answer NONE at the top and the error per partition, which we do not tell apart:
    // their controller ignores the answer, or in 1.0 treats those partitions as neither online nor offline).
    const hwError = this.hw.start();
    if (hwError !== null) {
      this.ctx.machine.mark("replica: high-watermark checkpoint task failed to schedule, LeaderAndIsr fails");
      this.ctx.machine.trace("leader-and-isr-failed", { error: hwError });
      return { error: "UNKNOWN_SERVER_ERROR", partitionErrors: partitionErrors.map((e) => ({ ...e, error: "UNKNOWN_SERVER_ERROR" })) };
    }
    return { error: "NONE", partitionErrors };
  }

  /**
   * A partition's error in a LeaderAndIsr response: KAFKA_STORAGE_ERROR when its replica is in
   * an offline log dir (HostedPartition.Offline, or a log that could not be created),
   * STALE_CONTROLLER_EPOCH when the state's leader epoch is not newer than the one applied.
   */
  private leaderAndIsrError(topic: string, partition: number, leaderEpoch: number, p: Partition | null): ErrorCode {
    if (p === null || this.isOffline(`${topic}-${partition}`, p)) {
      this.ctx.machine.mark("leaderAndIsr: KAFKA_STORAGE_ERROR for a replica in an offline log dir");
      return "KAFKA_STORAGE_ERROR";
    }
    if (leaderEpoch <= p.leaderEpoch && p.leader >= 0) return "STALE_CONTROLLER_EPOCH";
    return "NONE";
  }

  handleStopReplica(req: StopReplicaRequest): ControllerResponse {
    const stale = this.staleController(req.controllerEpoch, req.brokerEpoch);
    if (stale !== null) return { error: stale };
    for (const q of req.partitions) {
      const p = this.partitions.get(`${q.topic}-${q.partition}`);
      if (p === undefined) continue;
      this.fetchers.remove(p);
      p.stop();
    }
    return { error: "NONE" };
  }

  /**
   * 0.10.2 - 1.1 ReplicaFetcherThread.handleOffsetOutOfRange: in a topic without unclean leader
   * election, "Exiting because log truncation is not allowed" (System.exit / FatalExitError).
   */
  private refusesTruncation(p: Partition, leaderEndOffset: number): boolean {
    if (!this.ctx.behaviour.exitOnDisallowedTruncation || this.ctx.topicConfig(p.topic).bool("unclean.leader.election.enable")) return false;
    this.ctx.machine.mark("replica: log truncation is not allowed, the broker exits");
    this.ctx.halt(`Exiting because log truncation is not allowed for partition ${p.key}, current leader's latest offset ${leaderEndOffset} is less than replica's latest offset ${p.log.logEndOffset}`);
    return true;
  }

  private onTruncated(p: Partition, records: number, reason: string): void {
    // Offsets are contiguous: the log ended `records` past where it ends now.
    const to = p.log.logEndOffset;
    this.ctx.machine.trace("log-truncated", { partition: p.key, from: to + records, to, records, reason });
    this.ctx.observer.onTruncated(this.ctx.id, p, records, reason);
  }

  /**
   * ReplicaManager.shutdown(checkpointHW = true): the fetchers stop, the partitions stop serving,
   * the high watermarks are checkpointed; done once the checkpoint files are written.
   */
  shutdown(done: () => void = () => undefined): void {
    this.isrChanges.shutdown();
    this.fetchers.shutdown();
    for (const p of this.partitions.values()) p.stop();
    this.hw.checkpointHighWatermarks(done);
  }

  /**
   * ReplicaManager.handleLogDirFailure (KIP-112, 1.0): the dir's partitions go offline (their
   * fetchers removed, every request for them answered KAFKA_STORAGE_ERROR), its high-watermark
   * checkpoint is dropped, LogManager takes the dir out (and halts the broker if it was the last
   * one, before any notification), then the controller is told through a persistent sequential
   * /log_dir_event_notification/log_dir_event_ znode (KafkaZkClient.propagateLogDirEvent).
   */
  handleLogDirFailure(dir: LogDir): void {
    if (!dir.online) return;
    const gone = [...this.partitions.values()].filter((p) => p.log.logDir === dir);
    for (const p of gone) {
      this.fetchers.remove(p);
      this.partitions.delete(p.key);
      this.offlinePartitions.add(p.key);
    }
    this.hw.dropDir(dir);
    this.ctx.machine.trace("log-dir-failure", { dir: dir.path, partitions: gone.map((p) => p.key).join(",") });
    this.ctx.observer.onLogDirFailure(this.ctx.id, dir.path);
    if (!this.ctx.logManager.handleLogDirFailure(dir)) return;
    this.ctx.propagateLogDirEvent();
  }

  // --- ISR changes ---

  requestIsrChange(p: Partition, isr: number[]): void {
    // Partition.maybeShrinkIsr / maybeExpandIsr: "Shrinking ISR from 1,2,3 to 1" (p.isr is still the old one).
    this.ctx.machine.trace(isr.length > p.isr.length ? "isr-expand" : "isr-shrink", {
      partition: p.key,
      leaderEpoch: p.leaderEpoch,
      isr: p.isr.join(","),
      newIsr: isr.join(","),
      highWatermark: p.highWatermark,
      logEndOffset: p.log.logEndOffset,
    });
    this.ctx.machine.mark(isr.length > p.isr.length ? "isr: leader expands the ISR" : "isr: leader shrinks the ISR");
    this.isrChanges.submit(p, isr);
  }

  onLeaderHighWatermark(p: Partition, previous: number): void {
    this.ctx.observer.onLeaderHighWatermark(this.ctx.id, p, previous);
  }

  private isrExpiration(): void {
    for (const p of this.partitions.values()) p.maybeShrinkIsr();
  }
}
