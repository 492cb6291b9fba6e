/**
 * A member's session timer at the group coordinator (kafka.coordinator.group.DelayedHeartbeat, in
 * the heartbeat purgatory): every heartbeat, join, sync or offset commit renews it
 * (completeAndScheduleNextHeartbeatExpiration); if nothing does, the member expires
 * (onExpireHeartbeat) and is removed from its group, which rebalances.
 */
import type { GroupCoordinator } from "./GroupCoordinator.js";
import type { GroupMetadata, MemberMetadata } from "./GroupMetadata.js";

/** completeAndScheduleNextHeartbeatExpiration: the member is removed if nothing renews this. */
export function scheduleHeartbeatExpiration(gc: GroupCoordinator, g: GroupMetadata, m: MemberMetadata, timeoutMs: number): void {
  cancelHeartbeat(gc, m);
  m.heartbeat = gc.d.machine.setTimer(timeoutMs * 1000, () => {
    m.heartbeat = null;
    if (g.members.get(m.memberId) !== m || g.is("Dead")) return;
    // A member waiting in JoinGroup or SyncGroup is alive: up to 2.1 any (shouldKeepMemberAlive), from
    // 2.2 a new one only until NewMemberJoinTimeoutMs (MemberMetadata.shouldKeepAlive).
    const keptJoining = m.awaitingJoin !== null && (!m.isNew || !gc.d.behaviour.memberIdRequired);
    if (keptJoining || m.awaitingSync !== null) return scheduleHeartbeatExpiration(gc, g, m, m.sessionTimeoutMs);
    gc.d.machine.mark("group: member session expired");
    gc.d.machine.trace("group-member-expired", { group: g.groupId, member: m.memberId });
    gc.removeMemberAndUpdateGroup(g, m, `member ${m.memberId} session expired`);
  });
}

export function cancelHeartbeat(gc: GroupCoordinator, m: MemberMetadata): void {
  if (m.heartbeat !== null) gc.d.machine.cancelTimer(m.heartbeat);
  m.heartbeat = null;
}
