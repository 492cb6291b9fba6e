/**
 * A placeholder producer for the foundation's hardware-level runs: it sends writes of a fixed
 * size at a rate (constant spacing or Poisson arrivals) to the server that owns each record's
 * partition, waits for acknowledgements, and gives a request up after `request.timeout.ms`,
 * reconnecting after `reconnect.backoff.ms`. No batching, retries or idempotence: the Kafka
 * producer replaces it (issue 3). What it measures goes to a ClientHistory, which outlives the
 * process (it is the observer's notebook, not the producer's memory).
 */
import type { Host, Process } from "../Host.js";
import type { Socket } from "../network/Network.js";
import type { Machine } from "./Machine.js";
import type { RandomStream } from "../Random.js";
import type { ClientRequest, ServerResponse } from "./EchoLogServer.js";
import type { TimerHandle } from "../Simulation.js";

/** Request overhead on the wire besides the payload (Kafka's request + record batch headers, roughly). */
export const REQUEST_OVERHEAD_BYTES = 100;

export interface LoadGeneratorConfig {
  ratePerSec: number;
  poisson: boolean;
  messageBytes: number;
  /** Partition p is served by servers[p % servers.length]. */
  partitions: number;
  servers: Host[];
  requestTimeoutUs: number;
  /** Stop sending at this time (the scenario's duration). */
  stopAtUs: number;
}

export interface AckRecord {
  id: number;
  server: string;
  sentAtUs: number;
  ackedAtUs: number;
}

/** What the observer saw of one client: every send, ack and failure. */
export class ClientHistory {
  sent = 0;
  failed = 0;
  readonly acks: AckRecord[] = [];
  readonly errors = new Map<string, number>();

  fail(reason: string): void {
    this.failed++;
    this.errors.set(reason, (this.errors.get(reason) ?? 0) + 1);
  }
}

interface Pending {
  id: number;
  server: Host;
  sentAtUs: number;
  timer: TimerHandle;
}

export class LoadGenerator implements Process {
  readonly kind = "load-generator";
  private readonly rng: RandomStream;
  private readonly sockets = new Map<Host, Socket>();
  private readonly pending = new Map<number, Pending>();
  private nextPartition = 0;

  constructor(
    private readonly machine: Machine,
    private readonly config: LoadGeneratorConfig,
    private readonly history: ClientHistory,
    /** Shared id source, so ids stay unique across restarts of this client. */
    private readonly nextId: () => number,
  ) {
    this.rng = machine.rng("arrivals");
    machine.listen({
      onMessage: (socket, message) => this.onResponse(socket, message as ServerResponse),
      onDisconnect: (socket) => this.onDisconnect(socket),
    });
    this.scheduleNext();
  }

  private scheduleNext(): void {
    const meanUs = 1_000_000 / this.config.ratePerSec;
    const gap = this.config.poisson ? this.rng.delayUs(this.rng.exponential(meanUs)) : Math.max(1, Math.round(meanUs));
    if (this.machine.now + gap >= this.config.stopAtUs) return;
    this.machine.setTimer(gap, () => {
      this.sendOne();
      this.scheduleNext();
    });
  }

  private sendOne(): void {
    const partition = this.nextPartition++ % this.config.partitions;
    const server = this.config.servers[partition % this.config.servers.length];
    const socket = this.socketTo(server);
    const id = this.nextId();
    const timer = this.machine.setTimer(this.config.requestTimeoutUs, () => this.onTimeout(id));
    this.pending.set(id, { id, server, sentAtUs: this.machine.now, timer });
    this.history.sent++;
    const request: ClientRequest = { type: "write", id, bytes: this.config.messageBytes };
    socket.send(request, this.config.messageBytes + REQUEST_OVERHEAD_BYTES);
  }

  private socketTo(server: Host): Socket {
    let socket = this.sockets.get(server);
    if (socket === undefined || !socket.open) {
      socket = this.machine.connect(server);
      this.sockets.set(server, socket);
    }
    return socket;
  }

  private onResponse(_socket: Socket, response: ServerResponse): void {
    const p = this.pending.get(response.id);
    if (p === undefined) return; // already timed out
    this.pending.delete(response.id);
    this.machine.cancelTimer(p.timer);
    if (response.type === "ack") {
      this.history.acks.push({ id: p.id, server: p.server.name, sentAtUs: p.sentAtUs, ackedAtUs: this.machine.now });
    } else {
      this.history.fail(response.error);
    }
  }

  private onTimeout(id: number): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    this.history.fail("REQUEST_TIMED_OUT");
    this.machine.mark("client: request timed out");
    // Like Kafka's NetworkClient: a timed-out request closes its connection.
    const socket = this.sockets.get(p.server);
    if (socket !== undefined && socket.open) {
      socket.close();
    }
    this.sockets.delete(p.server);
  }

  private onDisconnect(socket: Socket): void {
    this.machine.mark("client: disconnected by server");
    const server = socket.peer;
    if (this.sockets.get(server) === socket) this.sockets.delete(server);
    for (const p of [...this.pending.values()]) {
      if (p.server !== server) continue;
      this.pending.delete(p.id);
      this.machine.cancelTimer(p.timer);
      this.history.fail("NETWORK_EXCEPTION");
    }
  }
}
