/**
 * The broker's replica manager (kafka.server.ReplicaManager): the partitions this broker holds,
 * produce (appendRecords with acks and min.insync.replicas, parked in the DelayedProduce
 * purgatory), follower fetches (parked in the DelayedFetch purgatory), LeaderAndIsr and
 * StopReplica, ISR changes written to ZooKeeper, the ISR expiration task, the high-watermark
 * checkpoint and the log flush policy.
 */
import type { Host } from "../../Host.js";
import type { SimFile } from "../../disk/File.js";
import type { Endpoint } from "../Endpoint.js";
import type { Machine } from "../Machine.js";
import type { ZkClient } from "../zookeeper/ZkClient.js";
import type { KafkaObserver } from "./KafkaObserver.js";
import { AlterIsrManager, ZkIsrManager, type IsrChangeManager } from "./IsrChangeManager.js";
import { Log, type RecordBatch } from "./Log.js";
import { Partition, type PartitionObserver, type PartitionRules } from "./Partition.js";
import { ReplicaFetcher, type FetcherSettings } from "./ReplicaFetcher.js";
import type { Behaviour, KafkaConfig } from "./versions.js";
import type {
  ControllerResponse,
  EpochEndOffset,
  ErrorCode,
  FetchPartitionResponse,
  FetchRequest,
  FetchResponse,
  LeaderAndIsrRequest,
  OffsetsForLeaderEpochRequest,
  ProducePartitionResponse,
  ProduceRequest,
  ProduceResponse,
  StopReplicaRequest,
} from "./protocol.js";

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
}

interface ParkedFetch {
  done: boolean;
  respond(): void;
}

export class ReplicaManager implements PartitionObserver {
  readonly partitions = new Map<string, Partition>();
  private readonly fetchers = new Map<string, ReplicaFetcher>();
  private readonly parkedFetches = new Map<string, ParkedFetch[]>();
  private controllerEpoch = -1;
  private readonly checkpoint: SimFile;
  private readonly checkpointedHw: Map<string, number>;
  private readonly lagUs: number;
  private readonly flushMessages: number;
  private readonly fetcherSettings: FetcherSettings;
  private readonly rules: PartitionRules;
  private readonly isrChanges: IsrChangeManager;

  constructor(private readonly ctx: BrokerContext) {
    const c = ctx.config;
    this.lagUs = c.num("replica.lag.time.max.ms") * 1000;
    this.flushMessages = c.num("log.flush.interval.messages");
    this.fetcherSettings = {
      brokerId: ctx.id,
      maxWaitMs: c.num("replica.fetch.wait.max.ms"),
      minBytes: c.num("replica.fetch.min.bytes"),
      maxBytes: c.num("replica.fetch.max.bytes"),
      backoffUs: c.num("replica.fetch.backoff.ms") * 1000,
      socketTimeoutUs: c.num("replica.socket.timeout.ms") * 1000,
      behaviour: ctx.behaviour,
    };
    this.rules = { behaviour: ctx.behaviour, lagTimeMaxUs: this.lagUs, now: () => ctx.machine.now, isBrokerAlive: (id) => ctx.isBrokerAlive(id) };
    this.isrChanges = ctx.behaviour.alterIsr
      ? new AlterIsrManager(ctx.endpoint, {
          brokerId: ctx.id,
          brokerEpoch: () => ctx.brokerEpoch(),
          controller: () => ctx.controllerHost(),
          api: ctx.behaviour.ineligibleReplicaCheck ? "AlterPartition" : "AlterIsr",
          requestTimeoutUs: c.num("controller.socket.timeout.ms") * 1000,
        })
      : new ZkIsrManager(ctx.endpoint, ctx.id, () => ctx.zk);
    this.checkpoint = ctx.machine.openFile("replication-offset-checkpoint");
    const last = this.checkpoint.contents[this.checkpoint.contents.length - 1];
    this.checkpointedHw = new Map(last === undefined ? [] : (last.payload as Map<string, number>));
    const m = ctx.machine;
    m.setTimer(this.lagUs / 2, () => this.isrExpiration());
    const hwInterval = c.num("replica.high.watermark.checkpoint.interval.ms") * 1000;
    m.setTimer(hwInterval, () => this.checkpointHighWatermarks(hwInterval));
    const flushMs = Math.min(c.num("log.flush.scheduler.interval.ms"), c.num("log.flush.interval.ms"));
    if (flushMs < 1e12) m.setTimer(flushMs * 1000, () => this.flushByTime(flushMs * 1000));
  }

  private partition(topic: string, index: number): Partition {
    const key = `${topic}-${index}`;
    let p = this.partitions.get(key);
    if (p === undefined) {
      const log = new Log(this.ctx.machine, key, this.ctx.config.num("log.segment.bytes"));
      p = new Partition(this.ctx.id, topic, index, log, this, this.rules);
      p.highWatermark = Math.min(this.checkpointedHw.get(key) ?? 0, log.logEndOffset);
      p.minInsync = this.ctx.topicConfig(topic).num("min.insync.replicas");
      this.partitions.set(key, p);
    }
    return p;
  }

  // --- produce ---

  handleProduce(req: ProduceRequest, respond: (res: ProduceResponse) => void): void {
    const results: ProducePartitionResponse[] = [];
    const toWait: Array<{ p: Partition; requiredOffset: number; result: ProducePartitionResponse }> = [];
    const toFlush: Partition[] = [];
    for (const d of req.data) {
      const result: ProducePartitionResponse = { topic: d.topic, partition: d.partition, error: "NONE", baseOffset: -1 };
      results.push(result);
      const p = this.partitions.get(`${d.topic}-${d.partition}`);
      if (p === undefined || !p.isLeader) {
        result.error = "NOT_LEADER_OR_FOLLOWER";
        continue;
      }
      if (req.acks === -1 && p.isr.length < p.minInsync) {
        result.error = "NOT_ENOUGH_REPLICAS";
        this.ctx.machine.mark("produce: NOT_ENOUGH_REPLICAS (ISR below min.insync.replicas)");
        continue;
      }
      const b = d.batch;
      if (b.producerId >= 0) {
        const check = p.log.checkSequence(b.producerId, b.baseSequence);
        if (check.kind === "duplicate") {
          // Answered with the first append's offset, but only once that append is committed:
          // acks=all still waits for the high watermark (and min.insync.replicas) as for a new one.
          this.ctx.machine.mark("produce: duplicate batch answered with its first offset");
          result.baseOffset = check.baseOffset;
          if (req.acks === -1) toWait.push({ p, requiredOffset: check.endOffset, result });
          continue;
        }
        if (check.kind === "outOfOrder") {
          result.error = "OUT_OF_ORDER_SEQUENCE_NUMBER";
          continue;
        }
      }
      const batch: RecordBatch = { ...b, baseOffset: p.log.logEndOffset, leaderEpoch: p.leaderEpoch };
      p.log.append(batch);
      result.baseOffset = batch.baseOffset;
      this.onLeaderAppend(p);
      p.maybeIncrementHighWatermark();
      if (p.log.unflushedMessages >= this.flushMessages) toFlush.push(p);
      if (req.acks === -1) toWait.push({ p, requiredOffset: p.log.logEndOffset, result });
    }
    const finish = (): void => {
      if (req.acks === 0) return;
      if (toWait.length === 0) return respond({ partitions: results });
      this.delayProduce(req.timeoutMs * 1000, toWait, () => respond({ partitions: results }));
    };
    this.flushAll(toFlush, finish);
  }

  /** DelayedProduce: answers when every partition's HW has passed its records, or at the timeout. */
  private delayProduce(timeoutUs: number, waits: Array<{ p: Partition; requiredOffset: number; result: ProducePartitionResponse }>, respond: () => void): void {
    let left = waits.length;
    let finished = false;
    const m = this.ctx.machine;
    const entries = waits.map((w) => ({
      requiredOffset: w.requiredOffset,
      settled: false,
      complete(error: ErrorCode): void {
        if (this.settled || finished) return;
        this.settled = true;
        w.result.error = error;
        if (--left === 0) {
          finished = true;
          m.cancelTimer(timer);
          respond();
        }
      },
    }));
    const timer = m.setTimer(timeoutUs, () => {
      if (finished) return;
      finished = true;
      waits.forEach((w, i) => {
        if (!entries[i].settled) {
          w.result.error = "REQUEST_TIMED_OUT";
          w.p.forget(entries[i]);
        }
      });
      m.mark("produce: DelayedProduce timed out");
      respond();
    });
    waits.forEach((w, i) => w.p.await(entries[i]));
  }

  private flushAll(parts: Partition[], done: () => void): void {
    let left = parts.length;
    if (left === 0) return done();
    for (const p of parts) p.log.flush(() => --left === 0 && done());
  }

  // --- fetch (from followers) ---

  handleFetch(req: FetchRequest, respond: (res: FetchResponse) => void): void {
    const now = this.ctx.machine.now;
    for (const f of req.partitions) {
      const p = this.partitions.get(`${f.topic}-${f.partition}`);
      if (p !== undefined && p.isLeader && this.epochError(p, f.currentLeaderEpoch) === null && f.fetchOffset <= p.log.logEndOffset) {
        p.updateFollower(req.replicaId, f.fetchOffset, now);
      }
    }
    const read = (): FetchResponse => ({ partitions: req.partitions.map((f) => this.readPartition(f.topic, f.partition, f.fetchOffset, f.currentLeaderEpoch, req.maxBytes)) });
    const first = read();
    const bytes = first.partitions.reduce((s, r) => s + r.batches.reduce((t, b) => t + b.bytes, 0), 0);
    const errors = first.partitions.some((r) => r.error !== "NONE");
    if (bytes >= req.minBytes || errors || req.maxWaitMs === 0) return respond(first);
    // DelayedFetch: wait for new data on any of the partitions, or replica.fetch.wait.max.ms.
    const parked: ParkedFetch = {
      done: false,
      respond: () => {
        if (parked.done) return;
        parked.done = true;
        this.ctx.machine.cancelTimer(timer);
        respond(read());
      },
    };
    const timer = this.ctx.machine.setTimer(req.maxWaitMs * 1000, () => parked.respond());
    for (const f of req.partitions) {
      const key = `${f.topic}-${f.partition}`;
      let list = this.parkedFetches.get(key);
      if (list === undefined) this.parkedFetches.set(key, (list = []));
      else if (list.length > 16) list = list.filter((x) => !x.done);
      this.parkedFetches.set(key, list);
      list.push(parked);
    }
  }

  /** KIP-320: a fetch names the leader epoch it believes in. */
  private epochError(p: Partition, currentLeaderEpoch: number): ErrorCode | null {
    if (currentLeaderEpoch < 0 || !this.ctx.behaviour.fetchLeaderEpoch) return null;
    if (currentLeaderEpoch < p.leaderEpoch) return "FENCED_LEADER_EPOCH";
    if (currentLeaderEpoch > p.leaderEpoch) return "UNKNOWN_LEADER_EPOCH";
    return null;
  }

  private readPartition(topic: string, index: number, offset: number, currentLeaderEpoch: number, maxBytes: number): FetchPartitionResponse {
    const p = this.partitions.get(`${topic}-${index}`);
    const r: FetchPartitionResponse = { topic, partition: index, error: "NONE", highWatermark: -1, logEndOffset: -1, batches: [] };
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
    const list = this.parkedFetches.get(p.key);
    if (list === undefined || list.length === 0) return;
    this.parkedFetches.set(p.key, []);
    for (const f of list) f.respond();
  }

  handleOffsetsForLeaderEpoch(req: OffsetsForLeaderEpochRequest): EpochEndOffset[] {
    return req.partitions.map((q) => {
      const p = this.partitions.get(`${q.topic}-${q.partition}`);
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
  handleLeaderAndIsr(req: LeaderAndIsrRequest): ControllerResponse {
    const stale = this.staleController(req.controllerEpoch, req.brokerEpoch);
    if (stale !== null) return { error: stale };
    const now = this.ctx.machine.now;
    for (const s of req.partitionStates) {
      const p = this.partition(s.topic, s.partition);
      if (s.leaderEpoch <= p.leaderEpoch && p.leader >= 0) continue;
      // ReplicaManager.makeFollowers: a follower changes nothing while its new leader is not alive in
      // the metadata cache (leader -1 included); a later LeaderAndIsr with a live leader applies.
      if (s.leader !== this.ctx.id && !this.ctx.isBrokerAlive(s.leader)) {
        this.ctx.machine.mark("replica: LeaderAndIsr names a leader not alive in the metadata cache, skipped");
        continue;
      }
      const previousLeader = p.leader;
      this.removeFromFetcher(p);
      if (this.ctx.behaviour.alterIsrClearsPendingOnLeaderAndIsr) this.isrChanges.clearPending?.(p.key);
      if (s.leader === this.ctx.id) {
        p.makeLeader(s, now);
        this.ctx.observer.onBecomeLeader(this.ctx.id, p);
      } else {
        p.makeFollower(s);
        // Before KIP-101 a follower cuts its log back to its high watermark, and only when its
        // leader changed (0.10.2 ReplicaManager.makeFollowers: Partition.makeFollower returned false).
        if (!this.ctx.behaviour.leaderEpochTruncation && s.leader !== previousLeader) {
          const removed = p.log.truncateTo(p.highWatermark);
          if (removed > 0) this.onTruncated(p, removed, "high watermark");
        }
        if (s.leader >= 0) this.addToFetcher(p, s.leader);
      }
    }
    return { error: "NONE" };
  }

  handleStopReplica(req: StopReplicaRequest): ControllerResponse {
    const stale = this.staleController(req.controllerEpoch, req.brokerEpoch);
    if (stale !== null) return { error: stale };
    for (const q of req.partitions) {
      const p = this.partitions.get(`${q.topic}-${q.partition}`);
      if (p === undefined) continue;
      this.removeFromFetcher(p);
      p.stop();
    }
    return { error: "NONE" };
  }

  private fetcherKey(leader: number, p: Partition): string {
    // AbstractFetcherManager.getFetcherId: partitions spread over num.replica.fetchers threads.
    const n = this.ctx.config.num("num.replica.fetchers");
    return `${leader}:${(p.index + hashString(p.topic)) % n}`;
  }

  private addToFetcher(p: Partition, leader: number): void {
    const host = this.ctx.hostOf(leader);
    if (host === undefined) return;
    const key = this.fetcherKey(leader, p);
    let f = this.fetchers.get(key);
    if (f === undefined) {
      f = new ReplicaFetcher(this.ctx.endpoint, leader, host, this.fetcherSettings, {
        onFollowerAppend: (q) => {
          if (q.log.unflushedMessages >= this.flushMessages) q.log.flush(() => undefined);
        },
        onTruncated: (q, n, why) => this.onTruncated(q, n, why),
      });
      this.fetchers.set(key, f);
    }
    f.add(p);
  }

  private removeFromFetcher(p: Partition): void {
    for (const f of this.fetchers.values()) f.remove(p.key);
  }

  private onTruncated(p: Partition, records: number, reason: string): void {
    this.ctx.observer.onTruncated(this.ctx.id, p, records, reason);
  }

  shutdown(): void {
    this.isrChanges.shutdown();
    for (const f of this.fetchers.values()) f.shutdown();
    this.fetchers.clear();
    for (const p of this.partitions.values()) p.stop();
  }

  // --- ISR changes ---

  requestIsrChange(p: Partition, isr: number[]): void {
    this.ctx.machine.mark(isr.length > p.isr.length ? "isr: leader expands the ISR" : "isr: leader shrinks the ISR");
    this.isrChanges.submit(p, isr);
  }

  onLeaderHighWatermark(p: Partition, previous: number): void {
    this.ctx.observer.onLeaderHighWatermark(this.ctx.id, p, previous);
  }

  private isrExpiration(): void {
    for (const p of this.partitions.values()) p.maybeShrinkIsr();
    this.ctx.machine.setTimer(this.lagUs / 2, () => this.isrExpiration());
  }

  private checkpointHighWatermarks(intervalUs: number): void {
    const snapshot = new Map<string, number>();
    for (const [k, p] of this.partitions) snapshot.set(k, p.highWatermark);
    this.ctx.machine.write(this.checkpoint, 16 + 24 * snapshot.size, snapshot);
    // Only the latest durable snapshot and newer ones matter: keep the list from growing.
    const c = this.checkpoint.contents;
    if (c.length > 64) {
      let lastDurable = -1;
      for (let i = 0; i < c.length; i++) if (c[i].end <= this.checkpoint.durable) lastDurable = i;
      if (lastDurable > 0) c.splice(0, lastDurable);
    }
    this.ctx.machine.setTimer(intervalUs, () => this.checkpointHighWatermarks(intervalUs));
  }

  private flushByTime(intervalUs: number): void {
    for (const p of this.partitions.values()) if (p.log.unflushedMessages > 0) p.log.flush(() => undefined);
    this.ctx.machine.setTimer(intervalUs, () => this.flushByTime(intervalUs));
  }
}

function hashString(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (31 * h + s.charCodeAt(i)) | 0;
  return Math.abs(h);
}
