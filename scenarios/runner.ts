/**
 * Runs a scenario with a seed: build the world, schedule the faults, run through the duration
 * and the settle period. Returns the world so that reports can read its histories.
 */
import type { StopReason } from "../sim/Simulation.js";
import type { TraceSink } from "../sim/Trace.js";
import type { Scenario } from "./model.js";
import { scheduleFaults } from "./faults.js";
import { buildWorld, type World } from "./world.js";
import { parseDuration } from "./units.js";

export interface RunOptions {
  seed: number;
  traceSink?: TraceSink;
  /** Stop at this simulated time instead of the end of duration + settle. */
  untilUs?: number;
}

export interface RunOutcome {
  world: World;
  stopReason: StopReason;
  simulatedUs: number;
}

export function runScenario(scenario: Scenario, options: RunOptions): RunOutcome {
  const world = buildWorld(scenario, options.seed);
  if (options.traceSink !== undefined) world.sim.trace.sink = options.traceSink;
  // Report every violation rather than stopping at the first: the run's story matters.
  world.sim.stopOnViolation = false;
  if (scenario.doc.latencyWarmup !== undefined) world.history.latencyWarmupUs = parseDuration(scenario.doc.latencyWarmup) ?? 0;
  scheduleFaults(world);
  const endUs = options.untilUs ?? scenario.durationUs + scenario.settleUs;
  const stopReason = world.sim.run({ untilUs: endUs });
  return { world, stopReason, simulatedUs: world.sim.now };
}
