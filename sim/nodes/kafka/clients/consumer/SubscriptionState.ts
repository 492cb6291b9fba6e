/**
 * The consumer's assigned partitions and their fetch positions (org.apache.kafka.clients.consumer
 * .internals.SubscriptionState): a position is the next offset to fetch with the leader epoch of
 * the record before it (2.1+), and a partition is INITIALIZING (no position yet: the committed
 * offset is asked for), AWAIT_RESET (auto.offset.reset's ListOffsets is due), AWAIT_VALIDATION
 * (KIP-320, 2.3+: the position is checked against a new leader) or FETCHING.
 */
import type { TopicPartition } from "../../common/protocol.js";

export type FetchState = "INITIALIZING" | "AWAIT_RESET" | "AWAIT_VALIDATION" | "FETCHING";

export interface PartitionPosition {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  state: FetchState;
  offset: number;
  /** The leader epoch of the last record consumed (or of the committed offset); -1 when unknown. */
  offsetEpoch: number;
  /** The leader the position was last validated against (its epoch), for KIP-320. */
  validatedLeaderEpoch: number;
  paused: boolean;
  /** A request for this partition's position is in flight (OffsetFetch, ListOffsets, OffsetsForLeaderEpoch). */
  pending: boolean;
}

export class SubscriptionState {
  private readonly assigned = new Map<string, PartitionPosition>();

  get partitions(): IterableIterator<PartitionPosition> {
    return this.assigned.values();
  }

  get size(): number {
    return this.assigned.size;
  }

  get(key: string): PartitionPosition | undefined {
    return this.assigned.get(key);
  }

  has(key: string): boolean {
    return this.assigned.has(key);
  }

  /** assignFromSubscribed: new partitions start INITIALIZING; those kept keep their position. */
  assign(partitions: readonly TopicPartition[]): void {
    const keep = new Map<string, PartitionPosition>();
    for (const tp of partitions) {
      const key = `${tp.topic}-${tp.partition}`;
      keep.set(key, this.assigned.get(key) ?? { topic: tp.topic, partition: tp.partition, key, state: "INITIALIZING", offset: -1, offsetEpoch: -1, validatedLeaderEpoch: -1, paused: false, pending: false });
    }
    this.assigned.clear();
    for (const [k, v] of keep) this.assigned.set(k, v);
  }

  assignedPartitions(): TopicPartition[] {
    return [...this.assigned.values()].map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  /** allConsumed: every position that is known, what an auto-commit (or a commit of the positions) sends. */
  allConsumed(): Array<{ topic: string; partition: number; offset: number; leaderEpoch: number }> {
    const out: Array<{ topic: string; partition: number; offset: number; leaderEpoch: number }> = [];
    for (const p of this.assigned.values()) if (p.state === "FETCHING" || p.state === "AWAIT_VALIDATION") out.push({ topic: p.topic, partition: p.partition, offset: p.offset, leaderEpoch: p.offsetEpoch });
    return out;
  }

  seek(p: PartitionPosition, offset: number, epoch: number, state: FetchState): void {
    p.offset = offset;
    p.offsetEpoch = epoch;
    p.state = state;
  }
}
