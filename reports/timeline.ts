/**
 * `--timeline FILE`: the run as Chrome/Perfetto trace JSON (open in ui.perfetto.dev or
 * chrome://tracing). A track per broker (down periods, controller elections) and per partition
 * (who leads in which epoch, ISR size as a counter), faults as global instants, and produce
 * batches in flight (creation to acknowledgement) as async slices, every acknowledged batch of
 * the run (read from the history's acknowledgements, so nothing is kept for the timeline alone).
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
  h.acks.forEach((a, i) => {
    const name = `${a.producer} ${a.topic}-${a.partition}`;
    ev.push({ name, cat: "produce", ph: "b", id: i + 1, ts: a.firstArrivalUs, pid: CLIENTS_PID });
    ev.push({ name, cat: "produce", ph: "e", id: i + 1, ts: a.atUs, pid: CLIENTS_PID });
  });
  write("\n]}\n");
}
