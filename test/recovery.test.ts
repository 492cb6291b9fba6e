/**
 * The recovery metrics (reports/recovery.ts, issue 13's recoversAfterFaultsHeal): when the faults
 * healed, how long until every partition was led by a live broker with a full ISR, records
 * acknowledged after the heal, the groups' lag at the end. A run that recovers gives numbers; one
 * that cannot gives null with the reason, and an `expect:` on it fails saying so.
 */
import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { simulate, loadScenarioDocument, type SimulationResult } from "../index.js";
import { formatRunSummary } from "../reports/summary.js";
import { healedAtUs, partitionRecoveredAt } from "../reports/recovery.js";
import { KafkaHistory, type StateChange } from "../sim/nodes/kafka/History.js";
import type { Simulation } from "../sim/Simulation.js";

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

/** The run's text summary, as `kafkasim run` prints it. */
function summaryOf(r: SimulationResult): string {
  return formatRunSummary({ scenario: r.scenario, seed: r.seed, kafkaVersion: "3.6", violations: r.violations, traceHash: r.traceHash, events: r.events, simulatedUs: r.simulatedUs, wallMs: 0, eventsPerSec: 0, ok: r.ok, checks: r.checks, metrics: r.metrics, marks: r.marks, repro: "" });
}

/** 3 brokers, orders with 2 partitions at RF 3, a producer until 90 s, a group of two; settle 30 s. */
const doc = (): Record<string, unknown> => parse(readFileSync("test/fixtures/acks-all-min-isr2-recovery.yaml", "utf8"));

describe("healedAtUs", () => {
  const healed = (faults: unknown[]): number => healedAtUs(loadScenarioDocument({ ...doc(), faults }));

  it("is when the last fault's for ran out; the end of the duration for one without; an instant for a session expiry or restart", () => {
    expect(healed([])).toBe(0);
    expect(healed([{ at: "5s", crash: "broker-1", for: "20s" }, { at: "10s", pause: "broker-2", for: "3s" }])).toBe(25_000_000);
    expect(healed([{ at: "5s", partition: [["broker-1"], ["broker-2"]] }])).toBe(90_000_000);
    expect(healed([{ at: "5s", expireSession: "broker-1" }, { at: "7s", restart: "broker-2" }])).toBe(7_000_000);
    expect(healed([{ at: "5s", failDisk: "broker-1" }])).toBe(90_000_000);
    // A `for` past the end of the duration ends at the heal of everything there.
    expect(healed([{ at: "80s", pause: "broker-1", for: "60s" }])).toBe(90_000_000);
  });
});

describe("partitionRecoveredAt", () => {
  /** A history with these partition states of orders-0, broker down times and leaderships. */
  function history(states: Array<[number, number, number, number[]]>, downs: Record<number, Array<[number, number]>> = {}, leads: Array<[number, number]> = []): KafkaHistory {
    const clock = { now: 0, marks: { hit: () => undefined }, violate: () => undefined };
    const h = new KafkaHistory(clock as unknown as Simulation);
    for (const [atUs, leader, leaderEpoch, isr] of states) h.onPartitionState("orders-0", { atUs, leader, leaderEpoch, isr } satisfies StateChange);
    for (const [id, list] of Object.entries(downs)) h.brokerDown.set(Number(id), list);
    h.leaderships.set("orders-0", leads.map(([atUs, broker]) => ({ atUs, broker })));
    return h;
  }
  const replicas = [1, 2, 3];

  it("is the later of the ISR becoming full and the leader taking the leadership", () => {
    // Leader 1 from 1 s (led at 1.2 s); ISR shrinks at 20 s (epoch 1, led again at 20.1 s) and is full again at 50 s.
    const h = history([[1_000_000, 1, 0, [1, 2, 3]], [20_000_000, 1, 1, [1, 3]], [50_000_000, 1, 1, [1, 3, 2]]], {}, [[1_200_000, 1], [20_100_000, 1]]);
    expect(partitionRecoveredAt(h, "orders-0", replicas)).toEqual({ atUs: 50_000_000 });
    // A later write that leaves it full (the same ISR in another order) does not restart the count.
    h.onPartitionState("orders-0", { atUs: 60_000_000, leader: 1, leaderEpoch: 1, isr: [1, 2, 3] });
    expect(partitionRecoveredAt(h, "orders-0", replicas)).toEqual({ atUs: 50_000_000 });
    // Without a leader from 20 s, then broker 2 with a full ISR at 30 s: it leads from when its LeaderAndIsr arrived.
    const moved = history([[1_000_000, 1, 0, [1, 2, 3]], [20_000_000, -1, 1, [1]], [30_000_000, 2, 2, [2, 3, 1]]], {}, [[1_200_000, 1], [30_050_000, 2]]);
    expect(partitionRecoveredAt(moved, "orders-0", replicas)).toEqual({ atUs: 30_050_000 });
  });

  it("counts a leader moved between full ISRs (a preferred leader election) as staying recovered", () => {
    const h = history([[1_000_000, 1, 0, [1, 2, 3]], [20_000_000, 1, 1, [1, 3]], [50_000_000, 1, 1, [1, 3, 2]], [325_000_000, 2, 2, [1, 3, 2]]], {}, [[1_200_000, 1], [20_100_000, 1], [325_050_000, 2]]);
    expect(partitionRecoveredAt(h, "orders-0", replicas)).toEqual({ atUs: 50_000_000 });
  });

  it("waits for a restarted leader to be told to lead again", () => {
    // Broker 1 leads, is down from 10 s to 40 s (the controller wrote nothing: say it was cut off), leads again at 41 s.
    const h = history([[1_000_000, 1, 0, [1, 2, 3]]], { 1: [[10_000_000, 40_000_000]] }, [[1_200_000, 1], [41_000_000, 1]]);
    expect(partitionRecoveredAt(h, "orders-0", replicas)).toEqual({ atUs: 41_000_000 });
    const never = history([[1_000_000, 1, 0, [1, 2, 3]]], { 1: [[10_000_000, 40_000_000]] }, [[1_200_000, 1]]);
    expect(partitionRecoveredAt(never, "orders-0", replicas)).toEqual({ why: "its leader, broker 1, never took the leadership of epoch 0" });
  });

  it("says why a partition has not recovered at the end", () => {
    expect(partitionRecoveredAt(history([]), "orders-0", replicas)).toEqual({ why: "no leader was ever elected" });
    expect(partitionRecoveredAt(history([[1_000_000, -1, 3, [2]]]), "orders-0", replicas)).toEqual({ why: "no leader at the end (ISR [2])" });
    expect(partitionRecoveredAt(history([[1_000_000, 1, 0, [1, 3]]], {}, [[1_100_000, 1]]), "orders-0", replicas)).toEqual({ why: "ISR [1,3] of replicas [1,2,3] at the end" });
    expect(partitionRecoveredAt(history([[1_000_000, 1, 0, [1, 2, 3]]], { 1: [[5_000_000, Infinity]] }, [[1_100_000, 1]]), "orders-0", replicas)).toEqual({
      why: "its leader, broker 1, is down at the end",
    });
    expect(partitionRecoveredAt(history([[1_000_000, 1, 0, [1, 2, 3]]], { 3: [[5_000_000, Infinity]] }, [[1_100_000, 1]]), "orders-0", replicas)).toEqual({
      why: "broker 3, in its ISR, is down at the end",
    });
  });
});

describe("the recovery metrics of a run", () => {
  it("a leader crashed for 20 s: healed at 25 s, every partition led with a full ISR soon after, records acknowledged after, no lag at the end", () => {
    const r = simulate({ ...doc(), faults: [{ at: "5s", crash: "leader:orders-0", for: "20s" }], expect: { recoveryMs: "<= 30000", ackedAfterHeal: "> 0", consumerLagAtEnd: "== 0" } }, { seed: 1 });
    const m = r.metrics;
    expect(m.healedAtMs).toBe(25_000);
    expect(m.recoveryMs).not.toBeNull();
    expect(m.recoveryMs!).toBeGreaterThan(0);
    expect(m.recoveryMs!).toBeLessThan(30_000);
    expect(m.recovery.notRecovered).toEqual([]);
    expect(m.recovery.lastRecovered!.atMs).toBeCloseTo(25_000 + m.recoveryMs!, 3);
    // 500 records/s from 25 s to 90 s.
    expect(m.ackedAfterHeal!).toBeGreaterThan(60 * 500);
    expect(m.producersIdleAfterHeal).toBe(0);
    expect(m.recovery.idleProducers).toEqual([]);
    expect(m.consumerLagAtEnd).toBe(0);
    expect(m.recovery.lagAtEnd).toEqual({ billing: 0 });
    expect(r.checks.map((c) => [c.name, c.ok])).toEqual([["recoveryMs", true], ["ackedAfterHeal", true], ["consumerLagAtEnd", true]]);
    expect(summaryOf(r)).toMatch(/^recovery   faults over at 25s; every partition led with a full ISR [\d.]+s later \(\S+ last\)   acknowledged after [\d,]+ records   lag at the end 0$/m);
  });

  it("a broker down until the last second of the run has not recovered: recoveryMs is null with the partitions and why, and its expect fails saying so", () => {
    const r = simulate({ ...doc(), settle: "1s", faults: [{ at: "10s", crash: "broker-2" }], expect: { recoveryMs: "<= 60000" } }, { seed: 1 });
    const m = r.metrics;
    expect(m.healedAtMs).toBe(90_000);
    expect(m.recoveryMs).toBeNull();
    expect(m.recovery.lastRecovered).toBeNull();
    expect(m.recovery.notRecovered.map((n) => n.partition)).toContain("orders-0");
    expect(m.recovery.notRecovered.map((n) => n.partition)).toContain("__consumer_offsets-0");
    expect(m.unmeasured.recoveryMs).toMatch(/^not recovered by the end of the run \(91 s\): orders-0: ISR \[\d,\d\] of replicas \[[123,]+\] at the end; /);
    expect(r.checks).toEqual([expect.objectContaining({ name: "recoveryMs", ok: false, actual: null, note: expect.stringMatching(/^not measured by this run: not recovered by the end/) })]);
    expect(r.ok).toBe(false);
    expect(summaryOf(r)).toMatch(/^recovery   faults over at 90s; not every partition led with a full ISR at the end \(\d+: orders-0 ISR/m);
  });

  it("a crash shorter than the ZooKeeper session: the restart fails, and the recovery waits for the heal at the end of the duration", () => {
    const r = simulate({ ...doc(), faults: [{ at: "10s", crash: "broker-1", for: "5s" }] }, { seed: 1 });
    const m = r.metrics;
    expect(m.brokerExits.map((e) => e.broker)).toEqual([1]);
    expect(m.healedAtMs).toBe(15_000);
    // Back only at 90 s: 75 s after its `for` ran out.
    expect(m.recoveryMs!).toBeGreaterThan(75_000);
  });

  it("without producers or groups those figures are unmeasured, with the reason", () => {
    const d = doc();
    const r = simulate({ ...d, duration: "20s", settle: "5s", producers: [], consumers: [], faults: [] }, { seed: 1 });
    expect(r.metrics.ackedAfterHeal).toBeNull();
    expect(r.metrics.producersIdleAfterHeal).toBeNull();
    expect(r.metrics.consumerLagAtEnd).toBeNull();
    expect(r.metrics.unmeasured).toMatchObject({ ackedAfterHeal: "the scenario has no producer", producersIdleAfterHeal: "the scenario has no producer", consumerLagAtEnd: "the scenario has no consumer group" });
    // No faults: healed from the start, recovered once the topic's partitions were first fully led.
    expect(r.metrics.healedAtMs).toBe(0);
    expect(r.metrics.recoveryMs!).toBeGreaterThan(0);
    expect(r.metrics.recoveryMs!).toBeLessThan(10_000);
  });
});
