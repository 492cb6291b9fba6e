/** `kafkasim describe --at`: the cluster as ZooKeeper holds it, in kafka-topics.sh --describe style or as JSON. */
import type { World } from "../scenarios/world.js";
import { formatUs } from "../sim/time.js";
import { statePath, type PartitionStateZnode } from "../sim/nodes/kafka/common/protocol.js";

export interface PartitionState {
  partition: number;
  /** -1: no leader. */
  leader: number;
  replicas: number[];
  isr: number[];
  leaderEpoch: number;
}

export interface TopicState {
  topic: string;
  /** False until the controller has written the topic's assignment. */
  created: boolean;
  partitionCount: number;
  replicationFactor: number;
  configs: Record<string, string | number | boolean>;
  partitions: PartitionState[];
}

export interface ClusterState {
  atUs: number;
  /** -1: no controller. */
  controller: number;
  liveBrokers: number[];
  /** Where each host runs: ZooKeeper nodes, brokers and clients, with rack and zone. */
  hosts: Array<{ name: string; role: string; rack: string; zone: string }>;
  topics: TopicState[];
}

export function clusterState(world: World): ClusterState {
  const tree = world.zookeeper.tree;
  const controller = (tree.get("/controller")?.data as { brokerid: number } | undefined)?.brokerid ?? -1;
  const topics = (world.scenario.doc.topics ?? []).map((t): TopicState => {
    const assignment = tree.get(`/brokers/topics/${t.name}`)?.data as { partitions: Record<string, number[]> } | undefined;
    const partitions: PartitionState[] = [];
    if (assignment !== undefined) {
      for (let p = 0; p < t.partitions; p++) {
        const s = tree.get(statePath(t.name, p))?.data as PartitionStateZnode | undefined;
        partitions.push({ partition: p, leader: s?.leader ?? -1, replicas: assignment.partitions[String(p)] ?? [], isr: s?.isr ?? [], leaderEpoch: s?.leader_epoch ?? -1 });
      }
    }
    return { topic: t.name, created: assignment !== undefined, partitionCount: t.partitions, replicationFactor: t["replication.factor"], configs: { ...(t.config ?? {}) }, partitions };
  });
  return {
    atUs: world.sim.now,
    controller,
    liveBrokers: tree.children("/brokers/ids").map(Number),
    hosts: world.scenario.hosts.map((h) => ({ name: h.name, role: h.role, rack: h.rack, zone: h.zone })),
    topics,
  };
}

export function formatClusterState(state: ClusterState): string {
  const lines: string[] = [];
  lines.push(`# at ${formatUs(state.atUs)}   controller: ${state.controller < 0 ? "none" : state.controller}   live brokers: ${state.liveBrokers.join(",") || "none"}`);
  const zk = state.hosts.filter((h) => h.role === "zookeeper").map((h) => `${h.name} (rack ${h.rack})`);
  lines.push(`# zookeeper: ${zk.join(", ")}`);
  for (const t of state.topics) {
    if (!t.created) {
      lines.push(`Topic: ${t.topic}\t(not created yet)`);
      continue;
    }
    const config = Object.entries(t.configs).map(([k, v]) => `${k}=${v}`).join(",");
    lines.push(`Topic: ${t.topic}\tPartitionCount: ${t.partitionCount}\tReplicationFactor: ${t.replicationFactor}\tConfigs: ${config}`);
    for (const p of t.partitions) {
      lines.push(`\tTopic: ${t.topic}\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? "none" : p.leader}\tReplicas: ${p.replicas.join(",")}\tIsr: ${p.isr.join(",")}\tLeaderEpoch: ${p.leaderEpoch}`);
    }
  }
  return lines.join("\n") + "\n";
}
