/**
 * Latency values, one per record, collected into an HDR histogram (hdr-histogram-js) at a fraction
 * of its per-value cost: the library finds a value's bucket with Math.log2 and Math.pow through
 * four method calls, and a run records millions of values. Here the bucket index is computed
 * inline with the same arithmetic in integers (for a value v >= 1 below 2^32, floor(log2 v) is
 * 31 - clz32(v), and a fractional v falls in the bucket of floor(v)), counted in a typed array,
 * and handed to the histogram in one pass when it is read. The histogram then holds exactly what
 * recording each value would have given: the same count at every index, the same total, and the
 * same exact min and max (each bucket's count is recorded at a value inside that bucket, the
 * smallest and largest buckets' at the exact min and max). test/latencyRecorder.test.ts compares
 * the two value by value.
 */
import * as hdr from "hdr-histogram-js";

/** A latency histogram in µs: 1 µs to an hour, 3 significant digits (produce and end-to-end latency alike). */
export function latencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

/** The JsHistogram fields the index arithmetic needs (set in its constructor, public in JS). */
interface HistogramLayout {
  unitMagnitude: number;
  subBucketHalfCountMagnitude: number;
  subBucketHalfCount: number;
  countsArrayLength: number;
}

const TWO_POW_32 = 4294967296;

export class LatencyRecorder {
  private readonly hist = latencyHistogram();
  private readonly counts: Float64Array;
  private readonly unitMagnitude: number;
  private readonly halfMagnitude: number;
  private readonly half: number;
  private pending = 0;
  private min = Infinity;
  private max = -Infinity;

  constructor() {
    const layout = this.hist as unknown as HistogramLayout;
    this.unitMagnitude = layout.unitMagnitude;
    this.halfMagnitude = layout.subBucketHalfCountMagnitude;
    this.half = layout.subBucketHalfCount;
    this.counts = new Float64Array(layout.countsArrayLength);
  }

  /** Records one value (>= 1). */
  record(value: number): void {
    if (!(value >= 1 && value < TWO_POW_32)) {
      this.hist.recordValue(value);
      return;
    }
    const v = value >>> 0;
    const bucket = Math.max(31 - Math.clz32(v) - this.halfMagnitude - this.unitMagnitude, 0);
    const index = (bucket + 1) * this.half + (v >>> (bucket + this.unitMagnitude)) - this.half;
    if (index >= this.counts.length) {
      this.hist.recordValue(value);
      return;
    }
    this.counts[index]++;
    this.pending++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** The histogram of every value recorded so far. */
  get histogram(): hdr.Histogram {
    if (this.pending > 0) this.flush();
    return this.hist;
  }

  private flush(): void {
    const c = this.counts;
    let first = -1;
    let last = -1;
    for (let i = 0; i < c.length; i++) {
      if (c[i] === 0) continue;
      if (first < 0) first = i;
      last = i;
    }
    for (let i = first; i <= last; i++) {
      if (c[i] === 0) continue;
      // Every value of a bucket counts alike; the end buckets' at the exact extremes, so the
      // histogram's exact min and max are those recorded.
      const at = i === first ? this.min : i === last ? this.max : this.lowestValueAt(i);
      this.hist.recordValueWithCount(at, c[i]);
      if (i === first && i === last && c[i] > 1) {
        this.hist.recordValueWithCount(this.max, 0);
      }
      c[i] = 0;
    }
    this.pending = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }

  /** JsHistogram.valueFromIndex. */
  private lowestValueAt(index: number): number {
    let bucket = (index >> this.halfMagnitude) - 1;
    let sub = (index & (this.half - 1)) + this.half;
    if (bucket < 0) {
      sub -= this.half;
      bucket = 0;
    }
    return sub * 2 ** (bucket + this.unitMagnitude);
  }
}
