/**
 * When the producer gives up on a batch. From 2.1 (KIP-91) a batch expires delivery.timeout.ms
 * after its creation, queued or in flight (Sender.getExpiredInflightBatches: the request is not
 * cancelled, its answer is ignored). Before, the accumulator's expiredBatches
 * (RecordBatch/ProducerBatch.maybeExpire, 0.10.2 - 2.0) expires the head batches of every
 * partition not muted, whatever their leader: request.timeout.ms after linger.ms ran out, or after
 * its last append once full, or after a retry's backoff.
 */
import type { ProducerBatch, RecordAccumulator } from "./RecordAccumulator.js";

export interface BatchExpirySettings {
  deliveryTimeout: boolean;
  deliveryTimeoutUs: number;
  requestTimeoutUs: number;
  lingerUs: number;
  messageBytes: number;
}

export class BatchExpiry {
  readonly label: string;

  constructor(
    private readonly s: BatchExpirySettings,
    private readonly acc: RecordAccumulator,
  ) {
    this.label = s.deliveryTimeout ? "TIMEOUT (delivery.timeout.ms)" : "TIMEOUT (request.timeout.ms in the accumulator)";
  }

  /** The queued head batches past their time, taken out of the accumulator (muted partitions skipped before 2.1). */
  takeExpired(now: number, muted: (partition: number) => boolean, onExpired: (b: ProducerBatch) => void): void {
    // A snapshot: expiring empties deques, and only queued batches can expire.
    for (const p of this.acc.activePartitions().slice()) {
      const dq = this.acc.deques[p];
      if (!this.s.deliveryTimeout && muted(p)) continue;
      while (dq.length > 0 && this.expiresAtUs(dq[0], dq.length > 1) < now) onExpired(dq.shift()!);
    }
  }

  /** From 2.1: the batches in flight past delivery.timeout.ms, marked so that their answer is ignored. */
  expireInFlight(now: number, inFlight: Iterable<ProducerBatch>, onExpired: (b: ProducerBatch) => void): void {
    if (!this.s.deliveryTimeout) return;
    for (const b of inFlight) {
      if (b.expiredInFlight || b.createdUs + this.s.deliveryTimeoutUs > now) continue;
      b.expiredInFlight = true;
      onExpired(b);
    }
  }

  /** The batch expires once the clock passes this (maybeExpire compares with a strict <). */
  expiresAtUs(b: ProducerBatch, notLast: boolean): number {
    const s = this.s;
    if (s.deliveryTimeout) return b.createdUs + s.deliveryTimeoutUs - 1;
    if (b.attempts > 0) return b.retryAtUs + s.requestTimeoutUs;
    const lingered = b.createdUs + s.lingerUs + s.requestTimeoutUs;
    const full = notLast || b.bytes + this.acc.recordBytes(s.messageBytes) > this.acc.batchSize;
    return full ? Math.min(lingered, b.arrivals[b.arrivals.length - 1] + s.requestTimeoutUs) : lingered;
  }

  /** The next time something in flight expires (Infinity: nothing). */
  nextInFlightDeadlineUs(inFlight: Iterable<ProducerBatch>): number {
    if (!this.s.deliveryTimeout) return Infinity;
    let next = Infinity;
    for (const b of inFlight) if (!b.expiredInFlight && b.createdUs + this.s.deliveryTimeoutUs < next) next = b.createdUs + this.s.deliveryTimeoutUs;
    return next;
  }
}
