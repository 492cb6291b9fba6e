/**
 * Latency over simulated time: per second, a histogram of the latencies of the things that ended
 * in that second (a consumer group's records, by when their processing ended), so that a report
 * can draw a percentile per time bucket after the run. Whole-run percentiles come from the HDR
 * recorders (LatencyRecorder.ts); this keeps only what a chart needs.
 *
 * Bins are log-linear, 16 per power of two (exact below 32 µs): a bin is at most 1/16 of its
 * value wide, so a percentile read as the bin's middle is within about 3% of the exact one.
 * Values end up out of time order (a poll's records are counted when its processing is over,
 * and members finish at different times), so the seconds still taking values are dense arrays,
 * and older seconds are moved into columns of (second, bin, count) rows, a row per bin used.
 * A value for a second already moved simply adds a row: a reader sums rows.
 *
 * Recording changes nothing in the simulation: no draw, no event, no trace record.
 */
import { NumberColumn } from "../../../Columns.js";

/** Values at or above 2^MAX_EXPONENT µs (12.7 days, past any run the limits allow) share the last bin. */
const MAX_EXPONENT = 40;
const TOP = 2 ** MAX_EXPONENT - 1;
const TWO_POW_32 = 4294967296;

/**
 * Log-linear bins of µs values: 2^subBits bins per power of two, exact (one per µs) below
 * 2^(subBits + 1). A bin is at most 2^-subBits of its value wide.
 */
export class LogBins {
  /** Bins 0..count-1; bin 0 holds values below 1 µs. */
  readonly count: number;
  private readonly sub: number;
  /** Values below this have a bin each. */
  private readonly exactBelow: number;

  constructor(private readonly subBits: number) {
    this.sub = 2 ** subBits;
    this.exactBelow = 2 * this.sub;
    this.count = (MAX_EXPONENT - subBits + 1) * this.sub;
  }

  /** The bin of a value (clamped to [0, 2^40)). */
  bin(valueUs: number): number {
    const v = valueUs >= 0 ? Math.min(valueUs, TOP) : 0;
    if (v < TWO_POW_32) {
      // Integer arithmetic on the hot path (a recorded value per processed record).
      const u = v >>> 0;
      if (u < this.exactBelow) return u;
      const shift = 31 - Math.clz32(u) - this.subBits;
      return shift * this.sub + (u >>> shift);
    }
    const w = Math.floor(v);
    let e = Math.floor(Math.log2(w));
    // Math.log2 may round near a power of two; 2^e <= w < 2^(e+1) must hold exactly.
    if (2 ** e > w) e--;
    else if (2 ** (e + 1) <= w) e++;
    const shift = e - this.subBits;
    return shift * this.sub + Math.floor(w / 2 ** shift);
  }

  /** The middle of a bin's integer values (the value itself in the exact bins). */
  middleUs(bin: number): number {
    if (bin < this.exactBelow) return bin;
    const shift = Math.floor(bin / this.sub) - 1;
    const low = (bin - shift * this.sub) * 2 ** shift;
    return low + (2 ** shift - 1) / 2;
  }
}

/** The bins kept per second: 16 per power of two, about 3% read at a bin's middle. */
export const SECOND_BINS = new LogBins(4);

/** Open seconds beyond which the older ones are moved into the columns. */
const OPEN_SECONDS = 16;

export class LatencyBySecond {
  /** Seconds still taking values: a count per bin. */
  private readonly open = new Map<number, Uint32Array>();
  /** The second recorded last and its bins: consecutive values mostly share a second. */
  private lastSecond = -1;
  private last: Uint32Array | null = null;
  private readonly seconds = new NumberColumn();
  private readonly bins = new NumberColumn();
  private readonly counts = new NumberColumn();

  /** One value (µs) that ended at atUs. */
  record(atUs: number, valueUs: number): void {
    const second = Math.floor(atUs / 1_000_000);
    if (second !== this.lastSecond || this.last === null) {
      let counts = this.open.get(second);
      if (counts === undefined) this.open.set(second, (counts = new Uint32Array(SECOND_BINS.count)));
      this.lastSecond = second;
      this.last = counts;
    }
    this.last[SECOND_BINS.bin(valueUs)]++;
  }

  /** Moves the seconds before nowUs's into the columns, once more than a few are open. */
  settle(nowUs: number): void {
    if (this.open.size <= OPEN_SECONDS) return;
    const current = Math.floor(nowUs / 1_000_000);
    const old = [...this.open.keys()].filter((s) => s < current).sort((a, b) => a - b);
    for (const s of old) {
      this.pushRows(s, this.open.get(s) as Uint32Array);
      this.open.delete(s);
    }
    this.lastSecond = -1;
    this.last = null;
  }

  /** Every (second, bin, count) recorded; a (second, bin) may come in several rows, to be summed. */
  forEach(fn: (second: number, bin: number, count: number) => void): void {
    for (let i = 0; i < this.seconds.length; i++) fn(this.seconds.get(i), this.bins.get(i), this.counts.get(i));
    for (const s of [...this.open.keys()].sort((a, b) => a - b)) {
      const counts = this.open.get(s) as Uint32Array;
      for (let b = 0; b < counts.length; b++) if (counts[b] > 0) fn(s, b, counts[b]);
    }
  }

  private pushRows(second: number, counts: Uint32Array): void {
    for (let b = 0; b < counts.length; b++) {
      if (counts[b] === 0) continue;
      this.seconds.push(second);
      this.bins.push(b);
      this.counts.push(counts[b]);
    }
  }
}
