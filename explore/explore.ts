/**
 * `kafkasim explore`'s search: fast-check draws fault schedules over the scenario's cluster (and a
 * seed), each is run in place of the scenario's own faults, and the run is checked against the
 * guarantees (by default: no acknowledged record lost, no divergence, no invariant violated).
 * On a violation fast-check shrinks the schedule (fewer faults, earlier, shorter, simpler
 * targets) to the smallest one that still breaks a guarantee. Runs one scenario at a time, in
 * this thread: fast-check's search is sequential.
 */
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { loadScenario, formatProblem } from "../scenarios/loader.js";
import { runScenario } from "../scenarios/runner.js";
import type { Scenario } from "../scenarios/model.js";
import { computeMetrics } from "../reports/metrics.js";
import { evaluateChecks, type Check } from "../reports/checks.js";
import { formatUs } from "../sim/time.js";
import { faultScheduleArb } from "./arbitraries.js";
import { clusterShapeOf } from "./clusterShape.js";
import { BudgetError, formatMs, type FaultBudget } from "./budget.js";

/** What a schedule must not break unless the user says otherwise: Kafka's durability promises. */
export function defaultGuarantees(scenario: Scenario): Record<string, string> {
  return {
    lostAcked: "== 0",
    divergence: "== 0",
    invariantViolations: "== 0",
    ...((scenario.doc.consumers ?? []).length > 0 ? { lostConsumed: "== 0" } : {}),
  };
}

export interface ExploreOptions {
  scenarioText: string;
  scenarioName: string;
  runs: number;
  /** fast-check's seed: the same seed explores the same schedules. */
  seed: number;
  budget: FaultBudget;
  /** expect:-style conditions every run must meet; defaultGuarantees when absent. */
  guarantees?: Record<string, string>;
  /** fast-check's path of an earlier counterexample, to replay only it. */
  path?: string;
  onRun?: (p: ExploreProgress) => void;
}

export interface ExploreProgress {
  runs: number;
  violations: number;
  shrinkSteps: number;
  /** The run just made: its case and each guarantee's check with the value measured (how close runs come to a bound). */
  last?: { case: ExploreCase; checks: Check[] };
}

/** One generated case: the faults (the scenario's `faults:` list) and the run's seed. */
export interface ExploreCase {
  faults: Array<Record<string, unknown>>;
  seed: number;
}

export interface ExploreFailure {
  case: ExploreCase;
  failed: Check[];
  violations: string[];
  /** The scenario file that replays it: the original with these faults, the seed and the guarantees as expect:. */
  yaml: string;
}

export interface ExploreResult {
  /** The conditions every run was held to. */
  guarantees: Record<string, string>;
  runs: number;
  shrinkSteps: number;
  fcSeed: number;
  fcPath: string | null;
  failure: ExploreFailure | null;
  /** Every coverage mark hit by any run, with how many runs hit it. */
  marksHit: Record<string, number>;
}

interface Verdict {
  ok: boolean;
  checks: Check[];
  failed: Check[];
  violations: string[];
}

function withFaults(doc: Record<string, unknown>, c: ExploreCase, guarantees: Record<string, string>): Record<string, unknown> {
  return { ...doc, seed: c.seed, faults: c.faults, expect: guarantees };
}

function runCase(doc: Record<string, unknown>, name: string, c: ExploreCase, guarantees: Record<string, string>, marksHit: Map<string, number>): Verdict {
  const loaded = loadScenario(stringify(withFaults(doc, c, guarantees)), name);
  // A generated schedule the loader refuses is a bug in the arbitraries, not a finding.
  if (!loaded.ok) throw new Error(`explore generated a schedule the scenario loader refuses: ${loaded.problems.map(formatProblem).join("; ")}`);
  const outcome = runScenario(loaded.scenario, { seed: c.seed });
  const sim = outcome.world.sim;
  for (const [mark] of sim.marks.entries()) marksHit.set(mark, (marksHit.get(mark) ?? 0) + 1);
  if (outcome.stopReason === "stalled") return { ok: false, checks: [], failed: [], violations: [`simulation stalled at ${formatUs(sim.now)} (a kafkasim bug)`] };
  const checks = evaluateChecks(guarantees, computeMetrics(outcome), sim.marks);
  const failed = checks.filter((x) => !x.ok);
  const violations = sim.violations.slice(0, 5).map((v) => `${v.name} at ${formatUs(v.atUs)}: ${v.message}`);
  return { ok: failed.length === 0 && violations.length === 0, checks, failed, violations };
}

function describeFailure(v: Verdict): string {
  return [...v.failed.map((f) => `${f.name} ${f.actual} (guarantee: ${f.name} ${f.expected})`), ...v.violations].join("; ");
}

/** The minimal failing scenario as a file: the original document, these faults, the seed, and the guarantees as its expect. */
export function counterexampleYaml(doc: Record<string, unknown>, c: ExploreCase, guarantees: Record<string, string>, what: string, how: string): string {
  const story = typeof doc.description === "string" ? doc.description.trim() : "";
  const out = withFaults(doc, c, guarantees);
  out.name = `${String(doc.name ?? "scenario")}-counterexample`;
  out.description = `Found by kafkasim explore: ${what}.\n${how}\n\nThe scenario it was found from:\n${story}`;
  return stringify(out, { lineWidth: 100 });
}

/** Lets the event loop run between simulations, so a long search keeps its process responsive (a vitest worker answers its runner, a terminal its signals). */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function explore(opts: ExploreOptions): Promise<ExploreResult> {
  const doc = parse(opts.scenarioText) as Record<string, unknown>;
  const base = loadScenario(opts.scenarioText, opts.scenarioName);
  if (!base.ok) throw new Error(base.problems.map(formatProblem).join("\n"));
  const guarantees = opts.guarantees ?? defaultGuarantees(base.scenario);
  const cluster = clusterShapeOf(base.scenario);
  const healBy = opts.budget.healByMs;
  if (healBy !== undefined && healBy >= cluster.durationMs) {
    // Producers stop at the end of the duration: a heal then or later leaves nothing to show recovery by.
    throw new BudgetError(`budget item "healBy=${formatMs(healBy)}": expected a time before the end of the scenario's duration (${formatMs(cluster.durationMs)}), when producers stop and everything is healed anyway`);
  }
  const arb = fc.record({ faults: faultScheduleArb(cluster, opts.budget), seed: fc.noShrink(fc.integer({ min: 1, max: 2 ** 31 - 1 })) });
  const marksHit = new Map<string, number>();
  const progress: ExploreProgress = { runs: 0, violations: 0, shrinkSteps: 0 };
  let failing = false;
  const property = fc.asyncProperty(arb, async (c) => {
    await yieldToEventLoop();
    if (failing) progress.shrinkSteps++;
    else progress.runs++;
    const v = runCase(doc, opts.scenarioName, c as ExploreCase, guarantees, marksHit);
    if (!v.ok && !failing) {
      failing = true;
      progress.violations++;
    }
    progress.last = { case: c as ExploreCase, checks: v.checks };
    opts.onRun?.(progress);
    return v.ok;
  });
  const details = await fc.check(property, { seed: opts.seed, numRuns: opts.runs, ...(opts.path === undefined ? {} : { path: opts.path }) });
  const marks = Object.fromEntries([...marksHit].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  if (!details.failed) return { guarantees, runs: progress.runs, shrinkSteps: 0, fcSeed: details.seed, fcPath: null, failure: null, marksHit: marks };
  // A run that threw (a kafkasim bug, or a schedule the loader refused) is not a finding: say so.
  if (details.counterexample === null || !failing) throw details.errorInstance instanceof Error ? details.errorInstance : new Error(`explore stopped: ${String(details.errorInstance)}`);
  const c = details.counterexample[0] as ExploreCase;
  // Run the shrunk case once more for what it broke (and its marks count once more: fine).
  const v = runCase(doc, opts.scenarioName, c, guarantees, new Map());
  const what = describeFailure(v);
  const how = `fast-check seed ${details.seed}, path ${details.counterexamplePath}; shrunk to ${c.faults.length} fault(s) by ${details.numShrinks} successful shrinks. Replay: kafkasim run <this file>.`;
  return {
    guarantees,
    runs: progress.runs,
    shrinkSteps: progress.shrinkSteps,
    fcSeed: details.seed,
    fcPath: details.counterexamplePath,
    failure: { case: c, failed: v.failed, violations: v.violations, yaml: counterexampleYaml(doc, c, guarantees, what, how) },
    marksHit: marks,
  };
}
