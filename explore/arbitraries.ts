/**
 * fast-check arbitraries for property-based exploration (issue 13): fault schedules, written as
 * the scenario file's `faults:` entries, and the Kafka configs that decide durability, written as
 * `--set` overrides. A failing run's schedule shrinks to the smallest one that still fails and is
 * saved as an ordinary scenario file.
 *
 * Shrinking is designed in, not left to chance. fast-check shrinks an array by removing items, an
 * integer toward its minimum (or toward 0 when 0 is in range), `constantFrom` toward its first
 * value, and a `oneof` with cross-shrinking toward its first arbitrary. So: faults shrink to fewer;
 * `at` toward the earliest sensible time (the cluster is up), in whole seconds; `for` toward short
 * (a crash toward the ZooKeeper session, the shortest outage a broker comes back from); targets
 * toward `leader:<first topic>-0`, then named brokers, then `controller`, `followers:`, racks; and
 * kinds toward `crash`. Configs shrink toward the scenario's own values.
 *
 * Schedules are drawn as TigerBeetle's simulator draws its swarm options: first which fault kinds
 * this schedule may use (a non-empty subset of the budget's), then the faults, so that some
 * schedules are all crashes and others all partitions rather than every schedule a thin mix.
 *
 * A budget with healBy gets only faults that end by themselves by then (explore/healBy.ts): every
 * one has a `for`, `at + for` within healBy, a crash or power loss outlasts the ZooKeeper session,
 * and no stop, restart, failDisk or fullDisk; withinBudget drops the faults that would keep a
 * broker from starting again (ZooKeeper without quorum during its outage, a cut from ZooKeeper as
 * it starts).
 *
 * We leave out, for now: faults on producers other than network cuts, `disk` indexes, `powerOn` and
 * `heal` (the end of `for` and the end-of-run heal repair everything), and partitions of more than
 * two groups.
 */
import fc from "fast-check";
import type { FaultDocument } from "../scenarios/schema.js";
import { parseDuration } from "../scenarios/units.js";
import { brokersCutOff, budgetAllows, formatMs, RESTART_MARGIN_MS, targetWeight, type FaultBudget, type FaultKind, type TargetWeight } from "./budget.js";

import type { ClusterShape } from "./clusterShape.js";

export { formatMs, RESTART_MARGIN_MS };

/** No fault before this (the brokers are registered and the leaders elected), or before a quarter of a short run. */
export const EARLIEST_FAULT_MS = 5_000;
/** The shortest `for`, and how long before the end of the run every fault is over. */
export const MIN_FOR_MS = 1_000;
export const END_MARGIN_MS = 1_000;
// A crash or power loss lasts at least the ZooKeeper session and RESTART_MARGIN_MS (budget.ts), so that the broker can start again.

interface Timing {
  earliestMs: number;
  latestAtMs: number;
  /** 0 for faults without `for`. */
  minForMs: number;
  lastEndMs: number;
}

type ForRule = "none" | "required" | "optional";

const FOR_RULE: Record<FaultKind, ForRule> = {
  crash: "optional",
  stop: "optional",
  pause: "required",
  powerOff: "optional",
  restart: "none",
  expireSession: "none",
  partition: "optional",
  oneWayPartition: "optional",
  latency: "required",
  loss: "required",
  slowDisk: "required",
  failDisk: "none",
  fullDisk: "none",
};

/** Kinds that never end by themselves (healBy.ts, healsByItself): none of them under healBy. */
const LASTING: readonly FaultKind[] = ["stop", "restart", "failDisk", "fullDisk"];

/** The `for` rule under the budget: with healBy every fault that can have a `for` must (else it lasts to the end). */
function forRuleOf(kind: FaultKind, budget: FaultBudget): ForRule {
  return budget.healByMs !== undefined && FOR_RULE[kind] === "optional" ? "required" : FOR_RULE[kind];
}

function timingOf(kind: FaultKind, cluster: ClusterShape, budget: FaultBudget): Timing | null {
  if (budget.healByMs !== undefined && LASTING.includes(kind)) return null;
  const earliestMs = Math.min(EARLIEST_FAULT_MS, Math.floor(cluster.durationMs / 4000) * 1000);
  // With healBy every fault is over by then, so at and for are drawn to fit (and still shrink toward early and short).
  const lastEndMs = Math.min(cluster.durationMs - END_MARGIN_MS, budget.healByMs ?? Infinity);
  const minForMs = FOR_RULE[kind] === "none" ? 0 : kind === "crash" || kind === "powerOff" ? cluster.zkSessionTimeoutMs + RESTART_MARGIN_MS : MIN_FOR_MS;
  const latestAtMs = lastEndMs - minForMs;
  return latestAtMs < earliestMs ? null : { earliestMs, latestAtMs, minForMs, lastEndMs };
}

/**
 * Milliseconds in [lo, hi], mostly whole seconds: whole seconds shrinking toward lo, plus 0 ms
 * three times in four (the shrink target), else 1 to 999 ms.
 */
function msArb(lo: number, hi: number): fc.Arbitrary<number> {
  const sLo = Math.ceil(lo / 1000);
  const sHi = Math.floor(hi / 1000);
  if (sLo > sHi) return fc.integer({ min: lo, max: hi });
  const sub = fc.oneof({ withCrossShrink: true }, { arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 999 }), weight: 1 });
  return fc.tuple(fc.integer({ min: sLo, max: sHi }), sub).map(([s, ms]) => Math.min(s * 1000 + ms, hi));
}

/** `at` and `for` (null: none, until the end of the run), `at + for` within the run's end margin. */
function whenArb(t: Timing, rule: ForRule): fc.Arbitrary<{ atMs: number; forMs: number | null }> {
  const at = msArb(t.earliestMs, t.latestAtMs);
  if (rule === "none") return at.map((atMs) => ({ atMs, forMs: null }));
  const finite = msArb(t.minForMs, t.lastEndMs - t.earliestMs);
  const forArb: fc.Arbitrary<number | null> =
    rule === "required" ? finite : fc.oneof({ withCrossShrink: true }, { arbitrary: finite, weight: 4 }, { arbitrary: fc.constant(null), weight: 1 });
  return fc.tuple(at, forArb).map(([atMs, forMs]) => ({ atMs, forMs: forMs === null ? null : Math.min(forMs, t.lastEndMs - atMs) }));
}

interface Target {
  value: string | string[];
  weight: TargetWeight;
}

/** Hosts a process, power or disk fault may name, simplest first; each once. */
function processTargets(cluster: ClusterShape): Target[] {
  const values: Array<string | string[]> = [];
  const first = cluster.topics[0];
  if (first !== undefined) values.push(`leader:${first.name}-0`);
  values.push(...cluster.brokers);
  for (const t of cluster.topics) for (let p = 0; p < Math.min(t.partitions, 3); p++) values.push(`leader:${t.name}-${p}`);
  values.push("controller");
  for (const g of cluster.groups) values.push(`coordinator:${g}`);
  for (const t of cluster.topics) if (t.rf >= 2) values.push(`followers:${t.name}-0`);
  for (const t of cluster.topics) if (t.rf >= 2) values.push(`replicas:${t.name}-0`);
  if (cluster.brokers.length >= 2) values.push(cluster.brokers.slice(0, 2));
  for (const r of cluster.racks) if (Object.values(cluster.rackOf).includes(r)) values.push(`rack-${r}`);
  values.push(...cluster.zookeepers);
  // Consumer processes last: a member killed mid-batch is how commit strategies lose or repeat records.
  values.push(...cluster.clients.filter((c) => c.startsWith("consumer-")));
  const seen = new Set<string>();
  return values
    .filter((v) => {
      const key = JSON.stringify(v);
      return !seen.has(key) && (seen.add(key), true);
    })
    .map((value) => ({ value, weight: targetWeight(value, cluster) }));
}

interface Cut {
  groups: [string[], string[]];
  /** Brokers the cut takes from the cluster (budget.ts, brokersCutOff). */
  cut: number;
}

/** Two-sided network cuts, simplest first: a leader from its followers, a broker from the others, a client from a leader, ... */
function networkCuts(cluster: ClusterShape): Cut[] {
  const out: Array<[string[], string[]]> = [];
  const first = cluster.topics[0];
  const leader = first === undefined ? null : `leader:${first.name}-0`;
  if (first !== undefined && first.rf >= 2) out.push([[leader!], [`followers:${first.name}-0`]]);
  if (cluster.brokers.length >= 2) for (const b of cluster.brokers) out.push([[b], cluster.brokers.filter((o) => o !== b)]);
  const client = cluster.clients[0];
  if (client !== undefined && leader !== null) out.push([[client], [leader]]);
  if (cluster.zookeepers.length > 0) {
    if (leader !== null) out.push([[leader], cluster.zookeepers]);
    out.push([["controller"], cluster.zookeepers]);
  }
  const racks = cluster.racks.filter((r) => Object.values(cluster.rackOf).includes(r));
  if (racks.length >= 2) for (const r of racks) out.push([[`rack-${r}`], racks.filter((o) => o !== r).map((o) => `rack-${o}`)]);
  if (client !== undefined && cluster.brokers.length > 0) out.push([[client], cluster.brokers]);
  return out.map((groups) => ({ groups, cut: brokersCutOff(groups, cluster) }));
}

/** The targets of a kind within the budget, simplest first; empty when it has none. */
function targetsOf(kind: FaultKind, cluster: ClusterShape, budget: FaultBudget): Target[] {
  const all = processTargets(cluster);
  const downOk = (t: Target): boolean => t.weight.brokers <= budget.maxBrokersDown;
  switch (kind) {
    case "crash":
    case "stop":
    case "pause":
    case "restart":
      return all.filter(downOk);
    case "powerOff":
      if (budget.power === "none") return [];
      return all.filter((t) => downOk(t) && (budget.power === "correlated" || t.weight.hosts === 1));
    case "expireSession":
      // Only brokers hold sessions that matter; a rack or list would be several at once.
      return all.filter((t) => downOk(t) && typeof t.value === "string" && t.weight.brokers === 1 && !t.value.startsWith("rack-"));
    case "failDisk":
    case "fullDisk":
      return all.filter((t) => downOk(t) && t.weight.brokers >= 1 && t.weight.brokers === t.weight.hosts);
    case "slowDisk":
      return all;
    default:
      return [];
  }
}

function doc(verb: string, value: unknown, when: { atMs: number; forMs: number | null }, extra: Record<string, unknown> = {}): FaultDocument {
  // Key order as the built-in scenarios write it: { at, verb, for }.
  const f: Record<string, unknown> = { at: formatMs(when.atMs), [verb]: value, ...extra };
  if (when.forMs !== null) f.for = formatMs(when.forMs);
  return f as FaultDocument;
}

/** One fault of this kind within the budget, or null when the cluster or budget leaves it none. */
export function kindArb(kind: FaultKind, cluster: ClusterShape, budget: FaultBudget): fc.Arbitrary<FaultDocument> | null {
  const timing = timingOf(kind, cluster, budget);
  if (timing === null) return null;
  const when = whenArb(timing, forRuleOf(kind, budget));
  switch (kind) {
    case "partition":
    case "oneWayPartition": {
      const cuts = networkCuts(cluster).filter((c) => c.cut <= budget.maxBrokersDown);
      if (cuts.length === 0) return null;
      const shapes =
        kind === "partition" ? cuts.map((c) => c.groups) : cuts.flatMap((c) => [{ from: c.groups[0], to: c.groups[1] }, { from: c.groups[1], to: c.groups[0] }]);
      return fc.tuple(fc.constantFrom(...shapes), when).map(([p, w]) => doc("partition", p, w));
    }
    case "latency":
    case "loss": {
      // Between everything first (the shortest text), then the cuts; neither takes a broker down.
      const between = fc.constantFrom<Array<[string[], string[]] | null>>(null, ...networkCuts(cluster).map((c) => c.groups));
      const spec =
        kind === "latency"
          ? fc.tuple(between, fc.integer({ min: 1, max: 500 }), fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined })).map(([b, add, jitter]) => ({
              ...(b === null ? {} : { between: b }),
              add: `${add}ms`,
              ...(jitter === undefined ? {} : { jitter: `${jitter}ms` }),
            }))
          : fc.tuple(between, fc.integer({ min: 1, max: 50 })).map(([b, percent]) => ({ ...(b === null ? {} : { between: b }), probability: percent / 100 }));
      return fc.tuple(spec, when).map(([s, w]) => doc(kind, s, w));
    }
    default: {
      const targets = targetsOf(kind, cluster, budget);
      if (targets.length === 0) return null;
      const target = fc.constantFrom(...targets.map((t) => t.value));
      if (kind === "slowDisk") {
        const factor = fc.option(fc.integer({ min: 2, max: 100 }), { nil: undefined });
        return fc.tuple(target, when, factor).map(([v, w, x]) => doc(kind, v, w, x === undefined ? {} : { factor: x }));
      }
      return fc.tuple(target, when).map(([v, w]) => doc(kind, v, w));
    }
  }
}

/** The kinds of the budget this cluster can have a fault of (a cluster without topics has no leader:, ...). */
export function usableKinds(cluster: ClusterShape, budget: FaultBudget): FaultKind[] {
  return budget.kinds.filter((k) => kindArb(k, cluster, budget) !== null);
}

/**
 * One fault of one of `kinds` (default: the budget's), as the scenario file's entry, e.g.
 * `{ at: "20s", crash: "leader:orders-0", for: "20s" }`. Alone, it keeps to the budget.
 */
export function faultArb(cluster: ClusterShape, budget: FaultBudget, kinds: readonly FaultKind[] = budget.kinds): fc.Arbitrary<FaultDocument> {
  const arbs = kinds.map((k) => kindArb(k, cluster, budget)).filter((a): a is fc.Arbitrary<FaultDocument> => a !== null);
  if (arbs.length === 0) throw new Error(`no fault of the kinds ${kinds.join(", ")} fits this cluster within the budget`);
  return fc.oneof({ withCrossShrink: true }, ...arbs);
}

/** By `at`, then by position: a total order (no reliance on sort stability). */
function byTime(faults: readonly FaultDocument[]): FaultDocument[] {
  return faults
    .map((f, i) => ({ f, i, atUs: parseDuration(f.at) ?? 0 }))
    .sort((a, b) => a.atUs - b.atUs || a.i - b.i)
    .map((x) => x.f);
}

/** Keeps, in time order, each fault that the budget still allows next to those kept before it. */
export function withinBudget(faults: readonly FaultDocument[], budget: FaultBudget, cluster: ClusterShape): FaultDocument[] {
  const kept: FaultDocument[] = [];
  for (const f of byTime(faults)) if (budgetAllows([...kept, f], budget, cluster) === null) kept.push(f);
  return kept;
}

/** How often a schedule has no faults at all (a baseline run), out of 20. */
const EMPTY_WEIGHT = 1;

/**
 * A schedule: the fault kinds enabled for it (a non-empty subset of the budget's, swarm testing),
 * then 1 to maxFaults faults of those kinds, in time order, dropping any that would break the
 * budget together with those before it; or, one time in 20, no faults (also the first thing a
 * shrink tries). Every schedule satisfies budgetAllows.
 */
export function faultScheduleArb(cluster: ClusterShape, budget: FaultBudget): fc.Arbitrary<FaultDocument[]> {
  const kinds = usableKinds(cluster, budget);
  if (kinds.length === 0 || budget.maxFaults === 0) return fc.constant([]);
  const some = fc
    .subarray(kinds, { minLength: 1 })
    .chain((enabled) => fc.array(faultArb(cluster, budget, enabled), { minLength: 1, maxLength: budget.maxFaults }).map((faults) => withinBudget(faults, budget, cluster)));
  return fc.oneof({ withCrossShrink: true }, { arbitrary: fc.constant<FaultDocument[]>([]), weight: EMPTY_WEIGHT }, { arbitrary: some, weight: 20 - EMPTY_WEIGHT });
}

/** An integer in [min, max] that shrinks toward `start` (clamped into the range). */
export function around(start: number, min: number, max: number): fc.Arbitrary<number> {
  const s = Math.min(Math.max(start, min), max);
  return fc.integer({ min: min - s, max: max - s }).map((d) => s + d);
}

/**
 * Durability configs as `--set` overrides (`producer.acks=1`, `topic.min.insync.replicas=1`, ...),
 * each value shrinking toward the scenario's own, and only those that differ from it: a shrunk
 * config is the empty list. producer.acks and producer.enable.idempotence go together (Kafka
 * refuses idempotence without acks=all, and an unset acks follows idempotence in some releases).
 */
export function configArb(cluster: ClusterShape): fc.Arbitrary<string[]> {
  const c = cluster.config;
  const p = c.producer;
  const producer: fc.Arbitrary<string[]> =
    p === null
      ? fc.constant([])
      : fc
          .tuple(
            fc.constantFrom(...orderedFrom(p.acks, ["all", "1", "0"] as const)),
            p.idempotence === null ? fc.constant(null) : fc.constantFrom(p.idempotence, !p.idempotence),
            around(p.lingerMs, 0, 50),
          )
          .map(([acks, idem, linger]) => {
            // Kafka refuses idempotence with acks other than all, or with retries=0.
            const idempotence = idem === true && (acks !== "all" || p.retries === 0) ? false : idem;
            const out: string[] = [];
            if (acks !== p.acks || (idempotence !== null && idempotence !== p.idempotence)) {
              out.push(`producer.acks=${acks}`);
              if (idempotence !== null) out.push(`producer.enable.idempotence=${idempotence}`);
            }
            if (linger !== p.lingerMs) out.push(`producer.linger.ms=${linger}`);
            return out;
          });
  const minRf = Math.min(...cluster.topics.map((t) => t.rf));
  const topic: fc.Arbitrary<string[]> =
    c.topic === null
      ? fc.constant([])
      : around(c.topic.minInsyncReplicas, 1, minRf).map((n) => (n === c.topic!.minInsyncReplicas ? [] : [`topic.min.insync.replicas=${n}`]));
  const b = c.broker;
  const broker = fc.tuple(fc.constantFrom(b.uncleanLeaderElection, !b.uncleanLeaderElection), around(b.replicaLagTimeMaxMs, 1000, 30_000)).map(([unclean, lag]) => [
    ...(unclean === b.uncleanLeaderElection ? [] : [`broker.unclean.leader.election.enable=${unclean}`]),
    ...(lag === b.replicaLagTimeMaxMs ? [] : [`broker.replica.lag.time.max.ms=${lag}`]),
  ]);
  return fc.tuple(producer, topic, broker).map(([a, t, k]) => [...a, ...t, ...k]);
}

/** The values with `first` first (constantFrom shrinks toward its first value). */
function orderedFrom<T>(first: T, values: readonly T[]): T[] {
  return [first, ...values.filter((v) => v !== first)];
}
