/**
 * `kafkasim run --report DIR`: one run's report, with the same renderers as a sweep's: what was
 * lost and duplicated, availability, latency, partitions, consumer groups, the checks, and time
 * series (throughput, produce and end-to-end latency, ISR size, consumer lag) with the faults
 * marked.
 */
import type { ReportDoc, ReportTable } from "./report/model.js";
import { faultLines } from "./report/faultLines.js";
import type { RunReport } from "./summary.js";
import type { LatencySummary } from "./metrics.js";
import type { Scenario } from "../scenarios/model.js";
import type { RunOutcome } from "../scenarios/runner.js";
import { runSeries, runSeriesCharts } from "./runSeries.js";
import { formatUs } from "../sim/time.js";

export const RUN_REPORT_VERSION = 1;

const n = (x: number | null): string => (x === null ? "–" : x.toLocaleString("en-US", { maximumFractionDigits: 3 }));

function latencyRow(name: string, l: LatencySummary): string[] {
  return [name, n(l.p50), n(l.p99), n(l.p999), n(l.max), n(l.records)];
}

function tables(r: RunReport): ReportTable[] {
  const m = r.metrics;
  const out: ReportTable[] = [
    {
      title: "Outcome",
      columns: ["metric", "value"],
      rows: [
        ["sent / acked / failed records", `${n(m.sent)} / ${n(m.acked)} / ${n(m.failed)}`],
        ["lostAcked (acknowledged, then gone)", n(m.lostAcked)],
        ["expiredAcked (deleted by retention)", n(m.expiredAcked)],
        ["duplicates", n(m.duplicates)],
        ["reordered", n(m.reordered)],
        ["divergence", n(m.divergence)],
        ["unavailableMs (worst partition)", n(m.unavailableMs)],
        ["produceStallMs (longest)", n(m.produceStallMs)],
        ["throughput (acked records/s)", n(m.throughput.recordsPerSec)],
        ["leader changes / ISR changes", `${n(m.leaderChanges)} / ${n(m.isrChanges)}`],
        ["records truncated by followers", n(m.truncatedRecords)],
        ["invariant violations", n(m.invariantViolations)],
      ],
    },
    {
      title: "Latency (ms)",
      columns: ["", "p50", "p99", "p99.9", "max", "records"],
      rows: [latencyRow("produce (creation to acknowledgement)", m.produceLatencyMs), ...(m.groups.length > 0 ? [latencyRow("end to end (creation to processed)", m.endToEndLatencyMs)] : [])],
      note: "HDR histograms, 3 significant digits, after the scenario's latency warm-up.",
    },
    {
      title: "Partitions",
      columns: ["partition", "replicas", "final leader", "final ISR", "leader changes", "ISR changes", "unavailable ms"],
      rows: m.partitions.map((p) => [p.key, p.replicas.join(","), p.finalLeader < 0 ? "none" : String(p.finalLeader), p.finalIsr.join(","), n(p.leaderChanges), n(p.isrChanges), n(p.unavailableMs)]),
    },
  ];
  if (m.groups.length > 0) {
    out.push({
      title: "Consumer groups",
      columns: ["group", "processed", "lostConsumed", "duplicatesConsumed", "skipped", "rebalances", "rebalance pause ms", "lag max", "lag final"],
      rows: m.groups.map((g) => [g.group, n(g.processed), n(g.lostConsumed), n(g.duplicatesConsumed), n(g.skipped), n(g.rebalances), n(g.rebalancePauseMs), n(g.consumerLag.max), n(g.consumerLag.final)]),
    });
  }
  out.push({
    title: "Checks",
    columns: ["expect", "expected", "actual", "result"],
    rows: r.checks.map((c) => [c.name, c.expected, n(c.actual), c.ok ? "ok" : `FAILED${c.note === undefined ? "" : ` (${c.note})`}`]),
    note: r.checks.length === 0 ? "The scenario has no expect:." : undefined,
  });
  return out;
}

export function buildRunReport(outcome: RunOutcome, scenario: Scenario, report: RunReport, kafkasimVersion: string): { json: unknown; doc: ReportDoc } {
  const series = runSeries(outcome, scenario);
  const doc: ReportDoc = {
    title: `${report.scenario}, seed ${report.seed}: ${report.ok ? "ok" : "FAILED"}`,
    story: (scenario.doc.description ?? "").trim(),
    facts: [
      ["scenario", report.scenario],
      ["seed", String(report.seed)],
      ["Kafka version", report.kafkaVersion],
      ["simulated", formatUs(report.simulatedUs)],
      ["events", n(report.events)],
      ["traceHash", report.traceHash],
      ["kafkasim", kafkasimVersion],
    ],
    faults: faultLines(scenario.doc.faults ?? []),
    tables: tables(report),
    charts: runSeriesCharts(series),
    notes: [`Reproduce: ${report.repro}`, ...report.violations.map((v) => `Invariant violated: ${v}`)],
  };
  const { wallMs, eventsPerSec, ...deterministic } = report;
  return { json: { schemaVersion: RUN_REPORT_VERSION, kind: "kafkasim-run-report", run: deterministic, series, timing: { wallMs, eventsPerSec } }, doc };
}
