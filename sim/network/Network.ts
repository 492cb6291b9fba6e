/**
 * Processes talk over ordered, reliable connections (TCP-like) between hosts.
 *
 * A message leaves the sender's NIC egress queue at line rate, crosses the topology (latency
 * class + jitter + any added latency), waits in the receiver's NIC ingress queue, and is handed
 * to the receiving process. Per connection and direction, delivery is in send order.
 *
 * Breaks, as TCP would see them:
 * - a process crash or stop closes its connections; the OS sends FIN/RST, so a live peer learns
 *   of it one propagation delay later (onDisconnect);
 * - a power loss closes them silently: the peer learns nothing and must time out;
 * - a partition silently breaks the connections that cross it: nothing more is delivered on
 *   them, and each end finds out only through its own timeouts. After a heal, new connections
 *   work; the broken ones stay broken.
 * Loss on a link is TCP loss: the message is not dropped but retransmitted, arriving one
 * retransmission timeout late (Linux TCP_RTO_MIN = 200 ms), and blocking the messages behind it.
 *
 * We assume, unrealistically, that connection set-up is instant when the path is open.
 */
import type { Host, HostListener, DownReason } from "../Host.js";
import type { RandomStream } from "../Random.js";
import type { Simulation } from "../Simulation.js";
import { Nic } from "./Nic.js";
import { NetworkFaults } from "./NetworkFaults.js";
import { DEFAULT_LATENCY, latencyClass, type LatencyTable } from "./Topology.js";

/** Linux's minimum retransmission timeout (include/net/tcp.h, TCP_RTO_MIN = HZ/5). */
export const TCP_RTO_MIN_US = 200_000;
/** A FIN reaches the peer just after the last data segment sent before it. */
const FIN_AFTER_DATA_US = 100;

export interface MessageHandler {
  onMessage(socket: Socket, message: unknown): void;
  onDisconnect?(socket: Socket): void;
}

/** One end of a connection, as the process holding it sees it. */
export class Socket {
  constructor(
    readonly connection: Connection,
    readonly side: 0 | 1,
  ) {}

  get local(): Host {
    return this.side === 0 ? this.connection.client : this.connection.server;
  }

  get peer(): Host {
    return this.side === 0 ? this.connection.server : this.connection.client;
  }

  /** True until this end learns that the connection closed (a silent break is not seen). */
  get open(): boolean {
    return !this.connection.closedFor[this.side];
  }

  send(message: unknown, bytes: number): void {
    this.connection.network.send(this, message, bytes);
  }

  close(): void {
    this.connection.network.close(this);
  }
}

export class Connection {
  /** Broken for delivery: nothing more gets through, whether or not the ends know it. */
  broken = false;
  /** Per side: whether that end has been told (or closed it itself). */
  readonly closedFor: [boolean, boolean] = [false, false];
  readonly sockets: [Socket, Socket];
  /** Per direction: the latest arrival time scheduled, so arrivals keep send order. */
  readonly lastArrivalUs: [number, number] = [0, 0];

  constructor(
    readonly network: Network,
    readonly id: number,
    readonly client: Host,
    readonly server: Host,
    readonly incarnations: [number, number],
  ) {
    this.sockets = [new Socket(this, 0), new Socket(this, 1)];
  }

  hostOf(side: 0 | 1): Host {
    return side === 0 ? this.client : this.server;
  }
}

interface InFlight {
  connection: Connection;
  to: 0 | 1;
  message: unknown;
  bytes: number;
}

export interface NetworkOptions {
  hosts: readonly Host[];
  /** NIC line rate per host, bytes per second, indexed like hosts. */
  nicBytesPerSecond: readonly number[];
  latency?: LatencyTable;
}

export class Network implements HostListener {
  readonly faults: NetworkFaults;
  readonly nics: Nic[];
  private readonly hosts: readonly Host[];
  private readonly latency: LatencyTable;
  private readonly rng: RandomStream;
  private readonly handlers: Array<{ incarnation: number; handler: MessageHandler } | null>;
  private readonly connectionsByHost: Array<Set<Connection>>;
  private nextConnectionId = 1;
  /** Counters for metrics. */
  messagesDelivered = 0;
  messagesDropped = 0;

  constructor(
    private readonly sim: Simulation,
    options: NetworkOptions,
  ) {
    this.hosts = options.hosts;
    this.latency = options.latency ?? DEFAULT_LATENCY;
    this.nics = options.nicBytesPerSecond.map((bps) => new Nic(bps));
    this.faults = new NetworkFaults(this.hosts.length);
    this.rng = sim.rng.stream("network");
    this.handlers = this.hosts.map(() => null);
    this.connectionsByHost = this.hosts.map(() => new Set());
    for (const h of this.hosts) h.addListener(this);
  }

  /** The running process on host accepts connections and messages through handler. */
  listen(host: Host, handler: MessageHandler): void {
    this.handlers[host.index] = { incarnation: host.incarnation, handler };
  }

  /**
   * Opens a connection from the process on `from` to the one on `to`. It is always returned;
   * if the peer cannot be reached it is broken from the start (silently when there is no
   * answer; with a disconnect one round trip later when the peer host refuses).
   */
  connect(from: Host, to: Host): Socket {
    const conn = new Connection(this, this.nextConnectionId++, from, to, [from.incarnation, to.incarnation]);
    this.connectionsByHost[from.index].add(conn);
    this.connectionsByHost[to.index].add(conn);
    const reachable = from === to || (!this.faults.isBlocked(from, to) && !this.faults.isBlocked(to, from));
    if (!reachable || !to.powered) {
      conn.broken = true;
      this.sim.marks.hit("network: connect to an unreachable host");
    } else if (!to.alive || this.handlers[to.index]?.incarnation !== to.incarnation) {
      // Connection refused: the OS answers with RST.
      conn.broken = true;
      this.notifyClosed(conn, 0, 2 * this.propagationUs(from, to));
    }
    this.sim.trace.record(this.sim.now, from.name, "net-connect", { conn: conn.id, to: to.name, ok: !conn.broken });
    return conn.sockets[0];
  }

  send(socket: Socket, message: unknown, bytes: number): void {
    const conn = socket.connection;
    const fromSide = socket.side;
    const from = conn.hostOf(fromSide);
    if (conn.broken || conn.closedFor[fromSide] || conn.incarnations[fromSide] !== from.incarnation || !from.alive) {
      this.messagesDropped++;
      return;
    }
    const toSide: 0 | 1 = fromSide === 0 ? 1 : 0;
    const to = conn.hostOf(toSide);
    const now = this.sim.now;
    let arrival: number;
    if (from === to) {
      arrival = now + this.propagationUs(from, to);
    } else {
      const departed = this.nics[from.index].reserveEgress(now, bytes);
      arrival = departed + this.propagationUs(from, to);
      const loss = this.faults.loss(from, to);
      if (loss > 0 && this.rng.bernoulli(loss)) {
        arrival += TCP_RTO_MIN_US;
        this.sim.marks.hit("network: retransmission after loss");
      }
    }
    if (arrival < conn.lastArrivalUs[toSide]) arrival = conn.lastArrivalUs[toSide];
    conn.lastArrivalUs[toSide] = arrival;
    const flight: InFlight = { connection: conn, to: toSide, message, bytes };
    this.sim.at(arrival, from === to ? deliver : arriveAtNic, flight);
  }

  /**
   * Closes a connection from one end (graceful). Like a TCP FIN, the close follows the data
   * already sent: messages in flight are still delivered, and the peer learns of the close
   * after the last of them.
   */
  close(socket: Socket): void {
    const conn = socket.connection;
    if (conn.closedFor[socket.side]) return;
    conn.closedFor[socket.side] = true;
    const peerSide: 0 | 1 = socket.side === 0 ? 1 : 0;
    this.sim.trace.record(this.sim.now, socket.local.name, "net-close", { conn: conn.id });
    if (conn.broken) return;
    const finUs = Math.max(this.propagationUs(socket.local, socket.peer), conn.lastArrivalUs[peerSide] - this.sim.now + FIN_AFTER_DATA_US);
    this.sim.schedule(finUs, () => {
      if (conn.broken) return;
      conn.broken = true;
      this.notifyClosed(conn, peerSide, 0);
    }, undefined);
  }

  // --- faults ---

  partition(groups: Host[][]): number {
    const id = this.faults.add({ kind: "partition", groups });
    this.breakBlockedConnections();
    return id;
  }

  partitionOneWay(from: Host[], to: Host[]): number {
    const id = this.faults.add({ kind: "oneWay", from, to });
    this.breakBlockedConnections();
    return id;
  }

  /** Heals one rule by id, or every partition when id is undefined. */
  heal(id?: number): void {
    this.faults.remove(id, id === undefined ? ["partition", "oneWay"] : undefined);
  }

  // --- host lifecycle ---

  onProcessDown(host: Host, reason: DownReason): void {
    this.handlers[host.index] = null;
    for (const conn of this.connectionsByHost[host.index]) {
      const side: 0 | 1 = conn.client === host ? 0 : 1;
      const peerSide: 0 | 1 = side === 0 ? 1 : 0;
      const wasBroken = conn.broken;
      conn.broken = true;
      conn.closedFor[side] = true;
      // The OS closes the sockets of a dead process (FIN/RST); a host without power says nothing.
      if (reason !== "powerOff" && !wasBroken) {
        this.notifyClosed(conn, peerSide, this.propagationUs(host, conn.hostOf(peerSide)));
      }
      this.connectionsByHost[conn.hostOf(peerSide).index].delete(conn);
    }
    this.connectionsByHost[host.index].clear();
  }

  onPowerOff(host: Host): void {
    this.nics[host.index].reset(this.sim.now);
  }

  // --- internals ---

  propagationUs(from: Host, to: Host): number {
    const spec = this.latency[latencyClass(from, to)];
    const jitter = spec.jitterUs + this.faults.addedJitter(from, to);
    const sample = spec.baseUs + this.faults.addedLatency(from, to) + (jitter > 0 ? this.rng.uniform(0, jitter) : 0);
    return this.rng.delayUs(sample);
  }

  /** Called at the time the last byte reaches the receiver's NIC. */
  ingress(flight: InFlight): void {
    const to = flight.connection.hostOf(flight.to);
    const done = this.nics[to.index].reserveIngress(this.sim.now, flight.bytes);
    this.sim.at(done, deliver, flight);
  }

  /** Hands a message to the receiving process if the connection and both ends still stand. */
  deliverNow(flight: InFlight): void {
    const conn = flight.connection;
    const to = conn.hostOf(flight.to);
    const h = this.handlers[to.index];
    if (conn.broken || h === null || conn.incarnations[flight.to] !== to.incarnation || h.incarnation !== to.incarnation) {
      this.messagesDropped++;
      return;
    }
    this.messagesDelivered++;
    this.sim.trace.recordPair(this.sim.now, to.name, "recv", "conn", conn.id, "bytes", flight.bytes);
    const socket = conn.sockets[flight.to];
    if (to.state === "running") h.handler.onMessage(socket, flight.message);
    else to.deliver(to.incarnation, () => h.handler.onMessage(socket, flight.message));
  }

  private notifyClosed(conn: Connection, side: 0 | 1, afterUs: number): void {
    const host = conn.hostOf(side);
    const incarnation = conn.incarnations[side];
    this.sim.schedule(afterUs, () => {
      if (conn.closedFor[side]) return;
      conn.closedFor[side] = true;
      const h = this.handlers[host.index];
      if (h === null || h.incarnation !== incarnation) return;
      this.sim.trace.record(this.sim.now, host.name, "net-disconnected", { conn: conn.id, peer: conn.hostOf(side === 0 ? 1 : 0).name });
      host.deliver(incarnation, () => h.handler.onDisconnect?.(conn.sockets[side]));
    }, undefined);
  }

  private breakBlockedConnections(): void {
    for (const set of this.connectionsByHost) {
      for (const conn of set) {
        if (conn.broken) continue;
        if (this.faults.isBlocked(conn.client, conn.server) || this.faults.isBlocked(conn.server, conn.client)) {
          conn.broken = true;
          this.sim.marks.hit("network: connection cut by a partition");
        }
      }
    }
  }
}

function arriveAtNic(flight: InFlight): void {
  flight.connection.network.ingress(flight);
}

function deliver(flight: InFlight): void {
  flight.connection.network.deliverNow(flight);
}
