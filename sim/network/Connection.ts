/**
 * A TCP connection's state: two ends (sockets) and two directions (flows). The Network moves
 * segments and runs the timers; this file holds what each end and each direction remember.
 *
 * An end's phase is its kernel socket as Linux would have it:
 * - "syn": the client has sent SYN and waits (SYN_SENT); the server end has no socket yet;
 * - "open": ESTABLISHED (or CLOSE_WAIT: the peer's FIN arrived but this end has not closed);
 * - "closing": the process closed it (or died) and the kernel still sends what was written,
 *   then FIN (FIN_WAIT1/2, LAST_ACK); the socket is an orphan (SOCK_DEAD);
 * - "gone": the kernel has no socket any more (closed, reset, timed out, or its host lost
 *   power): a segment that reaches it is answered with RST (tcp_v4_rcv, no_tcp_socket).
 */
import type { Host } from "../Host.js";
import type { TimerHandle } from "../Simulation.js";
import type { Network } from "./Network.js";

export type Phase = "syn" | "open" | "closing" | "gone";

/** One segment: a message, or a FIN, of one direction. */
export interface Segment {
  connection: Connection;
  /** The receiving side. */
  to: 0 | 1;
  /** Position in its direction's byte stream, counted in messages. */
  seq: number;
  fin: boolean;
  message: unknown;
  bytes: number;
  /** When it was first sent: what retrans_stamp remembers. */
  sentUs: number;
  /** When it was last put on the wire. */
  xmitUs: number;
  retransmitted: boolean;
}

/** One direction of a connection: the sender's send queue and timer, the receiver's reassembly. */
export class Flow {
  nextSeq = 0;
  /** Receiver: the next sequence number to hand to the process (rcv_nxt). */
  rcvNxt = 0;
  /** The latest arrival scheduled, so arrivals keep send order. */
  lastArrivalUs = 0;
  /** Segments waiting for the next (re)transmission: lost ones and everything sent behind them. */
  backlog: Segment[] | null = null;
  /** Receiver: segments that arrived beyond a gap (the out-of-order queue). */
  ooo: Segment[] | null = null;
  /** Data reached the receiver but its ACK was lost: the sender does not know. */
  ackLost = false;
  rtoTimer: TimerHandle | null = null;
  rtoUs = 0;
  retransmits = 0;
  /** retrans_stamp: first send time of the oldest segment being retransmitted; -1 when none. */
  stampUs = -1;
  /** The FIN has been queued: nothing more may be sent this way. */
  finSent = false;
  /** Receiver: the FIN has been taken in order. */
  finDelivered = false;
  /** Sender: the FIN's ACK came back. */
  finAcked = false;

  constructor(
    readonly connection: Connection,
    /** The sending side. */
    readonly from: 0 | 1,
  ) {}

  get inTrouble(): boolean {
    return this.backlog !== null || this.ackLost;
  }
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

  /** True until this end learns that the connection closed (a half-open break is not seen). */
  get open(): boolean {
    return !this.connection.closedFor[this.side];
  }

  /**
   * True once the three-way handshake has completed (the client's connect() returned). Messages
   * sent before wait in the socket and go out on establishment.
   */
  get established(): boolean {
    return this.connection.establishedUs >= 0;
  }

  send(message: unknown, bytes: number): void {
    this.connection.network.send(this, message, bytes);
  }

  close(): void {
    this.connection.network.close(this);
  }
}

export class Connection {
  /** Per side: whether the process has been told (or closed it itself). */
  readonly closedFor: [boolean, boolean] = [false, false];
  readonly phase: [Phase, Phase] = ["syn", "syn"];
  readonly sockets: [Socket, Socket];
  /** flows[s]: the direction from side s to the other. */
  readonly flows: [Flow, Flow];
  /** Per side: messages handed to a paused process and not yet run (unread data). */
  readonly unread: [number, number] = [0, 0];
  /** When the handshake completed; -1 before. */
  establishedUs = -1;
  synTimer: TimerHandle | null = null;
  synRtoUs = 0;
  synRetransmits = 0;

  constructor(
    readonly network: Network,
    readonly id: number,
    readonly client: Host,
    readonly server: Host,
    /** The process incarnation of each end. */
    readonly incarnations: [number, number],
    /** The boot of each end's kernel: a host that lost power has forgotten the connection. */
    readonly boots: [number, number],
  ) {
    this.sockets = [new Socket(this, 0), new Socket(this, 1)];
    this.flows = [new Flow(this, 0), new Flow(this, 1)];
  }

  hostOf(side: 0 | 1): Host {
    return side === 0 ? this.client : this.server;
  }
}

export function other(side: 0 | 1): 0 | 1 {
  return side === 0 ? 1 : 0;
}
