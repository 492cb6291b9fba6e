/**
 * An acks=all produce parked in the purgatory (kafka.server.DelayedProduce): it answers when
 * every partition's high watermark has passed its records, or at the request timeout with
 * REQUEST_TIMED_OUT for the partitions still waiting. A partition whose log dir went offline
 * meanwhile would answer KAFKA_STORAGE_ERROR when another partition of the request triggers a
 * check (DelayedProduce.tryComplete asks ReplicaManager.getPartitionOrError); we assume, as for a
 * single-partition request, that it waits for the timeout.
 */
import type { Machine } from "../../Machine.js";
import { DeadlineQueue, type Expirable } from "./DeadlineQueue.js";
import type { Partition } from "../cluster/Partition.js";
import type { ErrorCode, ProducePartitionResponse } from "../common/protocol.js";

export interface ProduceWait {
  p: Partition;
  requiredOffset: number;
  result: ProducePartitionResponse;
}

const NOTHING = (): never => {
  throw new Error("a settled DelayedProduce was used");
};

/** One partition of a parked produce, waiting in that partition's list for the high watermark. */
class PartitionWait {
  settled = false;

  constructor(
    private readonly produce: DelayedProduce,
    readonly wait: ProduceWait,
    readonly requiredOffset: number,
  ) {}

  complete(error: ErrorCode): void {
    if (this.settled || this.produce.done) return;
    this.settled = true;
    this.produce.settle(this.wait, error);
  }
}

/**
 * A parked produce. Once answered it lets go of its request and response: it stays in the
 * timeout queue until its deadline comes round, and should hold no batches meanwhile.
 */
class DelayedProduce implements Expirable {
  done = false;
  private left: number;
  entries: PartitionWait[];

  constructor(
    private readonly machine: Machine,
    private waits: readonly ProduceWait[],
    private isOffline: (p: Partition) => boolean,
    private respond: () => void,
  ) {
    this.left = waits.length;
    this.entries = waits.map((w) => new PartitionWait(this, w, w.requiredOffset));
  }

  settle(w: ProduceWait, error: ErrorCode): void {
    w.result.error = this.isOffline(w.p) ? "KAFKA_STORAGE_ERROR" : error;
    if (--this.left === 0) this.finish();
  }

  expire(): void {
    this.waits.forEach((w, i) => {
      if (!this.entries[i].settled) {
        w.result.error = "REQUEST_TIMED_OUT";
        w.p.forget(this.entries[i]);
      }
    });
    this.machine.mark("produce: DelayedProduce timed out");
    this.finish();
  }

  private finish(): void {
    this.done = true;
    const respond = this.respond;
    this.waits = [];
    this.entries = [];
    this.respond = this.isOffline = NOTHING;
    respond();
  }
}

/** A broker's acks=all produces waiting for their high watermarks, with their timeouts in one queue. */
export class ProducePurgatory {
  private readonly timeouts: DeadlineQueue<DelayedProduce>;

  constructor(private readonly machine: Machine) {
    this.timeouts = new DeadlineQueue(machine);
  }

  /** Parks a produce until every partition's high watermark passes its records, or timeoutUs. */
  park(timeoutUs: number, waits: readonly ProduceWait[], isOffline: (p: Partition) => boolean, respond: () => void): void {
    const produce = new DelayedProduce(this.machine, waits, isOffline, respond);
    this.timeouts.add(this.machine.now + timeoutUs, produce);
    waits.forEach((w, i) => w.p.await(produce.entries[i]));
  }
}
