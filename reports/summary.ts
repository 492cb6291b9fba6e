/** The human summary of one run. */
import type { Check } from "./checks.js";
import type { Metrics } from "./metrics.js";
import { formatUs } from "../sim/time.js";

export interface RunReport {
  scenario: string;
  seed: number;
  kafkaVersion: string;
  violations: string[];
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
const ms = (x: number | null): string => (x === null ? "-" : `${+x.toFixed(3)}ms`);
const perSec = (x: number | null, unit: string): string => (x === null ? `- ${unit}/s` : `${n(x)} ${unit}/s`);

function readLine(p: Metrics["partitions"][number]): string {
  const r = p.readFrom;
  const who = r.broker < 0 ? "no replica" : `broker-${r.broker}`;
  return `  ${p.key.padEnd(12)} ${who} (${r.basis}${p.finalLeader >= 0 ? `; final leader ${p.finalLeader} is down` : "; no leader at the end"}) below offset ${n(r.readableEnd)}`;
}

function partitionLine(p: Metrics["partitions"][number]): string {
  const leaders = p.changes.filter((c, i) => i === 0 || c.leader !== p.changes[i - 1].leader).map((c) => `${c.leader < 0 ? "none" : c.leader}@${formatUs(c.atUs)}`);
  return `  ${p.key.padEnd(12)} replicas ${p.replicas.join(",").padEnd(8)} leader ${String(p.finalLeader).padEnd(3)} isr ${p.finalIsr.join(",").padEnd(8)} leader changes ${String(p.leaderChanges).padEnd(3)} isr changes ${String(p.isrChanges).padEnd(3)} unavailable ${n(p.unavailableMs)} ms   stall ${n(p.produceStallMs)} ms   leaders: ${leaders.slice(0, 8).join(" ")}${leaders.length > 8 ? " ..." : ""}`;
}

function groupLine(g: Metrics["groups"][number]): string {
  const e = g.endToEndLatencyMs;
  const lag = g.consumerLag.max === null ? "-" : `max ${n(g.consumerLag.max)} final ${n(g.consumerLag.final ?? 0)}`;
  return [
    `group      ${g.group} (${g.members} members, ${g.topic})   processed ${n(g.processed)}   lostConsumed ${n(g.lostConsumed)}   duplicatesConsumed ${n(g.duplicatesConsumed)}   skipped ${n(g.skipped)}   nonmonotonic ${n(g.nonmonotonic)}`,
    `           rebalances ${n(g.rebalances)}   rebalancePauseMs ${n(g.rebalancePauseMs)} (partition-ms without a live owner)   lag ${lag}   commits ${n(g.commits.ok)} ok ${n(g.commits.failed)} failed${Object.keys(g.commits.errors).length > 0 ? ` (${Object.entries(g.commits.errors).map(([k, v]) => `${k} ${n(v)}`).join(", ")})` : ""}`,
    `           end-to-end p50 ${ms(e.p50)}   p99 ${ms(e.p99)}   p99.9 ${ms(e.p999)}   max ${ms(e.max)}   (${n(e.records)} records)${g.consumerErrors.length > 0 ? `   errors: ${g.consumerErrors.join("; ")}` : ""}`,
  ].join("\n");
}

/** When the faults healed, how long every partition took to be fully led again, what producers and groups did after. */
function recoveryLine(m: Metrics): string {
  const r = m.recovery;
  const led =
    m.recoveryMs !== null && r.lastRecovered !== null
      ? m.recoveryMs === 0
        ? "every partition already led with a full ISR"
        : `every partition led with a full ISR ${formatUs(m.recoveryMs * 1000)} later (${r.lastRecovered.partition} last)`
      : `not every partition led with a full ISR at the end (${r.notRecovered.length}: ${r.notRecovered.slice(0, 2).map((x) => `${x.partition} ${x.why}`).join("; ")}${r.notRecovered.length > 2 ? "; ..." : ""})`;
  const acked = m.ackedAfterHeal === null ? "" : `   acknowledged after ${n(m.ackedAfterHeal)} records${r.idleProducers.length > 0 ? ` (none from ${r.idleProducers.join(", ")})` : ""}`;
  const lag = m.consumerLagAtEnd !== null ? `   lag at the end ${n(m.consumerLagAtEnd)}` : Object.keys(r.lagAtEnd).length > 0 ? "   lag at the end unread (see unmeasured)" : "";
  return `recovery   ${m.healedAtMs === 0 ? "no faults" : `faults over at ${formatUs(m.healedAtMs * 1000)}`}; ${led}${acked}${lag}`;
}

export function formatRunSummary(r: RunReport): string {
  const m = r.metrics;
  const lines = [
    `scenario   ${r.scenario}   seed ${r.seed}   kafka ${r.kafkaVersion}`,
    `simulated  ${formatUs(r.simulatedUs)}   events ${n(r.events)}   wall ${n(r.wallMs)} ms   ${n(r.eventsPerSec)} events/s`,
    `partitions (final leader and ISR; changes over the run)`,
    ...m.partitions.slice(0, 24).map(partitionLine),
    ...(m.partitions.length > 24 ? [`  ... ${m.partitions.length - 24} more partitions in --json`] : []),
    `produce    sent ${n(m.sent)}   acked ${n(m.acked)}   failed ${n(m.failed)}${m.sentWithoutAck > 0 ? `   written without acknowledgement (acks=0) ${n(m.sentWithoutAck)}` : ""}`,
    `throughput ${perSec(m.throughput.recordsPerSec, "records")}   ${perSec(m.throughput.bytesPerSec, "bytes")}   acknowledged from ${m.throughput.fromUs === null ? "-" : formatUs(m.throughput.fromUs)} (first acknowledgement) to ${formatUs(m.throughput.toUs)} (end of duration; settle excluded)`,
    `outcome    lostAcked ${n(m.lostAcked)}${m.expiredAcked > 0 ? `   expiredAcked ${n(m.expiredAcked)} (deleted by retention)` : ""}   duplicates ${n(m.duplicates)}   reordered ${n(m.reordered)}   divergence ${n(m.divergence)}   unavailableMs ${n(m.unavailableMs)} (worst partition)`,
    `stall      produceStallMs ${m.produceStall === null ? "-" : `${n(m.produceStall.ms)}${m.produceStall.ms > 0 ? ` (producer-${m.produceStall.producer} ${m.produceStall.partition}, ${formatUs(m.produceStall.fromUs)} to ${formatUs(m.produceStall.toUs)})` : ""}${m.produceStall.inferredStarts > 0 ? `   ${n(m.produceStall.inferredStarts)} failed or unfinished records without a recorded send() time` : ""}`}`,
    `read from  lostAcked counts acknowledged records missing below these offsets`,
    ...m.partitions.filter((p) => p.readFrom.basis !== "final leader").slice(0, 24).map(readLine),
    ...(m.partitions.every((p) => p.readFrom.basis !== "final leader") ? [] : [`  ${m.partitions.some((p) => p.readFrom.basis !== "final leader") ? "other partitions" : "every partition"}: the final leader, below its high watermark`]),
    `latency    p50 ${ms(m.produceLatencyMs.p50)}   p99 ${ms(m.produceLatencyMs.p99)}   p99.9 ${ms(m.produceLatencyMs.p999)}   max ${ms(m.produceLatencyMs.max)}   (${n(m.produceLatencyMs.records)} records${m.produceLatencyMs.warmupMs > 0 ? `, created after the ${formatUs(m.produceLatencyMs.warmupMs * 1000)} warm-up` : ""})`,
    `cluster    leader changes ${n(m.leaderChanges)}   ISR changes ${n(m.isrChanges)}   records truncated by followers ${n(m.truncatedRecords)}   invariant violations ${n(m.invariantViolations)}`,
    `controller ${m.controllers.map((c) => `broker-${c.broker}@${formatUs(c.atUs)}`).join(" ") || "never elected"}`,
    ...m.brokerExits.map((e) => `exit       broker-${e.broker} at ${formatUs(e.atUs)}: ${e.why}`),
    ...m.groups.map(groupLine),
    `faults     ${n(m.messagesDropped)} messages dropped   ${n(m.bytesLostToPowerLoss)} dirty bytes lost to power loss`,
    recoveryLine(m),
  ];
  if (m.logDirFailures > 0 || m.brokerHalts > 0) {
    const halts = m.halts.map((x) => `broker-${x.broker} halted at ${formatUs(x.atUs)}: ${x.reason}`);
    lines.push(`storage    ${n(m.logDirFailures)} log dirs offline   ${n(m.brokerHalts)} brokers halted${halts.length > 0 ? `   ${halts.join("; ")}` : ""}`);
  }
  if (Object.keys(m.errors).length > 0) lines.push(`errors     ${Object.entries(m.errors).map(([k, v]) => `${k} ${n(v)}`).join("   ")}`);
  for (const v of r.violations) lines.push(`VIOLATION  ${v}`);
  for (const c of r.checks) {
    const status = c.ok ? "pass" : "FAIL";
    lines.push(`check      ${status}  ${c.name} ${c.expected}${c.actual === null ? "" : ` (actual ${c.actual})`}${c.note ? ` — ${c.note}` : ""}`);
  }
  lines.push(`traceHash  ${r.traceHash}`, `repro      ${r.repro}`, r.ok ? "result     ok" : "result     FAILED: an expect check did not hold");
  return lines.join("\n") + "\n";
}
