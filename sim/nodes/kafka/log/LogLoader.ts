/**
 * Loading a partition's log from its directory at startup (Log.loadSegments / Log.recoverLog in
 * 2.8, LogLoader from 3.0): the segment files in offset order, the contiguous valid prefix of
 * whole batches, a torn tail cut off. What recovery *rescans* after an unclean shutdown is whole
 * segments from the one holding the checkpointed recovery point to the end
 * (`logSegments(recoveryPoint, Long.MaxValue)`, each through LogSegment.recover); the loader
 * reports them so that LogManager can charge the time, and their batches' epochs are added to
 * the leader-epoch cache (LogSegment.recover assigns each batch's partitionLeaderEpoch).
 *
 * Segments below the recovery point were flushed, so they are whole on the device; the
 * simulator reads their batches without charging a rescan (Kafka only reads their indexes).
 */
import type { BlockDevice } from "../../../disk/BlockDevice.js";
import type { SimFile } from "../../../disk/File.js";
import type { Machine } from "../../Machine.js";
import type { RecordBatch } from "./Log.js";

export interface Segment {
  baseOffset: number;
  file: SimFile;
  /** LogSegment.maxTimestampSoFar: the largest record timestamp (µs), -1 while none. */
  maxTimestampUs: number;
  /** When the file was last written (File.lastModified), for a segment without timestamps. */
  lastModifiedUs: number;
}

/** A log's in-memory index of what its segments hold. */
export interface LogState {
  segments: Segment[];
  batches: RecordBatch[];
  /** Byte position of each batch within its segment, parallel to batches. */
  positions: number[];
  segmentOf: number[];
  logEndOffset: number;
  /** The first segment file's base offset (an empty one included), 0 with none. */
  firstBaseOffset: number;
}

export interface LoadedLog {
  state: LogState;
  /** The segment files recovery reads, with their size before any torn tail was cut. */
  scan: Array<{ file: SimFile; bytes: number }>;
  /** Index in state.batches of the first batch recovery rescanned (batches.length when none). */
  firstRescannedBatch: number;
}

const SEGMENT_NAME = /\/(\d{20})\.log$/;
/** Log.DeletedFileSuffix. */
export const DELETED_SUFFIX = ".deleted";

export function segmentFileName(key: string, baseOffset: number): string {
  return `${key}/${String(baseOffset).padStart(20, "0")}.log`;
}

export function emptyLogState(): LogState {
  return { segments: [], batches: [], positions: [], segmentOf: [], logEndOffset: 0, firstBaseOffset: 0 };
}

/** The partition directories (`<topic>-<partition>`) a device holds, in name order. */
export function partitionDirsOn(machine: Machine, device: BlockDevice): string[] {
  const keys = new Set<string>();
  for (const f of machine.filesOn(device)) {
    const slash = f.name.indexOf("/");
    if (slash > 0 && /-\d+$/.test(f.name.slice(0, slash))) keys.add(f.name.slice(0, slash));
  }
  return [...keys].sort();
}

/** Reads a partition's segments from the device; cuts what recovery would cut. */
export function loadLog(machine: Machine, device: BlockDevice, key: string, hadCleanShutdown: boolean, recoveryPoint: number): LoadedLog {
  // Log.loadSegmentFiles (removeTempFilesAndCollectSwapFiles): segments renamed `.deleted` whose
  // asynchronous delete had not run before the process went down are deleted now.
  for (const f of machine.filesOn(device)) if (f.name.startsWith(`${key}/`) && f.name.endsWith(DELETED_SUFFIX)) machine.unlink(f);
  const found = readSegments(machine.filesOn(device), key);
  const state = emptyLogState();
  // Log.recoverLog: rescan from the segment that holds the recovery point (unclean shutdown only).
  let firstScanned = found.length;
  if (!hadCleanShutdown) {
    firstScanned = 0;
    for (let i = 0; i < found.length; i++) if (baseOffsetOf(found[i].file) <= recoveryPoint) firstScanned = i;
  }
  const scan: LoadedLog["scan"] = [];
  let firstRescannedBatch = -1;
  found.forEach((seg, i) => {
    if (i >= firstScanned && seg.file.size > 0) scan.push({ file: seg.file, bytes: seg.file.size });
    if (seg.batches.length === 0) {
      if (seg.file.size > 0) machine.truncate(seg.file, 0);
      return;
    }
    if (i >= firstScanned && firstRescannedBatch < 0) firstRescannedBatch = state.batches.length;
    const segIndex = state.segments.length;
    // LogSegment.largestTimestamp as the rebuilt time index gives it; without timestamps, the
    // file's last modification, which we assume, unrealistically, to be the load.
    let maxTimestampUs = -1;
    for (const b of seg.batches) {
      const t = b.createTimesUs;
      maxTimestampUs = Math.max(maxTimestampUs, t !== undefined && t.length > 0 ? t[t.length - 1] : -1);
    }
    state.segments.push({ baseOffset: seg.batches[0].baseOffset, file: seg.file, maxTimestampUs, lastModifiedUs: machine.now });
    seg.batches.forEach((b, j) => {
      state.positions.push(seg.ends[j] - b.bytes);
      state.segmentOf.push(segIndex);
      state.batches.push(b);
    });
    const validEnd = seg.ends[seg.ends.length - 1];
    if (seg.file.size > validEnd) {
      machine.mark("log recovery: torn tail truncated");
      machine.trace("log-recovery-truncated", { partition: key, segment: seg.file.name, fromBytes: seg.file.size, toBytes: validEnd });
      machine.truncate(seg.file, validEnd);
    }
  });
  const last = state.batches[state.batches.length - 1];
  // A log whose every segment retention deleted holds one empty segment at its log end (the roll
  // before the deletion, or truncateFullyAndStartAt): its name is where the log starts and ends.
  // (Several segment files with no batch left, as a power loss can leave, keep the old reading: 0.)
  const emptyEnd = found.length === 1 ? baseOffsetOf(found[0].file) : 0;
  state.logEndOffset = last === undefined ? emptyEnd : last.baseOffset + last.count;
  state.firstBaseOffset = found.length === 0 ? 0 : Math.min(baseOffsetOf(found[0].file), state.logEndOffset);
  return { state, scan, firstRescannedBatch: firstRescannedBatch < 0 ? state.batches.length : firstRescannedBatch };
}

function baseOffsetOf(file: SimFile): number {
  const m = SEGMENT_NAME.exec(file.name);
  return m === null ? 0 : Number(m[1]);
}

/**
 * The batches a partition directory's segment files hold, in offset order, up to the first gap
 * or torn batch: what log recovery (and a checker reading the disk) would find.
 */
export function readSegments(files: readonly SimFile[], dir: string): Array<{ file: SimFile; batches: RecordBatch[]; ends: number[] }> {
  const prefix = `${dir}/`;
  const mine = files.filter((f) => f.name.startsWith(prefix) && SEGMENT_NAME.test(f.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
  const out: Array<{ file: SimFile; batches: RecordBatch[]; ends: number[] }> = [];
  let expected = -1;
  let broken = false;
  for (const file of mine) {
    const seg = { file, batches: [] as RecordBatch[], ends: [] as number[] };
    out.push(seg);
    if (broken) continue;
    for (const c of file.contents) {
      const b = c.payload as RecordBatch;
      if (c.end > file.size || (expected >= 0 && b.baseOffset !== expected)) {
        broken = true;
        break;
      }
      seg.batches.push(b);
      seg.ends.push(c.end);
      expected = b.baseOffset + b.count;
    }
  }
  return out;
}
