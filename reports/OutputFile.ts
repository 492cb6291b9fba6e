/**
 * A file the CLI writes (--trace, --timeline): checked before the run, written through a
 * temporary file beside it and renamed into place when complete, so a run never leaves half a
 * file where the user asked for one and never loses a finished run to a late surprise.
 *
 * Checked up front: the directory exists, the path is not a directory, the same path is not
 * asked for twice, an existing file needs --force, the directory is writable (the temporary file
 * is created then) and has some space. A write error during the run (ENOSPC) stops that output,
 * is kept, and is reported after the run's summary.
 *
 * Special files (a terminal, /dev/stdout, a pipe) are written directly: they cannot be renamed
 * over and hold nothing to lose.
 */
import { closeSync, existsSync, openSync, renameSync, statSync, statfsSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { TraceWriter } from "../sim/Trace.js";

/** A problem with an output path found before the run: usage, exit 2. */
export class OutputPathError extends Error {}

/** Below this much free space the run is refused up front: a trace is larger than that. */
const MIN_FREE_BYTES = 1 << 20;
/**
 * Writes are gathered in one reused buffer of this size (one writeSync each time it fills): no
 * allocation per write or per chunk, so a long trace costs no memory beyond it.
 */
const BUFFER_BYTES = 1 << 20;

export class OutputFile {
  private fd: number;
  private readonly tmp: string | null;
  private readonly buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;
  private failure: string | null = null;
  private closed = false;

  private constructor(
    readonly flag: string,
    readonly path: string,
    fd: number,
    tmp: string | null,
  ) {
    this.fd = fd;
    this.tmp = tmp;
  }

  /**
   * Checks every requested output and opens each (a temporary file for a regular path); throws
   * OutputPathError naming the flag and path for the first one that cannot be written.
   */
  static openAll(requests: ReadonlyArray<{ flag: string; path: string }>, force: boolean): OutputFile[] {
    const seen = new Map<string, string>();
    for (const r of requests) {
      const abs = resolve(r.path);
      const other = seen.get(abs);
      if (other !== undefined) throw new OutputPathError(`${r.flag} ${r.path}: the same file as ${other}; give each output its own path`);
      seen.set(abs, `${r.flag} ${r.path}`);
    }
    const opened: OutputFile[] = [];
    try {
      for (const r of requests) opened.push(OutputFile.open(r.flag, r.path, force));
    } catch (e) {
      for (const o of opened) o.discard();
      throw e;
    }
    return opened;
  }

  private static open(flag: string, path: string, force: boolean): OutputFile {
    const where = `${flag} ${path}`;
    const dir = dirname(resolve(path));
    if (!existsSync(dir)) throw new OutputPathError(`${where}: no such directory ${dir}`);
    if (!statSync(dir).isDirectory()) throw new OutputPathError(`${where}: ${dir} is not a directory`);
    if (existsSync(path)) {
      const st = statSync(path);
      if (st.isDirectory()) throw new OutputPathError(`${where}: is a directory; give a file name`);
      if (!st.isFile()) return new OutputFile(flag, path, OutputFile.openOrExplain(where, path, "w"), null);
      if (!force) throw new OutputPathError(`${where}: the file exists; pass --force to overwrite it`);
    }
    const free = freeBytes(dir);
    if (free !== null && free < MIN_FREE_BYTES) throw new OutputPathError(`${where}: only ${free} bytes free in ${dir}`);
    const tmp = join(dir, `.${basename(path)}.kafkasim-${process.pid}.tmp`);
    return new OutputFile(flag, path, OutputFile.openOrExplain(where, tmp, "wx"), tmp);
  }

  private static openOrExplain(where: string, file: string, flags: string): number {
    try {
      return openSync(file, flags);
    } catch (e) {
      throw new OutputPathError(`${where}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  /** Appends text; after a write error it is dropped (the error is reported by finish()). */
  write(text: string): void {
    if (this.failure !== null || this.closed) return;
    // A UTF-16 unit takes at most 3 bytes in UTF-8.
    if (this.used + text.length * 3 > BUFFER_BYTES) {
      this.flush();
      if (text.length * 3 > BUFFER_BYTES) {
        this.writeAll(Buffer.from(text, "utf8"));
        return;
      }
    }
    this.used += this.buffer.write(text, this.used, "utf8");
  }

  /**
   * This file as the trace's writer: the hot records' pieces go straight into the buffer (numbers
   * as digits), so a long --trace allocates nothing per record.
   */
  traceWriter(): TraceWriter {
    return {
      line: (text) => {
        this.write(text);
        this.write("\n");
      },
      open: (t, quotedNode, quotedType) => {
        this.put('{"t":');
        this.putNumber(t);
        this.put(',"node":');
        this.put(quotedNode);
        this.put(',"type":');
        this.put(quotedType);
        this.put(',"data":{');
      },
      field: (first, quotedKey, json) => {
        if (!first) this.put(",");
        this.put(quotedKey);
        this.put(":");
        if (typeof json === "number") this.putNumber(json);
        else this.put(json);
      },
      close: () => this.put("}}\n"),
    };
  }

  /** A short piece of text (names, punctuation): copied into the buffer without allocating. */
  private put(text: string): void {
    if (this.used + text.length * 3 > BUFFER_BYTES) return this.write(text);
    if (this.failure !== null || this.closed) return;
    this.used += this.buffer.write(text, this.used, "utf8");
  }

  /** A number as JSON.stringify writes it; whole numbers digit by digit. */
  private putNumber(v: number): void {
    if (!Number.isSafeInteger(v)) return this.put(Number.isFinite(v) ? String(v) : "null");
    if (this.used + 17 > BUFFER_BYTES) this.flush();
    if (this.failure !== null || this.closed) return;
    let n = v;
    if (n < 0) {
      this.buffer[this.used++] = 0x2d; // '-'
      n = -n;
    }
    let digits = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
    let pos = this.used + digits;
    this.used = pos;
    do {
      this.buffer[--pos] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }

  private flush(): void {
    if (this.used === 0) return;
    this.writeAll(this.buffer.subarray(0, this.used));
    this.used = 0;
  }

  private writeAll(bytes: Buffer): void {
    if (this.failure !== null) return;
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(this.fd, bytes, off);
    } catch (e) {
      this.failure = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
  }

  /**
   * Writes what is pending, closes, and renames the temporary file into place. Returns null, or
   * the reason the file could not be completed (the temporary file is then removed and nothing
   * at the path is touched).
   */
  finish(): string | null {
    if (this.closed) return this.failure;
    this.flush();
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch (e) {
      this.failure ??= (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
    if (this.tmp === null) return this.failure;
    try {
      if (this.failure === null) renameSync(this.tmp, this.path);
    } catch (e) {
      this.failure = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
    if (this.failure !== null) removeQuietly(this.tmp);
    return this.failure;
  }

  /** Closes and removes the temporary file: the run did not finish. */
  discard(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {
      // nothing to keep
    }
    if (this.tmp !== null) removeQuietly(this.tmp);
  }
}

function freeBytes(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
