/**
 * The rebalance timers of the group coordinator (kafka.coordinator.group.DelayedJoin and
 * InitialDelayedJoin, in the rebalance purgatory): a PreparingRebalance group waits the members'
 * longest rebalance timeout for them to rejoin, completing early once all have (DelayedJoin's
 * tryComplete, GroupCoordinator.tryCompleteJoin); an Empty group first waits
 * group.initial.rebalance.delay.ms (InitialDelayedJoin, 0.11+, KIP-134), which never completes
 * early. On expiry the join completes (GroupCoordinator.onCompleteJoin).
 */
import type { GroupCoordinator } from "./GroupCoordinator.js";
import type { GroupMetadata } from "./GroupMetadata.js";

/** DelayedJoin: onCompleteJoin once the group's rebalance timeout passes. */
export function delayedJoin(gc: GroupCoordinator, g: GroupMetadata): void {
  g.joinTimer = gc.d.machine.setTimer(g.rebalanceTimeoutMs * 1000, () => {
    g.joinTimer = null;
    gc.onCompleteJoin(g);
  });
}

/** InitialDelayedJoin never completes early; on expiry it waits again (min(delay, remaining)) if members joined meanwhile. */
export function initialDelayedJoin(gc: GroupCoordinator, g: GroupMetadata, delayMs: number, remainingMs: number): void {
  g.initialDelay = true;
  g.joinTimer = gc.d.machine.setTimer(Math.max(0, delayMs) * 1000, () => {
    g.joinTimer = null;
    if (g.newMemberAdded && remainingMs !== 0) {
      g.newMemberAdded = false;
      const delay = Math.min(delayMs, remainingMs);
      return initialDelayedJoin(gc, g, delay, Math.max(remainingMs - delay, 0));
    }
    gc.onCompleteJoin(g);
  });
}

export function tryCompleteJoin(gc: GroupCoordinator, g: GroupMetadata): void {
  // An InitialDelayedJoin (generation 0 waiting its delay) does not complete early.
  if (!g.is("PreparingRebalance") || g.joinTimer === null || !g.hasAllMembersJoined || inInitialDelay(g)) return;
  clearJoinTimer(gc, g);
  gc.onCompleteJoin(g);
}

function inInitialDelay(g: GroupMetadata): boolean {
  return g.initialDelay;
}

export function clearJoinTimer(gc: GroupCoordinator, g: GroupMetadata): void {
  if (g.joinTimer !== null) gc.d.machine.cancelTimer(g.joinTimer);
  g.joinTimer = null;
}
