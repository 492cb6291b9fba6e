/**
 * A broker's request-handling CPU: num.network.threads processors that read and write sockets
 * and num.io.threads handlers that run the request logic. Each pool is a set of servers taken
 * first-free, first-come; a request's cost is a fixed part plus a part per byte, so a busy broker
 * queues requests (its RequestQueueTimeMs grows) without one event per thread.
 */

/** CPU per request and per byte, for a 2020s server core; rough, documented guesses. */
export const NETWORK_US_PER_REQUEST = 15;
export const NETWORK_US_PER_KB = 0.5;
export const IO_US_PER_REQUEST = 25;
export const IO_US_PER_KB = 1;

class ServerPool {
  private readonly freeAt: number[];

  constructor(size: number) {
    this.freeAt = new Array(Math.max(1, size)).fill(0);
  }

  /** Reserves the first free server from `ready` on for `costUs`; returns when the work ends. */
  reserve(readyUs: number, costUs: number): number {
    let best = 0;
    for (let i = 1; i < this.freeAt.length; i++) if (this.freeAt[i] < this.freeAt[best]) best = i;
    const start = Math.max(readyUs, this.freeAt[best]);
    const end = start + costUs;
    this.freeAt[best] = end;
    return end;
  }
}

export class RequestPools {
  private readonly network: ServerPool;
  private readonly io: ServerPool;

  constructor(networkThreads: number, ioThreads: number) {
    this.network = new ServerPool(networkThreads);
    this.io = new ServerPool(ioThreads);
  }

  /** When a request of this size that arrived now has been read and handled. */
  handledAt(nowUs: number, bytes: number): number {
    const kb = bytes / 1024;
    const read = this.network.reserve(nowUs, Math.ceil(NETWORK_US_PER_REQUEST + NETWORK_US_PER_KB * kb));
    return this.io.reserve(read, Math.ceil(IO_US_PER_REQUEST + IO_US_PER_KB * kb));
  }
}
