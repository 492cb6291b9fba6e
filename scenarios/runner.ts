/**
 * Runs a scenario with a seed: build the world, schedule the faults, run through the duration
 * and the settle period. Returns the world so that reports can read its histories.
 */
import type { StopReason } from "../sim/Simulation.js";
import type { TraceSink, TraceWriter } from "../sim/Trace.js";
import type { Scenario } from "./model.js";
import { scheduleFaults } from "./faults.js";
import { buildWorld, type World } from "./world.js";
import { parseDuration } from "./units.js";

export interface RunOptions {
  seed: number;
  traceSink?: TraceSink;
  /** The same lines in pieces (the --trace file): no string built per hot record. */
  traceWriter?: TraceWriter;
  /** Stop at this simulated time instead of the end of duration + settle. */
  untilUs?: number;
}

export interface RunOutcome {
  world: World;
  stopReason: StopReason;
  simulatedUs: number;
  /** The busy-time counters when the scenario's duration ended (before the settle drain). */
  busyAtDurationEnd: BusyCounters | null;
}

/** Cumulative busy time of each resource, by name (NIC directions, disks, thread pools). */
export type BusyCounters = Map<string, number>;

export function busyCounters(world: World): BusyCounters {
  const out: BusyCounters = new Map();
  for (const h of world.hosts) {
    const nic = world.network.nics[h.index];
    out.set(`nic ${h.name} egress`, nic.egressBusyUs);
    out.set(`nic ${h.name} ingress`, nic.ingressBusyUs);
    for (const d of world.machines.get(h.name)?.disks ?? []) out.set(`disk ${d.name}`, d.busyUs);
  }
  for (const [broker, c] of [...world.requestCpu].sort(([a], [b]) => a - b)) {
    out.set(`cpu broker-${broker} network threads`, c.networkBusyUs / Math.max(1, c.networkThreads));
    out.set(`cpu broker-${broker} io threads`, c.ioBusyUs / Math.max(1, c.ioThreads));
  }
  for (const [id, c] of world.clientCpu) {
    out.set(`cpu producer-${id} application thread`, c.applicationBusyUs);
    out.set(`cpu producer-${id} sender thread`, c.senderBusyUs);
  }
  return out;
}

export function runScenario(scenario: Scenario, options: RunOptions): RunOutcome {
  const world = buildWorld(scenario, options.seed, options);
  // Report every violation rather than stopping at the first: the run's story matters.
  world.sim.stopOnViolation = false;
  if (scenario.doc.latencyWarmup !== undefined) world.history.latencyWarmupUs = world.history.consumers.latencyWarmupUs = parseDuration(scenario.doc.latencyWarmup) ?? 0;
  scheduleFaults(world);
  const endUs = options.untilUs ?? scenario.durationUs + scenario.settleUs;
  // Two legs, so that utilization can be read over the duration without the settle drain.
  let busyAtDurationEnd: BusyCounters | null = null;
  let stopReason = world.sim.run({ untilUs: Math.min(endUs, scenario.durationUs) });
  if (world.sim.now >= scenario.durationUs || endUs <= scenario.durationUs) busyAtDurationEnd = busyCounters(world);
  if (endUs > scenario.durationUs && stopReason === "time") stopReason = world.sim.run({ untilUs: endUs });
  return { world, stopReason, simulatedUs: world.sim.now, busyAtDurationEnd };
}
