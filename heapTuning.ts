/**
 * How much V8 lets its old generation grow past what survived the last full GC, set for a process
 * that runs simulations (the CLI, sweep workers, the bench's reference runs).
 *
 * V8 picks that factor from its marking speed over the rate at which objects reach the old
 * generation (src/heap/heap-controller.cc, MemoryController::GrowingFactor: F = R(1-MU) /
 * (R(1-MU) - MU), target MU 0.97, at most 4). A simulation keeps minutes of log batches alive as
 * small objects, so R measured 12-33 (`--trace-gc-verbose`) and F was always 4: the reference's
 * heap held ~90 MB live and grew to ~400 MB before collecting, and an hour-long run peaked at
 * ~520 MB RSS against ~260 MB for ten minutes. At 1.25 the hour peaked at 286 MB and ten minutes
 * at 224 MB; its pauses summed as before (6.3 s against 6.2 s over the hour: more, shorter full
 * GCs, cheaper scavenges), so the run costs about the same CPU.
 *
 * `--heap-growing-percent` is a V8 flag Node does not take in NODE_OPTIONS; V8 reads it at every
 * full GC, so setting it at start-up applies to this isolate and to worker threads started later.
 */
import v8 from "node:v8";

export const HEAP_GROWING_PERCENT = 25;

/**
 * The V8 flags a process that runs simulations starts with (the CLI's `#!` line; the bench's
 * reference, growth and sweep runs): `--single-threaded`, no background threads for the GC or
 * the compilers. A simulation is one busy thread; on the 2-core machines CI and this project
 * measure on, V8's concurrent marking and parallel scavenges (more frequent with the heap
 * growing 25% at a time) ran beside it and cost CPU time without saving wall time: the reference
 * at seed 1, alternated rounds, took 15.1-16.1 s of CPU with it against 20.6-23.2 s without,
 * and 15.8-16.1 s of wall time against 17.6-19.5 s. A sweep's workers, one per core, no longer
 * compete with each other's GC threads either. Node's worker threads are unaffected. Unlike
 * the growing factor it cannot be set once V8 is running (changing concurrent marking under a
 * live heap aborts V8), so it is a command-line flag.
 */
export const SIMULATION_V8_FLAGS: readonly string[] = ["--single-threaded"];

export function tuneHeapForSimulation(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
