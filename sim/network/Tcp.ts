/**
 * Linux's TCP timers, as the figures a connection's retransmissions run on: the retransmission
 * timeout (RTO), its exponential backoff, and when a connection or a connection attempt gives
 * up. Times are integer microseconds.
 *
 * We assume, unrealistically, a smoothed RTT equal to the path's mean RTT from the first segment
 * on (no RTT sampling, no Karn's rule), no jiffies granularity, and no thin-stream linear
 * timeouts (tcp_thin_linear_timeouts is off by default).
 */

/** include/net/tcp.h: TCP_RTO_MIN = HZ/5, the floor of rttvar and so of every RTO. */
export const TCP_RTO_MIN_US = 200_000;
/** include/net/tcp.h: TCP_RTO_MAX = 120*HZ, the ceiling of the doubled RTO. */
export const TCP_RTO_MAX_US = 120_000_000;
/** include/net/tcp.h: TCP_TIMEOUT_INIT = 1*HZ (RFC 6298 2.1), the first SYN's RTO. */
export const TCP_TIMEOUT_INIT_US = 1_000_000;

/** The sysctls that decide when TCP gives up (Documentation/networking/ip-sysctl.rst). */
export interface TcpSysctls {
  /** net.ipv4.tcp_retries2, default 15: ~924.6 s of retransmissions with a 200 ms base. */
  retries2: number;
  /** net.ipv4.tcp_syn_retries, default 6: a connect gives up after 127 s. */
  synRetries: number;
  /**
   * net.ipv4.tcp_syn_linear_timeouts: SYN retransmissions at the initial RTO before the
   * doubling starts. 0 before Linux 6.5; 6.5 added it with a default of 4 (connect gives up
   * after 131 s instead of 127 s). We default to the older kernels most Kafka clusters ran.
   */
  synLinearTimeouts: number;
  /**
   * net.ipv4.tcp_orphan_retries, default 0, which tcp_orphan_retries() (tcp_timer.c) turns into
   * 8 for a socket that sent recently: a closed socket's data and FIN are given up after ~102 s.
   */
  orphanRetries: number;
}

export const LINUX_TCP_DEFAULTS: TcpSysctls = { retries2: 15, synRetries: 6, synLinearTimeouts: 0, orphanRetries: 8 };

/**
 * tcp_model_timeout (net/ipv4/tcp_timer.c): how long `boundary` exponentially backed-off
 * retransmissions take from rtoBase, the doubling capped at TCP_RTO_MAX. retransmits_timed_out
 * compares the time since the first retransmitted segment was sent (retrans_stamp) with this, so
 * the limit is a length of time, not a count: 924.6 s for tcp_retries2 = 15 and 200 ms.
 */
export function tcpModelTimeoutUs(boundary: number, rtoBaseUs: number): number {
  const linearBackoffThresh = Math.floor(Math.log2(TCP_RTO_MAX_US / rtoBaseUs));
  if (boundary <= linearBackoffThresh) return ((2 << boundary) - 1) * rtoBaseUs;
  return ((2 << linearBackoffThresh) - 1) * rtoBaseUs + (boundary - linearBackoffThresh) * TCP_RTO_MAX_US;
}

/**
 * The RTO of a connection on a path of this mean RTT: __tcp_set_rto (tcp_input.c) is srtt +
 * rttvar, and tcp_rtt_estimator keeps rttvar at least tcp_rto_min, so on a quiet LAN the RTO is
 * 200 ms plus the RTT.
 */
export function initialRtoUs(rttUs: number): number {
  return Math.min(TCP_RTO_MIN_US + rttUs, TCP_RTO_MAX_US);
}

/** tcp_retransmit_timer: each expiry doubles the RTO, up to TCP_RTO_MAX. */
export function backedOffRtoUs(rtoUs: number): number {
  return Math.min(rtoUs * 2, TCP_RTO_MAX_US);
}
