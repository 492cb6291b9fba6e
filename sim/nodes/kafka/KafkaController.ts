/**
 * The controller (kafka.controller.KafkaController, ZooKeeper mode) once a broker has won the
 * /controller znode. Events run one at a time (the ControllerEventManager queue): failover
 * (bump /controller_epoch, read brokers and partition states, tell every broker), broker changes
 * seen through the /brokers/ids watch (elect new leaders, drop dead replicas from the ISR),
 * controlled shutdown, topic creation and the periodic preferred-leader rebalance. Every
 * partition-state write is conditional on its zkVersion and on the controller epoch znode's
 * version (a multi with a check op), so a deposed controller cannot overwrite its successor.
 */
import type { Host } from "../../Host.js";
import type { RandomStream } from "../../Random.js";
import type { Endpoint } from "../Endpoint.js";
import type { ZkClient } from "../zookeeper/ZkClient.js";
import type { ZkOp, ZkResult } from "../zookeeper/ZkTree.js";
import { ControllerChannel } from "./ControllerChannel.js";
import type { KafkaObserver } from "./KafkaObserver.js";
import { controlledShutdownElection, isrWithout, offlineElection, preferredElection, type Election } from "./leaderElection.js";
import type { ControlledShutdownResponse, PartitionState } from "./protocol.js";
import { NO_LEADER, statePath, type PartitionStateZnode } from "./protocol.js";
import { assignReplicas } from "./replicaAssignment.js";
import type { KafkaConfig } from "./versions.js";

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
  observer: KafkaObserver;
  topics: readonly TopicSpec[];
  /** Every broker id the cluster was configured with (topics are created once all have registered). */
  expectedBrokers: number;
  hostOf(id: number): Host | undefined;
  topicConfig(topic: string): KafkaConfig;
  rng: RandomStream;
  brokerEpochsEnabled: boolean;
  onResign(): void;
}

type Done = () => void;

function zkAll(zk: ZkClient, ops: ZkOp[], cb: (results: ZkResult[]) => void): void {
  const results: ZkResult[] = new Array(ops.length);
  let left = ops.length;
  if (left === 0) return cb(results);
  ops.forEach((op, i) =>
    zk.request(op, (r) => {
      results[i] = r;
      if (--left === 0) cb(results);
    }),
  );
}

export class KafkaController {
  epoch = 0;
  private epochZkVersion = -1;
  active = true;
  private readonly live = new Map<number, { epoch: number; rack: string }>();
  private readonly shuttingDown = new Set<number>();
  private readonly states = new Map<string, PartitionState>();
  private readonly channel: ControllerChannel;
  private readonly events: Array<(done: Done) => void> = [];
  private running = false;

  constructor(private readonly ctx: ControllerContext) {
    this.channel = new ControllerChannel(ctx.endpoint, () => ({ controllerId: ctx.id, controllerEpoch: this.epoch }), ctx.config.num("controller.socket.timeout.ms") * 1000);
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
      this.channel.flush(() => this.allStates(), () => this.liveList());
      this.next();
    });
  }

  private isLive = (id: number): boolean => this.live.has(id) && !this.shuttingDown.has(id);

  private allStates(): PartitionState[] {
    return [...this.states.keys()].sort().map((k) => this.states.get(k)!);
  }

  private liveList(): Array<{ id: number; rack: string }> {
    return [...this.live].sort((a, b) => a[0] - b[0]).map(([id, b]) => ({ id, rack: b.rack }));
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
          this.readStates(() => {
            this.channel.addUpdateMetadata(this.live.keys());
            for (const s of this.states.values()) this.channel.addLeaderAndIsr(s.replicas.filter(this.isLive), s);
            this.electOffline(() => this.maybeCreateTopics(done));
          });
        });
        this.scheduleRebalance();
      });
    });
  }

  private addLive(id: number, b: { epoch: number; rack: string }): void {
    this.live.set(id, b);
    const host = this.ctx.hostOf(id);
    if (host !== undefined) this.channel.addBroker(id, host, () => (this.ctx.brokerEpochsEnabled ? (this.live.get(id)?.epoch ?? -1) : -1));
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

  /** Reads every partition's state znode (the leader may have changed the ISR since we last looked). */
  private readStates(cb: Done): void {
    this.ctx.zk.request({ op: "getChildren", path: "/brokers/topics" }, (t) => {
      const topics = t.children ?? [];
      zkAll(this.ctx.zk, topics.map((name) => ({ op: "getData", path: `/brokers/topics/${name}` }) as ZkOp), (assignments) => {
        const keys: Array<{ topic: string; partition: number; replicas: number[] }> = [];
        assignments.forEach((a, i) => {
          const parts = (a.data as { partitions: Record<string, number[]> } | undefined)?.partitions ?? {};
          for (const [p, replicas] of Object.entries(parts)) keys.push({ topic: topics[i], partition: Number(p), replicas });
        });
        zkAll(this.ctx.zk, keys.map((k) => ({ op: "getData", path: statePath(k.topic, k.partition) }) as ZkOp), (rs) => {
          rs.forEach((r, i) => {
            const k = keys[i];
            if (r.code !== "OK") return;
            const d = r.data as PartitionStateZnode;
            this.states.set(`${k.topic}-${k.partition}`, { topic: k.topic, partition: k.partition, leader: d.leader, leaderEpoch: d.leader_epoch, isr: d.isr, zkVersion: r.stat!.version, replicas: k.replicas, controllerEpoch: d.controller_epoch });
          });
          cb();
        });
      });
    });
  }

  /**
   * Writes new leader/ISR states, fenced by the controller epoch znode's version. On a zkVersion
   * conflict the state is re-read and the change recomputed once more.
   */
  private writeStates(changes: Array<{ state: PartitionState; leader: number; isr: number[] }>, cb: (written: PartitionState[]) => void): void {
    const next = changes.map((c) => ({ ...c.state, leader: c.leader, isr: c.isr, leaderEpoch: c.state.leaderEpoch + 1, controllerEpoch: this.epoch }));
    const ops: ZkOp[] = next.map((s) => ({
      op: "multi",
      ops: [
        { op: "check", path: "/controller_epoch", version: this.epochZkVersion },
        { op: "setData", path: statePath(s.topic, s.partition), data: { controller_epoch: this.epoch, leader: s.leader, leader_epoch: s.leaderEpoch, isr: s.isr, version: 1 }, version: s.zkVersion },
      ],
    }));
    zkAll(this.ctx.zk, ops, (rs) => {
      const written: PartitionState[] = [];
      rs.forEach((r, i) => {
        if (r.code !== "OK") return;
        const s = { ...next[i], zkVersion: r.stat!.version };
        this.states.set(`${s.topic}-${s.partition}`, s);
        written.push(s);
      });
      if (!rs.some((r) => r.code === "BADVERSION")) return cb(written);
      // Either a leader changed the ISR meanwhile, or another controller bumped the epoch.
      this.ctx.zk.request({ op: "getData", path: "/controller_epoch" }, (e) => {
        if (e.code !== "OK" || e.stat!.version !== this.epochZkVersion) {
          this.ctx.endpoint.machine.mark("controller: fenced by a newer controller epoch");
          return this.resign();
        }
        this.ctx.endpoint.machine.mark("controller: partition state zkVersion conflict");
        cb(written);
      });
    });
  }

  /** Sends a written state to its live replicas and metadata to every live broker. */
  private propagate(states: PartitionState[]): void {
    for (const s of states) this.channel.addLeaderAndIsr(s.replicas.filter((r) => this.live.has(r)), s);
    if (states.length > 0) this.channel.addUpdateMetadata(this.live.keys());
  }

  /** Elects leaders for partitions without a live one (OfflinePartitionLeaderElection). */
  private electOffline(done: Done): void {
    const changes: Array<{ state: PartitionState; leader: number; isr: number[] }> = [];
    let unclean = 0;
    for (const s of this.allStates()) {
      if (s.leader !== NO_LEADER && this.live.has(s.leader)) continue;
      const allowed = this.ctx.topicConfig(s.topic).bool("unclean.leader.election.enable");
      const e = offlineElection(s.replicas, s.isr, (id) => this.live.has(id), allowed);
      if (e === null) {
        if (s.leader !== NO_LEADER) changes.push({ state: s, leader: NO_LEADER, isr: isrWithout(s.isr, (id) => !this.live.has(id)) });
        continue;
      }
      if (e.unclean) unclean++;
      changes.push({ state: s, leader: e.leader, isr: e.isr });
    }
    if (unclean > 0) this.ctx.endpoint.machine.mark("controller: unclean leader election");
    this.writeStates(changes, (written) => {
      this.propagate(written);
      done();
    });
  }

  // --- broker changes ---

  onBrokerChange(): void {
    this.enqueue((done) =>
      this.readBrokers((now) => {
        const gone = [...this.live.keys()].filter((id) => now.get(id)?.epoch !== this.live.get(id)!.epoch);
        const added = [...now.keys()].filter((id) => this.live.get(id)?.epoch !== now.get(id)!.epoch);
        this.readStates(() => {
          this.onBrokersFailed(gone, () => {
            for (const id of added) this.addLive(id, now.get(id)!);
            this.onBrokersStarted(added, done);
          });
        });
      }),
    );
  }

  private onBrokersFailed(gone: number[], done: Done): void {
    if (gone.length === 0) return done();
    for (const id of gone) {
      this.live.delete(id);
      this.shuttingDown.delete(id);
      this.channel.removeBroker(id);
    }
    this.ctx.endpoint.machine.trace("controller-brokers-failed", { brokers: gone.join(",") });
    this.electOffline(() => {
      // OfflineReplica: the dead replicas leave the ISR of partitions whose leader lives.
      const changes = this.allStates()
        .filter((s) => s.leader !== NO_LEADER && s.isr.some((r) => gone.includes(r)))
        .map((s) => ({ state: s, leader: s.leader, isr: isrWithout(s.isr, (r) => gone.includes(r)) }));
      this.writeStates(changes, (written) => {
        this.propagate(written);
        this.channel.addUpdateMetadata(this.live.keys());
        done();
      });
    });
  }

  private onBrokersStarted(added: number[], done: Done): void {
    if (added.length === 0) return done();
    this.ctx.endpoint.machine.trace("controller-brokers-started", { brokers: added.join(",") });
    this.channel.addUpdateMetadata(this.live.keys());
    for (const s of this.allStates()) {
      const on = s.replicas.filter((r) => added.includes(r));
      if (on.length > 0) this.channel.addLeaderAndIsr(on, s);
    }
    this.electOffline(() => this.maybeCreateTopics(done));
  }

  // --- controlled shutdown ---

  onControlledShutdown(brokerId: number, brokerEpoch: number, respond: (r: ControlledShutdownResponse) => void): void {
    this.enqueue((done) => {
      const b = this.live.get(brokerId);
      if (b === undefined) {
        respond({ error: "BROKER_NOT_AVAILABLE", remaining: 0 });
        return done();
      }
      if (this.ctx.brokerEpochsEnabled && brokerEpoch < b.epoch) {
        respond({ error: "STALE_BROKER_EPOCH", remaining: 0 });
        return done();
      }
      this.shuttingDown.add(brokerId);
      this.readStates(() => {
        const changes: Array<{ state: PartitionState; leader: number; isr: number[] }> = [];
        let remaining = 0;
        for (const s of this.allStates()) {
          if (!s.replicas.includes(brokerId) || s.replicas.length < 2) continue;
          if (s.leader === brokerId) {
            const e = controlledShutdownElection(s.replicas, s.isr, (id) => this.live.has(id), this.shuttingDown);
            if (e === null) remaining++;
            else changes.push({ state: s, leader: e.leader, isr: e.isr });
          } else if (s.isr.includes(brokerId)) {
            changes.push({ state: s, leader: s.leader, isr: isrWithout(s.isr, (r) => r === brokerId) });
          }
          if (s.leader !== brokerId) this.channel.addStopReplica(brokerId, s.topic, s.partition);
        }
        this.writeStates(changes, (written) => {
          this.propagate(written);
          for (const s of written) if (s.leader !== brokerId && s.replicas.includes(brokerId)) this.channel.addStopReplica(brokerId, s.topic, s.partition);
          respond({ error: "NONE", remaining });
          done();
        });
      });
    });
  }

  // --- preferred leaders ---

  private scheduleRebalance(): void {
    if (!this.ctx.config.bool("auto.leader.rebalance.enable")) return;
    const m = this.ctx.endpoint.machine;
    m.setTimer(this.ctx.config.num("leader.imbalance.check.interval.seconds") * 1_000_000, () => {
      if (!this.active) return;
      this.enqueue((done) => this.rebalance(done));
      this.scheduleRebalance();
    });
  }

  /** checkAndTriggerAutoLeaderRebalance: brokers over leader.imbalance.per.broker.percentage get their preferred partitions back. */
  private rebalance(done: Done): void {
    this.readStates(() => {
      const threshold = this.ctx.config.num("leader.imbalance.per.broker.percentage") / 100;
      const changes: Array<{ state: PartitionState; leader: number; isr: number[] }> = [];
      const byPreferred = new Map<number, PartitionState[]>();
      for (const s of this.allStates()) {
        const list = byPreferred.get(s.replicas[0]) ?? [];
        list.push(s);
        byPreferred.set(s.replicas[0], list);
      }
      for (const [broker, list] of [...byPreferred].sort((a, b) => a[0] - b[0])) {
        const imbalanced = list.filter((s) => s.leader !== broker);
        if (imbalanced.length / list.length <= threshold || !this.isLive(broker)) continue;
        for (const s of imbalanced) {
          const e: Election | null = preferredElection(s.replicas, s.isr, this.isLive);
          if (e !== null) changes.push({ state: s, leader: e.leader, isr: e.isr });
        }
      }
      if (changes.length > 0) this.ctx.endpoint.machine.mark("controller: preferred leader election");
      this.writeStates(changes, (written) => {
        this.propagate(written);
        done();
      });
    });
  }

  // --- topics ---

  /** Creates the scenario's topics (as an admin client would) once every configured broker is registered. */
  private maybeCreateTopics(done: Done): void {
    const missing = this.ctx.topics.filter((t) => ![...this.states.values()].some((s) => s.topic === t.name));
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
      for (const s of created) this.states.set(`${s.topic}-${s.partition}`, s);
      this.ctx.endpoint.machine.trace("controller-topics-created", { topics: missing.map((t) => t.name).join(",") });
      this.propagate(created);
      done();
    });
  }
}
