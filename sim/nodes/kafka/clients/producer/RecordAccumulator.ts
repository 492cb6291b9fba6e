/**
 * The producer's RecordAccumulator: a deque of batches per partition. Records join the last
 * batch while it has room under batch.size; a batch is ready to send when it is full, has waited
 * linger.ms, or is a retry whose retry.backoff.ms has passed. buffer.memory bounds the bytes held.
 */
import { batchOverheadBytes, recordSize, type MessageFormat } from "../../log/recordFormat.js";

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
  /** The partition's leader epoch as the producer knew it when the batch was last sent (KAFKA-15415). */
  leaderEpochAtSend: number;
  /** Assigned at first drain when idempotent; kept across retries. */
  baseSequence: number;
  producerId: number;
  sentOnce: boolean;
  /** Failed by delivery.timeout.ms while in flight: its answer is ignored. */
  expiredInFlight?: boolean;
}

export class RecordAccumulator {
  readonly deques: ProducerBatch[][];
  private readonly nextIndex: number[];
  bufferedBytes = 0;
  readonly batchHeaderBytes: number;
  /** The key size of the last record, to size the next one before it exists. */
  private lastKeyBytes = -1;
  private firstValueBytes = -1;
  private firstKeyBytes = -2;
  private firstSize = 0;
  /** The partitions that may have queued batches, ascending; emptied ones are dropped when read. */
  private active: number[] = [];
  private readonly listed: Uint8Array;

  constructor(
    partitions: number,
    readonly batchSize: number,
    private readonly bufferMemory: number,
    private readonly format: MessageFormat = 2,
  ) {
    this.batchHeaderBytes = batchOverheadBytes(format);
    this.deques = Array.from({ length: partitions }, () => []);
    this.nextIndex = new Array(partitions).fill(0);
    this.listed = new Uint8Array(partitions);
  }

  /**
   * The partitions with queued batches, in ascending order: a pass over the partitions that
   * only looks at queued batches (RecordAccumulator.ready, drain, expiry) needs only these,
   * and a producer on many partitions has batches on few. Read it before changing the queues:
   * batches are only ever added through append and reenqueue, which list their partition.
   */
  activePartitions(): readonly number[] {
    const a = this.active;
    let w = 0;
    for (let i = 0; i < a.length; i++) {
      const p = a[i];
      if (this.deques[p].length > 0) a[w++] = p;
      else this.listed[p] = 0;
    }
    a.length = w;
    return a;
  }

  private list(partition: number): void {
    if (this.listed[partition] === 1) return;
    this.listed[partition] = 1;
    const a = this.active;
    let i = a.length;
    while (i > 0 && a[i - 1] > partition) i--;
    a.splice(i, 0, partition);
  }

  /** A record's bytes in the batch (recordFormat.ts); v2 sizes depend on the deltas from the batch's first record. */
  recordBytes(valueBytes: number, keyBytes = this.lastKeyBytes, offsetDelta = 0, timestampDeltaMs = 0): number {
    if (offsetDelta === 0 && timestampDeltaMs === 0) {
      // A batch's first record: asked for every partition at every wake (roomFor), so remembered.
      if (valueBytes !== this.firstValueBytes || keyBytes !== this.firstKeyBytes) {
        this.firstValueBytes = valueBytes;
        this.firstKeyBytes = keyBytes;
        this.firstSize = recordSize(this.format, keyBytes, valueBytes, 0, 0);
      }
      return this.firstSize;
    }
    return recordSize(this.format, keyBytes, valueBytes, offsetDelta, timestampDeltaMs);
  }

  /** Appends a record (keyBytes -1: no key); returns null when buffer.memory is exhausted, else whether a new batch was opened. */
  append(partition: number, valueBytes: number, nowUs: number, keyBytes = -1): boolean | null {
    this.lastKeyBytes = keyBytes;
    const dq = this.deques[partition];
    const last = dq[dq.length - 1];
    const open = last !== undefined && !last.sentOnce && last.attempts === 0;
    // MemoryRecordsBuilder.hasRoomFor (0.11+): the next offset delta and the timestamp (ms) delta from the batch's first record.
    const joined = open ? this.recordBytes(valueBytes, keyBytes, last.count, Math.floor(nowUs / 1000) - Math.floor(last.arrivals[0] / 1000)) : 0;
    const joins = open && last.bytes + joined <= this.batchSize;
    const size = joins ? joined : this.recordBytes(valueBytes, keyBytes);
    if (this.bufferedBytes + size > this.bufferMemory) return null;
    this.bufferedBytes += size;
    const index = this.nextIndex[partition]++;
    if (joins) {
      last.count++;
      last.bytes += size;
      last.arrivals.push(nowUs);
      return false;
    }
    this.list(partition);
    dq.push({ partition, firstIndex: index, count: 1, bytes: this.batchHeaderBytes + size, arrivals: [nowUs], createdUs: nowUs, attempts: 0, retryAtUs: 0, leaderEpochAtSend: -1, baseSequence: -1, producerId: -1, sentOnce: false });
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

  /** Room in a new batch, in records of this size. */
  emptyRoom(valueBytes: number): number {
    return Math.max(1, Math.floor((this.batchSize - this.batchHeaderBytes) / this.recordBytes(valueBytes)));
  }

  /** Room left in the open batch of a partition, in records of this size. */
  roomFor(partition: number, valueBytes: number): number {
    const dq = this.deques[partition];
    const last = dq[dq.length - 1];
    const size = this.recordBytes(valueBytes);
    if (last === undefined || last.sentOnce) return this.emptyRoom(valueBytes);
    return Math.max(1, Math.floor((this.batchSize - last.bytes) / size) + 1);
  }

  /** When the partition's first batch becomes ready (Infinity when empty). */
  readyAtUs(partition: number, lingerUs: number, valueBytes: number): number {
    const first = this.deques[partition][0];
    if (first === undefined) return Infinity;
    if (first.attempts > 0) return first.retryAtUs;
    const full = this.deques[partition].length > 1 || first.bytes + this.recordBytes(valueBytes, this.lastKeyBytes, first.count) > this.batchSize;
    return full ? 0 : first.createdUs + lingerUs;
  }

  /** Puts a batch back for a retry: in sequence order when idempotent, else at the front. */
  reenqueue(b: ProducerBatch, bySequence: boolean): void {
    const dq = this.deques[b.partition];
    this.list(b.partition);
    if (!bySequence || b.baseSequence < 0) {
      dq.unshift(b);
      return;
    }
    let i = 0;
    while (i < dq.length && dq[i].baseSequence >= 0 && dq[i].baseSequence < b.baseSequence) i++;
    dq.splice(i, 0, b);
  }

  release(b: ProducerBatch): void {
    this.bufferedBytes -= b.bytes - this.batchHeaderBytes;
  }
}
