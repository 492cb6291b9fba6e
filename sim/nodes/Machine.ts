/**
 * A machine as a process sees it: its host, its NIC through the network, its disks through the
 * host's page cache. Everything a node may touch of the world comes through here, and every
 * completion is handed back through the host, so a crashed or paused process never sees it.
 *
 * File operations return errors as the system calls do: at once for write(2), create, truncate
 * and rename (ENOSPC on a full device, EIO on a failed one), through the callback for fsync.
 */
import type { Host } from "../Host.js";
import type { Simulation, TimerHandle } from "../Simulation.js";
import type { BlockDevice, IoError } from "../disk/BlockDevice.js";
import type { PageCache } from "../disk/PageCache.js";
import type { SimFile } from "../disk/File.js";
import type { MessageHandler, Network, Socket } from "../network/Network.js";
import type { RandomStream } from "../Random.js";
import type { ShapedValue, TraceShape } from "../Trace.js";

export class Machine {
  constructor(
    readonly sim: Simulation,
    readonly host: Host,
    readonly network: Network,
    readonly pageCache: PageCache,
    /** The host's disks (JBOD), in order; one page cache serves them all. */
    readonly disks: readonly BlockDevice[],
  ) {}

  get name(): string {
    return this.host.name;
  }

  get now(): number {
    return this.sim.now;
  }

  /** The first disk (the only one on most hosts). */
  get disk(): BlockDevice {
    return this.disks[0];
  }

  rng(purpose: string): RandomStream {
    return this.sim.rng.stream(`${this.host.name}/${purpose}`);
  }

  setTimer(delayUs: number, fn: () => void): TimerHandle {
    return this.host.setTimer(delayUs, fn);
  }

  cancelTimer(handle: TimerHandle): void {
    this.host.cancelTimer(handle);
  }

  listen(handler: MessageHandler): void {
    this.network.listen(this.host, handler);
  }

  connect(to: Host): Socket {
    return this.network.connect(this.host, to);
  }

  /** The file of that name on the device (created empty if absent); a lookup, no I/O. */
  openFile(name: string, device: BlockDevice = this.disk): SimFile {
    return this.pageCache.open(name, device);
  }

  /** The file of that name on the device, if it exists. */
  findFile(name: string, device: BlockDevice = this.disk): SimFile | undefined {
    return this.pageCache.find(name, device);
  }

  /** The files on a device (a directory listing). */
  filesOn(device: BlockDevice): SimFile[] {
    return this.pageCache.files.filter((f) => f.device === device);
  }

  /** open(2) with O_CREAT | O_TRUNC. */
  createFile(name: string, device: BlockDevice = this.disk): SimFile | IoError {
    return this.pageCache.create(name, device);
  }

  /**
   * Appends through the page cache without waiting (a write(2) that returns at once, or its
   * error). We assume, unrealistically, that dirty_ratio throttling does not block the caller
   * (balance_dirty_pages would): the bytes land at once, over the limit.
   */
  write(file: SimFile, bytes: number, payload: unknown): IoError | null {
    return this.pageCache.append(file, bytes, undefined, payload, false);
  }

  truncate(file: SimFile, size: number): IoError | null {
    return this.pageCache.truncate(file, size);
  }

  rename(file: SimFile, name: string): IoError | null {
    return this.pageCache.rename(file, name);
  }

  unlink(file: SimFile): IoError | null {
    return this.pageCache.unlink(file);
  }

  fsync(file: SimFile, done: (error: IoError | null) => void): void {
    this.pageCache.fsync(file, this.bind(done));
  }

  /** Reads bytes at offset through the page cache (a device read for what is not resident). */
  read(file: SimFile, offset: number, bytes: number, done: (error: IoError | null) => void): void {
    this.pageCache.read(file, offset, bytes, this.bind(done));
  }

  /** The process exits at once with this reason (Exit.halt): no clean shutdown. */
  exit(reason: string): void {
    this.host.exit(reason);
  }

  trace(type: string, data?: Record<string, string | number | boolean>): void {
    this.host.record(type, data);
  }

  /** A trace record of a fixed shape, hashed without building its line (for per-request records). */
  traceShaped(shape: TraceShape, v0: ShapedValue, v1?: ShapedValue, v2?: ShapedValue, v3?: ShapedValue): void {
    this.sim.trace.recordShaped(this.sim.now, this.host.name, shape, v0, v1, v2, v3);
  }

  mark(name: string): void {
    this.sim.marks.hit(name);
  }

  /** Wraps a device completion so it reaches only the incarnation that asked for it. */
  private bind<A>(fn: (arg: A) => void): (arg: A) => void {
    const host = this.host;
    const incarnation = host.incarnation;
    return (arg: A) => host.deliver(incarnation, () => fn(arg));
  }
}
