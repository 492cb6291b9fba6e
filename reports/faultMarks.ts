/**
 * A scenario's faults as labelled instants of a finished run, for the markers of time charts:
 * each fault when it fired ("crash broker-2", "partition [broker-1,broker-2] | [broker-3]"), its
 * undo when its `for` ran out ("restart broker-2", "heal partition"), and the heal of everything
 * at the end of the duration (scenarios/faults.ts). A target resolved when the fault fired
 * (leader:, followers:, replicas:, controller, coordinator:) is named with the brokers it hit,
 * read from the run's history: the partition state last written at or before the fault, the
 * controller last elected. Instants after the run's end are left out.
 */
import type { World } from "../scenarios/world.js";
import type { FaultModel, Scenario } from "../scenarios/model.js";
import { assertNever } from "../sim/assert.js";
import { CONSUMER_OFFSETS } from "../sim/nodes/kafka/common/protocol.js";
import { partitionFor } from "../sim/nodes/kafka/coordinator/group/GroupMetadataManager.js";
import { DEFAULT_SLOW_DISK_FACTOR } from "../scenarios/faults.js";

export interface FaultMark {
  atSec: number;
  label: string;
}

export function faultMarks(world: World, scenario: Scenario, endUs: number): FaultMark[] {
  const out: Array<{ atUs: number; label: string }> = [];
  for (const f of scenario.faults) {
    const { label, undo } = describeFault(world, f);
    out.push({ atUs: f.atUs, label });
    if (undo !== null && f.forUs !== null) out.push({ atUs: f.atUs + f.forUs, label: undo });
  }
  if (scenario.faults.length > 0) out.push({ atUs: scenario.durationUs, label: "end of duration: heal all, start all" });
  // By time, then as listed (a fault before its own undo, faults in file order).
  return out
    .map((m, i) => ({ ...m, i }))
    .filter((m) => m.atUs <= endUs)
    .sort((a, b) => a.atUs - b.atUs || a.i - b.i)
    .map((m) => ({ atSec: m.atUs / 1e6, label: m.label }));
}

/** The fault's label, and its undo's when `for` undoes it. */
function describeFault(world: World, f: FaultModel): { label: string; undo: string | null } {
  const d = f.doc;
  const at = f.atUs;
  // `named`: as written, with resolved brokers; `hit`: just what was hit (for the undo).
  const on = (v: string | string[] | undefined): { named: string; hit: string } => {
    const names = v === undefined ? [] : typeof v === "string" ? [v] : v;
    const parts = names.map((n) => {
      const ids = resolvedBrokers(world, n, at);
      if (ids === null) return { named: n, hit: n };
      const hit = ids.length === 0 ? "nothing" : ids.map((id) => `broker-${id}`).join(",");
      return { named: `${n} (${hit})`, hit };
    });
    return { named: parts.map((p) => p.named).join(","), hit: parts.map((p) => p.hit).join(",") };
  };
  const disk = d.disk === undefined ? "disk" : `disk ${d.disk}`;
  const between = (g: string[][] | undefined): string => (g === undefined ? "" : ` ${g.map((x) => `[${on(x).named}]`).join(" | ")}`);
  switch (f.verb) {
    case "crash": {
      const t = on(d.crash);
      return { label: `crash ${t.named}`, undo: `restart ${t.hit}` };
    }
    case "restart":
      return { label: `restart ${on(d.restart).named}`, undo: null };
    case "stop": {
      const t = on(d.stop);
      return { label: `stop ${t.named}`, undo: `start ${t.hit}` };
    }
    case "powerOff": {
      const t = on(d.powerOff);
      return { label: `power off ${t.named}`, undo: `power on ${t.hit}` };
    }
    case "powerOn":
      return { label: `power on ${on(d.powerOn).named}`, undo: null };
    case "partition": {
      const p = d.partition!;
      const sides = Array.isArray(p) ? p.map((g) => `[${on(g).named}]`).join(" | ") : `[${on(p.from).named}] -> [${on(p.to).named}]`;
      return { label: `partition ${sides}`, undo: "heal partition" };
    }
    case "heal":
      return { label: "heal all partitions", undo: null };
    case "pause": {
      const t = on(d.pause);
      return { label: `pause ${t.named}`, undo: `resume ${t.hit}` };
    }
    case "slowDisk": {
      const t = on(d.slowDisk);
      return { label: `slow ${disk} ${t.named} x${d.factor ?? DEFAULT_SLOW_DISK_FACTOR}`, undo: `${disk} speed back ${t.hit}` };
    }
    case "failDisk":
      return { label: `fail ${disk} ${on(d.failDisk).named}`, undo: null };
    case "fullDisk":
      return { label: `fill ${disk} ${on(d.fullDisk).named}`, undo: null };
    case "latency": {
      const l = d.latency!;
      const what = `latency +${l.add}${l.jitter === undefined ? "" : ` ±${l.jitter}`}`;
      return { label: `${what}${between(l.between)}`, undo: `end of ${what}` };
    }
    case "loss": {
      const l = d.loss!;
      const what = `loss ${Math.round(l.probability * 1000) / 10}%`;
      return { label: `${what}${between(l.between)}`, undo: `end of ${what}` };
    }
    case "expireSession":
      return { label: `expire ZooKeeper session ${on(d.expireSession).named}`, undo: null };
    default:
      return assertNever(f.verb);
  }
}

/** The brokers a target resolved when the fault fired resolved to, or null for a host or rack name. */
function resolvedBrokers(world: World, name: string, atUs: number): number[] | null {
  const h = world.history;
  const leaderAt = (key: string): number => {
    let leader = -1;
    for (const c of h.states.get(key) ?? []) {
      if (c.atUs > atUs) break;
      leader = c.leader;
    }
    return leader;
  };
  if (name === "controller") {
    let broker = -1;
    for (const c of h.controllers) if (c.atUs <= atUs) broker = c.broker;
    return broker < 0 ? [] : [broker];
  }
  const group = /^coordinator:(.+)$/.exec(name);
  if (group !== null) {
    const leader = leaderAt(`${CONSUMER_OFFSETS}-${partitionFor(group[1], world.brokerConfig.num("offsets.topic.num.partitions"))}`);
    return leader < 0 ? [] : [leader];
  }
  const ref = /^(leader|replicas|followers):(.+)-(\d+)$/.exec(name);
  if (ref === null) return null;
  const leader = leaderAt(`${ref[2]}-${ref[3]}`);
  if (ref[1] === "leader") return leader < 0 ? [] : [leader];
  const replicas = (world.zookeeper.tree.get(`/brokers/topics/${ref[2]}`)?.data as { partitions: Record<string, number[]> } | undefined)?.partitions[ref[3]] ?? [];
  return replicas.filter((id) => ref[1] === "replicas" || id !== leader);
}
