/**
 * Builds the simulated world a scenario describes: hosts in racks and zones, their NICs on one
 * network, one or more disks and a page cache each, a ZooKeeper ensemble, Kafka brokers and producers with
 * the configs of the scenario's `kafka.version`, and the history that records what happened.
 */
import type { TraceSink, TraceWriter } from "../sim/Trace.js";
import { Simulation } from "../sim/Simulation.js";
import { Host } from "../sim/Host.js";
import { Network } from "../sim/network/Network.js";
import { BlockDevice } from "../sim/disk/BlockDevice.js";
import { PageCache, LINUX_DEFAULTS } from "../sim/disk/PageCache.js";
import { HARDWARE_PROFILES } from "../sim/disk/profiles.js";
import { Machine } from "../sim/nodes/Machine.js";
import { ZkEnsemble } from "../sim/nodes/zookeeper/ZkEnsemble.js";
import { ZkServer } from "../sim/nodes/zookeeper/ZkServer.js";
import { Broker } from "../sim/nodes/kafka/server/Broker.js";
import { KafkaProducer } from "../sim/nodes/kafka/clients/producer/KafkaProducer.js";
import { KafkaHistory } from "../sim/nodes/kafka/History.js";
import { newRequestCpu, type RequestCpu } from "../sim/nodes/kafka/server/RequestPools.js";
import { CONSUMER_OFFSETS, type PartitionStateZnode } from "../sim/nodes/kafka/common/protocol.js";
import { behaviourOf, brokerDefaults, KafkaConfig, releaseNumber, type KafkaVersion } from "../sim/nodes/kafka/common/versions.js";
import { clusterLayerForTopic } from "../sim/nodes/kafka/log/LogRetention.js";
import { effectiveProducerConfig } from "../sim/nodes/kafka/clients/producer/ProducerConfig.js";
import type { ClientCpu } from "../sim/nodes/kafka/clients/producer/KafkaProducer.js";
import { startConsumers } from "./consumers.js";
import { rateOf, type Scenario } from "./model.js";

export interface World {
  sim: Simulation;
  scenario: Scenario;
  hosts: Host[];
  hostsByName: Map<string, Host>;
  network: Network;
  machines: Map<string, Machine>;
  zookeeper: ZkEnsemble;
  history: KafkaHistory;
  /** Broker id to host. */
  brokers: Map<number, Host>;
  brokerConfig: KafkaConfig;
  topicConfig(topic: string): KafkaConfig;
  /** Per broker id: its request pools' busy time over the run. */
  requestCpu: Map<number, RequestCpu>;
  /** Per producer id: busy time of its application thread (send()) and its Sender thread. */
  clientCpu: Map<string, ClientCpu>;
}

const STATE_PATH = /^\/brokers\/topics\/([^/]+)\/partitions\/(\d+)\/state$/;

export function buildWorld(scenario: Scenario, seed: number, output: { traceSink?: TraceSink; traceWriter?: TraceWriter } = {}): World {
  const sim = new Simulation(seed);
  // Before anything is built: the processes' start records are the trace's first lines.
  sim.trace.sink = output.traceSink ?? null;
  sim.trace.writer = output.traceWriter ?? null;
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
    // JBOD: disk 0 keeps the name it always had; more disks are /disk-1, /disk-2, ...
    const disks = Array.from({ length: scenario.hosts[i].disks }, (_, d) => new BlockDevice(sim, d === 0 ? `${host.name}/disk` : `${host.name}/disk-${d}`, profile.disk));
    host.addListener({
      onPowerOff: () => {
        pageCache.powerOff();
        for (const d of disks) d.reset();
      },
      onPowerOn: () => pageCache.powerOn(),
    });
    machines.set(host.name, new Machine(sim, host, network, pageCache, disks));
  });
  const machineOf = (h: Host): Machine => machines.get(h.name) as Machine;

  const version = scenario.kafkaVersion as KafkaVersion;
  const behaviour = behaviourOf(version);
  const history = new KafkaHistory(sim);
  const doc = scenario.doc;

  const zkHosts = scenario.hosts.filter((h) => h.role === "zookeeper").map((h) => hostsByName.get(h.name) as Host);
  const zookeeper = new ZkEnsemble(sim, network, zkHosts);
  zookeeper.tree.onWrite = (path, data) => {
    const m = STATE_PATH.exec(path);
    if (m === null) return;
    const d = data as PartitionStateZnode;
    history.onPartitionState(`${m[1]}-${m[2]}`, { atUs: sim.now, leader: d.leader, leaderEpoch: d.leader_epoch, isr: d.isr.slice() });
  };
  for (const h of zkHosts) h.install(() => new ZkServer(machineOf(h), zookeeper));

  const brokerConfig = KafkaConfig.merge(brokerDefaults(version), doc.cluster.config);
  // A topic's retention time set at topic level replaces the cluster's whichever key set it (LogRetention.ts).
  const topicConfigs = new Map((doc.topics ?? []).map((t) => [t.name, KafkaConfig.merge(brokerDefaults(version), clusterLayerForTopic(doc.cluster.config, t.config), t.config)]));
  const topicConfig = (topic: string): KafkaConfig => topicConfigs.get(topic) ?? brokerConfig;
  const brokerLayouts = scenario.hosts.filter((h) => h.role === "broker");
  const brokers = new Map(brokerLayouts.map((h) => [h.id, hostsByName.get(h.name) as Host]));
  const topics = (doc.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: t["replication.factor"] }));
  const offsetsTopic = consumerOffsetsTopic(scenario, brokerConfig, brokerLayouts.length);
  if (offsetsTopic !== null) {
    topics.push(offsetsTopic);
    // GroupCoordinator.offsetsTopicConfigs: compacted (not modelled), segment.bytes = offsets.topic.segment.bytes (100 MiB); the rest is the broker's (min.insync.replicas too).
    topicConfigs.set(CONSUMER_OFFSETS, KafkaConfig.merge(brokerDefaults(version), doc.cluster.config, { "log.segment.bytes": 104_857_600 }));
  }
  const requestCpu = new Map(brokerLayouts.map((h) => [h.id, newRequestCpu()]));
  const clientCpu = new Map((doc.producers ?? []).map((p) => [p.id, { applicationBusyUs: 0, senderBusyUs: 0 }]));
  for (const layout of brokerLayouts) {
    const host = brokers.get(layout.id) as Host;
    host.addListener({ onProcessStart: () => history.onBrokerUp(layout.id), onProcessDown: () => history.onBrokerDown(layout.id) });
    host.install(
      () =>
        new Broker(machineOf(host), {
          id: layout.id,
          rack: layout.rack,
          zkServers: zkHosts,
          config: brokerConfig,
          behaviour,
          topicConfig,
          topics,
          expectedBrokers: brokerLayouts.length,
          hostOf: (id) => brokers.get(id),
          observer: history,
          groupObserver: history.consumers,
          requestCpu: requestCpu.get(layout.id),
        }),
    );
  }

  for (const p of doc.producers ?? []) {
    const host = hostsByName.get(`producer-${p.id}`) as Host;
    const topic = (doc.topics ?? []).find((t) => t.name === p.topic);
    const config = effectiveProducerConfig(version, p.config);
    host.install(
      () =>
        new KafkaProducer(machineOf(host), {
          id: p.id,
          topic: p.topic,
          partitions: topic?.partitions ?? 1,
          rate: p.rate === "max" ? "max" : rateOf(p.rate),
          // Open-loop arrivals are Poisson unless the file asks for constant spacing, so seeds vary the timing.
          poisson: p.arrivals !== "constant",
          messageBytes: p.messageBytes,
          keys: p.keys,
          config,
          behaviour,
          brokers,
          stopAtUs: scenario.durationUs,
          observer: history,
          cpu: clientCpu.get(p.id),
        }),
    );
  }
  startConsumers({ sim, scenario, version, behaviour, hostsByName, brokers, history, machineOf });
  return { sim, scenario, hosts, hostsByName, network, machines, zookeeper, history, brokers, brokerConfig, topicConfig, requestCpu, clientCpu };
}

/**
 * __consumer_offsets when the scenario has consumers, created with the scenario's topics (Kafka
 * creates it at the first FindCoordinator; the consumers start then anyway): 0.10.2 with
 * min(offsets.topic.replication.factor, brokers) replicas; from 0.11 not at all while fewer
 * brokers than the factor are alive (KafkaApis.createInternalTopic: COORDINATOR_NOT_AVAILABLE), so
 * such a cluster's groups never find a coordinator.
 */
function consumerOffsetsTopic(scenario: Scenario, config: KafkaConfig, brokers: number): { name: string; partitions: number; replicationFactor: number } | null {
  if ((scenario.doc.consumers ?? []).length === 0) return null;
  const rf = config.num("offsets.topic.replication.factor");
  if (rf > brokers && releaseNumber(scenario.kafkaVersion) >= 11) return null;
  return { name: CONSUMER_OFFSETS, partitions: config.num("offsets.topic.num.partitions"), replicationFactor: Math.min(rf, brokers) };
}
