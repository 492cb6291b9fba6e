/**
 * The timeouts of a purgatory's parked requests, in deadline order, with one armed timer
 * (Kafka's purgatory hands its timeouts to one reaper, a SystemTimer over a timing wheel,
 * rather than a thread per request: DelayedOperationPurgatory with kafka.utils.timer.SystemTimer
 * up to 3.5, org.apache.kafka.server.util.timer.SystemTimer from 3.6). Kafka's wheel ticks in
 * whole milliseconds; deadlines here are exact microseconds, ties in park order.
 *
 * Why not a timer per request: almost every parked request completes long before its timeout
 * (a fetch within a few milliseconds of its 500 ms max wait), so a timer per request left the
 * event heap ~99% cancelled entries. Here a request that completes early is only marked done;
 * the armed timer, when it fires, skips the done ones, expires the due ones in deadline order
 * (requests with the same deadline in the order they were parked, as their timers ran) and
 * arms itself for the next live deadline: a few events a second instead of one per request.
 *
 * A paused process runs its timer late (the host defers it): one firing then expires only the
 * deadline it was armed for and re-arms at once for the next, so work that arrived between two
 * deadlines during the pause still runs between their expiries, as with a timer per request.
 */
import type { Machine } from "../../Machine.js";
import type { TimerHandle } from "../../../Simulation.js";

export interface Expirable {
  /** Completed (answered) before its deadline: nothing to do when the deadline comes. */
  readonly done: boolean;
  /** The deadline passed first. */
  expire(): void;
}

export class DeadlineQueue<T extends Expirable> {
  private deadlines: number[] = [];
  private items: T[] = [];
  private head = 0;
  private timer: TimerHandle | null = null;
  private armedAtUs = Infinity;
  private readonly onTimer = (): void => this.fire();

  constructor(private readonly machine: Machine) {}

  /** Watches `item` until deadlineUs (absolute, integer µs). */
  add(deadlineUs: number, item: T): void {
    const d = this.deadlines;
    let i = d.length;
    // Timeouts are nearly always equal, so deadlines nearly always come in order; otherwise
    // (a producer with another request.timeout.ms) after the last deadline not later than it.
    if (i > this.head && d[i - 1] > deadlineUs) {
      let lo = this.head;
      let hi = i - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (d[mid] > deadlineUs) hi = mid;
        else lo = mid + 1;
      }
      i = lo;
    }
    if (i === d.length) {
      d.push(deadlineUs);
      this.items.push(item);
    } else {
      d.splice(i, 0, deadlineUs);
      this.items.splice(i, 0, item);
    }
    if (deadlineUs < this.armedAtUs) this.arm(deadlineUs);
  }

  private arm(atUs: number): void {
    if (this.timer !== null) this.machine.cancelTimer(this.timer);
    this.armedAtUs = atUs;
    this.timer = this.machine.setTimer(Math.max(0, atUs - this.machine.now), this.onTimer);
  }

  private fire(): void {
    // The deadline this firing was armed for: the clock itself only when the process was paused.
    const due = this.armedAtUs;
    this.timer = null;
    this.armedAtUs = Infinity;
    const d = this.deadlines;
    const items = this.items;
    while (this.head < d.length && d[this.head] <= due) {
      const item = items[this.head++];
      if (!item.done) item.expire();
    }
    while (this.head < d.length && items[this.head].done) this.head++;
    this.compact();
    // An expiry may have parked a new request (and armed for it); the earliest live deadline wins.
    if (this.head < this.deadlines.length && this.deadlines[this.head] < this.armedAtUs) this.arm(this.deadlines[this.head]);
  }

  /** Drops the consumed front once it is most of the arrays. */
  private compact(): void {
    const h = this.head;
    if (h === this.deadlines.length) {
      this.deadlines = [];
      this.items = [];
      this.head = 0;
    } else if (h > 1024 && h * 2 > this.deadlines.length) {
      this.deadlines = this.deadlines.slice(h);
      this.items = this.items.slice(h);
      this.head = 0;
    }
  }
}
