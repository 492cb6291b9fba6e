/**
 * The controller's handling of ISR changes a leader reports (KafkaController.processAlterIsr /
 * processAlterPartition from 2.7, processIsrChangeNotification before): each runs as an event
 * on the controller's queue.
 */
import type { ControllerEventContext } from "./KafkaController.js";
import { answerOf, validateAlterIsr } from "./alterIsrValidation.js";
import { ISR_CHANGE_DIR, takeNotifications } from "./controllerNotifications.js";
import type { AlterIsrRequest, AlterIsrResponse } from "../common/protocol.js";
import { tpKey } from "../common/protocol.js";

/**
 * KafkaController.processAlterIsr (2.7; processAlterPartition from 3.2): the controller checks
 * the broker epoch, then each partition (alterIsrValidation), writes the new ISR (same leader
 * epoch) and tells every broker; the leader learns the result from the answer.
 */
export function processAlterIsr(c: ControllerEventContext, req: AlterIsrRequest, respond: (r: AlterIsrResponse) => void): void {
  c.enqueue((done) => {
    const b = c.sm.live.get(req.brokerId);
    if (b === undefined || (c.behaviour.brokerEpoch && req.brokerEpoch !== b.epoch)) {
      respond({ error: "STALE_BROKER_EPOCH", partitions: [] });
      return done();
    }
    const { answers, toWrite } = validateAlterIsr(req, (k) => c.states.get(k), c.sm.isOnline, c.behaviour.ineligibleReplicaCheck, c.epoch());
    // A deposed controller's write fails (ControllerMovedException), which processAlterPartition
    // catches as any Throwable: UNKNOWN_SERVER_ERROR in every release; the leader sends again.
    const fenced = (): void => respond({ error: "UNKNOWN_SERVER_ERROR", partitions: [] });
    if ([...answers.values()].some((a) => a.error === "INELIGIBLE_REPLICA")) c.mark("controller: AlterPartition refused an ineligible replica");
    c.states.write(toWrite, (written, conflicts) => {
      for (const s of written) answers.set(tpKey(s.topic, s.partition), answerOf(s));
      for (const k of conflicts) answers.set(k, answerOf(c.states.get(k)!, "INVALID_UPDATE_VERSION"));
      if (written.length > 0) {
        c.mark("controller: ISR changed by AlterIsr");
        c.channel.addUpdateMetadata(c.sm.live.keys());
      }
      // A write that failed otherwise (the session ended, say) is answered as Kafka maps the exception.
      const answer = (p: { topic: string; partition: number }) => answers.get(tpKey(p.topic, p.partition)) ?? { topic: p.topic, partition: p.partition, error: "UNKNOWN_SERVER_ERROR" as const, leaderEpoch: -1, isr: [], currentIsrVersion: -1 };
      respond({ error: "NONE", partitions: req.partitions.map(answer) });
      done();
    }, fenced);
  });
}

/**
 * Before 2.7 leaders write ISR changes themselves and announce them with sequential znodes
 * under /isr_change_notification (KafkaController.processIsrChangeNotification): the
 * controller re-reads those partitions, sends UpdateMetadata and deletes the notifications. At
 * failover the old notifications are deleted unread (the controller reads every state anyway).
 */
export function processIsrChangeNotification(c: ControllerEventContext): void {
  if (c.behaviour.alterIsr) return;
  c.enqueue((done) =>
    takeNotifications<{ partitions: Array<{ topic: string; partition: number }> }>(c.zk, ISR_CHANGE_DIR, (data) => {
      const keys = [...new Set(data.flatMap((d) => d.partitions.map((p) => tpKey(p.topic, p.partition))))].filter((k) => c.states.get(k) !== undefined).sort();
      if (keys.length === 0) return done();
      c.states.read(keys, () => {
        c.mark("controller: ISR change notification propagated");
        c.channel.addUpdateMetadata(c.sm.live.keys());
        done();
      });
    }),
  );
}
