/**
 * The producer's view of the cluster (org.apache.kafka.clients.Metadata with NetworkClient's
 * DefaultMetadataUpdater): the leader of each partition of its topic, when the next update is
 * due (Metadata.timeToNextUpdate) and which broker is asked (NetworkClient.leastLoadedNode).
 */
import type { Machine } from "../Machine.js";
import type { NodeConnection } from "./NodeConnection.js";
import { HEADER_BYTES, type MetadataResponse } from "./protocol.js";
import type { Behaviour } from "./versions.js";

export interface ProducerMetadataDeps {
  machine: Machine;
  topic: string;
  partitions: number;
  brokerIds: readonly number[];
  behaviour: Behaviour;
  retryBackoffUs: number;
  maxAgeUs: number;
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
  /** The partitions with a known leader (availablePartitionsForTopic). */
  available: number[] = [];
  private needUpdate = true;
  private lastUpdateUs = -Infinity;
  /** Metadata.lastRefreshMs: the last answer, good or failed; the next request waits retry.backoff.ms after it. */
  private lastAttemptUs = -Infinity;
  private inFlight = false;
  private target: number;

  constructor(
    private readonly d: ProducerMetadataDeps,
    startTarget: number,
  ) {
    this.leaders = new Array(d.partitions).fill(-1);
    this.target = startTarget;
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
    return Math.max(expires, this.lastAttemptUs + this.d.retryBackoffUs);
  }

  /** Sends a Metadata request if one is due and none is in flight. */
  maybeUpdate(now: number): void {
    if (this.inFlight || this.dueUs() > now) return;
    const ids = this.d.brokerIds;
    // NetworkClient.leastLoadedNode, simplified: the next broker (from a seeded start) that is
    // connected or may connect; none: wait for the first reconnect backoff to pass.
    let target = -1;
    for (let i = 0; i < ids.length && target < 0; i++) if (this.d.conn(ids[(this.target + i) % ids.length]).readyAtUs <= now) target = ids[(this.target + i) % ids.length];
    if (target < 0) {
      let at = Infinity;
      for (const id of ids) at = Math.min(at, this.d.conn(id).readyAtUs);
      this.d.wake(Math.max(1, at - now));
      return;
    }
    this.inFlight = true;
    this.d.machine.mark("producer: metadata request");
    this.d.conn(target).send<MetadataResponse>("Metadata", { topics: [this.d.topic] }, HEADER_BYTES, (res) => this.onResponse(res));
  }

  private onResponse(res: MetadataResponse | null): void {
    this.inFlight = false;
    // Before 2.5 (KAFKA-8933) a request lost to a disconnect only frees the slot: the next may go at once.
    if (res !== null || this.d.behaviour.metadataBackoffAfterDisconnect) this.lastAttemptUs = this.d.machine.now;
    if (res === null || res.partitions.every((p) => p.topic !== this.d.topic)) {
      // Metadata.failedUpdate: try another node after retry.backoff.ms.
      this.target++;
      this.d.onUpdate();
      return;
    }
    this.needUpdate = false;
    this.lastUpdateUs = this.d.machine.now;
    for (const p of res.partitions) if (p.topic === this.d.topic && p.partition < this.d.partitions) this.leaders[p.partition] = p.leader;
    this.available = this.leaders.map((l, i) => (l >= 0 ? i : -1)).filter((i) => i >= 0);
    if (this.leaders.some((l) => l < 0)) this.needUpdate = true;
    this.d.onUpdate();
  }
}
