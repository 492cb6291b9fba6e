/**
 * The broker's group coordinator (kafka.coordinator.group.GroupCoordinator; in ZooKeeper mode
 * every release up to 3.9 runs this Scala coordinator, from 3.5 behind GroupCoordinatorAdapter):
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit and OffsetFetch for the groups whose
 * __consumer_offsets partition this broker leads. Facts per release, read at the tags, are cited
 * where they act; the fidelity notes are in the README's version table. As in Kafka, JoinGroup
 * (joinGroup.ts) and the rebalance and session timers (DelayedJoin.ts with InitialDelayedJoin,
 * DelayedHeartbeat.ts) are in files of their own.
 */
import type { Machine } from "../../../Machine.js";
import type { Behaviour, KafkaConfig } from "../../common/versions.js";
import type {
  ErrorCode,
  GroupErrorResponse,
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupRequest,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  SyncGroupRequest,
  SyncGroupResponse,
} from "../../common/protocol.js";
import { GroupMetadata, type MemberMetadata } from "./GroupMetadata.js";
import type { GroupMetadataManager } from "./GroupMetadataManager.js";
import { handleJoinGroup, joinError, joinResponse } from "./joinGroup.js";
import { clearJoinTimer, delayedJoin, initialDelayedJoin, tryCompleteJoin } from "./DelayedJoin.js";
import { cancelHeartbeat, scheduleHeartbeatExpiration } from "./DelayedHeartbeat.js";

/** What the coordinator tells the run's history: a generation formed, a group stored as Stable. */
export interface GroupObserver {
  onGenerationStable(groupId: string, generation: number, protocol: string, members: ReadonlyArray<{ memberId: string; groupInstanceId: string | null; assignment: ReadonlyArray<{ topic: string; partition: number }> }>): void;
  onRebalanceStarted(groupId: string, generation: number, reason: string): void;
}

export interface GroupCoordinatorDeps {
  machine: Machine;
  config: KafkaConfig;
  behaviour: Behaviour;
  store: GroupMetadataManager;
  observer: GroupObserver;
}

export class GroupCoordinator {
  private nextMemberSuffix = 0;

  constructor(readonly d: GroupCoordinatorDeps) {}

  get groups(): Map<string, GroupMetadata> {
    return this.d.store.groups;
  }

  /**
   * validateGroupStatus: loading answers COORDINATOR_LOAD_IN_PROGRESS, a partition not led here
   * NOT_COORDINATOR. Up to 1.1 ownership is checked first, and a partition is owned only once
   * loaded, so clients see NOT_COORDINATOR while it loads (fixed in 2.0).
   */
  statusError(groupId: string): ErrorCode | null {
    const s = this.d.store;
    if (!this.d.behaviour.groupLoadingCheckedFirst) return s.isOwned(groupId) ? null : "NOT_COORDINATOR";
    if (s.isLoading(groupId)) return "COORDINATOR_LOAD_IN_PROGRESS";
    return s.isOwned(groupId) ? null : "NOT_COORDINATOR";
  }

  newMemberId(clientId: string, instanceId: string | null): string {
    // GroupMetadata.generateMemberId: clientId (or group.instance.id) + "-" + a random UUID.
    const uuid = this.d.machine.rng("member-id").int(0, 0xffffffff).toString(16).padStart(8, "0");
    return `${instanceId ?? clientId}-${uuid}-${this.nextMemberSuffix++}`;
  }

  // --- JoinGroup (joinGroup.ts), the rebalance ---

  /** GroupCoordinator.handleJoinGroup, in joinGroup.ts. */
  handleJoinGroup(req: JoinGroupRequest, clientId: string, clientHost: string, respond: (r: JoinGroupResponse) => void): void {
    handleJoinGroup(this, req, clientId, clientHost, respond);
  }

  maybePrepareRebalance(g: GroupMetadata, reason: string): void {
    if (g.is("Stable") || g.is("CompletingRebalance") || g.is("Empty")) this.prepareRebalance(g, reason);
  }

  /**
   * prepareRebalance: waiting SyncGroups are answered REBALANCE_IN_PROGRESS; an Empty group waits
   * group.initial.rebalance.delay.ms first (InitialDelayedJoin, 0.11+, KIP-134), any other the
   * members' longest rebalance timeout for them to rejoin (DelayedJoin), completing early once all have.
   */
  prepareRebalance(g: GroupMetadata, reason: string): void {
    if (g.is("CompletingRebalance")) {
      for (const m of g.members.values()) {
        m.assignment = [];
        const sync = m.awaitingSync;
        m.awaitingSync = null;
        sync?.({ error: "REBALANCE_IN_PROGRESS", assignment: [] });
      }
    }
    clearJoinTimer(this, g);
    const wasEmpty = g.is("Empty");
    g.transitionTo("PreparingRebalance");
    this.d.observer.onRebalanceStarted(g.groupId, g.generationId, reason);
    this.d.machine.trace("group-rebalance", { group: g.groupId, generation: g.generationId, reason });
    const delayMs = this.d.config.has("group.initial.rebalance.delay.ms") ? this.d.config.num("group.initial.rebalance.delay.ms") : 0;
    if (wasEmpty && this.d.behaviour.groupInitialDelay) return initialDelayedJoin(this, g, delayMs, Math.max(g.rebalanceTimeoutMs - delayMs, 0));
    delayedJoin(this, g);
  }

  /**
   * onCompleteJoin: members that did not rejoin are removed (static ones kept, 2.3+), the
   * generation advances, the protocol is chosen by vote, and every member gets its JoinGroup
   * answer (the leader with the members' subscriptions) and a fresh session timer.
   */
  onCompleteJoin(g: GroupMetadata): void {
    if (!g.is("PreparingRebalance")) return;
    g.initialDelay = false;
    for (const m of [...g.members.values()]) {
      if (m.awaitingJoin !== null) continue;
      if (this.d.behaviour.staticMembership && m.groupInstanceId !== null) continue;
      this.removeMember(g, m);
    }
    const joined = [...g.members.values()].filter((m) => m.awaitingJoin !== null);
    if (g.members.size > 0 && joined.length === 0) {
      // Only static members that did not rejoin remain: wait another rebalance timeout.
      delayedJoin(this, g);
      return;
    }
    if (g.leaderId === null || g.members.get(g.leaderId)?.awaitingJoin === null) g.leaderId = joined[0]?.memberId ?? null;
    g.generationId++;
    if (g.members.size === 0) {
      g.transitionTo("Empty");
      g.protocolName = "";
      this.d.store.storeGroup(g, () => undefined);
      return;
    }
    g.protocolName = g.selectProtocol() ?? "";
    g.transitionTo("CompletingRebalance");
    this.d.machine.trace("group-join-complete", { group: g.groupId, generation: g.generationId, members: g.members.size, protocol: g.protocolName });
    for (const m of g.members.values()) {
      const respond = m.awaitingJoin;
      if (respond === null) continue;
      m.awaitingJoin = null;
      m.isNew = false;
      respond(joinResponse(g, m));
      scheduleHeartbeatExpiration(this, g, m, m.sessionTimeoutMs);
    }
  }

  // --- SyncGroup ---

  handleSyncGroup(req: SyncGroupRequest, respond: (r: SyncGroupResponse) => void): void {
    const fail = (error: ErrorCode): void => respond({ error, assignment: [] });
    const status = this.statusError(req.groupId);
    // 2.0+: a SyncGroup while the partition loads is answered REBALANCE_IN_PROGRESS (the member rejoins).
    if (status !== null) return fail(status === "COORDINATOR_LOAD_IN_PROGRESS" ? "REBALANCE_IN_PROGRESS" : status);
    const g = this.groups.get(req.groupId);
    if (g === undefined) return fail("UNKNOWN_MEMBER_ID");
    if (g.is("Dead")) return fail(this.d.behaviour.staticMembership ? "COORDINATOR_NOT_AVAILABLE" : "UNKNOWN_MEMBER_ID");
    const m = g.members.get(req.memberId);
    if (req.groupInstanceId !== null && g.staticMembers.has(req.groupInstanceId) && g.staticMembers.get(req.groupInstanceId) !== req.memberId) return fail("FENCED_INSTANCE_ID");
    if (m === undefined) return fail("UNKNOWN_MEMBER_ID");
    if (req.generationId !== g.generationId) return fail("ILLEGAL_GENERATION");
    switch (g.state) {
      case "Empty":
        return fail("UNKNOWN_MEMBER_ID");
      case "PreparingRebalance":
        return fail("REBALANCE_IN_PROGRESS");
      case "Stable":
        scheduleHeartbeatExpiration(this, g, m, m.sessionTimeoutMs);
        return respond({ error: "NONE", assignment: m.assignment });
      case "CompletingRebalance":
        m.awaitingSync = respond;
        if (req.memberId === g.leaderId) this.storeAssignment(g, req);
        return;
      default:
        return fail("UNKNOWN_MEMBER_ID");
    }
  }

  /** The leader's assignment is stored in the log; only once the append completes do the members get theirs. */
  private storeAssignment(g: GroupMetadata, req: SyncGroupRequest): void {
    const byMember = new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
    for (const m of g.members.values()) m.assignment = byMember.get(m.memberId) ?? [];
    const generation = g.generationId;
    this.d.store.storeGroup(g, (error) => {
      if (!g.is("CompletingRebalance") || g.generationId !== generation) return;
      if (error !== "NONE") {
        for (const m of g.members.values()) {
          m.assignment = [];
          const sync = m.awaitingSync;
          m.awaitingSync = null;
          sync?.({ error, assignment: [] });
        }
        return this.maybePrepareRebalance(g, `storing the assignment failed: ${error}`);
      }
      // propagateAssignment: only the members whose SyncGroup is answered here get a fresh session timer.
      for (const m of g.members.values()) {
        const sync = m.awaitingSync;
        m.awaitingSync = null;
        if (sync === null) continue;
        sync({ error: "NONE", assignment: m.assignment });
        scheduleHeartbeatExpiration(this, g, m, m.sessionTimeoutMs);
      }
      g.transitionTo("Stable");
      this.d.machine.trace("group-stable", { group: g.groupId, generation: g.generationId });
      this.d.observer.onGenerationStable(g.groupId, g.generationId, g.protocolName, [...g.members.values()]);
    });
  }

  // --- Heartbeat (the session timer is in DelayedHeartbeat.ts), LeaveGroup ---

  handleHeartbeat(req: HeartbeatRequest): GroupErrorResponse {
    const status = this.statusError(req.groupId);
    // "respond just blindly" while loading (2.0+).
    if (status === "COORDINATOR_LOAD_IN_PROGRESS") return { error: "NONE" };
    if (status !== null) return { error: status };
    const g = this.groups.get(req.groupId);
    if (g === undefined || g.is("Empty")) return { error: "UNKNOWN_MEMBER_ID" };
    if (g.is("Dead")) return { error: this.d.behaviour.staticMembership ? "COORDINATOR_NOT_AVAILABLE" : "UNKNOWN_MEMBER_ID" };
    if (req.groupInstanceId !== null && g.staticMembers.has(req.groupInstanceId) && g.staticMembers.get(req.groupInstanceId) !== req.memberId) return { error: "FENCED_INSTANCE_ID" };
    const m = g.members.get(req.memberId);
    if (m === undefined) return { error: "UNKNOWN_MEMBER_ID" };
    // handleHeartbeat: up to 2.2 CompletingRebalance is answered before the generation is checked;
    // 2.3 - 2.6 check the generation first (a stale member gets ILLEGAL_GENERATION); 2.7 renews there.
    const completingAnswersRip = g.is("CompletingRebalance") && !this.d.behaviour.heartbeatDuringCompletingRebalance;
    if (completingAnswersRip && !this.d.behaviour.heartbeatChecksGenerationFirst) return { error: "REBALANCE_IN_PROGRESS" };
    if (req.generationId !== g.generationId) return { error: "ILLEGAL_GENERATION" };
    if (completingAnswersRip) return { error: "REBALANCE_IN_PROGRESS" };
    scheduleHeartbeatExpiration(this, g, m, m.sessionTimeoutMs);
    return { error: g.is("PreparingRebalance") ? "REBALANCE_IN_PROGRESS" : "NONE" };
  }

  private removeMember(g: GroupMetadata, m: MemberMetadata): void {
    cancelHeartbeat(this, m);
    g.members.delete(m.memberId);
    if (m.groupInstanceId !== null && g.staticMembers.get(m.groupInstanceId) === m.memberId) g.staticMembers.delete(m.groupInstanceId);
    if (g.leaderId === m.memberId) g.leaderId = g.members.keys().next().value ?? null;
  }

  removeMemberAndUpdateGroup(g: GroupMetadata, m: MemberMetadata, reason: string): void {
    const join = m.awaitingJoin;
    m.awaitingJoin = null;
    join?.(joinError("UNKNOWN_MEMBER_ID", m.memberId));
    this.removeMember(g, m);
    if (g.is("Stable") || g.is("CompletingRebalance")) this.maybePrepareRebalance(g, reason);
    else if (g.is("PreparingRebalance")) tryCompleteJoin(this, g);
  }

  handleLeaveGroup(req: LeaveGroupRequest): GroupErrorResponse {
    const status = this.statusError(req.groupId);
    if (status !== null) return { error: status };
    const g = this.groups.get(req.groupId);
    if (g === undefined || g.is("Dead")) return { error: g === undefined || !this.d.behaviour.staticMembership ? "UNKNOWN_MEMBER_ID" : "COORDINATOR_NOT_AVAILABLE" };
    let error: ErrorCode = "NONE";
    for (const who of req.members) {
      if (g.pendingMembers.delete(who.memberId)) continue;
      const m = g.members.get(who.memberId);
      if (m === undefined) {
        error = "UNKNOWN_MEMBER_ID";
        continue;
      }
      this.d.machine.trace("group-member-left", { group: g.groupId, member: m.memberId });
      this.removeMemberAndUpdateGroup(g, m, `member ${m.memberId} left`);
    }
    return { error };
  }

  // --- offsets ---

  handleOffsetCommit(req: OffsetCommitRequest, respond: (r: OffsetCommitResponse) => void): void {
    const all = (error: ErrorCode): void => respond({ partitions: req.offsets.map((o) => ({ topic: o.topic, partition: o.partition, error })) });
    const status = this.statusError(req.groupId);
    if (status !== null) return all(status);
    let g = this.groups.get(req.groupId);
    if (g === undefined) {
      // A commit without a generation (assign(), or a group with no members) creates an Empty group.
      if (req.generationId >= 0) return all("ILLEGAL_GENERATION");
      this.groups.set(req.groupId, (g = new GroupMetadata(req.groupId)));
    }
    const group = g;
    if (group.is("Dead")) return all(this.d.behaviour.staticMembership ? "COORDINATOR_NOT_AVAILABLE" : "UNKNOWN_MEMBER_ID");
    if (req.groupInstanceId !== null && group.staticMembers.has(req.groupInstanceId) && group.staticMembers.get(req.groupInstanceId) !== req.memberId) return all("FENCED_INSTANCE_ID");
    const store = (): void => this.d.store.storeOffsets(group, req.offsets, (error) => all(error));
    if (req.generationId < 0 && group.is("Empty")) return store();
    // Up to 2.4 CompletingRebalance is checked before the member and the generation.
    if (group.is("CompletingRebalance") && !this.d.behaviour.commitChecksMemberFirst) return all("REBALANCE_IN_PROGRESS");
    const m = group.members.get(req.memberId);
    if (m === undefined) return all("UNKNOWN_MEMBER_ID");
    if (req.generationId !== group.generationId) return all("ILLEGAL_GENERATION");
    if (group.is("CompletingRebalance")) return all("REBALANCE_IN_PROGRESS");
    scheduleHeartbeatExpiration(this, group, m, m.sessionTimeoutMs);
    store();
  }

  handleOffsetFetch(req: OffsetFetchRequest): OffsetFetchResponse {
    const status = this.statusError(req.groupId);
    if (status !== null) return { error: status, partitions: req.partitions.map((p) => ({ ...p, offset: -1, leaderEpoch: -1, error: status })) };
    const g = this.groups.get(req.groupId);
    return {
      error: "NONE",
      partitions: req.partitions.map((p) => {
        const o = g?.offsets.get(`${p.topic}-${p.partition}`);
        return { topic: p.topic, partition: p.partition, offset: o?.offset ?? -1, leaderEpoch: o?.leaderEpoch ?? -1, error: "NONE" };
      }),
    };
  }

  // --- the coordinator moves ---

  /** onElection / onResignation: this broker now leads, or no longer leads, a __consumer_offsets partition. */
  onElection(partition: number): void {
    this.d.store.onElection(partition);
  }

  onResignation(partition: number): void {
    this.d.store.onResignation(partition);
  }

  /** onGroupLoaded: every loaded member must heartbeat within its session timeout. */
  onGroupLoaded(g: GroupMetadata): void {
    for (const m of g.members.values()) scheduleHeartbeatExpiration(this, g, m, m.sessionTimeoutMs);
  }

  /** onGroupUnloaded: the group is Dead here; members waiting in JoinGroup or SyncGroup get NOT_COORDINATOR. */
  onGroupUnloaded(g: GroupMetadata): void {
    g.transitionTo("Dead");
    clearJoinTimer(this, g);
    for (const m of g.members.values()) {
      cancelHeartbeat(this, m);
      const join = m.awaitingJoin;
      const sync = m.awaitingSync;
      m.awaitingJoin = m.awaitingSync = null;
      join?.(joinError("NOT_COORDINATOR", m.memberId));
      sync?.({ error: "NOT_COORDINATOR", assignment: [] });
    }
  }

  /** For describe: the groups this coordinator holds. */
  get groupList(): readonly GroupMetadata[] {
    return [...this.groups.values()];
  }
}
