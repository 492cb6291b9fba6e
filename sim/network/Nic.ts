/**
 * A network interface: one egress and one ingress queue, each draining at the NIC's line rate.
 * A message of B bytes occupies a queue for ceil(B / bytesPerUs) microseconds and waits behind
 * whatever was queued before it, which is all the serialization and queueing there is.
 *
 * We assume, unrealistically, no per-packet framing overhead, no TCP windowing or congestion
 * control and an infinitely deep queue: a message is a unit, not a train of packets.
 */
export class Nic {
  private egressFreeAtUs = 0;
  private ingressFreeAtUs = 0;
  /** Bytes moved, for metrics. */
  bytesOut = 0;
  bytesIn = 0;

  constructor(readonly bytesPerSecond: number) {
    if (!(bytesPerSecond > 0)) throw new RangeError("NIC bandwidth must be > 0");
  }

  serializationUs(bytes: number): number {
    return Math.ceil((bytes * 1_000_000) / this.bytesPerSecond);
  }

  /** Queues bytes for sending at nowUs; returns when the last byte has left the NIC. */
  reserveEgress(nowUs: number, bytes: number): number {
    const start = nowUs > this.egressFreeAtUs ? nowUs : this.egressFreeAtUs;
    this.egressFreeAtUs = start + this.serializationUs(bytes);
    this.bytesOut += bytes;
    return this.egressFreeAtUs;
  }

  /** Queues bytes that arrive at nowUs; returns when the last byte has been received. */
  reserveIngress(nowUs: number, bytes: number): number {
    const start = nowUs > this.ingressFreeAtUs ? nowUs : this.ingressFreeAtUs;
    this.ingressFreeAtUs = start + this.serializationUs(bytes);
    this.bytesIn += bytes;
    return this.ingressFreeAtUs;
  }

  /** A host that loses power loses what sat in its queues. */
  reset(nowUs: number): void {
    this.egressFreeAtUs = nowUs;
    this.ingressFreeAtUs = nowUs;
  }
}
