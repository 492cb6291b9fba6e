/**
 * Log retention: which old segments a log deletes, and how (Log.deleteOldSegments in 0.10.2 -
 * 2.8, UnifiedLog from 3.0, run by LogManager.cleanupLogs every log.retention.check.interval.ms),
 * the log start offset it advances (KIP-107, 0.11), and a follower's truncateFullyAndStartAt.
 *
 * - Which segments (deletableSegments): from the oldest, while the rule holds; never a last
 *   segment that is empty. From 1.0 only segments wholly below the high watermark (the next
 *   segment's base offset, or the log end for the last one, at most the high watermark), so the
 *   log start offset never passes it; 0.10.2 and 0.11 have no such bound.
 * - The rules (deleteOldSegments), only for a topic whose cleanup.policy has delete:
 *   time, `now - segment.largestTimestamp > retention.ms` (whole ms); size, while the log less
 *   the segment is still at least retention.bytes; and from 0.11, below the log start offset (a
 *   segment whose next segment starts at or below it; this one for compacted topics too).
 *   Up to 2.8 in that order; from 3.0 log start offset, size, time.
 * - How (deleteSegments): if every segment goes, the log first rolls a new empty one at its log
 *   end (every release); each segment is taken out of the log at once and its file renamed
 *   `<base>.log.deleted`, then unlinked log.segment.delete.delay.ms later (asyncDeleteSegment, the
 *   scheduler's "delete-file"); the log start offset becomes the first remaining segment's base
 *   offset (maybeIncrementLogStartOffset), which cuts the leader-epoch cache from the start.
 *
 * We assume, unrealistically, that a log without a partition (no high watermark yet) deletes
 * nothing from 1.0, as 1.0 - 2.x do (replicaHighWatermark empty). Index files, producer-state
 * snapshots and the time index are not modelled: a segment's largest timestamp is kept beside it
 * (the largest record CreateTime; a batch without create times counts its append time). We also
 * leave out log.roll.ms / log.roll.hours (segments roll only by size). A producer whose last
 * batch is below a new log start offset is dropped in 0.11 - 2.3 (ProducerStateManager.truncateHead
 * via maybeIncrementLogStartOffset), its next batch then UNKNOWN_PRODUCER_ID; from 2.4 (KAFKA-7190)
 * it stays in memory until transactional.id.expiration.ms, which we do not model (it stays). A
 * truncation or reload rebuilds producer state from the batches left, in every release: Kafka
 * from 2.4 would keep such a producer from its snapshot (not modelled).
 */
import type { Behaviour, KafkaConfig } from "../common/versions.js";
import type { Log } from "./Log.js";
import type { Segment } from "./LogLoader.js";
import { DELETED_SUFFIX } from "./LogLoader.js";

export interface RetentionSettings {
  /** LogConfig.retentionMs: -1 unlimited. */
  retentionMs: number;
  /** LogConfig.retentionSize (retention.bytes): -1 unlimited. */
  retentionBytes: number;
  /** LogConfig.fileDeleteDelayMs (log.segment.delete.delay.ms), in µs. */
  fileDeleteDelayUs: number;
  /** cleanup.policy includes delete (LogConfig.delete); false for a compacted topic. */
  delete: boolean;
  behaviour: Pick<Behaviour, "logStartOffset" | "retentionBoundedByHighWatermark" | "retentionStartOffsetFirst" | "producersEvictedAtLogStart" | "logStartOffsetRaisesRecoveryPoint">;
}

/** The broker keys that set the retention time; a topic that sets one overrides all three. */
export const RETENTION_TIME_KEYS = ["log.retention.ms", "log.retention.minutes", "log.retention.hours"] as const;

/**
 * KafkaConfig.logRetentionTimeMillis: log.retention.ms, else log.retention.minutes, else
 * log.retention.hours; any negative value is -1, unlimited. ("" is Kafka's null: unset.)
 */
export function retentionMsOf(c: KafkaConfig): number {
  const set = (key: string): boolean => c.has(key) && c.str(key) !== "";
  const ms = set("log.retention.ms") ? c.num("log.retention.ms") : set("log.retention.minutes") ? c.num("log.retention.minutes") * 60_000 : c.num("log.retention.hours") * 3_600_000;
  return ms < 0 ? -1 : ms;
}

/**
 * The cluster's config as the base of a topic's: a topic that sets any retention-time key
 * (retention.ms at topic level, which the scenario spells with the broker's name) takes its
 * retention time from its own keys only, as a topic override replaces the broker default whichever
 * of the three set it.
 */
export function clusterLayerForTopic(cluster: Record<string, unknown> | undefined, topic: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (cluster === undefined || topic === undefined || !RETENTION_TIME_KEYS.some((k) => topic[k] !== undefined)) return cluster;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cluster)) if (!(RETENTION_TIME_KEYS as readonly string[]).includes(k)) out[k] = v;
  return out;
}

export function retentionSettings(c: KafkaConfig, behaviour: RetentionSettings["behaviour"], compacted: boolean): RetentionSettings {
  return {
    retentionMs: retentionMsOf(c),
    retentionBytes: c.num("log.retention.bytes"),
    fileDeleteDelayUs: Math.max(0, c.num("log.segment.delete.delay.ms")) * 1000,
    delete: !compacted,
    behaviour,
  };
}

type Rule = (segment: Segment, next: Segment | undefined) => boolean;
type Reason = "retention time" | "retention size" | "log start offset";

/**
 * Log.deleteOldSegments: the segments retention deletes now, given the log's high watermark
 * (null: not known yet). Returns how many were deleted.
 */
export function deleteOldSegments(log: Log, highWatermark: number | null, nowUs: number): number {
  if (log.offline) return 0;
  const r = log.ctx.retention;
  const b = r.behaviour;
  const byTime = (): number => {
    if (!r.delete || r.retentionMs < 0) return 0;
    const nowMs = Math.floor(nowUs / 1000);
    return deleteWhile(log, highWatermark, "retention time", (s) => nowMs - Math.floor(largestTimestampUs(s) / 1000) > r.retentionMs);
  };
  const bySize = (): number => {
    if (!r.delete || r.retentionBytes < 0) return 0;
    let size = 0;
    for (const s of log.segments) size += s.file.size;
    if (size < r.retentionBytes) return 0;
    let diff = size - r.retentionBytes;
    return deleteWhile(log, highWatermark, "retention size", (s) => {
      if (diff - s.file.size < 0) return false;
      diff -= s.file.size;
      return true;
    });
  };
  const byStartOffset = (): number => (b.logStartOffset ? deleteWhile(log, highWatermark, "log start offset", (_s, next) => next !== undefined && next.baseOffset <= log.logStartOffset) : 0);
  if (b.retentionStartOffsetFirst) return byStartOffset() + bySize() + byTime();
  return byTime() + bySize() + byStartOffset();
}

/** LogSegment.largestTimestamp: the largest record timestamp, else the file's last modification. */
function largestTimestampUs(s: Segment): number {
  return s.maxTimestampUs >= 0 ? s.maxTimestampUs : s.lastModifiedUs;
}

/** deletableSegments then deleteSegments. */
function deleteWhile(log: Log, highWatermark: number | null, reason: Reason, rule: Rule): number {
  const segs = log.segments;
  const bounded = log.ctx.retention.behaviour.retentionBoundedByHighWatermark;
  if (bounded && highWatermark === null) return 0;
  let n = 0;
  while (n < segs.length) {
    const s = segs[n];
    const next = segs[n + 1] as Segment | undefined;
    if (next === undefined && s.file.size === 0) break;
    if (bounded && (highWatermark as number) < (next === undefined ? log.logEndOffset : next.baseOffset)) break;
    if (!rule(s, next)) break;
    n++;
  }
  return n === 0 ? 0 : deleteSegments(log, n, reason);
}

/** Log.deleteSegments: roll first if every segment goes, take them out, rename, schedule the unlink, advance the log start offset. */
function deleteSegments(log: Log, n: number, reason: Reason): number {
  const m = log.ctx.machine;
  if (n === log.segments.length) {
    m.mark("retention: every segment is deletable, the log rolls first");
    if (log.roll(log.logEndOffset, "delete segments") === null) return 0;
  }
  const from = log.logStartOffset;
  const gone = removeOldestSegments(log, n);
  if (!asyncDelete(log, gone)) return 0;
  maybeIncrementLogStartOffset(log, log.segments[0].baseOffset);
  m.mark(`retention: segments deleted by ${reason}`);
  m.trace("segments-deleted", { partition: log.dir, reason, segments: n, fromOffset: from, logStartOffset: log.logStartOffset });
  return n;
}

/**
 * Takes the oldest n segments and their batches out of the log's arrays (so their batches can
 * be collected) and renumbers the segment index of the batches left.
 */
function removeOldestSegments(log: Log, n: number): Segment[] {
  const gone = log.segments.splice(0, n);
  // segmentOf ascends: the batches of the removed segments are the first k.
  let lo = 0;
  let hi = log.segmentOf.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (log.segmentOf[mid] < n) lo = mid + 1;
    else hi = mid;
  }
  log.batches.splice(0, lo);
  log.positions.splice(0, lo);
  log.segmentOf.splice(0, lo);
  for (let i = 0; i < log.segmentOf.length; i++) log.segmentOf[i] -= n;
  return gone;
}

/**
 * Log.asyncDeleteSegment: each file renamed `.deleted` now, unlinked (its pages and payloads
 * freed) after log.segment.delete.delay.ms. False on a storage error (the log goes offline).
 */
function asyncDelete(log: Log, gone: readonly Segment[]): boolean {
  const m = log.ctx.machine;
  for (const s of gone) {
    const error = m.rename(s.file, `${s.file.name}${DELETED_SUFFIX}`);
    if (error !== null) {
      log.ioError("delete segments", error);
      return false;
    }
    const file = s.file;
    m.setTimer(log.ctx.retention.fileDeleteDelayUs, () => {
      const e = m.unlink(file);
      if (e !== null && !log.offline) log.ioError("delete segments", e);
    });
  }
  return true;
}

/**
 * Log.maybeIncrementLogStartOffset: a higher start offset cuts the leader-epoch cache from the
 * start (truncateFromStart, writing its checkpoint); in 0.11 - 2.3 it drops the producers whose
 * last batch is below it (ProducerStateManager.truncateHead); from 2.5 it raises the recovery
 * point with it (updateLogStartOffset; not at 2.4.0). Returns whether it moved.
 */
export function maybeIncrementLogStartOffset(log: Log, offset: number): boolean {
  if (offset <= log.logStartOffset || log.offline) return false;
  const b = log.ctx.retention.behaviour;
  log.logStartOffset = offset;
  if (b.logStartOffsetRaisesRecoveryPoint) {
    if (log.recoveryPoint < offset) log.recoveryPoint = offset;
    if (log.flushingTo < offset) log.flushingTo = offset;
  }
  log.epochCache.truncateFromStart(offset, "log start offset");
  if (b.producersEvictedAtLogStart) log.evictProducersBelow(offset);
  return true;
}

/**
 * Log.truncateFullyAndStartAt (LogManager.truncateFullyAndStartAt): every segment deleted
 * (asynchronously, as retention does), a new empty one at offset, which is the log start and end
 * offset; the leader-epoch cache cleared and the producer state rebuilt (empty).
 */
export function truncateFullyAndStartAt(log: Log, offset: number): boolean {
  if (log.offline) return false;
  const gone = removeOldestSegments(log, log.segments.length);
  if (!asyncDelete(log, gone)) return false;
  if (log.roll(offset, "truncate") === null) return false;
  log.startAt(offset);
  log.epochCache.clearAndFlush("truncate");
  return true;
}
