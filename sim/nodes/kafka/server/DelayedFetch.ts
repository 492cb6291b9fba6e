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
import { DeadlineQueue, type Expirable } from "./DeadlineQueue.js";

const answered = (): void => {};

/** A parked fetch; once answered it lets go of its request, as it waits out its deadline in the queue. */
class ParkedFetch implements Expirable {
  done = false;

  constructor(
    private readonly purgatory: FetchPurgatory,
    public keys: readonly string[],
    private answer: () => void,
    /** Enough data to answer (min bytes reached); absent when any new data is enough. */
    public ready: (() => boolean) | undefined,
  ) {}

  respond(): void {
    if (this.done) return;
    this.done = true;
    this.purgatory.dropAnswered(this);
    const answer = this.answer;
    this.answer = answered;
    this.keys = [];
    this.ready = undefined;
    answer();
  }

  expire(): void {
    this.respond();
  }
}

export class FetchPurgatory {
  private parked: ParkedFetch[] = [];
  /** A wake is going through the list: answered fetches are dropped after it, not during. */
  private waking = false;
  private readonly timeouts: DeadlineQueue<ParkedFetch>;

  constructor(private readonly machine: Machine) {
    this.timeouts = new DeadlineQueue(machine);
  }

  /** Parks a fetch on its partitions' keys; `respond` runs once, on new data or after maxWaitUs. */
  park(keys: readonly string[], maxWaitUs: number, respond: () => void, ready?: () => boolean): void {
    const parked = new ParkedFetch(this, keys, respond, ready);
    this.timeouts.add(this.machine.now + maxWaitUs, parked);
    this.parked.push(parked);
  }

  /** @internal An answered fetch leaves the list (after the wake going through it, if any). */
  dropAnswered(f: ParkedFetch): void {
    if (!this.waking) this.drop(f);
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
