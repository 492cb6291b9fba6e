/**
 * A scenario's fault schedule as lines a reader scans, in the file's own words: "10s: crash
 * followers:orders-0 for 100s". The time first, then what happens and to whom, then how long;
 * any other field of the fault after it as key=value.
 */
export function faultLines(faults: unknown): string[] {
  if (!Array.isArray(faults)) return [];
  return faults.map((f) => {
    const { at, for: lasts, ...rest } = f as Record<string, unknown>;
    const show = (v: unknown): string => (typeof v === "object" && v !== null ? JSON.stringify(v) : String(v));
    const [verb, target] = Object.entries(rest)[0] ?? ["fault", ""];
    const others = Object.entries(rest)
      .slice(1)
      .map(([k, v]) => `${k}=${show(v)}`);
    return [`${String(at ?? "?")}:`, verb, show(target), ...others, ...(lasts === undefined ? [] : [`for ${String(lasts)}`])].join(" ");
  });
}
