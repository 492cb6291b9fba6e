/**
 * Linux writeback per inode (fs/fs-writeback.c): dirtied_when is set when an inode goes from
 * clean to dirty and kept while it stays dirty; the flusher writes back whole inodes whose
 * dirtied_when is older than dirty_expire, and the next write after that starts a new clock.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Simulation } from "../sim/Simulation.js";
import { BlockDevice } from "../sim/disk/BlockDevice.js";
import { PageCache, LINUX_DEFAULTS } from "../sim/disk/PageCache.js";
import { HDD_7200, NVME_SSD } from "../sim/disk/profiles.js";
import type { DeviceSpec } from "../sim/disk/BlockDevice.js";

const GiB = 1024 ** 3;
const S = 1_000_000;

function cache(device: DeviceSpec = NVME_SSD, memoryBytes = 32 * GiB) {
  const sim = new Simulation(1);
  const pc = new PageCache(sim, "h", { memoryBytes, ...LINUX_DEFAULTS });
  const dev = new BlockDevice(sim, "h/disk", device);
  return { sim, pc, dev, file: pc.open("log", dev) };
}

describe("per-inode writeback rules", () => {
  it("dirtied_when is the first write's time and is kept while the inode stays dirty", () => {
    const { sim, pc, file } = cache();
    sim.schedule(1 * S, () => pc.append(file, 4096), undefined);
    sim.schedule(20 * S, () => pc.append(file, 4096), undefined);
    sim.run({ untilUs: 34 * S });
    expect(file.durable).toBe(0);
    expect(file.dirtiedWhenUs).toBe(1 * S);
    sim.run({ untilUs: 36 * S });
    expect(file.durable).toBe(8192); // the whole inode, the 20 s write too, at the 35 s wake
  });

  it("the flusher cleans the inode: a write while its writeback is still in flight starts a new clock", () => {
    const { sim, pc, file } = cache(HDD_7200);
    sim.schedule(1 * S, () => pc.append(file, 100_000_000), undefined); // ~0.47 s of HDD writing
    sim.schedule(35 * S + 100_000, () => pc.append(file, 4096), undefined);
    sim.run({ untilUs: 35 * S + 200_000 });
    expect(file.submitted).toBe(100_000_000); // submitted at the 35 s wake, not yet on the device
    expect(file.durable).toBeLessThan(100_000_000);
    expect(file.dirtiedWhenUs).toBe(35 * S + 100_000);
    sim.run({ untilUs: 69 * S });
    expect(file.durable).toBe(100_000_000); // not written at 40, 45, ... 65 s
    sim.run({ untilUs: 71 * S });
    expect(file.durable).toBe(100_004_096); // expired at 65.1 s, written at the 70 s wake
  });

  it("fsync does not reset the clock: the inode stays dirty, and a later write goes with the old dirtied_when", () => {
    const { sim, pc, file } = cache();
    sim.schedule(1 * S, () => pc.append(file, 4096), undefined);
    sim.schedule(2 * S, () => pc.fsync(file, () => {}), undefined);
    sim.schedule(10 * S, () => pc.append(file, 4096), undefined);
    sim.run({ untilUs: 3 * S });
    expect(file.durable).toBe(4096);
    expect(file.inodeDirty).toBe(true); // ext4/XFS fsync leaves i_state alone
    sim.run({ untilUs: 36 * S });
    expect(file.durable).toBe(8192); // dirtied at 1 s: written at the 35 s wake, not at 40 s
    expect(file.inodeDirty).toBe(false);
  });

  it("an inode that fsync left dirty with nothing to write is cleaned by the flusher, so the next write starts a new clock", () => {
    const { sim, pc, file } = cache();
    sim.schedule(1 * S, () => pc.append(file, 4096), undefined);
    sim.schedule(2 * S, () => pc.fsync(file, () => {}), undefined);
    sim.schedule(36 * S, () => pc.append(file, 4096), undefined);
    sim.run({ untilUs: 35 * S + 1 });
    expect(file.inodeDirty).toBe(false);
    sim.run({ untilUs: 69 * S });
    expect(file.durable).toBe(4096);
    sim.run({ untilUs: 71 * S });
    expect(file.durable).toBe(8192);
  });

  it("background writeback takes the eldest dirtied inode first and cleans what it writes", () => {
    const { sim, pc, dev } = cache(NVME_SSD, 1_000_000); // background threshold 100 KB
    const older = pc.open("older", dev);
    const newer = pc.open("newer", dev);
    sim.schedule(1 * S, () => pc.append(older, 60_000), undefined);
    sim.schedule(2 * S, () => pc.append(newer, 30_000), undefined);
    sim.schedule(3 * S, () => pc.append(newer, 30_000), undefined); // 120 KB dirty: over
    sim.run({ untilUs: 4 * S });
    expect(older.durable).toBe(60_000);
    expect(older.inodeDirty).toBe(false);
    expect(newer.durable).toBe(0); // 60 KB left dirty is under the threshold
    expect(newer.dirtiedWhenUs).toBe(2 * S);
  });
});

describe("a steadily written file", () => {
  it("holds between 0 and ~35 s of its data unflushed (dirty_expire 30 s + the 5 s flusher period)", () => {
    // 10 MB/s in 64 KiB writes for 3 simulated minutes, default sysctls, 32 GiB of memory.
    const { sim, pc, file } = cache();
    const write = 65_536;
    const everyUs = 6_554; // 65,536 B / 6,554 µs = 10.0 MB/s
    const bytesPerSecond = (write * S) / everyUs;
    const tick = (): void => {
      pc.append(file, write);
      sim.schedule(everyUs, tick, undefined);
    };
    sim.schedule(0, tick, undefined);
    let max = 0;
    let maxAfterFirst = 0;
    let min = Infinity;
    for (let t = 100_000; t <= 180 * S; t += 100_000) {
      sim.run({ untilUs: t });
      const dirty = file.size - file.durable;
      max = Math.max(max, dirty);
      if (t >= 40 * S) {
        maxAfterFirst = Math.max(maxAfterFirst, dirty);
        min = Math.min(min, dirty);
      }
    }
    const seconds = (b: number): string => (b / bytesPerSecond).toFixed(2);
    console.log(`steady 10 MB/s: dirty bytes from ${min} (${seconds(min)} s of data) to ${max} (${seconds(max)} s of data)`);
    expect(max).toBeLessThanOrEqual(35.5 * bytesPerSecond); // 35 s + the device's time
    expect(maxAfterFirst).toBeGreaterThan(25 * bytesPerSecond); // the old every-5-s writeback held ~5 s
    expect(min).toBeLessThan(1 * bytesPerSecond);
  });
});

describe("power loss", () => {
  it("loses exactly the dirty bytes, never more than were written in the last dirty_expire + writeback interval", () => {
    const windowUs = (LINUX_DEFAULTS.dirtyExpireCentisecs + LINUX_DEFAULTS.dirtyWritebackCentisecs) * 10_000 + 1 * S; // + device time
    const op = fc.record({
      atUs: fc.integer({ min: 0, max: 150 * S }),
      file: fc.integer({ min: 0, max: 2 }),
      kind: fc.constantFrom("write", "write", "write", "fsync"),
      bytes: fc.integer({ min: 1, max: 4_000_000 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 1, max: 160 * S }), (ops, powerOffUs) => {
        const { sim, pc, dev } = cache();
        const files = [pc.open("a", dev), pc.open("b", dev), pc.open("c", dev)];
        const written: Array<{ atUs: number; bytes: number }> = [];
        for (const o of ops) {
          sim.at(
            o.atUs,
            () => {
              if (o.kind === "fsync") pc.fsync(files[o.file], () => {});
              else {
                pc.append(files[o.file], o.bytes);
                written.push({ atUs: sim.now, bytes: o.bytes });
              }
            },
            undefined,
          );
        }
        sim.run({ untilUs: powerOffUs });
        const dirty = files.reduce((sum, f) => sum + f.size - f.durable, 0);
        const recent = written.filter((w) => w.atUs > powerOffUs - windowUs).reduce((sum, w) => sum + w.bytes, 0);
        pc.powerOff();
        expect(pc.bytesLostToPowerLoss).toBe(dirty);
        expect(pc.bytesLostToPowerLoss).toBeLessThanOrEqual(recent);
        for (const f of files) expect(f.size).toBe(f.durable);
      }),
      { numRuns: 200 },
    );
  });
});

describe("truncation while writeback is in flight", () => {
  function inFlight() {
    const c = cache(HDD_7200);
    c.pc.append(c.file, 100_000_000, undefined, "a"); // ~0.47 s of HDD writing
    c.pc.append(c.file, 100_000_000, undefined, "b");
    return c;
  }

  it("keeps the range that remains: it reaches the device with the writeback already under way", () => {
    const { sim, pc, file } = inFlight();
    pc.fsync(file, () => {});
    sim.run({ untilUs: 100_000 });
    expect(pc.truncate(file, 100_000_000)).toBeNull();
    sim.run({ untilUs: 1 * S });
    expect(file.durable).toBe(100_000_000); // not left dirty for the flusher's next 30 s
    pc.powerOff();
    expect(pc.bytesLostToPowerLoss).toBe(0);
    expect(file.contents.map((c) => c.payload)).toEqual(["a"]);
  });

  it("an fsync waiting on the truncated range completes, with what remains on the device", () => {
    const { sim, pc, file } = inFlight();
    const done: Array<{ at: number; durable: number; err: string | null }> = [];
    pc.fsync(file, (err) => done.push({ at: sim.now, durable: file.durable, err }));
    sim.run({ untilUs: 100_000 });
    pc.truncate(file, 150_000_000);
    sim.run({ untilUs: 2 * S });
    expect(done).toEqual([{ at: expect.any(Number), durable: 150_000_000, err: null }]);
  });

  it("a stale completion never marks data written after the truncation durable", () => {
    const { sim, pc, file } = inFlight();
    pc.fsync(file, () => {});
    sim.run({ untilUs: 100_000 });
    pc.truncate(file, 0);
    pc.append(file, 150_000_000, undefined, "new");
    sim.run({ untilUs: 2 * S });
    expect(file.durable).toBe(0); // the new bytes have not been written back
    pc.powerOff();
    expect(file.size).toBe(0);
    expect(pc.bytesLostToPowerLoss).toBe(150_000_000);
  });
});

describe("writes, fsyncs and truncations in any order", () => {
  it("every fsync completes and every byte reaches the device within dirty_expire + dirty_writeback", () => {
    const op = fc.record({
      atUs: fc.integer({ min: 0, max: 60 * S }),
      file: fc.integer({ min: 0, max: 1 }),
      kind: fc.constantFrom("write", "write", "fsync", "truncate"),
      bytes: fc.integer({ min: 1, max: 30_000_000 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const { sim, pc, dev } = cache(HDD_7200);
        const files = [pc.open("a", dev), pc.open("b", dev)];
        let asked = 0;
        let answered = 0;
        for (const o of ops) {
          sim.at(
            o.atUs,
            () => {
              const f = files[o.file];
              if (o.kind === "write") pc.append(f, o.bytes);
              else if (o.kind === "truncate") pc.truncate(f, Math.floor(f.size / 2));
              else {
                asked++;
                pc.fsync(f, () => answered++);
              }
            },
            undefined,
          );
        }
        sim.run({ untilUs: 100 * S }); // 60 s + 35 s + the HDD's time for what is left
        expect(answered).toBe(asked);
        for (const f of files) expect({ durable: f.durable, inflight: f.inflight.length }).toEqual({ durable: f.size, inflight: 0 });
        expect(pc.dirtyBytes).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
