/**
 * The budget item healBy (budget.ts): every fault of a schedule ends by itself by that time and
 * what it took down can come back, so that a property may promise recovery after it
 * (recoversAfterFaultsHeal). Kafka in ZooKeeper mode does not bring a broker back from everything
 * that ends: a broker process that is started again fails its start-up, and exits, when
 * - its previous session still holds its /brokers/ids registration (KafkaZkClient.registerBroker,
 *   CheckedEphemeral: NODEEXISTS with another session as the owner), and a session outlives its
 *   process by the session timeout, counted anew whenever ZooKeeper serves again after losing
 *   its quorum (a ZooKeeper leader starting up tracks every session it restores with its whole
 *   timeout; ZkEnsemble.tick does the same);
 * - it cannot reach ZooKeeper within zookeeper.connection.timeout.ms (the session timeout when
 *   unset): ZooKeeperClientTimeoutException.
 * Nothing starts it again before the heal at the end of the run. healBy therefore refuses the
 * schedules in which a fault of the budget's kinds could leave a broker down that way.
 */
import type { FaultDocument } from "../scenarios/schema.js";
import { parseDuration } from "../scenarios/units.js";
import type { ClusterShape } from "./clusterShape.js";
import { faultKindOf, formatMs, RESTART_MARGIN_MS, targetWeight } from "./budget.js";

/**
 * Why a fault does not end by itself by `healByMs`, or null when it does: its `for` runs out (a
 * session expiry is an instant) at or before healBy, and what it took down comes back then.
 * Not so:
 * - a fault without `for`: it lasts until the heal at the end of the run (a `powerOn` or `heal`
 *   entry may repair it sooner, but the rule stays simple: give the fault a `for`);
 * - failDisk and fullDisk: repaired only by that heal;
 * - restart, and a crash or power loss shorter than the ZooKeeper session and a tick
 *   (RESTART_MARGIN_MS), of a target that may be a broker: its start-up fails on the
 *   registration the old session still holds and the process exits until that heal;
 * - stop: the process ends only when its shutdown is over (a broker's controlled shutdown, with
 *   attempts of up to controller.socket.timeout.ms each, then the log flush and the ZooKeeper
 *   close; a consumer's close with its commit), and a start that comes before finds it still
 *   running and is lost; no `for` is sure to outlast that.
 */
export function healsByItself(f: FaultDocument, healByMs: number, cluster: ClusterShape): string | null {
  const kind = faultKindOf(f);
  if (kind === null) return null;
  const heal = "the heal at the end of the run";
  if (kind === "failDisk" || kind === "fullDisk") return `is repaired only by ${heal}`;
  // A ZooKeeper server or a client starts again at once: only a broker registers with its session.
  const broker = (v: string | string[]): boolean => targetWeight(v, cluster).brokers > 0;
  if (kind === "restart" && broker(f.restart!)) return `starts the process again at once, before its old ZooKeeper session expired: the start-up fails and the broker stays down until ${heal}`;
  if (kind === "stop") return `ends the process only when its shutdown is over (a broker's controlled shutdown, a consumer's close), which no \`for\` is sure to outlast (a start before then is lost): it may stay down until ${heal}`;
  const atMs = (parseDuration(f.at) ?? 0) / 1000;
  let endMs = atMs;
  // A session expiry, and a restart the lines above let through, are instants.
  if (kind !== "expireSession" && kind !== "restart") {
    if (f.for === undefined) return `has no \`for\`: it lasts until ${heal}`;
    const forMs = (parseDuration(f.for) ?? 0) / 1000;
    const least = cluster.zkSessionTimeoutMs + RESTART_MARGIN_MS;
    if ((kind === "crash" || kind === "powerOff") && forMs < least && broker(f[kind]!)) {
      return `lasts ${formatMs(forMs)}, less than the ZooKeeper session (${formatMs(cluster.zkSessionTimeoutMs)}) and a tick (${formatMs(RESTART_MARGIN_MS)}): the start-up fails on the registration its old session still holds, and the broker stays down until ${heal}`;
    }
    endMs = atMs + forMs;
  }
  return endMs > healByMs ? `ends at ${formatMs(endMs)}, after ${formatMs(healByMs)}` : null;
}

/** [start, end) of a fault in µs: `at` to `at + for`; an instant (1 µs) without `for`. */
function windowUs(f: FaultDocument): { startUs: number; endUs: number } {
  const startUs = parseDuration(f.at) ?? 0;
  return { startUs, endUs: startUs + Math.max(1, f.for === undefined ? 1 : (parseDuration(f.for) ?? 0)) };
}

/** How many ZooKeeper servers a list of targets names, by host or rack (fire-time targets are brokers). */
function zookeepersIn(value: string | readonly string[], cluster: ClusterShape): number {
  const names = typeof value === "string" ? [value] : value;
  const hit = new Set<string>();
  for (const name of names) {
    if (cluster.zookeepers.includes(name)) hit.add(name);
    const rack = name.startsWith("rack-") && !cluster.racks.includes(name) ? name.slice(5) : name;
    for (const z of cluster.zookeepers) if (cluster.rackOf[z] === rack) hit.add(z);
  }
  return hit.size;
}

/**
 * When ZooKeeper has no quorum: process faults (crash, stop, pause, powerOff, restart) leave fewer
 * than a majority of its servers running. A cut between two groups never does with an odd ensemble
 * (1, 3 or 5 servers): one side keeps a majority.
 */
export function quorumLossesUs(schedule: readonly FaultDocument[], cluster: ClusterShape): Array<{ startUs: number; endUs: number; who: number[] }> {
  const n = cluster.zookeepers.length;
  const lost = n - Math.floor(n / 2);
  const windows = schedule.flatMap((f, index) => {
    const kind = faultKindOf(f);
    if (kind !== "crash" && kind !== "stop" && kind !== "pause" && kind !== "powerOff" && kind !== "restart") return [];
    const down = zookeepersIn(f[kind]!, cluster);
    return down === 0 ? [] : [{ index, down, ...windowUs(f) }];
  });
  const points = [...new Set(windows.flatMap((w) => [w.startUs, w.endUs]))].sort((a, b) => a - b);
  const out: Array<{ startUs: number; endUs: number; who: number[] }> = [];
  for (let k = 0; k + 1 < points.length; k++) {
    const active = windows.filter((w) => w.startUs <= points[k] && points[k] < w.endUs);
    if (n === 0 || active.reduce((t, w) => t + w.down, 0) < lost) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.endUs === points[k]) {
      last.endUs = points[k + 1];
      for (const w of active) if (!last.who.includes(w.index)) last.who.push(w.index);
    } else out.push({ startUs: points[k], endUs: points[k + 1], who: active.map((w) => w.index) });
  }
  return out;
}

/** A network fault that may keep a broker from ZooKeeper: a ZooKeeper server on one side, a broker on the other (or everything cut). */
function mayCutFromZooKeeper(f: FaultDocument, cluster: ClusterShape): boolean {
  const kind = faultKindOf(f);
  let groups: ReadonlyArray<string | readonly string[]>;
  if (kind === "partition") groups = f.partition as string[][];
  else if (kind === "oneWayPartition") groups = [(f.partition as { from: string[] }).from, (f.partition as { to: string[] }).to];
  else if (kind === "loss" && f.loss!.probability >= 1) {
    if (f.loss!.between === undefined) return true;
    groups = f.loss!.between;
  } else return false;
  return groups.some((a, i) => zookeepersIn(a, cluster) > 0 && groups.some((b, j) => j !== i && targetWeight(b, cluster).brokers > 0));
}

/**
 * The first way a schedule breaks healBy, in words, or null: a fault that does not end by itself
 * (healsByItself), or a broker brought back from a crash or power loss that cannot start:
 * - ZooKeeper had no quorum during its outage, or loses it as it starts (within a tick of its
 *   start, while it connects), and serves again less than the session and a tick before it
 *   starts: the old session lives on and holds its registration;
 * - a network fault that may cut it off from ZooKeeper is in effect as it starts (within a
 *   tick), so that it may not connect within the connection timeout. We do not try to tell a cut
 *   short enough to be harmless from one that is not.
 */
export function healByAllows(schedule: readonly FaultDocument[], healByMs: number, cluster: ClusterShape, named: (i: number) => string): string | null {
  const by = formatMs(healByMs);
  const wants = `the budget wants every fault to end by itself by ${by} (healBy=${by})`;
  for (let i = 0; i < schedule.length; i++) {
    const why = healsByItself(schedule[i], healByMs, cluster);
    if (why !== null) return `${named(i)} ${why}: ${wants}`;
  }
  const sessionUs = (cluster.zkSessionTimeoutMs + RESTART_MARGIN_MS) * 1000;
  const connectUs = RESTART_MARGIN_MS * 1000;
  const losses = quorumLossesUs(schedule, cluster);
  const s = (us: number): string => formatMs(us / 1000);
  const who = (idx: readonly number[]): string => idx.map(named).join(" and ");
  for (let i = 0; i < schedule.length; i++) {
    const f = schedule[i];
    const kind = faultKindOf(f);
    if ((kind !== "crash" && kind !== "powerOff") || targetWeight(f[kind]!, cluster).brokers === 0) continue;
    const { startUs, endUs: backUs } = windowUs(f);
    for (const q of losses) {
      if (q.startUs < backUs + connectUs && q.endUs > startUs && backUs < q.endUs + sessionUs) {
        return `${named(i)} brings a broker back at ${s(backUs)}, but ZooKeeper has no quorum from ${s(q.startUs)} to ${s(q.endUs)} (${who(q.who)}) and, serving again, gives the broker's old session its whole timeout: its start-up fails on the old registration before ${s(q.endUs + sessionUs)}: ${wants}`;
      }
    }
    for (let j = 0; j < schedule.length; j++) {
      const w = windowUs(schedule[j]);
      if (mayCutFromZooKeeper(schedule[j], cluster) && w.startUs < backUs + connectUs && w.endUs > backUs) {
        return `${named(i)} brings a broker back at ${s(backUs)}, which must reach ZooKeeper within the connection timeout (${formatMs(cluster.zkSessionTimeoutMs)}) to start, but ${who([j])} may cut it off from ZooKeeper then: ${wants}`;
      }
    }
  }
  return null;
}
