/**
 * A partition replica's log (kafka.log.UnifiedLog): segments of record batches written through
 * the host's page cache, the log end offset, the leader-epoch cache (LeaderEpochFileCache) and
 * the producer state used for idempotence (ProducerStateManager). A batch is the unit: records
 * inside it are never simulated one by one.
 */
import type { SimFile } from "../../disk/File.js";
import type { Machine } from "../Machine.js";
import { UNDEFINED_EPOCH, UNDEFINED_OFFSET } from "./protocol.js";

export interface RecordBatch {
  baseOffset: number;
  count: number;
  bytes: number;
  leaderEpoch: number;
  /** -1 for a producer without idempotence. */
  producerId: number;
  baseSequence: number;
  /** Which simulated producer wrote it, and the index of its first record in that producer's stream to this partition. */
  producer: string;
  firstIndex: number;
}

/** Bytes of a batch header (RecordBatch v2: 61 bytes) plus per-record overhead. */
export const BATCH_HEADER_BYTES = 61;
export const RECORD_OVERHEAD_BYTES = 8;

interface Segment {
  baseOffset: number;
  file: SimFile;
}

interface ProducerEntry {
  lastSeq: number;
  /** The last five batches: a retry of one of them is a duplicate (ProducerStateEntry). */
  recent: Array<{ firstSeq: number; lastSeq: number; baseOffset: number }>;
}

export type SequenceCheck = { kind: "ok" } | { kind: "duplicate"; baseOffset: number; endOffset: number } | { kind: "outOfOrder" };

export class Log {
  readonly batches: RecordBatch[] = [];
  /** Byte position of each batch within its segment, parallel to batches. */
  private readonly positions: number[] = [];
  private readonly segmentOf: number[] = [];
  private readonly segments: Segment[] = [];
  /** (epoch, start offset) pairs, ascending. */
  readonly epochs: Array<{ epoch: number; startOffset: number }> = [];
  private readonly producers = new Map<number, ProducerEntry>();
  logEndOffset = 0;
  unflushedMessages = 0;

  constructor(
    private readonly machine: Machine,
    readonly dir: string,
    private readonly segmentBytes: number,
  ) {
    this.recover();
  }

  get latestEpoch(): number {
    return this.epochs.length === 0 ? UNDEFINED_EPOCH : this.epochs[this.epochs.length - 1].epoch;
  }

  /** Appends a batch (the leader has assigned its offsets); returns it. */
  append(batch: RecordBatch): RecordBatch {
    if (this.epochs.length === 0 || batch.leaderEpoch > this.latestEpoch) this.epochs.push({ epoch: batch.leaderEpoch, startOffset: batch.baseOffset });
    let seg = this.segments[this.segments.length - 1];
    if (seg === undefined || (seg.file.size > 0 && seg.file.size + batch.bytes > this.segmentBytes)) seg = this.roll(batch.baseOffset);
    this.positions.push(seg.file.size);
    this.segmentOf.push(this.segments.length - 1);
    this.batches.push(batch);
    this.machine.write(seg.file, batch.bytes, batch);
    this.logEndOffset = batch.baseOffset + batch.count;
    this.unflushedMessages += batch.count;
    if (batch.producerId >= 0) this.trackProducer(batch);
    return batch;
  }

  /** Removes every batch at or past offset (a batch holding offset goes whole, as LogSegment.truncateTo does). */
  truncateTo(offset: number): number {
    let i = this.batches.length;
    while (i > 0 && this.batches[i - 1].baseOffset + this.batches[i - 1].count > offset) i--;
    if (i === this.batches.length) return 0;
    const start = this.startOffset;
    const removed = this.logEndOffset - this.batches[i].baseOffset;
    const segIndex = this.segmentOf[i];
    this.machine.truncate(this.segments[segIndex].file, this.positions[i]);
    for (let s = segIndex + 1; s < this.segments.length; s++) this.machine.truncate(this.segments[s].file, 0);
    this.segments.length = this.positions[i] === 0 && segIndex > 0 ? segIndex : segIndex + 1;
    this.batches.length = i;
    this.positions.length = i;
    this.segmentOf.length = i;
    this.logEndOffset = i === 0 ? start : this.batches[i - 1].baseOffset + this.batches[i - 1].count;
    while (this.epochs.length > 0 && this.epochs[this.epochs.length - 1].startOffset >= this.logEndOffset) this.epochs.pop();
    this.rebuildProducers();
    return removed;
  }

  private get startOffset(): number {
    return this.batches.length > 0 ? this.batches[0].baseOffset : this.logEndOffset;
  }

  /** Batches from offset on, up to maxBytes (at least one batch, as Kafka returns). */
  read(offset: number, maxBytes: number): RecordBatch[] {
    const out: RecordBatch[] = [];
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const b = this.batches[mid];
      if (b.baseOffset + b.count <= offset) lo = mid + 1;
      else hi = mid;
    }
    let bytes = 0;
    for (let i = lo; i < this.batches.length; i++) {
      const b = this.batches[i];
      if (out.length > 0 && bytes + b.bytes > maxBytes) break;
      out.push(b);
      bytes += b.bytes;
    }
    return out;
  }

  /**
   * OffsetsForLeaderEpoch on the leader. With KIP-279 (fixed): the largest epoch at or below the
   * asked one and where it ends. Before it (KIP-101 as in 0.11): only the end offset of the asked
   * epoch, undefined when the leader never had it.
   */
  endOffsetForEpoch(requested: number, fixed: boolean): { epoch: number; endOffset: number } {
    const e = this.epochs;
    if (e.length === 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET };
    if (!fixed) {
      if (requested === this.latestEpoch) return { epoch: requested, endOffset: this.logEndOffset };
      const next = e.find((x) => x.epoch > requested);
      if (next === undefined || requested < e[0].epoch) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET };
      return { epoch: requested, endOffset: next.startOffset };
    }
    let i = e.length - 1;
    while (i >= 0 && e[i].epoch > requested) i--;
    if (i < 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET };
    return { epoch: e[i].epoch, endOffset: i === e.length - 1 ? this.logEndOffset : e[i + 1].startOffset };
  }

  /** The broker's duplicate and out-of-order check for an idempotent batch. */
  checkSequence(producerId: number, firstSeq: number): SequenceCheck {
    const p = this.producers.get(producerId);
    if (p === undefined) return { kind: "ok" };
    const dup = p.recent.find((r) => r.firstSeq === firstSeq);
    if (dup !== undefined) return { kind: "duplicate", baseOffset: dup.baseOffset, endOffset: dup.baseOffset + dup.lastSeq - dup.firstSeq + 1 };
    return firstSeq === p.lastSeq + 1 ? { kind: "ok" } : { kind: "outOfOrder" };
  }

  /** fsync every segment with unwritten data (Log.flush); done runs when all are durable. */
  flush(done: () => void): void {
    this.unflushedMessages = 0;
    const dirty = this.segments.filter((s) => s.file.durable < s.file.size);
    let left = dirty.length;
    if (left === 0) return done();
    for (const s of dirty) this.machine.fsync(s.file, () => --left === 0 && done());
  }

  private roll(baseOffset: number): Segment {
    const file = this.machine.openFile(`${this.dir}/${String(baseOffset).padStart(20, "0")}.log`);
    if (file.size > 0) this.machine.truncate(file, 0);
    const seg = { baseOffset, file };
    this.segments.push(seg);
    return seg;
  }

  private trackProducer(b: RecordBatch): void {
    let p = this.producers.get(b.producerId);
    if (p === undefined) this.producers.set(b.producerId, (p = { lastSeq: -1, recent: [] }));
    const lastSeq = b.baseSequence + b.count - 1;
    p.lastSeq = lastSeq;
    p.recent.push({ firstSeq: b.baseSequence, lastSeq, baseOffset: b.baseOffset });
    if (p.recent.length > 5) p.recent.shift();
  }

  private rebuildProducers(): void {
    this.producers.clear();
    for (const b of this.batches) if (b.producerId >= 0) this.trackProducer(b);
  }

  /**
   * Log recovery at startup: read what the segment files hold (after a crash, everything the
   * page cache had; after a power loss, only what reached the disk), keep the contiguous valid
   * prefix of whole batches and cut any torn tail.
   */
  private recover(): void {
    const segments = readSegments(this.machine.pageCache.files.filter((f) => f.device === this.machine.disk), this.dir);
    for (const seg of segments) {
      if (seg.batches.length === 0) {
        if (seg.file.size > 0) this.machine.truncate(seg.file, 0);
        continue;
      }
      const segIndex = this.segments.length;
      this.segments.push({ baseOffset: seg.batches[0].baseOffset, file: seg.file });
      seg.batches.forEach((b, i) => {
        this.positions.push(seg.ends[i] - b.bytes);
        this.segmentOf.push(segIndex);
        this.batches.push(b);
        if (this.epochs.length === 0 || b.leaderEpoch > this.latestEpoch) this.epochs.push({ epoch: b.leaderEpoch, startOffset: b.baseOffset });
      });
      const validEnd = seg.ends[seg.ends.length - 1];
      if (seg.file.size > validEnd) {
        this.machine.mark("log recovery: torn tail truncated");
        this.machine.truncate(seg.file, validEnd);
      }
    }
    const last = this.batches[this.batches.length - 1];
    this.logEndOffset = last === undefined ? 0 : last.baseOffset + last.count;
    this.rebuildProducers();
  }
}

/**
 * The batches a partition directory's segment files hold, in offset order, up to the first gap
 * or torn batch: what log recovery (and a checker reading the disk) would find.
 */
export function readSegments(files: readonly SimFile[], dir: string): Array<{ file: SimFile; batches: RecordBatch[]; ends: number[] }> {
  const prefix = `${dir}/`;
  const mine = files.filter((f) => f.name.startsWith(prefix)).sort((a, b) => (a.name < b.name ? -1 : 1));
  const out: Array<{ file: SimFile; batches: RecordBatch[]; ends: number[] }> = [];
  let expected = -1;
  let broken = false;
  for (const file of mine) {
    const seg = { file, batches: [] as RecordBatch[], ends: [] as number[] };
    out.push(seg);
    if (broken) continue;
    for (const c of file.contents) {
      const b = c.payload as RecordBatch;
      if (c.end > file.size || (expected >= 0 && b.baseOffset !== expected)) {
        broken = true;
        break;
      }
      seg.batches.push(b);
      seg.ends.push(c.end);
      expected = b.baseOffset + b.count;
    }
  }
  return out;
}
