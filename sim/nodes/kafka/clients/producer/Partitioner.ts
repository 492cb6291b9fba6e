/**
 * The producer's partitioners. Keyed records: Kafka's murmur2 of the key bytes, made positive,
 * modulo the partition count (Utils.murmur2 / BuiltInPartitioner.partitionForKey), so a key lands
 * where it would in real Kafka. Keyless records: round-robin over available partitions before
 * 2.4 (DefaultPartitioner), sticky to one partition per batch from 2.4 (KIP-480), and from 3.3
 * sticky until batch.size bytes have gone to it (KIP-794, without its adaptive part).
 */
import type { RandomStream } from "../../../../Random.js";

/** org.apache.kafka.common.utils.Utils.murmur2. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = 0x9747b28c ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16) + ((data[i4 + 3] & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  // The Java switch falls through: 3 also does 2 and 1, 2 also does 1.
  const rest = length % 4;
  if (rest >= 3) h ^= (data[tail + 2] & 0xff) << 16;
  if (rest >= 2) h ^= (data[tail + 1] & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[tail] & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

const encoder = new TextEncoder();

/** The partition Kafka picks for a string key (UTF-8 bytes, as StringSerializer writes them). */
export function partitionForKey(key: string, partitions: number): number {
  return toPositive(murmur2(encoder.encode(key))) % partitions;
}

export type KeylessStrategy = "round-robin" | "sticky" | "uniform-sticky";

/** What the built-in partitioner (3.3+) reads of the accumulator and the Sender's node statistics. */
export interface PartitionLoad {
  /** RecordAccumulator.allBatchesFull: no batch, or the last one is closed or at batch.size. */
  allBatchesFull(partition: number): boolean;
  /** Batches queued for the partition; -1 when the partition has never had a batch (no deque yet). */
  queueSize(partition: number): number;
  /** partitioner.availability.timeout.ms: the partition's leader has had data ready but undrained for longer. */
  unavailable(partition: number): boolean;
}

export class KeylessPartitioner {
  private counter: number;
  private sticky = -1;
  /** BuiltInPartitioner.StickyPartitionInfo.producedBytes. */
  private producedBytes = 0;

  constructor(
    private readonly strategy: KeylessStrategy,
    private readonly rng: RandomStream,
    private readonly batchSize: number,
    private readonly adaptive = true,
  ) {
    this.counter = rng.int(0, 1 << 30);
  }

  /** KIP-480 (2.4 - 3.2): a record that would open a new batch on the sticky partition is re-partitioned. */
  get abortsOnNewBatch(): boolean {
    return this.strategy === "sticky";
  }

  /** The partition for the next keyless record, among those with a leader (or all when none has). */
  next(available: readonly number[], all: number, load?: PartitionLoad): number {
    const choices = available.length > 0 ? available : null;
    if (this.strategy === "round-robin") {
      // DefaultPartitioner (up to 2.3): a counter over the available partitions.
      const i = toPositive(this.counter++);
      return choices === null ? i % all : choices[i % choices.length];
    }
    if (this.strategy === "sticky") {
      // StickyPartitionCache.partition: the cached partition, not re-checked for availability.
      if (this.sticky < 0) this.sticky = this.pickOther(-1, choices, all);
      return this.sticky;
    }
    // BuiltInPartitioner.peekCurrentPartitionInfo, then RecordAccumulator.partitionChanged: a
    // switch deferred until the partition's batches were all full is taken now.
    if (this.sticky < 0 || (load !== undefined && this.producedBytes >= this.batchSize && load.allBatchesFull(this.sticky))) this.switchPartition(choices, all, load);
    return this.sticky;
  }

  /**
   * BuiltInPartitioner.updatePartitionInfo (3.3+): after an append of `bytes` (the batch header
   * counts when the record opened the batch), switch once batch.size bytes went to the sticky
   * partition and its batches are full, or at 2 x batch.size whatever they are.
   */
  onAppended(partition: number, bytes: number, available: readonly number[], all: number, load: PartitionLoad): void {
    if (this.strategy !== "uniform-sticky" || partition !== this.sticky) return;
    this.producedBytes += bytes;
    if ((this.producedBytes >= this.batchSize && load.allBatchesFull(partition)) || this.producedBytes >= 2 * this.batchSize) this.switchPartition(available.length > 0 ? available : null, all, load);
  }

  /** KIP-480: a new batch on the sticky partition moves stickiness elsewhere (StickyPartitionCache.nextPartition). */
  onNewBatch(partition: number, available: readonly number[], all: number): void {
    if (this.strategy === "sticky" && partition === this.sticky) this.sticky = this.pickOther(this.sticky, available.length > 0 ? available : null, all);
  }

  /**
   * StickyPartitionCache.nextPartition: uniformly among the available partitions other than the
   * old one (the old one when it is the only one available); among all when none is.
   */
  private pickOther(old: number, choices: readonly number[] | null, all: number): number {
    if (choices === null) return this.rng.int(0, all - 1);
    if (choices.length === 1) return choices[0];
    const current = choices.indexOf(old);
    if (current < 0) return choices[this.rng.int(0, choices.length - 1)];
    let next = this.rng.int(0, choices.length - 2);
    if (next >= current) next++;
    return choices[next];
  }

  /**
   * BuiltInPartitioner.nextPartition (the current partition is not excluded): with adaptive
   * partitioning, weighted towards short queues by the cumulative frequency table that
   * RecordAccumulator.partitionReady builds (updatePartitionLoadStats); else uniformly.
   */
  private switchPartition(choices: readonly number[] | null, all: number, load: PartitionLoad | undefined): void {
    this.producedBytes = 0;
    const weights = this.adaptive && load !== undefined ? loadWeights(choices, all, load) : null;
    if (weights === null) {
      this.sticky = choices === null ? this.rng.int(0, all - 1) : choices[this.rng.int(0, choices.length - 1)];
      return;
    }
    const total = weights.reduce((s, w) => s + w.weight, 0);
    const r = this.rng.int(0, total - 1);
    let cumulative = 0;
    for (const w of weights) {
      cumulative += w.weight;
      if (r < cumulative) {
        this.sticky = w.partition;
        return;
      }
    }
  }
}

/**
 * RecordAccumulator.partitionReady / BuiltInPartitioner.updatePartitionLoadStats: weight (max + 1) -
 * queue size over partitions with a leader that are not timed out; none until every partition
 * has had a batch, when fewer than two remain, or when all queues are equal and none was left out.
 */
function loadWeights(choices: readonly number[] | null, all: number, load: PartitionLoad): Array<{ partition: number; weight: number }> | null {
  for (let p = 0; p < all; p++) if (load.queueSize(p) < 0) return null;
  const considered = choices ?? Array.from({ length: all }, (_, i) => i);
  const kept = considered.filter((p) => !load.unavailable(p));
  if (kept.length < 2) return null;
  const sizes = kept.map((p) => load.queueSize(p));
  const max = Math.max(...sizes);
  const min = Math.min(...sizes);
  if (max === min && kept.length === all) return null;
  return kept.map((p, i) => ({ partition: p, weight: max + 1 - sizes[i] }));
}
