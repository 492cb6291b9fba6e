/**
 * The metrics a run reports, by the names `expect:` and `--json` use. Consumer metrics are
 * measured once consumers land; a check on them, or on any metric a run could not measure
 * (throughput with no acknowledgement, latency with none after the warm-up), fails and says why.
 */
export const MEASURED_NOW = [
  "sent",
  "acked",
  "failed",
  "sentWithoutAck",
  "lostAcked",
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
] as const;

export const MEASURED_LATER = ["rebalances", "consumerLag"] as const;

export const KNOWN_METRICS: readonly string[] = [...MEASURED_NOW, ...MEASURED_LATER];
