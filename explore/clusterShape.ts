/**
 * What the arbitraries know of a scenario (ClusterShape): the names a fault may target, sizes,
 * times, and the Kafka configs configArb explores, read once from the loaded scenario.
 */
import type { Scenario } from "../scenarios/model.js";
import { brokerDefaults, KafkaConfig, type KafkaVersion } from "../sim/nodes/kafka/common/versions.js";
import { configDefAt, PRODUCER_CONFIG_DEFS } from "../sim/nodes/kafka/common/configDefs.js";
import { effectiveProducerConfig } from "../sim/nodes/kafka/clients/producer/ProducerConfig.js";

/** The Kafka configs configArb explores, at the scenario's own values (what they shrink toward). */
export interface ExploredConfig {
  /** The first producer's effective settings; null without producers. */
  producer: { acks: "0" | "1" | "all"; idempotence: boolean | null; lingerMs: number; retries: number } | null;
  /** The first topic's min.insync.replicas (its own, else the brokers'); null without topics. */
  topic: { minInsyncReplicas: number } | null;
  broker: { uncleanLeaderElection: boolean; replicaLagTimeMaxMs: number };
}

/** What the arbitraries need to know of a scenario: names to target, sizes, times. */
export interface ClusterShape {
  /** Broker host names: broker-1, ... */
  brokers: string[];
  /** The cluster's racks (not the clients' rack). */
  racks: string[];
  topics: Array<{ name: string; partitions: number; rf: number }>;
  /** Consumer groups with a coordinator (mode: subscribe). */
  groups: string[];
  /** ZooKeeper host names: zk-1, ... */
  zookeepers: string[];
  durationMs: number;
  /** The rack of every broker and ZooKeeper host (a rack target hits these). */
  rackOf: Record<string, string>;
  /** Producer and consumer host names (a partition may cut a client off). */
  clients: string[];
  /** zookeeper.session.timeout.ms: a broker crashed for less cannot start again (its old session holds its registration). */
  zkSessionTimeoutMs: number;
  kafkaVersion: string;
  config: ExploredConfig;
}

export function clusterShapeOf(scenario: Scenario): ClusterShape {
  const { doc, hosts } = scenario;
  const version = scenario.kafkaVersion as KafkaVersion;
  const named = (role: string): string[] => hosts.filter((h) => h.role === role).map((h) => h.name);
  const broker = KafkaConfig.merge(brokerDefaults(version), doc.cluster.config);
  const topics = doc.topics ?? [];
  const firstProducer = (doc.producers ?? [])[0];
  let producer: ExploredConfig["producer"] = null;
  if (firstProducer !== undefined) {
    const p = effectiveProducerConfig(version, firstProducer.config);
    const acks = p.acks();
    producer = {
      acks: acks === -1 ? "all" : acks === 0 ? "0" : "1",
      idempotence: configDefAt(PRODUCER_CONFIG_DEFS, "enable.idempotence", version) === undefined ? null : p.bool("enable.idempotence"),
      lingerMs: p.num("linger.ms"),
      retries: p.num("retries"),
    };
  }
  return {
    brokers: named("broker"),
    racks: scenario.racks.map((r) => r.name),
    topics: topics.map((t) => ({ name: t.name, partitions: t.partitions, rf: t["replication.factor"] })),
    groups: (doc.consumers ?? []).filter((c) => c.mode !== "assign").map((c) => c.group),
    zookeepers: named("zookeeper"),
    durationMs: Math.floor(scenario.durationUs / 1000),
    rackOf: Object.fromEntries(hosts.filter((h) => h.role === "broker" || h.role === "zookeeper").map((h) => [h.name, h.rack])),
    clients: hosts.filter((h) => h.role === "producer" || h.role === "consumer").map((h) => h.name),
    zkSessionTimeoutMs: broker.num("zookeeper.session.timeout.ms"),
    kafkaVersion: scenario.kafkaVersion,
    config: {
      producer,
      topic: topics.length === 0 ? null : { minInsyncReplicas: Number(topics[0].config?.["min.insync.replicas"] ?? broker.num("min.insync.replicas")) },
      broker: { uncleanLeaderElection: broker.bool("unclean.leader.election.enable"), replicaLagTimeMaxMs: broker.num("replica.lag.time.max.ms") },
    },
  };
}
