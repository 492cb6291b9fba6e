/**
 * The controller's partition and replica state machines (ZkPartitionStateMachine,
 * ZkReplicaStateMachine) and what they know of the brokers (ControllerContext: live brokers,
 * brokers in controlled shutdown, replicas on offline log dirs). Each transition decides from
 * the partition's state as ZooKeeper has it, writes through PartitionStateStore and queues the
 * LeaderAndIsr / UpdateMetadata / StopReplica requests it implies on the controller channel.
 */
import type { ControllerChannel } from "./ControllerChannel.js";
import { offlineElection, preferredElection } from "./leaderElection.js";
import type { PartitionStateStore } from "./PartitionStateStore.js";
import type { PartitionState } from "../common/protocol.js";
import { NO_LEADER, tpKey } from "../common/protocol.js";
import type { Behaviour, KafkaConfig } from "../common/versions.js";

type Done = () => void;

export interface StateMachineContext {
  behaviour: Behaviour;
  config: KafkaConfig;
  topicConfig(topic: string): KafkaConfig;
  mark(name: string): void;
  trace(type: string, data: Record<string, string | number | boolean>): void;
}

/**
 * How a leader was chosen, after Kafka's PartitionLeaderElectionStrategy: offline
 * (OfflinePartitionLeaderElectionStrategy, a live ISR member), unclean (the same strategy falling
 * back to a replica outside the ISR when unclean.leader.election.enable allows it), preferred
 * (PreferredReplicaPartitionLeaderElectionStrategy; ElectionType.PREFERRED), controlled-shutdown
 * (ControlledShutdownPartitionLeaderElectionStrategy). Reassignment is not modelled.
 */
export type ElectionKind = "offline" | "unclean" | "preferred" | "controlled-shutdown";

/** A `leader-elected` record for a partition state the controller wrote, with the leader it replaced. */
export function traceElected(trace: StateMachineContext["trace"], s: PartitionState, election: ElectionKind, previousLeader: number): void {
  trace("leader-elected", { partition: tpKey(s.topic, s.partition), leader: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr.join(","), election, previousLeader });
}

export class ControllerStateMachines {
  readonly live = new Map<number, { epoch: number; rack: string }>();
  readonly shuttingDown = new Set<number>();
  /** Replicas a broker reported on an offline log dir (ControllerContext.replicasOnOfflineDirs). */
  readonly offlineDirReplicas = new Map<number, Set<string>>();

  constructor(
    private readonly states: PartitionStateStore,
    private readonly channel: ControllerChannel,
    private readonly ctx: StateMachineContext,
  ) {}

  private mark(name: string): void {
    this.ctx.mark(name);
  }

  /** A live broker that is not shutting down. */
  isOnline = (id: number): boolean => this.live.has(id) && !this.shuttingDown.has(id);

  /** ControllerContext.isReplicaOnline: on an online broker, and not on one of its offline log dirs. */
  replicaOnline(s: PartitionState): (id: number) => boolean {
    const key = tpKey(s.topic, s.partition);
    return (id) => this.isOnline(id) && !(this.offlineDirReplicas.get(id)?.has(key) ?? false);
  }

  /** LeaderAndIsr to these replicas (the live ones), and UpdateMetadata to every live broker. */
  sendState(s: PartitionState, recipients: readonly number[]): void {
    this.channel.addLeaderAndIsr(recipients.filter((r) => this.live.has(r)), s);
    this.channel.addUpdateMetadata(this.live.keys());
  }

  /**
   * ZkReplicaStateMachine.startup: every replica on a live broker is told its partition's state
   * (OnlineReplica); from 2.3 (KAFKA-3143) replicas on dead brokers go to OfflineReplica, which
   * takes them out of the ISRs.
   */
  startReplicaStateMachine(done: Done): void {
    for (const s of this.states.all()) this.channel.addLeaderAndIsr(s.replicas.filter((r) => this.live.has(r)), s);
    if (!this.ctx.behaviour.offlineReplicasAtFailover) return done();
    const dead = new Set<number>();
    for (const s of this.states.all()) for (const r of s.replicas) if (!this.live.has(r)) dead.add(r);
    this.offlineReplicas([...dead].sort((a, b) => a - b), done);
  }

  /**
   * OfflinePartitionLeaderElection for every partition whose leader is gone
   * (PartitionStateMachine.triggerOnlinePartitionStateChange). A partition nobody can lead is
   * left as it is: it stays offline.
   */
  electOffline(done: Done): void {
    let unclean = 0;
    const how = new Map<string, { election: ElectionKind; previousLeader: number }>();
    // No leader, a leader whose broker is gone, or one on a failed log dir; from 1.0 also a
    // leader in controlled shutdown (isReplicaOnline excludes it).
    const leaderless = (s: PartitionState): boolean =>
      s.leader === NO_LEADER ||
      !this.live.has(s.leader) ||
      (this.offlineDirReplicas.get(s.leader)?.has(tpKey(s.topic, s.partition)) ?? false) ||
      (this.ctx.behaviour.leaderInShutdownCountsOffline && this.shuttingDown.has(s.leader));
    this.states.update(
      this.states.keys(leaderless),
      (s) => {
        if (!leaderless(s)) return null;
        const e = offlineElection(s.replicas, s.isr, this.replicaOnline(s), this.ctx.topicConfig(s.topic).bool("unclean.leader.election.enable"));
        if (e?.unclean === true) unclean++;
        const key = tpKey(s.topic, s.partition);
        if (e !== null) how.set(key, { election: e.unclean ? "unclean" : "offline", previousLeader: s.leader });
        // No live candidate (NoReplicaOnlineException before 1.1, StateChangeFailedException from 1.1): the partition stays offline.
        else this.ctx.trace("leader-election-failed", { partition: key, election: "offline", isr: s.isr.join(","), leaderEpoch: s.leaderEpoch });
        return e;
      },
      (written) => {
        if (unclean > 0) this.mark("controller: unclean leader election");
        for (const s of written) {
          const h = how.get(tpKey(s.topic, s.partition))!;
          traceElected(this.ctx.trace, s, h.election, h.previousLeader);
        }
        for (const s of written) this.sendState(s, s.replicas.filter(this.replicaOnline(s)));
        done();
      },
    );
  }

  /**
   * OfflineReplica for each replica in turn (ZkReplicaStateMachine.doRemoveReplicasFromIsr): it
   * leaves the ISR unless it is the last member, the partition loses its leader if it was the
   * leader, and the other replicas hear the new state; the replica itself is sent StopReplica.
   */
  offlineReplicas(ids: readonly number[], done: Done, only?: ReadonlySet<string>): void {
    if (ids.length === 0) return done();
    const [id, ...rest] = ids;
    const onBroker = this.states.keys((s) => s.replicas.includes(id) && (only === undefined || only.has(tpKey(s.topic, s.partition))));
    this.states.update(
      onBroker,
      (s) => (s.isr.includes(id) ? { leader: s.leader === id ? NO_LEADER : s.leader, isr: s.isr.length === 1 ? s.isr : s.isr.filter((r) => r !== id) } : null),
      (written) => {
        // OfflineReplica (removeReplicasFromIsr): the replica left the ISR, or the partition its leader.
        for (const s of written) this.ctx.trace("replica-offline", { partition: tpKey(s.topic, s.partition), replica: id, leader: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr.join(",") });
        for (const s of written) this.sendState(s, s.replicas.filter((r) => r !== id));
        if (this.live.has(id)) for (const k of onBroker) this.channel.addStopReplica(id, this.states.get(k)!.topic, this.states.get(k)!.partition);
        this.offlineReplicas(rest, done, only);
      },
    );
  }

  /** checkAndTriggerAutoLeaderRebalance: brokers over leader.imbalance.per.broker.percentage get their preferred partitions back. */
  electPreferred(done: Done): void {
    const threshold = this.ctx.config.num("leader.imbalance.per.broker.percentage") / 100;
    const byPreferred = new Map<number, PartitionState[]>();
    for (const s of this.states.all()) {
      const list = byPreferred.get(s.replicas[0]) ?? [];
      list.push(s);
      byPreferred.set(s.replicas[0], list);
    }
    const keys: string[] = [];
    for (const [broker, list] of [...byPreferred].sort((a, b) => a[0] - b[0])) {
      const imbalanced = list.filter((s) => s.leader !== broker);
      if (imbalanced.length / list.length <= threshold) continue;
      for (const s of imbalanced) if (this.isOnline(broker) && s.isr.includes(broker)) keys.push(tpKey(s.topic, s.partition));
    }
    const previous = new Map<string, number>();
    this.states.update(
      keys,
      (s) => {
        previous.set(tpKey(s.topic, s.partition), s.leader);
        return s.leader === s.replicas[0] ? null : preferredElection(s.replicas, s.isr, this.replicaOnline(s));
      },
      (written) => {
        if (written.length > 0) this.mark("controller: preferred leader election");
        for (const s of written) traceElected(this.ctx.trace, s, "preferred", previous.get(tpKey(s.topic, s.partition))!);
        for (const s of written) this.sendState(s, s.replicas.filter(this.replicaOnline(s)));
        done();
      },
    );
  }
}
