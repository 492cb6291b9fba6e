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

export class Trace {
  private h1 = 0x811c9dc5 | 0;
  private h2 = 0x01000193 ^ 0x5bd1e995;
  private records = 0;
  /** Receives each record as one JSON line when set (JSON Lines output). */
  sink: TraceSink | null = null;
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
    if (this.sink !== null) this.sink(line);
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
    h1 = Math.imul(h1 ^ 0x0a, 0x01000193);
    h2 ^= h1;
    h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b);
    h2 = Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
    this.h1 = h1;
    this.h2 = h2 ^ (h2 >>> 16);
    this.records++;
    if (this.sink === null && this.observer === null) return;
    const data = { [k1]: v1, [k2]: v2 };
    if (this.sink !== null) this.sink(`{"t":${t},"node":${JSON.stringify(node)},"type":${JSON.stringify(type)},"data":${JSON.stringify(data)}}`);
    if (this.observer !== null) this.observer(t, node, type, data);
  }

  private readonly stringHashes = new Map<string, number>();

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
    // A record separator plus a finaliser on lane 2, so record boundaries matter.
    h1 = Math.imul(h1 ^ 0x0a, 0x01000193);
    h2 ^= h1;
    h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b);
    h2 = Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
    h2 ^= h2 >>> 16;
    this.h1 = h1;
    this.h2 = h2;
  }
}
