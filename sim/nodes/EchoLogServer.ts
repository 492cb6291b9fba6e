/**
 * A placeholder broker for the hardware-level runs of the foundation: it accepts writes over
 * the network, appends each to one log file through the page cache (fsyncing every
 * `log.flush.interval.messages` writes, as Kafka's flush config would), and acknowledges.
 * It has no replication, leaders or ZooKeeper; the Kafka broker replaces it (issue 3).
 *
 * On start it recovers: the log holds whatever survived on disk (all of it after a crash, the
 * durable prefix after a power loss).
 */
import type { Process } from "../Host.js";
import type { Socket } from "../network/Network.js";
import type { SimFile } from "../disk/File.js";
import type { Machine } from "./Machine.js";
import { assertNever } from "../assert.js";

export type ClientRequest = { type: "write"; id: number; bytes: number };
export type ServerResponse = { type: "ack"; id: number } | { type: "error"; id: number; error: string };

/** Bytes of a response on the wire (header + id), roughly a Kafka ProduceResponse for one partition. */
export const RESPONSE_BYTES = 64;

export interface EchoLogServerConfig {
  /** `log.flush.interval.messages`: fsync after this many appends (Kafka default Long.MAX_VALUE: never). */
  flushIntervalMessages: number;
}

export class EchoLogServer implements Process {
  readonly kind = "echo-log-server";
  private readonly log: SimFile;
  private unflushed = 0;

  constructor(
    private readonly machine: Machine,
    private readonly config: EchoLogServerConfig,
  ) {
    this.log = machine.openFile("data.log");
    machine.trace("log-recovered", { bytes: this.log.size, records: this.log.contents.length });
    machine.listen({ onMessage: (socket, message) => this.onMessage(socket, message as ClientRequest) });
  }

  private onMessage(socket: Socket, request: ClientRequest): void {
    switch (request.type) {
      case "write":
        return this.onWrite(socket, request);
      default:
        return assertNever(request.type);
    }
  }

  private onWrite(socket: Socket, request: ClientRequest): void {
    this.machine.append(this.log, request.bytes, request.id, (error) => {
      if (error !== null) {
        socket.send({ type: "error", id: request.id, error } satisfies ServerResponse, RESPONSE_BYTES);
        return;
      }
      if (++this.unflushed < this.config.flushIntervalMessages) {
        socket.send({ type: "ack", id: request.id } satisfies ServerResponse, RESPONSE_BYTES);
        return;
      }
      this.unflushed = 0;
      this.machine.fsync(this.log, (fsyncError) => {
        const response: ServerResponse = fsyncError === null ? { type: "ack", id: request.id } : { type: "error", id: request.id, error: fsyncError };
        socket.send(response, RESPONSE_BYTES);
      });
    });
  }
}
