/**
 * Recovery after the faults heal (issue 13, recoversAfterFaultsHeal), read from the history once
 * the run is over:
 * - healedAtMs: when the last fault ended. A fault ends when its `for` runs out; one without
 *   `for` lasts to the end of the duration, when everything is healed (failDisk and fullDisk
 *   too); a session expiry, a restart, powerOn and heal are instants. 0 without faults.
 * - recoveryMs: from then until every partition (of the scenario's topics, and of
 *   __consumer_offsets when the groups made it) was led by a broker that is up, that had taken
 *   the leadership after it last started, with every replica up and in the ISR, and stayed so to
 *   the end of the run (a leader moved between full ISRs, a preferred leader election, keeps it
 *   so); 0 when all already were. Unmeasured, naming the partitions and why, when one is
 *   not so at the end. A broker started again before its old ZooKeeper session expired fails its
 *   start-up and is back only at the end-of-duration heal: that shows here as a long recovery,
 *   since its fault's `for` ran out long before.
 * - ackedAfterHeal: records acknowledged at or after the heal (the settle period's included);
 *   producersIdleAfterHeal: producers with none.
 * - consumerLagAtEnd: the largest lag of any group read at the end of the run: over the group's
 *   partitions, the live leader's high watermark minus the committed offset (0 when none, as
 *   scenarios/consumers.ts readGroupLag counts it). consumerLag.final
 *   is the last per-second sample taken while the group had a coordinator, which may be older;
 *   this one is unmeasured when a group has no live coordinator at the end, or one of its
 *   partitions no live leader.
 * The partition states are ZooKeeper's (what the controller and leaders wrote), up and down
 * times are the broker processes', leaderships the LeaderAndIsr requests each broker applied.
 */
import type { World } from "../scenarios/world.js";
import type { Scenario } from "../scenarios/model.js";
import type { KafkaHistory, StateChange } from "../sim/nodes/kafka/History.js";
import { CONSUMER_OFFSETS } from "../sim/nodes/kafka/common/protocol.js";
import { readGroupLag } from "../scenarios/consumers.js";

export interface RecoveryMetrics {
  healedAtMs: number;
  recoveryMs: number | null;
  ackedAfterHeal: number | null;
  producersIdleAfterHeal: number | null;
  consumerLagAtEnd: number | null;
  /** What the figures above were read from. */
  recovery: {
    /** The partition that recovered last and when (ms into the run); null when one did not, or there are none. */
    lastRecovered: { partition: string; atMs: number } | null;
    notRecovered: Array<{ partition: string; why: string }>;
    idleProducers: string[];
    /** Each group's lag at the end, null when it could not be read. */
    lagAtEnd: Record<string, number | null>;
  };
}

const ms = (us: number): number => Math.round(us) / 1000;

/** When the last fault of the scenario ended, in µs (see the file comment). */
export function healedAtUs(scenario: Scenario): number {
  let healed = 0;
  for (const f of scenario.faults) {
    const instant = f.verb === "expireSession" || f.verb === "restart" || f.verb === "powerOn" || f.verb === "heal";
    const lasting = f.forUs === null || f.verb === "failDisk" || f.verb === "fullDisk";
    const end = instant ? f.atUs : lasting ? scenario.durationUs : f.atUs + (f.forUs ?? 0);
    healed = Math.max(healed, Math.min(end, scenario.durationUs));
  }
  return healed;
}

/**
 * Since when a partition has been led by a broker that is up and leads it, with every replica in
 * the ISR, to the end of the run; or why it is not so at the end. The stretch may hold leader
 * moves between full ISRs (a preferred leader election): those are graceful, not a recovery.
 */
export function partitionRecoveredAt(h: KafkaHistory, key: string, replicas: readonly number[]): { atUs: number } | { why: string } {
  const states = h.states.get(key) ?? [];
  const last = states[states.length - 1];
  if (last === undefined) return { why: "no leader was ever elected" };
  if (last.leader < 0) return { why: `no leader at the end (ISR [${last.isr.join(",")}])` };
  const full = (s: StateChange): boolean => s.leader >= 0 && replicas.length > 0 && replicas.every((r) => s.isr.includes(r));
  if (!full(last)) return { why: `ISR [${last.isr.join(",")}] of replicas [${replicas.join(",")}] at the end` };
  /** When a broker last came up (0: up from the start), or null when it is down at the end. */
  const upSince = (broker: number): number | null => {
    const downs = h.brokerDown.get(broker) ?? [];
    const lastDown = downs[downs.length - 1];
    return lastDown === undefined ? 0 : lastDown[1] === Infinity ? null : lastDown[1];
  };
  // A replica down while ZooKeeper still lists it in the ISR: nobody could update the state.
  for (const r of replicas) if (upSince(r) === null) return { why: r === last.leader ? `its leader, broker ${r}, is down at the end` : `broker ${r}, in its ISR, is down at the end` };
  // The ZooKeeper state alone is not enough: a broker leads only once a LeaderAndIsr for the
  // epoch reached it, after it last started (a restarted broker does not lead on its own).
  const leadership = (s: StateChange, fromUs: number): number | undefined => {
    const epochUs = states.find((x) => x.leaderEpoch === s.leaderEpoch)?.atUs ?? s.atUs;
    return (h.leaderships.get(key) ?? []).find((l) => l.broker === s.leader && l.atUs >= Math.max(fromUs, epochUs))?.atUs;
  };
  const leaderUp = upSince(last.leader)!;
  const led = leadership(last, leaderUp);
  if (led === undefined) return { why: `its leader, broker ${last.leader}, never took the leadership of epoch ${last.leaderEpoch}` };
  let first = states.length - 1;
  while (first > 0 && full(states[first - 1])) first--;
  const start = states[first];
  let atUs = Math.max(start.atUs, leadership(start, 0) ?? start.atUs);
  // A replica that came back within the stretch without the state changing was out until then (and a leader until it led again).
  for (const r of replicas) atUs = Math.max(atUs, upSince(r)!);
  if (leaderUp > start.atUs) atUs = Math.max(atUs, led);
  return { atUs };
}

/** Every partition's key and replicas: the scenario's topics, then __consumer_offsets when it exists. */
function partitionsOf(world: World): Array<{ key: string; replicas: number[] }> {
  const out: Array<{ key: string; replicas: number[] }> = [];
  const assignment = (topic: string): Record<string, number[]> | undefined =>
    (world.zookeeper.tree.get(`/brokers/topics/${topic}`)?.data as { partitions: Record<string, number[]> } | undefined)?.partitions;
  for (const t of world.scenario.doc.topics ?? []) {
    const a = assignment(t.name);
    for (let p = 0; p < t.partitions; p++) out.push({ key: `${t.name}-${p}`, replicas: a?.[String(p)] ?? [] });
  }
  const offsets = assignment(CONSUMER_OFFSETS);
  if (offsets !== undefined) for (const p of Object.keys(offsets).map(Number).sort((a, b) => a - b)) out.push({ key: `${CONSUMER_OFFSETS}-${p}`, replicas: offsets[String(p)] });
  return out;
}

/** The first index of the (time-ordered) acks log at or after `us`. */
function firstAckAtOrAfter(h: KafkaHistory, us: number): number {
  let lo = 0;
  let hi = h.acks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (h.acks.atUs(mid) < us) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A group's lag read now, or why it cannot be. */
function lagNow(world: World, group: string, topic: string, partitions: number): number | string {
  const r = readGroupLag(world, group, topic, partitions);
  if (r === null) return `group ${group} has no live coordinator at the end`;
  if (r.leaderless.length > 0) return `${r.leaderless[0]} has no live leader at the end, so group ${group}'s lag cannot be read`;
  return r.lag;
}

/** The recovery figures; what a run cannot measure goes into `unmeasured` with the reason. */
export function recoveryMetrics(world: World, unmeasured: Record<string, string>): RecoveryMetrics {
  const h = world.history;
  const healedUs = healedAtUs(world.scenario);

  const notRecovered: Array<{ partition: string; why: string }> = [];
  let lastRecovered: { partition: string; atUs: number } | null = null;
  for (const { key, replicas } of partitionsOf(world)) {
    const r = partitionRecoveredAt(h, key, replicas);
    if ("why" in r) notRecovered.push({ partition: key, why: r.why });
    else if (lastRecovered === null || r.atUs > lastRecovered.atUs) lastRecovered = { partition: key, atUs: r.atUs };
  }
  if (notRecovered.length > 0) {
    const listed = notRecovered.slice(0, 3).map((n) => `${n.partition}: ${n.why}`);
    const more = notRecovered.length > 3 ? ` (and ${notRecovered.length - 3} more partitions)` : "";
    unmeasured["recoveryMs"] = `not recovered by the end of the run (${ms(world.sim.now) / 1000} s): ${listed.join("; ")}${more}`;
  } else if (lastRecovered === null) unmeasured["recoveryMs"] = "the scenario has no partitions";
  const recovered = notRecovered.length === 0 && lastRecovered !== null;

  const producers = (world.scenario.doc.producers ?? []).map((p) => p.id);
  const ackedBy = new Map(producers.map((p) => [p, 0]));
  for (let i = firstAckAtOrAfter(h, healedUs); i < h.acks.length; i++) {
    const p = h.streams.producers[h.acks.stream(i)];
    ackedBy.set(p, (ackedBy.get(p) ?? 0) + h.acks.count(i));
  }
  const idleProducers = producers.filter((p) => ackedBy.get(p) === 0);
  if (producers.length === 0) unmeasured["ackedAfterHeal"] = unmeasured["producersIdleAfterHeal"] = "the scenario has no producer";

  const lagAtEnd: Record<string, number | null> = {};
  const lagProblems: string[] = [];
  for (const c of world.scenario.doc.consumers ?? []) {
    if (c.group in lagAtEnd) continue;
    const partitions = (world.scenario.doc.topics ?? []).find((t) => t.name === c.topic)?.partitions ?? 0;
    const lag = lagNow(world, c.group, c.topic, partitions);
    lagAtEnd[c.group] = typeof lag === "number" ? lag : null;
    if (typeof lag === "string") lagProblems.push(lag);
  }
  const lags = Object.values(lagAtEnd);
  if (lags.length === 0) unmeasured["consumerLagAtEnd"] = "the scenario has no consumer group";
  else if (lagProblems.length > 0) unmeasured["consumerLagAtEnd"] = lagProblems.join("; ");

  return {
    healedAtMs: ms(healedUs),
    recoveryMs: recovered ? ms(Math.max(0, lastRecovered!.atUs - healedUs)) : null,
    ackedAfterHeal: producers.length === 0 ? null : [...ackedBy.values()].reduce((a, b) => a + b, 0),
    producersIdleAfterHeal: producers.length === 0 ? null : idleProducers.length,
    consumerLagAtEnd: lags.length === 0 || lagProblems.length > 0 ? null : Math.max(...(lags as number[])),
    recovery: {
      lastRecovered: recovered ? { partition: lastRecovered!.partition, atMs: ms(lastRecovered!.atUs) } : null,
      notRecovered,
      idleProducers,
      lagAtEnd,
    },
  };
}
