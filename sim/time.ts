/** Virtual time is an integer number of microseconds; these name the units. */
export const US = 1;
export const MS = 1_000;
export const SECOND = 1_000_000;
export const MINUTE = 60 * SECOND;

/** A duration in µs as a short human string (`1.5s`, `250ms`, `40us`). */
export function formatUs(us: number): string {
  if (us >= SECOND) return `${+(us / SECOND).toFixed(3)}s`;
  if (us >= MS) return `${+(us / MS).toFixed(3)}ms`;
  return `${us}us`;
}
