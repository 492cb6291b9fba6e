import { expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { explore, parseBudget } from "../../index.js";
import { propertyRuns, propertySeed } from "./budget.js";
import { knownMarks } from "../../explore/knownMarks.js";

// acks=all, min.insync.replicas=2, RF=3, unclean elections off, Kafka 3.6: under any schedule of
// process crashes, network partitions (two-way and one-way) and pauses with at most one broker
// down at a time, no acknowledged record is lost, no replica diverges, order is kept, and the
// group's committed offsets never pass what it processed.
it("acksAllMinIsrNoLoss: no acknowledged record lost, no divergence, order kept, no commit ahead of processing", async () => {
  const runs = propertyRuns(12);
  const seed = propertySeed(20261122);
  const result = await explore({
    scenarioText: readFileSync("test/fixtures/acks-all-min-isr2.yaml", "utf8"),
    scenarioName: "acks-all-min-isr2",
    runs,
    seed,
    budget: parseBudget("faults=3,down=1,power=none,kinds=crash+partition+oneWayPartition+pause"),
    guarantees: { lostAcked: "== 0", divergence: "== 0", reordered: "== 0", invariantViolations: "== 0", lostConsumed: "== 0" },
  });
  const neverHit = knownMarks().filter((m) => result.marksHit[m] === undefined);
  console.log(`acksAllMinIsrNoLoss: ${result.runs} schedules, fast-check seed ${seed}; ${Object.keys(result.marksHit).length} marks hit, never hit:\n  ${neverHit.join("\n  ")}`);
  const found = result.failure;
  expect(found, found === null ? "" : `fast-check seed ${result.fcSeed} path ${result.fcPath}; shortest counterexample:\n${found.yaml}`).toBeNull();
  expect(result.runs).toBe(runs);
}, 1_800_000);
