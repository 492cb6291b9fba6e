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
import type { BatchEvent, KafkaHistory } from "../sim/nodes/kafka/History.js";

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

interface PerKey {
  producer: string;
  partition: string;
  done: Array<{ firstIndex: number; count: number; firstArrivalUs: number; atUs: number }>;
  sends: BatchEvent[];
  fails: BatchEvent[];
}

/** Failures of records that never joined the accumulator: send() threw (buffer.memory exhausted, max.block.ms). */
const NO_INDEX_ERRORS = new Set(["BUFFER_EXHAUSTED", "TIMEOUT (max.block.ms)"]);

/** The longest stall of each (producer, partition) pair, keyed `producer/topic-partition`. */
export function produceStalls(h: KafkaHistory, runEndUs: number): Map<string, ProduceStall> {
  const keys = new Map<string, PerKey>();
  const of = (producer: string, topic: string, partition: number): PerKey => {
    const k = `${producer}/${topic}-${partition}`;
    let v = keys.get(k);
    if (v === undefined) keys.set(k, (v = { producer, partition: `${topic}-${partition}`, done: [], sends: [], fails: [] }));
    return v;
  };
  for (const a of h.acks) of(a.producer, a.topic, a.partition).done.push(a);
  for (const w of h.writtenWithoutAck) of(w.producer, w.topic, w.partition).done.push(w);
  for (const s of h.sends) of(s.producer, s.topic, s.partition).sends.push(s);
  for (const f of h.fails) if (f.partition >= 0 && !NO_INDEX_ERRORS.has(f.error ?? "")) of(f.producer, f.topic, f.partition).fails.push(f);
  const out = new Map<string, ProduceStall>();
  for (const k of [...keys.keys()].sort()) out.set(k, stallOf(keys.get(k)!, runEndUs));
  return out;
}

function stallOf(k: PerKey, runEndUs: number): ProduceStall {
  let n = 0;
  for (const b of [...k.done, ...k.sends, ...k.fails]) if (b.firstIndex >= 0) n = Math.max(n, b.firstIndex + b.count);
  const unindexed = k.fails.filter((f) => f.firstIndex < 0).reduce((s, f) => s + f.count, 0);
  const room = n + unindexed;
  // start: when the record began waiting (or an upper bound); end: when the producer was done with it.
  const start = new Float64Array(room).fill(Infinity);
  const end = new Float64Array(room).fill(NaN);
  const exact = new Uint8Array(room);
  for (const b of k.done) {
    for (let i = b.firstIndex; i < b.firstIndex + b.count; i++) {
      start[i] = b.firstArrivalUs;
      end[i] = b.atUs;
      exact[i] = 1;
    }
  }
  for (const f of k.fails) {
    if (f.firstIndex < 0) continue;
    for (let i = f.firstIndex; i < f.firstIndex + f.count; i++) {
      end[i] = f.atUs;
      if (f.firstArrivalUs >= 0) [start[i], exact[i]] = [f.firstArrivalUs, 1];
    }
  }
  for (const s of k.sends) for (let i = s.firstIndex; i < s.firstIndex + s.count; i++) if (exact[i] === 0) start[i] = Math.min(start[i], s.atUs);
  // Failures without their batch: the oldest records with no known end, in the order of the failures.
  let cursor = 0;
  for (const f of k.fails) {
    if (f.firstIndex >= 0) continue;
    let left = f.count;
    while (left > 0 && cursor < room) {
      if (Number.isNaN(end[cursor])) {
        end[cursor] = f.atUs;
        left--;
      }
      cursor++;
    }
  }
  // Room was kept for failures past the highest index seen; only what they used is records.
  const size = Math.max(n, cursor);
  for (let i = 0; i < size; i++) if (Number.isNaN(end[i])) end[i] = runEndUs;
  // Records get indices in creation order: a record was created no later than any newer one.
  let inferredStarts = 0;
  for (let i = size - 2; i >= 0; i--) if (start[i + 1] < start[i]) start[i] = start[i + 1];
  for (let i = 0; i < size; i++) {
    if (exact[i] === 0) inferredStarts++;
    if (start[i] > end[i]) start[i] = end[i];
  }
  // start is now non-decreasing; ends and progress times need sorting.
  const ends = end.slice(0, size).sort();
  const progress = Float64Array.from(k.done.map((b) => b.atUs)).sort();
  let waiting = 0;
  let from = NaN;
  let best = { us: 0, fromUs: 0, toUs: 0 };
  let [si, ei, pi] = [0, 0, 0];
  for (;;) {
    const t = Math.min(si < size ? start[si] : Infinity, ei < size ? ends[ei] : Infinity, pi < progress.length ? progress[pi] : Infinity);
    if (t === Infinity) break;
    const had = waiting > 0;
    let progressed = false;
    while (si < size && start[si] === t) [si, waiting] = [si + 1, waiting + 1];
    while (ei < size && ends[ei] === t) [ei, waiting] = [ei + 1, waiting - 1];
    while (pi < progress.length && progress[pi] === t) [pi, progressed] = [pi + 1, true];
    if (had && (progressed || waiting === 0)) {
      if (t - from > best.us) best = { us: t - from, fromUs: from, toUs: t };
      from = waiting > 0 ? t : NaN;
    } else if (!had && waiting > 0) from = t;
  }
  return { ms: Math.round(best.us / 1000), producer: k.producer, partition: k.partition, fromUs: best.fromUs, toUs: best.toUs, inferredStarts };
}
