/**
 * The budget item healBy (issue 13, for recoversAfterFaultsHeal): every fault of a schedule ends
 * by itself by that time. parseBudget reads it and names a bad value; budgetAllows refuses a
 * fault without `for`, one ending after healBy, a crash or power loss a broker cannot come back
 * from (shorter than the ZooKeeper session and a tick), restart, stop and the disk failures;
 * faultScheduleArb draws only schedules that keep to it, still shrinking to one early, short
 * fault; explore refuses a healBy at or past the scenario's duration.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { formatProblem, loadScenario } from "../scenarios/loader.js";
import { parseDuration } from "../scenarios/units.js";
import type { FaultDocument } from "../scenarios/schema.js";
import { faultScheduleArb, usableKinds } from "../explore/arbitraries.js";
import { clusterShapeOf, type ClusterShape } from "../explore/clusterShape.js";
import { BudgetError, budgetAllows, faultKindOf, formatBudget, parseBudget } from "../explore/budget.js";
import { explore } from "../explore/explore.js";

const SEED = 20_261_123;
const FILE = "scenarios/acks-all-leader-crash.yaml"; // 3 brokers, racks a, b, c; orders: 1 partition, RF 3; 120 s; session 18 s

function shape(): ClusterShape {
  return shapeOf("acks-all-leader-crash.yaml");
}

function shapeOf(builtin: string): ClusterShape {
  const r = loadScenario(readFileSync(`scenarios/${builtin}`, "utf8"), builtin);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  return clusterShapeOf(r.scenario);
}

function refusal(spec: string): string {
  try {
    parseBudget(spec);
  } catch (e) {
    expect(e, spec).toBeInstanceOf(BudgetError);
    return (e as Error).message;
  }
  throw new Error(`parseBudget accepted ${spec}`);
}

describe("parseBudget: healBy", () => {
  it("reads a duration in whole milliseconds, and formatBudget writes it back", () => {
    expect(parseBudget("healBy=40s").healByMs).toBe(40_000);
    expect(parseBudget("faults=2,healBy=1500ms,down=1").healByMs).toBe(1500);
    expect(parseBudget("healBy=1m").healByMs).toBe(60_000);
    expect(parseBudget("").healByMs).toBeUndefined();
    const b = parseBudget("faults=3,down=1,power=none,kinds=crash+pause,healBy=40s");
    expect(formatBudget(b)).toBe("faults=3,down=1,power=none,kinds=crash+pause,healBy=40s");
    expect(parseBudget(formatBudget(b))).toEqual(b);
    expect(formatBudget(parseBudget("faults=3"))).not.toContain("healBy");
  });

  it("refuses a bad value naming the item and what was expected", () => {
    expect(refusal("healBy=soon")).toMatch(/budget item "healBy=soon": expected healBy=<duration>.*such as 40s/);
    expect(refusal("healBy=0s")).toMatch(/"healBy=0s".*above 0/);
    expect(refusal("healBy=1500us")).toMatch(/"healBy=1500us".*whole number of milliseconds/);
    expect(refusal("healBy=")).toMatch(/"healBy=": expected healBy=<value>/);
    expect(refusal("healBy=40s,healBy=50s")).toMatch(/"healBy=50s": healBy is given twice/);
    expect(refusal("healby=40s")).toMatch(/did you mean "healBy"/);
  });
});

describe("budgetAllows: healBy", () => {
  const cluster = shape();
  const allows = (faults: FaultDocument[], spec = "kinds=all,healBy=40s"): string | null => budgetAllows(faults, parseBudget(spec), cluster);

  it("allows faults that end by themselves by healBy", () => {
    expect(allows([{ at: "5s", crash: "leader:orders-0", for: "20s" }, { at: "26s", partition: [["broker-1"], ["broker-2", "broker-3"]], for: "14s" }])).toBeNull();
    expect(allows([{ at: "5s", crash: "rack-b", for: "20s" }, { at: "30s", powerOff: "broker-3", for: "20s" }], "kinds=all,healBy=50s")).toBeNull();
    expect(allows([{ at: "10s", pause: "broker-2", for: "30s" }])).toBeNull();
    expect(allows([{ at: "40s", expireSession: "controller" }])).toBeNull();
    // A ZooKeeper server or a client has no registration to wait for, and a restart of one is an instant.
    expect(allows([{ at: "10s", crash: "zk-1", for: "3s" }, { at: "20s", restart: "producer-p1" }])).toBeNull();
    // Repairs are not faults.
    expect(allows([{ at: "10s", heal: "all" }, { at: "60s", powerOn: "broker-1" }])).toBeNull();
  });

  it("refuses a fault that ends after healBy, or never by itself, saying which and why", () => {
    expect(allows([{ at: "30s", pause: "broker-2", for: "11s" }])).toBe(
      "faults[0] (pause broker-2 at 30s for 11s) ends at 41s, after 40s: the budget wants every fault to end by itself by 40s (healBy=40s)",
    );
    expect(allows([{ at: "41s", expireSession: "controller" }])).toMatch(/ends at 41s, after 40s/);
    expect(allows([{ at: "10s", partition: [["broker-1"], ["broker-2", "broker-3"]] }])).toMatch(/^faults\[0\] \(partition broker-1 \| \[broker-2, broker-3\] at 10s\) has no `for`: it lasts until the heal at the end of the run: .*\(healBy=40s\)$/);
    expect(allows([{ at: "10s", crash: "broker-1", for: "19s" }])).toMatch(/lasts 19s, less than the ZooKeeper session \(18s\) and a tick \(2s\): the start-up fails/);
    expect(allows([{ at: "10s", powerOff: "rack-b", for: "5s" }], "power=correlated,kinds=all,healBy=40s")).toMatch(/faults\[0\] \(powerOff rack-b at 10s for 5s\) lasts 5s, less than the ZooKeeper session/);
    expect(allows([{ at: "10s", restart: "broker-1" }])).toMatch(/starts the process again at once, before its old ZooKeeper session expired/);
    expect(allows([{ at: "10s", stop: "broker-1", for: "20s" }])).toMatch(/stop broker-1 at 10s for 20s\) ends the process only when its shutdown is over/);
    expect(allows([{ at: "10s", failDisk: "broker-1", for: "5s" } as FaultDocument])).toMatch(/is repaired only by the heal at the end of the run/);
    expect(allows([{ at: "10s", fullDisk: "broker-1" }])).toMatch(/is repaired only by the heal at the end of the run/);
    // The first fault that breaks it is named, after those that keep to it.
    expect(allows([{ at: "5s", crash: "broker-1", for: "20s" }, { at: "30s", crash: "broker-2", for: "20s" }])).toMatch(/^faults\[1\] \(crash broker-2 at 30s for 20s\) ends at 50s/);
  });

  it("refuses a broker brought back while its old session may live on: ZooKeeper without quorum during its outage renews every session", () => {
    // zk-1, the only ZooKeeper server, is in rack a with broker-1: they come back together, and the old session with them.
    expect(allows([{ at: "5s", crash: "rack-a", for: "20s" }])).toBe(
      "faults[0] (crash rack-a at 5s for 20s) brings a broker back at 25s, but ZooKeeper has no quorum from 5s to 25s (faults[0] (crash rack-a at 5s for 20s)) and, serving again, gives the broker's old session its whole timeout: its start-up fails on the old registration before 45s: the budget wants every fault to end by itself by 40s (healBy=40s)",
    );
    expect(allows([{ at: "5s", crash: "broker-1", for: "20s" }, { at: "10s", pause: "zk-1", for: "5s" }])).toMatch(/^faults\[0\] \(crash broker-1 at 5s for 20s\) brings a broker back at 25s, but ZooKeeper has no quorum from 10s to 15s \(faults\[1\] \(pause zk-1 at 10s for 5s\)\).* before 35s/);
    // Back 20 s after ZooKeeper serves again: the old session has expired.
    expect(allows([{ at: "5s", crash: "broker-1", for: "35s" }, { at: "10s", pause: "zk-1", for: "5s" }])).toBeNull();
    // ZooKeeper lost as the broker starts: it cannot connect, or finds the old session renewed.
    expect(allows([{ at: "5s", crash: "broker-1", for: "20s" }, { at: "26s", crash: "zk-1", for: "3s" }])).toMatch(/brings a broker back at 25s, but ZooKeeper has no quorum from 26s to 29s/);
    expect(allows([{ at: "5s", crash: "broker-1", for: "20s" }, { at: "28s", crash: "zk-1", for: "3s" }])).toBeNull();
  });

  it("counts a quorum: with three ZooKeeper servers one down is not a loss, two are", () => {
    const doc = parse(readFileSync("scenarios/acks-all-leader-crash.yaml", "utf8"));
    doc.cluster.zookeeper = { nodes: 3 };
    const r = loadScenario(stringify(doc), "three zookeepers");
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
    const cluster = clusterShapeOf(r.scenario);
    expect(cluster.zookeepers).toEqual(["zk-1", "zk-2", "zk-3"]);
    const three = (faults: FaultDocument[]): string | null => budgetAllows(faults, parseBudget("kinds=all,healBy=40s"), cluster);
    expect(three([{ at: "5s", crash: "broker-1", for: "20s" }, { at: "10s", pause: "zk-1", for: "5s" }])).toBeNull();
    expect(three([{ at: "5s", crash: "broker-1", for: "20s" }, { at: "10s", pause: ["zk-1", "zk-2"], for: "5s" }])).toMatch(/ZooKeeper has no quorum from 10s to 15s/);
    expect(three([{ at: "5s", crash: "broker-1", for: "20s" }, { at: "10s", pause: "zk-1", for: "5s" }, { at: "12s", pause: "zk-2", for: "5s" }])).toMatch(/no quorum from 12s to 15s \(faults\[1\] .* and faults\[2\] /);
  });

  it("refuses a cut from ZooKeeper in effect as a broker starts again, and only such a cut", () => {
    expect(allows([{ at: "5s", crash: "broker-1", for: "20s" }, { at: "26s", partition: [["broker-1"], ["zk-1"]], for: "10s" }])).toMatch(
      /^faults\[0\] \(crash broker-1 at 5s for 20s\) brings a broker back at 25s, which must reach ZooKeeper within the connection timeout \(18s\) to start, but faults\[1\] \(partition broker-1 \| zk-1 at 26s for 10s\) may cut it off from ZooKeeper then/,
    );
    expect(allows([{ at: "5s", crash: "broker-1", for: "20s" }, { at: "25s", partition: { from: ["rack-a"], to: ["rack-b"] }, for: "10s" }])).toMatch(/may cut it off from ZooKeeper/);
    expect(allows([{ at: "5s", crash: "broker-1", for: "20s" }, { at: "25s", loss: { probability: 1 }, for: "10s" }], "kinds=all,healBy=40s,down=3")).toMatch(/may cut it off from ZooKeeper/);
    // Brokers cut from each other with ZooKeeper on neither side, partial loss, or a cut after the start: allowed.
    expect(allows([{ at: "5s", crash: "broker-1", for: "20s" }, { at: "25s", partition: [["broker-1"], ["broker-2", "broker-3"]], for: "10s" }])).toBeNull();
    expect(allows([{ at: "5s", crash: "broker-1", for: "20s" }, { at: "25s", loss: { probability: 0.5 }, for: "10s" }])).toBeNull();
    expect(allows([{ at: "5s", crash: "broker-1", for: "20s" }, { at: "28s", partition: [["broker-1"], ["zk-1"]], for: "10s" }])).toBeNull();
  });

  it("leaves schedules alone without healBy", () => {
    expect(allows([{ at: "10s", partition: [["broker-1"], ["broker-2", "broker-3"]] }], "kinds=all")).toBeNull();
    expect(allows([{ at: "30s", pause: "broker-2", for: "11s" }], "kinds=all")).toBeNull();
  });
});

describe("faultScheduleArb: healBy", () => {
  const cluster = shape();

  it("draws only schedules that end by themselves by healBy, of every kind that can", () => {
    const budget = parseBudget("faults=3,down=1,power=single,kinds=all,healBy=40s");
    const schedules = fc.sample(faultScheduleArb(cluster, budget), { seed: SEED, numRuns: 300 });
    for (const s of schedules) {
      expect(budgetAllows(s, budget, cluster), JSON.stringify(s)).toBeNull();
      for (const f of s) {
        const end = parseDuration(f.at)! + (f.for === undefined ? 0 : parseDuration(f.for)!);
        expect(end, JSON.stringify(f)).toBeLessThanOrEqual(40_000_000);
        if (faultKindOf(f) !== "expireSession") expect(f.for, JSON.stringify(f)).toBeDefined();
      }
    }
    expect(usableKinds(cluster, budget).sort()).toEqual(["crash", "expireSession", "latency", "loss", "oneWayPartition", "partition", "pause", "powerOff", "slowDisk"]);
    const kinds = new Set(schedules.flat().map(faultKindOf));
    expect([...kinds].sort()).toEqual(usableKinds(cluster, budget).sort());
    expect(schedules.some((s) => s.length === 3)).toBe(true);
  });

  it("a property failing on any crash still shrinks to one crash of the leader at 5 s for the session and a tick", () => {
    const budget = parseBudget("faults=3,down=1,kinds=crash+partition+pause,healBy=40s");
    for (const seed of [SEED, 1, 2]) {
      const r = fc.check(fc.property(faultScheduleArb(cluster, budget), (s) => !s.some((f) => f.crash !== undefined)), { seed, numRuns: 1000 });
      expect(r.failed).toBe(true);
      expect(r.counterexample![0]).toEqual([{ at: "5s", crash: "leader:orders-0", for: "20s" }]);
    }
  });

  it("a healBy too early for a kind's shortest fault leaves that kind out", () => {
    // A crash needs 5 s + 20 s; a pause 5 s + 1 s.
    const budget = parseBudget("kinds=crash+pause,healBy=10s");
    expect(usableKinds(cluster, budget)).toEqual(["pause"]);
  });
});

describe("explore: healBy against the scenario", () => {
  it("refuses a healBy at or past the scenario's duration", async () => {
    const doc = parse(readFileSync(FILE, "utf8")) as Record<string, unknown>;
    const run = explore({ scenarioText: stringify(doc), scenarioName: "acks-all-leader-crash", runs: 1, seed: 1, budget: parseBudget("healBy=120s") });
    await expect(run).rejects.toThrow(BudgetError);
    await expect(run).rejects.toThrow(/"healBy=120s": expected a time before the end of the scenario's duration \(120s\)/);
  });
});
