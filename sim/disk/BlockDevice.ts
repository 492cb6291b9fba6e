/**
 * A block device as a queue with a latency/throughput model.
 *
 * - HDD: one head; an operation that does not continue where the last one ended pays an
 *   average seek plus half a rotation, then transfers at the sustained media rate.
 * - SSD / NVMe: `queueDepth` operations proceed in parallel, each paying a fixed access
 *   latency; their transfers share the device's bandwidth, and operation starts are spaced by
 *   the IOPS limit.
 *
 * Faults: a slow disk multiplies every service time; a failed disk answers every operation
 * with EIO after its access latency.
 *
 * We assume, unrealistically, no device write cache (a completed write is on stable media) and
 * no read-ahead; the page cache above does the caching.
 */
import type { Simulation } from "../Simulation.js";

export type DeviceKind = "hdd" | "ssd" | "nvme";
export type IoError = "EIO" | "ENOSPC";
export type IoCallback = (error: IoError | null) => void;

export interface DeviceSpec {
  kind: DeviceKind;
  capacityBytes: number;
  /** HDD: average seek time. */
  avgSeekUs: number;
  /** HDD: average rotational latency (half a revolution). */
  avgRotationUs: number;
  /** SSD/NVMe: fixed access latency per operation. */
  readLatencyUs: number;
  writeLatencyUs: number;
  readBytesPerSecond: number;
  writeBytesPerSecond: number;
  /** SSD/NVMe: operations per second at most (the smaller of read/write 4 KiB IOPS). */
  iops: number;
  /** SSD/NVMe: operations in flight at once. HDD: 1. */
  queueDepth: number;
}

export interface IoLocation {
  fileId: number;
  offset: number;
}

export class BlockDevice {
  /** Service-time multiplier (a slowDisk fault sets it above 1). */
  slowFactor = 1;
  failed = false;
  /** Usable capacity (a fullDisk fault lowers it to what is used). */
  capacityBytes: number;
  /** Bytes held by files on this device (kept by the page cache). */
  usedBytes = 0;
  bytesRead = 0;
  bytesWritten = 0;
  operations = 0;
  /** Time with at least one operation in the device, queued ones included (iostat's %util, io_ticks), µs. */
  busyUs = 0;
  private busyUntilUs = 0;
  private channelFreeAtUs: Float64Array;
  private busFreeAtUs = 0;
  private lastStartUs = -Infinity;
  private lastFileId = -1;
  private lastEndOffset = -1;

  constructor(
    private readonly sim: Simulation,
    readonly name: string,
    readonly spec: DeviceSpec,
  ) {
    this.capacityBytes = spec.capacityBytes;
    this.channelFreeAtUs = new Float64Array(Math.max(1, spec.kind === "hdd" ? 1 : spec.queueDepth));
  }

  read(bytes: number, at: IoLocation, done: IoCallback): void {
    this.submit(false, bytes, at, done);
  }

  write(bytes: number, at: IoLocation, done: IoCallback): void {
    this.submit(true, bytes, at, done);
  }

  private submit(isWrite: boolean, bytes: number, at: IoLocation, done: IoCallback): void {
    const spec = this.spec;
    const now = this.sim.now;
    this.operations++;
    // The earliest-free channel takes the operation.
    let channel = 0;
    for (let i = 1; i < this.channelFreeAtUs.length; i++) if (this.channelFreeAtUs[i] < this.channelFreeAtUs[channel]) channel = i;
    let start = Math.max(now, this.channelFreeAtUs[channel]);
    let doneAt: number;
    if (spec.kind === "hdd") {
      const sequential = at.fileId === this.lastFileId && at.offset === this.lastEndOffset;
      const positioning = sequential ? 0 : spec.avgSeekUs + spec.avgRotationUs;
      const rate = isWrite ? spec.writeBytesPerSecond : spec.readBytesPerSecond;
      doneAt = start + Math.ceil((positioning + (bytes * 1_000_000) / rate) * this.slowFactor);
    } else {
      if (spec.iops > 0) start = Math.max(start, this.lastStartUs + Math.ceil(1_000_000 / spec.iops));
      this.lastStartUs = start;
      const latency = (isWrite ? spec.writeLatencyUs : spec.readLatencyUs) * this.slowFactor;
      const rate = isWrite ? spec.writeBytesPerSecond : spec.readBytesPerSecond;
      const transferStart = Math.max(start + Math.ceil(latency), this.busFreeAtUs);
      doneAt = transferStart + Math.ceil(((bytes * 1_000_000) / rate) * this.slowFactor);
      this.busFreeAtUs = doneAt;
    }
    this.channelFreeAtUs[channel] = doneAt;
    // Operations start at a non-decreasing `now`, so extending the busy interval keeps a union.
    if (doneAt > Math.max(now, this.busyUntilUs)) this.busyUs += doneAt - Math.max(now, this.busyUntilUs);
    if (doneAt > this.busyUntilUs) this.busyUntilUs = doneAt;
    this.lastFileId = at.fileId;
    this.lastEndOffset = at.offset + bytes;
    if (this.failed) {
      this.sim.marks.hit("disk: I/O on a failed disk");
      this.sim.at(doneAt, done, "EIO");
      return;
    }
    if (isWrite) this.bytesWritten += bytes;
    else this.bytesRead += bytes;
    this.sim.at(doneAt, done, null);
  }

  /** Power loss: whatever was queued is gone with the host. */
  reset(): void {
    this.channelFreeAtUs.fill(this.sim.now);
    this.busFreeAtUs = this.sim.now;
    this.lastFileId = -1;
    if (this.busyUntilUs > this.sim.now) this.busyUs -= this.busyUntilUs - this.sim.now;
    this.busyUntilUs = Math.min(this.busyUntilUs, this.sim.now);
  }
}
