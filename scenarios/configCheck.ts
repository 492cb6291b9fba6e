/**
 * Kafka configs in a scenario are checked as Kafka's ConfigDef checks them, at the scenario's
 * release (sim/nodes/kafka/common/configDefs.ts): the key must be one the simulator models at that
 * release (an unknown or unmodelled key is refused, with a "did you mean" hint), the value of its
 * type (an INT or LONG a whole number in Java's range, a BOOLEAN true or false, a STRING one of
 * its valid strings) and within its validator's range. Combinations Kafka refuses are refused
 * too (enable.idempotence=true needs acks=all, as ProducerConfig's ConfigException says), and
 * so are broker values a broker of that release cannot start with (KafkaConfig.validateValues'
 * requirements, a KafkaScheduler period of 0 before 3.4, a ZooKeeper connect timeout of 0) or
 * that make Kafka loop with no time passing: sim/nodes/kafka/server/startupChecks.ts says why, per release.
 */
import { brokerDefaults, consumerDefaults, KafkaConfig, producerDefaults, releaseNumber, type ConfigMap, type KafkaVersion } from "../sim/nodes/kafka/common/versions.js";
import { assignorNamesOf } from "../sim/nodes/kafka/clients/consumer/ConsumerConfig.js";
import { brokerConfigRefusals } from "../sim/nodes/kafka/server/startupChecks.js";
import { BROKER_CONFIG_DEFS, configDefAt, CONSUMER_CONFIG_DEFS, PRODUCER_CONFIG_DEFS, TYPE_RANGE, type ConfigDef } from "../sim/nodes/kafka/common/configDefs.js";
import type { ScenarioDocument } from "./schema.js";
import type { Path, Problem } from "./model.js";
import { suggestion } from "./suggest.js";

/**
 * Where Kafka accepts a value the simulator cannot run, the simulator's own floor:
 * num.replica.fetchers 0 makes ReplicaFetcherManager.getFetcherId divide by zero in Kafka too.
 */
const SIMULATOR_MIN: Readonly<Record<string, number>> = { "num.replica.fetchers": 1 };

function checkSection(config: Record<string, unknown> | undefined, defaults: ConfigMap, defs: typeof BROKER_CONFIG_DEFS, version: KafkaVersion, what: string, path: Path, problems: Problem[]): void {
  for (const [key, value] of Object.entries(config ?? {})) {
    const at = [...path, key];
    const def = configDefAt(defs, key, version);
    // A key of another release is what Kafka itself accepts and ignores ("supplied but isn't a
    // known config", AbstractConfig.logUnused), so a scenario can be run across versions.
    if (def === undefined && key in defs) continue;
    if (!(key in defaults) || def === undefined) {
      problems.push({ path: at, message: `expected a ${what} config the simulator models${suggestion(key, Object.keys(defaults))}` });
      continue;
    }
    const problem = valueProblem(key, def, value);
    if (problem !== null) problems.push({ path: at, message: problem });
  }
}

function valueProblem(key: string, def: ConfigDef, value: unknown): string | null {
  const got = `(got ${JSON.stringify(value)})`;
  if (def.type === "BOOLEAN") return typeof value === "boolean" || value === "true" || value === "false" ? null : `expected true or false ${got}`;
  if (def.type === "STRING") {
    if (def.in !== undefined && !def.in.includes(String(value))) return `expected one of ${def.in.join(", ")} ${got}`;
    return null;
  }
  const n = typeof value === "number" ? value : typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : NaN;
  const [typeMin, typeMax] = TYPE_RANGE[def.type];
  if (!Number.isInteger(n) || n < typeMin || n > typeMax) return `expected a whole number (Kafka's ${def.type}) ${got}`;
  const min = Math.max(def.min ?? typeMin, SIMULATOR_MIN[key] ?? typeMin);
  const max = def.max ?? typeMax;
  if (n < min || n > max) return `expected ${def.max !== undefined ? `a value from ${min} to ${max}` : `at least ${min}`} ${got}`;
  return null;
}

export function checkKafkaConfigs(doc: ScenarioDocument, version: KafkaVersion): Problem[] {
  const problems: Problem[] = [];
  const broker = brokerDefaults(version);
  checkSection(doc.cluster.config, broker, BROKER_CONFIG_DEFS, version, "broker", ["cluster", "config"], problems);
  // Values each key's ConfigDef accepts but a broker of this release cannot start with (or that
  // make Kafka spin with no time passing): sim/nodes/kafka/server/startupChecks.ts. Checked once the
  // keys themselves are valid; every broker shares the config, so a run would have none.
  if (problems.length === 0) {
    const set = doc.cluster.config ?? {};
    const refusals = brokerConfigRefusals(KafkaConfig.merge(broker, set), new Set(Object.keys(set)), version, doc.cluster.zookeeper?.nodes ?? 1);
    for (const r of refusals) problems.push({ path: ["cluster", "config", r.key], message: r.message });
  }
  (doc.topics ?? []).forEach((t, i) => checkSection(t.config, broker, BROKER_CONFIG_DEFS, version, "broker or topic", ["topics", i, "config"], problems));
  const producer = producerDefaults(version);
  (doc.producers ?? []).forEach((p, i) => {
    checkSection(p.config, producer, PRODUCER_CONFIG_DEFS, version, "producer", ["producers", i, "config"], problems);
    const c = p.config ?? {};
    // 2.1+ (KafkaProducer.configureDeliveryTimeout): a set delivery.timeout.ms must cover linger.ms + request.timeout.ms.
    if (c["delivery.timeout.ms"] !== undefined && "delivery.timeout.ms" in producer) {
      const floor = Number(c["linger.ms"] ?? producer["linger.ms"]) + Number(c["request.timeout.ms"] ?? producer["request.timeout.ms"]);
      if (Number(c["delivery.timeout.ms"]) < floor) problems.push({ path: ["producers", i, "config", "delivery.timeout.ms"], message: `expected at least linger.ms + request.timeout.ms = ${floor} (got ${String(c["delivery.timeout.ms"])}); Kafka refuses this` });
    }
    // Idempotence set by the user refuses acks set otherwise than all and retries=0
    // (KafkaProducer.configureAcks / configureRetries; ProducerConfig from 3.0). Unset, they follow it.
    if (c["enable.idempotence"] === true || c["enable.idempotence"] === "true") {
      const acks = c["acks"] === undefined ? "all" : String(c["acks"]);
      if (acks !== "all" && acks !== "-1") problems.push({ path: ["producers", i, "config", "enable.idempotence"], message: `expected acks=all with enable.idempotence=true (got acks=${acks}); Kafka refuses this combination` });
      if (c["retries"] !== undefined && String(c["retries"]) === "0") problems.push({ path: ["producers", i, "config", "enable.idempotence"], message: "expected retries > 0 with enable.idempotence=true (got retries=0); Kafka refuses this combination" });
    }
  });
  const consumer = consumerDefaults(version);
  (doc.consumers ?? []).forEach((g, i) => {
    const path = ["consumers", i, "config"];
    checkSection(g.config, consumer, CONSUMER_CONFIG_DEFS, version, "consumer", path, problems);
    const c = KafkaConfig.merge(consumer, g.config);
    const at = (key: string): Path => [...path, key];
    // Heartbeat's constructor: "Heartbeat must be set lower than the session timeout" (IllegalArgumentException).
    if (c.num("heartbeat.interval.ms") >= c.num("session.timeout.ms")) problems.push({ path: at("heartbeat.interval.ms"), message: `expected less than session.timeout.ms (${c.num("session.timeout.ms")}) (got ${c.num("heartbeat.interval.ms")}); the consumer refuses this` });
    // Up to 1.1 KafkaConsumer's constructor requires request.timeout.ms above session.timeout.ms and fetch.max.wait.ms.
    if (releaseNumber(version) <= 101 && (c.num("request.timeout.ms") <= c.num("session.timeout.ms") || c.num("request.timeout.ms") <= c.num("fetch.max.wait.ms"))) {
      problems.push({ path: at("request.timeout.ms"), message: `expected more than session.timeout.ms and fetch.max.wait.ms (got ${c.num("request.timeout.ms")}); the ${version} consumer refuses this (ConfigException)` });
    }
    const names = assignorNamesOf(c.str("partition.assignment.strategy"), version);
    if (typeof names === "string") problems.push({ path: at("partition.assignment.strategy"), message: names });
  });
  return problems;
}
