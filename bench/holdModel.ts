/**
 * The classic hold model (Vaucher & Duval; Jones 1986): N pending events; repeatedly pop the
 * earliest and schedule it again at now + an exponential delay. It measures the event queue
 * and dispatch loop and nothing else. The same model runs on simjs for comparison.
 */
import { createRequire } from "node:module";
import { Simulation } from "../sim/Simulation.js";
import { RandomStream } from "../sim/Random.js";

export interface HoldOptions {
  pending: number;
  events: number;
  meanDelayUs: number;
  seed: number;
}

export interface HoldResult {
  events: number;
  wallMs: number;
  eventsPerSec: number;
}

export function holdOnKafkasim(o: HoldOptions): HoldResult {
  const sim = new Simulation(o.seed);
  const rng = new RandomStream("hold", `${o.seed}/hold`);
  const mean = o.meanDelayUs;
  const hold = (id: number): void => {
    sim.schedule(rng.delayUs(rng.exponential(mean)), hold, id);
  };
  for (let i = 0; i < o.pending; i++) sim.schedule(rng.delayUs(rng.exponential(mean)), hold, i);
  const start = performance.now();
  sim.run({ maxEvents: o.events });
  const wallMs = performance.now() - start;
  return { events: sim.events, wallMs, eventsPerSec: (sim.events / wallMs) * 1000 };
}

interface SimjsRequest {
  done(callback: () => void): SimjsRequest;
}
interface SimjsEntity {
  setTimer(duration: number): SimjsRequest;
}

interface SimjsModule {
  Sim: new () => { addEntity(k: unknown): unknown; simulate(end: number, max: number): void };
  Entity: new (...a: unknown[]) => SimjsEntity;
}

/**
 * simjs 2.0.3 ships a browserify bundle whose entry exports stay inside the bundle; it only
 * publishes them as `window.Sim`. So we give it a `window` for the duration of the load.
 */
let simjsModule: SimjsModule | undefined;
function loadSimjs(): SimjsModule {
  if (simjsModule !== undefined) return simjsModule;
  const require = createRequire(import.meta.url);
  const g = globalThis as { window?: { Sim?: SimjsModule } };
  const hadWindow = "window" in g;
  g.window ??= {};
  require("simjs");
  const mod = g.window.Sim;
  if (!hadWindow) delete g.window;
  if (mod === undefined) throw new Error("simjs did not load");
  simjsModule = mod;
  return mod;
}

export function holdOnSimjs(o: HoldOptions): HoldResult {
  const simjs = loadSimjs();
  const rng = new RandomStream("hold", `${o.seed}/hold`);
  const mean = o.meanDelayUs;
  let fired = 0;
  class Holder extends (simjs.Entity as unknown as new (...a: unknown[]) => SimjsEntity) {
    start(): void {
      for (let i = 0; i < o.pending; i++) this.setTimer(rng.delayUs(rng.exponential(mean))).done(this.fire);
    }
    fire = (): void => {
      fired++;
      this.setTimer(rng.delayUs(rng.exponential(mean))).done(this.fire);
    };
  }
  const sim = new simjs.Sim();
  sim.addEntity(Holder);
  const start = performance.now();
  sim.simulate(Number.MAX_SAFE_INTEGER, o.events);
  const wallMs = performance.now() - start;
  return { events: fired, wallMs, eventsPerSec: (fired / wallMs) * 1000 };
}
