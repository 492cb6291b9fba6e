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
  deadlineUs: number;
}

export class NodeConnection {
  private socket: Socket | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextCid = 1;
  /** One timer for the oldest request's deadline (requests are answered mostly in order). */
  private timer: TimerHandle | null = null;

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
    this.pending.set(cid, { cb: cb as ResponseCallback<unknown>, deadlineUs: m.now + this.requestTimeoutUs });
    if (this.timer === null) this.armTimer(this.requestTimeoutUs);
  }

  private armTimer(delayUs: number): void {
    this.timer = this.endpoint.machine.setTimer(delayUs, () => {
      this.timer = null;
      this.checkTimeouts();
    });
  }

  close(): void {
    if (this.socket !== null) this.endpoint.close(this.socket);
    this.fail("NETWORK_EXCEPTION");
  }

  private onResponse(res: Response): void {
    const p = this.pending.get(res.cid);
    if (p === undefined) return;
    this.pending.delete(res.cid);
    p.cb(res.body, "NONE");
  }

  /** NetworkClient.handleTimedOutRequests: the first request past its deadline closes the connection. */
  private checkTimeouts(): void {
    const now = this.endpoint.machine.now;
    let expired: number | null = null;
    let next = Infinity;
    for (const [cid, p] of this.pending) {
      if (p.deadlineUs <= now) {
        expired = cid;
        break;
      }
      next = Math.min(next, p.deadlineUs);
    }
    if (expired === null) {
      if (next < Infinity) this.armTimer(next - now);
      return;
    }
    const p = this.pending.get(expired)!;
    this.pending.delete(expired);
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
    if (this.timer !== null) this.endpoint.machine.cancelTimer(this.timer);
    this.timer = null;
    for (const p of all) p.cb(null, error);
  }
}
