/**
 * A sweep's plan: the configs (the cross product of the `--set key=v1,v2` values) and the seeds,
 * numbered so that every process that reads the same command line numbers the same runs the same
 * way, and a shard (`--shard i/n`) takes a fixed 1/n of them.
 */

/** One `--set`: a key and the values to try, in the order given. */
export interface SweepAxis {
  key: string;
  values: string[];
}

/** A config: one value per axis, as `key=value` overrides, and a short label of the axes that vary. */
export interface SweepConfig {
  index: number;
  /** c1, c2, ...: file and chart names. */
  id: string;
  sets: string[];
  label: string;
}

export interface SweepRun {
  /** Position in the whole sweep: configs outer, seeds inner. */
  index: number;
  config: number;
  seed: number;
}

export interface Shard {
  /** 1-based, as written on the command line. */
  index: number;
  count: number;
}

export class PlanError extends Error {}

/** Most runs one sweep may hold: a plan, its file names and its report must stay of bounded size. */
export const MAX_RUNS = 1_000_000;

/**
 * `key=v1,v2,...` → an axis. A value holding a comma cannot be swept (no scenario config takes
 * one on the command line: lists are set item by item).
 */
export function parseAxis(text: string): SweepAxis {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new PlanError(`--set ${text}: expected key=value or key=v1,v2,..., e.g. --set producer.acks=1,all`);
  const key = text.slice(0, eq).trim();
  const values = text.slice(eq + 1).split(",").map((v) => v.trim());
  if (values.some((v) => v === "")) throw new PlanError(`--set ${text}: an empty value in the list (values are separated by commas)`);
  if (new Set(values).size !== values.length) throw new PlanError(`--set ${text}: a value is listed twice`);
  return { key, values };
}

export function parseAxes(texts: readonly string[]): SweepAxis[] {
  const axes = texts.map(parseAxis);
  const seen = new Set<string>();
  for (const a of axes) {
    if (seen.has(a.key)) throw new PlanError(`--set ${a.key}: given twice; list its values in one --set (${a.key}=v1,v2)`);
    seen.add(a.key);
  }
  return axes;
}

/** `1..200`, `7`, or `1,5,9`: whole numbers >= 0, each once, kept in the order written. */
export function parseSeeds(text: string): number[] {
  const whole = (s: string): number => {
    if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new PlanError(`--seeds ${text}: ${s === "" ? "an empty item" : `"${s}"`} is not a whole number >= 0 (expected e.g. 1..200 or 1,2,3)`);
    return Number(s);
  };
  const range = /^(\d+)\.\.(\d+)$/.exec(text.trim());
  let seeds: number[];
  if (range !== null) {
    const [a, b] = [whole(range[1]), whole(range[2])];
    if (b < a) throw new PlanError(`--seeds ${text}: the range ends before it starts`);
    if (b - a + 1 > MAX_RUNS) throw new PlanError(`--seeds ${text}: ${b - a + 1} seeds; at most ${MAX_RUNS.toLocaleString("en-US")} runs a sweep`);
    seeds = Array.from({ length: b - a + 1 }, (_, i) => a + i);
  } else {
    seeds = text.split(",").map((s) => whole(s.trim()));
  }
  if (new Set(seeds).size !== seeds.length) throw new PlanError(`--seeds ${text}: a seed is listed twice`);
  return seeds;
}

/** `i/n` with 1 <= i <= n. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const shard = m === null ? null : { index: Number(m[1]), count: Number(m[2]) };
  if (shard === null || shard.count < 1 || shard.index < 1 || shard.index > shard.count || !Number.isSafeInteger(shard.count)) {
    throw new PlanError(`--shard ${text}: expected i/n with 1 <= i <= n, e.g. --shard 1/4`);
  }
  return shard;
}

/** The cross product of the axes, the first axis varying slowest (as the table rows read). */
export function expandConfigs(axes: readonly SweepAxis[]): SweepConfig[] {
  let combos: string[][] = [[]];
  for (const axis of axes) combos = combos.flatMap((c) => axis.values.map((v) => [...c, `${axis.key}=${v}`]));
  const varying = new Set(axes.filter((a) => a.values.length > 1).map((a) => a.key));
  return combos.map((sets, i) => {
    const shown = sets.filter((s) => varying.has(s.slice(0, s.indexOf("="))));
    return { index: i, id: `c${i + 1}`, sets, label: shown.length === 0 ? "as written" : shown.join(" ") };
  });
}

/** Every run of the sweep: config by config, seeds in the order given. */
export function expandRuns(configs: readonly SweepConfig[], seeds: readonly number[]): SweepRun[] {
  if (configs.length * seeds.length > MAX_RUNS) throw new PlanError(`${configs.length} configs x ${seeds.length} seeds = ${(configs.length * seeds.length).toLocaleString("en-US")} runs; at most ${MAX_RUNS.toLocaleString("en-US")} a sweep`);
  return configs.flatMap((c) => seeds.map((seed, s) => ({ index: c.index * seeds.length + s, config: c.index, seed })));
}

/**
 * The runs of shard i/n: those whose index is i-1 modulo n. Dealt round-robin rather than cut in
 * blocks, so every shard gets each config's seeds in equal share and shards take equal time
 * when one config is much slower than another.
 */
export function shardRuns(runs: readonly SweepRun[], shard: Shard | null): SweepRun[] {
  if (shard === null) return runs.slice();
  return runs.filter((r) => r.index % shard.count === shard.index - 1);
}
