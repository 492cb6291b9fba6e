/**
 * One fuzz case through what the CLI does with a file: load it (the text path, no overrides),
 * and when it is accepted, run it and compute the run's reports. The run is capped at `untilUs`
 * of simulated time (runScenario's own option), so the loader still sees the document as written
 * and its limits are not hidden by the cap.
 *
 * Verdicts: `rejected` (located problems, as exit 2), `time` (ran to the cap), `stalled` (the
 * engine's stall guard, as exit 3), `internal-error` (an exception anywhere, a problem that says
 * "internal error", or another stop reason), `pollution` (a built-in prototype gained or lost an
 * own property).
 */
import { loadScenario, formatProblem } from "../../scenarios/loader.js";
import { runScenario } from "../../scenarios/runner.js";
import { computeMetrics } from "../../reports/metrics.js";
import { evaluateChecks } from "../../reports/checks.js";
import { computeUtilization } from "../../reports/utilization.js";
import { perfTestSummaries } from "../../reports/perfTest.js";

export type Verdict = "rejected" | "time" | "stalled" | "internal-error" | "pollution";

export interface CheckResult {
  verdict: Verdict;
  /** Where an internal error happened: load, run or report. */
  phase?: "load" | "run" | "report";
  /** The error (message and stack) of an internal error, the pollution found, or the stall tally. */
  detail?: string;
  /** The first problems of a rejected document. */
  problems?: string[];
  stopReason?: string;
  simulatedUs?: number;
  events?: number;
  wallMs: number;
  /** Hosts of an accepted scenario (for the report's slowest runs). */
  hosts?: number;
  /** Invariant violations of the run, and the first one (not an internal error: reported apart). */
  violations?: number;
  firstViolation?: string;
}

export interface CheckOptions {
  seed: number;
  /** Simulated time the run is capped at. */
  untilUs: number;
  /** Also compute the reports the CLI prints (metrics, checks, utilization, perf-test lines). */
  reports?: boolean;
}

const WATCHED: Array<[string, object]> = [
  ["Object.prototype", Object.prototype],
  ["Array.prototype", Array.prototype],
  ["Function.prototype", Function.prototype],
  ["String.prototype", String.prototype],
];

function snapshot(): Map<string, string[]> {
  return new Map(WATCHED.map(([name, proto]) => [name, Reflect.ownKeys(proto).map(String).sort()]));
}

/** Own properties a built-in prototype gained or lost since the snapshot (restored, so the next case starts clean). */
export function pollutionSince(before: Map<string, string[]>): string | null {
  const found: string[] = [];
  for (const [name, proto] of WATCHED) {
    const was = new Set(before.get(name));
    const now = Reflect.ownKeys(proto).map(String);
    for (const k of now) {
      if (!was.has(k)) {
        found.push(`${name}.${k} added (${safeString((proto as Record<string, unknown>)[k])})`);
        delete (proto as Record<string, unknown>)[k];
      }
    }
    const nowSet = new Set(now);
    for (const k of was) if (!nowSet.has(k)) found.push(`${name}.${k} removed`);
  }
  return found.length === 0 ? null : found.join("; ");
}

function safeString(v: unknown): string {
  try {
    const s = typeof v === "function" ? "a function" : JSON.stringify(v) ?? String(v);
    return s.length > 80 ? s.slice(0, 80) + "…" : s;
  } catch {
    return typeof v;
  }
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  return `thrown non-Error: ${safeString(e)}`;
}

export function checkDocument(text: string, options: CheckOptions): CheckResult {
  const before = snapshot();
  const started = performance.now();
  const wall = (): number => Math.round(performance.now() - started);
  const polluted = (r: CheckResult): CheckResult => {
    const p = pollutionSince(before);
    return p === null ? r : { ...r, verdict: "pollution", detail: p + (r.detail !== undefined ? `\n(after: ${r.verdict}) ${r.detail}` : "") };
  };
  let loaded: ReturnType<typeof loadScenario>;
  try {
    loaded = loadScenario(text, "fuzz.yaml");
  } catch (e) {
    return polluted({ verdict: "internal-error", phase: "load", detail: `loadScenario threw: ${errorText(e)}`, wallMs: wall() });
  }
  if (!loaded.ok) {
    const problems = loaded.problems.map(formatProblem);
    const internal = problems.find((p) => /internal error/i.test(p));
    if (internal !== undefined) return polluted({ verdict: "internal-error", phase: "load", detail: internal, problems: problems.slice(0, 5), wallMs: wall() });
    return polluted({ verdict: "rejected", problems: problems.slice(0, 5), wallMs: wall() });
  }
  const scenario = loaded.scenario;
  const hosts = scenario.hosts.length;
  let outcome: ReturnType<typeof runScenario>;
  try {
    outcome = runScenario(scenario, { seed: options.seed, untilUs: options.untilUs });
  } catch (e) {
    return polluted({ verdict: "internal-error", phase: "run", detail: `runScenario threw: ${errorText(e)}`, wallMs: wall(), hosts });
  }
  const sim = outcome.world.sim;
  const v = sim.violations[0];
  const base = {
    stopReason: outcome.stopReason,
    simulatedUs: outcome.simulatedUs,
    events: sim.events,
    hosts,
    violations: sim.violations.length,
    firstViolation: v === undefined ? undefined : `${v.name} at ${v.atUs} us: ${v.message}`,
  };
  if (outcome.stopReason === "stalled") {
    const tally = [...sim.stallTally].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([n, c]) => `${n} ×${c}`).join(", ");
    return polluted({ verdict: "stalled", detail: `stalled at ${outcome.simulatedUs} us: ${tally}`, wallMs: wall(), ...base });
  }
  if (outcome.stopReason !== "time") {
    return polluted({ verdict: "internal-error", phase: "run", detail: `unexpected stop reason ${outcome.stopReason} at ${outcome.simulatedUs} us`, wallMs: wall(), ...base });
  }
  if (options.reports === true) {
    try {
      const metrics = computeMetrics(outcome);
      evaluateChecks(scenario.doc.expect, metrics, sim.marks, scenario.doc.marks);
      computeUtilization(outcome);
      perfTestSummaries(outcome);
    } catch (e) {
      return polluted({ verdict: "internal-error", phase: "report", detail: `reports threw: ${errorText(e)}`, wallMs: wall(), ...base });
    }
  }
  return polluted({ verdict: "time", wallMs: wall(), ...base });
}
