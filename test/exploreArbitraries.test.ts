/**
 * Issue 13: the explorer's arbitraries (explore/arbitraries.ts) and fault budget
 * (explore/budget.ts). Generated schedules are scenario `faults:` lists the loader accepts and that
 * keep to the budget; configs are `--set` overrides the loader accepts; parseBudget reads the
 * documented forms and names the bad item otherwise; and shrinking ends at the simplest schedule:
 * one fault, at the earliest time, on the simplest target, for the shortest time.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { formatProblem, loadScenario } from "../scenarios/loader.js";
import { parseOverride } from "../scenarios/overrides.js";
import { parseDuration } from "../scenarios/units.js";
import type { FaultDocument } from "../scenarios/schema.js";
import { configArb, faultArb, faultScheduleArb, usableKinds } from "../explore/arbitraries.js";
import { clusterShapeOf, type ClusterShape } from "../explore/clusterShape.js";
import {
  BudgetError,
  brokersDownBy,
  budgetAllows,
  DEFAULT_BUDGET,
  DEFAULT_FAULT_KINDS,
  FAULT_KINDS,
  faultKindOf,
  formatBudget,
  parseBudget,
  type FaultBudget,
} from "../explore/budget.js";

const SEED = 20_240_613;
const SAMPLES = 300;

function builtinText(file: string): string {
  return readFileSync(`scenarios/${file}`, "utf8");
}

function shapeOf(file: string): ClusterShape {
  const r = loadScenario(builtinText(file), file);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  return clusterShapeOf(r.scenario);
}

/** The built-in scenario's document with its faults replaced, as YAML text. */
function withFaults(file: string, faults: readonly FaultDocument[]): string {
  const doc = parse(builtinText(file)) as Record<string, unknown>;
  doc.faults = faults;
  return stringify(doc);
}

function loadProblems(file: string, faults: readonly FaultDocument[], sets: string[] = []): string[] {
  const r = loadScenario(withFaults(file, faults), `${file} (generated)`, sets.map((s) => parseOverride(s)!));
  return r.ok ? [] : r.problems.map(formatProblem);
}

/** Pairs of faults that both take brokers down and overlap in time (the budget's own code is not used for the times). */
function overlappingDowns(schedule: readonly FaultDocument[], cluster: ClusterShape): Array<[number, number]> {
  const durationUs = cluster.durationMs * 1000;
  const windows = schedule.map((f, i) => {
    const at = parseDuration(f.at)!;
    const kind = faultKindOf(f);
    const momentary = kind === "expireSession";
    const permanent = kind === "restart" || kind === "failDisk" || kind === "fullDisk" || f.for === undefined || ((kind === "crash" || kind === "powerOff") && parseDuration(f.for)! < cluster.zkSessionTimeoutMs * 1000);
    return { i, at, end: momentary ? at + 1 : permanent ? durationUs : at + parseDuration(f.for!)!, down: brokersDownBy(f, cluster) > 0 };
  });
  const out: Array<[number, number]> = [];
  for (const a of windows) for (const b of windows) if (a.i < b.i && a.down && b.down && a.at < b.end && b.at < a.end) out.push([a.i, b.i]);
  return out;
}

const CASES: Array<{ file: string; budget: FaultBudget }> = [
  { file: "acks-all-leader-crash.yaml", budget: DEFAULT_BUDGET },
  { file: "coordinator-failover.yaml", budget: parseBudget("faults=5,down=2,power=correlated,kinds=all") },
  { file: "rack-power-loss.yaml", budget: parseBudget("faults=4,down=1,power=correlated,kinds=all") },
  { file: "leader-cut-off.yaml", budget: parseBudget("faults=3,down=1,power=single,kinds=all") },
  // Every fault over by itself by 45 s (test/exploreHealBy.test.ts has the rule's own cases).
  { file: "coordinator-failover.yaml", budget: parseBudget("faults=3,down=1,power=single,kinds=all,healBy=45s") },
];

describe("faultScheduleArb", () => {
  for (const { file, budget } of CASES) {
    describe(`${file}, ${formatBudget(budget)}`, () => {
      const cluster = shapeOf(file);
      const schedules = fc.sample(faultScheduleArb(cluster, budget), { seed: SEED, numRuns: SAMPLES });

      it("every schedule loads into the scenario with no problems", () => {
        const bad = schedules.map((s) => ({ s, problems: loadProblems(file, s) })).filter((x) => x.problems.length > 0);
        expect(bad.slice(0, 3).map((x) => `${JSON.stringify(x.s)}\n  ${x.problems.join("\n  ")}`)).toEqual([]);
      });

      it("every schedule keeps to the budget, in time order, within the run", () => {
        for (const s of schedules) {
          expect(budgetAllows(s, budget, cluster), JSON.stringify(s)).toBeNull();
          expect(s.length).toBeLessThanOrEqual(budget.maxFaults);
          const ats = s.map((f) => parseDuration(f.at)!);
          expect(ats).toEqual([...ats].sort((a, b) => a - b));
          for (const f of s) {
            const end = parseDuration(f.at)! + (f.for === undefined ? 0 : parseDuration(f.for)!);
            expect(end, JSON.stringify(f)).toBeLessThan(cluster.durationMs * 1000);
            expect(budget.kinds).toContain(faultKindOf(f));
          }
        }
      });

      if (budget.maxBrokersDown === 1) {
        it("with down=1, no two broker-down faults overlap", () => {
          for (const s of schedules) expect(overlappingDowns(s, cluster), JSON.stringify(s)).toEqual([]);
        });
      }

      it("explores: every usable kind, empty and full schedules, single-kind (swarm) schedules, several target forms", () => {
        const kinds = new Set(schedules.flat().map(faultKindOf));
        expect([...kinds].sort()).toEqual([...usableKinds(cluster, budget)].sort());
        expect(schedules.some((s) => s.length === 0)).toBe(true);
        expect(schedules.some((s) => s.length >= Math.min(budget.maxFaults, 3))).toBe(true);
        expect(schedules.some((s) => s.length >= 2 && new Set(s.map(faultKindOf)).size === 1)).toBe(true);
        const text = JSON.stringify(schedules);
        for (const form of ["leader:", "broker-", "controller", "followers:", "rack-"]) expect(text, form).toContain(form);
      });
    });
  }

  it("a crash or power loss lasts at least the ZooKeeper session (and 2 s) or to the end of the run", () => {
    for (const file of ["acks-all-leader-crash.yaml", "leader-cut-off.yaml"]) {
      const cluster = shapeOf(file);
      const faults = fc.sample(faultArb(cluster, parseBudget("kinds=crash+powerOff")), { seed: SEED, numRuns: 200 });
      for (const f of faults) if (f.for !== undefined) expect(parseDuration(f.for)!).toBeGreaterThanOrEqual((cluster.zkSessionTimeoutMs + 2000) * 1000);
      expect(faults.some((f) => f.for === undefined)).toBe(true);
    }
  });

  it("a budget that leaves a cluster no faults gives empty schedules", () => {
    const cluster = shapeOf("acks-all-leader-crash.yaml");
    const budget = parseBudget("down=0,kinds=expireSession");
    expect(usableKinds(cluster, budget)).toEqual([]);
    expect(fc.sample(faultScheduleArb(cluster, budget), { seed: SEED, numRuns: 20 })).toEqual(Array(20).fill([]));
  });
});

describe("shrinking", () => {
  const cluster = shapeOf("acks-all-leader-crash.yaml");
  const counterexample = (seed: number, fails: (s: FaultDocument[]) => boolean, budget = DEFAULT_BUDGET): FaultDocument[] => {
    const r = fc.check(fc.property(faultScheduleArb(cluster, budget), (s) => !fails(s)), { seed, numRuns: 1000 });
    expect(r.failed).toBe(true);
    return r.counterexample![0];
  };

  it("a property that fails on any crash shrinks to one crash of leader:<first topic>-0 at the earliest time, for the shortest time", () => {
    for (const seed of [SEED, 1, 2, 3, 4]) {
      expect(counterexample(seed, (s) => s.some((f) => f.crash !== undefined))).toEqual([{ at: "5s", crash: "leader:orders-0", for: "20s" }]);
    }
  });

  it("a property that fails on any partition shrinks to the leader cut off from its followers (both ways or one way) for 1 s", () => {
    const twoWay = { at: "5s", partition: [["leader:orders-0"], ["followers:orders-0"]], for: "1s" };
    const oneWay = { at: "5s", partition: { from: ["leader:orders-0"], to: ["followers:orders-0"] }, for: "1s" };
    const seen = new Set<string>();
    for (const seed of [SEED, 1, 2, 3, 4]) {
      const s = counterexample(seed, (s) => s.some((f) => f.partition !== undefined));
      expect([[twoWay], [oneWay]]).toContainEqual(s);
      seen.add(JSON.stringify(s));
    }
    expect(seen.size).toBeGreaterThan(0);
  });

  it("a property that fails on two overlapping faults keeps two, shrunk", () => {
    const overlap = (s: FaultDocument[]): boolean =>
      s.some((a, i) => s.some((b, j) => i < j && parseDuration(b.at)! < parseDuration(a.at)! + (a.for === undefined ? Infinity : parseDuration(a.for)!)));
    const s = counterexample(SEED, overlap);
    expect(s).toHaveLength(2);
    expect(s[0].at).toBe("5s");
    expect(budgetAllows(s, DEFAULT_BUDGET, cluster)).toBeNull();
  });
});

describe("configArb", () => {
  for (const file of ["acks-all-leader-crash.yaml", "leader-cut-off.yaml", "coordinator-failover.yaml", "acks1-leader-failover.yaml"]) {
    it(`${file}: every config loads as --set overrides with no problems`, () => {
      const sets = fc.sample(configArb(shapeOf(file)), { seed: SEED, numRuns: 100 });
      const bad = sets.map((s) => ({ s, problems: loadProblems(file, [], s) })).filter((x) => x.problems.length > 0);
      expect(bad.slice(0, 3).map((x) => `${x.s.join(" ")}\n  ${x.problems.join("\n  ")}`)).toEqual([]);
      expect(sets.some((s) => s.length >= 3)).toBe(true);
    });
  }

  it("covers the durability configs within their ranges and shrinks to the scenario's own (no overrides)", () => {
    const cluster = shapeOf("acks-all-leader-crash.yaml");
    const sets = fc.sample(configArb(cluster), { seed: SEED, numRuns: 300 }).flat();
    const values = (key: string): string[] => [...new Set(sets.filter((s) => s.startsWith(`${key}=`)).map((s) => s.slice(key.length + 1)))];
    expect(values("producer.acks").sort()).toEqual(["0", "1", "all"]);
    expect(values("producer.enable.idempotence").sort()).toEqual(["false"]);
    expect(values("topic.min.insync.replicas").sort()).toEqual(["1", "3"]);
    expect(values("broker.unclean.leader.election.enable")).toEqual(["true"]);
    for (const v of values("producer.linger.ms")) expect(Number(v)).toBeGreaterThanOrEqual(0), expect(Number(v)).toBeLessThanOrEqual(50);
    for (const v of values("broker.replica.lag.time.max.ms")) expect(Number(v)).toBeGreaterThanOrEqual(1000), expect(Number(v)).toBeLessThanOrEqual(30_000);
    const r = fc.check(fc.property(configArb(cluster), (s) => s.length === 0), { seed: SEED });
    expect(r.failed).toBe(true);
    // The smallest failing config: one key moved one step from the scenario's value.
    expect(r.counterexample![0]).toHaveLength(1);
  });
});

describe("parseBudget", () => {
  it("reads the documented forms", () => {
    expect(parseBudget("")).toEqual(DEFAULT_BUDGET);
    expect(parseBudget("faults=3,down=1,power=single,kinds=crash+partition+pause")).toEqual({ maxFaults: 3, maxBrokersDown: 1, power: "single", kinds: ["crash", "pause", "partition"] });
    expect(parseBudget(" faults = 5 , down=2 ")).toEqual({ ...DEFAULT_BUDGET, maxFaults: 5, maxBrokersDown: 2 });
    expect(parseBudget("power=correlated").power).toBe("correlated");
    expect(parseBudget("kinds=all").kinds).toEqual(FAULT_KINDS);
    expect(parseBudget("kinds=default").kinds).toEqual(DEFAULT_FAULT_KINDS);
    expect(parseBudget("power=none").kinds).toEqual(DEFAULT_FAULT_KINDS.filter((k) => k !== "powerOff"));
    expect(parseBudget("faults=0").maxFaults).toBe(0);
    const b = parseBudget("faults=4,down=2,power=correlated,kinds=loss+crash");
    expect(parseBudget(formatBudget(b))).toEqual(b);
  });

  it("refuses bad items with a BudgetError naming the item and what was expected", () => {
    const refused = (spec: string, ...parts: RegExp[]): void => {
      let error: unknown;
      try {
        parseBudget(spec);
      } catch (e) {
        error = e;
      }
      expect(error, spec).toBeInstanceOf(BudgetError);
      for (const p of parts) expect((error as Error).message, spec).toMatch(p);
    };
    refused("faults=three", /"faults=three"/, /whole number/);
    refused("faults=-1", /"faults=-1"/, /from 0 to/);
    refused("faults=1000", /"faults=1000"/, /from 0 to 100/);
    refused("down=1.5", /"down=1.5"/, /whole number/);
    refused("power=double", /"power=double"/, /none.*single.*correlated/);
    refused("power=singel", /did you mean "single"/);
    refused("kinds=crash+explode", /"kinds=crash\+explode"/, /got "explode"/, /crash, stop/);
    refused("kinds=crash+parition", /did you mean "partition"/);
    refused("kinds=crash++pause", /empty kind/);
    refused("kinds=crash+crash", /crash is named twice/);
    refused("fautls=3", /"fautls=3"/, /faults, down, power, kinds or healBy/, /did you mean "faults"/);
    refused("faults", /"faults"/, /faults=<value>/);
    refused("faults=", /"faults="/);
    refused("faults=3,,down=1", /item 2 is empty/);
    refused("faults=3,faults=4", /"faults=4"/, /given twice/);
    refused("power=none,kinds=crash+powerOff", /"kinds=crash\+powerOff"/, /no powerOff/);
  });
});

describe("budgetAllows", () => {
  const cluster = shapeOf("acks-all-leader-crash.yaml"); // 3 brokers in racks a, b, c (zk-1 in a); orders: 1 partition, RF 3; session 18 s
  const allows = (faults: FaultDocument[], spec = ""): string | null => budgetAllows(faults, parseBudget(spec), cluster);

  it("counts brokers down at once, fire-time targets included", () => {
    expect(allows([{ at: "20s", crash: "leader:orders-0", for: "20s" }, { at: "50s", crash: "leader:orders-0", for: "20s" }])).toBeNull();
    expect(allows([{ at: "20s", crash: "leader:orders-0", for: "20s" }, { at: "30s", pause: "broker-2", for: "5s" }])).toMatch(
      /faults\[0\] \(crash leader:orders-0 at 20s for 20s\) and faults\[1\] \(pause broker-2 at 30s for 5s\) have up to 2 brokers down or cut off at 30s: the budget allows 1 \(down=1\)/,
    );
    // followers: of an RF-3 partition are two brokers.
    expect(allows([{ at: "10s", crash: "followers:orders-0", for: "30s" }])).toMatch(/2 brokers/);
    expect(allows([{ at: "10s", crash: "followers:orders-0", for: "30s" }], "down=2")).toBeNull();
    // Back to back is not at once.
    expect(allows([{ at: "10s", stop: "broker-1", for: "10s" }, { at: "20s", stop: "broker-2", for: "10s" }], "kinds=all")).toBeNull();
    // Without `for` a crash lasts to the end of the run.
    expect(allows([{ at: "10s", crash: "broker-1" }, { at: "100s", pause: "broker-2", for: "5s" }])).toMatch(/at 100s/);
    // A crash shorter than the ZooKeeper session: the broker cannot start again before the end.
    expect(allows([{ at: "10s", crash: "broker-1", for: "5s" }, { at: "100s", pause: "broker-2", for: "5s" }])).toMatch(/at 100s/);
    // Momentary faults count at their instant.
    expect(allows([{ at: "10s", crash: "broker-1", for: "20s" }, { at: "15s", expireSession: "controller" }])).toMatch(/2 brokers/);
    // ZooKeeper servers and clients are not brokers.
    expect(allows([{ at: "10s", crash: "broker-1", for: "20s" }, { at: "15s", pause: "zk-1", for: "5s" }])).toBeNull();
  });

  it("counts a partition's cut-off side, a rack as its brokers", () => {
    expect(allows([{ at: "20s", partition: [["leader:orders-0"], ["followers:orders-0"]], for: "10s" }])).toBeNull();
    expect(allows([{ at: "20s", partition: [["producer-p1"], ["broker-1", "broker-2", "broker-3"]], for: "10s" }, { at: "25s", crash: "broker-1", for: "20s" }])).toBeNull();
    expect(allows([{ at: "20s", partition: [["leader:orders-0"], ["followers:orders-0"]], for: "10s" }, { at: "25s", crash: "broker-1", for: "20s" }])).toMatch(/2 brokers/);
    expect(allows([{ at: "20s", partition: { from: ["broker-1"], to: ["broker-2", "broker-3"] }, for: "10s" }, { at: "25s", pause: "broker-2", for: "2s" }])).toMatch(/2 brokers/);
    // Rack a holds broker-1 and the only ZooKeeper server: cut off from it, brokers 2 and 3 lose ZooKeeper.
    expect(allows([{ at: "20s", partition: [["rack-a"], ["rack-b", "rack-c"]], for: "10s" }])).toMatch(/2 brokers/);
    expect(allows([{ at: "20s", powerOff: "rack-b", for: "20s" }], "power=correlated")).toBeNull();
    expect(allows([{ at: "20s", powerOff: "rack-a", for: "20s" }], "power=correlated")).toBeNull();
    // Latency, slow disks and partial loss degrade; certain loss is a partition.
    expect(allows([{ at: "20s", latency: { add: "50ms" }, for: "10s" }, { at: "20s", crash: "broker-1", for: "20s" }])).toBeNull();
    expect(allows([{ at: "20s", loss: { probability: 1 }, for: "10s" }])).toMatch(/3 brokers/);
  });

  it("checks the power budget, the kinds and the number of faults", () => {
    expect(allows([{ at: "20s", powerOff: "rack-a", for: "20s" }])).toMatch(/leaves 2 hosts without power at 20s: the budget allows one at a time \(power=single\)/);
    expect(allows([{ at: "20s", powerOff: "broker-1", for: "20s" }, { at: "30s", powerOff: "zk-1", for: "20s" }])).toMatch(/power=single/);
    expect(allows([{ at: "20s", powerOff: "broker-1", for: "20s" }, { at: "30s", powerOff: "zk-1", for: "20s" }], "power=correlated")).toBeNull();
    expect(allows([{ at: "20s", powerOff: "broker-1", for: "20s" }], "power=none")).toMatch(/no power loss \(power=none\)/);
    expect(allows([{ at: "20s", stop: "broker-1", for: "20s" }])).toMatch(/faults\[0\] \(stop broker-1 at 20s for 20s\) is a stop fault: the budget's kinds are crash, pause/);
    expect(allows([{ at: "20s", partition: { from: ["broker-1"], to: ["broker-2"] }, for: "5s" }], "kinds=partition")).toMatch(/oneWayPartition/);
    const four = ["20s", "40s", "60s", "80s"].map((at) => ({ at, crash: "leader:orders-0", for: "19s" }));
    expect(allows(four)).toMatch(/4 faults: the budget allows 3 \(faults=3\)/);
    expect(allows([...four.slice(0, 3), { at: "90s", heal: "all" }])).toBeNull();
  });
});
