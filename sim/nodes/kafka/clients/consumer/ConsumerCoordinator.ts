/**
 * The consumer's side of the group protocol (org.apache.kafka.clients.consumer.internals
 * .ConsumerCoordinator and AbstractCoordinator): FindCoordinator, the join (onJoinPrepare:
 * commit, then revoke; JoinGroup; the leader's assignment; SyncGroup; onJoinComplete), the
 * heartbeat thread (HeartbeatThread.ts), and offset commits (OffsetRequests.ts). The coordinator
 * gets a connection of its own (AbstractCoordinator: node id Integer.MAX_VALUE - id). The errors
 * Kafka throws from poll() as fatal (FENCED_INSTANCE_ID, INVALID_SESSION_TIMEOUT, ...) end the
 * application.
 */
import type { Machine } from "../../../Machine.js";
import { NodeConnection } from "../NodeConnection.js";
import type { Behaviour, KafkaConfig } from "../../common/versions.js";
import {
  HEADER_BYTES,
  type ErrorCode,
  type FindCoordinatorResponse,
  type GroupErrorResponse,
  type JoinGroupResponse,
  type OffsetFetchResponse,
  type SyncGroupResponse,
  type TopicPartition,
} from "../../common/protocol.js";
import type { Host } from "../../../../Host.js";
import type { Endpoint } from "../../../Endpoint.js";
import { assign } from "./assignors/index.js";
import type { AssignorName } from "./ConsumerConfig.js";
import { HeartbeatThread } from "./HeartbeatThread.js";
import { sendOffsetCommitRequest, sendOffsetFetchRequest } from "./OffsetRequests.js";

export type MemberState = "UNJOINED" | "PREPARING_REBALANCE" | "COMPLETING_REBALANCE" | "STABLE";

export interface CoordinatorDeps {
  machine: Machine;
  endpoint: Endpoint;
  config: KafkaConfig;
  behaviour: Behaviour;
  groupId: string;
  /** subscribe(): group membership; assign(): only commits and committed offsets, with no generation. */
  groupManaged: boolean;
  groupInstanceId: string | null;
  clientId: string;
  topic: string;
  partitions: number;
  assignors: readonly AssignorName[];
  /** kafka.version: the assignors' member order changed in 2.4. */
  version: string;
  protocol: "EAGER" | "COOPERATIVE";
  hostOf(broker: number): Host | undefined;
  /** A broker to ask FindCoordinator (NetworkClient.leastLoadedNode), -1 for none now. */
  leastLoadedNode(): number;
  conn(broker: number): NodeConnection;
  /** The partitions owned now (what the rebalance listener revokes). */
  owned(): TopicPartition[];
  /**
   * onJoinPrepare's commits (the auto-commit, the listener's commit on revoke) around the revoke:
   * the consumer calls revoke() and then join() in the order its release does them, or notYet()
   * when onJoinPrepare returned false and the next poll must run it again (3.2.0).
   */
  joinPrepare(revoke: () => void, join: () => void, notYet: () => void): void;
  /** An error Kafka throws from poll() that the application does not handle: it ends. */
  onFatal(why: string): void;
  onRevoked(partitions: TopicPartition[], lost: boolean): void;
  onAssigned(assigned: TopicPartition[], added: TopicPartition[], generation: number): void;
  /** Something changed that the poll loop waits for. */
  wake(): void;
}

const NO_GENERATION = -1;

/** JoinGroup errors AbstractCoordinator.JoinGroupResponseHandler raises as fatal: poll() throws them (INVALID_GROUP_ID too; no group id here is invalid). */
const FATAL_JOIN_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["FENCED_INSTANCE_ID", "INCONSISTENT_GROUP_PROTOCOL", "INVALID_SESSION_TIMEOUT", "GROUP_MAX_SIZE_REACHED"]);

export class ConsumerCoordinator {
  coordinator = -1;
  private coordinatorConn: NodeConnection | null = null;
  private lookupInFlight = false;
  memberId = "";
  generation = NO_GENERATION;
  private protocolName = "";
  state: MemberState = "UNJOINED";
  rejoinNeeded = true;
  private joining = false;
  /**
   * The join under way: answers to an abandoned one (the generation was reset meanwhile) are
   * ignored, so a member never has two JoinGroups out (Kafka's one joinGroupIfNeeded loop).
   */
  private joinAttempt = 0;
  lastPollUs = 0;
  private closed = false;
  private readonly heartbeat: HeartbeatThread;
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly retryBackoffUs: number;
  private readonly requestTimeoutUs: number;

  constructor(readonly d: CoordinatorDeps) {
    const c = d.config;
    this.sessionTimeoutMs = c.num("session.timeout.ms");
    this.rebalanceTimeoutMs = c.num("max.poll.interval.ms");
    this.retryBackoffUs = c.num("retry.backoff.ms") * 1000;
    this.requestTimeoutUs = c.num("request.timeout.ms") * 1000;
    this.rejoinNeeded = d.groupManaged;
    this.heartbeat = new HeartbeatThread(this, { sessionUs: this.sessionTimeoutMs * 1000, pollUs: this.rebalanceTimeoutMs * 1000, intervalUs: c.num("heartbeat.interval.ms") * 1000, retryBackoffUs: this.retryBackoffUs });
    if (d.groupManaged) this.heartbeat.start();
  }

  get machine(): Machine {
    return this.d.machine;
  }

  get behaviour(): Behaviour {
    return this.d.behaviour;
  }

  get groupId(): string {
    return this.d.groupId;
  }

  get protocol(): "EAGER" | "COOPERATIVE" {
    return this.d.protocol;
  }

  get coordinatorKnown(): boolean {
    return this.coordinator >= 0 && this.coordinatorConn !== null;
  }

  /** The generation commits may carry (generationIfStable): only a STABLE member's. */
  get stableGeneration(): { generation: number; memberId: string } | null {
    return this.state === "STABLE" ? { generation: this.generation, memberId: this.memberId } : null;
  }

  /** What a commit carries: the stable generation of a group member (null while rebalancing), no generation without a group (assign). */
  get commitGeneration(): { generation: number; memberId: string } | null {
    return this.d.groupManaged ? this.stableGeneration : { generation: NO_GENERATION, memberId: "" };
  }

  close(): void {
    this.closed = true;
    this.heartbeat.close();
  }

  /** A fatal error: the coordinator stops and the application ends. */
  fatal(why: string): void {
    if (this.closed) return;
    this.d.machine.mark("consumer: fatal group error ends the application");
    this.close();
    this.d.onFatal(why);
  }

  // --- FindCoordinator ---

  /** ensureCoordinatorReady, without blocking: the lookup's answer wakes the poll loop. */
  lookupCoordinator(): void {
    if (this.coordinatorKnown || this.lookupInFlight || this.closed) return;
    const node = this.d.leastLoadedNode();
    if (node < 0) return;
    this.lookupInFlight = true;
    this.d.conn(node).send<FindCoordinatorResponse>("FindCoordinator", { key: this.d.groupId }, HEADER_BYTES, (res) => {
      this.lookupInFlight = false;
      if (res === null || res.error !== "NONE") {
        this.d.machine.setTimer(this.retryBackoffUs, () => this.d.wake());
        return;
      }
      const host = this.d.hostOf(res.nodeId);
      if (host === undefined) return;
      this.coordinator = res.nodeId;
      this.coordinatorConn = new NodeConnection(this.d.endpoint, host, this.requestTimeoutUs);
      this.coordinatorConn.onServerDisconnect = () => this.markCoordinatorUnknown("disconnected");
      this.heartbeat.lastOkUs = this.d.machine.now;
      this.d.wake();
    });
  }

  markCoordinatorUnknown(why: string): void {
    if (this.coordinator < 0) return;
    this.d.machine.trace("consumer-coordinator-unknown", { group: this.d.groupId, coordinator: this.coordinator, why });
    this.coordinator = -1;
    const conn = this.coordinatorConn;
    this.coordinatorConn = null;
    conn?.close();
    this.d.wake();
  }

  /** A request to the coordinator; its errors that mean "look again" mark it unknown. */
  send<R>(api: Parameters<NodeConnection["send"]>[0], body: unknown, cb: (r: R | null) => void, timeoutUs?: number): void {
    const conn = this.coordinatorConn;
    if (conn === null) return cb(null);
    conn.send<R>(api, body, HEADER_BYTES, (r) => cb(r), true, timeoutUs);
  }

  onCoordinatorError(error: ErrorCode): void {
    if (error === "NOT_COORDINATOR" || error === "COORDINATOR_NOT_AVAILABLE" || error === "REQUEST_TIMED_OUT") this.markCoordinatorUnknown(error);
  }

  // --- the join ---

  /** joinGroupIfNeeded, one step: called from poll() when a rejoin is needed and none is under way. */
  ensureActiveGroup(): void {
    if (!this.rejoinNeeded || this.joining || !this.coordinatorKnown || this.closed) return;
    this.joining = true;
    const attempt = ++this.joinAttempt;
    this.onJoinPrepare(() => {
      if (attempt === this.joinAttempt) this.sendJoinGroup();
    });
  }

  /**
   * onJoinPrepare: commit first (auto-commit, or the rebalance listener's commit), then revoke:
   * eager every owned partition, cooperative none here (only what the new assignment moves).
   * A member whose generation was reset has lost its partitions (onPartitionsLost, 2.4+) and commits
   * nothing (its commit would fail: generationIfStable is null).
   */
  private onJoinPrepare(then: () => void): void {
    const lost = this.generation === NO_GENERATION;
    const revoke = (): void => {
      if (this.d.protocol === "EAGER" || lost) this.d.onRevoked(this.d.owned(), lost);
    };
    if (lost) {
      revoke();
      return then();
    }
    // joinGroupIfNeeded (3.2.0): onJoinPrepare returned false, needsJoinPrepare stays set and the next poll runs it again.
    const attempt = this.joinAttempt;
    this.d.joinPrepare(revoke, then, () => {
      if (attempt === this.joinAttempt) this.joining = false;
    });
  }

  private metadata(): { topics: string[]; ownedPartitions: TopicPartition[]; generation: number } {
    return { topics: [this.d.topic], ownedPartitions: this.d.owned(), generation: this.generation };
  }

  private sendJoinGroup(): void {
    if (!this.coordinatorKnown) {
      this.joining = false;
      return this.d.wake();
    }
    this.state = "PREPARING_REBALANCE";
    const body = {
      groupId: this.d.groupId,
      sessionTimeoutMs: this.sessionTimeoutMs,
      rebalanceTimeoutMs: this.rebalanceTimeoutMs,
      memberId: this.memberId,
      groupInstanceId: this.d.groupInstanceId,
      protocolType: "consumer",
      protocols: this.d.assignors.map((name) => ({ name, metadata: this.metadata() })),
    };
    // The JoinGroup may wait a whole rebalance: max(request.timeout.ms, rebalance timeout + 5 s) (2.7+).
    const timeoutUs = Math.max(this.requestTimeoutUs, (this.rebalanceTimeoutMs + 5000) * 1000);
    const attempt = this.joinAttempt;
    this.send<JoinGroupResponse>("JoinGroup", body, (res) => attempt === this.joinAttempt && this.onJoinResponse(res), timeoutUs);
  }

  private onJoinResponse(res: JoinGroupResponse | null): void {
    if (this.closed) return;
    if (res === null) return this.joinFailed("NETWORK_EXCEPTION");
    switch (res.error) {
      case "NONE":
        break;
      case "MEMBER_ID_REQUIRED":
        this.memberId = res.memberId;
        return this.sendJoinGroup();
      case "UNKNOWN_MEMBER_ID":
        this.memberId = "";
        this.generation = NO_GENERATION;
        return this.sendJoinGroup();
      case "REBALANCE_IN_PROGRESS":
      case "ILLEGAL_GENERATION":
        return this.sendJoinGroup();
      default:
        if (FATAL_JOIN_ERRORS.has(res.error)) return this.fatal(`JoinGroup: ${res.error}`);
        return this.joinFailed(res.error);
    }
    this.memberId = res.memberId;
    this.generation = res.generationId;
    this.protocolName = res.protocolName;
    this.state = "COMPLETING_REBALANCE";
    if (this.d.behaviour.heartbeatDuringCompletingRebalance) this.heartbeat.resetTimeouts();
    const assignments = res.leader === res.memberId ? this.performAssignment(res) : [];
    const body = { groupId: this.d.groupId, generationId: this.generation, memberId: this.memberId, groupInstanceId: this.d.groupInstanceId, assignments };
    const generation = this.generation;
    const attempt = this.joinAttempt;
    this.send<SyncGroupResponse>("SyncGroup", body, (sync) => attempt === this.joinAttempt && this.onSyncResponse(sync, generation));
  }

  /** The leader runs the chosen assignor over every member's subscription (performAssignment). */
  private performAssignment(res: JoinGroupResponse): Array<{ memberId: string; assignment: TopicPartition[] }> {
    const members = res.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, topics: m.metadata.topics, ownedPartitions: m.metadata.ownedPartitions, generation: m.metadata.generation }));
    const result = assign(res.protocolName as AssignorName, new Map([[this.d.topic, this.d.partitions]]), members, { version: this.d.version });
    return members.map((m) => ({ memberId: m.memberId, assignment: result.get(m.memberId) ?? [] }));
  }

  private onSyncResponse(res: SyncGroupResponse | null, generation: number): void {
    if (this.closed) return;
    if (res === null) return this.joinFailed("NETWORK_EXCEPTION");
    if (res.error !== "NONE") {
      if (res.error === "FENCED_INSTANCE_ID") return this.fatal("SyncGroup: FENCED_INSTANCE_ID");
      // The reset ends this join; the poll loop starts the next (one JoinGroup at a time).
      if (res.error === "UNKNOWN_MEMBER_ID" || res.error === "ILLEGAL_GENERATION") return this.resetGeneration(res.error === "ILLEGAL_GENERATION");
      return res.error === "REBALANCE_IN_PROGRESS" ? this.sendJoinGroup() : this.joinFailed(res.error);
    }
    if (generation !== this.generation) return;
    this.state = "STABLE";
    this.rejoinNeeded = false;
    this.joining = false;
    if (!this.d.behaviour.heartbeatDuringCompletingRebalance) this.heartbeat.resetTimeouts();
    this.onJoinComplete(res.assignment);
    this.d.wake();
  }

  /**
   * onJoinComplete: cooperative members revoke what the assignment took away and rejoin at once
   * (the second rebalance hands those partitions on); then onPartitionsAssigned with what is new.
   */
  private onJoinComplete(assigned: TopicPartition[]): void {
    const owned = this.d.owned();
    const key = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`;
    const assignedKeys = new Set(assigned.map(key));
    const ownedKeys = new Set(owned.map(key));
    if (this.d.protocol === "COOPERATIVE") {
      const revoked = owned.filter((tp) => !assignedKeys.has(key(tp)));
      if (revoked.length > 0) {
        this.d.onRevoked(revoked, false);
        this.requestRejoin("partitions revoked (cooperative)");
      }
    }
    const added = assigned.filter((tp) => !ownedKeys.has(key(tp)));
    this.d.onAssigned(assigned, this.d.protocol === "EAGER" ? assigned : added, this.generation);
  }

  private joinFailed(error: ErrorCode): void {
    this.joining = false;
    this.state = "UNJOINED";
    this.onCoordinatorError(error);
    if (error === "NETWORK_EXCEPTION") this.markCoordinatorUnknown(error);
    this.d.machine.trace("consumer-join-failed", { group: this.d.groupId, error });
    this.d.machine.setTimer(this.retryBackoffUs, () => this.d.wake());
  }

  requestRejoin(why: string): void {
    if (!this.rejoinNeeded) this.d.machine.trace("consumer-rejoin", { group: this.d.groupId, member: this.memberId, why });
    this.rejoinNeeded = true;
    this.d.wake();
  }

  /**
   * resetGeneration (resetStateAndGeneration from 3.1): the member's partitions are lost and it joins
   * again with no member id, a static member too (then the coordinator replaces its old id). From
   * 3.2 an ILLEGAL_GENERATION keeps the member id, for every member (KAFKA-13419).
   */
  resetGeneration(illegalGeneration = false): void {
    this.generation = NO_GENERATION;
    if (!(illegalGeneration && this.d.behaviour.illegalGenerationKeepsMemberId)) this.memberId = "";
    this.state = "UNJOINED";
    this.joining = false;
    this.joinAttempt++;
    this.requestRejoin("generation reset");
  }

  // --- the heartbeat thread's requests ---

  sendHeartbeat(cb: (res: GroupErrorResponse | null) => void): void {
    const body = { groupId: this.d.groupId, generationId: this.generation, memberId: this.memberId, groupInstanceId: this.d.groupInstanceId };
    this.send<GroupErrorResponse>("Heartbeat", body, cb);
  }

  /** maybeLeaveGroup: LeaveGroup (dynamic members; before 2.3 every member), then the generation is reset. */
  maybeLeaveGroup(): void {
    const dynamic = this.d.groupInstanceId === null || !this.d.behaviour.staticMembership;
    if (dynamic && this.coordinatorKnown && this.state !== "UNJOINED" && this.memberId !== "") {
      this.send<GroupErrorResponse>("LeaveGroup", { groupId: this.d.groupId, members: [{ memberId: this.memberId, groupInstanceId: this.d.groupInstanceId }] }, () => undefined);
    }
    this.resetGeneration();
  }

  // --- offsets (OffsetRequests.ts) ---

  /** OffsetFetch: the committed offsets (-1 none) of these partitions; null when the coordinator could not answer. */
  fetchCommitted(partitions: TopicPartition[], done: (r: OffsetFetchResponse | null) => void): void {
    sendOffsetFetchRequest(this, partitions, done);
  }

  /** OffsetCommit with the member's generation; done(error). */
  commit(offsets: Array<{ topic: string; partition: number; offset: number; leaderEpoch: number }>, done: (error: ErrorCode) => void): void {
    sendOffsetCommitRequest(this, offsets, done);
  }
}
