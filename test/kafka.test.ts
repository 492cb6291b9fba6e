import { describe, expect, it } from "vitest";
import { murmur2, partitionForKey } from "../sim/nodes/kafka/clients/producer/Partitioner.js";
import { assignReplicas } from "../sim/nodes/kafka/controller/replicaAssignment.js";
import { controlledShutdownElection, offlineElection, preferredElection } from "../sim/nodes/kafka/controller/leaderElection.js";
import { behaviourOf, brokerDefaults, producerDefaults } from "../sim/nodes/kafka/common/versions.js";
import { Rng } from "../sim/Random.js";
import { ZkTree, type WatchEvent } from "../sim/nodes/zookeeper/ZkTree.js";

describe("producer partitioning", () => {
  it("murmur2 matches Kafka's UtilsTest.testMurmur2 vectors", () => {
    const enc = new TextEncoder();
    const cases: Array<[string, number]> = [
      ["21", -973932308],
      ["foobar", -790332482],
      ["a-little-bit-long-string", -985981536],
      ["a-little-bit-longer-string", -1486304829],
      ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
      ["abc", 479470107],
    ];
    for (const [s, v] of cases) expect(murmur2(enc.encode(s))).toBe(v);
  });

  it("a key lands on toPositive(murmur2) % partitions", () => {
    expect(partitionForKey("21", 12)).toBe((-973932308 & 0x7fffffff) % 12);
  });
});

describe("rack-aware replica assignment", () => {
  it("puts each partition's replicas on distinct brokers and racks, leaders spread evenly", () => {
    const racks = new Map([1, 2, 3, 4, 5, 6].map((id) => [id, ["a", "b", "c"][(id - 1) % 3]]));
    const a = assignReplicas(racks, 12, 3, new Rng(7).stream("assign"));
    expect(a).toHaveLength(12);
    for (const replicas of a) {
      expect(new Set(replicas).size).toBe(3);
      expect(new Set(replicas.map((r) => racks.get(r))).size).toBe(3);
    }
    const leaders = new Map<number, number>();
    for (const r of a) leaders.set(r[0], (leaders.get(r[0]) ?? 0) + 1);
    expect([...leaders.values()]).toEqual([2, 2, 2, 2, 2, 2]);
  });

  it("refuses a replication factor larger than the broker count", () => {
    expect(() => assignReplicas(new Map([[1, "a"]]), 1, 2, new Rng(1).stream("x"))).toThrow(/replication factor/);
  });
});

describe("leader election", () => {
  const live = (ids: number[]) => (id: number) => ids.includes(id);
  it("elects the first live ISR member in assignment order", () => {
    expect(offlineElection([1, 2, 3], [3, 2], live([2, 3]), false)).toEqual({ leader: 2, isr: [3, 2], unclean: false });
  });
  it("elects an out-of-sync replica only when unclean election is allowed", () => {
    expect(offlineElection([1, 2, 3], [1], live([2, 3]), false)).toBeNull();
    expect(offlineElection([1, 2, 3], [1], live([2, 3]), true)).toEqual({ leader: 2, isr: [2], unclean: true });
  });
  it("moves leadership off a broker in controlled shutdown, and back to the preferred replica", () => {
    expect(controlledShutdownElection([1, 2, 3], [1, 2, 3], live([1, 2, 3]), new Set([1]))).toEqual({ leader: 2, isr: [2, 3], unclean: false });
    expect(preferredElection([1, 2, 3], [2, 3], live([1, 2, 3]))).toBeNull();
    expect(preferredElection([1, 2, 3], [2, 3, 1], live([1, 2, 3]))?.leader).toBe(1);
  });
});

describe("version table", () => {
  it("follows the releases' defaults and behaviour", () => {
    expect(brokerDefaults("0.10.2")["unclean.leader.election.enable"]).toBe(true);
    expect(brokerDefaults("0.11")["unclean.leader.election.enable"]).toBe(false);
    expect(producerDefaults("2.8").acks).toBe("1");
    expect(producerDefaults("3.0").acks).toBe("all");
    // KAFKA-13598: 3.0.0 and 3.1.0 declare idempotence on but use it only when the user sets it.
    expect(producerDefaults("3.1")["enable.idempotence"]).toBe(false);
    expect(producerDefaults("3.2")["enable.idempotence"]).toBe(true);
    expect(producerDefaults("2.0").retries).toBe(0);
    expect(behaviourOf("0.10.2").leaderEpochTruncation).toBe(false);
    expect(behaviourOf("0.11").leaderEpochTruncation).toBe(true);
    expect(behaviourOf("1.1").epochTruncationFix).toBe(false);
    expect(behaviourOf("2.0").epochTruncationFix).toBe(true);
    expect(behaviourOf("2.1").fetchLeaderEpoch).toBe(true);
    expect(behaviourOf("2.0").keylessPartitioner).toBe("round-robin");
    expect(behaviourOf("2.3").keylessPartitioner).toBe("round-robin");
    expect(behaviourOf("2.4").keylessPartitioner).toBe("sticky");
    expect(behaviourOf("3.2").keylessPartitioner).toBe("sticky");
    expect(behaviourOf("3.3").keylessPartitioner).toBe("uniform-sticky");
    // Each flag at the x.y.0 release that first had it (checked at the release tags).
    const since: Array<[keyof ReturnType<typeof behaviourOf>, string, string]> = [
      ["brokerEpoch", "2.1", "2.2"],
      ["offlineReplicasAtFailover", "2.2", "2.3"],
      ["alterIsr", "2.6", "2.7"],
      ["alterPartitionName", "3.1", "3.2"],
      ["ineligibleReplicaCheck", "3.2", "3.3"],
      ["isrNeedsEpochStart", "2.0", "2.1"],
      ["metadataBackoffAfterDisconnect", "2.4", "2.5"],
      ["hwIgnoresDeadCaughtUpReplicas", "3.5", "3.6"],
    ];
    for (const [flag, before, from] of since) {
      expect({ flag, before: behaviourOf(before as never)[flag] }).toEqual({ flag, before: false });
      expect({ flag, from: behaviourOf(from as never)[flag] }).toEqual({ flag, from: true });
    }
    expect(behaviourOf("2.0").exitOnDisallowedTruncation).toBe(true);
    expect(behaviourOf("2.1").exitOnDisallowedTruncation).toBe(false);
    expect(brokerDefaults("2.4")["replica.lag.time.max.ms"]).toBe(10_000);
    expect(brokerDefaults("2.5")["replica.lag.time.max.ms"]).toBe(30_000);
  });
});

describe("ZooKeeper data tree", () => {
  it("has versions, conditional setData, ephemeral and sequential znodes and one-shot watches", () => {
    const fired: Array<[number, WatchEvent]> = [];
    const t = new ZkTree((s, e) => fired.push([s, e]));
    expect(t.apply(1, { op: "create", path: "/a", data: 1 }).code).toBe("OK");
    expect(t.apply(1, { op: "create", path: "/a", data: 1 }).code).toBe("NODEEXISTS");
    expect(t.apply(2, { op: "getData", path: "/a", watch: true }).stat?.version).toBe(0);
    expect(t.apply(1, { op: "setData", path: "/a", data: 2, version: 5 }).code).toBe("BADVERSION");
    expect(t.apply(1, { op: "setData", path: "/a", data: 2, version: 0 }).stat?.version).toBe(1);
    expect(t.apply(1, { op: "setData", path: "/a", data: 3, version: 1 }).code).toBe("OK");
    expect(fired).toEqual([[2, { type: "NodeDataChanged", path: "/a" }]]);
    const seq = t.apply(1, { op: "create", path: "/a/n-", data: null, sequential: true });
    expect(seq.path).toBe("/a/n-0000000000");
    t.apply(3, { op: "create", path: "/e", data: null, ephemeral: true });
    t.apply(2, { op: "exists", path: "/e", watch: true });
    t.deleteEphemerals(3);
    expect(t.get("/e")).toBeUndefined();
    expect(fired[1]).toEqual([2, { type: "NodeDeleted", path: "/e" }]);
    // A multi with a failing check applies nothing.
    expect(t.apply(1, { op: "multi", ops: [{ op: "check", path: "/a", version: 0 }, { op: "setData", path: "/a", data: 9, version: -1 }] }).code).toBe("BADVERSION");
    expect(t.get("/a")?.data).toBe(3);
  });
});

describe("producer config post-processing (ProducerConfig, KafkaProducer.configure*)", () => {
  it("idempotence set by the user makes unset acks all and unset retries MAX; the 3.2+ default gives way to acks=1, retries=0 or > 5 in flight", async () => {
    const { effectiveProducerConfig } = await import("../sim/nodes/kafka/clients/producer/ProducerConfig.js");
    const explicit = effectiveProducerConfig("2.0", { "enable.idempotence": true });
    expect(explicit.acks()).toBe(-1);
    expect(explicit.num("retries")).toBe(2_147_483_647);
    expect(effectiveProducerConfig("3.1", {}).bool("enable.idempotence")).toBe(false);
    expect(effectiveProducerConfig("3.2", {}).bool("enable.idempotence")).toBe(true);
    expect(effectiveProducerConfig("3.2", { acks: "1" }).bool("enable.idempotence")).toBe(false);
    expect(effectiveProducerConfig("3.2", { retries: 0 }).bool("enable.idempotence")).toBe(false);
    expect(effectiveProducerConfig("3.2", { "max.in.flight.requests.per.connection": 6 }).bool("enable.idempotence")).toBe(false);
    // reconnect.backoff.ms alone also caps the backoff (postProcessReconnectBackoffConfigs).
    expect(effectiveProducerConfig("3.6", { "reconnect.backoff.ms": 200 }).num("reconnect.backoff.max.ms")).toBe(200);
  });
});
