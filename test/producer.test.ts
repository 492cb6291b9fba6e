/**
 * The producer's network client as Kafka's (clients/.../NetworkClient.java, Metadata.java),
 * one test per rule, each failing without it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { loadScenario, formatProblem } from "../scenarios/loader.js";
import { runScenario } from "../scenarios/runner.js";
import type { Override } from "../scenarios/overrides.js";

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

function run(file: string, seed: number, sets: Override[] = []) {
  const r = loadScenario(readFileSync(`scenarios/${file}`, "utf8"), file, sets);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  return runScenario(r.scenario, { seed }).world;
}

describe("metadata refresh (Metadata.timeToNextUpdate)", () => {
  it("a partition without a leader is asked about every retry.backoff.ms (refreshBackoffMs), not as fast as answers come", () => {
    // unclean-election with unclean election off: orders-0 has no leader for about 47 s.
    const world = run("unclean-election.yaml", 1, [{ key: "broker.unclean.leader.election.enable", value: "false" }]);
    const requests = world.sim.marks.count("producer: metadata request");
    // 47 s / 100 ms = 470, plus the requests around the other events; before: ~137,000.
    expect(requests).toBeGreaterThan(400);
    expect(requests).toBeLessThan(1000);
  }, 30_000);
});

describe("reconnect backoff (ClusterConnectionStates)", () => {
  it("a dead leader is reconnected to after reconnect.backoff.ms, doubling up to reconnect.backoff.max.ms from 0.11 (KIP-144); before, every reconnect.backoff.ms", () => {
    // acks-all-leader-crash: the leader is SIGKILLed three times, its partition without a leader for ~18 s each.
    const attempts = (version: string) => run("acks-all-leader-crash.yaml", 1, [{ key: "kafka.version", value: version }]).sim.marks.count("client: connection attempt");
    const modern = attempts("3.6");
    const old = attempts("0.10.2");
    // Without a backoff the producer reconnected on every retry: 528 attempts at 3.6.
    expect(modern).toBeLessThan(150);
    expect(old).toBeGreaterThan(modern);
  }, 60_000);
});

describe("acks=0 (KafkaApis.handleProduceRequest)", () => {
  it("an error to an acks=0 produce closes the connection, so the producer refreshes its metadata and follows the new leader", () => {
    const world = run("rolling-restart.yaml", 1, [
      { key: "producer.acks", value: "0" },
      { key: "producer.enable.idempotence", value: "false" },
    ]);
    expect(world.sim.marks.count("broker: error to an acks=0 produce closes the connection")).toBeGreaterThan(0);
    // Records sent to a broker that no longer leads are dropped; without the close the producer
    // kept sending there until metadata.max.age.ms (100,685 records in this run), now only the
    // few in flight when leadership moves.
    let inLogs = 0;
    for (const [key] of world.history.states) {
      const leader = world.history.states.get(key)!.at(-1)!.leader;
      const proc = world.brokers.get(leader)?.process as unknown as { partitionView(k: string): { logEndOffset: number } | undefined } | undefined;
      inLogs += proc?.partitionView(key)?.logEndOffset ?? 0;
    }
    const sent = world.history.producers.get("p1")!.sent;
    expect(sent - inLogs).toBeLessThan(1000);
  }, 30_000);
});

describe("replica.fetch.min.bytes (DelayedFetch.tryComplete)", () => {
  it("a parked follower fetch answers once min bytes of new data are there (or at replica.fetch.wait.max.ms), not on the first append", () => {
    const p50 = (minBytes: string) => {
      const world = run("steady-state.yaml", 1, [{ key: "broker.replica.fetch.min.bytes", value: minBytes }]);
      return world.history.latencyUs.histogram.getValueAtPercentile(50) / 1000;
    };
    // acks=all waits for the followers: with 100 KB min bytes they fetch every 500 ms at most.
    expect(p50("1")).toBeLessThan(5);
    expect(p50("100000")).toBeGreaterThan(400);
  }, 60_000);
});

function runText(yaml: string, seed = 1) {
  const r = loadScenario(yaml, "inline.yaml", []);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  return runScenario(r.scenario, { seed }).world;
}

/** One broker, down from 5 s to 40 s, under a producer whose buffer.memory holds ~30 records. */
const outage = (rate: string, maxBlockMs: number) => `
name: outage
duration: 50s
settle: 30s
kafka: { version: "3.6" }
cluster: { brokers: 1 }
topics: [{ name: t, partitions: 1, replication.factor: 1 }]
producers:
  - { id: p1, topic: t, rate: ${rate}, messageBytes: 1000, config: { acks: "1", buffer.memory: 32768, max.block.ms: ${maxBlockMs}, delivery.timeout.ms: 600000, request.timeout.ms: 30000 } }
faults:
  - { at: 5s, crash: broker-1, for: 35s }
`;

describe("max.block.ms (KafkaProducer.send, BufferPool.allocate)", () => {
  it("with buffer.memory exhausted, send() blocks for max.block.ms and then that one record fails; the records behind it wait", () => {
    const world = runText(outage("1000/s", 5000));
    const errors = Object.fromEntries(world.history.errors);
    // 35 s of outage in 5 s blocks: about 7 records time out. Failing at once instead lost ~35,000.
    expect(errors["failed: TIMEOUT (max.block.ms)"]).toBeGreaterThanOrEqual(5);
    expect(errors["failed: TIMEOUT (max.block.ms)"]).toBeLessThanOrEqual(8);
    expect(errors["failed: BUFFER_EXHAUSTED"]).toBeUndefined();
    const t = world.history.producers.get("p1")!;
    // The blocked application catches up after the outage: nearly every record is acknowledged.
    expect(t.acked).toBeGreaterThan(48_500);
  }, 30_000);
});

describe("closed loop (rate: max, as kafka-producer-perf-test --throughput -1)", () => {
  it("calls send() as soon as it returns, so the buffer stays full: sends stop during an outage and resume after it", () => {
    const world = runText(outage("max", 60000));
    const t = world.history.producers.get("p1")!;
    // One thread at ~1.3 µs a call would call ~38 million times in 50 s; what it sends is bounded
    // by what the broker acknowledges, not by a rate.
    expect(t.acked).toBeGreaterThan(10_000);
    expect(t.failed).toBe(0);
    // The latency of a closed-loop record runs from its send() call: with the buffer full it is
    // the time to drain 32 KB, except for the records that waited out the outage.
    expect(world.history.latencyUs.histogram.getValueAtPercentile(50)).toBeLessThan(50_000);
  }, 30_000);
});

describe("keyless partitioning", () => {
  const sticky = (version: string) => `
name: sticky
duration: 10s
settle: 5s
kafka: { version: "${version}" }
cluster: { brokers: 3 }
topics: [{ name: t, partitions: 6, replication.factor: 1 }]
producers:
  - { id: p1, topic: t, rate: 2000/s, messageBytes: 1000, config: { acks: "1", linger.ms: 5 } }
`;
  // A batch lingers out (5 ms) before it fills (16 records take 8 ms), so every batch is followed by an opener.
  it("KIP-480 (2.4): the record that would open a new batch goes to the next sticky partition, so batches leave full", () => {
    const world = runText(sticky("2.4"));
    const batches = world.history.acks.toArray();
    const single = batches.filter((b) => b.count === 1).length;
    // Left on the old partition, the opener lingered alone: two batches in three had one record.
    expect(batches.length).toBeGreaterThan(1000);
    expect(single / batches.length).toBeLessThan(0.02);
    const mean = batches.reduce((s, b) => s + b.count, 0) / batches.length;
    expect(mean).toBeGreaterThan(9);
    // ... and stickiness moves on: every partition gets a share.
    const perPartition = new Set(batches.map((b) => b.partition));
    expect(perPartition.size).toBe(6);
  }, 30_000);
});

describe("KIP-794 built-in partitioner (3.3+)", () => {
  const slowBroker = (adaptive: boolean) => `
name: adaptive
duration: 20s
settle: 5s
kafka: { version: "3.6" }
cluster: { brokers: 3 }
topics: [{ name: t, partitions: 6, replication.factor: 1 }]
producers:
  - { id: p1, topic: t, rate: 20000/s, messageBytes: 1000, config: { acks: "1", linger.ms: 5, partitioner.adaptive.partitioning.enable: ${adaptive} } }
faults:
  - { at: 0s, latency: { between: [[producer-p1], [broker-1]], add: 20ms } }
`;
  const shareOfBroker1 = (adaptive: boolean) => {
    const world = runText(slowBroker(adaptive));
    let slow = 0;
    let all = 0;
    // broker-1 leads partitions 0 and 3 (replicas assigned round-robin from broker 1).
    for (const b of world.history.acks) {
      all += b.count;
      if (b.partition % 3 === 0) slow += b.count;
    }
    return slow / all;
  };
  it("adaptive partitioning (updatePartitionLoadStats) sends fewer records to the partitions of a slow leader; without it, a third", () => {
    const adaptive = shareOfBroker1(true);
    const uniform = shareOfBroker1(false);
    expect(uniform).toBeGreaterThan(0.28);
    expect(adaptive).toBeLessThan(uniform - 0.05);
  }, 60_000);
});

describe("batch expiry before KIP-91 (RecordAccumulator.expiredBatches, 0.10.2 - 2.0)", () => {
  it("a batch queued behind an unresponsive leader expires request.timeout.ms after linger, though the leader is known", () => {
    const yaml = `
name: paused
duration: 60s
settle: 30s
kafka: { version: "2.0" }
cluster: { brokers: 1 }
topics: [{ name: t, partitions: 1, replication.factor: 1 }]
producers:
  - { id: p1, topic: t, rate: 1000/s, messageBytes: 100, config: { acks: "1", request.timeout.ms: 10000 } }
faults:
  - { at: 5s, pause: broker-1, for: 40s }
`;
    const world = runText(yaml);
    const expired = world.history.errors.get("failed: TIMEOUT (request.timeout.ms in the accumulator)") ?? 0;
    // Records queued behind the five requests in flight expire 10 s after they lingered out.
    expect(expired).toBeGreaterThan(10_000);
  }, 30_000);
});

describe("Sender drain (RecordAccumulator.drain)", () => {
  it("once one partition's batch is ready, the first batch of every other partition on that broker goes along, lingering or not", () => {
    const yaml = `
name: drain
duration: 10s
settle: 5s
kafka: { version: "3.6" }
cluster: { brokers: 1 }
topics: [{ name: t, partitions: 4, replication.factor: 1 }]
producers:
  - { id: p1, topic: t, rate: 2000/s, messageBytes: 1000, keys: 64, config: { acks: "1", linger.ms: 1000 } }
`;
    const batches = runText(yaml).history.acks.toArray();
    const partial = batches.filter((b) => b.count < 16).length;
    // Without it, each batch waits to fill (16 records) or for its 1 s linger: almost all are full.
    expect(partial / batches.length).toBeGreaterThan(0.3);
  }, 30_000);
});

describe("KIP-360 (2.5): an idempotent producer survives lost producer state", () => {
  it("after an unclean election truncated its sequences, 2.4 fails the batch at the gap (new producer id); 2.5 retries it with sequences started over", () => {
    const errors = (version: string) => {
      const sets: Override[] = [
        { key: "kafka.version", value: version },
        { key: "producer.enable.idempotence", value: "true" },
        { key: "producer.acks", value: "all" },
      ];
      return run("unclean-election.yaml", 1, sets).history.errors;
    };
    const old = errors("2.4");
    const modern = errors("2.5");
    expect(old.get("OUT_OF_ORDER_SEQUENCE_NUMBER")).toBeGreaterThan(0);
    expect(old.get("failed: OUT_OF_ORDER_SEQUENCE_NUMBER")).toBeGreaterThan(0);
    expect(modern.get("OUT_OF_ORDER_SEQUENCE_NUMBER")).toBeGreaterThan(0);
    expect(modern.get("failed: OUT_OF_ORDER_SEQUENCE_NUMBER")).toBeUndefined();
  }, 60_000);
});

describe("connection set-up (NetworkClient, ClusterConnectionStates)", () => {
  const cutOff = (version: string) => `
name: cut
duration: 80s
settle: 10s
kafka: { version: "${version}" }
cluster: { brokers: 1 }
topics: [{ name: t, partitions: 1, replication.factor: 1 }]
producers:
  - { id: p1, topic: t, rate: 100/s, messageBytes: 100, config: { acks: "1" } }
faults:
  - { at: 5s, partition: [[producer-p1], [broker-1]], for: 60s }
`;
  it("KIP-601 (2.7): a connect that gets no answer is closed after socket.connection.setup.timeout.ms; before, only the OS's SYN retries (127 s) end it", () => {
    const modern = runText(cutOff("3.6")).sim.marks;
    const old = runText(cutOff("2.6")).sim.marks;
    // The request timeout (30 s) closes the stalled connection; the new connects then hang on SYNs.
    expect(modern.count("client: connection setup timed out (KIP-601)")).toBeGreaterThanOrEqual(1);
    expect(old.count("client: connection setup timed out (KIP-601)")).toBe(0);
  }, 30_000);

  it("requests go only on a ready connection: none is sent into a handshake, so none times out unanswered after the heal", () => {
    const world = runText(cutOff("3.6"));
    // Only the requests in flight when the partition began time out (one connection, one timeout).
    expect(world.sim.marks.count("client: request timed out, connection closed")).toBe(1);
    expect(world.history.producers.get("p1")!.acked).toBeGreaterThan(7000);
  }, 30_000);
});

describe("NetworkClient.leastLoadedNode", () => {
  it("from 2.3 picks a ready node with the fewest in flight, else a connecting one, else the one tried longest ago (2.7); before 2.3, the fewest in flight, connected or not", async () => {
    const { ProducerMetadata } = await import("../sim/nodes/kafka/clients/producer/ProducerMetadata.js");
    const { behaviourOf } = await import("../sim/nodes/kafka/common/versions.js");
    type Fake = { state: string; inFlight: number; readyAtUs: number; lastConnectAttemptUs: number };
    const pick = (version: string, conns: Record<number, Fake>, offset = 0) => {
      const m = new ProducerMetadata({
        machine: { now: 10 } as never,
        topic: "t",
        partitions: 1,
        brokerIds: Object.keys(conns).map(Number),
        behaviour: behaviourOf(version as never),
        retryBackoffUs: 0,
        retryBackoffMaxUs: 0,
        maxAgeUs: 0,
        maxInFlight: 5,
        rng: { int: () => offset } as never,
        conn: (id: number) => conns[id] as never,
        onUpdate: () => undefined,
        wake: () => undefined,
      });
      return m.leastLoadedNode(10);
    };
    const ready = (inFlight: number): Fake => ({ state: "ready", inFlight, readyAtUs: -Infinity, lastConnectAttemptUs: 0 });
    const down = (lastTry: number, readyAt = 0): Fake => ({ state: "disconnected", inFlight: 0, readyAtUs: readyAt, lastConnectAttemptUs: lastTry });
    const connecting: Fake = { state: "connecting", inFlight: 0, readyAtUs: Infinity, lastConnectAttemptUs: 5 };
    // A busy ready node beats an idle disconnected one from 2.3; before, the idle one wins.
    expect(pick("3.6", { 1: down(0), 2: ready(3) })).toBe(2);
    expect(pick("2.2", { 1: down(0), 2: ready(3) })).toBe(1);
    // No ready node: a connecting one, then one that may connect (the one tried longest ago from 2.7).
    expect(pick("3.6", { 1: down(8), 2: connecting, 3: down(2) })).toBe(2);
    expect(pick("3.6", { 1: down(8), 2: down(2), 3: down(1, 50) })).toBe(2);
    // In reconnect backoff everywhere: none.
    expect(pick("3.6", { 1: down(8, 50), 2: down(2, 50) })).toBe(-1);
  });
});

describe("3.7: KIP-580 exponential retry backoff and KIP-951 leader hints", () => {
  it("KIP-580: a partition without a leader is asked about ever less often, up to retry.backoff.max.ms (a repeat answer advances no epoch)", () => {
    const requests = (version: string) =>
      run("unclean-election.yaml", 1, [
        { key: "broker.unclean.leader.election.enable", value: "false" },
        { key: "kafka.version", value: version },
      ]).sim.marks.count("producer: metadata request");
    const constant = requests("3.6");
    const exponential = requests("3.7");
    // ~47 s without a leader: every 100 ms before 3.7; every ~1 s once backed off.
    expect(constant).toBeGreaterThan(400);
    expect(exponential).toBeLessThan(150);
  }, 60_000);

  it("ExponentialBackoff: retry.backoff.ms doubling per attempt, ±20%, capped at the maximum from 3.7", async () => {
    const { exponentialBackoffUs } = await import("../sim/nodes/kafka/clients/ExponentialBackoff.js");
    const top = { uniform: (_a: number, b: number) => b } as never;
    expect(exponentialBackoffUs(100, 1000, 0, 0.2, top, true)).toBe(120);
    expect(exponentialBackoffUs(100, 1000, 2, 0.2, top, true)).toBe(480);
    expect(exponentialBackoffUs(100, 1000, 9, 0.2, top, true)).toBe(1000);
    expect(exponentialBackoffUs(100, 1000, 9, 0.2, top, false)).toBe(1200);
    expect(exponentialBackoffUs(100, 100, 3, 0.2, top, false)).toBe(100);
  });

  it("KIP-951: in a rolling restart a 3.7 producer takes the new leader from the NOT_LEADER_OR_FOLLOWER answer; 3.6 waits for metadata", () => {
    const hints = (version: string) => run("rolling-restart.yaml", 1, [{ key: "kafka.version", value: version }]).sim.marks.count("producer: leader taken from a produce response (KIP-951)");
    expect(hints("3.6")).toBe(0);
    expect(hints("3.7")).toBeGreaterThan(0);
  }, 60_000);
});

describe("delivery.timeout.ms (KIP-91, Sender.getExpiredInflightBatches)", () => {
  it("a batch in flight past delivery.timeout.ms fails then, before its request times out, and a late answer is ignored", () => {
    const yaml = `
name: paused
duration: 40s
settle: 40s
kafka: { version: "3.6" }
cluster: { brokers: 1 }
topics: [{ name: t, partitions: 1, replication.factor: 1 }]
producers:
  - { id: p1, topic: t, rate: 100/s, messageBytes: 100, config: { acks: "1", request.timeout.ms: 30000, delivery.timeout.ms: 30000 } }
faults:
  - { at: 5s, pause: broker-1, for: 60s }
`;
    const errors = runText(yaml).history.errors;
    // The batches in flight when the broker froze were created before they were sent, so their
    // delivery deadline comes first; before, they failed on the request timeout (REQUEST_TIMED_OUT).
    expect(errors.get("failed: TIMEOUT (delivery.timeout.ms)")).toBeGreaterThan(0);
    expect(errors.get("failed: REQUEST_TIMED_OUT")).toBeUndefined();
  }, 30_000);
});

describe("no busy waiting", () => {
  it("with every connected broker at max.in.flight, a due metadata update waits for an answer instead of waking every microsecond", () => {
    // controller-failover seed 3 ran 18 million events (a wake per µs while requests were in flight); now ~300,000.
    const world = run("controller-failover.yaml", 3);
    expect(world.sim.events).toBeLessThan(2_000_000);
  }, 60_000);
});

describe("partitioner.ignore.keys (KIP-794, 3.3+)", () => {
  it("keyed records go where the built-in partitioner sends keyless ones: in sticky runs, not by murmur2 of the key", () => {
    const yaml = (ignore: boolean) => `
name: ignore
duration: 5s
settle: 2s
kafka: { version: "3.6" }
cluster: { brokers: 1 }
topics: [{ name: t, partitions: 6, replication.factor: 1 }]
producers:
  - { id: p1, topic: t, rate: 1000/s, messageBytes: 1000, keys: 1000, config: { acks: "1", linger.ms: 50, partitioner.ignore.keys: ${ignore} } }
`;
    const mean = (ignore: boolean) => {
      const acks = runText(yaml(ignore)).history.acks.toArray();
      return acks.reduce((s, a) => s + a.count, 0) / acks.length;
    };
    // By key, 1,000 keys spread every 50 ms linger over 6 partitions (~8 records a batch); sticky, batches fill.
    expect(mean(false)).toBeLessThan(10);
    expect(mean(true)).toBeGreaterThan(12);
  }, 30_000);
});
