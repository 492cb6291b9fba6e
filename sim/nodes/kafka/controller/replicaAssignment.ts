/**
 * Kafka's replica placement for a new topic (AdminUtils.assignReplicasToBrokers, rack-aware
 * variant, as in Kafka 0.10+): brokers are ordered by alternating racks, the first replica of
 * each partition walks that list from a random start, and followers are placed with a random
 * shift so that replicas spread over racks and brokers.
 */
import type { RandomStream } from "../../../Random.js";
import type { ZkOp } from "../../zookeeper/ZkTree.js";
import { statePath, type PartitionState } from "../common/protocol.js";

export function rackAlternatedBrokers(brokerRacks: ReadonlyMap<number, string>): number[] {
  const byRack = new Map<string, number[]>();
  for (const [id, rack] of [...brokerRacks].sort((a, b) => a[0] - b[0])) {
    let list = byRack.get(rack);
    if (list === undefined) byRack.set(rack, (list = []));
    list.push(id);
  }
  const racks = [...byRack.keys()].sort();
  const cursors = racks.map(() => 0);
  const out: number[] = [];
  let r = 0;
  while (out.length < brokerRacks.size) {
    const list = byRack.get(racks[r])!;
    if (cursors[r] < list.length) out.push(list[cursors[r]++]);
    r = (r + 1) % racks.length;
  }
  return out;
}

function replicaIndex(first: number, shift: number, k: number, n: number): number {
  return (first + 1 + ((shift + k) % (n - 1))) % n;
}

/** Replica lists per partition; throws when there are fewer brokers than the replication factor. */
export function assignReplicas(brokerRacks: ReadonlyMap<number, string>, partitions: number, replicationFactor: number, rng: RandomStream): number[][] {
  const brokers = rackAlternatedBrokers(brokerRacks);
  const n = brokers.length;
  if (replicationFactor > n) throw new RangeError(`replication factor ${replicationFactor} is larger than the ${n} available brokers`);
  const numRacks = new Set(brokerRacks.values()).size;
  const startIndex = rng.int(0, n - 1);
  let shift = rng.int(0, n - 1);
  const out: number[][] = [];
  for (let p = 0; p < partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = (p + startIndex) % n;
    const leader = brokers[first];
    const replicas = [leader];
    const racksUsed = new Set([brokerRacks.get(leader)]);
    const brokersUsed = new Set([leader]);
    let k = 0;
    for (let r = 0; r < replicationFactor - 1; r++) {
      for (;;) {
        const b = brokers[replicaIndex(first, shift * numRacks, k, n)];
        const rack = brokerRacks.get(b);
        k++;
        // Skip a broker whose rack already has a replica while some rack has none, or a broker
        // that already has one while some broker has none.
        if ((!racksUsed.has(rack) || racksUsed.size === numRacks) && (!brokersUsed.has(b) || brokersUsed.size === n)) {
          replicas.push(b);
          racksUsed.add(rack);
          brokersUsed.add(b);
          break;
        }
      }
    }
    out.push(replicas);
  }
  return out;
}

/**
 * The znodes that create topics (AdminZkClient.createTopic then the controller's NewPartition ->
 * OnlinePartition: /brokers/topics/<t> with the assignment, and each partition's state with its
 * first replica leading and every replica in the ISR).
 */
export function topicCreationOps(
  topics: ReadonlyArray<{ name: string; partitions: number; replicationFactor: number }>,
  racks: ReadonlyMap<number, string>,
  rng: RandomStream,
  controllerEpoch: number,
): { ops: ZkOp[]; created: PartitionState[] } {
  const ops: ZkOp[] = [];
  const created: PartitionState[] = [];
  for (const t of topics) {
    const assignment = assignReplicas(racks, t.partitions, t.replicationFactor, rng);
    ops.push({ op: "create", path: `/brokers/topics/${t.name}`, data: { partitions: Object.fromEntries(assignment.map((r, p) => [String(p), r])) } });
    ops.push({ op: "create", path: `/brokers/topics/${t.name}/partitions`, data: null });
    assignment.forEach((replicas, p) => {
      const s: PartitionState = { topic: t.name, partition: p, leader: replicas[0], leaderEpoch: 0, isr: replicas.slice(), zkVersion: 0, replicas, controllerEpoch };
      ops.push({ op: "create", path: `/brokers/topics/${t.name}/partitions/${p}`, data: null });
      ops.push({ op: "create", path: statePath(t.name, p), data: { controller_epoch: controllerEpoch, leader: s.leader, leader_epoch: 0, isr: s.isr, version: 1 } });
      created.push(s);
    });
  }
  return { ops, created };
}
