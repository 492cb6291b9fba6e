#!/usr/bin/env node
/**
 * kafkasim's command line: list, validate, run, schema. The only place (with reports/) that
 * reads files, writes files or looks at a wall clock.
 */
import { Command, CommanderError, Option } from "commander";
import { existsSync, readFileSync, readdirSync, writeFileSync, createWriteStream, type WriteStream } from "node:fs";
import { basename, extname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadScenario, formatProblem, type LoadResult } from "./scenarios/loader.js";
import { parseOverride, type Override } from "./scenarios/overrides.js";
import { scenarioJsonSchema } from "./scenarios/schema.js";
import { runScenario } from "./scenarios/runner.js";
import { computeMetrics } from "./reports/metrics.js";
import { buildTimeline } from "./reports/timeline.js";
import { describeCluster } from "./reports/describe.js";
import { parseDuration } from "./scenarios/units.js";
import { formatUs } from "./sim/time.js";
import { evaluateChecks } from "./reports/checks.js";
import { formatRunSummary, type RunReport } from "./reports/summary.js";
import { computeUtilization, formatUtilization } from "./reports/utilization.js";
import { formatPerfTest, perfTestSummaries } from "./reports/perfTest.js";
import { STALL_EVENTS } from "./sim/Simulation.js";

const EXIT_OK = 0;
const EXIT_CHECK_FAILED = 1;
const EXIT_USAGE = 2;
/** The run could not go on: simulated time stopped advancing (or, later, a limit was hit). */
const EXIT_STALLED = 3;

class UsageError extends Error {}

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
function readScenario(ref: string, overrides: Override[]): { result: LoadResult; file: string } {
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
  return { result: loadScenario(text, shown, overrides), file };
}

function parseSets(values: string[]): Override[] {
  return values.map((v) => {
    const o = parseOverride(v);
    if (o === null) throw new UsageError(`--set ${v}: expected key=value, e.g. --set producer.acks=1`);
    return o;
  });
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

function openTrace(path: string, force: boolean): WriteStream {
  if (existsSync(path) && !force) throw new UsageError(`--trace ${path}: the file exists; pass --force to overwrite it`);
  return createWriteStream(path, { flags: "w" });
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9._\-/=:,]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function cmdDescribe(ref: string, opts: { at: string; seed: string; set: string[] }): void {
  const seed = parseSeed(opts.seed);
  const atUs = parseDuration(opts.at);
  if (atUs === null) throw new UsageError(`--at ${opts.at}: expected a duration such as 42s or 1500ms`);
  const scenario = loadOrExit(ref, opts.set);
  if (scenario === null) return;
  const outcome = runScenario(scenario, { seed, untilUs: atUs });
  process.stdout.write(describeCluster(outcome.world));
}

function cmdRun(ref: string, opts: { seed: string; set: string[]; json?: boolean; trace?: string; timeline?: string; force?: boolean }): void {
  const seed = parseSeed(opts.seed);
  const scenario = loadOrExit(ref, opts.set);
  if (scenario === null) return;
  if (opts.timeline !== undefined && existsSync(opts.timeline) && opts.force !== true) throw new UsageError(`--timeline ${opts.timeline}: the file exists; pass --force to overwrite it`);
  const traceStream = opts.trace === undefined ? undefined : openTrace(opts.trace, opts.force === true);
  const started = performance.now();
  const outcome = runScenario(scenario, { seed, traceSink: traceStream === undefined ? undefined : (line) => traceStream.write(line + "\n") });
  const wallMs = performance.now() - started;
  traceStream?.end();
  const repro0 = ["npx kafkasim run", shellQuote(ref), "--seed", String(seed), ...opts.set.flatMap((s) => ["--set", shellQuote(s)])].join(" ");
  if (outcome.stopReason === "stalled") {
    const sim = outcome.world.sim;
    const culprits = [...sim.stallTally].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 3).map(([name, n]) => `${name} ×${n}`).join(", ");
    process.stderr.write(
      `kafkasim: simulation stalled at ${formatUs(sim.now)}: ${STALL_EVENTS.toLocaleString("en-US")} events in a row without the clock moving ` +
        `(the last ${[...sim.stallTally.values()].reduce((s, n) => s + n, 0).toLocaleString("en-US")} ran ${culprits}); a config of 0 where Kafka needs a positive value can do this\n` +
        `repro      ${repro0}\n`,
    );
    process.exitCode = EXIT_STALLED;
    return;
  }
  const metrics = computeMetrics(outcome);
  const sim = outcome.world.sim;
  const checks = evaluateChecks(scenario.doc.expect, metrics, sim.marks, scenario.doc.marks);
  const repro = ["npx kafkasim run", shellQuote(ref), "--seed", String(seed), ...opts.set.flatMap((s) => ["--set", shellQuote(s)])].join(" ");
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
  if (opts.timeline !== undefined) writeFileSync(opts.timeline, JSON.stringify(buildTimeline(outcome.world)));
  const utilization = computeUtilization(outcome);
  const perfTest = perfTestSummaries(outcome);
  // The perf-test lines and the busiest-resources line go just before the traceHash line.
  const extra = [...perfTest.map(formatPerfTest), formatUtilization(utilization)].join("\n");
  const summary = formatRunSummary(report).replace(/^traceHash /m, `${extra}\ntraceHash `);
  process.stdout.write(opts.json ? JSON.stringify({ ...report, utilization, perfTest }, null, 2) + "\n" : summary);
  process.exitCode = report.ok ? EXIT_OK : EXIT_CHECK_FAILED;
}

function cmdValidate(ref: string, opts: { set: string[] }): void {
  const scenario = loadOrExit(ref, opts.set);
  if (scenario !== null) process.stdout.write(`ok: ${scenario.name} (${scenario.hosts.length} hosts, ${scenario.faults.length} faults)\n`);
}

function cmdList(opts: { json?: boolean }): void {
  const items = builtinNames().map((name) => {
    const { result } = readScenario(name, []);
    return { name, description: result.ok ? (result.scenario.doc.description ?? "").trim() : "(invalid)" };
  });
  if (opts.json) process.stdout.write(JSON.stringify(items, null, 2) + "\n");
  else for (const i of items) process.stdout.write(`${i.name.padEnd(28)} ${i.description.split("\n")[0]}\n`);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function main(argv: string[]): void {
  const program = new Command();
  program.name("kafkasim").description("Deterministic discrete-event simulator of an Apache Kafka cluster").exitOverride();
  program.configureOutput({ outputError: (str, write) => write(str) });
  program.command("list").description("list the built-in scenarios").option("--json", "print JSON").action(cmdList);
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
    .option("--seed <n>", "root seed", "1")
    .option("--set <key=value>", "override a config or field, e.g. producer.acks=1 (repeatable)", collect, [])
    .option("--json", "print one JSON document")
    .option("--trace <file>", "write the full trace as JSON Lines")
    .option("--timeline <file>", "write a Chrome/Perfetto trace JSON of the run (ui.perfetto.dev)")
    .addOption(new Option("--force", "overwrite the --trace / --timeline file if it exists"))
    .action(cmdRun);
  program
    .command("describe")
    .description("run a scenario up to a simulated time and print its partitions like kafka-topics.sh --describe")
    .argument("<scenario>", "a scenario file or the name of a built-in scenario")
    .requiredOption("--at <time>", "simulated time, e.g. 42s or 1500ms")
    .option("--seed <n>", "root seed", "1")
    .option("--set <key=value>", "override a config or field (repeatable)", collect, [])
    .action(cmdDescribe);
  program
    .command("schema")
    .description("print the scenario file's JSON Schema (for editors)")
    .action(() => {
      process.stdout.write(JSON.stringify(scenarioJsonSchema(), null, 2) + "\n");
    });
  try {
    program.parse(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      return;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`kafkasim: ${e.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.stderr.write(`kafkasim: internal error: ${(e as Error).message}\n`);
    process.exitCode = 70;
  }
}

main(process.argv);
