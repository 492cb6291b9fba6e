/**
 * The compact history storage (sim/Columns.ts, sim/nodes/kafka/history/): each structure reads
 * back exactly what a plain array would hold, checked against one on random inputs.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { NumberColumn, Interner, TimeSeries } from "../sim/Columns.js";
import { RecordCounts } from "../sim/nodes/kafka/history/RecordCounts.js";
import { AckLog, BatchEventLog, Streams } from "../sim/nodes/kafka/history/BatchLog.js";

describe("NumberColumn", () => {
  it("reads back every number pushed, exactly, across chunks and each width (Int8, Int16, Int32, Float64)", () => {
    const edges = [0, 1, -1, 127, -128, 128, -129, 32767, -32768, 32768, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 0.5, -0, NaN, Infinity, -Infinity, 1e15 + 3];
    // Runs of small values that later chunks widen at different points.
    const values = Array.from({ length: 20_000 }, (_, i) => (i % 5000 === 4999 ? edges[(i / 5000) | 0] * 3 + 0.25 : i % 7)).concat(edges, Array.from({ length: 5000 }, (_, i) => i * 1000));
    const c = new NumberColumn();
    for (const v of values) c.push(v);
    expect(c.length).toBe(values.length);
    values.forEach((v, i) => expect(Object.is(c.get(i), v)).toBe(true));
  });

  it("keeps -0 apart from 0", () => {
    const c = new NumberColumn();
    c.push(1);
    c.push(-0);
    expect(Object.is(c.get(1), -0)).toBe(true);
  });

  it("matches an array on random doubles and integers", () => {
    const value = fc.oneof(fc.integer({ min: -200, max: 200 }), fc.integer({ min: -40_000, max: 40_000 }), fc.integer(), fc.double());
    fc.assert(
      fc.property(fc.array(value, { maxLength: 300 }), fc.nat(9000), (values, pad) => {
        const c = new NumberColumn();
        const all = [...Array.from({ length: pad }, (_, i) => i & 63), ...values];
        for (const v of all) c.push(v);
        return c.length === all.length && all.every((v, i) => Object.is(c.get(i), v));
      }),
      { numRuns: 200 },
    );
  });
});

describe("Interner and TimeSeries", () => {
  it("gives ids in order first seen and reads names back", () => {
    const n = new Interner();
    expect([n.id("a"), n.id("b"), n.id("a")]).toEqual([0, 1, 0]);
    expect([n.name(0), n.name(1), n.size]).toEqual(["a", "b", 2]);
  });

  it("a time series reads back its samples and their max", () => {
    const t = new TimeSeries();
    expect(t.maxValue()).toBe(-Infinity);
    for (let i = 0; i < 100; i++) t.push(i * 1e6, (i * 37) % 101);
    expect([t.length, t.atUs(99), t.value(99), t.maxValue()]).toEqual([100, 99e6, (99 * 37) % 101, 100]);
  });
});

describe("RecordCounts", () => {
  /** What ConsumerHistory kept before: a count per record, up to 65535. */
  function naive(): { add(from: number, to: number): number; get(i: number): number; zerosIn(from: number, to: number): number } {
    const counts: number[] = [];
    return {
      add(from, to) {
        let seen = 0;
        for (let i = from; i < to; i++) {
          const c = counts[i] ?? 0;
          if (c > 0) seen++;
          if (c < 65535) counts[i] = c + 1;
        }
        return seen;
      },
      get: (i) => counts[i] ?? 0,
      zerosIn(from, to) {
        let n = 0;
        for (let i = from; i < to; i++) if ((counts[i] ?? 0) === 0) n++;
        return n;
      },
    };
  }

  it("in-order processing once is one run, however many records", () => {
    const c = new RecordCounts();
    for (let i = 0; i < 100_000; i += 50) expect(c.add(i, i + 50)).toBe(0);
    expect(c.runs).toBe(1);
    expect([c.get(0), c.get(99_999), c.get(100_000), c.zerosIn(0, 100_010)]).toEqual([1, 1, 0, 10]);
  });

  it("a gap, a late start and a stretch processed again", () => {
    const c = new RecordCounts();
    c.add(10, 20);
    c.add(30, 40);
    expect(c.add(15, 35)).toBe(10);
    expect([c.get(9), c.get(10), c.get(15), c.get(20), c.get(25), c.get(30), c.get(35), c.get(40)]).toEqual([0, 1, 2, 1, 1, 2, 1, 0]);
    expect(c.zerosIn(0, 50)).toBe(10 + 10);
  });

  it("matches a count per record on random ranges", () => {
    const range = fc.tuple(fc.nat(300), fc.nat(60)).map(([from, n]) => [from, from + n] as const);
    fc.assert(
      fc.property(fc.array(range, { maxLength: 60 }), fc.array(range, { maxLength: 10 }), (adds, queries) => {
        const c = new RecordCounts();
        const n = naive();
        for (const [from, to] of adds) if (c.add(from, to) !== n.add(from, to)) return false;
        for (let i = 0; i < 400; i++) if (c.get(i) !== n.get(i)) return false;
        return queries.every(([from, to]) => c.zerosIn(from, to) === n.zerosIn(from, to));
      }),
      { numRuns: 500 },
    );
  });

  it("stops counting at 65535", () => {
    const c = new RecordCounts();
    for (let i = 0; i < 65_540; i++) c.add(0, 2);
    expect([c.get(0), c.get(1), c.runs]).toEqual([65535, 65535, 1]);
  });
});

describe("batch logs", () => {
  it("read back rows as the objects the history used to keep", () => {
    const streams = new Streams();
    const acks = new AckLog(streams);
    const fails = new BatchEventLog(streams, { arrivals: true, errors: true });
    const sends = new BatchEventLog(streams, { arrivals: false, errors: false });
    for (let i = 0; i < 1000; i++) acks.push(`p${i % 3}`, "t", i % 7, i, 5, 500, 2 ** 31 + i, i * 1.5, i * 10);
    fails.push("p1", "t", -1, -1, 3, 0, -1, 7, "TIMEOUT (max.block.ms)");
    sends.push("p0", "u", 2, 4, 1, 10, -1, 8);
    expect(acks.at(999)).toEqual({ producer: "p0", topic: "t", partition: 999 % 7, firstIndex: 999, count: 5, offset: 2 ** 31 + 999, bytes: 500, firstArrivalUs: 999 * 1.5, atUs: 9990 });
    expect([...fails]).toEqual([{ producer: "p1", topic: "t", partition: -1, firstIndex: -1, count: 3, bytes: 0, firstArrivalUs: -1, atUs: 7, error: "TIMEOUT (max.block.ms)" }]);
    expect(sends.toArray()).toEqual([{ producer: "p0", topic: "u", partition: 2, firstIndex: 4, count: 1, bytes: 10, firstArrivalUs: -1, atUs: 8 }]);
    expect(streams.key(sends.stream(0))).toBe("p0/u-2");
    expect(streams.size).toBe(3 * 7 + 2);
  });
});
