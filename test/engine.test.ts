import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { EventQueue } from "../sim/EventQueue.js";
import { Simulation } from "../sim/Simulation.js";
import { Rng } from "../sim/Random.js";

describe("EventQueue", () => {
  it("pops in (time, insertion order) for any schedule", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (times) => {
        const q = new EventQueue(4);
        times.forEach((t, i) => q.push(t, i));
        const out: Array<[number, number]> = [];
        while (q.size > 0) {
          const t = q.peekTime();
          out.push([t, q.pop()]);
        }
        const expected = times.map((t, i) => [t, i] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(out).toEqual(expected);
      }),
    );
  });

  it("keeps order when pushes interleave with deferred pops", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 20 })), { maxLength: 200 }), (ops) => {
        const q = new EventQueue(2);
        const ref: Array<[number, number]> = [];
        let seq = 0;
        for (const [isPop, dt] of ops) {
          if (isPop && q.size > 0) {
            ref.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
            const [t, s] = ref.shift()!;
            expect(q.peekTime()).toBe(t);
            expect(q.takeTop()).toBe(s);
          } else {
            ref.push([dt, seq]);
            q.push(dt, seq++);
          }
        }
      }),
    );
  });
});

describe("Simulation", () => {
  it("runs events in time order, ties by scheduling order, and cancels in O(1)", () => {
    const sim = new Simulation(1);
    const seen: string[] = [];
    sim.schedule(10, (s: string) => seen.push(s), "b");
    sim.schedule(5, (s: string) => seen.push(s), "a");
    sim.schedule(10, (s: string) => seen.push(s), "c");
    const h = sim.schedule(7, (s: string) => seen.push(s), "cancelled");
    expect(sim.cancel(h)).toBe(true);
    expect(sim.cancel(h)).toBe(false);
    expect(sim.run()).toBe("quiescent");
    expect(seen).toEqual(["a", "b", "c"]);
    expect(sim.now).toBe(10);
    expect(sim.events).toBe(3);
  });

  it("a stale handle cannot cancel the event that reused its slot", () => {
    const sim = new Simulation(1);
    const seen: number[] = [];
    const h1 = sim.schedule(1, (x: number) => seen.push(x), 1);
    sim.run();
    sim.schedule(1, (x: number) => seen.push(x), 2);
    expect(sim.cancel(h1)).toBe(false);
    sim.run();
    expect(seen).toEqual([1, 2]);
  });

  it("stops at a time, an event count, or quiescence", () => {
    const sim = new Simulation(1);
    const tick = (): void => {
      sim.schedule(100, tick, undefined);
    };
    sim.schedule(0, tick, undefined);
    expect(sim.run({ untilUs: 1_000 })).toBe("time");
    expect(sim.now).toBe(1_000);
    expect(sim.run({ maxEvents: 5 })).toBe("events");
    expect(sim.now).toBe(1_500);
  });

  it("rejects non-integer or past times", () => {
    const sim = new Simulation(1);
    expect(() => sim.schedule(1.5, () => {}, undefined)).toThrow(RangeError);
    expect(() => sim.schedule(-1, () => {}, undefined)).toThrow(RangeError);
  });

  it("checks invariants after every event and stops on a violation", () => {
    const sim = new Simulation(1);
    let x = 0;
    sim.addInvariant("x stays below 3", () => (x < 3 ? null : `x = ${x}`));
    for (let i = 1; i <= 5; i++) sim.schedule(i, () => x++, undefined);
    expect(sim.run()).toBe("stopped");
    expect(sim.violations).toEqual([{ name: "x stays below 3", atUs: 3, message: "x = 3" }]);
  });

  it("the trace hash depends on every record", () => {
    const a = new Simulation(1);
    const b = new Simulation(1);
    a.trace.record(1, "n", "t", { v: 1 });
    b.trace.record(1, "n", "t", { v: 2 });
    expect(a.trace.hash).not.toBe(b.trace.hash);
    expect(a.trace.hash).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("Rng", () => {
  it("an extra draw on one stream leaves another unchanged", () => {
    const r1 = new Rng(42);
    const r2 = new Rng(42);
    r1.stream("broker-1/disk").random();
    r1.stream("broker-1/disk").random();
    const a = Array.from({ length: 5 }, () => r1.stream("network").random());
    const b = Array.from({ length: 5 }, () => r2.stream("network").random());
    expect(a).toEqual(b);
    expect(new Rng(43).stream("network").random()).not.toBe(b[0]);
  });

  it("distributions have the expected means", () => {
    const s = new Rng(7).stream("dist");
    const mean = (f: () => number, n = 200_000): number => {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += f();
      return sum / n;
    };
    expect(mean(() => s.uniform(2, 4))).toBeCloseTo(3, 1);
    expect(mean(() => s.exponential(10))).toBeCloseTo(10, 0);
    expect(mean(() => s.normal(5, 2))).toBeCloseTo(5, 1);
    expect(mean(() => s.lognormal(0, 0.5))).toBeCloseTo(Math.exp(0.125), 1);
    expect(mean(() => s.pareto(1, 3))).toBeCloseTo(1.5, 1);
    expect(mean(() => (s.bernoulli(0.3) ? 1 : 0))).toBeCloseTo(0.3, 2);
  });
});

describe("the watchdog on simulated progress (issue 9)", () => {
  it("stops a run whose clock no longer moves, as 'stalled', and names what kept running", () => {
    const sim = new Simulation(1);
    const spin = (): void => void sim.schedule(0, spin, undefined);
    sim.schedule(5, spin, undefined);
    expect(sim.run({ untilUs: 1_000_000 })).toBe("stalled");
    expect(sim.now).toBe(5);
    expect([...sim.stallTally.keys()]).toEqual(["spin"]);
  });

  it("a zero-time retry loop ends the run as stalled instead of hanging", async () => {
    const { loadScenario } = await import("../scenarios/loader.js");
    const { runScenario } = await import("../scenarios/runner.js");
    const { readFileSync } = await import("node:fs");
    const r = loadScenario(readFileSync("scenarios/steady-state.yaml", "utf8"), "steady-state.yaml");
    if (!r.ok) throw new Error("load");
    // Values the loader refuses (a follower that never connects and retries with no backoff),
    // forced past it: the watchdog is the last line of defence.
    Object.assign((r.scenario.doc.cluster.config ??= {}), { "replica.fetch.wait.max.ms": 0, "replica.socket.timeout.ms": 0, "replica.fetch.backoff.ms": 0 });
    const outcome = runScenario(r.scenario, { seed: 1 });
    expect(outcome.stopReason).toBe("stalled");
    expect([...outcome.world.sim.stallTally.keys()].join()).toMatch(/broker-\d/);
  }, 60_000);
});
