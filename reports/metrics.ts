/**
 * Metrics of a finished run, read from the world's histories after the settle period.
 *
 * lostAcked: acknowledged writes that are absent from the final log of the server that
 * acknowledged them (e.g. acked from the page cache, then lost with the power).
 */
import type { RunOutcome } from "../scenarios/runner.js";
import { summarize, type LatencySummary } from "./percentiles.js";

export interface Metrics {
  sent: number;
  acked: number;
  failed: number;
  lostAcked: number;
  throughputPerSec: number;
  produceLatencyMs: LatencySummary;
  bytesLostToPowerLoss: number;
  messagesDropped: number;
  invariantViolations: number;
  errors: Record<string, number>;
}

export function computeMetrics(outcome: RunOutcome): Metrics {
  const { world } = outcome;
  let sent = 0;
  let failed = 0;
  const latenciesMs: number[] = [];
  const errors: Record<string, number> = {};
  const acks = [];
  for (const h of world.clientHistories.values()) {
    sent += h.sent;
    failed += h.failed;
    for (const a of h.acks) {
      latenciesMs.push((a.ackedAtUs - a.sentAtUs) / 1000);
      acks.push(a);
    }
    for (const [k, v] of [...h.errors].sort()) errors[k] = (errors[k] ?? 0) + v;
  }
  // What each server's log holds at the end.
  const logged = new Map<string, Set<unknown>>();
  for (const [name, machine] of world.machines) {
    const file = machine.pageCache.files.find((f) => f.name === "data.log");
    if (file !== undefined) logged.set(name, new Set(file.contents.map((c) => c.payload)));
  }
  let lostAcked = 0;
  for (const a of acks) if (!logged.get(a.server)?.has(a.id)) lostAcked++;
  let bytesLost = 0;
  for (const m of world.machines.values()) bytesLost += m.pageCache.bytesLostToPowerLoss;
  const seconds = world.scenario.durationUs / 1_000_000;
  return {
    sent,
    acked: acks.length,
    failed,
    lostAcked,
    throughputPerSec: Math.round(acks.length / seconds),
    produceLatencyMs: summarize(latenciesMs),
    bytesLostToPowerLoss: bytesLost,
    messagesDropped: world.network.messagesDropped,
    invariantViolations: world.sim.violations.length,
    errors,
  };
}

/** A metric by its dotted name (`produceLatencyMs.p99`), or undefined when not measured. */
export function metricValue(metrics: Metrics, name: string): number | undefined {
  let v: unknown = metrics;
  for (const part of name.split(".")) v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[part] : undefined;
  return typeof v === "number" ? v : undefined;
}
