/**
 * Fixes from the fidelity review of the consumer and the group coordinator (facts/review-consumer.md),
 * each checked against Kafka's classes at the release tags: the coordinator's rules on a small
 * harness (a timer queue, a store that always succeeds), the consumer's on small scenarios.
 */
import { afterEach, describe, expect, it } from "vitest";
import { doc, run } from "./helpers/readSide.js";
import { GroupCoordinator } from "../sim/nodes/kafka/coordinator/group/GroupCoordinator.js";
import { GroupMetadata } from "../sim/nodes/kafka/coordinator/group/GroupMetadata.js";
import { behaviourOf, brokerDefaults, KafkaConfig, type KafkaVersion } from "../sim/nodes/kafka/common/versions.js";
import type { GroupErrorResponse, JoinGroupRequest, JoinGroupResponse, SyncGroupResponse } from "../sim/nodes/kafka/common/protocol.js";

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

/** A group coordinator on a timer queue of its own: time moves only by advance(). */
function harness(version: KafkaVersion) {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const machine = {
    get now() {
      return now;
    },
    setTimer: (delayUs: number, fn: () => void) => {
      timers.set(++seq, { at: now + delayUs, fn });
      return seq;
    },
    cancelTimer: (h: number) => void timers.delete(h),
    mark: () => undefined,
    trace: () => undefined,
    rng: () => ({ int: () => 7 }),
  };
  const groups = new Map<string, GroupMetadata>();
  const store = { groups, isOwned: () => true, isLoading: () => false, storeGroup: (_g: unknown, cb: (e: "NONE") => void) => cb("NONE"), storeOffsets: (_g: unknown, _o: unknown, cb: (e: "NONE") => void) => cb("NONE") };
  const config = KafkaConfig.merge(brokerDefaults(version), { "group.initial.rebalance.delay.ms": 0 });
  const gc = new GroupCoordinator({ machine: machine as never, config, behaviour: behaviourOf(version), store: store as never, observer: { onGenerationStable: () => undefined, onRebalanceStarted: () => undefined } });
  const advance = (us: number): void => {
    const until = now + us;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of timers) if (e[1].at <= until && (next === undefined || e[1].at < next[1].at || (e[1].at === next[1].at && e[0] < next[0]))) next = e;
      if (next === undefined) break;
      timers.delete(next[0]);
      now = next[1].at;
      next[1].fn();
    }
    now = until;
  };
  const join = (memberId: string, opts: { instance?: string; sessionMs?: number } = {}, out: { answer: JoinGroupResponse | null } = { answer: null }): { answer: JoinGroupResponse | null } => {
    const req = { groupId: "g", sessionTimeoutMs: opts.sessionMs ?? 10_000, rebalanceTimeoutMs: 300_000, memberId, groupInstanceId: opts.instance ?? null, protocolType: "consumer", protocols: [{ name: "range", metadata: { topics: ["t"], ownedPartitions: [], generation: -1 } }] } as unknown as JoinGroupRequest;
    gc.handleJoinGroup(req, "client", "host", (r) => {
      out.answer = r;
      // KIP-394: join again with the id given.
      if (r.error === "MEMBER_ID_REQUIRED") join(r.memberId, opts, out);
    });
    return out;
  };
  const sync = (memberId: string, generationId: number, instance: string | null = null): { answer: SyncGroupResponse | null } => {
    const out: { answer: SyncGroupResponse | null } = { answer: null };
    gc.handleSyncGroup({ groupId: "g", generationId, memberId, groupInstanceId: instance, assignments: [] } as never, (r) => (out.answer = r));
    return out;
  };
  const heartbeat = (memberId: string, generationId: number): GroupErrorResponse => gc.handleHeartbeat({ groupId: "g", generationId, memberId, groupInstanceId: null });
  return { gc, groups, advance, join, sync, heartbeat };
}

describe("group coordinator (review fixes)", () => {
  it("up to 2.1 a new member waiting in JoinGroup outlives its session timeout (shouldKeepMemberAlive); from 2.2 it has NewMemberJoinTimeoutMs", () => {
    const membersAfter20s = (version: KafkaVersion): number => {
      const h = harness(version);
      // a and c form a generation (c with a long session); then a rejoins and c is slow: the
      // rebalance waits up to 300 s for c, and a new member b (session 10 s) waits in JoinGroup.
      const a = h.join("");
      h.join("", { sessionMs: 60_000 });
      h.advance(1000);
      const g = h.groups.get("g")!;
      for (const m of [...g.members.keys()]) h.sync(m, g.generationId);
      expect(g.state).toBe("Stable");
      h.join(a.answer!.memberId);
      h.join("");
      h.advance(20_000_000);
      return g.members.size;
    };
    expect(membersAfter20s("2.1")).toBe(3);
    expect(membersAfter20s("2.2")).toBe(3);
  });

  it("a stale generation's heartbeat during CompletingRebalance gets REBALANCE_IN_PROGRESS up to 2.2 and ILLEGAL_GENERATION from 2.3 (generation checked first)", () => {
    const answer = (version: KafkaVersion): string => {
      const h = harness(version);
      const a = h.join("");
      h.advance(1000);
      expect(h.groups.get("g")!.state).toBe("CompletingRebalance");
      return h.heartbeat(a.answer!.memberId, 0).error;
    };
    expect(answer("2.2")).toBe("REBALANCE_IN_PROGRESS");
    expect(answer("2.3")).toBe("ILLEGAL_GENERATION");
    expect(answer("2.6")).toBe("ILLEGAL_GENERATION");
  });

  it("a static leader rejoining a Stable group is answered with the old leader id, so it runs no assignment (updateStaticMemberAndRebalance currentLeader)", () => {
    const h = harness("2.3");
    const a = h.join("", { instance: "a" });
    h.advance(1000);
    const oldId = a.answer!.memberId;
    h.sync(oldId, a.answer!.generationId, "a");
    expect(h.groups.get("g")!.state).toBe("Stable");
    const again = h.join("", { instance: "a" });
    expect(again.answer!.error).toBe("NONE");
    expect(again.answer!.memberId).not.toBe(oldId);
    expect(again.answer!.leader).toBe(oldId);
    expect(h.groups.get("g")!.state).toBe("Stable");
  });

  it("after the assignment is stored only members whose SyncGroup was answered get a fresh session timer: a member that never synced expires on time (propagateAssignment)", () => {
    const h = harness("2.8");
    const a = h.join("");
    const b = h.join("");
    h.advance(1000);
    const g = h.groups.get("g")!;
    expect(g.state).toBe("CompletingRebalance");
    const leader = g.leaderId!;
    const follower = [a.answer!.memberId, b.answer!.memberId].find((id) => id !== leader)!;
    h.advance(8_000_000);
    h.sync(leader, g.generationId);
    expect(g.state).toBe("Stable");
    // The follower's timer was armed at the join (10 s); it must not have been renewed by the store.
    h.advance(3_000_000);
    expect(g.members.has(follower)).toBe(false);
  });
});

describe("consumer (review fixes)", () => {
  it("a static member that missed max.poll.interval.ms rejoins with no member id and the coordinator gives it a new one (resetGeneration clears the id for every member)", () => {
    const { marks } = run(doc({ version: "3.1", consumer: "processing: 200ms, staticId: app, config: { max.poll.interval.ms: 5000, max.poll.records: 50 }", duration: "40s" }));
    expect(marks.count("consumer: max.poll.interval.ms expired, member leaves the group")).toBeGreaterThan(0);
    expect(marks.count("group: static member rejoined with a new member id")).toBeGreaterThan(0);
  });

  it("a JoinGroup answered INVALID_SESSION_TIMEOUT ends the application instead of retrying forever (a fatal error from poll())", () => {
    const { outcome, marks } = run(doc({ consumer: "processing: 1ms, config: { session.timeout.ms: 4000, heartbeat.interval.ms: 1000 }", duration: "20s" }));
    expect(marks.count("consumer: fatal group error ends the application")).toBeGreaterThan(0);
    const errors = outcome.world.history.consumers.group("g").errors;
    expect(errors.some((e) => /INVALID_SESSION_TIMEOUT/.test(e.error))).toBe(true);
  });

  it("an eager auto-committing group that rebalances when a member stops gracefully consumes nothing twice: poll() returns no records while the pre-revoke commit is out", () => {
    for (const version of ["3.1", "3.2", "3.6"]) {
      const { metrics } = run(doc({ version, consumer: "processing: 2ms, config: { auto.offset.reset: earliest }", faults: "  - { at: 25s, stop: consumer-g-2, for: 5s }" }));
      expect({ version, duplicates: metrics.groups[0].duplicatesConsumed }).toEqual({ version, duplicates: 0 });
    }
  });

  it("3.2.0's onJoinPrepare keeps a cooperative auto-committing group from rejoining (a new commit every poll, KAFKA-14024): the new member waits for the rebalance timeout while the old one consumes on; 3.3 hands over at once", () => {
    const firstAssignedS = (version: string) => {
      const { outcome, metrics, marks } = run(
        doc({ version, duration: "70s", consumer: "processing: 1ms, start: [0s, 20s], config: { partition.assignment.strategy: cooperative-sticky, auto.offset.reset: earliest, max.poll.interval.ms: 20000 }" }),
      );
      const joined = outcome.world.history.consumers.group("g").ownership.find((o) => o.kind === "assigned" && o.member.endsWith("-2") && o.partitions.length > 0);
      return { at: (joined?.atUs ?? Infinity) / 1e6, looped: marks.count("consumer: 3.2.0 onJoinPrepare sent an async auto-commit and returned false"), lost: metrics.groups[0].lostConsumed };
    };
    const v32 = firstAssignedS("3.2");
    const v33 = firstAssignedS("3.3");
    expect(v32.looped).toBeGreaterThan(100);
    expect(v32.at).toBeGreaterThan(39);
    expect(v33.looped).toBe(0);
    expect(v33.at).toBeLessThan(30);
    expect([v32.lost, v33.lost]).toEqual([0, 0]);
  });
});
