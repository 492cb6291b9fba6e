/**
 * The consumer's offset commits, as ConsumerCoordinator drives them: the auto-commit from poll()
 * (maybeAutoCommitOffsetsAsync), the application's commitSync / commitAsync, close()'s commit,
 * and onJoinPrepare's commits before a rebalance (the auto-commit, then the rebalance listener's)
 * with, per release, whether poll() may return records meanwhile. The OffsetCommit itself and what
 * its errors do to the membership are OffsetRequests.ts's.
 */
import type { Machine } from "../../../Machine.js";
import type { ErrorCode } from "../../common/protocol.js";
import type { ConsumerCoordinator } from "./ConsumerCoordinator.js";
import type { SubscriptionState } from "./SubscriptionState.js";
import type { ConsumerSpec } from "./KafkaConsumer.js";

/** KafkaConsumer.DEFAULT_CLOSE_TIMEOUT_MS (every release): close() waits this long for its commit. */
const CLOSE_TIMEOUT_US = 30_000_000;

type Offsets = ReturnType<SubscriptionState["allConsumed"]>;

/** RetriableCommitFailedException's causes: a commit retried after retry.backoff.ms. */
function retriableCommitError(error: ErrorCode): boolean {
  return error === "COORDINATOR_NOT_AVAILABLE" || error === "NOT_COORDINATOR" || error === "REQUEST_TIMED_OUT" || error === "COORDINATOR_LOAD_IN_PROGRESS" || error === "NETWORK_EXCEPTION";
}

export interface CommitsDeps {
  machine: Machine;
  spec: ConsumerSpec;
  coordinator: ConsumerCoordinator;
  subscriptions: SubscriptionState;
  protocol: "EAGER" | "COOPERATIVE";
  closed(): boolean;
  wake(): void;
  onFatal(why: string): void;
}

export class ConsumerCommits {
  /**
   * Commits under way during which poll() returns no records: a commitSync in onJoinPrepare or in
   * the rebalance listener blocks the poll thread; from 3.3 an eager member's partitions are pending
   * revocation while its async auto-commit is out (KAFKA-14196).
   */
  recordsHeld = 0;
  private nextAutoCommitUs: number;
  readonly autoCommit: boolean;
  private readonly retryBackoffUs: number;

  constructor(private readonly d: CommitsDeps) {
    const c = d.spec.config;
    this.autoCommit = c.bool("enable.auto.commit");
    this.retryBackoffUs = c.num("retry.backoff.ms") * 1000;
    this.nextAutoCommitUs = d.machine.now + c.num("auto.commit.interval.ms") * 1000;
  }

  private report(offsets: Offsets, error: ErrorCode, how: "auto" | "sync" | "async"): void {
    this.d.spec.observer.onCommit(this.d.spec.groupId, this.d.spec.clientId, offsets, error, how);
  }

  /** A new assignment starts the auto-commit interval over. */
  resetAutoCommitTimer(): void {
    this.nextAutoCommitUs = this.d.machine.now + this.d.spec.config.num("auto.commit.interval.ms") * 1000;
  }

  /**
   * maybeAutoCommitOffsetsAsync, from poll() with a known coordinator and no join pending: a
   * retriable failure brings the next one forward to retry.backoff.ms (doAutoCommitOffsetsAsync,
   * every release).
   */
  maybeAutoCommit(now: number): void {
    if (!this.autoCommit || now < this.nextAutoCommitUs) return;
    this.resetAutoCommitTimer();
    const offsets = this.d.subscriptions.allConsumed();
    this.d.coordinator.commit(offsets, (error) => {
      this.report(offsets, error, "auto");
      if (retriableCommitError(error)) this.nextAutoCommitUs = Math.min(this.nextAutoCommitUs, this.d.machine.now + this.retryBackoffUs);
    });
  }

  /** The application's commitSync(): default.api.timeout.ms from 2.0 (KIP-266); before, it waits without bound. */
  syncDeadline(): { deadlineUs: number; how: "sync" } {
    const c = this.d.spec.config;
    return { deadlineUs: c.has("default.api.timeout.ms") ? this.d.machine.now + c.num("default.api.timeout.ms") * 1000 : Infinity, how: "sync" };
  }

  /**
   * A commit of the positions (commitOffsetsSync), retried while the error is retriable, until the
   * deadline. The application's FENCED_INSTANCE_ID is thrown, and it does not catch it.
   */
  commitPositions(done: () => void, opts: { deadlineUs: number; how: "auto" | "sync" }, offsets = this.d.subscriptions.allConsumed()): void {
    const co = this.d.coordinator;
    const attempt = (): void => {
      if (this.d.closed()) return;
      co.commit(offsets, (error) => {
        this.report(offsets, error, opts.how);
        if (error === "FENCED_INSTANCE_ID" && opts.how === "sync") return this.d.onFatal("FencedInstanceIdException from commitSync");
        if (error === "NONE" || !retriableCommitError(error) || this.d.machine.now >= opts.deadlineUs) return done();
        if (!co.coordinatorKnown) co.lookupCoordinator();
        this.d.machine.setTimer(this.retryBackoffUs, attempt);
      });
    };
    attempt();
  }

  commitAsync(offsets: Offsets): void {
    this.d.coordinator.commit(offsets, (error) => this.report(offsets, error, "async"));
  }

  /** close(): the auto-commit, within the close timeout. */
  commitOnClose(done: () => void): void {
    if (!this.autoCommit) return done();
    this.commitPositions(done, { deadlineUs: this.d.machine.now + CLOSE_TIMEOUT_US, how: "auto" });
  }

  /** Records stay with the consumer until the returned release() is called. */
  hold(): () => void {
    this.recordsHeld++;
    return () => {
      this.recordsHeld--;
      this.d.wake();
    };
  }

  /**
   * onJoinPrepare: the auto-commit as the release does it (Behaviour.joinPrepareAutoCommit), bounded
   * by the rebalance timeout (max.poll.interval.ms); then, for an eager member, the rebalance
   * listener's commitSync of what it gives up; then the revoke and the JoinGroup. A cooperative
   * member's listener runs only in onJoinComplete, for what the assignment takes away.
   */
  joinPrepare(revoke: () => void, join: () => void, notYet: () => void): void {
    const rule = this.d.spec.behaviour.joinPrepareAutoCommit;
    const eager = this.d.protocol === "EAGER";
    if (!this.autoCommit) return this.listenerCommit(eager, () => (revoke(), join()));
    if (rule === "async-revoke-first") return this.asyncRevokeFirst(eager, revoke, join, notYet);
    // Up to 3.1 commitSync blocks poll(); from 3.3 an eager member's partitions are pending revocation.
    const release = rule === "sync" || eager ? this.hold() : (): void => undefined;
    const rebalance = { deadlineUs: this.d.machine.now + this.d.spec.config.num("max.poll.interval.ms") * 1000, how: "auto" as const };
    // Released only once the partitions are revoked: a poll() in between would return their records.
    this.commitPositions(() => this.listenerCommit(eager, () => (revoke(), release(), join())), rebalance);
  }

  /**
   * 3.2.0's onJoinPrepare (KAFKA-13310): every call sends a new async auto-commit of the consumed
   * positions, revokes as the protocol does, and lets the JoinGroup go only when that call had
   * nothing to commit (a commit just sent cannot have completed); otherwise joinGroupIfNeeded runs
   * it again at the next poll. An eager member has given everything up after the first call and
   * joins at the next. A cooperative member keeps its partitions, so it commits at every poll and
   * never rejoins: the coordinator completes the rebalance without it after the rebalance timeout
   * and it learns from its next heartbeat that it was dropped (KAFKA-14024, fixed in 3.2.1 / 3.3.0).
   */
  private asyncRevokeFirst(eager: boolean, revoke: () => void, join: () => void, notYet: () => void): void {
    const offsets = this.d.subscriptions.allConsumed();
    // Done at once: nothing to commit, or the commit ended without a request (the coordinator is
    // unknown: a null future; not STABLE: a non-retriable failure), and onJoinPrepare returns true.
    let completed = offsets.length === 0;
    if (!completed) {
      let sending = true;
      this.d.coordinator.commit(offsets, (error) => {
        this.report(offsets, error, "auto");
        if (sending) completed = true;
        // The answer ends the application's wait in poll(), which runs onJoinPrepare again.
        else this.d.wake();
      });
      sending = false;
      if (!completed) this.d.machine.mark("consumer: 3.2.0 onJoinPrepare sent an async auto-commit and returned false");
    }
    this.listenerCommit(eager, () => {
      revoke();
      if (completed) join();
      else notYet();
    });
  }

  /** An eager member's onPartitionsRevoked in onJoinPrepare: with commitOnRevoke, a commitSync of the positions. */
  private listenerCommit(eager: boolean, then: () => void): void {
    if (!eager || !this.d.spec.commitOnRevoke) return then();
    const release = this.hold();
    this.commitPositions(() => {
      then();
      release();
    }, this.syncDeadline());
  }

  /** A cooperative member's onPartitionsRevoked after the assignment: a commitSync of what it gives up. */
  commitRevoked(offsets: Offsets): void {
    this.commitPositions(this.hold(), this.syncDeadline(), offsets);
  }
}
