/**
 * The broker and controller rules that changed between Kafka releases, one test per rule, each
 * naming the release and the source it follows. Each fails if its rule is removed.
 */
import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { loadScenario, formatProblem } from "../scenarios/loader.js";
import { runScenario } from "../scenarios/runner.js";
import { computeMetrics } from "../reports/metrics.js";
import type { Override } from "../scenarios/overrides.js";
import { Partition, type PartitionObserver } from "../sim/nodes/kafka/cluster/Partition.js";
import type { Log } from "../sim/nodes/kafka/log/Log.js";
import { behaviourOf, type KafkaVersion } from "../sim/nodes/kafka/common/versions.js";
import { validateAlterIsr } from "../sim/nodes/kafka/controller/alterIsrValidation.js";
import { PartitionStateStore } from "../sim/nodes/kafka/controller/PartitionStateStore.js";
import { ZkTree, type ZkOp, type ZkResult } from "../sim/nodes/zookeeper/ZkTree.js";
import type { ZkClient } from "../sim/nodes/zookeeper/ZkClient.js";
import { statePath, type PartitionState } from "../sim/nodes/kafka/common/protocol.js";
import type { ReplicaManager } from "../sim/nodes/kafka/server/ReplicaManager.js";

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

const set = (key: string, value: string): Override => ({ key, value });

function run(file: string, seed: number, sets: Override[] = [], text?: string, untilUs?: number) {
  const r = loadScenario(text ?? readFileSync(`scenarios/${file}`, "utf8"), file, sets);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  const outcome = runScenario(r.scenario, { seed, untilUs });
  return { outcome, metrics: computeMetrics(outcome), history: outcome.world.history, marks: outcome.world.sim.marks, violations: outcome.world.sim.violations };
}

/** ISR changes of a partition within [fromS, toS) seconds, as "t:leader[isr]". */
function isrHistory(h: ReturnType<typeof run>["history"], key: string, fromS = 0, toS = Infinity): string[] {
  return (h.states.get(key) ?? []).filter((c) => c.atUs >= fromS * 1e6 && c.atUs < toS * 1e6).map((c) => `${(c.atUs / 1e6).toFixed(1)}:${c.leader}[${c.isr.join(",")}]`);
}

/** A three-broker cluster in three racks with one topic `orders`, as YAML. */
function threeBrokers(o: { version: string; duration: string; settle?: string; partitions?: number; producer?: string; faults: string }): string {
  return [
    "name: three-brokers",
    `duration: ${o.duration}`,
    `settle: ${o.settle ?? "5s"}`,
    `kafka: { version: "${o.version}" }`,
    "cluster: { racks: [a, b, c], brokers: 3, hardware: ssd-10gbe }",
    `topics: [{ name: orders, partitions: ${o.partitions ?? 1}, replication.factor: 3 }]`,
    o.producer === undefined ? "" : `producers: [{ id: p1, topic: orders, messageBytes: 200, ${o.producer} }]`,
    `faults: ${o.faults}`,
    "",
  ].join("\n");
}

// --- a leader partition in isolation, for the ISR and high-watermark rules ---

function leaderPartition(version: KafkaVersion, opts: { leo: number; isr: number[]; now: () => number; alive?: (id: number) => boolean }) {
  const log = { logEndOffset: opts.leo, assignEpochStartOffset: () => undefined } as unknown as Log;
  const proposals: number[][] = [];
  const observer: PartitionObserver = { onLeaderHighWatermark: () => undefined, requestIsrChange: (_p, isr) => proposals.push(isr), onLeaderAppend: () => undefined };
  const p = new Partition(1, "t", 0, log, observer, { behaviour: behaviourOf(version), lagTimeMaxUs: 10_000_000, now: opts.now, isBrokerAlive: opts.alive ?? (() => true) });
  p.makeLeader({ topic: "t", partition: 0, leader: 1, leaderEpoch: 1, isr: opts.isr, zkVersion: 0, replicas: [1, 2, 3], controllerEpoch: 1 }, opts.now());
  return { p, log, proposals };
}

describe("ISR and high-watermark rules per release", () => {
  it("KAFKA-7152 (2.1, Partition.getOutOfSyncReplicas): a follower at the leader's log end is never out of sync; before, lag time alone decides", () => {
    for (const [version, shrinks] of [["2.0", true], ["2.1", false], ["3.6", false]] as const) {
      let now = 0;
      const { p, proposals } = leaderPartition(version, { leo: 100, isr: [1, 2, 3], now: () => now });
      p.updateFollower(2, 100, now);
      p.updateFollower(3, 100, now);
      now = 20_000_000; // no fetch for 20 s, nothing new written: both followers still at the log end
      p.maybeShrinkIsr();
      expect({ version, proposals }).toEqual({ version, proposals: shrinks ? [[1]] : [] });
    }
  });

  it("KAFKA-7128 (2.1 and 2.0.1, Partition.isFollowerInSync): a follower rejoins the ISR only once it reached the leader's epoch start offset", () => {
    for (const [version, expands] of [["2.0", true], ["2.1", false], ["3.6", false]] as const) {
      const now = 0;
      // Became leader at log end 100 with HW 80; follower 3 (out of the ISR) fetches at 90.
      const { p, proposals } = leaderPartition(version, { leo: 100, isr: [1, 2], now: () => now });
      p.highWatermark = 80;
      p.updateFollower(3, 90, now);
      expect({ version, proposals }).toEqual({ version, proposals: expands ? [[1, 2, 3]] : [] });
    }
  });

  it("KAFKA-4485 (0.10.2) and KAFKA-15021 (3.6, Partition.maybeIncrementLeaderHW): a caught-up replica outside the ISR holds the HW back; from 3.6 only on a live broker", () => {
    for (const [version, alive, hw] of [
      ["0.10.2", false, 90],
      ["2.8", false, 90],
      ["3.6", true, 90],
      ["3.6", false, 100],
    ] as const) {
      let now = 0;
      const { p, log } = leaderPartition(version, { leo: 100, isr: [1, 2], now: () => now, alive: () => alive });
      p.updateFollower(2, 100, now);
      p.updateFollower(3, 100, now); // caught up now, though not in the ISR
      p.onIsrChangeOutcome({ kind: "dropped" }); // its expansion was refused
      log.logEndOffset = 110;
      now = 1_000_000;
      p.updateFollower(2, 110, now);
      p.updateFollower(3, 90, now); // fell back (it truncated, say), still within the lag time
      expect({ version, alive, hw: p.highWatermark }).toEqual({ version, alive, hw: hw === 90 ? 100 : 110 });
    }
  });

  it("KIP-497 (2.7, Partition.IsrState): a pending change blocks others, the HW waits for the maximal ISR, a refused change stays pending until LeaderAndIsr", () => {
    const now = 0;
    const { p, proposals } = leaderPartition("3.6", { leo: 100, isr: [1, 2], now: () => now });
    p.updateFollower(2, 100, now);
    p.updateFollower(3, 100, now); // caught up: expand to [1,2,3] is proposed
    expect(proposals).toEqual([[1, 2, 3]]);
    expect(p.pendingIsr).toEqual([1, 2, 3]);
    p.onIsrChangeOutcome({ kind: "stuck" });
    expect(p.pendingIsr).toEqual([1, 2, 3]);
    p.onIsrChangeOutcome({ kind: "committed", isr: [1, 2, 3], zkVersion: 1 });
    expect({ isr: p.isr, zkVersion: p.zkVersion, pending: p.pendingIsr }).toEqual({ isr: [1, 2, 3], zkVersion: 1, pending: null });
  });
});

describe("the ISR path: the leader writes ZooKeeper before 2.7, asks the controller from 2.7 (KIP-497)", () => {
  // leader-cut-off: the leader of orders-0 is cut off from the other brokers from 20 s to 60 s
  // and loses power at 50 s; replica.lag.time.max.ms is 10 s in both versions.
  it("a leader cut off from the controller shrinks its ISR alone at 2.4 (and loses acked records), not at 3.6", () => {
    // Seed 1: broker 3 is the controller, broker 1 leads orders-0.
    const v24 = run("leader-cut-off.yaml", 1, [set("kafka.version", "2.4")]);
    const v36 = run("leader-cut-off.yaml", 1, [set("kafka.version", "3.6")]);
    expect(v24.metrics.controllers[0].broker).toBe(3);
    expect(isrHistory(v24.history, "orders-0", 20, 50)).toEqual(["30.0:1[1]"]);
    expect(v24.metrics.lostAcked).toBeGreaterThan(0);
    expect(v24.marks.count("isr: leader announced ISR changes under /isr_change_notification")).toBeGreaterThan(0);
    expect(v24.marks.count("controller: ISR change notification propagated")).toBeGreaterThan(0);
    expect(isrHistory(v36.history, "orders-0", 20, 50)).toEqual([]);
    expect(v36.metrics.lostAcked).toBe(0);
    expect(v36.metrics.errors["REQUEST_TIMED_OUT"]).toBeGreaterThan(0);
    expect(v36.marks.count("isr: leader sent AlterPartition")).toBeGreaterThan(0);
  }, 60_000);

  it("at 3.6 a cut-off leader that is itself the controller does shrink its ISR", () => {
    // Seed 2: broker 2 is both the controller and orders-0's leader.
    const r = run("leader-cut-off.yaml", 2, [set("kafka.version", "3.6")]);
    expect(r.metrics.controllers[0].broker).toBe(2);
    expect(isrHistory(r.history, "orders-0", 20, 50)).toEqual(["30.0:2[2]"]);
    expect(r.marks.count("controller: ISR changed by AlterIsr")).toBeGreaterThan(0);
  }, 30_000);

  it("2.8 sends AlterIsr, 3.6 AlterPartition (renamed in 3.2)", () => {
    expect(run("rolling-restart.yaml", 1, [set("kafka.version", "2.8")]).marks.count("isr: leader sent AlterIsr")).toBeGreaterThan(0);
    expect(run("rolling-restart.yaml", 1, [set("kafka.version", "2.8")]).marks.count("isr: leader sent AlterPartition")).toBe(0);
  }, 60_000);

  it("KafkaController.processAlterIsr (2.7 - 3.2) / tryProcessAlterPartition (3.3+): the controller's checks, per partition", () => {
    const s: PartitionState = { topic: "t", partition: 0, leader: 1, leaderEpoch: 5, isr: [1, 2, 3], zkVersion: 7, replicas: [1, 2, 3], controllerEpoch: 1 };
    const ask = (over: Partial<{ topic: string; leaderEpoch: number; newIsr: number[]; currentIsrVersion: number }>, strict = false, online = (_: number) => true) => {
      const p = { topic: "t", partition: 0, leaderEpoch: 5, newIsr: [1, 2], currentIsrVersion: 7, ...over };
      const d = validateAlterIsr({ brokerId: 1, brokerEpoch: 1, partitions: [p] }, (k) => (k === "t-0" ? s : undefined), online, strict, 2);
      return d.toWrite.length > 0 ? `write [${d.toWrite[0].isr.join(",")}] if version ${d.toWrite[0].zkVersion}` : d.answers.get(`${p.topic}-0`)!.error;
    };
    for (const strict of [false, true]) {
      expect(ask({}, strict)).toBe("write [1,2] if version 7");
      expect(ask({ topic: "u" }, strict)).toBe("UNKNOWN_TOPIC_OR_PARTITION");
      expect(ask({ leaderEpoch: 4 }, strict)).toBe("FENCED_LEADER_EPOCH");
      expect(ask({ newIsr: [1, 2, 3] }, strict)).toBe("NONE");
    }
    // Up to 3.2 the write is conditional on the leader's version (ZooKeeper says BADVERSION);
    // from 3.3 the controller compares with its cache: older is refused, newer means it is behind.
    expect(ask({ currentIsrVersion: 6 })).toBe("write [1,2] if version 6");
    expect(ask({ currentIsrVersion: 6 }, true)).toBe("INVALID_UPDATE_VERSION");
    expect(ask({ currentIsrVersion: 8 }, true)).toBe("NOT_CONTROLLER");
    // KIP-841 (3.3): a broker that is gone or shutting down may not (re)join the ISR.
    expect(ask({ newIsr: [1, 2, 3] }, true, (id) => id !== 3)).toBe("NONE");
    expect(ask({ newIsr: [1, 3] }, true, (id) => id !== 3)).toBe("INELIGIBLE_REPLICA");
    expect(ask({ newIsr: [1, 3] }, false, (id) => id !== 3)).toBe("write [1,3] if version 7");
  });
});

describe("the controller as Kafka's", () => {
  it("controlled shutdown (KafkaController.doControlledShutdown): no ISR re-admission while a broker shuts down at 3.6 (KIP-841); at 2.4 a re-admitted broker is removed once it is gone", () => {
    const v36 = run("rolling-restart.yaml", 1);
    const v24 = run("rolling-restart.yaml", 1, [set("kafka.version", "2.4")]);
    // broker-1 stops at 20 s and is back at 40 s: no ISR naming it in between.
    for (const key of ["orders-0", "orders-1", "orders-2", "orders-3", "orders-4", "orders-5"]) {
      expect(isrHistory(v36.history, key, 20, 40).filter((c) => /[[,]1[,\]]/.test(c))).toEqual([]);
    }
    expect(v36.metrics.produceLatencyMs.p99).toBeLessThan(2000);
    expect(v36.marks.count("controller: controlled shutdown moved every leadership")).toBeGreaterThanOrEqual(3);
    // 2.4: the broker, made a follower of what it led, is re-admitted by the new leader, then removed when it is gone.
    const readmitted = ["orders-0", "orders-3"].flatMap((k) => isrHistory(v24.history, k, 20, 21));
    expect(readmitted.some((c) => c.endsWith("[1,2,3]"))).toBe(true);
    expect(v24.metrics.produceLatencyMs.p99).toBeLessThan(2000);
  }, 60_000);

  it("controlled shutdown: a partition nobody else can lead stays led by the broker, which retries controlled.shutdown.max.retries times", () => {
    const text = threeBrokers({
      version: "3.6",
      duration: "60s",
      producer: 'rate: 200/s, config: { acks: "1" }',
      faults: '[{ at: 10s, crash: "followers:orders-0", for: 50s }, { at: 40s, stop: "leader:orders-0" }]',
    });
    const r = run("lone.yaml", 1, [], text);
    expect(r.marks.count("broker: controlled shutdown gave up, stopping anyway")).toBe(1);
    expect(r.marks.count("broker: controlled shutdown succeeded")).toBe(0);
    // It kept leading while it retried (3 tries, 5 s apart), and never handed over to nobody.
    expect(isrHistory(r.history, "orders-0", 40, 50).filter((c) => c.includes(":-1["))).toEqual([]);
  }, 30_000);

  it("KAFKA-3143 (2.3, ZkReplicaStateMachine.startup): a new controller takes replicas of dead brokers out of the ISRs at failover", () => {
    const text = (faults: string) => threeBrokers({ version: "2.4", duration: "40s", settle: "1s", partitions: 3, producer: "rate: 500/s, config: { acks: all, linger.ms: 5 }", faults });
    // Learn the first controller; crash it and one other broker together at 20 s.
    const calm = run("failover.yaml", 1, [], text("[]"), 10_000_000);
    const controller = calm.metrics.controllers[0].broker;
    const other = [1, 2, 3].find((b) => b !== controller)!;
    const survivor = [1, 2, 3].find((b) => b !== controller && b !== other)!;
    const led = [...calm.history.states].filter(([, v]) => v[v.length - 1].leader === survivor).map(([k]) => k);
    expect(led.length).toBeGreaterThan(0);
    const after = (version: string): string[] => {
      const r = run("failover.yaml", 1, [set("kafka.version", version)], text(`[{ at: 20s, crash: [broker-${controller}, broker-${other}], for: 60s }]`));
      const second = r.metrics.controllers[1];
      expect(second.broker).toBe(survivor);
      return led.flatMap((k) => isrHistory(r.history, k, second.atUs / 1e6, second.atUs / 1e6 + 1));
    };
    // Partitions the survivor leads: at 2.4 their ISRs lose the dead brokers at once; at 2.1
    // they keep them until the leader's own lag check.
    expect(after("2.4").length).toBeGreaterThan(0);
    expect(after("2.1")).toEqual([]);
  }, 60_000);

  it("preferred-leader check 5 s after failover (KafkaController.onControllerFailover), then every leader.imbalance.check.interval.seconds", () => {
    const text = threeBrokers({
      version: "3.6",
      duration: "80s",
      producer: "rate: 200/s",
      faults: '[{ at: 10s, stop: "leader:orders-0", for: 10s }, { at: 50s, expireSession: controller }]',
    });
    const r = run("preferred.yaml", 3, [], text);
    const leaders = (r.history.states.get("orders-0") ?? []).map((c) => ({ t: c.atUs / 1e6, leader: c.leader }));
    const preferred = leaders[0].leader;
    const second = r.metrics.controllers[1].atUs / 1e6;
    // Away from the preferred replica from 10 s until the new controller's first check.
    expect(leaders.filter((c) => c.t > 10 && c.t < second + 4.9).every((c) => c.leader !== preferred)).toBe(true);
    expect(leaders.some((c) => c.t >= second + 5 && c.t < second + 6 && c.leader === preferred)).toBe(true);
  }, 30_000);

  it("UpdateMetadata (like LeaderAndIsr and StopReplica) from an older controller epoch is refused (ReplicaManager.maybeUpdateMetadataCache); an older broker epoch too from 2.2 (KIP-380)", () => {
    for (const version of ["2.1", "2.4"]) {
      const r = run("steady-state.yaml", 1, [set("kafka.version", version)], undefined, 5_000_000);
      const broker = r.outcome.world.brokers.get(1)!.process as unknown as {
        rm: ReplicaManager;
        metadataCache: { brokers: unknown[] };
        apis: { handle(socket: unknown, req: unknown, unmute: () => void): void };
      };
      const epoch = (broker.rm as unknown as { controllerEpoch: number }).controllerEpoch;
      const updateMetadata = (controllerEpoch: number, brokerEpoch: number): string => {
        let answer = "";
        const socket = { send: (m: { body: { error: string } }) => (answer = m.body.error) };
        broker.apis.handle(socket, { api: "UpdateMetadata", cid: 1, body: { controllerId: 9, controllerEpoch, brokerEpoch, partitionStates: [], liveBrokers: [] } }, () => undefined);
        return answer;
      };
      expect(updateMetadata(epoch - 1, -1)).toBe("STALE_CONTROLLER_EPOCH");
      expect(broker.metadataCache.brokers.length).toBe(3); // the cache kept what it had
      expect(updateMetadata(epoch, 1)).toBe(version === "2.4" ? "STALE_BROKER_EPOCH" : "NONE");
    }
  }, 30_000);

  it("the first controller varies with the seed (broker start-up jitter from a named stream)", () => {
    const first = new Set<number>();
    for (let seed = 1; seed <= 8; seed++) first.add(run("steady-state.yaml", seed, [], undefined, 3_000_000).metrics.controllers[0].broker);
    expect(first.size).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it("PartitionStateStore (ZkPartitionStateMachine's while (remaining.nonEmpty)): a BADVERSION re-reads and retries until written; a newer controller epoch fences", () => {
    const tree = new ZkTree(() => undefined);
    for (const p of ["/brokers", "/brokers/topics", "/brokers/topics/t", "/brokers/topics/t/partitions", "/brokers/topics/t/partitions/0"]) tree.apply(0, { op: "create", path: p, data: null });
    tree.apply(0, { op: "create", path: "/controller_epoch", data: 1 });
    tree.apply(0, { op: "create", path: statePath("t", 0), data: { controller_epoch: 1, leader: 1, leader_epoch: 0, isr: [1, 2, 3], version: 1 } });
    let interfere = 1;
    const zk = {
      request(op: ZkOp, cb: (r: ZkResult) => void) {
        // A leader shrinks the ISR between the controller's read and its write, once.
        if (op.op === "multi" && interfere-- > 0) tree.apply(0, { op: "setData", path: statePath("t", 0), data: { controller_epoch: 1, leader: 1, leader_epoch: 0, isr: [1, 2], version: 1 }, version: -1 });
        cb(tree.apply(0, op));
      },
    } as unknown as ZkClient;
    let fenced = 0;
    const store = new PartitionStateStore({ zk, epochCheck: true, controllerEpoch: () => 1, epochZkVersion: () => 0, onFenced: () => fenced++, mark: () => undefined });
    store.set({ topic: "t", partition: 0, leader: 1, leaderEpoch: 0, isr: [1, 2, 3], zkVersion: 0, replicas: [1, 2, 3], controllerEpoch: 1 });
    let written: PartitionState[] = [];
    const decisions: string[] = [];
    store.update(["t-0"], (s) => (decisions.push(s.isr.join(",")), { leader: 2, isr: s.isr.filter((r) => r !== 1) }), (w) => (written = w));
    expect(decisions).toEqual(["1,2,3", "1,2"]);
    expect(written.map((s) => `${s.leader}[${s.isr}]e${s.leaderEpoch}`)).toEqual(["2[2]e1"]);
    // Another controller bumped /controller_epoch: the write is refused and this one resigns.
    tree.apply(0, { op: "setData", path: "/controller_epoch", data: 2, version: -1 });
    store.update(["t-0"], () => ({ leader: 3, isr: [3] }), () => undefined);
    expect(fenced).toBe(1);
  });
});

describe("restart after a crash (every release: the old session's /brokers/ids znode fails start-up)", () => {
  const text = (downFor: string) => threeBrokers({ version: "3.6", duration: "60s", faults: `[{ at: 10s, crash: broker-2, for: ${downFor} }]` });
  for (const version of ["0.10.2", "2.4", "3.6"]) {
    it(`${version}: restarted within zookeeper.session.timeout.ms the broker exits; restarted after it, it registers`, () => {
      const soon = run("quick.yaml", 1, [set("kafka.version", version)], text("2s"));
      expect(soon.metrics.brokerExits.map((e) => e.broker)).toEqual([2]);
      expect(soon.metrics.brokerExits[0].why).toMatch(/NodeExistsException/);
      // Down from the crash, up at 12 s, exited at once and down until the heal at 60 s.
      const downs = soon.history.brokerDown.get(2)!;
      expect(downs.length).toBe(2);
      expect(downs[1][0]).toBeLessThan(15e6);
      expect(downs[1][1]).toBeGreaterThanOrEqual(60e6);
      const later = run("quick.yaml", 1, [set("kafka.version", version)], text("25s"));
      expect(later.metrics.brokerExits).toEqual([]);
    }, 30_000);
  }
});

describe("SIGTERM before start-up completes (KafkaServer.shutdown: still starting up, Exit.halt)", () => {
  it("the broker halts instead of a clean shutdown, so no clean-shutdown marker is left", () => {
    const r = run("early-stop.yaml", 1, [], threeBrokers({ version: "3.6", duration: "20s", faults: "[{ at: 200ms, stop: broker-2, for: 5s }]" }));
    expect(r.metrics.halts.map((h) => `${h.broker}: ${h.reason}`)).toEqual(["2: SIGTERM while still starting up"]);
    // Three first starts and broker-2's restart all find no clean-shutdown marker.
    expect(r.marks.count("broker: unclean shutdown, log recovery")).toBe(4);
  }, 30_000);
});

describe("0.10.2 (ReplicaManager.makeFollowers): a follower truncates to its high watermark only when its leader changed", () => {
  it("an ISR shrink with the same leader does not truncate the other follower", () => {
    const text = (faults: string) => threeBrokers({ version: "0.10.2", duration: "40s", producer: 'rate: 2000/s, config: { acks: "1" }', faults });
    // One follower crashes: the controller's ISR shrink bumps the leader epoch, the leader stays.
    const calm = run("same-leader.yaml", 1, [], text("[]"), 10_000_000);
    const replicas = calm.outcome.world.zookeeper.tree.get("/brokers/topics/orders")!.data as { partitions: Record<string, number[]> };
    const [leader, ...followers] = replicas.partitions["0"];
    // Crash a follower that is not the controller, so that the controller sees it go (a new
    // controller before 2.3 would not touch the ISR at failover).
    const controller = calm.metrics.controllers[0].broker;
    const follower = followers.find((f) => f !== controller)!;
    const other = followers.find((f) => f !== follower)!;
    const r = run("same-leader.yaml", 1, [], text(`[{ at: 20s, crash: broker-${follower}, for: 60s }]`));
    const changes = r.history.states.get("orders-0")!.filter((c) => c.atUs > 20e6 && c.atUs < 40e6);
    expect(changes.some((c) => c.leader === leader && c.leaderEpoch > 0)).toBe(true);
    expect(r.history.truncations.filter((t) => t.broker === other && t.atUs > 20e6 && t.atUs < 40e6)).toEqual([]);
  }, 30_000);
});
