/**
 * The trace holds the Kafka-level events the docs promise, not only bytes on connections:
 * requests and responses by API name, leader elections by kind, ISR shrinks and expansions with
 * their outcome, truncations, and LeaderAndIsr applied (become-leader / become-follower). Each
 * test reads the JSON Lines a sink receives from a built-in scenario's run, and checks records
 * against each other or against the run's history, so that each can fail.
 */
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OutputFile } from "../reports/OutputFile.js";
import { formatProblem, loadScenario } from "../scenarios/loader.js";
import { runScenario } from "../scenarios/runner.js";
import { Trace, TraceShape } from "../sim/Trace.js";
import type { ApiKey } from "../sim/nodes/kafka/common/protocol.js";

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

interface Rec {
  t: number;
  node: string;
  type: string;
  data: Record<string, string | number | boolean>;
}

/** Runs a built-in with a sink; returns the records (without the per-segment `recv` ones), every line, and the run. */
function traced(file: string, seed: number, sets: Record<string, string> = {}) {
  const r = loadScenario(readFileSync(`scenarios/${file}`, "utf8"), file, Object.entries(sets).map(([key, value]) => ({ key, value })));
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  const lines: string[] = [];
  const outcome = runScenario(r.scenario, { seed, traceSink: (line) => lines.push(line) });
  const records = lines.filter((l) => !l.includes('"type":"recv"')).map((l) => JSON.parse(l) as Rec);
  return { lines, records, outcome, of: (type: string) => records.filter((x) => x.type === type) };
}

/** Kafka's ApiKeys names the simulator models (protocol.ts' ApiKey). */
const API_NAMES: ReadonlySet<ApiKey> = new Set<ApiKey>(["Produce", "Fetch", "Metadata", "LeaderAndIsr", "StopReplica", "UpdateMetadata", "ControlledShutdown", "OffsetsForLeaderEpoch", "InitProducerId", "AlterIsr", "AlterPartition"]);

describe("Trace.recordShaped", () => {
  const shape = new TraceShape("request", ["api", "client", "cid"]);

  it("writes the same line as record() and hashes the same with or without a sink", () => {
    const plain = new Trace();
    const withSink = new Trace();
    const lines: string[] = [];
    withSink.sink = (l) => lines.push(l);
    plain.recordShaped(5, "broker-1", shape, "Produce", "producer-p1", 7);
    withSink.recordShaped(5, "broker-1", shape, "Produce", "producer-p1", 7);
    const reference: string[] = [];
    const viaRecord = new Trace();
    viaRecord.sink = (l) => reference.push(l);
    viaRecord.record(5, "broker-1", "request", { api: "Produce", client: "producer-p1", cid: 7 });
    expect(lines).toEqual(reference);
    expect(withSink.hash).toBe(plain.hash);
    expect(withSink.count).toBe(1);
  });

  it("the hash depends on every value, the node and the time", () => {
    const hashOf = (t: number, node: string, api: string, client: string, cid: number): string => {
      const tr = new Trace();
      tr.recordShaped(t, node, shape, api, client, cid);
      return tr.hash;
    };
    const base = hashOf(5, "broker-1", "Produce", "producer-p1", 7);
    expect(new Set([base, hashOf(6, "broker-1", "Produce", "producer-p1", 7), hashOf(5, "broker-2", "Produce", "producer-p1", 7), hashOf(5, "broker-1", "Fetch", "producer-p1", 7), hashOf(5, "broker-1", "Produce", "broker-2", 7), hashOf(5, "broker-1", "Produce", "producer-p1", 8)]).size).toBe(6);
  });
});

describe("Kafka-level trace records", () => {
  it("unclean-election: an unclean leader-elected, the new leader's become-leader in that epoch, and the old leader's truncation back to the new leader's log end", () => {
    const { of, outcome } = traced("unclean-election.yaml", 1);
    const unclean = of("leader-elected").filter((r) => r.data.election === "unclean");
    expect(unclean).toHaveLength(1);
    const e = unclean[0].data;
    expect(e.partition).toBe("orders-0");
    // The unclean leader is alone in its ISR (OfflinePartitionLeaderElectionStrategy's fallback).
    expect(e.isr).toBe(String(e.leader));
    const became = of("become-leader").find((r) => r.node === `broker-${e.leader}` && r.data.leaderEpoch === e.leaderEpoch);
    expect(became).toBeDefined();
    expect(became!.t).toBeGreaterThanOrEqual(unclean[0].t);
    // The first leader comes back, becomes a follower and cuts what the unclean leader never had.
    const firstLeader = of("become-leader")[0].node;
    expect(firstLeader).not.toBe(`broker-${e.leader}`);
    const cut = of("log-truncated").filter((r) => r.node === firstLeader);
    expect(cut).toHaveLength(1);
    const c = cut[0].data;
    expect(c.reason).toBe("OffsetsForLeaderEpoch");
    expect(c.records).toBe((c.from as number) - (c.to as number));
    expect(c.to).toBe(became!.data.logEndOffset);
    // The history saw the same truncations.
    expect(outcome.world.history.truncations.map((x) => `broker-${x.broker}:${x.records}`)).toEqual(of("log-truncated").map((r) => `${r.node}:${r.data.records}`));
  });

  it("leader-cut-off on 2.4: the leader shrinks the ISR to itself and its own ZooKeeper write commits it", () => {
    const { of } = traced("leader-cut-off.yaml", 1);
    const leader = of("become-leader")[0];
    const id = leader.node.replace("broker-", "");
    const shrink = of("isr-shrink").filter((r) => r.node === leader.node);
    expect(shrink.length).toBeGreaterThanOrEqual(1);
    expect(shrink[0].data.isr).toBe(leader.data.isr);
    expect(shrink[0].data.newIsr).toBe(id);
    const update = of("isr-update").find((r) => r.node === leader.node && r.t >= shrink[0].t);
    expect(update?.data).toMatchObject({ partition: "orders-0", result: "committed", isr: id });
    expect(typeof update?.data.zkVersion).toBe("number");
    // Then its host loses power: the controller finds no live ISR member (unclean election is off),
    // OfflineReplica leaves the partition without a leader, and the leader comes back to lead it again.
    const failed = of("leader-election-failed");
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0].data).toMatchObject({ partition: "orders-0", election: "offline", isr: id });
    expect(of("replica-offline").find((r) => r.t >= failed[0].t)?.data).toMatchObject({ partition: "orders-0", replica: Number(id), leader: -1, isr: id });
    expect(of("leader-elected").map((r) => `${r.data.election}:${r.data.leader}`)).toEqual([`offline:${id}`]);
  });

  it("leader-cut-off on 3.6: the shrink is proposed, but AlterPartition never reaches the controller, so nothing commits it", () => {
    const { of } = traced("leader-cut-off.yaml", 1, { "kafka.version": "3.6" });
    const leader = of("become-leader")[0].node;
    const shrink = of("isr-shrink").filter((r) => r.node === leader);
    expect(shrink).toHaveLength(1);
    expect(of("isr-update").filter((r) => r.node === leader && r.t < 50e6)).toEqual([]);
    // The controller elects an in-sync follower once the leader is gone (an offline election).
    expect(of("leader-elected").map((r) => r.data.election)).toEqual(["offline"]);
  });

  it("0.10.2: a follower truncates to its high watermark when it becomes follower of a new leader (before KIP-101)", () => {
    const { of } = traced("unclean-election.yaml", 1, { "kafka.version": "0.10.2" });
    const toHw = of("log-truncated").filter((r) => r.data.reason === "high watermark");
    expect(toHw.length).toBeGreaterThanOrEqual(1);
    for (const cut of toHw) {
      const follower = of("become-follower").find((r) => r.node === cut.node && r.t === cut.t);
      expect(follower).toBeDefined();
      expect(cut.data.from).toBe(follower!.data.logEndOffset);
      expect(cut.data.to).toBeLessThanOrEqual(follower!.data.highWatermark as number);
    }
  });

  it("Produce and Fetch requests by API name, each response paired with its request, errors named per partition", () => {
    const { of } = traced("acks1-leader-failover.yaml", 1);
    const requests = of("request");
    const responses = of("response");
    for (const r of [...requests, ...responses]) expect(API_NAMES.has(r.data.api as ApiKey)).toBe(true);
    const produce = requests.filter((r) => r.data.api === "Produce");
    const fetch = requests.filter((r) => r.data.api === "Fetch");
    expect(produce.length).toBeGreaterThan(1000);
    expect(fetch.length).toBeGreaterThan(1000);
    expect(new Set(produce.map((r) => r.data.client))).toEqual(new Set(["producer-p1"]));
    for (const f of fetch) expect(f.data.client).toMatch(/^broker-\d+$/);
    for (const r of produce) expect(r.data.partitions).toBeGreaterThanOrEqual(1);
    // In an incremental fetch session (KIP-227, 3.6 here) a fetch names only the partitions that
    // changed: a follower with nothing new names none, after a full first fetch that names them all.
    for (const r of fetch) expect(r.data.partitions).toBeGreaterThanOrEqual(0);
    expect(fetch.some((r) => r.data.partitions === 0)).toBe(true);
    expect(fetch.some((r) => (r.data.partitions as number) >= 1)).toBe(true);
    // Every response answers a request the same broker took from the same client with that correlation id.
    const open = new Map<string, Rec>();
    for (const r of [...requests, ...responses].sort((a, b) => a.t - b.t || (a.type === "request" ? -1 : 1))) {
      const k = `${r.node}/${r.data.client}/${r.data.api}/${r.data.cid}`;
      if (r.type === "request") open.set(k, r);
      else {
        expect(open.has(k)).toBe(true);
        open.delete(k);
      }
    }
    // The crashed leader's partition: the survivors answer the producer NOT_LEADER_OR_FOLLOWER.
    const refused = responses.filter((r) => r.data.api === "Produce" && r.data.error !== undefined);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.data).toMatchObject({ error: "NOT_LEADER_OR_FOLLOWER", errorPartitions: "orders-0" });
    expect(responses.filter((r) => r.data.error === undefined && r.data.errorPartitions !== undefined)).toEqual([]);
  });

  it("an acks=0 Produce that fails closes the connection, recorded as a response with closed: true", () => {
    const { of } = traced("acks1-leader-failover.yaml", 1, { "producers[0].config.acks": "0" });
    const closed = of("response").filter((r) => r.data.closed === true);
    expect(closed.length).toBeGreaterThan(0);
    for (const r of closed) expect(r.data).toMatchObject({ api: "Produce", error: "NOT_LEADER_OR_FOLLOWER" });
    // Nothing else answers an acks=0 Produce.
    expect(of("response").filter((r) => r.data.api === "Produce" && r.data.closed !== true)).toEqual([]);
  });

  it("rolling-restart: controlled-shutdown elections move leadership off the broker that asked, a preferred election moves it back", () => {
    const { of } = traced("rolling-restart.yaml", 1);
    const moved = of("leader-elected").filter((r) => r.data.election === "controlled-shutdown");
    expect(moved.length).toBeGreaterThan(0);
    const asked = of("request").filter((r) => r.data.api === "ControlledShutdown");
    for (const e of moved) {
      expect(e.data.leader).not.toBe(e.data.previousLeader);
      expect(asked.some((q) => q.node === e.node && q.data.client === `broker-${e.data.previousLeader}` && q.t <= e.t)).toBe(true);
    }
    const preferred = of("leader-elected").filter((r) => r.data.election === "preferred");
    expect(preferred.length).toBeGreaterThan(0);
    for (const p of preferred) expect(p.data.leader).not.toBe(p.data.previousLeader);
  });

  it("the same seed gives the same lines, and the same traceHash with or without a sink", () => {
    const a = traced("leader-cut-off.yaml", 3);
    const b = traced("leader-cut-off.yaml", 3);
    expect(b.lines).toEqual(a.lines);
    const r = loadScenario(readFileSync("scenarios/leader-cut-off.yaml", "utf8"), "leader-cut-off.yaml");
    if (!r.ok) throw new Error("leader-cut-off.yaml does not load");
    const bare = runScenario(r.scenario, { seed: 3 });
    expect(bare.world.sim.trace.hash).toBe(a.outcome.world.sim.trace.hash);
    expect(bare.world.sim.trace.count).toBe(a.outcome.world.sim.trace.count);
    // Every record hashed is written, from the processes' first start at t=0.
    expect(a.lines.length).toBe(a.outcome.world.sim.trace.count);
    expect(a.lines[0]).toMatch(/^\{"t":0,"node":"[a-z0-9-]+","type":"process-start"/);
  });
});

describe("the --trace file's writer", () => {
  it("writes, in pieces, exactly the lines the sink gets whole", () => {
    const { lines, outcome } = traced("unclean-election.yaml", 2);
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-"));
    const path = join(dir, "t.jsonl");
    const [file] = OutputFile.openAll([{ flag: "--trace", path }], false);
    const r = loadScenario(readFileSync("scenarios/unclean-election.yaml", "utf8"), "unclean-election.yaml");
    if (!r.ok) throw new Error("unclean-election.yaml does not load");
    const written = runScenario(r.scenario, { seed: 2, traceWriter: file.traceWriter() });
    expect(file.finish()).toBeNull();
    expect(written.world.sim.trace.hash).toBe(outcome.world.sim.trace.hash);
    expect(readFileSync(path, "utf8")).toBe(lines.join("\n") + "\n");
  });
});
