/**
 * One partition as a broker holds it (kafka.cluster.Partition): its log, its role (leader or
 * follower) in a leader epoch, the ISR and the high watermark. As leader it tracks each
 * follower's fetch position (ReplicaState), grows and shrinks the ISR and completes the produce
 * requests waiting in purgatory for the high watermark.
 */
import type { Log } from "./Log.js";
import type { ErrorCode, PartitionState } from "./protocol.js";
import { NO_LEADER } from "./protocol.js";

export interface FollowerState {
  /** -1 until the follower's first fetch in this leader epoch. */
  logEndOffset: number;
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
  /** The leader wants the ISR changed in ZooKeeper (conditional on zkVersion). */
  requestIsrChange(p: Partition, isr: number[]): void;
  /** New data on a leader: parked fetches may complete. */
  onLeaderAppend(p: Partition): void;
}

export class Partition {
  leader = NO_LEADER;
  leaderEpoch = -1;
  zkVersion = -1;
  controllerEpoch = -1;
  replicas: number[] = [];
  isr: number[] = [];
  /** An ISR change sent to ZooKeeper and not yet answered; the HW honours the larger of both. */
  pendingIsr: number[] | null = null;
  highWatermark = 0;
  readonly followers = new Map<number, FollowerState>();
  private waiting: WaitingProduce[] = [];

  constructor(
    readonly brokerId: number,
    readonly topic: string,
    readonly index: number,
    readonly log: Log,
    private readonly observer: PartitionObserver,
  ) {}

  get key(): string {
    return `${this.topic}-${this.index}`;
  }

  get isLeader(): boolean {
    return this.leader === this.brokerId;
  }

  /** Applies a LeaderAndIsr state in which this broker leads (Partition.makeLeader). */
  makeLeader(s: PartitionState, nowUs: number): void {
    this.applyState(s);
    this.followers.clear();
    const leo = this.log.logEndOffset;
    for (const r of s.replicas) {
      if (r === this.brokerId) continue;
      // A new leader counts its ISR followers as caught up now (ReplicaState.resetReplicaState).
      this.followers.set(r, { logEndOffset: -1, lastCaughtUpUs: s.isr.includes(r) ? nowUs : 0, lastFetchLeaderLogEndOffset: leo, lastFetchUs: nowUs });
    }
    if (this.highWatermark > leo) this.highWatermark = leo;
    this.maybeIncrementHighWatermark();
  }

  /** Applies a LeaderAndIsr state in which another broker leads (or none does). */
  makeFollower(s: PartitionState): void {
    this.applyState(s);
    this.followers.clear();
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
  updateFollower(replicaId: number, fetchOffset: number, nowUs: number, lagTimeMaxUs: number): void {
    const f = this.followers.get(replicaId);
    if (f === undefined) return;
    const leo = this.log.logEndOffset;
    if (fetchOffset >= leo) f.lastCaughtUpUs = Math.max(f.lastCaughtUpUs, nowUs);
    else if (fetchOffset >= f.lastFetchLeaderLogEndOffset) f.lastCaughtUpUs = Math.max(f.lastCaughtUpUs, f.lastFetchUs);
    f.lastFetchLeaderLogEndOffset = leo;
    f.lastFetchUs = nowUs;
    f.logEndOffset = fetchOffset;
    this.maybeExpandIsr(replicaId, f, nowUs, lagTimeMaxUs);
    this.maybeIncrementHighWatermark();
  }

  /** A follower caught up to the high watermark, within the current epoch, rejoins the ISR. */
  private maybeExpandIsr(replicaId: number, f: FollowerState, nowUs: number, lagTimeMaxUs: number): void {
    if (this.pendingIsr !== null || this.isr.includes(replicaId)) return;
    const epochStart = this.log.epochs.length > 0 ? this.log.epochs[this.log.epochs.length - 1].startOffset : 0;
    if (f.logEndOffset >= this.highWatermark && f.logEndOffset >= epochStart && nowUs - f.lastCaughtUpUs <= lagTimeMaxUs) {
      this.pendingIsr = [...this.isr, replicaId].sort((a, b) => a - b);
      this.observer.requestIsrChange(this, this.pendingIsr);
    }
  }

  /** Followers that have not caught up for replica.lag.time.max.ms leave the ISR (Partition.maybeShrinkIsr). */
  maybeShrinkIsr(nowUs: number, lagTimeMaxUs: number): void {
    if (!this.isLeader || this.pendingIsr !== null) return;
    const out = this.isr.filter((r) => {
      if (r === this.brokerId) return false;
      const f = this.followers.get(r);
      return f === undefined || nowUs - f.lastCaughtUpUs > lagTimeMaxUs;
    });
    if (out.length === 0) return;
    this.pendingIsr = this.isr.filter((r) => !out.includes(r));
    this.observer.requestIsrChange(this, this.pendingIsr);
  }

  /** ZooKeeper answered the ISR change: applied (with the new zkVersion) or refused. */
  onIsrChangeResult(isr: number[], zkVersion: number | null): void {
    if (this.pendingIsr === null) return;
    this.pendingIsr = null;
    if (zkVersion !== null) {
      this.isr = isr;
      this.zkVersion = zkVersion;
    }
    this.maybeIncrementHighWatermark();
  }

  /** HW = the smallest log end offset over the ISR, never moving back. */
  maybeIncrementHighWatermark(): void {
    if (!this.isLeader) return;
    let hw = this.log.logEndOffset;
    for (const r of this.maximalIsr()) {
      if (r === this.brokerId) continue;
      const f = this.followers.get(r);
      const leo = f === undefined ? -1 : f.logEndOffset;
      if (leo < hw) hw = leo;
    }
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
    const error: ErrorCode = this.isr.length < this.minInsync ? "NOT_ENOUGH_REPLICAS_AFTER_APPEND" : "NONE";
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
