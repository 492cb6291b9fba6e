/**
 * JoinGroup at the group coordinator (GroupCoordinator.handleJoinGroup with doJoinGroup,
 * addMemberAndRebalance, updateStaticMemberAndRebalance and updateMemberAndRebalance): a new
 * member gets its id (MEMBER_ID_REQUIRED from 2.2, KIP-394) and joins, a known group.instance.id
 * takes a new id and fences the old one (KIP-345), a known member rejoins; the join then waits in
 * the DelayedJoin (DelayedJoin.ts) for the others.
 */
import type { ErrorCode, JoinGroupRequest, JoinGroupResponse } from "../../common/protocol.js";
import type { GroupCoordinator } from "./GroupCoordinator.js";
import { GroupMetadata, type MemberMetadata } from "./GroupMetadata.js";
import { tryCompleteJoin } from "./DelayedJoin.js";
import { cancelHeartbeat, scheduleHeartbeatExpiration } from "./DelayedHeartbeat.js";

/** GroupCoordinator.NewMemberJoinTimeoutMs (2.2+): a new member waiting in JoinGroup expires after 5 minutes, not its session timeout. */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;

const NO_GENERATION = -1;

/** A JoinGroup answered with an error (no generation, no members). */
export function joinError(error: ErrorCode, memberId: string): JoinGroupResponse {
  return { error, generationId: NO_GENERATION, protocolName: "", leader: "", memberId, members: [] };
}

/** GroupCoordinator.handleJoinGroup. */
export function handleJoinGroup(gc: GroupCoordinator, req: JoinGroupRequest, clientId: string, clientHost: string, respond: (r: JoinGroupResponse) => void): void {
  const fail = (error: ErrorCode, memberId = req.memberId): void => respond({ error, generationId: gc.d.behaviour.memberIdRequired ? NO_GENERATION : 0, protocolName: "", leader: "", memberId, members: [] });
  const status = gc.statusError(req.groupId);
  if (status !== null) return fail(status);
  const c = gc.d.config;
  if (req.sessionTimeoutMs < c.num("group.min.session.timeout.ms") || req.sessionTimeoutMs > c.num("group.max.session.timeout.ms")) return fail("INVALID_SESSION_TIMEOUT");
  let g = gc.groups.get(req.groupId);
  if (g === undefined) {
    if (req.memberId !== "") return fail("UNKNOWN_MEMBER_ID");
    gc.groups.set(req.groupId, (g = new GroupMetadata(req.groupId)));
  }
  if (g.is("Dead")) return fail(gc.d.behaviour.staticMembership ? "COORDINATOR_NOT_AVAILABLE" : "UNKNOWN_MEMBER_ID");
  if (!g.supportsProtocols(req.protocolType, req.protocols.map((p) => p.name))) return fail("INCONSISTENT_GROUP_PROTOCOL");
  if (req.memberId === "" || g.pendingMembers.has(req.memberId)) joinNewMember(gc, g, req, clientId, clientHost, respond, fail);
  else joinKnownMember(gc, g, req, respond, fail);
  if (g.is("PreparingRebalance")) tryCompleteJoin(gc, g);
}

function joinNewMember(gc: GroupCoordinator, g: GroupMetadata, req: JoinGroupRequest, clientId: string, clientHost: string, respond: (r: JoinGroupResponse) => void, fail: (e: ErrorCode, id?: string) => void): void {
  const instanceId = gc.d.behaviour.staticMembership ? req.groupInstanceId : null;
  if (instanceId !== null && req.memberId === "" && g.staticMembers.has(instanceId)) return replaceStaticMember(gc, g, req, instanceId, respond, fail);
  if (req.memberId !== "" && g.pendingMembers.has(req.memberId)) {
    g.pendingMembers.delete(req.memberId);
    return addMemberAndRebalance(gc, g, req, req.memberId, null, clientId, clientHost, respond);
  }
  const memberId = gc.newMemberId(clientId, instanceId);
  // KIP-394 (2.2, JoinGroup v4): a dynamic member first gets its id with MEMBER_ID_REQUIRED and
  // joins again with it; until then it is pending, and the join waits for it.
  if (gc.d.behaviour.memberIdRequired && instanceId === null) {
    gc.d.machine.mark("group: member id required");
    g.pendingMembers.add(memberId);
    gc.d.machine.setTimer(req.sessionTimeoutMs * 1000, () => {
      if (g.pendingMembers.delete(memberId) && g.is("PreparingRebalance")) tryCompleteJoin(gc, g);
    });
    return fail("MEMBER_ID_REQUIRED", memberId);
  }
  addMemberAndRebalance(gc, g, req, memberId, instanceId, clientId, clientHost, respond);
}

function addMemberAndRebalance(gc: GroupCoordinator, g: GroupMetadata, req: JoinGroupRequest, memberId: string, instanceId: string | null, clientId: string, clientHost: string, respond: (r: JoinGroupResponse) => void): void {
  // InitialDelayedJoin waits again for members that join a brand-new group during the delay.
  if (g.is("PreparingRebalance") && g.generationId === 0) g.newMemberAdded = true;
  const m: MemberMetadata = {
    memberId,
    groupInstanceId: instanceId,
    clientId,
    clientHost,
    sessionTimeoutMs: req.sessionTimeoutMs,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs,
    protocols: req.protocols,
    assignment: [],
    awaitingJoin: respond,
    awaitingSync: null,
    heartbeat: null,
    isNew: true,
  };
  g.members.set(memberId, m);
  if (g.leaderId === null) g.leaderId = memberId;
  if (instanceId !== null) g.staticMembers.set(instanceId, memberId);
  // 2.2+: a new member waiting to join expires after NewMemberJoinTimeoutMs; before, after its session timeout.
  scheduleHeartbeatExpiration(gc, g, m, gc.d.behaviour.memberIdRequired ? NEW_MEMBER_JOIN_TIMEOUT_MS : m.sessionTimeoutMs);
  gc.maybePrepareRebalance(g, `add member ${memberId}`);
}

/**
 * KIP-345: a known group.instance.id joining without a member id takes a new one, and the old
 * id's waiting requests are fenced. In Stable no rebalance follows: 2.3 - 2.6 answer at once,
 * from 2.7 once the group (with the new id) is stored. In CompletingRebalance 2.5+ rebalance.
 */
function replaceStaticMember(gc: GroupCoordinator, g: GroupMetadata, req: JoinGroupRequest, instanceId: string, respond: (r: JoinGroupResponse) => void, fail: (e: ErrorCode, id?: string) => void): void {
  const oldId = g.staticMembers.get(instanceId)!;
  const old = g.members.get(oldId)!;
  const newId = gc.newMemberId("", instanceId);
  old.awaitingJoin?.(joinError("FENCED_INSTANCE_ID", oldId));
  old.awaitingSync?.({ error: "FENCED_INSTANCE_ID", assignment: [] });
  cancelHeartbeat(gc, old);
  g.members.delete(oldId);
  const m: MemberMetadata = { ...old, memberId: newId, protocols: req.protocols, awaitingJoin: null, awaitingSync: null, heartbeat: null };
  if (gc.d.behaviour.joinUpdatesTimeouts) {
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
  }
  g.members.set(newId, m);
  g.staticMembers.set(instanceId, newId);
  // updateStaticMemberAndRebalance (2.3 - 3.1) answers with the leader as it was (currentLeader, the
  // old id when the leader itself rejoined), so that a Stable group's leader does not run an
  // assignment. From 3.2 (KIP-814) it names the new id as leader with skipAssignment set; the member
  // runs no assignment either way, so the one answer serves both.
  const currentLeader = g.leaderId ?? "";
  if (g.leaderId === oldId) g.leaderId = newId;
  gc.d.machine.mark("group: static member rejoined with a new member id");
  const answer = (): void => respond({ error: "NONE", generationId: g.generationId, protocolName: g.protocolName, leader: currentLeader, memberId: newId, members: [] });
  // The new id's session timer is armed in every state (completeAndScheduleNextHeartbeatExpiration before the match).
  scheduleHeartbeatExpiration(gc, g, m, m.sessionTimeoutMs);
  if (g.is("PreparingRebalance")) {
    m.awaitingJoin = respond;
    return;
  }
  if (g.is("CompletingRebalance") && gc.d.behaviour.staticRejoinRebalancesWhileCompleting) {
    m.awaitingJoin = respond;
    return gc.prepareRebalance(g, `static member ${instanceId} rejoined during CompletingRebalance`);
  }
  if (!g.is("Stable") || !gc.d.behaviour.staticRejoinStoresGroup) return answer();
  const generation = g.generationId;
  gc.d.store.storeGroup(g, (error) => {
    if (error === "NONE" || g.generationId !== generation) return answer();
    fail(error, "");
  });
}

function joinKnownMember(gc: GroupCoordinator, g: GroupMetadata, req: JoinGroupRequest, respond: (r: JoinGroupResponse) => void, fail: (e: ErrorCode) => void): void {
  // doJoinGroup checks the fence first: a zombie holding an instance id now mapped elsewhere is fenced.
  if (req.groupInstanceId !== null && g.staticMembers.has(req.groupInstanceId) && g.staticMembers.get(req.groupInstanceId) !== req.memberId) return fail("FENCED_INSTANCE_ID");
  const m = g.members.get(req.memberId);
  if (m === undefined) return fail("UNKNOWN_MEMBER_ID");
  if (m.groupInstanceId !== null && req.groupInstanceId !== m.groupInstanceId) return fail("FENCED_INSTANCE_ID");
  const sameMetadata = JSON.stringify(m.protocols) === JSON.stringify(req.protocols);
  switch (g.state) {
    case "PreparingRebalance":
      return updateMember(gc, g, m, req, respond);
    case "CompletingRebalance":
      if (sameMetadata) return respond(joinResponse(g, m));
      updateMember(gc, g, m, req, respond);
      return gc.prepareRebalance(g, `member ${m.memberId} changed its metadata`);
    case "Stable":
      // The leader's rejoin always rebalances (it may have seen new metadata); a follower's only with new metadata.
      if (g.leaderId !== m.memberId && sameMetadata) return respond(joinResponse(g, m, false));
      updateMember(gc, g, m, req, respond);
      return gc.prepareRebalance(g, `member ${m.memberId} rejoined`);
    default:
      return fail("UNKNOWN_MEMBER_ID");
  }
}

function updateMember(gc: GroupCoordinator, g: GroupMetadata, m: MemberMetadata, req: JoinGroupRequest, respond: (r: JoinGroupResponse) => void): void {
  m.protocols = req.protocols;
  // From 3.4 a rejoin also updates the member's timeouts; before, the first join's stay.
  if (gc.d.behaviour.joinUpdatesTimeouts) {
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
  }
  m.awaitingJoin = respond;
}

export function joinResponse(g: GroupMetadata, m: MemberMetadata, withMembers = m.memberId === g.leaderId): JoinGroupResponse {
  const members = withMembers ? [...g.members.values()].map((x) => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, metadata: g.subscriptionOf(x) })) : [];
  return { error: "NONE", generationId: g.generationId, protocolName: g.protocolName, leader: g.leaderId ?? "", memberId: m.memberId, members };
}
