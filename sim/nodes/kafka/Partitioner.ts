/**
 * The producer's partitioners. Keyed records: Kafka's murmur2 of the key bytes, made positive,
 * modulo the partition count (Utils.murmur2 / BuiltInPartitioner.partitionForKey), so a key lands
 * where it would in real Kafka. Keyless records: round-robin over available partitions before
 * 2.4 (DefaultPartitioner), sticky to one partition per batch from 2.4 (KIP-480), and from 3.3
 * sticky until batch.size bytes have gone to it (KIP-794, without its adaptive part).
 */
import type { RandomStream } from "../../Random.js";

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

export class KeylessPartitioner {
  private counter: number;
  private sticky = -1;
  private bytesToSticky = 0;

  constructor(
    private readonly strategy: KeylessStrategy,
    private readonly rng: RandomStream,
    private readonly batchSize: number,
  ) {
    this.counter = rng.int(0, 1 << 30);
  }

  /** The partition for the next keyless record, among those with a leader (or all when none has). */
  next(available: readonly number[], all: number, recordBytes: number): number {
    const choices = available.length > 0 ? available : null;
    if (this.strategy === "round-robin") {
      const i = toPositive(this.counter++);
      return choices === null ? i % all : choices[i % choices.length];
    }
    if (this.sticky < 0 || (this.strategy === "uniform-sticky" && this.bytesToSticky >= this.batchSize) || (choices !== null && !choices.includes(this.sticky))) this.pick(choices, all);
    this.bytesToSticky += recordBytes;
    return this.sticky;
  }

  /** KIP-480 (2.4 - 3.2): a record that would open a new batch on the sticky partition is re-partitioned. */
  get abortsOnNewBatch(): boolean {
    return this.strategy === "sticky";
  }

  /** KIP-480: a new batch on the sticky partition moves stickiness elsewhere. */
  onNewBatch(partition: number, available: readonly number[], all: number): void {
    if (this.strategy === "sticky" && partition === this.sticky) this.pick(available.length > 0 ? available : null, all);
  }

  private pick(choices: readonly number[] | null, all: number): void {
    const n = choices === null ? all : choices.length;
    const current = choices === null ? this.sticky : choices.indexOf(this.sticky);
    let next = 0;
    if (n > 1 && current < 0) next = this.rng.int(0, n - 1);
    else if (n > 1) {
      // A different partition than the current one, uniformly.
      next = this.rng.int(0, n - 2);
      if (next >= current) next++;
    }
    this.sticky = choices === null ? next : choices[next];
    this.bytesToSticky = 0;
  }
}
