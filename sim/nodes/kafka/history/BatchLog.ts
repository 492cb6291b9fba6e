/**
 * The producer side of the history, one row per batch, stored column-wise (sim/Columns.ts): a
 * batch's (producer, topic, partition) is a stream id shared by all logs of one history, its
 * numbers sit in typed arrays. Readers take a row as an object (`at`, iteration, `forEach`), or a
 * column value by row index when they walk many rows.
 */
import { Interner, NumberColumn } from "../../../Columns.js";

export interface AckRecord {
  producer: string;
  topic: string;
  partition: number;
  firstIndex: number;
  count: number;
  offset: number;
  bytes: number;
  /** When the batch's first record was created (the application's send()). */
  firstArrivalUs: number;
  atUs: number;
}

/** A batch's first send, or its end without an acknowledgement (failed, or written with acks=0). */
export interface BatchEvent {
  producer: string;
  topic: string;
  partition: number;
  /** -1 when the producer did not say (a failure reported without its batch). */
  firstIndex: number;
  count: number;
  bytes: number;
  /** First record's creation time, when known (-1 otherwise). */
  firstArrivalUs: number;
  atUs: number;
  error?: string;
}

/** (producer, topic, partition) triples by small integer id, in the order first seen. */
export class Streams {
  private readonly ids = new Map<string, Map<string, Map<number, number>>>();
  readonly producers: string[] = [];
  readonly topics: string[] = [];
  readonly partitions: number[] = [];

  id(producer: string, topic: string, partition: number): number {
    let byTopic = this.ids.get(producer);
    if (byTopic === undefined) this.ids.set(producer, (byTopic = new Map()));
    let byPartition = byTopic.get(topic);
    if (byPartition === undefined) byTopic.set(topic, (byPartition = new Map()));
    let id = byPartition.get(partition);
    if (id === undefined) {
      id = this.producers.length;
      byPartition.set(partition, id);
      this.producers.push(producer);
      this.topics.push(topic);
      this.partitions.push(partition);
    }
    return id;
  }

  get size(): number {
    return this.producers.length;
  }

  /** `producer/topic-partition`, the key the reports use. */
  key(id: number): string {
    return `${this.producers[id]}/${this.topics[id]}-${this.partitions[id]}`;
  }
}

/** The columns every batch log has; `Row` is what a row reads as. */
export abstract class BatchColumns<Row = AckRecord | BatchEvent> implements Iterable<Row> {
  protected readonly streamIds = new NumberColumn();
  protected readonly firstIndices = new NumberColumn();
  protected readonly counts = new NumberColumn();
  protected readonly byteCounts = new NumberColumn();
  protected readonly times = new NumberColumn();

  constructor(readonly streams: Streams) {}

  get length(): number {
    return this.times.length;
  }

  protected pushBatch(producer: string, topic: string, partition: number, firstIndex: number, count: number, bytes: number, atUs: number): void {
    this.streamIds.push(this.streams.id(producer, topic, partition));
    this.firstIndices.push(firstIndex);
    this.counts.push(count);
    this.byteCounts.push(bytes);
    this.times.push(atUs);
  }

  /** Row i (0 <= i < length) as a new object. */
  abstract at(i: number): Row;
  /** The batch's first record's creation time (-1 when not known). */
  abstract firstArrivalUs(i: number): number;

  stream(i: number): number {
    return this.streamIds.get(i);
  }
  producer(i: number): string {
    return this.streams.producers[this.streamIds.get(i)];
  }
  topic(i: number): string {
    return this.streams.topics[this.streamIds.get(i)];
  }
  partition(i: number): number {
    return this.streams.partitions[this.streamIds.get(i)];
  }
  firstIndex(i: number): number {
    return this.firstIndices.get(i);
  }
  count(i: number): number {
    return this.counts.get(i);
  }
  bytes(i: number): number {
    return this.byteCounts.get(i);
  }
  atUs(i: number): number {
    return this.times.get(i);
  }

  forEach(fn: (row: Row, i: number) => void): void {
    for (let i = 0; i < this.length; i++) fn(this.at(i), i);
  }

  toArray(): Row[] {
    const out: Row[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.at(i));
    return out;
  }

  *[Symbol.iterator](): Iterator<Row> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }
}

/** Acknowledged batches, in the order of their acknowledgements. */
export class AckLog extends BatchColumns<AckRecord> {
  private readonly offsets = new NumberColumn();
  private readonly arrivals = new NumberColumn();

  push(producer: string, topic: string, partition: number, firstIndex: number, count: number, bytes: number, offset: number, firstArrivalUs: number, atUs: number): void {
    this.pushBatch(producer, topic, partition, firstIndex, count, bytes, atUs);
    this.offsets.push(offset);
    this.arrivals.push(firstArrivalUs);
  }

  offset(i: number): number {
    return this.offsets.get(i);
  }
  firstArrivalUs(i: number): number {
    return this.arrivals.get(i);
  }

  at(i: number): AckRecord {
    return { producer: this.producer(i), topic: this.topic(i), partition: this.partition(i), firstIndex: this.firstIndex(i), count: this.count(i), offset: this.offset(i), bytes: this.bytes(i), firstArrivalUs: this.firstArrivalUs(i), atUs: this.atUs(i) };
  }
}

/**
 * First sends, failures or acks=0 writes. A log made without `arrivals` reads -1 as every first
 * creation time (first sends do not carry one); one made with `errors` has an error on every row.
 */
export class BatchEventLog extends BatchColumns<BatchEvent> {
  private readonly arrivals: NumberColumn | null;
  private readonly errors: NumberColumn | null;
  private readonly errorNames = new Interner();

  constructor(streams: Streams, has: { arrivals: boolean; errors: boolean }) {
    super(streams);
    this.arrivals = has.arrivals ? new NumberColumn() : null;
    this.errors = has.errors ? new NumberColumn() : null;
  }

  push(producer: string, topic: string, partition: number, firstIndex: number, count: number, bytes: number, firstArrivalUs: number, atUs: number, error?: string): void {
    this.pushBatch(producer, topic, partition, firstIndex, count, bytes, atUs);
    this.arrivals?.push(firstArrivalUs);
    this.errors?.push(this.errorNames.id(error ?? ""));
  }

  firstArrivalUs(i: number): number {
    return this.arrivals === null ? -1 : this.arrivals.get(i);
  }
  error(i: number): string | undefined {
    return this.errors === null ? undefined : this.errorNames.name(this.errors.get(i));
  }

  at(i: number): BatchEvent {
    const row: BatchEvent = { producer: this.producer(i), topic: this.topic(i), partition: this.partition(i), firstIndex: this.firstIndex(i), count: this.count(i), bytes: this.bytes(i), firstArrivalUs: this.firstArrivalUs(i), atUs: this.atUs(i) };
    if (this.errors !== null) row.error = this.error(i);
    return row;
  }
}
