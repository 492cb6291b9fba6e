/**
 * Processes talk over TCP connections between hosts, as Linux runs them.
 *
 * A message leaves the sender's NIC egress queue at line rate, crosses the topology (latency
 * class + jitter + any added latency), waits in the receiver's NIC ingress queue, and is handed
 * to the receiving process. Per connection and direction, delivery is in send order, exactly once.
 *
 * What TCP does with faults (the segment machinery is in TcpEngine.ts):
 * - connect() sends SYN; the client is established one round trip later (onConnect). Across a
 *   blocked path the SYN is retransmitted from TCP_TIMEOUT_INIT (1 s), doubling, and the connect
 *   fails with ETIMEDOUT after tcp_syn_retries (127 s); a host whose process is down answers RST.
 * - a partition delays segments instead of breaking connections: a segment that meets it waits
 *   for the sender's retransmission timer (200 ms + RTT, doubling to 120 s), and everything behind
 *   it waits too. A lost ACK keeps the sender retransmitting. The connection breaks (ETIMEDOUT,
 *   the sender's process is told, the peer is not) only when retransmits_timed_out says so:
 *   ~924.6 s for tcp_retries2 = 15.
 * - a killed process's kernel closes its sockets (tcp_close). With nothing unread, what it
 *   wrote is still sent (retransmitted if need be, for tcp_orphan_retries, ~102 s), then FIN:
 *   the peer process gets every message, then onDisconnect. With unread data (messages that
 *   reached it while paused, or held beyond a gap), RST at once: the peer gets what was already
 *   on the wire, then onDisconnect; what still waited in the dead end's kernel is dropped.
 *   Either way, data the peer sends to the closed socket is answered with RST.
 * - a host without power answers nothing; once back, its kernel has forgotten its connections
 *   and answers their segments with RST.
 * Loss on a link is retransmission too: the segment arrives one RTO late, blocking those behind.
 */
import type { Host, HostListener, DownReason } from "../Host.js";
import type { RandomStream } from "../Random.js";
import type { Simulation } from "../Simulation.js";
import { Connection, other, type Socket } from "./Connection.js";
import { Nic } from "./Nic.js";
import { NetworkFaults } from "./NetworkFaults.js";
import { LINUX_TCP_DEFAULTS, TCP_TIMEOUT_INIT_US, backedOffRtoUs, initialRtoUs, type TcpSysctls } from "./Tcp.js";
import { TcpEngine } from "./TcpEngine.js";
import { DEFAULT_LATENCY, latencyClass, type LatencyTable } from "./Topology.js";

export { Connection, Socket } from "./Connection.js";
export { TCP_RTO_MIN_US } from "./Tcp.js";

export interface MessageHandler {
  onMessage(socket: Socket, message: unknown): void;
  onDisconnect?(socket: Socket): void;
  /** The client end's handshake completed: connect() would have returned now. */
  onConnect?(socket: Socket): void;
}

export interface NetworkOptions {
  hosts: readonly Host[];
  /** NIC line rate per host, bytes per second, indexed like hosts. */
  nicBytesPerSecond: readonly number[];
  latency?: LatencyTable;
  tcp?: Partial<TcpSysctls>;
}

export class Network implements HostListener {
  readonly faults: NetworkFaults;
  readonly nics: Nic[];
  readonly tcp: TcpSysctls;
  readonly engine: TcpEngine;
  private readonly hosts: readonly Host[];
  private readonly latency: LatencyTable;
  private readonly rng: RandomStream;
  /** Per host: the listening process, if any. */
  readonly handlers: Array<{ incarnation: number; handler: MessageHandler } | null>;
  /** Per host: how many times its kernel has booted; a connection remembers the boot it was made in. */
  readonly boots: number[];
  private readonly connectionsByHost: Array<Set<Connection>>;
  private nextConnectionId = 1;
  /** Counters for metrics. */
  messagesDelivered = 0;
  messagesDropped = 0;

  constructor(
    readonly sim: Simulation,
    options: NetworkOptions,
  ) {
    this.hosts = options.hosts;
    this.latency = options.latency ?? DEFAULT_LATENCY;
    this.tcp = { ...LINUX_TCP_DEFAULTS, ...options.tcp };
    this.nics = options.nicBytesPerSecond.map((bps) => new Nic(bps));
    this.faults = new NetworkFaults(this.hosts.length);
    this.rng = sim.rng.stream("network");
    this.handlers = this.hosts.map(() => null);
    this.boots = this.hosts.map(() => 0);
    this.connectionsByHost = this.hosts.map(() => new Set());
    this.engine = new TcpEngine(this);
    for (const h of this.hosts) h.addListener(this);
  }

  /** The running process on host accepts connections and messages through handler. */
  listen(host: Host, handler: MessageHandler): void {
    this.handlers[host.index] = { incarnation: host.incarnation, handler };
  }

  /**
   * Opens a connection from the process on `from` to the one on `to` and returns the client's
   * socket at once, as a non-blocking connect(2) does. It is established one round trip later
   * (onConnect) if SYN and SYN-ACK get through; what is sent before waits and goes then.
   */
  connect(from: Host, to: Host): Socket {
    const conn = new Connection(this, this.nextConnectionId++, from, to, [from.incarnation, to.incarnation], [this.boots[from.index], this.boots[to.index]]);
    this.connectionsByHost[from.index].add(conn);
    this.connectionsByHost[to.index].add(conn);
    conn.synRtoUs = TCP_TIMEOUT_INIT_US;
    this.sim.trace.record(this.sim.now, from.name, "net-connect", { conn: conn.id, to: to.name });
    this.sendSyn(conn);
    return conn.sockets[0];
  }

  send(socket: Socket, message: unknown, bytes: number): void {
    const conn = socket.connection;
    const side = socket.side;
    const from = conn.hostOf(side);
    if (conn.closedFor[side] || conn.incarnations[side] !== from.incarnation || !from.alive) {
      this.messagesDropped++;
      return;
    }
    this.engine.write(conn.flows[side], false, message, bytes);
  }

  /**
   * The process closes its end (close(2)): it hears nothing more of it. The kernel still sends
   * what was written, then FIN, which the peer sees after that data; with unread data, RST.
   */
  close(socket: Socket): void {
    const conn = socket.connection;
    if (conn.closedFor[socket.side]) return;
    conn.closedFor[socket.side] = true;
    this.sim.trace.record(this.sim.now, socket.local.name, "net-close", { conn: conn.id });
    this.engine.closeEnd(conn, socket.side);
  }

  // --- faults ---

  /** Blocks the paths between groups; connections across them stall and retransmit, they do not break. */
  partition(groups: Host[][]): number {
    return this.faults.add({ kind: "partition", groups });
  }

  partitionOneWay(from: Host[], to: Host[]): number {
    return this.faults.add({ kind: "oneWay", from, to });
  }

  /** Heals one rule by id, or every partition when id is undefined. Stalled data goes at the next retransmission. */
  heal(id?: number): void {
    this.faults.remove(id, id === undefined ? ["partition", "oneWay"] : undefined);
  }

  // --- host lifecycle ---

  onProcessDown(host: Host, reason: DownReason): void {
    this.handlers[host.index] = null;
    // Power loss: the kernel dies too and says nothing (onPowerOff).
    if (reason === "powerOff") return;
    // The kernel closes the dead process's sockets (exit(2) closes every descriptor: tcp_close).
    for (const conn of [...this.connectionsByHost[host.index]]) {
      for (const side of SIDES) {
        if (conn.hostOf(side) !== host || conn.closedFor[side] || conn.incarnations[side] !== host.incarnation) continue;
        conn.closedFor[side] = true;
        this.sim.marks.hit("network: a dead process's socket closed by its kernel");
        this.engine.closeEnd(conn, side);
      }
    }
  }

  onPowerOff(host: Host): void {
    this.nics[host.index].reset(this.sim.now);
    this.boots[host.index]++;
    for (const conn of [...this.connectionsByHost[host.index]]) {
      for (const side of SIDES) {
        if (conn.hostOf(side) !== host) continue;
        conn.closedFor[side] = true;
        this.engine.forget(conn, side);
      }
      this.connectionsByHost[host.index].delete(conn);
    }
  }

  // --- connection set-up ---

  /** tcp_v4_connect / tcp_retransmit_timer in SYN_SENT: one SYN, and the timer for the next. */
  private sendSyn(conn: Connection): void {
    const from = conn.client;
    const to = conn.server;
    if (this.reachable(from, to) && to.powered) {
      const rttUs = this.propagationUs(from, to) + this.propagationUs(to, from);
      if (!this.listening(to)) {
        // No listener: the kernel answers RST (tcp_v4_send_reset), ECONNREFUSED one round trip later.
        if (this.reachable(to, from)) this.sim.schedule(rttUs, refused, conn);
      } else if (this.reachable(to, from)) {
        conn.incarnations[1] = to.incarnation;
        conn.boots[1] = this.boots[to.index];
        this.sim.schedule(rttUs, established, conn);
      }
    }
    conn.synTimer = this.sim.schedule(conn.synRtoUs, synTimeout, conn);
  }

  onEstablished(conn: Connection): void {
    if (conn.phase[0] !== "syn") return;
    // The server lost power meanwhile: no answer came, and the SYN timer goes on.
    if (!conn.server.powered || this.boots[conn.server.index] !== conn.boots[1]) return;
    // The listener died after answering SYN: its kernel resets what sat in the accept queue (inet_csk_listen_stop).
    if (conn.phase[1] === "gone" || !this.listening(conn.server) || conn.server.incarnation !== conn.incarnations[1]) return this.onRefused(conn);
    this.cancelSynTimer(conn);
    conn.phase[0] = "open";
    conn.phase[1] = "open";
    conn.establishedUs = this.sim.now;
    this.sim.trace.record(this.sim.now, conn.client.name, "net-established", { conn: conn.id });
    const h = this.handlers[conn.client.index];
    if (h !== null && h.incarnation === conn.incarnations[0]) {
      conn.client.deliver(conn.incarnations[0], () => h.handler.onConnect?.(conn.sockets[0]));
    }
    this.engine.flush(conn.flows[0]);
  }

  onRefused(conn: Connection): void {
    if (conn.phase[0] !== "syn") return;
    this.sim.marks.hit("network: connection refused (RST)");
    this.engine.forget(conn, 0);
    this.tellProcess(conn, 0);
  }

  /** tcp_write_timeout in SYN_SENT: give up after tcp_syn_retries retransmissions (plus the linear ones of 6.5+). */
  onSynTimeout(conn: Connection): void {
    conn.synTimer = null;
    if (conn.phase[0] !== "syn") return;
    if (conn.synRetransmits >= this.tcp.synRetries + this.tcp.synLinearTimeouts) {
      this.sim.marks.hit("network: connect timed out (ETIMEDOUT)");
      this.engine.forget(conn, 0);
      this.tellProcess(conn, 0);
      return;
    }
    conn.synRetransmits++;
    // tcp_retransmit_timer: the SYN RTO stays at 1 s for tcp_syn_linear_timeouts, then doubles.
    if (conn.synRetransmits > this.tcp.synLinearTimeouts) conn.synRtoUs = backedOffRtoUs(conn.synRtoUs);
    this.sim.marks.hit("network: SYN retransmitted");
    this.sendSyn(conn);
  }

  cancelSynTimer(conn: Connection): void {
    if (conn.synTimer !== null) this.sim.cancel(conn.synTimer);
    conn.synTimer = null;
  }

  // --- shared with the engine ---

  /** The process holding this end is told the connection is gone (once; not after it closed it itself). */
  tellProcess(conn: Connection, side: 0 | 1): void {
    if (conn.closedFor[side]) return;
    conn.closedFor[side] = true;
    const host = conn.hostOf(side);
    const incarnation = conn.incarnations[side];
    const h = this.handlers[host.index];
    if (h === null || h.incarnation !== incarnation) return;
    this.sim.trace.record(this.sim.now, host.name, "net-disconnected", { conn: conn.id, peer: conn.hostOf(other(side)).name });
    host.deliver(incarnation, () => h.handler.onDisconnect?.(conn.sockets[side]));
  }

  /** Both kernels are done with it: nothing will be sent or answered on it again. */
  forgetConnection(conn: Connection): void {
    this.connectionsByHost[conn.client.index].delete(conn);
    this.connectionsByHost[conn.server.index].delete(conn);
  }

  reachable(from: Host, to: Host): boolean {
    return !this.faults.blocking || !this.faults.isBlocked(from, to);
  }

  listening(host: Host): boolean {
    return host.alive && this.handlers[host.index]?.incarnation === host.incarnation;
  }

  propagationUs(from: Host, to: Host): number {
    const spec = this.latency[latencyClass(from, to)];
    const jitter = spec.jitterUs + this.faults.addedJitter(from, to);
    const sample = spec.baseUs + this.faults.addedLatency(from, to) + (jitter > 0 ? this.rng.uniform(0, jitter) : 0);
    return this.rng.delayUs(sample);
  }

  /** The path's RTO before any backoff: 200 ms plus its mean round trip (no random draw). */
  baseRtoUs(from: Host, to: Host): number {
    const spec = this.latency[latencyClass(from, to)];
    const oneWay = spec.baseUs + this.faults.addedLatency(from, to) + (spec.jitterUs + this.faults.addedJitter(from, to)) / 2;
    return initialRtoUs(Math.round(2 * oneWay));
  }

  /** A lost segment's extra delay: it goes again one RTO later. */
  lossDelayUs(from: Host, to: Host): number {
    const loss = this.faults.loss(from, to);
    if (loss > 0 && this.rng.bernoulli(loss)) {
      this.sim.marks.hit("network: retransmission after loss");
      return this.baseRtoUs(from, to);
    }
    return 0;
  }
}

const SIDES: ReadonlyArray<0 | 1> = [0, 1];

function established(conn: Connection): void {
  conn.network.onEstablished(conn);
}

function refused(conn: Connection): void {
  conn.network.onRefused(conn);
}

function synTimeout(conn: Connection): void {
  conn.network.onSynTimeout(conn);
}
