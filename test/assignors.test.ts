/**
 * The consumer partition assignors (clients/consumer/*Assignor.java): worked examples traced by
 * hand through Kafka's algorithms (the javadoc examples among them), then properties over random
 * groups. fc.assert prints the seed and the shrunk counterexample when a property fails.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { assign, supportedProtocols, type AssignorName, type MemberSubscription, type TopicPartition } from "../sim/nodes/kafka/clients/consumer/assignors/index.js";

/** "t0p1 t1p0" -> partitions. */
function tps(s: string): TopicPartition[] {
  return s
    .split(/\s+/)
    .filter((x) => x !== "")
    .map((x) => {
      const m = /^(.*)p(\d+)$/.exec(x)!;
      return { topic: m[1], partition: Number(m[2]) };
    });
}

function member(memberId: string, topics: string[], owned = "", generation = -1, groupInstanceId: string | null = null): MemberSubscription {
  return { memberId, groupInstanceId, topics, ownedPartitions: tps(owned), generation };
}

const key = (tp: TopicPartition) => `${tp.topic}p${tp.partition}`;

/** memberId -> "t0p0 t0p1", members by id, each list as the assignor returned it (sorted). */
function show(a: Map<string, TopicPartition[]>): Record<string, string> {
  return Object.fromEntries([...a.keys()].sort().map((id) => [id, a.get(id)!.map(key).join(" ")]));
}

const topics = (spec: Record<string, number>) => new Map(Object.entries(spec));

describe("RangeAssignor", () => {
  it("7 partitions over 3 members: 3 / 2 / 2, contiguous ranges in member.id order", () => {
    const out = assign("range", topics({ t: 7 }), [member("c", ["t"]), member("a", ["t"]), member("b", ["t"])]);
    expect(show(out)).toEqual({ a: "tp0 tp1 tp2", b: "tp3 tp4", c: "tp5 tp6" });
  });

  it("per topic: the first members take the extra partition of every topic (the javadoc's C0 / C1 example)", () => {
    const out = assign("range", topics({ t0: 3, t1: 3 }), [member("C0", ["t0", "t1"]), member("C1", ["t0", "t1"])]);
    expect(show(out)).toEqual({ C0: "t0p0 t0p1 t1p0 t1p1", C1: "t0p2 t1p2" });
  });

  it("from 2.4 static members come first, by group.instance.id, then dynamic ones by member.id (MemberInfo.compareTo); before 2.4 by member.id", () => {
    const group = [member("m-b", ["t"], "", -1, "i1"), member("m-a", ["t"]), member("m-c", ["t"], "", -1, "i0")];
    expect(show(assign("range", topics({ t: 3 }), group, { version: "2.4" }))).toEqual({ "m-a": "tp2", "m-b": "tp1", "m-c": "tp0" });
    expect(show(assign("range", topics({ t: 3 }), group, { version: "2.3" }))).toEqual({ "m-a": "tp0", "m-b": "tp1", "m-c": "tp2" });
  });

  it("members subscribed elsewhere, topics without partitions or metadata, and empty subscriptions get []", () => {
    const out = assign("range", topics({ t0: 2, t1: 0 }), [member("a", ["t0"]), member("b", ["t1", "nope"]), member("c", [])]);
    expect(show(out)).toEqual({ a: "t0p0 t0p1", b: "", c: "" });
  });
});

describe("RoundRobinAssignor", () => {
  it("identical subscriptions: all partitions dealt in turn (javadoc: C0 [t0p0, t0p2, t1p1], C1 [t0p1, t1p0, t1p2])", () => {
    const out = assign("roundrobin", topics({ t0: 3, t1: 3 }), [member("C1", ["t0", "t1"]), member("C0", ["t0", "t1"])]);
    expect(show(out)).toEqual({ C0: "t0p0 t0p2 t1p1", C1: "t0p1 t1p0 t1p2" });
  });

  it("skips members not subscribed to the partition's topic (javadoc: C0 [t0p0], C1 [t1p0], C2 [t1p1, t2p0, t2p1, t2p2])", () => {
    const group = [member("C0", ["t0"]), member("C1", ["t0", "t1"]), member("C2", ["t0", "t1", "t2"])];
    expect(show(assign("roundrobin", topics({ t0: 1, t1: 2, t2: 3 }), group))).toEqual({ C0: "t0p0", C1: "t1p0", C2: "t1p1 t2p0 t2p1 t2p2" });
  });

  it("from 2.4 the circle is in MemberInfo order: static members by group.instance.id first", () => {
    const group = [member("C0", ["t"], "", -1, "I2"), member("C1", ["t"], "", -1, "I1"), member("C2", ["t"])];
    expect(show(assign("roundrobin", topics({ t: 4 }), group, { version: "3.6" }))).toEqual({ C0: "tp1", C1: "tp0 tp3", C2: "tp2" });
    expect(show(assign("roundrobin", topics({ t: 4 }), group, { version: "2.3" }))).toEqual({ C0: "tp0 tp3", C1: "tp1", C2: "tp2" });
  });
});

describe("StickyAssignor", () => {
  const all4 = ["t0", "t1", "t2", "t3"];
  const four = topics({ t0: 2, t1: 2, t2: 2, t3: 2 });

  it("a fresh group, all subscribed alike (ConstrainedAssignmentBuilder): round-robin to minQuota, then the extra ones (javadoc example 1)", () => {
    // 8 partitions, 3 members: minQuota 2, maxQuota 3, 2 members above minQuota.
    const out = assign("sticky", four, [member("C0", all4), member("C1", all4), member("C2", all4)]);
    expect(show(out)).toEqual({ C0: "t0p0 t1p1 t3p0", C1: "t0p1 t2p0 t3p1", C2: "t1p0 t2p1" });
  });

  it("C1 leaves: C0 and C2 keep all they had; 3.6's constrained builder hands out C1's partitions round-robin", () => {
    const out = assign("sticky", four, [member("C0", all4, "t0p0 t1p1 t3p0", 1), member("C2", all4, "t1p0 t2p1", 1)], { version: "3.6" });
    expect(show(out)).toEqual({ C0: "t0p1 t0p0 t1p1 t3p0".split(" ").sort().join(" "), C2: "t1p0 t2p0 t2p1 t3p1" });
  });

  it("C1 leaves, before 2.6 (general builder): the javadoc's C0 [t0p0, t1p1, t3p0, t2p0], C2 [t1p0, t2p1, t0p1, t3p1]", () => {
    const out = assign("sticky", four, [member("C0", all4, "t0p0 t1p1 t3p0", 1), member("C2", all4, "t1p0 t2p1", 1)], { version: "2.5" });
    expect(show(out)).toEqual({ C0: "t0p0 t1p1 t2p0 t3p0", C2: "t0p1 t1p0 t2p1 t3p1" });
  });

  it("different subscriptions (general builder): topics with fewest subscribers first, each partition to the least loaded (javadoc example 2)", () => {
    const group = [member("C0", ["t0"]), member("C1", ["t0", "t1"]), member("C2", ["t0", "t1", "t2"])];
    const parts = topics({ t0: 1, t1: 2, t2: 3 });
    expect(show(assign("sticky", parts, group))).toEqual({ C0: "t0p0", C1: "t1p0 t1p1", C2: "t2p0 t2p1 t2p2" });
    // C0 leaves: its partition goes to C1, nothing else moves (round robin would move t1p0).
    const after = assign("sticky", parts, [member("C1", ["t0", "t1"], "t1p0 t1p1", 1), member("C2", ["t0", "t1", "t2"], "t2p0 t2p1 t2p2", 1)]);
    expect(show(after)).toEqual({ C1: "t0p0 t1p0 t1p1", C2: "t2p0 t2p1 t2p2" });
  });

  it("over quota: the first maxQuota owned partitions stay while members above minQuota are wanted, then minQuota", () => {
    // 4 partitions, 3 members: minQuota 1, maxQuota 2, one member above. a (first by id) keeps 2, b keeps 1 and gives up tp3.
    const out = assign("sticky", topics({ t: 4 }), [member("a", ["t"], "tp0 tp1", 1), member("b", ["t"], "tp2 tp3", 1), member("c", ["t"])]);
    expect(show(out)).toEqual({ a: "tp0 tp1", b: "tp2", c: "tp3" });
  });

  it("claims: from 3.5 the higher generation wins a partition two members claim (KAFKA-14639); the loser's claim is void", () => {
    // b's generation-2 claims win; at quota 1 b keeps tp0 (its first) and gives up tp1, which goes to a.
    expect(show(assign("sticky", topics({ t: 2 }), [member("a", ["t"], "tp0", 1), member("b", ["t"], "tp0 tp1", 2)]))).toEqual({ a: "tp1", b: "tp0" });
    const three = assign("sticky", topics({ t: 3 }), [member("a", ["t"], "tp0", 1), member("b", ["t"], "tp0 tp1", 2), member("c", ["t"])]);
    expect(show(three)).toEqual({ a: "tp1", b: "tp0", c: "tp2" });
  });

  it("claims 2.6 - 3.4 (constrained path): only members of the highest generation keep theirs", () => {
    // a (generation 1) loses its claim on tp2 although nobody else claims it: tp1 and tp2 go round-robin to a and c.
    const shifted = [member("a", ["t"], "tp2", 1), member("b", ["t"], "tp0", 2), member("c", ["t"])];
    expect(show(assign("sticky", topics({ t: 3 }), shifted, { version: "3.4" }))).toEqual({ a: "tp1", b: "tp0", c: "tp2" });
    expect(show(assign("sticky", topics({ t: 3 }), shifted, { version: "3.6" }))).toEqual({ a: "tp2", b: "tp0", c: "tp1" });
  });

  it("before 0.11 there is no sticky assignor, before 2.4 no cooperative one", () => {
    expect(() => assign("sticky", topics({ t: 1 }), [member("a", ["t"])], { version: "0.10.2" })).toThrow(/0\.11/);
    expect(() => assign("cooperative-sticky", topics({ t: 1 }), [member("a", ["t"])], { version: "2.3" })).toThrow(/2\.4/);
    expect(show(assign("sticky", topics({ t: 1 }), [member("a", ["t"])], { version: "0.11" }))).toEqual({ a: "tp0" });
  });
});

describe("CooperativeStickyAssignor", () => {
  it("a joining member gets a moving partition only once its owner has given it up (adjustAssignment)", () => {
    const parts = topics({ t: 4 });
    // Sticky would give c tp3, taken from b: this round c gets nothing, b keeps tp2 and drops tp3.
    const first = [member("a", ["t"], "tp0 tp1", 1), member("b", ["t"], "tp2 tp3", 1), member("c", ["t"])];
    expect(show(assign("cooperative-sticky", parts, first))).toEqual({ a: "tp0 tp1", b: "tp2", c: "" });
    expect(show(assign("sticky", parts, first))).toEqual({ a: "tp0 tp1", b: "tp2", c: "tp3" });
    // b revoked tp3 and rejoined: the follow-up rebalance gives it to c.
    const second = [member("a", ["t"], "tp0 tp1", 2), member("b", ["t"], "tp2", 2), member("c", ["t"], "", 2)];
    expect(show(assign("cooperative-sticky", parts, second))).toEqual({ a: "tp0 tp1", b: "tp2", c: "tp3" });
  });

  it("a partition two members of one generation claim is held back from 3.0 (partitionsWithMultiplePreviousOwners); before, the first claim stands", () => {
    const group = [member("a", ["t"], "tp0", 1), member("b", ["t"], "tp0", 1)];
    expect(show(assign("cooperative-sticky", topics({ t: 2 }), group, { version: "3.6" }))).toEqual({ a: "", b: "tp1" });
    expect(show(assign("cooperative-sticky", topics({ t: 2 }), group, { version: "2.8" }))).toEqual({ a: "tp0", b: "tp1" });
  });

  it("a departed member's partitions are handed out at once", () => {
    const out = assign("cooperative-sticky", topics({ t: 4 }), [member("a", ["t"], "tp0 tp1", 3)]);
    expect(show(out)).toEqual({ a: "tp0 tp1 tp2 tp3" });
  });

  it("different subscriptions (computePartitionsTransferringOwnership): what leaves an owner still listing it is held back", () => {
    // b unsubscribes from t0: its t0p1 is revoked, and a (the only t0 subscriber) must wait for it.
    const group = [member("a", ["t0"], "t0p0", 1), member("b", ["t1"], "t0p1 t1p0", 1)];
    expect(show(assign("cooperative-sticky", topics({ t0: 2, t1: 1 }), group))).toEqual({ a: "t0p0", b: "t1p0" });
    expect(show(assign("sticky", topics({ t0: 2, t1: 1 }), group))).toEqual({ a: "t0p0 t0p1", b: "t1p0" });
  });

  it("supportedProtocols: EAGER everywhere, COOPERATIVE too for cooperative-sticky", () => {
    expect(supportedProtocols("range")).toEqual(["EAGER"]);
    expect(supportedProtocols("roundrobin")).toEqual(["EAGER"]);
    expect(supportedProtocols("sticky")).toEqual(["EAGER"]);
    expect(supportedProtocols("cooperative-sticky")).toEqual(["EAGER", "COOPERATIVE"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random groups.

const ALL: AssignorName[] = ["range", "roundrobin", "sticky", "cooperative-sticky"];
const VERSIONS: Record<AssignorName, string[]> = {
  range: ["0.10.2", "2.3", "2.4", "3.6"],
  roundrobin: ["0.10.2", "2.3", "2.4", "3.6"],
  sticky: ["0.11", "2.3", "2.5", "2.6", "2.8", "3.0", "3.4", "3.5", "3.6", "3.9"],
  "cooperative-sticky": ["2.4", "2.5", "2.6", "3.0", "3.4", "3.5", "3.6", "3.9"],
};

interface World {
  partitionsPerTopic: Map<string, number>;
  members: MemberSubscription[];
}

/** Up to 4 topics (some without partitions), up to 7 members, equal or random subscriptions, random (even conflicting or stale) claims. */
const worldArb = (equal: boolean | null) =>
  fc
    .record({
      counts: fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 4 }),
      equal: equal === null ? fc.boolean() : fc.constant(equal),
      members: fc.array(
        fc.record({
          subs: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
          instance: fc.option(fc.integer({ min: 0, max: 9 }), { nil: null }),
          owned: fc.array(fc.tuple(fc.nat(4), fc.nat(9)), { maxLength: 6 }),
          generation: fc.integer({ min: -1, max: 3 }),
        }),
        { minLength: 1, maxLength: 7 },
      ),
    })
    .map(({ counts, equal, members }): World => {
      const partitionsPerTopic = new Map(counts.map((n, i) => [`t${i}`, n]));
      const topicsOf = (subs: boolean[]) => subs.flatMap((s, i) => (s && i < counts.length ? [`t${i}`] : []));
      const instances = new Set<number>();
      return {
        partitionsPerTopic,
        members: members.map((m, i) => {
          const instance = m.instance !== null && !instances.has(m.instance) ? m.instance : null;
          if (instance !== null) instances.add(instance);
          return {
            memberId: `m${(i * 7) % 10}${i}`,
            groupInstanceId: instance === null ? null : `i${instance}`,
            topics: topicsOf(equal ? members[0].subs : m.subs),
            ownedPartitions: m.owned.map(([t, p]) => ({ topic: `t${t}`, partition: p })),
            generation: m.generation,
          };
        }),
      };
    });

const nameAndVersion = fc.constantFrom(...ALL).chain((name) => fc.tuple(fc.constant(name), fc.constantFrom(...VERSIONS[name])));

function subscribedPartitions(w: World): string[] {
  const out: string[] = [];
  for (const [topic, n] of w.partitionsPerTopic) if (w.members.some((m) => m.topics.includes(topic))) for (let p = 0; p < n; p++) out.push(`${topic}p${p}`);
  return out;
}

function sizes(a: Map<string, TopicPartition[]>): number[] {
  return [...a.values()].map((l) => l.length);
}

/** A group's previous generation as its members report it: each owning what `a` gave it, at `generation`. */
function nextGeneration(members: MemberSubscription[], a: Map<string, TopicPartition[]>, generation: number): MemberSubscription[] {
  return members.map((m) => ({ ...m, ownedPartitions: a.get(m.memberId)!, generation }));
}

describe("properties", () => {
  it("every member present; each partition of a subscribed topic to at most one subscriber, and to exactly one for the eager assignors", () => {
    fc.assert(
      fc.property(worldArb(null), nameAndVersion, (w, [name, version]) => {
        const out = assign(name, w.partitionsPerTopic, w.members, { version });
        expect([...out.keys()].sort()).toEqual(w.members.map((m) => m.memberId).sort());
        const seen = new Set<string>();
        for (const m of w.members) {
          for (const tp of out.get(m.memberId)!) {
            expect(m.topics).toContain(tp.topic);
            expect(tp.partition).toBeLessThan(w.partitionsPerTopic.get(tp.topic)!);
            expect(seen.has(key(tp))).toBe(false);
            seen.add(key(tp));
          }
        }
        if (name !== "cooperative-sticky") expect([...seen].sort()).toEqual(subscribedPartitions(w).sort());
        else {
          // The cooperative assignment is the sticky one less what is in flight.
          const sticky = assign("sticky", w.partitionsPerTopic, w.members, { version });
          for (const [id, list] of out) for (const tp of list) expect(sticky.get(id)!.map(key)).toContain(key(tp));
        }
      }),
    );
  });

  it("equal subscriptions: roundrobin and sticky sizes differ by at most 1, whatever the members claim", () => {
    fc.assert(
      fc.property(worldArb(true), fc.constantFrom<AssignorName>("roundrobin", "sticky"), (w, name) => {
        for (const version of VERSIONS[name]) {
          const s = sizes(assign(name, w.partitionsPerTopic, w.members, { version }));
          expect(Math.max(...s) - Math.min(...s)).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it("sticky, the group only grows: each member that stays keeps min(owned, new size) of its partitions, all of them when within minQuota", () => {
    fc.assert(
      fc.property(worldArb(true), fc.integer({ min: 1, max: 4 }), fc.constantFrom("2.3", "2.5", "2.6", "3.0", "3.6"), (w, joining, version) => {
        const fresh = w.members.map((m) => ({ ...m, ownedPartitions: [], generation: -1 }));
        const before = assign("sticky", w.partitionsPerTopic, fresh, { version });
        const newcomers = Array.from({ length: joining }, (_, i) => member(`new${i}`, w.members[0].topics));
        const grown = [...nextGeneration(fresh, before, 1), ...newcomers];
        const after = assign("sticky", w.partitionsPerTopic, grown, { version });
        const total = subscribedPartitions(w).length;
        const minQuota = Math.floor(total / grown.length);
        for (const m of fresh) {
          const had = before.get(m.memberId)!.map(key);
          const has = after.get(m.memberId)!.map(key);
          const kept = had.filter((k) => has.includes(k)).length;
          expect(kept).toBe(Math.min(had.length, has.length));
          if (had.length <= minQuota) expect(kept).toBe(had.length);
        }
        const s = sizes(after);
        expect(Math.max(...s) - Math.min(...s)).toBeLessThanOrEqual(1);
        // And with nobody joining, nothing moves.
        const again = assign("sticky", w.partitionsPerTopic, nextGeneration(grown, after, 2), { version });
        expect(show(again)).toEqual(show(after));
      }),
    );
  });

  it("cooperative: no partition goes to another member while its previous-generation owner is in the group; the follow-up round completes it (equal subscriptions)", () => {
    fc.assert(
      fc.property(
        worldArb(null),
        fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), { minLength: 7, maxLength: 7 }),
        fc.constantFrom(...VERSIONS["cooperative-sticky"]),
        (w, stays, joining, resubscribe, version) => {
          // Generation 1: an eager sticky assignment of a fresh group, as the members now own it.
          const fresh = w.members.map((m) => ({ ...m, ownedPartitions: [], generation: -1 }));
          const gen1 = nextGeneration(fresh, assign("sticky", w.partitionsPerTopic, fresh, { version }), 1);
          // Then some leave, some join, some change their subscription (keeping what they own).
          const topicNames = [...w.partitionsPerTopic.keys()];
          const remaining = gen1
            .filter((_, i) => stays[i] || i === 0)
            .map((m, i) => (i % 2 === 1 && resubscribe[i].some(Boolean) ? { ...m, topics: topicNames.filter((_, t) => resubscribe[i][t]) } : m));
          const group = [...remaining, ...Array.from({ length: joining }, (_, i) => member(`new${i}`, w.members[0].topics))];
          const out = assign("cooperative-sticky", w.partitionsPerTopic, group, { version });
          const previousOwner = new Map<string, string>();
          for (const m of group) if (m.generation === 1) for (const tp of m.ownedPartitions) previousOwner.set(key(tp), m.memberId);
          for (const [id, list] of out) for (const tp of list) expect([undefined, id]).toContain(previousOwner.get(key(tp)));

          // Each member revokes what it lost and rejoins at generation 2. With equal subscriptions the
          // follow-up round keeps everything given and hands out what was held back.
          const equal = group.every((m) => m.topics.join() === group[0].topics.join());
          if (equal) {
            const follow = assign("cooperative-sticky", w.partitionsPerTopic, nextGeneration(group, out, 2), { version });
            for (const [id, list] of out) for (const tp of list) expect(follow.get(id)!.map(key)).toContain(key(tp));
            const world: World = { partitionsPerTopic: w.partitionsPerTopic, members: group };
            expect([...follow.values()].flat().map(key).sort()).toEqual(subscribedPartitions(world).sort());
          }
        },
      ),
    );
  });

  it("determinism: the same input gives the same output, and the members' order in the input does not matter", () => {
    fc.assert(
      fc.property(worldArb(null), nameAndVersion, (w, [name, version]) => {
        const a = assign(name, w.partitionsPerTopic, w.members, { version });
        const b = assign(name, w.partitionsPerTopic, w.members, { version });
        expect([...b.entries()]).toEqual([...a.entries()]);
        const reversed = assign(name, new Map([...w.partitionsPerTopic].reverse()), [...w.members].reverse(), { version });
        expect(show(reversed)).toEqual(show(a));
      }),
    );
  });
});
