/**
 * The structured trace: every delivered message, state transition and fault is one record.
 *
 * A running 64-bit hash over the canonical form of each record gives `traceHash`, the
 * determinism fingerprint printed by every run. The hash is two independent 32-bit FNV-1a
 * lanes (different offset bases, the second with a murmur3 finaliser per record), which is
 * cheap in JavaScript where a true 64-bit multiply would need BigInt. It is a fingerprint,
 * not a cryptographic digest.
 *
 * The trace never does I/O itself: a sink (set by the CLI) receives each canonical line.
 */
export type TraceValue = string | number | boolean | null | readonly TraceValue[] | { readonly [k: string]: TraceValue };
export type TraceData = { readonly [k: string]: TraceValue };
export type TraceSink = (line: string) => void;

/**
 * A sink that takes the hot records (recordPair, recordShaped) in pieces, so that a long --trace
 * builds no string per record: `{"t":T,"node":N,"type":Y,"data":{K:V,...}}` and a newline, with
 * names already JSON-quoted. Other records come whole through line(), without the newline.
 */
export interface TraceWriter {
  line(text: string): void;
  open(t: number, quotedNode: string, quotedType: string): void;
  /** A field: `json` is a number, or a string already in JSON. */
  field(first: boolean, quotedKey: string, json: number | string): void;
  close(): void;
}

/** Quoted string values kept at most (values are names: APIs, clients, errors, partitions). */
const MAX_QUOTED = 10_000;

/** A field value of a shaped record: a string, or an integer (hashed as its low 32 bits, as recordPair does). */
export type ShapedValue = string | number;

/**
 * A record type with fixed field names, for Trace.recordShaped: the type and the keys are
 * hashed once, here, so that a record of this shape hashes only its node and values.
 */
export class TraceShape {
  readonly seed: number;
  readonly quotedType: string;
  readonly quotedKeys: readonly string[];

  constructor(
    readonly type: string,
    readonly keys: readonly [string, ...string[]],
  ) {
    if (keys.length > 4) throw new Error(`trace shape ${type}: at most 4 fields`);
    let h = 0x811c9dc5;
    for (const s of [type, ...keys]) {
      for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
      h = Math.imul(h ^ 0, 0x01000193);
    }
    this.seed = h;
    this.quotedType = JSON.stringify(type);
    this.quotedKeys = keys.map((k) => JSON.stringify(k));
  }
}

export class Trace {
  private h1 = 0x811c9dc5 | 0;
  private h2 = 0x01000193 ^ 0x5bd1e995;
  private records = 0;
  /** Receives each record as one JSON line when set (JSON Lines output). */
  sink: TraceSink | null = null;
  /** The same lines, in pieces (the CLI's --trace file); takes the place of `sink`. */
  writer: TraceWriter | null = null;
  /** Called with each record as an object when set (timelines, tests). */
  observer: ((t: number, node: string, type: string, data: TraceData | undefined) => void) | null = null;

  get count(): number {
    return this.records;
  }

  record(t: number, node: string, type: string, data?: TraceData): void {
    // Key order is fixed by construction, so JSON.stringify is canonical here.
    const line =
      data === undefined
        ? `{"t":${t},"node":${JSON.stringify(node)},"type":${JSON.stringify(type)}}`
        : `{"t":${t},"node":${JSON.stringify(node)},"type":${JSON.stringify(type)},"data":${JSON.stringify(data)}}`;
    this.mix(line);
    this.records++;
    if (this.writer !== null) this.writer.line(line);
    else if (this.sink !== null) this.sink(line);
    if (this.observer !== null) this.observer(t, node, type, data);
  }

  /**
   * A record with two numeric fields, hashed without building its line (the hot path: one per
   * delivered message). The line is built only when a sink or observer wants it; the hash is
   * the same either way.
   */
  recordPair(t: number, node: string, type: string, k1: string, v1: number, k2: string, v2: number): void {
    let h1 = this.h1;
    let h2 = this.h2;
    // Six 32-bit words: time (low, high), node, type, and the two values.
    const w0 = t % 0x100000000;
    const w1 = Math.floor(t / 0x100000000);
    const w2 = this.stringHash(node);
    const w3 = this.stringHash(type);
    h1 = Math.imul(h1 ^ w0, 0x01000193);
    h2 = Math.imul(h2 ^ w0, 0x01000193) ^ (h2 >>> 13);
    h1 = Math.imul(h1 ^ w1, 0x01000193);
    h2 = Math.imul(h2 ^ w1, 0x01000193) ^ (h2 >>> 13);
    h1 = Math.imul(h1 ^ w2, 0x01000193);
    h2 = Math.imul(h2 ^ w2, 0x01000193) ^ (h2 >>> 13);
    h1 = Math.imul(h1 ^ w3, 0x01000193);
    h2 = Math.imul(h2 ^ w3, 0x01000193) ^ (h2 >>> 13);
    h1 = Math.imul(h1 ^ (v1 | 0), 0x01000193);
    h2 = Math.imul(h2 ^ (v1 | 0), 0x01000193) ^ (h2 >>> 13);
    h1 = Math.imul(h1 ^ (v2 | 0), 0x01000193);
    h2 = Math.imul(h2 ^ (v2 | 0), 0x01000193) ^ (h2 >>> 13);
    this.endRecord(h1, h2);
    this.records++;
    if (this.writer !== null) {
      const w = this.writer;
      w.open(t, this.quoted(node), this.quoted(type));
      w.field(true, this.quoted(k1), v1);
      w.field(false, this.quoted(k2), v2);
      w.close();
    }
    if (this.sink === null && this.observer === null) return;
    // One string per line, from quoted names kept once: a long --trace makes little garbage.
    if (this.sink !== null && this.writer === null) this.sink(`{"t":${t},"node":${this.quoted(node)},"type":${this.quoted(type)},"data":{${this.quoted(k1)}:${jsonNumber(v1)},${this.quoted(k2)}:${jsonNumber(v2)}}}`);
    if (this.observer !== null) this.observer(t, node, type, { [k1]: v1, [k2]: v2 });
  }

  /**
   * A record of a fixed shape (up to four string or integer fields), hashed word by word without
   * building its line: the hot path of the Kafka-level records (one per request a broker handles
   * and per response it sends). Pass exactly one value per key of the shape. The line is built
   * only when a sink or observer wants it; the hash is the same either way.
   */
  recordShaped(t: number, node: string, shape: TraceShape, v0: ShapedValue, v1: ShapedValue = 0, v2: ShapedValue = 0, v3: ShapedValue = 0): void {
    const n = shape.keys.length;
    let h1 = this.h1;
    let h2 = this.h2;
    // Time (low, high), node, shape; then a word per value: a string's hash, a number's low 32 bits.
    let w = t % 0x100000000;
    h1 = lane1(h1, w);
    h2 = lane2(h2, w);
    w = Math.floor(t / 0x100000000);
    h1 = lane1(h1, w);
    h2 = lane2(h2, w);
    w = this.stringHash(node);
    h1 = lane1(h1, w);
    h2 = lane2(h2, w);
    h1 = lane1(h1, shape.seed);
    h2 = lane2(h2, shape.seed);
    for (let i = 0; i < n; i++) {
      const v = i === 0 ? v0 : i === 1 ? v1 : i === 2 ? v2 : v3;
      w = typeof v === "number" ? v | 0 : this.stringHash(v);
      h1 = lane1(h1, w);
      h2 = lane2(h2, w);
    }
    this.endRecord(h1, h2);
    this.records++;
    const k = shape.keys;
    if (this.writer !== null) {
      const w = this.writer;
      const q = shape.quotedKeys;
      w.open(t, this.quoted(node), shape.quotedType);
      w.field(true, q[0], this.shapedJson(v0));
      if (n > 1) w.field(false, q[1], this.shapedJson(v1));
      if (n > 2) w.field(false, q[2], this.shapedJson(v2));
      if (n > 3) w.field(false, q[3], this.shapedJson(v3));
      w.close();
    } else if (this.sink !== null) {
      const q = shape.quotedKeys;
      let fields = `${q[0]}:${shapedJson(v0)}`;
      if (n > 1) fields += `,${q[1]}:${shapedJson(v1)}`;
      if (n > 2) fields += `,${q[2]}:${shapedJson(v2)}`;
      if (n > 3) fields += `,${q[3]}:${shapedJson(v3)}`;
      this.sink(`{"t":${t},"node":${this.quoted(node)},"type":${shape.quotedType},"data":{${fields}}}`);
    }
    if (this.observer !== null) {
      const data: Record<string, ShapedValue> = { [k[0]]: v0 };
      if (n > 1) data[k[1]] = v1;
      if (n > 2) data[k[2]] = v2;
      if (n > 3) data[k[3]] = v3;
      this.observer(t, node, shape.type, data);
    }
  }

  private readonly stringHashes = new Map<string, number>();
  /** JSON-quoted node names, types and keys (a bounded set), for the sink's lines. */
  private readonly quotes = new Map<string, string>();

  private quoted(s: string): string {
    let q = this.quotes.get(s);
    if (q === undefined) {
      q = JSON.stringify(s);
      if (this.quotes.size < MAX_QUOTED) this.quotes.set(s, q);
    }
    return q;
  }

  /** A shaped value as JSON for the writer: numbers as they are, strings quoted (cached). */
  private shapedJson(v: ShapedValue): number | string {
    return typeof v === "number" ? v : this.quoted(v);
  }

  private stringHash(s: string): number {
    let h = this.stringHashes.get(s);
    if (h === undefined) {
      h = 0x811c9dc5;
      for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
      this.stringHashes.set(s, h);
    }
    return h;
  }

  /** The running hash as 16 hex digits. */
  get hash(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, "0") + (this.h2 >>> 0).toString(16).padStart(8, "0");
  }

  private mix(line: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x01000193) ^ (h2 >>> 13);
    }
    this.endRecord(h1, h2);
  }

  /** A record separator on lane 1 plus a murmur3 finaliser on lane 2, so record boundaries matter. */
  private endRecord(h1: number, h2: number): void {
    h1 = lane1(h1, 0x0a);
    h2 ^= h1;
    h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b);
    h2 = Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
    this.h1 = h1;
    this.h2 = h2 ^ (h2 >>> 16);
  }
}

/** One 32-bit word into lane 1 (FNV-1a over words). */
function lane1(h: number, w: number): number {
  return Math.imul(h ^ w, 0x01000193);
}

/** One 32-bit word into lane 2 (FNV-1a with a shift of the previous state mixed in). */
function lane2(h: number, w: number): number {
  return Math.imul(h ^ w, 0x01000193) ^ (h >>> 13);
}

/** As JSON.stringify writes a number (NaN and infinities as null). */
function jsonNumber(v: number): string {
  return Number.isFinite(v) ? String(v) : "null";
}

function shapedJson(v: ShapedValue): string {
  return typeof v === "number" ? jsonNumber(v) : JSON.stringify(v);
}
