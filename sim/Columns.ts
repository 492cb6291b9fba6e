/**
 * Compact, append-only columns for histories that grow with the run: a number takes 4 or 8 bytes
 * in a typed array (doubled in size when full) instead of a field of a JS object per row, and a
 * string that repeats (a producer's id, an error) is kept once and stored as a small integer id.
 */

/** A growable column of any numbers, exact: Int32 while every value pushed is a 32-bit integer, Float64 from the first that is not. */
export class NumberColumn {
  length = 0;
  private ints: Int32Array | null;
  private doubles: Float64Array | null = null;

  constructor(capacity = 256) {
    this.ints = new Int32Array(capacity);
  }

  push(v: number): void {
    const ints = this.ints;
    if (ints !== null) {
      // -0 is not a 32-bit integer: it would come back as 0.
      if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
        if (this.length === ints.length) {
          const bigger = new Int32Array(ints.length * 2);
          bigger.set(ints);
          this.ints = bigger;
          bigger[this.length++] = v;
        } else ints[this.length++] = v;
        return;
      }
      this.doubles = Float64Array.from(ints);
      this.ints = null;
    }
    let d = this.doubles!;
    if (this.length === d.length) {
      const bigger = new Float64Array(d.length * 2);
      bigger.set(d);
      this.doubles = d = bigger;
    }
    d[this.length++] = v;
  }

  get(i: number): number {
    return this.ints !== null ? this.ints[i] : this.doubles![i];
  }
}

/** A growable column of doubles (times in µs). */
export class Float64Column {
  length = 0;
  private data: Float64Array;

  constructor(capacity = 256) {
    this.data = new Float64Array(capacity);
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }

  get(i: number): number {
    return this.data[i];
  }
}

/** Strings by small integer id, in the order first seen. */
export class Interner {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  name(id: number): string {
    return this.names[id];
  }

  get size(): number {
    return this.names.length;
  }
}

/** Samples of a value over time (both exact numbers), in the order taken. */
export class TimeSeries {
  private readonly times = new Float64Column(64);
  private readonly values = new NumberColumn(64);

  get length(): number {
    return this.times.length;
  }

  push(atUs: number, value: number): void {
    this.times.push(atUs);
    this.values.push(value);
  }

  atUs(i: number): number {
    return this.times.get(i);
  }

  value(i: number): number {
    return this.values.get(i);
  }

  /** The largest value (Math.max over all samples; -Infinity when none). */
  maxValue(): number {
    let max = -Infinity;
    for (let i = 0; i < this.values.length; i++) max = Math.max(max, this.values.get(i));
    return max;
  }
}
