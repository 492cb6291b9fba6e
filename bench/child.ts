/**
 * One benchmark run in a fresh process, printing one JSON line: `hold-kafkasim` or `hold-simjs`
 * (the hold model on one engine, after an equal warm-up on that engine) or `reference SEED`
 * (the reference scenario, from a cold start as a user's run is), optionally with `--set`-style
 * overrides after the seed (the growth table's variants).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { holdOnKafkasim, holdOnSimjs, type HoldOptions } from "./holdModel.js";
import { measure } from "./measure.js";
import { loadScenario } from "../scenarios/loader.js";
import { parseOverride, type Override } from "../scenarios/overrides.js";
import { runScenario } from "../scenarios/runner.js";
import { computeMetrics } from "../reports/metrics.js";
import { tuneHeapForSimulation } from "../heapTuning.js";

async function main(): Promise<void> {
  const [what, arg, ...rest] = process.argv.slice(2);
  if (what === "hold-kafkasim" || what === "hold-simjs") {
    const events = Number(process.env.HOLD_EVENTS ?? 10_000_000);
    // Mean delay 1 s on the µs clock: 10,000 events spread over seconds, as in a real run (a
    // 1 ms mean would pack ~10 events into every microsecond, which no scenario does).
    const opts: HoldOptions = { pending: 10_000, events, meanDelayUs: 1_000_000, seed: 1 };
    const run = what === "hold-kafkasim" ? holdOnKafkasim : holdOnSimjs;
    run({ ...opts, events: 500_000 });
    const m = await measure(() => run(opts));
    console.log(JSON.stringify({ what, events: m.result.events, wallMs: m.wallMs, cpuMs: m.cpuMs, gcMs: m.gcMs }));
    return;
  }
  if (what === "reference") {
    // As the CLI runs a scenario (heapTuning.ts); the hold model runs under V8's defaults on both engines.
    tuneHeapForSimulation();
    const seed = Number(arg ?? 1);
    const file = fileURLToPath(new URL("../../bench/reference.yaml", import.meta.url));
    const sets: Override[] = rest.map((text) => {
      const o = parseOverride(text);
      if (o === null) throw new Error(`not a key=value override: ${text}`);
      return o;
    });
    const loaded = loadScenario(readFileSync(file, "utf8"), file, sets);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const m = await measure(() => runScenario(loaded.scenario, { seed }));
    const outcome = m.result;
    const metrics = computeMetrics(outcome);
    console.log(
      JSON.stringify({
        what,
        seed,
        simulatedUs: outcome.simulatedUs,
        events: outcome.world.sim.events,
        traceHash: outcome.world.sim.trace.hash,
        wallMs: m.wallMs,
        cpuMs: m.cpuMs,
        gcMs: m.gcMs,
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        acked: metrics.acked,
        lostAcked: metrics.lostAcked,
        produceP99Ms: metrics.produceLatencyMs.p99,
        e2eP50Ms: metrics.endToEndLatencyMs.p50,
        e2eP99Ms: metrics.endToEndLatencyMs.p99,
      }),
    );
    return;
  }
  throw new Error(`unknown benchmark ${what}`);
}

await main();
