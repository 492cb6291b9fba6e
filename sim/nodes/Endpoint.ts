/**
 * One process's network endpoint. The network hands a host's process every message, whichever
 * side of a connection it is on; the endpoint routes the server side to one request handler
 * and the client side to the connection object that opened it.
 */
import type { Host } from "../Host.js";
import type { MessageHandler, Socket } from "../network/Network.js";
import type { Machine } from "./Machine.js";

export interface ConnectionOwner {
  onMessage(message: unknown): void;
  onDisconnect(): void;
  /**
   * The handshake completed (socket.established is now true). Until then messages sent on the
   * socket wait in it; a connect that fails ends in onDisconnect instead.
   */
  onConnect?(): void;
}

export interface RequestHandler {
  onRequest(socket: Socket, message: unknown): void;
  onClientGone?(socket: Socket): void;
}

export class Endpoint implements MessageHandler {
  private readonly owners = new Map<number, ConnectionOwner>();

  constructor(
    readonly machine: Machine,
    private readonly server: RequestHandler | null,
  ) {
    machine.listen(this);
  }

  /** Opens a connection whose replies and disconnect go to owner. */
  connect(to: Host, owner: ConnectionOwner): Socket {
    const socket = this.machine.connect(to);
    this.owners.set(socket.connection.id, owner);
    return socket;
  }

  /** Closes a client connection this endpoint opened; its owner hears nothing more. */
  close(socket: Socket): void {
    this.owners.delete(socket.connection.id);
    socket.close();
  }

  onMessage(socket: Socket, message: unknown): void {
    if (socket.side === 1) this.server?.onRequest(socket, message);
    else this.owners.get(socket.connection.id)?.onMessage(message);
  }

  onConnect(socket: Socket): void {
    if (socket.side === 0) this.owners.get(socket.connection.id)?.onConnect?.();
  }

  onDisconnect(socket: Socket): void {
    if (socket.side === 1) {
      this.server?.onClientGone?.(socket);
      return;
    }
    const owner = this.owners.get(socket.connection.id);
    if (owner === undefined) return;
    this.owners.delete(socket.connection.id);
    owner.onDisconnect();
  }
}
