/**
 * A producer application and its KafkaProducer: a workload creating records at a rate, the
 * partitioner and the RecordAccumulator, in front of the Sender (Sender.ts).
 *
 * Records are not events: the sender wakes when a batch can become ready (linger expiry, the
 * arrival that fills it, a retry backoff, a timeout) and creates the records that arrived since.
 */
import type { Process } from "../../../../Host.js";
import type { RandomStream } from "../../../../Random.js";
import type { TimerHandle } from "../../../../Simulation.js";
import type { Machine } from "../../../Machine.js";
import { ProducerApplication, type SendOutcome } from "./ProducerApplication.js";
import type { ProducerMetadata } from "./ProducerMetadata.js";
import { KeylessPartitioner, partitionForKey, type PartitionLoad } from "./Partitioner.js";
import { RecordAccumulator } from "./RecordAccumulator.js";
import { Sender, type SenderSpec } from "./Sender.js";
import { keyBytesOf } from "../../log/recordFormat.js";

/** Busy time of a producer's two threads, kept by the world across restarts (for utilization). */
export interface ClientCpu {
  applicationBusyUs: number;
  senderBusyUs: number;
}

export interface ProducerSpec extends SenderSpec {
  /** Records per second, or "max" for a closed loop. */
  rate: number | "max";
  poisson: boolean;
  /** Distinct keys, or undefined for keyless records. */
  keys: number | undefined;
  stopAtUs: number;
  cpu?: ClientCpu;
}

export class KafkaProducer implements Process {
  readonly kind = "producer";
  private readonly acc: RecordAccumulator;
  private readonly sender: Sender;
  private readonly metadata: ProducerMetadata;
  private readonly leaders: number[];
  private readonly app: ProducerApplication;
  private readonly keyRng: RandomStream;
  private readonly keyPartitions: number[] = [];
  private readonly keyBytes: number[] = [];
  private readonly keyless: KeylessPartitioner;
  private readonly load: PartitionLoad;
  private readonly availabilityTimeoutUs: number;
  private readonly ignoreKeys: boolean;
  private wakeTimer: TimerHandle | null = null;
  private wakeAtUs = Infinity;
  // Made once, not per wake: the application's callbacks and the next-wake accumulator.
  private readonly sendRecord = (atUs: number): SendOutcome => this.addRecord(atUs);
  private readonly failRecord = (atUs: number): void => this.failBlockedSend(atUs);
  private considerNow = 0;
  private considerNext = Infinity;
  private readonly consider = (t: number): void => {
    if (t > this.considerNow && t < this.considerNext) this.considerNext = t;
  };

  constructor(
    private readonly machine: Machine,
    private readonly spec: ProducerSpec,
  ) {
    const c = spec.config;
    this.acc = new RecordAccumulator(spec.partitions, c.num("batch.size"), c.num("buffer.memory"), spec.behaviour.messageFormat);
    this.sender = new Sender(machine, spec, this.acc, { run: () => this.runOnce(), wake: (delayUs) => this.wake(delayUs) });
    this.app = new ProducerApplication({ rate: spec.rate, poisson: spec.poisson, messageBytes: spec.messageBytes, stopAtUs: spec.stopAtUs, maxBlockUs: c.num("max.block.ms") * 1000 }, machine.rng("arrivals"), machine.now);
    this.keyRng = machine.rng("keys");
    this.keyless = new KeylessPartitioner(spec.behaviour.keylessPartitioner, machine.rng("partitioner"), c.num("batch.size"), c.has("partitioner.adaptive.partitioning.enable") && c.bool("partitioner.adaptive.partitioning.enable"));
    this.ignoreKeys = c.has("partitioner.ignore.keys") && c.bool("partitioner.ignore.keys");
    this.availabilityTimeoutUs = c.has("partitioner.availability.timeout.ms") ? c.num("partitioner.availability.timeout.ms") * 1000 : 0;
    this.load = {
      allBatchesFull: (p) => this.acc.allBatchesFull(p),
      queueSize: (p) => this.acc.queueSize(p),
      // partitioner.availability.timeout.ms (0: off): the leader had data ready, undrained, for longer.
      unavailable: (p) => {
        if (this.availabilityTimeoutUs <= 0 || this.leaders[p] < 0) return false;
        return this.sender.undrainedUs(this.leaders[p]) > this.availabilityTimeoutUs;
      },
    };
    if (spec.keys !== undefined) for (let k = 0; k < spec.keys; k++) this.keyPartitions.push(partitionForKey(`key-${k}`, spec.partitions));
    if (spec.keys !== undefined) for (let k = 0; k < spec.keys; k++) this.keyBytes.push(keyBytesOf(`key-${k}`));
    this.metadata = this.sender.metadata;
    this.leaders = this.metadata.leaders;
    this.wake(0);
  }

  // --- the sender loop ---

  private runOnce(): void {
    const now = this.machine.now;
    this.generate(now);
    this.sender.run(now);
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

  private generate(now: number): void {
    // The application starts sending once the producer first has metadata for its topic.
    if (!this.metadata.known) {
      this.app.restartAt(now);
      return;
    }
    const calls = this.app.run(now, this.sendRecord, this.failRecord);
    if (this.spec.cpu !== undefined) this.spec.cpu.applicationBusyUs += calls * this.app.sendCpuUs;
  }

  private addRecord(atUs: number): SendOutcome {
    const bytes = this.spec.messageBytes;
    const key = this.spec.keys !== undefined ? this.keyRng.int(0, this.spec.keys - 1) : -1;
    // partitioner.ignore.keys (KIP-794, 3.3+): keyed records are partitioned as keyless ones.
    const keyed = key >= 0 && !this.ignoreKeys;
    let p = keyed ? this.keyPartitions[key] : this.keyless.next(this.metadata.available, this.spec.partitions, this.load);
    if (!keyed && this.keyless.abortsOnNewBatch && this.acc.wouldOpenBatch(p, bytes)) {
      // KIP-480 (KafkaProducer.doSend, append with abortOnNewBatch): the record that would open a
      // new batch moves the sticky partition (StickyPartitionCache.nextPartition) and goes there.
      this.keyless.onNewBatch(p, this.metadata.available, this.spec.partitions);
      p = this.keyless.next(this.metadata.available, this.spec.partitions, this.load);
    }
    const buffered = this.acc.bufferedBytes;
    const opened = this.acc.append(p, bytes, atUs, key >= 0 ? this.keyBytes[key] : -1);
    if (opened === null) return "no-memory";
    // BuiltInPartitioner counts the batch's estimated growth: the header when the record opened it.
    if (!keyed) this.keyless.onAppended(p, this.acc.bufferedBytes - buffered + (opened ? this.acc.batchHeaderBytes : 0), this.metadata.available, this.spec.partitions, this.load);
    return "appended";
  }

  /** send() waited max.block.ms for buffer memory and threw TimeoutException: the record never entered the producer. */
  private failBlockedSend(_atUs: number): void {
    this.machine.mark("producer: send() blocked for max.block.ms");
    this.spec.observer.onFail(this.spec.id, this.spec.topic, -1, 1, "TIMEOUT (max.block.ms)");
  }

  private scheduleNextWake(now: number): void {
    this.considerNow = now;
    this.considerNext = Infinity;
    const consider = this.consider;
    const anyCapacity = this.sender.nextWakes(now, consider);
    const lingerUs = this.sender.lingerUs;
    if (this.metadata.known && this.app.blocked) consider(this.app.nextWakeUs());
    else if (this.metadata.known && this.app.nextWakeUs() < Infinity) {
      if (lingerUs === 0 && anyCapacity) consider(this.app.nextWakeUs());
      else if (anyCapacity) {
        // Wake when the open batch would fill, or when a batch opened by the next record would linger out.
        const room = this.sender.minRoom(this.spec.messageBytes);
        consider(this.app.callAtUs(Math.max(0, Math.min(room, 1_000_000) - 1)));
        consider(this.app.callAtUs(0) + lingerUs);
      }
    }
    consider(this.metadata.dueUs());
    const next = this.considerNext;
    if (next < Infinity) this.wake(next - now);
  }
}
