import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LatencyRecorder, latencyHistogram } from "../sim/nodes/kafka/LatencyRecorder.js";
import type { Histogram } from "hdr-histogram-js";

/** Everything a report reads of a histogram, and every non-zero count. */
function shape(h: Histogram): unknown {
  const counts: Array<[number, number]> = [];
  const raw = h as unknown as { countsArrayLength: number; getCountAtIndex(i: number): number };
  for (let i = 0; i < raw.countsArrayLength; i++) if (raw.getCountAtIndex(i) !== 0) counts.push([i, raw.getCountAtIndex(i)]);
  const ps = [0, 1, 50, 90, 99, 99.9, 99.99, 100].map((p) => h.getValueAtPercentile(p));
  return { total: h.totalCount, max: h.maxValue, min: h.minNonZeroValue, mean: h.mean, sd: h.stdDeviation, ps, counts };
}

const value = fc.oneof(
  fc.integer({ min: 1, max: 5_000 }),
  fc.integer({ min: 1, max: 3_600_000_000 }),
  fc.double({ min: 1, max: 50_000_000, noNaN: true }),
  fc.integer({ min: 3_600_000_001, max: 20_000_000_000 }),
);

describe("LatencyRecorder", () => {
  it("gives the histogram that recording every value gives: counts, total, exact min and max, percentiles", () => {
    fc.assert(
      fc.property(fc.array(fc.array(value, { maxLength: 200 }), { minLength: 1, maxLength: 4 }), (rounds) => {
        const direct = latencyHistogram();
        const fast = new LatencyRecorder();
        for (const values of rounds) {
          for (const v of values) {
            direct.recordValue(v);
            fast.record(v);
          }
          // Read between rounds too: a flush, then more values.
          expect(shape(fast.histogram)).toEqual(shape(direct));
        }
      }),
      { numRuns: 50 },
    );
  });

  it("keeps the exact min and max when every value falls in one bucket", () => {
    const fast = new LatencyRecorder();
    for (const v of [80_001, 80_020, 80_010]) fast.record(v);
    expect(fast.histogram.minNonZeroValue).toBe(80_001);
    expect(fast.histogram.maxValue).toBe(80_020);
    expect(fast.histogram.totalCount).toBe(3);
  });
});
