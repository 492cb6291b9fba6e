/**
 * One measured piece of work in this process: CPU time (process.cpuUsage, user + system) beside
 * wall time, and the time V8 spent in garbage collection meanwhile (perf_hooks "gc" entries,
 * which arrive after the work, hence the wait for the next turn of the event loop).
 */
import { PerformanceObserver, performance } from "node:perf_hooks";

export interface Measured<T> {
  result: T;
  wallMs: number;
  cpuMs: number;
  gcMs: number;
}

export async function measure<T>(work: () => T): Promise<Measured<T>> {
  let gcMs = 0;
  let measuring = true;
  const observer = new PerformanceObserver((list) => {
    if (measuring) for (const e of list.getEntries()) gcMs += e.duration;
  });
  observer.observe({ entryTypes: ["gc"] });
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const result = work();
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  // GC entries are queued and handed to observers later: wait for them, then take what is left.
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (const e of observer.takeRecords()) gcMs += e.duration;
  measuring = false;
  observer.disconnect();
  return { result, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, gcMs };
}
