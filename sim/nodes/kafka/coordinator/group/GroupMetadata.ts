/**
 * A consumer group as its coordinator holds it (kafka.coordinator.group.GroupMetadata and
 * MemberMetadata): the state, the generation, the members with their subscriptions and
 * assignments, the static members by group.instance.id (KIP-345), and the committed offsets.
 *
 * States and their moves (GroupMetadata.validPreviousStates): Empty -> PreparingRebalance when
 * a member joins; PreparingRebalance -> CompletingRebalance when the join completes (or Empty when
 * every member left); CompletingRebalance -> Stable when the leader's assignment is stored, or
 * back to PreparingRebalance when a member joins or leaves meanwhile; Stable -> PreparingRebalance;
 * any -> Dead when the coordinator moves away (the group is unloaded). CompletingRebalance was
 * called AwaitingSync before 2.0 (KAFKA-6680 renamed it); the model uses the newer name.
 */
import type { TimerHandle } from "../../../../Simulation.js";
import type { ConsumerSubscription, JoinGroupResponse, SyncGroupResponse, TopicPartition } from "../../common/protocol.js";

export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

export interface MemberMetadata {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** Assignor names in the member's order of preference, with its subscription. */
  protocols: Array<{ name: string; metadata: ConsumerSubscription }>;
  assignment: TopicPartition[];
  awaitingJoin: ((r: JoinGroupResponse) => void) | null;
  awaitingSync: ((r: SyncGroupResponse) => void) | null;
  /** The session timer (DelayedHeartbeat): the member is removed when it fires. */
  heartbeat: TimerHandle | null;
  /** Joined in the rebalance under way (MemberMetadata.isNew, 2.2+: expires after the new-member timeout). */
  isNew: boolean;
}

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  commitUs: number;
}

export class GroupMetadata {
  state: GroupState = "Empty";
  generationId = 0;
  protocolName = "";
  leaderId: string | null = null;
  readonly members = new Map<string, MemberMetadata>();
  /** group.instance.id -> member id (KIP-345). */
  readonly staticMembers = new Map<string, string>();
  /** KIP-394: member ids handed out with MEMBER_ID_REQUIRED, not yet joined with. */
  readonly pendingMembers = new Set<string>();
  /** Committed offsets, by "topic-partition". */
  readonly offsets = new Map<string, CommittedOffset>();
  /** The rebalance's join timer (DelayedJoin / InitialDelayedJoin). */
  joinTimer: TimerHandle | null = null;
  /** Members that joined during the initial delay (InitialDelayedJoin extends the wait for them). */
  newMemberAdded = false;
  /** An InitialDelayedJoin is under way (it never completes early). */
  initialDelay = false;

  constructor(readonly groupId: string) {}

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState): void {
    this.state = state;
  }

  /** Every known member has sent its JoinGroup for this rebalance (hasAllMembersJoined; pending members too from 2.2). */
  get hasAllMembersJoined(): boolean {
    for (const m of this.members.values()) if (m.awaitingJoin === null) return false;
    return this.pendingMembers.size === 0;
  }

  /** The longest rebalance timeout of the members: how long the coordinator waits for rejoins. */
  get rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  /**
   * GroupMetadata.selectProtocol: the assignors every member supports; each member votes for the
   * first of its own list among them; the most votes win (ties: the candidate named first by the
   * member votes are counted in, which keeps the choice deterministic).
   */
  selectProtocol(): string | null {
    const members = [...this.members.values()];
    if (members.length === 0) return null;
    const candidates = members[0].protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    if (candidates.length === 0) return null;
    const votes = new Map<string, number>();
    for (const m of members) {
      const vote = m.protocols.find((p) => candidates.includes(p.name))!.name;
      votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    let best = candidates[0];
    for (const c of candidates) if ((votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c;
    return best;
  }

  /** Whether a joining member's protocols can work with the group's (supportsProtocols). */
  supportsProtocols(protocolType: string, names: readonly string[]): boolean {
    if (protocolType !== "consumer") return false;
    if (this.members.size === 0) return names.length > 0;
    const all = [...this.members.values()];
    return names.some((n) => all.every((m) => m.protocols.some((p) => p.name === n)));
  }

  subscriptionOf(m: MemberMetadata): ConsumerSubscription {
    return (m.protocols.find((p) => p.name === this.protocolName) ?? m.protocols[0]).metadata;
  }
}
