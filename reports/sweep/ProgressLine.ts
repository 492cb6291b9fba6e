/**
 * The sweep's progress on stderr: runs done, runs per second, time left, violations so far.
 * One line redrawn in place at most ten times a second, and nothing at all when stderr is not a
 * terminal (a CI log, a pipe) or the output is JSON.
 */
export class ProgressLine {
  private readonly started = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly enabled: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, total: number, violations: number, force = false, extra?: string): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const secs = (now - this.started) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? Math.round((total - done) / rate) : null;
    const width = 24;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const line = `[${bar}] ${done}/${total} runs  ${rate.toFixed(2)} runs/s  ETA ${eta === null ? "?" : formatSecs(eta)}  violations ${violations}${extra === undefined ? "" : `  ${extra}`}`;
    this.stream.write(`\r${line.slice(0, Math.max(20, (this.stream.columns ?? 100) - 1))}\x1b[K`);
    this.drawn = true;
  }

  end(): void {
    if (this.enabled && this.drawn) this.stream.write("\n");
  }
}

function formatSecs(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
