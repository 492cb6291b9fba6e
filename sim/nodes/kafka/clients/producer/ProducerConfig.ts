/**
 * The producer's effective configuration, as ProducerConfig and KafkaProducer post-process what
 * the user set (the refusals are checked at load, scenarios/configCheck.ts).
 */
import { KafkaConfig, producerDefaults, type ConfigMap, type KafkaVersion } from "../../common/versions.js";

const INT_MAX = 2_147_483_647;

export function effectiveProducerConfig(version: KafkaVersion, user: Record<string, unknown> | undefined): KafkaConfig {
  const defaults: ConfigMap = producerDefaults(version);
  const set = (key: string): boolean => user?.[key] !== undefined;
  const value = (key: string): string => String(user?.[key] ?? defaults[key]);
  const explicitIdempotence = set("enable.idempotence") && value("enable.idempotence") === "true";
  if (explicitIdempotence) {
    // 0.11 - 3.x (KafkaProducer.configureAcks / configureRetries, ProducerConfig
    // postProcessAndValidateIdempotenceConfigs): idempotence set by the user makes unset acks
    // "all" and unset retries Integer.MAX_VALUE.
    if (!set("acks")) defaults["acks"] = "all";
    if (!set("retries")) defaults["retries"] = INT_MAX;
  } else if (!set("enable.idempotence") && defaults["enable.idempotence"] === true) {
    // 3.2+ (KAFKA-13598; ProducerConfig.postProcessAndValidateIdempotenceConfigs): the default is
    // silently dropped when acks is not all, retries is 0 or more than 5 requests may be in flight.
    const acks = value("acks");
    const conflicts = (acks !== "all" && acks !== "-1") || value("retries") === "0" || Number(value("max.in.flight.requests.per.connection")) > 5;
    if (conflicts) defaults["enable.idempotence"] = false;
  }
  // Since 0.11 (ProducerConfig.postProcessReconnectBackoffConfigs): reconnect.backoff.ms set alone
  // sets reconnect.backoff.max.ms to it, so the backoff neither grows nor jitters.
  if (set("reconnect.backoff.ms") && !set("reconnect.backoff.max.ms") && "reconnect.backoff.max.ms" in defaults) defaults["reconnect.backoff.max.ms"] = Number(value("reconnect.backoff.ms"));
  // 2.1+ (KafkaProducer.configureDeliveryTimeout): an unset delivery.timeout.ms is raised to
  // linger.ms + request.timeout.ms (a set one below that is refused at load).
  if ("delivery.timeout.ms" in defaults && !set("delivery.timeout.ms")) {
    const floor = Number(value("linger.ms")) + Number(value("request.timeout.ms"));
    if (floor > Number(defaults["delivery.timeout.ms"])) defaults["delivery.timeout.ms"] = floor;
  }
  return KafkaConfig.merge(defaults, user);
}
