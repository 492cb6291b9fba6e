/**
 * The ZooKeeper client a broker embeds (Kafka's ZooKeeperClient over the ZooKeeper Java client).
 * It connects to one server at a time, pings every third of the session timeout, gives up on a
 * server it has not heard from for two thirds of it and moves to the next. The session timeout is
 * the requested one until a server grants one, then the negotiated one (the server bounds it). Requests made while
 * disconnected wait and are re-sent on reconnect (ZooKeeperClient retries CONNECTIONLOSS); when
 * the session has expired they fail with SESSIONEXPIRED and a new session is opened, after
 * which the owner re-creates its ephemeral znodes (KafkaZkClient's state change handlers).
 */
import type { Host } from "../../Host.js";
import type { Socket } from "../../network/Network.js";
import type { Endpoint } from "../Endpoint.js";
import { zkBytes, type ZkReply, type ZkRequest } from "./protocol.js";
import type { WatchEvent, ZkOp, ZkResult } from "./ZkTree.js";

export interface ZkClientListener {
  onWatch(event: WatchEvent): void;
  /** A new session after the old one expired (or the first one): ephemerals must be re-created. */
  onSession(sessionId: number, first: boolean): void;
  onSessionExpired(): void;
}

type Callback = (result: ZkResult) => void;

export class ZkClient {
  sessionId = 0;
  private socket: Socket | null = null;
  private connected = false;
  private serverIndex: number;
  private lastHeardUs = 0;
  private nextXid = 1;
  private readonly inFlight = new Map<number, { op: ZkOp; cb: Callback }>();
  private queued: Array<{ op: ZkOp; cb: Callback }> = [];
  private everConnected = false;
  private closed = false;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly servers: readonly Host[],
    private readonly sessionTimeoutUs: number,
    private readonly listener: ZkClientListener,
  ) {
    // The Java client shuffles its connect string; start somewhere seeded.
    this.serverIndex = endpoint.machine.rng("zk-client").int(0, servers.length - 1);
    // ClientCnxn's connect timeout is sessionTimeout / servers in whole ms; at 0 or below, each
    // attempt times out (SendThread.run: to <= 0, SessionTimeoutException) before it can be
    // answered, so the client never connects.
    if (Math.trunc(Math.trunc(sessionTimeoutUs / 1000) / servers.length) <= 0) {
      endpoint.machine.mark("zookeeper client: connect timeout of 0 ms, never connects");
      this.closed = true;
      return;
    }
    this.connect();
    endpoint.machine.setTimer(this.pingIntervalUs, () => this.heartbeat());
  }

  /**
   * The timeout the server granted (ZooKeeperServer.processConnectRequest bounds the requested one);
   * from the first connection on, the client's read timeout and pings follow it
   * (ClientCnxn.SendThread.onConnected: readTimeout = negotiatedSessionTimeout * 2 / 3).
   */
  private negotiatedTimeoutUs: number | null = null;

  private get timeoutUs(): number {
    return this.negotiatedTimeoutUs ?? this.sessionTimeoutUs;
  }

  private get pingIntervalUs(): number {
    return Math.floor(this.timeoutUs / 3);
  }

  /** A session was established at least once (ZooKeeperClient.waitUntilConnected waits for this at start-up). */
  get hasConnected(): boolean {
    return this.everConnected;
  }

  request(op: ZkOp, cb: Callback): void {
    if (!this.connected) {
      this.queued.push({ op, cb });
      return;
    }
    this.send(op, cb);
  }

  /** Closes the session (a clean shutdown): its ephemeral znodes are deleted at once. */
  close(): void {
    if (this.connected && this.socket !== null) {
      const req: ZkRequest = { zk: "close" };
      this.socket.send(req, zkBytes(undefined));
    }
    this.closed = true;
  }

  private send(op: ZkOp, cb: Callback): void {
    const xid = this.nextXid++;
    this.inFlight.set(xid, { op, cb });
    const req: ZkRequest = { zk: "op", xid, op };
    this.socket!.send(req, zkBytes(op));
  }

  private connect(): void {
    const server = this.servers[this.serverIndex % this.servers.length];
    this.connected = false;
    this.lastHeardUs = this.endpoint.machine.now;
    this.socket = this.endpoint.connect(server, {
      onMessage: (m) => this.onReply(m as ZkReply),
      onDisconnect: () => this.onConnectionLost(),
    });
    const req: ZkRequest = { zk: "connect", sessionId: this.sessionId, timeoutUs: this.sessionTimeoutUs, owner: this.endpoint.machine.name };
    this.socket.send(req, zkBytes(undefined));
  }

  private onReply(reply: ZkReply): void {
    this.lastHeardUs = this.endpoint.machine.now;
    switch (reply.zk) {
      case "connected": {
        const fresh = reply.sessionId !== this.sessionId;
        this.sessionId = reply.sessionId;
        this.negotiatedTimeoutUs = reply.timeoutUs;
        this.connected = true;
        // Requests cut off by the lost connection go again, then those made while away.
        const resend = [...this.inFlight.values(), ...this.queued];
        this.inFlight.clear();
        this.queued = [];
        if (fresh) this.listener.onSession(this.sessionId, !this.everConnected);
        this.everConnected = true;
        for (const r of resend) this.send(r.op, r.cb);
        return;
      }
      case "expired":
        return this.onExpired();
      case "pong":
        return;
      case "result": {
        const r = this.inFlight.get(reply.xid);
        if (r === undefined) return;
        this.inFlight.delete(reply.xid);
        r.cb(reply.result);
        return;
      }
      case "watch":
        return this.listener.onWatch(reply.event);
    }
  }

  private onExpired(): void {
    this.endpoint.machine.trace("zk-session-expired", { session: this.sessionId });
    this.sessionId = 0;
    this.dropSocket();
    const failed = [...this.inFlight.values(), ...this.queued];
    this.inFlight.clear();
    this.queued = [];
    for (const r of failed) r.cb({ code: "SESSIONEXPIRED" });
    this.listener.onSessionExpired();
    this.connect();
  }

  private onConnectionLost(): void {
    this.socket = null;
    if (this.closed) return;
    this.connected = false;
    this.serverIndex++;
    // The Java client waits up to a second before trying the next server.
    this.endpoint.machine.setTimer(this.endpoint.machine.rng("zk-client").int(0, 1_000_000), () => {
      if (this.socket === null) this.connect();
    });
  }

  private dropSocket(): void {
    if (this.socket !== null) this.endpoint.close(this.socket);
    this.socket = null;
    this.connected = false;
  }

  /** Pings while connected; a server silent for two thirds of the timeout is given up on. */
  private heartbeat(): void {
    const m = this.endpoint.machine;
    if (this.closed) return;
    const readTimeoutUs = Math.floor((this.timeoutUs * 2) / 3);
    if (this.socket !== null && m.now - this.lastHeardUs > readTimeoutUs) {
      m.mark("zookeeper client: server silent, trying the next one");
      this.dropSocket();
      this.onConnectionLost();
    } else if (this.connected) {
      const ping: ZkRequest = { zk: "ping" };
      this.socket!.send(ping, zkBytes(undefined));
    }
    m.setTimer(this.pingIntervalUs, () => this.heartbeat());
  }
}
