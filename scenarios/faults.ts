/**
 * Schedules a scenario's faults on the world, and heals everything when the run's duration
 * ends so that the settle period shows what the cluster recovers to. Faults are data: each one
 * applied is a trace record naming its verb and targets.
 */
import type { Host } from "../sim/Host.js";
import type { BlockDevice } from "../sim/disk/BlockDevice.js";
import { assertNever } from "../sim/assert.js";
import type { FaultModel } from "./model.js";
import type { World } from "./world.js";
import { CONSUMER_OFFSETS, statePath, type PartitionStateZnode } from "../sim/nodes/kafka/common/protocol.js";
import { partitionFor } from "../sim/nodes/kafka/coordinator/group/GroupMetadataManager.js";
import { parseDuration } from "./units.js";

/** A slowDisk fault without `factor` makes every I/O this many times slower. */
export const DEFAULT_SLOW_DISK_FACTOR = 10;

export function scheduleFaults(world: World): void {
  for (const fault of world.scenario.faults) world.sim.at(fault.atUs, () => applyFault(world, fault), undefined);
  world.sim.at(world.scenario.durationUs, () => healAll(world), undefined);
}

/**
 * Node names and rack names (`rack-a` or `a`) to hosts; also, resolved when the fault fires,
 * `controller` (the broker holding /controller), `leader:<topic>-<p>` (the partition's leader in
 * ZooKeeper), `replicas:<topic>-<p>` (every broker assigned a replica of it) and
 * `followers:<topic>-<p>` (the replicas other than the leader), and `coordinator:<group>` (the
 * leader of the group's __consumer_offsets partition: its group coordinator).
 */
export function resolveTargets(world: World, value: string | readonly string[]): Host[] {
  const names = typeof value === "string" ? [value] : value;
  const out: Host[] = [];
  const tree = world.zookeeper.tree;
  const broker = (id: number | undefined): void => {
    const h = id === undefined ? undefined : world.brokers.get(id);
    if (h !== undefined) out.push(h);
  };
  for (const name of names) {
    if (name === "controller") {
      broker((tree.get("/controller")?.data as { brokerid: number } | undefined)?.brokerid);
      continue;
    }
    const group = /^coordinator:(.+)$/.exec(name);
    if (group !== null) {
      const partition = partitionFor(group[1], world.brokerConfig.num("offsets.topic.num.partitions"));
      broker((tree.get(statePath(CONSUMER_OFFSETS, partition))?.data as PartitionStateZnode | undefined)?.leader);
      continue;
    }
    const ref = /^(leader|replicas|followers):(.+)-(\d+)$/.exec(name);
    if (ref !== null) {
      const leader = (tree.get(statePath(ref[2], Number(ref[3])))?.data as PartitionStateZnode | undefined)?.leader;
      const replicas = (tree.get(`/brokers/topics/${ref[2]}`)?.data as { partitions: Record<string, number[]> } | undefined)?.partitions[ref[3]] ?? [];
      if (ref[1] === "leader") broker(leader);
      else for (const id of replicas) if (ref[1] === "replicas" || id !== leader) broker(id);
      continue;
    }
    const host = world.hostsByName.get(name);
    if (host !== undefined) {
      out.push(host);
      continue;
    }
    const rack = name.startsWith("rack-") && !world.scenario.racks.some((r) => r.name === name) ? name.slice(5) : name;
    for (const h of world.hosts) if (h.rack === rack) out.push(h);
  }
  return out;
}

function applyFault(world: World, fault: FaultModel): void {
  const { sim, network } = world;
  const f = fault.doc;
  const later = (fn: () => void): void => {
    if (fault.forUs !== null) sim.schedule(fault.forUs, fn, undefined);
  };
  const targets = (v: string | string[] | undefined): Host[] => (v === undefined ? [] : resolveTargets(world, v));
  const groups = (g: string[][] | undefined): Host[][] => (g === undefined ? [world.hosts, world.hosts] : g.map((x) => resolveTargets(world, x)));
  /** The disks a disk fault hits on a host: the one `disk` names, or all of them. */
  const disksOf = (h: Host): readonly BlockDevice[] => {
    const all = world.machines.get(h.name)!.disks;
    return f.disk === undefined ? all : all.slice(f.disk, f.disk + 1);
  };
  sim.trace.record(sim.now, "faults", "fault", { verb: fault.verb, index: fault.index, spec: JSON.stringify(f) });
  sim.marks.hit(`fault: ${fault.verb}`);
  /** Applies a fault to each target host now and, with `for`, undoes it later. */
  const onHosts = (v: string | string[] | undefined, apply: (h: Host) => void, undo?: (h: Host) => void): void => {
    const hs = targets(v);
    hs.forEach(apply);
    if (undo !== undefined) later(() => hs.forEach(undo));
  };
  switch (fault.verb) {
    case "crash":
      return onHosts(f.crash, (h) => h.crash(), (h) => h.start());
    case "restart":
      return onHosts(f.restart, (h) => h.restart());
    case "stop":
      return onHosts(f.stop, (h) => h.requestStop(), (h) => h.start());
    case "powerOff":
      return onHosts(f.powerOff, (h) => h.powerOff(), (h) => h.powerOn());
    case "powerOn":
      return onHosts(f.powerOn, (h) => h.powerOn());
    case "partition": {
      const p = f.partition!;
      const id = Array.isArray(p) ? network.partition(p.map((g) => resolveTargets(world, g))) : network.partitionOneWay(resolveTargets(world, p.from), resolveTargets(world, p.to));
      later(() => network.heal(id));
      return;
    }
    case "heal":
      return network.heal();
    case "pause":
      return onHosts(f.pause, (h) => h.pause(), (h) => h.resume());
    case "slowDisk":
      return onHosts(
        f.slowDisk,
        (h) => disksOf(h).forEach((d) => (d.slowFactor = f.factor ?? DEFAULT_SLOW_DISK_FACTOR)),
        (h) => disksOf(h).forEach((d) => (d.slowFactor = 1)),
      );
    case "failDisk":
      return onHosts(f.failDisk, (h) => disksOf(h).forEach((d) => (d.failed = true)));
    case "fullDisk":
      return onHosts(f.fullDisk, (h) => disksOf(h).forEach((d) => (d.capacityBytes = d.usedBytes)));
    case "latency": {
      const l = f.latency!;
      const [a, b] = groups(l.between);
      const id = network.faults.add({ kind: "latency", a, b, addUs: parseDuration(l.add)!, jitterUs: l.jitter === undefined ? 0 : parseDuration(l.jitter)! });
      later(() => network.faults.remove(id));
      return;
    }
    case "loss": {
      const l = f.loss!;
      const [a, b] = groups(l.between);
      const id = network.faults.add({ kind: "loss", a, b, probability: l.probability });
      later(() => network.faults.remove(id));
      return;
    }
    case "expireSession":
      return onHosts(f.expireSession, (h) => world.zookeeper.expireSessionsOf(h.name));
    default:
      return assertNever(fault.verb);
  }
}

/** End of the fault window: heal the network and the disks, resume, power on and restart everything (halted brokers too). */
function healAll(world: World): void {
  const { sim, network } = world;
  sim.trace.record(sim.now, "faults", "heal-all");
  network.faults.remove();
  for (const h of world.hosts) {
    // The disks are repaired before any process starts again (a halted broker restarts).
    for (const d of world.machines.get(h.name)!.disks) {
      d.slowFactor = 1;
      d.failed = false;
      d.capacityBytes = d.spec.capacityBytes;
    }
    if (!h.powered) h.powerOn();
    if (h.state === "paused") h.resume();
    if (h.state === "crashed" || h.state === "stopped" || h.state === "exited") h.start();
  }
}
