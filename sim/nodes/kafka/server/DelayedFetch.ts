/**
 * Follower fetches parked in the purgatory (kafka.server.DelayedFetch): a fetch that found less
 * than its min bytes waits, keyed by each of its partitions, until new data appended to them adds
 * up to its min bytes (DelayedFetch.tryComplete: accumulatedSize >= fetchMinBytes) or until its
 * max wait passes; either way it then reads again and answers.
 */
import type { Machine } from "../../Machine.js";

interface ParkedFetch {
  done: boolean;
  respond(): void;
  /** Enough data to answer (min bytes reached); absent when any new data is enough. */
  ready?: () => boolean;
}

export class FetchPurgatory {
  private readonly parked = new Map<string, ParkedFetch[]>();

  constructor(private readonly machine: Machine) {}

  /** Parks a fetch on its partitions' keys; `respond` runs once, on new data or after maxWaitUs. */
  park(keys: readonly string[], maxWaitUs: number, respond: () => void, ready?: () => boolean): void {
    const m = this.machine;
    const parked: ParkedFetch = {
      done: false,
      ready,
      respond: () => {
        if (parked.done) return;
        parked.done = true;
        m.cancelTimer(timer);
        respond();
      },
    };
    const timer = m.setTimer(maxWaitUs, () => parked.respond());
    for (const key of keys) {
      let list = this.parked.get(key);
      if (list === undefined) this.parked.set(key, (list = []));
      else if (list.length > 16) list = list.filter((x) => !x.done);
      this.parked.set(key, list);
      list.push(parked);
    }
  }

  /** New data on a partition: the fetches parked on it answer now. */
  wake(key: string): void {
    const list = this.parked.get(key);
    if (list === undefined || list.length === 0) return;
    const waiting: ParkedFetch[] = [];
    for (const f of list) {
      if (f.done) continue;
      if (f.ready !== undefined && !f.ready()) waiting.push(f);
      else f.respond();
    }
    this.parked.set(key, waiting);
  }
}
