/**
 * Log retention (LogRetention.ts): segments deleted by time and by size, the roll when every
 * segment goes, asynchronous deletion, the log start offset on leaders and followers (KIP-107),
 * a follower below its leader's log start offset, a consumer below it, and the checkers'
 * expiredAcked.
 */
import { describe, expect, it } from "vitest";
import { batch, defaultRetention, machineWith, newLog } from "./helpers/storage.js";
import { deleteOldSegments, retentionMsOf, type RetentionSettings } from "../sim/nodes/kafka/log/LogRetention.js";
import { behaviourOf, brokerDefaults, KafkaConfig } from "../sim/nodes/kafka/common/versions.js";
import { loadLog } from "../sim/nodes/kafka/log/LogLoader.js";
import { run } from "./helpers/readSide.js";
import type { Broker } from "../sim/nodes/kafka/server/Broker.js";
import type { World } from "../scenarios/world.js";
import { loadScenario, formatProblem } from "../scenarios/loader.js";

const S = 1_000_000;
const MIN = 60 * S;

function settings(over: Partial<RetentionSettings> = {}, version: "0.11" | "3.6" = "3.6"): RetentionSettings {
  return { ...defaultRetention(), behaviour: behaviourOf(version), ...over };
}

/** A batch of `count` records created at `atUs`. */
function timed(baseOffset: number, count: number, bytes: number, atUs: number) {
  return { ...batch(baseOffset, count, bytes, 0), createTimesUs: Array.from({ length: count }, () => atUs) };
}

/** Ten 1,000-byte batches of 10 records, one segment each (segment.bytes 1,500), created a minute apart. */
function tenSegments(retention: RetentionSettings) {
  const m = machineWith();
  const { log } = newLog(m.machine, { segmentBytes: 1500, retention });
  for (let i = 0; i < 10; i++) expect(log.append(timed(i * 10, 10, 1000, i * MIN))).toBe(true);
  return { ...m, log };
}

const segmentFiles = (m: ReturnType<typeof machineWith>["machine"]) => m.filesOn(m.disk).filter((f) => f.name.startsWith("t-0/")).map((f) => f.name.slice(4));

describe("retention config", () => {
  it("log.retention.ms over minutes over hours; negative is unlimited (KafkaConfig.logRetentionTimeMillis)", () => {
    const c = (set: Record<string, number>) => retentionMsOf(KafkaConfig.merge(brokerDefaults("3.6"), set));
    expect(c({})).toBe(168 * 3_600_000);
    expect(c({ "log.retention.hours": 1 })).toBe(3_600_000);
    expect(c({ "log.retention.hours": 1, "log.retention.minutes": 5 })).toBe(300_000);
    expect(c({ "log.retention.hours": 1, "log.retention.minutes": 5, "log.retention.ms": 1234 })).toBe(1234);
    expect(c({ "log.retention.ms": -5 })).toBe(-1);
  });

  it("a topic's retention time replaces the cluster's, whichever key each set; validate refuses a check interval of 0", () => {
    const text = (topic: string, cluster = "log.retention.ms: 1000") => `
name: t
duration: 1s
cluster: { brokers: 1, config: { ${cluster} } }
topics:
  - { name: a, partitions: 1, replication.factor: 1, config: { ${topic} } }
`;
    const r = loadScenario(text("log.retention.hours: 2"), "t.yaml");
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
    const bad = loadScenario(text("log.retention.hours: 2", "log.retention.check.interval.ms: 0"), "t.yaml");
    expect(bad.ok ? [] : bad.problems.map(formatProblem)).toEqual([expect.stringMatching(/log\.retention\.check\.interval\.ms: expected at least 1/)]);
  });
});

describe("Log.deleteOldSegments", () => {
  it("by time: segments whose newest record is older than retention.ms go, their batches leave the log's arrays, the log start offset moves", () => {
    const { sim, machine, log } = tenSegments(settings({ retentionMs: 5 * 60_000 }));
    sim.run({ untilUs: 9 * MIN + 30 * S });
    // Now 9.5 min: segments created at 0..4 min are older than 5 min (4 min + 5 < 9.5).
    expect(deleteOldSegments(log, log.logEndOffset, sim.now)).toBe(5);
    expect(log.logStartOffset).toBe(50);
    expect(log.batches.map((b) => b.baseOffset)).toEqual([50, 60, 70, 80, 90]);
    expect(log.segments.map((s) => s.baseOffset)).toEqual([50, 60, 70, 80, 90]);
    // Offset lookups still find the right batch.
    expect(log.read(75, 1)[0].baseOffset).toBe(70);
    expect(log.read(0, 1)[0].baseOffset).toBe(50);
    expect(log.epochs).toEqual([{ epoch: 0, startOffset: 50 }]);
    // Renamed now, unlinked after log.segment.delete.delay.ms (60 s), their pages and payloads freed.
    const deleted = machine.filesOn(machine.disk).filter((f) => f.name.endsWith(".deleted"));
    expect(deleted).toHaveLength(5);
    expect(deleted[0].contents).toHaveLength(1);
    sim.run({ untilUs: sim.now + 59 * S });
    expect(segmentFiles(machine).filter((n) => n.endsWith(".deleted"))).toHaveLength(5);
    sim.run({ untilUs: sim.now + 2 * S });
    expect(segmentFiles(machine).filter((n) => n.endsWith(".deleted"))).toEqual([]);
    expect(deleted.map((f) => [f.size, f.contents.length])).toEqual(Array.from({ length: 5 }, () => [0, 0]));
    // Appends go on; the log reloads from the files left.
    expect(log.append(timed(100, 10, 1000, sim.now))).toBe(true);
    const loaded = loadLog(machine, machine.disk, "t-0", true, 0);
    expect(loaded.state.firstBaseOffset).toBe(50);
    expect(loaded.state.logEndOffset).toBe(110);
  });

  it("from 1.0 only below the high watermark; 0.11 deletes past it", () => {
    const a = tenSegments(settings({ retentionMs: 0 }));
    a.sim.run({ untilUs: 20 * MIN });
    expect(deleteOldSegments(a.log, 30, a.sim.now)).toBe(3);
    expect(deleteOldSegments(a.log, null, a.sim.now)).toBe(0);
    const b = tenSegments(settings({ retentionMs: 0 }, "0.11"));
    b.sim.run({ untilUs: 20 * MIN });
    expect(deleteOldSegments(b.log, 30, b.sim.now)).toBe(10);
  });

  it("when every segment goes the log first rolls an empty one at its end, which reloads as the log start and end", () => {
    const { sim, machine, log } = tenSegments(settings({ retentionMs: 60_000 }));
    sim.run({ untilUs: 20 * MIN });
    expect(deleteOldSegments(log, log.logEndOffset, sim.now)).toBe(10);
    expect(log.segments.map((s) => [s.baseOffset, s.file.size])).toEqual([[100, 0]]);
    expect(log.batches).toEqual([]);
    expect(log.logStartOffset).toBe(100);
    expect(log.logEndOffset).toBe(100);
    // The empty active segment is never deleted.
    expect(deleteOldSegments(log, log.logEndOffset, sim.now + 60 * MIN)).toBe(0);
    const loaded = loadLog(machine, machine.disk, "t-0", true, 0);
    expect([loaded.state.firstBaseOffset, loaded.state.logEndOffset]).toEqual([100, 100]);
  });

  it("by size: the oldest segments while the rest still holds retention.bytes", () => {
    const { sim, log } = tenSegments(settings({ retentionMs: -1, retentionBytes: 3500 }));
    expect(deleteOldSegments(log, log.logEndOffset, sim.now)).toBe(6);
    expect(log.segments.map((s) => s.baseOffset)).toEqual([60, 70, 80, 90]);
    expect(log.logStartOffset).toBe(60);
  });

  it("a compacted topic's log (cleanup.policy=compact) is left alone by time and size", () => {
    const { sim, log } = tenSegments(settings({ retentionMs: 0, retentionBytes: 0, delete: false }));
    sim.run({ untilUs: 20 * MIN });
    expect(deleteOldSegments(log, log.logEndOffset, sim.now)).toBe(0);
  });
});

describe("a higher log start offset (Log.maybeIncrementLogStartOffset) per release", () => {
  /** Producer 8 writes the first five segments, producer 7 the last five. */
  function twoProducers(version: "0.11" | "3.6") {
    const m = machineWith();
    const { log } = newLog(m.machine, { segmentBytes: 1500, retention: settings({ retentionMs: 5 * 60_000 }, version) });
    for (let i = 0; i < 10; i++) {
      const pid = i < 5 ? 8 : 7;
      expect(log.append({ ...timed(i * 10, 10, 1000, i * MIN), producerId: pid, baseSequence: (i % 5) * 10 })).toBe(true);
    }
    m.sim.run({ untilUs: 9 * MIN + 30 * S });
    expect(deleteOldSegments(log, log.logEndOffset, m.sim.now)).toBe(5);
    return log;
  }

  it("0.11 - 2.3 drop a producer whose last batch is below it (truncateHead): its next batch is UNKNOWN_PRODUCER_ID; from 2.4 it is kept (KAFKA-7190)", () => {
    expect(behaviourOf("2.3").producersEvictedAtLogStart).toBe(true);
    expect(behaviourOf("2.4").producersEvictedAtLogStart).toBe(false);
    const old = twoProducers("0.11");
    expect(old.checkSequence(8, 50)).toEqual({ kind: "unknownProducer" });
    expect(old.checkSequence(7, 50)).toEqual({ kind: "ok" });
    const now = twoProducers("3.6");
    expect(now.checkSequence(8, 50)).toEqual({ kind: "ok" });
    expect(now.checkSequence(7, 50)).toEqual({ kind: "ok" });
  });

  it("raises the recovery point from 2.5 (updateLogStartOffset); before, it stays below the new start", () => {
    const recoveryPointAfterAllGo = (version: "0.11" | "3.6") => {
      const { sim, log } = tenSegments(settings({ retentionMs: 60_000 }, version));
      sim.run({ untilUs: 20 * MIN });
      const before = log.recoveryPoint;
      expect(deleteOldSegments(log, log.logEndOffset, sim.now)).toBe(10);
      return [before, log.logStartOffset, log.recoveryPoint];
    };
    expect(recoveryPointAfterAllGo("0.11")).toEqual([90, 100, 90]);
    expect(recoveryPointAfterAllGo("3.6")).toEqual([90, 100, 100]);
    expect(behaviourOf("2.4").logStartOffsetRaisesRecoveryPoint).toBe(false);
    expect(behaviourOf("2.5").logStartOffsetRaisesRecoveryPoint).toBe(true);
  });
});

describe("Log.truncateTo below the first segment (Log.truncateTo: truncateFullyAndStartAt)", () => {
  it("a target below a start offset retention moved: the log starts and ends at the target, with one empty segment there", () => {
    const { sim, machine, log } = tenSegments(settings({ retentionMs: 5 * 60_000 }));
    sim.run({ untilUs: 9 * MIN + 30 * S });
    expect(deleteOldSegments(log, log.logEndOffset, sim.now)).toBe(5);
    expect(log.logStartOffset).toBe(50);
    expect(log.truncateTo(30)).toBe(100 - 30);
    expect([log.logStartOffset, log.logEndOffset, log.recoveryPoint]).toEqual([30, 30, 30]);
    expect(log.batches).toEqual([]);
    expect(log.segments.map((s) => [s.baseOffset, s.file.size])).toEqual([[30, 0]]);
    expect(log.epochs).toEqual([]);
    // The old segments are renamed .deleted; appends go on at the target.
    expect(segmentFiles(machine).filter((n) => !n.endsWith(".deleted") && n.endsWith(".log"))).toEqual(["00000000000000000030.log"]);
    expect(log.append(timed(30, 10, 1000, sim.now))).toBe(true);
    expect(log.logEndOffset).toBe(40);
  });

  it("a log retention emptied (one empty segment at its end): truncateTo below it still starts again at the target", () => {
    const { sim, log } = tenSegments(settings({ retentionMs: 60_000 }));
    sim.run({ untilUs: 20 * MIN });
    expect(deleteOldSegments(log, log.logEndOffset, sim.now)).toBe(10);
    expect(log.truncateTo(20)).toBe(80);
    expect([log.logStartOffset, log.logEndOffset]).toEqual([20, 20]);
    expect(log.segments.map((s) => s.baseOffset)).toEqual([20]);
    // At or past the first segment's base offset nothing changes.
    expect(log.truncateTo(20)).toBe(0);
    expect(log.segments.map((s) => s.baseOffset)).toEqual([20]);
  });
});

/** A cluster where retention runs often: 2 minutes, 20 KB segments, checked every 10 s. */
function retentionDoc(opts: { version?: string; consumer?: string; faults?: string; retention?: string; duration?: string } = {}): string {
  return `
name: retention
duration: ${opts.duration ?? "8m"}
settle: 10s
kafka: { version: "${opts.version ?? "3.6"}" }
cluster:
  brokers: 3
  racks: [a, b, c]
  config: { ${opts.retention ?? "log.retention.ms: 120000"}, log.segment.bytes: 20000, log.retention.check.interval.ms: 10000, log.segment.delete.delay.ms: 5000 }
topics:
  - { name: orders, partitions: 1, replication.factor: 3 }
producers:
  - { id: p1, topic: orders, rate: 100/s, messageBytes: 100, config: { acks: all } }
${opts.consumer ?? ""}
faults:
${opts.faults ?? "  []"}
`;
}

function views(world: World, key: string) {
  return [1, 2, 3].map((id) => {
    const host = world.brokers.get(id)!;
    return host.alive ? (host.process as Broker).partitionView(key) : undefined;
  });
}

describe("retention in a cluster", () => {
  it("a consumer that falls behind retention is reset by auto.offset.reset; the expired records count as expiredAcked, not lostAcked", () => {
    const { outcome, metrics, marks } = run(retentionDoc({ consumer: "consumers:\n  - { group: slow, members: 1, topic: orders, processing: 20ms, config: { auto.offset.reset: earliest } }" }));
    expect(marks.count("retention: segments deleted by retention time")).toBeGreaterThan(0);
    expect(marks.count("consumer: fetch OFFSET_OUT_OF_RANGE, position reset per auto.offset.reset")).toBeGreaterThan(0);
    expect(metrics.expiredAcked).toBeGreaterThan(0);
    expect(metrics.lostAcked).toBe(0);
    expect(metrics.divergence).toBe(0);
    expect(metrics.lostConsumed).toBe(0);
    // Leader and followers moved their log start offsets (KIP-107 carries the leader's).
    const v = views(outcome.world, "orders-0");
    for (const x of v) expect(x!.logStartOffset).toBeGreaterThan(0);
    // Memory: each broker keeps about retention's worth of segments (2 of the 8 minutes, plus the
    // segment being filled and those waiting log.segment.delete.delay.ms), not the whole run.
    for (const x of v) expect((x!.logEndOffset - x!.logStartOffset) / x!.logEndOffset).toBeLessThan(0.4);
    // ...and its page cache holds no more segment files than that (at ~170 records a 20 KB segment).
    for (const name of ["broker-1", "broker-2", "broker-3"]) {
      const m = outcome.world.machines.get(name)!;
      const files = m.filesOn(m.disk).filter((f) => f.name.startsWith("orders-0/") && /\.log(\.deleted)?$/.test(f.name));
      expect(files.length).toBeLessThan((0.4 * metrics.acked) / 150);
    }
  });

  it("0.10.2 deletes by time too, with no log start offset of its own", () => {
    const { metrics, marks } = run(retentionDoc({ version: "0.10.2" }));
    expect(marks.count("retention: segments deleted by retention time")).toBeGreaterThan(0);
    expect(marks.count("retention: segments deleted by log start offset")).toBe(0);
    expect(metrics.expiredAcked).toBeGreaterThan(0);
    expect(metrics.lostAcked).toBe(0);
  });

  it("by size in a cluster: retention.bytes at topic level keeps each replica's log near it", () => {
    const { outcome, metrics, marks } = run(retentionDoc({ retention: "log.retention.bytes: 60000", duration: "3m" }));
    expect(marks.count("retention: segments deleted by retention size")).toBeGreaterThan(0);
    expect(metrics.expiredAcked).toBeGreaterThan(0);
    expect(metrics.lostAcked).toBe(0);
    for (const name of ["broker-1", "broker-2", "broker-3"]) {
      const m = outcome.world.machines.get(name)!;
      const bytes = m.filesOn(m.disk).filter((f) => f.name.startsWith("orders-0/") && f.name.endsWith(".log")).reduce((n, f) => n + f.size, 0);
      expect(bytes).toBeLessThan(60000 + 20000);
    }
  });

  it("a follower away longer than retention comes back below the leader's log start offset: OFFSET_OUT_OF_RANGE, truncateFullyAndStartAt", () => {
    const { outcome, metrics, marks } = run(retentionDoc({ faults: "  - { at: 20s, crash: broker-3, for: 5m }" }));
    expect(marks.count("fetcher: below the leader's log start offset, truncateFullyAndStartAt")).toBeGreaterThan(0);
    expect(metrics.lostAcked).toBe(0);
    expect(metrics.divergence).toBe(0);
    const v = views(outcome.world, "orders-0");
    // Back in sync: every replica at the same log end, broker-3 starting past where it stopped.
    expect(new Set(v.map((x) => x!.logEndOffset)).size).toBe(1);
    expect(v[2]!.logStartOffset).toBeGreaterThan(20 * 100);
  });

  it("an unclean leader whose log ends below the old leader's log start offset: the old leader truncates fully to it and follows", () => {
    // The follower is away from 20 s to 3m20s; the leader, alone, goes down at 3 m with its log
    // start ~1 minute of records back; the follower comes back, is elected uncleanly with ~20 s of
    // records, and the old leader, back at 4 m, must start again below its own first segment (the
    // run ends before the new leader's log reaches the old leader's first segment).
    const doc = `
name: unclean-below-start
duration: 270s
settle: 10s
kafka: { version: "3.6" }
cluster:
  brokers: 2
  racks: [a, b]
  config: { log.retention.ms: 60000, log.segment.bytes: 20000, log.retention.check.interval.ms: 10000, log.segment.delete.delay.ms: 5000, unclean.leader.election.enable: true }
topics:
  - { name: orders, partitions: 1, replication.factor: 2 }
producers:
  - { id: p1, topic: orders, rate: 100/s, messageBytes: 100, config: { acks: 1 } }
faults:
  - { at: 20s, crash: "followers:orders-0", for: 200s }
  - { at: 180s, crash: "leader:orders-0", for: 60s }
`;
    const { outcome, marks } = run(doc);
    expect(marks.count("replica: follower truncated its log (OffsetsForLeaderEpoch)")).toBeGreaterThan(0);
    const v = [1, 2].map((id) => (outcome.world.brokers.get(id)!.process as Broker).partitionView("orders-0")!);
    // Both replicas end at the same offset: the old leader follows again.
    expect(v[0].logEndOffset).toBe(v[1].logEndOffset);
    expect(v[0].logEndOffset).toBeGreaterThan(0);
    // The old leader's log end goes back to the new leader's end of its epoch (~1,900), below its
    // first segment; before, it stopped at its first batch and looped on OFFSET_OUT_OF_RANGE.
    const t = outcome.world.history.truncations.find((x) => x.reason === "OffsetsForLeaderEpoch")!;
    expect(t.records).toBeGreaterThan(10_000);
  });
});
