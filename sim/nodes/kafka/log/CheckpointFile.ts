/**
 * A checkpoint file as Kafka writes one (kafka.server.checkpoints.CheckpointFile.write, 0.11+;
 * OffsetCheckpoint in 0.10.2): the entries go to `<name>.tmp`, the tmp file is fsynced, then
 * renamed over `<name>` (Utils.atomicMoveWithFallback). So the file holds either the old
 * entries or the new ones, never a torn mix: a power loss before the fsync completes leaves the
 * old file (and a stale tmp file that the next write truncates).
 *
 * Kafka fsyncs the parent directory after the rename only from 3.0 (KAFKA-3968: Utils
 * .atomicMoveWithFallback(source, target, needFlushParentDir) calls flushDir). We assume, for
 * every version, that a rename issued after the data fsync is durable at once (the page cache
 * treats metadata as journaled at once, see File.ts); before 3.0 a power loss just after the
 * rename could in truth bring the old file back.
 *
 * Kafka writes synchronously under a lock; here the write is asynchronous, and a write asked
 * for while one is in flight waits for it, the newest entries replacing older waiting ones (the
 * end state is the same as writing each in turn). The entries are an opaque value (a snapshot
 * the caller must not mutate afterwards); the file's size is estimated from the text format
 * (a version line, a count line, one line per entry).
 */
import type { BlockDevice, IoError } from "../../../disk/BlockDevice.js";
import type { Machine } from "../../Machine.js";

type Done = (error: IoError | null) => void;

export class CheckpointFile<T> {
  private writing = false;
  private waiting: { value: T; done: Done[] } | null = null;
  private idle: Array<() => void> = [];

  constructor(
    private readonly machine: Machine,
    readonly device: BlockDevice,
    readonly path: string,
    private readonly bytesOf: (value: T) => number,
  ) {}

  /** What the file holds (CheckpointFile.read); undefined when it does not exist or is empty. */
  read(): T | undefined {
    const file = this.machine.findFile(this.path, this.device);
    if (file === undefined || file.size === 0) return undefined;
    const last = file.contents[file.contents.length - 1];
    return last !== undefined && last.end === file.size ? (last.payload as T) : undefined;
  }

  /** Writes the entries: tmp file, fsync, rename. done gets the first error of the sequence (or null). */
  write(value: T, done: Done = () => undefined): void {
    if (this.writing) {
      if (this.waiting === null) this.waiting = { value, done: [done] };
      else {
        this.waiting.value = value;
        this.waiting.done.push(done);
      }
      return;
    }
    this.writing = true;
    this.writeNow(value, (error) => {
      this.writing = false;
      const next = this.waiting;
      this.waiting = null;
      done(error);
      if (next !== null) return this.write(next.value, (e) => next.done.forEach((d) => d(e)));
      if (this.writing) return;
      const idle = this.idle;
      this.idle = [];
      for (const fn of idle) fn();
    });
  }

  /** Runs done once no write is in flight or waiting. */
  whenIdle(done: () => void): void {
    if (!this.writing) return done();
    this.idle.push(done);
  }

  private writeNow(value: T, done: Done): void {
    const m = this.machine;
    const tmp = m.createFile(`${this.path}.tmp`, this.device);
    if (typeof tmp === "string") return done(tmp);
    const written = m.write(tmp, this.bytesOf(value), value);
    if (written !== null) return done(written);
    m.fsync(tmp, (error) => {
      if (error !== null) return done(error);
      done(m.rename(tmp, this.path));
    });
  }
}

/** Bytes of an offset checkpoint (`topic partition offset` lines). */
export function offsetCheckpointBytes(entries: ReadonlyMap<string, number>): number {
  return 4 + 28 * entries.size;
}
