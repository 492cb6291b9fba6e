/**
 * The high-watermark checkpoint (ReplicaManager.checkpointHighWatermarks): one
 * `replication-offset-checkpoint` file per live log dir, holding the high watermark of every
 * online partition whose log is in that dir, written as CheckpointFile writes (tmp, fsync,
 * rename). The task starts after the first LeaderAndIsr (startHighWatermarkCheckPointThread:
 * "we initialize highwatermark thread after the first leaderisrrequest"), runs at once and then
 * every replica.high.watermark.checkpoint.interval.ms (an interval <= 0: only that first run, from
 * 3.4 for 0; before 3.4, 0 makes that LeaderAndIsr fail and the task never runs: KafkaScheduler.ts);
 * a clean shutdown writes once more
 * (ReplicaManager.shutdown(checkpointHW = true)). At startup a partition's high watermark is
 * min(its checkpointed value or 0, its log end offset). A failed dir's file is dropped
 * (handleLogDirFailure filters highWatermarkCheckpoints).
 */
import type { IoError } from "../../../disk/BlockDevice.js";
import type { Machine } from "../../Machine.js";
import { CheckpointFile, offsetCheckpointBytes } from "../log/CheckpointFile.js";
import type { LogDir } from "../log/LogDir.js";
import type { Partition } from "../cluster/Partition.js";
import { schedule } from "./KafkaScheduler.js";
import type { Behaviour } from "../common/versions.js";

export const HW_CHECKPOINT = "replication-offset-checkpoint";

export class HighWatermarkCheckpoints {
  private readonly files = new Map<LogDir, CheckpointFile<Map<string, number>>>();
  private readonly checkpointed = new Map<LogDir, ReadonlyMap<string, number>>();
  private started = false;

  constructor(
    private readonly machine: Machine,
    dirs: readonly LogDir[],
    private readonly intervalUs: number,
    /** The online partitions, in a defined order. */
    private readonly partitions: () => Iterable<Partition>,
    private readonly onError: (dir: LogDir, error: IoError) => void,
    /** KafkaScheduler's period rule of the release (only an interval <= 0 needs it). */
    private readonly behaviour: Pick<Behaviour, "schedulerPeriodZeroRunsOnce"> = { schedulerPeriodZeroRunsOnce: true },
  ) {
    for (const d of dirs) {
      if (!d.online) continue;
      const f = new CheckpointFile<Map<string, number>>(machine, d.device, HW_CHECKPOINT, offsetCheckpointBytes);
      this.files.set(d, f);
      this.checkpointed.set(d, f.read() ?? new Map());
    }
  }

  /** The checkpointed high watermark of a partition whose log is in dir (0 when none). */
  read(dir: LogDir, key: string): number {
    return this.checkpointed.get(dir)?.get(key) ?? 0;
  }

  /**
   * startHighWatermarkCheckPointThread: once, after the first LeaderAndIsr (its flag is set before
   * KafkaScheduler.schedule is called). Returns the error schedule throws (period 0 before 3.4):
   * the task then never runs, and that LeaderAndIsr fails.
   */
  start(): string | null {
    if (this.started) return null;
    this.started = true;
    const r = schedule(this.machine, this.behaviour, "highwatermark-checkpoint", 0, this.intervalUs, () => this.checkpointHighWatermarks());
    return "error" in r ? r.error : null;
  }

  /** Writes each live dir's file with its partitions' high watermarks; done when all are written (or failed). */
  checkpointHighWatermarks(done: () => void = () => undefined): void {
    const byDir = new Map<LogDir, Map<string, number>>();
    for (const p of this.partitions()) {
      const dir = p.log.logDir;
      if (!this.files.has(dir)) continue;
      let hws = byDir.get(dir);
      if (hws === undefined) byDir.set(dir, (hws = new Map()));
      hws.set(p.key, p.highWatermark);
    }
    let left = byDir.size;
    if (left === 0) return done();
    for (const [dir, hws] of byDir) {
      this.files.get(dir)!.write(hws, (error) => {
        if (error !== null) this.onError(dir, error);
        if (--left === 0) done();
      });
    }
  }

  /** handleLogDirFailure: the dir's checkpoint is no longer written. */
  dropDir(dir: LogDir): void {
    this.files.delete(dir);
  }
}
