/**
 * A replica's leader-epoch cache (kafka.server.epoch.LeaderEpochFileCache, KIP-101 in 0.11):
 * (epoch, start offset) pairs, ascending, kept in the partition's `leader-epoch-checkpoint` file.
 * The file is rewritten (tmp, fsync, rename: CheckpointFile) only when an entry is added
 * (assign) or removed (truncateFromEnd; 3.7 writes truncations without the fsync, KAFKA-15046,
 * which we do not model); at startup the cache is what the file held, plus the
 * epochs of the batches that log recovery rescans, cut to the recovered log end.
 *
 * An entry need not have a batch: from 2.1 (KAFKA-7415) a new leader assigns its epoch at its
 * log end offset before it appends anything (Log.assignEpochStartOffset from Partition.makeLeader).
 *
 * Before 0.11 there is no such file (nor OffsetsForLeaderEpoch); the simulator still derives the
 * epochs from the batches in memory, without a checkpoint, for the code that reads them.
 *
 * assign follows 2.1+ (KAFKA-7415's truncateAndAppend: a new entry removes the entries at or
 * past it); 0.11 to 2.0 only appended a strictly newer epoch. The simulator only assigns newer
 * epochs at offsets at or past the last one, where both rules agree.
 */
import type { IoError } from "../../../disk/BlockDevice.js";
import type { CheckpointFile } from "./CheckpointFile.js";
import type { StorageOp } from "./LogDir.js";
import { UNDEFINED_EPOCH, UNDEFINED_OFFSET } from "../common/protocol.js";

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

export class LeaderEpochFileCache {
  private readonly list: EpochEntry[] = [];

  constructor(
    /** The `leader-epoch-checkpoint` file; null before 0.11 (the cache is not durable). */
    private readonly checkpoint: CheckpointFile<EpochEntry[]> | null,
    /** A failed write of the file, with the operation that caused it. */
    private readonly onError: (op: StorageOp, error: IoError) => void,
  ) {
    for (const e of checkpoint?.read() ?? []) this.add(e);
  }

  get entries(): readonly EpochEntry[] {
    return this.list;
  }

  get latestEpoch(): number {
    return this.list.length === 0 ? UNDEFINED_EPOCH : this.list[this.list.length - 1].epoch;
  }

  /**
   * LeaderEpochFileCache.assign: adds the entry unless it is the latest already, and then writes
   * the file on behalf of `op` (null: not now, the caller writes once after several changes).
   */
  assign(epoch: number, startOffset: number, op: StorageOp | null): boolean {
    const last = this.list[this.list.length - 1];
    if (epoch < 0 || startOffset < 0) return false;
    if (last !== undefined && epoch === last.epoch && startOffset >= last.startOffset) return false;
    this.add({ epoch, startOffset });
    if (op !== null) this.flush(op);
    return true;
  }

  /** LeaderEpochFileCache.truncateFromEnd: drops the entries starting at or after endOffset; writes the file when it did. */
  truncateFromEnd(endOffset: number, op: StorageOp | null): boolean {
    const l = this.list;
    if (endOffset < 0 || l.length === 0 || l[l.length - 1].startOffset < endOffset) return false;
    while (l.length > 0 && l[l.length - 1].startOffset >= endOffset) l.pop();
    if (op !== null) this.flush(op);
    return true;
  }

  /**
   * LeaderEpochFileCache.truncateFromStart (clearAndFlushEarliest in 0.11): the entries starting
   * below startOffset go, the last of them kept as starting at startOffset, and the file is
   * rewritten. We leave out that later releases (removeFromStart with `<=`) also rewrite the file
   * when the first entry already starts exactly there (the entries are the same).
   */
  truncateFromStart(startOffset: number, op: StorageOp): boolean {
    const l = this.list;
    let n = 0;
    while (n < l.length && l[n].startOffset < startOffset) n++;
    if (n === 0) return false;
    if (n < l.length && l[n].startOffset === startOffset) {
      l.splice(0, n);
      this.flush(op);
      return true;
    }
    const kept = { epoch: l[n - 1].epoch, startOffset };
    l.splice(0, n, kept);
    this.flush(op);
    return true;
  }

  /** LeaderEpochFileCache.clearAndFlush: no entry left; the file rewritten. */
  clearAndFlush(op: StorageOp): void {
    this.list.length = 0;
    this.flush(op);
  }

  /** LeaderEpochFileCache.flush: rewrites the checkpoint file with the entries (tmp, fsync, rename). */
  flush(op: StorageOp): void {
    this.checkpoint?.write(this.list.slice(), (e) => e !== null && this.onError(op, e));
  }

  /** Calls done once no write of the file is in flight (a clean shutdown waits for it). */
  whenWritten(done: () => void): void {
    if (this.checkpoint === null) return done();
    this.checkpoint.whenIdle(done);
  }

  /**
   * LeaderEpochFileCache.endOffsetFor. With KIP-279 (fixed, 2.0): the largest epoch at or below
   * the asked one and where it ends. Before it (KIP-101 as in 0.11): only the end offset of the
   * asked epoch, undefined when the cache never had it.
   */
  endOffsetFor(requested: number, fixed: boolean, logEndOffset: number): { epoch: number; endOffset: number } {
    const e = this.list;
    if (e.length === 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET };
    if (!fixed) {
      if (requested === this.latestEpoch) return { epoch: requested, endOffset: logEndOffset };
      const next = e.find((x) => x.epoch > requested);
      if (next === undefined || requested < e[0].epoch) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET };
      return { epoch: requested, endOffset: next.startOffset };
    }
    let i = e.length - 1;
    while (i >= 0 && e[i].epoch > requested) i--;
    if (i < 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET };
    return { epoch: e[i].epoch, endOffset: i === e.length - 1 ? logEndOffset : e[i + 1].startOffset };
  }

  /** maybeTruncateNonMonotonicEntries, then the append. */
  private add(entry: EpochEntry): void {
    const l = this.list;
    while (l.length > 0 && (l[l.length - 1].epoch >= entry.epoch || l[l.length - 1].startOffset >= entry.startOffset)) l.pop();
    l.push(entry);
  }
}
