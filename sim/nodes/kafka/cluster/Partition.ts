/**
 * One partition as a broker holds it (kafka.cluster.Partition): its log, its role (leader or
 * follower) in a leader epoch, the ISR and the high watermark. As leader it tracks each
 * follower's fetch position (ReplicaState), grows and shrinks the ISR and completes the produce
 * requests waiting in purgatory for the high watermark.
 */
import type { IsrChangeOutcome } from "../server/IsrChangeManager.js";
import type { Log } from "../log/Log.js";
import type { ErrorCode, PartitionState } from "../common/protocol.js";
import { NO_LEADER } from "../common/protocol.js";
import { partitionKey } from "../common/partitionKey.js";
import type { Behaviour } from "../common/versions.js";

export interface FollowerState {
  readonly replicaId: number;
  /** -1 until the follower's first fetch in this leader epoch. */
  logEndOffset: number;
  /** -Infinity: never caught up in this leader epoch. */
  lastCaughtUpUs: number;
  lastFetchLeaderLogEndOffset: number;
  lastFetchUs: number;
}

/** A produce waiting for the high watermark (one partition of a DelayedProduce). */
export interface WaitingProduce {
  requiredOffset: number;
  complete(error: ErrorCode): void;
}

export interface PartitionObserver {
  /** The high watermark moved on a leader (for the invariant checks). */
  onLeaderHighWatermark(p: Partition, previous: number): void;
  /** The leader proposes an ISR change (it stays pending until onIsrChangeOutcome). */
  requestIsrChange(p: Partition, isr: number[]): void;
  /** New data on a leader: parked fetches may complete. */
  onLeaderAppend(p: Partition): void;
}

/** What the partition needs of its broker besides its log: the clock, the rules of its version, who is alive. */
export interface PartitionRules {
  behaviour: Behaviour;
  lagTimeMaxUs: number;
  now(): number;
  /** The broker's metadata cache knows this broker as alive (ZkMetadataCache.hasAliveBroker). */
  isBrokerAlive(id: number): boolean;
}

export class Partition {
  leader = NO_LEADER;
  leaderEpoch = -1;
  zkVersion = -1;
  controllerEpoch = -1;
  replicas: number[] = [];
  isr: number[] = [];
  /**
   * An ISR change proposed and not committed (IsrState PendingExpandIsr / PendingShrinkIsr): no
   * other change starts meanwhile, and the high watermark waits for the larger of both ISRs.
   */
  pendingIsr: number[] | null = null;
  highWatermark = 0;
  /** KAFKA-7128: the log end offset when this broker became leader (leaderEpochStartOffsetOpt). */
  leaderEpochStartOffset = -1;
  readonly followers = new Map<number, FollowerState>();
  private waiting: WaitingProduce[] = [];

  constructor(
    readonly brokerId: number,
    readonly topic: string,
    readonly index: number,
    readonly log: Log,
    private readonly observer: PartitionObserver,
    private readonly rules: PartitionRules,
  ) {}

  /** Built once: the fetch and produce paths ask for it on every request, and look maps up by it. */
  private keyString: string | undefined;

  get key(): string {
    return (this.keyString ??= partitionKey(this.topic, this.index));
  }

  get isLeader(): boolean {
    return this.leader === this.brokerId;
  }

  /** Applies a LeaderAndIsr state in which this broker leads (Partition.makeLeader). */
  makeLeader(s: PartitionState, nowUs: number): void {
    const wasLeader = this.isLeader;
    this.applyState(s);
    const leo = this.log.logEndOffset;
    this.leaderEpochStartOffset = leo;
    if (this.rules.behaviour.epochAssignedAtMakeLeader) this.log.assignEpochStartOffset(s.leaderEpoch, leo);
    const known = this.followers;
    const followers = new Map<number, FollowerState>();
    for (const r of s.replicas) {
      if (r === this.brokerId) continue;
      // ISR followers count as caught up now, the others as never (KAFKA-4485, 0.10.2); where
      // it already led, the leader keeps what it knows of their logs (makeLeader: isNewLeader).
      const logEndOffset = wasLeader ? (known.get(r)?.logEndOffset ?? -1) : -1;
      followers.set(r, { replicaId: r, logEndOffset, lastCaughtUpUs: s.isr.includes(r) ? nowUs : -Infinity, lastFetchLeaderLogEndOffset: leo, lastFetchUs: nowUs });
    }
    known.clear();
    for (const [r, f] of followers) known.set(r, f);
    if (this.highWatermark > leo) this.highWatermark = leo;
    this.maybeIncrementHighWatermark();
  }

  /** Applies a LeaderAndIsr state in which another broker leads (or none does). */
  makeFollower(s: PartitionState): void {
    this.applyState(s);
    this.followers.clear();
    this.leaderEpochStartOffset = -1;
    this.failWaiting("NOT_LEADER_OR_FOLLOWER");
  }

  /** StopReplica, or the broker shutting down: the replica stops serving. */
  stop(): void {
    this.leader = NO_LEADER;
    this.followers.clear();
    this.failWaiting("NOT_LEADER_OR_FOLLOWER");
  }

  private applyState(s: PartitionState): void {
    this.leader = s.leader;
    this.leaderEpoch = s.leaderEpoch;
    this.isr = s.isr.slice();
    this.replicas = s.replicas.slice();
    this.zkVersion = s.zkVersion;
    this.controllerEpoch = s.controllerEpoch;
    this.pendingIsr = null;
  }

  /** The ISR the high watermark must wait for: while a change is in flight, the larger one (KIP-497's rule). */
  private maximalIsr(): number[] {
    if (this.pendingIsr === null) return this.isr;
    return this.pendingIsr.length > this.isr.length ? this.pendingIsr : this.isr;
  }

  /** Leader: a follower fetched at fetchOffset (ReplicaState.updateFetchState). */
  updateFollower(replicaId: number, fetchOffset: number, nowUs: number): void {
    const f = this.followers.get(replicaId);
    if (f === undefined) return;
    const leo = this.log.logEndOffset;
    if (fetchOffset >= leo) f.lastCaughtUpUs = Math.max(f.lastCaughtUpUs, nowUs);
    else if (fetchOffset >= f.lastFetchLeaderLogEndOffset) f.lastCaughtUpUs = Math.max(f.lastCaughtUpUs, f.lastFetchUs);
    f.lastFetchLeaderLogEndOffset = leo;
    f.lastFetchUs = nowUs;
    f.logEndOffset = fetchOffset;
    this.maybeExpandIsr(replicaId, f);
    this.maybeIncrementHighWatermark();
  }

  /**
   * A follower that reached the high watermark rejoins the ISR (Partition.maybeExpandIsr); from
   * 2.0.1 (KAFKA-7128) it must also have reached the offset where this leader's epoch started.
   */
  private maybeExpandIsr(replicaId: number, f: FollowerState): void {
    if (this.pendingIsr !== null || this.isr.includes(replicaId)) return;
    if (f.logEndOffset < this.highWatermark) return;
    if (this.rules.behaviour.isrNeedsEpochStart && f.logEndOffset < this.leaderEpochStartOffset) return;
    // KIP-841 (3.3) Partition.isReplicaIsrEligible, ZooKeeper mode: the follower's broker is alive.
    if (this.rules.behaviour.ineligibleReplicaCheck && !this.rules.isBrokerAlive(replicaId)) return;
    this.proposeIsr([...this.isr, replicaId].sort((a, b) => a - b));
  }

  /**
   * Followers that have not caught up for replica.lag.time.max.ms leave the ISR
   * (Partition.getOutOfSyncReplicas); from 2.1 (KAFKA-7152) one at the leader's log end offset
   * never does.
   */
  maybeShrinkIsr(): void {
    if (!this.isLeader || this.pendingIsr !== null) return;
    const now = this.rules.now();
    const leo = this.log.logEndOffset;
    const out = this.isr.filter((r) => {
      if (r === this.brokerId) return false;
      const f = this.followers.get(r);
      if (f === undefined) return true;
      if (this.rules.behaviour.followerAtLogEndInSync && f.logEndOffset === leo) return false;
      return now - f.lastCaughtUpUs > this.rules.lagTimeMaxUs;
    });
    if (out.length === 0) return;
    this.proposeIsr(this.isr.filter((r) => !out.includes(r)));
  }

  private proposeIsr(isr: number[]): void {
    this.pendingIsr = isr;
    this.observer.requestIsrChange(this, isr);
  }

  /** The ISR change was committed, dropped (the ISR stays) or is stuck pending until the next LeaderAndIsr. */
  onIsrChangeOutcome(o: IsrChangeOutcome): void {
    if (this.pendingIsr === null || o.kind === "stuck") return;
    this.pendingIsr = null;
    if (o.kind === "committed") {
      this.isr = o.isr.slice();
      this.zkVersion = o.zkVersion;
    }
    this.maybeIncrementHighWatermark();
  }

  /**
   * HW = the smallest log end offset over the (maximal) ISR and over the replicas outside it that
   * caught up within replica.lag.time.max.ms (KAFKA-4485, 0.10.2), of live brokers only from 3.6
   * (KAFKA-15021). It never moves back.
   */
  maybeIncrementHighWatermark(): void {
    if (!this.isLeader) return;
    let hw = this.log.logEndOffset;
    // At the log end already (an idle partition, asked on every follower fetch): it cannot rise.
    if (hw <= this.highWatermark) return this.completeWaiting();
    const isr = this.maximalIsr();
    const now = this.rules.now();
    // Over the values, not [id, state] entries: this runs on every follower fetch and every append.
    for (const f of this.followers.values()) {
      if (f.logEndOffset >= hw) continue;
      const r = f.replicaId;
      const holds = isr.includes(r) || (now - f.lastCaughtUpUs <= this.rules.lagTimeMaxUs && (!this.rules.behaviour.hwIgnoresDeadCaughtUpReplicas || this.rules.isBrokerAlive(r)));
      if (holds) hw = f.logEndOffset;
    }
    for (const r of isr) if (r !== this.brokerId && !this.followers.has(r)) hw = -1;
    if (hw > this.highWatermark) {
      const previous = this.highWatermark;
      this.highWatermark = hw;
      this.observer.onLeaderHighWatermark(this, previous);
    }
    this.completeWaiting();
  }

  /** Leader: parks an acks=all produce until the high watermark passes requiredOffset. */
  await(w: WaitingProduce): void {
    this.waiting.push(w);
    this.completeWaiting();
  }

  /** DelayedProduce.tryComplete: done once the HW has passed, with an error if the ISR is now too small. */
  private completeWaiting(): void {
    if (this.waiting.length === 0) return;
    let i = 0;
    while (i < this.waiting.length && this.waiting[i].requiredOffset <= this.highWatermark) i++;
    if (i === 0) return;
    const done = this.waiting.splice(0, i);
    // checkEnoughReplicasReachOffset: from 2.7 against the maximal ISR.
    const error: ErrorCode = this.maximalIsr().length < this.minInsync ? "NOT_ENOUGH_REPLICAS_AFTER_APPEND" : "NONE";
    for (const w of done) w.complete(error);
  }

  /** min.insync.replicas for this partition's topic; set by the replica manager. */
  minInsync = 1;

  forget(w: WaitingProduce): void {
    const i = this.waiting.indexOf(w);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  private failWaiting(error: ErrorCode): void {
    const all = this.waiting;
    this.waiting = [];
    for (const w of all) w.complete(error);
  }
}
