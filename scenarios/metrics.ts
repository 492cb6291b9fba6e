/**
 * The metrics a run reports, by the names `expect:` and `--json` use. A check on a metric a run
 * could not measure (throughput with no acknowledgement, latency with none after the warm-up,
 * consumer metrics with no consumer group), fails and says why.
 */
/** The read side's metrics, also per group: `group.<name>.<metric>` in `expect:`. */
export const GROUP_METRICS = [
  "lostConsumed",
  "duplicatesConsumed",
  "skipped",
  "nonmonotonic",
  "endToEndLatencyMs.p50",
  "endToEndLatencyMs.p99",
  "endToEndLatencyMs.p999",
  "endToEndLatencyMs.max",
  "consumerLag.max",
  "consumerLag.final",
  "rebalances",
  "rebalancePauseMs",
  "processed",
] as const;

export const MEASURED_NOW: readonly string[] = [
  "sent",
  "acked",
  "failed",
  "sentWithoutAck",
  "lostAcked",
  "expiredAcked",
  "duplicates",
  "reordered",
  "divergence",
  "unavailableMs",
  "produceStallMs",
  "throughput.recordsPerSec",
  "throughput.bytesPerSec",
  "leaderChanges",
  "isrChanges",
  "truncatedRecords",
  "controllerElections",
  "produceLatencyMs.p50",
  "produceLatencyMs.p99",
  "produceLatencyMs.p999",
  "produceLatencyMs.max",
  "bytesLostToPowerLoss",
  "messagesDropped",
  "invariantViolations",
  "logDirFailures",
  "brokerHalts",
  "healedAtMs",
  "recoveryMs",
  "ackedAfterHeal",
  "producersIdleAfterHeal",
  "consumerLagAtEnd",
  ...GROUP_METRICS.filter((m) => m !== "processed"),
];



/** A `group.<name>.<metric>` name split, or null. */
export function groupMetricName(name: string): { group: string; metric: string } | null {
  const m = /^group\.([A-Za-z0-9._-]+?)\.([A-Za-z0-9.]+)$/.exec(name);
  if (m === null || !(GROUP_METRICS as readonly string[]).includes(m[2])) return null;
  return { group: m[1], metric: m[2] };
}

/** Names kept for files written before the read side landed: consumerLag is consumerLag.max. */
export const METRIC_ALIASES: Readonly<Record<string, string>> = { consumerLag: "consumerLag.max" };

export const KNOWN_METRICS: readonly string[] = [...MEASURED_NOW, ...Object.keys(METRIC_ALIASES)];
