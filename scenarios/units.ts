/**
 * Units as scenario files write them: durations (`30s`, `5ms`, `250us`, `1.5m`, `1h`) and
 * rates (`1000/s`, `5/ms`, `600/min`). Both parse to integers at once: time is integer µs.
 */
const DURATION = /^(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|min|h)$/;
const DURATION_US: Record<string, number> = { us: 1, "µs": 1, ms: 1_000, s: 1_000_000, m: 60_000_000, min: 60_000_000, h: 3_600_000_000 };
const RATE = /^(\d+(?:\.\d+)?)\s*\/\s*(us|ms|s|m|min|h)$/;

/** Microseconds, or null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (m === null) return null;
  return Math.round(Number(m[1]) * DURATION_US[m[2]]);
}

/** Events per second, or null when the text is not a rate. */
export function parseRate(text: string): number | null {
  const m = RATE.exec(text.trim());
  if (m === null) return null;
  return (Number(m[1]) * 1_000_000) / DURATION_US[m[2]];
}

export const DURATION_HINT = "a duration like 30s, 5ms, 250us, 2m or 1h";
export const RATE_HINT = "a rate like 1000/s, 5/ms or 600/min";
