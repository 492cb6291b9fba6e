import { expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
// The README's library example ("Searching for failures"), on a test fixture with fewer runs.
import { clusterShapeOf, faultScheduleArb, loadScenarioDocument, parseBudget, simulate } from "../index.js";

it("the README's library example: acks=all with min.insync.replicas=2 loses nothing with one broker down at a time", () => {
  const doc = parse(readFileSync("test/fixtures/tiny-crash.yaml", "utf8"));
  const cluster = clusterShapeOf(loadScenarioDocument(doc));
  const schedules = faultScheduleArb(cluster, parseBudget("faults=3,down=1,kinds=crash+partition+pause"));
  fc.assert(
    fc.property(schedules, fc.integer({ min: 1, max: 1000 }), (faults, seed) => {
      const r = simulate({ ...doc, faults }, { seed, set: ["producer.acks=all", "topic.min.insync.replicas=2"] });
      expect(r.metrics.lostAcked).toBe(0);
      expect(r.violations).toEqual([]);
    }),
    { numRuns: 4, seed: 11 },
  );
}, 300_000);
