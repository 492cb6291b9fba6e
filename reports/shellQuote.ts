/** A word as a POSIX shell reads it back: plain when it is safe, else single-quoted. For repro lines. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9._\-/=:,]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
