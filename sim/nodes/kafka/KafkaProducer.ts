/**
 * A producer application and its KafkaProducer: a workload creating records at a rate, the
 * partitioner, the RecordAccumulator and the Sender (org.apache.kafka.clients.producer.internals
 * .Sender): metadata from the bootstrap brokers, one ProduceRequest per broker per drain with the
 * first ready batch of each partition it leads, max.in.flight.requests.per.connection, retries
 * with retry.backoff.ms, delivery.timeout.ms (KIP-91), acks, and idempotence (InitProducerId,
 * per-partition sequence numbers, retries re-queued in sequence order).
 *
 * Records are not events: the sender wakes when a batch can become ready (linger expiry, the
 * arrival that fills it, a retry backoff, a timeout) and creates the records that arrived since.
 */
import type { Host, Process } from "../../Host.js";
import type { RandomStream } from "../../Random.js";
import type { TimerHandle } from "../../Simulation.js";
import { Endpoint } from "../Endpoint.js";
import type { Machine } from "../Machine.js";
import type { KafkaObserver } from "./KafkaObserver.js";
import type { RecordBatch } from "./Log.js";
import { NodeConnection, type ReconnectBackoff } from "./NodeConnection.js";
import { KeylessPartitioner, partitionForKey } from "./Partitioner.js";
import { HEADER_BYTES, INVALIDATES_METADATA, RETRIABLE, type ErrorCode, type InitProducerIdResponse, type MetadataResponse, type ProduceRequest, type ProduceResponse } from "./protocol.js";
import { RecordAccumulator, type ProducerBatch } from "./RecordAccumulator.js";
import type { Behaviour, KafkaConfig } from "./versions.js";

export interface ProducerSpec {
  id: string;
  topic: string;
  partitions: number;
  ratePerSec: number;
  poisson: boolean;
  messageBytes: number;
  /** Distinct keys, or undefined for keyless records. */
  keys: number | undefined;
  config: KafkaConfig;
  behaviour: Behaviour;
  brokers: ReadonlyMap<number, Host>;
  stopAtUs: number;
  observer: KafkaObserver;
}

export class KafkaProducer implements Process {
  readonly kind = "producer";
  private readonly endpoint: Endpoint;
  private readonly acc: RecordAccumulator;
  private readonly conns = new Map<number, NodeConnection>();
  private leaders: number[];
  private available: number[] = [];
  private metadataInFlight = false;
  private needMetadata = true;
  private lastMetadataUs = -Infinity;
  /** Metadata.lastRefreshMs: the last answer, good or failed; the next request waits retry.backoff.ms after it. */
  private lastMetadataAttemptUs = -Infinity;
  private metadataTarget = 0;
  private producerId = -1;
  private initInFlight = false;
  private readonly nextSeq: number[];
  private readonly lastAckedSeq: number[];
  private readonly inFlightPerPartition: number[];
  private readonly upcoming: number[] = [];
  private lastDrawnUs: number;
  private readonly arrivalRng: RandomStream;
  private readonly keyRng: RandomStream;
  private readonly keyPartitions: number[] = [];
  private readonly keyless: KeylessPartitioner;
  private wakeTimer: TimerHandle | null = null;
  private wakeAtUs = Infinity;
  // Settings, read once.
  private readonly acks: number;
  private readonly idempotent: boolean;
  private readonly lingerUs: number;
  private readonly maxInFlight: number;
  private readonly retries: number;
  private readonly retryBackoffUs: number;
  private readonly requestTimeoutUs: number;
  private readonly deliveryTimeoutUs: number;
  private readonly metadataMaxAgeUs: number;
  private readonly reconnect: ReconnectBackoff;

  constructor(
    private readonly machine: Machine,
    private readonly spec: ProducerSpec,
  ) {
    const c = spec.config;
    this.endpoint = new Endpoint(machine, null);
    this.acks = c.acks();
    this.idempotent = c.bool("enable.idempotence") && spec.behaviour.idempotence;
    this.lingerUs = c.num("linger.ms") * 1000;
    // Before 1.0 an idempotent producer keeps order only with one request in flight.
    this.maxInFlight = this.idempotent && !spec.behaviour.idempotentInFlight5 ? 1 : c.num("max.in.flight.requests.per.connection");
    this.retries = c.num("retries");
    this.retryBackoffUs = c.num("retry.backoff.ms") * 1000;
    this.requestTimeoutUs = c.num("request.timeout.ms") * 1000;
    this.deliveryTimeoutUs = c.num("delivery.timeout.ms") * 1000;
    this.metadataMaxAgeUs = c.num("metadata.max.age.ms") * 1000;
    this.reconnect = {
      baseUs: c.num("reconnect.backoff.ms") * 1000,
      maxUs: (spec.behaviour.exponentialReconnectBackoff ? c.num("reconnect.backoff.max.ms") : c.num("reconnect.backoff.ms")) * 1000,
      exponential: spec.behaviour.exponentialReconnectBackoff,
      jitter: spec.behaviour.reconnectBackoffJitter,
      rng: machine.rng("reconnect-backoff"),
    };
    this.acc = new RecordAccumulator(spec.partitions, c.num("batch.size"), c.num("buffer.memory"));
    this.leaders = new Array(spec.partitions).fill(-1);
    this.nextSeq = new Array(spec.partitions).fill(0);
    this.lastAckedSeq = new Array(spec.partitions).fill(-1);
    this.inFlightPerPartition = new Array(spec.partitions).fill(0);
    this.arrivalRng = machine.rng("arrivals");
    this.keyRng = machine.rng("keys");
    this.keyless = new KeylessPartitioner(spec.behaviour.keylessPartitioner, machine.rng("partitioner"), c.num("batch.size"));
    if (spec.keys !== undefined) for (let k = 0; k < spec.keys; k++) this.keyPartitions.push(partitionForKey(`key-${k}`, spec.partitions));
    this.lastDrawnUs = machine.now;
    this.metadataTarget = machine.rng("bootstrap").int(0, spec.brokers.size - 1);
    this.wake(0);
  }

  // --- the sender loop ---

  private runOnce(): void {
    const now = this.machine.now;
    this.generate(now);
    this.expire(now);
    if (this.metadataDueUs() <= now) this.requestMetadata();
    if (this.idempotent && this.producerId < 0) this.initProducerId();
    else this.sendReady(now);
    this.scheduleNextWake(now);
  }

  private wake(delayUs: number): void {
    const at = this.machine.now + delayUs;
    if (at >= this.wakeAtUs) return;
    if (this.wakeTimer !== null) this.machine.cancelTimer(this.wakeTimer);
    this.wakeAtUs = at;
    this.wakeTimer = this.machine.setTimer(delayUs, () => {
      this.wakeTimer = null;
      this.wakeAtUs = Infinity;
      this.runOnce();
    });
  }

  // --- workload ---

  /** The k-th record arrival from now on (drawn ahead, deterministic). */
  private arrivalAt(k: number): number {
    while (this.upcoming.length <= k) {
      const gap = this.spec.poisson ? this.arrivalRng.exponential(1e6 / this.spec.ratePerSec) : 1e6 / this.spec.ratePerSec;
      this.lastDrawnUs += gap;
      this.upcoming.push(this.lastDrawnUs);
    }
    return Math.ceil(this.upcoming[k]);
  }

  private generate(now: number): void {
    // The application starts sending once the producer first has metadata for its topic.
    if (this.lastMetadataUs === -Infinity) {
      this.lastDrawnUs = now;
      this.upcoming.length = 0;
      return;
    }
    let n = 0;
    while (this.arrivalAt(n) <= now && this.arrivalAt(n) < this.spec.stopAtUs) {
      this.addRecord(this.arrivalAt(n));
      n++;
    }
    if (n > 0) this.upcoming.splice(0, n);
  }

  private addRecord(atUs: number): void {
    const bytes = this.spec.messageBytes;
    const p = this.spec.keys !== undefined ? this.keyPartitions[this.keyRng.int(0, this.spec.keys - 1)] : this.keyless.next(this.available, this.spec.partitions, bytes);
    const opened = this.acc.append(p, bytes, atUs);
    if (opened === null) {
      // send() blocks up to max.block.ms for buffer space, then throws TimeoutException.
      this.spec.observer.onFail(this.spec.id, this.spec.topic, p, 1, "BUFFER_EXHAUSTED");
      return;
    }
    if (opened && this.spec.keys === undefined) this.keyless.onNewBatch(p, this.available, this.spec.partitions);
  }

  // --- sending ---

  private conn(broker: number): NodeConnection | undefined {
    let c = this.conns.get(broker);
    const host = this.spec.brokers.get(broker);
    if (c === undefined && host !== undefined) {
      this.conns.set(broker, (c = new NodeConnection(this.endpoint, host, this.requestTimeoutUs, this.reconnect)));
      // handleServerDisconnect: any disconnect asks for a metadata update (with acks=0 it is the only signal).
      c.onServerDisconnect = () => {
        this.needMetadata = true;
        this.wake(0);
      };
    }
    return c;
  }

  /** NetworkClient.ready: connected, or allowed to connect again (the reconnect backoff has passed). */
  private ready(broker: number, now: number): boolean {
    const c = this.conn(broker);
    return c !== undefined && c.readyAtUs <= now;
  }

  private sendable(p: number): boolean {
    const leader = this.leaders[p];
    if (leader < 0) return false;
    if (this.maxInFlight === 1 && this.inFlightPerPartition[p] > 0) return false;
    const c = this.conn(leader);
    return c !== undefined && c.inFlight < this.maxInFlight && c.readyAtUs <= this.machine.now;
  }

  /** Drains ready batches into one request per broker, again while requests can go out. */
  private sendReady(now: number): void {
    for (;;) {
      const byNode = new Map<number, ProducerBatch[]>();
      for (let p = 0; p < this.spec.partitions; p++) {
        if (this.acc.readyAtUs(p, this.lingerUs, this.spec.messageBytes) > now || !this.sendable(p)) continue;
        const leader = this.leaders[p];
        const list = byNode.get(leader);
        const b = this.acc.deques[p].shift()!;
        if (list === undefined) byNode.set(leader, [b]);
        else list.push(b);
      }
      if (byNode.size === 0) return;
      for (const [node, batches] of byNode) this.sendProduce(node, batches, now);
    }
  }

  private sendProduce(node: number, batches: ProducerBatch[], now: number): void {
    const data = batches.map((b) => {
      if (this.idempotent && (b.baseSequence < 0 || b.producerId !== this.producerId)) {
        b.producerId = this.producerId;
        b.baseSequence = this.nextSeq[b.partition];
        this.nextSeq[b.partition] += b.count;
      }
      if (!b.sentOnce) {
        b.sentOnce = true;
        this.spec.observer.onSend(this.spec.id, this.spec.topic, b.partition, b.firstIndex, b.count, b.bytes);
      }
      b.attempts++;
      this.inFlightPerPartition[b.partition]++;
      const wire: RecordBatch = { baseOffset: -1, count: b.count, bytes: b.bytes, leaderEpoch: -1, producerId: this.idempotent ? b.producerId : -1, baseSequence: this.idempotent ? b.baseSequence : -1, producer: this.spec.id, firstIndex: b.firstIndex };
      return { topic: this.spec.topic, partition: b.partition, batch: wire };
    });
    const req: ProduceRequest = { acks: this.acks, timeoutMs: this.requestTimeoutUs / 1000, data };
    const bytes = HEADER_BYTES + batches.reduce((s, b) => s + b.bytes, 0);
    const c = this.conn(node)!;
    if (this.acks === 0) {
      // acks=0: nothing comes back; the batch is done once written to the socket. The callback
      // gets offset -1 and no broker acknowledged it, so it is reported apart from acknowledgements.
      c.send("Produce", req, bytes, () => undefined, false);
      for (const b of batches) {
        this.inFlightPerPartition[b.partition]--;
        this.acc.release(b);
        this.spec.observer.onSentWithoutAck(this.spec.id, this.spec.topic, b.partition, b.firstIndex, b.count, b.bytes, b.arrivals);
      }
      return;
    }
    c.send<ProduceResponse>("Produce", req, bytes, (res, error) => {
      const t = this.machine.now;
      // NetworkClient: a disconnect or a request timeout asks for a metadata update (handleServerDisconnect).
      if (res === null) this.needMetadata = true;
      batches.forEach((b, i) => this.complete(b, res === null ? error : res.partitions[i].error, res === null ? -1 : res.partitions[i].baseOffset, t));
      this.runOnce();
    });
  }

  /** Sender.completeBatch: acknowledge, retry or fail one batch. */
  private complete(b: ProducerBatch, error: ErrorCode, offset: number, now: number): void {
    this.inFlightPerPartition[b.partition]--;
    const o = this.spec.observer;
    if (error === "NONE" || error === "DUPLICATE_SEQUENCE_NUMBER") {
      this.acc.release(b);
      if (b.producerId === this.producerId) this.lastAckedSeq[b.partition] = Math.max(this.lastAckedSeq[b.partition], b.baseSequence + b.count - 1);
      o.onAck(this.spec.id, this.spec.topic, b.partition, b.firstIndex, b.count, b.bytes, offset, b.arrivals);
      return;
    }
    o.onProduceError(this.spec.id, this.spec.topic, b.partition, error);
    if (INVALIDATES_METADATA.has(error)) this.needMetadata = true;
    if (error === "OUT_OF_ORDER_SEQUENCE_NUMBER" && b.producerId === this.producerId && b.baseSequence === this.lastAckedSeq[b.partition] + 1) {
      // The batch right after the last acknowledged one is out of order: the broker lost this
      // producer's state (truncation after a lossy failover). Start over with a new producer id,
      // as producers since KIP-360 do by bumping the epoch (TransactionManager.canRetry).
      this.resetProducerId();
    }
    if (RETRIABLE.has(error) && this.canRetry(b, now)) {
      b.retryAtUs = now + this.retryBackoffUs;
      this.acc.reenqueue(b, this.idempotent);
      return;
    }
    this.fail(b, error);
  }

  private canRetry(b: ProducerBatch, now: number): boolean {
    if (b.attempts > this.retries) return false;
    return !this.spec.behaviour.deliveryTimeout || now - b.createdUs < this.deliveryTimeoutUs;
  }

  private fail(b: ProducerBatch, error: string): void {
    this.acc.release(b);
    this.spec.observer.onFail(this.spec.id, this.spec.topic, b.partition, b.count, error);
    // A lost sequence leaves a gap the broker would refuse: start over with a new producer id.
    if (this.idempotent) this.resetProducerId();
  }

  private resetProducerId(): void {
    if (this.producerId < 0) return;
    this.machine.mark("producer: producer id reset");
    this.producerId = -1;
    this.nextSeq.fill(0);
    this.lastAckedSeq.fill(-1);
  }

  /** delivery.timeout.ms (from 2.1); before it, batches waiting for a leader expire after request.timeout.ms. */
  private expire(now: number): void {
    for (let p = 0; p < this.spec.partitions; p++) {
      const dq = this.acc.deques[p];
      while (dq.length > 0) {
        const b = dq[0];
        const expired = this.spec.behaviour.deliveryTimeout ? now - b.createdUs >= this.deliveryTimeoutUs : this.leaders[p] < 0 && now - b.createdUs >= this.requestTimeoutUs + this.lingerUs;
        if (!expired) break;
        dq.shift();
        this.fail(b, "TIMEOUT (delivery.timeout.ms)");
      }
    }
  }

  private scheduleNextWake(now: number): void {
    let next = Infinity;
    const consider = (t: number): void => {
      if (t > now && t < next) next = t;
    };
    let anyCapacity = false;
    for (let p = 0; p < this.spec.partitions; p++) {
      const dq = this.acc.deques[p];
      if (dq.length > 0) consider(this.spec.behaviour.deliveryTimeout ? dq[0].createdUs + this.deliveryTimeoutUs : dq[0].createdUs + this.requestTimeoutUs + this.lingerUs);
      if (dq.length > 0 && this.leaders[p] >= 0) consider(this.conn(this.leaders[p])?.readyAtUs ?? Infinity);
      if (!this.sendable(p)) continue;
      anyCapacity = true;
      consider(this.acc.readyAtUs(p, this.lingerUs, this.spec.messageBytes));
    }
    if (this.lastMetadataUs > -Infinity && this.arrivalAt(0) < this.spec.stopAtUs) {
      if (this.lingerUs === 0 && anyCapacity) consider(this.arrivalAt(0));
      else if (anyCapacity) {
        // Wake when the open batch would fill, or when a batch opened by the next record would linger out.
        let room = Infinity;
        for (let p = 0; p < this.spec.partitions; p++) if (this.sendable(p)) room = Math.min(room, this.acc.roomFor(p, this.spec.messageBytes));
        consider(this.arrivalAt(Math.max(0, Math.min(room, 1_000_000) - 1)));
        consider(this.arrivalAt(0) + this.lingerUs);
      }
    }
    consider(this.metadataDueUs());
    if (next < Infinity) this.wake(next - now);
  }

  /**
   * Metadata.timeToNextUpdate: at once when an update was requested, else when metadata.max.age.ms
   * has passed; never sooner than retry.backoff.ms (refreshBackoffMs) after the last attempt.
   */
  private metadataDueUs(): number {
    const expires = this.needMetadata ? -Infinity : this.lastMetadataUs + this.metadataMaxAgeUs;
    return Math.max(expires, this.lastMetadataAttemptUs + this.retryBackoffUs);
  }

  // --- metadata and producer id ---

  private requestMetadata(): void {
    if (this.metadataInFlight) return;
    const ids = [...this.spec.brokers.keys()].sort((a, b) => a - b);
    // NetworkClient.leastLoadedNode, simplified: the next broker (from a seeded start) that is
    // connected or may connect; none: wait for the first reconnect backoff to pass.
    const now = this.machine.now;
    let target = -1;
    for (let i = 0; i < ids.length && target < 0; i++) if (this.ready(ids[(this.metadataTarget + i) % ids.length], now)) target = ids[(this.metadataTarget + i) % ids.length];
    if (target < 0) {
      let at = Infinity;
      for (const id of ids) at = Math.min(at, this.conn(id)!.readyAtUs);
      this.wake(Math.max(1, at - now));
      return;
    }
    this.metadataInFlight = true;
    this.machine.mark("producer: metadata request");
    this.conn(target)!.send<MetadataResponse>("Metadata", { topics: [this.spec.topic] }, HEADER_BYTES, (res) => {
      this.metadataInFlight = false;
      // Before 2.5 (KAFKA-8933) a request lost to a disconnect only frees the slot: the next may go at once.
      if (res !== null || this.spec.behaviour.metadataBackoffAfterDisconnect) this.lastMetadataAttemptUs = this.machine.now;
      if (res === null || res.partitions.every((p) => p.topic !== this.spec.topic)) {
        // Metadata.failedUpdate: try another node after retry.backoff.ms.
        this.metadataTarget++;
        this.runOnce();
        return;
      }
      this.needMetadata = false;
      this.lastMetadataUs = this.machine.now;
      for (const p of res.partitions) if (p.topic === this.spec.topic && p.partition < this.spec.partitions) this.leaders[p.partition] = p.leader;
      this.available = this.leaders.map((l, i) => (l >= 0 ? i : -1)).filter((i) => i >= 0);
      if (this.leaders.some((l) => l < 0)) this.needMetadata = true;
      this.runOnce();
    });
  }

  private initProducerId(): void {
    if (this.initInFlight || this.available.length === 0) return;
    this.initInFlight = true;
    const target = this.leaders[this.available[0]];
    this.conn(target)!.send<InitProducerIdResponse>("InitProducerId", {}, HEADER_BYTES, (res) => {
      this.initInFlight = false;
      if (res !== null && res.error === "NONE") {
        this.producerId = res.producerId;
        this.machine.trace("producer-id", { producerId: res.producerId });
        this.runOnce();
      } else {
        this.needMetadata = true;
        this.machine.setTimer(this.retryBackoffUs, () => this.runOnce());
      }
    });
  }
}
