/**
 * The README's example scenario file is a scenario: it validates, passes its own `expect` as
 * written, and does not reuse a built-in's name (`kafkasim run <name>` would pick the built-in).
 */
import { afterEach, describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { basename } from "node:path";
import { loadScenario, formatProblem } from "../scenarios/loader.js";
import { runScenario } from "../scenarios/runner.js";
import { computeMetrics } from "../reports/metrics.js";
import { evaluateChecks } from "../reports/checks.js";

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

/** The first ```yaml block of the README's "Scenario files" section. */
function exampleScenario(): string {
  const readme = readFileSync("README.md", "utf8");
  const section = readme.indexOf("\n## Scenario files\n");
  expect(section).toBeGreaterThan(0);
  const m = /```yaml\n([\s\S]*?)```/.exec(readme.slice(section));
  expect(m).not.toBeNull();
  return m![1];
}

describe("the README's example scenario", () => {
  it("validates, has a name of its own, and passes its expect for seed 1", () => {
    const text = exampleScenario();
    const r = loadScenario(text, "README.md", []);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
    const builtins = readdirSync("scenarios").filter((f) => f.endsWith(".yaml")).map((f) => basename(f, ".yaml"));
    expect(builtins).not.toContain(r.scenario.name);
    expect(Object.keys(r.scenario.doc.expect ?? {}).length).toBeGreaterThan(0);
    const outcome = runScenario(r.scenario, { seed: 1 });
    const checks = evaluateChecks(r.scenario.doc.expect, computeMetrics(outcome), outcome.world.sim.marks, r.scenario.doc.marks);
    const failed = checks.filter((c) => !c.ok).map((c) => `${c.name} ${c.expected} (actual ${c.actual})`);
    expect({ failed, violations: outcome.world.sim.violations }).toEqual({ failed: [], violations: [] });
  });
});
