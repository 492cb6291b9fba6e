/**
 * The controller (kafka.controller.KafkaController, ZooKeeper mode) once a broker has won the
 * /controller znode. Events run one at a time (the ControllerEventManager queue): failover
 * (bump /controller_epoch, read brokers and partition states, start the replica and partition
 * state machines), broker changes seen through the /brokers/ids watch, controlled shutdown,
 * ISR changes (AlterIsr from 2.7, /isr_change_notification before), log dir failures
 * (/log_dir_event_notification, KIP-112), topic creation and the periodic preferred-leader
 * rebalance. Partition-state writes go through PartitionStateStore. The ISR change and log dir
 * events are handled in isrChangeEvents.ts and logDirEvents.ts, on this queue.
 */
import type { Host } from "../../../Host.js";
import type { RandomStream } from "../../../Random.js";
import type { Endpoint } from "../../Endpoint.js";
import type { ZkClient } from "../../zookeeper/ZkClient.js";
import type { ZkOp } from "../../zookeeper/ZkTree.js";
import { ControllerChannel } from "./ControllerChannel.js";
import type { KafkaObserver } from "../KafkaObserver.js";
import { ControllerStateMachines, traceElected } from "./ControllerStateMachines.js";
import { controlledShutdownElection } from "./leaderElection.js";
import { periodRule } from "../server/KafkaScheduler.js";
import { PartitionStateStore, zkAll } from "./PartitionStateStore.js";
import { ISR_CHANGE_DIR, LOG_DIR_EVENT_DIR, takeNotifications } from "./controllerNotifications.js";
import { processAlterIsr, processIsrChangeNotification } from "./isrChangeEvents.js";
import { processLeaderAndIsrResponse, processLogDirEventNotification } from "./logDirEvents.js";
import type { AlterIsrRequest, AlterIsrResponse, ControlledShutdownResponse, PartitionState } from "../common/protocol.js";
import { topicCreationOps } from "./replicaAssignment.js";
import type { Behaviour, KafkaConfig } from "../common/versions.js";

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

/** What the event handlers in isrChangeEvents.ts and logDirEvents.ts use of the controller. */
export interface ControllerEventContext {
  zk: ZkClient;
  behaviour: Behaviour;
  states: PartitionStateStore;
  sm: ControllerStateMachines;
  channel: ControllerChannel;
  epoch(): number;
  active(): boolean;
  /** The ControllerEventManager queue: events run one at a time. */
  enqueue(fn: (done: Done) => void): void;
  mark(name: string): void;
}

/** KafkaController.onControllerFailover: scheduleAutoLeaderRebalanceTask(delay = 5 s). */
const FIRST_REBALANCE_CHECK_US = 5_000_000;

/**
 * What the controller does with leader.imbalance.check.interval.seconds (3.2+ refuses < 1 in its
 * ConfigDef): "repeat" after each check (a positive interval); "once", the first check only
 * (0.10.2 with a negative period, KafkaScheduler's rule); "throws" (0.10.2 with 0:
 * scheduleAtFixedRate's IllegalArgumentException in onControllerFailover, after which
 * ZookeeperLeaderElector.elect resigns and the brokers elect again, over and over); "busy-loop"
 * (0.11 - 3.1 with <= 0, a negative delay being none: processAutoPreferredReplicaLeaderElection
 * re-arms the task with no delay, so from the first check on one is always queued, and the event
 * queue runs one after every other event; we run exactly that, the check taking no time). "throws"
 * is refused at load. 0.10.2's fixed rate is taken as a re-arm after each check.
 */
export function rebalanceRule(intervalSeconds: number, behaviour: Pick<Behaviour, "rebalanceTaskRearmed" | "schedulerPeriodZeroRunsOnce">): "repeat" | "once" | "throws" | "busy-loop" {
  if (intervalSeconds > 0) return "repeat";
  if (behaviour.rebalanceTaskRearmed) return "busy-loop";
  return periodRule(intervalSeconds, behaviour) === "throws" ? "throws" : "once";
}

export class KafkaController {
  epoch = 0;
  private epochZkVersion = -1;
  active = true;
  private readonly states: PartitionStateStore;
  private readonly sm: ControllerStateMachines;
  private readonly channel: ControllerChannel;
  private readonly eventContext: ControllerEventContext;
  private readonly events: Array<{ fn: (done: Done) => void; rebalanceCheck: boolean }> = [];
  /**
   * leader.imbalance.check.interval.seconds <= 0 in 0.11 - 3.1, after the first check: the check is
   * re-armed with no delay, so one is always queued behind whatever event comes in.
   */
  private continuousRebalance = false;
  private rebalanceQueued = false;
  private running = false;

  constructor(private readonly ctx: ControllerContext) {
    this.channel = new ControllerChannel(ctx.endpoint, () => ({ controllerId: ctx.id, controllerEpoch: this.epoch }), ctx.config.num("controller.socket.timeout.ms") * 1000, (id, res) =>
      processLeaderAndIsrResponse(this.eventContext, id, res),
    );
    this.states = new PartitionStateStore({
      zk: ctx.zk,
      epochCheck: ctx.behaviour.controllerEpochZkCheck,
      controllerEpoch: () => this.epoch,
      epochZkVersion: () => this.epochZkVersion,
      onFenced: () => this.resign(),
      mark: (name) => this.mark(name),
    });
    this.sm = new ControllerStateMachines(this.states, this.channel, { behaviour: ctx.behaviour, config: ctx.config, topicConfig: ctx.topicConfig, mark: (name) => this.mark(name), trace: (type, data) => ctx.endpoint.machine.trace(type, data) });
    this.eventContext = { zk: ctx.zk, behaviour: ctx.behaviour, states: this.states, sm: this.sm, channel: this.channel, epoch: () => this.epoch, active: () => this.active, enqueue: (fn) => this.enqueue(fn), mark: (name) => this.mark(name) };
    this.enqueue((done) => this.onFailover(done));
  }

  private get live(): Map<number, { epoch: number; rack: string }> {
    return this.sm.live;
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

  private enqueue(fn: (done: Done) => void, rebalanceCheck = false): void {
    this.events.push({ fn, rebalanceCheck });
    if (!this.running) this.next();
  }

  private next(): void {
    const ev = this.events.shift();
    if (ev === undefined || !this.active) {
      this.running = false;
      return;
    }
    this.running = true;
    if (ev.rebalanceCheck) this.rebalanceQueued = false;
    ev.fn(() => {
      if (!this.active) return;
      this.sendBatch();
      // The busy loop: a check follows every other event. Checks in between see the same
      // controller context, so each would do nothing the one before did not.
      if (this.continuousRebalance && !ev.rebalanceCheck && !this.rebalanceQueued) this.enqueueRebalanceCheck(() => undefined);
      this.next();
    });
  }

  /** ControllerBrokerRequestBatch.sendRequestsToBrokers: what the event gathered so far goes out. */
  private sendBatch(): void {
    this.channel.flush(() => this.states.all(), () => this.liveList());
  }

  private liveList(): Array<{ id: number; rack: string }> {
    return [...this.live].sort((a, b) => a[0] - b[0]).map(([id, b]) => ({ id, rack: b.rack }));
  }

  // --- failover ---

  private onFailover(done: Done): void {
    const zk = this.ctx.zk;
    zk.request({ op: "getData", path: "/controller_epoch" }, (r) => {
      // The session ended before failover began (SESSIONEXPIRED): not the controller any more.
      if (r.code !== "OK" && r.code !== "NONODE") return this.resign();
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
          // Old notifications are deleted unread: every state is read below, and every replica
          // is sent LeaderAndIsr (its answer reports offline log dirs).
          this.discardNotifications(ISR_CHANGE_DIR, () =>
            this.discardNotifications(LOG_DIR_EVENT_DIR, () =>
              this.states.readAll(() => {
                // sendUpdateMetadataRequest goes out as a batch of its own before the state machines start.
                this.channel.addUpdateMetadata(this.live.keys());
                this.sendBatch();
                this.sm.startReplicaStateMachine(() => this.sm.electOffline(() => this.maybeCreateTopics(done)));
              }),
            ),
          );
        });
        this.scheduleRebalance(FIRST_REBALANCE_CHECK_US);
      });
    });
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

  // --- broker changes ---

  onBrokerChange(): void {
    this.enqueue((done) =>
      this.readBrokers((now) => {
        // From 2.2 (KIP-380) a broker that bounced between two reads is told apart by its epoch
        // (the znode's czxid); before, BrokerChange compares ids only and misses it.
        const same = (id: number): boolean => (this.ctx.behaviour.brokerEpoch ? now.get(id)?.epoch === this.live.get(id)?.epoch : now.has(id) && this.live.has(id));
        const gone = [...this.live.keys()].filter((id) => !same(id));
        const added = [...now.keys()].filter((id) => !same(id));
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
      this.sm.shuttingDown.delete(id);
      this.sm.offlineDirReplicas.delete(id);
      this.channel.removeBroker(id);
    }
    this.ctx.endpoint.machine.trace("controller-brokers-failed", { brokers: gone.join(",") });
    this.sm.electOffline(() =>
      this.sm.offlineReplicas(gone, () => {
        this.channel.addUpdateMetadata(this.live.keys());
        done();
      }),
    );
  }

  /** KafkaController.onBrokerStartup: metadata to everyone, the new brokers' replicas come online. */
  private onBrokersStarted(added: number[], done: Done): void {
    if (added.length === 0) return done();
    this.ctx.endpoint.machine.trace("controller-brokers-started", { brokers: added.join(",") });
    for (const id of added) this.sm.offlineDirReplicas.delete(id);
    // onBrokerStartup: metadata first, in a batch of its own, so the new brokers know who is alive.
    this.channel.addUpdateMetadata(this.live.keys());
    this.sendBatch();
    for (const s of this.states.all()) {
      const on = s.replicas.filter((r) => added.includes(r));
      if (on.length > 0) this.channel.addLeaderAndIsr(on, s);
    }
    this.sm.electOffline(() => this.maybeCreateTopics(done));
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
      this.sm.shuttingDown.add(brokerId);
      const replicated = (s: PartitionState): boolean => s.replicas.includes(brokerId) && s.replicas.length > 1;
      const led = this.states.keys((s) => replicated(s) && s.leader === brokerId);
      const followed = this.states.keys((s) => replicated(s) && s.leader !== brokerId);
      this.states.update(
        led,
        (s) => (s.leader === brokerId ? controlledShutdownElection(s.replicas, s.isr, (id) => this.live.has(id), this.sm.shuttingDown) : null),
        (written) => {
          for (const s of written) traceElected((type, data) => this.ctx.endpoint.machine.trace(type, data), s, "controlled-shutdown", brokerId);
          for (const s of written) this.sm.sendState(s, s.replicas.filter((r) => this.live.has(r)));
          // StopReplica and the ISR shrink for what it follows (OfflineReplica sends both); what
          // it led but could not hand over stays led by it and is counted in the answer.
          this.sm.offlineReplicas([brokerId], () => {
            const remaining = this.states.keys((s) => replicated(s) && s.leader === brokerId).length;
            if (remaining === 0) this.mark("controller: controlled shutdown moved every leadership");
            respond({ error: "NONE", remaining });
            done();
          }, new Set(followed));
        },
      );
    });
  }

  // --- ISR changes from leaders ---

  onAlterIsr(req: AlterIsrRequest, respond: (r: AlterIsrResponse) => void): void {
    processAlterIsr(this.eventContext, req, respond);
  }

  onIsrChangeNotification(): void {
    processIsrChangeNotification(this.eventContext);
  }

  /** Deletes a notification directory's znodes unread (re-arming its watch), as failover does. */
  private discardNotifications(dir: string, done: Done): void {
    if (dir === ISR_CHANGE_DIR && this.ctx.behaviour.alterIsr) return done();
    takeNotifications<unknown>(this.ctx.zk, dir, () => done());
  }

  // --- log dir failures (KIP-112) ---

  onLogDirEventNotification(): void {
    processLogDirEventNotification(this.eventContext);
  }

  // --- preferred leaders ---

  /** First 5 s after failover, then leader.imbalance.check.interval.seconds after each check. */
  private scheduleRebalance(delayUs: number): void {
    if (!this.ctx.config.bool("auto.leader.rebalance.enable")) return;
    const intervalSeconds = this.ctx.config.num("leader.imbalance.check.interval.seconds");
    const rule = rebalanceRule(intervalSeconds, this.ctx.behaviour);
    if (rule === "throws") throw new Error(`leader.imbalance.check.interval.seconds=${intervalSeconds} fails 0.10.2's failover over and over, not modelled (the scenario loader refuses it)`);
    this.ctx.endpoint.machine.setTimer(delayUs, () => {
      if (!this.active) return;
      this.enqueueRebalanceCheck(() => {
        if (rule === "repeat") this.scheduleRebalance(intervalSeconds * 1_000_000);
        if (rule === "busy-loop" && !this.continuousRebalance) {
          this.mark("controller: leader balance checked after every event (interval <= 0)");
          this.continuousRebalance = true;
        }
      });
    });
  }

  /** AutoPreferredReplicaLeaderElection: checkAndTriggerAutoLeaderRebalance, then `after` (the re-arm). */
  private enqueueRebalanceCheck(after: () => void): void {
    this.rebalanceQueued = true;
    this.enqueue(
      (done) =>
        this.sm.electPreferred(() => {
          after();
          done();
        }),
      true,
    );
  }

  // --- topics ---

  /** Creates the scenario's topics (as an admin client would) once every configured broker is registered. */
  private maybeCreateTopics(done: Done): void {
    const missing = this.ctx.topics.filter((t) => !this.states.has(t.name));
    if (missing.length === 0 || this.live.size < this.ctx.expectedBrokers) return done();
    const racks = new Map([...this.live].map(([id, b]) => [id, b.rack]));
    const { ops, created } = topicCreationOps(missing, racks, this.ctx.rng, this.epoch);
    zkAll(this.ctx.zk, ops, () => {
      for (const s of created) this.states.set(s);
      this.ctx.endpoint.machine.trace("controller-topics-created", { topics: missing.map((t) => t.name).join(",") });
      for (const s of created) this.sm.sendState(s, s.replicas);
      done();
    });
  }
}
