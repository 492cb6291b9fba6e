/**
 * From a validated scenario document to the model the runner uses: integer microseconds,
 * the host layout (who runs where, in which rack and zone), and the checks that need the
 * whole document (names that must exist, replication factors that must fit).
 */
import { parseDuration, parseRate } from "./units.js";
import { DEFAULT_KAFKA_VERSION, FAULT_VERBS, type FaultDocument, type FaultVerb, type ScenarioDocument } from "./schema.js";
import { GROUP_METRICS, groupMetricName, KNOWN_METRICS } from "./metrics.js";
import { checkKafkaConfigs } from "./configCheck.js";
import { releaseNumber, type KafkaVersion } from "../sim/nodes/kafka/common/versions.js";
import { HARDWARE_PROFILES } from "../sim/disk/profiles.js";

export type Path = ReadonlyArray<string | number>;
export interface Problem {
  path: Path;
  message: string;
}

export type HostRole = "zookeeper" | "broker" | "producer" | "consumer";

export interface HostLayout {
  name: string;
  role: HostRole;
  rack: string;
  zone: string;
  hardware: string;
  /** Disks on the host (a broker has one log dir per disk). */
  disks: number;
  /** broker id, zk id, producer index or consumer member index. */
  id: number;
}

export interface FaultModel {
  atUs: number;
  forUs: number | null;
  verb: FaultVerb;
  doc: FaultDocument;
  /** Index in the scenario's faults list (for messages). */
  index: number;
}

export interface Scenario {
  doc: ScenarioDocument;
  name: string;
  kafkaVersion: string;
  durationUs: number;
  settleUs: number;
  hosts: HostLayout[];
  racks: Array<{ name: string; zone: string }>;
  faults: FaultModel[];
}

const DEFAULT_HARDWARE = "ssd-10gbe";
/** The rack that producers and consumers sit in. */
export const CLIENT_RACK = "clients";
const DEFAULT_SETTLE_US = 30_000_000;

export function buildLayout(doc: ScenarioDocument): { racks: Scenario["racks"]; hosts: HostLayout[] } {
  const racks = (doc.cluster.racks ?? ["a"]).map((r) => (typeof r === "string" ? { name: r, zone: "zone-1" } : { name: r.name, zone: r.zone ?? "zone-1" }));
  const zoneOf = new Map(racks.map((r) => [r.name, r.zone]));
  const defaultHw = doc.cluster.hardware ?? DEFAULT_HARDWARE;
  const hosts: HostLayout[] = [];
  const rackAt = (i: number): string => racks[i % racks.length].name;
  const disksOf = (hw: string): number => HARDWARE_PROFILES[hw]?.disks ?? 1;
  const place = (name: string, role: HostRole, id: number, i: number, rack?: string, hardware?: string, disks?: number): void => {
    const r = rack ?? rackAt(i);
    const hw = hardware ?? defaultHw;
    hosts.push({ name, role, id, rack: r, zone: zoneOf.get(r) ?? "zone-1", hardware: hw, disks: disks ?? disksOf(hw) });
  };
  const zk = doc.cluster.zookeeper?.nodes ?? 1;
  const zkRacks = doc.cluster.zookeeper?.racks;
  for (let i = 0; i < zk; i++) place(`zk-${i + 1}`, "zookeeper", i + 1, i, zkRacks?.[i % zkRacks.length], doc.cluster.zookeeper?.hardware);
  const brokers: Array<{ id: number; rack?: string; hardware?: string; disks?: number }> =
    typeof doc.cluster.brokers === "number" ? Array.from({ length: doc.cluster.brokers }, (_, i) => ({ id: i + 1 })) : doc.cluster.brokers;
  brokers.forEach((b, i) => place(`broker-${b.id}`, "broker", b.id, i, b.rack, b.hardware, b.disks ?? doc.cluster.disks));
  // Clients run outside the brokers' racks, in a rack of their own in the first zone, so that
  // a rack fault hits the cluster and not the load that measures it.
  const clientZone = racks[0].zone;
  const placeClient = (name: string, role: HostRole, id: number): void => {
    hosts.push({ name, role, id, rack: CLIENT_RACK, zone: clientZone, hardware: defaultHw, disks: disksOf(defaultHw) });
  };
  (doc.producers ?? []).forEach((p, i) => placeClient(`producer-${p.id}`, "producer", i));
  for (const c of doc.consumers ?? []) for (let m = 1; m <= c.members; m++) placeClient(`consumer-${c.group}-${m}`, "consumer", m);
  return { racks, hosts };
}

/** Checks that need the whole document; each problem names the path to the field. */
export function crossCheck(doc: ScenarioDocument): Problem[] {
  const problems: Problem[] = [];
  const { racks, hosts } = buildLayout(doc);
  const rackNames = new Set(racks.map((r) => r.name));
  const hostNames = new Set(hosts.map((h) => h.name));
  const brokerCount = hosts.filter((h) => h.role === "broker").length;
  const dup = (items: string[], path: (i: number) => Path, what: string): void => {
    const seen = new Set<string>();
    items.forEach((x, i) => {
      if (seen.has(x)) problems.push({ path: path(i), message: `expected a unique ${what} (got ${JSON.stringify(x)} twice)` });
      seen.add(x);
    });
  };
  dup(racks.map((r) => r.name), (i) => ["cluster", "racks", i], "rack name");
  if (Array.isArray(doc.cluster.brokers)) {
    dup(doc.cluster.brokers.map((b) => String(b.id)), (i) => ["cluster", "brokers", i, "id"], "broker id");
    doc.cluster.brokers.forEach((b, i) => {
      if (b.rack !== undefined && !rackNames.has(b.rack)) problems.push({ path: ["cluster", "brokers", i, "rack"], message: `expected one of the cluster's racks: ${[...rackNames].join(", ")} (got ${JSON.stringify(b.rack)})` });
    });
  }
  (doc.cluster.zookeeper?.racks ?? []).forEach((r, i) => {
    if (!rackNames.has(r)) problems.push({ path: ["cluster", "zookeeper", "racks", i], message: `expected one of the cluster's racks: ${[...rackNames].join(", ")} (got ${JSON.stringify(r)})` });
  });
  problems.push(...sizeLimitProblems(doc));
  const topics = doc.topics ?? [];
  dup(topics.map((t) => t.name), (i) => ["topics", i, "name"], "topic name");
  topics.forEach((t, i) => {
    if (t["replication.factor"] > brokerCount) problems.push({ path: ["topics", i, "replication.factor"], message: `expected at most the number of brokers, ${brokerCount} (got ${t["replication.factor"]})` });
  });
  const topicNames = new Set(topics.map((t) => t.name));
  const topicRef = (name: string, path: Path): void => {
    if (!topicNames.has(name)) problems.push({ path, message: `expected a topic declared under topics (got ${JSON.stringify(name)})` });
  };
  dup((doc.producers ?? []).map((p) => p.id), (i) => ["producers", i, "id"], "producer id");
  (doc.producers ?? []).forEach((p, i) => topicRef(p.topic, ["producers", i, "topic"]));
  dup((doc.consumers ?? []).map((c) => c.group), (i) => ["consumers", i, "group"], "consumer group");
  (doc.consumers ?? []).forEach((c, i) => {
    topicRef(c.topic, ["consumers", i, "topic"]);
    if (Array.isArray(c.start) && c.start.length > c.members) problems.push({ path: ["consumers", i, "start"], message: `expected at most one start time per member, ${c.members} (got ${c.start.length})` });
    const version = doc.kafka?.version ?? DEFAULT_KAFKA_VERSION;
    if (c.staticId !== undefined && releaseNumber(version) < 203) problems.push({ path: ["consumers", i, "staticId"], message: `expected Kafka 2.3 or later for static membership (group.instance.id, KIP-345) (got ${version})` });
    if (c.staticId !== undefined && c.mode === "assign") problems.push({ path: ["consumers", i, "staticId"], message: "expected no staticId with mode: assign (no group membership)" });
    const p = c.processing;
    if (typeof p === "object" && p.distribution === "uniform" && (parseDuration(p.min) ?? 0) > (parseDuration(p.max) ?? 0)) problems.push({ path: ["consumers", i, "processing", "min"], message: `expected min <= max (got ${p.min} > ${p.max})` });
  });
  const partitionRef = (name: string): boolean => {
    const m = /^leader:(.+)-(\d+)$/.exec(name);
    return m !== null && topics.some((t) => t.name === m[1] && Number(m[2]) < t.partitions);
  };
  const groupNames = new Set((doc.consumers ?? []).filter((c) => c.mode !== "assign").map((c) => c.group));
  const targetOk = (name: string): boolean =>
    (name.startsWith("coordinator:") && groupNames.has(name.slice("coordinator:".length))) ||
    hostNames.has(name) || (name.startsWith("rack-") && rackNames.has(name.slice(5))) || rackNames.has(name) || name === "controller" || partitionRef(name.replace(/^(replicas|followers):/, "leader:"));
  const checkTargets = (value: unknown, path: Path): void => {
    if (typeof value === "string") {
      if (!targetOk(value)) problems.push({ path, message: `expected a node (${describeNodes(hosts)}), a rack (rack-<name>), controller, leader:<topic>-<partition>, replicas:<topic>-<partition>, followers:<topic>-<partition> or coordinator:<group> (got ${JSON.stringify(value)})` });
    } else if (Array.isArray(value)) value.forEach((v, j) => checkTargets(v, [...path, j]));
  };
  /** A `disk` index must exist on every host the fault can hit (for controller/leader:... targets, on every broker). */
  const checkDiskIndex = (disk: number, value: string | string[] | undefined, path: Path): void => {
    const names = value === undefined ? [] : typeof value === "string" ? [value] : value;
    for (const name of names) {
      const rack = name.startsWith("rack-") && !rackNames.has(name) ? name.slice(5) : name;
      const dynamic = name === "controller" || /^(leader|replicas|followers):/.test(name);
      const hit = hosts.filter((h) => h.name === name || h.rack === rack || (dynamic && h.role === "broker"));
      const short = hit.find((h) => h.disks <= disk);
      if (short !== undefined) problems.push({ path, message: `expected a disk index below ${short.disks}, the number of disks of ${short.name} (got ${disk})` });
    }
  };
  (doc.faults ?? []).forEach((f, i) => {
    for (const verb of FAULT_VERBS) {
      const v = f[verb];
      if (v === undefined || verb === "heal") continue;
      if (verb === "partition" && v !== null && typeof v === "object" && !Array.isArray(v)) {
        const ow = v as { from: string[]; to: string[] };
        checkTargets(ow.from, ["faults", i, "partition", "from"]);
        checkTargets(ow.to, ["faults", i, "partition", "to"]);
      } else if ((verb === "latency" || verb === "loss") && typeof v === "object" && v !== null && "between" in v) {
        checkTargets((v as { between?: string[][] }).between, ["faults", i, verb, "between"]);
      } else if (verb !== "latency" && verb !== "loss") {
        checkTargets(v, ["faults", i, verb]);
      }
    }
    if (f.disk !== undefined) checkDiskIndex(f.disk, f.failDisk ?? f.fullDisk ?? f.slowDisk, ["faults", i, "disk"]);
    const at = parseDuration(f.at) ?? 0;
    if (at > (parseDuration(doc.duration) ?? 0)) problems.push({ path: ["faults", i, "at"], message: `expected a time within the scenario's duration, ${doc.duration} (got ${f.at})` });
  });
  for (const key of Object.keys(doc.expect ?? {})) {
    const perGroup = groupMetricName(key);
    if (perGroup !== null) {
      if (!(doc.consumers ?? []).some((c) => c.group === perGroup.group)) problems.push({ path: ["expect", key], message: `expected a consumer group of the scenario (got ${JSON.stringify(perGroup.group)})` });
    } else if (!KNOWN_METRICS.includes(key)) problems.push({ path: ["expect", key], message: `expected a metric name: ${KNOWN_METRICS.join(", ")}, or group.<group>.<${GROUP_METRICS.join(" | ")}>` });
  }
  problems.push(...checkKafkaConfigs(doc, (doc.kafka?.version ?? DEFAULT_KAFKA_VERSION) as KafkaVersion));
  return problems;
}

function describeNodes(hosts: HostLayout[]): string {
  const names = hosts.map((h) => h.name);
  return names.length <= 8 ? names.join(", ") : `${names.slice(0, 8).join(", ")}, ...`;
}

/** Builds the model; call only on a document that validated and cross-checked cleanly. */
export function toScenario(doc: ScenarioDocument): Scenario {
  const { racks, hosts } = buildLayout(doc);
  const faults: FaultModel[] = (doc.faults ?? []).map((f, index) => {
    const verb = FAULT_VERBS.find((v) => f[v] !== undefined) as FaultVerb;
    return { atUs: parseDuration(f.at) as number, forUs: f.for === undefined ? null : (parseDuration(f.for) as number), verb, doc: f, index };
  });
  // Stable by time then file order, so simultaneous faults apply as written.
  faults.sort((a, b) => a.atUs - b.atUs || a.index - b.index);
  return {
    doc,
    name: doc.name,
    kafkaVersion: doc.kafka?.version ?? DEFAULT_KAFKA_VERSION,
    durationUs: parseDuration(doc.duration) as number,
    settleUs: doc.settle === undefined ? DEFAULT_SETTLE_US : (parseDuration(doc.settle) as number),
    hosts,
    racks,
    faults,
  };
}

/**
 * Limits that keep an accepted scenario's run bounded in time and memory (README, "Limits"):
 * simulated time, records produced (what costs memory and CPU), per-producer key counts, and the
 * cluster's size. The cluster limits come from the fuzzer (scripts/fuzz.ts, issue 9): documents
 * the schema accepted that took minutes or gigabytes for a few simulated seconds.
 */
export const LIMITS = {
  durationUs: 24 * 3_600_000_000,
  settleUs: 24 * 3_600_000_000,
  ratePerSec: 10_000_000,
  keys: 1_000_000,
  /**
   * Records over the whole run (open-loop rate × duration; a closed loop counts 1,000,000/s, about
   * what one send() thread does). Without retention a run keeps ~18 bytes of live heap a record
   * (the reference's 6 million: 108 MB after the run, 250 MB peak RSS, with column-wise histories),
   * so 100 million stay within a few GB. Retention (LogRetention.ts) frees the batches of deleted
   * segments, but not the history the checkers keep per acknowledged batch (a few bytes a record),
   * so the bound is still on records produced.
   */
  records: 100_000_000,
  /** Keys over all producers: each producer hashes its keys up front (~4 s of wall time a million). */
  keysTotal: 1_000_000,
  /** Brokers in the list form, as the schema bounds the number form. */
  brokers: 1_000,
  /** Hosts: brokers, ZooKeeper servers, producers and consumer members (each has a NIC, disks, a page cache). */
  hosts: 2_000,
  /**
   * Partition replicas over all topics (partitions × replication.factor): a fetch and its answer
   * cost per partition, so the replicas set what every fetch costs. 10,000 on 3 brokers takes ~10 s
   * of wall time per simulated second under load; 30,000 (1,000 brokers at RF 1,000) took 1.3 GB and
   * 45 s for 3 simulated seconds.
   */
  replicas: 10_000,
  /**
   * A producer's rate × its topic's partitions, summed over producers: the producer's sender looks
   * at every partition of its topic each time it wakes (as RecordAccumulator.ready does), and spread
   * over many partitions the records no longer share batches. 1,000 partitions at 10,000/s
   * (10 million a second) runs ~10 s of wall time per simulated second under load; `rate: max` on
   * 1,000 partitions took 80 s for 3 simulated seconds.
   */
  recordPartitionsPerSec: 10_000_000,
  /**
   * The same over the whole run (records × their topic's partitions): minutes of wall time at most.
   * The growth table's 192-partition row (10,000/s for 10 minutes, 1.15e9) took 34 s of CPU on a
   * loaded 2-core machine once the producer stopped passing over every partition per wake.
   */
  recordPartitions: 2_000_000_000,
  /**
   * num.network.threads and num.io.threads (Kafka: at least 1, no maximum): each is an array the
   * broker scans per request; 1,000,000 made a 5 s run take 47 s, 2^31 - 1 runs out of memory.
   */
  requestThreads: 1_000,
  /**
   * Log segments over the run, all replicas: bytes produced (messageBytes + 10 a record) ×
   * replication.factor / log.segment.bytes. Each is a file in the simulated page cache and a flush
   * walks its log's segments (so the cost grows with their square): log.segment.bytes 14 (Kafka's
   * minimum) made max-throughput's 5 s take 187 s of wall time, and ~75,000 segments in 3 s took 16 s.
   * Retention deleting segments lowers how many are alive at once (and the flush's walk), but each
   * one still costs its roll, file and flush when created, so every segment of the run counts.
   */
  segments: 10_000,
  /**
   * max.in.flight.requests.per.connection (Kafka: at least 1, no maximum): the producer looks at
   * every batch in flight each time it wakes; ~90,000 made 3 simulated seconds take 20 to 33 s.
   */
  maxInFlight: 100,
};
const CLOSED_LOOP_RATE = 1_000_000;
/** Kafka's log.segment.bytes default in every release (1 GiB). */
const DEFAULT_SEGMENT_BYTES = 1_073_741_824;

export function sizeLimitProblems(doc: ScenarioDocument): Problem[] {
  const problems: Problem[] = [];
  const fmt = (n: number): string => n.toLocaleString("en-US");
  const durationUs = parseDuration(doc.duration) ?? 0;
  if (durationUs > LIMITS.durationUs) problems.push({ path: ["duration"], message: `expected at most 24h (got ${doc.duration})` });
  if (doc.settle !== undefined && (parseDuration(doc.settle) ?? 0) > LIMITS.settleUs) problems.push({ path: ["settle"], message: `expected at most 24h (got ${doc.settle})` });
  const seconds = Math.min(durationUs, LIMITS.durationUs) / 1e6;
  const partitionsOf = new Map((doc.topics ?? []).map((t) => [t.name, t.partitions]));
  let records = 0;
  let keys = 0;
  let recordPartitionsPerSec = 0;
  let busiest = { index: -1, perSec: 0 };
  (doc.producers ?? []).forEach((p, i) => {
    const inFlight = Number(p.config?.["max.in.flight.requests.per.connection"]);
    if (inFlight > LIMITS.maxInFlight) problems.push({ path: ["producers", i, "config", "max.in.flight.requests.per.connection"], message: `expected at most ${fmt(LIMITS.maxInFlight)} (the simulator's bound; got ${fmt(inFlight)})` });
    const rate = p.rate === "max" ? CLOSED_LOOP_RATE : rateOf(p.rate);
    if (p.rate !== "max" && rate > LIMITS.ratePerSec) problems.push({ path: ["producers", i, "rate"], message: `expected at most ${fmt(LIMITS.ratePerSec)}/s (got ${p.rate})` });
    if (p.keys !== undefined && p.keys > LIMITS.keys) problems.push({ path: ["producers", i, "keys"], message: `expected at most ${fmt(LIMITS.keys)} keys (got ${fmt(p.keys)})` });
    records += Math.min(rate, LIMITS.ratePerSec) * seconds;
    keys += Math.min(p.keys ?? 0, LIMITS.keys);
    const perSec = Math.min(rate, LIMITS.ratePerSec) * (partitionsOf.get(p.topic) ?? 0);
    recordPartitionsPerSec += perSec;
    if (perSec > busiest.perSec) busiest = { index: i, perSec };
  });
  if (records > LIMITS.records) {
    problems.push({ path: ["duration"], message: `expected at most ${fmt(LIMITS.records)} records over the run (rate × duration; rate: max counts ${fmt(CLOSED_LOOP_RATE)}/s), got about ${fmt(Math.round(records))}: shorten the duration or lower the rates` });
  }
  if (keys > LIMITS.keysTotal) problems.push({ path: ["producers"], message: `expected at most ${fmt(LIMITS.keysTotal)} keys over all producers (got ${fmt(keys)})` });
  if (recordPartitionsPerSec > LIMITS.recordPartitionsPerSec) {
    problems.push({
      path: ["producers", busiest.index, "rate"],
      message: `expected at most ${fmt(LIMITS.recordPartitionsPerSec)} records × partitions a second over all producers (each producer's rate × its topic's partitions; rate: max counts ${fmt(CLOSED_LOOP_RATE)}/s), got about ${fmt(Math.round(recordPartitionsPerSec))}: lower the rates or use fewer partitions`,
    });
  } else if (recordPartitionsPerSec * seconds > LIMITS.recordPartitions) {
    problems.push({
      path: ["duration"],
      message: `expected at most ${fmt(LIMITS.recordPartitions)} records × partitions over the run (each producer's rate × its topic's partitions × duration), got about ${fmt(Math.round(recordPartitionsPerSec * seconds))}: shorten the duration, lower the rates or use fewer partitions`,
    });
  }
  const brokers = typeof doc.cluster.brokers === "number" ? doc.cluster.brokers : doc.cluster.brokers.length;
  if (brokers > LIMITS.brokers) problems.push({ path: ["cluster", "brokers"], message: `expected at most ${fmt(LIMITS.brokers)} brokers (got ${fmt(brokers)})` });
  const members = (doc.consumers ?? []).reduce((n, c) => n + c.members, 0);
  const hosts = brokers + (doc.cluster.zookeeper?.nodes ?? 1) + (doc.producers ?? []).length + members;
  if (hosts > LIMITS.hosts) {
    problems.push({ path: members > 0 ? ["consumers"] : ["producers"], message: `expected at most ${fmt(LIMITS.hosts)} hosts: brokers, ZooKeeper nodes, producers and consumer members (got ${fmt(hosts)})` });
  }
  // With consumers, __consumer_offsets (offsets.topic.num.partitions × its replication factor) counts too.
  const offsetsReplicas = (doc.consumers ?? []).length === 0 ? 0 : Number(doc.cluster.config?.["offsets.topic.num.partitions"] ?? 50) * Math.min(Number(doc.cluster.config?.["offsets.topic.replication.factor"] ?? 3), brokers);
  const replicas = (doc.topics ?? []).reduce((n, t) => n + t.partitions * t["replication.factor"], 0) + (Number.isFinite(offsetsReplicas) ? offsetsReplicas : Infinity);
  if (replicas > LIMITS.replicas) problems.push({ path: ["topics"], message: `expected at most ${fmt(LIMITS.replicas)} partition replicas over all topics (partitions × replication.factor), got ${fmt(replicas)}${offsetsReplicas > 0 ? `, of which __consumer_offsets ${fmt(offsetsReplicas)}` : ""}` });
  for (const key of ["num.network.threads", "num.io.threads"]) {
    const threads = Number(doc.cluster.config?.[key]);
    if (threads > LIMITS.requestThreads) problems.push({ path: ["cluster", "config", key], message: `expected at most ${fmt(LIMITS.requestThreads)} (the simulator's bound; got ${fmt(threads)})` });
  }
  // Segments: per topic, the bytes its producers write, on every replica, over its segment size.
  let segments = 0;
  let segmentPath: Path = ["duration"];
  let mostSegments = 0;
  (doc.topics ?? []).forEach((t, i) => {
    const fromTopic = t.config?.["log.segment.bytes"];
    const segmentBytes = Number(fromTopic ?? doc.cluster.config?.["log.segment.bytes"] ?? DEFAULT_SEGMENT_BYTES);
    if (!(segmentBytes > 0)) return;
    const bytesPerSec = (doc.producers ?? []).filter((p) => p.topic === t.name).reduce((n, p) => n + Math.min(p.rate === "max" ? CLOSED_LOOP_RATE : rateOf(p.rate), LIMITS.ratePerSec) * (p.messageBytes + 10), 0);
    const n = (bytesPerSec * seconds * t["replication.factor"]) / segmentBytes;
    segments += n;
    if (n > mostSegments) {
      mostSegments = n;
      segmentPath = fromTopic !== undefined ? ["topics", i, "config", "log.segment.bytes"] : doc.cluster.config?.["log.segment.bytes"] !== undefined ? ["cluster", "config", "log.segment.bytes"] : ["duration"];
    }
  });
  if (segments > LIMITS.segments) {
    problems.push({ path: segmentPath, message: `expected at most ${fmt(LIMITS.segments)} log segments over the run (bytes produced × replication.factor / log.segment.bytes), got about ${fmt(Math.round(segments))}: raise log.segment.bytes, shorten the duration or lower the rates` });
  }
  return problems;
}

export function rateOf(text: string): number {
  return parseRate(text) as number;
}
