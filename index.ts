/**
 * kafkasim as a library, for tests written with vitest (or any runner) and fast-check: run a
 * scenario given as an object or as YAML text with a seed, and read its metrics, checks, marks
 * and history; generate fault schedules, configs and budgets with the arbitraries that
 * `kafkasim explore` uses.
 */
import { stringify } from "yaml";
import { loadScenario, formatProblem } from "./scenarios/loader.js";
import { parseOverrides } from "./scenarios/overrides.js";
import { runScenario } from "./scenarios/runner.js";
import type { Scenario } from "./scenarios/model.js";
import type { ScenarioDocument, FaultDocument } from "./scenarios/schema.js";
import { computeMetrics, type Metrics } from "./reports/metrics.js";
import { evaluateChecks, type Check } from "./reports/checks.js";
import type { KafkaHistory } from "./sim/nodes/kafka/History.js";
import type { World } from "./scenarios/world.js";
import { formatUs } from "./sim/time.js";

export type { ScenarioDocument, FaultDocument, Metrics, Check, KafkaHistory, World, Scenario };
export { faultArb, faultScheduleArb, configArb } from "./explore/arbitraries.js";
export { clusterShapeOf, type ClusterShape } from "./explore/clusterShape.js";
export { kafkaConfigArb, validConfigArb, configKeys, type ConfigScope, type ConfigSpaceOptions } from "./explore/configSpace.js";
export { workloadArb, type Workload, type WorkloadOptions, type WorkloadTopic } from "./explore/workloadArb.js";
export { parseBudget, budgetAllows, type FaultBudget } from "./explore/budget.js";
export { explore, defaultGuarantees, type ExploreOptions, type ExploreResult } from "./explore/explore.js";

/** A scenario that does not validate: each problem as `kafkasim validate` prints it. */
export class ScenarioError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid scenario:\n${problems.join("\n")}`);
  }
}

export interface SimulateOptions {
  /** The root seed; default: the scenario's `seed:`, else 1. */
  seed?: number;
  /** `--set`-style overrides, e.g. ["producer.acks=1", "faults.0.at=40s"]. */
  set?: string[];
  /** The name problems are reported under. */
  name?: string;
}

export interface SimulationResult {
  scenario: string;
  seed: number;
  /** Every expect: held, no invariant was violated, and the run did not stall. */
  ok: boolean;
  stalled: boolean;
  traceHash: string;
  events: number;
  simulatedUs: number;
  metrics: Metrics;
  checks: Check[];
  marks: Record<string, number>;
  violations: string[];
  /** The run's history (batches sent, acknowledged, failed; leader and ISR changes; consumer groups). */
  history: KafkaHistory;
  /** The world after the run, for anything else a test wants to read. */
  world: World;
}

/** Validates a scenario (an object shaped like a scenario file, or its YAML text); throws ScenarioError when it does not. */
export function loadScenarioDocument(doc: ScenarioDocument | Record<string, unknown> | string, options: Pick<SimulateOptions, "set" | "name"> = {}): Scenario {
  const text = typeof doc === "string" ? doc : stringify(doc);
  const overrides = parseOverrides(options.set ?? [], (s) => new ScenarioError([`--set ${s}: expected key=value`]));
  const loaded = loadScenario(text, options.name ?? "scenario", overrides);
  if (!loaded.ok) throw new ScenarioError(loaded.problems.map(formatProblem));
  return loaded.scenario;
}

/** Runs a scenario with a seed, as `kafkasim run` does, and returns what happened. */
export function simulate(doc: ScenarioDocument | Record<string, unknown> | string, options: SimulateOptions = {}): SimulationResult {
  const scenario = loadScenarioDocument(doc, options);
  const seed = options.seed ?? scenario.doc.seed ?? 1;
  const outcome = runScenario(scenario, { seed });
  const sim = outcome.world.sim;
  const stalled = outcome.stopReason === "stalled";
  const metrics = computeMetrics(outcome);
  const checks = evaluateChecks(scenario.doc.expect, metrics, sim.marks, scenario.doc.marks);
  return {
    scenario: scenario.name,
    seed,
    ok: !stalled && checks.every((c) => c.ok) && sim.violations.length === 0,
    stalled,
    traceHash: sim.trace.hash,
    events: sim.events,
    simulatedUs: outcome.simulatedUs,
    metrics,
    checks,
    marks: Object.fromEntries(sim.marks.entries()),
    violations: sim.violations.map((v) => `${v.name} at ${formatUs(v.atUs)}: ${v.message}`),
    history: outcome.world.history,
    world: outcome.world,
  };
}
