/**
 * What a message of B bytes of TCP payload costs on an Ethernet link: it is cut into
 * ceil(B / MSS) segments, and each segment carries TCP, IPv4 and Ethernet headers and occupies
 * the wire for the preamble and the inter-frame gap too. The receiver answers with pure ACKs in
 * the other direction, one for every second full segment (delayed ACK); the odd segment left over
 * is acked by the delayed-ACK timer, which in Kafka's request/response traffic mostly finds a
 * response to ride on, or data behind it to ack together, so it costs no frame of its own.
 *
 * We assume, unrealistically, that every message starts a fresh segment (true with Kafka's
 * TCP_NODELAY when the sender is not window-limited; a window-limited sender would coalesce small
 * messages) and that there are no retransmissions. Everything is arithmetic per message: no packet
 * is an event.
 */

/** IEEE 802.3 Ethernet: 1500-byte MTU (the IP packet). */
export const ETHERNET_MTU = 1500;
/** IEEE 802.3 clause 3: 7-byte preamble + 1-byte start-of-frame delimiter. */
export const ETHERNET_PREAMBLE_BYTES = 8;
/** IEEE 802.3: destination + source MAC (6 + 6) + EtherType (2). */
export const ETHERNET_HEADER_BYTES = 14;
/** IEEE 802.3: frame check sequence (CRC-32). */
export const ETHERNET_FCS_BYTES = 4;
/** IEEE 802.3 clause 4.4.2: the minimum inter-packet gap is 96 bit times. */
export const ETHERNET_IFG_BYTES = 12;
/** IEEE 802.3: a frame (header through FCS) is at least 64 bytes; shorter ones are padded. */
export const ETHERNET_MIN_FRAME_BYTES = 64;
/** RFC 791: an IPv4 header without options. */
export const IPV4_HEADER_BYTES = 20;
/**
 * RFC 9293 20-byte TCP header plus the RFC 7323 timestamps option (10 bytes, padded to 12 with
 * two NOPs), which Linux sends on every segment by default (net.ipv4.tcp_timestamps = 1).
 */
export const TCP_HEADER_BYTES = 20 + 12;

/** Payload bytes per segment: 1500 - 20 - 32 = 1448, the MSS Linux uses on Ethernet with timestamps. */
export const TCP_MSS = ETHERNET_MTU - IPV4_HEADER_BYTES - TCP_HEADER_BYTES;

/** Wire bytes a segment costs beyond its payload: 8 + 14 + 20 + 32 + 4 + 12 = 90. */
export const SEGMENT_OVERHEAD_BYTES = ETHERNET_PREAMBLE_BYTES + ETHERNET_HEADER_BYTES + IPV4_HEADER_BYTES + TCP_HEADER_BYTES + ETHERNET_FCS_BYTES + ETHERNET_IFG_BYTES;

/** A pure ACK: headers only (14 + 20 + 32 + 4 = 70 >= 64, so no padding) plus preamble and gap = 90. */
export const ACK_WIRE_BYTES = ETHERNET_PREAMBLE_BYTES + Math.max(ETHERNET_MIN_FRAME_BYTES, ETHERNET_HEADER_BYTES + IPV4_HEADER_BYTES + TCP_HEADER_BYTES + ETHERNET_FCS_BYTES) + ETHERNET_IFG_BYTES;

/** Segments a message of this many payload bytes is cut into (an empty send still costs one). */
export function segmentsOf(payloadBytes: number): number {
  return payloadBytes <= 0 ? 1 : Math.ceil(payloadBytes / TCP_MSS);
}

/** Bytes the message occupies on the wire in its own direction. A 1448-byte segment costs 1538. */
export function wireBytesOf(payloadBytes: number): number {
  return payloadBytes + segmentsOf(payloadBytes) * SEGMENT_OVERHEAD_BYTES;
}

/**
 * Bytes of pure ACKs the message draws in the reverse direction. Linux acks at once when more
 * than one full-sized segment has arrived unacknowledged (tcp_input.c __tcp_ack_snd_check; RFC
 * 1122 4.2.3.2: at least every second full-sized segment); a lone segment waits for the
 * delayed-ACK timer, by when a reply or more data usually carries the ACK.
 */
export function ackBytesOf(payloadBytes: number): number {
  return Math.floor(segmentsOf(payloadBytes) / 2) * ACK_WIRE_BYTES;
}
