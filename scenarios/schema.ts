/**
 * The scenario file's schema: the one definition of what a scenario may say. Validated with
 * zod 4 (a well-kept validation library whose issues carry the path to the field, and which
 * exports JSON Schema for editors). Durations and rates are kept as the strings the user wrote
 * and checked here; `model.ts` turns the validated document into integers.
 *
 * Sections whose Kafka behaviour arrives in later issues are validated now so that files
 * written today keep working.
 */
import { z } from "zod";
import { parseDuration, parseRate, DURATION_HINT, RATE_HINT } from "./units.js";
import { HARDWARE_PROFILES } from "../sim/disk/profiles.js";

import { KAFKA_VERSIONS } from "../sim/nodes/kafka/common/versions.js";
export { KAFKA_VERSIONS };
export const DEFAULT_KAFKA_VERSION = "3.6";

const duration = z.string().refine((s) => parseDuration(s) !== null, { message: `expected ${DURATION_HINT}` });
const rate = z.string().refine((s) => parseRate(s) !== null, { message: `expected ${RATE_HINT}` });
const name = z.string().regex(/^[A-Za-z0-9._-]+$/, { message: "expected a name of letters, digits, '.', '_' or '-'" });
const configValue = z.union([z.string(), z.number(), z.boolean()]);
/** Kafka config keys exactly as Kafka spells them (`min.insync.replicas`), scalar values. */
const config = z.record(z.string().regex(/^[a-z][a-z0-9.]*$/, { message: "expected a Kafka config key such as min.insync.replicas" }), configValue);

const hardware = z.enum(Object.keys(HARDWARE_PROFILES) as [string, ...string[]]);

/** Disks per broker host (JBOD): the broker gets one log dir per disk (log.dirs). */
const disks = z.int().min(1).max(24);

const brokerSpec = z.strictObject({
  id: z.int().min(0),
  rack: name.optional(),
  hardware: hardware.optional(),
  disks: disks.optional(),
});

const rackSpec = z.union([name, z.strictObject({ name, zone: name.optional() })]);

const osSpec = z.strictObject({
  "vm.dirty_background_ratio": z.int().min(0).max(100).optional(),
  "vm.dirty_ratio": z.int().min(0).max(100).optional(),
  "vm.dirty_expire_centisecs": z.int().min(0).optional(),
  "vm.dirty_writeback_centisecs": z.int().min(1).optional(),
});

const clusterSpec = z.strictObject({
  racks: z.array(rackSpec).min(1).optional(),
  brokers: z.union([z.int().min(1).max(1000), z.array(brokerSpec).min(1)]),
  hardware: hardware.optional(),
  /** Disks of every broker host without its own `disks` (default: the hardware profile's, 1). */
  disks: disks.optional(),
  /**
   * The ZooKeeper ensemble. Node i (from 0) runs on rack i mod n of `racks` (default: the
   * cluster's racks, in order), so by default zk-1 shares the first rack with broker 1.
   */
  zookeeper: z
    .strictObject({
      nodes: z.union([z.literal(1), z.literal(3), z.literal(5)]).optional(),
      hardware: hardware.optional(),
      racks: z.array(z.string()).min(1).optional(),
    })
    .optional(),
  config: config.optional(),
  os: osSpec.optional(),
});

const topicSpec = z.strictObject({
  name,
  partitions: z.int().min(1).max(10_000),
  "replication.factor": z.int().min(1),
  config: config.optional(),
});

const producerSpec = z.strictObject({
  id: name,
  topic: name,
  /** Records per second (open loop), or "max": send() again as soon as it returns (closed loop). */
  rate: z.string().refine((s) => s === "max" || parseRate(s) !== null, { message: `expected ${RATE_HINT}, or max` }),
  /** Poisson arrivals (the default: seeds vary the timing), or constant spacing. */
  arrivals: z.enum(["constant", "poisson"]).optional(),
  messageBytes: z.int().min(1).max(100_000_000),
  /** Distinct keys (murmur2-partitioned), or absent for keyless records. */
  keys: z.int().min(1).optional(),
  config: config.optional(),
});

/** Time to process one record: a duration (constant), or a distribution drawn per record. */
const processingSpec = z.union([
  duration,
  z.strictObject({ distribution: z.literal("constant"), mean: duration }),
  z.strictObject({ distribution: z.literal("exponential"), mean: duration }),
  z.strictObject({ distribution: z.literal("uniform"), min: duration, max: duration }),
  z.strictObject({ distribution: z.literal("lognormal"), mean: duration, stddev: duration }),
]);

const consumerSpec = z.strictObject({
  group: name,
  members: z.int().min(1).max(1000),
  topic: name,
  /** subscribe (group membership, the default) or assign (member n takes partitions n-1, n-1+members, ...; no rebalances). */
  mode: z.enum(["subscribe", "assign"]).optional(),
  /** When each member starts: one duration for all, or one per member (default 0s). */
  start: z.union([duration, z.array(duration).min(1)]).optional(),
  processing: processingSpec.optional(),
  /** How the application commits: auto (enable.auto.commit), sync / async after processing, before-processing. */
  commit: z.enum(["auto", "sync", "async", "before-processing"]).optional(),
  /** The rebalance listener commits the positions of partitions being revoked (default false). */
  commitOnRevoke: z.boolean().optional(),
  /** group.instance.id (KIP-345, 2.3+): member n gets "<staticId>-<n>"; absent: dynamic members. */
  staticId: name.optional(),
  config: config.optional(),
});

const nodeList = z.union([z.string(), z.array(z.string()).min(1)]);
const groups = z.array(z.array(z.string()).min(1)).min(2);

/** A fault: `at` plus exactly one verb. The verb's field names the verb. */
export const FAULT_VERBS = [
  "crash",
  "restart",
  "stop",
  "powerOff",
  "powerOn",
  "partition",
  "heal",
  "pause",
  "slowDisk",
  "failDisk",
  "fullDisk",
  "latency",
  "loss",
  "expireSession",
] as const;
export type FaultVerb = (typeof FAULT_VERBS)[number];

const faultSpec = z
  .strictObject({
    at: duration,
    for: duration.optional(),
    crash: nodeList.optional(),
    restart: nodeList.optional(),
    stop: nodeList.optional(),
    powerOff: nodeList.optional(),
    powerOn: nodeList.optional(),
    partition: z.union([groups, z.strictObject({ from: z.array(z.string()).min(1), to: z.array(z.string()).min(1) })]).optional(),
    heal: z.literal("all").optional(),
    pause: nodeList.optional(),
    slowDisk: nodeList.optional(),
    factor: z.number().min(1).optional(),
    failDisk: nodeList.optional(),
    fullDisk: nodeList.optional(),
    /** failDisk / fullDisk / slowDisk: only this disk of each target (0-based); without it, every disk. */
    disk: z.int().min(0).optional(),
    latency: z.strictObject({ between: groups.optional(), add: duration, jitter: duration.optional() }).optional(),
    loss: z.strictObject({ between: groups.optional(), probability: z.number().min(0).max(1) }).optional(),
    expireSession: nodeList.optional(),
  })
  .superRefine((f, ctx) => {
    const verbs = FAULT_VERBS.filter((v) => f[v] !== undefined);
    if (verbs.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: verbs.length === 0 ? `expected one fault verb: ${FAULT_VERBS.join(", ")}` : `expected one fault verb per entry (got ${verbs.join(", ")})`,
      });
      return;
    }
    const verb = verbs[0];
    if (verb === "pause" && f.for === undefined) ctx.addIssue({ code: "custom", path: ["for"], message: "expected a duration: pause needs `for`" });
    if (f.factor !== undefined && verb !== "slowDisk") ctx.addIssue({ code: "custom", path: ["factor"], message: "expected `factor` only with slowDisk" });
    if (f.disk !== undefined && !["failDisk", "fullDisk", "slowDisk"].includes(verb)) ctx.addIssue({ code: "custom", path: ["disk"], message: "expected `disk` only with failDisk, fullDisk or slowDisk" });
    if (f.for !== undefined && !["partition", "pause", "slowDisk", "latency", "loss", "powerOff", "crash", "stop"].includes(verb)) {
      ctx.addIssue({ code: "custom", path: ["for"], message: `expected no \`for\` with ${verb}` });
    }
  });

/** A check on a metric: a number (equality) or a comparison such as "> 0", "<= 30000". */
export const CONDITION = /^\s*(==|=|!=|<=|>=|<|>)?\s*(-?\d+(?:\.\d+)?)\s*$/;
const condition = z.union([z.number(), z.string().regex(CONDITION, { message: 'expected a number or a comparison such as "> 0" or "<= 30000"' })]);

export const scenarioSchema = z
  .strictObject({
    name,
    description: z.string().optional(),
    duration,
    /** After `duration`, faults are healed and the cluster given this long to settle. */
    settle: duration.optional(),
    /** produceLatencyMs leaves out records created before this time (warm-up). */
    latencyWarmup: duration.optional(),
    seed: z.int().min(0).optional(),
    kafka: z.strictObject({ version: z.enum(KAFKA_VERSIONS) }).optional(),
    cluster: clusterSpec,
    topics: z.array(topicSpec).optional(),
    producers: z.array(producerSpec).optional(),
    consumers: z.array(consumerSpec).optional(),
    faults: z.array(faultSpec).optional(),
    expect: z.record(z.string(), condition).optional(),
    /** Coverage marks the run must hit. */
    marks: z.array(z.string()).optional(),
  });

export type ScenarioDocument = z.infer<typeof scenarioSchema>;
export type FaultDocument = z.infer<typeof faultSpec>;
export type ProducerDocument = z.infer<typeof producerSpec>;
export type ConsumerDocument = z.infer<typeof consumerSpec>;

/** The JSON Schema of a scenario file, for editors (`scenarios/scenario.schema.json`). */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: "input", unrepresentable: "any" });
}
