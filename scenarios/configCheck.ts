/**
 * Kafka configs in a scenario are checked against the keys the simulator models: a known key
 * must have a value of its type (a number of milliseconds is a number, a flag a boolean), and
 * combinations Kafka itself refuses are refused here (enable.idempotence=true needs acks=all,
 * as ProducerConfig's ConfigException says). Keys the simulator does not model are accepted and
 * have no effect.
 */
import { brokerDefaults, producerDefaults, type ConfigMap, type KafkaVersion } from "../sim/nodes/kafka/versions.js";
import type { ScenarioDocument } from "./schema.js";
import type { Path, Problem } from "./model.js";

function checkSection(config: Record<string, unknown> | undefined, defaults: ConfigMap, path: Path, problems: Problem[]): void {
  for (const [key, value] of Object.entries(config ?? {})) {
    if (!(key in defaults)) continue;
    const d = defaults[key];
    const at = [...path, key];
    if (key === "acks") {
      if (!["all", "-1", "0", "1"].includes(String(value))) problems.push({ path: at, message: `expected all, -1, 0 or 1 (got ${JSON.stringify(value)})` });
    } else if (typeof d === "number" && !(typeof value === "number" && Number.isFinite(value) && value >= 0) && !(typeof value === "string" && /^\d+$/.test(value))) {
      problems.push({ path: at, message: `expected a non-negative number (got ${JSON.stringify(value)})` });
    } else if (typeof d === "boolean" && typeof value !== "boolean" && value !== "true" && value !== "false") {
      problems.push({ path: at, message: `expected true or false (got ${JSON.stringify(value)})` });
    }
  }
}

export function checkKafkaConfigs(doc: ScenarioDocument, version: KafkaVersion): Problem[] {
  const problems: Problem[] = [];
  const broker = brokerDefaults(version);
  checkSection(doc.cluster.config, broker, ["cluster", "config"], problems);
  (doc.topics ?? []).forEach((t, i) => checkSection(t.config, broker, ["topics", i, "config"], problems));
  const producer = producerDefaults(version);
  (doc.producers ?? []).forEach((p, i) => {
    checkSection(p.config, producer, ["producers", i, "config"], problems);
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
  return problems;
}
