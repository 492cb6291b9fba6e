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
import { HARDWARE_PROFILES } from "../sim/disk/profiles.js";
import type { LatencyTable } from "../sim/network/Topology.js";

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

  it("the ACKs of a transfer occupy the reverse direction: one 90-byte frame per two segments", () => {
    const { sender, receiver } = streamRate("hdd-1gbe", MiB, 10);
    // 725 segments a message: 363 ACKs, sent by the receiver, received by the sender.
    expect(receiver.wireBytesOut).toBe(10 * 363 * 90);
    expect(sender.wireBytesIn).toBe(10 * 363 * 90);
    expect(sender.wireBytesOut).toBe(10 * 1_113_826);
    expect(sender.bytesOut).toBe(10 * MiB);
  });

  it("the NIC's busy time is its wire bytes at line rate", () => {
    const { sender, lastUs } = streamRate("hdd-1gbe", MiB, 10);
    expect(sender.egressBusyUs).toBeCloseTo((10 * 1_113_826) / 125, 6);
    expect(sender.egressBusyUs).toBeLessThan(lastUs);
  });
});
