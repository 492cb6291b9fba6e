/**
 * A Kafka broker process (kafka.server.KafkaServer, ZooKeeper mode). Startup: the log manager
 * loads (and after an unclean shutdown recovers) the logs of every log dir, then a ZooKeeper
 * session, registration under /brokers/ids (the znode's czxid is the broker epoch, KIP-380) and
 * a bid for the /controller znode. Requests go through the request pools to KafkaApis-like
 * handlers. On SIGTERM it runs controlled shutdown, checkpoints its high watermarks, flushes its
 * logs and leaves a clean-shutdown marker in each log dir so that the next start skips recovery.
 * A storage error it cannot survive halts it (Exit.halt): the process exits. So does a start-up
 * whose registration finds the znode of an earlier process's session still there (every version:
 * ZKCheckedEphemeral before 1.1, KafkaZkClient.checkedEphemeralCreate after; KAFKA-7165 in 2.2
 * re-creates it only for the same process's own expired session).
 */
import type { Host, Process } from "../../../Host.js";
import type { Socket } from "../../../network/Network.js";
import { Endpoint, type RequestHandler } from "../../Endpoint.js";
import type { Machine } from "../../Machine.js";
import { ZkClient } from "../../zookeeper/ZkClient.js";
import type { WatchEvent } from "../../zookeeper/ZkTree.js";
import { KafkaController, type TopicSpec } from "../controller/KafkaController.js";
import type { KafkaObserver } from "../KafkaObserver.js";
import { LogDirFailureChannel } from "../log/LogDir.js";
import { LogManager } from "../log/LogManager.js";
import { NodeConnection } from "../clients/NodeConnection.js";
import { ReplicaManager } from "./ReplicaManager.js";
import { RequestPools, type RequestCpu } from "./RequestPools.js";
import type { Behaviour, KafkaConfig } from "../common/versions.js";
import { HEADER_BYTES, LOG_DIR_EVENT_PATH, type ControlledShutdownRequest, type ControlledShutdownResponse, type LogDirEventZnode, type Request } from "../common/protocol.js";
import { KafkaApis, requestBytes } from "./KafkaApis.js";
import { MetadataCache } from "./MetadataCache.js";
import { GroupCoordinator, type GroupObserver } from "../coordinator/group/GroupCoordinator.js";
import { GroupMetadataManager } from "../coordinator/group/GroupMetadataManager.js";
import type { GroupMetadata } from "../coordinator/group/GroupMetadata.js";
import { CONSUMER_OFFSETS } from "../common/protocol.js";

export interface BrokerSpec {
  id: number;
  rack: string;
  zkServers: readonly Host[];
  config: KafkaConfig;
  behaviour: Behaviour;
  topicConfig(topic: string): KafkaConfig;
  topics: readonly TopicSpec[];
  expectedBrokers: number;
  hostOf(id: number): Host | undefined;
  observer: KafkaObserver;
  groupObserver: GroupObserver;
  /** Where the request pools count their busy time, across restarts. */
  requestCpu?: RequestCpu;
}

/**
 * Startup work besides log loading (JVM, socket server, ...), after the logs have loaded: a base
 * plus a uniform jitter drawn per start, so brokers started together reach ZooKeeper in a
 * seed-dependent order (which one becomes the first controller varies with the seed).
 */
const STARTUP_US = 1_000_000;
const STARTUP_JITTER_US = 500_000;

export class Broker implements Process, RequestHandler {
  readonly kind = "broker";
  private readonly endpoint: Endpoint;
  private zk: ZkClient | null = null;
  private readonly rm: ReplicaManager;
  private readonly pools: RequestPools;
  private controller: KafkaController | null = null;
  /** KafkaServer.startupComplete: logs loaded and the broker registered. */
  private startupComplete = false;
  private brokerEpoch = -1;
  private readonly metadataCache = new MetadataCache();
  private readonly apis: KafkaApis;
  private readonly groupCoordinator: GroupCoordinator;
  private readonly logManager: LogManager;
  /** Log dir events to write once the ZooKeeper client exists (a dir failed while loading). */
  private pendingLogDirEvents = 0;
  private stopping = false;
  private readonly channels = new Map<number, RequestChannel>();

  constructor(
    readonly machine: Machine,
    private readonly spec: BrokerSpec,
  ) {
    this.endpoint = new Endpoint(machine, this);
    const c = spec.config;
    this.pools = new RequestPools(c.num("num.network.threads"), c.num("num.io.threads"), spec.requestCpu);
    const self = this;
    const channel = new LogDirFailureChannel({
      machine,
      logDirFailureHandling: spec.behaviour.logDirFailureHandling,
      handleLogDirFailure: (dir) => this.rm.handleLogDirFailure(dir),
      halt: (reason) => this.halt(reason),
    });
    this.logManager = new LogManager({
      machine,
      config: c,
      behaviour: spec.behaviour,
      topicConfig: spec.topicConfig,
      channel,
      halt: (reason) => this.halt(reason),
      highWatermarkOf: (key) => this.rm.partitions.get(key)?.highWatermark ?? null,
    });
    this.rm = new ReplicaManager({
      id: spec.id,
      machine,
      endpoint: this.endpoint,
      get zk() {
        return self.zk!;
      },
      config: c,
      behaviour: spec.behaviour,
      observer: spec.observer,
      hostOf: spec.hostOf,
      topicConfig: spec.topicConfig,
      brokerEpoch: () => this.brokerEpoch,
      controllerHost: () => (this.metadataCache.isBrokerAlive(this.metadataCache.metadataControllerId) ? spec.hostOf(this.metadataCache.metadataControllerId) : undefined),
      isBrokerAlive: (id) => this.metadataCache.isBrokerAlive(id),
      logManager: this.logManager,
      channel,
      propagateLogDirEvent: () => this.propagateLogDirEvent(),
      halt: (reason) => this.halt(reason),
    });
    const groupCoordinator = (this.groupCoordinator = this.newGroupCoordinator());
    this.apis = new KafkaApis({ brokerId: spec.id, machine, behaviour: spec.behaviour, rm: this.rm, metadataCache: this.metadataCache, controller: () => this.controller, groupCoordinator, offsetsPartitions: c.num("offsets.topic.num.partitions") });
    const replicaManagerStartup = this.rm.startup();
    // KafkaServer.startup: LogManager.startup (load, then the flusher and checkpoint tasks) and
    // ReplicaManager.startup before registration; an exception there fails the start-up.
    machine.setTimer(0, () =>
      this.logManager.loadLogs(() => {
        const failed = this.logManager.startup() ?? replicaManagerStartup;
        if (failed !== null) return this.startupFailed(failed);
        machine.setTimer(STARTUP_US + machine.rng("startup").int(0, STARTUP_JITTER_US), () => this.startZk());
      }),
    );
  }

  /**
   * The group coordinator and where it keeps groups: appends to __consumer_offsets go through the
   * replica manager like a producer's (offsets.commit.required.acks, offsets.commit.timeout.ms).
   */
  private newGroupCoordinator(): GroupCoordinator {
    const { machine, spec } = this;
    const c = spec.config;
    const store = new GroupMetadataManager({
      machine,
      behaviour: spec.behaviour,
      partitions: c.num("offsets.topic.num.partitions"),
      append: (partition, batch, done) =>
        this.rm.handleProduce({ acks: c.num("offsets.commit.required.acks"), timeoutMs: c.num("offsets.commit.timeout.ms"), data: [{ topic: CONSUMER_OFFSETS, partition, batch }] }, (res) => done(res.partitions[0]?.error ?? "UNKNOWN_SERVER_ERROR")),
      logOf: (partition) => {
        const p = this.rm.partitions.get(`${CONSUMER_OFFSETS}-${partition}`);
        if (p === undefined) return null;
        return { batches: p.log.read(0, Infinity), loadEnd: spec.behaviour.groupLoadToLogEnd ? p.log.logEndOffset : p.highWatermark };
      },
      onGroupLoaded: (g) => coordinator.onGroupLoaded(g),
      onGroupUnloaded: (g) => coordinator.onGroupUnloaded(g),
    });
    const coordinator = new GroupCoordinator({ machine, config: c, behaviour: spec.behaviour, store, observer: spec.groupObserver });
    return coordinator;
  }

  /**
   * An exception in KafkaServer.startup: "Fatal error during KafkaServer startup. Prepare to
   * shutdown", shutdown(), then exit code 1 (KafkaServerStartable.startup before 2.8, Kafka.main from
   * 2.8), every release. The model exits at once; these failures come only from configs the loader refuses.
   */
  private startupFailed(reason: string): void {
    this.machine.mark("broker: start-up failed, the process exits");
    this.spec.observer.onBrokerExit(this.spec.id, reason);
    this.machine.exit(reason);
  }

  /** Exit.halt(1): the process ends at once, without a clean shutdown. */
  private halt(reason: string): void {
    if (!this.machine.host.alive) return;
    this.spec.observer.onBrokerHalted(this.spec.id, reason);
    this.machine.exit(reason);
  }

  /** KafkaZkClient.propagateLogDirEvent: a persistent sequential znode the controller watches. */
  private propagateLogDirEvent(): void {
    if (this.zk === null) {
      this.pendingLogDirEvents++;
      return;
    }
    const data: LogDirEventZnode = { version: 1, broker: this.spec.id, event: 1 };
    this.machine.mark("broker: log dir event notification written");
    this.zk.request({ op: "create", path: `${LOG_DIR_EVENT_PATH}/log_dir_event_`, data, sequential: true }, () => undefined);
  }

  private startZk(): void {
    const sessionTimeoutMs = this.spec.config.num("zookeeper.session.timeout.ms");
    // KafkaServer.initZkClient waits zookeeper.connection.timeout.ms, which defaults to (and is not
    // modelled apart from) zookeeper.session.timeout.ms, for the first connection; then the start-up
    // fails: ZooKeeperClient.waitUntilConnected's ZooKeeperClientTimeoutException (1.1+), I0Itec
    // ZkClient's ZkTimeoutException before.
    this.machine.setTimer(Math.max(0, sessionTimeoutMs * 1000), () => {
      if (this.zk === null || this.zk.hasConnected) return;
      this.machine.mark("broker: start-up failed, no ZooKeeper connection within the connection timeout");
      this.startupFailed(`no ZooKeeper connection within zookeeper.connection.timeout.ms (= zookeeper.session.timeout.ms, ${sessionTimeoutMs} ms): ZooKeeperClientTimeoutException (ZkTimeoutException before 1.1)`);
    });
    this.zk = new ZkClient(this.endpoint, this.spec.zkServers, sessionTimeoutMs * 1000, {
      onSession: () => this.register(),
      onSessionExpired: () => {
        this.controller?.resign();
        this.brokerEpoch = -1;
      },
      onWatch: (e) => this.onWatch(e),
    });
    for (; this.pendingLogDirEvents > 0; this.pendingLogDirEvents--) this.propagateLogDirEvent();
  }

  private register(): void {
    if (this.stopping) return;
    const zk = this.zk!;
    zk.request({ op: "create", path: `/brokers/ids/${this.spec.id}`, data: { rack: this.spec.rack, host: this.machine.name }, ephemeral: true }, (r) => {
      if (r.code === "NODEEXISTS") {
        // The previous process's session still owns the znode (it lives until that session
        // expires): NodeExistsException, "Fatal error during KafkaServer startup", exit(1).
        this.machine.mark("broker: start-up failed, /brokers/ids znode of the old session still there");
        this.spec.observer.onBrokerExit(this.spec.id, "NodeExistsException: /brokers/ids/" + this.spec.id + " still held by the previous session");
        this.machine.exit("registration: /brokers/ids znode still held by the previous session");
        return;
      }
      if (r.code !== "OK") return;
      this.brokerEpoch = r.stat!.czxid;
      this.startupComplete = true;
      this.machine.trace("broker-registered", { epoch: this.brokerEpoch });
      this.elect();
    });
  }

  /** KafkaController.elect: whoever creates the ephemeral /controller znode leads. */
  private elect(): void {
    const zk = this.zk!;
    zk.request({ op: "create", path: "/controller", data: { brokerid: this.spec.id }, ephemeral: true }, (r) => {
      if (r.code === "OK") {
        this.metadataCache.activeControllerId = this.spec.id;
        zk.request({ op: "exists", path: "/controller", watch: true }, () => undefined);
        this.becomeController();
        return;
      }
      // The session ended meanwhile: the next session registers and bids again.
      if (r.code !== "NODEEXISTS") return;
      zk.request({ op: "getData", path: "/controller", watch: true }, (d) => {
        if (d.code === "NONODE") return this.elect();
        if (d.code === "OK") this.metadataCache.activeControllerId = (d.data as { brokerid: number }).brokerid;
      });
    });
  }

  private becomeController(): void {
    const s = this.spec;
    this.controller = new KafkaController({
      id: s.id,
      endpoint: this.endpoint,
      zk: this.zk!,
      config: s.config,
      observer: s.observer,
      topics: s.topics,
      expectedBrokers: s.expectedBrokers,
      hostOf: s.hostOf,
      topicConfig: s.topicConfig,
      rng: this.machine.rng("replica-assignment"),
      behaviour: s.behaviour,
      onResign: () => {
        this.controller = null;
      },
    });
  }

  private onWatch(e: WatchEvent): void {
    if (e.path === "/controller") {
      if (e.type === "NodeDeleted") {
        this.controller?.resign();
        if (this.brokerEpoch >= 0) this.elect();
      } else {
        this.zk!.request({ op: "getData", path: "/controller", watch: true }, (d) => {
          if (d.code === "NONODE") return this.elect();
          if (d.code !== "OK") return;
          this.metadataCache.activeControllerId = (d.data as { brokerid: number }).brokerid;
          if (this.metadataCache.activeControllerId !== this.spec.id) this.controller?.resign();
        });
      }
    } else if (e.path === "/brokers/ids") {
      this.controller?.onBrokerChange();
    } else if (e.path === "/isr_change_notification") {
      this.controller?.onIsrChangeNotification();
    } else if (e.path === "/log_dir_event_notification") {
      this.controller?.onLogDirEventNotification();
    }
  }

  // --- requests ---

  /**
   * A connection's requests are handled one at a time, in order: the processor mutes a channel
   * from reading a request until its response is sent (SocketServer.Processor), so pipelined
   * requests wait on the socket, even while a produce sits in purgatory.
   */
  onRequest(socket: Socket, message: unknown): void {
    let q = this.channels.get(socket.connection.id);
    if (q === undefined) this.channels.set(socket.connection.id, (q = new RequestChannel(this, socket)));
    q.queue.push(message as Request);
    q.pump();
  }

  /** @internal A request handler thread takes the request (RequestChannel's callback). */
  handleRequest(q: RequestChannel, req: Request): void {
    this.apis.handle(q.socket, req, q.unmute, q.socket.connection.client.name);
  }

  /** @internal When a request taken off the channel now is handled (the request pools' queueing and CPU). */
  handledAt(req: Request): number {
    return this.pools.handledAt(this.machine.now, requestBytes(req, this.spec.behaviour));
  }

  onClientGone(socket: Socket): void {
    this.channels.delete(socket.connection.id);
  }

  /** For reports: this broker's view of a partition. */
  partitionView(key: string): { highWatermark: number; logEndOffset: number; logStartOffset: number; isLeader: boolean } | undefined {
    const p = this.rm.partitions.get(key);
    return p === undefined ? undefined : { highWatermark: p.highWatermark, logEndOffset: p.log.logEndOffset, logStartOffset: p.log.logStartOffset, isLeader: p.isLeader };
  }

  /** For reports: a group this broker coordinates now (loaded), with its committed offsets. */
  groupView(groupId: string): GroupMetadata | undefined {
    return this.groupCoordinator.groupList.find((g) => g.groupId === groupId);
  }

  // --- shutdown ---

  /** SIGTERM: controlled shutdown (controlled.shutdown.max.retries tries), then a clean stop. */
  onStopRequested(done: () => void): void {
    if (this.stopping) return;
    this.stopping = true;
    const c = this.spec.config;
    // KafkaServer.shutdown during start-up: "still starting up, cannot shut down", Exit.halt(1).
    if (!this.startupComplete) return this.halt("SIGTERM while still starting up");
    if (!c.bool("controlled.shutdown.enable") || this.brokerEpoch < 0) return this.cleanStop(done);
    // KafkaServer.controlledShutdown: `while (!shutdownSucceeded && remainingRetries > 0)`, so no
    // attempt at all for controlled.shutdown.max.retries <= 0; then the shutdown goes on.
    const maxRetries = c.num("controlled.shutdown.max.retries");
    if (maxRetries <= 0) {
      this.machine.mark("broker: controlled.shutdown.max.retries <= 0, no controlled shutdown attempt");
      return this.cleanStop(done);
    }
    const socketTimeoutMs = c.num("controller.socket.timeout.ms");
    const backoffMs = c.num("controlled.shutdown.retry.backoff.ms");
    // An exception other than an IOException leaves controlledShutdown(); KafkaServer.shutdown
    // swallows it (CoreUtils.swallow) and goes on with the rest of the shutdown.
    const abandon = (exception: string): void => {
      this.machine.mark("broker: controlled shutdown abandoned on an exception, stopping anyway");
      this.machine.trace("controlled-shutdown-abandoned", { exception });
      this.cleanStop(done);
    };
    let attempts = 0;
    const attempt = (): void => {
      attempts++;
      const host = this.spec.hostOf(this.metadataCache.activeControllerId);
      if (host === undefined) return retry();
      // NetworkClientUtils.awaitReady(..., controller.socket.timeout.ms): a negative wait throws
      // IllegalArgumentException; 0 returns false before any poll, SocketTimeoutException (an IOException: retried).
      if (socketTimeoutMs < 0) return abandon("IllegalArgumentException: Timeout needs to be greater than 0");
      if (socketTimeoutMs === 0) return retry();
      const conn = new NodeConnection(this.endpoint, host, socketTimeoutMs * 1000);
      const body: ControlledShutdownRequest = { brokerId: this.spec.id, brokerEpoch: this.brokerEpoch };
      conn.send<ControlledShutdownResponse>("ControlledShutdown", body, HEADER_BYTES, (res) => {
        conn.close();
        if (res !== null && res.error === "NONE" && res.remaining === 0) {
          this.machine.mark("broker: controlled shutdown succeeded");
          return this.cleanStop(done);
        }
        retry();
      });
    };
    const giveUp = (): void => {
      this.machine.mark("broker: controlled shutdown gave up, stopping anyway");
      this.cleanStop(done);
    };
    // After a failed attempt: Thread.sleep(controlled.shutdown.retry.backoff.ms), before 3.1 after
    // the last attempt too (#11246 sleeps only when retries remain); a negative sleep throws
    // IllegalArgumentException.
    const retry = (): void => {
      const more = attempts < maxRetries;
      if (!more && !this.spec.behaviour.controlledShutdownSleepsAfterLastAttempt) return giveUp();
      if (backoffMs < 0) return abandon("IllegalArgumentException: timeout value is negative");
      this.machine.setTimer(backoffMs * 1000, more ? attempt : giveUp);
    };
    attempt();
  }

  /**
   * KafkaServer.shutdown, the parts that matter here: ReplicaManager.shutdown (fetchers stop,
   * high watermarks checkpointed), the controller resigns, LogManager.shutdown (every log
   * flushed, recovery points checkpointed, the clean-shutdown markers created), ZooKeeper closed.
   */
  private cleanStop(done: () => void): void {
    this.rm.shutdown(() =>
      this.logManager.shutdown(() => {
        this.zk?.close();
        // Give the close a moment to reach ZooKeeper before the process exits.
        this.machine.setTimer(10_000, done);
      }),
    );
    this.controller?.resign();
  }
}

/** One connection's requests, handled one at a time (Broker.onRequest); its callbacks are made once, so a request costs no closures. */
class RequestChannel {
  busy = false;
  readonly queue: Request[] = [];
  private current: Request | null = null;
  readonly unmute = (): void => {
    this.busy = false;
    this.pump();
  };
  private readonly handle = (): void => {
    const req = this.current!;
    this.current = null;
    this.broker.handleRequest(this, req);
  };

  constructor(
    private readonly broker: Broker,
    readonly socket: Socket,
  ) {}

  pump(): void {
    if (this.busy || this.queue.length === 0) return;
    this.busy = true;
    const req = this.queue.shift()!;
    this.current = req;
    const m = this.broker.machine;
    m.setTimer(this.broker.handledAt(req) - m.now, this.handle);
  }
}
