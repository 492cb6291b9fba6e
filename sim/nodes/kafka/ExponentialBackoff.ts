/**
 * org.apache.kafka.common.utils.ExponentialBackoff (KIP-144's reconnect backoff, KIP-580's retry
 * backoff, KIP-601's set-up timeout): initial × 2^min(attempts, log2(max / initial)), times a
 * uniform jitter factor. Before 3.7 the jittered value may pass the maximum by the jitter; 3.7
 * caps it (KIP-580). A maximum at or below the initial value is used as is, without jitter.
 */
import type { RandomStream } from "../../Random.js";

export function exponentialBackoffUs(initialUs: number, maxUs: number, attempts: number, jitter: number, rng: RandomStream, capAtMax: boolean): number {
  if (maxUs <= initialUs) return maxUs;
  const expMax = Math.log(maxUs / initialUs) / Math.log(2);
  const term = initialUs * Math.pow(2, Math.min(attempts, expMax));
  const value = Math.round(term * (jitter > 0 ? rng.uniform(1 - jitter, 1 + jitter) : 1));
  return capAtMax ? Math.min(value, maxUs) : value;
}
