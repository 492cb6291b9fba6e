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

/**
 * Busy time of a broker's request pools over its life, summed over threads (a pool of n threads
 * can be busy n µs per µs). It outlives a broker process, so a restart does not reset it.
 */
export interface RequestCpu {
  networkThreads: number;
  ioThreads: number;
  networkBusyUs: number;
  ioBusyUs: number;
}

export function newRequestCpu(): RequestCpu {
  return { networkThreads: 0, ioThreads: 0, networkBusyUs: 0, ioBusyUs: 0 };
}

class ServerPool {
  private readonly freeAt: number[];

  constructor(size: number) {
    this.freeAt = new Array(Math.max(1, size)).fill(0);
  }

  get size(): number {
    return this.freeAt.length;
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

  constructor(
    networkThreads: number,
    ioThreads: number,
    private readonly cpu: RequestCpu = newRequestCpu(),
  ) {
    this.network = new ServerPool(networkThreads);
    this.io = new ServerPool(ioThreads);
    cpu.networkThreads = this.network.size;
    cpu.ioThreads = this.io.size;
  }

  /** When a request of this size that arrived now has been read and handled. */
  handledAt(nowUs: number, bytes: number): number {
    const kb = bytes / 1024;
    const networkUs = Math.ceil(NETWORK_US_PER_REQUEST + NETWORK_US_PER_KB * kb);
    const ioUs = Math.ceil(IO_US_PER_REQUEST + IO_US_PER_KB * kb);
    this.cpu.networkBusyUs += networkUs;
    this.cpu.ioBusyUs += ioUs;
    const read = this.network.reserve(nowUs, networkUs);
    return this.io.reserve(read, ioUs);
  }
}
