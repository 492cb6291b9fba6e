#!/usr/bin/env -S node --single-threaded
/**
 * kafkasim's command line: list, validate, run, schema. The only place (with reports/) that
 * reads files, writes files or looks at a wall clock.
 */
import { Command, CommanderError, Option } from "commander";
import { tuneHeapForSimulation } from "./heapTuning.js";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, extname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadScenario, formatProblem, type LoadResult } from "./scenarios/loader.js";
import { parseOverrides, type Override } from "./scenarios/overrides.js";
import { scenarioJsonSchema } from "./scenarios/schema.js";
import { runScenario, type RunOutcome } from "./scenarios/runner.js";
import { computeMetrics } from "./reports/metrics.js";
import { writeTimeline } from "./reports/timeline.js";
import { clusterState, formatClusterState } from "./reports/describe.js";
import { formatGroupsState, groupsState } from "./reports/describeGroups.js";
import { OutputFile, OutputPathError } from "./reports/OutputFile.js";
import { parseDuration } from "./scenarios/units.js";
import { formatUs } from "./sim/time.js";
import { evaluateChecks } from "./reports/checks.js";
import { formatRunSummary, type RunReport } from "./reports/summary.js";
import { computeUtilization, formatUtilization } from "./reports/utilization.js";
import { formatPerfTest, perfTestSummaries } from "./reports/perfTest.js";
import { STALL_EVENTS } from "./sim/Simulation.js";
import { PlanError } from "./reports/sweep/plan.js";
import { runMergeCommand, runSweepCommand, type SweepContext } from "./reports/sweep/sweepCommand.js";
import { writeReportFolder } from "./reports/report/writeReport.js";
import { buildRunReport } from "./reports/runReport.js";
import { runSeries, runSeriesCharts } from "./reports/runSeries.js";
import type { Scenario } from "./scenarios/model.js";
import { ExploreUsageError, runExploreCommand, type ExploreArgs } from "./explore/exploreCommand.js";
import { shellQuote } from "./reports/shellQuote.js";

const EXIT_OK = 0;
const EXIT_CHECK_FAILED = 1;
const EXIT_USAGE = 2;
/** The run could not go on: simulated time stopped advancing (or, later, a limit was hit). */
const EXIT_STALLED = 3;
/** A bug in kafkasim (EX_SOFTWARE in sysexits.h). */
const EXIT_INTERNAL = 70;

class UsageError extends Error {}

/** The command line that reproduces what is running now, printed with an internal error. */
let currentRepro: string | null = null;

/** Built-in scenarios live in scenarios/ at the package root (next to dist/ when built). */
function builtinDir(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  for (const candidate of [resolve(here, "scenarios"), resolve(here, "..", "scenarios")]) {
    if (existsSync(resolve(candidate, "steady-state.yaml"))) return candidate;
  }
  throw new Error("built-in scenarios not found");
}

function builtinNames(): string[] {
  return readdirSync(builtinDir())
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => basename(f, ".yaml"))
    .sort();
}

/** A path to a file, or the name of a built-in scenario. */
function readScenario(ref: string, overrides: Override[]): { result: LoadResult; file: string; text: string; shown: string } {
  let file = ref;
  if (!existsSync(file)) {
    const builtin = resolve(builtinDir(), `${ref}.yaml`);
    if (!/[/\\]/.test(ref) && extname(ref) === "" && existsSync(builtin)) file = builtin;
    else throw new UsageError(`${ref}: no such file, and no built-in scenario of that name (kafkasim list shows them)`);
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`${ref}: cannot read: ${(e as Error).message}`);
  }
  const shown = file.startsWith(builtinDir()) ? `${ref} (built-in)` : ref;
  return { result: loadScenario(text, shown, overrides), file, text, shown };
}

function parseSets(values: string[]): Override[] {
  return parseOverrides(values, (v) => new UsageError(`--set ${v}: expected key=value, e.g. --set producer.acks=1`));
}

function parseSeed(text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`--seed ${text}: expected a whole number >= 0`);
  return Number(text);
}

function loadOrExit(ref: string, sets: string[]) {
  const { result } = readScenario(ref, parseSets(sets));
  if (!result.ok) {
    for (const p of result.problems) process.stderr.write(formatProblem(p) + "\n");
    process.exitCode = EXIT_USAGE;
    return null;
  }
  return result.scenario;
}


function reproLine(command: string, ref: string, seed: number | null, sets: string[], extra: string[] = []): string {
  return ["npx kafkasim", command, shellQuote(ref), ...(seed === null ? [] : ["--seed", String(seed)]), ...sets.flatMap((s) => ["--set", shellQuote(s)]), ...extra].join(" ");
}

/** The CLI's --seed wins, then the file's `seed:`, then 1. */
function seedOf(opt: string | undefined, fileSeed: number | undefined): number {
  return opt !== undefined ? parseSeed(opt) : (fileSeed ?? 1);
}

function cmdDescribe(ref: string, opts: { at: string; seed?: string; set: string[]; json?: boolean; groups?: boolean }): void {
  if (opts.seed !== undefined) parseSeed(opts.seed);
  const atUs = parseDuration(opts.at);
  if (atUs === null) throw new UsageError(`--at ${opts.at}: expected a duration such as 42s or 1500ms`);
  currentRepro = reproLine("describe", ref, null, opts.set, ["--at", opts.at]);
  const scenario = loadOrExit(ref, opts.set);
  if (scenario === null) return;
  const seed = seedOf(opts.seed, scenario.doc.seed);
  currentRepro = reproLine("describe", ref, seed, opts.set, ["--at", opts.at, ...(opts.groups === true ? ["--groups"] : [])]);
  const endUs = scenario.durationUs + scenario.settleUs;
  if (atUs > endUs) process.stderr.write(`kafkasim: warning: --at ${opts.at} is past the end of the run (duration + settle = ${formatUs(endUs)}); describing the cluster at ${formatUs(endUs)}\n`);
  const outcome = runScenario(scenario, { seed, untilUs: Math.min(atUs, endUs) });
  if (opts.groups === true) {
    const groups = groupsState(outcome.world);
    process.stdout.write(opts.json ? JSON.stringify(groups, null, 2) + "\n" : formatGroupsState(groups));
    return;
  }
  const state = clusterState(outcome.world);
  process.stdout.write(opts.json ? JSON.stringify(state, null, 2) + "\n" : formatClusterState(state));
}

function stalledMessage(outcome: RunOutcome, repro: string): string {
  const sim = outcome.world.sim;
  const culprits = [...sim.stallTally].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 3).map(([name, n]) => `${name} ×${n}`).join(", ");
  return (
    `kafkasim: simulation stalled at ${formatUs(sim.now)}: ${STALL_EVENTS.toLocaleString("en-US")} events in a row without the clock moving ` +
    `(the last ${[...sim.stallTally.values()].reduce((s, n) => s + n, 0).toLocaleString("en-US")} ran ${culprits}); this is a bug in kafkasim or a config value it should have refused: please report it with the repro line\n` +
    `repro      ${repro}\n`
  );
}

interface RunOpts {
  seed?: string;
  set: string[];
  json?: boolean;
  trace?: string;
  timeline?: string;
  report?: string;
  force?: boolean;
}

/** --report DIR: a new or empty folder, or with --force one whose report files are replaced. */
function checkReportDir(dir: string, force: boolean): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new UsageError(`--report ${dir}: exists and is not a folder`);
  if (readdirSync(dir).length > 0 && !force) throw new UsageError(`--report ${dir}: not empty; nothing there is overwritten without --force (which replaces report.md, report.html, report.json and charts/)`);
}

async function cmdRun(ref: string, opts: RunOpts): Promise<void> {
  if (opts.seed !== undefined) parseSeed(opts.seed);
  currentRepro = reproLine("run", ref, opts.seed === undefined ? null : Number(opts.seed), opts.set);
  const scenario = loadOrExit(ref, opts.set);
  if (scenario === null) return;
  const seed = seedOf(opts.seed, scenario.doc.seed);
  const repro = reproLine("run", ref, seed, opts.set);
  currentRepro = repro;
  const requested = [
    ...(opts.trace === undefined ? [] : [{ flag: "--trace", path: opts.trace }]),
    ...(opts.timeline === undefined ? [] : [{ flag: "--timeline", path: opts.timeline }]),
  ];
  let outputs: OutputFile[];
  try {
    outputs = OutputFile.openAll(requested, opts.force === true);
  } catch (e) {
    if (e instanceof OutputPathError) throw new UsageError(e.message);
    throw e;
  }
  if (opts.report !== undefined) checkReportDir(opts.report, opts.force === true);
  const trace = outputs.find((o) => o.flag === "--trace");
  const timeline = outputs.find((o) => o.flag === "--timeline");
  let outcome: RunOutcome;
  const started = performance.now();
  try {
    outcome = runScenario(scenario, { seed, traceWriter: trace?.traceWriter() });
  } catch (e) {
    for (const o of outputs) o.discard();
    throw e;
  }
  const wallMs = performance.now() - started;
  if (outcome.stopReason === "stalled") {
    for (const o of outputs) o.discard();
    process.stderr.write(stalledMessage(outcome, repro));
    process.exitCode = EXIT_STALLED;
    return;
  }
  const metrics = computeMetrics(outcome);
  const sim = outcome.world.sim;
  const checks = evaluateChecks(scenario.doc.expect, metrics, sim.marks, scenario.doc.marks);
  const report: RunReport = {
    scenario: scenario.name,
    seed,
    kafkaVersion: scenario.kafkaVersion,
    violations: sim.violations.map((v) => `${v.name} at ${formatUs(v.atUs)}: ${v.message}`),
    traceHash: sim.trace.hash,
    events: sim.events,
    simulatedUs: outcome.simulatedUs,
    wallMs: Math.round(wallMs),
    eventsPerSec: Math.round(sim.events / Math.max(wallMs / 1000, 1e-6)),
    ok: checks.every((c) => c.ok) && sim.violations.length === 0,
    checks,
    metrics,
    marks: Object.fromEntries(sim.marks.entries()),
    repro,
  };
  if (timeline !== undefined) writeTimeline(outcome.world, (text) => timeline.write(text));
  const utilization = computeUtilization(outcome);
  const perfTest = perfTestSummaries(outcome);
  // The perf-test lines and the busiest-resources line go just before the traceHash line.
  const extra = [...perfTest.map(formatPerfTest), formatUtilization(utilization)].join("\n");
  const summary = formatRunSummary(report).replace(/^traceHash /m, `${extra}\ntraceHash `);
  process.stdout.write(opts.json ? JSON.stringify({ ...report, utilization, perfTest }, null, 2) + "\n" : summary);
  process.exitCode = report.ok ? EXIT_OK : EXIT_CHECK_FAILED;
  if (opts.report !== undefined) {
    const r = buildRunReport(outcome, scenario, report, packageVersion());
    const written = await writeReportFolder(opts.report, r.json, r.doc);
    if (!opts.json) process.stdout.write(`report     ${written.files.map((f) => `${opts.report}/${f}`).join(", ")}\n`);
    if (written.pngNote !== null) process.stderr.write(`kafkasim: ${written.pngNote}\n`);
  }
  // The summary is out; an output that could not be completed is reported after it.
  for (const o of outputs) {
    const failure = o.finish();
    if (failure === null) continue;
    process.stderr.write(`kafkasim: ${o.flag} ${o.path}: could not be written (${failure}); the run's summary above is complete, the file is not\n`);
    process.exitCode = EXIT_USAGE;
  }
}

function cmdValidate(ref: string, opts: { set: string[] }): void {
  currentRepro = reproLine("validate", ref, null, opts.set);
  const scenario = loadOrExit(ref, opts.set);
  if (scenario !== null) process.stdout.write(`ok: ${scenario.name} (${scenario.hosts.length} hosts, ${scenario.faults.length} faults)\n`);
}

/** The story's first sentence. */
function oneLine(description: string): string {
  const flat = description.replace(/\s+/g, " ").trim();
  const end = flat.search(/\.(\s|$)/);
  return end < 0 ? flat : flat.slice(0, end + 1);
}

function cmdList(opts: { json?: boolean }): void {
  const items = builtinNames().map((name) => {
    const { result } = readScenario(name, []);
    return { name, description: result.ok ? (result.scenario.doc.description ?? "").trim() : "(invalid)" };
  });
  if (opts.json) {
    process.stdout.write(JSON.stringify(items, null, 2) + "\n");
    return;
  }
  const width = process.stdout.isTTY ? Math.max(40, process.stdout.columns ?? 80) : 100;
  const nameWidth = Math.max(...items.map((i) => i.name.length)) + 2;
  for (const i of items) {
    const story = oneLine(i.description);
    const room = width - nameWidth;
    process.stdout.write(`${i.name.padEnd(nameWidth)}${story.length > room ? story.slice(0, room - 1) + "…" : story}\n`);
  }
}

function packageVersion(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  for (const candidate of [resolve(here, "package.json"), resolve(here, "..", "package.json")]) {
    if (existsSync(candidate)) return (JSON.parse(readFileSync(candidate, "utf8")) as { version: string }).version;
  }
  return "unknown";
}

function sweepContext(): SweepContext {
  return {
    kafkasimVersion: packageVersion(),
    writeReport: (dir, r) => writeReportFolder(dir, r.json, r.doc),
    chosenSeries: chosenRunSeries,
  };
}

/** The sweep report's time-series chart: the chosen run again, its produce latency and ISR size. */
function chosenRunSeries(scenario: Scenario, seed: number, label: string): { charts: ReturnType<typeof runSeriesCharts>; series: unknown } {
  const outcome = runScenario(scenario, { seed });
  const series = runSeries(outcome, scenario);
  const charts = runSeriesCharts(series)
    .filter((c) => c.id === "run-produce-latency")
    .map((c) => ({ ...c, title: `${label}: produce latency and smallest ISR over simulated time` }));
  return { series, charts };
}

interface SweepOpts {
  set: string[];
  seeds: string;
  out: string;
  workers?: string;
  shard?: string;
  json?: boolean;
  strict?: boolean;
}

async function cmdSweep(ref: string, opts: SweepOpts): Promise<void> {
  currentRepro = ["npx kafkasim sweep", shellQuote(ref), ...opts.set.flatMap((s) => ["--set", shellQuote(s)]), "--seeds", opts.seeds, "--out", shellQuote(opts.out)].join(" ");
  const { text, shown } = readScenario(ref, []);
  process.exitCode = await runSweepCommand(sweepContext(), { ref, scenarioText: text, scenarioName: shown, sets: opts.set, seeds: opts.seeds, out: opts.out, workers: opts.workers, shard: opts.shard, json: opts.json === true, strict: opts.strict === true });
}

async function cmdMerge(dirs: string[], opts: { out: string; json?: boolean; strict?: boolean }): Promise<void> {
  currentRepro = ["npx kafkasim report merge", ...dirs.map(shellQuote), "--out", shellQuote(opts.out)].join(" ");
  process.exitCode = await runMergeCommand(sweepContext(), { dirs, out: opts.out, json: opts.json === true, strict: opts.strict === true });
}

/** The explore flags as commander hands them over (booleans may be absent). */
type ExploreOpts = Pick<ExploreArgs, "runs" | "seed" | "budget" | "out" | "path" | "expect"> & { json?: boolean; force?: boolean };

async function cmdExplore(ref: string, opts: ExploreOpts): Promise<void> {
  currentRepro = ["npx kafkasim explore", shellQuote(ref), ...(opts.runs === undefined ? [] : ["--runs", opts.runs]), ...(opts.seed === undefined ? [] : ["--seed", opts.seed]), ...(opts.budget === undefined ? [] : ["--budget", shellQuote(opts.budget)])].join(" ");
  const { result, text, shown } = readScenario(ref, []);
  if (!result.ok) {
    for (const p of result.problems) process.stderr.write(formatProblem(p) + "\n");
    process.exitCode = EXIT_USAGE;
    return;
  }
  process.exitCode = await runExploreCommand({ ref, scenarioText: text, scenarioName: shown, docName: result.scenario.name, runs: opts.runs, seed: opts.seed, budget: opts.budget, out: opts.out, path: opts.path, expect: opts.expect, json: opts.json === true, force: opts.force === true });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function main(argv: string[]): Promise<void> {
  tuneHeapForSimulation();
  const program = new Command();
  program
    .name("kafkasim")
    .description("Deterministic discrete-event simulator of an Apache Kafka cluster")
    .version(packageVersion(), "-V, --version", "print kafkasim's version")
    .exitOverride();
  program.configureOutput({ outputError: (str, write) => write(str) });
  program.command("list").description("list the built-in scenarios, one line each").option("--json", "print JSON with each whole description").action(cmdList);
  program
    .command("validate")
    .description("check a scenario file (or built-in name) without running it")
    .argument("<scenario>")
    .option("--set <key=value>", "override a config or field (repeatable)", collect, [])
    .action(cmdValidate);
  program
    .command("run")
    .description("run a scenario with a seed")
    .argument("<scenario>", "a scenario file or the name of a built-in scenario")
    .option("--seed <n>", "root seed (default: the file's seed:, else 1)")
    .option("--set <key=value>", "override a config or field, e.g. producer.acks=1 (repeatable)", collect, [])
    .option("--json", "print one JSON document")
    .option("--trace <file>", "write the full trace as JSON Lines")
    .option("--timeline <file>", "write a Chrome/Perfetto trace JSON of the run (ui.perfetto.dev)")
    .option("--report <dir>", "write report.md, report.html, report.json and PNG charts of the run (time series, faults marked) into a new folder")
    .addOption(new Option("--force", "overwrite the --trace / --timeline file, or the --report folder's report files, if they exist"))
    .action(cmdRun);
  program
    .command("describe")
    .description("run a scenario up to a simulated time and print its partitions like kafka-topics.sh --describe")
    .argument("<scenario>", "a scenario file or the name of a built-in scenario")
    .requiredOption("--at <time>", "simulated time, e.g. 42s or 1500ms")
    .option("--seed <n>", "root seed (default: the file's seed:, else 1)")
    .option("--set <key=value>", "override a config or field (repeatable)", collect, [])
    .option("--groups", "print the consumer groups like kafka-consumer-groups.sh --describe instead")
    .option("--json", "print JSON")
    .action(cmdDescribe);
  program
    .command("sweep")
    .description("run a scenario for every combination of --set values and every seed, in parallel, and write a report")
    .argument("<scenario>", "a scenario file or the name of a built-in scenario")
    .option("--set <key=v1,v2,...>", "a config or field and the values to try, e.g. producer.acks=1,all (repeatable; the configs are the cross product)", collect, [])
    .requiredOption("--seeds <seeds>", "the seeds of every config: a range 1..200 or a list 1,2,3")
    .requiredOption("--out <dir>", "the sweep's folder: one file per finished run, then the report; run again with the same --out to resume")
    .option("--workers <n>", "worker threads (default: one per core)")
    .option("--shard <i/n>", "run only the i-th of n equal shares of the runs (merge shards with kafkasim report merge)")
    .option("--json", "print report.json on stdout; no progress bar")
    .option("--strict", "exit 1 when any run violated an expect: or an invariant")
    .action(cmdSweep);
  program
    .command("explore")
    .description("search fault schedules for a broken guarantee; shrink what is found and write it as a scenario file")
    .argument("<scenario>", "a scenario file or the name of a built-in scenario (its cluster, workload and configs; its faults and expect: are replaced)")
    .option("--runs <n>", "schedules to try (default 100)")
    .option("--seed <n>", "fast-check's seed: the same seed tries the same schedules (default 1)")
    .option("--budget <spec>", "what a schedule may do, e.g. faults=3,down=1,power=single,kinds=crash+partition+pause")
    .option("--expect <metric=condition>", "a guarantee every run must keep (repeatable; default: lostAcked == 0, divergence == 0, no invariant violated, lostConsumed == 0 with consumers)", collect, [])
    .option("--out <file>", "where to write the minimal failing scenario (default: <name>-counterexample.yaml)")
    .option("--path <path>", "replay only fast-check's counterexample at this path (from an earlier search)")
    .option("--json", "print one JSON document; no progress bar")
    .addOption(new Option("--force", "overwrite the --out file if it exists"))
    .action(cmdExplore);
  const reportCmd = program.command("report").description("work with sweep reports");
  reportCmd
    .command("merge")
    .description("combine the folders of a sharded sweep into one folder and report (histograms merged, never percentiles averaged)")
    .argument("<dirs...>", "the shards' --out folders")
    .requiredOption("--out <dir>", "the merged sweep's folder")
    .option("--json", "print report.json on stdout")
    .option("--strict", "exit 1 when any run violated an expect: or an invariant")
    .action(cmdMerge);
  program
    .command("schema")
    .description("print the scenario file's JSON Schema (for editors)")
    .action(() => {
      process.stdout.write(JSON.stringify(scenarioJsonSchema(), null, 2) + "\n");
    });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      return;
    }
    if (e instanceof UsageError || e instanceof PlanError || e instanceof ExploreUsageError) {
      process.stderr.write(`kafkasim: ${e.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    // A bug: say so, with what reproduces it, and ask for a report.
    const err = e as Error;
    process.stderr.write(
      `kafkasim: internal error: ${err.message}\n` +
        `${(err.stack ?? "").split("\n").slice(1, 6).join("\n")}\n` +
        (currentRepro === null ? "" : `repro      ${currentRepro}\n`) +
        `This is a bug in kafkasim ${packageVersion()}. Please report it with the repro line and the scenario file.\n`,
    );
    process.exitCode = EXIT_INTERNAL;
  }
}

// A reader that stops early (`kafkasim sweep ... | head`) closes the pipe: stop quietly, as
// Unix tools do, instead of an unhandled EPIPE with a stack trace. Files already written stay.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}

await main(process.argv);
