/**
 * produceStallMs: the client's view of unavailability. For one producer and one partition, a
 * record is *waiting* from its send() (its creation in the producer) until the producer is done
 * with it: acknowledged, failed for good, or (acks=0) written to a socket; a record still in the
 * producer when the run ends waits until the end of the run. *Progress* is an acknowledgement
 * (with acks=0, a batch written out: the only completion such a client sees). A stall is a
 * stretch of time in which at least one record is waiting and no progress happens; it starts when
 * a record starts waiting with none waiting before, or at a progress event after which records
 * still wait, and ends at the next progress event or when nothing waits any more (the last
 * waiting records failed). A failure is not progress. The metric is the longest stall over all
 * (producer, partition) pairs.
 *
 * What the history knows: each acknowledged (or acks=0) batch's first creation time and end
 * time, each batch's first send, and each failure's time and record count. A failure reported
 * without its batch (the producer's onFail passes only a count) is matched to the oldest records
 * of that producer and partition that have no known end, as the accumulator fails batches
 * oldest first (delivery.timeout.ms expires the deque's head; a request error fails the oldest
 * in-flight batches). A record whose creation time is unknown starts waiting no later than its
 * first send and no later than any newer record of the same partition (records get their index
 * in creation order, RecordAccumulator.append), else at its end: so when records failed, the
 * stall is a lower bound, and `inferredStarts` says how many records' starts were bounded.
 * Records whose send() threw (BUFFER_EXHAUSTED, or after blocking max.block.ms; no partition)
 * never entered the accumulator and do not wait here.
 */
import type { KafkaHistory } from "../sim/nodes/kafka/History.js";
import type { BatchColumns } from "../sim/nodes/kafka/history/BatchLog.js";

export interface ProduceStall {
  /** The longest stall, in ms (0 when no record ever waited without progress). */
  ms: number;
  producer: string;
  partition: string;
  fromUs: number;
  toUs: number;
  /** Records whose start of waiting is a bound, not a recorded creation time. */
  inferredStarts: number;
}

/** Some rows of one of the history's batch logs, in the log's order. */
export interface Rows {
  log: BatchColumns;
  rows: Int32Array;
}

/** What the history holds of one producer's records to one partition. */
export interface PerKey {
  producer: string;
  partition: string;
  /** Acknowledged batches, then acks=0 batches written out. */
  done: Rows[];
  sends: Rows;
  fails: Rows;
}

/** Failures of records that never joined the accumulator: send() threw (buffer.memory exhausted, max.block.ms). */
const NO_INDEX_ERRORS = new Set(["BUFFER_EXHAUSTED", "TIMEOUT (max.block.ms)"]);

/** The longest stall of each (producer, partition) pair, keyed `producer/topic-partition`. */
export function produceStalls(h: KafkaHistory, runEndUs: number): Map<string, ProduceStall> {
  return stallsByKey(h, runEndUs, stallOf);
}

/** Each (producer, partition) pair's rows, handed to `stallOfKey`, in key order. */
export function stallsByKey(h: KafkaHistory, runEndUs: number, stallOfKey: (k: PerKey, runEndUs: number) => ProduceStall): Map<string, ProduceStall> {
  // Rows are grouped by key; a key is made by the first row that names it, acks first.
  const keys: Array<{ key: string; producer: string; partition: string }> = [];
  const byKey = new Map<string, number>();
  const keyOfStream = new Int32Array(h.streams.size).fill(-1);
  const keyOf = (log: BatchColumns, i: number): number => {
    const stream = log.stream(i);
    let k = keyOfStream[stream];
    if (k < 0) {
      const key = h.streams.key(stream);
      k = byKey.get(key) ?? -1;
      if (k < 0) {
        byKey.set(key, (k = keys.length));
        keys.push({ key, producer: log.producer(i), partition: `${log.topic(i)}-${log.partition(i)}` });
      }
      keyOfStream[stream] = k;
    }
    return k;
  };
  const fails = h.fails;
  const acks = rowsByKey(h.acks, keyOf);
  const written = rowsByKey(h.writtenWithoutAck, keyOf);
  const sends = rowsByKey(h.sends, keyOf);
  const failed = rowsByKey(fails, keyOf, (i) => fails.partition(i) >= 0 && !NO_INDEX_ERRORS.has(fails.error(i) ?? ""));
  const order = keys.map((k, i) => ({ key: k.key, i })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const out = new Map<string, ProduceStall>();
  for (const { key, i } of order) {
    const k: PerKey = { producer: keys[i].producer, partition: keys[i].partition, done: [acks(i), written(i)], sends: sends(i), fails: failed(i) };
    out.set(key, stallOfKey(k, runEndUs));
  }
  return out;
}

/** The rows of `log` (those kept) by key, in the log's order: two passes, counting then filling. */
function rowsByKey(log: BatchColumns, keyOf: (log: BatchColumns, i: number) => number, keep?: (i: number) => boolean): (key: number) => Rows {
  const sizes: number[] = [];
  for (let i = 0; i < log.length; i++) {
    if (keep !== undefined && !keep(i)) continue;
    const k = keyOf(log, i);
    while (sizes.length <= k) sizes.push(0);
    sizes[k]++;
  }
  const rows = sizes.map((n) => new Int32Array(n));
  const filled = new Int32Array(sizes.length);
  for (let i = 0; i < log.length; i++) {
    if (keep !== undefined && !keep(i)) continue;
    const k = keyOf(log, i);
    rows[k][filled[k]++] = i;
  }
  const none = new Int32Array(0);
  return (key) => ({ log, rows: rows[key] ?? none });
}

/**
 * Records in runs: the records of a batch share their start and end, so the work is done per
 * run of consecutive record indices that every row covers whole or not at all (a row is a batch
 * acknowledged, written out, sent or failed). Runs are cut at every row's first and past-last
 * index; a failure matched to records without its batch may cut one more. Each run gives the
 * answer its records would give one by one (test/stall.test.ts compares it with that per-record
 * reckoning on random histories); an hour-long run's key holds over a million records in a few
 * tens of thousands of runs.
 */
class Runs {
  /** Run j is records [from[j], from[j + 1]); the last entry is the end. */
  from: number[] = [];
  start: number[] = [];
  end: number[] = [];
  exact: number[] = [];

  constructor(bounds: number[]) {
    bounds.sort((a, b) => a - b);
    for (let i = 0; i < bounds.length; i++) if (i === 0 || bounds[i] !== bounds[i - 1]) this.from.push(bounds[i]);
    const runs = this.from.length - 1;
    this.start = new Array<number>(runs).fill(Infinity);
    this.end = new Array<number>(runs).fill(NaN);
    this.exact = new Array<number>(runs).fill(0);
  }

  get length(): number {
    return this.from.length - 1;
  }

  size(j: number): number {
    return this.from[j + 1] - this.from[j];
  }

  /** The run that begins at record index i (a row's first index always begins one). */
  runAt(i: number): number {
    let lo = 0;
    let hi = this.from.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.from[mid] < i) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Each run of records [first, first + count), in order. */
  forRange(first: number, count: number, fn: (j: number) => void): void {
    for (let j = this.runAt(first); j < this.length && this.from[j] < first + count; j++) fn(j);
  }

  /** Cuts run j after its first n records; both parts keep what the run knew. */
  split(j: number, n: number): void {
    this.from.splice(j + 1, 0, this.from[j] + n);
    this.start.splice(j + 1, 0, this.start[j]);
    this.end.splice(j + 1, 0, this.end[j]);
    this.exact.splice(j + 1, 0, this.exact[j]);
  }

  /** Appends run [from-end, to) knowing nothing yet. */
  append(to: number): void {
    this.from.push(to);
    this.start.push(Infinity);
    this.end.push(NaN);
    this.exact.push(0);
  }
}

function stallOf(k: PerKey, runEndUs: number): ProduceStall {
  const { sends, fails } = k;
  let n = 0;
  let unindexed = 0;
  const bounds = [0];
  for (const { log, rows } of [...k.done, sends, fails]) {
    for (const r of rows) {
      const first = log.firstIndex(r);
      if (first < 0) continue;
      n = Math.max(n, first + log.count(r));
      bounds.push(first, first + log.count(r));
    }
  }
  bounds.push(n);
  for (const r of fails.rows) if (fails.log.firstIndex(r) < 0) unindexed += fails.log.count(r);
  const room = n + unindexed;
  // start: when the records began waiting (or an upper bound); end: when the producer was done with them.
  const runs = new Runs(bounds);
  if (room > n) runs.append(room);
  let doneCount = 0;
  for (const { log, rows } of k.done) {
    doneCount += rows.length;
    for (const r of rows) {
      const [arrivalUs, atUs] = [log.firstArrivalUs(r), log.atUs(r)];
      runs.forRange(log.firstIndex(r), log.count(r), (j) => {
        runs.start[j] = arrivalUs;
        runs.end[j] = atUs;
        runs.exact[j] = 1;
      });
    }
  }
  for (const r of fails.rows) {
    const firstIndex = fails.log.firstIndex(r);
    if (firstIndex < 0) continue;
    const [arrivalUs, atUs] = [fails.log.firstArrivalUs(r), fails.log.atUs(r)];
    runs.forRange(firstIndex, fails.log.count(r), (j) => {
      runs.end[j] = atUs;
      if (arrivalUs >= 0) [runs.start[j], runs.exact[j]] = [arrivalUs, 1];
    });
  }
  for (const r of sends.rows) {
    const atUs = sends.log.atUs(r);
    runs.forRange(sends.log.firstIndex(r), sends.log.count(r), (j) => {
      if (runs.exact[j] === 0) runs.start[j] = Math.min(runs.start[j], atUs);
    });
  }
  // Failures without their batch: the oldest records with no known end, in the order of the
  // failures. The cursor stays on a run boundary: a failure ending inside a run cuts it there.
  let run = 0;
  for (const r of fails.rows) {
    if (fails.log.firstIndex(r) >= 0) continue;
    let left = fails.log.count(r);
    while (left > 0 && run < runs.length) {
      if (Number.isNaN(runs.end[run])) {
        if (runs.size(run) > left) runs.split(run, left);
        runs.end[run] = fails.log.atUs(r);
        left -= runs.size(run);
      }
      run++;
    }
  }
  // Room was kept for failures past the highest index seen; only what they used is records.
  const size = Math.max(n, runs.from[run]);
  let count = runs.length;
  while (count > 0 && runs.from[count - 1] >= size) count--;
  for (let j = 0; j < count; j++) if (Number.isNaN(runs.end[j])) runs.end[j] = runEndUs;
  // Records get indices in creation order: a record was created no later than any newer one.
  let inferredStarts = 0;
  const { start, end } = runs;
  for (let j = count - 2; j >= 0; j--) if (start[j + 1] < start[j]) start[j] = start[j + 1];
  for (let j = 0; j < count; j++) {
    if (runs.exact[j] === 0) inferredStarts += runs.size(j);
    if (start[j] > end[j]) start[j] = end[j];
  }
  // Starts are taken in index order; ends and progress times sorted.
  const byEnd = Array.from({ length: count }, (_, j) => j).sort((a, b) => end[a] - end[b]);
  const progress = new Float64Array(doneCount);
  let p = 0;
  for (const { log, rows } of k.done) for (const r of rows) progress[p++] = log.atUs(r);
  progress.sort();
  let waiting = 0;
  let from = NaN;
  let best = { us: 0, fromUs: 0, toUs: 0 };
  let [si, ei, pi] = [0, 0, 0];
  for (;;) {
    const t = Math.min(si < count ? start[si] : Infinity, ei < count ? end[byEnd[ei]] : Infinity, pi < progress.length ? progress[pi] : Infinity);
    if (t === Infinity) break;
    const had = waiting > 0;
    let progressed = false;
    while (si < count && start[si] === t) [si, waiting] = [si + 1, waiting + runs.size(si)];
    while (ei < count && end[byEnd[ei]] === t) [ei, waiting] = [ei + 1, waiting - runs.size(byEnd[ei])];
    while (pi < progress.length && progress[pi] === t) [pi, progressed] = [pi + 1, true];
    if (had && (progressed || waiting === 0)) {
      if (t - from > best.us) best = { us: t - from, fromUs: from, toUs: t };
      from = waiting > 0 ? t : NaN;
    } else if (!had && waiting > 0) from = t;
  }
  return { ms: Math.round(best.us / 1000), producer: k.producer, partition: k.partition, fromUs: best.fromUs, toUs: best.toUs, inferredStarts };
}
