/** `expect:` entries turned into pass/fail checks against the run's metrics. */
import { CONDITION } from "../scenarios/schema.js";
import { metricValue, type Metrics } from "./metrics.js";

export interface Check {
  name: string;
  ok: boolean;
  expected: string;
  actual: number | null;
  /** Why the metric was not measured by this run (the check then fails). */
  note?: string;
}

export function evaluateChecks(expect: Record<string, string | number> | undefined, metrics: Metrics, marks: { count(name: string): number }, requiredMarks: readonly string[] = []): Check[] {
  const checks: Check[] = [];
  for (const [name, cond] of Object.entries(expect ?? {})) {
    const expected = typeof cond === "number" ? `== ${cond}` : cond.trim();
    const actual = metricValue(metrics, name);
    if (actual === undefined) {
      // A check on a metric the run did not measure cannot hold: passing it would hide that.
      checks.push({ name, ok: false, expected, actual: null, note: `not measured by this run: ${metrics.unmeasured[name] ?? "no such value"}` });
      continue;
    }
    checks.push({ name, ok: holds(expected, actual), expected, actual });
  }
  for (const mark of requiredMarks) {
    const count = marks.count(mark);
    checks.push({ name: `mark: ${mark}`, ok: count > 0, expected: "> 0", actual: count });
  }
  return checks;
}

export function holds(condition: string, actual: number): boolean {
  const m = CONDITION.exec(condition);
  if (m === null) return false;
  const n = Number(m[2]);
  switch (m[1] ?? "==") {
    case "==":
    case "=":
      return actual === n;
    case "!=":
      return actual !== n;
    case "<":
      return actual < n;
    case "<=":
      return actual <= n;
    case ">":
      return actual > n;
    case ">=":
      return actual >= n;
    default:
      return false;
  }
}
