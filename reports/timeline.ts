/**
 * `--timeline FILE`: the run as Chrome/Perfetto trace JSON (open in ui.perfetto.dev or
 * chrome://tracing). A track per broker (down periods, controller elections) and per partition
 * (who leads in which epoch, ISR size as a counter), faults as global instants, and produce
 * batches in flight (creation to acknowledgement) as async slices, every acknowledged batch of
 * the run (read from the history's acknowledgements, so nothing is kept for the timeline alone).
 * A track per consumer: what it owned when (one slice per assignment, named by its partitions),
 * the times it owned nothing while its group rebalanced, and its group's rebalances as instants.
 * Timestamps are simulated µs. The file is written event by event: a long run's timeline is
 * never one string in memory.
 */
import type { World } from "../scenarios/world.js";
import { partitionSummaries } from "./availability.js";

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  pid: number;
  tid?: number;
  dur?: number;
  id?: number;
  cat?: string;
  s?: string;
  args?: Record<string, unknown>;
}

const BROKERS_PID = 1;
const PARTITIONS_PID = 2;
const CLIENTS_PID = 3;
const CONSUMERS_PID = 4;

/** Writes the timeline's JSON document through `write`, in pieces. */
export function writeTimeline(world: World, write: (text: string) => void): void {
  let first = true;
  const ev = {
    push(e: TraceEvent): void {
      write(first ? JSON.stringify(e) : ",\n" + JSON.stringify(e));
      first = false;
    },
  };
  write('{"displayTimeUnit":"ms","traceEvents":[\n');
  const end = world.sim.now;
  const meta = (pid: number, name: string, tid?: number): void => {
    ev.push(tid === undefined ? { name: "process_name", ph: "M", ts: 0, pid, args: { name } } : { name: "thread_name", ph: "M", ts: 0, pid, tid, args: { name } });
  };
  meta(BROKERS_PID, "brokers");
  meta(PARTITIONS_PID, "partitions");
  meta(CLIENTS_PID, "produce requests in flight");
  const h = world.history;
  for (const [id] of [...world.brokers].sort((a, b) => a[0] - b[0])) {
    meta(BROKERS_PID, `broker-${id}`, id);
    for (const [a, b] of h.brokerDown.get(id) ?? []) ev.push({ name: "down", ph: "X", ts: a, dur: Math.min(b, end) - a, pid: BROKERS_PID, tid: id });
  }
  for (const c of h.controllers) ev.push({ name: `controller (epoch ${c.epoch})`, ph: "i", s: "t", ts: c.atUs, pid: BROKERS_PID, tid: c.broker });
  partitionSummaries(world).forEach((p, i) => {
    const tid = i + 1;
    meta(PARTITIONS_PID, p.key, tid);
    p.changes.forEach((c, j) => {
      const until = p.changes[j + 1]?.atUs ?? end;
      ev.push({ name: c.leader < 0 ? "no leader" : `leader ${c.leader} (epoch ${c.leaderEpoch})`, ph: "X", ts: c.atUs, dur: until - c.atUs, pid: PARTITIONS_PID, tid, args: { isr: c.isr.join(",") } });
      ev.push({ name: `isr ${p.key}`, ph: "C", ts: c.atUs, pid: PARTITIONS_PID, args: { size: c.isr.length } });
    });
  });
  for (const f of world.scenario.faults) ev.push({ name: `fault: ${f.verb}`, ph: "i", s: "g", ts: f.atUs, pid: BROKERS_PID, args: { spec: JSON.stringify(f.doc) } });
  writeConsumerTracks(world, ev, meta, end);
  h.acks.forEach((a, i) => {
    const name = `${a.producer} ${a.topic}-${a.partition}`;
    ev.push({ name, cat: "produce", ph: "b", id: i + 1, ts: a.firstArrivalUs, pid: CLIENTS_PID });
    ev.push({ name, cat: "produce", ph: "e", id: i + 1, ts: a.atUs, pid: CLIENTS_PID });
  });
  write("\n]}\n");
}

/** One thread per consumer member: an "owns ..." slice per assignment it held, "no partitions" between them. */
function writeConsumerTracks(world: World, ev: { push(e: TraceEvent): void }, meta: (pid: number, name: string, tid?: number) => void, end: number): void {
  const groups = world.history.consumers.groups;
  if (groups.size === 0) return;
  meta(CONSUMERS_PID, "consumers");
  let tid = 0;
  for (const c of world.scenario.doc.consumers ?? []) {
    const g = groups.get(c.group);
    if (g === undefined) continue;
    for (let m = 1; m <= c.members; m++) {
      const member = `consumer-${c.group}-${m}`;
      tid++;
      meta(CONSUMERS_PID, member, tid);
      let owned: string[] = [];
      let since = -1;
      const close = (at: number): void => {
        if (since >= 0 && at > since) ev.push({ name: owned.length > 0 ? `owns ${owned.length} (${owned.join(",")})` : "no partitions", ph: "X", ts: since, dur: at - since, pid: CONSUMERS_PID, tid });
      };
      for (const e of g.ownership) {
        if (e.member !== member) continue;
        close(e.atUs);
        if (e.kind === "assigned") owned = [...e.partitions];
        else owned = owned.filter((k) => !e.partitions.includes(k));
        since = e.kind === "down" ? -1 : e.atUs;
      }
      close(end);
    }
    for (const r of g.rebalanceStarts) ev.push({ name: `rebalance ${c.group}: ${r.reason}`, ph: "i", s: "p", ts: r.atUs, pid: CONSUMERS_PID });
    for (const x of g.generations) ev.push({ name: `${c.group} generation ${x.generation} stable (${x.members} members, ${x.protocol})`, ph: "i", s: "p", ts: x.atUs, pid: CONSUMERS_PID });
  }
}
