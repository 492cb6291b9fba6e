/**
 * A simulated machine: it has a name, a rack and a zone, runs at most one process, and has a
 * lifecycle. Devices (NIC, disks, page cache) are attached by the hardware layers, which listen
 * to the lifecycle; the engine itself knows nothing of them.
 *
 * Lifecycle, as DESIGN.md states it:
 * - crash: the process's memory is lost; the OS, and so the page cache, survives;
 * - restart: a new incarnation of the process starts and recovers from what is on disk;
 * - pause: the process is frozen (GC, stop-the-world) while timers and the network go on;
 *   work that reaches it meanwhile runs, in order, when it resumes;
 * - power off: the process dies and the host's volatile state (dirty pages) is lost;
 * - power on: the host boots and its process starts again;
 * - exit: the process ends itself at once (Kafka's Exit.halt), for a stated reason; to the
 *   rest of the world it looks like a crash (the kernel closes its sockets).
 *
 * Process-scoped timers and deliveries carry the incarnation they were made in, so nothing
 * from a dead incarnation ever reaches a new one.
 */
import type { Simulation, TimerHandle } from "./Simulation.js";

export type ProcessState = "none" | "running" | "paused" | "crashed" | "stopped" | "exited";
/** exit: the process ended itself (System.exit / Runtime.halt), e.g. a failed start-up. */
export type DownReason = "crash" | "stop" | "powerOff" | "exit";

/** What the hardware layers hear of a host's lifecycle. */
export interface HostListener {
  onProcessStart?(host: Host): void;
  onProcessDown?(host: Host, reason: DownReason): void;
  onPowerOff?(host: Host): void;
  onPowerOn?(host: Host): void;
}

/** A running process instance: memory that dies with it. */
export interface Process {
  /** What runs here ("broker", "producer", ...), for traces and listings. */
  readonly kind: string;
  /** Called once when this incarnation stops running for good (crash, stop, power off). */
  onDown?(reason: DownReason): void;
  /**
   * Asked to stop (SIGTERM): the process may shut down cleanly first and calls done when it
   * has. Without this hook a stop is immediate.
   */
  onStopRequested?(done: () => void): void;
}

export type ProcessFactory = (host: Host, incarnation: number) => Process;

export interface HostOptions {
  name: string;
  rack: string;
  zone: string;
  /** Position in the cluster's host table; used by devices that keep per-host arrays. */
  index: number;
}

export class Host {
  readonly name: string;
  readonly rack: string;
  readonly zone: string;
  readonly index: number;
  powered = true;
  state: ProcessState = "none";
  /** Increments each time a process starts on this host. */
  incarnation = 0;
  process: Process | null = null;
  private factory: ProcessFactory | null = null;
  private readonly listeners: HostListener[] = [];
  private deferred: Array<() => void> = [];
  /** Runs a timer's fn in the incarnation current when the timer was set (one function per incarnation, so a timer allocates nothing). */
  private runInIncarnation: (fn: () => void) => void = runnerFor(this, 0);

  constructor(
    readonly sim: Simulation,
    options: HostOptions,
  ) {
    this.name = options.name;
    this.rack = options.rack;
    this.zone = options.zone;
    this.index = options.index;
  }

  addListener(listener: HostListener): void {
    this.listeners.push(listener);
  }

  /** True when the process is up (running or paused): it holds connections and memory. */
  get alive(): boolean {
    return this.state === "running" || this.state === "paused";
  }

  /** Sets what runs on this host and starts it. */
  install(factory: ProcessFactory): void {
    this.factory = factory;
    this.start();
  }

  start(): void {
    if (!this.powered || this.alive || this.factory === null) return;
    this.incarnation++;
    this.runInIncarnation = runnerFor(this, this.incarnation);
    this.state = "running";
    this.record("process-start", { incarnation: this.incarnation });
    for (const l of this.listeners) l.onProcessStart?.(this);
    this.process = this.factory(this, this.incarnation);
  }

  /** The process dies at once: memory gone, OS and page cache intact. */
  crash(): void {
    this.down("crash");
  }

  /** A graceful stop (the process is told, so it may have shut down cleanly before). */
  stop(): void {
    this.down("stop");
  }

  /** SIGTERM: the process is asked to stop and exits when it has shut down cleanly. */
  requestStop(): void {
    if (!this.alive) return;
    const proc = this.process;
    if (proc?.onStopRequested === undefined) return this.stop();
    const incarnation = this.incarnation;
    this.record("process-stop-requested");
    proc.onStopRequested(() => {
      if (this.incarnation === incarnation && this.alive) this.stop();
    });
  }

  /** The process ends itself (System.exit / Runtime.halt: a failed start-up, a halt): down at once, like a crash, with the reason traced. */
  exit(reason: string): void {
    this.down("exit", reason);
  }

  /** Crash if running, then start a new incarnation. */
  restart(): void {
    if (this.alive) this.down("crash");
    this.start();
  }

  pause(): void {
    if (this.state !== "running") return;
    this.state = "paused";
    this.record("process-pause");
  }

  resume(): void {
    if (this.state !== "paused") return;
    this.state = "running";
    this.record("process-resume");
    // Work that queued up while frozen runs now, in arrival order, each as its own event.
    const work = this.deferred;
    this.deferred = [];
    for (const fn of work) this.sim.schedule(0, this.runInIncarnation, fn);
  }

  powerOff(): void {
    if (!this.powered) return;
    if (this.alive) this.down("powerOff");
    this.powered = false;
    this.record("power-off");
    for (const l of this.listeners) l.onPowerOff?.(this);
  }

  powerOn(): void {
    if (this.powered) return;
    this.powered = true;
    this.record("power-on");
    for (const l of this.listeners) l.onPowerOn?.(this);
    this.start();
  }

  /** A timer owned by the current incarnation: dropped if it dies, deferred while paused. */
  setTimer(delayUs: number, fn: () => void): TimerHandle {
    return this.sim.schedule(delayUs, this.runInIncarnation, fn);
  }

  cancelTimer(handle: TimerHandle): void {
    this.sim.cancel(handle);
  }

  /**
   * Runs fn on this host's current process now: dropped when the incarnation is gone, queued
   * while paused. Devices use it to hand completions and messages to the process.
   */
  deliver(incarnation: number, fn: () => void): void {
    if (incarnation !== this.incarnation || !this.alive) {
      this.sim.marks.hit("host: work for a dead incarnation dropped");
      return;
    }
    if (this.state === "paused") {
      this.deferred.push(fn);
      return;
    }
    fn();
  }

  record(type: string, data?: Record<string, string | number | boolean>): void {
    this.sim.trace.record(this.sim.now, this.name, type, data);
  }

  private down(reason: DownReason, why: string = reason): void {
    if (!this.alive) return;
    const proc = this.process;
    this.state = reason === "stop" ? "stopped" : reason === "exit" ? "exited" : "crashed";
    this.process = null;
    this.deferred = [];
    this.record(reason === "stop" ? "process-stop" : reason === "exit" ? "process-exit" : "process-crash", { reason: why, incarnation: this.incarnation });
    proc?.onDown?.(reason);
    for (const l of this.listeners) l.onProcessDown?.(this, reason);
  }
}

function runnerFor(host: Host, incarnation: number): (fn: () => void) => void {
  const runner = function runHostWork(fn: () => void): void {
    host.deliver(incarnation, fn);
  };
  // The stall watchdog names the host whose work ran (Simulation.tallyStall).
  return Object.assign(runner, { host });
}
