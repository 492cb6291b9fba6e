/**
 * `npm run bench -- --sweep`: how a sweep scales with worker threads. The same sweep (4 configs
 * of isr-shrink-then-leader-loss: acks 1/all x min.insync.replicas 1/2) runs with 1 and with 2
 * workers, alternated 1/2, 2/1 over the rounds, each in a fresh process and a fresh folder; the
 * figure is the time of the runs themselves (the sweep's `ran` line: the report, which replays
 * one run and draws the charts, is left out), and each round's speedup is 1-worker time over
 * 2-worker time. Both sweeps of a round must give the same report.json, timing aside.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../cli.js", import.meta.url));
export const SWEEP_ARGS = ["isr-shrink-then-leader-loss", "--set", "producer.acks=1,all", "--set", "topic.min.insync.replicas=1,2"];

export interface SweepTiming {
  workers: number;
  runs: number;
  runsS: number;
  wallS: number;
  /** report.json without its timing fields. */
  report: string;
}

function runSweep(workers: number, seeds: string): SweepTiming {
  const dir = mkdtempSync(join(tmpdir(), "kafkasim-bench-sweep-"));
  const out = join(dir, "sweep");
  try {
    const started = performance.now();
    const stdout = execFileSync(process.execPath, [cli, "sweep", ...SWEEP_ARGS, "--seeds", seeds, "--out", out, "--workers", String(workers)], { encoding: "utf8" });
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
export function sweepScaling(rounds: number, seeds: string, log: (s: string) => void): Array<{ one: SweepTiming; two: SweepTiming }> {
  const out: Array<{ one: SweepTiming; two: SweepTiming }> = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [1, 2] : [2, 1];
    const [a, b] = order.map((w) => runSweep(w, seeds));
    const [one, two] = a.workers === 1 ? [a, b] : [b, a];
    if (one.report !== two.report) throw new Error(`bench --sweep: round ${r + 1}: the report with 1 worker differs from the report with 2`);
    out.push({ one, two });
    log(`bench: sweep round ${r + 1}/${rounds}: 1 worker ${one.runsS.toFixed(1)} s, 2 workers ${two.runsS.toFixed(1)} s (${one.runs} runs), speedup ${(one.runsS / two.runsS).toFixed(2)}x\n`);
  }
  return out;
}
