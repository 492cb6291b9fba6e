/**
 * Bytes as the wire carries them: TCP/IP/Ethernet framing on the NIC (Framing.ts), record and
 * batch sizes per message format (recordFormat.ts), Produce and Fetch as their request versions
 * lay them out (protocol.ts), and the utilization counters that say what a run kept busy.
 */
import { describe, expect, it } from "vitest";
import { Simulation } from "../sim/Simulation.js";
import { Host } from "../sim/Host.js";
import { Network } from "../sim/network/Network.js";
import { Nic } from "../sim/network/Nic.js";
import { ACK_WIRE_BYTES, SEGMENT_OVERHEAD_BYTES, TCP_MSS, wireBytesOf } from "../sim/network/Framing.js";
import { HARDWARE_PROFILES, NVME_SSD } from "../sim/disk/profiles.js";
import { BlockDevice } from "../sim/disk/BlockDevice.js";
import { IO_US_PER_KB, IO_US_PER_REQUEST, NETWORK_US_PER_KB, NETWORK_US_PER_REQUEST, newRequestCpu, RequestPools } from "../sim/nodes/kafka/server/RequestPools.js";
import { computeUtilization, formatUtilization } from "../reports/utilization.js";
import { computeMetrics } from "../reports/metrics.js";
import { logOf } from "../reports/readReplica.js";
import type { LatencyTable } from "../sim/network/Topology.js";
import { batchBytes, keyBytesOf, recordBytes, sizeOfVarint } from "../sim/nodes/kafka/log/recordFormat.js";
import { RecordAccumulator } from "../sim/nodes/kafka/clients/producer/RecordAccumulator.js";
import { behaviourOf } from "../sim/nodes/kafka/common/versions.js";
import { fetchRequestBytes, fetchResponseBytes, fetcherClientId, PRODUCER_CLIENT_ID, produceRequestBytes, produceResponseBytes } from "../sim/nodes/kafka/common/protocol.js";
import { readFileSync } from "node:fs";
import { loadScenario, formatProblem } from "../scenarios/loader.js";
import { runScenario } from "../scenarios/runner.js";

const NO_JITTER: LatencyTable = {
  sameHost: { baseUs: 5, jitterUs: 0 },
  sameRack: { baseUs: 50, jitterUs: 0 },
  crossRack: { baseUs: 150, jitterUs: 0 },
  crossZone: { baseUs: 700, jitterUs: 0 },
};

const MiB = 1024 * 1024;

/** Deliveries land on whole microseconds, so a measured rate is exact only to about 1 µs over the run. */
function expectRate(actual: number, expected: number, relative: number): void {
  expect(Math.abs(actual / expected - 1)).toBeLessThan(relative);
}

/** Sends `count` messages of `bytes` back to back over one connection; returns the receiver's payload rate in bytes/s between the first and last delivery. */
function streamRate(profile: string, bytes: number, count: number): { bytesPerSecond: number; sender: Nic; receiver: Nic; lastUs: number } {
  const sim = new Simulation(1);
  const a = new Host(sim, { name: "a", rack: "r1", zone: "z", index: 0 });
  const b = new Host(sim, { name: "b", rack: "r2", zone: "z", index: 1 });
  const bps = HARDWARE_PROFILES[profile].nicBytesPerSecond;
  const net = new Network(sim, { hosts: [a, b], nicBytesPerSecond: [bps, bps], latency: NO_JITTER });
  const at: number[] = [];
  a.install(() => {
    net.listen(a, { onMessage: () => {} });
    return { kind: "client" };
  });
  b.install(() => {
    net.listen(b, { onMessage: () => at.push(sim.now) });
    return { kind: "server" };
  });
  const s = net.connect(a, b);
  for (let i = 0; i < count; i++) s.send(i, bytes);
  sim.run({ untilUs: 1e9 });
  expect(at).toHaveLength(count);
  return { bytesPerSecond: ((count - 1) * bytes * 1e6) / (at[count - 1] - at[0]), sender: net.nics[0], receiver: net.nics[1], lastUs: at[count - 1] };
}

describe("TCP/IP/Ethernet framing on the NIC", () => {
  it("a full segment carries 1448 bytes (MSS with TCP timestamps) in 1538 bytes of wire time; a pure ACK takes 90", () => {
    expect(TCP_MSS).toBe(1448);
    expect(TCP_MSS + SEGMENT_OVERHEAD_BYTES).toBe(1538);
    expect(wireBytesOf(1448)).toBe(1538);
    expect(wireBytesOf(1449)).toBe(1449 + 2 * 90);
    expect(ACK_WIRE_BYTES).toBe(90);
  });

  it("a 1 GbE link (hdd-1gbe) carries 1 MiB messages at 117.68 MB/s of payload, not 125", () => {
    // 1 MiB is 725 segments (724 full, one of 224 bytes): 1,048,576 + 725 × 90 = 1,113,826 wire
    // bytes, so 125,000,000 × 1,048,576 / 1,113,826 = 117,677,267 B/s; the asymptote for endless
    // full segments is 1e9/8 × 1448/1538 = 117,685,306 B/s.
    const { bytesPerSecond } = streamRate("hdd-1gbe", MiB, 50);
    expectRate(bytesPerSecond, 117_677_267, 1e-5);
    expect(bytesPerSecond).toBeLessThan((1e9 / 8) * (1448 / 1538));
  });

  it("small messages carry correspondingly less: 100-byte messages at 65.79 MB/s, 1000-byte at 114.68 MB/s", () => {
    // One segment each: 125e6 × 100 / 190 and 125e6 × 1000 / 1090. Queue time is kept exactly, so
    // 1.52 µs per 100-byte message is not rounded up to 2.
    expectRate(streamRate("hdd-1gbe", 100, 10_000).bytesPerSecond, 65_789_474, 1e-4);
    expectRate(streamRate("hdd-1gbe", 1000, 10_000).bytesPerSecond, 114_678_899, 1e-4);
  });

  it("the ACKs of a transfer occupy the reverse direction: one 90-byte frame per two segments, none for a lone one", () => {
    const { sender, receiver } = streamRate("hdd-1gbe", MiB, 10);
    // 725 segments a message: 362 ACKs, sent by the receiver, received by the sender.
    expect(receiver.wireBytesOut).toBe(10 * 362 * 90);
    expect(sender.wireBytesIn).toBe(10 * 362 * 90);
    expect(sender.wireBytesOut).toBe(10 * 1_113_826);
    expect(sender.bytesOut).toBe(10 * MiB);
    expect(streamRate("hdd-1gbe", 1000, 10).receiver.wireBytesOut).toBe(0);
  });

  it("the NIC's busy time is its wire bytes at line rate", () => {
    const { sender, lastUs } = streamRate("hdd-1gbe", MiB, 10);
    expect(sender.egressBusyUs).toBeCloseTo((10 * 1_113_826) / 125, 6);
    expect(sender.egressBusyUs).toBeLessThan(lastUs);
  });
});

describe("records per message format (LegacyRecord v1 before 0.11, DefaultRecord v2 from 0.11)", () => {
  it("zig-zag varints take 1 byte to ±63, 2 to ±8191, 3 beyond (ByteUtils.sizeOfVarint)", () => {
    expect([0, 63, -1, -64, 64, 8191, 8192, -8193].map(sizeOfVarint)).toEqual([1, 1, 1, 1, 2, 2, 3, 3]);
  });

  it("a 1 KiB keyless record costs 1058 bytes in v1 (0.10.2) and 1033 in v2 (0.11+), plus 61 per v2 batch", () => {
    const r = { keyBytes: -1, valueBytes: 1024, offsetDelta: 0, timestampDeltaMs: 0 };
    // v1: log overhead 12 (offset, size) + crc 4, magic 1, attributes 1, timestamp 8, key length 4, value length 4.
    expect(recordBytes(1, r)).toBe(12 + 22 + 1024);
    // v2: length varint (1031 → 2) + attributes 1, offset delta 1, timestamp delta 1, key length -1 (1),
    // value length (1024 → 2), value, header count 1.
    expect(recordBytes(2, r)).toBe(2 + 1 + 1 + 1 + 1 + 2 + 1024 + 1);
    expect(batchBytes(1, 1, -1, 1024)).toBe(1058);
    expect(batchBytes(2, 1, -1, 1024)).toBe(61 + 1033);
    expect(batchBytes(1, 16, -1, 1024)).toBe(16 * 1058);
    expect(batchBytes(2, 16, -1, 1024)).toBe(61 + 16 * 1033);
  });

  it("a key adds its bytes (v1) or its bytes and a varint length in place of the null one (v2)", () => {
    const keyed = { keyBytes: keyBytesOf("key-7"), valueBytes: 1024, offsetDelta: 0, timestampDeltaMs: 0 };
    expect(keyed.keyBytes).toBe(5);
    expect(recordBytes(1, keyed)).toBe(1058 + 5);
    expect(recordBytes(2, keyed)).toBe(1033 + 5);
  });

  it("v2 records grow a byte once the offset delta passes 63 or the timestamp delta 63 ms", () => {
    const base = { keyBytes: -1, valueBytes: 10, offsetDelta: 63, timestampDeltaMs: 63 };
    expect(recordBytes(2, { ...base, offsetDelta: 64 })).toBe(recordBytes(2, base) + 1);
    expect(recordBytes(2, { ...base, timestampDeltaMs: 64 })).toBe(recordBytes(2, base) + 1);
    expect(recordBytes(1, { ...base, offsetDelta: 64, timestampDeltaMs: 64 })).toBe(recordBytes(1, base));
  });

  it("the producer's batches have the release's format: no header and 34 bytes a record in 0.10.2, 61 and varints in 0.11", () => {
    const v1 = new RecordAccumulator(1, 16_384, 33_554_432, behaviourOf("0.10.2").messageFormat);
    const v2 = new RecordAccumulator(1, 16_384, 33_554_432, behaviourOf("0.11").messageFormat);
    for (let i = 0; i < 100; i++) {
      v1.append(0, 100, 0);
      v2.append(0, 100, 0);
    }
    expect(v1.deques[0].map((b) => [b.count, b.bytes])).toEqual([[100, 100 * 134]]);
    // v2: 100-byte values are 109 bytes a record (length 2, attributes 1, deltas 1 + 1, null key 1,
    // value length 2, value 100, headers 1) while the offset delta is below 64, 110 after.
    expect(v2.deques[0].map((b) => [b.count, b.bytes])).toEqual([[100, 61 + 64 * 109 + 36 * 110]]);
  });

  it("a batch is full at batch.size by the format's sizes", () => {
    const v1 = new RecordAccumulator(1, 16_384, 33_554_432, 1);
    for (let i = 0; i < 20; i++) v1.append(0, 1024, 0);
    // 15 × 1058 = 15,870 fits 16,384; a 16th would not.
    expect(v1.deques[0].map((b) => b.count)).toEqual([15, 5]);
    const v2 = new RecordAccumulator(1, 16_384, 33_554_432, 2);
    for (let i = 0; i < 20; i++) v2.append(0, 1024, 0);
    // 61 + 15 × 1033 = 15,556; a 16th record makes 16,589.
    expect(v2.deques[0].map((b) => b.count)).toEqual([15, 5]);
    expect(v2.deques[0][0].bytes).toBe(61 + 15 * 1033);
  });

  it("a broker's log holds what the release's producer wrote: 234 bytes a 200-byte record in 0.10.2, 209 + 61 a batch in 0.11", () => {
    const logs = (version: string) => {
      const r = loadScenario(readFileSync("scenarios/steady-state.yaml", "utf8"), "steady-state.yaml", [
        { key: "kafka.version", value: version },
        { key: "duration", value: "3s" },
      ]);
      if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
      const outcome = runScenario(r.scenario, { seed: 1 });
      return [0, 1, 2, 3, 4, 5].flatMap((p) => logOf(outcome.world, 1, `orders-${p}`));
    };
    const old = logs("0.10.2");
    const records = old.reduce((s, b) => s + b.count, 0);
    expect(records).toBeGreaterThan(100);
    expect(old.reduce((s, b) => s + b.bytes, 0)).toBe(records * 234);
    const now = logs("0.11");
    const count = now.reduce((s, b) => s + b.count, 0);
    expect(count).toBeGreaterThan(100);
    // At 1,000 records/s over 6 partitions a batch holds a few records within a few ms: 1-byte deltas.
    expect(now.reduce((s, b) => s + b.bytes, 0)).toBe(now.length * 61 + count * 209);
  });
});

describe("Produce and Fetch as their request versions lay them out", () => {
  const batch = (bytes: number) => ({ baseOffset: -1, count: 1, bytes, leaderEpoch: -1, producerId: -1, baseSequence: -1, producer: "p1", firstIndex: 0 });
  const six = [0, 1, 2, 3, 4, 5].map((partition) => ({ topic: "orders", partition }));

  it("a produce request is the batch plus 54 bytes in 0.10.2 (v2), 56 in 0.11 (v3: null transactional id), 50 in 3.6 (v9, compact)", () => {
    // 0.10.2: size 4 + header (2 + 2 + 4 + client id 2 + 10) + acks 2 + timeout 4 + topics 4 + "orders" 2 + 6 + partitions 4 + index 4 + records length 4.
    const data = [{ topic: "orders", partition: 0, batch: batch(1094) }];
    expect(produceRequestBytes(behaviourOf("0.10.2"), PRODUCER_CLIENT_ID, data)).toBe(1094 + 54);
    expect(produceRequestBytes(behaviourOf("0.11"), PRODUCER_CLIENT_ID, data)).toBe(1094 + 56);
    // 3.6: header + tag buffer 25, transactional id 1, acks + timeout 6, topics 1, name 7, partitions 1,
    // index 4, records length varint 2, tags 1 + 1 + 1.
    expect(produceRequestBytes(behaviourOf("3.6"), PRODUCER_CLIENT_ID, data)).toBe(1094 + 50);
  });

  it("a produce response for one partition is 50 bytes in 0.10.2 (v2) and 57 in 3.6 (v9)", () => {
    const partitions = [{ topic: "orders", partition: 0, error: "NONE" as const, baseOffset: 0 }];
    // size 4 + correlation id 4, responses 4, name 8, partitions 4, index 4 + error 2 + base offset 8 + log append time 8, throttle 4.
    expect(produceResponseBytes(behaviourOf("0.10.2"), partitions)).toBe(50);
    // + log start offset 8 (v5), record errors and error message (v8), compact lengths and tag buffers.
    expect(produceResponseBytes(behaviourOf("3.6"), partitions)).toBe(57);
  });

  it("a follower's fetch of six partitions is 160 bytes in 0.10.2 (v3) and 289 in 3.6 (v15)", () => {
    const clientId = fetcherClientId(2, 0);
    expect(clientId).toBe("broker-2-fetcher-0");
    // size 4 + header 8 + client id 2 + 18, replica id, max wait, min bytes, max bytes 16, topics 4,
    // name 8, partitions 4, six × (index 4 + fetch offset 8 + max bytes 4).
    expect(fetchRequestBytes(behaviourOf("0.10.2"), clientId, six)).toBe(160);
    // header 33, max wait, min and max bytes, isolation, session id and epoch 21, topics 1, topic id 16 +
    // partitions 1 + tag 1, six × 33, forgotten 1, rack 1, ReplicaState as a tagged field 16.
    expect(fetchRequestBytes(behaviourOf("3.6"), clientId, six)).toBe(289);
  });

  it("a fetch response is its batches plus 136 bytes for six partitions in 0.10.2 (v3)", () => {
    const partitions = six.map((p) => ({ ...p, error: "NONE" as const, highWatermark: 0, logEndOffset: 0, logStartOffset: 0, batches: [batch(1000)] }));
    // size 4 + correlation id 4, throttle 4, topics 4, name 8 + partitions 4, six × (index 4 + error 2 + high watermark 8 + records length 4).
    expect(fetchResponseBytes(behaviourOf("0.10.2"), partitions)).toBe(6 * 1000 + 136);
  });
});

describe("utilization counters", () => {
  it("a block device is busy while an operation is in it, overlapping ones counted once (iostat %util)", () => {
    const sim = new Simulation(1);
    const ssd = new BlockDevice(sim, "h/disk", NVME_SSD);
    // Two 1 MB writes submitted together share the bus: 20 µs latency, then 303 µs each at 3.3 GB/s.
    ssd.write(1_000_000, { fileId: 1, offset: 0 }, () => {});
    ssd.write(1_000_000, { fileId: 2, offset: 0 }, () => {});
    sim.run({ untilUs: 10_000 });
    expect(ssd.busyUs).toBe(20 + 304 + 304);
    sim.at(20_000, () => ssd.write(1_000_000, { fileId: 1, offset: 1_000_000 }, () => {}), undefined);
    sim.run({ untilUs: 30_000 });
    expect(ssd.busyUs).toBe(2 * (20 + 304 + 304) - 304);
  });

  it("a broker's request pools count busy time per pool, across the processes of a host (restarts)", () => {
    const cpu = newRequestCpu();
    new RequestPools(3, 8, cpu).handledAt(0, 1024);
    expect(cpu).toEqual({ networkThreads: 3, ioThreads: 8, networkBusyUs: Math.ceil(NETWORK_US_PER_REQUEST + NETWORK_US_PER_KB), ioBusyUs: IO_US_PER_REQUEST + IO_US_PER_KB });
    new RequestPools(3, 8, cpu).handledAt(0, 1024);
    expect(cpu.ioBusyUs).toBe(2 * (IO_US_PER_REQUEST + IO_US_PER_KB));
  });

  it("a run names its busiest NIC, disk and request pool: with 1 MB records on 1 GbE it is a broker's ingress, which takes every record once", () => {
    const r = loadScenario(readFileSync("scenarios/steady-state.yaml", "utf8"), "steady-state.yaml", [
      { key: "duration", value: "5s" },
      { key: "cluster.hardware", value: "hdd-1gbe" },
      { key: "producers.0.rate", value: "50/s" },
      // A record larger than batch.size gets a batch of its own (RecordAccumulator: max(batch.size, record size)).
      { key: "producers.0.messageBytes", value: "1000000" },
    ]);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
    const outcome = runScenario(r.scenario, { seed: 1 });
    const u = computeUtilization(outcome);
    // A leader receives its partitions' records from the producer, a follower the others' from their leaders.
    expect(u.nic?.name).toMatch(/^broker-\d ingress$/);
    const nic = outcome.world.network.nics[outcome.world.hostsByName.get(u.nic!.name.split(" ")[0])!.index];
    expect(nic.bytesIn).toBeGreaterThan(computeMetrics(outcome).acked * 1_000_000);
    // Over the scenario's duration: the busy time when it ended, not the settle drain's.
    expect(u.nic!.percent).toBeCloseTo((100 * outcome.busyAtDurationEnd!.get(`nic ${u.nic!.name}`)!) / outcome.world.scenario.durationUs, 1);
    expect(nic.ingressBusyUs).toBeGreaterThanOrEqual(outcome.busyAtDurationEnd!.get(`nic ${u.nic!.name}`)!);
    expect(u.nic!.percent).toBeGreaterThan(10);
    expect(u.nic!.percent).toBeGreaterThan(u.cpu!.percent);
    // The producer's Sender checksums each 1 MB batch (CRC32C), the busiest thread here.
    expect(u.cpu?.name).toMatch(/^(broker-\d (network|io) threads|producer-\S+ (application|sender) thread)$/);
    expect(u.disk).not.toBeNull();
    expect(formatUtilization(u)).toMatch(/^busiest {4}NIC broker-\d ingress [\d.]+%   disk \S+ [\d.]+%   CPU (broker-\d \w+ threads|producer-\S+ \w+ thread) [\d.]+%$/);
  }, 60_000);
});
