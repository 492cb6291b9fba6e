import { describe, expect, it } from "vitest";
import { Simulation } from "../sim/Simulation.js";
import { Host } from "../sim/Host.js";
import { Network, type Socket } from "../sim/network/Network.js";
import { Nic } from "../sim/network/Nic.js";
import { BlockDevice } from "../sim/disk/BlockDevice.js";
import { PageCache, LINUX_DEFAULTS } from "../sim/disk/PageCache.js";
import { NVME_SSD, HDD_7200 } from "../sim/disk/profiles.js";
import type { LatencyTable } from "../sim/network/Topology.js";

const NO_JITTER: LatencyTable = {
  sameHost: { baseUs: 5, jitterUs: 0 },
  sameRack: { baseUs: 50, jitterUs: 0 },
  crossRack: { baseUs: 150, jitterUs: 0 },
  crossZone: { baseUs: 700, jitterUs: 0 },
};

function twoHosts(bytesPerSecond = 125_000_000) {
  const sim = new Simulation(1);
  const a = new Host(sim, { name: "a", rack: "r1", zone: "z", index: 0 });
  const b = new Host(sim, { name: "b", rack: "r2", zone: "z", index: 1 });
  const net = new Network(sim, { hosts: [a, b], nicBytesPerSecond: [bytesPerSecond, bytesPerSecond], latency: NO_JITTER });
  const received: Array<{ at: number; msg: unknown }> = [];
  const disconnects: number[] = [];
  a.install(() => {
    net.listen(a, { onMessage: () => {}, onDisconnect: () => disconnects.push(sim.now) });
    return { kind: "client" };
  });
  b.install(() => {
    net.listen(b, { onMessage: (_s: Socket, msg: unknown) => received.push({ at: sim.now, msg }) });
    return { kind: "server" };
  });
  return { sim, a, b, net, received, disconnects };
}

describe("NIC and network", () => {
  it("serialization is wire bytes / bandwidth and messages queue behind each other", () => {
    const nic = new Nic(125_000_000); // 1 GbE: 125 bytes per µs
    // 1250 bytes fit one segment: 1250 + 90 bytes of framing = 1340 on the wire, 10.72 µs.
    expect(nic.serializationUs(1250)).toBe(11);
    expect(nic.reserveEgress(0, 1250)).toBe(11);
    expect(nic.reserveEgress(0, 1250)).toBe(22); // queued behind the first: 21.44 µs
    expect(nic.reserveEgress(100, 125)).toBe(102); // 215 bytes, 1.72 µs
  });

  it("a message arrives after egress + propagation + ingress, in order", () => {
    const { sim, a, b, net, received } = twoHosts();
    const s = net.connect(a, b);
    sim.run({ untilUs: 1_000 }); // the handshake: one cross-rack round trip, 300 µs
    expect(s.established).toBe(true);
    s.send("m1", 12_500); // 9 segments: 12,500 + 9 × 90 = 13,310 wire bytes, 106.48 µs at 1 GbE
    s.send("m2", 125); // 215 wire bytes, 1.72 µs, but queued behind m1
    sim.run({ untilUs: 10_000 });
    // m1: egress 1000→1106.48 (1107), cross-rack 150 → arrives 1257, ingress 1257→1363.48 (1364).
    // m2: egress 1106.48→1108.2 (1109), arrives 1259, ingress waits for m1: 1363.48→1365.2 (1366).
    expect(received).toEqual([
      { at: 1_364, msg: "m1" },
      { at: 1_366, msg: "m2" },
    ]);
  });

  it("a partition delays a connection's messages until a retransmission after the heal; it does not break it", () => {
    const { sim, a, b, net, received, disconnects } = twoHosts();
    const s = net.connect(a, b);
    sim.run({ untilUs: 1_000 });
    const id = net.partition([[a], [b]]);
    s.send("held", 100);
    sim.run({ untilUs: 100_000 });
    expect(received).toEqual([]);
    net.heal(id);
    s.send("behind it", 100);
    sim.run({ untilUs: 2_000_000 });
    // RTO = 200 ms + the 300 µs round trip, from the send at 1 ms: the retransmission at 201.3 ms,
    // then egress + 150 µs + ingress each, the second behind the first.
    const wireUs = net.nics[0].serializationUs(100);
    expect(received.map((r) => r.msg)).toEqual(["held", "behind it"]);
    expect(received[0].at).toBe(201_300 + wireUs + 150 + wireUs);
    expect(received[1].at - received[0].at).toBeLessThanOrEqual(wireUs);
    expect({ open: s.open, disconnects }).toEqual({ open: true, disconnects: [] });
  });

  it("a one-way partition blocks only one direction's new connections", () => {
    const { a, b, net } = twoHosts();
    net.partitionOneWay([a], [b]);
    expect(net.faults.isBlocked(a, b)).toBe(true);
    expect(net.faults.isBlocked(b, a)).toBe(false);
  });

  it("a crash closes connections and the peer hears of it; a power loss says nothing", () => {
    const { sim, a, b, net, disconnects } = twoHosts();
    net.connect(a, b);
    sim.run({ untilUs: 1_000 });
    b.crash(); // FIN from b's kernel: one propagation delay
    sim.run({ untilUs: 2_000 });
    expect(disconnects).toEqual([1_152]);
    b.start();
    sim.run({ untilUs: 3_000 }); // let b's new incarnation come up
    net.connect(a, b);
    b.powerOff();
    sim.run({ untilUs: 10_000 });
    expect(disconnects).toHaveLength(1);
  });

  it("messages to a paused process wait and are delivered on resume", () => {
    const { sim, a, b, net, received } = twoHosts();
    b.pause();
    net.connect(a, b).send("x", 100);
    sim.run({ untilUs: 5_000 });
    expect(received).toEqual([]);
    b.resume();
    sim.run({ untilUs: 6_000 });
    expect(received).toEqual([{ at: 5_000, msg: "x" }]);
  });
});

const GiB = 1024 ** 3;

function cache(memoryBytes = 32 * GiB, device = NVME_SSD) {
  const sim = new Simulation(1);
  const pc = new PageCache(sim, "h", { memoryBytes, ...LINUX_DEFAULTS });
  const dev = new BlockDevice(sim, "h/disk", device);
  return { sim, pc, dev, file: pc.open("log", dev) };
}

describe("page cache", () => {
  it("power loss loses exactly the dirty bytes", () => {
    const { sim, pc, file } = cache();
    pc.append(file, 1_000);
    pc.fsync(file, () => {});
    sim.run({ untilUs: 1_000_000 });
    pc.append(file, 300, undefined, "tail");
    expect(pc.dirtyBytes).toBe(300);
    pc.powerOff();
    expect(file.size).toBe(1_000);
    expect(pc.bytesLostToPowerLoss).toBe(300);
    expect(file.contents).toEqual([]);
  });

  it("a process crash loses nothing (the OS keeps the page cache)", () => {
    const { sim, pc, file, dev } = cache();
    const host = new Host(sim, { name: "h", rack: "r", zone: "z", index: 0 });
    host.addListener({ onPowerOff: () => pc.powerOff() });
    host.install(() => ({ kind: "p" }));
    pc.append(file, 500);
    host.crash();
    host.restart();
    expect(file.size).toBe(500);
    expect(pc.dirtyBytes).toBe(500);
    void dev;
  });

  it("fsync makes data survive power loss, and completes when the device has it", () => {
    const { sim, pc, file } = cache(32 * GiB, HDD_7200);
    pc.append(file, 215_000); // 1 ms of transfer at 215 MB/s
    let doneAt = -1;
    pc.fsync(file, (err) => {
      expect(err).toBeNull();
      doneAt = sim.now;
    });
    sim.run({ untilUs: 1_000_000 });
    expect(doneAt).toBe(8_500 + 4_160 + 1_000); // seek + rotation + transfer
    pc.powerOff();
    expect(file.size).toBe(215_000);
  });

  it("writeback happens when Linux would: after dirty_expire, at a flusher wake-up", () => {
    const { sim, pc, file } = cache();
    sim.schedule(1_000_000, () => pc.append(file, 4096), undefined);
    sim.run({ untilUs: 30_000_000 });
    expect(file.durable).toBe(0); // dirty for 29 s: not yet expired
    sim.run({ untilUs: 36_000_000 });
    expect(file.durable).toBe(4096); // expired at 31 s, written at the 35 s wake-up
  });

  it("above dirty_background_ratio the flusher writes back at once", () => {
    const { sim, pc, file } = cache(1_000_000); // background threshold 100 KB
    pc.append(file, 150_000);
    sim.run({ untilUs: 100_000 });
    expect(file.durable).toBe(150_000);
  });

  it("above dirty_ratio writers are throttled until writeback catches up", () => {
    const { sim, pc, file } = cache(1_000_000, HDD_7200); // dirty limit 200 KB
    const accepted: number[] = [];
    for (let i = 0; i < 4; i++) pc.append(file, 90_000, () => accepted.push(sim.now));
    sim.run({ untilUs: 10 });
    expect(accepted.length).toBe(2); // the third would pass 200 KB
    sim.run({ untilUs: 1_000_000 });
    expect(accepted.length).toBe(4);
    expect(accepted[2]).toBeGreaterThan(10_000); // waited for an HDD write
  });

  it("a failed disk fails fsync with EIO; a full disk refuses appends with ENOSPC", () => {
    const { sim, pc, file, dev } = cache();
    pc.append(file, 100);
    dev.failed = true;
    const results: Array<string | null> = [];
    pc.fsync(file, (err) => results.push(err));
    dev.failed = false;
    dev.capacityBytes = dev.usedBytes;
    pc.append(file, 1, (err) => results.push(err));
    sim.run({ untilUs: 1_000_000 });
    expect(results.sort()).toEqual(["EIO", "ENOSPC"]);
  });

  it("a write accepted while throttled has its space reserved: it lands even if the disk fills meanwhile", () => {
    const { sim, pc, file, dev } = cache(1_000_000, HDD_7200); // dirty limit 200 KB
    expect(pc.append(file, 150_000)).toBeNull();
    expect(pc.append(file, 90_000)).toBeNull(); // throttled
    expect(file.size).toBe(150_000);
    dev.capacityBytes = 200_000; // what is in the file fits; the accepted write must too
    expect(pc.append(file, 1)).toBe("ENOSPC");
    sim.run({ untilUs: 1_000_000 });
    expect(file.size).toBe(240_000);
    expect(dev.usedBytes).toBe(240_000);
  });

  it("errors come back from the call itself: ENOSPC on a full disk, EIO for every operation on a failed one", () => {
    const { pc, file, dev } = cache();
    expect(pc.append(file, 100)).toBeNull();
    dev.capacityBytes = dev.usedBytes;
    expect(pc.append(file, 1)).toBe("ENOSPC");
    expect(file.size).toBe(100); // nothing was written
    dev.capacityBytes = dev.spec.capacityBytes;
    dev.failed = true;
    expect(pc.append(file, 1)).toBe("EIO");
    expect(pc.truncate(file, 0)).toBe("EIO");
    expect(pc.rename(file, "other")).toBe("EIO");
    expect(pc.create("new", dev)).toBe("EIO");
    expect(file.size).toBe(100);
    expect(file.name).toBe("log");
  });

  it("rename replaces the target atomically; a power loss keeps each file's durable prefix", () => {
    const { sim, pc, dev } = cache();
    const old = pc.open("checkpoint", dev);
    pc.append(old, 10, undefined, "v1");
    pc.fsync(old, () => {});
    sim.run({ untilUs: 100_000 });
    const tmp = pc.create("checkpoint.tmp", dev) as ReturnType<typeof pc.open>;
    pc.append(tmp, 12, undefined, "v2");
    let synced = false;
    pc.fsync(tmp, () => (synced = true));
    sim.run({ untilUs: 200_000 });
    expect(synced).toBe(true);
    const usedBefore = dev.usedBytes;
    expect(pc.rename(tmp, "checkpoint")).toBeNull();
    expect(pc.find("checkpoint.tmp", dev)).toBeUndefined();
    expect(pc.find("checkpoint", dev)).toBe(tmp);
    expect(pc.files).not.toContain(old); // the old inode is unlinked, its space freed
    expect(dev.usedBytes).toBe(usedBefore - 10);
    pc.powerOff();
    expect(pc.find("checkpoint", dev)?.contents.map((c) => c.payload)).toEqual(["v2"]);
  });

  it("an unlinked file's pages are gone from the cache's counts", () => {
    const { pc, dev, file } = cache();
    pc.append(file, 500);
    expect(pc.dirtyBytes).toBe(500);
    expect(pc.unlink(file)).toBeNull();
    expect(pc.dirtyBytes).toBe(0);
    expect(pc.residentBytes).toBe(0);
    expect(dev.usedBytes).toBe(0);
    expect(pc.files).toEqual([]);
  });
});
