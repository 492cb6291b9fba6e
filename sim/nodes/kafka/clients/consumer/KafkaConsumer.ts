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
import { ConsumerCommits } from "./ConsumerCommits.js";
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
  private committedFetchInFlight = false;
  private readonly commits: ConsumerCommits;
  private readonly protocol: "EAGER" | "COOPERATIVE";
  private readonly maxPollRecords: number;

  constructor(
    private readonly machine: Machine,
    private readonly spec: ConsumerSpec,
  ) {
    const c = spec.config;
    const b = spec.behaviour;
    this.endpoint = new Endpoint(machine, null);
    this.maxPollRecords = c.num("max.poll.records");
    this.processingRng = machine.rng("processing");
    this.protocol = rebalanceProtocolOf(spec.assignors, b.cooperativeRebalance);
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
            protocol: this.protocol,
            hostOf: (id) => spec.brokers.get(id),
            leastLoadedNode: () => this.metadata.leastLoadedNode(this.machine.now),
            conn: (id) => this.conn(id),
            owned: () => this.subscriptions.assignedPartitions(),
            joinPrepare: (revoke, join, notYet) => this.commits.joinPrepare(revoke, join, notYet),
            onFatal: (why) => this.onFatal(why),
            onRevoked: (partitions, lost) => this.onRevoked(partitions, lost),
            onAssigned: (assigned, added, generation) => this.onAssigned(assigned, added, generation),
            wake: () => this.wake(),
          });
    this.commits = new ConsumerCommits({
      machine,
      spec,
      coordinator: this.coordinator,
      subscriptions: this.subscriptions,
      protocol: this.protocol,
      closed: () => this.appState === "closed",
      wake: () => this.wake(),
      onFatal: (why) => this.onFatal(why),
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

  /** SIGTERM: KafkaConsumer.close(): the auto-commit (sync, within the close timeout), then LeaveGroup for a dynamic member. */
  onStopRequested(done: () => void): void {
    const finish = (): void => {
      if (this.spec.mode === "subscribe") this.coordinator.maybeLeaveGroup();
      this.appState = "closed";
      this.machine.setTimer(10_000, done);
    };
    this.commits.commitOnClose(finish);
  }

  // --- poll() ---

  private poll(): void {
    if (this.appState !== "polling") return;
    const now = this.machine.now;
    this.metadata.maybeUpdate(now);
    const co = this.coordinator;
    co.lastPollUs = now;
    if (!co.coordinatorKnown) co.lookupCoordinator();
    // A blocking commit (a rebalance listener's commitSync in onJoinComplete, say) holds the poll
    // thread: the rejoin it asked for starts only after it returns.
    else if (co.rejoinNeeded && this.commits.recordsHeld === 0) co.ensureActiveGroup();
    // maybeAutoCommitOffsetsAsync: only with a known coordinator and no join pending.
    if (co.coordinatorKnown && !co.rejoinNeeded) this.commits.maybeAutoCommit(now);
    // Up to 2.4 poll() returns nothing while a rebalance is under way; no release returns any while a commit holds them.
    if (co.rejoinNeeded && !this.spec.behaviour.pollDuringRebalance) return this.waitInPoll();
    if (this.commits.recordsHeld > 0) return this.waitInPoll();
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
    let anyInitializing = false;
    for (const p of this.subscriptions.partitions) if (p.state === "INITIALIZING") anyInitializing = true;
    if (anyInitializing) {
      const initializing = [...this.subscriptions.partitions].filter((p) => p.state === "INITIALIZING");
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
              // seekUnvalidated (2.3+, KIP-320): a committed offset with its leader epoch is validated against the current leader first.
              const validate = this.spec.behaviour.consumerOffsetValidation && r.leaderEpoch >= 0 && this.metadata.leaderEpochs[p.partition] >= 0;
              if (r.offset >= 0) this.subscriptions.seek(p, r.offset, r.leaderEpoch, validate ? "AWAIT_VALIDATION" : "FETCHING");
              else this.fetcher.requestReset(p, "no committed offset");
            }
            this.wake();
          },
        );
      }
    }
    this.fetcher.updatePositions();
  }

  /** FencedInstanceIdException, InvalidSessionTimeoutException, ... from poll() or commitSync(): the application does not handle it. */
  private onFatal(why: string): void {
    this.spec.observer.onConsumerError(this.spec.groupId, this.spec.clientId, why);
    this.machine.exit(why);
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
      return this.commits.commitPositions(() => this.process(records), this.commits.syncDeadline());
    }
    this.process(records);
  }

  private process(records: PolledRecords[]): void {
    this.appState = "processing";
    let n = 0;
    for (const r of records) n += r.count;
    const doneUs = new Float64Array(n);
    const now = this.machine.now;
    const total = this.spec.processing.processAll(now, doneUs, this.processingRng);
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
        return this.commits.commitPositions(() => this.backToPoll(), this.commits.syncDeadline());
      case "async":
        this.commits.commitAsync(this.subscriptions.allConsumed());
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

  /**
   * The rebalance listener's onPartitionsRevoked. Eager members commit in onJoinPrepare; a
   * cooperative one commits here, after the assignment, what it gives up, with commitSync.
   */
  private onRevoked(partitions: TopicPartition[], lost: boolean): void {
    if (partitions.length === 0) return;
    const keys = new Set(partitions.map((tp) => `${tp.topic}-${tp.partition}`));
    if (!lost && this.spec.commitOnRevoke && this.protocol === "COOPERATIVE") {
      const offsets = this.subscriptions.allConsumed().filter((o) => keys.has(`${o.topic}-${o.partition}`));
      this.commits.commitRevoked(offsets);
    }
    this.subscriptions.assign(this.subscriptions.assignedPartitions().filter((tp) => !keys.has(`${tp.topic}-${tp.partition}`)));
    this.fetcher.clearBuffered();
    this.spec.observer.onRevoked(this.spec.groupId, this.spec.clientId, partitions, lost);
  }

  private onAssigned(assigned: TopicPartition[], _added: TopicPartition[], generation: number): void {
    this.subscriptions.assign(assigned);
    this.commits.resetAutoCommitTimer();
    this.spec.observer.onAssigned(this.spec.groupId, this.spec.clientId, assigned, generation);
  }
}
