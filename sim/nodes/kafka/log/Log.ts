/**
 * A partition replica's log (kafka.log.Log, UnifiedLog from 3.0): segments of record batches
 * written through the host's page cache in one log dir, the log end offset, the recovery point,
 * the leader-epoch cache (LeaderEpochFileCache, durable in `leader-epoch-checkpoint` from 0.11)
 * and the producer state used for idempotence (ProducerStateManager). A batch is the unit:
 * records inside it are never simulated one by one.
 *
 * Durability follows Log.scala (2.8): the recovery point moves only when Kafka itself flushes
 * (flush(offset) fsyncs the segments below offset, then recoveryPoint = offset); a roll schedules
 * a flush up to the new segment's base offset; Log.append ends with `if (unflushedMessages >=
 * flushInterval) flush()`, unflushedMessages being logEndOffset - recoveryPoint. An IOException
 * (Log.maybeHandleIOException) marks the log offline (later operations fail at once:
 * checkForLogDirFailure) and goes to the LogDirFailureChannel.
 *
 * We assume, unrealistically, that Kafka's flush is asynchronous to the log: Kafka's appending
 * thread holds the log lock through the fsync, so the next append waits for it; here an append
 * during a flush goes ahead, and only the flush trigger counts from the offset already being
 * flushed. The leader-epoch checkpoint is written beside the append rather than before it returns.
 *
 * The log start offset (KIP-107, 0.11; before, the first segment's base offset) and the deletion
 * of old segments by retention are in LogRetention.ts, which works on this class's arrays.
 */
import type { IoError } from "../../../disk/BlockDevice.js";
import type { Machine } from "../../Machine.js";
import { CheckpointFile } from "./CheckpointFile.js";
import { LeaderEpochFileCache, type EpochEntry } from "./LeaderEpochFileCache.js";
import type { LogDir, StorageOp } from "./LogDir.js";
import { emptyLogState, segmentFileName, type LoadedLog, type LogState, type Segment } from "./LogLoader.js";
import { truncateFullyAndStartAt, type RetentionSettings } from "./LogRetention.js";

export { readSegments } from "./LogLoader.js";

export interface RecordBatch {
  baseOffset: number;
  count: number;
  /** Its size on the wire and on disk, in the message format of the release (recordFormat.ts). */
  bytes: number;
  leaderEpoch: number;
  /** -1 for a producer without idempotence. */
  producerId: number;
  baseSequence: number;
  /** Which simulated producer wrote it, and the index of its first record in that producer's stream to this partition. */
  producer: string;
  firstIndex: number;
  /** Each record's timestamp (CreateTime: when the application called send()), in µs here; for end-to-end latency. */
  createTimesUs?: readonly number[];
  /** What the records say where the simulation reads them: the group coordinator's records in __consumer_offsets. */
  payload?: unknown;
}

interface ProducerEntry {
  lastSeq: number;
  /** The last five batches: a retry of one of them is a duplicate (ProducerStateEntry). */
  recent: Array<{ firstSeq: number; lastSeq: number; baseOffset: number }>;
}

export type SequenceCheck = { kind: "ok" } | { kind: "duplicate"; baseOffset: number; endOffset: number } | { kind: "outOfOrder" } | { kind: "unknownProducer" };

export interface LogContext {
  machine: Machine;
  dir: LogDir;
  /** log.segment.bytes. */
  segmentBytes: number;
  /** log.flush.interval.messages (flush.messages). */
  flushIntervalMessages: number;
  /** KIP-101 (0.11): the leader-epoch cache has a checkpoint file. */
  durableEpochs: boolean;
  /** Retention and deletion (LogConfig): see LogRetention.ts. */
  retention: RetentionSettings;
  /** KIP-107 (0.11): the log start offset is its own, advanced by retention and by the leader's. */
  ownLogStartOffset: boolean;
  /** LogDirFailureChannel.maybeAddOfflineLogDir for this log's dir. */
  onIoError(op: StorageOp, error: IoError): void;
  /** KIP-112 (1.0): an IOException takes the log offline; before, the operation fails and the log carries on. */
  offlineOnIoError: boolean;
  /** 1.0 - 2.7: after recovery the recovery point is the log end (Log.recoverLog). */
  recoveryPointAtLogEnd: boolean;
}

export class Log {
  // Parallel arrays, one entry a batch; segmentOf indexes segments. LogRetention.ts removes from their front.
  readonly batches: RecordBatch[];
  readonly positions: number[];
  readonly segmentOf: number[];
  readonly segments: Segment[];
  readonly epochCache: LeaderEpochFileCache;
  private readonly producers = new Map<number, ProducerEntry>();
  logEndOffset: number;
  /**
   * Log.logStartOffset: offsets below it are gone (retention) or not to be read. From 0.11 its own
   * value, at least the first segment's base offset, checkpointed in `log-start-offset-checkpoint`
   * (KIP-107); before, the first segment's base offset.
   */
  logStartOffset: number;
  /** Offsets below it are on disk (Kafka's own flushes moved it there); recovery rescans from it. */
  recoveryPoint: number;
  lastFlushTimeUs: number;
  /** Log.logDirOffline: an IOException happened; every later operation fails. */
  offline = false;
  /** The highest offset a flush in flight will make the recovery point. */
  flushingTo = 0;
  /** Bumped by truncation, so that a flush finishing afterwards does not claim truncated offsets. */
  private truncations = 0;

  constructor(
    readonly ctx: LogContext,
    readonly dir: string,
    loaded?: LoadedLog & { hadCleanShutdown: boolean; recoveryPoint: number; logStartOffset?: number },
  ) {
    const s: LogState = loaded?.state ?? emptyLogState();
    this.segments = s.segments;
    this.batches = s.batches;
    this.positions = s.positions;
    this.segmentOf = s.segmentOf;
    this.logEndOffset = s.logEndOffset;
    // Log's constructor (LogLoader from 3.0): the checkpointed start offset, at least the first segment's base offset.
    this.logStartOffset = Math.max(ctx.ownLogStartOffset ? (loaded?.logStartOffset ?? 0) : 0, s.firstBaseOffset);
    const checkpoint = ctx.durableEpochs ? new CheckpointFile<EpochEntry[]>(ctx.machine, ctx.dir.device, `${dir}/leader-epoch-checkpoint`, (e) => 4 + 12 * e.length) : null;
    this.epochCache = new LeaderEpochFileCache(checkpoint, (op, e) => this.ioError(op, e));
    // The cache: the file's entries (durable epochs), then the epochs of the rescanned batches
    // (before 0.11, of every batch), cut to the log end; written once if that changed it.
    let changed = false;
    const from = checkpoint === null ? 0 : (loaded?.firstRescannedBatch ?? 0);
    for (let i = from; i < this.batches.length; i++) {
      const b = this.batches[i];
      if (b.leaderEpoch > this.epochCache.latestEpoch) changed = this.epochCache.assign(b.leaderEpoch, b.baseOffset, null) || changed;
    }
    changed = this.epochCache.truncateFromEnd(this.logEndOffset, null) || changed;
    if (changed && loaded !== undefined) this.epochCache.flush("log load");
    // Log.recoverLog: the recovery point is the log end after a clean shutdown (and, in 1.0 - 2.7,
    // after recovery too), else the checkpointed one.
    this.recoveryPoint =
      loaded === undefined ? 0 : loaded.hadCleanShutdown || ctx.recoveryPointAtLogEnd ? this.logEndOffset : Math.min(loaded.recoveryPoint, this.logEndOffset);
    this.flushingTo = this.recoveryPoint;
    this.lastFlushTimeUs = ctx.machine.now;
    this.rebuildProducers();
  }

  get logDir(): LogDir {
    return this.ctx.dir;
  }

  /** (epoch, start offset) pairs, ascending. */
  get epochs(): readonly EpochEntry[] {
    return this.epochCache.entries;
  }

  get latestEpoch(): number {
    return this.epochCache.latestEpoch;
  }

  /** Log.unflushedMessages: offsets past the recovery point. */
  get unflushedMessages(): number {
    return this.logEndOffset - this.recoveryPoint;
  }

  /**
   * Appends a batch (the leader has assigned its offsets). Returns false on a storage error
   * (KafkaStorageException): the log is offline. `op` says whose append it is.
   */
  append(batch: RecordBatch, op: "append" | "follower append" = "append"): boolean {
    if (this.offline) return false;
    // Log.append: maybeAssignEpochStartOffset(batch.partitionLeaderEpoch, batch.baseOffset).
    if (batch.leaderEpoch > this.epochCache.latestEpoch) this.epochCache.assign(batch.leaderEpoch, batch.baseOffset, op);
    let seg = this.segments[this.segments.length - 1];
    if (seg === undefined || (seg.file.size > 0 && seg.file.size + batch.bytes > this.ctx.segmentBytes)) {
      const rolled = this.roll(batch.baseOffset, op);
      if (rolled === null) return false;
      seg = rolled;
    }
    const position = seg.file.size;
    const error = this.ctx.machine.write(seg.file, batch.bytes, batch);
    if (error !== null) {
      this.ioError(op, error);
      return false;
    }
    this.positions.push(position);
    this.segmentOf.push(this.segments.length - 1);
    this.batches.push(batch);
    // LogSegment.append: the segment's largest timestamp (a batch's records are in send() order, so
    // its last create time is its largest); a batch without create times counts its append time.
    const times = batch.createTimesUs;
    const ts = times !== undefined && times.length > 0 ? times[times.length - 1] : this.ctx.machine.now;
    if (ts > seg.maxTimestampUs) seg.maxTimestampUs = ts;
    seg.lastModifiedUs = this.ctx.machine.now;
    this.logEndOffset = batch.baseOffset + batch.count;
    if (batch.producerId >= 0) this.trackProducer(batch);
    return true;
  }

  /**
   * The end of Log.append: `if (unflushedMessages >= flushInterval) flush()`. done(false) on a
   * storage error. Counted from what a flush in flight already covers.
   */
  maybeFlush(op: StorageOp, done: (ok: boolean) => void): void {
    if (this.logEndOffset - Math.max(this.recoveryPoint, this.flushingTo) >= this.ctx.flushIntervalMessages) this.flush(this.logEndOffset, op, done);
    else done(!this.offline);
  }

  /**
   * Log.flush(offset): fsync every segment holding offsets in [recoveryPoint, offset) (whole
   * files, as LogSegment.flush does), then the recovery point is offset. done(false) on an error.
   */
  flush(offset: number, op: StorageOp, done?: (ok: boolean) => void): void {
    if (this.offline) return done?.(false);
    if (offset <= this.recoveryPoint) return done?.(true);
    if (offset > this.flushingTo) this.flushingTo = offset;
    const truncations = this.truncations;
    const segs = this.segments.filter((s, i) => s.baseOffset < offset && (i + 1 === this.segments.length || this.segments[i + 1].baseOffset > this.recoveryPoint));
    let left = segs.length;
    let failed: IoError | null = null;
    const finish = (): void => {
      if (failed !== null) {
        this.ioError(op, failed);
        return done?.(false);
      }
      if (truncations === this.truncations && offset > this.recoveryPoint) {
        this.recoveryPoint = offset;
        this.lastFlushTimeUs = this.ctx.machine.now;
      }
      done?.(true);
    };
    if (left === 0) return finish();
    for (const s of segs) {
      this.ctx.machine.fsync(s.file, (e) => {
        if (e !== null && failed === null) failed = e;
        if (--left === 0) finish();
      });
    }
  }

  /**
   * Log.maybeAssignEpochStartOffset: the leader epoch starts at startOffset (from 2.1,
   * Partition.makeLeader calls it with the log end offset: KAFKA-7415). Writes the
   * leader-epoch checkpoint when the cache changes.
   */
  assignEpochStartOffset(epoch: number, startOffset: number): void {
    if (this.offline) return;
    this.epochCache.assign(epoch, startOffset, "leader-epoch checkpoint");
  }

  /**
   * Removes every batch at or past offset (a batch holding offset goes whole, as
   * LogSegment.truncateTo does); returns how many records went. On a storage error nothing is
   * removed (a full truncation may have taken the segments out) and the log is offline.
   */
  truncateTo(offset: number): number {
    // Log.truncateTo (0.10.2 - 2.8, UnifiedLog from 3.0): a target below the first segment's base
    // offset (retention moved the start past it) truncates fully and starts at the target. The
    // count is how far the log end moved back, records retention already deleted included.
    const first = this.segments[0] as Segment | undefined;
    if (!this.offline && first !== undefined && offset < first.baseOffset) {
      const removed = this.logEndOffset - offset;
      return truncateFullyAndStartAt(this, offset) ? removed : 0;
    }
    let i = this.batches.length;
    while (i > 0 && this.batches[i - 1].baseOffset + this.batches[i - 1].count > offset) i--;
    if (i === this.batches.length || this.offline) {
      // Log.truncateTo always cuts the epoch cache too: a leader may have assigned an epoch
      // at its log end and appended nothing (KAFKA-7415).
      if (!this.offline) this.epochCache.truncateFromEnd(this.logEndOffset, "truncate");
      return 0;
    }
    const start = this.startOffset;
    const removed = this.logEndOffset - this.batches[i].baseOffset;
    const segIndex = this.segmentOf[i];
    const m = this.ctx.machine;
    let error = m.truncate(this.segments[segIndex].file, this.positions[i]);
    for (let s = segIndex + 1; s < this.segments.length && error === null; s++) error = m.truncate(this.segments[s].file, 0);
    if (error !== null) {
      this.ioError("truncate", error);
      return 0;
    }
    this.segments.length = this.positions[i] === 0 && segIndex > 0 ? segIndex : segIndex + 1;
    this.batches.length = i;
    this.positions.length = i;
    this.segmentOf.length = i;
    this.logEndOffset = i === 0 ? start : this.batches[i - 1].baseOffset + this.batches[i - 1].count;
    // Log.truncateTo: the log start offset never passes the log end.
    if (this.logStartOffset > this.logEndOffset) this.logStartOffset = this.logEndOffset;
    this.truncations++;
    this.recoveryPoint = Math.min(this.recoveryPoint, this.logEndOffset);
    this.flushingTo = Math.min(this.flushingTo, this.logEndOffset);
    this.epochCache.truncateFromEnd(this.logEndOffset, "truncate");
    this.rebuildProducers();
    return removed;
  }

  private get startOffset(): number {
    return this.batches.length > 0 ? this.batches[0].baseOffset : this.logEndOffset;
  }

  /** The end of Log.truncateFullyAndStartAt (LogRetention.ts): an empty log that starts and ends at offset. */
  startAt(offset: number): void {
    this.logEndOffset = offset;
    this.logStartOffset = offset;
    this.recoveryPoint = offset;
    this.flushingTo = offset;
    this.truncations++;
    this.rebuildProducers();
  }

  /**
   * Batches from offset on, up to maxBytes (at least one batch, as Kafka returns); with maxOffset,
   * only batches that end at or below it (a consumer's read stops at the high watermark:
   * LogSegment.read with maxPosition at the batch holding it).
   */
  read(offset: number, maxBytes: number, maxOffset = Infinity): RecordBatch[] {
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
      if (b.baseOffset + b.count > maxOffset) break;
      if (out.length > 0 && bytes + b.bytes > maxBytes) break;
      out.push(b);
      bytes += b.bytes;
    }
    return out;
  }

  /** OffsetsForLeaderEpoch on the leader (LeaderEpochFileCache.endOffsetFor). */
  endOffsetForEpoch(requested: number, fixed: boolean): { epoch: number; endOffset: number } {
    return this.epochCache.endOffsetFor(requested, fixed, this.logEndOffset);
  }

  /** The broker's duplicate and out-of-order check for an idempotent batch. */
  checkSequence(producerId: number, firstSeq: number): SequenceCheck {
    const p = this.producers.get(producerId);
    if (p === undefined) return firstSeq === 0 ? { kind: "ok" } : { kind: "unknownProducer" };
    const dup = p.recent.find((r) => r.firstSeq === firstSeq);
    if (dup !== undefined) return { kind: "duplicate", baseOffset: dup.baseOffset, endOffset: dup.baseOffset + dup.lastSeq - dup.firstSeq + 1 };
    return firstSeq === p.lastSeq + 1 ? { kind: "ok" } : { kind: "outOfOrder" };
  }

  /** The segment files with their sizes, for recovery-time and report code. */
  get segmentFiles(): ReadonlyArray<Segment> {
    return this.segments;
  }

  /** Log.roll: a new segment file; the segments before it are flushed in the background (scheduler "flush-log"). */
  roll(baseOffset: number, op: StorageOp): Segment | null {
    const m = this.ctx.machine;
    const file = m.createFile(segmentFileName(this.dir, baseOffset), this.ctx.dir.device);
    if (typeof file === "string") {
      this.ioError(op, file);
      return null;
    }
    const seg: Segment = { baseOffset, file, maxTimestampUs: -1, lastModifiedUs: m.now };
    if (this.segments.length > 0) m.setTimer(0, () => this.flush(baseOffset, "flush"));
    this.segments.push(seg);
    return seg;
  }

  /** Log.maybeHandleIOException. */
  ioError(op: StorageOp, error: IoError): void {
    if (this.ctx.offlineOnIoError) this.offline = true;
    this.ctx.onIoError(op, error);
  }

  /**
   * ProducerStateManager.truncateHead (0.11 - 2.3): producers whose last batch ends below offset
   * are forgotten (isProducerRetained: lastOffset >= logStartOffset).
   */
  evictProducersBelow(offset: number): void {
    for (const [id, p] of this.producers) {
      const last = p.recent[p.recent.length - 1];
      if (last !== undefined && last.baseOffset + last.lastSeq - last.firstSeq < offset) this.producers.delete(id);
    }
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
}
