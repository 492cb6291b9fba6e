/**
 * A ZooKeeper ensemble as the servers agree on it: the committed data tree and the session
 * table. Zab itself is not simulated message by message; what a client can observe of it is:
 * a server serves only while it can reach a majority of running servers (so the minority side
 * of a partition stops serving), a write commits after a quorum round trip plus the leader's
 * log fsync, and sessions expire at the leader when no heartbeat arrived for their timeout.
 */
import type { Host } from "../../Host.js";
import type { Network } from "../../network/Network.js";
import type { Simulation } from "../../Simulation.js";
import { ZkTree, type WatchEvent, type ZkOp, type ZkResult } from "./ZkTree.js";

/**
 * ZooKeeper's tickTime as zoo_sample.cfg sets it (a server given no tickTime uses
 * ZooKeeperServer.DEFAULT_TICK_TIME, 3000 ms, as Kafka's own config/zookeeper.properties leaves it);
 * session expiry is checked once per tick.
 */
export const ZK_TICK_US = 2_000_000;
/** The leader's transaction log fsync before it acks a proposal (an SSD-ish figure). */
export const ZK_LOG_FSYNC_US = 1_000;

/** Where a session's notifications go: the connection it currently has, if any. */
export interface SessionSink {
  notify(event: WatchEvent): void;
  expired(): void;
}

export interface ZkSession {
  id: number;
  timeoutUs: number;
  lastHeardUs: number;
  sink: SessionSink | null;
  /** Watch events that fired while the client had no connection. */
  pending: WatchEvent[];
  /** Who opened it (for traces and the expireSession fault). */
  owner: string;
}

export class ZkEnsemble {
  readonly tree: ZkTree;
  readonly sessions = new Map<number, ZkSession>();
  private nextSession = 1;

  constructor(
    private readonly sim: Simulation,
    private readonly network: Network,
    readonly servers: readonly Host[],
  ) {
    this.tree = new ZkTree((session, event) => this.deliver(session, event));
    for (const path of ["/brokers", "/brokers/ids", "/brokers/topics", "/admin", "/isr_change_notification", "/log_dir_event_notification"]) this.tree.apply(0, { op: "create", path, data: null });
    this.sim.schedule(ZK_TICK_US, () => this.tick(), undefined);
  }

  private get majority(): number {
    return Math.floor(this.servers.length / 2) + 1;
  }

  /** True when this server is running and reaches a majority of running servers (itself included). */
  hasQuorum(server: Host): boolean {
    if (server.state !== "running") return false;
    let reachable = 0;
    for (const s of this.servers) {
      if (s.state !== "running") continue;
      if (s === server || (!this.network.faults.isBlocked(server, s) && !this.network.faults.isBlocked(s, server))) reachable++;
    }
    return reachable >= this.majority;
  }

  private anyQuorum(): boolean {
    return this.servers.some((s) => this.hasQuorum(s));
  }

  /** Time for a write received by this server to commit: a round trip to the nearest peer plus the log fsync. */
  commitDelayUs(server: Host): number {
    let nearest = 0;
    if (this.servers.length > 1) {
      nearest = Infinity;
      for (const s of this.servers) if (s !== server) nearest = Math.min(nearest, 2 * this.network.propagationUs(server, s));
    }
    return nearest + ZK_LOG_FSYNC_US;
  }

  openSession(timeoutUs: number, owner: string): ZkSession {
    // ZooKeeperServer.processConnectRequest bounds the requested timeout to [minSessionTimeout,
    // maxSessionTimeout], by default 2 and 20 ticks (getMinSessionTimeout / getMaxSessionTimeout;
    // the admin guide's minSessionTimeout and maxSessionTimeout): a request of 0 gets 4000 ms here.
    const bounded = Math.min(Math.max(timeoutUs, 2 * ZK_TICK_US), 20 * ZK_TICK_US);
    const s: ZkSession = { id: this.nextSession++, timeoutUs: bounded, lastHeardUs: this.sim.now, sink: null, pending: [], owner };
    this.sessions.set(s.id, s);
    this.sim.trace.record(this.sim.now, "zookeeper", "zk-session-open", { session: s.id, owner });
    return s;
  }

  touch(session: ZkSession): void {
    session.lastHeardUs = this.sim.now;
  }

  /** Applies a committed operation; watches it fires are delivered to their sessions. */
  apply(session: ZkSession, op: ZkOp): ZkResult {
    if (!this.sessions.has(session.id)) return { code: "SESSIONEXPIRED" };
    return this.tree.apply(session.id, op);
  }

  /** Ends a session: its ephemeral znodes go, which fires the watches on them. */
  expire(id: number, why: string): void {
    const s = this.sessions.get(id);
    if (s === undefined) return;
    this.sessions.delete(id);
    this.sim.trace.record(this.sim.now, "zookeeper", "zk-session-expired", { session: id, owner: s.owner, why });
    this.sim.marks.hit(`zookeeper: session expired (${why})`);
    this.tree.dropWatches(id);
    this.tree.deleteEphemerals(id);
    s.sink?.expired();
    s.sink = null;
  }

  /** Expires the session a host's client holds (the expireSession fault). */
  expireSessionsOf(owner: string): void {
    for (const s of [...this.sessions.values()]) if (s.owner === owner) this.expire(s.id, "fault");
  }

  attach(session: ZkSession, sink: SessionSink): void {
    session.sink = sink;
    const pending = session.pending;
    session.pending = [];
    for (const e of pending) sink.notify(e);
  }

  private deliver(sessionId: number, event: WatchEvent): void {
    const s = this.sessions.get(sessionId);
    if (s === undefined) return;
    if (s.sink !== null) s.sink.notify(event);
    else s.pending.push(event);
  }

  /** The leader's session tracker: only a serving ensemble expires sessions. */
  private tick(): void {
    const now = this.sim.now;
    if (!this.anyQuorum()) {
      // A newly elected leader gives every session a fresh timeout.
      for (const s of this.sessions.values()) s.lastHeardUs = now;
    } else {
      for (const s of [...this.sessions.values()]) if (now - s.lastHeardUs >= s.timeoutUs) this.expire(s.id, "timeout");
    }
    this.sim.schedule(ZK_TICK_US, () => this.tick(), undefined);
  }
}
