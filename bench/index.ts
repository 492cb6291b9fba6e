/**
 * `npm run bench [-- --rounds N --seeds A..B --only hold|reference]`: each measured run in a
 * fresh process (bench/child.ts), the two hold-model engines alternated A/B, B/A, ... over the
 * rounds with the same warm-up and the same V8 flags, and the reference scenario for each seed
 * every round. Rates are from CPU time (user + system), which another process on the machine
 * disturbs far less than wall time; wall-based figures are printed beside them, and a run whose
 * wall time exceeds its CPU time by more than 10% is counted as contended. Each figure is a
 * `name=value` line (the median over the rounds) with `name_min` / `name_max`, so CI logs and
 * scripts can read them. The reference must repeat exactly: a seed whose events or traceHash
 * differ between rounds fails the bench (exit 1). `--growth` prints the growth table instead
 * (bench/growth.ts); `--sweep [--sweep-seeds A..B] [--sweep-scenario NAME]` how a sweep scales from 1 to 2 worker threads
 * (bench/sweepScaling.ts). Benchmarks measure; tests assert behaviour.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { growthVariants } from "./growth.js";
import { SWEEP_SCENARIO, sweepScaling } from "./sweepScaling.js";
import { SIMULATION_V8_FLAGS } from "../heapTuning.js";

/**
 * The V8 flags of each run. The hold model runs under V8's defaults on both engines.
 * `--max-semi-space-size=16`, which the bench used to pass, measured as a no-op on Node 20
 * (reference seed 1, alternated 3 rounds: GC 667 / 745 / 711 ms with it, 837 / 615 / 742 ms
 * without; CPU within the run-to-run spread), as 16 MB is already V8's default there; 1 MB
 * tripled GC time (3.2-3.8 s). The reference and growth runs start as the CLI does
 * (SIMULATION_V8_FLAGS, heapTuning.ts).
 */
const HOLD_FLAGS: readonly string[] = [];
const CONTENDED = 1.1;

interface Run {
  what: string;
  wallMs: number;
  cpuMs: number;
  gcMs: number;
  events: number;
}

interface ReferenceRun extends Run {
  seed: number;
  simulatedUs: number;
  traceHash: string;
  peakRssMb: number;
  acked: number;
  lostAcked: number;
  produceP99Ms: number;
  e2eP50Ms: number | null;
  e2eP99Ms: number | null;
}

const child = fileURLToPath(new URL("./child.js", import.meta.url));

function runChild<T extends Run>(args: string[]): T {
  const flags = args[0] === "reference" ? SIMULATION_V8_FLAGS : HOLD_FLAGS;
  const out = execFileSync(process.execPath, [...flags, child, ...args], { encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split("\n").pop()!) as T;
}

function stats(values: number[]): { median: number; min: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1] };
}

function print(name: string, values: number[], digits: number): void {
  const { median, min, max } = stats(values);
  console.log(`${name}=${median.toFixed(digits)}`);
  console.log(`${name}_min=${min.toFixed(digits)}`);
  console.log(`${name}_max=${max.toFixed(digits)}`);
}

function seedRange(spec: string): number[] {
  const m = /^(\d+)(?:\.\.(\d+))?$/.exec(spec);
  if (m === null) throw new Error(`--seeds: expected N or A..B, got ${spec}`);
  const from = Number(m[1]);
  const to = Number(m[2] ?? m[1]);
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

function growth(minutes: number): number {
  const rows: Array<{ name: string; r: ReferenceRun }> = [];
  for (const v of growthVariants(minutes)) {
    let r: ReferenceRun;
    try {
      r = runChild<ReferenceRun>(["reference", "1", ...v.sets]);
    } catch (e) {
      // A variant `validate` refuses (a limit on records x partitions, say) is reported, not fatal.
      const why = /"message":"([^"]*)"/.exec(String((e as { stderr?: unknown }).stderr ?? e))?.[1] ?? "the run failed";
      console.log(`growth.${v.name}.error=${JSON.stringify(why)}`);
      continue;
    }
    rows.push({ name: v.name, r });
    const cpuS = r.cpuMs / 1000;
    console.log(
      `growth.${v.name}.events=${r.events} growth.${v.name}.cpu_s=${cpuS.toFixed(2)} growth.${v.name}.sim_speedup=${(r.simulatedUs / 1e6 / cpuS).toFixed(1)} growth.${v.name}.cpu_us_per_event=${((r.cpuMs * 1000) / r.events).toFixed(2)} growth.${v.name}.cpu_us_per_record=${((r.cpuMs * 1000) / Math.max(1, r.acked)).toFixed(2)} growth.${v.name}.peak_rss_mb=${r.peakRssMb}`,
    );
  }
  const row = (prefix: string): ReferenceRun | undefined => rows.find((x) => x.name.startsWith(prefix))?.r;
  const ratio = (name: string, a: string, b: string, of: (r: ReferenceRun) => number): void => {
    const ra = row(a);
    const rb = row(b);
    console.log(`growth.${name}=${ra === undefined || rb === undefined ? "n/a" : (of(ra) / of(rb)).toFixed(2)}`);
  };
  const base = `p12_r10k_b6_m${minutes}`;
  ratio("cpu_per_event_192_vs_12_partitions", "p192_", base, (r) => r.cpuMs / r.events);
  ratio("cpu_per_record_100k_vs_10k", "p12_r100k_", base, (r) => r.cpuMs / Math.max(1, r.acked));
  ratio("peak_rss_long_vs_short", `p12_r10k_b6_m${minutes * 6}`, base, (r) => r.peakRssMb);
  return 0;
}

function main(): number {
  const { values } = parseArgs({
    options: { rounds: { type: "string", default: "5" }, seeds: { type: "string", default: "1..3" }, only: { type: "string" }, growth: { type: "boolean" }, minutes: { type: "string", default: "10" }, sweep: { type: "boolean" }, "sweep-seeds": { type: "string", default: "1..50" }, "sweep-scenario": { type: "string", default: SWEEP_SCENARIO } },
  });
  if (values.sweep === true) {
    const rounds = Number(values.rounds);
    const r = sweepScaling(rounds, values["sweep-seeds"]!, (s) => process.stderr.write(s), values["sweep-scenario"]);
    console.log(`sweep.scenario=${values["sweep-scenario"]} sweep.runs=${r[0].one.runs} sweep.identical_reports=true`);
    print("sweep.one_worker_s", r.map((x) => x.one.runsS), 1);
    print("sweep.two_workers_s", r.map((x) => x.two.runsS), 1);
    print("sweep.speedup_2_vs_1", r.map((x) => x.one.runsS / x.two.runsS), 2);
    return 0;
  }
  if (values.growth === true) {
    const minutes = Number(values.minutes);
    if (!(minutes > 0 && minutes <= 120)) throw new Error(`--minutes: expected a number of simulated minutes in (0, 120], got ${values.minutes}`);
    return growth(minutes);
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: expected a whole number >= 1, got ${values.rounds}`);
  const seeds = seedRange(values.seeds!);
  const doHold = values.only === undefined || values.only === "hold";
  const doReference = values.only === undefined || values.only === "reference";
  const ours: Run[] = [];
  const theirs: Run[] = [];
  const reference: ReferenceRun[] = [];
  for (let r = 0; r < rounds; r++) {
    if (doHold) {
      const order = r % 2 === 0 ? ["hold-kafkasim", "hold-simjs"] : ["hold-simjs", "hold-kafkasim"];
      for (const what of order) (what === "hold-kafkasim" ? ours : theirs).push(runChild<Run>([what]));
    }
    if (doReference) for (const seed of seeds) reference.push(runChild<ReferenceRun>(["reference", String(seed)]));
    process.stderr.write(`bench: round ${r + 1}/${rounds} done\n`);
  }
  const all: Run[] = [...ours, ...theirs, ...reference];
  const contended = all.filter((x) => x.wallMs > x.cpuMs * CONTENDED).length;
  if (doHold) {
    const rate = (x: Run): number => (x.events / x.cpuMs) * 1000;
    print("engine.hold.events_per_sec", ours.map(rate), 0);
    print("engine.hold.simjs_events_per_sec", theirs.map(rate), 0);
    print("engine.hold.ratio_vs_simjs", ours.map((x, i) => rate(x) / rate(theirs[i])), 2);
    print("engine.hold.gc_ms", ours.map((x) => x.gcMs), 0);
    print("engine.hold.simjs_gc_ms", theirs.map((x) => x.gcMs), 0);
  }
  let failed = false;
  if (doReference) {
    print("reference.sim_speedup", reference.map((x) => x.simulatedUs / 1000 / x.cpuMs), 1);
    print("reference.wall_speedup", reference.map((x) => x.simulatedUs / 1000 / x.wallMs), 1);
    print("reference.cpu_s", reference.map((x) => x.cpuMs / 1000), 2);
    print("reference.gc_ms", reference.map((x) => x.gcMs), 0);
    print("reference.peak_rss_mb", reference.map((x) => x.peakRssMb), 0);
    for (const seed of seeds) {
      const runs = reference.filter((x) => x.seed === seed);
      const first = runs[0];
      console.log(`reference.seed${seed}.events=${first.events} reference.seed${seed}.traceHash=${first.traceHash}`);
      console.log(
        `reference.seed${seed}.acked=${first.acked} reference.seed${seed}.lostAcked=${first.lostAcked} reference.seed${seed}.p99_ms=${first.produceP99Ms} reference.seed${seed}.e2e_p50_ms=${first.e2eP50Ms} reference.seed${seed}.e2e_p99_ms=${first.e2eP99Ms}`,
      );
      const differ = runs.filter((x) => x.events !== first.events || x.traceHash !== first.traceHash);
      if (differ.length > 0) {
        failed = true;
        console.log(`reference.seed${seed}.repeat_mismatch=${differ.length}`);
      }
    }
  }
  console.log(`bench.runs=${all.length} bench.contended_runs=${contended}`);
  if (contended > 0) process.stderr.write(`bench: ${contended} of ${all.length} runs were contended (wall > ${CONTENDED} x CPU): another process shared the CPU\n`);
  if (failed) process.stderr.write("bench: the reference scenario did not repeat exactly (events or traceHash differ between rounds)\n");
  return failed ? 1 : 0;
}

process.exitCode = main();
