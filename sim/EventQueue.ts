/**
 * A binary min-heap of pending events ordered by (time, sequence), stored in typed arrays.
 *
 * Why typed arrays: the event loop is the hot path; a heap of objects costs an allocation per
 * event and chases pointers on every comparison. Here an event is three numbers in parallel
 * arrays: its time (integer µs), a global insertion sequence that breaks ties (so the order is
 * total and never depends on sort stability), and a slot that names its payload in the owner's
 * tables. The queue knows nothing of what a slot means.
 *
 * Two classic tricks keep it fast:
 * - Bottom-up deletion (Wegener): the hole left at the root walks down along the smaller
 *   children to a leaf, one comparison a level (made branch-free where times differ), and
 *   the element to place is sifted up from there, which is almost always a step or two.
 *   `times[count]` is kept at +Infinity so the walk needs no bounds check on the right child.
 * - Deferred pop ("heapreplace"): `takeTop` only marks the root as taken. If the handler that
 *   runs next schedules an event, that event fills the root's hole directly, saving a whole
 *   sift; otherwise the hole is filled from the last element before the next look at the heap.
 */
export class EventQueue {
  private times: Float64Array;
  private seqs: Float64Array;
  private slots: Int32Array;
  private count = 0;
  private nextSeq = 0;
  /** The root has been taken by takeTop() and its hole not yet filled. */
  private rootTaken = false;

  constructor(initialCapacity = 1024) {
    this.times = new Float64Array(initialCapacity + 1).fill(Infinity);
    this.seqs = new Float64Array(initialCapacity + 1);
    this.slots = new Int32Array(initialCapacity + 1);
  }

  get size(): number {
    return this.rootTaken ? this.count - 1 : this.count;
  }

  /** Time of the earliest event; Infinity when empty. */
  peekTime(): number {
    if (this.rootTaken) this.fillRootFromLast();
    return this.count === 0 ? Infinity : this.times[0];
  }

  /**
   * Takes the earliest event and returns its slot (check size or peekTime first). The event's
   * time is the peekTime() seen just before.
   */
  takeTop(): number {
    if (this.rootTaken) this.fillRootFromLast();
    this.rootTaken = true;
    return this.slots[0];
  }

  /** Removes and returns the earliest event's slot at once (for callers that need no deferral). */
  pop(): number {
    const slot = this.takeTop();
    this.fillRootFromLast();
    return slot;
  }

  push(time: number, slot: number): void {
    const seq = this.nextSeq++;
    if (this.rootTaken) {
      this.rootTaken = false;
      this.fillHole(time, seq, slot, this.count);
      return;
    }
    if (this.count + 1 >= this.times.length) this.grow();
    const times = this.times;
    const seqs = this.seqs;
    const slots = this.slots;
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent];
      if (pt < time || (pt === time && seqs[parent] < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent];
      slots[i] = slots[parent];
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    slots[i] = slot;
  }

  clear(): void {
    this.times.fill(Infinity, 0, this.count);
    this.count = 0;
    this.rootTaken = false;
  }

  private fillRootFromLast(): void {
    this.rootTaken = false;
    const n = --this.count;
    const time = this.times[n];
    this.times[n] = Infinity;
    if (n > 0) this.fillHole(time, this.seqs[n], this.slots[n], n);
  }

  /** The root is a hole in a heap of n entries (the hole included); place (time, seq, slot). */
  private fillHole(time: number, seq: number, slot: number, n: number): void {
    const times = this.times;
    const seqs = this.seqs;
    const slots = this.slots;
    let i = 0;
    let child = 1;
    while (child < n) {
      const tr = times[child + 1];
      const tc = times[child];
      if (tr === tc) {
        if (child + 1 < n && seqs[child + 1] < seqs[child]) child++;
      } else {
        child += +(tr < tc);
      }
      times[i] = times[child];
      seqs[i] = seqs[child];
      slots[i] = slots[child];
      i = child;
      child = 2 * i + 1;
    }
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent];
      if (pt < time || (pt === time && seqs[parent] < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent];
      slots[i] = slots[parent];
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    slots[i] = slot;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const times = new Float64Array(cap).fill(Infinity);
    const seqs = new Float64Array(cap);
    const slots = new Int32Array(cap);
    times.set(this.times.subarray(0, this.count));
    seqs.set(this.seqs);
    slots.set(this.slots);
    this.times = times;
    this.seqs = seqs;
    this.slots = slots;
  }
}
