/**
 * The broker's replica manager (kafka.server.ReplicaManager): the partitions this broker holds,
 * produce (appendRecords with acks and min.insync.replicas, parked in the DelayedProduce
 * purgatory), follower fetches (parked in the DelayedFetch purgatory), LeaderAndIsr and
 * StopReplica, ISR changes written to ZooKeeper, the ISR expiration task, and log dir failures
 * (KIP-112: handleLogDirFailure, KAFKA_STORAGE_ERROR for partitions in an offline dir). The logs
 * themselves live in the LogManager; the high-watermark checkpoint in HighWatermarkCheckpoints.
 * The produce, fetch and LeaderAndIsr / StopReplica paths, Kafka's ReplicaManager methods, are in
 * files of their own: appendRecords.ts, fetchMessages.ts, becomeLeaderOrFollower.ts.
 */
import { FetchSessionCache } from "./FetchSessionCache.js";
import type { Host } from "../../../Host.js";
import type { Endpoint } from "../../Endpoint.js";
import type { Machine } from "../../Machine.js";
import type { ZkClient } from "../../zookeeper/ZkClient.js";
import { HighWatermarkCheckpoints } from "./HighWatermarkCheckpoints.js";
import { schedule } from "./KafkaScheduler.js";
import type { KafkaObserver } from "../KafkaObserver.js";
import { AlterIsrManager, ZkIsrManager, type IsrChangeManager } from "./IsrChangeManager.js";
import type { LogDir, LogDirFailureChannel } from "../log/LogDir.js";
import type { LogManager } from "../log/LogManager.js";
import { Partition, type PartitionObserver, type PartitionRules } from "../cluster/Partition.js";
import { FetchPurgatory } from "./DelayedFetch.js";
import { ProducePurgatory } from "./DelayedProduce.js";
import { appendRecords } from "./appendRecords.js";
import { fetchOffsetForTimestamp } from "./fetchOffsetForTimestamp.js";
import { fetchMessages, lastOffsetForLeaderEpoch } from "./fetchMessages.js";
import { becomeLeaderOrFollower, stopReplicas } from "./becomeLeaderOrFollower.js";
import { ReplicaFetcherManager } from "./ReplicaFetcherManager.js";
import type { Behaviour, KafkaConfig } from "../common/versions.js";
import type {
  ListOffsetsPartitionResponse,
  ListOffsetsRequest,
  ControllerResponse,
  EpochEndOffset,
  ErrorCode,
  FetchRequest,
  FetchResponse,
  LeaderAndIsrRequest,
  LeaderAndIsrResponse,
  OffsetsForLeaderEpochRequest,
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
  /** Moves on whenever `partitions` gains or loses one, so a fetch session may keep the Partition it looked up. */
  partitionsVersion = 0;
  // Not private: appendRecords, fetchMessages and becomeLeaderOrFollower, Kafka's ReplicaManager
  // methods in files of their own, use them.
  readonly fetchers: ReplicaFetcherManager;
  readonly fetchPurgatory: FetchPurgatory;
  /** Consumers' DelayedFetches: woken when a leader's high watermark moves. */
  readonly consumerFetchPurgatory: FetchPurgatory;
  /** KIP-227's fetch sessions (1.1+), in this process's memory. */
  readonly fetchSessions: FetchSessionCache | null;
  readonly producePurgatory: ProducePurgatory;
  /** Partitions in an offline log dir (HostedPartition.Offline): every request for them gets KAFKA_STORAGE_ERROR. */
  readonly offlinePartitions = new Set<string>();
  private controllerEpoch = -1;
  readonly hw: HighWatermarkCheckpoints;
  private readonly lagUs: number;
  private readonly rules: PartitionRules;
  readonly isrChanges: IsrChangeManager;

  constructor(readonly ctx: BrokerContext) {
    const c = ctx.config;
    this.fetchPurgatory = new FetchPurgatory(ctx.machine);
    this.consumerFetchPurgatory = new FetchPurgatory(ctx.machine);
    this.fetchSessions = ctx.behaviour.fetchSessions
      ? new FetchSessionCache({
          maxSlots: c.num("max.incremental.fetch.session.cache.slots"),
          incarnation: ctx.machine.host.incarnation,
          movesOnlyPartitionsWithRecords: ctx.behaviour.fetchSessionMovesOnlyPartitionsWithRecords,
          cachesLeaderEpoch: ctx.behaviour.fetchSessionCachesLeaderEpoch,
          touchesEveryFetch: ctx.behaviour.fetchSessionTouchedEveryFetch,
        })
      : null;
    this.producePurgatory = new ProducePurgatory(ctx.machine);
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
  partition(topic: string, index: number): Partition | null {
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
      this.partitionsVersion++;
    }
    return p;
  }

  /** A partition whose log dir failed (or whose log hit an IOException not yet handled). */
  isOffline(key: string, p: Partition | undefined): boolean {
    // Asked for every partition of every fetch: the set is nearly always empty.
    return (this.offlinePartitions.size > 0 && this.offlinePartitions.has(key)) || (p !== undefined && p.log.offline);
  }

  // --- produce ---

  handleProduce(req: ProduceRequest, respond: (res: ProduceResponse) => void): void {
    appendRecords(this, req, respond);
  }

  // --- fetch (from followers) ---

  handleFetch(req: FetchRequest, respond: (res: FetchResponse) => void): void {
    fetchMessages(this, req, respond);
  }

  onLeaderAppend(p: Partition): void {
    this.fetchPurgatory.wake(p.key);
  }

  handleOffsetsForLeaderEpoch(req: OffsetsForLeaderEpochRequest): EpochEndOffset[] {
    return lastOffsetForLeaderEpoch(this, req);
  }

  handleListOffsets(req: ListOffsetsRequest): ListOffsetsPartitionResponse[] {
    return fetchOffsetForTimestamp(this, req);
  }

  // --- controller requests ---

  staleController(controllerEpoch: number, brokerEpoch: number): ErrorCode | null {
    if (controllerEpoch < this.controllerEpoch) return "STALE_CONTROLLER_EPOCH";
    if (this.ctx.behaviour.brokerEpoch && brokerEpoch >= 0 && brokerEpoch < this.ctx.brokerEpoch()) return "STALE_BROKER_EPOCH";
    this.controllerEpoch = controllerEpoch;
    return null;
  }

  handleLeaderAndIsr(req: LeaderAndIsrRequest): LeaderAndIsrResponse {
    return becomeLeaderOrFollower(this, req);
  }

  handleStopReplica(req: StopReplicaRequest): ControllerResponse {
    return stopReplicas(this, req);
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

  onTruncated(p: Partition, records: number, reason: string): void {
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
      this.partitionsVersion++;
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
    if (p.highWatermark > previous) this.consumerFetchPurgatory.wake(p.key);
  }

  private isrExpiration(): void {
    for (const p of this.partitions.values()) p.maybeShrinkIsr();
  }
}
