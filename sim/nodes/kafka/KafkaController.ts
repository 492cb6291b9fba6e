/**
 * The controller (kafka.controller.KafkaController, ZooKeeper mode) once a broker has won the
 * /controller znode. Events run one at a time (the ControllerEventManager queue): failover
 * (bump /controller_epoch, read brokers and partition states, start the replica and partition
 * state machines), broker changes seen through the /brokers/ids watch, controlled shutdown,
 * ISR changes (AlterIsr from 2.7, /isr_change_notification before), topic creation and the
 * periodic preferred-leader rebalance. Partition-state writes go through PartitionStateStore.
 */
import type { Host } from "../../Host.js";
import type { RandomStream } from "../../Random.js";
import type { Endpoint } from "../Endpoint.js";
import type { ZkClient } from "../zookeeper/ZkClient.js";
import type { ZkOp } from "../zookeeper/ZkTree.js";
import { ControllerChannel } from "./ControllerChannel.js";
import type { KafkaObserver } from "./KafkaObserver.js";
import { controlledShutdownElection, offlineElection, preferredElection } from "./leaderElection.js";
import { PartitionStateStore, zkAll } from "./PartitionStateStore.js";
import type { AlterIsrPartitionResponse, AlterIsrRequest, AlterIsrResponse, ControlledShutdownResponse, ErrorCode, PartitionState } from "./protocol.js";
import { NO_LEADER, statePath, tpKey } from "./protocol.js";
import { assignReplicas } from "./replicaAssignment.js";
import type { Behaviour, KafkaConfig } from "./versions.js";

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
}

export interface ControllerContext {
  id: number;
  endpoint: Endpoint;
  zk: ZkClient;
  config: KafkaConfig;
  behaviour: Behaviour;
  observer: KafkaObserver;
  topics: readonly TopicSpec[];
  /** Every broker id the cluster was configured with (topics are created once all have registered). */
  expectedBrokers: number;
  hostOf(id: number): Host | undefined;
  topicConfig(topic: string): KafkaConfig;
  rng: RandomStream;
  onResign(): void;
}

type Done = () => void;

/** KafkaController.onControllerFailover: scheduleAutoLeaderRebalanceTask(delay = 5 s). */
const FIRST_REBALANCE_CHECK_US = 5_000_000;

export class KafkaController {
  epoch = 0;
  private epochZkVersion = -1;
  active = true;
  private readonly live = new Map<number, { epoch: number; rack: string }>();
  private readonly shuttingDown = new Set<number>();
  private readonly states: PartitionStateStore;
  private readonly channel: ControllerChannel;
  private readonly events: Array<(done: Done) => void> = [];
  private running = false;

  constructor(private readonly ctx: ControllerContext) {
    this.channel = new ControllerChannel(ctx.endpoint, () => ({ controllerId: ctx.id, controllerEpoch: this.epoch }), ctx.config.num("controller.socket.timeout.ms") * 1000);
    this.states = new PartitionStateStore({
      zk: ctx.zk,
      epochCheck: ctx.behaviour.controllerEpochZkCheck,
      controllerEpoch: () => this.epoch,
      epochZkVersion: () => this.epochZkVersion,
      onFenced: () => this.resign(),
      mark: (name) => this.mark(name),
    });
    this.enqueue((done) => this.onFailover(done));
  }

  resign(): void {
    if (!this.active) return;
    this.active = false;
    this.events.length = 0;
    this.channel.shutdown();
    this.ctx.endpoint.machine.trace("controller-resigned");
    this.ctx.onResign();
  }

  private mark(name: string): void {
    this.ctx.endpoint.machine.mark(name);
  }

  private enqueue(fn: (done: Done) => void): void {
    this.events.push(fn);
    if (!this.running) this.next();
  }

  private next(): void {
    const fn = this.events.shift();
    if (fn === undefined || !this.active) {
      this.running = false;
      return;
    }
    this.running = true;
    fn(() => {
      if (!this.active) return;
      this.channel.flush(() => this.states.all(), () => this.liveList());
      this.next();
    });
  }

  /** ControllerContext.isReplicaOnline: a live broker that is not shutting down. */
  private isOnline = (id: number): boolean => this.live.has(id) && !this.shuttingDown.has(id);

  private liveList(): Array<{ id: number; rack: string }> {
    return [...this.live].sort((a, b) => a[0] - b[0]).map(([id, b]) => ({ id, rack: b.rack }));
  }

  /** LeaderAndIsr to these replicas (the live ones), and UpdateMetadata to every live broker. */
  private sendState(s: PartitionState, recipients: readonly number[]): void {
    this.channel.addLeaderAndIsr(recipients.filter((r) => this.live.has(r)), s);
    this.channel.addUpdateMetadata(this.live.keys());
  }

  // --- failover ---

  private onFailover(done: Done): void {
    const zk = this.ctx.zk;
    zk.request({ op: "getData", path: "/controller_epoch" }, (r) => {
      const op: ZkOp =
        r.code === "NONODE"
          ? { op: "create", path: "/controller_epoch", data: 1 }
          : { op: "setData", path: "/controller_epoch", data: (r.data as number) + 1, version: r.stat!.version };
      zk.request(op, (w) => {
        if (w.code !== "OK") {
          // Someone else bumped it first: we are not the controller any more.
          this.resign();
          return;
        }
        this.epoch = op.op === "create" ? 1 : (op.data as number);
        this.epochZkVersion = w.stat!.version;
        this.ctx.endpoint.machine.trace("controller-elected", { epoch: this.epoch });
        this.ctx.observer.onControllerElected(this.ctx.id, this.epoch);
        this.readBrokers((brokers) => {
          for (const [id, b] of brokers) this.addLive(id, b);
          this.watchIsrChangeNotifications(true, () =>
            this.states.readAll(() => {
              this.channel.addUpdateMetadata(this.live.keys());
              this.startReplicaStateMachine(() => this.electOffline(() => this.maybeCreateTopics(done)));
            }),
          );
        });
        this.scheduleRebalance(FIRST_REBALANCE_CHECK_US);
      });
    });
  }

  /**
   * ZkReplicaStateMachine.startup: every replica on a live broker is told its partition's state
   * (OnlineReplica); from 2.3 (KAFKA-3143) replicas on dead brokers go to OfflineReplica, which
   * takes them out of the ISRs.
   */
  private startReplicaStateMachine(done: Done): void {
    for (const s of this.states.all()) this.channel.addLeaderAndIsr(s.replicas.filter((r) => this.live.has(r)), s);
    if (!this.ctx.behaviour.offlineReplicasAtFailover) return done();
    const dead = new Set<number>();
    for (const s of this.states.all()) for (const r of s.replicas) if (!this.live.has(r)) dead.add(r);
    this.offlineReplicas([...dead].sort((a, b) => a - b), done);
  }

  private addLive(id: number, b: { epoch: number; rack: string }): void {
    this.live.set(id, b);
    const host = this.ctx.hostOf(id);
    if (host !== undefined) this.channel.addBroker(id, host, () => (this.ctx.behaviour.brokerEpoch ? (this.live.get(id)?.epoch ?? -1) : -1));
  }

  /** Reads /brokers/ids (setting the child watch) and each broker's registration. */
  private readBrokers(cb: (brokers: Map<number, { epoch: number; rack: string }>) => void): void {
    this.ctx.zk.request({ op: "getChildren", path: "/brokers/ids", watch: true }, (r) => {
      const ids = (r.children ?? []).map(Number).sort((a, b) => a - b);
      zkAll(this.ctx.zk, ids.map((id) => ({ op: "getData", path: `/brokers/ids/${id}` }) as ZkOp), (rs) => {
        const out = new Map<number, { epoch: number; rack: string }>();
        rs.forEach((x, i) => {
          if (x.code === "OK") out.set(ids[i], { epoch: x.stat!.czxid, rack: (x.data as { rack: string }).rack });
        });
        cb(out);
      });
    });
  }

  // --- the partition and replica state machines ---

  /**
   * OfflinePartitionLeaderElection for every partition whose leader is gone
   * (PartitionStateMachine.triggerOnlinePartitionStateChange). A partition nobody can lead is
   * left as it is: it stays offline.
   */
  private electOffline(done: Done): void {
    const leaderless = (s: PartitionState): boolean => s.leader === NO_LEADER || !this.live.has(s.leader);
    let unclean = 0;
    this.states.update(
      this.states.keys(leaderless),
      (s) => {
        if (!leaderless(s)) return null;
        const e = offlineElection(s.replicas, s.isr, this.isOnline, this.ctx.topicConfig(s.topic).bool("unclean.leader.election.enable"));
        if (e?.unclean === true) unclean++;
        return e;
      },
      (written) => {
        if (unclean > 0) this.mark("controller: unclean leader election");
        for (const s of written) this.sendState(s, s.replicas.filter(this.isOnline));
        done();
      },
    );
  }

  /**
   * OfflineReplica for each replica in turn (ZkReplicaStateMachine.doRemoveReplicasFromIsr): it
   * leaves the ISR unless it is the last member, the partition loses its leader if it was the
   * leader, and the other replicas hear the new state; the replica itself is sent StopReplica.
   */
  private offlineReplicas(ids: readonly number[], done: Done): void {
    if (ids.length === 0) return done();
    const [id, ...rest] = ids;
    const onBroker = this.states.keys((s) => s.replicas.includes(id));
    this.states.update(
      onBroker,
      (s) => (s.isr.includes(id) ? { leader: s.leader === id ? NO_LEADER : s.leader, isr: s.isr.length === 1 ? s.isr : s.isr.filter((r) => r !== id) } : null),
      (written) => {
        for (const s of written) this.sendState(s, s.replicas.filter((r) => r !== id));
        if (this.live.has(id)) for (const k of onBroker) this.channel.addStopReplica(id, this.states.get(k)!.topic, this.states.get(k)!.partition);
        this.offlineReplicas(rest, done);
      },
    );
  }

  // --- broker changes ---

  onBrokerChange(): void {
    this.enqueue((done) =>
      this.readBrokers((now) => {
        const gone = [...this.live.keys()].filter((id) => now.get(id)?.epoch !== this.live.get(id)!.epoch);
        const added = [...now.keys()].filter((id) => this.live.get(id)?.epoch !== now.get(id)!.epoch);
        this.onBrokersFailed(gone, () => {
          for (const id of added) this.addLive(id, now.get(id)!);
          this.onBrokersStarted(added, done);
        });
      }),
    );
  }

  /** KafkaController.onBrokerFailure / onReplicasBecomeOffline: elect new leaders, then OfflineReplica. */
  private onBrokersFailed(gone: number[], done: Done): void {
    if (gone.length === 0) return done();
    for (const id of gone) {
      this.live.delete(id);
      this.shuttingDown.delete(id);
      this.channel.removeBroker(id);
    }
    this.ctx.endpoint.machine.trace("controller-brokers-failed", { brokers: gone.join(",") });
    this.electOffline(() =>
      this.offlineReplicas(gone, () => {
        this.channel.addUpdateMetadata(this.live.keys());
        done();
      }),
    );
  }

  /** KafkaController.onBrokerStartup: metadata to everyone, the new brokers' replicas come online. */
  private onBrokersStarted(added: number[], done: Done): void {
    if (added.length === 0) return done();
    this.ctx.endpoint.machine.trace("controller-brokers-started", { brokers: added.join(",") });
    this.channel.addUpdateMetadata(this.live.keys());
    for (const s of this.states.all()) {
      const on = s.replicas.filter((r) => added.includes(r));
      if (on.length > 0) this.channel.addLeaderAndIsr(on, s);
    }
    this.electOffline(() => this.maybeCreateTopics(done));
  }

  // --- controlled shutdown ---

  /**
   * KafkaController.doControlledShutdown: partitions the broker leads get a leader among the
   * other ISR members (the broker, still live, hears it and becomes a follower); partitions it
   * follows get StopReplica and then OfflineReplica, whose ISR shrink goes to the other replicas
   * only. What it still leads afterwards is the answer, and the broker retries while it is not
   * empty.
   */
  onControlledShutdown(brokerId: number, brokerEpoch: number, respond: (r: ControlledShutdownResponse) => void): void {
    this.enqueue((done) => {
      const b = this.live.get(brokerId);
      if (b === undefined) {
        respond({ error: "BROKER_NOT_AVAILABLE", remaining: 0 });
        return done();
      }
      if (this.ctx.behaviour.brokerEpoch && brokerEpoch < b.epoch) {
        respond({ error: "STALE_BROKER_EPOCH", remaining: 0 });
        return done();
      }
      this.shuttingDown.add(brokerId);
      const replicated = (s: PartitionState): boolean => s.replicas.includes(brokerId) && s.replicas.length > 1;
      const led = this.states.keys((s) => replicated(s) && s.leader === brokerId);
      const followed = this.states.keys((s) => replicated(s) && s.leader !== brokerId);
      this.states.update(
        led,
        (s) => (s.leader === brokerId ? controlledShutdownElection(s.replicas, s.isr, (id) => this.live.has(id), this.shuttingDown) : null),
        (written) => {
          for (const s of written) this.sendState(s, s.replicas.filter((r) => this.live.has(r)));
          for (const k of followed) this.channel.addStopReplica(brokerId, this.states.get(k)!.topic, this.states.get(k)!.partition);
          this.offlineReplicas([brokerId], () => {
            const remaining = this.states.keys((s) => replicated(s) && s.leader === brokerId).length;
            if (remaining === 0) this.mark("controller: controlled shutdown moved every leadership");
            respond({ error: "NONE", remaining });
            done();
          });
        },
      );
    });
  }

  // --- ISR changes from leaders ---

  /**
   * KafkaController.processAlterIsr (2.7; processAlterPartition from 3.2): the controller checks
   * the broker epoch, then each partition's leader epoch and znode version, writes the new ISR
   * (same leader epoch) and tells every broker; the leader learns the result from the answer.
   */
  onAlterIsr(req: AlterIsrRequest, respond: (r: AlterIsrResponse) => void): void {
    this.enqueue((done) => {
      const b = this.live.get(req.brokerId);
      if (b === undefined || (this.ctx.behaviour.brokerEpoch && req.brokerEpoch !== b.epoch)) {
        respond({ error: "STALE_BROKER_EPOCH", partitions: [] });
        return done();
      }
      const answers = new Map<string, AlterIsrPartitionResponse>();
      const toWrite: PartitionState[] = [];
      for (const p of req.partitions) {
        const key = tpKey(p.topic, p.partition);
        const s = this.states.get(key);
        const answer = (error: ErrorCode, st?: PartitionState): void => {
          answers.set(key, { topic: p.topic, partition: p.partition, error, leaderEpoch: st?.leaderEpoch ?? -1, isr: st?.isr ?? [], currentIsrVersion: st?.zkVersion ?? -1 });
        };
        if (s === undefined) answer("UNKNOWN_TOPIC_OR_PARTITION");
        else if (p.leaderEpoch < s.leaderEpoch) answer("FENCED_LEADER_EPOCH");
        else if (p.leaderEpoch === s.leaderEpoch && sameIsr(p.newIsr, s.isr)) answer("NONE", s);
        else if (p.currentIsrVersion !== s.zkVersion) answer("INVALID_UPDATE_VERSION");
        else if (this.ctx.behaviour.ineligibleReplicaCheck && p.newIsr.some((r) => !this.isOnline(r))) {
          // KIP-841 (KAFKA-14140, 3.3): no broker that is gone or shutting down joins an ISR.
          this.mark("controller: AlterPartition refused an ineligible replica");
          answer("INELIGIBLE_REPLICA");
        } else toWrite.push({ ...s, isr: p.newIsr.slice(), controllerEpoch: this.epoch });
      }
      this.states.write(toWrite, (written, conflicts) => {
        for (const s of written) answers.set(tpKey(s.topic, s.partition), { topic: s.topic, partition: s.partition, error: "NONE", leaderEpoch: s.leaderEpoch, isr: s.isr, currentIsrVersion: s.zkVersion });
        for (const k of conflicts) answers.set(k, { ...answers.get(k)!, error: "INVALID_UPDATE_VERSION" });
        if (written.length > 0) {
          this.mark("controller: ISR changed by AlterIsr");
          this.channel.addUpdateMetadata(this.live.keys());
        }
        respond({ error: "NONE", partitions: req.partitions.map((p) => answers.get(tpKey(p.topic, p.partition)) ?? { topic: p.topic, partition: p.partition, error: "INVALID_UPDATE_VERSION", leaderEpoch: -1, isr: [], currentIsrVersion: -1 }) });
        done();
      });
    });
  }

  /**
   * Before 2.7 leaders write ISR changes themselves and announce them with sequential znodes
   * under /isr_change_notification (KafkaController.processIsrChangeNotification): the
   * controller re-reads those partitions, sends UpdateMetadata and deletes the notifications. At
   * failover the old notifications are deleted unread (the controller reads every state anyway).
   */
  onIsrChangeNotification(): void {
    this.enqueue((done) =>
      this.watchIsrChangeNotifications(false, (keys) => {
        if (keys.length === 0) return done();
        this.states.read(keys, () => {
          this.mark("controller: ISR change notification propagated");
          this.channel.addUpdateMetadata(this.live.keys());
          done();
        });
      }),
    );
  }

  /** Reads (and re-watches) the notifications, deletes them and returns the partitions they name. */
  private watchIsrChangeNotifications(discard: boolean, cb: (keys: string[]) => void): void {
    if (this.ctx.behaviour.alterIsr) return cb([]);
    const zk = this.ctx.zk;
    const dir = "/isr_change_notification";
    zk.request({ op: "getChildren", path: dir, watch: true }, (r) => {
      const children = (r.children ?? []).slice().sort();
      zkAll(zk, children.map((c) => ({ op: "getData", path: `${dir}/${c}` }) as ZkOp), (rs) => {
        const keys = new Set<string>();
        if (!discard) for (const x of rs) for (const p of (x.data as { partitions: Array<{ topic: string; partition: number }> } | undefined)?.partitions ?? []) if (this.states.get(tpKey(p.topic, p.partition)) !== undefined) keys.add(tpKey(p.topic, p.partition));
        zkAll(zk, children.map((c) => ({ op: "delete", path: `${dir}/${c}`, version: -1 }) as ZkOp), () => cb([...keys].sort()));
      });
    });
  }

  // --- preferred leaders ---

  /** First 5 s after failover, then leader.imbalance.check.interval.seconds after each check. */
  private scheduleRebalance(delayUs: number): void {
    if (!this.ctx.config.bool("auto.leader.rebalance.enable")) return;
    this.ctx.endpoint.machine.setTimer(delayUs, () => {
      if (!this.active) return;
      this.enqueue((done) =>
        this.rebalance(() => {
          this.scheduleRebalance(this.ctx.config.num("leader.imbalance.check.interval.seconds") * 1_000_000);
          done();
        }),
      );
    });
  }

  /** checkAndTriggerAutoLeaderRebalance: brokers over leader.imbalance.per.broker.percentage get their preferred partitions back. */
  private rebalance(done: Done): void {
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
    this.states.update(
      keys,
      (s) => (s.leader === s.replicas[0] ? null : preferredElection(s.replicas, s.isr, this.isOnline)),
      (written) => {
        if (written.length > 0) this.mark("controller: preferred leader election");
        for (const s of written) this.sendState(s, s.replicas.filter(this.isOnline));
        done();
      },
    );
  }

  // --- topics ---

  /** Creates the scenario's topics (as an admin client would) once every configured broker is registered. */
  private maybeCreateTopics(done: Done): void {
    const missing = this.ctx.topics.filter((t) => !this.states.has(t.name));
    if (missing.length === 0 || this.live.size < this.ctx.expectedBrokers) return done();
    const racks = new Map([...this.live].map(([id, b]) => [id, b.rack]));
    const created: PartitionState[] = [];
    const ops: ZkOp[] = [];
    for (const t of missing) {
      const assignment = assignReplicas(racks, t.partitions, t.replicationFactor, this.ctx.rng);
      ops.push({ op: "create", path: `/brokers/topics/${t.name}`, data: { partitions: Object.fromEntries(assignment.map((r, p) => [String(p), r])) } });
      ops.push({ op: "create", path: `/brokers/topics/${t.name}/partitions`, data: null });
      assignment.forEach((replicas, p) => {
        const s: PartitionState = { topic: t.name, partition: p, leader: replicas[0], leaderEpoch: 0, isr: replicas.slice(), zkVersion: 0, replicas, controllerEpoch: this.epoch };
        ops.push({ op: "create", path: `/brokers/topics/${t.name}/partitions/${p}`, data: null });
        ops.push({ op: "create", path: statePath(t.name, p), data: { controller_epoch: this.epoch, leader: s.leader, leader_epoch: 0, isr: s.isr, version: 1 } });
        created.push(s);
      });
    }
    zkAll(this.ctx.zk, ops, () => {
      for (const s of created) this.states.set(s);
      this.ctx.endpoint.machine.trace("controller-topics-created", { topics: missing.map((t) => t.name).join(",") });
      for (const s of created) this.sendState(s, s.replicas);
      done();
    });
  }
}

function sameIsr(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i]);
}
