/**
 * Compact, append-only columns for histories that grow with the run: a number takes 1 to 8 bytes
 * in a typed array instead of a field of a JS object per row, and a string that repeats (a
 * producer's id, an error) is kept once and stored as a small integer id.
 */

const CHUNK_BITS = 12;
/** Rows per chunk: a column holds full chunks and one being filled, so at most this many rows of slack. */
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;
/** The first chunk starts this small and doubles up to CHUNK, for columns that stay short. */
const FIRST_CAPACITY = 64;

type Chunk = Int8Array | Int16Array | Int32Array | Float64Array;
/** Chunk kinds, narrowest first: Int8, Int16, Int32, Float64. */
const KINDS = [Int8Array, Int16Array, Int32Array, Float64Array] as const;

/** The narrowest kind that holds v exactly (-0 is not an integer here: it would come back as 0). */
function kindOf(v: number): number {
  if ((v | 0) !== v || (v === 0 && 1 / v < 0)) return 3;
  if (v >= -128 && v <= 127) return 0;
  if (v >= -32768 && v <= 32767) return 1;
  return 2;
}

/**
 * A growable column of any numbers, exact, in chunks of 4,096 rows: each chunk is the narrowest
 * typed array that holds its values (Int8, Int16, Int32, else Float64), widened when a value does
 * not fit. Full chunks are never copied again, and no more than one chunk is slack.
 */
export class NumberColumn {
  length = 0;
  private readonly chunks: Chunk[] = [];
  /** The chunk being filled, and its kind. */
  private last: Chunk = new Int8Array(0);
  private kind = 0;

  push(v: number): void {
    const i = this.length;
    const at = i & MASK;
    if (at === 0) {
      this.kind = kindOf(v);
      this.last = new KINDS[this.kind](i === 0 ? FIRST_CAPACITY : CHUNK);
      this.chunks.push(this.last);
    } else {
      if (at === this.last.length) this.resize(this.kind, at * 2);
      if (this.kind < 3) {
        const k = kindOf(v);
        if (k > this.kind) this.resize(k, this.last.length);
      }
    }
    this.last[at] = v;
    this.length = i + 1;
  }

  get(i: number): number {
    return this.chunks[i >>> CHUNK_BITS][i & MASK];
  }

  /** The chunk being filled, copied into one of `kind` and `capacity` rows. */
  private resize(kind: number, capacity: number): void {
    const bigger = new KINDS[kind](capacity);
    bigger.set(this.last);
    this.kind = kind;
    this.last = bigger;
    this.chunks[this.chunks.length - 1] = bigger;
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
  private readonly times = new NumberColumn();
  private readonly values = new NumberColumn();

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
