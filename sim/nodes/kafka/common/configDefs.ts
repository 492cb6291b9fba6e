/**
 * How Kafka's ConfigDef declares each config the simulator models: its type and its validator
 * (atLeast, between, ValidString.in), by the release that first declared it so. Read from
 * KafkaConfig.scala and ProducerConfig.java (with CommonClientConfigs) at every x.y.0 tag from
 * 0.10.2 to 3.7; none changed in 3.8 or 3.9 for these keys. A value Kafka would refuse is
 * refused at load (scenarios/configCheck.ts).
 */

import { releaseNumber } from "./versions.js";

export type ConfigType = "INT" | "LONG" | "BOOLEAN" | "STRING";

export interface ConfigDef {
  type: ConfigType;
  /** Inclusive bounds of atLeast / between. */
  min?: number;
  max?: number;
  /** ValidString.in. */
  in?: readonly string[];
}

type History = ReadonlyArray<readonly [string, ConfigDef]>;

export const BROKER_CONFIG_DEFS: Readonly<Record<string, History>> = {
  "num.network.threads": [["0.10.2", { type: "INT", min: 1 }]],
  "num.io.threads": [["0.10.2", { type: "INT", min: 1 }]],
  "num.replica.fetchers": [["0.10.2", { type: "INT" }]],
  "replica.fetch.wait.max.ms": [["0.10.2", { type: "INT" }]],
  "replica.fetch.min.bytes": [["0.10.2", { type: "INT" }]],
  "replica.fetch.max.bytes": [["0.10.2", { type: "INT", min: 0 }]],
  "replica.fetch.backoff.ms": [["0.10.2", { type: "INT", min: 0 }]],
  "max.incremental.fetch.session.cache.slots": [["1.1", { type: "INT", min: 0 }]],
  "replica.socket.timeout.ms": [["0.10.2", { type: "INT" }]],
  "replica.lag.time.max.ms": [["0.10.2", { type: "LONG" }]],
  "zookeeper.session.timeout.ms": [["0.10.2", { type: "INT" }]],
  "replica.high.watermark.checkpoint.interval.ms": [["0.10.2", { type: "LONG" }]],
  "min.insync.replicas": [["0.10.2", { type: "INT", min: 1 }]],
  "unclean.leader.election.enable": [["0.10.2", { type: "BOOLEAN" }]],
  "auto.leader.rebalance.enable": [["0.10.2", { type: "BOOLEAN" }]],
  "leader.imbalance.check.interval.seconds": [["0.10.2", { type: "LONG" }], ["3.2", { type: "LONG", min: 1 }]],
  "leader.imbalance.per.broker.percentage": [["0.10.2", { type: "INT" }]],
  "controlled.shutdown.enable": [["0.10.2", { type: "BOOLEAN" }]],
  "controlled.shutdown.max.retries": [["0.10.2", { type: "INT" }]],
  "controlled.shutdown.retry.backoff.ms": [["0.10.2", { type: "LONG" }]],
  "controller.socket.timeout.ms": [["0.10.2", { type: "INT" }]],
  "log.flush.interval.messages": [["0.10.2", { type: "LONG", min: 1 }]],
  "log.flush.interval.ms": [["0.10.2", { type: "LONG" }]],
  "log.flush.scheduler.interval.ms": [["0.10.2", { type: "LONG" }]],
  "log.segment.bytes": [["0.10.2", { type: "INT", min: 14 }]],
  "num.recovery.threads.per.data.dir": [["0.10.2", { type: "INT", min: 1 }]],
  "log.flush.offset.checkpoint.interval.ms": [["0.10.2", { type: "INT", min: 0 }]],
  "log.retention.ms": [["0.10.2", { type: "LONG" }]],
  "log.retention.minutes": [["0.10.2", { type: "INT" }]],
  "log.retention.hours": [["0.10.2", { type: "INT" }]],
  "log.retention.bytes": [["0.10.2", { type: "LONG" }]],
  "log.retention.check.interval.ms": [["0.10.2", { type: "LONG", min: 1 }]],
  "log.segment.delete.delay.ms": [["0.10.2", { type: "LONG", min: 0 }]],
  "log.flush.start.offset.checkpoint.interval.ms": [["0.11", { type: "INT", min: 0 }]],
  "offsets.topic.num.partitions": [["0.10.2", { type: "INT", min: 1 }]],
  "offsets.topic.replication.factor": [["0.10.2", { type: "INT", min: 1, max: 32767 }]],
  "offsets.commit.required.acks": [["0.10.2", { type: "INT", min: -32768, max: 32767 }]],
  "offsets.commit.timeout.ms": [["0.10.2", { type: "INT", min: 1 }]],
  "group.initial.rebalance.delay.ms": [["0.11", { type: "INT" }]],
  "group.min.session.timeout.ms": [["0.10.2", { type: "INT" }]],
  "group.max.session.timeout.ms": [["0.10.2", { type: "INT" }]],
};

export const PRODUCER_CONFIG_DEFS: Readonly<Record<string, History>> = {
  "acks": [["0.10.2", { type: "STRING", in: ["all", "-1", "0", "1"] }]],
  "enable.idempotence": [["0.11", { type: "BOOLEAN" }]],
  "batch.size": [["0.10.2", { type: "INT", min: 0 }]],
  "linger.ms": [["0.10.2", { type: "LONG", min: 0 }], ["2.1", { type: "INT", min: 0 }], ["2.3", { type: "LONG", min: 0 }]],
  "buffer.memory": [["0.10.2", { type: "LONG", min: 0 }]],
  "max.block.ms": [["0.10.2", { type: "LONG", min: 0 }]],
  "max.in.flight.requests.per.connection": [["0.10.2", { type: "INT", min: 1 }]],
  "retries": [["0.10.2", { type: "INT", min: 0, max: 2147483647 }]],
  "retry.backoff.ms": [["0.10.2", { type: "LONG", min: 0 }]],
  "retry.backoff.max.ms": [["3.7", { type: "LONG", min: 0 }]],
  "request.timeout.ms": [["0.10.2", { type: "INT", min: 0 }]],
  "delivery.timeout.ms": [["2.1", { type: "INT", min: 0 }]],
  "metadata.max.age.ms": [["0.10.2", { type: "LONG", min: 0 }]],
  "reconnect.backoff.ms": [["0.10.2", { type: "LONG", min: 0 }]],
  "reconnect.backoff.max.ms": [["0.11", { type: "LONG", min: 0 }]],
  "socket.connection.setup.timeout.ms": [["2.7", { type: "LONG" }]],
  "socket.connection.setup.timeout.max.ms": [["2.7", { type: "LONG" }]],
  "partitioner.adaptive.partitioning.enable": [["3.3", { type: "BOOLEAN" }]],
  "partitioner.availability.timeout.ms": [["3.3", { type: "LONG", min: 0 }]],
  "partitioner.ignore.keys": [["3.3", { type: "BOOLEAN" }]],
};

/** ConsumerConfig.java's declarations (with CommonClientConfigs), read at the tags. */
export const CONSUMER_CONFIG_DEFS: Readonly<Record<string, History>> = {
  "session.timeout.ms": [["0.10.2", { type: "INT" }]],
  "heartbeat.interval.ms": [["0.10.2", { type: "INT" }]],
  "max.poll.interval.ms": [["0.10.2", { type: "INT", min: 1 }]],
  "max.poll.records": [["0.10.2", { type: "INT", min: 1 }]],
  "fetch.min.bytes": [["0.10.2", { type: "INT", min: 0 }]],
  "fetch.max.wait.ms": [["0.10.2", { type: "INT", min: 0 }]],
  "fetch.max.bytes": [["0.10.2", { type: "INT", min: 0 }]],
  "max.partition.fetch.bytes": [["0.10.2", { type: "INT", min: 0 }]],
  "enable.auto.commit": [["0.10.2", { type: "BOOLEAN" }]],
  "auto.commit.interval.ms": [["0.10.2", { type: "INT", min: 0 }]],
  "auto.offset.reset": [["0.10.2", { type: "STRING", in: ["latest", "earliest", "none"] }]],
  "partition.assignment.strategy": [["0.10.2", { type: "STRING" }]],
  "request.timeout.ms": [["0.10.2", { type: "INT", min: 0 }]],
  "default.api.timeout.ms": [["2.0", { type: "INT", min: 0 }]],
  "retry.backoff.ms": [["0.10.2", { type: "LONG", min: 0 }]],
  "reconnect.backoff.ms": [["0.10.2", { type: "LONG", min: 0 }]],
  "reconnect.backoff.max.ms": [["0.11", { type: "LONG", min: 0 }]],
  "metadata.max.age.ms": [["0.10.2", { type: "LONG", min: 0 }]],
  "group.instance.id": [["2.3", { type: "STRING" }]],
};

/** The declaration in force at a release, or undefined when the release has no such key. */
export function configDefAt(table: Readonly<Record<string, History>>, key: string, version: string): ConfigDef | undefined {
  const history = table[key];
  if (history === undefined) return undefined;
  let found: ConfigDef | undefined;
  for (const [since, def] of history) if (releaseNumber(version) >= releaseNumber(since)) found = def;
  return found;
}

/** Java's int and long ranges (a long past 2^53 cannot be written exactly here anyway). */
export const TYPE_RANGE: Record<"INT" | "LONG", [number, number]> = {
  INT: [-2_147_483_648, 2_147_483_647],
  LONG: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
