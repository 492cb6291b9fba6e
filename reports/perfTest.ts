/**
 * kafka-producer-perf-test's closing line for each closed-loop producer (`rate: max`), so a run
 * reads like the tool users already know (ProducerPerformance.Stats.printTotal):
 * "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, P50 ms 50th,
 * P95 ms 95th, P99 ms 99th, P999 ms 99.9th."
 * As there, only acknowledged records count (PerfCallback records on success), bytes are the
 * record size, MB is 2^20 bytes, and the time runs from the first send() to the last
 * acknowledgement (perf-test: from its start to after close()). The latency figures are the run's
 * (all producers), from send() to acknowledgement, warm-up excluded.
 */
import type { RunOutcome } from "../scenarios/runner.js";
import { meanOf, percentileOf } from "./metrics.js";

export interface PerfTestSummary {
  producer: string;
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
}

export function perfTestSummaries(outcome: RunOutcome): PerfTestSummary[] {
  const h = outcome.world.history;
  const lat = h.latencyUs.histogram;
  const out: PerfTestSummary[] = [];
  for (const p of outcome.world.scenario.doc.producers ?? []) {
    if (p.rate !== "max") continue;
    let records = 0;
    let first = Infinity;
    let last = -Infinity;
    const acks = h.acks;
    for (let i = 0; i < acks.length; i++) {
      if (acks.producer(i) !== p.id) continue;
      records += acks.count(i);
      if (acks.firstArrivalUs(i) < first) first = acks.firstArrivalUs(i);
      if (acks.atUs(i) > last) last = acks.atUs(i);
    }
    const seconds = records > 0 ? Math.max(last - first, 1) / 1e6 : 0;
    const ms = (us: number): number => us / 1000;
    const empty = lat.totalCount === 0;
    out.push({
      producer: p.id,
      records,
      recordsPerSec: seconds > 0 ? records / seconds : 0,
      mbPerSec: seconds > 0 ? (records * p.messageBytes) / seconds / (1024 * 1024) : 0,
      avgLatencyMs: empty ? 0 : ms(meanOf(lat)),
      maxLatencyMs: empty ? 0 : ms(lat.maxValue),
      // printTotal prints the percentiles as whole milliseconds (Stats.percentiles of int latencies).
      p50Ms: empty ? 0 : Math.floor(ms(percentileOf(lat, 50))),
      p95Ms: empty ? 0 : Math.floor(ms(percentileOf(lat, 95))),
      p99Ms: empty ? 0 : Math.floor(ms(percentileOf(lat, 99))),
      p999Ms: empty ? 0 : Math.floor(ms(percentileOf(lat, 99.9))),
    });
  }
  return out;
}

export function formatPerfTest(s: PerfTestSummary): string {
  return (
    `perf-test  ${s.producer}: ${s.records} records sent, ${s.recordsPerSec.toFixed(6)} records/sec (${s.mbPerSec.toFixed(2)} MB/sec), ` +
    `${s.avgLatencyMs.toFixed(2)} ms avg latency, ${s.maxLatencyMs.toFixed(2)} ms max latency, ` +
    `${s.p50Ms} ms 50th, ${s.p95Ms} ms 95th, ${s.p99Ms} ms 99th, ${s.p999Ms} ms 99.9th.`
  );
}
