/**
 * `kafkasim explore <scenario>`: search fault schedules for a broken guarantee, shrink what is
 * found, write it as a scenario file, and say which coverage marks the search reached.
 * Exit 1 when a violation was found, 0 when none was in the runs; bad input is an ExploreUsageError.
 */
import { existsSync } from "node:fs";
import { writeFileAtomic } from "../reports/sweep/SweepStore.js";
import { ProgressLine } from "../reports/sweep/ProgressLine.js";
import { explore, type ExploreResult } from "./explore.js";
import { BudgetError, formatMs, parseBudget, type FaultBudget } from "./budget.js";
import { knownMarks } from "./knownMarks.js";

export class ExploreUsageError extends Error {}

export interface ExploreArgs {
  ref: string;
  scenarioText: string;
  scenarioName: string;
  /** The scenario's `name:`, for the default output file. */
  docName: string;
  runs?: string;
  seed?: string;
  budget?: string;
  out?: string;
  path?: string;
  expect: string[];
  json: boolean;
  force: boolean;
}

function wholeNumber(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new ExploreUsageError(`${flag} ${text}: expected a whole number from ${min} to ${max.toLocaleString("en-US")}`);
  return Number(text);
}

function parseExpect(items: readonly string[]): Record<string, string> | undefined {
  if (items.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const item of items) {
    const m = /^([A-Za-z][\w.]*)\s*=\s*(.+)$/.exec(item);
    if (m === null) throw new ExploreUsageError(`--expect ${item}: expected metric=condition, e.g. --expect 'lostAcked=== 0' or --expect 'unavailableMs=< 60000'`);
    out[m[1]] = /^(==|!=|<=|>=|<|>)/.test(m[2].trim()) ? m[2].trim() : `== ${m[2].trim()}`;
  }
  return out;
}

function budgetText(b: FaultBudget): string {
  return `at most ${b.maxFaults} faults, ${b.maxBrokersDown} broker(s) down at once, power loss ${b.power}, kinds ${b.kinds.join(", ")}${b.healByMs === undefined ? "" : `, every fault over by itself by ${formatMs(b.healByMs)}`}`;
}

export async function runExploreCommand(args: ExploreArgs): Promise<number> {
  const runs = wholeNumber("--runs", args.runs, 100, 1, 1_000_000);
  const seed = wholeNumber("--seed", args.seed, 1, 0, 2 ** 31 - 1);
  let budget: FaultBudget;
  try {
    budget = parseBudget(args.budget ?? "");
  } catch (e) {
    throw new ExploreUsageError(`--budget ${args.budget}: ${(e as Error).message}`);
  }
  const guarantees = parseExpect(args.expect);
  const out = args.out ?? `${args.docName}-counterexample.yaml`;
  if (existsSync(out) && !args.force) throw new ExploreUsageError(`--out ${out}: exists; nothing is overwritten without --force`);
  const progress = new ProgressLine(process.stderr.isTTY === true && !args.json);
  let result: ExploreResult;
  try {
    result = await explore({
      scenarioText: args.scenarioText,
      scenarioName: args.scenarioName,
      runs,
      seed,
      budget,
      guarantees,
      path: args.path,
      onRun: (p) => progress.update(p.runs, runs, p.violations, false, p.shrinkSteps > 0 ? `shrink steps ${p.shrinkSteps}` : undefined),
    });
  } catch (e) {
    // A budget that does not fit the scenario (healBy past its duration) is bad input, like a malformed one.
    if (e instanceof BudgetError) throw new ExploreUsageError(`--budget ${args.budget}: ${e.message}`);
    throw e;
  } finally {
    progress.end();
  }
  const known = knownMarks();
  const neverHit = known.filter((m) => result.marksHit[m] === undefined);
  const summary = {
    scenario: args.scenarioName,
    runs: result.runs,
    seed,
    budget,
    guarantees: result.guarantees,
    found: result.failure !== null,
    shrinkSteps: result.shrinkSteps,
    fastCheck: { seed: result.fcSeed, path: result.fcPath },
    counterexample: result.failure === null ? null : { file: out, faults: result.failure.case.faults, seed: result.failure.case.seed, failed: result.failure.failed, violations: result.failure.violations, repro: `npx kafkasim run ${out}` },
    marks: { hit: result.marksHit, neverHit, known: known.length },
  };
  if (result.failure !== null) writeFileAtomic(out, result.failure.yaml);
  if (args.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
    return result.failure === null ? 0 : 1;
  }
  const lines = [`explore    ${args.scenarioName}: ${result.runs} runs from fast-check seed ${seed}; ${budgetText(budget)}`];
  if (result.failure === null) lines.push(`found      nothing: every run kept ${Object.entries(result.guarantees).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  else {
    const f = result.failure;
    lines.push(`found      ${[...f.failed.map((c) => `${c.name} ${c.actual} (guarantee ${c.expected})`), ...f.violations].join("; ")}`);
    lines.push(`shrunk     to ${f.case.faults.length} fault(s), run seed ${f.case.seed}, after ${result.shrinkSteps} shrink runs:`);
    for (const fault of f.case.faults) lines.push(`             ${JSON.stringify(fault)}`);
    lines.push(`wrote      ${out}`);
    lines.push(`repro      npx kafkasim run ${out}`);
    lines.push(`fast-check seed ${result.fcSeed}, path ${result.fcPath} (replay: npx kafkasim explore ${args.ref} --seed ${seed} --path '${result.fcPath}'${args.budget === undefined ? "" : ` --budget '${args.budget}'`})`);
  }
  lines.push(`marks      ${Object.keys(result.marksHit).length} hit across the runs; ${neverHit.length} of the ${known.length} named in the code never hit`);
  for (const m of neverHit) lines.push(`  never    ${m}`);
  process.stdout.write(lines.join("\n") + "\n");
  return result.failure === null ? 0 : 1;
}
