/**
 * What a run kept busy, so a reader can tell what limited throughput: each NIC direction (time on
 * the wire, framing and ACKs included), each block device (time with an operation in it, as
 * iostat's %util), and each broker's request pools (num.network.threads and num.io.threads,
 * busy time over thread time). The busiest of each kind, as a percentage of the run.
 *
 * A device with parallel channels (SSD/NVMe) can be 100% busy and still take more work, as
 * iostat warns; the request pools' CPU costs are the rough figures of RequestPools.ts.
 */
import type { RunOutcome } from "../scenarios/runner.js";

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

export function computeUtilization(outcome: RunOutcome): Utilization {
  const { world, simulatedUs } = outcome;
  const nics: Busiest[] = [];
  const disks: Busiest[] = [];
  for (const h of world.hosts) {
    const nic = world.network.nics[h.index];
    nics.push({ name: `${h.name} egress`, percent: pct(nic.egressBusyUs, simulatedUs) });
    nics.push({ name: `${h.name} ingress`, percent: pct(nic.ingressBusyUs, simulatedUs) });
    for (const d of world.machines.get(h.name)?.disks ?? []) disks.push({ name: d.name, percent: pct(d.busyUs, simulatedUs) });
  }
  const cpus: Busiest[] = [];
  for (const [broker, c] of [...world.requestCpu].sort(([a], [b]) => a - b)) {
    cpus.push({ name: `broker-${broker} network threads`, percent: pct(c.networkBusyUs, c.networkThreads * simulatedUs) });
    cpus.push({ name: `broker-${broker} io threads`, percent: pct(c.ioBusyUs, c.ioThreads * simulatedUs) });
  }
  return { nic: busiest(nics), disk: busiest(disks), cpu: busiest(cpus) };
}

/** One summary line: `busiest     NIC broker-1 egress 12.34%   disk broker-2/disk 4.5%   CPU broker-1 io threads 0.81%`. */
export function formatUtilization(u: Utilization): string {
  const part = (label: string, b: Busiest | null): string => `${label} ${b === null ? "none" : `${b.name} ${b.percent}%`}`;
  return `busiest    ${part("NIC", u.nic)}   ${part("disk", u.disk)}   ${part("CPU", u.cpu)}`;
}
