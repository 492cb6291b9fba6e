/**
 * The built-in scenarios' promises as test suites, shared by the write-side file
 * (builtins.test.ts) and the read-side one (builtins-readside.test.ts): two files, so that vitest
 * runs them in two workers and neither spends many minutes in one file.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { loadScenario, formatProblem } from "../../scenarios/loader.js";
import { runScenario } from "../../scenarios/runner.js";
import { computeMetrics } from "../../reports/metrics.js";
import { evaluateChecks } from "../../reports/checks.js";
import type { Override } from "../../scenarios/overrides.js";

export const BUILTINS = readdirSync("scenarios").filter((f) => f.endsWith(".yaml"));

/** A built-in with consumer groups (the read side). */
export function readsToo(file: string): boolean {
  return (parseYaml(readFileSync(`scenarios/${file}`, "utf8")) as { consumers?: unknown[] }).consumers !== undefined;
}

export function run(file: string, seed: number, sets: Override[] = [], text?: string) {
  const r = loadScenario(text ?? readFileSync(`scenarios/${file}`, "utf8"), file, sets);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  const outcome = runScenario(r.scenario, { seed });
  const metrics = computeMetrics(outcome);
  const checks = evaluateChecks(r.scenario.doc.expect, metrics, outcome.world.sim.marks, r.scenario.doc.marks);
  return { metrics, checks, violations: outcome.world.sim.violations };
}

export function promiseSuite(files: readonly string[]): void {
  describe("built-in scenarios keep their promises for seeds 1..20", () => {
    // One test per seed, so the worker gets to report between runs.
    for (const file of files) {
      for (let seed = 1; seed <= 20; seed++) {
        it(`${file} seed ${seed}`, () => {
          const { checks, violations } = run(file, seed);
          const failed = checks.filter((c) => !c.ok).map((c) => `${c.name} ${c.expected} (actual ${c.actual})`);
          expect({ failed, violations }).toEqual({ failed: [], violations: [] });
        });
      }
    }
  });
}

/** The commands a description suggests: `kafkasim run ...` in backticks, as typed in a shell. */
const COMMAND = /`(kafkasim run [^`]+)`/g;

export function commandSuite(files: readonly string[]): void {
  describe("every command a built-in's description suggests passes its checks", () => {
    for (const file of files) {
      const description = String((parseYaml(readFileSync(`scenarios/${file}`, "utf8")) as { description?: string }).description ?? "");
      it(`${file}: every --set it mentions is part of a full command in backticks`, () => {
        expect(description.replace(COMMAND, "")).not.toMatch(/--set|kafkasim run/);
      });
      for (const [, command] of description.matchAll(COMMAND)) {
        // Through a shell (its quoting and ~ expansion) and the built CLI (npm test builds first),
        // with the CLI's default seed, 1, unless the command names one: the story's other side,
        // with the expect overrides that describe it; exit 0 means every check held.
        it(`${file}: ${command}`, () => {
          const r = spawnSync("bash", ["-c", `kafkasim() { "$KAFKASIM_NODE" dist/cli.js "$@"; }\n${command}`], { encoding: "utf8", env: { ...process.env, KAFKASIM_NODE: process.execPath } });
          const failed = r.stdout.split("\n").filter((l) => /^(check +FAIL|VIOLATION)/.test(l));
          expect({ code: r.status, failed, stderr: r.stderr }).toEqual({ code: 0, failed: [], stderr: "" });
        });
      }
    }
  });
}
