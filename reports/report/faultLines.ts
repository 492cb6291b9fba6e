/** A scenario's fault schedule as lines a reader scans: each fault's fields as written in the file. */
export function faultLines(faults: unknown): string[] {
  if (!Array.isArray(faults)) return [];
  return faults.map((f) =>
    Object.entries(f as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
      .join(", "),
  );
}
