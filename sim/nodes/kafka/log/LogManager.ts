/**
 * The broker's log manager (kafka.log.LogManager): one log dir per disk (`log.dirs`, JBOD),
 * the logs in them, and their durability bookkeeping.
 *
 * - Startup (loadLogs): per live dir, a pool of num.recovery.threads.per.data.dir threads, one job
 *   per partition directory. Without the dir's `.kafka_cleanshutdown` marker, each log rescans
 *   its segments from the checkpointed recovery point (`recovery-point-offset-checkpoint`) to the
 *   end. From 2.8 (KAFKA-10471) the marker is deleted before loading; before, after it.
 * - log.flush.scheduler.interval.ms: flushDirtyLogs flushes each log whose time since its last
 *   flush is at least log.flush.interval.ms (which defaults to the scheduler interval); the
 *   recovery points are checkpointed every log.flush.offset.checkpoint.interval.ms. Both first
 *   run InitialTaskDelayMs (30 s) after startup; an interval that is "never" (Long.MaxValue)
 *   means that first run is the only one, as KafkaScheduler does with such a period, and so
 *   does one <= 0 from 3.4 (before, 0 fails the start-up: KafkaScheduler.ts).
 * - Placement (nextLogDirs): a new log goes to the live dir holding the fewest logs (ties: the
 *   earlier dir in log.dirs).
 * - kafka-log-retention (cleanupLogs), InitialTaskDelayMs then every log.retention.check.interval.ms:
 *   each log that is not compacted deletes its old segments (LogRetention.ts). From 0.11 (KIP-107)
 *   kafka-log-start-offset-checkpoint writes each dir's `log-start-offset-checkpoint` every
 *   log.flush.start.offset.checkpoint.interval.ms: the logs whose start offset is past their first
 *   segment's base offset (a follower that took its leader's), read back at load.
 * - Shutdown: flush every log, checkpoint the recovery points (and log start offsets), create the marker, per dir.
 * - handleLogDirFailure: the dir leaves the live dirs with its logs; with none left the broker
 *   halts ("Shutdown broker because all log dirs ... have failed").
 *
 * Recovery time: LogSegment.recover reads every batch of a rescanned segment, checks its CRC32C
 * and rebuilds the offset and time indexes and the producer state. Bytes not in the page cache
 * are read from the device (sequential 1 MiB reads through the device model, so an HDD costs its
 * seek and transfer rate, and recovery competes with other I/O); every rescanned byte then costs
 * validation time at VALIDATE_BYTES_PER_SECOND, an assumption: Kafka's Crc32C is the SSE4.2
 * java.util.zip.CRC32C on Java 9+ (several GB/s) or PureJavaCrc32C, plus a copy out of the page
 * cache into a heap buffer and an index entry every 4 KiB; we take 1 GB/s per recovery thread.
 * A segment's read and its validation do not overlap. Index files, producer snapshots and the
 * pages that recovery reads are not modelled (the pages are not kept in the cache).
 *
 * We assume, unrealistically, that a log-start-offset checkpoint whose entries are the ones the
 * dir's file already holds (none, for a file never written) is not rewritten: Kafka rewrites it
 * every interval, but the file's content is the same, and so runs without retention do the I/O
 * they did before retention was modelled.
 */
import type { IoError } from "../../../disk/BlockDevice.js";
import type { SimFile } from "../../../disk/File.js";
import type { Machine } from "../../Machine.js";
import { CheckpointFile, offsetCheckpointBytes } from "./CheckpointFile.js";
import { Log } from "./Log.js";
import { LogDir, type LogDirFailureChannel } from "./LogDir.js";
import { schedule } from "../server/KafkaScheduler.js";
import { loadLog, partitionDirsOn, type LoadedLog } from "./LogLoader.js";
import { deleteOldSegments, retentionSettings } from "./LogRetention.js";
import { CONSUMER_OFFSETS } from "../common/protocol.js";
import type { Behaviour, KafkaConfig } from "../common/versions.js";

/** LogManager.InitialTaskDelayMs. */
export const INITIAL_TASK_DELAY_US = 30_000_000;
/** Validation of rescanned bytes (CRC32C, index and producer-state rebuild): an assumption, see above. */
export const VALIDATE_BYTES_PER_SECOND = 1e9;
/** Recovery reads a segment's uncached bytes in sequential reads of this size. */
export const RECOVERY_READ_BYTES = 1 << 20;
/** Log.CleanShutdownFile. */
export const CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown";
export const RECOVERY_POINT_CHECKPOINT = "recovery-point-offset-checkpoint";
/** LogManager.LogStartOffsetCheckpointFile (KIP-107, 0.11). */
export const LOG_START_OFFSET_CHECKPOINT = "log-start-offset-checkpoint";

export interface LogManagerContext {
  machine: Machine;
  config: KafkaConfig;
  behaviour: Behaviour;
  topicConfig(topic: string): KafkaConfig;
  channel: LogDirFailureChannel;
  halt(reason: string): void;
  /** The high watermark of the partition a log belongs to (Log.highWatermark), null when unknown. */
  highWatermarkOf(key: string): number | null;
}

/** A config interval in ms as µs, or null when it is "never" (does not fit the clock). */
export function intervalUs(ms: number): number | null {
  const us = ms * 1000;
  return us > Number.MAX_SAFE_INTEGER / 2 ? null : us;
}

/** Runs jobs on `threads` workers, first free first; done when all finished. */
export function runPool(jobs: ReadonlyArray<(done: () => void) => void>, threads: number, done: () => void): void {
  let next = 0;
  let running = 0;
  let finished = false;
  const pump = (): void => {
    while (running < Math.max(1, threads) && next < jobs.length) {
      running++;
      jobs[next++](() => {
        running--;
        pump();
      });
    }
    if (running === 0 && next >= jobs.length && !finished) {
      finished = true;
      done();
    }
  };
  pump();
}

export class LogManager {
  readonly dirs: readonly LogDir[];
  /** Logs by partition (`topic-p`), in load/creation order. */
  readonly logs = new Map<string, Log>();
  private readonly recoveryCheckpoints: ReadonlyMap<LogDir, CheckpointFile<Map<string, number>>>;
  private readonly startOffsetCheckpoints: ReadonlyMap<LogDir, CheckpointFile<Map<string, number>>>;
  /** What each dir's log-start-offset checkpoint holds, as text ("" for none: see above). */
  private readonly startOffsetsWritten = new Map<LogDir, string>();
  private readonly threads: number;

  constructor(private readonly ctx: LogManagerContext) {
    const m = ctx.machine;
    this.dirs = m.disks.map((d, i) => new LogDir(i, `/kafka-logs-${i}`, d));
    this.recoveryCheckpoints = new Map(this.dirs.map((d) => [d, new CheckpointFile<Map<string, number>>(m, d.device, RECOVERY_POINT_CHECKPOINT, offsetCheckpointBytes)]));
    this.startOffsetCheckpoints = new Map(this.dirs.map((d) => [d, new CheckpointFile<Map<string, number>>(m, d.device, LOG_START_OFFSET_CHECKPOINT, offsetCheckpointBytes)]));
    this.threads = ctx.config.num("num.recovery.threads.per.data.dir");
    for (const dir of this.dirs) {
      if (!dir.device.failed) continue;
      // createAndValidateLogDirs: an unreadable dir is offline from the start.
      dir.online = false;
      m.trace("log-dir-offline", { dir: dir.path, op: "startup", error: "EIO" });
      m.mark("storage: a log dir is offline at startup");
    }
  }

  get liveDirs(): LogDir[] {
    return this.dirs.filter((d) => d.online);
  }

  /**
   * LogManager.loadLogs: loads every log of every readable dir; done when all are loaded
   * (unless the broker halted: no readable dir, or before 1.0 any unreadable one).
   */
  loadLogs(done: () => void): void {
    const m = this.ctx.machine;
    const b = this.ctx.behaviour;
    // Unreadable dirs: none left halts the broker; before 1.0 any one fails the startup.
    if (this.liveDirs.length === 0) return this.ctx.halt("none of the log dirs is readable");
    if (!b.logDirFailureHandling && this.liveDirs.length < this.dirs.length) return this.ctx.halt("a log dir is not readable (before KIP-112)");
    const failed = new Map<LogDir, IoError>();
    const markers: SimFile[] = [];
    const perDir = this.liveDirs.map((dir) => (dirDone: () => void) => {
      const marker = m.findFile(CLEAN_SHUTDOWN_FILE, dir.device);
      const clean = marker !== undefined;
      if (marker === undefined) m.mark("broker: unclean shutdown, log recovery");
      else if (b.cleanShutdownMarkerDeletedFirst) m.unlink(marker);
      else markers.push(marker);
      const recoveryPoints = this.recoveryCheckpoints.get(dir)!.read() ?? new Map<string, number>();
      const startOffsets = b.logStartOffset ? (this.startOffsetCheckpoints.get(dir)!.read() ?? new Map<string, number>()) : new Map<string, number>();
      this.startOffsetsWritten.set(dir, checkpointText(startOffsets));
      const jobs = partitionDirsOn(m, dir.device).map((key) => (jobDone: () => void) => {
        const recoveryPoint = recoveryPoints.get(key) ?? 0;
        const loaded = loadLog(m, dir.device, key, clean, recoveryPoint);
        this.addLog(dir, key, { ...loaded, hadCleanShutdown: clean, recoveryPoint, logStartOffset: startOffsets.get(key) });
        this.rescan(loaded.scan, (error) => {
          if (error !== null && !failed.has(dir)) failed.set(dir, error);
          jobDone();
        });
      });
      runPool(jobs, this.threads, dirDone);
    });
    // The dirs load in parallel (a pool each); the broker goes on when all are done.
    let left = perDir.length;
    const allDone = (): void => {
      if (--left > 0) return;
      // Before 2.8 the markers go once every log has loaded: a crash while loading skips recovery next time.
      for (const marker of markers) m.unlink(marker);
      if (!b.logDirFailureHandling && failed.size > 0) return this.ctx.halt("an I/O error while loading the logs (before KIP-112)");
      for (const [dir, error] of failed) this.ctx.channel.maybeAddOfflineLogDir(dir, "log load", error);
      if (m.host.alive) done();
    };
    for (const job of perDir) job(allDone);
  }

  /**
   * LogManager.startup: schedules kafka-log-flusher and kafka-recovery-point-checkpoint (KafkaScheduler's
   * period rule: a period <= 0 runs once from 3.4, a period of 0 throws before). Returns the error
   * that fails the broker's start-up, or null.
   */
  startup(): string | null {
    const m = this.ctx.machine;
    const b = this.ctx.behaviour;
    const flushCheckUs = intervalUs(this.ctx.config.num("log.flush.scheduler.interval.ms"));
    const checkpointUs = intervalUs(this.ctx.config.num("log.flush.offset.checkpoint.interval.ms"));
    // log.retention.check.interval.ms is at least 1 in every release (ConfigDef atLeast(1)).
    const retention = schedule(m, b, "kafka-log-retention", INITIAL_TASK_DELAY_US, intervalUs(this.ctx.config.num("log.retention.check.interval.ms")), () => this.cleanupLogs());
    if ("error" in retention) return retention.error;
    const flusher = schedule(m, b, "kafka-log-flusher", INITIAL_TASK_DELAY_US, flushCheckUs, () => this.flushDirtyLogs());
    if ("error" in flusher) return flusher.error;
    const checkpoint = schedule(m, b, "kafka-recovery-point-checkpoint", INITIAL_TASK_DELAY_US, checkpointUs, () => this.checkpointLogRecoveryOffsets());
    if ("error" in checkpoint) return checkpoint.error;
    if (b.logStartOffset) {
      const startUs = intervalUs(this.ctx.config.num("log.flush.start.offset.checkpoint.interval.ms"));
      const start = schedule(m, b, "kafka-log-start-offset-checkpoint", INITIAL_TASK_DELAY_US, startUs, () => this.checkpointLogStartOffsets());
      if ("error" in start) return start.error;
    }
    return null;
  }

  /** LogManager.getOrCreateLog; null when it cannot be created (KafkaStorageException). */
  getOrCreateLog(key: string): Log | null {
    const existing = this.logs.get(key);
    if (existing !== undefined) return existing;
    // Kafka refuses to create a log that is not new (isNew=false, which we assume) while a log
    // dir is offline: it may be in that dir.
    if (this.dirs.some((d) => this.ctx.channel.isOffline(d))) {
      this.ctx.machine.mark("storage: log not created while a log dir is offline");
      return null;
    }
    const dir = this.nextLogDir();
    if (dir === null) return null;
    if (dir.device.failed) {
      // createLogDirectory failed.
      this.ctx.channel.maybeAddOfflineLogDir(dir, "create log", "EIO");
      return null;
    }
    return this.addLog(dir, key);
  }

  /** LogManager.nextLogDirs' choice: the live dir with the fewest logs, the earlier one on a tie. */
  nextLogDir(): LogDir | null {
    let best: LogDir | null = null;
    for (const d of this.dirs) if (!this.ctx.channel.isOffline(d) && (best === null || d.logCount < best.logCount)) best = d;
    return best;
  }

  /**
   * LogManager.handleLogDirFailure: the dir is no longer live and its logs are gone from the
   * broker. Returns false when that was the last live dir: the broker has halted.
   */
  handleLogDirFailure(dir: LogDir): boolean {
    dir.online = false;
    if (this.liveDirs.length === 0) {
      this.ctx.machine.mark("storage: all log dirs have failed, the broker halts");
      this.ctx.halt(`all log dirs have failed (${this.dirs.map((d) => d.path).join(", ")})`);
      return false;
    }
    for (const [key, log] of [...this.logs]) {
      if (log.logDir !== dir) continue;
      log.offline = true;
      this.logs.delete(key);
    }
    return true;
  }

  /** LogManager.shutdown: per live dir, flush every log, then checkpoint the recovery points and create the marker. */
  shutdown(done: () => void): void {
    const m = this.ctx.machine;
    const dirs = this.liveDirs;
    let left = dirs.length;
    if (left === 0) return done();
    for (const dir of dirs) {
      let ok = true;
      const jobs = [...this.logs.values()]
        .filter((l) => l.logDir === dir)
        .map((log) => (jobDone: () => void) =>
          log.flush(log.logEndOffset, "flush", (flushed) => {
            ok &&= flushed;
            log.epochCache.whenWritten(jobDone);
          }),
        );
      runPool(jobs, this.threads, () => {
        const finish = (): void => {
          if (--left === 0) done();
        };
        // waitForAllToComplete: a failed flush leaves the dir without checkpoint and marker.
        if (!ok || !dir.online) return finish();
        this.checkpointRecoveryOffsetsInDir(dir, () =>
          this.checkpointLogStartOffsetsInDir(dir, () => {
            // Files.createFile (errors swallowed): the next start skips recovery.
            m.createFile(CLEAN_SHUTDOWN_FILE, dir.device);
            finish();
          }),
        );
      });
    }
  }

  /** LogManager.flushDirtyLogs. */
  private flushDirtyLogs(): void {
    const now = this.ctx.machine.now;
    const schedulerMs = this.ctx.config.num("log.flush.scheduler.interval.ms");
    for (const [key, log] of this.logs) {
      const ms = this.ctx.topicConfig(topicOf(key)).num("log.flush.interval.ms");
      // log.flush.interval.ms falls back to log.flush.scheduler.interval.ms.
      const flushUs = intervalUs(intervalUs(ms) === null ? schedulerMs : ms);
      if (flushUs !== null && now - log.lastFlushTimeUs >= flushUs) {
        this.ctx.machine.mark("log: flushed by log.flush.interval.ms");
        log.flush(log.logEndOffset, "flush");
      }
    }
  }

  /** LogManager.cleanupLogs: every log that is not compacted deletes its old segments (LogRetention.ts). */
  private cleanupLogs(): void {
    const now = this.ctx.machine.now;
    for (const [key, log] of this.logs) if (log.ctx.retention.delete) deleteOldSegments(log, this.ctx.highWatermarkOf(key), now);
  }

  /** LogManager.checkpointLogStartOffsets: every live dir's log start offsets. */
  private checkpointLogStartOffsets(): void {
    for (const dir of this.dirs) if (!this.ctx.channel.isOffline(dir)) this.checkpointLogStartOffsetsInDir(dir, () => undefined);
  }

  /** LogManager.checkpointLogStartOffsetsInDir: the logs whose start offset is past their first segment's base offset. */
  private checkpointLogStartOffsetsInDir(dir: LogDir, done: () => void): void {
    if (!this.ctx.behaviour.logStartOffset) return done();
    const offsets = new Map<string, number>();
    for (const [key, log] of this.logs) if (log.logDir === dir && log.logStartOffset > (log.segments[0]?.baseOffset ?? log.logStartOffset)) offsets.set(key, log.logStartOffset);
    const text = checkpointText(offsets);
    if (text === (this.startOffsetsWritten.get(dir) ?? "")) return done();
    this.startOffsetsWritten.set(dir, text);
    this.startOffsetCheckpoints.get(dir)!.write(offsets, (error) => {
      if (error !== null) this.ctx.channel.maybeAddOfflineLogDir(dir, "log-start-offset checkpoint", error);
      done();
    });
  }

  /** LogManager.checkpointLogRecoveryOffsets: every live dir's recovery points. */
  private checkpointLogRecoveryOffsets(): void {
    for (const dir of this.dirs) if (!this.ctx.channel.isOffline(dir)) this.checkpointRecoveryOffsetsInDir(dir, () => undefined);
  }

  private checkpointRecoveryOffsetsInDir(dir: LogDir, done: () => void): void {
    const points = new Map<string, number>();
    for (const [key, log] of this.logs) if (log.logDir === dir) points.set(key, log.recoveryPoint);
    this.recoveryCheckpoints.get(dir)!.write(points, (error) => {
      if (error !== null) this.ctx.channel.maybeAddOfflineLogDir(dir, "recovery-point checkpoint", error);
      done();
    });
  }

  private addLog(dir: LogDir, key: string, loaded?: LoadedLog & { hadCleanShutdown: boolean; recoveryPoint: number; logStartOffset?: number }): Log {
    const tc = this.ctx.topicConfig(topicOf(key));
    const log = new Log(
      {
        machine: this.ctx.machine,
        dir,
        segmentBytes: tc.num("log.segment.bytes"),
        // __consumer_offsets is compacted (cleanup.policy=compact): retention leaves it alone.
        retention: retentionSettings(tc, this.ctx.behaviour, topicOf(key) === CONSUMER_OFFSETS),
        ownLogStartOffset: this.ctx.behaviour.logStartOffset,
        flushIntervalMessages: tc.num("log.flush.interval.messages"),
        durableEpochs: this.ctx.behaviour.leaderEpochTruncation,
        onIoError: (op, error) => this.ctx.channel.maybeAddOfflineLogDir(dir, op, error),
        offlineOnIoError: this.ctx.behaviour.logDirFailureHandling,
        recoveryPointAtLogEnd: this.ctx.behaviour.recoveryPointAtLogEndAfterRecovery,
      },
      key,
      loaded,
    );
    this.logs.set(key, log);
    dir.logCount++;
    return log;
  }

  /** LogSegment.recover's cost: the uncached head of each segment read from the device, then every byte validated. */
  private rescan(scan: LoadedLog["scan"], done: (error: IoError | null) => void): void {
    const m = this.ctx.machine;
    let i = 0;
    const next = (): void => {
      if (i >= scan.length) return done(null);
      const { file, bytes } = scan[i++];
      const uncached = Math.min(file.residentFrom, bytes);
      let offset = 0;
      const read = (): void => {
        if (offset >= uncached) {
          m.setTimer(Math.ceil((bytes * 1e6) / VALIDATE_BYTES_PER_SECOND), next);
          return;
        }
        const n = Math.min(RECOVERY_READ_BYTES, uncached - offset);
        m.read(file, offset, n, (error) => {
          if (error !== null) return done(error);
          offset += n;
          read();
        });
      };
      read();
    };
    next();
  }
}

/** An offset checkpoint's entries as text, to tell whether a write would change the file. */
function checkpointText(entries: ReadonlyMap<string, number>): string {
  let text = "";
  for (const [k, v] of entries) text += `${k} ${v}\n`;
  return text;
}

/** The topic of a partition directory name (Log.parseTopicPartitionName). */
export function topicOf(key: string): string {
  return key.slice(0, key.lastIndexOf("-"));
}
