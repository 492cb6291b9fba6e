/**
 * The producer's view of the cluster (org.apache.kafka.clients.Metadata with NetworkClient's
 * DefaultMetadataUpdater): the leader of each partition of its topic, when the next update is
 * due (Metadata.timeToNextUpdate) and which broker is asked (NetworkClient.leastLoadedNode).
 */
import type { RandomStream } from "../../../../Random.js";
import type { Machine } from "../../../Machine.js";
import type { NodeConnection } from "../NodeConnection.js";
import { exponentialBackoffUs } from "../ExponentialBackoff.js";
import { HEADER_BYTES, type MetadataResponse } from "../../common/protocol.js";
import type { Behaviour } from "../../common/versions.js";

export interface ProducerMetadataDeps {
  machine: Machine;
  topic: string;
  partitions: number;
  brokerIds: readonly number[];
  behaviour: Behaviour;
  retryBackoffUs: number;
  /** retry.backoff.max.ms (KIP-580, 3.7); retry.backoff.ms before. */
  retryBackoffMaxUs: number;
  maxAgeUs: number;
  maxInFlight: number;
  /** The random offset leastLoadedNode starts from. */
  rng: RandomStream;
  /** The connection to a broker (created on first use). */
  conn(broker: number): NodeConnection;
  /** An update arrived or failed: the sender should run. */
  onUpdate(): void;
  /** Run the sender again after this long. */
  wake(delayUs: number): void;
}

export class ProducerMetadata {
  /** Leader broker of each partition, -1 when unknown. */
  readonly leaders: number[];
  /** Bumped whenever a leader in `leaders` is set, for those who cache what they derive from it. */
  leadersVersion = 0;
  /** Metadata.lastSeenLeaderEpochs. */
  readonly leaderEpochs: number[];
  /** KIP-580: failed updates in a row (Metadata.attempts), and answers that advanced no leader epoch (equivalentResponseCount). */
  private failedAttempts = 0;
  private equivalentResponses = 0;
  /** The backoff drawn after the last answer (ExponentialBackoff jitters it). */
  private backoffUs: number;
  /** The partitions with a known leader (availablePartitionsForTopic). */
  available: number[] = [];
  private needUpdate = true;
  private lastUpdateUs = -Infinity;
  /** Metadata.lastRefreshMs: the last answer, good or failed; the next request waits retry.backoff.ms after it. */
  private lastAttemptUs = -Infinity;
  private inFlight = false;

  constructor(private readonly d: ProducerMetadataDeps) {
    this.leaders = new Array(d.partitions).fill(-1);
    this.leaderEpochs = new Array(d.partitions).fill(-1);
    this.backoffUs = d.retryBackoffUs;
  }

  /** Whether the producer ever had metadata for its topic (send() waits for it). */
  get known(): boolean {
    return this.lastUpdateUs > -Infinity;
  }

  /** Metadata.requestUpdate. */
  requestUpdate(): void {
    this.needUpdate = true;
  }

  /**
   * Metadata.timeToNextUpdate: at once when an update was requested, else when metadata.max.age.ms
   * has passed; never sooner than retry.backoff.ms (refreshBackoffMs) after the last attempt.
   */
  dueUs(): number {
    const expires = this.needUpdate ? -Infinity : this.lastUpdateUs + this.d.maxAgeUs;
    return Math.max(expires, this.lastAttemptUs + this.backoffUs);
  }

  /**
   * DefaultMetadataUpdater.maybeUpdate: sends a Metadata request if one is due and none is in
   * flight, to the least-loaded node if it can take it; if that node is connecting, waits for it;
   * else starts a connection to it; with no node at all, waits out the reconnect backoff.
   */
  maybeUpdate(now: number): void {
    if (this.inFlight || this.dueUs() > now) return;
    const target = this.leastLoadedNode(now);
    if (target < 0) {
      // No node can take it: wait for a reconnect backoff to end (a full node's answer, or a
      // handshake, wakes the sender by itself).
      let at = Infinity;
      for (const id of this.d.brokerIds) {
        const readyAt = this.d.conn(id).readyAtUs;
        if (readyAt > now && readyAt < at) at = readyAt;
      }
      if (at < Infinity) this.d.wake(Math.ceil(at - now));
      return;
    }
    const c = this.d.conn(target);
    if (c.state === "disconnected") c.connect();
    if (c.state !== "ready") return;
    this.inFlight = true;
    this.d.machine.mark("producer: metadata request");
    c.send<MetadataResponse>("Metadata", { topics: [this.d.topic] }, HEADER_BYTES, (res) => this.onResponse(res));
  }

  /**
   * NetworkClient.leastLoadedNode over the brokers, from a random offset each call. From 2.3
   * (KAFKA-8376): a ready node with the fewest requests in flight (the first with none); else a
   * node that is connecting; else one that may connect (from 2.7, KIP-601: the one tried longest
   * ago); else none. Before 2.3: the fewest in flight among nodes not in reconnect backoff,
   * connected or not.
   */
  leastLoadedNode(now: number): number {
    const ids = this.d.brokerIds;
    const offset = this.d.rng.int(0, ids.length - 1);
    let best = -1;
    let bestInFlight = Infinity;
    let connecting = -1;
    let canConnect = -1;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[(offset + i) % ids.length];
      const c = this.d.conn(id);
      const state = c.state;
      const usable = this.d.behaviour.leastLoadedPrefersReady ? state === "ready" && c.inFlight < this.d.maxInFlight : state !== "disconnected" || c.readyAtUs <= now;
      if (usable && c.inFlight < bestInFlight) {
        best = id;
        bestInFlight = c.inFlight;
        if (bestInFlight === 0 && state === "ready") return best;
      }
      if (state === "connecting") connecting = id;
      else if (state === "disconnected" && c.readyAtUs <= now) {
        const older = canConnect < 0 || c.lastConnectAttemptUs < this.d.conn(canConnect).lastConnectAttemptUs;
        if (!this.d.behaviour.connectionSetupTimeout || older) canConnect = id;
      }
    }
    if (best >= 0 || !this.d.behaviour.leastLoadedPrefersReady) return best;
    return connecting >= 0 ? connecting : canConnect;
  }

  /**
   * Metadata.timeToAllowUpdate: retry.backoff.ms after the last answer; from 3.7 (KIP-580)
   * exponential in the failed updates in a row and in the answers that advanced no leader epoch
   * (unless metadata.max.age.ms expired since the last success, which starts that count over).
   */
  private drawBackoff(): void {
    const d = this.d;
    if (!d.behaviour.exponentialRetryBackoff) {
      this.backoffUs = d.retryBackoffUs;
      return;
    }
    if (this.lastUpdateUs + d.maxAgeUs <= d.machine.now) this.equivalentResponses = 0;
    const forFailures = exponentialBackoffUs(d.retryBackoffUs, d.retryBackoffMaxUs, Math.max(0, this.failedAttempts - 1), 0.2, d.rng, true);
    const forRepeats = this.equivalentResponses > 0 ? exponentialBackoffUs(d.retryBackoffUs, d.retryBackoffMaxUs, this.equivalentResponses - 1, 0.2, d.rng, true) : 0;
    this.backoffUs = Math.max(forFailures, forRepeats);
  }

  /** KIP-951 (Metadata.updatePartitionLeadership): a leader named by a broker, if its epoch is newer. */
  applyLeaderHint(partition: number, leader: number, epoch: number): boolean {
    if (leader < 0 || epoch < 0 || epoch <= this.leaderEpochs[partition] || !this.d.brokerIds.includes(leader)) return false;
    this.d.machine.mark("producer: leader taken from a produce response (KIP-951)");
    this.leaders[partition] = leader;
    this.leadersVersion++;
    this.leaderEpochs[partition] = epoch;
    this.updateAvailable();
    return true;
  }

  private updateAvailable(): void {
    this.available = this.leaders.map((l, i) => (l >= 0 ? i : -1)).filter((i) => i >= 0);
  }

  private onResponse(res: MetadataResponse | null): void {
    this.inFlight = false;
    // Before 2.5 (KAFKA-8933) a request lost to a disconnect only frees the slot: the next may go at once.
    if (res !== null || this.d.behaviour.metadataBackoffAfterDisconnect) this.lastAttemptUs = this.d.machine.now;
    const failed = res === null || res.partitions.every((p) => p.topic !== this.d.topic);
    if (failed) {
      // Metadata.failedUpdate.
      this.failedAttempts++;
      this.equivalentResponses = 0;
    } else {
      this.failedAttempts = 0;
      this.equivalentResponses++;
      for (const p of res.partitions) if (p.topic === this.d.topic && p.partition < this.d.partitions && p.leaderEpoch > this.leaderEpochs[p.partition]) this.equivalentResponses = 0;
    }
    this.drawBackoff();
    if (res === null || res.partitions.every((p) => p.topic !== this.d.topic)) {
      // Metadata.failedUpdate: another try after retry.backoff.ms, to the least-loaded node then.
      this.d.onUpdate();
      return;
    }
    this.needUpdate = false;
    this.lastUpdateUs = this.d.machine.now;
    for (const p of res.partitions) {
      if (p.topic !== this.d.topic || p.partition >= this.d.partitions) continue;
      // From 2.2 (Metadata.updatePartitionInfo, later updateLatestMetadata) an answer with an older
      // leader epoch than one already seen (from another broker's fresher cache, or a KIP-951 hint)
      // leaves the partition as it was.
      if (this.d.behaviour.clientLeaderEpochCheck && p.leaderEpoch < this.leaderEpochs[p.partition]) continue;
      this.leaders[p.partition] = p.leader;
      this.leadersVersion++;
      this.leaderEpochs[p.partition] = Math.max(this.leaderEpochs[p.partition], p.leaderEpoch);
    }
    this.updateAvailable();
    if (this.leaders.some((l) => l < 0)) this.needUpdate = true;
    this.d.onUpdate();
  }
}
