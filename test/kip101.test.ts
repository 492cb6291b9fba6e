/**
 * KIP-101's first scenario replayed end to end (test/fixtures/kip101-hw-truncation.yaml): before
 * 0.11 a follower truncates to its own high watermark when it becomes a follower
 * (ReplicaManager.makeFollowers, 0.10.2.0), so acknowledged records above that stale watermark are
 * gone if it then leads before fetching them again; from 0.11 it truncates by the leader's epoch
 * end offset and, unable to ask (its requests to the new leader are dropped), retries without
 * truncating (ReplicaFetcherThread.maybeTruncate, 0.11.0.0).
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { loadScenario } from "../scenarios/loader.js";
import { parseOverride } from "../scenarios/overrides.js";
import { runScenario } from "../scenarios/runner.js";
import { computeMetrics } from "../reports/metrics.js";

const FILE = "test/fixtures/kip101-hw-truncation.yaml";

function run(version: string) {
  const loaded = loadScenario(readFileSync(FILE, "utf8"), FILE, [parseOverride(`kafka.version=${version}`)!]);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const outcome = runScenario(loaded.scenario, { seed: 1 });
  return { metrics: computeMetrics(outcome), history: outcome.world.history };
}

describe("KIP-101: truncation to the high watermark loses acknowledged records before 0.11", () => {
  it("0.10.2: the follower truncates to its high watermark, then leads: acknowledged records are lost", () => {
    const { metrics, history } = run("0.10.2");
    expect(history.truncations.some((t) => t.reason === "high watermark")).toBe(true);
    // Leaders: broker-1, then broker-3 (the cut-off broker-2 truncates to follow it), then broker-2.
    expect(metrics.partitions[0].changes.map((c) => c.leader).filter((l, i, a) => l >= 0 && l !== a[i - 1])).toEqual([1, 3, 2]);
    expect(metrics.lostAcked).toBeGreaterThan(0);
  });

  it.each(["0.11", "3.6"])("%s: the follower cannot ask the new leader for its epoch's end, keeps its log, and nothing acknowledged is lost", (version) => {
    const { metrics, history } = run(version);
    expect(history.truncations.filter((t) => t.reason === "high watermark")).toEqual([]);
    expect(metrics.lostAcked).toBe(0);
    expect(metrics.partitions[0].finalLeader).toBe(2);
  });
});
