/**
 * The read-side tests' small scenario: three brokers, one producer, one group reading `orders`,
 * and a runner returning the outcome, its metrics and the coverage marks.
 */
import { loadScenario, formatProblem } from "../../scenarios/loader.js";
import { runScenario } from "../../scenarios/runner.js";
import { computeMetrics } from "../../reports/metrics.js";
import type { Override } from "../../scenarios/overrides.js";

/** A small cluster with one group reading `orders`; `consumer` is the group's YAML flow mapping body. */
export function doc(opts: { version?: string; consumer?: string; faults?: string; duration?: string; extra?: string } = {}): string {
  return `
name: read-side
duration: ${opts.duration ?? "60s"}
settle: 10s
kafka: { version: "${opts.version ?? "3.6"}" }
cluster: { brokers: 3, racks: [a, b, c] }
topics:
  - { name: orders, partitions: 4, replication.factor: 3 }
producers:
  - { id: p1, topic: orders, rate: 400/s, messageBytes: 100, config: { acks: all, linger.ms: 5 } }
consumers:
  - { group: g, members: 2, topic: orders, ${opts.consumer ?? "processing: 1ms"} }
${opts.extra ?? ""}
faults:
${opts.faults ?? "  []"}
`;
}

export function run(text: string, seed = 1, sets: Override[] = []) {
  const r = loadScenario(text, "test.yaml", sets);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  const outcome = runScenario(r.scenario, { seed });
  return { outcome, metrics: computeMetrics(outcome), marks: outcome.world.sim.marks };
}
