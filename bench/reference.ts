/**
 * The reference scenario, run in its own process so that its peak RSS is its own: prints
 * simulated seconds per wall second and the process's peak resident memory.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadScenario } from "../scenarios/loader.js";
import { runScenario } from "../scenarios/runner.js";
import { computeMetrics } from "../reports/metrics.js";

const file = fileURLToPath(new URL("../../bench/reference.yaml", import.meta.url));
const loaded = loadScenario(readFileSync(file, "utf8"), file);
if (!loaded.ok) {
  console.error(loaded.problems);
  process.exit(2);
}
const started = performance.now();
const outcome = runScenario(loaded.scenario, { seed: 1 });
const wallS = (performance.now() - started) / 1000;
const m = computeMetrics(outcome);
console.log(`reference.sim_speedup=${(outcome.simulatedUs / 1e6 / wallS).toFixed(1)}`);
console.log(`reference.peak_rss_mb=${Math.round(process.resourceUsage().maxRSS / 1024)}`);
console.log(`reference.events=${outcome.world.sim.events}`);
console.log(`reference.wall_s=${wallS.toFixed(2)}`);
console.log(`reference.acked=${m.acked} reference.lostAcked=${m.lostAcked} reference.p99_ms=${m.produceLatencyMs.p99}`);
console.log(`reference.e2e_p50_ms=${m.endToEndLatencyMs.p50} reference.e2e_p99_ms=${m.endToEndLatencyMs.p99} reference.processed=${m.groups[0]?.processed ?? 0} reference.lostConsumed=${m.lostConsumed}`);
