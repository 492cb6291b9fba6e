/**
 * Per-partition story of a run: leader and ISR changes as written to ZooKeeper, and how long the
 * partition could not take writes. A partition is unavailable while it has no leader, while its
 * leader's broker process is down (until a LeaderAndIsr makes a broker lead it again), and, when a
 * producer writes to it with acks=all, while its ISR is smaller than min.insync.replicas.
 */
import type { World } from "../scenarios/world.js";
import type { StateChange } from "../sim/nodes/kafka/History.js";
import { producerDefaults, type KafkaVersion } from "../sim/nodes/kafka/common/versions.js";

export interface PartitionSummary {
  key: string;
  topic: string;
  partition: number;
  replicas: number[];
  finalLeader: number;
  finalIsr: number[];
  leaderChanges: number;
  isrChanges: number;
  unavailableMs: number;
  /** The state changes themselves, for the timeline and the summary. */
  changes: StateChange[];
}

export function partitionSummaries(world: World): PartitionSummary[] {
  const out: PartitionSummary[] = [];
  const endUs = world.sim.now;
  const h = world.history;
  for (const t of world.scenario.doc.topics ?? []) {
    const assignment = world.zookeeper.tree.get(`/brokers/topics/${t.name}`)?.data as { partitions: Record<string, number[]> } | undefined;
    const defaults = producerDefaults(world.scenario.kafkaVersion as KafkaVersion);
    const acksAll = (world.scenario.doc.producers ?? []).some((p) => p.topic === t.name && ["all", "-1"].includes(String(p.config?.["acks"] ?? defaults.acks)));
    const minIsr = world.topicConfig(t.name).num("min.insync.replicas");
    for (let p = 0; p < t.partitions; p++) {
      const key = `${t.name}-${p}`;
      const changes = h.states.get(key) ?? [];
      let unavailable = 0;
      let leaderChanges = 0;
      let isrChanges = 0;
      changes.forEach((c, i) => {
        const prev = changes[i - 1];
        if (prev !== undefined && prev.leader !== c.leader) leaderChanges++;
        if (prev !== undefined && prev.isr.join(",") !== c.isr.join(",")) isrChanges++;
        const until = changes[i + 1]?.atUs ?? endUs;
        if (c.leader < 0 || (acksAll && c.isr.length < minIsr)) unavailable += until - c.atUs;
        else {
          // A leader that went down stays unavailable until the controller writes a new state:
          // a restarted broker does not lead again before a LeaderAndIsr tells it to.
          const down = (h.brokerDown.get(c.leader) ?? []).find(([a, b]) => b > c.atUs && a < until);
          if (down !== undefined) {
            const from = Math.max(c.atUs, down[0]);
            const back = (h.leaderships.get(key) ?? []).find((l) => l.broker === c.leader && l.atUs >= down[1] && l.atUs < until);
            unavailable += (back?.atUs ?? until) - from;
          }
        }
      });
      const last = changes[changes.length - 1];
      out.push({
        key,
        topic: t.name,
        partition: p,
        replicas: assignment?.partitions[String(p)] ?? [],
        finalLeader: last?.leader ?? -1,
        finalIsr: last?.isr ?? [],
        leaderChanges,
        isrChanges,
        unavailableMs: Math.round(unavailable / 1000),
        changes,
      });
    }
  }
  return out;
}
