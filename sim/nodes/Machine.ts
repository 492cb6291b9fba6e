/**
 * A machine as a process sees it: its host, its NIC through the network, its disk through the
 * host's page cache. Everything a node may touch of the world comes through here, and every
 * completion is handed back through the host, so a crashed or paused process never sees it.
 */
import type { Host } from "../Host.js";
import type { Simulation, TimerHandle } from "../Simulation.js";
import type { BlockDevice, IoError } from "../disk/BlockDevice.js";
import type { PageCache } from "../disk/PageCache.js";
import type { SimFile } from "../disk/File.js";
import type { MessageHandler, Network, Socket } from "../network/Network.js";
import type { RandomStream } from "../Random.js";

export class Machine {
  constructor(
    readonly sim: Simulation,
    readonly host: Host,
    readonly network: Network,
    readonly pageCache: PageCache,
    readonly disk: BlockDevice,
  ) {}

  get name(): string {
    return this.host.name;
  }

  get now(): number {
    return this.sim.now;
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

  openFile(name: string): SimFile {
    return this.pageCache.open(name, this.disk);
  }

  /** Appends through the page cache without waiting (a write(2) that returns at once). */
  write(file: SimFile, bytes: number, payload: unknown): void {
    this.pageCache.append(file, bytes, undefined, payload);
  }

  truncate(file: SimFile, size: number): void {
    this.pageCache.truncate(file, size);
  }

  fsync(file: SimFile, done: (error: IoError | null) => void): void {
    this.pageCache.fsync(file, this.bind(done));
  }

  trace(type: string, data?: Record<string, string | number | boolean>): void {
    this.host.record(type, data);
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
