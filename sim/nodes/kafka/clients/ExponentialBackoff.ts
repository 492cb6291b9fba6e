/**
 * org.apache.kafka.common.utils.ExponentialBackoff (KIP-144's reconnect backoff, KIP-580's retry
 * backoff, KIP-601's set-up timeout): initial × 2^min(attempts, log2(max / max(initial, 1 ms))),
 * times a uniform jitter factor. A maximum at or below the initial value gives the initial value,
 * without jitter (expMax = 0; ClusterConnectionStates keeps reconnect.backoff.ms so before 2.7).
 * 3.7 (KIP-580) first lowers the initial value to the maximum, and caps the jittered value at the
 * maximum; before, it may pass the maximum by the jitter. A negative initial value (a LONG with no
 * validator: socket.connection.setup.timeout.ms) gives a negative result, and a NaN term is 0, as
 * Java's (long) cast makes it.
 */
import type { RandomStream } from "../../../Random.js";

export function exponentialBackoffUs(initialUs: number, maxUs: number, attempts: number, jitter: number, rng: RandomStream, capAtMax: boolean): number {
  const initial = capAtMax && maxUs < initialUs ? maxUs : initialUs;
  // Kafka's Math.max(initialInterval, 1) in ms: 1 ms for an initial value <= 0.
  const expMax = maxUs > initial ? Math.log(maxUs / (initial > 0 ? initial : 1000)) / Math.log(2) : 0;
  if (expMax === 0) return initial;
  const term = initial * Math.pow(2, Math.min(attempts, expMax));
  const value = Math.round(term * (jitter > 0 ? rng.uniform(1 - jitter, 1 + jitter) : 1));
  const long = Number.isNaN(value) ? 0 : value;
  return capAtMax ? Math.min(long, maxUs) : long;
}
