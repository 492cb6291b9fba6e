/**
 * How a leader's ISR change reaches ZooKeeper and the controller, by version.
 *
 * Before 2.7 (ZkIsrManager here; Partition.updateIsr and ReplicaManager.recordIsrChange /
 * maybePropagateIsrChanges in 2.4): the leader writes the partition-state znode itself,
 * conditional on the zkVersion it knows. On BADVERSION it re-reads the znode and counts the write
 * as done only if the znode already says what it wanted (ReplicationUtils.checkLeaderAndIsrZkData);
 * otherwise the change is skipped ("Cached zkVersion not equal to that in zookeeper") and the
 * in-memory ISR stays. Successful changes are announced to the controller in batches: every
 * 2.5 s, once no change happened for 5 s or 60 s passed since the last announcement, a sequential
 * znode under /isr_change_notification names the partitions.
 *
 * From 2.7 (AlterIsrManager here; KIP-497, AlterIsrManager and BrokerToControllerChannelManager
 * in 2.8, AlterPartition from 3.2): the leader sends the change to the controller, one request
 * in flight with every queued partition. A request that gets no answer (disconnect, timeout) or
 * NOT_CONTROLLER is sent again to the controller the broker knows, for ever; other top-level
 * errors are retried after 50 ms. Per partition (Partition.handleAlterIsrResponse): success
 * commits the ISR and the new znode version; FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION and
 * UNKNOWN_TOPIC_OR_PARTITION give up and leave the change pending until the next LeaderAndIsr;
 * INELIGIBLE_REPLICA and OPERATION_NOT_ATTEMPTED (3.3) drop it; anything else is sent again.
 */
import type { Host } from "../../../Host.js";
import type { Endpoint } from "../../Endpoint.js";
import type { Machine } from "../../Machine.js";
import type { ZkClient } from "../../zookeeper/ZkClient.js";
import { NodeConnection } from "../clients/NodeConnection.js";
import type { Partition } from "../cluster/Partition.js";
import { HEADER_BYTES, statePath, type AlterIsrPartitionResponse, type AlterIsrRequest, type AlterIsrResponse, type PartitionStateZnode } from "../common/protocol.js";

/** What became of a proposed ISR. */
export type IsrChangeOutcome = { kind: "committed"; isr: number[]; zkVersion: number } | { kind: "dropped" } | { kind: "stuck" };

export interface IsrChangeManager {
  /** Sends a change the partition has made pending; the outcome goes to partition.onIsrChangeOutcome. */
  submit(p: Partition, isr: number[]): void;
  /** A LeaderAndIsr reset the partition's ISR state. */
  clearPending?(key: string): void;
  shutdown(): void;
}

/**
 * Tells the partition what became of its proposed ISR, with an `isr-update` trace record: the
 * result, the ISR (as committed, else as proposed), the znode version when committed, and the
 * ZooKeeper code or AlterPartition error when there is one.
 */
function settle(m: Machine, p: Partition, proposed: readonly number[], o: IsrChangeOutcome, error?: string): void {
  const data: Record<string, string | number> = { partition: p.key, leaderEpoch: p.leaderEpoch, result: o.kind, isr: (o.kind === "committed" ? o.isr : proposed).join(",") };
  if (o.kind === "committed") data.zkVersion = o.zkVersion;
  if (error !== undefined) data.error = error;
  m.trace("isr-update", data);
  p.onIsrChangeOutcome(o);
}

/** ReplicaManager.IsrChangePropagationInterval (period of the check), BlackOut, Interval. */
const PROPAGATION_CHECK_US = 2_500_000;
const PROPAGATION_BLACKOUT_US = 5_000_000;
const PROPAGATION_MAX_DELAY_US = 60_000_000;

export class ZkIsrManager implements IsrChangeManager {
  private readonly changed = new Set<string>();
  private lastChangeUs = 0;
  private lastPropagationUs = 0;
  private stopped = false;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly brokerId: number,
    private readonly zk: () => ZkClient,
  ) {
    this.lastPropagationUs = endpoint.machine.now;
    endpoint.machine.setTimer(PROPAGATION_CHECK_US, () => this.maybePropagate());
  }

  submit(p: Partition, isr: number[]): void {
    const m = this.endpoint.machine;
    const epoch = p.leaderEpoch;
    const data: PartitionStateZnode = { controller_epoch: p.controllerEpoch, leader: this.brokerId, leader_epoch: epoch, isr, version: 1 };
    const path = statePath(p.topic, p.index);
    const done = (zkVersion: number | null, code?: string): void => {
      if (p.leaderEpoch !== epoch) return;
      if (zkVersion === null) {
        m.mark("isr: cached zkVersion stale, ISR update skipped");
        return settle(m, p, isr, { kind: "dropped" }, code);
      }
      this.changed.add(p.key);
      this.lastChangeUs = m.now;
      settle(m, p, isr, { kind: "committed", isr, zkVersion });
    };
    this.zk().request({ op: "setData", path, data, version: p.zkVersion }, (res) => {
      if (res.code === "OK") return done(res.stat!.version);
      if (res.code !== "BADVERSION") return done(null, res.code);
      this.zk().request({ op: "getData", path }, (cur) => {
        const d = cur.data as PartitionStateZnode | undefined;
        const same = cur.code === "OK" && d !== undefined && d.leader === data.leader && d.leader_epoch === data.leader_epoch && d.controller_epoch === data.controller_epoch && d.isr.join() === isr.join();
        done(same ? cur.stat!.version : null, "BADVERSION");
      });
    });
  }

  private maybePropagate(): void {
    if (this.stopped) return;
    const m = this.endpoint.machine;
    const now = m.now;
    if (this.changed.size > 0 && (this.lastChangeUs + PROPAGATION_BLACKOUT_US < now || this.lastPropagationUs + PROPAGATION_MAX_DELAY_US < now)) {
      const partitions = [...this.changed].sort().map((k) => {
        const i = k.lastIndexOf("-");
        return { topic: k.slice(0, i), partition: Number(k.slice(i + 1)) };
      });
      this.zk().request({ op: "create", path: "/isr_change_notification/isr_change_", data: { version: 1, partitions }, sequential: true }, () => undefined);
      m.mark("isr: leader announced ISR changes under /isr_change_notification");
      this.changed.clear();
      this.lastPropagationUs = now;
    }
    m.setTimer(PROPAGATION_CHECK_US, () => this.maybePropagate());
  }

  shutdown(): void {
    this.stopped = true;
  }
}

interface QueuedChange {
  p: Partition;
  isr: number[];
  leaderEpoch: number;
  zkVersion: number;
}

/** BrokerToControllerRequestThread's backoff when no controller is known; DefaultAlterIsrManager's retry delay. */
const NO_CONTROLLER_BACKOFF_US = 100_000;
const RETRY_US = 50_000;

export interface AlterIsrSettings {
  brokerId: number;
  brokerEpoch(): number;
  /** The controller named by the broker's metadata cache, if alive there (MetadataCacheControllerNodeProvider). */
  controller(): Host | undefined;
  /** "AlterIsr" (2.7) or "AlterPartition" (3.2). */
  api: "AlterIsr" | "AlterPartition";
  requestTimeoutUs: number;
}

export class AlterIsrManager implements IsrChangeManager {
  private readonly queued = new Map<string, QueuedChange>();
  private inFlight = false;
  private conn: NodeConnection | null = null;
  private stopped = false;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly s: AlterIsrSettings,
  ) {}

  submit(p: Partition, isr: number[]): void {
    if (this.queued.has(p.key)) return settle(this.endpoint.machine, p, isr, { kind: "dropped" }, "already queued");
    this.queued.set(p.key, { p, isr, leaderEpoch: p.leaderEpoch, zkVersion: p.zkVersion });
    this.endpoint.machine.mark(this.s.api === "AlterIsr" ? "isr: leader sent AlterIsr" : "isr: leader sent AlterPartition");
    this.maybeSend();
  }

  shutdown(): void {
    this.stopped = true;
    this.conn?.close();
  }

  private retry(delayUs: number): void {
    this.endpoint.machine.setTimer(delayUs, () => {
      this.inFlight = false;
      this.maybeSend();
    });
  }

  private maybeSend(): void {
    if (this.inFlight || this.stopped || this.queued.size === 0) return;
    this.inFlight = true;
    const host = this.s.controller();
    if (host === undefined) return this.retry(NO_CONTROLLER_BACKOFF_US);
    if (this.conn === null || this.conn.to !== host) {
      this.conn?.close();
      this.conn = new NodeConnection(this.endpoint, host, this.s.requestTimeoutUs);
    }
    const sent = [...this.queued.values()];
    const req: AlterIsrRequest = {
      brokerId: this.s.brokerId,
      brokerEpoch: this.s.brokerEpoch(),
      partitions: sent.map((c) => ({ topic: c.p.topic, partition: c.p.index, leaderEpoch: c.leaderEpoch, newIsr: c.isr, currentIsrVersion: c.zkVersion })),
    };
    this.conn.send<AlterIsrResponse>(this.s.api, req, HEADER_BYTES + 24 * sent.length, (res) => {
      if (this.stopped) return;
      if (res === null || res.error === "NOT_CONTROLLER") {
        // Disconnected, timed out or asked the wrong broker: find the controller again and resend.
        this.endpoint.machine.mark("isr: AlterIsr got no answer from the controller, retrying");
        this.conn?.close();
        this.conn = null;
        return this.retry(NO_CONTROLLER_BACKOFF_US);
      }
      if (res.error !== "NONE") return this.retry(RETRY_US);
      let again = false;
      for (const r of res.partitions) {
        const c = sent.find((x) => x.p.topic === r.topic && x.p.index === r.partition);
        if (c === undefined || this.queued.get(c.p.key) !== c) continue;
        this.queued.delete(c.p.key);
        again = this.onPartitionResponse(c, r) || again;
      }
      // Sent again at once while the controller accepts; a refused partition waits a little.
      if (again) return this.retry(RETRY_US);
      this.inFlight = false;
      this.maybeSend();
    });
  }

  /** LeaderAndIsr in 2.7 - 2.8 drops the partition's queued change (AlterIsrManager.clearPending). */
  clearPending(key: string): void {
    this.queued.delete(key);
  }

  /** Partition.handleAlterIsrResponse (2.8) / handleAlterPartitionError (3.x); true when it is to be sent again. */
  private onPartitionResponse(c: QueuedChange, r: AlterIsrPartitionResponse): boolean {
    const p = c.p;
    const m = this.endpoint.machine;
    switch (r.error) {
      case "NONE":
        // A stale answer (older epoch or znode version) leaves the change pending.
        settle(m, p, c.isr, r.leaderEpoch !== p.leaderEpoch || r.currentIsrVersion < p.zkVersion ? { kind: "stuck" } : { kind: "committed", isr: r.isr, zkVersion: r.currentIsrVersion });
        return false;
      case "INELIGIBLE_REPLICA":
      case "OPERATION_NOT_ATTEMPTED":
        settle(m, p, c.isr, { kind: "dropped" }, r.error);
        return false;
      case "FENCED_LEADER_EPOCH":
      case "INVALID_UPDATE_VERSION":
      case "UNKNOWN_TOPIC_OR_PARTITION":
        m.mark("isr: AlterIsr refused, change stays pending until LeaderAndIsr");
        settle(m, p, c.isr, { kind: "stuck" }, r.error);
        return false;
      default:
        this.queued.set(p.key, c);
        return true;
    }
  }
}
