/**
 * Builds the simulated world a scenario describes: hosts in racks and zones, their NICs on one
 * network, a disk and page cache each, and the processes that run on them.
 *
 * Until the Kafka model lands (issue 3), brokers run an EchoLogServer and producers a
 * LoadGenerator: hardware-level stand-ins that exercise the network, disks and faults.
 * ZooKeeper hosts and consumers are placed (and can be faulted) but run nothing yet.
 */
import { Simulation } from "../sim/Simulation.js";
import { Host } from "../sim/Host.js";
import { Network } from "../sim/network/Network.js";
import { BlockDevice } from "../sim/disk/BlockDevice.js";
import { PageCache, LINUX_DEFAULTS } from "../sim/disk/PageCache.js";
import { HARDWARE_PROFILES } from "../sim/disk/profiles.js";
import { Machine } from "../sim/nodes/Machine.js";
import { EchoLogServer } from "../sim/nodes/EchoLogServer.js";
import { ClientHistory, LoadGenerator } from "../sim/nodes/LoadGenerator.js";
import { rateOf, type Scenario } from "./model.js";

export interface World {
  sim: Simulation;
  scenario: Scenario;
  hosts: Host[];
  hostsByName: Map<string, Host>;
  network: Network;
  machines: Map<string, Machine>;
  /** One per producer id. */
  clientHistories: Map<string, ClientHistory>;
}

function numberConfig(config: Record<string, unknown> | undefined, key: string, fallback: number): number {
  const v = config?.[key];
  return typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : fallback;
}

export function buildWorld(scenario: Scenario, seed: number): World {
  const sim = new Simulation(seed);
  const hosts = scenario.hosts.map((h, index) => new Host(sim, { name: h.name, rack: h.rack, zone: h.zone, index }));
  const hostsByName = new Map(hosts.map((h) => [h.name, h]));
  const profiles = scenario.hosts.map((h) => HARDWARE_PROFILES[h.hardware]);
  const network = new Network(sim, { hosts, nicBytesPerSecond: profiles.map((p) => p.nicBytesPerSecond) });
  const os = scenario.doc.cluster.os ?? {};
  const machines = new Map<string, Machine>();
  hosts.forEach((host, i) => {
    const profile = profiles[i];
    const pageCache = new PageCache(sim, host.name, {
      memoryBytes: profile.memoryBytes,
      dirtyBackgroundRatio: os["vm.dirty_background_ratio"] ?? LINUX_DEFAULTS.dirtyBackgroundRatio,
      dirtyRatio: os["vm.dirty_ratio"] ?? LINUX_DEFAULTS.dirtyRatio,
      dirtyExpireCentisecs: os["vm.dirty_expire_centisecs"] ?? LINUX_DEFAULTS.dirtyExpireCentisecs,
      dirtyWritebackCentisecs: os["vm.dirty_writeback_centisecs"] ?? LINUX_DEFAULTS.dirtyWritebackCentisecs,
    });
    const disk = new BlockDevice(sim, `${host.name}/disk`, profile.disk);
    host.addListener({
      onPowerOff: () => {
        pageCache.powerOff();
        disk.reset();
      },
      onPowerOn: () => pageCache.powerOn(),
    });
    machines.set(host.name, new Machine(sim, host, network, pageCache, disk));
  });

  const brokerHosts = scenario.hosts.filter((h) => h.role === "broker").map((h) => hostsByName.get(h.name) as Host);
  // Kafka's default log.flush.interval.messages is Long.MAX_VALUE: never fsync by count.
  const flushIntervalMessages = numberConfig(scenario.doc.cluster.config, "log.flush.interval.messages", Infinity);
  for (const host of brokerHosts) {
    const machine = machines.get(host.name) as Machine;
    host.install(() => new EchoLogServer(machine, { flushIntervalMessages }));
  }

  const clientHistories = new Map<string, ClientHistory>();
  let nextId = 1;
  const takeId = (): number => nextId++;
  for (const p of scenario.doc.producers ?? []) {
    const host = hostsByName.get(`producer-${p.id}`) as Host;
    const machine = machines.get(host.name) as Machine;
    const topic = (scenario.doc.topics ?? []).find((t) => t.name === p.topic);
    const history = new ClientHistory();
    clientHistories.set(p.id, history);
    const config = {
      ratePerSec: rateOf(p.rate),
      poisson: p.arrivals === "poisson",
      messageBytes: p.messageBytes,
      partitions: topic?.partitions ?? 1,
      servers: brokerHosts,
      // Kafka's producer default request.timeout.ms is 30000.
      requestTimeoutUs: numberConfig(p.config, "request.timeout.ms", 30_000) * 1000,
      stopAtUs: scenario.durationUs,
    };
    host.install(() => new LoadGenerator(machine, config, history, takeId));
  }
  return { sim, scenario, hosts, hostsByName, network, machines, clientHistories };
}
