/**
 * A ZooKeeper server process. It serves client sessions only while it has a quorum: a server
 * on the minority side of a partition closes its connections, as a real one does when it drops
 * out of the ensemble and goes back to leader election.
 */
import type { Socket } from "../../network/Network.js";
import type { Process } from "../../Host.js";
import { Endpoint, type RequestHandler } from "../Endpoint.js";
import type { Machine } from "../Machine.js";
import type { SessionSink, ZkEnsemble, ZkSession } from "./ZkEnsemble.js";
import type { ZkOp } from "./ZkTree.js";
import { zkBytes, type ZkReply, type ZkRequest } from "./protocol.js";

interface ClientConnection {
  socket: Socket;
  session: ZkSession | null;
  /** Completion time of the last operation: a session's operations finish in order (FIFO). */
  lastDoneUs: number;
  sink: SessionSink | null;
}

export class ZkServer implements Process, RequestHandler {
  readonly kind = "zookeeper";
  private readonly clients = new Map<number, ClientConnection>();

  constructor(
    private readonly machine: Machine,
    private readonly ensemble: ZkEnsemble,
  ) {
    new Endpoint(machine, this);
  }

  onRequest(socket: Socket, message: unknown): void {
    const req = message as ZkRequest;
    let c = this.clients.get(socket.connection.id);
    if (c === undefined) this.clients.set(socket.connection.id, (c = { socket, session: null, lastDoneUs: 0, sink: null }));
    if (!this.ensemble.hasQuorum(this.machine.host)) {
      this.machine.mark("zookeeper: server without quorum refuses a client");
      this.drop(c);
      return;
    }
    switch (req.zk) {
      case "connect":
        return this.onConnect(c, req);
      case "ping":
        if (c.session === null) return;
        this.ensemble.touch(c.session);
        return this.reply(c, { zk: "pong" });
      case "op":
        return this.onOp(c, req.xid, req.op);
      case "close":
        // A clean close ends the session at once: its ephemeral znodes go now, not after the timeout.
        if (c.session !== null) this.ensemble.expire(c.session.id, "closed");
        return;
    }
  }

  onClientGone(socket: Socket): void {
    const c = this.clients.get(socket.connection.id);
    if (c === undefined) return;
    this.clients.delete(socket.connection.id);
    this.detach(c);
  }

  private detach(c: ClientConnection): void {
    if (c.session !== null && c.sink !== null && c.session.sink === c.sink) c.session.sink = null;
    c.sink = null;
  }

  private onConnect(c: ClientConnection, req: Extract<ZkRequest, { zk: "connect" }>): void {
    let session: ZkSession | undefined;
    if (req.sessionId !== 0) {
      session = this.ensemble.sessions.get(req.sessionId);
      if (session === undefined) {
        this.reply(c, { zk: "expired" });
        this.drop(c);
        return;
      }
    } else {
      session = this.ensemble.openSession(req.timeoutUs, req.owner);
    }
    c.session = session;
    this.ensemble.touch(session);
    this.reply(c, { zk: "connected", sessionId: session.id, timeoutUs: session.timeoutUs });
    c.sink = {
      notify: (event) => this.reply(c, { zk: "watch", event }),
      expired: () => {
        this.reply(c, { zk: "expired" });
        this.drop(c);
      },
    };
    this.ensemble.attach(session, c.sink);
  }

  private onOp(c: ClientConnection, xid: number, op: ZkOp): void {
    const session = c.session;
    if (session === null) return;
    this.ensemble.touch(session);
    const isWrite = op.op !== "getData" && op.op !== "getChildren" && op.op !== "exists";
    const delay = isWrite ? this.ensemble.commitDelayUs(this.machine.host) : 0;
    const doneAt = Math.max(this.machine.now + delay, c.lastDoneUs);
    c.lastDoneUs = doneAt;
    this.machine.setTimer(doneAt - this.machine.now, () => {
      if (!this.ensemble.hasQuorum(this.machine.host)) return this.drop(c);
      const result = this.ensemble.apply(session, op);
      this.reply(c, { zk: "result", xid, result });
    });
  }

  private reply(c: ClientConnection, reply: ZkReply): void {
    c.socket.send(reply, zkBytes(reply.zk === "result" ? reply.result.data : undefined));
  }

  private drop(c: ClientConnection): void {
    this.clients.delete(c.socket.connection.id);
    this.detach(c);
    c.socket.close();
  }
}
