/**
 * A client's connection to one broker (the part of Kafka's NetworkClient that matters here):
 * correlation ids, a request timeout after which the connection is closed and everything in
 * flight fails (NetworkClient.handleTimedOutRequests), and failure of in-flight requests when
 * the connection drops. It reconnects on the next send.
 */
import type { Host } from "../../../Host.js";
import type { Socket } from "../../../network/Network.js";
import type { TimerHandle } from "../../../Simulation.js";
import type { Endpoint } from "../../Endpoint.js";
import type { RandomStream } from "../../../Random.js";
import type { ApiKey, ErrorCode, Request, Response } from "../common/protocol.js";
import { exponentialBackoffUs } from "./ExponentialBackoff.js";

/**
 * reconnect.backoff.ms after a connection fails (ClusterConnectionStates.canConnect); from 1.0
 * (KIP-144 in 0.11, whose count of failures reset on every attempt until KAFKA-6101) doubling
 * per failed attempt up to reconnect.backoff.max.ms, with ±20% jitter, and back to the base once
 * a connection works. In 0.11 the base with jitter.
 */
export interface ReconnectBackoff {
  baseUs: number;
  maxUs: number;
  exponential: boolean;
  jitter: boolean;
  rng: RandomStream;
  /** 3.7 (KIP-580's ExponentialBackoff) caps the jittered value at the maximum. */
  capAtMax: boolean;
}

/**
 * KIP-601 (2.7): socket.connection.setup.timeout.ms, doubling per failed attempt up to
 * socket.connection.setup.timeout.max.ms with ±20% jitter (ClusterConnectionStates
 * .updateConnectionSetupTimeout); a connect still pending then is closed
 * (NetworkClient.handleTimedOutConnections). Before 2.7 only the OS ends it (tcp_syn_retries, ~127 s).
 */
export interface SetupTimeout {
  baseUs: number;
  maxUs: number;
  rng: RandomStream;
  capAtMax: boolean;
}

export type ResponseCallback<R> = (body: R | null, error: ErrorCode) => void;

interface Pending {
  cid: number;
  cb: ResponseCallback<unknown>;
  deadlineUs: number;
}

export class NodeConnection {
  private socket: Socket | null = null;
  /**
   * Requests awaiting a response, in the order sent (correlation ids increase). A few at most, so an
   * array searched from the front: a Map keyed by correlation id rebuilt its table as requests
   * came and went, which was most of the garbage a busy connection made.
   */
  private readonly pending: Pending[] = [];
  private nextCid = 1;
  /** One timer for the oldest request's deadline (requests are answered mostly in order). */
  private timer: TimerHandle | null = null;
  private timerAtUs = Infinity;

  /** Called when the other side or the network ends the connection (NetworkClient.handleServerDisconnect). */
  onServerDisconnect: (() => void) | null = null;
  /** Called when a connection becomes ready (the client may send on it). */
  onReady: (() => void) | null = null;
  /** The handshake is under way (ConnectionState.CONNECTING). */
  private connecting = false;
  private setupTimer: TimerHandle | null = null;
  private failedSetups = 0;
  private failedAttempts = 0;
  private lastAttemptUs = -Infinity;
  private backoffUs = 0;

  constructor(
    private readonly endpoint: Endpoint,
    readonly to: Host,
    private readonly requestTimeoutUs: number,
    private readonly reconnect?: ReconnectBackoff,
    /**
     * The producer's NetworkClient: requests go only on a ready connection (their timeout runs
     * from then), and KIP-601 bounds the handshake when given. Without it (brokers' blocking
     * clients, NetworkClientUtils.awaitReady), a request's one timeout covers connect and answer.
     */
    private readonly client?: { setupTimeout: SetupTimeout | null },
  ) {}

  /** ClusterConnectionStates.lastConnectAttemptMs: when a connection to it was last tried (-Infinity: never). */
  get lastConnectAttemptUs(): number {
    return this.lastAttemptUs;
  }

  /** ConnectionState: connected and ready, handshake under way, or neither. */
  get state(): "ready" | "connecting" | "disconnected" {
    return this.socket === null ? "disconnected" : this.connecting ? "connecting" : "ready";
  }

  /** NetworkClient.initiateConnect, when allowed (not connected, reconnect backoff over). */
  connect(): void {
    if (this.socket !== null || this.readyAtUs > this.endpoint.machine.now) return;
    this.open();
  }

  get inFlight(): number {
    return this.pending.length;
  }

  /**
   * When a request may go out: now if connected, else once the reconnect backoff has passed (and,
   * for the producer's client, the handshake that starts then has completed).
   */
  get readyAtUs(): number {
    if (this.socket !== null) return this.connecting ? Infinity : -Infinity;
    return this.lastAttemptUs + this.backoffUs;
  }

  /** ClusterConnectionStates.disconnected: the backoff runs from the failure (updateReconnectBackoff). */
  private onConnectionFailed(): void {
    const r = this.reconnect;
    if (r === undefined) return;
    this.lastAttemptUs = this.endpoint.machine.now;
    if (!r.exponential) {
      this.backoffUs = r.jitter ? Math.round(r.baseUs * r.rng.uniform(0.8, 1.2)) : r.baseUs;
      return;
    }
    this.backoffUs = exponentialBackoffUs(r.baseUs, r.maxUs, this.failedAttempts, 0.2, r.rng, r.capAtMax);
    this.failedAttempts++;
  }

  private open(): void {
    const m = this.endpoint.machine;
    this.lastAttemptUs = m.now;
    if (this.reconnect !== undefined) m.mark("client: connection attempt");
    this.connecting = this.client !== undefined;
    this.socket = this.endpoint.connect(this.to, {
      onMessage: (msg) => this.onResponse(msg as Response),
      onConnect: () => this.onEstablished(),
      onDisconnect: () => {
        this.clearSetupTimer();
        if (this.connecting) this.failedSetups++;
        this.connecting = false;
        this.onConnectionFailed();
        this.fail("NETWORK_EXCEPTION");
        this.onServerDisconnect?.();
      },
    });
    const t = this.client?.setupTimeout;
    if (this.connecting && t !== undefined && t !== null) {
      const timeoutUs = exponentialBackoffUs(t.baseUs, t.maxUs, this.failedSetups, 0.2, t.rng, t.capAtMax);
      // ClusterConnectionStates.isConnectionSetupTimeout: `now - lastConnectAttempt > timeout`, checked
      // at each poll; at 0 or below we take it as timed out at once (Kafka's millisecond clock would
      // spare a handshake done within the same millisecond).
      this.setupTimer = m.setTimer(Math.max(0, timeoutUs), () => this.onSetupTimeout());
    }
  }

  private onEstablished(): void {
    if (!this.connecting) return;
    this.connecting = false;
    this.clearSetupTimer();
    this.failedSetups = 0;
    this.onReady?.();
  }

  /** NetworkClient.handleTimedOutConnections: close it; a disconnect like any other. */
  private onSetupTimeout(): void {
    this.setupTimer = null;
    if (!this.connecting || this.socket === null) return;
    this.endpoint.machine.mark("client: connection setup timed out (KIP-601)");
    this.failedSetups++;
    this.connecting = false;
    this.endpoint.close(this.socket);
    this.onConnectionFailed();
    this.fail("NETWORK_EXCEPTION");
    this.onServerDisconnect?.();
  }

  private clearSetupTimer(): void {
    if (this.setupTimer !== null) this.endpoint.machine.cancelTimer(this.setupTimer);
    this.setupTimer = null;
  }

  /** requestTimeoutUs: this request's own timeout (the consumer's JoinGroup waits a whole rebalance); the connection's by default. */
  send<R>(api: ApiKey, body: unknown, bytes: number, cb: ResponseCallback<R>, expectResponse = true, requestTimeoutUs = this.requestTimeoutUs): void {
    const m = this.endpoint.machine;
    if (this.socket === null) this.open();
    const cid = this.nextCid++;
    const req: Request = { api, cid, body };
    this.socket!.send(req, bytes);
    if (!expectResponse) return;
    // NetworkClient.handleTimedOutRequests: timed out once `now - sendTime > requestTimeout`, so a
    // negative timeout (AlterIsr's controller.socket.timeout.ms, say) expires at the first poll, as 0 does here.
    const timeoutUs = Math.max(0, requestTimeoutUs);
    this.pending.push({ cid, cb: cb as ResponseCallback<unknown>, deadlineUs: m.now + timeoutUs });
    if (this.timer === null) this.armTimer(timeoutUs);
    else if (m.now + timeoutUs < this.timerAtUs) {
      this.endpoint.machine.cancelTimer(this.timer);
      this.armTimer(timeoutUs);
    }
  }

  private armTimer(delayUs: number): void {
    this.timerAtUs = this.endpoint.machine.now + delayUs;
    this.timer = this.endpoint.machine.setTimer(delayUs, () => {
      this.timer = null;
      this.checkTimeouts();
    });
  }

  close(): void {
    this.clearSetupTimer();
    this.connecting = false;
    if (this.socket !== null) this.endpoint.close(this.socket);
    this.fail("NETWORK_EXCEPTION");
  }

  private onResponse(res: Response): void {
    // ClusterConnectionStates.resetReconnectBackoff: the connection works.
    this.failedAttempts = 0;
    this.backoffUs = this.reconnect?.baseUs ?? 0;
    const i = this.indexOf(res.cid);
    if (i < 0) return;
    const p = this.take(i);
    p.cb(res.body, "NONE");
  }

  /** NetworkClient.handleTimedOutRequests: the first request past its deadline closes the connection. */
  private checkTimeouts(): void {
    const now = this.endpoint.machine.now;
    let expired = -1;
    let next = Infinity;
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i];
      if (p.deadlineUs <= now) {
        expired = i;
        break;
      }
      next = Math.min(next, p.deadlineUs);
    }
    if (expired < 0) {
      if (next < Infinity) this.armTimer(next - now);
      return;
    }
    const p = this.take(expired);
    this.endpoint.machine.mark("client: request timed out, connection closed");
    p.cb(null, "REQUEST_TIMED_OUT");
    this.onConnectionFailed();
    if (this.socket !== null) this.endpoint.close(this.socket);
    this.fail("NETWORK_EXCEPTION");
  }

  private indexOf(cid: number): number {
    for (let i = 0; i < this.pending.length; i++) if (this.pending[i].cid === cid) return i;
    return -1;
  }

  /** Removes and returns the i-th request in flight, keeping the others in order. */
  private take(i: number): Pending {
    const q = this.pending;
    const p = q[i];
    for (let j = i + 1; j < q.length; j++) q[j - 1] = q[j];
    q.length--;
    return p;
  }

  /** The connection is gone: every request in flight fails, in the order it was sent. */
  private fail(error: ErrorCode): void {
    this.socket = null;
    const all = this.pending.slice();
    this.pending.length = 0;
    if (this.timer !== null) this.endpoint.machine.cancelTimer(this.timer);
    this.timer = null;
    for (const p of all) p.cb(null, error);
  }
}
