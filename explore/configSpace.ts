/**
 * fast-check arbitraries for any Kafka config the simulator models, with the values Kafka accepts
 * (issue 13): each key as the release's ConfigDef declares it (common/configDefs.ts: the type's
 * range, atLeast / between, ValidString.in), written as `--set` overrides (`broker.num.io.threads=8`).
 * A draw takes a subset of the keys, each value most often at or near the release's default and
 * sometimes at a bound or anywhere in range; it shrinks to fewer keys, each value toward the
 * default. Keys declared as free strings (partition.assignment.strategy, group.instance.id) are
 * left out: their values are names, not a range.
 *
 * Values are valid one by one. Rules across keys are Kafka's own and still apply when a scenario
 * is loaded (enable.idempotence with acks=all, say), so `validConfigArb` keeps only the
 * combinations `validate` accepts for a given scenario. A valid value is not always a cheap one:
 * replica.fetch.wait.max.ms=0 makes followers fetch in a busy loop, as it would on a real broker.
 */
import fc from "fast-check";
import { BROKER_CONFIG_DEFS, CONSUMER_CONFIG_DEFS, PRODUCER_CONFIG_DEFS, TYPE_RANGE, configDefAt, type ConfigDef } from "../sim/nodes/kafka/common/configDefs.js";
import { brokerDefaults, consumerDefaults, producerDefaults, type ConfigMap, type ConfigValue, type KafkaVersion } from "../sim/nodes/kafka/common/versions.js";
import { loadScenario } from "../scenarios/loader.js";
import { parseOverrides, type Override } from "../scenarios/overrides.js";

/** Whose config: the brokers', every producer's or every consumer group's (the `--set` prefix). */
export type ConfigScope = "broker" | "producer" | "consumer";

const TABLES = { broker: BROKER_CONFIG_DEFS, producer: PRODUCER_CONFIG_DEFS, consumer: CONSUMER_CONFIG_DEFS } as const;
const DEFAULTS: Record<ConfigScope, (v: KafkaVersion) => ConfigMap> = { broker: brokerDefaults, producer: producerDefaults, consumer: consumerDefaults };

export interface ConfigSpaceOptions {
  /** Only these keys (each must be declared at the release); default: every modelled key with a range. */
  keys?: readonly string[];
  /** At most this many keys in one draw (default 4). */
  maxKeys?: number;
}

/** The keys of a scope declared at a release with a range to draw from, in a stable order. */
export function configKeys(scope: ConfigScope, version: KafkaVersion): string[] {
  const table = TABLES[scope];
  return Object.keys(table)
    .filter((k) => {
      const def = configDefAt(table, k, version);
      return def !== undefined && (def.type !== "STRING" || def.in !== undefined);
    })
    .sort();
}

/** `--set` overrides of `scope` configs, each value one Kafka `version` accepts. */
export function kafkaConfigArb(scope: ConfigScope, version: KafkaVersion, options: ConfigSpaceOptions = {}): fc.Arbitrary<string[]> {
  const all = configKeys(scope, version);
  const keys = options.keys ?? all;
  for (const k of keys) if (!all.includes(k)) throw new Error(`kafkaConfigArb: ${scope} config ${k} is not modelled with a range at Kafka ${version} (known: ${all.join(", ")})`);
  const defaults = DEFAULTS[scope](version);
  const entries = keys.map((k) => valueArb(configDefAt(TABLES[scope], k, version)!, defaults[k]).map((v) => `${scope}.${k}=${v}`));
  if (entries.length === 0) return fc.constant([]);
  return fc.subarray(entries, { maxLength: Math.min(options.maxKeys ?? 4, entries.length) }).chain((chosen) => (chosen.length === 0 ? fc.constant([]) : fc.tuple(...chosen)));
}

/**
 * kafkaConfigArb's draws that `validate` accepts on this scenario (YAML text): the cross-key
 * rules Kafka enforces at startup refuse some combinations of individually valid values.
 */
export function validConfigArb(scenarioText: string, scope: ConfigScope, version: KafkaVersion, options: ConfigSpaceOptions = {}): fc.Arbitrary<string[]> {
  return kafkaConfigArb(scope, version, options).filter((sets) => loadScenario(scenarioText, "config-space", overridesOf(sets)).ok);
}

/** `--set` strings as the loader's overrides (kafkaConfigArb writes only key=value). */
export function overridesOf(sets: readonly string[]): Override[] {
  return parseOverrides(sets, (s) => new Error(`not a key=value override: ${s}`));
}

/** A value in the declared range, mostly the default or near it; shrinks toward the default. */
function valueArb(def: ConfigDef, fallback: ConfigValue | undefined): fc.Arbitrary<ConfigValue> {
  if (def.type === "BOOLEAN") {
    const d = typeof fallback === "boolean" ? fallback : false;
    return fc.constantFrom(d, !d);
  }
  if (def.type === "STRING") {
    const choices = def.in ?? [];
    const d = typeof fallback === "string" && choices.includes(fallback) ? fallback : choices[0];
    return fc.constantFrom(d, ...choices.filter((c) => c !== d));
  }
  const [typeLo, typeHi] = TYPE_RANGE[def.type];
  const lo = Math.max(def.min ?? typeLo, typeLo);
  const hi = Math.min(def.max ?? typeHi, typeHi);
  const clamp = (v: number): number => Math.min(hi, Math.max(lo, Math.round(v)));
  const d = clamp(typeof fallback === "number" ? fallback : 0);
  const near = fc.constantFrom(0, 0.1, 0.5, 2, 10).map((f) => clamp(d * f));
  const anywhere = fc.bigInt({ min: BigInt(lo), max: BigInt(hi) }).map(Number);
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constant(d), weight: 3 },
    { arbitrary: near, weight: 4 },
    { arbitrary: fc.constantFrom(lo, hi), weight: 1 },
    { arbitrary: anywhere, weight: 2 },
  );
}
