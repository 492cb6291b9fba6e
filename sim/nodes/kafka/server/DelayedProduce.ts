/**
 * An acks=all produce parked in the purgatory (kafka.server.DelayedProduce): it answers when
 * every partition's high watermark has passed its records, or at the request timeout with
 * REQUEST_TIMED_OUT for the partitions still waiting. A partition whose log dir went offline
 * meanwhile would answer KAFKA_STORAGE_ERROR when another partition of the request triggers a
 * check (DelayedProduce.tryComplete asks ReplicaManager.getPartitionOrError); we assume, as for a
 * single-partition request, that it waits for the timeout.
 */
import type { Machine } from "../../Machine.js";
import type { Partition } from "../cluster/Partition.js";
import type { ErrorCode, ProducePartitionResponse } from "../common/protocol.js";

export interface ProduceWait {
  p: Partition;
  requiredOffset: number;
  result: ProducePartitionResponse;
}

export function delayProduce(m: Machine, timeoutUs: number, waits: readonly ProduceWait[], isOffline: (p: Partition) => boolean, respond: () => void): void {
  let left = waits.length;
  let finished = false;
  const entries = waits.map((w) => ({
    requiredOffset: w.requiredOffset,
    settled: false,
    complete(error: ErrorCode): void {
      if (this.settled || finished) return;
      this.settled = true;
      w.result.error = isOffline(w.p) ? "KAFKA_STORAGE_ERROR" : error;
      if (--left === 0) {
        finished = true;
        m.cancelTimer(timer);
        respond();
      }
    },
  }));
  const timer = m.setTimer(timeoutUs, () => {
    if (finished) return;
    finished = true;
    waits.forEach((w, i) => {
      if (!entries[i].settled) {
        w.result.error = "REQUEST_TIMED_OUT";
        w.p.forget(entries[i]);
      }
    });
    m.mark("produce: DelayedProduce timed out");
    respond();
  });
  waits.forEach((w, i) => w.p.await(entries[i]));
}
