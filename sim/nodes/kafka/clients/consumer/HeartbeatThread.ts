/**
 * The consumer's heartbeat thread (AbstractCoordinator.HeartbeatThread and Heartbeat, KIP-62): no
 * heartbeat answered for session.timeout.ms marks the coordinator unknown; no poll() for
 * max.poll.interval.ms makes the member leave (maybeLeaveGroup: a LeaveGroup from a dynamic member;
 * a static one, 2.3+, only resets itself); else a heartbeat every heartbeat.interval.ms while STABLE
 * (and, 2.7+, while COMPLETING_REBALANCE). We leave out that the thread and the poll thread share a
 * lock: each round runs at one instant.
 */
import type { TimerHandle } from "../../../../Simulation.js";
import type { GroupErrorResponse } from "../../common/protocol.js";
import type { ConsumerCoordinator } from "./ConsumerCoordinator.js";

export class HeartbeatThread {
  private lastSendUs = -Infinity;
  /** The last heartbeat answered (or the join that started the session). */
  lastOkUs = 0;
  private inFlight = false;
  private timer: TimerHandle | null = null;
  private closed = false;

  constructor(
    private readonly co: ConsumerCoordinator,
    private readonly t: { sessionUs: number; pollUs: number; intervalUs: number; retryBackoffUs: number },
  ) {}

  start(): void {
    this.arm(0);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) this.co.machine.cancelTimer(this.timer);
    this.timer = null;
  }

  /**
   * HeartbeatThread.enable -> Heartbeat.resetTimeouts: the session and max.poll.interval.ms count
   * from now and the first heartbeat is one interval away. Up to 2.6 at the SyncGroup answer
   * (STABLE); from 2.7 at the JoinGroup answer (COMPLETING_REBALANCE) only.
   */
  resetTimeouts(): void {
    const now = this.co.machine.now;
    this.lastOkUs = now;
    this.lastSendUs = now;
    this.co.lastPollUs = now;
  }

  /** Heartbeat.failHeartbeat: the next heartbeat goes retry.backoff.ms after a failed one, not a whole interval. */
  private failHeartbeat(): void {
    this.lastSendUs = this.co.machine.now - this.t.intervalUs + this.t.retryBackoffUs;
  }

  private arm(delayUs: number): void {
    if (this.closed) return;
    if (this.timer !== null) this.co.machine.cancelTimer(this.timer);
    this.timer = this.co.machine.setTimer(Math.max(0, delayUs), () => {
      this.timer = null;
      this.tick();
    });
  }

  private tick(): void {
    const co = this.co;
    const now = co.machine.now;
    const { sessionUs, pollUs, intervalUs, retryBackoffUs } = this.t;
    const enabled = co.state === "STABLE" || (co.state === "COMPLETING_REBALANCE" && co.behaviour.heartbeatDuringCompletingRebalance);
    if (!enabled || !co.coordinatorKnown) return this.arm(intervalUs);
    if (now - this.lastOkUs >= sessionUs) {
      co.markCoordinatorUnknown("no heartbeat answered within session.timeout.ms");
      return this.arm(retryBackoffUs);
    }
    if (now - co.lastPollUs >= pollUs) {
      co.machine.mark("consumer: max.poll.interval.ms expired, member leaves the group");
      co.machine.trace("consumer-poll-timeout", { group: co.groupId, member: co.memberId });
      co.maybeLeaveGroup();
      return this.arm(intervalUs);
    }
    const due = this.lastSendUs + intervalUs;
    if (this.inFlight || due > now) return this.arm(Math.min(Math.max(due - now, retryBackoffUs), co.lastPollUs + pollUs - now, this.lastOkUs + sessionUs - now));
    this.send();
    this.arm(Math.min(intervalUs, co.lastPollUs + pollUs - now));
  }

  private send(): void {
    const co = this.co;
    this.lastSendUs = co.machine.now;
    this.inFlight = true;
    const generation = co.generation;
    co.sendHeartbeat((res) => {
      this.inFlight = false;
      if (this.closed) return;
      if (res === null) return this.failHeartbeat();
      this.onResponse(res, generation);
    });
  }

  /** HeartbeatResponseHandler and the thread's onFailure. */
  private onResponse(res: GroupErrorResponse, generation: number): void {
    const co = this.co;
    const b = co.behaviour;
    switch (res.error) {
      case "NONE":
        this.lastOkUs = co.machine.now;
        return;
      case "REBALANCE_IN_PROGRESS":
        // Counts as an answer for the session; from 2.7 ignored while COMPLETING_REBALANCE.
        this.lastOkUs = co.machine.now;
        if (co.state === "STABLE" || !b.heartbeatDuringCompletingRebalance) co.requestRejoin("heartbeat: REBALANCE_IN_PROGRESS");
        return;
      case "ILLEGAL_GENERATION":
      case "UNKNOWN_MEMBER_ID":
      case "FENCED_INSTANCE_ID": {
        // From 2.6 an answer to an older generation is ignored (generationUnchanged); before, it always acts.
        if (b.clientGenerationGuard && generation !== co.generation) return;
        // FENCED_INSTANCE_ID fails the heartbeat thread and the next poll() throws it (2.3+;
        // AbstractCoordinator.pollHeartbeat comes before any join), so no JoinGroup goes out first.
        if (res.error === "FENCED_INSTANCE_ID") return co.fatal("FencedInstanceIdException from a heartbeat");
        return co.resetGeneration(res.error === "ILLEGAL_GENERATION");
      }
      default:
        this.failHeartbeat();
        co.onCoordinatorError(res.error);
    }
  }
}
