/**
 * A log directory (one entry of `log.dirs`, one per disk: JBOD) and the way an IOException in it
 * reaches the broker (kafka.server.LogDirFailureChannel, KIP-112 in 1.0).
 *
 * From 1.0, an IOException anywhere in a log dir (append, roll, flush, truncate, a checkpoint)
 * makes Kafka call LogDirFailureChannel.maybeAddOfflineLogDir: the dir is queued once, and the
 * LogDirFailureHandler thread calls ReplicaManager.handleLogDirFailure, which takes the dir's
 * partitions offline, and LogManager.handleLogDirFailure, which halts the broker when no log dir
 * is left. Before 1.0 there is no offline dir: an IOException in a produce append
 * (ReplicaManager.appendToLocalLog), a follower append (ReplicaFetcherThread.processPartitionData)
 * or the high-watermark checkpoint (ReplicaManager.checkpointHighWatermarks) calls Exit.halt(1)
 * (0.10.2, 0.11); elsewhere (the flusher, the recovery-point checkpoint) it is logged.
 *
 * We assume the handler thread gets to the dir LOG_DIR_FAILURE_HANDLING_US after the
 * IOException (it is woken through a blocking queue, then ReplicaFetcherManager
 * .removeFetcherForPartitions waits for each fetcher thread's partition-map lock; a rough
 * figure), so the request that hit the error is answered (KAFKA_STORAGE_ERROR) before a halt.
 * Meanwhile the log that failed refuses every operation (Log.checkForLogDirFailure). We also
 * assume that before 1.0 a leader-epoch checkpoint failure halts (in 0.11 it is written from
 * within Log.append, whose IOException halts).
 */
import type { BlockDevice, IoError } from "../../../disk/BlockDevice.js";
import type { Machine } from "../../Machine.js";

export class LogDir {
  /** False once LogManager.handleLogDirFailure took it out of the live dirs. */
  online = true;
  /** Logs placed here, for LogManager.nextLogDirs. */
  logCount = 0;

  constructor(
    readonly index: number,
    /** Its entry in log.dirs (a label for traces; files are named relative to the device). */
    readonly path: string,
    readonly device: BlockDevice,
  ) {}
}

/** Where an IOException happened, in Kafka's words (the message of its KafkaStorageException). */
export type StorageOp =
  | "append"
  | "follower append"
  | "flush"
  | "truncate"
  | "create log"
  | "log load"
  | "high-watermark checkpoint"
  | "leader-epoch checkpoint"
  | "recovery-point checkpoint"
  | "log-start-offset checkpoint"
  | "delete segments"
  | "log start offset"
  | "clean-shutdown marker";

/** From the IOException to ReplicaManager.handleLogDirFailure: an assumption, see above. */
export const LOG_DIR_FAILURE_HANDLING_US = 1_000;

/** Before KIP-112, these halt the broker (Exit.halt in 0.10.2 / 0.11); other IOExceptions are logged. */
const HALTS_BEFORE_KIP_112: ReadonlySet<StorageOp> = new Set<StorageOp>(["append", "follower append", "high-watermark checkpoint", "leader-epoch checkpoint"]);

export interface FailureChannelContext {
  machine: Machine;
  /** KIP-112 (1.0): log dirs go offline instead of the broker halting. */
  logDirFailureHandling: boolean;
  /** ReplicaManager.handleLogDirFailure, run by the LogDirFailureHandler thread. */
  handleLogDirFailure(dir: LogDir): void;
  /** Exit.halt(1). */
  halt(reason: string): void;
}

export class LogDirFailureChannel {
  /** Dirs already queued (LogDirFailureChannel.offlineLogDirs). */
  private readonly offline = new Set<LogDir>();

  constructor(private readonly ctx: FailureChannelContext) {}

  isOffline(dir: LogDir): boolean {
    return this.offline.has(dir) || !dir.online;
  }

  /** LogDirFailureChannel.maybeAddOfflineLogDir: an IOException in `op` on this dir. */
  maybeAddOfflineLogDir(dir: LogDir, op: StorageOp, error: IoError): void {
    const m = this.ctx.machine;
    if (!this.ctx.logDirFailureHandling) {
      m.trace("storage-error", { dir: dir.path, op, error });
      if (HALTS_BEFORE_KIP_112.has(op)) {
        m.mark(`storage: ${op} IOException halts the broker (before KIP-112)`);
        this.ctx.halt(`${error} in ${op} on ${dir.path}`);
      } else {
        m.mark("storage: IOException logged, the broker carries on (before KIP-112)");
      }
      return;
    }
    if (this.offline.has(dir)) return;
    this.offline.add(dir);
    m.trace("log-dir-offline", { dir: dir.path, op, error });
    m.mark(`storage: ${op} ${error} takes a log dir offline`);
    m.setTimer(LOG_DIR_FAILURE_HANDLING_US, () => this.ctx.handleLogDirFailure(dir));
  }
}
