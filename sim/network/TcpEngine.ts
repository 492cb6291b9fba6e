/**
 * The segment machinery of the simulated TCP: transmission, the retransmission timer, the
 * receiver's in-order delivery and ACK, FIN and RST. The Network owns one engine.
 *
 * A segment is one message (or a FIN). A segment meets a fault when it is put on the wire or
 * when it reaches the receiver: a blocked path or a receiver without power loses it, and it waits
 * in the sender's backlog, with everything written after it, for the retransmission timer. The
 * receiver hands segments to its process in sequence order and holds any beyond a gap (the
 * out-of-order queue). Its ACK is lost if the reverse path is blocked; then the sender keeps
 * retransmitting (a probe) until an ACK gets through or retransmits_timed_out says stop.
 *
 * We assume, unrealistically: no congestion window (after a loss nothing new is sent until the
 * retransmission, as in the Loss state with cwnd = 1; before, everything goes at once); ACKs take
 * effect at the sender the moment the receiver sends them; every backlog segment goes again at
 * each retransmission (Linux sends the head, then the rest as ACKs return); an orphan in
 * FIN_WAIT2 waits for the peer's FIN for ever (no tcp_fin_timeout).
 */
import type { Host } from "../Host.js";
import { other, type Connection, type Flow, type Segment } from "./Connection.js";
import type { Network } from "./Network.js";
import { TCP_RTO_MIN_US, backedOffRtoUs, tcpModelTimeoutUs } from "./Tcp.js";

interface Rst {
  connection: Connection;
  to: 0 | 1;
}

export class TcpEngine {
  constructor(private readonly net: Network) {}

  /** The process (or the kernel, for a FIN) writes to a flow. */
  write(flow: Flow, fin: boolean, message: unknown, bytes: number): void {
    const conn = flow.connection;
    const now = this.net.sim.now;
    const seg: Segment = { connection: conn, to: other(flow.from), seq: flow.nextSeq++, fin, message, bytes, sentUs: now, xmitUs: now, retransmitted: false };
    // Behind a loss, or before the handshake completes, it waits for the segments ahead of it.
    if (flow.backlog !== null || conn.phase[flow.from] === "syn") this.queue(flow, seg);
    else this.transmit(flow, seg);
  }

  /** Sends what waited for the handshake. */
  flush(flow: Flow): void {
    const waiting = flow.backlog;
    flow.backlog = null;
    if (waiting !== null) for (const seg of waiting) this.transmit(flow, seg);
  }

  /**
   * tcp_close: with unread data in the receive queue the connection is reset at once (RFC 2525
   * 2.17, LINUX_MIB_TCPABORTONCLOSE); otherwise FIN follows the data already written. In
   * SYN_SENT nothing is sent.
   */
  closeEnd(conn: Connection, side: 0 | 1): void {
    const phase = conn.phase[side];
    if (phase === "syn") {
      this.forget(conn, side);
      return;
    }
    if (phase !== "open") return;
    if (conn.unread[side] > 0 || conn.flows[other(side)].ooo !== null) {
      this.net.sim.marks.hit("network: closed with unread data: RST");
      this.sendRst(conn, side);
      this.forget(conn, side);
      return;
    }
    conn.phase[side] = "closing";
    conn.flows[side].finSent = true;
    this.write(conn.flows[side], true, undefined, 0);
  }

  /** This end's kernel drops the connection without a word (reset, timed out, or powered off). */
  forget(conn: Connection, side: 0 | 1): void {
    conn.phase[side] = "gone";
    if (side === 0) this.net.cancelSynTimer(conn);
    // A connect that never completed left no socket at the server either.
    if (side === 0 && conn.establishedUs < 0) conn.phase[1] = "gone";
    const flow = conn.flows[side];
    this.cancelRto(flow);
    if (flow.backlog !== null) this.net.messagesDropped += flow.backlog.length;
    flow.backlog = null;
    flow.ackLost = false;
    if (conn.phase[other(side)] === "gone") this.net.forgetConnection(conn);
  }

  // --- sender ---

  private queue(flow: Flow, seg: Segment): void {
    const backlog = (flow.backlog ??= []);
    let i = backlog.length;
    while (i > 0 && backlog[i - 1].seq > seg.seq) i--;
    backlog.splice(i, 0, seg);
  }

  private transmit(flow: Flow, seg: Segment): void {
    const net = this.net;
    const conn = flow.connection;
    const from = conn.hostOf(flow.from);
    const to = conn.hostOf(seg.to);
    const now = net.sim.now;
    seg.xmitUs = now;
    if (net.faults.blocking && net.faults.isBlocked(from, to)) return this.lose(flow, seg);
    let arrival: number;
    if (from === to) {
      arrival = now + net.propagationUs(from, to);
    } else {
      arrival = net.nics[from.index].reserveEgress(now, seg.bytes) + net.propagationUs(from, to) + net.lossDelayUs(from, to);
    }
    if (arrival < flow.lastArrivalUs) arrival = flow.lastArrivalUs;
    flow.lastArrivalUs = arrival;
    net.sim.at(arrival, from === to ? deliver : arriveAtNic, seg);
  }

  /** The segment did not make it: it waits for the retransmission timer. */
  private lose(flow: Flow, seg: Segment): void {
    if (seg.seq < 0) return; // a lost probe: the timer is running anyway
    if (flow.connection.phase[flow.from] === "gone") {
      this.net.messagesDropped++;
      return;
    }
    this.net.sim.marks.hit("network: segment lost, waits for retransmission");
    this.queue(flow, seg);
    this.armRto(flow, seg);
  }

  /** The retransmission timer runs from the segment's last transmission (tcp_rearm_rto). */
  private armRto(flow: Flow, seg: Segment): void {
    if (flow.rtoTimer !== null) return;
    const conn = flow.connection;
    if (flow.rtoUs === 0) flow.rtoUs = this.net.baseRtoUs(conn.hostOf(flow.from), conn.hostOf(other(flow.from)));
    if (flow.stampUs < 0) flow.stampUs = seg.sentUs;
    const at = Math.max(this.net.sim.now, seg.xmitUs + flow.rtoUs);
    flow.rtoTimer = this.net.sim.at(at, rtoExpired, flow);
  }

  private cancelRto(flow: Flow): void {
    if (flow.rtoTimer !== null) this.net.sim.cancel(flow.rtoTimer);
    flow.rtoTimer = null;
  }

  /**
   * tcp_retransmit_timer: first tcp_write_timeout (retransmits_timed_out against tcp_retries2, or
   * tcp_orphan_retries for a closed socket, modelled from TCP_RTO_MIN; ETIMEDOUT via
   * tcp_write_err, which tells only this end), then resend and double the RTO.
   */
  onRtoExpired(flow: Flow): void {
    flow.rtoTimer = null;
    const net = this.net;
    const conn = flow.connection;
    const side = flow.from;
    if (conn.phase[side] === "gone" || !flow.inTrouble) return;
    const retries = conn.phase[side] === "closing" ? net.tcp.orphanRetries : net.tcp.retries2;
    if (flow.retransmits > 0 && net.sim.now - flow.stampUs >= tcpModelTimeoutUs(retries, TCP_RTO_MIN_US)) {
      net.sim.marks.hit("network: connection timed out (ETIMEDOUT)");
      net.sim.trace.record(net.sim.now, conn.hostOf(side).name, "net-timed-out", { conn: conn.id });
      this.forget(conn, side);
      net.tellProcess(conn, side);
      return;
    }
    flow.retransmits++;
    flow.rtoUs = backedOffRtoUs(flow.rtoUs);
    net.sim.marks.hit("network: retransmission timer fired");
    const backlog = flow.backlog;
    flow.backlog = null;
    if (backlog !== null) {
      for (const seg of backlog) {
        seg.retransmitted = true;
        this.transmit(flow, seg);
      }
    } else {
      // Only the ACK was lost: the head goes again as a duplicate, which the receiver re-ACKs.
      this.transmit(flow, { connection: conn, to: other(side), seq: -1, fin: false, message: undefined, bytes: 0, sentUs: net.sim.now, xmitUs: net.sim.now, retransmitted: true });
    }
    if (flow.rtoTimer === null && flow.inTrouble) flow.rtoTimer = net.sim.schedule(flow.rtoUs, rtoExpired, flow);
  }

  // --- receiver ---

  /** The last byte reaches the receiver's NIC. */
  ingress(seg: Segment): void {
    const net = this.net;
    const conn = seg.connection;
    const flow = conn.flows[other(seg.to)];
    const from = conn.hostOf(flow.from);
    const to = conn.hostOf(seg.to);
    if (!to.powered || (net.faults.blocking && net.faults.isBlocked(from, to))) return this.lose(flow, seg);
    net.sim.at(net.nics[to.index].reserveIngress(net.sim.now, seg.bytes), deliver, seg);
  }

  /** The receiver's kernel takes the segment: in order to the process, beyond a gap aside, old ones re-ACKed. */
  receive(seg: Segment): void {
    const net = this.net;
    const conn = seg.connection;
    const r = seg.to;
    const flow = conn.flows[other(r)];
    const to = conn.hostOf(r);
    if (!to.powered) return this.lose(flow, seg);
    if (conn.boots[r] !== net.boots[to.index] || conn.phase[r] === "gone") {
      // No socket for it (tcp_v4_rcv: no_tcp_socket): RST.
      if (conn.boots[r] !== net.boots[to.index]) net.sim.marks.hit("network: a rebooted host answers an old connection with RST");
      if (seg.seq >= 0) net.messagesDropped++;
      this.sendRst(conn, r);
      return;
    }
    if (seg.seq > flow.rcvNxt) {
      (flow.ooo ??= []).push(seg);
      flow.ooo.sort((a, b) => a.seq - b.seq);
      return;
    }
    if (seg.seq === flow.rcvNxt) {
      this.accept(flow, seg);
      while (flow.ooo !== null && !gone(conn, r) && flow.ooo[0].seq === flow.rcvNxt) {
        const next = flow.ooo.shift()!;
        if (flow.ooo.length === 0) flow.ooo = null;
        this.accept(flow, next);
      }
    }
    // An end that the peer's FIN has just finished still ACKs it (TIME_WAIT); a reset one does not.
    if (!gone(conn, r) || flow.finDelivered) this.ack(flow, seg);
  }

  private accept(flow: Flow, seg: Segment): void {
    const net = this.net;
    const conn = flow.connection;
    const r = seg.to;
    flow.rcvNxt++;
    if (seg.retransmitted) net.sim.marks.hit("network: retransmitted segment delivered");
    if (seg.fin) {
      flow.finDelivered = true;
      if (conn.phase[r] === "open") {
        // EOF: the process sees the peer gone; like Kafka's Selector, it closes its end in turn.
        net.tellProcess(conn, r);
        this.closeEnd(conn, r);
      }
      this.maybeDone(conn, r);
      return;
    }
    if (conn.phase[r] !== "open") {
      // Data for a socket its process has closed: tcp_rcv_state_process resets it (TCPABORTONDATA).
      net.sim.marks.hit("network: data for a closed socket: RST");
      net.messagesDropped++;
      this.sendRst(conn, r);
      this.forget(conn, r);
      return;
    }
    const to = conn.hostOf(r);
    const h = net.handlers[to.index];
    if (h === null || h.incarnation !== conn.incarnations[r] || to.incarnation !== conn.incarnations[r]) {
      // No process holds it any more (its kernel should have closed it): reset, as for a closed socket.
      net.messagesDropped++;
      this.sendRst(conn, r);
      this.forget(conn, r);
      return;
    }
    net.messagesDelivered++;
    net.sim.trace.recordPair(net.sim.now, to.name, "recv", "conn", conn.id, "bytes", seg.bytes);
    const socket = conn.sockets[r];
    const message = seg.message;
    if (to.state === "running") {
      h.handler.onMessage(socket, message);
      return;
    }
    // A paused process has not read it yet: it sits in the receive queue.
    conn.unread[r]++;
    to.deliver(to.incarnation, () => {
      conn.unread[r]--;
      h.handler.onMessage(socket, message);
    });
  }

  /** The receiver ACKs; the ACK is lost on a blocked reverse path. */
  private ack(flow: Flow, seg: Segment): void {
    const net = this.net;
    const conn = flow.connection;
    const s = flow.from;
    if (conn.phase[s] === "gone") return;
    if (net.faults.blocking && net.faults.isBlocked(conn.hostOf(other(s)), conn.hostOf(s))) {
      if (!flow.ackLost) net.sim.marks.hit("network: ACK lost, the sender will retransmit");
      flow.ackLost = true;
      this.armRto(flow, seg);
      return;
    }
    // The common case: nothing outstanding, nothing to clear.
    if (flow.stampUs < 0 && flow.rtoTimer === null && !flow.finDelivered) return;
    flow.ackLost = false;
    if (flow.finDelivered) flow.finAcked = true;
    if (flow.backlog === null) {
      this.cancelRto(flow);
      flow.retransmits = 0;
      flow.rtoUs = 0;
      flow.stampUs = -1;
    }
    this.maybeDone(conn, s);
  }

  /** An end that has had its FIN acknowledged and the peer's FIN delivered is done (TIME_WAIT/CLOSED). */
  private maybeDone(conn: Connection, side: 0 | 1): void {
    if (conn.phase[side] === "closing" && conn.flows[side].finAcked && conn.flows[other(side)].finDelivered) this.forget(conn, side);
  }

  // --- reset ---

  /** The kernel at `from` answers with RST; it follows the data already on its way, and is never retransmitted. */
  sendRst(conn: Connection, from: 0 | 1): void {
    const net = this.net;
    const a = conn.hostOf(from);
    const b = conn.hostOf(other(from));
    if (!net.reachable(a, b)) return;
    const flow = conn.flows[from];
    let at = net.sim.now + net.propagationUs(a, b);
    if (at < flow.lastArrivalUs) at = flow.lastArrivalUs;
    flow.lastArrivalUs = at;
    const rst: Rst = { connection: conn, to: other(from) };
    net.sim.at(at, rstArrives, rst);
  }

  onRst(rst: Rst): void {
    const net = this.net;
    const conn = rst.connection;
    const host: Host = conn.hostOf(rst.to);
    if (!host.powered || conn.boots[rst.to] !== net.boots[host.index] || conn.phase[rst.to] === "gone") return;
    net.sim.marks.hit("network: connection reset (RST)");
    net.sim.trace.record(net.sim.now, host.name, "net-reset", { conn: conn.id });
    this.forget(conn, rst.to);
    net.tellProcess(conn, rst.to);
  }
}

/** Read afresh: delivering a segment can reset the connection under the caller. */
function gone(conn: Connection, side: 0 | 1): boolean {
  return conn.phase[side] === "gone";
}

function arriveAtNic(seg: Segment): void {
  seg.connection.network.engine.ingress(seg);
}

function deliver(seg: Segment): void {
  seg.connection.network.engine.receive(seg);
}

function rtoExpired(flow: Flow): void {
  flow.connection.network.engine.onRtoExpired(flow);
}

function rstArrives(rst: Rst): void {
  rst.connection.network.engine.onRst(rst);
}
