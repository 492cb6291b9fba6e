/**
 * Metrics that cannot be fooled (issue 8, item 6): one test per rule, each failing without it.
 * lostAcked reads what a consumer could read at the end (below the final leader's high
 * watermark; with the final leader down, the replica the controller would elect); acks=0 sends
 * are never acknowledged; divergence compares the ISR below the high watermark even with the
 * final leader down; produceStallMs; throughput over a stated window; latency warm-up; an
 * `expect:` on an unmeasured metric fails.
 */
import { afterEach, describe, expect, it } from "vitest";
import { loadScenario, formatProblem } from "../scenarios/loader.js";
import { runScenario } from "../scenarios/runner.js";
import { computeMetrics, meanOf, percentileOf } from "../reports/metrics.js";
import { logOf } from "../reports/readReplica.js";
import * as hdr from "hdr-histogram-js";
import { evaluateChecks } from "../reports/checks.js";
import { produceStalls } from "../reports/stall.js";
import { perfTestSummaries } from "../reports/perfTest.js";
import { KafkaHistory } from "../sim/nodes/kafka/History.js";
import type { Simulation } from "../sim/Simulation.js";
import type { RecordBatch } from "../sim/nodes/kafka/log/Log.js";
import type { World } from "../scenarios/world.js";

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

function scenario(o: { duration: string; settle?: string; producer: string; faults?: string; extra?: string }): string {
  return [
    "name: metrics",
    `duration: ${o.duration}`,
    `settle: ${o.settle ?? "2s"}`,
    'kafka: { version: "3.6" }',
    "cluster: { racks: [a, b, c], brokers: 3, hardware: ssd-10gbe }",
    "topics: [{ name: orders, partitions: 1, replication.factor: 3 }]",
    `producers: [{ id: p1, topic: orders, messageBytes: 200, ${o.producer} }]`,
    `faults: ${o.faults ?? "[]"}`,
    o.extra ?? "",
    "",
  ].join("\n");
}

function run(text: string, untilUs?: number) {
  const r = loadScenario(text, "metrics.yaml", []);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  const outcome = runScenario(r.scenario, { seed: 1, untilUs });
  return { outcome, world: outcome.world, metrics: () => computeMetrics(outcome) };
}

/** Acknowledged records whose offset is at or past `end` (what a reader stopping there misses). */
function ackedFrom(world: World, end: number): number {
  let n = 0;
  for (const a of world.history.acks) for (let o = a.offset; o < a.offset + a.count; o++) if (o >= end) n++;
  return n;
}

const logEnd = (batches: RecordBatch[]): number => (batches.length === 0 ? 0 : batches[batches.length - 1].baseOffset + batches[batches.length - 1].count);

// acks=1 with replication trailing the leader by 80 ms: the leader acknowledges past its high watermark.
const LAGGING = scenario({
  duration: "10s",
  producer: "rate: 2000/s, config: { acks: 1, linger.ms: 5 }",
  faults: '[{ at: 3s, latency: { between: [["leader:orders-0"], ["followers:orders-0"]], add: 80ms }, for: 20s }]',
});

describe("lostAcked: what a consumer could read at the end", () => {
  it("counts acknowledged records at or above the final leader's high watermark as lost", () => {
    const { world, metrics } = run(LAGGING, 4_500_000);
    const m = metrics();
    const p = m.partitions[0];
    expect(p.readFrom.basis).toBe("final leader");
    expect(p.readFrom.broker).toBe(p.finalLeader);
    const leo = logEnd(logOf(world, p.finalLeader, p.key));
    expect(p.readFrom.readableEnd).toBeLessThan(leo);
    expect(m.lostAcked).toBeGreaterThan(0);
    expect(m.lostAcked).toBe(ackedFrom(world, p.readFrom.readableEnd));
  });

  it("with the final leader down, reads the replica the controller would elect (first live ISR member in assignment order)", () => {
    const { world, metrics } = run(LAGGING, 4_500_000);
    const before = metrics().partitions[0];
    const leader = before.finalLeader;
    world.brokers.get(leader)!.crash();
    const m = metrics();
    const p = m.partitions[0];
    const expected = p.replicas.find((r) => r !== leader && p.finalIsr.includes(r))!;
    expect(p.finalLeader).toBe(leader);
    expect(p.readFrom.basis).toBe("controller would elect");
    expect(p.readFrom.broker).toBe(expected);
    // The dead leader's log holds the records it acknowledged alone; the elected one does not.
    expect(p.readFrom.readableEnd).toBe(logEnd(logOf(world, expected, p.key)));
    expect(p.readFrom.readableEnd).toBeLessThan(logEnd(logOf(world, leader, p.key)));
    expect(m.lostAcked).toBeGreaterThan(0);
    expect(m.lostAcked).toBe(ackedFrom(world, p.readFrom.readableEnd));
  });

  it("with no live ISR member, reads the ISR member that leads once back", () => {
    const { world, metrics } = run(LAGGING, 4_500_000);
    for (const [, host] of world.brokers) host.crash();
    const p = metrics().partitions[0];
    expect(p.readFrom.basis).toBe("last ISR member, once back");
    expect(p.readFrom.broker).toBe(p.replicas.find((r) => p.finalIsr.includes(r)));
  });
});

describe("acks=0", () => {
  it("sends are never counted as acknowledged, so they can be neither acked nor lost", () => {
    const { metrics } = run(scenario({ duration: "4s", producer: "rate: 1000/s, config: { acks: 0, linger.ms: 5 }" }));
    const m = metrics();
    expect(m.sentWithoutAck).toBeGreaterThan(2000);
    expect(m.acked).toBe(0);
    expect(m.lostAcked).toBe(0);
    expect(m.throughput.recordsPerSec).toBeNull();
    const [check] = evaluateChecks({ "throughput.recordsPerSec": "> 0" }, m, { count: () => 0 });
    expect(check.ok).toBe(false);
    expect(check.note).toMatch(/acks=0 sends are never acknowledged/);
  });
});

describe("divergence: ISR members below the high watermark", () => {
  /** Replaces one batch of a broker's log files by one from another producer stream (same offsets). */
  function corrupt(world: World, broker: number, key: string): RecordBatch {
    const m = world.machines.get(world.brokers.get(broker)!.name)!;
    for (const f of m.filesOn(m.disks[0])) {
      if (!f.name.startsWith(`${key}/`) || !f.name.endsWith(".log") || f.contents.length < 2) continue;
      const c = f.contents[1];
      const b = c.payload as RecordBatch;
      c.payload = { ...b, firstIndex: b.firstIndex + 1_000_000 };
      return b;
    }
    throw new Error("no segment");
  }

  it("counts an ISR member's differing records below the high watermark even when the final leader is down", () => {
    const { world, metrics } = run(scenario({ duration: "3s", producer: "rate: 1000/s, config: { acks: all, linger.ms: 5 }" }), 2_500_000);
    const p0 = metrics().partitions[0];
    world.brokers.get(p0.finalLeader)!.crash();
    const elected = metrics().partitions[0].readFrom.broker;
    const other = p0.finalIsr.find((r) => r !== p0.finalLeader && r !== elected)!;
    const b = corrupt(world, other, p0.key);
    const m = metrics();
    expect(m.partitions[0].readFrom.basis).toBe("controller would elect");
    expect(b.baseOffset + b.count).toBeLessThanOrEqual(m.partitions[0].readFrom.highWatermark);
    expect(m.divergence).toBe(b.count);
  });

  it("does not compare a replica outside the ISR", () => {
    const { world, metrics } = run(scenario({ duration: "45s", settle: "1s", producer: "rate: 200/s, config: { acks: 1, linger.ms: 5 }", faults: '[{ at: 3s, crash: "followers:orders-0" }]' }), 40_000_000);
    const p = metrics().partitions[0];
    expect(p.finalIsr).toEqual([p.finalLeader]);
    const out = p.replicas.find((r) => r !== p.finalLeader)!;
    corrupt(world, out, p.key);
    expect(metrics().divergence).toBe(0);
  });
});

describe("produceStallMs", () => {
  function history(): { h: KafkaHistory; at: (us: number) => void } {
    const clock = { now: 0, marks: { hit: () => undefined }, violate: () => undefined };
    return { h: new KafkaHistory(clock as unknown as Simulation), at: (us) => (clock.now = us) };
  }

  it("is the longest time records waited with no acknowledgement in between", () => {
    const { h, at } = history();
    at(1_000);
    h.onAck("p1", "t", 0, 0, 1, 10, 0, [0]);
    at(3_000);
    h.onAck("p1", "t", 0, 1, 1, 10, 1, [500]); // waiting from 1 ms (ack) to 3 ms
    at(10_000);
    h.onAck("p1", "t", 0, 2, 1, 10, 2, [6_000]); // nothing waited from 3 ms to 6 ms
    const s = produceStalls(h, 20_000).get("p1/t-0")!;
    expect([s.fromUs, s.toUs, s.ms]).toEqual([6_000, 10_000, 4]);
  });

  it("does not end at a failure while records still wait, and ends when nothing waits", () => {
    const { h, at } = history();
    at(1_000_000);
    h.onAck("p1", "t", 0, 0, 1, 10, 0, [0]);
    h.onSend("p1", "t", 0, 1, 1, 10); // sent at 1 s, fails at 5 s
    at(2_000_000);
    h.onSend("p1", "t", 0, 2, 1, 10); // sent at 2 s, fails at 7 s
    at(5_000_000);
    h.onFail("p1", "t", 0, 1, "TIMEOUT (delivery.timeout.ms)");
    at(7_000_000);
    h.onFail("p1", "t", 0, 1, "TIMEOUT (delivery.timeout.ms)");
    at(9_000_000);
    h.onFail("p1", "t", 0, 1, "BUFFER_EXHAUSTED"); // never entered the accumulator
    h.onFail("p1", "t", -1, 1, "TIMEOUT (max.block.ms)"); // nor did this one (no partition yet)
    const s = produceStalls(h, 20_000_000).get("p1/t-0")!;
    expect([s.fromUs, s.toUs, s.ms, s.inferredStarts]).toEqual([1_000_000, 7_000_000, 6000, 2]);
  });

  it("runs to the end of the run for records never finished, and counts acks=0 writes as progress", () => {
    const { h, at } = history();
    at(2_000);
    h.onSend("p1", "t", 0, 1, 1, 10); // never finished
    at(5_000);
    h.onSentWithoutAck("p1", "t", 0, 0, 1, 10, [0]); // waiting since 0: progress at 5 ms
    const s = produceStalls(h, 50_000).get("p1/t-0")!;
    expect([s.fromUs, s.toUs, s.ms]).toEqual([5_000, 50_000, 45]);
  });

  it("of a leader crash: from the crash until a new leader acknowledges", () => {
    const { metrics } = run(scenario({ duration: "30s", producer: "rate: 500/s, config: { acks: all, linger.ms: 5 }", faults: '[{ at: 2s, crash: "leader:orders-0" }]' }));
    const m = metrics();
    expect(m.produceStall!.fromUs).toBeGreaterThanOrEqual(1_990_000);
    expect(m.produceStall!.fromUs).toBeLessThanOrEqual(2_010_000);
    // zookeeper.session.timeout.ms (18 s in 3.6) passes before the controller moves leadership.
    expect(m.produceStallMs).toBeGreaterThan(18_000);
    expect(m.produceStallMs).toBeLessThan(22_000);
    expect(m.partitions[0].produceStallMs).toBe(m.produceStallMs);
  });
});

describe("throughput and latency windows", () => {
  const STEADY = scenario({ duration: "10s", settle: "5s", producer: "rate: 1000/s, arrivals: constant, config: { acks: all, linger.ms: 5 }" });

  it("throughput counts acknowledgements from the first one to the end of the duration", () => {
    const { world, metrics } = run(STEADY);
    const m = metrics();
    const h = world.history;
    expect(m.throughput.fromUs).toBe(h.acks.at(0).atUs);
    expect(m.throughput.toUs).toBe(10_000_000);
    expect(m.throughput.records).toBe(h.acks.toArray().filter((a) => a.atUs <= 10_000_000).reduce((s, a) => s + a.count, 0));
    // The producer writes 1,000/s once it has metadata: over the window, that is what it gets.
    expect(m.throughput.recordsPerSec).toBeGreaterThan(990);
    expect(m.throughput.recordsPerSec).toBeLessThan(1010);
  });

  it("latency leaves out records created before the warm-up", () => {
    const { world, metrics } = run(STEADY + "latencyWarmup: 5s\n");
    const m = metrics();
    expect(m.produceLatencyMs.warmupMs).toBe(5000);
    expect(m.produceLatencyMs.records).toBeGreaterThan(0);
    expect(m.produceLatencyMs.records).toBeLessThan(m.acked);
    // Batches are recorded by their first record's creation: one batch may straddle the warm-up.
    const after = world.history.acks.toArray().filter((a) => a.firstArrivalUs >= 5_000_000).reduce((s, a) => s + a.count, 0);
    expect(m.produceLatencyMs.records).toBeGreaterThanOrEqual(after);
    expect(m.produceLatencyMs.records).toBeLessThan(after + 50);
  });
});

describe("latency percentiles and max from one histogram", () => {
  it("no percentile is above the max: HDR answers a percentile with the top of its bucket, the max is exact", () => {
    // 80 ms added between the producer and the brokers: latencies of 80 to 320 ms,
    // where a bucket is 64 to 256 µs wide; fewer than 1,000 records, so p99.9 is the max's bucket.
    const { metrics } = run(scenario({ duration: "3s", producer: "rate: 200/s, config: { acks: 1 }", faults: "[{ at: 0s, latency: { between: [[producer-p1], [broker-1, broker-2, broker-3]], add: 80ms } }]" }));
    const l = metrics().produceLatencyMs;
    expect(l.records).toBeGreaterThan(0);
    expect(l.records).toBeLessThan(1000);
    expect(l.p50!).toBeLessThanOrEqual(l.p99!);
    expect(l.p99!).toBeLessThanOrEqual(l.p999!);
    expect(l.p999!).toBeLessThanOrEqual(l.max!);
    // With fewer than 1,000 records the 99.9th percentile is the largest one.
    expect(l.p999).toBe(l.max);
  });

  it("perf-test's line reads the same histogram: its percentiles are the summary's, cut to whole ms, and none is above its max", () => {
    const { outcome, metrics } = run(scenario({ duration: "3s", producer: "rate: max, config: { acks: 1 }", faults: "[{ at: 0s, latency: { between: [[producer-p1], [broker-1, broker-2, broker-3]], add: 80ms } }]" }));
    const l = metrics().produceLatencyMs;
    const [perf] = perfTestSummaries(outcome);
    expect(perf.records).toBeGreaterThan(0);
    expect(perf.maxLatencyMs).toBe(l.max);
    expect(perf.p50Ms).toBe(Math.floor(l.p50!));
    expect(perf.p99Ms).toBe(Math.floor(l.p99!));
    expect(perf.p999Ms).toBe(Math.floor(l.p999!));
    for (const p of [perf.avgLatencyMs, perf.p50Ms, perf.p95Ms, perf.p99Ms, perf.p999Ms]) expect(p).toBeLessThanOrEqual(perf.maxLatencyMs);
  });

  it("percentileOf and meanOf stay within what was recorded", () => {
    const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
    // 30.1 s: a bucket 16,384 µs wide; its top and its middle are above the one value recorded.
    h.recordValue(30_100_827);
    expect(h.getValueAtPercentile(99.9)).toBeGreaterThan(h.maxValue);
    expect(h.mean).toBeGreaterThan(h.maxValue);
    expect(h.maxValue).toBe(30_100_827);
    for (const p of [50, 95, 99, 99.9, 100]) expect(percentileOf(h, p)).toBe(30_100_827);
    expect(meanOf(h)).toBe(30_100_827);
    // Below the top bucket a percentile is still its bucket's highest equivalent value.
    for (let i = 0; i < 999; i++) h.recordValue(1_000_000);
    expect(percentileOf(h, 50)).toBe(h.getValueAtPercentile(50));
    expect(percentileOf(h, 50)).toBeLessThan(h.maxValue);
  });
});

describe("expect: on a metric the run did not measure", () => {
  it("fails with the reason instead of passing", () => {
    const { metrics } = run(scenario({ duration: "2s", producer: "rate: 100/s, config: { acks: all }" }));
    const [lag, p99] = evaluateChecks({ consumerLag: 0, "produceLatencyMs.p99": "< 5" }, metrics(), { count: () => 0 });
    expect(lag.ok).toBe(false);
    expect(lag.note).toBe("not measured by this run: the scenario has no consumer group");
    expect(p99.ok).toBe(true);
  });
});
