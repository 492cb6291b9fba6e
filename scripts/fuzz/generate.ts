/**
 * Scenario documents for fuzzing the loader and the runner (issue 9): fast-check arbitraries of
 * YAML (or JSON) text, shared by test/fuzz.test.ts and scripts/fuzz.ts.
 *
 * Kinds, each a share of the mix:
 * - `random`:  a document of the schema's shape (names from small pools, so that references
 *              often resolve and many documents are accepted), sometimes mutated further;
 * - `builtin`: a built-in scenario with one to four structural mutations (set a field to an
 *              extreme, delete it, duplicate it, swap its type, rename it, share a node so that
 *              YAML writes an anchor and an alias, possibly a cycle);
 * - `extreme`: a built-in with its numbers and durations set to extremes (0, -1, 1e9, 1e308,
 *              NaN, 0.0001, 2^31, 2^53, 300-digit durations, ...);
 * - `proto`:   `__proto__`, `constructor`, `prototype` as keys (plain, quoted, via an alias key,
 *              in JSON) and Object.prototype's names as topic, rack, producer and group names;
 * - `alias`:   alias bombs (nested, merge keys under %YAML 1.1), aliases to no anchor or to a
 *              later one, self-referencing aliases, and harmless aliases in accepted documents;
 * - `config`:  a built-in or random document with random Kafka configs (modelled keys with
 *              extreme values, unmodelled keys, typos);
 * - `text`:    the text itself mutated (duplicated lines, tags, directives, truncation, bytes).
 */
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { KAFKA_VERSIONS } from "../../sim/nodes/kafka/common/versions.js";
import { BROKER_CONFIG_DEFS, PRODUCER_CONFIG_DEFS, TYPE_RANGE, type ConfigDef } from "../../sim/nodes/kafka/common/configDefs.js";
import { KNOWN_METRICS } from "../../scenarios/metrics.js";
import { FAULT_VERBS } from "../../scenarios/schema.js";
import { HARDWARE_PROFILES } from "../../sim/disk/profiles.js";

export const FUZZ_KINDS = ["random", "builtin", "extreme", "proto", "alias", "config", "text"] as const;
export type FuzzKind = (typeof FUZZ_KINDS)[number];

export interface FuzzCase {
  kind: FuzzKind;
  /** What was done to the document, for the report. */
  note: string;
  text: string;
  /** The simulation seed the document runs with when accepted. */
  seed: number;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Built-in scenarios

const SCENARIO_DIR = fileURLToPath(new URL("../../scenarios/", import.meta.url));

let builtinCache: Array<{ name: string; text: string }> | null = null;

/** The built-in scenario files, name and text. */
export function builtinScenarios(): Array<{ name: string; text: string }> {
  builtinCache ??= readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => ({ name: f, text: readFileSync(SCENARIO_DIR + f, "utf8") }));
  return builtinCache;
}

function builtinArb(): fc.Arbitrary<{ name: string; doc: Obj }> {
  return fc.constantFrom(...builtinScenarios()).map(({ name, text }) => ({ name, doc: parse(text) as Obj }));
}

// ---------------------------------------------------------------------------------------------
// Values

export const PROTO_KEYS = ["__proto__", "constructor", "prototype"] as const;
/** Names that are Object.prototype's properties: allowed as values (topic, rack, producer names). */
const PROTO_NAMES = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf", "__defineGetter__", "length", "then"];

const HUGE = "x".repeat(200_000);

const extremeNumber = fc.constantFrom(
  0, -0, -1, 1, 2, 0.0001, 0.5, 1.5, 1e9, 1e12, 1e15, 1e308, -1e308, 5e-324, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity, 24, 25, 100, 1000, 1001, 10_000, 10_001, 100_000_000, 100_000_001,
);
const extremeString = fc.constantFrom(
  "", " ", "0", "-1", "NaN", "nan", ".nan", "Infinity", "-Infinity", ".inf", "1e309", "1e9", "0x10", "0o7", "007", "1_000", "true", "null", "~", "all", "max", "1s", "0s", "1/s",
  "\u0000", "\uffff", "é", "💥", "a\nb", "#", "&a", "*a", "!!str", "%", "@", "`", "'", '"', "{", "[", "- ", ": ",
  HUGE, "a".repeat(65_536),
);
export const extremeValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: extremeNumber },
  { weight: 3, arbitrary: extremeString },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 2, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>([], {}, [[]], [{}], { a: 1 }, ["a", "b"]) },
);

const smallDuration = fc.oneof(
  fc.integer({ min: 0, max: 4000 }).map((n) => `${n}ms`),
  fc.integer({ min: 0, max: 4 }).map((n) => `${n}s`),
  fc.constantFrom("250us", "1.5s", "0.5s", "2s", "3s", "10s", "30s", "60s", "1m", "0s", "0us"),
);
export const extremeDuration = fc.constantFrom(
  "0us", "1us", "0.4us", "0.5us", "0.0001us", "24h", "1440m", "1440min", "86400s", "86400000000us", "86400000001us", "25h", "1h", "2147483647ms", "9007199254740993us",
  "1e9s", "9".repeat(30) + "h", "9".repeat(400) + "s", "0." + "0".repeat(400) + "1s", "-1s", "NaNs", "Infinity s", " 1s ", "1 s", "1.s", ".5s", "1S", "1µs", "1min", "1", "s", "",
);
const duration = fc.oneof({ weight: 8, arbitrary: smallDuration }, { weight: 1, arbitrary: extremeDuration });

const rate = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("1000/s", "100/s", "2000/s", "10/ms", "600/min", "1/s", "max", "5000/s") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "0/s", "0.0001/s", "1/h", "0.5/s", "10000000/s", "10000001/s", "1/us", "10/us", "1000000/s", "100000/s", "1e9/s", "9".repeat(400) + "/s", "-1/s", "NaN/s", "1/", "/s", "max ", "MAX", "1000",
    ),
  },
);

/** An integer mostly in [min, max], sometimes an extreme value of any type. */
function sized(min: number, max: number, extremes: readonly unknown[] = [0, -1, 1e9, 1e308, 0.0001, 1.5, "3", NaN]): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 12, arbitrary: fc.integer({ min, max }) }, { weight: 1, arbitrary: fc.constantFrom(...extremes) }, { weight: 1, arbitrary: extremeNumber });
}

const name = (pool: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof({ weight: 20, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: fc.constantFrom(...PROTO_NAMES) }, { weight: 1, arbitrary: fc.constantFrom("", "a b", "x".repeat(1000), "ü", "a/b", "-", ".") });

// ---------------------------------------------------------------------------------------------
// Kafka configs

const BROKER_KEYS = Object.keys(BROKER_CONFIG_DEFS);
const PRODUCER_KEYS = Object.keys(PRODUCER_CONFIG_DEFS);
const OTHER_KEYS = ["compression.type", "max.request.size", "message.max.bytes", "log.retention.ms", "min.insync.replica", "acks ", "Acks", "tostring", "hasownproperty", "valueof", "a", "x.y.z", "1abc", "log.flush.interval"];

export const configValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0, 1, -1, 2, 3, 5, 10, 100, 1000, 16384, 30000, 65536, 1_000_000, 2147483647, -2147483648, 2147483648, 9007199254740991, 9007199254740992, 1e308, 0.5, 1e9) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 100_000 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: fc.constantFrom("all", "-1", "0", "1", "true", "false", "", "NaN", "1e3", "007", " 1", "none", "2147483648", "-0", "+5") },
  { weight: 1, arbitrary: extremeValue },
);

function configKey(keys: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...keys) },
    { weight: 3, arbitrary: fc.constantFrom(...(keys === BROKER_KEYS ? PRODUCER_KEYS : BROKER_KEYS)) },
    { weight: 2, arbitrary: fc.constantFrom(...OTHER_KEYS) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );
}

const configMap = (keys: readonly string[]): fc.Arbitrary<Obj> => fc.dictionary(configKey(keys), configValue, { maxKeys: 4 });

// ---------------------------------------------------------------------------------------------
// Random documents of the schema's shape

const RACKS = ["a", "b", "c"];
const TOPICS = ["orders", "t"];
const PRODUCERS = ["p1", "p2"];
const TARGETS = [
  "broker-1", "broker-2", "broker-3", "broker-0", "broker-4", "zk-1", "zk-2", "rack-a", "rack-b", "a", "c", "clients", "rack-clients", "controller",
  "leader:orders-0", "replicas:orders-0", "followers:orders-0", "leader:orders-1", "leader:t-0", "leader:orders-99", "producer-p1", "consumer-g1-1", "nobody",
];

const target = name(TARGETS);
const nodeList = fc.oneof({ weight: 4, arbitrary: target }, { weight: 2, arbitrary: fc.array(target, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant([]) });
const groups = fc.array(fc.array(target, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 });

const verbValue: Record<string, fc.Arbitrary<unknown>> = {
  partition: fc.oneof(groups, fc.record({ from: fc.array(target, { minLength: 1, maxLength: 2 }), to: fc.array(target, { minLength: 1, maxLength: 2 }) })),
  heal: fc.constantFrom("all", "all", "none"),
  latency: fc.record({ between: groups, add: duration, jitter: duration }, { requiredKeys: ["add"] }),
  loss: fc.record({ between: groups, probability: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1, 1.5, -0.1)) }, { requiredKeys: ["probability"] }),
};

const fault: fc.Arbitrary<Obj> = fc
  .record({
    at: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 3000 }).map((n) => `${n}ms`) }, { weight: 1, arbitrary: duration }),
    verb: fc.constantFrom(...FAULT_VERBS),
    value: fc.constant(null),
    extraVerb: fc.option(fc.constantFrom(...FAULT_VERBS), { freq: 12 }),
    for: fc.option(duration, { freq: 2 }),
    factor: fc.option(fc.oneof(fc.constantFrom(1, 2, 10, 1e9, 1e308, 0.5, 0), fc.double()), { freq: 6 }),
    disk: fc.option(sized(0, 3), { freq: 6 }),
  })
  .chain((f) =>
    (verbValue[f.verb] ?? nodeList).map((value) => {
      const out: Obj = { at: f.at, [f.verb]: value };
      if (f.extraVerb !== null) out[f.extraVerb] = "broker-1";
      if (f.for !== null) out.for = f.for;
      if (f.verb === "pause" && f.for === null) out.for = "500ms";
      if (f.factor !== null || f.verb === "slowDisk") out.factor = f.factor ?? 10;
      if (f.disk !== null) out.disk = f.disk;
      return out;
    }),
  );

const hardware = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...Object.keys(HARDWARE_PROFILES)) }, { weight: 1, arbitrary: fc.constantFrom("ssd", "HDD-1GBE", "") });

const brokerList = fc.array(
  fc.record({ id: sized(0, 5, [-1, 1.5, 1e9, 2 ** 31, "1"]), rack: name(RACKS), hardware, disks: sized(1, 3, [0, 24, 25, 1e9]) }, { requiredKeys: ["id"] }),
  { minLength: 1, maxLength: 5 },
);

const cluster: fc.Arbitrary<Obj> = fc.record(
  {
    racks: fc.oneof(fc.array(name(RACKS), { minLength: 1, maxLength: 3 }), fc.array(fc.record({ name: name(RACKS), zone: name(["z1", "z2"]) }, { requiredKeys: ["name"] }), { minLength: 1, maxLength: 3 })),
    brokers: fc.oneof({ weight: 4, arbitrary: sized(1, 5, [0, -1, 100, 1000, 1001, 1.5, "3"]) }, { weight: 1, arbitrary: brokerList }),
    hardware,
    disks: sized(1, 3, [0, 24, 25]),
    zookeeper: fc.record({ nodes: fc.constantFrom(1, 3, 5, 1, 0, 2, 7), hardware }, { requiredKeys: [] }),
    config: configMap(BROKER_KEYS),
    os: fc.record(
      {
        "vm.dirty_background_ratio": sized(0, 100, [101, -1]),
        "vm.dirty_ratio": sized(0, 100, [101, -1]),
        "vm.dirty_expire_centisecs": sized(0, 5000, [1e9, 1e308, 2 ** 53]),
        "vm.dirty_writeback_centisecs": sized(1, 1000, [0, 1e9, 1e308, 2 ** 53]),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ["brokers"] },
);

const topic = fc.record(
  { name: name(TOPICS), partitions: sized(1, 8, [0, 100, 1000, 10_000, 10_001]), "replication.factor": sized(1, 3, [0, 5, 100, 1000]), config: configMap(BROKER_KEYS) },
  { requiredKeys: ["name", "partitions", "replication.factor"] },
);

const producer = fc.record(
  {
    id: name(PRODUCERS),
    topic: name(TOPICS),
    rate,
    arrivals: fc.constantFrom("constant", "poisson", "burst"),
    messageBytes: sized(1, 2000, [0, 1e6, 100_000_000, 100_000_001, 1e9]),
    keys: sized(1, 100, [0, 1_000_000, 1_000_001, 1e9]),
    config: configMap(PRODUCER_KEYS),
  },
  { requiredKeys: ["id", "topic", "rate", "messageBytes"] },
);

const consumer = fc.record(
  { group: name(["g1", "g2"]), members: sized(1, 3, [0, 1000, 1001]), topic: name(TOPICS), processing: duration, config: fc.dictionary(fc.string({ maxLength: 8 }), configValue, { maxKeys: 2 }) },
  { requiredKeys: ["group", "members", "topic"] },
);

const condition = fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.constantFrom("> 0", ">= 0", "< 5", "== 0", "!= 1", "<= 30000", ">0", "= 1.5", "> -1", "~ 1", "0..1"));
const expectMap = fc.dictionary(fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...KNOWN_METRICS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }), condition, { maxKeys: 4 });

export const randomDocument: fc.Arbitrary<Obj> = fc.record(
  {
    name: name(["fuzz", "x", "steady-state"]),
    description: fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(HUGE)),
    duration: fc.oneof({ weight: 8, arbitrary: fc.constantFrom("1s", "2s", "3s", "500ms", "10s", "60s") }, { weight: 2, arbitrary: duration }),
    settle: duration,
    latencyWarmup: duration,
    seed: sized(0, 100, [-1, 1.5, 2 ** 53]),
    kafka: fc.record({ version: fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...KAFKA_VERSIONS) }, { weight: 1, arbitrary: fc.constantFrom("4.0", "3.6.0", 3.6, "0.10", "") }) }),
    cluster,
    topics: fc.array(topic, { maxLength: 3 }),
    producers: fc.array(producer, { maxLength: 3 }),
    consumers: fc.array(consumer, { maxLength: 2 }),
    faults: fc.array(fault, { maxLength: 4 }),
    expect: expectMap,
    marks: fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("page cache: dirty data lost to power loss", "network: SYN retransmitted")), { maxLength: 2 }),
  },
  { requiredKeys: ["name", "duration", "cluster"] },
);


// ---------------------------------------------------------------------------------------------
// Valid documents: every field within what the loader accepts, values often at the edges of it
// (the runs of these are what can hang or blow memory). Mutations then break them one at a time.

/** The latest declaration of a config (a key's type and range hardly change across releases). */
function latestDef(table: Readonly<Record<string, ReadonlyArray<readonly [string, ConfigDef]>>>, key: string): ConfigDef {
  const h = table[key];
  return h[h.length - 1][1];
}

/** A value Kafka's ConfigDef accepts for the key, often at an edge of its range. */
function validConfigValue(def: ConfigDef): fc.Arbitrary<unknown> {
  if (def.type === "BOOLEAN") return fc.boolean();
  if (def.type === "STRING") return fc.constantFrom(...(def.in ?? ["x"]));
  const [typeMin, typeMax] = TYPE_RANGE[def.type];
  const min = def.min ?? typeMin;
  const max = def.max ?? typeMax;
  const edges = [min, min + 1, 0, 1, 2, 3, 5, 10, 100, 1000, 16_384, 30_000, 1_000_000, 1e9, 2 ** 31 - 1, max].filter((n) => n >= min && n <= max);
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...edges) }, { weight: 2, arbitrary: fc.integer({ min: Math.max(min, 0), max: Math.min(max, 100_000) }) });
}

function validConfigMap(table: Readonly<Record<string, ReadonlyArray<readonly [string, ConfigDef]>>>, maxKeys: number): fc.Arbitrary<Obj> {
  const entry = fc.constantFrom(...Object.keys(table)).chain((key) => validConfigValue(latestDef(table, key)).map((v) => [key, v] as const));
  return fc.array(entry, { maxLength: maxKeys }).map((es) => {
    const out: Obj = {};
    for (const [k, v] of es) out[k] = v;
    // Kafka refuses idempotence with acks other than all, and delivery.timeout.ms below linger + request timeout.
    if (out["enable.idempotence"] === true && out.acks !== undefined) out.acks = "all";
    if (out["enable.idempotence"] === true && out.retries === 0) delete out.retries;
    if (out["delivery.timeout.ms"] !== undefined) delete out["delivery.timeout.ms"];
    return out;
  });
}

const validDuration = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 3000 }).map((n) => `${n}ms`) },
  { weight: 2, arbitrary: fc.constantFrom("0s", "1us", "250us", "1s", "2s", "5s", "30s", "1m", "10m", "24h", "0.5us", "1.25ms") },
);
const validRate = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("1000/s", "100/s", "2000/s", "10/ms", "600/min", "1/s", "max", "5000/s") },
  { weight: 2, arbitrary: fc.constantFrom("0/s", "0.0001/s", "1/h", "0.5/s", "1000000/s", "10000000/s", "10/us", "1/us", "100000/s", "0.001/us") },
);
/** Cluster sizes: mostly small, sometimes as large as the schema allows. */
const bigOrSmall = (small: [number, number], big: readonly number[]): fc.Arbitrary<number> =>
  fc.oneof({ weight: 10, arbitrary: fc.integer({ min: small[0], max: small[1] }) }, { weight: 1, arbitrary: fc.constantFrom(...big) });

const CLEAN_TARGETS = ["broker-1", "broker-2", "zk-1", "rack-a", "a", "controller", "leader:orders-0", "replicas:orders-0", "followers:orders-0", "producer-p1"];
const cleanTarget = fc.constantFrom(...CLEAN_TARGETS);
const cleanNodes = fc.oneof(cleanTarget, fc.array(cleanTarget, { minLength: 1, maxLength: 3 }));
const cleanGroups = fc.array(fc.array(cleanTarget, { minLength: 1, maxLength: 2 }), { minLength: 2, maxLength: 3 });

const cleanFault: fc.Arbitrary<Obj> = fc
  .record({
    at: fc.integer({ min: 0, max: 1000 }).map((n) => `${n}ms`),
    verb: fc.constantFrom(...FAULT_VERBS),
    for: fc.option(validDuration, { freq: 2 }),
    factor: fc.constantFrom(1, 2, 10, 1000, 1e9, 1e308),
    disk: fc.option(fc.constant(0), { freq: 3 }),
    nodes: cleanNodes,
    groups: cleanGroups,
    oneWay: fc.boolean(),
    add: validDuration,
    jitter: fc.option(validDuration),
    probability: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1)),
  })
  .map((f) => {
    const out: Obj = { at: f.at };
    if (f.verb === "partition") out.partition = f.oneWay ? { from: f.groups[0], to: f.groups[1] } : f.groups;
    else if (f.verb === "heal") out.heal = "all";
    else if (f.verb === "latency") out.latency = f.jitter === null ? { between: f.groups, add: f.add } : { between: f.groups, add: f.add, jitter: f.jitter };
    else if (f.verb === "loss") out.loss = { between: f.groups, probability: f.probability };
    else out[f.verb] = f.nodes;
    const withFor = ["partition", "pause", "slowDisk", "latency", "loss", "powerOff", "crash", "stop"];
    if (f.verb === "pause") out.for = f.for ?? "500ms";
    else if (f.for !== null && withFor.includes(f.verb)) out.for = f.for;
    if (f.verb === "slowDisk") out.factor = f.factor;
    if (f.disk !== null && ["slowDisk", "failDisk", "fullDisk"].includes(f.verb)) out.disk = f.disk;
    return out;
  });

export const cleanDocument: fc.Arbitrary<Obj> = fc
  .record({
    duration: fc.constantFrom("1s", "2s", "3s", "500ms", "10s", "60s", "24h"),
    settle: fc.option(validDuration),
    latencyWarmup: fc.option(validDuration, { freq: 4 }),
    version: fc.constantFrom(...KAFKA_VERSIONS),
    racks: fc.constantFrom<Array<string | { name: string; zone: string }>>(["a"], ["a", "b", "c"], [{ name: "a", zone: "z1" }, { name: "b", zone: "z2" }, "c"], ["a", "b", "c", "d", "e", "f"]),
    brokers: bigOrSmall([2, 5], [1, 10, 50, 100, 1000]),
    brokerList: fc.boolean(),
    hardware: fc.option(fc.constantFrom(...Object.keys(HARDWARE_PROFILES)), { freq: 2 }),
    disks: fc.option(bigOrSmall([1, 3], [24]), { freq: 3 }),
    zk: fc.option(fc.constantFrom(1, 3, 5), { freq: 2 }),
    brokerConfig: validConfigMap(BROKER_CONFIG_DEFS, 3),
    os: fc.option(
      fc.record(
        {
          "vm.dirty_background_ratio": fc.integer({ min: 0, max: 100 }),
          "vm.dirty_ratio": fc.integer({ min: 0, max: 100 }),
          "vm.dirty_expire_centisecs": fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.constantFrom(0, 2 ** 31, Number.MAX_SAFE_INTEGER)),
          "vm.dirty_writeback_centisecs": fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(1, 2 ** 31, Number.MAX_SAFE_INTEGER)),
        },
        { requiredKeys: [] },
      ),
      { freq: 4 },
    ),
    topics: fc.array(
      fc.record({ partitions: bigOrSmall([1, 6], [100, 1000, 10_000]), rf: bigOrSmall([1, 3], [5, 10, 100, 1000]), config: validConfigMap(BROKER_CONFIG_DEFS, 2) }),
      { minLength: 1, maxLength: 3 },
    ),
    producers: fc.array(
      fc.record({
        topic: fc.constantFrom(0, 0, 1),
        rate: validRate,
        arrivals: fc.option(fc.constantFrom("constant", "poisson")),
        messageBytes: bigOrSmall([1, 2000], [100_000, 1_000_000, 10_000_000, 100_000_000]),
        keys: fc.option(bigOrSmall([1, 100], [10_000, 1_000_000])),
        config: validConfigMap(PRODUCER_CONFIG_DEFS, 3),
      }),
      { maxLength: 3 },
    ),
    consumers: fc.array(fc.record({ members: bigOrSmall([1, 3], [100, 1000]), processing: fc.option(validDuration) }), { maxLength: 2 }),
    faults: fc.array(cleanFault, { maxLength: 4 }),
    expect: fc.dictionary(fc.constantFrom(...KNOWN_METRICS), fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constantFrom("> 0", ">= 0", "< 5", "== 0", "!= 1")), { maxKeys: 3 }),
    protoNames: fc.option(fc.constantFrom(...PROTO_NAMES.filter((n) => /^[A-Za-z0-9._-]+$/.test(n))), { freq: 8 }),
  })
  .map((g) => {
    const rackNames = g.racks.map((r) => (typeof r === "string" ? r : r.name));
    const cluster: Obj = { racks: g.racks };
    cluster.brokers = g.brokerList ? Array.from({ length: Math.min(g.brokers, 50) }, (_, i) => ({ id: i + 1, rack: rackNames[i % rackNames.length] })) : g.brokers;
    const brokerCount = g.brokerList ? Math.min(g.brokers, 50) : g.brokers;
    if (g.hardware !== null) cluster.hardware = g.hardware;
    if (g.disks !== null) cluster.disks = g.disks;
    if (g.zk !== null) cluster.zookeeper = { nodes: g.zk };
    if (Object.keys(g.brokerConfig).length > 0) cluster.config = g.brokerConfig;
    if (g.os !== null) cluster.os = g.os;
    const topicNames = ["orders", g.protoNames ?? "t", "u"];
    const topics = g.topics.map((t, i) => ({
      name: topicNames[i],
      partitions: t.partitions,
      "replication.factor": Math.min(t.rf, brokerCount),
      ...(Object.keys(t.config).length > 0 ? { config: t.config } : {}),
    }));
    const producers = g.producers.map((p, i) => ({
      id: i === 0 ? "p1" : `p${i + 1}`,
      topic: topics[Math.min(p.topic, topics.length - 1)].name,
      rate: p.rate,
      messageBytes: p.messageBytes,
      ...(p.arrivals !== null ? { arrivals: p.arrivals } : {}),
      ...(p.keys !== null ? { keys: p.keys } : {}),
      ...(Object.keys(p.config).length > 0 ? { config: p.config } : {}),
    }));
    const doc: Obj = { name: "fuzz", duration: g.duration };
    if (g.settle !== null) doc.settle = g.settle;
    if (g.latencyWarmup !== null) doc.latencyWarmup = g.latencyWarmup;
    doc.kafka = { version: g.version };
    doc.cluster = cluster;
    doc.topics = topics;
    if (producers.length > 0) doc.producers = producers;
    if (g.consumers.length > 0) doc.consumers = g.consumers.map((c, i) => ({ group: `g${i + 1}`, members: c.members, topic: "orders", ...(c.processing !== null ? { processing: c.processing } : {}) }));
    // Faults naming producer-p1 or rack a need them; drop the ones that cannot resolve.
    const faults = g.faults.filter((f) => (producers.length > 0 || !JSON.stringify(f).includes("producer-p1")) && (brokerCount > 1 || !JSON.stringify(f).includes("broker-2")));
    if (faults.length > 0) doc.faults = faults;
    if (Object.keys(g.expect).length > 0) doc.expect = g.expect;
    return doc;
  });

// ---------------------------------------------------------------------------------------------
// Structural mutations of a document (a JS value, stringified afterwards)

type PathPart = string | number;
interface Located {
  path: PathPart[];
  value: unknown;
}

const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);

/** Every node below the root, depth first (a node shared twice is listed once; cycles stop). */
function nodes(root: unknown): Located[] {
  const out: Located[] = [];
  const seen = new Set<unknown>();
  const walk = (x: unknown, path: PathPart[]): void => {
    if (typeof x !== "object" || x === null || seen.has(x) || out.length > 5000) return;
    seen.add(x);
    const entries: Array<[PathPart, unknown]> = Array.isArray(x) ? x.map((v, i) => [i, v]) : Object.keys(x).map((k) => [k, (x as Obj)[k]]);
    for (const [k, v] of entries) {
      out.push({ path: [...path, k], value: v });
      walk(v, [...path, k]);
    }
  };
  walk(root, []);
  return out;
}

function parentOf(root: unknown, path: PathPart[]): unknown {
  let x = root;
  for (const p of path.slice(0, -1)) x = (x as Obj)[p as string];
  return x;
}

function setAt(root: unknown, path: PathPart[], value: unknown): void {
  const parent = parentOf(root, path) as Obj;
  defineOwn(parent, path[path.length - 1] as string, value);
}

/** An own, enumerable property, even for `__proto__` (plain assignment would set the prototype). */
function defineOwn(o: Obj, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

export const MUTATIONS = ["set", "delete", "duplicate", "swapType", "rename", "share", "protoKey", "scale", "duration"] as const;
type MutationKind = (typeof MUTATIONS)[number];

interface Mutation {
  kind: MutationKind;
  pick: number;
  pick2: number;
  value: unknown;
  key: string;
  duration: string;
  factor: number;
}

const SCHEMA_KEYS = ["name", "duration", "settle", "cluster", "brokers", "racks", "topics", "partitions", "replication.factor", "producers", "rate", "messageBytes", "keys", "config", "faults", "at", "for", "crash", "disk", "expect", "marks", "members", "processing", "zone", "id"];

/** How often each mutation is picked: the gentler ones (a document can survive them) more often. */
const MUTATION_WEIGHTS: Record<MutationKind, number> = { set: 2, delete: 2, duplicate: 2, swapType: 1, rename: 1, share: 2, protoKey: 1, scale: 3, duration: 3 };

const mutationArb = (kinds: readonly MutationKind[] = MUTATIONS): fc.Arbitrary<Mutation> =>
  fc.record({
    kind: fc.oneof(...kinds.map((k) => ({ weight: MUTATION_WEIGHTS[k], arbitrary: fc.constant(k) }))),
    pick: fc.nat(),
    pick2: fc.nat(),
    value: extremeValue,
    key: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...SCHEMA_KEYS) }, { weight: 1, arbitrary: fc.constantFrom(...PROTO_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }),
    duration: fc.oneof({ weight: 2, arbitrary: validDuration }, { weight: 1, arbitrary: extremeDuration }),
    factor: fc.constantFrom(0, -1, 10, 1000, 1e6, 1e9, 1e308, 0.0001, 0.5),
  });

const validEntry = (table: Readonly<Record<string, ReadonlyArray<readonly [string, ConfigDef]>>>): fc.Arbitrary<readonly [string, unknown]> =>
  fc.constantFrom(...Object.keys(table)).chain((key) => validConfigValue(latestDef(table, key)).map((v) => [key, v] as const));

/** A config set in one section: mostly a modelled key with a value Kafka accepts (often an edge), else anything. */
const configMutation = fc.oneof(
  { weight: 3, arbitrary: fc.record({ section: fc.nat(), broker: validEntry(BROKER_CONFIG_DEFS), producer: validEntry(PRODUCER_CONFIG_DEFS) }).map((m) => ({ section: m.section, key: m.broker[0], producerKey: m.producer[0], brokerValue: m.broker[1], producerValue: m.producer[1] })) },
  { weight: 1, arbitrary: fc.record({ section: fc.nat(), key: configKey(BROKER_KEYS), producerKey: configKey(PRODUCER_KEYS), value: configValue }).map((m) => ({ section: m.section, key: m.key, producerKey: m.producerKey, brokerValue: m.value, producerValue: m.value })) },
);

function applyConfig(doc: Obj, m: { section: number; key: string; producerKey: string; brokerValue: unknown; producerValue: unknown }): string {
  const sections: Array<{ holder: Obj; producer: boolean; where: string }> = [];
  if (isObj(doc.cluster)) sections.push({ holder: doc.cluster, producer: false, where: "cluster" });
  for (const [list, producer] of [["topics", false], ["producers", true], ["consumers", true]] as const) {
    const items = doc[list];
    if (Array.isArray(items)) items.forEach((t, i) => isObj(t) && sections.push({ holder: t, producer, where: `${list}[${i}]` }));
  }
  if (sections.length === 0) return "config: no section";
  const s = sections[m.section % sections.length];
  if (!isObj(s.holder.config)) s.holder.config = {};
  const key = s.producer ? m.producerKey : m.key;
  const value = s.producer ? m.producerValue : m.brokerValue;
  defineOwn(s.holder.config as Obj, key, structuredCloneSafe(value));
  return `config ${s.where}.config.${key}=${short(value)}`;
}

function short(v: unknown): string {
  let s: string;
  try {
    s = typeof v === "string" ? JSON.stringify(v) : typeof v === "number" ? String(v) : JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 40 ? `${s.slice(0, 40)}…(${s.length})` : s;
}

function swapType(v: unknown): unknown {
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v.length > 0 ? [v] : 0;
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return v.length > 0 ? v[0] : {};
  if (isObj(v)) return Object.values(v);
  return {};
}

/** Applies one mutation in place (the root may be replaced: returned); a note says what it did. */
function applyMutation(doc: Obj, m: Mutation): string {
  const all = nodes(doc);
  if (all.length === 0) return `${m.kind}: empty`;
  const at = all[m.pick % all.length];
  const where = at.path.join(".");
  switch (m.kind) {
    case "set":
      setAt(doc, at.path, structuredCloneSafe(m.value));
      return `set ${where}=${short(m.value)}`;
    case "delete": {
      const parent = parentOf(doc, at.path);
      if (Array.isArray(parent)) parent.splice(at.path[at.path.length - 1] as number, 1);
      else delete (parent as Obj)[at.path[at.path.length - 1] as string];
      return `delete ${where}`;
    }
    case "duplicate": {
      const parent = parentOf(doc, at.path);
      const copy = structuredCloneSafe(at.value);
      if (Array.isArray(parent)) {
        parent.push(copy);
        return `duplicate item ${where}`;
      }
      defineOwn(parent as Obj, m.key, copy);
      return `duplicate ${where} as ${short(m.key)}`;
    }
    case "swapType": {
      const v = swapType(at.value);
      setAt(doc, at.path, v);
      return `swapType ${where}=${short(v)}`;
    }
    case "rename": {
      const parent = parentOf(doc, at.path);
      if (Array.isArray(parent)) return `rename ${where}: in a list`;
      delete (parent as Obj)[at.path[at.path.length - 1] as string];
      defineOwn(parent as Obj, m.key, at.value);
      return `rename ${where} to ${short(m.key)}`;
    }
    case "share": {
      // Make another node the same object: YAML writes an anchor and an alias (a cycle when the
      // shared node is an ancestor).
      const containers = all.filter((n) => typeof n.value === "object" && n.value !== null);
      if (containers.length === 0) return "share: no container";
      const from = containers[m.pick2 % containers.length];
      setAt(doc, at.path, from.value);
      return `share ${where}=*${from.path.join(".")}`;
    }
    case "protoKey": {
      const maps = [{ path: [] as PathPart[], value: doc as unknown }, ...all].filter((n) => isObj(n.value));
      const target = maps[m.pick2 % maps.length];
      const key = PROTO_KEYS[m.pick % PROTO_KEYS.length];
      defineOwn(target.value as Obj, key, structuredCloneSafe(m.value));
      return `protoKey ${target.path.join(".") || "(root)"}.${key}=${short(m.value)}`;
    }
    case "scale": {
      const numbers = all.filter((n) => typeof n.value === "number");
      if (numbers.length === 0) return "scale: no number";
      const n = numbers[m.pick2 % numbers.length];
      const v = (n.value as number) * m.factor;
      setAt(doc, n.path, v);
      return `scale ${n.path.join(".")}=${v}`;
    }
    case "duration": {
      const durations = all.filter((n) => typeof n.value === "string" && /^\d+(\.\d+)?\s*(us|µs|ms|s|m|min|h)$/.test(n.value));
      if (durations.length === 0) return "duration: none";
      const d = durations[m.pick2 % durations.length];
      setAt(doc, d.path, m.duration);
      return `duration ${d.path.join(".")}=${short(m.duration)}`;
    }
  }
}

function structuredCloneSafe(v: unknown): unknown {
  try {
    return structuredClone(v);
  } catch {
    return v;
  }
}

/** One to three numbers or durations of a document set to extremes. */
const extremeAll = fc.array(fc.tuple(fc.nat(), extremeNumber, extremeDuration), { minLength: 1, maxLength: 3 });

function applyExtremes(doc: Obj, picks: Array<[number, number, string]>): string {
  const leaves = nodes(doc).filter((n) => typeof n.value === "number" || (typeof n.value === "string" && /^\d+(\.\d+)?\s*(us|µs|ms|s|m|min|h)$/.test(n.value)));
  if (leaves.length === 0) return "extremes: no number";
  return (
    "extremes " +
    picks
      .map(([pick, n, d]) => {
        const leaf = leaves[pick % leaves.length];
        const v = typeof leaf.value === "number" ? n : d;
        setAt(doc, leaf.path, v);
        return `${leaf.path.join(".")}=${short(v)}`;
      })
      .join(", ")
  );
}

// ---------------------------------------------------------------------------------------------
// Text: stringify, aliases, text mutations

function toText(doc: unknown, json: boolean): string {
  if (json) {
    try {
      return JSON.stringify(doc, null, 1) ?? "null";
    } catch {
      // a cycle: YAML can say it
    }
  }
  return stringify(doc, { lineWidth: 0 });
}

/** An alias bomb: `levels` anchors, each a list of `width` aliases to the one before. */
function aliasBomb(levels: number, width: number, key: string): string {
  const lines = [`${key}0: &a0 [${Array(width).fill('"lol"').join(", ")}]`];
  for (let l = 1; l < levels; l++) lines.push(`${key}${l}: &a${l} [${Array(width).fill(`*a${l - 1}`).join(", ")}]`);
  return lines.join("\n") + "\n";
}

const aliasCase: fc.Arbitrary<{ note: string; text: (base: string) => string }> = fc.oneof(
  fc.record({ levels: fc.integer({ min: 2, max: 9 }), width: fc.integer({ min: 2, max: 10 }), key: fc.constantFrom("x", "marks", "description") }).map(({ levels, width, key }) => ({
    note: `alias bomb ${levels}x${width}`,
    text: (base: string) => aliasBomb(levels, width, key) + base,
  })),
  fc.record({ levels: fc.integer({ min: 2, max: 9 }), width: fc.integer({ min: 2, max: 10 }) }).map(({ levels, width }) => ({
    note: `alias bomb in marks ${levels}x${width}`,
    text: (base: string) => `${base.replace(/^marks:.*\n(  - .*\n)*/m, "")}\nmarks: &m0 [${Array(width).fill('"lol"').join(", ")}]\n${Array.from({ length: levels - 1 }, (_, l) => `x${l}: &m${l + 1} [${Array(width).fill(`*m${l}`).join(", ")}]`).join("\n")}\n`,
  })),
  fc.record({ levels: fc.integer({ min: 2, max: 7 }), width: fc.integer({ min: 2, max: 8 }) }).map(({ levels, width }) => ({
    note: `merge-key bomb (YAML 1.1) ${levels}x${width}`,
    text: (base: string) => {
      const lines = ["%YAML 1.1", "---", `b0: &b0 { k0: 1 }`];
      for (let l = 1; l < levels; l++) lines.push(`b${l}: &b${l} { <<: [${Array(width).fill(`*b${l - 1}`).join(", ")}], k${l}: 1 }`);
      return lines.join("\n") + "\n" + base;
    },
  })),
  fc.constantFrom(
    { note: "alias to no anchor", text: (base: string) => base.replace(/^duration: .*$/m, "duration: *nope") },
    { note: "alias before its anchor", text: (base: string) => base.replace(/^duration: (.*)$/m, "duration: *d").replace(/^name: (.*)$/m, "name: &d $1") + "\nz: &d 1s\n" },
    { note: "alias used as a key", text: (base: string) => `k: &k __proto__\n${base.replace(/^cluster:\n/m, "cluster:\n  *k : { polluted: true }\n")}` },
    { note: "alias key constructor in a config", text: (base: string) => `description: &k constructor\n${base.replace(/^description:.*\n(  .*\n)*/m, "").replace(/^cluster:\n/m, "cluster:\n  config:\n    *k : 1\n")}` },
    { note: "alias key prototype in a config", text: (base: string) => `description: &k prototype\n${base.replace(/^description:.*\n(  .*\n)*/m, "").replace(/^cluster:\n/m, "cluster:\n  config:\n    *k : 1\n")}` },
    { note: "alias key __proto__ in a config", text: (base: string) => `description: &k __proto__\n${base.replace(/^description:.*\n(  .*\n)*/m, "").replace(/^cluster:\n/m, "cluster:\n  config:\n    *k : { num.io.threads: 0 }\n")}` },
    { note: "self-referencing anchor", text: (base: string) => base.replace(/^cluster:\n/m, "cluster: &c\n  config: { x: *c }\n") },
    { note: "self-referencing list", text: (base: string) => base + "marks: &m [*m]\n" },
    { note: "anchor redefined", text: (base: string) => `x: &a 1\ny: &a 2\nz: *a\n${base}` },
    { note: "racks shared by alias", text: (base: string) => base.replace(/^ {2}racks: (.*)$/m, "  racks: &r $1") },
    { note: "config shared by alias", text: (base: string) => base.replace(/^ {2}config: (.*)$/m, "  config: &cfg $1").replace(/(topics:\n {2}- \{[^}\n]*)\}/m, "$1, config: *cfg }") },
    { note: "empty alias name", text: (base: string) => base.replace(/^duration: .*$/m, "duration: * ") },
  ),
);

const TAGS = ["!!binary aGVsbG8=", "!!set { a, b }", "!!timestamp 2001-12-14", "!!omap [ a: 1 ]", "!!pairs [ a: 1 ]", "!!str 3", '!!int "3"', "!!float 3", "!!null ''", "!!bool yes", "!custom x", "!<tag:yaml.org,2002:int> 5", "!!js/function 'function(){}'", "!!map {}", "!!seq []"];

const textMutation: fc.Arbitrary<{ note: string; apply: (t: string) => string }> = fc.oneof(
  fc.nat().map((p) => ({ note: "duplicate a line", apply: (t: string) => lines(t, (ls) => ls.splice(p % ls.length, 0, ls[p % ls.length])) })),
  fc.nat().map((p) => ({ note: "delete a line", apply: (t: string) => lines(t, (ls) => ls.splice(p % ls.length, 1)) })),
  fc.nat().map((p) => ({ note: "truncate", apply: (t: string) => t.slice(0, p % (t.length + 1)) })),
  fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([p, s]) => ({ note: `insert ${JSON.stringify(s)}`, apply: (t: string) => t.slice(0, p % (t.length + 1)) + s + t.slice(p % (t.length + 1)) })),
  fc.tuple(fc.nat(), fc.constantFrom(...TAGS)).map(([p, tag]) => ({
    note: `tag ${tag}`,
    apply: (t: string) => {
      const ls = t.split("\n");
      const candidates = ls.map((l, i) => [l, i] as const).filter(([l]) => /^\s*(- )?[\w.]+: \S/.test(l));
      if (candidates.length === 0) return t;
      const [l, i] = candidates[p % candidates.length];
      ls[i] = l.replace(/: .*$/, `: ${tag}`);
      return ls.join("\n");
    },
  })),
  fc.constantFrom(
    { note: "YAML 1.1 directive", apply: (t: string) => `%YAML 1.1\n---\n${t}` },
    { note: "two documents", apply: (t: string) => `${t}\n---\n${t}` },
    { note: "tabs", apply: (t: string) => t.replace(/^ {2}/gm, "\t") },
    { note: "CRLF", apply: (t: string) => t.replace(/\n/g, "\r\n") },
    { note: "BOM", apply: (t: string) => `\ufeff${t}` },
    { note: "NUL bytes", apply: (t: string) => t.replace(/\n/, "\n\u0000") },
    { note: "flow style", apply: (t: string) => JSON.stringify(parseSafe(t)) },
    { note: "octal-ish numbers", apply: (t: string) => t.replace(/: (\d+)$/gm, ": 0$1") },
    { note: "yes/no booleans (1.1)", apply: (t: string) => `%YAML 1.1\n---\n${t.replace(/: true$/gm, ": yes").replace(/: false$/gm, ": off")}` },
    { note: "sexagesimal (1.1)", apply: (t: string) => `%YAML 1.1\n---\n${t.replace(/brokers: \d+/, "brokers: 1:20")}` },
    { note: "deep nesting", apply: (t: string) => `${t}\nx: ${"[".repeat(5000)}${"]".repeat(5000)}\n` },
    { note: "deep block nesting", apply: (t: string) => `${t}\nx:\n${Array.from({ length: 300 }, (_, i) => `${" ".repeat(i + 1)}- `).join("\n")}1\n` },
    // 5,000 unknown keys take the loader ~1.5 s (20,000 take ~20 s: locating each problem and yaml's
    // unique-key check are quadratic), so that this known slowness does not count as a hang.
    { note: "many keys", apply: (t: string) => `${t}\n${Array.from({ length: 5_000 }, (_, i) => `k${i}: ${i}`).join("\n")}\n` },
    { note: "long line", apply: (t: string) => `${t}\ndescription: ${"y".repeat(1_000_000)}\n` },
  ),
);

function lines(t: string, f: (ls: string[]) => void): string {
  const ls = t.split("\n");
  if (ls.length > 0) f(ls);
  return ls.join("\n");
}

function parseSafe(t: string): unknown {
  try {
    return parse(t);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// The mix

const simSeed = fc.integer({ min: 1, max: 1_000_000 });

const randomCase: fc.Arbitrary<Omit<FuzzCase, "seed">> = fc
  .tuple(
    fc.oneof({ weight: 3, arbitrary: cleanDocument.map((d) => ({ wild: false, d })) }, { weight: 1, arbitrary: randomDocument.map((d) => ({ wild: true, d })) }),
    fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(mutationArb(), { minLength: 1, maxLength: 2 }) }),
    fc.nat(9),
  )
  .map(([{ wild, d }, ms, r]) => {
    // Mutations work in place: on a copy, so that fast-check's own value stays as generated.
    const doc = structuredClone(d);
    const notes = ms.map((m) => applyMutation(doc, m));
    return { kind: "random", note: `${wild ? "wild" : "valid"}${notes.length > 0 ? ": " + notes.join("; ") : ""}`, text: toText(doc, r === 0) };
  });

const builtinCase: fc.Arbitrary<Omit<FuzzCase, "seed">> = fc.tuple(builtinArb(), fc.array(mutationArb(MUTATIONS.filter((m) => m !== "protoKey")), { minLength: 1, maxLength: 3 }), fc.nat(9)).map(([{ name, doc }, ms, r]) => {
  const notes = ms.map((m) => applyMutation(doc, m));
  return { kind: "builtin", note: `${name}: ${notes.join("; ")}`, text: toText(doc, r === 0) };
});

const extremeCase: fc.Arbitrary<Omit<FuzzCase, "seed">> = fc
  .tuple(fc.oneof({ weight: 3, arbitrary: builtinArb() }, { weight: 1, arbitrary: cleanDocument.map((doc) => ({ name: "random", doc: structuredClone(doc) })) }), extremeAll, fc.array(mutationArb(["scale", "duration", "set"]), { maxLength: 2 }))
  .map(([{ name, doc }, e, ms]) => {
    const notes = [applyExtremes(doc, e), ...ms.map((m) => applyMutation(doc, m))];
    return { kind: "extreme", note: `${name}: ${notes.join("; ")}`, text: toText(doc, false) };
  });

const protoCase: fc.Arbitrary<Omit<FuzzCase, "seed">> = fc.oneof(
  fc.tuple(builtinArb(), fc.array(mutationArb(["protoKey"]), { minLength: 1, maxLength: 2 }), fc.boolean()).map(([{ name, doc }, ms, json]) => {
    const notes = ms.map((m) => applyMutation(doc, m));
    return { kind: "proto" as const, note: `${name}: ${notes.join("; ")}`, text: toText(doc, json) };
  }),
  // Object.prototype's names as names (values, so not refused): topic, rack, producer, group.
  fc.tuple(builtinArb(), fc.constantFrom(...PROTO_NAMES), fc.constantFrom("topic", "rack", "producer", "zone")).map(([{ name, doc }, proto, what]) => {
    let text = stringify(doc, { lineWidth: 0 });
    if (what === "topic") text = text.replace(/\borders\b/g, proto);
    else if (what === "rack") text = text.replace(/racks:\n(\s+- )a\n/, `racks:\n$1${proto}\n`).replace(/rack-a\b/g, `rack-${proto}`);
    else if (what === "producer") text = text.replace(/\bp1\b/g, proto);
    else text = text.replace(/racks:\n\s+- a\n/, `racks:\n  - { name: a, zone: ${proto} }\n`);
    return { kind: "proto" as const, note: `${name}: ${what} named ${proto}`, text };
  }),
  fc.tuple(builtinArb(), fc.constantFrom(...PROTO_KEYS), fc.constantFrom("cluster.config", "topic config", "producer config", "root", "expect", "os")).map(([{ name }, key, where]) => {
    const text = builtinScenarios().find((b) => b.name === name)?.text ?? "";
    const line = `"${key}": { polluted: true }`;
    const out =
      where === "root"
        ? `${line}\n${text}`
        : where === "cluster.config"
          ? text.replace(/^cluster:\n/m, `cluster:\n  config: { ${line} }\n`)
          : where === "expect"
            ? text.replace(/^expect:\n/m, `expect:\n  ${key}: 0\n`)
            : where === "os"
              ? text.replace(/^cluster:\n/m, `cluster:\n  os: { ${key}: 1 }\n`)
              : text.replace(where === "topic config" ? /(partitions: \d+)/ : /(messageBytes: \d+)/, `$1, config: { ${key}: 1 }`);
    return { kind: "proto" as const, note: `${name}: ${JSON.stringify(key)} in ${where} (text)`, text: out };
  }),
);

const aliasDocCase: fc.Arbitrary<Omit<FuzzCase, "seed">> = fc.tuple(builtinArb(), aliasCase).map(([{ name, doc }, a]) => ({ kind: "alias" as const, note: `${name}: ${a.note}`, text: a.text(stringify(doc, { lineWidth: 0 })) }));

const configCase: fc.Arbitrary<Omit<FuzzCase, "seed">> = fc
  .tuple(fc.oneof({ weight: 3, arbitrary: builtinArb() }, { weight: 1, arbitrary: cleanDocument.map((doc) => ({ name: "random", doc: structuredClone(doc) })) }), fc.array(configMutation, { minLength: 1, maxLength: 3 }))
  .map(([{ name, doc }, ms]) => ({ kind: "config" as const, note: `${name}: ${ms.map((m) => applyConfig(doc, m)).join("; ")}`, text: toText(doc, false) }));

const textCase: fc.Arbitrary<Omit<FuzzCase, "seed">> = fc
  .tuple(fc.oneof({ weight: 3, arbitrary: builtinArb() }, { weight: 1, arbitrary: cleanDocument.map((doc) => ({ name: "random", doc: structuredClone(doc) })) }), fc.array(textMutation, { minLength: 1, maxLength: 2 }))
  .map(([{ name, doc }, ms]) => {
    let text = stringify(doc, { lineWidth: 0 });
    for (const m of ms) text = m.apply(text);
    return { kind: "text" as const, note: `${name}: ${ms.map((m) => m.note).join("; ")}`, text };
  });

const BY_KIND: Record<FuzzKind, fc.Arbitrary<Omit<FuzzCase, "seed">>> = {
  random: randomCase,
  builtin: builtinCase,
  extreme: extremeCase,
  proto: protoCase,
  alias: aliasDocCase,
  config: configCase,
  text: textCase,
};

/** Shares of the mix (out of their sum). */
export const KIND_WEIGHTS: Record<FuzzKind, number> = { random: 4, builtin: 4, extreme: 2, proto: 1, alias: 1, config: 3, text: 1 };

/** One fuzz case of any kind (or of the given kinds), with its simulation seed. */
export function fuzzCase(kinds: readonly FuzzKind[] = FUZZ_KINDS): fc.Arbitrary<FuzzCase> {
  const arb = fc.oneof(...kinds.map((k) => ({ weight: KIND_WEIGHTS[k], arbitrary: BY_KIND[k] })));
  return fc.tuple(arb, simSeed).map(([c, seed]) => ({ ...c, seed }));
}

/** Case `index` of a run seeded with `seed`: each case reproducible on its own. */
export function nthCase(seed: number, index: number, kinds: readonly FuzzKind[] = FUZZ_KINDS): FuzzCase {
  return fc.sample(fuzzCase(kinds), { seed: mix(seed, index), numRuns: 1 })[0];
}

/** A 32-bit hash of (seed, index), so neighbouring indexes get unrelated streams. */
function mix(seed: number, index: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) | 0;
}

export type { Json };
