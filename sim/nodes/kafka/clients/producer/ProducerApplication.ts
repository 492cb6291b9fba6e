/**
 * The application thread that calls KafkaProducer.send(): when it calls, and how long each call
 * keeps it busy.
 *
 * Open loop: records arrive at a rate (constant spacing or Poisson) whatever the producer does;
 * a record's latency runs from its arrival, so time the application spent blocked counts.
 * Closed loop (`rate: max`): the thread calls send() again as soon as the last call returned, as
 * kafka-producer-perf-test does with `--throughput -1` (ProducerPerformance: no throttling), and
 * a record's latency runs from its send() call, as perf-test measures it.
 *
 * send() costs the thread CPU per record, and blocks while buffer.memory is exhausted
 * (BufferPool.allocate waits for a batch to free its memory) for at most max.block.ms; then it
 * throws a TimeoutException and that record is lost to the application, which goes on.
 *
 * Records are not events: the producer asks, when it wakes, for every call due by then.
 */
import type { RandomStream } from "../../../../Random.js";

/**
 * Client CPU per send() call. Kreps, "Benchmarking Apache Kafka: 2 Million Writes Per Second (On
 * Three Cheap Machines)" (LinkedIn Engineering, 2014): one producer thread sent 821,557 records/s
 * of 100 bytes with no replication, client-bound: about 1.2 µs a record (serializer, partitioner,
 * accumulator append). The record's bytes are copied into the batch at memory speed, ~10 GB/s.
 */
export const SEND_CPU_US = 1.2;
const COPY_BYTES_PER_US = 10_000;

export interface ApplicationSpec {
  /** Records per second, or "max" for a closed loop. */
  rate: number | "max";
  poisson: boolean;
  messageBytes: number;
  /** No send() call at or after this time. */
  stopAtUs: number;
  maxBlockUs: number;
}

/** What one send() call did: the record joined a batch, or buffer.memory is exhausted. */
export type SendOutcome = "appended" | "no-memory";

export class ProducerApplication {
  /**
   * Arrivals drawn ahead, a ring of `count` from `head` (a power-of-two capacity): the producer
   * looks a batch ahead (callAtUs) and consumes one a record, so a plain array's shift() and
   * regrowth were a per-record cost.
   */
  private upcoming = new Float64Array(256);
  private head = 0;
  private count = 0;
  private lastDrawnUs: number;
  /** When the thread is next free to call send(). */
  private freeAtUs: number;
  /** The call blocked on buffer memory: when it began, and the record's latency origin. */
  private blockedSinceUs = -1;
  private blockedArrivalUs = 0;
  readonly sendCpuUs: number;
  /** Records whose send() threw after max.block.ms. */
  timedOut = 0;

  constructor(
    private readonly spec: ApplicationSpec,
    private readonly rng: RandomStream,
    startUs: number,
  ) {
    this.lastDrawnUs = startUs;
    this.freeAtUs = startUs;
    this.sendCpuUs = SEND_CPU_US + spec.messageBytes / COPY_BYTES_PER_US;
  }

  get blocked(): boolean {
    return this.blockedSinceUs >= 0;
  }

  /** The application starts over from now (before the producer first has metadata nothing is sent). */
  restartAt(nowUs: number): void {
    this.lastDrawnUs = nowUs;
    this.freeAtUs = nowUs;
    this.head = 0;
    this.count = 0;
  }

  /**
   * Makes every send() call due by now. `send(arrivalUs)` appends one record; `fail(arrivalUs)`
   * reports one record whose call timed out. Returns the number of records appended.
   */
  run(nowUs: number, send: (arrivalUs: number) => SendOutcome, fail: (arrivalUs: number) => void): number {
    let appended = 0;
    if (this.blocked) {
      if (send(this.blockedArrivalUs) === "appended") {
        appended++;
        this.freeAtUs = nowUs + this.sendCpuUs;
        this.blockedSinceUs = -1;
      } else if (nowUs >= this.blockedSinceUs + this.spec.maxBlockUs) {
        this.timedOut++;
        fail(this.blockedArrivalUs);
        this.freeAtUs = this.blockedSinceUs + this.spec.maxBlockUs;
        this.blockedSinceUs = -1;
      } else return appended;
    }
    for (;;) {
      const arrival = this.nextArrivalUs();
      // The thread's clock keeps fractions of a µs (a call costs ~1.3 µs); event times are whole µs.
      const call = Math.max(arrival, this.freeAtUs);
      if (call > nowUs || call >= this.spec.stopAtUs) return appended;
      this.consumeArrival();
      const origin = this.spec.rate === "max" ? Math.ceil(call) : arrival;
      if (send(origin) === "no-memory") {
        this.blockedSinceUs = Math.ceil(call);
        this.blockedArrivalUs = origin;
        return appended;
      }
      appended++;
      this.freeAtUs = call + this.sendCpuUs;
    }
  }

  /** The next time run() has something to do: a call falls due, or a blocked call times out. */
  nextWakeUs(): number {
    if (this.blocked) return this.blockedSinceUs + this.spec.maxBlockUs;
    const call = Math.ceil(Math.max(this.nextArrivalUs(), this.freeAtUs));
    return call < this.spec.stopAtUs ? call : Infinity;
  }

  /** When the k-th call from now would be made if nothing blocks (for waking when a batch fills). */
  callAtUs(k: number): number {
    if (this.spec.rate === "max") return Math.ceil(this.freeAtUs + k * this.sendCpuUs);
    return Math.ceil(Math.max(this.arrivalAt(k), this.freeAtUs + k * this.sendCpuUs));
  }

  private nextArrivalUs(): number {
    return this.spec.rate === "max" ? this.freeAtUs : this.arrivalAt(0);
  }

  private consumeArrival(): void {
    if (this.spec.rate === "max") return;
    this.head = (this.head + 1) & (this.upcoming.length - 1);
    this.count--;
  }

  /** The k-th open-loop arrival from now on (drawn ahead, deterministic). */
  private arrivalAt(k: number): number {
    const rate = this.spec.rate as number;
    while (this.count <= k) {
      const gap = this.spec.poisson ? this.rng.exponential(1e6 / rate) : 1e6 / rate;
      this.lastDrawnUs += gap;
      if (this.count === this.upcoming.length) this.grow();
      this.upcoming[(this.head + this.count) & (this.upcoming.length - 1)] = this.lastDrawnUs;
      this.count++;
    }
    return Math.ceil(this.upcoming[(this.head + k) & (this.upcoming.length - 1)]);
  }

  private grow(): void {
    const old = this.upcoming;
    const next = new Float64Array(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.upcoming = next;
    this.head = 0;
  }
}
