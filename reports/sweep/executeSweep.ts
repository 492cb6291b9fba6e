/**
 * Runs a sweep's pending runs on a pool of long-lived worker threads (tinypool) and writes each
 * record the moment it arrives. At most two tasks per worker are queued at a time, so a sweep of
 * a million runs holds a few tasks in memory, not a million.
 */
import Tinypool from "tinypool";
import type { SweepRun } from "./plan.js";
import type { RunRecord, RunTask } from "./runRecord.js";
import type { SweepStore } from "./SweepStore.js";

export interface SweepProgress {
  done: number;
  total: number;
  /** Runs that failed an `expect:` or an invariant so far (this invocation). */
  violations: number;
}

export async function executeSweep(store: SweepStore, pending: readonly SweepRun[], workers: number, onRecord: (r: RunRecord, p: SweepProgress) => void): Promise<void> {
  if (pending.length === 0) return;
  const threads = Math.max(1, Math.min(workers, pending.length));
  const pool = new Tinypool({ filename: new URL("./worker.js", import.meta.url).href, minThreads: threads, maxThreads: threads, isolateWorkers: false });
  const plan = store.plan;
  const progress: SweepProgress = { done: 0, total: pending.length, violations: 0 };
  let next = 0;
  let failure: unknown = null;
  const submit = async (): Promise<void> => {
    while (next < pending.length && failure === null) {
      const run = pending[next++];
      const task: RunTask = { scenarioText: plan.scenarioText, scenarioName: plan.scenarioName, config: run.config, sets: plan.configs[run.config].sets, seed: run.seed };
      try {
        const record = (await pool.run(task)) as RunRecord;
        store.write(record);
        progress.done++;
        if (!record.ok) progress.violations++;
        onRecord(record, progress);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  try {
    // Two submitters per thread keep every thread busy while a finished record is being written.
    await Promise.all(Array.from({ length: threads * 2 }, submit));
  } finally {
    await pool.destroy();
  }
  if (failure !== null) throw failure;
}
