/** The human summary of one run. */
import type { Check } from "./checks.js";
import type { Metrics } from "./metrics.js";
import { formatUs } from "../sim/time.js";

export interface RunReport {
  scenario: string;
  seed: number;
  traceHash: string;
  events: number;
  simulatedUs: number;
  wallMs: number;
  eventsPerSec: number;
  ok: boolean;
  checks: Check[];
  metrics: Metrics;
  marks: Record<string, number>;
  repro: string;
}

const n = (x: number): string => x.toLocaleString("en-US");
const ms = (x: number): string => `${+x.toFixed(3)}ms`;

export function formatRunSummary(r: RunReport): string {
  const m = r.metrics;
  const lines = [
    `scenario   ${r.scenario}   seed ${r.seed}`,
    `simulated  ${formatUs(r.simulatedUs)}   events ${n(r.events)}   wall ${n(r.wallMs)} ms   ${n(r.eventsPerSec)} events/s`,
    `produce    sent ${n(m.sent)}   acked ${n(m.acked)}   failed ${n(m.failed)}   lostAcked ${n(m.lostAcked)}   ${n(m.throughputPerSec)} acked/s`,
    `latency    p50 ${ms(m.produceLatencyMs.p50)}   p99 ${ms(m.produceLatencyMs.p99)}   p99.9 ${ms(m.produceLatencyMs.p999)}   max ${ms(m.produceLatencyMs.max)}`,
    `faults     ${n(m.messagesDropped)} messages dropped   ${n(m.bytesLostToPowerLoss)} dirty bytes lost to power loss`,
  ];
  if (Object.keys(m.errors).length > 0) lines.push(`errors     ${Object.entries(m.errors).map(([k, v]) => `${k} ${n(v)}`).join("   ")}`);
  for (const c of r.checks) {
    const status = c.note !== undefined ? "skip" : c.ok ? "pass" : "FAIL";
    lines.push(`check      ${status}  ${c.name} ${c.expected}${c.actual === null ? "" : ` (actual ${c.actual})`}${c.note ? ` — ${c.note}` : ""}`);
  }
  lines.push(`traceHash  ${r.traceHash}`, `repro      ${r.repro}`, r.ok ? "result     ok" : "result     FAILED: an expect check did not hold");
  return lines.join("\n") + "\n";
}
