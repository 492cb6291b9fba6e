/**
 * The engine: one virtual clock, one event queue, seeded randomness, the trace, coverage
 * marks and invariants. It knows nothing of Kafka, disks or networks.
 *
 * An event is a handler plus one argument, kept in slot tables beside the typed-array heap,
 * so scheduling allocates nothing once the tables have grown. A timer handle encodes the slot
 * and the slot's generation; cancelling bumps the generation and clears the handler (lazy
 * deletion: the heap entry is discarded when it reaches the top), so cancel is O(1) and a
 * stale handle can never cancel an event that later reused its slot.
 */
import { EventQueue } from "./EventQueue.js";
import { Marks } from "./Marks.js";
import { Rng } from "./Random.js";
import { Trace } from "./Trace.js";

export type TimerHandle = number;
// Handles are opaque numbers; the slot takes the low 24 bits' worth of range.
const SLOT_RANGE = 16_777_216;
// Generations wrap below 2^29 so that slot + gen * SLOT_RANGE stays an exact integer.
const GEN_MASK = 0x1fffffff;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyHandler = (arg: any) => void;

export type StopReason = "time" | "events" | "quiescent" | "stopped" | "stalled";

/**
 * The watchdog on simulated progress: this many events in a row at one instant means something
 * reschedules itself without time passing (a zero timeout, say); the run stops as "stalled".
 */
export const STALL_EVENTS = 2_000_000;
/** How many of the last events before a stall are tallied by handler, to name the culprit. */
const STALL_SAMPLE = 10_000;

export interface RunLimits {
  /** Run events with time <= untilUs; the clock then stands at untilUs. */
  untilUs?: number;
  /** Stop after this many events in this call. */
  maxEvents?: number;
}

export interface InvariantViolation {
  name: string;
  atUs: number;
  message: string;
}

export class Simulation {
  /** Current virtual time in integer microseconds. */
  now = 0;
  /** Events executed by finished run() calls (cancelled ones not counted). */
  events = 0;
  /** Handlers of the last events before a stall, by name and count (see STALL_EVENTS). */
  readonly stallTally = new Map<string, number>();
  readonly rng: Rng;
  readonly trace = new Trace();
  readonly marks = new Marks();
  readonly violations: InvariantViolation[] = [];

  private readonly queue = new EventQueue(1024);
  private handlers: Array<AnyHandler | null> = [];
  private args: unknown[] = [];
  private gens = new Int32Array(1024);
  private freeSlots = new Int32Array(1024);
  private freeCount = 0;
  private slotCount = 0;
  private invariants: Array<{ name: string; check: () => string | null }> = [];
  private stopRequested = false;
  /** When true, the run stops at the first invariant violation. */
  stopOnViolation = true;

  constructor(readonly seed: number) {
    this.rng = new Rng(seed);
  }

  /** Schedules fn(arg) after delayUs (an integer >= 0). */
  schedule<A>(delayUs: number, fn: (arg: A) => void, arg: A): TimerHandle {
    return this.at(this.now + delayUs, fn, arg);
  }

  /** Schedules fn(arg) at absolute time timeUs (an integer, never in the past). */
  at<A>(timeUs: number, fn: (arg: A) => void, arg: A): TimerHandle {
    if (!(timeUs >= this.now) || Math.floor(timeUs) !== timeUs) {
      throw new RangeError(`event time must be an integer >= now (${this.now}), got ${timeUs}`);
    }
    const slot = this.freeCount > 0 ? this.freeSlots[--this.freeCount] : this.newSlot();
    this.handlers[slot] = fn;
    this.args[slot] = arg;
    this.queue.push(timeUs, slot);
    return slot + this.gens[slot] * SLOT_RANGE;
  }

  /** Cancels a pending event; returns false when it already ran or was cancelled. */
  cancel(handle: TimerHandle): boolean {
    const slot = handle % SLOT_RANGE;
    const gen = (handle - slot) / SLOT_RANGE;
    if (slot >= this.slotCount || this.gens[slot] !== gen || this.handlers[slot] === null) return false;
    this.handlers[slot] = null;
    this.args[slot] = undefined;
    this.gens[slot] = (gen + 1) & GEN_MASK;
    return true;
  }

  /** An invariant is checked after every event; it returns null when it holds. */
  addInvariant(name: string, check: () => string | null): void {
    this.invariants.push({ name, check });
  }

  /** Asks the running loop to stop after the current event. */
  stop(): void {
    this.stopRequested = true;
  }

  run(limits: RunLimits = {}): StopReason {
    const untilUs = limits.untilUs ?? Infinity;
    const maxEvents = limits.maxEvents ?? Infinity;
    const queue = this.queue;
    const handlers = this.handlers;
    const args = this.args;
    const checkInvariants = this.invariants.length > 0;
    let ran = 0;
    this.stopRequested = false;
    let reason: StopReason;
    let sameInstant = 0;
    for (;;) {
      const t = queue.peekTime();
      if (t === Infinity) {
        reason = untilUs === Infinity ? "quiescent" : "time";
        break;
      }
      if (t > untilUs) {
        reason = "time";
        break;
      }
      const slot = queue.takeTop();
      const fn = handlers[slot];
      this.freeSlots[this.freeCount++] = slot;
      if (fn === null) continue; // cancelled
      const arg = args[slot];
      handlers[slot] = null;
      args[slot] = undefined;
      this.gens[slot] = (this.gens[slot] + 1) & GEN_MASK;
      if (t !== this.now) sameInstant = 0;
      else if (++sameInstant > STALL_EVENTS - STALL_SAMPLE && this.tallyStall(fn, arg, sameInstant)) {
        this.events += ran;
        return "stalled";
      }
      this.now = t;
      fn(arg);
      ran++;
      if (checkInvariants) this.checkInvariants();
      if (this.stopRequested) {
        reason = "stopped";
        break;
      }
      if (ran >= maxEvents) {
        reason = "events";
        break;
      }
    }
    this.events += ran;
    if (reason === "time" && this.now < untilUs) this.now = untilUs;
    return reason;
  }

  /** Tallies one of the last events before a stall by what ran; true once the stall is certain. */
  private tallyStall(fn: (arg: unknown) => void, arg: unknown, sameInstant: number): boolean {
    if (sameInstant === STALL_EVENTS - STALL_SAMPLE + 1) this.stallTally.clear();
    // Host work names its host (and its function when it has a name).
    // Host work: the handler carries its host and the argument is the work; other arguments may name a host and fn.
    const timerHost = (fn as { host?: { name?: unknown } }).host;
    const work = (timerHost !== undefined ? { host: timerHost, fn: arg } : arg) as { host?: { name?: unknown }; fn?: { name?: unknown } } | undefined;
    const on = typeof work?.host?.name === "string" ? ` on ${work.host.name}` : "";
    const inner = typeof work?.fn?.name === "string" && work.fn.name !== "" ? ` (${work.fn.name})` : "";
    const name = (fn.name || "(anonymous)") + on + inner;
    this.stallTally.set(name, (this.stallTally.get(name) ?? 0) + 1);
    return sameInstant >= STALL_EVENTS;
  }

  private checkInvariants(): void {
    for (const inv of this.invariants) {
      const message = inv.check();
      if (message !== null) this.violate(inv.name, message);
    }
  }

  /**
   * Records a broken invariant found by a check that runs where the state changes (cheaper than
   * a check after every event, and equivalent: the state cannot break between its changes).
   */
  violate(name: string, message: string): void {
    this.violations.push({ name, atUs: this.now, message });
    this.trace.record(this.now, "sim", "invariant-violated", { name, message });
    if (this.stopOnViolation) this.stopRequested = true;
  }

  private newSlot(): number {
    const slot = this.slotCount++;
    if (slot >= SLOT_RANGE) throw new RangeError("more than 16M pending events");
    if (slot >= this.gens.length) {
      const gens = new Int32Array(this.gens.length * 2);
      gens.set(this.gens);
      this.gens = gens;
      const free = new Int32Array(this.freeSlots.length * 2);
      free.set(this.freeSlots);
      this.freeSlots = free;
    }
    this.handlers.push(null);
    this.args.push(undefined);
    return slot;
  }
}
