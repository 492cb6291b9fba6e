/**
 * The idempotent producer's sequence state (TransactionManager, for a producer without a
 * transactional.id): its producer id and, per partition, the next sequence to assign and the last
 * one acknowledged; and what a sequence error means by release (TransactionManager.canRetry).
 */
import type { Machine } from "../../../Machine.js";
import type { ErrorCode } from "../../common/protocol.js";
import type { ProducerBatch } from "./RecordAccumulator.js";
import type { Behaviour } from "../../common/versions.js";

/** What to do with a batch a sequence error came back for. */
export type SequenceVerdict = "fail" | "restart-sequences" | "as-any-error";

export class ProducerIdempotence {
  /** -1 until InitProducerId answered (and after a reset). */
  producerId = -1;
  initInFlight = false;
  private readonly nextSeq: number[];
  private readonly lastAckedSeq: number[];

  constructor(
    partitions: number,
    private readonly behaviour: Behaviour,
    private readonly machine: Machine,
  ) {
    this.nextSeq = new Array(partitions).fill(0);
    this.lastAckedSeq = new Array(partitions).fill(-1);
  }

  /** Sequences are assigned at a batch's first drain, and again after the producer id changed. */
  assign(b: ProducerBatch): void {
    if (b.baseSequence >= 0 && b.producerId === this.producerId) return;
    b.producerId = this.producerId;
    b.baseSequence = this.nextSeq[b.partition];
    this.nextSeq[b.partition] += b.count;
  }

  acknowledged(b: ProducerBatch): void {
    if (b.producerId === this.producerId) this.lastAckedSeq[b.partition] = Math.max(this.lastAckedSeq[b.partition], b.baseSequence + b.count - 1);
  }

  /**
   * OUT_OF_ORDER_SEQUENCE_NUMBER or UNKNOWN_PRODUCER_ID. Before KIP-360 (TransactionManager.canRetry,
   * 1.0 - 2.4; Sender.canRetry in 0.11) the batch that hit the gap fails and the producer starts
   * over with a new producer id. From 2.5 the batch right after the last acknowledged one (the
   * broker lost this producer's state, say by truncation after a lossy failover) is retried with
   * sequences started over, as bumpIdempotentEpochAndResetIdIfNeeded does with an epoch bump (we
   * take a new producer id, which the broker tells apart the same way).
   */
  onSequenceError(b: ProducerBatch, error: ErrorCode): SequenceVerdict {
    const gap = b.producerId === this.producerId && b.baseSequence === this.lastAckedSeq[b.partition] + 1;
    const bh = this.behaviour;
    if (!bh.idempotentEpochBump && (gap || error === "UNKNOWN_PRODUCER_ID" || !bh.unknownProducerIdError || b.producerId !== this.producerId)) return "fail";
    return gap ? "restart-sequences" : "as-any-error";
  }

  /**
   * A failed batch that carried sequence numbers leaves a gap the broker would refuse: start over
   * with new sequences. One that never left the accumulator has none (Kafka fails it with
   * adjustSequenceNumbers=false and goes on).
   */
  failed(b: ProducerBatch): void {
    if (b.baseSequence >= 0 && b.producerId === this.producerId) this.reset();
  }

  reset(): void {
    if (this.producerId < 0) return;
    this.machine.mark("producer: producer id reset");
    this.producerId = -1;
    this.nextSeq.fill(0);
    this.lastAckedSeq.fill(-1);
  }
}
