/**
 * The worker thread's entry (tinypool): runs one (config, seed) and hands the record back to the
 * main thread, which writes it. A worker lives for the whole sweep and runs many seeds; each run
 * builds its own world, so what one run leaves in the thread cannot reach the next (the sweep
 * tests compare 1 and 2 workers, and the traceHash of a run with that of `kafkasim run`).
 */
import { runSweepRun, type RunRecord, type RunTask } from "./runRecord.js";

export default function runTask(task: RunTask): RunRecord {
  return runSweepRun(task);
}
