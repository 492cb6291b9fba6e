/** `kafkasim describe --at`: the cluster as ZooKeeper holds it, in kafka-topics.sh --describe style. */
import type { World } from "../scenarios/world.js";
import { formatUs } from "../sim/time.js";
import { statePath, type PartitionStateZnode } from "../sim/nodes/kafka/protocol.js";

export function describeCluster(world: World): string {
  const tree = world.zookeeper.tree;
  const lines: string[] = [];
  const controller = (tree.get("/controller")?.data as { brokerid: number } | undefined)?.brokerid;
  const live = tree.children("/brokers/ids");
  lines.push(`# at ${formatUs(world.sim.now)}   controller: ${controller ?? "none"}   live brokers: ${live.join(",") || "none"}`);
  for (const t of world.scenario.doc.topics ?? []) {
    const assignment = tree.get(`/brokers/topics/${t.name}`)?.data as { partitions: Record<string, number[]> } | undefined;
    if (assignment === undefined) {
      lines.push(`Topic: ${t.name}\t(not created yet)`);
      continue;
    }
    const config = Object.entries(t.config ?? {}).map(([k, v]) => `${k}=${v}`).join(",");
    lines.push(`Topic: ${t.name}\tPartitionCount: ${t.partitions}\tReplicationFactor: ${t["replication.factor"]}\tConfigs: ${config}`);
    for (let p = 0; p < t.partitions; p++) {
      const s = tree.get(statePath(t.name, p))?.data as PartitionStateZnode | undefined;
      const leader = s === undefined || s.leader < 0 ? "none" : String(s.leader);
      lines.push(`\tTopic: ${t.name}\tPartition: ${p}\tLeader: ${leader}\tReplicas: ${(assignment.partitions[String(p)] ?? []).join(",")}\tIsr: ${(s?.isr ?? []).join(",")}\tLeaderEpoch: ${s?.leader_epoch ?? -1}`);
    }
  }
  return lines.join("\n") + "\n";
}
