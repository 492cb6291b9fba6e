/**
 * The producer's RecordAccumulator: a deque of batches per partition. Records join the last
 * batch while it has room under batch.size; a batch is ready to send when it is full, has waited
 * linger.ms, or is a retry whose retry.backoff.ms has passed. buffer.memory bounds the bytes held.
 */
import { BATCH_HEADER_BYTES, RECORD_OVERHEAD_BYTES } from "./Log.js";

export interface ProducerBatch {
  partition: number;
  firstIndex: number;
  count: number;
  bytes: number;
  /** Creation time of each record (for latency from send() to acknowledgement). */
  arrivals: number[];
  createdUs: number;
  attempts: number;
  retryAtUs: number;
  /** Assigned at first drain when idempotent; kept across retries. */
  baseSequence: number;
  producerId: number;
  sentOnce: boolean;
}

export class RecordAccumulator {
  readonly deques: ProducerBatch[][];
  private readonly nextIndex: number[];
  bufferedBytes = 0;

  constructor(
    partitions: number,
    readonly batchSize: number,
    private readonly bufferMemory: number,
  ) {
    this.deques = Array.from({ length: partitions }, () => []);
    this.nextIndex = new Array(partitions).fill(0);
  }

  recordBytes(valueBytes: number): number {
    return valueBytes + RECORD_OVERHEAD_BYTES;
  }

  /** Appends a record; returns null when buffer.memory is exhausted, else whether a new batch was opened. */
  append(partition: number, valueBytes: number, nowUs: number): boolean | null {
    const size = this.recordBytes(valueBytes);
    if (this.bufferedBytes + size > this.bufferMemory) return null;
    this.bufferedBytes += size;
    const dq = this.deques[partition];
    const last = dq[dq.length - 1];
    const index = this.nextIndex[partition]++;
    if (last !== undefined && !last.sentOnce && last.attempts === 0 && last.bytes + size <= this.batchSize) {
      last.count++;
      last.bytes += size;
      last.arrivals.push(nowUs);
      return false;
    }
    dq.push({ partition, firstIndex: index, count: 1, bytes: BATCH_HEADER_BYTES + size, arrivals: [nowUs], createdUs: nowUs, attempts: 0, retryAtUs: 0, baseSequence: -1, producerId: -1, sentOnce: false });
    return true;
  }

  /** RecordAccumulator.allBatchesFull (3.3): no batch, or the last is closed (drained) or at batch.size. */
  allBatchesFull(partition: number): boolean {
    const dq = this.deques[partition];
    const last = dq[dq.length - 1];
    return last === undefined || last.sentOnce || last.attempts > 0 || last.bytes >= this.batchSize;
  }

  /** Batches queued, or -1 before the partition's first batch (Kafka has no deque for it yet). */
  queueSize(partition: number): number {
    return this.nextIndex[partition] === 0 ? -1 : this.deques[partition].length;
  }

  /** Whether a record of this size would open a new batch (no open batch with room). */
  wouldOpenBatch(partition: number, valueBytes: number): boolean {
    const dq = this.deques[partition];
    const last = dq[dq.length - 1];
    return last === undefined || last.sentOnce || last.attempts > 0 || last.bytes + this.recordBytes(valueBytes) > this.batchSize;
  }

  /** Room left in the open batch of a partition, in records of this size. */
  roomFor(partition: number, valueBytes: number): number {
    const dq = this.deques[partition];
    const last = dq[dq.length - 1];
    const size = this.recordBytes(valueBytes);
    if (last === undefined || last.sentOnce) return Math.max(1, Math.floor((this.batchSize - BATCH_HEADER_BYTES) / size));
    return Math.max(1, Math.floor((this.batchSize - last.bytes) / size) + 1);
  }

  /** When the partition's first batch becomes ready (Infinity when empty). */
  readyAtUs(partition: number, lingerUs: number, valueBytes: number): number {
    const first = this.deques[partition][0];
    if (first === undefined) return Infinity;
    if (first.attempts > 0) return first.retryAtUs;
    const full = this.deques[partition].length > 1 || first.bytes + this.recordBytes(valueBytes) > this.batchSize;
    return full ? 0 : first.createdUs + lingerUs;
  }

  /** Puts a batch back for a retry: in sequence order when idempotent, else at the front. */
  reenqueue(b: ProducerBatch, bySequence: boolean): void {
    const dq = this.deques[b.partition];
    if (!bySequence || b.baseSequence < 0) {
      dq.unshift(b);
      return;
    }
    let i = 0;
    while (i < dq.length && dq[i].baseSequence >= 0 && dq[i].baseSequence < b.baseSequence) i++;
    dq.splice(i, 0, b);
  }

  release(b: ProducerBatch): void {
    this.bufferedBytes -= b.bytes - BATCH_HEADER_BYTES;
  }
}
