/** Messages between a ZooKeeper client and a server (the wire format is not simulated). */
import type { WatchEvent, ZkOp, ZkResult } from "./ZkTree.js";

export type ZkRequest =
  | { zk: "connect"; sessionId: number; timeoutUs: number; owner: string }
  | { zk: "ping" }
  | { zk: "close" }
  | { zk: "op"; xid: number; op: ZkOp };

export type ZkReply =
  | { zk: "connected"; sessionId: number; timeoutUs: number }
  | { zk: "expired" }
  | { zk: "pong" }
  | { zk: "result"; xid: number; result: ZkResult }
  | { zk: "watch"; event: WatchEvent };

/** Rough request sizes: ZooKeeper traffic is small next to Kafka's. */
export const ZK_HEADER_BYTES = 64;

export function zkBytes(value: unknown): number {
  return ZK_HEADER_BYTES + (value === undefined ? 0 : JSON.stringify(value).length);
}
