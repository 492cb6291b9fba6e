/**
 * The promises the write-side built-in scenarios make: each one's `expect` holds for seeds 1 to
 * 20, the two-sided stories come out both ways, and every command a description suggests passes
 * (the read-side built-ins are in builtins-readside.test.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import type { Override } from "../scenarios/overrides.js";
import { BUILTINS, commandSuite, promiseSuite, readsToo, run } from "./helpers/builtins.js";

const set = (key: string, value: string): Override => ({ key, value });

// Each test is one long synchronous run: yield to the event loop between them so the worker
// answers the runner's RPC (otherwise "Timeout calling onTaskUpdate" after a minute).
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

const WRITE_SIDE = BUILTINS.filter((f) => !readsToo(f));
promiseSuite(WRITE_SIDE);

describe("two-sided stories", () => {
  it("unclean election: loss with it on, unavailability and no loss with it off", () => {
    const on = run("unclean-election.yaml", 3).metrics;
    const off = run("unclean-election.yaml", 3, [set("broker.unclean.leader.election.enable", "false")]).metrics;
    expect(on.lostAcked).toBeGreaterThan(0);
    expect(off.lostAcked).toBe(0);
    expect(off.unavailableMs).toBeGreaterThan(on.unavailableMs);
  });

  it("power loss loses acknowledged records; a crash of every broker process loses none", () => {
    const power = run("power-loss-vs-crash.yaml", 5).metrics;
    const crash = run("power-loss-vs-crash.yaml", 5, [set("faults.0.powerOff", "~"), set("faults.0.crash", "replicas:orders-0")]).metrics;
    expect(power.lostAcked).toBeGreaterThan(0);
    expect(power.bytesLostToPowerLoss).toBeGreaterThan(0);
    expect(crash.lostAcked).toBe(0);
    expect(crash.bytesLostToPowerLoss).toBe(0);
  });

  it("acks=all with min.insync.replicas=1 loses what the lone leader acked; with 2 it refuses instead", () => {
    const one = run("isr-shrink-then-leader-loss.yaml", 6).metrics;
    const two = run("isr-shrink-then-leader-loss.yaml", 6, [set("topic.min.insync.replicas", "2")]).metrics;
    expect(one.lostAcked).toBeGreaterThan(0);
    expect(two.lostAcked).toBe(0);
    expect(two.errors["NOT_ENOUGH_REPLICAS"]).toBeGreaterThan(0);
  });

  it("acks=1 loses the unreplicated tail where acks=all loses nothing", () => {
    expect(run("acks1-leader-failover.yaml", 2).metrics.lostAcked).toBeGreaterThan(0);
    expect(run("acks1-leader-failover.yaml", 2, [set("producer.acks", "all")]).metrics.lostAcked).toBe(0);
  });

  it("a failed or full disk under a leader: with two disks its log dir goes offline and leadership moves; with one the broker halts; nothing lost either way", () => {
    const jbod = run("disk-failure.yaml", 4).metrics;
    const one = run("disk-failure.yaml", 4, [set("cluster.disks", "1"), set("faults.1.disk", "0")]).metrics;
    expect(jbod.errors["KAFKA_STORAGE_ERROR"]).toBeGreaterThan(0);
    expect(jbod.logDirFailures).toBe(2);
    expect(jbod.brokerHalts).toBe(0);
    expect(jbod.leaderChanges).toBeGreaterThanOrEqual(2);
    expect([jbod.lostAcked, jbod.divergence]).toEqual([0, 0]);
    expect(one.brokerHalts).toBe(2);
    expect([one.lostAcked, one.divergence]).toEqual([0, 0]);
    expect(one.unavailableMs).toBeGreaterThan(jbod.unavailableMs);
  });

  it("before leader epochs (0.10.2), truncating to the high watermark still keeps acks=all data across leader bounces", () => {
    const r = run("acks-all-leader-crash.yaml", 4, [set("kafka.version", "0.10.2")]);
    expect(r.violations).toEqual([]);
    expect(r.metrics.leaderChanges).toBeGreaterThanOrEqual(3);
  });
});

commandSuite(WRITE_SIDE);

describe("property: acks=all, min.insync.replicas=2, no unclean election, across versions and process faults", () => {
  it("never loses an acknowledged record under crashes, controlled shutdowns, pauses and session expiries at 2.4, 2.8 and 3.6", () => {
    const base = readFileSync("scenarios/acks-all-leader-crash.yaml", "utf8").replace(/faults:\n(  - .*\n)+/, "");
    const fault = fc.record({
      at: fc.integer({ min: 5, max: 100 }),
      down: fc.integer({ min: 1, max: 40 }),
      verb: fc.constantFrom("crash", "stop", "pause", "expireSession"),
      target: fc.constantFrom("leader:orders-0", "followers:orders-0", "controller"),
    });
    const line = (f: { at: number; down: number; verb: string; target: string }): string =>
      f.verb === "expireSession" ? `  - { at: ${f.at}s, expireSession: "${f.target}" }` : `  - { at: ${f.at}s, ${f.verb}: "${f.target}", for: ${f.down}s }`;
    fc.assert(
      fc.property(fc.array(fault, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 1000 }), fc.constantFrom("2.4", "2.8", "3.6"), (faults, seed, version) => {
        const yaml = base.replace("expect:", `faults:\n${faults.map(line).join("\n")}\nexpect:`);
        const { metrics, violations } = run("property.yaml", seed, [set("kafka.version", version)], yaml);
        return metrics.lostAcked === 0 && violations.length === 0;
      }),
      { numRuns: 12, seed: 7, verbose: true },
    );
  }, 300_000);

  it("regression (found by a wider property run): an AlterIsr whose ZooKeeper write fails otherwise than BADVERSION is answered, not dropped", () => {
    const base = readFileSync("scenarios/acks-all-leader-crash.yaml", "utf8").replace(
      /faults:\n(  - .*\n)+/,
      'faults:\n  - { at: 5s, crash: "leader:orders-0", for: 1s }\n  - { at: 41s, partition: [["leader:orders-0"], [broker-1, broker-2, broker-3, zk-1]], for: 33s }\n',
    );
    const { metrics, violations } = run("property.yaml", 1, [set("kafka.version", "2.8")], base);
    expect({ lost: metrics.lostAcked, violations }).toEqual({ lost: 0, violations: [] });
  });

  it("regression (found by the property above): a session that expires while a broker bids for /controller does not crash the run", () => {
    const base = readFileSync("scenarios/acks-all-leader-crash.yaml", "utf8").replace(/faults:\n(  - .*\n)+/, "faults:\n  - { at: 6s, stop: \"followers:orders-0\", for: 1s }\n");
    const { metrics, violations } = run("property.yaml", 612, [set("kafka.version", "2.8")], base);
    expect({ lost: metrics.lostAcked, violations }).toEqual({ lost: 0, violations: [] });
  });
});

describe("property: acks=all, min.insync.replicas=2, no unclean election", () => {
  it("never loses an acknowledged record under random leader crashes", () => {
    const base = readFileSync("scenarios/acks-all-leader-crash.yaml", "utf8").replace(/faults:\n(  - .*\n)+/, "");
    const fault = fc.record({ at: fc.integer({ min: 5, max: 100 }), down: fc.integer({ min: 1, max: 30 }), target: fc.constantFrom("leader:orders-0", "followers:orders-0", "controller") });
    fc.assert(
      fc.property(fc.array(fault, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 1000 }), (faults, seed) => {
        const yaml = base.replace("expect:", `faults:\n${faults.map((f) => `  - { at: ${f.at}s, crash: "${f.target}", for: ${f.down}s }`).join("\n")}\nexpect:`);
        const { metrics, violations } = run("property.yaml", seed, [], yaml);
        return metrics.lostAcked === 0 && violations.length === 0;
      }),
      { numRuns: 6, seed: 42, verbose: true },
    );
  }, 240_000);
});
