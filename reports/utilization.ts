/**
 * What a run kept busy, so a reader can tell what limited throughput: each NIC direction (time on
 * the wire, framing and ACKs included), each block device (time with an operation in it, as
 * iostat's %util), and each broker's request pools (num.network.threads and num.io.threads,
 * busy time over thread time) and each producer's application and Sender threads. The busiest of
 * each kind, as a percentage of the scenario's duration.
 *
 * A device with parallel channels (SSD/NVMe) can be 100% busy and still take more work, as
 * iostat warns; the request pools' CPU costs are the rough figures of RequestPools.ts.
 */
import { busyCounters, type RunOutcome } from "../scenarios/runner.js";

export interface Busiest {
  /** Host, device or broker, and which part (egress, ingress, network, io). */
  name: string;
  percent: number;
}

export interface Utilization {
  nic: Busiest | null;
  disk: Busiest | null;
  cpu: Busiest | null;
}

const pct = (busyUs: number, capacityUs: number): number => (capacityUs > 0 ? Math.round((10_000 * busyUs) / capacityUs) / 100 : 0);

/** The first of the highest: ties go to the earlier host, device or broker. */
function busiest(items: Busiest[]): Busiest | null {
  let best: Busiest | null = null;
  for (const it of items) if (best === null || it.percent > best.percent) best = it;
  return best;
}

/**
 * Over the scenario's duration (busy time when it ended, over its length), so the settle drain
 * does not dilute the load; over the whole run when the run stopped before the duration ended.
 */
export function computeUtilization(outcome: RunOutcome): Utilization {
  const counters = outcome.busyAtDurationEnd ?? busyCounters(outcome.world);
  const windowUs = outcome.busyAtDurationEnd !== null ? outcome.world.scenario.durationUs : outcome.simulatedUs;
  const groups: Record<string, Busiest[]> = { nic: [], disk: [], cpu: [] };
  for (const [key, busyUs] of counters) {
    const space = key.indexOf(" ");
    groups[key.slice(0, space)].push({ name: key.slice(space + 1), percent: pct(busyUs, windowUs) });
  }
  return { nic: busiest(groups.nic), disk: busiest(groups.disk), cpu: busiest(groups.cpu) };
}

/** One summary line: `busiest     NIC broker-1 egress 12.34%   disk broker-2/disk 4.5%   CPU broker-1 io threads 0.81%`. */
export function formatUtilization(u: Utilization): string {
  const part = (label: string, b: Busiest | null): string => `${label} ${b === null ? "none" : `${b.name} ${b.percent}%`}`;
  return `busiest    ${part("NIC", u.nic)}   ${part("disk", u.disk)}   ${part("CPU", u.cpu)}`;
}
