/**
 * The sequential notification znodes brokers leave for the controller in ZooKeeper mode:
 * /isr_change_notification/isr_change_<n> (before 2.7) and
 * /log_dir_event_notification/log_dir_event_<n> (KIP-112, 1.0). The controller watches the
 * directory, reads every notification, acts on them and deletes them
 * (KafkaZkClient.getAllIsrChangeNotifications / getAllLogDirEventNotifications and the delete
 * calls of KafkaController.processIsrChangeNotification / processLogDirEventNotification).
 */
import type { ZkClient } from "../../zookeeper/ZkClient.js";
import type { ZkOp } from "../../zookeeper/ZkTree.js";
import { zkAll } from "./PartitionStateStore.js";

export const ISR_CHANGE_DIR = "/isr_change_notification";
export const LOG_DIR_EVENT_DIR = "/log_dir_event_notification";

/** Reads (re-arming the child watch) and deletes every notification; calls back with their data in sequence order. */
export function takeNotifications<T>(zk: ZkClient, dir: string, cb: (data: T[]) => void): void {
  zk.request({ op: "getChildren", path: dir, watch: true }, (r) => {
    const children = (r.children ?? []).slice().sort();
    zkAll(zk, children.map((c) => ({ op: "getData", path: `${dir}/${c}` }) as ZkOp), (rs) => {
      const data = rs.filter((x) => x.code === "OK").map((x) => x.data as T);
      zkAll(zk, children.map((c) => ({ op: "delete", path: `${dir}/${c}`, version: -1 }) as ZkOp), () => cb(data));
    });
  });
}
