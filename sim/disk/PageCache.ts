/**
 * Linux's page cache for one host: writes land dirty in memory and reach the device later.
 *
 * Writeback follows the kernel's rules (Documentation/admin-guide/sysctl/vm.rst); the flusher
 * lives in Writeback.ts:
 * - the flusher wakes every `dirty_writeback_centisecs` (default 500 = 5 s) and writes back
 *   every file (inode) first dirtied more than `dirty_expire_centisecs` (default 3000 = 30 s)
 *   ago, whole; the file is then clean and its next write starts a new clock;
 * - when dirty data exceeds `dirty_background_ratio` (default 10%) of dirtyable memory, the
 *   flusher writes back at once, oldest first, until it is below;
 * - when it exceeds `dirty_ratio` (default 20%), writers are throttled: a write waits until
 *   writeback brings dirty data back under the limit (balance_dirty_pages).
 * fsync writes back the file's dirty range and completes when the device has it.
 *
 * A process crash changes nothing here (the kernel survives). A power loss truncates every file
 * to its durable prefix: exactly the dirty bytes are lost.
 *
 * Errors reach the caller as the system calls return them: write(2) to a full device fails with
 * ENOSPC at once (ext4's delayed allocation reserves blocks when the write is accepted, so the
 * error is not deferred to writeback); on a failed device we assume the filesystem errors every
 * operation (as ext4 does once it has aborted its journal), so write, fsync, create, truncate,
 * rename and unlink fail with EIO.
 *
 * We assume, unrealistically, that all of the host's memory is dirtyable page cache (Linux
 * subtracts the kernel's and processes' memory), and that clean pages are evicted from the
 * least recently used file's head.
 */
import type { Simulation } from "../Simulation.js";
import type { BlockDevice, IoError } from "./BlockDevice.js";
import { SimFile } from "./File.js";
import { Writeback } from "./Writeback.js";

export interface PageCacheConfig {
  memoryBytes: number;
  dirtyBackgroundRatio: number;
  dirtyRatio: number;
  dirtyExpireCentisecs: number;
  dirtyWritebackCentisecs: number;
}

export const LINUX_DEFAULTS: Omit<PageCacheConfig, "memoryBytes"> = {
  dirtyBackgroundRatio: 10,
  dirtyRatio: 20,
  dirtyExpireCentisecs: 3000,
  dirtyWritebackCentisecs: 500,
};

/** Copying into the page cache runs at memory speed, ~10 GB/s. */
const MEMCPY_BYTES_PER_US = 10_000;

export type WriteCallback = (error: IoError | null) => void;

interface ThrottledWrite {
  file: SimFile;
  bytes: number;
  done: WriteCallback | undefined;
  payload: unknown;
}

export class PageCache {
  readonly files: SimFile[] = [];
  dirtyBytes = 0;
  residentBytes = 0;
  /** Bytes lost to power failures, for metrics and tests. */
  bytesLostToPowerLoss = 0;
  powered = true;
  private throttled: ThrottledWrite[] = [];
  private readonly writeback: Writeback;
  private nextFileId = 1;

  constructor(
    private readonly sim: Simulation,
    readonly hostName: string,
    readonly config: PageCacheConfig,
  ) {
    this.writeback = new Writeback(sim, this);
    this.writeback.start();
  }

  get hasThrottledWriters(): boolean {
    return this.throttled.length > 0;
  }

  get backgroundThresholdBytes(): number {
    return (this.config.memoryBytes * this.config.dirtyBackgroundRatio) / 100;
  }

  get dirtyLimitBytes(): number {
    return (this.config.memoryBytes * this.config.dirtyRatio) / 100;
  }

  /** The file of that name on the device, created empty if there is none (no I/O: a lookup). */
  open(name: string, device: BlockDevice): SimFile {
    return this.find(name, device) ?? this.newFile(name, device);
  }

  /** The file of that name on the device, if there is one. */
  find(name: string, device: BlockDevice): SimFile | undefined {
    return this.files.find((f) => f.name === name && f.device === device);
  }

  /** open(2) with O_CREAT | O_TRUNC: the file, empty; EIO on a failed device. */
  create(name: string, device: BlockDevice): SimFile | IoError {
    if (device.failed) return this.failed("create");
    const existing = this.find(name, device);
    if (existing === undefined) return this.newFile(name, device);
    this.truncate(existing, 0);
    return existing;
  }

  /**
   * Appends bytes to the file through the cache (write(2)). Returns the error at once: ENOSPC on
   * a full device, EIO on a failed one. `done` runs when the write has been accepted (at once
   * plus a memcpy, or later when the writer was throttled by dirty_ratio), with the same error.
   * A writer that cannot wait (`mayDefer` false) has its bytes land at once even over
   * dirty_ratio: the file's size, positions and fsync stay true although it is not blocked.
   */
  append(file: SimFile, bytes: number, done?: WriteCallback, payload?: unknown, mayDefer = true): IoError | null {
    if (!this.powered) return null;
    let error: IoError | null = null;
    if (file.device.failed) error = this.failed("write");
    else if (file.device.usedBytes + bytes > file.device.capacityBytes) {
      this.sim.marks.hit("disk: write to a full disk");
      error = "ENOSPC";
    }
    if (error !== null) {
      if (done !== undefined) this.sim.schedule(0, done, error);
      return error;
    }
    const overLimit = this.throttled.length > 0 || this.dirtyBytes + bytes > this.dirtyLimitBytes;
    if (overLimit && !mayDefer) this.sim.marks.hit("page cache: dirty_ratio exceeded by a writer that does not wait");
    else if (overLimit) {
      this.sim.marks.hit("page cache: writer throttled by dirty_ratio");
      // The space is reserved now (delayed allocation), so a throttled write cannot fail later.
      file.device.usedBytes += bytes;
      this.throttled.push({ file, bytes, done, payload });
      this.writeback.startBackground();
      return null;
    }
    this.applyAppend(file, bytes, done, payload, false);
    return null;
  }

  /** Writes back the file's dirty range; done runs when the device has all of it (EIO at once on a failed device). */
  fsync(file: SimFile, done: WriteCallback): void {
    if (!this.powered) return;
    if (file.device.failed) {
      this.sim.schedule(0, done, this.failed("fsync"));
      return;
    }
    const target = file.size;
    if (file.durable >= target) {
      this.sim.schedule(0, done, null);
      return;
    }
    if (file.submitted < target) this.writeback.submit(file, target);
    this.writeback.waitFor(file, target, done);
  }

  /** Reads bytes at offset; done runs when they are in memory (cache hit or device read). */
  read(file: SimFile, offset: number, bytes: number, done: WriteCallback): void {
    file.lastAccessUs = this.sim.now;
    if (offset >= file.residentFrom) {
      this.sim.schedule(Math.ceil(bytes / MEMCPY_BYTES_PER_US), done, null);
      return;
    }
    this.sim.marks.hit("page cache: read miss");
    file.device.read(bytes, { fileId: file.id, offset }, done);
  }

  /** ftruncate(2) to a smaller size (a larger one is ignored); EIO on a failed device. */
  truncate(file: SimFile, size: number): IoError | null {
    if (file.device.failed) return this.failed("truncate");
    if (size >= file.size) return null;
    const dirtyBefore = file.dirtyBytes;
    const residentBefore = file.residentBytes;
    file.device.usedBytes -= file.size - size;
    file.size = size;
    if (file.durable > size) file.durable = size;
    if (file.submitted > size) file.submitted = size;
    if (file.residentFrom > size) file.residentFrom = size;
    // Linux waits for writeback of the pages it drops (truncate_inode_pages_range) and lets the
    // writeback of the pages that remain finish: the in-flight I/O below the new size still
    // counts, what lay beyond it is forgotten, and nothing is dirtied again.
    const keep = file.inflight.findIndex((c) => c.from >= size);
    file.cancelWriteback(keep < 0 ? file.inflight.length : keep);
    for (const c of file.inflight) c.end = Math.min(c.end, size);
    file.trimContents();
    this.dirtyBytes += file.dirtyBytes - dirtyBefore;
    this.residentBytes += file.residentBytes - residentBefore;
    this.writeback.resolveWaiters(file, null);
    this.releaseThrottled();
    return null;
  }

  /**
   * rename(2) within the file's device: the file takes the new name and a file already holding
   * it is unlinked, atomically. Its data is as durable as it was (what was fsynced); the rename
   * itself we assume durable at once (see File.ts), which is safe for Kafka's checkpoints only
   * because they fsync the data before renaming (CheckpointFile.write). EIO on a failed device.
   */
  rename(file: SimFile, name: string): IoError | null {
    if (file.device.failed) return this.failed("rename");
    const target = this.find(name, file.device);
    if (target !== undefined && target !== file) this.remove(target);
    file.name = name;
    return null;
  }

  /** unlink(2): the file and its pages are gone. EIO on a failed device. */
  unlink(file: SimFile): IoError | null {
    if (file.device.failed) return this.failed("unlink");
    this.remove(file);
    return null;
  }

  /** Power loss: every file keeps only its durable prefix; queued writers are gone. */
  powerOff(): void {
    this.powered = false;
    for (const f of this.files) {
      this.bytesLostToPowerLoss += f.dirtyBytes;
      f.device.usedBytes -= f.dirtyBytes;
      f.size = f.durable;
      f.submitted = f.durable;
      f.residentFrom = f.durable;
      f.inodeDirty = false;
      f.cancelWriteback();
      f.trimContents();
    }
    if (this.dirtyBytes > 0) this.sim.marks.hit("page cache: dirty data lost to power loss");
    this.dirtyBytes = 0;
    this.residentBytes = 0;
    for (const w of this.throttled) w.file.device.usedBytes -= w.bytes;
    this.throttled = [];
    this.writeback.stop();
  }

  powerOn(): void {
    if (this.powered) return;
    this.powered = true;
    this.writeback.start();
  }

  // --- internals ---

  private newFile(name: string, device: BlockDevice): SimFile {
    const file = new SimFile(this.nextFileId++, name, device);
    this.files.push(file);
    return file;
  }

  private failed(op: string): IoError {
    this.sim.marks.hit(`disk: ${op} on a failed disk`);
    return "EIO";
  }

  /** Drops a file: its space, dirty and resident pages, queued writers; fsyncs of it complete. */
  private remove(file: SimFile): void {
    const i = this.files.indexOf(file);
    if (i < 0) return;
    this.files.splice(i, 1);
    file.device.usedBytes -= file.size;
    this.dirtyBytes -= file.dirtyBytes;
    this.residentBytes -= file.residentBytes;
    file.size = 0;
    file.durable = 0;
    file.submitted = 0;
    file.residentFrom = 0;
    file.inodeDirty = false;
    file.cancelWriteback();
    file.trimContents();
    this.throttled = this.throttled.filter((w) => {
      if (w.file === file) file.device.usedBytes -= w.bytes;
      return w.file !== file;
    });
    this.writeback.resolveWaiters(file, null);
    this.releaseThrottled();
  }

  private applyAppend(file: SimFile, bytes: number, done: WriteCallback | undefined, payload: unknown, reserved: boolean): void {
    if (!file.inodeDirty) this.markInodeDirty(file);
    file.size += bytes;
    if (payload !== undefined) file.contents.push({ end: file.size, payload });
    if (!reserved) file.device.usedBytes += bytes;
    file.lastAccessUs = this.sim.now;
    this.dirtyBytes += bytes;
    this.residentBytes += bytes;
    this.evictIfNeeded();
    if (this.dirtyBytes > this.backgroundThresholdBytes) this.writeback.startBackground();
    if (done !== undefined) this.sim.schedule(Math.ceil(bytes / MEMCPY_BYTES_PER_US), done, null);
  }

  /**
   * A write to a clean inode starts its clock (__mark_inode_dirty: dirtied_when is set only when
   * the inode was not dirty, so a file written steadily keeps the time of its first write until
   * the flusher cleans it). The I_SYNC_QUEUED case, a write landing while the flusher holds the
   * inode, cannot arise here: writeback submission takes no simulated time.
   */
  markInodeDirty(file: SimFile): void {
    file.inodeDirty = true;
    file.dirtiedWhenUs = this.sim.now;
  }

  /** Lets throttled writers in, oldest first, while dirty data stays under dirty_ratio. */
  releaseThrottled(): void {
    while (this.throttled.length > 0) {
      const w = this.throttled[0];
      if (this.dirtyBytes + w.bytes > this.dirtyLimitBytes) break;
      this.throttled.shift();
      this.applyAppend(w.file, w.bytes, w.done, w.payload, true);
    }
  }

  private evictIfNeeded(): void {
    if (this.residentBytes <= this.config.memoryBytes) return;
    // Evict clean pages from the least recently used files' heads.
    const order = this.files.filter((f) => f.durable > f.residentFrom).sort((a, b) => a.lastAccessUs - b.lastAccessUs || a.id - b.id);
    for (const f of order) {
      if (this.residentBytes <= this.config.memoryBytes) break;
      const evictable = Math.min(f.durable - f.residentFrom, this.residentBytes - this.config.memoryBytes);
      f.residentFrom += evictable;
      this.residentBytes -= evictable;
    }
  }
}
