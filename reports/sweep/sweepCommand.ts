/**
 * `kafkasim sweep` and `kafkasim report merge`: plan, validate every config, run what the folder
 * does not hold yet, write the report. Problems with what the user wrote are PlanErrors (exit 2).
 */
import { availableParallelism } from "node:os";
import { loadScenario, formatProblem } from "../../scenarios/loader.js";
import { parseOverrides } from "../../scenarios/overrides.js";
import type { Scenario } from "../../scenarios/model.js";
import { expandConfigs, expandRuns, parseAxes, parseSeeds, parseShard, PlanError, shardRuns, type SweepConfig } from "./plan.js";
import { SweepStore, PLAN_VERSION, type SweepPlanFile } from "./SweepStore.js";
import { executeSweep } from "./executeSweep.js";
import { ProgressLine } from "./ProgressLine.js";
import { buildSweepReport, type ChosenRunSeries, type SweepReport } from "./sweepReport.js";
import type { ConfigAggregate } from "./aggregate.js";

export interface ReportWriter {
  /** Writes report.json, report.md, report.html and the PNGs; returns the files written and a note when PNGs could not be. */
  (dir: string, report: SweepReport): Promise<{ files: string[]; pngNote: string | null }>;
}

export interface SweepContext {
  kafkasimVersion: string;
  writeReport: ReportWriter;
  /** Re-runs one (config, seed) for the report's time-series charts. */
  chosenSeries: ((scenario: Scenario, seed: number, label: string) => ChosenRunSeries) | null;
}

export interface SweepArgs {
  ref: string;
  scenarioText: string;
  scenarioName: string;
  sets: string[];
  seeds: string;
  out: string;
  workers?: string;
  shard?: string;
  json: boolean;
  strict: boolean;
}

export const EXIT_SWEEP_OK = 0;
export const EXIT_SWEEP_VIOLATIONS = 1;
/** A run stalled or threw: a kafkasim bug, reported with its repro line. */
export const EXIT_SWEEP_BROKEN_RUNS = 3;

function loadConfig(plan: Pick<SweepPlanFile, "scenarioText" | "scenarioName">, config: SweepConfig): Scenario {
  const overrides = parseOverrides(config.sets, (s) => new PlanError(`--set ${s}: expected key=value`));
  const loaded = loadScenario(plan.scenarioText, plan.scenarioName, overrides);
  if (!loaded.ok) throw new PlanError(`config ${config.id} (${config.sets.join(" ") || "as written"}) is not a valid scenario:\n${loaded.problems.map((p) => "  " + formatProblem(p)).join("\n")}`);
  return loaded.scenario;
}

function parseWorkers(text: string | undefined): number {
  if (text === undefined) return availableParallelism();
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 256) throw new PlanError(`--workers ${text}: expected a whole number from 1 to 256`);
  return Number(text);
}

function seriesFor(ctx: SweepContext, plan: SweepPlanFile): ((config: SweepConfig, seed: number) => ChosenRunSeries) | null {
  const chosen = ctx.chosenSeries;
  if (chosen === null) return null;
  return (config, seed) => chosen(loadConfig(plan, config), seed, `${config.id} (${config.label}) seed ${seed}`);
}

async function report(ctx: SweepContext, store: SweepStore): Promise<{ report: SweepReport; files: string[]; pngNote: string | null }> {
  const base = loadConfig(store.plan, store.plan.configs[0]);
  const r = buildSweepReport({
    store,
    kafkasimVersion: ctx.kafkasimVersion,
    description: (base.doc.description ?? "").trim(),
    kafkaVersion: [...new Set(store.plan.configs.map((c) => loadConfig(store.plan, c).kafkaVersion))].join(", "),
    faults: base.doc.faults ?? [],
    chosenSeries: seriesFor(ctx, store.plan),
  });
  const written = await ctx.writeReport(store.dir, r);
  return { report: r, ...written };
}

function summaryLine(c: ConfigAggregate): string {
  const pct = (x: number | null): string => (x === null ? "–" : `${(x * 100).toFixed(1)}%`);
  const l = c.lossRuns;
  return (
    `${c.id.padEnd(4)} ${c.label}\n` +
    `     runs ${c.runs}, losing acked records ${l.k}/${l.n} = ${pct(l.share)} (95% CI ${pct(l.low)}–${pct(l.high)}), lostAcked max ${c.lostAcked.max ?? "–"}; ` +
    `unavailable p95 ${c.unavailableMs.p95 ?? "–"} ms; produce p99 ${c.produceLatencyMs.p99 ?? "–"} ms` +
    (c.failedChecks.length === 0 ? "" : `; expect failed: ${c.failedChecks.map((f) => `${f.check} (${f.seeds.length})`).join(", ")}`) +
    "\n"
  );
}

function finish(args: { json: boolean; strict: boolean }, r: { report: SweepReport; files: string[]; pngNote: string | null }, dir: string, header: string): number {
  const json = r.report.json;
  if (args.json) process.stdout.write(JSON.stringify(json, null, 2) + "\n");
  else {
    process.stdout.write(header);
    for (const c of json.configs) process.stdout.write(summaryLine(c));
    process.stdout.write(`report     ${r.files.map((f) => `${dir}/${f}`).join(", ")}\n`);
  }
  if (r.pngNote !== null) process.stderr.write(`kafkasim: ${r.pngNote}\n`);
  const broken = json.configs.flatMap((c) => c.brokenRuns.map((b) => ({ c, b })));
  for (const { c, b } of broken) process.stderr.write(`kafkasim: ${c.id} seed ${b.seed} did not finish (${b.status}: ${b.error}); this is a bug in kafkasim, please report it (the report's notes have the repro line)\n`);
  if (broken.length > 0) return EXIT_SWEEP_BROKEN_RUNS;
  const violated = json.configs.some((c) => c.failedChecks.length > 0);
  return args.strict && violated ? EXIT_SWEEP_VIOLATIONS : EXIT_SWEEP_OK;
}

export async function runSweepCommand(ctx: SweepContext, args: SweepArgs): Promise<number> {
  const axes = parseAxes(args.sets);
  const seeds = parseSeeds(args.seeds);
  const shard = args.shard === undefined ? null : parseShard(args.shard);
  const workers = parseWorkers(args.workers);
  const configs = expandConfigs(axes);
  const plan: SweepPlanFile = { schemaVersion: PLAN_VERSION, kind: "kafkasim-sweep", scenarioRef: args.ref, scenarioName: args.scenarioName, scenarioText: args.scenarioText, axes, seeds, configs };
  // Every config is validated before anything runs: validate's bounds hold for each run.
  for (const c of configs) loadConfig(plan, c);
  const mine = shardRuns(expandRuns(configs, seeds), shard);
  const { store, resumed } = SweepStore.create(args.out, plan);
  const done = store.doneKeys();
  const pending = mine.filter((r) => !done.has(`${r.config}:${r.seed}`));
  const skipped = mine.length - pending.length;
  const progress = new ProgressLine(process.stderr.isTTY === true && !args.json);
  if (!args.json && resumed) process.stderr.write(`kafkasim: resuming ${args.out}: ${skipped} of ${mine.length} runs already done\n`);
  const started = Date.now();
  let ran = 0;
  try {
    await executeSweep(store, pending, workers, (_r, p) => {
      ran = p.done;
      progress.update(skipped + p.done, mine.length, p.violations);
    });
  } finally {
    progress.end();
  }
  const secs = (Date.now() - started) / 1000;
  const header =
    `sweep      ${args.scenarioName}: ${configs.length} configs x ${seeds.length} seeds${shard === null ? "" : `, shard ${shard.index}/${shard.count} (${mine.length} runs)`}\n` +
    `ran        ${ran} runs in ${secs.toFixed(1)} s on ${Math.min(workers, Math.max(1, pending.length))} workers (${(ran / Math.max(secs, 1e-9)).toFixed(2)} runs/s)${skipped > 0 ? `; ${skipped} already done` : ""}\n`;
  return finish(args, await report(ctx, store), args.out, header);
}

export interface MergeArgs {
  dirs: string[];
  out: string;
  json: boolean;
  strict: boolean;
}

/** Same run, same record, but for the time it took. */
function sameRun(a: object, b: object): boolean {
  const strip = (r: object): string => JSON.stringify({ ...r, timing: null });
  return strip(a) === strip(b);
}

export async function runMergeCommand(ctx: SweepContext, args: MergeArgs): Promise<number> {
  if (args.dirs.length === 0) throw new PlanError("report merge: give at least one sweep folder");
  const inputs = args.dirs.map((d) => SweepStore.open(d));
  for (const s of inputs.slice(1)) {
    const diff = inputs[0].sameSweep(s);
    if (diff !== null) throw new PlanError(`${s.dir} is not a shard of the same sweep as ${inputs[0].dir}: ${diff}`);
  }
  const out = SweepStore.forMerge(args.out, inputs[0].plan);
  let copied = 0;
  for (const s of inputs) {
    for (const r of s.runs()) {
      const there = out.read(r.config, r.seed);
      if (there !== null) {
        if (!sameRun(there, r)) throw new PlanError(`${s.dir}: ${out.plan.configs[r.config].id} seed ${r.seed} differs from the same run in ${out.dir} (traceHash ${r.traceHash} vs ${there.traceHash}); the two were not made by the same kafkasim, or a run is not deterministic (a bug: please report it)`);
        continue;
      }
      out.write(r);
      copied++;
    }
  }
  const planned = out.plan.configs.length * out.plan.seeds.length;
  const have = out.doneKeys().size;
  const header = `merged     ${inputs.length} folders into ${args.out}: ${copied} runs copied, ${have} of ${planned} runs present\n`;
  if (have < planned) process.stderr.write(`kafkasim: ${planned - have} of ${planned} runs are missing from the merged folders (a shard not run or not finished); the report covers the ${have} present\n`);
  return finish(args, await report(ctx, out), args.out, header);
}
