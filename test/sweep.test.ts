import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as hdr from "hdr-histogram-js";
import { expandConfigs, expandRuns, parseAxes, parseSeeds, parseShard, shardRuns, PlanError } from "../reports/sweep/plan.js";
import { mergeHistograms, spread, wilson } from "../reports/sweep/aggregate.js";
import { encodeHistogram } from "../reports/sweep/runRecord.js";
import { latencyHistogram } from "../sim/nodes/kafka/LatencyRecorder.js";
import { percentileOf } from "../reports/metrics.js";
import { kafkasim } from "./helpers/cli.js";

const SCENARIO = "test/fixtures/tiny-crash.yaml";
const AXES = ["--set", "producer.acks=1,all", "--set", "broker.unclean.leader.election.enable=true,false"];


const tmp = (): string => mkdtempSync(join(tmpdir(), "kafkasim-sweep-"));

/** report.json without its timing fields: what must be equal byte for byte. */
function reportWithoutTiming(dir: string): string {
  const r = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
  delete r.timing;
  return JSON.stringify(r, null, 2);
}

function runFiles(dir: string): string[] {
  return readdirSync(join(dir, "runs"))
    .sort()
    .flatMap((c) => readdirSync(join(dir, "runs", c)).sort().map((f) => `${c}/${f}`));
}

describe("sweep plan", () => {
  it("expands the cross product, first axis slowest, labels naming only the axes that vary", () => {
    const configs = expandConfigs(parseAxes(["producer.acks=1,all", "topic.min.insync.replicas=1,2", "duration=30s"]));
    expect(configs.map((c) => c.label)).toEqual([
      "producer.acks=1 topic.min.insync.replicas=1",
      "producer.acks=1 topic.min.insync.replicas=2",
      "producer.acks=all topic.min.insync.replicas=1",
      "producer.acks=all topic.min.insync.replicas=2",
    ]);
    expect(configs[3].sets).toEqual(["producer.acks=all", "topic.min.insync.replicas=2", "duration=30s"]);
    expect(configs.map((c) => c.id)).toEqual(["c1", "c2", "c3", "c4"]);
  });

  it("reads seeds as a range or a list and refuses what it cannot read", () => {
    expect(parseSeeds("3..6")).toEqual([3, 4, 5, 6]);
    expect(parseSeeds("9,2,5")).toEqual([9, 2, 5]);
    for (const bad of ["6..3", "1,,2", "x", "1,1", "-1", "1..2000000"]) expect(() => parseSeeds(bad), bad).toThrow(PlanError);
    for (const bad of ["0/2", "3/2", "1/0", "a/b", "1"]) expect(() => parseShard(bad), bad).toThrow(PlanError);
    expect(() => parseAxes(["producer.acks=1", "producer.acks=all"])).toThrow(/given twice/);
    expect(() => parseAxes(["producer.acks=1,,all"])).toThrow(/empty value/);
  });

  it("puts every run in exactly one shard, and shards of equal size within one run", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 9 }), (nConfigs, nSeeds, n) => {
        const configs = expandConfigs([{ key: "k", values: Array.from({ length: nConfigs }, (_, i) => String(i)) }]);
        const all = expandRuns(configs, Array.from({ length: nSeeds }, (_, i) => i + 1));
        const shards = Array.from({ length: n }, (_, i) => shardRuns(all, { index: i + 1, count: n }));
        const seen = shards.flat().map((r) => r.index).sort((a, b) => a - b);
        expect(seen).toEqual(all.map((r) => r.index));
        const sizes = shards.map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
      { verbose: true },
    );
  });
});

describe("sweep aggregates", () => {
  it("gives Wilson score intervals (0 of 50 still allows 7.1%)", () => {
    expect(wilson(0, 50)).toEqual({ k: 0, n: 50, share: 0, low: 0, high: 0.071348 });
    const half = wilson(5, 10);
    expect(half.low).toBeCloseTo(0.236593, 5);
    expect(half.high).toBeCloseTo(0.763407, 5);
    expect(wilson(0, 0).share).toBeNull();
  });

  it("takes p95 over seeds by nearest rank", () => {
    expect(spread(Array.from({ length: 20 }, (_, i) => i + 1))).toEqual({ runs: 20, mean: 10.5, p95: 19, max: 20 });
    expect(spread([null, 4])).toEqual({ runs: 1, mean: 4, p95: 4, max: 4 });
  });

  it("merges encoded histograms into the percentiles of all the values together", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 1, max: 50_000_000 }), { minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 5 }), (groups) => {
        const whole = latencyHistogram();
        const parts = groups.map((g) => {
          const h = latencyHistogram();
          for (const v of g) {
            h.recordValue(v);
            whole.recordValue(v);
          }
          return encodeHistogram(h, Math.max(...g));
        });
        const merged = mergeHistograms(parts);
        const max = Math.max(...groups.flat());
        const ms = (us: number): number => Math.round(Math.min(us, max)) / 1000;
        expect(merged.records).toBe(whole.totalCount);
        expect(merged.p50).toBe(ms(percentileOf(whole, 50)));
        expect(merged.p99).toBe(ms(percentileOf(whole, 99)));
        expect(merged.p999).toBe(ms(percentileOf(whole, 99.9)));
        expect(merged.max).toBe(max / 1000);
      }),
      { verbose: true },
    );
    // The encoding alone keeps only the max's bucket; the exact max travels beside it.
    const h = latencyHistogram();
    h.recordValue(99_996);
    expect(hdr.decodeFromCompressedBase64(encodeHistogram(h, 99_996)!.hdr, 32, false).maxValue).not.toBe(99_996);
  });
});

describe("kafkasim sweep", () => {
  it("gives the same runs and report on 1 worker and on 2, and each run's traceHash is kafkasim run's", async () => {
    const [one, two] = [join(tmp(), "one"), join(tmp(), "two")];
    const a = await kafkasim("sweep", SCENARIO, ...AXES, "--seeds", "1..3", "--out", one, "--workers", "1");
    const b = await kafkasim("sweep", SCENARIO, ...AXES, "--seeds", "1..3", "--out", two, "--workers", "2");
    expect(a.err).toBe("");
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.out).toMatch(/4 configs x 3 seeds/);
    expect(runFiles(one)).toHaveLength(12);
    expect(reportWithoutTiming(two)).toBe(reportWithoutTiming(one));
    const rec = JSON.parse(readFileSync(join(one, "runs/c2/seed-3.json"), "utf8"));
    const single = JSON.parse((await kafkasim("run", SCENARIO, "--seed", "3", "--set", "producer.acks=1", "--set", "broker.unclean.leader.election.enable=false", "--json")).out);
    expect(rec.traceHash).toBe(single.traceHash);
    expect(rec.figures.lostAcked).toBe(single.metrics.lostAcked);
  }, 120_000);

  it("shards 1/2 and 2/2 merged give the unsharded report byte for byte (timing aside)", async () => {
    const base = tmp();
    const [whole, s1, s2, merged] = ["whole", "s1", "s2", "merged"].map((d) => join(base, d));
    const w = await kafkasim("sweep", SCENARIO, ...AXES, "--seeds", "1..3", "--out", whole, "--workers", "2");
    const r1 = await kafkasim("sweep", SCENARIO, ...AXES, "--seeds", "1..3", "--out", s1, "--shard", "1/2", "--workers", "1");
    const r2 = await kafkasim("sweep", SCENARIO, ...AXES, "--seeds", "1..3", "--out", s2, "--shard", "2/2", "--workers", "1");
    expect([w.code, r1.code, r2.code]).toEqual([0, 0, 0]);
    expect(runFiles(s1)).toHaveLength(6);
    expect(runFiles(s2)).toHaveLength(6);
    expect(runFiles(s1).filter((f) => runFiles(s2).includes(f))).toEqual([]);
    const m = await kafkasim("report", "merge", s1, s2, "--out", merged);
    expect(m.code).toBe(0);
    expect(m.out).toMatch(/12 runs copied, 12 of 12 runs present/);
    expect(reportWithoutTiming(merged)).toBe(reportWithoutTiming(whole));
    // A shard's own report says it is incomplete.
    expect(JSON.parse(readFileSync(join(s1, "report.json"), "utf8")).runs).toMatchObject({ planned: 12, done: 6 });
  }, 180_000);

  it("resumes a sweep killed half-way without re-running finished runs", async () => {
    const dir = join(tmp(), "killed");
    const child = spawn(process.execPath, ["dist/cli.js", "sweep", SCENARIO, ...AXES, "--seeds", "1..3", "--out", dir, "--workers", "1"], { stdio: "ignore" });
    const exited = new Promise((r) => child.on("close", r));
    // Kill it (SIGKILL: no clean-up) once some runs are written and some are not.
    for (let i = 0; i < 600 && !(existsSync(join(dir, "runs")) && runFiles(dir).length >= 4); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGKILL");
    await exited;
    const before = runFiles(dir);
    expect(before.length).toBeGreaterThanOrEqual(4);
    expect(before.length).toBeLessThan(12);
    expect(readdirSync(join(dir, "runs")).flatMap((c) => readdirSync(join(dir, "runs", c))).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const mtimes = new Map(before.map((f) => [f, statSync(join(dir, "runs", f)).mtimeMs]));
    // What a kill between writing a run's temporary file and renaming it leaves behind.
    const leftover = join(dir, "runs", before[0].split("/")[0], "seed-3.json.4242.7.tmp");
    writeFileSync(leftover, '{"half": ');
    const again = await kafkasim("sweep", SCENARIO, ...AXES, "--seeds", "1..3", "--out", dir, "--workers", "1");
    expect(again.code).toBe(0);
    expect(again.err).toContain(`resuming ${dir}: ${before.length} of 12 runs already done`);
    expect(again.out).toContain(`ran        ${12 - before.length} runs`);
    expect(runFiles(dir)).toHaveLength(12);
    for (const [f, t] of mtimes) expect(statSync(join(dir, "runs", f)).mtimeMs, f).toBe(t);
    expect(existsSync(leftover)).toBe(false);
    const whole = join(tmp(), "whole");
    await kafkasim("sweep", SCENARIO, ...AXES, "--seeds", "1..3", "--out", whole, "--workers", "2");
    expect(reportWithoutTiming(dir)).toBe(reportWithoutTiming(whole));
  }, 180_000);

  it("stops quietly when its reader closes the pipe early (| head), with no stack trace", async () => {
    const dir = join(tmp(), "piped");
    const child = spawn(process.execPath, ["dist/cli.js", "sweep", SCENARIO, "--set", "producer.acks=1,all", "--seeds", "1", "--out", dir, "--workers", "1"]);
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    // Like `| head -0`: the reader is gone before the summary is written.
    child.stdout.destroy();
    const code = await new Promise((r) => child.on("close", r));
    expect(err).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(code).toBe(0);
    expect(existsSync(join(dir, "report.json"))).toBe(true);
  }, 60_000);

  it("refuses bad input with exit 2 and one clear line, and never writes into a folder it does not own", async () => {
    const bad = await kafkasim("sweep", SCENARIO, "--set", "producer.acks=1,2", "--seeds", "1..2", "--out", join(tmp(), "x"));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/config c2 \(producer.acks=2\) is not a valid scenario/);
    const seeds = await kafkasim("sweep", SCENARIO, "--seeds", "5..1", "--out", join(tmp(), "y"));
    expect(seeds.code).toBe(2);
    expect(seeds.err).toMatch(/--seeds 5..1: the range ends before it starts/);
    const theirs = tmp();
    writeFileSync(join(theirs, "notes.txt"), "mine");
    const mixed = await kafkasim("sweep", SCENARIO, "--seeds", "1", "--out", theirs);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toMatch(/not empty and not a sweep's folder/);
    expect(readdirSync(theirs)).toEqual(["notes.txt"]);
    const dir = join(tmp(), "plan");
    mkdirSync(dir);
    expect((await kafkasim("sweep", SCENARIO, "--set", "producer.acks=1", "--seeds", "1", "--out", dir)).code).toBe(0);
    const other = await kafkasim("sweep", SCENARIO, "--set", "producer.acks=all", "--seeds", "1", "--out", dir);
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/holds another sweep \(the --set values differ/);
    const merge = await kafkasim("report", "merge", dir, join(tmp(), "nothing-here"), "--out", join(tmp(), "m"));
    expect(merge.code).toBe(2);
    expect(merge.err).toMatch(/no sweep.json; not a sweep's output folder/);
  }, 120_000);
});
