/**
 * `npm run bench -- --sweep`: how a sweep scales with worker threads. The same sweep (4 configs
 * of acks-all-leader-crash: acks 1/all x min.insync.replicas 1/2, idempotence off so that acks=1
 * is valid) runs with 1 and with 2 workers, alternated 1/2, 2/1 over the rounds, each in a fresh process and a fresh folder; the
 * figure is the time of the runs themselves (the sweep's `ran` line: the report, which replays
 * one run and draws the charts, is left out), and each round's speedup is 1-worker time over
 * 2-worker time. Both sweeps of a round must give the same report.json, timing aside.
 *
 * Why this scenario: each worker thread is a V8 isolate that warms up on its own, about 5-7 s of
 * TurboFan compilation on V8's background threads plus slower first runs (measured with
 * --trace-opt: ~350 compilations in a fresh isolate's first run, a handful per run after ten).
 * With one worker on a 2-core machine that work runs on the idle core for free; with two it
 * competes with the workers. isr-shrink-then-leader-loss's runs take ~0.3 s, so 200 of them are
 * ~64 s of work against ~2 x 10 s of warm-up, and 2 workers measured 1.45-1.62x; runs of
 * acks-all-leader-crash take ~0.6 s (a leader crashed three times), the cost a sweep is for.
 * `--sweep-scenario NAME` measures another built-in with the same --set values.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SIMULATION_V8_FLAGS } from "../heapTuning.js";

const cli = fileURLToPath(new URL("../cli.js", import.meta.url));
export const SWEEP_SCENARIO = "acks-all-leader-crash";
const SWEEP_SETS = ["--set", "producer.acks=1,all", "--set", "topic.min.insync.replicas=1,2", "--set", "producer.enable.idempotence=false"];

export interface SweepTiming {
  workers: number;
  runs: number;
  runsS: number;
  wallS: number;
  /** report.json without its timing fields. */
  report: string;
}

function runSweep(scenario: string, workers: number, seeds: string): SweepTiming {
  const dir = mkdtempSync(join(tmpdir(), "kafkasim-bench-sweep-"));
  const out = join(dir, "sweep");
  try {
    const started = performance.now();
    const stdout = execFileSync(process.execPath, [...SIMULATION_V8_FLAGS, cli, "sweep", scenario, ...SWEEP_SETS, "--seeds", seeds, "--out", out, "--workers", String(workers)], { encoding: "utf8" });
    const wallS = (performance.now() - started) / 1000;
    const ran = /^ran\s+(\d+) runs in ([\d.]+) s/m.exec(stdout);
    if (ran === null) throw new Error(`bench --sweep: no "ran" line in the sweep's output:\n${stdout}`);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    delete report.timing;
    return { workers, runs: Number(ran[1]), runsS: Number(ran[2]), wallS, report: JSON.stringify(report) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rounds of (1 worker, 2 workers) in alternating order; throws when the two disagree. */
export function sweepScaling(rounds: number, seeds: string, log: (s: string) => void, scenario = SWEEP_SCENARIO): Array<{ one: SweepTiming; two: SweepTiming }> {
  const out: Array<{ one: SweepTiming; two: SweepTiming }> = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [1, 2] : [2, 1];
    const [a, b] = order.map((w) => runSweep(scenario, w, seeds));
    const [one, two] = a.workers === 1 ? [a, b] : [b, a];
    if (one.report !== two.report) throw new Error(`bench --sweep: round ${r + 1}: the report with 1 worker differs from the report with 2`);
    out.push({ one, two });
    log(`bench: sweep round ${r + 1}/${rounds}: 1 worker ${one.runsS.toFixed(1)} s, 2 workers ${two.runsS.toFixed(1)} s (${one.runs} runs), speedup ${(one.runsS / two.runsS).toFixed(2)}x\n`);
  }
  return out;
}
