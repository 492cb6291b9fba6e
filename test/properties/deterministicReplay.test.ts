import { expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { clusterShapeOf, configArb, faultScheduleArb, loadScenarioDocument, parseBudget, simulate } from "../../index.js";
import { propertyRuns, propertySeed } from "./budget.js";

// Any generated scenario (faults, configs) and seed runs twice to the same traceHash.
it("deterministicReplay: a generated scenario and seed run twice to the same traceHash", () => {
  const doc = parse(readFileSync("test/fixtures/tiny-crash.yaml", "utf8"));
  const cluster = clusterShapeOf(loadScenarioDocument(doc));
  const arb = fc.record({ faults: faultScheduleArb(cluster, parseBudget("faults=3,down=2,power=correlated,kinds=all")), set: configArb(cluster), seed: fc.integer({ min: 0, max: 1_000_000 }) });
  fc.assert(
    fc.property(arb, ({ faults, set, seed }) => {
      const scenario = { ...doc, faults, expect: {} };
      const a = simulate(scenario, { seed, set });
      const b = simulate(scenario, { seed, set });
      expect(b.traceHash).toBe(a.traceHash);
      expect(b.events).toBe(a.events);
      expect(b.metrics.acked).toBe(a.metrics.acked);
    }),
    { numRuns: propertyRuns(6), seed: propertySeed(7), verbose: true },
  );
}, 1_800_000);
