/**
 * The controller's handling of log dir failures (KIP-112, 1.0): the /log_dir_event_notification
 * znodes a broker writes (KafkaController.processLogDirEventNotification) and the
 * KAFKA_STORAGE_ERROR replicas its LeaderAndIsr answers report
 * (processLeaderAndIsrResponseReceived, onReplicasBecomeOffline).
 */
import type { ControllerEventContext } from "./KafkaController.js";
import { LOG_DIR_EVENT_DIR, takeNotifications } from "./controllerNotifications.js";
import type { LeaderAndIsrResponse } from "../common/protocol.js";
import { tpKey } from "../common/protocol.js";

/**
 * KafkaController.processLogDirEventNotification / onBrokerLogDirFailure: a broker lost a log
 * dir. Every replica on it is sent its partition's state again (OnlineReplica); the broker
 * answers KAFKA_STORAGE_ERROR for those on the failed dir.
 */
export function processLogDirEventNotification(c: ControllerEventContext): void {
  c.enqueue((done) =>
    takeNotifications<{ broker: number }>(c.zk, LOG_DIR_EVENT_DIR, (data) => {
      const brokers = [...new Set(data.map((d) => d.broker))].filter((b) => c.sm.live.has(b)).sort((a, b) => a - b);
      if (brokers.length > 0) c.mark("controller: log dir failure notification");
      for (const s of c.states.all()) {
        const on = s.replicas.filter((r) => brokers.includes(r));
        if (on.length > 0) c.channel.addLeaderAndIsr(on, s);
      }
      done();
    }),
  );
}

/**
 * LeaderAndIsrResponseReceived: replicas the broker reports on an offline dir become offline
 * (onReplicasBecomeOffline): partitions they led elect a new leader, then OfflineReplica.
 */
export function processLeaderAndIsrResponse(c: ControllerEventContext, brokerId: number, res: LeaderAndIsrResponse): void {
  if (!c.behaviour.logDirFailureHandling || !c.active()) return;
  // A failed request (a top-level error) is logged and dropped (processLeaderAndIsrResponseReceived).
  if (res.error !== "NONE") return;
  // Replicas answered NONE are online again (processLeaderAndIsrResponseReceived: previous -- online ++ offline).
  const known = c.sm.offlineDirReplicas.get(brokerId);
  if (known !== undefined) for (const e of res.partitionErrors) if (e.error === "NONE") known.delete(tpKey(e.topic, e.partition));
  const failed = res.partitionErrors.filter((e) => e.error === "KAFKA_STORAGE_ERROR").map((e) => tpKey(e.topic, e.partition));
  if (failed.length === 0) return;
  c.enqueue((done) => {
    let set = c.sm.offlineDirReplicas.get(brokerId);
    if (set === undefined) c.sm.offlineDirReplicas.set(brokerId, (set = new Set()));
    const fresh = new Set(failed.filter((k) => !set!.has(k)));
    for (const k of fresh) set.add(k);
    if (fresh.size === 0 || !c.sm.live.has(brokerId)) return done();
    c.mark("controller: replicas on an offline log dir go offline");
    c.sm.electOffline(() => c.sm.offlineReplicas([brokerId], done, fresh));
  });
}
