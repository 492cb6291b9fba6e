/**
 * The simulated TCP against what Linux does: retransmission across partitions, SYN retries,
 * the kernel's FIN/RST when a process dies, RST from a host that lost power.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { loadScenario } from "../scenarios/loader.js";
import { runScenario } from "../scenarios/runner.js";
import { computeMetrics } from "../reports/metrics.js";
import { Simulation } from "../sim/Simulation.js";
import { Host } from "../sim/Host.js";
import { Network, type Socket } from "../sim/network/Network.js";
import { tcpModelTimeoutUs, TCP_RTO_MIN_US, LINUX_TCP_DEFAULTS, type TcpSysctls } from "../sim/network/Tcp.js";
import type { LatencyTable } from "../sim/network/Topology.js";

const NO_JITTER: LatencyTable = {
  sameHost: { baseUs: 5, jitterUs: 0 },
  sameRack: { baseUs: 50, jitterUs: 0 },
  crossRack: { baseUs: 150, jitterUs: 0 },
  crossZone: { baseUs: 700, jitterUs: 0 },
};
const S = 1_000_000;
/** Cross-rack RTO: 200 ms + a 300 µs round trip. */
const RTO = TCP_RTO_MIN_US + 300;

interface Event {
  at: number;
  what: "msg" | "disconnect" | "connect";
  msg?: unknown;
}

function world(tcp: Partial<TcpSysctls> = {}) {
  const sim = new Simulation(1);
  const a = new Host(sim, { name: "a", rack: "r1", zone: "z", index: 0 });
  const b = new Host(sim, { name: "b", rack: "r2", zone: "z", index: 1 });
  const net = new Network(sim, { hosts: [a, b], nicBytesPerSecond: [125_000_000, 125_000_000], latency: NO_JITTER, tcp });
  const seen: Record<string, Event[]> = { a: [], b: [] };
  const serverSockets: Socket[] = [];
  for (const h of [a, b]) {
    h.install(() => {
      net.listen(h, {
        onMessage: (s, msg) => {
          seen[h.name].push({ at: sim.now, what: "msg", msg });
          if (s.side === 1 && !serverSockets.includes(s)) serverSockets.push(s);
        },
        onDisconnect: () => seen[h.name].push({ at: sim.now, what: "disconnect" }),
        onConnect: () => seen[h.name].push({ at: sim.now, what: "connect" }),
      });
      return { kind: h.name };
    });
  }
  /** A connection from a to b, established. */
  const open = (): Socket => {
    const s = net.connect(a, b);
    sim.run({ untilUs: sim.now + 1_000 });
    expect(s.established).toBe(true);
    return s;
  };
  const msgs = (h: "a" | "b") => seen[h].filter((e) => e.what === "msg").map((e) => e.msg);
  const at = (h: "a" | "b", what: Event["what"]) => seen[h].filter((e) => e.what === what).map((e) => e.at);
  return { sim, a, b, net, seen, open, msgs, at, serverSockets };
}

describe("the timer model (net/ipv4/tcp_timer.c tcp_model_timeout)", () => {
  it("tcp_retries2 = 15 from TCP_RTO_MIN is 924.6 s; tcp_syn_retries = 6 from TCP_TIMEOUT_INIT is 127 s; 8 orphan retries 102.2 s", () => {
    expect(tcpModelTimeoutUs(15, TCP_RTO_MIN_US)).toBe(924_600_000);
    expect(tcpModelTimeoutUs(6, S)).toBe(127 * S);
    expect(tcpModelTimeoutUs(8, TCP_RTO_MIN_US)).toBe(102_200_000);
  });
});

describe("a partition delays segments; the connection breaks only when retries run out", () => {
  it("a 5 s partition: the data arrives at the first retransmission after the heal (~6.2 s), in order, nothing broken", () => {
    const { sim, a, b, net, open, msgs, at } = world();
    const s = open();
    const t0 = sim.now;
    const id = net.partition([[a], [b]]);
    s.send("m1", 100);
    s.send("m2", 100);
    sim.run({ untilUs: t0 + 5 * S });
    expect(msgs("b")).toEqual([]);
    net.heal(id);
    s.send("m3", 100);
    sim.run({ untilUs: t0 + 10 * S });
    expect(msgs("b")).toEqual(["m1", "m2", "m3"]);
    // Retransmissions at RTO × 1, 3, 7, 15, 31: the fifth (6.2 s) is the first after the heal.
    const first = at("b", "msg")[0] - t0;
    expect(first).toBeGreaterThanOrEqual(31 * RTO);
    expect(first).toBeLessThan(31 * RTO + 1_000);
    expect([at("a", "disconnect"), at("b", "disconnect"), s.open]).toEqual([[], [], true]);
    expect(sim.marks.count("network: retransmitted segment delivered")).toBe(3);
  });

  it("the connection times out after retransmits_timed_out (924.6 s): the sender's process is told, the peer is not", () => {
    const { sim, a, b, net, open, at } = world();
    const s = open();
    const t0 = sim.now;
    net.partition([[a], [b]]);
    s.send("m", 100);
    sim.run({ untilUs: t0 + 2_000 * S });
    const [gaveUp] = at("a", "disconnect");
    expect(gaveUp - t0).toBeGreaterThanOrEqual(924.6 * S);
    expect(gaveUp - t0).toBeLessThan(1_000 * S);
    expect(at("b", "disconnect")).toEqual([]);
    expect(sim.marks.count("network: connection timed out (ETIMEDOUT)")).toBe(1);
    expect(s.open).toBe(false);
  });

  it("only the reverse path blocked: data is delivered, the lost ACK keeps the sender retransmitting until it times out", () => {
    const { sim, a, b, net, open, msgs, at } = world();
    const s = open();
    const t0 = sim.now;
    net.partitionOneWay([b], [a]);
    s.send("m", 100);
    sim.run({ untilUs: t0 + 2_000 * S });
    expect(msgs("b")).toEqual(["m"]); // once, though retransmitted many times
    expect(sim.marks.count("network: ACK lost, the sender will retransmit")).toBe(1);
    expect(at("a", "disconnect")[0] - t0).toBeGreaterThanOrEqual(924.6 * S);
  });

  it("only the reverse path blocked, healed in time: the next probe's ACK gets through and nothing breaks", () => {
    const { sim, a, b, net, open, at } = world();
    const s = open();
    const id = net.partitionOneWay([b], [a]);
    s.send("m", 100);
    sim.run({ untilUs: sim.now + 60 * S });
    net.heal(id);
    sim.run({ untilUs: sim.now + 2_000 * S });
    expect([at("a", "disconnect"), s.open]).toEqual([[], true]);
  });

  it("a segment on the wire when the partition starts is lost; those behind it that land after the heal wait for it", () => {
    const { sim, a, b, net, open, msgs, at } = world();
    const s = open();
    const t0 = sim.now;
    // 100 kB takes 800 µs at 1 GbE (a little more with framing): arrivals at about t0 + 950
    // (lost), 1750 and 2550 (after the heal, beyond the gap).
    for (const m of ["m1", "m2", "m3"]) s.send(m, 100_000);
    sim.run({ untilUs: t0 + 900 });
    const id = net.partition([[a], [b]]);
    sim.run({ untilUs: t0 + 1_500 });
    net.heal(id);
    sim.run({ untilUs: t0 + S });
    expect(msgs("b")).toEqual(["m1", "m2", "m3"]);
    // All three wait for m1's retransmission, RTO after it was sent.
    expect(at("b", "msg")[0]).toBeGreaterThan(t0 + RTO);
    expect(sim.marks.count("network: retransmitted segment delivered")).toBe(1);
  });

  it("loss delays a message by one RTO and those behind it wait", () => {
    const { sim, a, b, net, open, at } = world();
    const s = open();
    net.faults.add({ kind: "loss", a: [a], b: [b], probability: 1 });
    const t0 = sim.now;
    s.send("m1", 100);
    sim.run({ untilUs: t0 + S });
    const wireUs = net.nics[0].serializationUs(100);
    expect(at("b", "msg")[0] - t0).toBe(RTO + wireUs + 150 + wireUs);
  });
});

describe("connection set-up (SYN)", () => {
  it("the handshake takes one round trip; messages sent before wait and go on establishment", () => {
    const { sim, a, b, net, msgs, at } = world();
    const s = net.connect(a, b);
    s.send("early", 100);
    expect(s.established).toBe(false);
    sim.run({ untilUs: 10_000 });
    expect(at("a", "connect")).toEqual([300]);
    expect(msgs("b")).toEqual(["early"]);
    const wireUs = net.nics[0].serializationUs(100);
    expect(at("b", "msg")).toEqual([300 + wireUs + 150 + wireUs]);
  });

  it("across a blocked path SYN is retransmitted at 1, 3, 7, 15, 31, 63 s and connect fails at 127 s (ETIMEDOUT)", () => {
    const { sim, a, b, net, at } = world();
    net.partition([[a], [b]]);
    const s = net.connect(a, b);
    s.send("never", 100);
    sim.run({ untilUs: 200 * S });
    expect(at("a", "disconnect")).toEqual([127 * S]);
    expect(sim.marks.count("network: SYN retransmitted")).toBe(6);
    expect(sim.marks.count("network: connect timed out (ETIMEDOUT)")).toBe(1);
    expect(s.established).toBe(false);
  });

  it("with Linux 6.5's tcp_syn_linear_timeouts = 4 it fails at 131 s", () => {
    const { sim, a, b, net, at } = world({ synLinearTimeouts: 4 });
    net.partition([[a], [b]]);
    net.connect(a, b);
    sim.run({ untilUs: 200 * S });
    expect(at("a", "disconnect")).toEqual([131 * S]);
  });

  it("healed before the retries run out, the next SYN connects and the held message follows", () => {
    const { sim, a, b, net, msgs, at } = world();
    const id = net.partition([[a], [b]]);
    const s = net.connect(a, b);
    s.send("held", 100);
    sim.run({ untilUs: 5 * S });
    net.heal(id);
    sim.run({ untilUs: 20 * S });
    expect(at("a", "connect")).toEqual([7 * S + 300]);
    expect(msgs("b")).toEqual(["held"]);
    expect(at("a", "disconnect")).toEqual([]);
  });

  it("a server that dies during the handshake resets the client; one that loses power leaves it retrying SYN", () => {
    const crashed = world();
    crashed.net.connect(crashed.a, crashed.b);
    crashed.b.crash();
    crashed.sim.run({ untilUs: 10 * S });
    expect(crashed.at("a", "disconnect")).toEqual([300]);
    const unpowered = world();
    unpowered.net.connect(unpowered.a, unpowered.b);
    unpowered.b.powerOff();
    unpowered.sim.run({ untilUs: 10 * S });
    expect(unpowered.at("a", "disconnect")).toEqual([]);
    expect(unpowered.sim.marks.count("network: SYN retransmitted")).toBe(3);
  });

  it("a host whose process is down refuses with RST one round trip later; the failed attempt leaves nothing behind", () => {
    const { sim, a, b, net, at } = world();
    b.crash();
    const s = net.connect(a, b);
    sim.run({ untilUs: 10 * S });
    expect(at("a", "disconnect")).toEqual([300]);
    expect(s.connection.phase).toEqual(["gone", "gone"]);
  });
});

describe("a host that lost power", () => {
  it("answers nothing while off (the sender keeps retransmitting) and RST once back: the sender hears of it a round trip after its next retransmission", () => {
    const { sim, a, b, net, open, at } = world();
    const s = open();
    const t0 = sim.now;
    b.powerOff();
    s.send("m", 100);
    sim.run({ untilUs: t0 + 2 * S });
    expect(at("a", "disconnect")).toEqual([]);
    b.powerOn();
    sim.run({ untilUs: t0 + 10 * S });
    // Retransmissions at RTO × 1, 3, 7, 15: the one at 3.0045 s meets the rebooted kernel.
    const wireUs = net.nics[0].serializationUs(100);
    expect(at("a", "disconnect")).toEqual([t0 + 15 * RTO + wireUs + 150 + wireUs + 150]);
    expect(sim.marks.count("network: a rebooted host answers an old connection with RST")).toBe(1);
  });
});

describe("a killed process's kernel closes its sockets (net/ipv4/tcp.c tcp_close)", () => {
  it("what it wrote is still delivered, then FIN: the peer sees the data, then the disconnect", () => {
    const { sim, a, b, net, open, msgs, seen, serverSockets } = world();
    const s = open();
    s.send("hello", 100);
    sim.run({ untilUs: sim.now + 1_000 });
    const partition = net.partition([[a], [b]]);
    serverSockets[0].send("reply", 100);
    b.crash();
    sim.run({ untilUs: sim.now + 5 * S });
    net.heal(partition);
    sim.run({ untilUs: sim.now + 10 * S });
    expect(msgs("a")).toEqual(["reply"]);
    expect(seen.a.map((e) => e.what)).toEqual(["connect", "msg", "disconnect"]);
    expect(sim.marks.count("network: connection reset (RST)")).toBe(0);
  });

  it("with unread data it resets instead: its unsent data is dropped and the peer is told at once", () => {
    const { sim, a, b, net, open, msgs, at, serverSockets } = world();
    const s = open();
    s.send("first", 100);
    sim.run({ untilUs: sim.now + 1_000 });
    b.pause();
    s.send("unread", 100);
    sim.run({ untilUs: sim.now + 1_000 });
    net.partition([[a], [b]]);
    serverSockets[0].send("stuck behind the partition", 100);
    net.heal();
    const t = sim.now;
    b.crash();
    sim.run({ untilUs: t + 5 * S });
    expect(msgs("a")).toEqual([]);
    expect(at("a", "disconnect")).toEqual([t + 150]);
    expect(sim.marks.count("network: closed with unread data: RST")).toBe(1);
  });

  it("data the peer sends to the closed socket is answered with RST", () => {
    const { sim, b, open, at } = world();
    const s = open();
    b.crash();
    s.send("too late", 100); // sent before the FIN arrives
    sim.run({ untilUs: sim.now + S });
    expect(at("a", "disconnect")).toHaveLength(1); // the FIN's
    expect(sim.marks.count("network: data for a closed socket: RST")).toBe(1);
    expect(sim.marks.count("network: connection reset (RST)")).toBe(1);
    expect(s.connection.phase).toEqual(["gone", "gone"]);
  });
});

describe("an application close during a partition", () => {
  it("closes the local end at once; the FIN follows the data and reaches the peer after the heal", () => {
    const { sim, a, b, net, open, seen } = world();
    const s = open();
    const id = net.partition([[a], [b]]);
    s.send("last words", 100);
    s.close();
    expect(s.open).toBe(false);
    sim.run({ untilUs: sim.now + 10 * S });
    expect(seen.b).toEqual([]);
    net.heal(id);
    sim.run({ untilUs: sim.now + 30 * S });
    expect(seen.b.map((e) => e.what)).toEqual(["msg", "disconnect"]);
    expect(seen.a).toEqual([{ at: 300, what: "connect" }]);
  });

  it("after FIN both ways and their ACKs both kernels are done with it, whichever end closed", () => {
    for (const closer of ["client", "server crash"] as const) {
      const { sim, b, open } = world();
      const s = open();
      if (closer === "client") s.close();
      else b.crash();
      sim.run({ untilUs: sim.now + S });
      expect(s.connection.phase).toEqual(["gone", "gone"]);
    }
  });

  it("an orphan gives up after tcp_orphan_retries (~102 s): a longer partition and the peer never hears", () => {
    const { sim, a, b, net, open, seen } = world();
    const s = open();
    const id = net.partition([[a], [b]]);
    s.send("last words", 100);
    s.close();
    sim.run({ untilUs: sim.now + 200 * S });
    net.heal(id);
    sim.run({ untilUs: sim.now + 400 * S });
    expect(seen.b).toEqual([]);
    expect(sim.marks.count("network: connection timed out (ETIMEDOUT)")).toBe(1);
  });
});

describe("property: a partition shorter than the retransmission limit", () => {
  it("breaks no connection, and every message arrives exactly once, in order, after the heal", () => {
    const limitUs = tcpModelTimeoutUs(LINUX_TCP_DEFAULTS.retries2, TCP_RTO_MIN_US);
    fc.assert(
      fc.property(
        // From a few microseconds (segments caught in flight, later ones through) to ~12 minutes.
        fc.oneof(fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 1, max: limitUs - 200 * S })),
        // Sends and the partition's start often close together, so segments are caught on the wire.
        fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 3_000_000 })),
        fc.array(fc.record({ atUs: fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 3_000_000 })), dir: fc.constantFrom<0 | 1>(0, 1), bytes: fc.integer({ min: 1, max: 100_000 }) }), { minLength: 1, maxLength: 30 }),
        fc.constantFrom("both", "forward", "reverse"),
        (partitionUs, partitionAtUs, sends, kind) => {
          const { sim, a, b, net, open, seen, msgs, serverSockets } = world();
          const s = open();
          s.send("hello", 10);
          sim.run({ untilUs: sim.now + 1_000 });
          const server = serverSockets[0];
          const start = sim.now;
          const sent: Record<"a" | "b", string[]> = { a: ["hello"], b: [] };
          [...sends]
            .sort((x, y) => x.atUs - y.atUs)
            .forEach((m, i) => {
              const name = `m${i}`;
              sim.at(start + m.atUs, () => (m.dir === 0 ? s : server).send(name, m.bytes), undefined);
              sent[m.dir === 0 ? "a" : "b"].push(name);
            });
          sim.run({ untilUs: start + partitionAtUs });
          const id = kind === "both" ? net.partition([[a], [b]]) : kind === "forward" ? net.partitionOneWay([a], [b]) : net.partitionOneWay([b], [a]);
          sim.run({ untilUs: sim.now + partitionUs });
          net.heal(id);
          sim.run({ untilUs: sim.now + 130 * S });
          const disconnects = [...seen.a, ...seen.b].filter((e) => e.what === "disconnect");
          expect({ disconnects, toB: msgs("b"), toA: msgs("a") }).toEqual({ disconnects: [], toB: sent.a, toA: sent.b });
        },
      ),
      { numRuns: 150, seed: 8 },
    );
  });
});

describe("scenario short-partition: a 5 s partition between a leader and its followers (acks=all, idempotent, 3.6)", () => {
  it("costs the partition plus retransmission backoff in latency, and breaks, duplicates and reorders nothing", () => {
    const r = loadScenario(readFileSync("scenarios/short-partition.yaml", "utf8"), "short-partition.yaml", []);
    if (!r.ok) throw new Error("short-partition.yaml does not load");
    const outcome = runScenario(r.scenario, { seed: 1 });
    const m = computeMetrics(outcome);
    const marks = outcome.world.sim.marks;
    // Writes wait out the partition and then the backoff: the first retransmission after 5 s is
    // the fifth, 31 RTOs (~6.2 s) after the first lost segment.
    expect(m.produceLatencyMs.max).toBeGreaterThan(5_000);
    expect(m.produceLatencyMs.max).toBeLessThan(7_500);
    expect({ duplicates: m.duplicates, reordered: m.reordered, lost: m.lostAcked, failed: m.failed, isrChanges: m.isrChanges }).toEqual({ duplicates: 0, reordered: 0, lost: 0, failed: 0, isrChanges: 0 });
    const broken = ["network: connection timed out (ETIMEDOUT)", "network: connect timed out (ETIMEDOUT)", "network: connection reset (RST)", "client: request timed out, connection closed"];
    expect(broken.map((k) => [k, marks.count(k)])).toEqual(broken.map((k) => [k, 0]));
    expect(marks.count("network: retransmitted segment delivered")).toBeGreaterThan(0);
  }, 120_000);
});

describe("property: acks=all, min.insync.replicas=2, idempotent, under partitions that TCP carries", () => {
  it("loses, duplicates and reorders nothing when partitions cut the leader, the controller or the producer for up to a minute", () => {
    const base = readFileSync("scenarios/acks-all-leader-crash.yaml", "utf8").replace(/faults:\n(  - .*\n)+/, "");
    const groups = ['[["leader:orders-0"], ["followers:orders-0"]]', '[["leader:orders-0"], [broker-1, broker-2, broker-3, zk-1]]', '[["producer-p1"], ["leader:orders-0"]]', '[["controller"], [broker-1, broker-2, broker-3, zk-1]]'];
    const fault = fc.record({ at: fc.integer({ min: 5, max: 90 }), len: fc.integer({ min: 1, max: 60 }), g: fc.integer({ min: 0, max: groups.length - 1 }) });
    fc.assert(
      fc.property(fc.array(fault, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 1000 }), fc.constantFrom("2.8", "3.6"), (faults, seed, version) => {
        const yaml = base.replace("expect:", `faults:\n${faults.map((f) => `  - { at: ${f.at}s, partition: ${groups[f.g]}, for: ${f.len}s }`).join("\n")}\nexpect:`);
        const r = loadScenario(yaml, "property.yaml", [{ key: "kafka.version", value: version }]);
        if (!r.ok) throw new Error("the property's scenario does not load");
        const outcome = runScenario(r.scenario, { seed });
        const m = computeMetrics(outcome);
        expect({ lost: m.lostAcked, duplicates: m.duplicates, reordered: m.reordered, violations: outcome.world.sim.violations }).toEqual({ lost: 0, duplicates: 0, reordered: 0, violations: [] });
      }),
      { numRuns: 8, seed: 11 },
    );
  }, 300_000);
});
