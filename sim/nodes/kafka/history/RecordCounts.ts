/**
 * How many times each record of one stream (record indices 0, 1, 2, ...) was processed, kept as
 * runs of equal counts: a consumer group processes a stream mostly in order and mostly once, so
 * the runs are few (one per gap, per stretch processed again) whatever the number of records.
 * Counts stop at 65535.
 */
const MAX_COUNT = 65535;

export class RecordCounts {
  /** Run r covers indices [starts[r], starts[r + 1]) (the last run: up to `end`) and has count values[r]; starts[0] is 0. */
  private readonly starts: number[] = [];
  private readonly values: number[] = [];
  /** Indices from here on were never processed. */
  private end = 0;

  /** The processings of record `index`. */
  get(index: number): number {
    if (index < 0 || index >= this.end) return 0;
    return this.values[this.runOf(index)];
  }

  /** Adds one processing to each record in [from, to); returns how many of them had been processed before. */
  add(from: number, to: number): number {
    if (from >= to) return 0;
    const { starts, values } = this;
    const last = values.length - 1;
    // In order, once: the last run of ones grows (or a gap of zeros comes before a new run).
    if (from >= this.end) {
      if (from > this.end) this.append(this.end, 0);
      this.append(from, 1);
      this.end = to;
      return 0;
    }
    if (to > this.end) {
      if (values[last] !== 0) {
        starts.push(this.end);
        values.push(0);
      }
      this.end = to;
    }
    const first = this.split(from);
    const stop = to < this.end ? this.split(to) : values.length;
    let before = 0;
    for (let r = first; r < stop; r++) {
      if (values[r] > 0) before += this.runEnd(r) - starts[r];
      if (values[r] < MAX_COUNT) values[r]++;
    }
    this.merge(first, stop);
    return before;
  }

  /** Records in [from, to) never processed. */
  zerosIn(from: number, to: number): number {
    if (from >= to) return 0;
    let zeros = to > this.end ? to - Math.max(from, this.end) : 0;
    if (from >= this.end) return zeros;
    for (let r = this.runOf(Math.max(0, from)); r < this.values.length && this.starts[r] < to; r++) {
      if (this.values[r] === 0) zeros += Math.min(this.runEnd(r), to) - Math.max(this.starts[r], from);
    }
    return zeros;
  }

  /** Runs held (for tests and measurements). */
  get runs(): number {
    return this.values.length;
  }

  /** A run of `value` from `start` to the current end, joined to the last run when it has that value. */
  private append(start: number, value: number): void {
    if (this.values.length > 0 && this.values[this.values.length - 1] === value) return;
    this.starts.push(start);
    this.values.push(value);
  }

  private runEnd(r: number): number {
    return r + 1 < this.starts.length ? this.starts[r + 1] : this.end;
  }

  /** The run holding index (0 <= index < end). */
  private runOf(index: number): number {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Makes a run start at index (0 <= index < end); returns that run. */
  private split(index: number): number {
    const r = this.runOf(index);
    if (this.starts[r] === index) return r;
    this.starts.splice(r + 1, 0, index);
    this.values.splice(r + 1, 0, this.values[r]);
    return r + 1;
  }

  /** Joins runs of equal counts among runs first - 1 .. stop. */
  private merge(first: number, stop: number): void {
    const { starts, values } = this;
    for (let r = Math.min(stop, values.length - 1); r >= Math.max(1, first); r--) {
      if (values[r] === values[r - 1]) {
        starts.splice(r, 1);
        values.splice(r, 1);
      }
    }
  }
}
