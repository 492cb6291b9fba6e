/**
 * The controller's view of every partition's leader and ISR (ControllerContext
 * .partitionLeadershipInfo) and its reads and writes of the partition-state znodes
 * (KafkaZkClient.getTopicPartitionStatesRaw / updateLeaderAndIsr).
 *
 * A state change is written conditionally on the znode version the controller last read. A
 * BADVERSION means somebody else (a leader shrinking its ISR before 2.7, or another controller)
 * wrote first: the state is read again and the change decided again, until no partition remains
 * (the `while (remaining.nonEmpty)` loops of ZkPartitionStateMachine.electLeaderForPartitions and
 * ZkReplicaStateMachine.removeReplicasFromIsr). From 2.1 (KAFKA-6082) each write is a multi that
 * also checks /controller_epoch's version, so a deposed controller's write fails and it resigns.
 *
 * We assume, unrealistically, that the 1.1 - 2.3 bug where a retry re-elected every partition of
 * the first pass (fixed by KAFKA-8286 in 2.4) does not exist: every version retries only the
 * partitions that conflicted.
 */
import type { ZkClient } from "../../zookeeper/ZkClient.js";
import type { ZkOp, ZkResult } from "../../zookeeper/ZkTree.js";
import { statePath, tpKey, type PartitionState, type PartitionStateZnode } from "../common/protocol.js";

/** A new leader and ISR for a partition, or null to leave it as it is. */
export type Decision = { leader: number; isr: number[] } | null;

export interface StoreContext {
  zk: ZkClient;
  /** KAFKA-6082 (2.1): writes check /controller_epoch's version. */
  epochCheck: boolean;
  controllerEpoch(): number;
  epochZkVersion(): number;
  /** The controller epoch znode moved on: another controller exists. */
  onFenced(): void;
  mark(name: string): void;
}

export function zkAll(zk: ZkClient, ops: ZkOp[], cb: (results: ZkResult[]) => void): void {
  const results: ZkResult[] = new Array(ops.length);
  let left = ops.length;
  if (left === 0) return cb(results);
  ops.forEach((op, i) =>
    zk.request(op, (r) => {
      results[i] = r;
      if (--left === 0) cb(results);
    }),
  );
}

export class PartitionStateStore {
  private readonly states = new Map<string, PartitionState>();

  constructor(private readonly ctx: StoreContext) {}

  get(key: string): PartitionState | undefined {
    return this.states.get(key);
  }

  has(topic: string): boolean {
    for (const s of this.states.values()) if (s.topic === topic) return true;
    return false;
  }

  /** Every partition, in key order (deterministic). */
  all(): PartitionState[] {
    return [...this.states.keys()].sort().map((k) => this.states.get(k)!);
  }

  keys(filter: (s: PartitionState) => boolean): string[] {
    return this.all()
      .filter(filter)
      .map((s) => tpKey(s.topic, s.partition));
  }

  set(s: PartitionState): void {
    this.states.set(tpKey(s.topic, s.partition), s);
  }

  /** Reads every topic's assignment and every partition's state znode (initializeControllerContext). */
  readAll(cb: () => void): void {
    const zk = this.ctx.zk;
    zk.request({ op: "getChildren", path: "/brokers/topics" }, (t) => {
      const topics = t.children ?? [];
      zkAll(zk, topics.map((name) => ({ op: "getData", path: `/brokers/topics/${name}` }) as ZkOp), (assignments) => {
        const found: Array<{ topic: string; partition: number; replicas: number[] }> = [];
        assignments.forEach((a, i) => {
          const parts = (a.data as { partitions: Record<string, number[]> } | undefined)?.partitions ?? {};
          for (const [p, replicas] of Object.entries(parts)) found.push({ topic: topics[i], partition: Number(p), replicas });
        });
        this.readStates(found, cb);
      });
    });
  }

  /** Re-reads the state znodes of these partitions (their assignment is known). */
  read(keys: readonly string[], cb: () => void): void {
    this.readStates(
      keys.map((k) => this.states.get(k)!).map((s) => ({ topic: s.topic, partition: s.partition, replicas: s.replicas })),
      cb,
    );
  }

  private readStates(parts: Array<{ topic: string; partition: number; replicas: number[] }>, cb: () => void): void {
    zkAll(this.ctx.zk, parts.map((k) => ({ op: "getData", path: statePath(k.topic, k.partition) }) as ZkOp), (rs) => {
      rs.forEach((r, i) => {
        const k = parts[i];
        if (r.code !== "OK") return;
        const d = r.data as PartitionStateZnode;
        this.set({ topic: k.topic, partition: k.partition, leader: d.leader, leaderEpoch: d.leader_epoch, isr: d.isr, zkVersion: r.stat!.version, replicas: k.replicas, controllerEpoch: d.controller_epoch });
      });
      cb();
    });
  }

  /**
   * Reads, decides and writes a new leader and ISR (leader epoch + 1) for each partition, re-reading and
   * deciding again those that hit a zkVersion conflict, until none remain. `written` lists the
   * states written, in key order.
   */
  update(keys: readonly string[], decide: (s: PartitionState) => Decision, cb: (written: PartitionState[]) => void): void {
    const written: PartitionState[] = [];
    if (keys.length === 0) return cb(written);
    // Each pass reads the znodes first (doElectLeaderForPartitions and doRemoveReplicasFromIsr
    // start with getTopicPartitionStatesRaw): a leader may have changed the ISR since.
    const pass = (remaining: readonly string[]): void => this.read(remaining, () => decideAndWrite(remaining));
    const decideAndWrite = (remaining: readonly string[]): void => {
      const next: PartitionState[] = [];
      for (const k of remaining) {
        const s = this.states.get(k);
        const d = s === undefined ? null : decide(s);
        if (s === undefined || d === null) continue;
        next.push({ ...s, leader: d.leader, isr: d.isr, leaderEpoch: s.leaderEpoch + 1, controllerEpoch: this.ctx.controllerEpoch() });
      }
      this.write(next, (ok, conflicts) => {
        written.push(...ok);
        if (conflicts.length === 0) return cb(written.sort((a, b) => (tpKey(a.topic, a.partition) < tpKey(b.topic, b.partition) ? -1 : 1)));
        this.ctx.mark("controller: partition state zkVersion conflict, re-read and retried");
        pass(conflicts);
      });
    };
    pass(keys);
  }

  /**
   * Writes these states once, each conditional on its zkVersion (and the controller epoch).
   * Calls back with the states written and the keys that hit BADVERSION on their own znode; if
   * the controller epoch check failed, the controller is fenced and nothing calls back.
   */
  write(next: readonly PartitionState[], cb: (written: PartitionState[], conflicts: string[]) => void, onFenced?: () => void): void {
    const epoch = this.ctx.controllerEpoch();
    const ops: ZkOp[] = next.map((s) => {
      const set: ZkOp = { op: "setData", path: statePath(s.topic, s.partition), data: { controller_epoch: epoch, leader: s.leader, leader_epoch: s.leaderEpoch, isr: s.isr, version: 1 } satisfies PartitionStateZnode, version: s.zkVersion };
      return this.ctx.epochCheck ? { op: "multi", ops: [{ op: "check", path: "/controller_epoch", version: this.ctx.epochZkVersion() }, set] } : set;
    });
    zkAll(this.ctx.zk, ops, (rs) => {
      const written: PartitionState[] = [];
      const conflicts: string[] = [];
      rs.forEach((r, i) => {
        const s = next[i];
        if (r.code === "OK") {
          const w = { ...s, controllerEpoch: epoch, zkVersion: r.stat!.version };
          this.set(w);
          written.push(w);
        } else if (r.code === "BADVERSION") conflicts.push(tpKey(s.topic, s.partition));
      });
      if (conflicts.length === 0 || !this.ctx.epochCheck) return cb(written, conflicts);
      // A multi fails as a whole with BADVERSION: tell a newer controller epoch from a newer state.
      this.ctx.zk.request({ op: "getData", path: "/controller_epoch" }, (e) => {
        if (e.code !== "OK" || e.stat!.version !== this.ctx.epochZkVersion()) {
          this.ctx.mark("controller: fenced by a newer controller epoch");
          onFenced?.();
          return this.ctx.onFenced();
        }
        cb(written, conflicts);
      });
    });
  }
}
