/**
 * Broker durability, rule by rule: checkpoint files (tmp, fsync, rename), the leader-epoch
 * checkpoint, the recovery point, recovery time, the clean-shutdown marker, log dir placement
 * and the flusher. Each test breaks if its rule is taken out of the model.
 */
import { describe, expect, it } from "vitest";
import { HDD_7200, NVME_SSD, SATA_SSD } from "../sim/disk/profiles.js";
import { CheckpointFile, offsetCheckpointBytes } from "../sim/nodes/kafka/log/CheckpointFile.js";
import { HighWatermarkCheckpoints, HW_CHECKPOINT } from "../sim/nodes/kafka/server/HighWatermarkCheckpoints.js";
import { Log } from "../sim/nodes/kafka/log/Log.js";
import { LogDir } from "../sim/nodes/kafka/log/LogDir.js";
import { loadLog } from "../sim/nodes/kafka/log/LogLoader.js";
import { CLEAN_SHUTDOWN_FILE, INITIAL_TASK_DELAY_US, RECOVERY_POINT_CHECKPOINT } from "../sim/nodes/kafka/log/LogManager.js";
import type { Partition } from "../sim/nodes/kafka/cluster/Partition.js";
import type { KafkaVersion } from "../sim/nodes/kafka/common/versions.js";
import { batch, defaultRetention, logManager, machineWith, MB, newLog, timeLoad } from "./helpers/storage.js";

const S = 1_000_000;

describe("checkpoint files: tmp, fsync, rename (CheckpointFile.write)", () => {
  function hwFile(device = HDD_7200) {
    const h = machineWith({ device });
    const file = new CheckpointFile<Map<string, number>>(h.machine, h.machine.disk, HW_CHECKPOINT, offsetCheckpointBytes);
    return { ...h, file };
  }

  it("a power loss between the tmp write and the rename keeps the old high-watermark checkpoint", () => {
    const { sim, host, file, machine } = hwFile();
    file.write(new Map([["t-0", 100]]));
    sim.run({ untilUs: 1 * S });
    file.write(new Map([["t-0", 200]]));
    sim.run({ untilUs: 1 * S + 1_000 }); // the HDD fsync of the tmp file takes ~12.7 ms
    expect(machine.findFile(`${HW_CHECKPOINT}.tmp`)?.size).toBeGreaterThan(0);
    host.powerOff();
    expect(file.read()).toEqual(new Map([["t-0", 100]]));
  });

  it("once the tmp file is fsynced and renamed, the new entries survive a power loss", () => {
    const { sim, host, file, machine } = hwFile();
    file.write(new Map([["t-0", 100]]));
    sim.run({ untilUs: 1 * S });
    file.write(new Map([["t-0", 200]]));
    sim.run({ untilUs: 2 * S });
    expect(machine.findFile(`${HW_CHECKPOINT}.tmp`)).toBeUndefined();
    host.powerOff();
    expect(file.read()).toEqual(new Map([["t-0", 200]]));
  });

  it("on a full disk the write fails with ENOSPC and the old file stays", () => {
    const { sim, file, disks } = hwFile(SATA_SSD);
    file.write(new Map([["t-0", 100]]));
    sim.run({ untilUs: 1 * S });
    disks[0].capacityBytes = disks[0].usedBytes;
    const errors: Array<string | null> = [];
    file.write(new Map([["t-0", 200]]), (e) => errors.push(e));
    sim.run({ untilUs: 2 * S });
    expect(errors).toEqual(["ENOSPC"]);
    expect(file.read()).toEqual(new Map([["t-0", 100]]));
  });

  it("a write asked for during one in flight waits, and the newest entries win", () => {
    const { sim, file } = hwFile(SATA_SSD);
    const done: number[] = [];
    file.write(new Map([["t-0", 1]]), () => done.push(1));
    file.write(new Map([["t-0", 2]]), () => done.push(2));
    file.write(new Map([["t-0", 3]]), () => done.push(3));
    sim.run({ untilUs: 1 * S });
    expect(done).toEqual([1, 2, 3]);
    expect(file.read()).toEqual(new Map([["t-0", 3]]));
  });
});

describe("high-watermark checkpoint task (ReplicaManager.checkpointHighWatermarks)", () => {
  it("starts with the first LeaderAndIsr, writes at once and then every interval, one file per live log dir", () => {
    const { sim, machine, disks } = machineWith({ disks: 2 });
    const dirs = disks.map((d, i) => new LogDir(i, `/kafka-logs-${i}`, d));
    const parts = [
      { key: "t-0", highWatermark: 5, log: { logDir: dirs[0] } },
      { key: "t-1", highWatermark: 7, log: { logDir: dirs[1] } },
    ] as unknown as Partition[];
    const hw = new HighWatermarkCheckpoints(machine, dirs, 5 * S, () => parts, () => undefined);
    const fileOf = (d: number) => new CheckpointFile<Map<string, number>>(machine, disks[d], HW_CHECKPOINT, offsetCheckpointBytes);
    sim.run({ untilUs: 10 * S });
    expect(fileOf(0).read()).toBeUndefined(); // no LeaderAndIsr yet: no task
    hw.start();
    sim.run({ untilUs: 10 * S + 100_000 });
    expect(fileOf(0).read()).toEqual(new Map([["t-0", 5]]));
    expect(fileOf(1).read()).toEqual(new Map([["t-1", 7]]));
    (parts[0] as { highWatermark: number }).highWatermark = 9;
    sim.run({ untilUs: 14 * S });
    expect(fileOf(0).read()?.get("t-0")).toBe(5);
    sim.run({ untilUs: 15 * S + 100_000 });
    expect(fileOf(0).read()?.get("t-0")).toBe(9);
    // A new incarnation reads what the files hold.
    const again = new HighWatermarkCheckpoints(machine, dirs, 5 * S, () => [], () => undefined);
    expect(again.read(dirs[0], "t-0")).toBe(9);
    expect(again.read(dirs[1], "t-0")).toBe(0);
  });
});

describe("leader-epoch checkpoint (LeaderEpochFileCache, KIP-101)", () => {
  const epochFile = (machine: ReturnType<typeof machineWith>["machine"]) => machine.findFile("t-0/leader-epoch-checkpoint");

  it.each([
    { version: "0.10.2", durable: false },
    { version: "0.11", durable: true },
    { version: "3.6", durable: true },
  ])("$version: the cache is durable in its own file: $durable", ({ durable }) => {
    const { sim, machine } = machineWith();
    const { log } = newLog(machine, { durableEpochs: durable });
    log.append(batch(0, 10, 1000, 0));
    log.append(batch(10, 10, 1000, 2));
    sim.run({ untilUs: 1 * S });
    expect(log.epochs).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 10 },
    ]);
    const f = epochFile(machine);
    if (durable) expect(f?.contents[f.contents.length - 1].payload).toEqual(log.epochs);
    else expect(f).toBeUndefined();
  });

  it("is written only when an entry is added or removed", () => {
    const { sim, machine } = machineWith();
    const { log } = newLog(machine);
    log.append(batch(0, 10, 1000, 0));
    sim.run({ untilUs: 1 * S });
    const first = epochFile(machine)!.id;
    for (let i = 1; i < 5; i++) log.append(batch(i * 10, 10, 1000, 0));
    sim.run({ untilUs: 2 * S });
    expect(epochFile(machine)!.id).toBe(first); // same epoch: no rewrite
    log.append(batch(50, 10, 1000, 1));
    sim.run({ untilUs: 3 * S });
    const second = epochFile(machine)!.id;
    expect(second).not.toBe(first);
    log.truncateTo(55); // removes the batch at 50 and so the entry (1, 50)
    sim.run({ untilUs: 4 * S });
    expect(epochFile(machine)!.id).not.toBe(second);
    expect(epochFile(machine)!.contents[0].payload).toEqual([{ epoch: 0, startOffset: 0 }]);
  });

  it("assignEpochStartOffset (KAFKA-7415): an epoch without a batch, in the file, answering OffsetsForLeaderEpoch", () => {
    const { sim, machine } = machineWith();
    const { log } = newLog(machine);
    log.append(batch(0, 10, 1000, 0));
    log.assignEpochStartOffset(3, log.logEndOffset);
    sim.run({ untilUs: 1 * S });
    expect(epochFile(machine)!.contents[0].payload).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
    ]);
    expect(log.endOffsetForEpoch(0, true)).toEqual({ epoch: 0, endOffset: 10 });
    expect(log.endOffsetForEpoch(3, true)).toEqual({ epoch: 3, endOffset: 10 });
  });

  function reload(machine: ReturnType<typeof machineWith>["machine"], dir: LogDir, clean: boolean, recoveryPoint = 0) {
    const loaded = loadLog(machine, dir.device, "t-0", clean, recoveryPoint);
    return new Log(
      { machine, dir, segmentBytes: 1 << 30, flushIntervalMessages: Number.MAX_SAFE_INTEGER, durableEpochs: true, onIoError: () => undefined, offlineOnIoError: true, recoveryPointAtLogEnd: false, retention: defaultRetention(), ownLogStartOffset: true },
      "t-0",
      { ...loaded, hadCleanShutdown: clean, recoveryPoint },
    );
  }

  it("at startup: the file's entries, cut to the recovered log end", () => {
    const { sim, machine, host } = machineWith({ device: HDD_7200 });
    const { log, dir } = newLog(machine);
    log.append(batch(0, 10, 1000, 0));
    log.flush(log.logEndOffset, "flush");
    sim.run({ untilUs: 1 * S });
    log.append(batch(10, 10, 1000, 4)); // its epoch entry is fsynced; the batch never is
    sim.run({ untilUs: 2 * S });
    expect(epochFile(machine)!.contents[0].payload).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 4, startOffset: 10 },
    ]);
    host.powerOff();
    host.powerOn();
    const after = reload(machine, dir, false);
    expect(after.logEndOffset).toBe(10);
    expect(after.epochs).toEqual([{ epoch: 0, startOffset: 0 }]);
  });

  it("after a clean shutdown the cache is the file alone; recovery adds the epochs of the batches it rescans", () => {
    const { sim, machine } = machineWith();
    // Batches written without a checkpoint file (as if the file had been lost).
    const { log, dir } = newLog(machine, { durableEpochs: false });
    log.append(batch(0, 10, 1000, 1));
    log.append(batch(10, 10, 1000, 2));
    sim.run({ untilUs: 1 * S });
    expect(reload(machine, dir, true).epochs).toEqual([]);
    expect(reload(machine, dir, false, 0).epochs).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 10 },
    ]);
  });
});

describe("recovery point (Log.flush)", () => {
  it("moves only when Kafka flushes, not when the kernel writes the data back; unflushedMessages = LEO - recoveryPoint", () => {
    const { sim, machine } = machineWith();
    const { log } = newLog(machine);
    for (let i = 0; i < 3; i++) log.append(batch(i * 10, 10, 1000, 0));
    expect(log.unflushedMessages).toBe(30);
    sim.run({ untilUs: 40 * S }); // past dirty_expire: the page cache wrote it all back
    expect(machine.findFile("t-0/00000000000000000000.log")!.durable).toBe(3000);
    expect(log.recoveryPoint).toBe(0);
    log.flush(log.logEndOffset, "flush");
    expect(log.recoveryPoint).toBe(0); // the fsync has not completed
    sim.run({ untilUs: 41 * S });
    expect(log.recoveryPoint).toBe(30);
    expect(log.unflushedMessages).toBe(0);
  });

  it("a roll schedules a flush up to the new segment's base offset", () => {
    const { sim, machine } = machineWith();
    const { log } = newLog(machine, { segmentBytes: 2500 });
    for (let i = 0; i < 3; i++) log.append(batch(i * 10, 10, 1000, 0)); // the third rolls at offset 20
    sim.run({ untilUs: 1 * S });
    expect(log.recoveryPoint).toBe(20);
    expect(log.unflushedMessages).toBe(10);
  });

  it("log.flush.interval.messages: the append that reaches it flushes", () => {
    const { sim, machine } = machineWith();
    const { log } = newLog(machine, { flushIntervalMessages: 25 });
    const flushed: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      log.append(batch(i * 10, 10, 1000, 0));
      log.maybeFlush("append", (ok) => flushed.push(ok));
    }
    expect(flushed).toEqual([true, true]); // the first two returned at once, without a flush
    sim.run({ untilUs: 1 * S });
    expect(flushed).toEqual([true, true, true]);
    expect(log.recoveryPoint).toBe(30);
  });

  it("a flush on a failed disk takes the log offline (KafkaStorageException)", () => {
    const { sim, machine, disks } = machineWith();
    const { log, errors } = newLog(machine);
    log.append(batch(0, 10, 1000, 0));
    sim.run({ untilUs: 1 * S }); // the epoch checkpoint of that append is written
    disks[0].failed = true;
    let ok: boolean | undefined;
    log.flush(10, "flush", (r) => (ok = r));
    sim.run({ untilUs: 2 * S });
    expect(ok).toBe(false);
    expect(errors).toEqual([["flush", "EIO"]]);
    expect(log.offline).toBe(true);
    expect(log.append(batch(10, 10, 1000, 0))).toBe(false);
    expect(log.recoveryPoint).toBe(0);
  });
});

describe("recovery after an unclean shutdown (Log.recoverLog, LogManager.loadLogs)", () => {
  /** Four partitions of `mb` MB each (1 MB batches), then the broker stops the given way; returns the load time of the next start. */
  function recoveryTime(opts: { mb: number; threads?: number; stop: "crash" | "power" | "clean"; device?: typeof SATA_SSD; segmentMb?: number; waitS?: number }) {
    const h = machineWith({ device: opts.device ?? SATA_SSD });
    const config = { "num.recovery.threads.per.data.dir": opts.threads ?? 1, "log.segment.bytes": (opts.segmentMb ?? 1024) * MB };
    const first = logManager(h.machine, "3.6", config);
    first.lm.loadLogs(() => first.lm.startup());
    for (let p = 0; p < 4; p++) {
      const log = first.lm.getOrCreateLog(`t-${p}`)!;
      for (let i = 0; i < opts.mb; i++) log.append(batch(i, 1, MB, 0));
    }
    h.sim.run({ untilUs: h.sim.now + (opts.waitS ?? 40) * S }); // the kernel writes it all back meanwhile
    if (opts.stop === "clean") {
      let stopped = false;
      first.lm.shutdown(() => (stopped = true));
      h.sim.run({ untilUs: h.sim.now + 10 * S });
      expect(stopped).toBe(true);
      h.host.crash();
      h.host.start();
    } else if (opts.stop === "power") {
      h.host.powerOff();
      h.host.powerOn();
    } else {
      h.host.crash();
      h.host.start();
    }
    const next = logManager(h.machine, "3.6", config);
    const us = timeLoad(h.sim, next.lm)!;
    for (let p = 0; p < 4; p++) expect(next.lm.logs.get(`t-${p}`)?.logEndOffset).toBe(opts.mb);
    return us;
  }

  it("costs nothing after a clean shutdown", () => {
    expect(recoveryTime({ mb: 10, stop: "clean" })).toBe(0);
  });

  it("validates cached bytes at VALIDATE_BYTES_PER_SECOND: time grows with the bytes to rescan", () => {
    const ten = recoveryTime({ mb: 10, stop: "crash" });
    expect(ten).toBe(4 * 10_000); // 4 × 10 MB at 1 GB/s, one thread
    expect(recoveryTime({ mb: 20, stop: "crash" })).toBe(2 * ten);
  });

  it("runs num.recovery.threads.per.data.dir logs at once: fewer threads, longer recovery", () => {
    const one = recoveryTime({ mb: 10, stop: "crash", threads: 1 });
    const two = recoveryTime({ mb: 10, stop: "crash", threads: 2 });
    const four = recoveryTime({ mb: 10, stop: "crash", threads: 4 });
    expect(two).toBe(one / 2);
    expect(four).toBe(one / 4);
  });

  it("reads uncached bytes from the device (after a power loss): slower than from the page cache, slowest on an HDD", () => {
    const cached = recoveryTime({ mb: 10, stop: "crash" });
    const nvme = recoveryTime({ mb: 10, stop: "power", device: NVME_SSD });
    const ssd = recoveryTime({ mb: 10, stop: "power", device: SATA_SSD });
    const hdd = recoveryTime({ mb: 10, stop: "power", device: HDD_7200 });
    expect(nvme).toBeGreaterThan(cached);
    expect(ssd).toBeGreaterThan(nvme);
    expect(hdd).toBeGreaterThan(ssd);
    // 40 MB at the HDD's 215 MB/s is ~186 ms, plus validation.
    expect(hdd).toBeGreaterThan(40 * MB / 215e6 * S);
  });

  it("rescans from the segment holding the checkpointed recovery point, not from the start", () => {
    // 4 MB segments: rolls flush the older ones; the recovery points are checkpointed at 30 s.
    const all = recoveryTime({ mb: 20, stop: "crash", segmentMb: 1024 });
    const fromCheckpoint = recoveryTime({ mb: 20, stop: "crash", segmentMb: 4 });
    expect(fromCheckpoint).toBeLessThan(all / 3);
  });
});

describe("clean-shutdown marker (one per log dir)", () => {
  /** Dir 0 shut down cleanly, dir 1 needs recovery: is dir 0's marker still there while dir 1 loads? */
  function markerDuringLoad(version: KafkaVersion): { during: boolean; after: boolean } {
    const h = machineWith({ disks: 2 });
    const first = logManager(h.machine, version);
    first.lm.loadLogs(() => undefined);
    for (let p = 0; p < 2; p++) {
      const log = first.lm.getOrCreateLog(`t-${p}`)!;
      for (let i = 0; i < 20; i++) log.append(batch(i, 1, MB, 0));
    }
    h.machine.createFile(CLEAN_SHUTDOWN_FILE, h.disks[0]);
    h.host.crash();
    h.host.start();
    const next = logManager(h.machine, version);
    let done = false;
    next.lm.loadLogs(() => (done = true));
    const during = h.machine.findFile(CLEAN_SHUTDOWN_FILE, h.disks[0]) !== undefined;
    expect(done).toBe(false);
    h.sim.run({ untilUs: h.sim.now + 1 * S });
    expect(done).toBe(true);
    return { during, after: h.machine.findFile(CLEAN_SHUTDOWN_FILE, h.disks[0]) !== undefined };
  }

  it.each([
    { version: "2.4", during: true },
    { version: "2.8", during: false },
    { version: "3.6", during: false },
  ] as const)("$version: the marker is still there while the logs load: $during (KAFKA-10471)", ({ version, during }) => {
    expect(markerDuringLoad(version)).toEqual({ during, after: false });
  });

  it("LogManager.shutdown flushes every log, checkpoints the recovery points and creates the marker", () => {
    const h = machineWith();
    const { lm } = logManager(h.machine, "3.6");
    lm.loadLogs(() => undefined);
    const log = lm.getOrCreateLog("t-0")!;
    log.append(batch(0, 10, 1000, 0));
    let done = false;
    lm.shutdown(() => (done = true));
    h.sim.run({ untilUs: 1 * S });
    expect(done).toBe(true);
    expect(log.recoveryPoint).toBe(10);
    expect(new CheckpointFile<Map<string, number>>(h.machine, h.machine.disk, RECOVERY_POINT_CHECKPOINT, offsetCheckpointBytes).read()).toEqual(new Map([["t-0", 10]]));
    expect(h.machine.findFile(CLEAN_SHUTDOWN_FILE)).toBeDefined();
  });
});

describe("log manager tasks and placement", () => {
  it("checkpoints the recovery points 30 s after startup, then every log.flush.offset.checkpoint.interval.ms", () => {
    const h = machineWith();
    const { lm } = logManager(h.machine, "3.6", { "log.flush.offset.checkpoint.interval.ms": 10_000 });
    lm.loadLogs(() => lm.startup());
    const log = lm.getOrCreateLog("t-0")!;
    log.append(batch(0, 10, 1000, 0));
    log.flush(10, "flush");
    const read = () => new CheckpointFile<Map<string, number>>(h.machine, h.machine.disk, RECOVERY_POINT_CHECKPOINT, offsetCheckpointBytes).read();
    h.sim.run({ untilUs: INITIAL_TASK_DELAY_US - 1 });
    expect(read()).toBeUndefined();
    h.sim.run({ untilUs: INITIAL_TASK_DELAY_US + 100_000 });
    expect(read()).toEqual(new Map([["t-0", 10]]));
    log.append(batch(10, 10, 1000, 0));
    log.flush(20, "flush");
    h.sim.run({ untilUs: INITIAL_TASK_DELAY_US + 9 * S });
    expect(read()?.get("t-0")).toBe(10);
    h.sim.run({ untilUs: INITIAL_TASK_DELAY_US + 10 * S + 100_000 });
    expect(read()?.get("t-0")).toBe(20);
  });

  it.each([
    { scheduler: 1000, flushMs: 5000, flushes: true },
    { scheduler: Number.MAX_SAFE_INTEGER, flushMs: Number.MAX_SAFE_INTEGER, flushes: false },
  ])("flushDirtyLogs (scheduler $scheduler ms, log.flush.interval.ms $flushMs) flushes by time: $flushes", ({ scheduler, flushMs, flushes }) => {
    const h = machineWith();
    const { lm } = logManager(h.machine, "3.6", { "log.flush.scheduler.interval.ms": scheduler, "log.flush.interval.ms": flushMs });
    lm.loadLogs(() => lm.startup());
    const log = lm.getOrCreateLog("t-0")!;
    log.append(batch(0, 10, 1000, 0));
    h.sim.run({ untilUs: 29 * S });
    expect(log.recoveryPoint).toBe(0);
    h.sim.run({ untilUs: 31 * S });
    expect(log.recoveryPoint).toBe(flushes ? 10 : 0);
    log.append(batch(10, 10, 1000, 0));
    h.sim.run({ untilUs: 38 * S });
    expect(log.recoveryPoint).toBe(flushes ? 20 : 0); // 5 s after the last flush, at a 1 s tick
  });

  it("nextLogDirs: the live dir with the fewest logs (the first on a tie); no new log while a dir is offline", () => {
    const h = machineWith({ disks: 3 });
    const { lm, channel } = logManager(h.machine, "3.6");
    lm.loadLogs(() => undefined);
    const dirOf = (k: string) => lm.getOrCreateLog(k)?.logDir.index;
    expect(["a-0", "a-1", "a-2", "a-3", "a-4"].map(dirOf)).toEqual([0, 1, 2, 0, 1]);
    channel.maybeAddOfflineLogDir(lm.dirs[2], "append", "EIO");
    expect(dirOf("b-0")).toBeUndefined();
    h.sim.run({ untilUs: 1_000_000 });
    expect(lm.dirs.map((d) => d.online)).toEqual([true, true, false]);
    expect(lm.logs.has("a-2")).toBe(false);
    expect(dirOf("a-0")).toBe(0); // existing logs stay where they are
  });

  it("halts when the last live dir fails (LogManager.handleLogDirFailure)", () => {
    const h = machineWith({ disks: 2 });
    const { lm, halts } = logManager(h.machine, "3.6");
    lm.loadLogs(() => undefined);
    expect(lm.handleLogDirFailure(lm.dirs[0])).toBe(true);
    expect(halts).toEqual([]);
    expect(lm.handleLogDirFailure(lm.dirs[1])).toBe(false);
    expect(halts[0]).toMatch(/all log dirs have failed/);
    expect(h.host.state).toBe("exited");
  });

  it("a dir on a failed disk is offline from the start; with none readable the broker halts", () => {
    const h = machineWith({ disks: 2 });
    h.disks[1].failed = true;
    const { lm, halts } = logManager(h.machine, "3.6");
    expect(timeLoad(h.sim, lm)).toBe(0);
    expect(lm.dirs.map((d) => d.online)).toEqual([true, false]);
    expect(halts).toEqual([]);
    const old = machineWith({ disks: 2 });
    old.disks[1].failed = true;
    const before = logManager(old.machine, "0.11");
    timeLoad(old.sim, before.lm);
    expect(before.halts.length).toBe(1); // before KIP-112 an unreadable dir fails the startup
  });
});

describe("a log written over vm.dirty_ratio (the writer is not blocked here)", () => {
  it("keeps its file positions and fsync true: a truncation removes what it should, a flush covers every batch", () => {
    const { sim, machine } = machineWith({ memoryBytes: 1_000_000, device: HDD_7200 }); // dirty limit 200 KB
    const { log } = newLog(machine);
    for (let i = 0; i < 6; i++) log.append(batch(i * 10, 10, 90_000, 0), "append"); // 540 KB, well over the limit
    const file = machine.pageCache.files.find((f) => f.name.endsWith(".log"))!;
    expect(file.size).toBe(540_000);
    expect(log.truncateTo(30)).toBe(30);
    expect(file.size).toBe(270_000);
    let flushed = false;
    log.flush(log.logEndOffset, "flush", () => (flushed = true));
    sim.run({ untilUs: 10_000_000 });
    expect(flushed).toBe(true);
    expect(file.durable).toBe(270_000);
  });
});
