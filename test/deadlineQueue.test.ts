import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Simulation } from "../sim/Simulation.js";
import { DeadlineQueue } from "../sim/nodes/kafka/server/DeadlineQueue.js";
import type { Machine } from "../sim/nodes/Machine.js";

/** Just what the queue uses of a machine: the clock and timers. */
function machineOn(sim: Simulation): Machine {
  return {
    get now() {
      return sim.now;
    },
    setTimer: (delayUs: number, fn: () => void) => sim.schedule(delayUs, (f: () => void) => f(), fn),
    cancelTimer: (h: number) => sim.cancel(h),
  } as unknown as Machine;
}

interface Parked {
  parkAt: number;
  waitUs: number;
  /** When it completes on its own (Infinity: never, it times out). */
  doneAfter: number;
}

describe("DeadlineQueue (purgatory timeouts)", () => {
  it("expires each request still waiting exactly at its deadline, in deadline then park order, never a completed one", () => {
    const parked = fc.record({
      parkAt: fc.integer({ min: 0, max: 2_000 }),
      waitUs: fc.constantFrom(0, 1, 500, 500, 500, 1_000, 30_000),
      doneAfter: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 40_000 })),
    });
    fc.assert(
      fc.property(fc.array(parked, { maxLength: 60 }), (items: Parked[]) => {
        const sim = new Simulation(1);
        const q = new DeadlineQueue<{ done: boolean; expire(): void }>(machineOn(sim));
        const expired: Array<{ id: number; at: number }> = [];
        const order = [...items.keys()].sort((a, b) => items[a].parkAt - items[b].parkAt || a - b);
        const states = items.map(() => ({ done: false }));
        for (const id of order) {
          const it = items[id];
          sim.at(it.parkAt, () => {
            const entry = {
              done: false,
              expire() {
                entry.done = true;
                states[id].done = true;
                expired.push({ id, at: sim.now });
              },
            };
            q.add(sim.now + it.waitUs, entry);
            // Completing strictly before the deadline: it answers on its own.
            if (it.doneAfter < it.waitUs) sim.schedule(it.doneAfter, () => ((entry.done = true), (states[id].done = true)), null);
          }, null);
        }
        sim.run();
        const timedOut = order.filter((id) => !(items[id].doneAfter < items[id].waitUs));
        const want = timedOut
          .map((id) => ({ id, at: items[id].parkAt + items[id].waitUs }))
          .sort((a, b) => a.at - b.at || order.indexOf(a.id) - order.indexOf(b.id));
        expect(expired).toEqual(want);
        expect(states.every((s) => s.done)).toBe(true);
      }),
    );
  });

  it("arms for an earlier deadline added while it waits for a later one", () => {
    const sim = new Simulation(1);
    const q = new DeadlineQueue<{ done: boolean; expire(): void }>(machineOn(sim));
    const at: number[] = [];
    const entry = (): { done: boolean; expire(): void } => ({ done: false, expire: () => at.push(sim.now) });
    q.add(1_000, entry());
    q.add(10, entry());
    sim.run();
    expect(at).toEqual([10, 1_000]);
  });

  it("after a pause, work that arrived between two deadlines still runs between their expiries", () => {
    // A host as the queue sees it: while paused, timers and messages wait and run at resume in arrival order.
    const sim = new Simulation(1);
    let paused = false;
    const deferred: Array<() => void> = [];
    const run = (fn: () => void): void => (paused ? void deferred.push(fn) : fn());
    const machine = {
      get now() {
        return sim.now;
      },
      setTimer: (delayUs: number, fn: () => void) => sim.schedule(delayUs, run, fn),
      cancelTimer: (h: number) => sim.cancel(h),
    } as unknown as Machine;
    const q = new DeadlineQueue<{ done: boolean; expire(): void }>(machine);
    const log: string[] = [];
    const a = { done: false, expire: () => ((a.done = true), log.push("a expired")) };
    const b = { done: false, expire: () => ((b.done = true), log.push("b expired")) };
    sim.at(0, () => (q.add(100, a), q.add(200, b)), null);
    sim.at(50, () => (paused = true), null);
    // b's answer arrives at 150, between the deadlines, while the process is frozen.
    sim.at(150, () => run(() => ((b.done = true), log.push("b answered"))), null);
    sim.at(300, () => {
      paused = false;
      for (const fn of deferred.splice(0)) sim.schedule(0, (f: () => void) => f(), fn);
    }, null);
    sim.run();
    expect(log).toEqual(["a expired", "b answered"]);
  });
});
