/**
 * produceStallMs works on runs of records (reports/stall.ts); the per-record reckoning it
 * replaced is kept as the oracle (helpers/stallPerRecord.ts). On random histories (batches sent,
 * acknowledged, written without acks, failed with and without their batch, out of order, in
 * ranges that cut across batches, at equal times) both give the same stall for every key.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { KafkaHistory } from "../sim/nodes/kafka/History.js";
import type { Simulation } from "../sim/Simulation.js";
import { produceStalls } from "../reports/stall.js";
import { produceStallsPerRecord } from "./helpers/stallPerRecord.js";

type Op =
  | { kind: "send" | "ack" | "written" | "fail"; key: number; batch: number; span: number; dtUs: number; arrivalLagUs: number }
  | { kind: "failUnindexed"; key: number; count: number; dtUs: number; error: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom("send" as const, "ack" as const, "written" as const, "fail" as const),
    key: fc.nat(2),
    batch: fc.nat(11),
    // A row over one batch, or (rarely) over two or three: the runs must cut across rows.
    span: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) }),
    dtUs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3_000_000 })),
    arrivalLagUs: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2_000_000 })),
  }),
  fc.record({
    kind: fc.constant("failUnindexed" as const),
    key: fc.nat(2),
    count: fc.integer({ min: 1, max: 12 }),
    dtUs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3_000_000 })),
    error: fc.constantFrom("TIMEOUT (delivery.timeout.ms)", "NOT_ENOUGH_REPLICAS", "BUFFER_EXHAUSTED", "TIMEOUT (max.block.ms)"),
  }),
);

const historyArb = fc.record({
  // Per key, the records per batch (batch b holds the records after those of batches 0..b-1).
  batchSizes: fc.array(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 12, maxLength: 12 }), { minLength: 3, maxLength: 3 }),
  ops: fc.array(opArb, { maxLength: 60 }),
  tailUs: fc.nat(5_000_000),
});

const KEYS: Array<[string, number]> = [
  ["p1", 0],
  ["p1", 1],
  ["p2", 0],
];

function build(input: { batchSizes: number[][]; ops: Op[]; tailUs: number }): { h: KafkaHistory; endUs: number } {
  const clock = { now: 0, marks: { hit: () => undefined }, violate: () => undefined };
  const h = new KafkaHistory(clock as unknown as Simulation);
  const firsts = input.batchSizes.map((sizes: number[]) => sizes.reduce<number[]>((acc: number[], _n: number, i: number) => [...acc, i === 0 ? 0 : acc[i - 1] + sizes[i - 1]], []));
  for (const op of input.ops) {
    clock.now += op.dtUs;
    const [producer, partition] = KEYS[op.key];
    if (op.kind === "failUnindexed") {
      const noPartition = op.error === "TIMEOUT (max.block.ms)";
      h.onFail(producer, "t", noPartition ? -1 : partition, op.count, op.error);
      continue;
    }
    const sizes = input.batchSizes[op.key];
    const last = Math.min(op.batch + op.span, sizes.length) - 1;
    const first = firsts[op.key][op.batch];
    const count = firsts[op.key][last] + sizes[last] - first;
    const arrivals = Array.from({ length: count }, (_, i) => Math.max(0, clock.now - op.arrivalLagUs - 1 + i));
    if (op.kind === "send") h.onSend(producer, "t", partition, first, count, 100);
    else if (op.kind === "ack") h.onAck(producer, "t", partition, first, count, 100, first, arrivals);
    else if (op.kind === "written") h.onSentWithoutAck(producer, "t", partition, first, count, 100, arrivals);
    else h.onFail(producer, "t", partition, count, "NOT_ENOUGH_REPLICAS", first, op.arrivalLagUs < 0 ? undefined : arrivals);
  }
  return { h, endUs: clock.now + input.tailUs };
}

describe("produceStallMs on runs of records", () => {
  it("equals the per-record reckoning on random histories", () => {
    fc.assert(
      fc.property(historyArb, (input) => {
        const { h, endUs } = build(input);
        expect([...produceStalls(h, endUs)]).toEqual([...produceStallsPerRecord(h, endUs)]);
      }),
      { numRuns: 400, seed: 1, verbose: true },
    );
  });

  it("can tell a wrong stall: a history whose answer the oracle knows", () => {
    const clock = { now: 1_000, marks: { hit: () => undefined }, violate: () => undefined };
    const h = new KafkaHistory(clock as unknown as Simulation);
    h.onAck("p1", "t", 0, 0, 3, 10, 0, [0, 1, 2]);
    clock.now = 4_000;
    h.onAck("p1", "t", 0, 3, 2, 10, 3, [500, 600]); // waiting from 1 ms to 4 ms
    const ours = produceStalls(h, 10_000).get("p1/t-0")!;
    expect(ours).toEqual(produceStallsPerRecord(h, 10_000).get("p1/t-0")!);
    expect([ours.fromUs, ours.toUs, ours.ms]).toEqual([1_000, 4_000, 3]);
  });
});
