/**
 * A client's connection to one broker (the part of Kafka's NetworkClient that matters here):
 * correlation ids, a request timeout after which the connection is closed and everything in
 * flight fails (NetworkClient.handleTimedOutRequests), and failure of in-flight requests when
 * the connection drops. It reconnects on the next send.
 */
import type { Host } from "../../Host.js";
import type { Socket } from "../../network/Network.js";
import type { TimerHandle } from "../../Simulation.js";
import type { Endpoint } from "../Endpoint.js";
import type { ApiKey, ErrorCode, Request, Response } from "./protocol.js";

export type ResponseCallback<R> = (body: R | null, error: ErrorCode) => void;

interface Pending {
  cb: ResponseCallback<unknown>;
  timer: TimerHandle;
}

export class NodeConnection {
  private socket: Socket | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextCid = 1;

  constructor(
    private readonly endpoint: Endpoint,
    readonly to: Host,
    private readonly requestTimeoutUs: number,
  ) {}

  get inFlight(): number {
    return this.pending.size;
  }

  send<R>(api: ApiKey, body: unknown, bytes: number, cb: ResponseCallback<R>, expectResponse = true): void {
    const m = this.endpoint.machine;
    if (this.socket === null) {
      this.socket = this.endpoint.connect(this.to, {
        onMessage: (msg) => this.onResponse(msg as Response),
        onDisconnect: () => this.fail("NETWORK_EXCEPTION"),
      });
    }
    const cid = this.nextCid++;
    const req: Request = { api, cid, body };
    this.socket.send(req, bytes);
    if (!expectResponse) return;
    const timer = m.setTimer(this.requestTimeoutUs, () => this.onTimeout(cid));
    this.pending.set(cid, { cb: cb as ResponseCallback<unknown>, timer });
  }

  close(): void {
    if (this.socket !== null) this.endpoint.close(this.socket);
    this.fail("NETWORK_EXCEPTION");
  }

  private onResponse(res: Response): void {
    const p = this.pending.get(res.cid);
    if (p === undefined) return;
    this.pending.delete(res.cid);
    this.endpoint.machine.cancelTimer(p.timer);
    p.cb(res.body, "NONE");
  }

  private onTimeout(cid: number): void {
    const p = this.pending.get(cid);
    if (p === undefined) return;
    this.pending.delete(cid);
    this.endpoint.machine.mark("client: request timed out, connection closed");
    p.cb(null, "REQUEST_TIMED_OUT");
    if (this.socket !== null) this.endpoint.close(this.socket);
    this.fail("NETWORK_EXCEPTION");
  }

  /** The connection is gone: every request in flight fails, in the order it was sent. */
  private fail(error: ErrorCode): void {
    this.socket = null;
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      this.endpoint.machine.cancelTimer(p.timer);
      p.cb(null, error);
    }
  }
}
