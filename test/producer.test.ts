/**
 * The producer's network client as Kafka's (clients/.../NetworkClient.java, Metadata.java),
 * one test per rule, each failing without it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { loadScenario, formatProblem } from "../scenarios/loader.js";
import { runScenario } from "../scenarios/runner.js";
import type { Override } from "../scenarios/overrides.js";

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

function run(file: string, seed: number, sets: Override[] = []) {
  const r = loadScenario(readFileSync(`scenarios/${file}`, "utf8"), file, sets);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  return runScenario(r.scenario, { seed }).world;
}

describe("metadata refresh (Metadata.timeToNextUpdate)", () => {
  it("a partition without a leader is asked about every retry.backoff.ms (refreshBackoffMs), not as fast as answers come", () => {
    // unclean-election with unclean election off: orders-0 has no leader for about 47 s.
    const world = run("unclean-election.yaml", 1, [{ key: "broker.unclean.leader.election.enable", value: "false" }]);
    const requests = world.sim.marks.count("producer: metadata request");
    // 47 s / 100 ms = 470, plus the requests around the other events; before: ~137,000.
    expect(requests).toBeGreaterThan(400);
    expect(requests).toBeLessThan(1000);
  }, 30_000);
});
