/**
 * Configs of 0, negative or tiny values that Kafka's ConfigDef accepts: the simulator does what
 * that release of Kafka does (never freezing its clock), or refuses the value at load with the
 * release and the reason where a broker of that release cannot start with it. One test per rule;
 * each fails without its rule (a stall, an internal error, or the behaviour it checks).
 */
import { afterEach, describe, expect, it } from "vitest";
import { loadScenario, formatProblem } from "../scenarios/loader.js";
import { runScenario } from "../scenarios/runner.js";
import { computeMetrics } from "../reports/metrics.js";
import type { Override } from "../scenarios/overrides.js";
import { CheckpointFile } from "../sim/nodes/kafka/log/CheckpointFile.js";
import { offsetCheckpointBytes } from "../sim/nodes/kafka/log/CheckpointFile.js";
import { HW_CHECKPOINT } from "../sim/nodes/kafka/server/HighWatermarkCheckpoints.js";
import { RECOVERY_POINT_CHECKPOINT } from "../sim/nodes/kafka/log/LogManager.js";
import { periodRule } from "../sim/nodes/kafka/server/KafkaScheduler.js";
import { exponentialBackoffUs } from "../sim/nodes/kafka/clients/ExponentialBackoff.js";
import { behaviourOf, KAFKA_VERSIONS } from "../sim/nodes/kafka/common/versions.js";
import { Simulation } from "../sim/Simulation.js";

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

const S = 1_000_000;

/** A small cluster: three brokers, one topic `orders`, optionally a producer and faults. */
function cluster(o: { version: string; duration: string; config?: string; zk?: number; partitions?: number; rf?: number; producer?: string; producerConfig?: string; faults?: string }): string {
  return [
    "name: zero",
    `duration: ${o.duration}`,
    "settle: 0s",
    `kafka: { version: "${o.version}" }`,
    `cluster: { racks: [a, b, c], brokers: 3, hardware: ssd-10gbe, zookeeper: { nodes: ${o.zk ?? 1} }, config: { ${o.config ?? ""} } }`,
    `topics: [{ name: orders, partitions: ${o.partitions ?? 1}, replication.factor: ${o.rf ?? 3} }]`,
    o.producer === undefined ? "" : `producers: [{ id: p1, topic: orders, messageBytes: 200, ${o.producer}, config: { ${o.producerConfig ?? ""} } }]`,
    `faults: ${o.faults ?? "[]"}`,
    "",
  ].join("\n");
}

function load(text: string, sets: Override[] = []) {
  return loadScenario(text, "zero.yaml", sets);
}

/** The load problems as text ("accepted" when none). */
function problems(text: string): string {
  const r = load(text);
  return r.ok ? "accepted" : r.problems.map(formatProblem).join("\n");
}

/** Runs the scenario; `force` sets broker configs after loading, as if the load check let them through. */
function run(text: string, untilUs?: number, force?: Record<string, number>) {
  const r = load(text);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  if (force !== undefined) r.scenario.doc.cluster.config = { ...r.scenario.doc.cluster.config, ...force };
  const outcome = runScenario(r.scenario, { seed: 1, untilUs });
  const w = outcome.world;
  return { outcome, world: w, metrics: computeMetrics(outcome), marks: w.sim.marks, history: w.history };
}

/** ISR history of orders-0 as "t:leader[isr]". */
function isrHistory(h: ReturnType<typeof run>["history"]): string[] {
  return (h.states.get("orders-0") ?? []).map((c) => `${(c.atUs / S).toFixed(1)}:${c.leader}[${c.isr.join(",")}]`);
}

function checkpointOf(r: ReturnType<typeof run>, broker: number, file: string): Map<string, number> | undefined {
  const m = r.world.machines.get(`broker-${broker}`)!;
  return new CheckpointFile<Map<string, number>>(m, m.disk, file, offsetCheckpointBytes).read();
}

describe("KafkaScheduler.schedule's period rule (KafkaScheduler.ts)", () => {
  it("period > 0 fixed rate; < 0 once; 0 once from 3.4 (#12882), IllegalArgumentException before", () => {
    const table = KAFKA_VERSIONS.map((v) => `${v}:${periodRule(0, behaviourOf(v))}`);
    expect(table.filter((t) => t.endsWith("once")).map((t) => t.split(":")[0])).toEqual(["3.4", "3.5", "3.6", "3.7", "3.8", "3.9"]);
    for (const v of KAFKA_VERSIONS) {
      expect(periodRule(5, behaviourOf(v))).toBe("fixed-rate");
      expect(periodRule(-1, behaviourOf(v))).toBe("once");
    }
  });
});

describe("the model itself, for values the load check refuses (Broker.startupFailed)", () => {
  const exits = (version: string, force: Record<string, number>, zk = 1) => {
    // Until 4 s: at the end of the duration the settle period starts the exited brokers again (and they exit again).
    const r = run(cluster({ version, duration: "5s", zk, producer: "rate: 100/s" }), 4 * S, force);
    expect(r.outcome.stopReason).toBe("time");
    return r.metrics.brokerExits.map((e) => `${e.broker}: ${e.why}`).sort();
  };

  it("2.8, a KafkaScheduler period of 0 at start-up: every broker exits (KafkaServer.startup, then Exit.exit(1))", () => {
    const forced: Array<Record<string, number>> = [{ "log.flush.scheduler.interval.ms": 0 }, { "log.flush.offset.checkpoint.interval.ms": 0 }, { "replica.lag.time.max.ms": 1, "replica.fetch.wait.max.ms": 0 }];
    for (const force of forced) {
      const why = exits("2.8", force);
      expect(why).toHaveLength(3);
      for (const w of why) expect(w).toMatch(/IllegalArgumentException from ScheduledThreadPoolExecutor\.scheduleAtFixedRate: task '(kafka-log-flusher|kafka-recovery-point-checkpoint|isr-expiration)' scheduled with period 0/);
    }
  }, 60_000);

  it("a ZooKeeper connect timeout of 0 ms (session timeout -1, or 2 over 3 servers): the client never connects and every broker exits", () => {
    for (const [timeout, zk] of [[-1, 1], [2, 3]]) {
      const why = exits("3.6", { "zookeeper.session.timeout.ms": timeout }, zk);
      expect(why).toHaveLength(3);
      for (const w of why) expect(w).toMatch(/no ZooKeeper connection within zookeeper\.connection\.timeout\.ms/);
    }
  }, 60_000);
});

describe("KafkaConfig.validateValues: replica.fetch.wait.max.ms <= replica.socket.timeout.ms and <= replica.lag.time.max.ms (every release)", () => {
  for (const version of ["0.10.2", "2.8", "3.6"]) {
    it(`${version}: lag 0 or socket timeout 0 with the default wait (500) is refused; with wait 0 it is not`, () => {
      const lag0 = problems(cluster({ version, duration: "5s", config: "replica.lag.time.max.ms: 0" }));
      expect(lag0).toMatch(/cluster\.config\.replica\.lag\.time\.max\.ms: expected at least replica\.fetch\.wait\.max\.ms \(500\) \(got 0\): every release's broker refuses this at start-up \(KafkaConfig\.validateValues/);
      const socket0 = problems(cluster({ version, duration: "5s", config: "replica.socket.timeout.ms: 0" }));
      expect(socket0).toMatch(/cluster\.config\.replica\.socket\.timeout\.ms: expected at least replica\.fetch\.wait\.max\.ms \(500\) \(got 0\)/);
      const wait = problems(cluster({ version, duration: "5s", config: "replica.fetch.wait.max.ms: 40000" }));
      expect(wait).toMatch(/replica\.fetch\.wait\.max\.ms: expected at most replica\.socket\.timeout\.ms \(30000\) \(got 40000\)/);
      expect(wait).toMatch(/replica\.fetch\.wait\.max\.ms: expected at most replica\.lag\.time\.max\.ms/);
      expect(problems(cluster({ version, duration: "5s", config: "replica.fetch.wait.max.ms: 0, replica.socket.timeout.ms: 0, replica.lag.time.max.ms: 1000" }))).toBe("accepted");
    });
  }
});

describe("replica.lag.time.max.ms: isr-expiration every lag / 2 whole ms (ReplicaManager.startup)", () => {
  const text = (version: string, lag: number) =>
    cluster({ version, duration: "20s", config: `replica.fetch.wait.max.ms: 0, replica.lag.time.max.ms: ${lag}`, producer: "rate: 500/s", faults: '[{ at: 10s, pause: "followers:orders-0", for: 4s }]' });

  it("3.6, lag 0 (wait 0): period 0 runs the task once, at start-up, so the ISR never shrinks, even for followers paused 4 s", () => {
    const r = run(text("3.6", 0));
    expect(r.outcome.stopReason).toBe("time");
    const history = isrHistory(r.history);
    expect(history.length).toBe(1);
    expect(history[0]).toMatch(/\[\d,\d,\d\]$/);
    // With lag 1000 the same pause shrinks it (and the followers come back).
    const shrinking = isrHistory(run(text("3.6", 1000)).history);
    expect(shrinking.some((h) => /\[\d\]$/.test(h))).toBe(true);
  }, 60_000);

  it("3.3, lag 0 or 1 (period 0): refused, the broker fails at start-up; lag 2 (period 1 ms) runs", () => {
    for (const lag of [0, 1]) {
      expect(problems(text("3.3", lag))).toMatch(
        new RegExp(`cluster\\.config\\.replica\\.lag\\.time\\.max\\.ms: Kafka 3\\.3's broker fails at start-up with ${lag}: ReplicaManager\\.startup schedules isr-expiration every replica\\.lag\\.time\\.max\\.ms / 2 = 0 ms .*IllegalArgumentException`),
      );
    }
    expect(problems(text("3.4", 1))).toBe("accepted");
    const r = run(cluster({ version: "3.3", duration: "3s", config: "replica.fetch.wait.max.ms: 0, replica.lag.time.max.ms: 2", producer: "rate: 100/s" }));
    expect(r.outcome.stopReason).toBe("time");
  }, 60_000);
});

describe("replica.high.watermark.checkpoint.interval.ms <= 0 (startHighWatermarkCheckPointThread at the first LeaderAndIsr)", () => {
  const text = (version: string, interval: number) => cluster({ version, duration: "8s", config: `replica.high.watermark.checkpoint.interval.ms: ${interval}`, producer: "rate: 500/s" });

  it("3.6, 0: the checkpoint is written once, at the first LeaderAndIsr, and never again", () => {
    const r = run(text("3.6", 0));
    expect(r.outcome.stopReason).toBe("time");
    const leader = r.history.states.get("orders-0")![0].leader;
    // Written before any record was produced: the high watermark it holds stays 0.
    expect(checkpointOf(r, leader, HW_CHECKPOINT)).toEqual(new Map([["orders-0", 0]]));
    expect(r.metrics.acked).toBeGreaterThan(1000);
    expect(r.marks.count("replica: high-watermark checkpoint task failed to schedule, LeaderAndIsr fails")).toBe(0);
  }, 60_000);

  it("2.8, 0: scheduleAtFixedRate throws in the first LeaderAndIsr: it is answered UNKNOWN_SERVER_ERROR and no checkpoint is ever written; -1 writes once", () => {
    const r = run(text("2.8", 0));
    expect(r.outcome.stopReason).toBe("time");
    // Each broker's first LeaderAndIsr fails (the partitions change all the same); later ones do not.
    expect(r.marks.count("replica: high-watermark checkpoint task failed to schedule, LeaderAndIsr fails")).toBe(3);
    for (const b of [1, 2, 3]) expect(checkpointOf(r, b, HW_CHECKPOINT)).toBeUndefined();
    expect(r.metrics.acked).toBeGreaterThan(1000);
    const once = run(text("2.8", -1));
    const leader = once.history.states.get("orders-0")![0].leader;
    expect(checkpointOf(once, leader, HW_CHECKPOINT)).toEqual(new Map([["orders-0", 0]]));
  }, 60_000);
});

describe("LogManager.startup's tasks with a period of 0: kafka-log-flusher, kafka-recovery-point-checkpoint", () => {
  it("3.6: each runs once, 30 s after start-up (InitialTaskDelayMs)", () => {
    const r = run(cluster({ version: "3.6", duration: "40s", config: "log.flush.scheduler.interval.ms: 0, log.flush.offset.checkpoint.interval.ms: 0", producer: "rate: 200/s" }));
    expect(r.outcome.stopReason).toBe("time");
    // log.flush.interval.ms falls back to the scheduler's 0: the one run flushes each of the 3 logs.
    expect(r.marks.count("log: flushed by log.flush.interval.ms")).toBe(3);
    for (const b of [1, 2, 3]) expect(checkpointOf(r, b, RECOVERY_POINT_CHECKPOINT)?.has("orders-0")).toBe(true);
  }, 60_000);

  it("before 3.4: refused, the broker fails at start-up (LogManager.startup, IllegalArgumentException)", () => {
    for (const [key, task] of [
      ["log.flush.scheduler.interval.ms", "kafka-log-flusher"],
      ["log.flush.offset.checkpoint.interval.ms", "kafka-recovery-point-checkpoint"],
    ]) {
      const text = (version: string) => cluster({ version, duration: "5s", config: `${key}: 0` });
      expect(problems(text("2.8"))).toMatch(new RegExp(`zero\\.yaml:\\d+:\\d+: cluster\\.config\\.${key.replace(/\./g, "\\.")}: Kafka 2\\.8's broker fails at start-up with 0: LogManager\\.startup schedules ${task} every ${key.replace(/\./g, "\\.")}, and a period of 0 makes ScheduledThreadPoolExecutor\\.scheduleAtFixedRate throw IllegalArgumentException`));
      expect(problems(text("3.3"))).toMatch(/Kafka 3\.3's broker fails at start-up/);
      expect(problems(text("3.4"))).toBe("accepted");
    }
    // A negative scheduler interval (no validator) runs once in every release.
    expect(problems(cluster({ version: "0.10.2", duration: "5s", config: "log.flush.scheduler.interval.ms: -1" }))).toBe("accepted");
  });
});

describe("zookeeper.session.timeout.ms: negotiated by the server, waited for at start-up", () => {
  it("0, -1, or below the number of servers: refused, the client's connect timeout (timeout / servers) is 0 ms (ClientCnxn)", () => {
    for (const [timeout, zk] of [[0, 1], [-1, 1], [2, 3], [4, 5]]) {
      expect(problems(cluster({ version: "3.6", duration: "5s", zk, config: `zookeeper.session.timeout.ms: ${timeout}` }))).toMatch(
        new RegExp(`cluster\\.config\\.zookeeper\\.session\\.timeout\\.ms: every release's broker fails at start-up with ${timeout}: the ZooKeeper client's connect timeout, zookeeper\\.session\\.timeout\\.ms / ${zk} servers? = -?\\d+ ms, ends every connection attempt before it is answered \\(ClientCnxn\\.SendThread\\.run\\).*ZooKeeperClientTimeoutException`),
      );
    }
    expect(problems(cluster({ version: "3.6", duration: "5s", zk: 3, config: "zookeeper.session.timeout.ms: 3" }))).toBe("accepted");
  });

  it("1 ms: the server grants 4000 ms (2 ticks, ZooKeeperServer.processConnectRequest) and the client pings by that, not every third of a millisecond", () => {
    const text = (timeout: number) => cluster({ version: "3.6", duration: "20s", config: `zookeeper.session.timeout.ms: ${timeout}`, producer: "rate: 100/s" });
    const tiny = run(text(1));
    expect(tiny.outcome.stopReason).toBe("time");
    expect([...tiny.world.zookeeper.sessions.values()].map((s) => s.timeoutUs)).toEqual([4 * S, 4 * S, 4 * S]);
    expect(tiny.metrics.brokerExits).toEqual([]);
    // As many events as with 4000 ms asked for (pings every 333 us would add some 180,000).
    const asked = run(text(4000));
    expect(Math.abs(tiny.world.sim.events - asked.world.sim.events)).toBeLessThan(1000);
  }, 60_000);

  it("a broker that cannot reach ZooKeeper for zookeeper.session.timeout.ms after it starts exits (zookeeper.connection.timeout.ms defaults to it: ZooKeeperClient.waitUntilConnected)", () => {
    const r = run(cluster({ version: "2.4", duration: "30s", config: "zookeeper.session.timeout.ms: 6000", faults: "[{ at: 0s, partition: [[broker-1], [zk-1]], for: 25s }]" }));
    expect(r.outcome.stopReason).toBe("time");
    expect(r.metrics.brokerExits.map((e) => e.broker)).toEqual([1]);
    expect(r.metrics.brokerExits[0].why).toMatch(/no ZooKeeper connection within zookeeper\.connection\.timeout\.ms \(= zookeeper\.session\.timeout\.ms, 6000 ms\)/);
    // It started about 1 s in (STARTUP_US plus jitter) and waited 6 s.
    expect(r.metrics.brokerExits[0].atUs).toBeGreaterThan(7 * S);
    expect(r.metrics.brokerExits[0].atUs).toBeLessThan(7.6 * S);
  }, 60_000);
});

describe("leader.imbalance.check.interval.seconds <= 0 (3.2 refuses it: atLeast(1))", () => {
  const text = (version: string, interval: number) =>
    cluster({ version, duration: "40s", config: `leader.imbalance.check.interval.seconds: ${interval}`, producer: "rate: 200/s", faults: '[{ at: 8s, stop: "leader:orders-0", for: 10s }]' });
  const lastLeader = (r: ReturnType<typeof run>) => r.history.states.get("orders-0")!.at(-1)!.leader;
  const firstLeader = (r: ReturnType<typeof run>) => r.history.states.get("orders-0")![0].leader;

  it("2.8, 0: processAutoPreferredReplicaLeaderElection re-arms with no delay, so the preferred leader leads again as soon as it is back in the ISR", () => {
    const r = run(text("2.8", 0));
    expect(r.outcome.stopReason).toBe("time");
    expect(r.marks.count("controller: leader balance checked after every event (interval <= 0)")).toBeGreaterThan(0);
    expect(lastLeader(r)).toBe(firstLeader(r));
    // The default (300 s) checks once within the run, at 5 s: leadership stays where the stop moved it.
    const slow = run(text("2.8", 300));
    expect(lastLeader(slow)).not.toBe(firstLeader(slow));
  }, 60_000);

  it("0.10.2: -1 checks once, 5 s after failover (a negative KafkaScheduler period); 0 is refused (the failover throws and the controller resigns, over and over)", () => {
    const r = run(text("0.10.2", -1));
    expect(r.outcome.stopReason).toBe("time");
    expect(lastLeader(r)).not.toBe(firstLeader(r));
    expect(problems(text("0.10.2", 0))).toMatch(/cluster\.config\.leader\.imbalance\.check\.interval\.seconds: Kafka 0\.10\.2's controller fails every failover with 0: onControllerFailover schedules partition-rebalance-thread with period 0/);
    expect(problems(cluster({ version: "0.10.2", duration: "5s", config: "leader.imbalance.check.interval.seconds: 0, auto.leader.rebalance.enable: false" }))).toBe("accepted");
  }, 60_000);
});

describe("replica fetch edge values", () => {
  it("replica.fetch.wait.max.ms -1 (KafkaConfig accepts it below the others): the leader answers at once (ReplicaManager.fetchMessages: timeout <= 0)", () => {
    const r = run(cluster({ version: "3.6", duration: "5s", config: "replica.fetch.wait.max.ms: -1", producer: "rate: 500/s" }));
    expect(r.outcome.stopReason).toBe("time");
    expect(isrHistory(r.history)).toHaveLength(1);
    expect(r.metrics.acked).toBeGreaterThan(1500);
  }, 60_000);

  it("replica.socket.timeout.ms <= 0 (with the wait no larger): a follower never connects (awaitReady), so the ISR shrinks to the leader", () => {
    for (const timeout of [0, -1]) {
      const r = run(cluster({ version: "3.6", duration: "6s", config: `replica.fetch.wait.max.ms: ${timeout}, replica.socket.timeout.ms: ${timeout}, replica.lag.time.max.ms: 1000`, producer: "rate: 200/s" }));
      expect(r.outcome.stopReason).toBe("time");
      expect(r.marks.count("fetcher: replica.socket.timeout.ms <= 0, never connects")).toBeGreaterThan(0);
      expect(isrHistory(r.history).at(-1)).toMatch(/:(\d)\[\1\]$/);
    }
    // With no fetch backoff that is a retry loop taking no time: refused.
    expect(problems(cluster({ version: "3.6", duration: "5s", config: "replica.fetch.wait.max.ms: 0, replica.socket.timeout.ms: 0, replica.fetch.backoff.ms: 0" }))).toMatch(
      /cluster\.config\.replica\.fetch\.backoff\.ms: with replica\.socket\.timeout\.ms 0 a follower never connects .* a loop that costs Kafka CPU time and the simulator none/,
    );
  }, 60_000);
});

describe("controller.socket.timeout.ms <= 0 and controlled shutdown", () => {
  it("controller.socket.timeout.ms 0 or -1: the controller never connects to a broker (RequestSendThread.brokerReady), so no partition gets a leader", () => {
    for (const timeout of [0, -1]) {
      const r = run(cluster({ version: "3.6", duration: "5s", config: `controller.socket.timeout.ms: ${timeout}`, producer: "rate: 100/s" }));
      expect(r.outcome.stopReason).toBe("time");
      expect(r.marks.count("controller: controller.socket.timeout.ms <= 0, never connects to a broker")).toBeGreaterThan(0);
      expect(r.metrics.acked).toBe(0);
      expect(r.metrics.leaderChanges).toBe(0);
    }
  }, 60_000);

  const stop = (version: string, config: string) => cluster({ version, duration: "30s", config, producer: "rate: 100/s", faults: '[{ at: 10s, stop: "leader:orders-0", for: 15s }]' });
  /** The followers crash first: the controller cannot move leadership off the stopping leader, so each attempt fails (partitions remaining). */
  const failingStop = (version: string, config: string) =>
    cluster({ version, duration: "30s", config, producer: "rate: 100/s", faults: '[{ at: 3s, crash: "followers:orders-0", for: 40s }, { at: 10s, stop: "leader:orders-0", for: 15s }]' });

  it("controlled.shutdown.max.retries 0 or -1: no attempt (while remainingRetries > 0), the broker stops cleanly all the same", () => {
    for (const retries of [0, -1]) {
      const r = run(stop("3.6", `controlled.shutdown.max.retries: ${retries}`));
      expect(r.outcome.stopReason).toBe("time");
      expect(r.marks.count("broker: controlled.shutdown.max.retries <= 0, no controlled shutdown attempt")).toBe(1);
      expect(r.marks.count("broker: controlled shutdown succeeded")).toBe(0);
      expect(r.metrics.halts).toEqual([]);
    }
  }, 60_000);

  it("controlled.shutdown.retry.backoff.ms -1: the sleep after a failed attempt throws, KafkaServer.shutdown swallows it and stops cleanly", () => {
    const r = run(failingStop("3.6", "controlled.shutdown.retry.backoff.ms: -1"));
    expect(r.outcome.stopReason).toBe("time");
    expect(r.marks.count("broker: controlled shutdown abandoned on an exception, stopping anyway")).toBe(1);
    expect(r.metrics.halts).toEqual([]);
  }, 60_000);

  it("controller.socket.timeout.ms -1 at a stop: awaitReady's IllegalArgumentException abandons controlled shutdown at once", () => {
    // The controller cannot reach the brokers either, so no partition has a leader: only the stop matters.
    const r = run(stop("3.6", "controller.socket.timeout.ms: -1"));
    expect(r.outcome.stopReason).toBe("time");
    expect(r.marks.count("broker: controlled shutdown abandoned on an exception, stopping anyway")).toBe(1);
  }, 60_000);

  it("before 3.1 the retry backoff follows the last failed attempt too (#11246): one attempt, then 5 s, then the stop", () => {
    const exitAfterStop = (version: string) => {
      const r = run(failingStop(version, "controlled.shutdown.max.retries: 1"));
      const leader = r.history.states.get("orders-0")![0].leader;
      expect(r.marks.count("broker: controlled shutdown gave up, stopping anyway")).toBe(1);
      const down = r.history.brokerDown.get(leader)!;
      return down[0][0] - 10 * S;
    };
    expect(exitAfterStop("3.1")).toBeLessThan(1 * S);
    expect(exitAfterStop("3.0")).toBeGreaterThan(5 * S);
  }, 60_000);
});

describe("producer edge values", () => {
  it("socket.connection.setup.timeout.ms -1 (a LONG with no validator): each connection set-up times out at once, nothing is sent", () => {
    const setup = (version: string, config: string) => run(cluster({ version, duration: "5s", producer: "rate: 100/s", producerConfig: config }));
    for (const [version, config] of [
      ["3.6", "socket.connection.setup.timeout.ms: -1"],
      // 3.7's ExponentialBackoff lowers the initial value to the maximum (KIP-580).
      ["3.7", "socket.connection.setup.timeout.max.ms: -1"],
    ]) {
      const r = setup(version, config);
      expect(r.outcome.stopReason).toBe("time");
      expect(r.marks.count("client: connection setup timed out (KIP-601)")).toBeGreaterThan(0);
      expect(r.metrics.acked).toBe(0);
    }
    // Before 3.7 a maximum below the initial value leaves the initial value (10 s): set-up works.
    const before = setup("3.6", "socket.connection.setup.timeout.max.ms: -1");
    expect(before.marks.count("client: connection setup timed out (KIP-601)")).toBe(0);
    expect(before.metrics.acked).toBeGreaterThan(300);
  }, 60_000);

  it("ExponentialBackoff: a maximum below the initial value gives the initial value before 3.7, the maximum from 3.7 (reconnect.backoff.max.ms 0)", () => {
    const rng = new Simulation(1).rng.stream("x");
    expect(exponentialBackoffUs(50_000, 0, 3, 0.2, rng, false)).toBe(50_000);
    expect(exponentialBackoffUs(50_000, 0, 3, 0.2, rng, true)).toBe(0);
    expect(exponentialBackoffUs(-1_000_000, 30_000_000, 0, 0, rng, false)).toBe(-1_000_000);
    // A negative maximum above a negative initial value: log of a negative number, NaN, which Java's (long) makes 0.
    expect(exponentialBackoffUs(-2_000_000, -1_000_000, 0, 0.2, rng, false)).toBe(0);
  });
});

describe("a config key of another release", () => {
  it("is accepted at load and never read by the model, whatever its value (Kafka ignores a config it does not know)", () => {
    // retry.backoff.max.ms is 3.7+, partitioner.ignore.keys 3.3+: on 3.2 their values (of a type those
    // releases would refuse) must neither be read nor crash the run.
    const text = cluster({ version: "3.2", duration: "3s", producer: "rate: 100/s", producerConfig: '"retry.backoff.max.ms": true, "partitioner.ignore.keys": 7' });
    expect(problems(text)).toBe("accepted");
    const r = run(text);
    expect(r.outcome.stopReason).toBe("time");
    expect(r.metrics.acked).toBeGreaterThan(0);
  });
});
