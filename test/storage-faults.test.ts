/**
 * The broker side of disk faults (KIP-112) and the flush policy, in whole clusters: a full or
 * failed disk reaches Kafka as an IOException, which takes a log dir offline (1.0+) or halts
 * the broker (before 1.0, or when no log dir is left); log.flush.interval.messages makes the
 * leader answer and the follower fetch again only after their fsyncs.
 */
import { afterEach, describe, expect, it } from "vitest";
import { loadScenario, formatProblem } from "../scenarios/loader.js";
import { buildWorld, type World } from "../scenarios/world.js";
import { scheduleFaults } from "../scenarios/faults.js";
import { computeMetrics } from "../reports/metrics.js";
import type { Socket } from "../sim/network/Network.js";
import type { SimFile } from "../sim/disk/File.js";
import type { ReplicaManager } from "../sim/nodes/kafka/server/ReplicaManager.js";
import { statePath, type LeaderAndIsrResponse, type PartitionStateZnode, type Request } from "../sim/nodes/kafka/common/protocol.js";

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

const S = 1_000_000;

function scenario(opts: { version: string; disks?: number; faults?: string; config?: string; partitions?: number; hardware?: string; brokers?: number; rf?: number; producer?: string; duration?: string; noProducer?: boolean }): string {
  return `
name: storage
duration: ${opts.duration ?? "30s"}
settle: 10s
kafka: { version: "${opts.version}" }
cluster:
  racks: [a, b, c]
  brokers: ${opts.brokers ?? 3}
  hardware: ${opts.hardware ?? "ssd-10gbe"}
  disks: ${opts.disks ?? 1}
  config: { ${opts.config ?? ""} }
topics:
  - { name: orders, partitions: ${opts.partitions ?? 1}, replication.factor: ${opts.rf ?? 3} }
${opts.noProducer ? "" : `producers:\n  - { id: p1, topic: orders, rate: 500/s, messageBytes: 200, config: { ${opts.producer ?? "linger.ms: 5"} } }`}
${opts.faults ?? ""}
`;
}

/** Builds the world, lets `before` spy on it, runs to untilUs (default: the end of duration + settle). */
function run(text: string, seed = 1, untilUs?: number, before?: (w: World) => void) {
  const r = loadScenario(text, "storage.yaml");
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  const world = buildWorld(r.scenario, seed);
  world.sim.stopOnViolation = false;
  before?.(world);
  scheduleFaults(world);
  world.sim.run({ untilUs: untilUs ?? r.scenario.durationUs + r.scenario.settleUs });
  return world;
}

function leaderOf(world: World, topic = "orders", p = 0): number {
  return (world.zookeeper.tree.get(statePath(topic, p))?.data as PartitionStateZnode).leader;
}

/** /log_dir_event_notification znodes the brokers wrote (the controller reads and deletes them). */
function logDirEvents(world: World): number {
  return world.sim.marks.count("broker: log dir event notification written");
}

function replicaManager(world: World, broker: number): ReplicaManager {
  return (world.brokers.get(broker)!.process as unknown as { rm: ReplicaManager }).rm;
}

/** The leader of orders-0 at 10 s, found by a dry run of the same scenario and seed. */
function leaderAt10s(text: string): number {
  return leaderOf(run(text, 1, 10 * S));
}

describe("a full disk under a partition leader", () => {
  it("3.6, one disk: the producer gets KAFKA_STORAGE_ERROR, the broker halts (all log dirs failed) before any log dir event", () => {
    const base = scenario({ version: "3.6" });
    const leader = leaderAt10s(base);
    const world = run(scenario({ version: "3.6", faults: `faults:\n  - { at: 10s, fullDisk: broker-${leader} }` }), 1, 15 * S);
    const m = computeMetrics({ world, stopReason: "time", simulatedUs: world.sim.now, busyAtDurationEnd: null });
    expect(world.history.errors.get("KAFKA_STORAGE_ERROR")).toBeGreaterThan(0);
    expect(m.brokerHalts).toBe(1);
    expect(m.halts[0]).toMatchObject({ broker: leader });
    expect(m.halts[0].reason).toMatch(/all log dirs have failed/);
    expect(m.logDirFailures).toBe(1);
    expect(world.brokers.get(leader)!.state).toBe("exited");
    // ReplicaManager.handleLogDirFailure halts in LogManager.handleLogDirFailure before propagateLogDirEvent.
    expect(logDirEvents(world)).toBe(0);
    expect(world.sim.marks.count("storage: append ENOSPC takes a log dir offline")).toBe(1);
  });

  it("3.6, two disks: only the partition's log dir goes offline; the znode appears; LeaderAndIsr answers KAFKA_STORAGE_ERROR for it", () => {
    const text = (faults: string) => scenario({ version: "3.6", disks: 2, partitions: 2, faults });
    const leader = leaderAt10s(text(""));
    // Each broker got orders-0 in its first log dir and orders-1 in its second (nextLogDirs).
    const world = run(text(`faults:\n  - { at: 10s, fullDisk: broker-${leader}, disk: 0 }`), 1, 15 * S);
    const m = computeMetrics({ world, stopReason: "time", simulatedUs: world.sim.now, busyAtDurationEnd: null });
    expect(m.brokerHalts).toBe(0);
    expect(m.logDirFailures).toBe(1);
    expect(world.brokers.get(leader)!.state).toBe("running");
    expect(logDirEvents(world)).toBe(1);
    // The controller read it, probed the broker with LeaderAndIsr and moved orders-0's leadership.
    expect(world.sim.marks.count("controller: log dir failure notification")).toBe(1);
    expect(world.sim.marks.count("controller: replicas on an offline log dir go offline")).toBe(1);
    expect(leaderOf(world, "orders", 0)).not.toBe(leader);
    expect(world.history.errors.get("KAFKA_STORAGE_ERROR")).toBeGreaterThan(0);
    const rm = replicaManager(world, leader);
    expect([...rm.offlinePartitions]).toEqual(["orders-0"]);
    const res: LeaderAndIsrResponse = rm.handleLeaderAndIsr({
      controllerId: 1,
      controllerEpoch: 1_000,
      brokerEpoch: -1,
      partitionStates: [0, 1].map((p) => ({ topic: "orders", partition: p, leader, leaderEpoch: 1_000, isr: [leader], zkVersion: 1_000, replicas: [leader], controllerEpoch: 1_000 })),
    });
    expect(res.error).toBe("NONE");
    expect(res.partitionErrors).toEqual([
      { topic: "orders", partition: 0, error: "KAFKA_STORAGE_ERROR" },
      { topic: "orders", partition: 1, error: "NONE" },
    ]);
  });

  it.each([
    { version: "0.10.2", halts: true, events: 0 },
    { version: "0.11", halts: true, events: 0 },
    { version: "1.0", halts: false, events: 1 },
    { version: "2.8", halts: false, events: 1 },
    { version: "3.6", halts: false, events: 1 },
  ])("$version, two disks, one full: the broker halts $halts, log dir events $events (KIP-112)", ({ version, halts, events }) => {
    const text = (faults: string) => scenario({ version, disks: 2, partitions: 2, faults });
    const leader = leaderAt10s(text(""));
    const world = run(text(`faults:\n  - { at: 10s, fullDisk: broker-${leader}, disk: 0 }`), 1, 15 * S);
    const m = computeMetrics({ world, stopReason: "time", simulatedUs: world.sim.now, busyAtDurationEnd: null });
    expect(m.brokerHalts).toBe(halts ? 1 : 0);
    expect(logDirEvents(world)).toBe(events);
    if (halts) {
      // Exit.halt in the request handler: the producer never hears KAFKA_STORAGE_ERROR.
      expect(m.halts[0].reason).toMatch(/ENOSPC in append/);
      expect(world.history.errors.get("KAFKA_STORAGE_ERROR")).toBeUndefined();
    }
  });

  it("a halted broker is restarted once the disk is repaired (the end of the fault window) and recovers its log", () => {
    const base = scenario({ version: "3.6" });
    const leader = leaderAt10s(base);
    const world = run(scenario({ version: "3.6", faults: `faults:\n  - { at: 10s, fullDisk: broker-${leader} }` }));
    const m = computeMetrics({ world, stopReason: "time", simulatedUs: world.sim.now, busyAtDurationEnd: null });
    expect(world.brokers.get(leader)!.state).toBe("running");
    expect(m.lostAcked).toBe(0);
    expect(world.sim.marks.count("broker: unclean shutdown, log recovery")).toBeGreaterThan(0);
  });
});

describe("a failed disk", () => {
  it("on a follower: its fetcher's append fails with EIO, its only log dir goes offline and it halts", () => {
    const base = scenario({ version: "3.6" });
    const leader = leaderAt10s(base);
    const follower = [1, 2, 3].find((b) => b !== leader)!;
    const world = run(scenario({ version: "3.6", faults: `faults:\n  - { at: 10s, failDisk: broker-${follower} }` }), 1, 15 * S);
    const m = computeMetrics({ world, stopReason: "time", simulatedUs: world.sim.now, busyAtDurationEnd: null });
    expect(m.halts.map((h) => h.broker)).toEqual([follower]);
    expect(world.sim.marks.count("storage: follower append EIO takes a log dir offline") + world.sim.marks.count("storage: high-watermark checkpoint EIO takes a log dir offline")).toBe(1);
    expect(m.lostAcked).toBe(0);
  });

  it.each([
    { version: "0.11", halts: 1, offline: 0 },
    { version: "3.6", halts: 0, offline: 1 },
  ])("$version, no appends, two disks: an EIO in the high-watermark checkpoint halts the broker $halts times, takes $offline log dirs offline", ({ version, halts, offline }) => {
    // No producer: the checkpoint (every 5 s) is the only write to the failed disk.
    const text = scenario({ version, disks: 2, rf: 1, noProducer: true, faults: "faults:\n  - { at: 10s, failDisk: [broker-1, broker-2, broker-3], disk: 0 }" });
    const world = run(text, 1, 20 * S);
    const m = computeMetrics({ world, stopReason: "time", simulatedUs: world.sim.now, busyAtDurationEnd: null });
    expect(m.brokerHalts).toBe(halts);
    expect(m.logDirFailures).toBe(offline);
    if (halts > 0) expect(m.halts[0].reason).toMatch(/EIO in high-watermark checkpoint/);
    else expect(world.sim.marks.count("storage: high-watermark checkpoint EIO takes a log dir offline")).toBe(1);
  });
});

describe("log.flush.interval.messages", () => {
  /** Spies on a cluster: every segment fsync of each broker (start, end) and every Fetch each follower sends. */
  function spy(world: World) {
    const fsyncs = new Map<string, Array<{ start: number; end: number }>>();
    const fetches = new Map<string, number[]>();
    for (const [name, m] of world.machines) {
      if (!name.startsWith("broker-")) continue;
      const list: Array<{ start: number; end: number }> = [];
      fsyncs.set(name, list);
      const pc = m.pageCache;
      const fsync = pc.fsync.bind(pc);
      pc.fsync = (file: SimFile, done) => {
        if (!file.name.endsWith(".log")) return fsync(file, done);
        const entry = { start: world.sim.now, end: Infinity };
        list.push(entry);
        fsync(file, (e) => {
          entry.end = world.sim.now;
          done(e);
        });
      };
      fetches.set(name, []);
    }
    const send = world.network.send.bind(world.network);
    world.network.send = (socket: Socket, message: unknown, bytes: number) => {
      if ((message as Request).api === "Fetch") fetches.get(socket.local.name)?.push(world.sim.now);
      send(socket, message, bytes);
    };
    return { fsyncs, fetches };
  }

  it.each([
    { flush: 1, waits: true },
    { flush: Number.MAX_SAFE_INTEGER, waits: false },
  ])("flush.messages=$flush: a follower sends no fetch while its own log's fsync is in flight: $waits", ({ flush, waits }) => {
    const text = scenario({ version: "3.6", brokers: 2, rf: 2, hardware: "hdd-1gbe", config: `log.flush.interval.messages: ${flush}`, producer: "acks: all, linger.ms: 5", duration: "10s" });
    let s!: ReturnType<typeof spy>;
    const world = run(text, 1, 10 * S, (w) => (s = spy(w)));
    const leader = leaderOf(world);
    const follower = `broker-${leader === 1 ? 2 : 1}`;
    const fsyncs = s.fsyncs.get(follower)!;
    const fetches = s.fetches.get(follower)!;
    if (!waits) {
      expect(fsyncs).toEqual([]);
      return;
    }
    expect(fsyncs.length).toBeGreaterThan(100);
    expect(fetches.length).toBeGreaterThan(100);
    const during = fetches.filter((t) => fsyncs.some((f) => f.start < t && t < f.end));
    expect(during).toEqual([]);
    // And each fsync is followed by a fetch only once it is done.
    for (const f of fsyncs.slice(0, -1)) expect(fetches.find((t) => t >= f.start)).toBeGreaterThanOrEqual(f.end);
  });

  it("makes the leader answer only after its fsync (a disk 1000 times slower makes each fsync ~60 ms)", () => {
    const latency = (flush: number) => {
      const faults = "faults:\n  - { at: 0s, slowDisk: [broker-1, broker-2], factor: 1000 }";
      const text = scenario({ version: "3.6", brokers: 2, rf: 2, config: `log.flush.interval.messages: ${flush}`, producer: "acks: 1, linger.ms: 5", duration: "10s", faults });
      const world = run(text, 1, 12 * S);
      return computeMetrics({ world, stopReason: "time", simulatedUs: world.sim.now, busyAtDurationEnd: null }).produceLatencyMs.p50;
    };
    expect(latency(Number.MAX_SAFE_INTEGER)).toBeLessThan(10);
    expect(latency(1)).toBeGreaterThan(60);
  });
});
