/**
 * A network interface: one egress and one ingress queue, each draining at the NIC's line rate.
 * A message occupies a queue for the time its frames take on the wire (Framing.ts: TCP/IPv4/
 * Ethernet headers per MSS-sized segment, preamble and inter-frame gap) and waits behind whatever
 * was queued before it, which is all the serialization and queueing there is. The ACKs a message
 * draws occupy the opposite direction: an inbound message's ACKs leave through egress, an
 * outbound one's come back through ingress.
 *
 * Time on a queue is kept exactly (whole microseconds plus a remainder in 1/bytesPerSecond µs),
 * so a stream of small messages is not rounded up to a microsecond each; what a caller gets back
 * is the next whole microsecond.
 *
 * We assume, unrealistically, no TCP windowing or congestion control and an infinitely deep
 * queue: a message is a unit, not a train of packets; and the ACKs are charged when the message
 * is queued, not spread over its transfer.
 */
import { ackBytesOf, wireBytesOf } from "./Framing.js";

class LineQueue {
  private freeAtUs = 0;
  /** The part of a microsecond past freeAtUs still taken, in 1/bytesPerSecond µs. */
  private remainder = 0;
  /** Bytes put on the wire (frames, gaps and ACKs included). */
  wireBytes = 0;

  constructor(private readonly bytesPerSecond: number) {}

  /** Occupies the line for `wireBytes` from nowUs or when it frees up; returns when it is free again. */
  occupy(nowUs: number, wireBytes: number): number {
    if (nowUs >= this.freeAtUs + (this.remainder > 0 ? 1 : 0)) {
      this.freeAtUs = nowUs;
      this.remainder = 0;
    }
    const total = this.remainder + wireBytes * 1_000_000;
    const whole = Math.floor(total / this.bytesPerSecond);
    this.freeAtUs += whole;
    this.remainder = total - whole * this.bytesPerSecond;
    this.wireBytes += wireBytes;
    return this.freeAtUs + (this.remainder > 0 ? 1 : 0);
  }

  reset(nowUs: number): void {
    this.freeAtUs = nowUs;
    this.remainder = 0;
  }
}

export class Nic {
  private readonly egress: LineQueue;
  private readonly ingress: LineQueue;
  /** Message bytes moved (TCP payload), for metrics. */
  bytesOut = 0;
  bytesIn = 0;

  constructor(readonly bytesPerSecond: number) {
    if (!(bytesPerSecond > 0)) throw new RangeError("NIC bandwidth must be > 0");
    this.egress = new LineQueue(bytesPerSecond);
    this.ingress = new LineQueue(bytesPerSecond);
  }

  /** Time on the wire of a message of this many payload bytes, rounded up to a microsecond. */
  serializationUs(bytes: number): number {
    return Math.ceil((wireBytesOf(bytes) * 1_000_000) / this.bytesPerSecond);
  }

  /** Queues a message for sending at nowUs; returns when its last frame has left the NIC. */
  reserveEgress(nowUs: number, bytes: number): number {
    this.bytesOut += bytes;
    this.ingress.occupy(nowUs, ackBytesOf(bytes));
    return this.egress.occupy(nowUs, wireBytesOf(bytes));
  }

  /** Queues a message that arrives at nowUs; returns when its last frame has been received. */
  reserveIngress(nowUs: number, bytes: number): number {
    this.bytesIn += bytes;
    this.egress.occupy(nowUs, ackBytesOf(bytes));
    return this.ingress.occupy(nowUs, wireBytesOf(bytes));
  }

  /** Bytes on the wire per direction, frames and ACKs included. */
  get wireBytesOut(): number {
    return this.egress.wireBytes;
  }

  get wireBytesIn(): number {
    return this.ingress.wireBytes;
  }

  /** Time each direction has been transmitting, in µs (a utilization counter). */
  get egressBusyUs(): number {
    return (this.egress.wireBytes * 1_000_000) / this.bytesPerSecond;
  }

  get ingressBusyUs(): number {
    return (this.ingress.wireBytes * 1_000_000) / this.bytesPerSecond;
  }

  /** A host that loses power loses what sat in its queues. */
  reset(nowUs: number): void {
    this.egress.reset(nowUs);
    this.ingress.reset(nowUs);
  }
}
