/**
 * A consumer application and its KafkaConsumer (the classic group protocol, the default in every
 * release the simulator covers): the application thread loops poll() -> process each record
 * (a processing time per record) -> commit per its strategy, while the heartbeat thread keeps the
 * membership. poll() is KafkaConsumer.poll / pollForFetches: the coordinator's poll (find it, join
 * when needed, auto-commit), positions for new partitions (OffsetFetch, then auto.offset.reset),
 * buffered records at once, else fetches and a wait for data. subscribe() joins a group; assign()
 * (no group) takes partitions by member index and commits with no generation.
 */
import type { Host, Process } from "../../../../Host.js";
import type { RandomStream } from "../../../../Random.js";
import type { TimerHandle } from "../../../../Simulation.js";
import { Endpoint } from "../../../Endpoint.js";
import type { Machine } from "../../../Machine.js";
import { NodeConnection, type ReconnectBackoff } from "../NodeConnection.js";
import { ProducerMetadata } from "../producer/ProducerMetadata.js";
import type { Behaviour, KafkaConfig } from "../../common/versions.js";
import type { ErrorCode, TopicPartition } from "../../common/protocol.js";
import { ConsumerCoordinator } from "./ConsumerCoordinator.js";
import { Fetcher, type PolledRecords } from "./Fetcher.js";
import { SubscriptionState, type PartitionPosition } from "./SubscriptionState.js";
import { rebalanceProtocolOf, type AssignorName, type CommitStrategy } from "./ConsumerConfig.js";
import type { ConsumerObserver } from "./ConsumerObserver.js";
import type { ProcessingTime } from "./ProcessingTime.js";

export interface ConsumerSpec {
  groupId: string;
  /** The member's client id (consumer-<group>-<n>), also its name in the history. */
  clientId: string;
  /** 1-based member index (assign() mode takes partitions by it). */
  index: number;
  members: number;
  mode: "subscribe" | "assign";
  topic: string;
  partitions: number;
  config: KafkaConfig;
  behaviour: Behaviour;
  version: string;
  assignors: readonly AssignorName[];
  commit: CommitStrategy;
  /** The rebalance listener commits the positions of partitions being revoked. */
  commitOnRevoke: boolean;
  processing: ProcessingTime;
  brokers: ReadonlyMap<number, Host>;
  groupInstanceId: string | null;
  observer: ConsumerObserver;
}

/** The application's poll(Duration): how long one poll() waits for records before it returns empty. */
const POLL_TIMEOUT_US = 1_000_000;

export class KafkaConsumer implements Process {
  readonly kind = "consumer";
  private readonly endpoint: Endpoint;
  private readonly conns = new Map<number, NodeConnection>();
  private readonly metadata: ProducerMetadata;
  private readonly subscriptions = new SubscriptionState();
  private readonly fetcher: Fetcher;
  private readonly coordinator: ConsumerCoordinator;
  private readonly reconnect: ReconnectBackoff;
  private readonly processingRng: RandomStream;
  /** The application thread: waiting in poll(), processing, or blocked in a commitSync(). */
  private appState: "polling" | "processing" | "committing" | "closed" = "polling";
  private inPoll = false;
  private pollAgain = false;
  private pollTimer: TimerHandle | null = null;
  private nextAutoCommitUs: number;
  private committedFetchInFlight = false;
  private readonly autoCommit: boolean;
  private readonly maxPollRecords: number;

  constructor(
    private readonly machine: Machine,
    private readonly spec: ConsumerSpec,
  ) {
    const c = spec.config;
    const b = spec.behaviour;
    this.endpoint = new Endpoint(machine, null);
    this.autoCommit = c.bool("enable.auto.commit");
    this.maxPollRecords = c.num("max.poll.records");
    this.nextAutoCommitUs = machine.now + c.num("auto.commit.interval.ms") * 1000;
    this.processingRng = machine.rng("processing");
    this.reconnect = {
      baseUs: c.num("reconnect.backoff.ms") * 1000,
      maxUs: (b.exponentialReconnectBackoff ? c.num("reconnect.backoff.max.ms") : c.num("reconnect.backoff.ms")) * 1000,
      exponential: b.exponentialReconnectBackoff,
      jitter: b.reconnectBackoffJitter,
      rng: machine.rng("reconnect-backoff"),
      capAtMax: b.exponentialRetryBackoff,
    };
    const brokerIds = [...spec.brokers.keys()];
    this.metadata = new ProducerMetadata({
      machine,
      topic: spec.topic,
      partitions: spec.partitions,
      brokerIds,
      behaviour: b,
      retryBackoffUs: c.num("retry.backoff.ms") * 1000,
      retryBackoffMaxUs: c.num("retry.backoff.ms") * 1000,
      maxAgeUs: c.num("metadata.max.age.ms") * 1000,
      maxInFlight: 100,
      rng: machine.rng("metadata"),
      conn: (id) => this.conn(id),
      onUpdate: () => {
        this.fetcher.onMetadataUpdate();
        this.wake();
      },
      wake: (delayUs) => this.machine.setTimer(delayUs, () => this.wake()),
    });
    this.fetcher = new Fetcher({
      machine,
      config: c,
      behaviour: b,
      clientId: spec.clientId,
      subscriptions: this.subscriptions,
      leaderOf: (_topic, partition) => ({ leader: this.metadata.leaders[partition] ?? -1, epoch: this.metadata.leaderEpochs[partition] ?? -1 }),
      conn: (id) => this.conn(id),
      requestMetadataUpdate: () => this.metadata.requestUpdate(),
      wake: () => this.wake(),
      onResetImpossible: (p, why) => this.onResetImpossible(p, why),
      onPositionReset: (p, from, to, why) => spec.observer.onPositionReset(spec.groupId, spec.clientId, p.topic, p.partition, from, to, why),
    });
    this.coordinator = new ConsumerCoordinator({
            machine,
            endpoint: this.endpoint,
            config: c,
            behaviour: b,
            groupId: spec.groupId,
            groupManaged: spec.mode === "subscribe",
            groupInstanceId: spec.groupInstanceId,
            clientId: spec.clientId,
            topic: spec.topic,
            partitions: spec.partitions,
            assignors: spec.assignors,
            version: spec.version,
            protocol: rebalanceProtocolOf(spec.assignors, b.cooperativeRebalance),
            hostOf: (id) => spec.brokers.get(id),
            leastLoadedNode: () => this.metadata.leastLoadedNode(this.machine.now),
            conn: (id) => this.conn(id),
            owned: () => this.subscriptions.assignedPartitions(),
            commitBeforeRevoke: (done) => this.commitBeforeRevoke(done),
            onRevoked: (partitions, lost) => this.onRevoked(partitions, lost),
            onAssigned: (assigned, added, generation) => this.onAssigned(assigned, added, generation),
            wake: () => this.wake(),
          });
    if (spec.mode === "assign") {
      const mine: TopicPartition[] = [];
      for (let p = spec.index - 1; p < spec.partitions; p += spec.members) mine.push({ topic: spec.topic, partition: p });
      this.subscriptions.assign(mine);
      spec.observer.onAssigned(spec.groupId, spec.clientId, mine, -1);
    }
    // The first poll once the process is running (not from its constructor).
    machine.setTimer(0, () => this.wake());
  }

  private conn(id: number): NodeConnection {
    let c = this.conns.get(id);
    if (c === undefined) {
      c = new NodeConnection(this.endpoint, this.spec.brokers.get(id)!, this.spec.config.num("request.timeout.ms") * 1000, this.reconnect);
      c.onServerDisconnect = () => {
        this.metadata.requestUpdate();
        this.wake();
      };
      this.conns.set(id, c);
    }
    return c;
  }

  /**
   * The poll loop runs again (an answer arrived, a backoff ended). It runs at once when nothing
   * is under way, so an answer costs no extra event; a wake during a poll makes it run once more.
   */
  private wake(): void {
    if (this.appState !== "polling") return;
    if (this.inPoll) {
      this.pollAgain = true;
      return;
    }
    this.inPoll = true;
    let rounds = 0;
    do {
      this.pollAgain = false;
      this.poll();
    } while (this.pollAgain && this.appState === "polling" && ++rounds < 16);
    this.inPoll = false;
    // A loop that keeps asking goes on in a later event rather than spin within this one.
    if (this.pollAgain && this.appState === "polling") this.machine.setTimer(0, () => this.wake());
  }

  onDown(): void {
    this.appState = "closed";
    this.coordinator.close();
    this.spec.observer.onMemberDown(this.spec.groupId, this.spec.clientId);
  }

  /** SIGTERM: KafkaConsumer.close(): the auto-commit (sync), then LeaveGroup for a dynamic member. */
  onStopRequested(done: () => void): void {
    const finish = (): void => {
      if (this.spec.mode === "subscribe") this.coordinator.maybeLeaveGroup();
      this.appState = "closed";
      this.machine.setTimer(10_000, done);
    };
    if (this.autoCommit) return this.commitPositions(finish);
    finish();
  }

  // --- poll() ---

  private poll(): void {
    if (this.appState !== "polling") return;
    const now = this.machine.now;
    this.metadata.maybeUpdate(now);
    const co = this.coordinator;
    co.lastPollUs = now;
    if (!co.coordinatorKnown) co.lookupCoordinator();
    else if (co.rejoinNeeded) co.ensureActiveGroup();
    // maybeAutoCommitOffsetsAsync: only with a known coordinator and no join pending.
    if (this.autoCommit && co.coordinatorKnown && !co.rejoinNeeded && now >= this.nextAutoCommitUs) {
      this.nextAutoCommitUs = now + this.spec.config.num("auto.commit.interval.ms") * 1000;
      this.commitAsync(this.subscriptions.allConsumed(), "auto");
    }
    // Up to 2.4 poll() returns nothing while a rebalance is under way.
    if (co.rejoinNeeded && !this.spec.behaviour.pollDuringRebalance) return this.waitInPoll();
    this.updateFetchPositions();
    const records = this.fetcher.fetchedRecords(this.maxPollRecords);
    this.fetcher.sendFetches();
    if (records.length === 0) return this.waitInPoll();
    this.spec.observer.onPolled(this.spec.groupId, this.spec.clientId, records);
    this.afterPoll(records);
  }

  /** Nothing to return yet: wait for an answer (wake) or the poll timeout, then poll again. */
  private waitInPoll(): void {
    if (this.pollTimer !== null) return;
    this.pollTimer = this.machine.setTimer(POLL_TIMEOUT_US, () => {
      this.pollTimer = null;
      this.wake();
    });
  }

  /** updateFetchPositions: committed offsets for new partitions (OffsetFetch), then resets and validations. */
  private updateFetchPositions(): void {
    const initializing = [...this.subscriptions.partitions].filter((p) => p.state === "INITIALIZING");
    if (initializing.length > 0) {
      const co = this.coordinator;
      if (!co.coordinatorKnown) co.lookupCoordinator();
      else if (co.coordinatorKnown && !this.committedFetchInFlight) {
        this.committedFetchInFlight = true;
        co.fetchCommitted(
          initializing.map((p) => ({ topic: p.topic, partition: p.partition })),
          (res) => {
            this.committedFetchInFlight = false;
            if (res === null) return this.machine.setTimer(this.spec.config.num("retry.backoff.ms") * 1000, () => this.wake());
            for (const r of res.partitions) {
              const p = this.subscriptions.get(`${r.topic}-${r.partition}`);
              if (p === undefined || p.state !== "INITIALIZING") continue;
              if (r.offset >= 0) this.subscriptions.seek(p, r.offset, r.leaderEpoch, "FETCHING");
              else this.fetcher.requestReset(p, "no committed offset");
            }
            this.wake();
          },
        );
      }
    }
    this.fetcher.updatePositions();
  }

  private onResetImpossible(p: PartitionPosition, why: string): void {
    // NoOffsetForPartitionException / OffsetOutOfRangeException / LogTruncationException from poll():
    // the application does not handle it and the consumer dies.
    this.machine.mark("consumer: auto.offset.reset=none, the exception ends the application");
    this.spec.observer.onConsumerError(this.spec.groupId, this.spec.clientId, `${why} on ${p.key} (auto.offset.reset=none)`);
    this.machine.exit(`${why} on ${p.key} with auto.offset.reset=none`);
  }

  // --- the application: process, commit ---

  private afterPoll(records: PolledRecords[]): void {
    if (this.spec.commit === "before-processing") {
      // At-most-once: the positions past these records are committed before they are processed.
      this.appState = "committing";
      return this.commitPositions(() => this.process(records));
    }
    this.process(records);
  }

  private process(records: PolledRecords[]): void {
    this.appState = "processing";
    let total = 0;
    let n = 0;
    for (const r of records) n += r.count;
    const doneUs = new Float64Array(n);
    const now = this.machine.now;
    for (let i = 0; i < n; i++) {
      total += this.spec.processing.sampleUs(this.processingRng);
      doneUs[i] = now + total;
    }
    this.spec.observer.onProcessing(this.spec.groupId, this.spec.clientId, records, doneUs);
    this.machine.setTimer(total, () => {
      this.spec.observer.onProcessingDone(this.spec.groupId, this.spec.clientId, this.machine.now - (now + total));
      this.afterProcessing();
    });
  }

  private afterProcessing(): void {
    switch (this.spec.commit) {
      case "sync":
        this.appState = "committing";
        return this.commitPositions(() => this.backToPoll());
      case "async":
        this.commitAsync(this.subscriptions.allConsumed(), "async");
        return this.backToPoll();
      default:
        return this.backToPoll();
    }
  }

  private backToPoll(): void {
    if (this.appState === "closed") return;
    this.appState = "polling";
    this.wake();
  }

  /** commitSync() of the positions: retried while the error is retriable, until default.api.timeout.ms. */
  private commitPositions(done: () => void): void {
    const offsets = this.subscriptions.allConsumed();
    const co = this.coordinator;
    const deadline = this.machine.now + (this.spec.config.has("default.api.timeout.ms") ? this.spec.config.num("default.api.timeout.ms") : 60_000) * 1000;
    const attempt = (): void => {
      if (this.appState === "closed") return;
      co.commit(offsets, (error) => {
        this.spec.observer.onCommit(this.spec.groupId, this.spec.clientId, offsets, error, "sync");
        const retriable = error === "COORDINATOR_NOT_AVAILABLE" || error === "NOT_COORDINATOR" || error === "REQUEST_TIMED_OUT" || error === "COORDINATOR_LOAD_IN_PROGRESS" || error === "NETWORK_EXCEPTION";
        if (error === "NONE" || !retriable || this.machine.now >= deadline) return done();
        if (!co.coordinatorKnown) co.lookupCoordinator();
        this.machine.setTimer(this.spec.config.num("retry.backoff.ms") * 1000, attempt);
      });
    };
    attempt();
  }

  private commitAsync(offsets: ReturnType<SubscriptionState["allConsumed"]>, how: "auto" | "async"): void {
    const finish = (error: ErrorCode): void => this.spec.observer.onCommit(this.spec.groupId, this.spec.clientId, offsets, error, how);
    this.coordinator.commit(offsets, finish);
  }

  // --- the rebalance listener ---

  /** Before the JoinGroup: the auto-commit (sync, up to 3.1) or the listener's commit of the positions. */
  private commitBeforeRevoke(done: () => void): void {
    if (this.autoCommit || this.spec.commitOnRevoke) return this.commitPositions(done);
    done();
  }

  private onRevoked(partitions: TopicPartition[], lost: boolean): void {
    if (partitions.length === 0) return;
    const keys = new Set(partitions.map((tp) => `${tp.topic}-${tp.partition}`));
    // The cooperative revoke happens after the assignment: the listener commits what it gives up.
    if (!lost && this.spec.commitOnRevoke && this.coordinator.state === "STABLE") {
      const offsets = this.subscriptions.allConsumed().filter((o) => keys.has(`${o.topic}-${o.partition}`));
      this.commitAsync(offsets, "async");
    }
    this.subscriptions.assign(this.subscriptions.assignedPartitions().filter((tp) => !keys.has(`${tp.topic}-${tp.partition}`)));
    this.fetcher.clearBuffered();
    this.spec.observer.onRevoked(this.spec.groupId, this.spec.clientId, partitions, lost);
  }

  private onAssigned(assigned: TopicPartition[], _added: TopicPartition[], generation: number): void {
    this.subscriptions.assign(assigned);
    this.nextAutoCommitUs = this.machine.now + this.spec.config.num("auto.commit.interval.ms") * 1000;
    this.spec.observer.onAssigned(this.spec.groupId, this.spec.clientId, assigned, generation);
  }
}
