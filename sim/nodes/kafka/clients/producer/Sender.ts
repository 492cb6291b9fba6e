/**
 * The Sender (org.apache.kafka.clients.producer.internals.Sender), the producer's I/O thread:
 * metadata from the bootstrap brokers, one ProduceRequest per broker per drain with the first
 * ready batch of each partition it leads, max.in.flight.requests.per.connection, retries with
 * retry.backoff.ms, delivery.timeout.ms (KIP-91), acks, and idempotence (InitProducerId,
 * per-partition sequence numbers, retries re-queued in sequence order).
 */
import type { Host } from "../../../../Host.js";
import type { RandomStream } from "../../../../Random.js";
import { Endpoint } from "../../../Endpoint.js";
import type { Machine } from "../../../Machine.js";
import type { KafkaObserver } from "../../KafkaObserver.js";
import type { RecordBatch } from "../../log/Log.js";
import { NodeConnection, type ReconnectBackoff, type SetupTimeout } from "../NodeConnection.js";
import { ProducerMetadata } from "./ProducerMetadata.js";
import { ProducerIdempotence } from "./ProducerIdempotence.js";
import { BatchExpiry } from "./BatchExpiry.js";
import { exponentialBackoffUs } from "../ExponentialBackoff.js";
import { HEADER_BYTES, INVALIDATES_METADATA, PRODUCER_CLIENT_ID, produceRequestBytes, RETRIABLE, type ErrorCode, type InitProducerIdResponse, type ProduceRequest, type ProduceResponse } from "../../common/protocol.js";
import type { RecordAccumulator, ProducerBatch } from "./RecordAccumulator.js";
import type { Behaviour, KafkaConfig } from "../../common/versions.js";

/**
 * The Sender thread's CPU per produce request: building the request around the closed batches,
 * the selector's write(2) and epoll round (a few µs a system call), and the response's parsing
 * and callbacks; a documented estimate of ~20 µs for a 2020s core. Per KB, the batch's CRC32C
 * (computed when the batch closes; java.util.zip.CRC32C runs at several GB/s with the CPU's
 * crc32 instruction): ~0.2 µs.
 */
export const SENDER_US_PER_REQUEST = 20;
export const SENDER_US_PER_KB = 0.2;

/** The part of the producer's spec the Sender works from. */
export interface SenderSpec {
  id: string;
  topic: string;
  partitions: number;
  messageBytes: number;
  config: KafkaConfig;
  behaviour: Behaviour;
  brokers: ReadonlyMap<number, Host>;
  observer: KafkaObserver;
  cpu?: { senderBusyUs: number };
}

/** The producer's loop, which also creates the records the application sent in the meantime. */
export interface SenderLoop {
  run(): void;
  wake(delayUs: number): void;
}

export class Sender {
  private readonly endpoint: Endpoint;
  private readonly conns = new Map<number, NodeConnection>();
  readonly metadata: ProducerMetadata;
  private readonly leaders: number[];
  private readonly idem: ProducerIdempotence;
  private readonly expiry: BatchExpiry;
  private readonly inFlightPerPartition: number[];
  /** Batches in flight, in the order they were sent (Sender.inFlightBatches). */
  private readonly inFlightBatches = new Set<ProducerBatch>();
  /** Sender.updateNodeLatencyStats: when each node last had data ready, and last was drained. */
  private readonly nodeReadyUs = new Map<number, number>();
  private readonly nodeDrainUs = new Map<number, number>();
  /** When the Sender thread has finished with the last request it built. */
  private senderFreeAtUs = 0;
  // Settings, read once.
  private readonly acks: number;
  private readonly idempotent: boolean;
  readonly lingerUs: number;
  private readonly maxInFlight: number;
  private readonly retries: number;
  private readonly retryBackoffUs: number;
  private readonly retryBackoffMaxUs: number;
  private readonly retryRng: RandomStream;
  private readonly requestTimeoutUs: number;
  private readonly deliveryTimeoutUs: number;
  private readonly reconnect: ReconnectBackoff;
  private readonly setupTimeout: SetupTimeout | null;

  constructor(
    private readonly machine: Machine,
    private readonly spec: SenderSpec,
    private readonly acc: RecordAccumulator,
    private readonly loop: SenderLoop,
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
    this.retryBackoffMaxUs = c.has("retry.backoff.max.ms") ? c.num("retry.backoff.max.ms") * 1000 : this.retryBackoffUs;
    this.retryRng = machine.rng("retry-backoff");
    this.requestTimeoutUs = c.num("request.timeout.ms") * 1000;
    this.deliveryTimeoutUs = c.num("delivery.timeout.ms") * 1000;
    const s = spec.behaviour.connectionSetupTimeout;
    this.setupTimeout = s ? { baseUs: c.num("socket.connection.setup.timeout.ms") * 1000, maxUs: c.num("socket.connection.setup.timeout.max.ms") * 1000, rng: machine.rng("connection-setup"), capAtMax: spec.behaviour.exponentialRetryBackoff } : null;
    this.reconnect = {
      baseUs: c.num("reconnect.backoff.ms") * 1000,
      maxUs: (spec.behaviour.exponentialReconnectBackoff ? c.num("reconnect.backoff.max.ms") : c.num("reconnect.backoff.ms")) * 1000,
      exponential: spec.behaviour.exponentialReconnectBackoff,
      jitter: spec.behaviour.reconnectBackoffJitter,
      rng: machine.rng("reconnect-backoff"),
      capAtMax: spec.behaviour.exponentialRetryBackoff,
    };
    this.idem = new ProducerIdempotence(spec.partitions, spec.behaviour, machine);
    this.expiry = new BatchExpiry({ deliveryTimeout: spec.behaviour.deliveryTimeout, deliveryTimeoutUs: this.deliveryTimeoutUs, requestTimeoutUs: this.requestTimeoutUs, lingerUs: this.lingerUs, messageBytes: spec.messageBytes }, this.acc);
    this.inFlightPerPartition = new Array(spec.partitions).fill(0);
    this.metadata = new ProducerMetadata(
      {
        machine,
        topic: spec.topic,
        partitions: spec.partitions,
        brokerIds: [...spec.brokers.keys()].sort((a, b) => a - b),
        behaviour: spec.behaviour,
        retryBackoffUs: this.retryBackoffUs,
        retryBackoffMaxUs: this.retryBackoffMaxUs,
        maxAgeUs: c.num("metadata.max.age.ms") * 1000,
        maxInFlight: this.maxInFlight,
        rng: machine.rng("least-loaded-node"),
        conn: (id) => this.conn(id)!,
        onUpdate: () => this.loop.run(),
        wake: (delayUs) => this.loop.wake(delayUs),
      },
    );
    this.leaders = this.metadata.leaders;
  }

  /** Sender.runOnce, less the application's records, which the producer creates first. */
  run(now: number): void {
    this.expire(now);
    this.metadata.maybeUpdate(now);
    this.skipBackoffOnLeaderChange(now);
    if (this.idempotent && this.idem.producerId < 0) this.initProducerId();
    else this.sendReady(now);
  }

  /** How long the node has had data ready and not been drained, for partitioner.availability.timeout.ms. */
  undrainedUs(node: number): number {
    return (this.nodeReadyUs.get(node) ?? 0) - (this.nodeDrainUs.get(node) ?? 0);
  }

  private conn(broker: number): NodeConnection | undefined {
    let c = this.conns.get(broker);
    if (c !== undefined) return c;
    const host = this.spec.brokers.get(broker);
    if (c === undefined && host !== undefined) {
      this.conns.set(broker, (c = new NodeConnection(this.endpoint, host, this.requestTimeoutUs, this.reconnect, { setupTimeout: this.setupTimeout })));
      c.onServerDisconnect = () => {
        // handleServerDisconnect: from 2.5 (KAFKA-8933) any disconnect asks for a metadata update
        // (with acks=0 it is the only signal); before, only a timed-out or failed request does.
        if (this.spec.behaviour.metadataBackoffAfterDisconnect) this.metadata.requestUpdate();
        this.loop.wake(0);
      };
      c.onReady = () => this.loop.wake(0);
    }
    return c;
  }

  sendable(p: number): boolean {
    const leader = this.leaders[p];
    if (leader < 0) return false;
    if (this.maxInFlight === 1 && this.inFlightPerPartition[p] > 0) return false;
    const c = this.conn(leader);
    return c !== undefined && c.inFlight < this.maxInFlight && c.readyAtUs <= this.machine.now;
  }

  private readonly readyNodes = new Set<number>();

  /** Drains ready batches into one request per broker, again while requests can go out. */
  private sendReady(now: number): void {
    // The Sender is one thread: while it builds and writes a request it drains nothing else.
    if (now < this.senderFreeAtUs) {
      this.loop.wake(Math.ceil(this.senderFreeAtUs - now));
      return;
    }
    for (;;) {
      // RecordAccumulator.ready: the leaders with a partition whose first batch is ready; the
      // Sender keeps those that NetworkClient.ready allows (connected, room in flight).
      // One set for every pass (read only before this pass sends anything, so a send's callback re-entering is harmless).
      const readyNodes = this.readyNodes;
      readyNodes.clear();
      const active = this.acc.activePartitions();
      for (const p of active) {
        const leader = this.leaders[p];
        if (leader < 0 || this.acc.readyAtUs(p, this.lingerUs, this.spec.messageBytes) > now) continue;
        this.nodeReadyUs.set(leader, now);
        // NetworkClient.ready: a node that is not connected is connected to (initiateConnect) when its backoff allows.
        const c = this.conn(leader);
        if (c !== undefined && c.state === "disconnected") c.connect();
        if (this.sendable(p)) readyNodes.add(leader);
      }
      // RecordAccumulator.drain (drainBatchesForOneNode): the first batch of every partition a ready
      // node leads goes along, lingering or not, unless it is a retry still backing off.
      const byNode = new Map<number, ProducerBatch[]>();
      for (const p of active) {
        const leader = this.leaders[p];
        if (!readyNodes.has(leader) || !this.sendable(p)) continue;
        const first = this.acc.deques[p][0];
        if (first === undefined || (first.attempts > 0 && first.retryAtUs > now)) continue;
        this.nodeDrainUs.set(leader, now);
        const list = byNode.get(leader);
        const b = this.acc.deques[p].shift()!;
        if (list === undefined) byNode.set(leader, [b]);
        else list.push(b);
      }
      if (byNode.size === 0) return;
      for (const [node, batches] of byNode) {
        this.sendProduce(node, batches, now);
        const cost = SENDER_US_PER_REQUEST + (batches.reduce((s, b) => s + b.bytes, 0) / 1024) * SENDER_US_PER_KB;
        this.senderFreeAtUs = Math.max(this.senderFreeAtUs, now) + cost;
        if (this.spec.cpu !== undefined) this.spec.cpu.senderBusyUs += cost;
      }
      if (this.senderFreeAtUs > now) {
        this.loop.wake(Math.ceil(this.senderFreeAtUs - now));
        return;
      }
    }
  }

  private sendProduce(node: number, batches: ProducerBatch[], now: number): void {
    const data = batches.map((b) => {
      if (this.idempotent) this.idem.assign(b);
      if (!b.sentOnce) {
        b.sentOnce = true;
        // Closed now (no record joins a batch once sent): an exact-size copy of its creation times,
        // which the log keeps with the batch, holds a third less than the array grown by push.
        b.arrivals = b.arrivals.slice();
        this.spec.observer.onSend(this.spec.id, this.spec.topic, b.partition, b.firstIndex, b.count, b.bytes);
      }
      b.attempts++;
      b.leaderEpochAtSend = this.metadata.leaderEpochs[b.partition];
      this.inFlightPerPartition[b.partition]++;
      this.inFlightBatches.add(b);
      const wire: RecordBatch = { baseOffset: -1, count: b.count, bytes: b.bytes, leaderEpoch: -1, producerId: this.idempotent ? b.producerId : -1, baseSequence: this.idempotent ? b.baseSequence : -1, producer: this.spec.id, firstIndex: b.firstIndex, createTimesUs: b.arrivals };
      return { topic: this.spec.topic, partition: b.partition, batch: wire };
    });
    const req: ProduceRequest = { acks: this.acks, timeoutMs: this.requestTimeoutUs / 1000, data };
    const bytes = produceRequestBytes(this.spec.behaviour, PRODUCER_CLIENT_ID, data);
    const c = this.conn(node)!;
    if (this.acks === 0) {
      // acks=0: nothing comes back; the batch is done once written to the socket. The callback
      // gets offset -1 and no broker acknowledged it, so it is reported apart from acknowledgements.
      c.send("Produce", req, bytes, () => undefined, false);
      for (const b of batches) {
        this.inFlightPerPartition[b.partition]--;
        this.inFlightBatches.delete(b);
        this.acc.release(b);
        this.spec.observer.onSentWithoutAck(this.spec.id, this.spec.topic, b.partition, b.firstIndex, b.count, b.bytes, b.arrivals);
      }
      return;
    }
    c.send<ProduceResponse>("Produce", req, bytes, (res, error) => {
      const t = this.machine.now;
      // NetworkClient: a disconnect or a request timeout asks for a metadata update (handleServerDisconnect).
      if (res === null) this.metadata.requestUpdate();
      batches.forEach((b, i) => this.complete(b, res === null ? error : res.partitions[i].error, res === null ? -1 : res.partitions[i].baseOffset, t, res?.partitions[i].currentLeader));
      this.loop.run();
    });
  }

  /** Sender.completeBatch: acknowledge, retry or fail one batch. */
  private complete(b: ProducerBatch, error: ErrorCode, offset: number, now: number, hint?: { leaderId: number; leaderEpoch: number }): void {
    this.inFlightPerPartition[b.partition]--;
    this.inFlightBatches.delete(b);
    // Expired while in flight (Sender.getExpiredInflightBatches): the answer is ignored
    // (ProducerBatch.done returns false), even a success.
    if (b.expiredInFlight) return;
    const o = this.spec.observer;
    if (error === "NONE" || error === "DUPLICATE_SEQUENCE_NUMBER") {
      this.acc.release(b);
      this.idem.acknowledged(b);
      o.onAck(this.spec.id, this.spec.topic, b.partition, b.firstIndex, b.count, b.bytes, offset, b.arrivals);
      return;
    }
    o.onProduceError(this.spec.id, this.spec.topic, b.partition, error);
    if (INVALIDATES_METADATA.has(error)) this.metadata.requestUpdate();
    // KIP-951 (Sender.handleProduceResponse, Metadata.updatePartitionLeadership): a newer leader
    // named in the error is taken at once; the full refresh still follows.
    if (error === "NOT_LEADER_OR_FOLLOWER" && hint !== undefined && this.spec.behaviour.leaderHints) this.metadata.applyLeaderHint(b.partition, hint.leaderId, hint.leaderEpoch);
    if (error === "OUT_OF_ORDER_SEQUENCE_NUMBER" || error === "UNKNOWN_PRODUCER_ID") {
      const verdict = this.idem.onSequenceError(b, error);
      if (verdict === "fail") return this.fail(b, error);
      if (verdict === "restart-sequences") this.idem.reset();
    }
    if (RETRIABLE.has(error) && this.canRetry(b, now)) {
      b.retryAtUs = now + this.retryBackoffFor(b);
      this.acc.reenqueue(b, this.idempotent);
      return;
    }
    this.fail(b, error);
  }

  /** KAFKA-15415 (3.7, RecordAccumulator.ready/drain): a retry backing off goes at once once its partition's leader epoch moved. */
  private skipBackoffOnLeaderChange(now: number): void {
    if (!this.spec.behaviour.exponentialRetryBackoff) return;
    for (const p of this.acc.activePartitions()) {
      const b = this.acc.deques[p][0];
      if (b !== undefined && b.attempts > 0 && b.retryAtUs > now && this.metadata.leaderEpochs[p] > b.leaderEpochAtSend) b.retryAtUs = now;
    }
  }

  /**
   * retry.backoff.ms before 3.7; from 3.7 (KIP-580, RecordAccumulator.shouldBackoff) doubling per
   * attempt up to retry.backoff.max.ms with ±20% jitter, and none when the partition's leader epoch
   * moved since the batch was sent (KAFKA-15415). Kafka draws the jitter at each check; we draw once.
   */
  private retryBackoffFor(b: ProducerBatch): number {
    if (!this.spec.behaviour.exponentialRetryBackoff) return this.retryBackoffUs;
    if (this.metadata.leaderEpochs[b.partition] > b.leaderEpochAtSend) return 0;
    return exponentialBackoffUs(this.retryBackoffUs, this.retryBackoffMaxUs, b.attempts - 1, 0.2, this.retryRng, true);
  }

  private canRetry(b: ProducerBatch, now: number): boolean {
    if (b.attempts > this.retries) return false;
    return !this.spec.behaviour.deliveryTimeout || now - b.createdUs < this.deliveryTimeoutUs;
  }

  private fail(b: ProducerBatch, error: string): void {
    this.acc.release(b);
    this.spec.observer.onFail(this.spec.id, this.spec.topic, b.partition, b.count, error, b.firstIndex, b.arrivals);
    if (this.idempotent) this.idem.failed(b);
  }

  /** BatchExpiry: queued batches past their time, and (from 2.1) batches in flight past delivery.timeout.ms. */
  private expire(now: number): void {
    const label = this.expiry.label;
    this.expiry.takeExpired(now, (p) => this.maxInFlight === 1 && this.inFlightPerPartition[p] > 0, (b) => this.fail(b, label));
    this.expiry.expireInFlight(now, this.inFlightBatches, (b) => {
      this.acc.release(b);
      this.spec.observer.onFail(this.spec.id, this.spec.topic, b.partition, b.count, label, b.firstIndex, b.arrivals);
    });
  }

  /**
   * The Sender's own reasons to run again; whether any partition can take a request now. Only
   * partitions with queued batches have reasons; whether any partition is sendable is a
   * property of the leaders' connections (sendableLeaders), so no pass over every partition.
   */
  nextWakes(now: number, consider: (t: number) => void): boolean {
    consider(this.expiry.nextInFlightDeadlineUs(this.inFlightBatches));
    const anyCapacity = this.countSendable() > 0;
    for (const p of this.acc.activePartitions()) {
      const dq = this.acc.deques[p];
      consider(this.expiry.expiresAtUs(dq[0], dq.length > 1) + 1);
      if (this.leaders[p] >= 0) consider(this.conn(this.leaders[p])?.readyAtUs ?? Infinity);
      if (!this.sendable(p)) continue;
      consider(this.acc.readyAtUs(p, this.lingerUs, this.spec.messageBytes));
    }
    return anyCapacity;
  }

  /**
   * The least room, in records of this size, in the open batch of a sendable partition (a
   * partition without one has a whole batch's room); Infinity when none is sendable.
   */
  minRoom(valueBytes: number): number {
    let room = Infinity;
    let sendableActive = 0;
    for (const p of this.acc.activePartitions()) {
      if (!this.sendable(p)) continue;
      sendableActive++;
      room = Math.min(room, this.acc.roomFor(p, valueBytes));
    }
    // Some sendable partition has no batch queued: it has the room of an empty batch.
    if (this.countSendable() > sendableActive) room = Math.min(room, this.acc.emptyRoom(valueBytes));
    return room;
  }

  /** Per leader (in the order its first partition comes), how many partitions it leads: parallel arrays, read per wake. */
  private leaderIds: number[] = [];
  private leaderPartitions: number[] = [];
  private leaderCountsVersion = -1;

  /**
   * How many partitions are sendable now. With one request in flight per connection allowed
   * per partition (max.in.flight 1) it depends on each partition: counted one by one. Otherwise
   * on the leader's connection only: counted per leader, the leaders in the order their first
   * partition comes (so connections are made in the order a pass over partitions made them).
   */
  private countSendable(): number {
    if (this.maxInFlight === 1) {
      let n = 0;
      for (let p = 0; p < this.spec.partitions; p++) if (this.sendable(p)) n++;
      return n;
    }
    if (this.leaderCountsVersion !== this.metadata.leadersVersion) {
      this.leaderCountsVersion = this.metadata.leadersVersion;
      const counts = new Map<number, number>();
      for (let p = 0; p < this.spec.partitions; p++) {
        const leader = this.leaders[p];
        if (leader >= 0) counts.set(leader, (counts.get(leader) ?? 0) + 1);
      }
      this.leaderIds = [...counts.keys()];
      this.leaderPartitions = [...counts.values()];
    }
    const now = this.machine.now;
    const ids = this.leaderIds;
    let n = 0;
    for (let i = 0; i < ids.length; i++) {
      const c = this.conn(ids[i]);
      if (c !== undefined && c.inFlight < this.maxInFlight && c.readyAtUs <= now) n += this.leaderPartitions[i];
    }
    return n;
  }

  private initProducerId(): void {
    if (this.idem.initInFlight || this.metadata.available.length === 0) return;
    // TransactionManager: InitProducerId goes to the least-loaded node (Sender.maybeWaitForProducerId).
    const target = this.metadata.leastLoadedNode(this.machine.now);
    if (target < 0) return;
    const c = this.conn(target)!;
    if (c.state === "disconnected") c.connect();
    if (c.state !== "ready") return;
    this.idem.initInFlight = true;
    c.send<InitProducerIdResponse>("InitProducerId", {}, HEADER_BYTES, (res) => {
      this.idem.initInFlight = false;
      if (res !== null && res.error === "NONE") {
        this.idem.producerId = res.producerId;
        this.machine.trace("producer-id", { producerId: res.producerId });
        this.loop.run();
      } else {
        this.metadata.requestUpdate();
        this.machine.setTimer(this.retryBackoffUs, () => this.loop.run());
      }
    });
  }
}
