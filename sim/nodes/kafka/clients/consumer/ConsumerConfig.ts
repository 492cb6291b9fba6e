/**
 * The consumer's effective configuration and how a scenario's consumer group is run: the
 * assignors of partition.assignment.strategy, the rebalance protocol they allow, and the commit
 * strategy of the application.
 */
import { consumerDefaults, KafkaConfig, releaseNumber, type KafkaVersion } from "../../common/versions.js";
import type { AssignorName } from "./assignors/index.js";

export type { AssignorName };

const CLASS_NAMES: Readonly<Record<string, AssignorName>> = {
  range: "range",
  roundrobin: "roundrobin",
  sticky: "sticky",
  "cooperative-sticky": "cooperative-sticky",
  "org.apache.kafka.clients.consumer.RangeAssignor": "range",
  "org.apache.kafka.clients.consumer.RoundRobinAssignor": "roundrobin",
  "org.apache.kafka.clients.consumer.StickyAssignor": "sticky",
  "org.apache.kafka.clients.consumer.CooperativeStickyAssignor": "cooperative-sticky",
  RangeAssignor: "range",
  RoundRobinAssignor: "roundrobin",
  StickyAssignor: "sticky",
  CooperativeStickyAssignor: "cooperative-sticky",
};

/** The release that first ships each assignor (StickyAssignor 0.11, KIP-54; CooperativeStickyAssignor 2.4, KIP-429). */
const SINCE: Readonly<Record<AssignorName, string>> = { range: "0.10.2", roundrobin: "0.10.2", sticky: "0.11", "cooperative-sticky": "2.4" };

/**
 * partition.assignment.strategy as a list (Kafka takes class names; their protocol names and
 * simple class names are accepted too), or why it cannot be used at this release.
 */
export function assignorNamesOf(value: string, version: KafkaVersion): AssignorName[] | string {
  const names: AssignorName[] = [];
  for (const raw of value.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const name = CLASS_NAMES[raw];
    if (name === undefined) return `expected assignors among range, roundrobin, sticky, cooperative-sticky (or their class names) (got "${raw}")`;
    if (releaseNumber(version) < releaseNumber(SINCE[name])) return `expected an assignor that ${version} ships: ${name} arrived in ${SINCE[name]}`;
    if (!names.includes(name)) names.push(name);
  }
  return names.length > 0 ? names : "expected at least one assignor";
}

/**
 * ConsumerCoordinator's constructor (2.4+): the rebalance protocol is the newest that every
 * configured assignor supports, so cooperative only when all of them are cooperative-sticky; the
 * 3.0 default [range, cooperative-sticky] stays eager.
 */
export function rebalanceProtocolOf(assignors: readonly AssignorName[], cooperativeSupported: boolean): "EAGER" | "COOPERATIVE" {
  return cooperativeSupported && assignors.every((a) => a === "cooperative-sticky") ? "COOPERATIVE" : "EAGER";
}

/**
 * How the application commits (the consumer loop's choice, not a Kafka config):
 * - auto: enable.auto.commit; poll() commits what earlier polls returned, every auto.commit.interval.ms;
 * - sync / async: commitSync() / commitAsync() of the positions after each poll's records are processed;
 * - before-processing: commitSync() right after poll(), before processing (at-most-once; a crash loses records).
 */
export type CommitStrategy = "auto" | "sync" | "async" | "before-processing";

/**
 * The consumer's config: the release's defaults, what the scenario set, and enable.auto.commit
 * false by default for a manual commit strategy (as an application that commits itself sets it).
 */
export function effectiveConsumerConfig(version: KafkaVersion, user: Record<string, unknown> | undefined, commit: CommitStrategy): KafkaConfig {
  const defaults = consumerDefaults(version);
  if (commit !== "auto" && user?.["enable.auto.commit"] === undefined) defaults["enable.auto.commit"] = false;
  return KafkaConfig.merge(defaults, user);
}
