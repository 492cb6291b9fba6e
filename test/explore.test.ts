import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { kafkasim } from "./helpers/cli.js";
import { simulate, ScenarioError, loadScenarioDocument } from "../index.js";

const ACKS1 = "test/fixtures/tiny-acks1.yaml";

describe("the library API", () => {
  it("runs a scenario given as an object and returns metrics, checks, marks and history", () => {
    const doc = parse(readFileSync(ACKS1, "utf8"));
    doc.faults = [{ at: "10s", crash: "leader:t-0" }];
    doc.expect = { leaderChanges: ">= 1" };
    const a = simulate(doc, { seed: 3 });
    expect(a.checks).toEqual([expect.objectContaining({ name: "leaderChanges", ok: true })]);
    expect(a.metrics.acked).toBeGreaterThan(1000);
    expect(a.history.controllers.length).toBeGreaterThanOrEqual(1);
    expect(a.marks["controller: unclean leader election"] ?? 0).toBe(0);
    expect(simulate(doc, { seed: 3 }).traceHash).toBe(a.traceHash);
    expect(simulate(doc, { seed: 3, set: ["producer.acks=all"] }).traceHash).not.toBe(a.traceHash);
  });

  it("refuses an invalid scenario with the problems validate prints", () => {
    expect(() => loadScenarioDocument({ name: "x", duration: "ten seconds" })).toThrow(ScenarioError);
    try {
      simulate({ name: "x", duration: "10s", cluster: { brokers: 3 }, topics: [{ name: "t", partitions: 1, "replication.factor": 4 }] });
      expect.unreachable();
    } catch (e) {
      expect((e as ScenarioError).problems.join("\n")).toMatch(/replication/);
    }
  });
});

describe("kafkasim explore", () => {
  it("finds a loss with acks=1, shrinks it to a few faults, and the file it writes reproduces it", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "kafkasim-explore-")), "found.yaml");
    const r = await kafkasim("explore", ACKS1, "--runs", "40", "--seed", "1", "--out", out);
    expect(r.err).toBe("");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^found {6}lostAcked \d+ \(guarantee == 0\)/m);
    const found = parse(readFileSync(out, "utf8"));
    expect(found.faults.length).toBeGreaterThanOrEqual(1);
    expect(found.faults.length).toBeLessThanOrEqual(3);
    expect(found.expect).toMatchObject({ lostAcked: "== 0" });
    const replay = await kafkasim("run", out, "--json");
    expect(replay.code).toBe(1);
    expect(JSON.parse(replay.out).metrics.lostAcked).toBeGreaterThan(0);
    // The same fast-check seed explores the same schedules: the same counterexample.
    const again = join(mkdtempSync(join(tmpdir(), "kafkasim-explore-")), "found.yaml");
    await kafkasim("explore", ACKS1, "--runs", "40", "--seed", "1", "--out", again);
    expect(readFileSync(again, "utf8")).toBe(readFileSync(out, "utf8"));
  }, 300_000);

  it("exits 0 when nothing breaks, lists the marks never hit, and refuses bad input with exit 2", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "kafkasim-explore-")), "none.yaml");
    const r = await kafkasim("explore", ACKS1, "--runs", "3", "--seed", "2", "--budget", "faults=1,kinds=latency", "--out", out, "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ found: false, runs: 3, counterexample: null });
    expect(j.marks.neverHit).toContain("controller: unclean leader election");
    expect(existsSync(out)).toBe(false);
    const bad = await kafkasim("explore", ACKS1, "--budget", "kinds=crash+parition");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/did you mean "partition"/);
    const runs = await kafkasim("explore", ACKS1, "--runs", "0");
    expect(runs.code).toBe(2);
    // A healBy at or past the scenario's duration cannot show recovery: bad input, not a crash.
    const late = await kafkasim("explore", ACKS1, "--budget", "healBy=999s");
    expect(late.code).toBe(2);
    expect(late.err).toMatch(/^kafkasim: --budget healBy=999s: budget item "healBy=999s": expected a time before the end of the scenario's duration/);
  }, 120_000);
});
