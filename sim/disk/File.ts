/**
 * A file as the page cache sees it: a length, the prefix of it that is on the device, and the
 * part whose writeback has been submitted. Kafka only appends to its files (and truncates
 * them), and Linux writes a file's dirty pages back in offset order, so what survives a power
 * loss is always a prefix; a file needs no more state than these offsets.
 *
 * We assume, unrealistically, that an overwrite inside the file dirties everything from that
 * offset to the end (callers here never overwrite), and that truncation, creation, rename and
 * unlink (metadata) are durable at once, as if the filesystem journal committed them at once.
 */
import type { BlockDevice } from "./BlockDevice.js";

/** One writeback I/O: [from, end) of the file, on its way to the device. */
export interface WritebackChunk {
  from: number;
  end: number;
  done: boolean;
  /** Power loss, a failed earlier chunk, a truncation or an unlink made its completion meaningless. */
  cancelled: boolean;
}


export class SimFile {
  /** Length as a reader sees it (page cache included). */
  size = 0;
  /** Bytes [0, durable) are on the device. */
  durable = 0;
  /** Bytes [durable, submitted) have writeback in flight. */
  submitted = 0;
  /** Bytes [residentFrom, size) are in the page cache (the tail: recent writes are hot). */
  residentFrom = 0;
  /**
   * The inode's dirty state as the flusher sees it (I_DIRTY in i_state, fs/fs-writeback.c): set
   * by a write to a clean inode, cleared only when the flusher writes the inode back
   * (__writeback_single_inode). An fsync leaves it set (ext4 and XFS write the pages through
   * file_write_and_wait_range, which does not touch i_state), so an inode may be dirty with
   * nothing left to write.
   */
  inodeDirty = false;
  /** When the inode last went from clean to dirty (inode->dirtied_when); meaningful while dirty. */
  dirtiedWhenUs = 0;
  /** Writeback I/Os in flight, in offset order; together they cover [durable, submitted). */
  readonly inflight: WritebackChunk[] = [];
  /** Last time it was read or written, for eviction order. */
  lastAccessUs = 0;
  /**
   * What was written, as opaque payloads with the offset where each ends. The simulator does
   * not keep bytes, but a process must be able to read back what survived (log recovery).
   */
  readonly contents: Array<{ end: number; payload: unknown }> = [];

  /** Forgets the writeback I/Os in flight from that one on (their completions will be ignored). */
  cancelWriteback(fromIndex = 0): void {
    for (let i = fromIndex; i < this.inflight.length; i++) this.inflight[i].cancelled = true;
    this.inflight.length = fromIndex;
  }

  /** Drops the payloads that no longer fit in the file after it shrank. */
  trimContents(): void {
    const c = this.contents;
    while (c.length > 0 && c[c.length - 1].end > this.size) c.pop();
  }

  constructor(
    readonly id: number,
    /** Its path on the device; rename(2) changes it (the inode, and so the id, stays). */
    public name: string,
    readonly device: BlockDevice,
  ) {}

  get dirtyBytes(): number {
    return this.size - this.durable;
  }

  get residentBytes(): number {
    return this.size - this.residentFrom;
  }
}
