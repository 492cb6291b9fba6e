/**
 * Fetches parked in the purgatory (kafka.server.DelayedFetch): a fetch that found less than its
 * min bytes waits, watching each of its partitions, until new data appended to them adds up to its
 * min bytes (DelayedFetch.tryComplete: accumulatedSize >= fetchMinBytes) or until its max wait
 * passes; either way it then reads again and answers.
 *
 * A broker has few fetches parked at once (one per follower fetcher and consumer connection), each
 * watching a few partitions, so they are kept in one list in the order they parked and a wake
 * looks through it: the same answers in the same order as a list per partition, without a list
 * entry per partition of every fetch.
 */
import type { Machine } from "../../Machine.js";

interface ParkedFetch {
  done: boolean;
  keys: readonly string[];
  respond(): void;
  /** Enough data to answer (min bytes reached); absent when any new data is enough. */
  ready?: () => boolean;
}

export class FetchPurgatory {
  private parked: ParkedFetch[] = [];
  /** A wake is going through the list: answered fetches are dropped after it, not during. */
  private waking = false;

  constructor(private readonly machine: Machine) {}

  /** Parks a fetch on its partitions' keys; `respond` runs once, on new data or after maxWaitUs. */
  park(keys: readonly string[], maxWaitUs: number, respond: () => void, ready?: () => boolean): void {
    const m = this.machine;
    const parked: ParkedFetch = {
      done: false,
      keys,
      ready,
      respond: () => {
        if (parked.done) return;
        parked.done = true;
        m.cancelTimer(timer);
        if (!this.waking) this.drop(parked);
        respond();
      },
    };
    const timer = m.setTimer(maxWaitUs, () => parked.respond());
    this.parked.push(parked);
  }

  /** New data on a partition: the fetches parked on it answer now. */
  wake(key: string): void {
    const list = this.parked;
    const n = list.length;
    if (n === 0) return;
    this.waking = true;
    let answered = false;
    for (let i = 0; i < n; i++) {
      const f = list[i];
      if (f.done || !f.keys.includes(key)) continue;
      if (f.ready !== undefined && !f.ready()) continue;
      f.respond();
      answered = true;
    }
    this.waking = false;
    if (answered) this.parked = list.filter((f) => !f.done);
  }

  private drop(f: ParkedFetch): void {
    const i = this.parked.indexOf(f);
    if (i >= 0) this.parked.splice(i, 1);
  }
}
