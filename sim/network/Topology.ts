/**
 * Where hosts sit (rack, zone) and the one-way propagation latency between two of them, by
 * class: same host, same rack, cross-rack, cross-zone. Each class has a base latency and a
 * jitter: a message's latency is base + uniform(0, jitter).
 */
import type { Host } from "../Host.js";

export type LatencyClass = "sameHost" | "sameRack" | "crossRack" | "crossZone";

export interface LatencySpec {
  baseUs: number;
  jitterUs: number;
}

export type LatencyTable = Record<LatencyClass, LatencySpec>;

/**
 * Default one-way latencies. Same rack through one top-of-rack switch is tens of µs; crossing
 * the spine adds a few hops; between availability zones AWS quotes "single-digit millisecond"
 * round trips, typically ~0.5-1 ms one way (AWS, "Regions and Availability Zones").
 */
export const DEFAULT_LATENCY: LatencyTable = {
  sameHost: { baseUs: 5, jitterUs: 2 },
  sameRack: { baseUs: 50, jitterUs: 20 },
  crossRack: { baseUs: 150, jitterUs: 50 },
  crossZone: { baseUs: 700, jitterUs: 300 },
};

export function latencyClass(a: Host, b: Host): LatencyClass {
  if (a === b) return "sameHost";
  if (a.zone !== b.zone) return "crossZone";
  if (a.rack !== b.rack) return "crossRack";
  return "sameRack";
}
