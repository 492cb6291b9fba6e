/**
 * The read side: the group coordinator's rules per release, the consumer's commit strategies and
 * rebalance protocols, the checkers, and determinism, on small scenarios.
 */
import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { loadScenario, formatProblem } from "../scenarios/loader.js";
import { runScenario } from "../scenarios/runner.js";
import { groupsState, formatGroupsState } from "../reports/describeGroups.js";
import { partitionFor } from "../sim/nodes/kafka/coordinator/group/GroupMetadataManager.js";
import { consumerDefaults } from "../sim/nodes/kafka/common/versions.js";
import { assignorNamesOf, rebalanceProtocolOf } from "../sim/nodes/kafka/clients/consumer/ConsumerConfig.js";
import { doc, run } from "./helpers/readSide.js";

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

describe("group coordinator placement", () => {
  it("a group's coordinator partition is abs(String.hashCode) mod partitions, as Java computes it", () => {
    // "abc".hashCode() is 96354; "polygenelubricants".hashCode() is Integer.MIN_VALUE, which Utils.abs maps to 0.
    expect(partitionFor("abc", 50)).toBe(96354 % 50);
    expect(partitionFor("polygenelubricants", 50)).toBe(0);
    // "Aa" and "BB" collide in Java (2112).
    expect(partitionFor("Aa", 50)).toBe(partitionFor("BB", 50));
  });
});

describe("consumer defaults and assignors per release", () => {
  it("session.timeout.ms is 10 s before 3.0 and 45 s from 3.0 (KIP-735); the default assignors gain cooperative-sticky in 3.0 yet stay eager", () => {
    expect(consumerDefaults("2.8")["session.timeout.ms"]).toBe(10_000);
    expect(consumerDefaults("3.0")["session.timeout.ms"]).toBe(45_000);
    const names = assignorNamesOf(String(consumerDefaults("3.6")["partition.assignment.strategy"]), "3.6");
    expect(names).toEqual(["range", "cooperative-sticky"]);
    expect(rebalanceProtocolOf(names as never, true)).toBe("EAGER");
    expect(rebalanceProtocolOf(["cooperative-sticky"], true)).toBe("COOPERATIVE");
    expect(assignorNamesOf("cooperative-sticky", "2.3")).toMatch(/arrived in 2.4/);
  });

  it("refuses a heartbeat interval not below the session timeout, naming the field", () => {
    const r = loadScenario(doc({ consumer: "config: { heartbeat.interval.ms: 50000, session.timeout.ms: 45000 }" }), "t.yaml");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map(formatProblem).join("\n")).toMatch(/consumers\[0\]\.config\.heartbeat\.interval\.ms.*less than session\.timeout\.ms/);
  });
});

describe("the consumer loop", () => {
  it("a healthy group processes every record once, within the run, with no rebalance after the first and no lag at the end", () => {
    // The warm-up leaves out records produced before the group formed (auto.offset.reset=earliest reads them seconds later).
    const { metrics } = run(doc({ consumer: "processing: 1ms, commit: sync, config: { auto.offset.reset: earliest }", extra: "latencyWarmup: 10s" }));
    const g = metrics.groups[0];
    expect(g.lostConsumed).toBe(0);
    expect(g.duplicatesConsumed).toBe(0);
    expect(g.skipped).toBe(0);
    expect(g.nonmonotonic).toBe(0);
    expect(g.rebalances).toBe(0);
    expect(g.processed).toBe(metrics.acked);
    expect(g.consumerLag.final).toBe(0);
    expect(g.endToEndLatencyMs.p50).toBeGreaterThan(0);
    expect(g.endToEndLatencyMs.p99!).toBeLessThan(1000);
  });

  it("runs the same twice: same traceHash", () => {
    const a = run(doc({ faults: "  - { at: 20s, crash: consumer-g-1, for: 5s }" }), 3).outcome.world.sim.trace.hash;
    const b = run(doc({ faults: "  - { at: 20s, crash: consumer-g-1, for: 5s }" }), 3).outcome.world.sim.trace.hash;
    expect(a).toBe(b);
  });

  it("assign() takes partitions by member index: no coordinator rebalances, every record processed", () => {
    const { metrics } = run(doc({ consumer: "processing: 1ms, mode: assign, config: { auto.offset.reset: earliest }" }));
    expect(metrics.groups[0].rebalances).toBe(0);
    expect(metrics.groups[0].processed).toBe(metrics.acked);
  });

  it("a crash under commit-before-processing loses records to the group; committing after processing duplicates them instead", () => {
    const crash = "  - { at: 20s, crash: consumer-g-1, for: 5s }";
    const before = run(doc({ consumer: "processing: 6ms, commit: before-processing, config: { auto.offset.reset: earliest }", faults: crash })).metrics.groups[0];
    const after = run(doc({ consumer: "processing: 6ms, commit: sync, config: { auto.offset.reset: earliest }", faults: crash })).metrics.groups[0];
    expect(before.lostConsumed).toBeGreaterThan(0);
    expect(after.lostConsumed).toBe(0);
    expect(after.duplicatesConsumed).toBeGreaterThan(0);
  });

  it("without a crash, commit-before-processing loses nothing: the records a live member is still processing as the run ends are under way, not lost", () => {
    const { outcome, metrics } = run(doc({ consumer: "processing: 6ms, commit: before-processing, config: { auto.offset.reset: earliest }" }));
    const g = metrics.groups[0];
    // The group is slower than the topic: its members are mid-batch at the end, past committed offsets.
    expect(outcome.world.history.consumers.inFlight("g").length).toBeGreaterThan(0);
    expect(Object.values(g.committed).some((o) => o > 0)).toBe(true);
    expect(g.lostConsumed).toBe(0);
  });
});

describe("session timeouts and membership per release", () => {
  const crash = "  - { at: 20s, crash: consumer-g-2 }";
  const expiredAt = (version: string): number => {
    const { outcome } = run(doc({ version, faults: crash, duration: "90s" }));
    const g = outcome.world.history.consumers.group("g");
    return g.rebalanceStarts.find((r) => /session expired/.test(r.reason))!.atUs;
  };

  it("a dead member is noticed after session.timeout.ms: about 10 s in 2.8, 45 s in 3.0", () => {
    expect(expiredAt("2.8") / 1e6).toBeGreaterThan(26);
    expect(expiredAt("2.8") / 1e6).toBeLessThan(31);
    expect(expiredAt("3.0") / 1e6).toBeGreaterThan(61);
    expect(expiredAt("3.0") / 1e6).toBeLessThan(66);
  });

  it("KIP-394: from 2.2 a new member first gets MEMBER_ID_REQUIRED; 2.1 joins at once", () => {
    const responses = (version: string): number => {
      const { outcome } = run(doc({ version, duration: "15s" }));
      return outcome.world.sim.marks.count("group: member id required");
    };
    expect(responses("2.2")).toBeGreaterThan(0);
    expect(responses("2.1")).toBe(0);
  });

  it("0.10.2 has no initial rebalance delay: the first generation forms within a second of the joins; 0.11 waits group.initial.rebalance.delay.ms", () => {
    const firstStable = (version: string): number => run(doc({ version, duration: "15s" })).outcome.world.history.consumers.group("g").generations[0].atUs;
    expect(firstStable("0.10.2") / 1e6).toBeLessThan(3);
    expect(firstStable("0.11") / 1e6).toBeGreaterThan(4);
  });
});

describe("describe --groups", () => {
  it("prints kafka-consumer-groups.sh rows: committed offset, log end, lag and the owning member", () => {
    const r = loadScenario(doc({ consumer: "processing: 1ms, commit: sync" }), "t.yaml");
    if (!r.ok) throw new Error("load");
    const outcome = runScenario(r.scenario, { seed: 1, untilUs: 30_000_000 });
    const state = groupsState(outcome.world);
    expect(state.groups[0].state).toBe("Stable");
    expect(state.groups[0].rows).toHaveLength(4);
    for (const row of state.groups[0].rows) {
      expect(row.consumerId).toMatch(/^consumer-g-[12]-/);
      expect(row.lag).not.toBeNull();
      expect(row.logEndOffset! - row.currentOffset!).toBe(row.lag);
    }
    const text = formatGroupsState(state);
    expect(text).toMatch(/GROUP +TOPIC +PARTITION +CURRENT-OFFSET +LOG-END-OFFSET +LAG +CONSUMER-ID +HOST +CLIENT-ID/);
  });
});

describe("after an unclean election (KIP-320)", () => {
  const uncleanDoc = (version: string): string =>
    readFileSync("scenarios/unclean-election.yaml", "utf8")
      .replace('version: "3.6"', `version: "${version}"`)
      .replace("faults:", "consumers:\n  - { group: g, members: 1, topic: orders, processing: 100us, commit: sync }\nfaults:");

  it("from 2.3 the consumer detects the truncation and re-reads from where the logs diverge: nothing lost to the group; 2.2 does not detect it", () => {
    const modern = run(uncleanDoc("2.3"));
    const old = run(uncleanDoc("2.2"));
    expect(modern.marks.count("consumer: truncation detected (KIP-320)")).toBeGreaterThan(0);
    expect(modern.metrics.groups[0].lostConsumed).toBe(0);
    expect(old.marks.count("consumer: truncation detected (KIP-320)")).toBe(0);
    expect(old.metrics.lostAcked).toBeGreaterThan(0);
  });
});
