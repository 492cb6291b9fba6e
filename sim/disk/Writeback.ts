/**
 * The writeback half of a host's page cache: the flusher thread and the I/O that takes dirty
 * pages to the device (Linux fs/fs-writeback.c), plus the fsync waiters that the I/O completes.
 *
 * - the flusher wakes every `dirty_writeback_centisecs` and writes back, whole, every inode
 *   dirtied longer than `dirty_expire_centisecs` ago (wb_check_old_data_flush); an inode's clock
 *   (dirtied_when) starts at its first write after it was last clean, so a file written steadily
 *   holds between 0 and dirty_expire + dirty_writeback of its data (30 to 35 s by default);
 * - above `dirty_background_ratio` it writes back at once, oldest first, until below
 *   (wb_check_background_flush, wb_over_bg_thresh).
 *
 * We assume, unrealistically, one flusher per host on a fixed period (Linux has one per backing
 * device, armed when the device's first inode is dirtied: wb_wakeup_delayed).
 */
import type { Simulation } from "../Simulation.js";
import type { IoError } from "./BlockDevice.js";
import type { SimFile, WritebackChunk } from "./File.js";
import type { PageCache, WriteCallback } from "./PageCache.js";

/** The largest single writeback I/O (Linux caps a writeback chunk near 4 MiB: MAX_WRITEBACK_PAGES). */
const WRITEBACK_CHUNK_BYTES = 4 * 1024 * 1024;

export class Writeback {
  private fsyncWaiters = new Map<SimFile, Array<{ target: number; done: WriteCallback }>>();
  private flusherTimer = -1;

  constructor(
    private readonly sim: Simulation,
    private readonly cache: PageCache,
  ) {}

  /** Arms the periodic flusher (at boot and at power-on). */
  start(): void {
    this.flusherTimer = this.sim.schedule(this.cache.config.dirtyWritebackCentisecs * 10_000, () => this.flusherWake(), undefined);
  }

  /** Power loss: the flusher and every waiter are gone with the kernel. */
  stop(): void {
    if (this.flusherTimer >= 0) this.sim.cancel(this.flusherTimer);
    this.flusherTimer = -1;
    this.fsyncWaiters.clear();
  }

  /** Runs done when [0, target) is on the device (or with the error of a failed writeback). */
  waitFor(file: SimFile, target: number, done: WriteCallback): void {
    let waiters = this.fsyncWaiters.get(file);
    if (waiters === undefined) this.fsyncWaiters.set(file, (waiters = []));
    waiters.push({ target, done });
  }

  /**
   * The periodic flusher (wb_check_old_data_flush): every inode dirtied at least dirty_expire ago
   * (move_expired_inodes: expired unless dirtied_when is after now - expire) is written back
   * whole, the kupdate work's budget being every dirty page (get_nr_dirty_pages).
   */
  private flusherWake(): void {
    const expireUs = this.cache.config.dirtyExpireCentisecs * 10_000;
    for (const f of this.cache.files) {
      if (f.inodeDirty && this.sim.now - f.dirtiedWhenUs >= expireUs) {
        if (f.size > f.submitted) this.sim.marks.hit("page cache: expired dirty data written back");
        this.writebackInode(f);
      }
    }
    this.startBackground();
    this.start();
  }

  /**
   * Above dirty_background_ratio: write back, oldest dirty file first, until what will still be
   * dirty once the in-flight writeback lands is below it. With throttled writers, drain all.
   */
  startBackground(): void {
    const cache = this.cache;
    const drainAll = cache.hasThrottledWriters;
    if (!drainAll && cache.dirtyBytes <= cache.backgroundThresholdBytes) return;
    let unsubmitted = 0;
    for (const f of cache.files) unsubmitted += f.size - f.submitted;
    if (!drainAll && unsubmitted <= cache.backgroundThresholdBytes) return;
    // Background work queues every dirty inode, eldest dirtied_when first (queue_io with
    // dirtied_before = now), and stops once under the threshold (wb_over_bg_thresh).
    const candidates = cache.files.filter((f) => f.inodeDirty).sort((a, b) => a.dirtiedWhenUs - b.dirtiedWhenUs || a.id - b.id);
    for (const f of candidates) {
      if (!drainAll && unsubmitted <= cache.backgroundThresholdBytes) break;
      this.sim.marks.hit("page cache: background writeback");
      unsubmitted -= f.size - f.submitted;
      this.writebackInode(f);
    }
  }

  /**
   * The flusher writes an inode back (writeback_sb_inodes → __writeback_single_inode): every
   * dirty page is submitted, then I_DIRTY is cleared; with no page left dirty, requeue_inode
   * takes the inode off the dirty lists, so its next write starts a new dirtied_when. We assume
   * submission takes no time, so no write can land in between and redirty it (Linux then keeps
   * I_DIRTY_PAGES and requeues the inode with redirty_tail or requeue_io).
   */
  private writebackInode(file: SimFile): void {
    if (file.size > file.submitted) this.submit(file, file.size);
    file.inodeDirty = false;
  }

  /** Submits [submitted, target) to the device in chunks of at most WRITEBACK_CHUNK_BYTES. */
  submit(file: SimFile, target: number): void {
    for (let from = file.submitted; from < target; ) {
      const chunk: WritebackChunk = { from, end: Math.min(target, from + WRITEBACK_CHUNK_BYTES), done: false, cancelled: false };
      file.inflight.push(chunk);
      file.device.write(chunk.end - from, { fileId: file.id, offset: from }, (err) => this.completeChunk(file, chunk, err));
      from = chunk.end;
    }
    file.submitted = target;
  }

  /** The file is durable up to the end of the chunks that completed with every chunk before them. */
  private completeChunk(file: SimFile, chunk: WritebackChunk, err: IoError | null): void {
    if (chunk.cancelled || !this.cache.powered) return;
    if (err !== null) {
      // We assume, unlike Linux (which marks the pages clean and reports the error once, through
      // errseq), that the data stays dirty and a later writeback or fsync tries again.
      file.cancelWriteback(file.inflight.indexOf(chunk));
      file.submitted = chunk.from;
      if (!file.inodeDirty) this.cache.markInodeDirty(file);
      this.resolveWaiters(file, err);
      return;
    }
    chunk.done = true;
    while (file.inflight.length > 0 && file.inflight[0].done) {
      const end = file.inflight.shift()!.end;
      if (end > file.durable) {
        this.cache.dirtyBytes -= end - file.durable;
        file.durable = end;
      }
    }
    this.resolveWaiters(file, null);
    this.cache.releaseThrottled();
  }

  /** Completes the fsyncs whose range is now durable (all of them, with the error, on failure). */
  resolveWaiters(file: SimFile, err: IoError | null): void {
    const waiters = this.fsyncWaiters.get(file);
    if (waiters === undefined) return;
    const remaining = waiters.filter((w) => {
      if (err === null && Math.min(w.target, file.size) > file.durable) return true;
      w.done(err);
      return false;
    });
    if (remaining.length === 0) this.fsyncWaiters.delete(file);
    else this.fsyncWaiters.set(file, remaining);
  }
}
