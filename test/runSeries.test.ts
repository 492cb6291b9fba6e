/**
 * Time series of one finished run (issue 12, item 4): on real runs of built-in and small
 * scenarios, the throughput series adds up to the acknowledged records, the smallest ISR drops
 * after a broker crash and comes back after its restart, every fault (and its undo) is a marker,
 * a group's lag and end-to-end latency are there, a long run stays within maxPoints, and the
 * same run gives the same series.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { loadScenario, formatProblem } from "../scenarios/loader.js";
import { runScenario } from "../scenarios/runner.js";
import type { Override } from "../scenarios/overrides.js";
import { chooseBucketUs, runSeries, runSeriesCharts, type RunSeries } from "../reports/runSeries.js";
import { LogBins } from "../sim/nodes/kafka/history/LatencyBySecond.js";
import { doc } from "./helpers/readSide.js";

function run(text: string, file: string, sets: Override[] = []) {
  const r = loadScenario(text, file, sets);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  const outcome = runScenario(r.scenario, { seed: 1 });
  const acked = [...outcome.world.history.producers.values()].reduce((n, t) => n + t.acked, 0);
  return { scenario: r.scenario, outcome, acked };
}

const builtin = (name: string, sets: Override[] = []) => run(readFileSync(`scenarios/${name}.yaml`, "utf8"), `${name}.yaml`, sets);
const recordsOf = (s: RunSeries): number => s.throughput.reduce((n, r) => n + r * s.bucketSec, 0);
/** Indices of the buckets starting in [fromSec, toSec). */
const between = (s: RunSeries, fromSec: number, toSec: number): number[] => s.t.flatMap((t, i) => (t >= fromSec && t < toSec ? [i] : []));

describe("runSeries on acks-all-leader-crash (three leader crashes, each restarted 20 s later)", () => {
  const { scenario, outcome, acked } = builtin("acks-all-leader-crash");
  const series = runSeries(outcome, scenario);

  it("has 1 s buckets over the duration and the settle period, and throughput adds up to the records acknowledged", () => {
    expect(series.bucketSec).toBe(1);
    expect(series.t.length).toBe(150);
    expect(series.t[0]).toBe(0);
    expect(acked).toBeGreaterThan(200_000);
    expect(recordsOf(series)).toBeCloseTo(acked, 6);
  });

  it("marks each crash (with the leader it hit), each restart, and the heal at the end of the duration", () => {
    const crashes = scenario.faults.map((f) => f.atUs / 1e6);
    expect(crashes).toEqual([20, 50, 80]);
    for (const at of crashes) {
      expect(series.faults.find((f) => f.atSec === at)?.label).toMatch(/^crash leader:orders-0 \(broker-\d\)$/);
      expect(series.faults.find((f) => f.atSec === at + 20)?.label).toMatch(/^restart broker-\d$/);
    }
    expect(series.faults.at(-1)).toEqual({ atSec: 120, label: "end of duration: heal all, start all" });
    for (const chart of runSeriesCharts(series)) expect(chart.markers).toEqual(series.faults.map((f) => ({ x: f.atSec, label: f.label })));
  });

  it("the smallest ISR drops below 3 after each crash and is back to 3 after the restart", () => {
    for (const at of [20, 50, 80]) {
      const down = between(series, at, at + 20);
      expect(down.some((i) => series.isrMin[i] < 3 && series.underReplicated[i] === 1)).toBe(true);
      // Back after the restart, before the next fault.
      const after = between(series, at + 20, at + 30);
      expect(after.some((i) => series.isrMin[i] === 3 && series.underReplicated[i] === 0)).toBe(true);
    }
    expect(between(series, 2, 20).every((i) => series.isrMin[i] === 3)).toBe(true);
  });

  it("produce latency: a few ms without faults, seconds for the batches retried across a crash", () => {
    const quiet = between(series, 5, 20);
    for (const i of quiet) expect(series.produceP99Ms[i]).toBeLessThan(50);
    for (let i = 0; i < series.t.length; i++) {
      const p50 = series.produceP50Ms[i];
      const p99 = series.produceP99Ms[i];
      expect(p50 === null).toBe(p99 === null);
      expect(p50 === null).toBe(series.throughput[i] === 0);
      if (p50 !== null && p99 !== null) expect(p99).toBeGreaterThanOrEqual(p50);
    }
    expect(Math.max(...between(series, 20, 50).map((i) => series.produceP99Ms[i] ?? 0))).toBeGreaterThan(1000);
  });

  it("without a consumer group: no lag, no end-to-end latency, and no charts of them", () => {
    expect(series.lag).toEqual([]);
    expect(series.endToEndP99Ms.every((v) => v === null)).toBe(true);
    const charts = runSeriesCharts(series);
    expect(charts.map((c) => c.id)).toEqual(["run-throughput", "run-produce-latency", "run-isr"]);
    for (const c of charts) {
      expect(c.id).toMatch(/^[a-z0-9-]+$/);
      expect(c.type).toBe("line");
      expect(c.labels).toEqual(series.t);
      for (const d of c.datasets) expect(d.data.length).toBe(series.t.length);
    }
    const latency = charts[1].datasets;
    expect(latency.map((d) => [d.label, d.axis ?? "left", d.stepped ?? false])).toEqual([
      ["produce p50 (ms)", "left", false],
      ["produce p99 (ms)", "left", false],
      ["smallest ISR", "right", true],
    ]);
  });

  it("maxPoints widens the buckets, and the records still add up", () => {
    const coarse = runSeries(outcome, scenario, { maxPoints: 40 });
    expect(coarse.bucketSec).toBe(5);
    expect(coarse.t.length).toBe(30);
    expect(recordsOf(coarse)).toBeCloseTo(acked, 6);
  });
});

describe("runSeries with a consumer group and mixed faults", () => {
  const text = doc({
    duration: "30s",
    faults: ["  - { at: 10s, crash: broker-2, for: 5s }", "  - { at: 12s, partition: [[broker-1], [broker-3]], for: 2s }", "  - { at: 20s, latency: { add: 20ms }, for: 3s }"].join("\n"),
  });
  const { scenario, outcome, acked } = run(text, "read-side.yaml");
  const series = runSeries(outcome, scenario);

  it("has the group's lag and end-to-end latency, and their charts", () => {
    expect(series.lag.map((g) => g.group)).toEqual(["g"]);
    const lag = series.lag[0].values;
    expect(lag.length).toBe(series.t.length);
    expect(lag.filter((v) => v !== null).length).toBeGreaterThan(20);
    const e2e = series.endToEndP99Ms.filter((v): v is number => v !== null);
    expect(e2e.length).toBeGreaterThan(5);
    // Records are processed after they are acknowledged (acks=all, linger.ms 5): above the produce latency.
    expect(Math.min(...e2e)).toBeGreaterThan(5);
    expect(runSeriesCharts(series).map((c) => c.id)).toEqual(["run-throughput", "run-produce-latency", "run-end-to-end-latency", "run-consumer-lag", "run-isr"]);
    expect(recordsOf(series)).toBeCloseTo(acked, 6);
  });

  it("labels each fault and its undo at their times", () => {
    expect(series.faults).toEqual([
      { atSec: 10, label: "crash broker-2" },
      { atSec: 12, label: "partition [broker-1] | [broker-3]" },
      { atSec: 14, label: "heal partition" },
      { atSec: 15, label: "restart broker-2" },
      { atSec: 20, label: "latency +20ms" },
      { atSec: 23, label: "end of latency +20ms" },
      { atSec: 30, label: "end of duration: heal all, start all" },
    ]);
  });

  it("is the same for the same run", () => {
    const again = run(text, "read-side.yaml");
    expect(runSeries(again.outcome, again.scenario)).toEqual(series);
    expect(runSeriesCharts(runSeries(again.outcome, again.scenario))).toEqual(runSeriesCharts(series));
  });
});

describe("bucket width", () => {
  it("a 20-minute run gets 5 s buckets, within 600 points", () => {
    const { scenario, outcome, acked } = builtin("steady-state", [
      { key: "duration", value: "1200s" },
      { key: "settle", value: "10s" },
      { key: "producers.0.rate", value: "20/s" },
    ]);
    const series = runSeries(outcome, scenario);
    expect(series.bucketSec).toBe(5);
    expect(series.t.length).toBe(242);
    expect(series.t.length).toBeLessThanOrEqual(600);
    expect(recordsOf(series)).toBeCloseTo(acked, 6);
    expect(series.faults).toEqual([]);
  });

  it("the longest runs the limits allow stay within maxPoints", () => {
    for (const runUs of [1e6, 600e6, 601e6, 3_600e6, 48 * 3_600e6]) {
      for (const maxPoints of [1, 7, 600]) {
        const us = chooseBucketUs(runUs, 1000, maxPoints);
        expect(Math.ceil(runUs / us)).toBeLessThanOrEqual(maxPoints);
      }
    }
    expect(chooseBucketUs(48 * 3_600e6, 1000, 600)).toBe(300e6);
    expect(chooseBucketUs(600e6, 1000, 600)).toBe(1e6);
    expect(chooseBucketUs(630e6, 1000, 600)).toBe(2e6);
  });
});

describe("latency bins", () => {
  it("are in value order, exact at the bottom, and their middle within 2^-subBits of each value", () => {
    for (const subBits of [4, 8]) {
      const bins = new LogBins(subBits);
      let previous = -1;
      for (let v = 1; v < 2 ** 41; v = Math.floor(v * 1.013) + 1) {
        const b = bins.bin(v);
        expect(b).toBeGreaterThanOrEqual(previous);
        expect(b).toBeLessThan(bins.count);
        previous = b;
        if (v < 2 ** 40) expect(Math.abs(bins.middleUs(b) - v) / v).toBeLessThanOrEqual(2 ** -subBits);
        if (v < 2 ** (subBits + 1)) expect(bins.middleUs(b)).toBe(v);
      }
      for (let e = 5; e < 40; e++) expect(bins.bin(2 ** e)).toBe(bins.bin(2 ** e - 1) + 1);
    }
  });
});
