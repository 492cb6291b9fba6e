/**
 * The test oracle for reports/stall.ts: produceStallMs reckoned record by record, as the report
 * did before it worked on runs of records (this per-key reckoning kept unchanged from that
 * version, so that the two can be compared on random histories; see stall.ts for what a stall
 * is). The grouping of the history's rows by key is the report's own.
 */
import type { KafkaHistory } from "../../sim/nodes/kafka/History.js";
import { stallsByKey, type PerKey, type ProduceStall } from "../../reports/stall.js";

export function produceStallsPerRecord(h: KafkaHistory, runEndUs: number): Map<string, ProduceStall> {
  const scratch = new Scratch();
  return stallsByKey(h, runEndUs, (k, end) => stallOf(k, end, scratch));
}

/**
 * The per-record arrays, one set for all keys: a key of an hour-long run holds over a million
 * records, and fresh arrays for each key piled up as garbage outside the heap until a GC.
 */
class Scratch {
  private startBuf = new Float64Array(0);
  private endBuf = new Float64Array(0);
  private exactBuf = new Uint8Array(0);

  arrays(room: number): { start: Float64Array; end: Float64Array; exact: Uint8Array } {
    if (this.startBuf.length < room) {
      const capacity = Math.max(room, this.startBuf.length * 2);
      [this.startBuf, this.endBuf, this.exactBuf] = [new Float64Array(capacity), new Float64Array(capacity), new Uint8Array(capacity)];
    }
    return { start: this.startBuf.subarray(0, room).fill(Infinity), end: this.endBuf.subarray(0, room).fill(NaN), exact: this.exactBuf.subarray(0, room).fill(0) };
  }
}

function stallOf(k: PerKey, runEndUs: number, scratch: Scratch): ProduceStall {
  const { sends, fails } = k;
  let n = 0;
  let unindexed = 0;
  for (const { log, rows } of [...k.done, sends, fails]) {
    for (const r of rows) if (log.firstIndex(r) >= 0) n = Math.max(n, log.firstIndex(r) + log.count(r));
  }
  for (const r of fails.rows) if (fails.log.firstIndex(r) < 0) unindexed += fails.log.count(r);
  const room = n + unindexed;
  // start: when the record began waiting (or an upper bound); end: when the producer was done with it.
  const { start, end, exact } = scratch.arrays(room);
  let doneCount = 0;
  for (const { log, rows } of k.done) {
    doneCount += rows.length;
    for (const r of rows) {
      const firstIndex = log.firstIndex(r);
      const [arrivalUs, atUs] = [log.firstArrivalUs(r), log.atUs(r)];
      for (let i = firstIndex; i < firstIndex + log.count(r); i++) {
        start[i] = arrivalUs;
        end[i] = atUs;
        exact[i] = 1;
      }
    }
  }
  for (const r of fails.rows) {
    const firstIndex = fails.log.firstIndex(r);
    if (firstIndex < 0) continue;
    const [arrivalUs, atUs] = [fails.log.firstArrivalUs(r), fails.log.atUs(r)];
    for (let i = firstIndex; i < firstIndex + fails.log.count(r); i++) {
      end[i] = atUs;
      if (arrivalUs >= 0) [start[i], exact[i]] = [arrivalUs, 1];
    }
  }
  for (const r of sends.rows) {
    const [firstIndex, atUs] = [sends.log.firstIndex(r), sends.log.atUs(r)];
    for (let i = firstIndex; i < firstIndex + sends.log.count(r); i++) if (exact[i] === 0) start[i] = Math.min(start[i], atUs);
  }
  // Failures without their batch: the oldest records with no known end, in the order of the failures.
  let cursor = 0;
  for (const r of fails.rows) {
    if (fails.log.firstIndex(r) >= 0) continue;
    let left = fails.log.count(r);
    while (left > 0 && cursor < room) {
      if (Number.isNaN(end[cursor])) {
        end[cursor] = fails.log.atUs(r);
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
  // start is now non-decreasing; ends and progress times need sorting (end in place: nothing
  // reads it by record any more, and a copy was a third of this function's memory).
  const ends = end.subarray(0, size).sort();
  const progress = new Float64Array(doneCount);
  let p = 0;
  for (const { log, rows } of k.done) for (const r of rows) progress[p++] = log.atUs(r);
  progress.sort();
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
