/**
 * StickyAssignor (0.11, KIP-54) and CooperativeStickyAssignor (2.4, KIP-429), both on
 * AbstractStickyAssignor (2.4; StickyAssignor alone before). The assignment is balanced and keeps
 * as many previously owned partitions as it can.
 *
 * - Ownership: which claims on partitions count (allSubscriptionsEqual from 2.6,
 *   prepopulateCurrentAssignments before), by release; see resolveOwnership.
 * - When every member subscribes to the same topics, from 2.6 the ConstrainedAssignmentBuilder
 *   (minQuota / maxQuota) as Kafka 3.6 has it, for 2.6 - 2.8 too; see constrainedAssign.
 * - Otherwise (and for every group before 2.6) the GeneralAssignmentBuilder's job, done by a
 *   simpler algorithm with the same properties; see generalAssign.
 * - cooperative-sticky then takes back, for this round, every partition that moves away from a
 *   member that still claims it (CooperativeStickyAssignor.adjustAssignment).
 *
 * Where Java walks a HashMap (members, partitions) the order is unspecified; we walk members by
 * member.id, so the outcome is deterministic and independent of the input's order.
 */
import {
  type Assignment,
  type MemberSubscription,
  type TopicPartition,
  DEFAULT_GENERATION,
  compareStrings,
  compareTopicPartitions,
  emptyAssignment,
  partitionsOf,
  sortLists,
  subscribedTopics,
  tpKey,
} from "./AbstractPartitionAssignor.js";

interface Ownership {
  /** memberId -> partitions it keeps a claim on, in the order it listed them. */
  owned: Map<string, TopicPartition[]>;
  /** tpKey -> the member that owned it in the generation before its current owner's (prevAssignment). */
  prevOwner: Map<string, string>;
  /** Partitions claimed by two members of the same generation: no claim survives (partitionsWithMultiplePreviousOwners). */
  multiplyClaimed: Set<string>;
}

/**
 * Which claims on partitions survive. A claim is on a partition of a subscribed topic that exists.
 * - Before 2.3 the userData carries no generation (STICKY_ASSIGNOR_USER_DATA_V0): every claim is
 *   of generation -1.
 * - Per partition before 2.6 and on the general path before 3.0 (prepopulateCurrentAssignments),
 *   and from 3.5 on both paths (allSubscriptionsEqual, KAFKA-14639): the claim of the highest
 *   generation wins, the best claim of a lower generation names the previous owner.
 * - By member on the constrained path from 2.6 and on both paths 3.0 - 3.4 (allSubscriptionsEqual):
 *   only members of the group's highest generation keep their claims; the others' name previous owners.
 * - Two winning claims of one generation: from 3.0 (KAFKA-12984) neither counts
 *   (partitionsWithMultiplePreviousOwners); before, the first stays (Java: the first in HashMap
 *   order, here the lowest member.id; on the 2.6 - 2.8 constrained path Java kept it for both, a
 *   double assignment we do not reproduce).
 */
function resolveOwnership(sorted: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>, release: number, constrained: boolean, topics: ReadonlySet<string>): Ownership {
  const generationOf = (m: MemberSubscription) => (release < 203 ? DEFAULT_GENERATION : m.generation);
  const owned = new Map<string, TopicPartition[]>();
  const prevOwner = new Map<string, string>();
  const multiplyClaimed = new Set<string>();
  const claims = new Map<string, Array<{ member: string; generation: number; tp: TopicPartition }>>();
  for (const m of sorted) {
    owned.set(m.memberId, []);
    const seen = new Set<string>();
    for (const tp of m.ownedPartitions) {
      const count = partitionsPerTopic.get(tp.topic) ?? 0;
      if (!topics.has(tp.topic) || tp.partition < 0 || tp.partition >= count || seen.has(tpKey(tp))) continue;
      seen.add(tpKey(tp));
      const list = claims.get(tpKey(tp)) ?? [];
      list.push({ member: m.memberId, generation: generationOf(m), tp });
      claims.set(tpKey(tp), list);
    }
  }
  const maxGeneration = sorted.reduce((g, m) => Math.max(g, generationOf(m)), DEFAULT_GENERATION);
  const perPartition = release >= 305 || release < 206 || (release < 300 && !constrained);
  const winners = new Map<string, string>();
  for (const [key, list] of claims) {
    const eligible = perPartition ? list : list.filter((c) => c.generation === maxGeneration);
    const top = eligible.reduce((g, c) => Math.max(g, c.generation), Number.NEGATIVE_INFINITY);
    const atTop = eligible.filter((c) => c.generation === top);
    if (atTop.length === 1 || (atTop.length > 1 && release < 300)) winners.set(key, atTop[0].member);
    else if (atTop.length > 1) multiplyClaimed.add(key);
    // prevAssignment: the best claim below the winning generation (below the maximum, 2.6 - 3.4).
    const below = list.filter((c) => c.generation < (perPartition ? top : maxGeneration));
    const second = below.reduce<(typeof below)[number] | null>((best, c) => (best === null || c.generation > best.generation ? c : best), null);
    if (second !== null) prevOwner.set(key, second.member);
  }
  // Keep each member's claims in its own order: the constrained builder keeps the first maxQuota.
  for (const m of sorted) {
    for (const tp of m.ownedPartitions) {
      const key = tpKey(tp);
      if (winners.get(key) === m.memberId) {
        owned.get(m.memberId)!.push({ topic: tp.topic, partition: tp.partition });
        winners.delete(key);
      }
    }
  }
  return { owned, prevOwner, multiplyClaimed };
}

interface Built {
  assignment: Assignment;
  /** tpKey -> new owner of partitions taken from a member that claimed them; null: compute from the subscriptions. */
  transferring: Map<string, string> | null;
}

/**
 * AbstractStickyAssignor.ConstrainedAssignmentBuilder (3.6, without racks), used from 2.6 when all
 * subscriptions are equal: members keep up to their quota of owned partitions (assignOwnedPartitions),
 * then the rest go round-robin to those under minQuota, then one each to those at exactly minQuota
 * while members above minQuota are still wanted (assignRoundRobin).
 */
function constrainedAssign(sorted: readonly MemberSubscription[], topics: readonly string[], partitionsPerTopic: ReadonlyMap<string, number>, own: Ownership): Built {
  const total = topics.reduce((n, t) => n + (partitionsPerTopic.get(t) ?? 0), 0);
  const members = sorted.length;
  const minQuota = Math.floor(total / members);
  const maxQuota = Math.ceil(total / members);
  const expectedOverMin = total % members;
  let currentOverMin = 0;
  const assignment: Assignment = new Map();
  const assigned = new Set<string>();
  const revoked = new Set<string>();
  const underMin: string[] = [];
  let exactlyMin: string[] = [];
  const transferring = new Map<string, string>();

  for (const m of sorted) {
    const owned = (own.owned.get(m.memberId) ?? []).filter((tp) => !own.multiplyClaimed.has(tpKey(tp)));
    const mine: TopicPartition[] = [];
    assignment.set(m.memberId, mine);
    let keep: number;
    if (owned.length < minQuota) {
      keep = owned.length;
      underMin.push(m.memberId);
    } else if (owned.length >= maxQuota && currentOverMin < expectedOverMin) {
      keep = maxQuota;
      currentOverMin++;
      if (currentOverMin === expectedOverMin) exactlyMin = [];
    } else {
      keep = minQuota;
      if (currentOverMin < expectedOverMin) exactlyMin.push(m.memberId);
    }
    for (const tp of owned.slice(0, keep)) {
      mine.push(tp);
      assigned.add(tpKey(tp));
    }
    for (const tp of owned.slice(keep)) revoked.add(tpKey(tp));
  }

  const unassigned: TopicPartition[] = [];
  for (const topic of topics) for (const tp of partitionsOf(topic, partitionsPerTopic.get(topic) ?? 0)) if (!assigned.has(tpKey(tp))) unassigned.push(tp);
  underMin.sort(compareStrings);
  exactlyMin.sort(compareStrings);

  // assignRoundRobin: a Java iterator over the under-minQuota list, `cursor` is its next index.
  let cursor = 0;
  for (const tp of unassigned) {
    let member: string;
    let fromUnder: boolean;
    if (cursor < underMin.length) {
      member = underMin[cursor++];
      fromUnder = true;
    } else if (underMin.length === 0 && exactlyMin.length === 0) {
      throw new Error("assignors: no more unfilled consumers to be assigned (ConstrainedAssignmentBuilder)");
    } else if (underMin.length === 0) {
      member = exactlyMin.shift()!;
      fromUnder = false;
    } else {
      cursor = 0;
      member = underMin[cursor++];
      fromUnder = true;
    }
    const list = assignment.get(member)!;
    list.push(tp);
    const key = tpKey(tp);
    if (revoked.has(key) || own.multiplyClaimed.has(key)) transferring.set(key, member);
    if (list.length === minQuota) {
      // unfilledConsumerIter.remove(): the member just returned by the iterator.
      if (fromUnder) underMin.splice(--cursor, 1);
      exactlyMin.push(member);
    } else if (list.length === maxQuota) {
      currentOverMin++;
    }
  }
  return { assignment, transferring };
}

/**
 * The GeneralAssignmentBuilder's outcome by a simpler route (subscriptions differ, or before 2.6):
 * 1. members keep their surviving claims on topics they still subscribe to (assignOwnedPartitions);
 * 2. each other partition, topics by fewest potential members then name (TopicComparator), goes to
 *    the subscribed member with fewest partitions, then lowest member.id (assignPartition over
 *    sortedCurrentSubscriptions), as Kafka's does;
 * 3. then, instead of Kafka's performReassignments with its balance-score rounds and
 *    PartitionMovements cycle check: while some partition's owner has two or more partitions more
 *    than another member subscribed to its topic, move one, taken from the most loaded such owner
 *    (then lowest member.id, then the partition first in step 2's order), to its previous-generation
 *    owner when that one qualifies (reassignPartition prefers prevAssignment), else to the least
 *    loaded subscriber. Each move lowers the sum of squared sizes, so this ends, and at the end no
 *    single move narrows the spread: with equal subscriptions sizes differ by at most 1. A member
 *    that gives stays within 1 of the largest, so it never receives afterwards: nobody loses an
 *    owned partition while gaining another.
 */
function generalAssign(sorted: readonly MemberSubscription[], topics: readonly string[], partitionsPerTopic: ReadonlyMap<string, number>, own: Ownership): Built {
  const assignment: Assignment = new Map();
  const ownerOf = new Map<string, string>();
  const potential = new Map<string, string[]>();
  for (const t of topics) potential.set(t, sorted.filter((m) => m.topics.includes(t)).map((m) => m.memberId));
  for (const m of sorted) {
    const kept = (own.owned.get(m.memberId) ?? []).filter((tp) => m.topics.includes(tp.topic) && !own.multiplyClaimed.has(tpKey(tp)));
    assignment.set(m.memberId, kept);
    for (const tp of kept) ownerOf.set(tpKey(tp), m.memberId);
  }
  const size = (id: string) => assignment.get(id)!.length;
  const leastLoaded = (candidates: readonly string[], except: string | null) => {
    let best: string | null = null;
    for (const c of candidates) if (c !== except && (best === null || size(c) < size(best) || (size(c) === size(best) && compareStrings(c, best) < 0))) best = c;
    return best;
  };
  const sortedTopics = [...topics].sort((a, b) => potential.get(a)!.length - potential.get(b)!.length || compareStrings(a, b));
  const all: TopicPartition[] = [];
  for (const t of sortedTopics) all.push(...partitionsOf(t, partitionsPerTopic.get(t) ?? 0));

  for (const tp of all) {
    if (ownerOf.has(tpKey(tp))) continue;
    const to = leastLoaded(potential.get(tp.topic)!, null);
    if (to === null) continue;
    assignment.get(to)!.push(tp);
    ownerOf.set(tpKey(tp), to);
  }

  const move = (tp: TopicPartition, from: string, to: string) => {
    const list = assignment.get(from)!;
    list.splice(list.findIndex((x) => x.topic === tp.topic && x.partition === tp.partition), 1);
    assignment.get(to)!.push(tp);
    ownerOf.set(tpKey(tp), to);
  };
  // One move at a time, always from the most loaded member that can give one away.
  const position = new Map(all.map((tp, i) => [tpKey(tp), i]));
  for (;;) {
    const givers = [...sorted].map((m) => m.memberId).sort((a, b) => size(b) - size(a) || compareStrings(a, b));
    let done = true;
    for (const from of givers) {
      const mine = [...assignment.get(from)!].sort((x, y) => position.get(tpKey(x))! - position.get(tpKey(y))!);
      for (const tp of mine) {
        const candidates = potential.get(tp.topic)!;
        const prev = own.prevOwner.get(tpKey(tp));
        let to: string | null = prev !== undefined && prev !== from && candidates.includes(prev) ? prev : null;
        if (to === null || size(from) <= size(to) + 1) to = leastLoaded(candidates, from);
        if (to !== null && size(from) > size(to) + 1) {
          move(tp, from, to);
          done = false;
          break;
        }
      }
      if (!done) break;
    }
    if (done) break;
  }
  return { assignment, transferring: null };
}

function stickyBuild(partitionsPerTopic: ReadonlyMap<string, number>, members: readonly MemberSubscription[], release: number): Built {
  if (members.length === 0) return { assignment: new Map(), transferring: new Map() };
  const sorted = [...members].sort((a, b) => compareStrings(a.memberId, b.memberId));
  const topics = subscribedTopics(partitionsPerTopic, members);
  const first = new Set(sorted[0]?.topics ?? []);
  const allEqual = sorted.every((m) => {
    const mine = new Set(m.topics);
    return mine.size === first.size && m.topics.every((t) => first.has(t));
  });
  // The constrained builder arrived in 2.6 (KAFKA-9987). Its 2.6 - 2.8 form (constrainedAssign:
  // owned kept up to maxQuota, then taken from members at maxQuota for those under minQuota) differs
  // in detail from the 3.0+ ConstrainedAssignmentBuilder we run for every release from 2.6.
  const constrained = allEqual && release >= 206;
  const own = resolveOwnership(sorted, partitionsPerTopic, release, constrained, new Set(topics));
  const built = constrained ? constrainedAssign(sorted, topics, partitionsPerTopic, own) : generalAssign(sorted, topics, partitionsPerTopic, own);
  // Back in the caller's member order.
  const assignment = emptyAssignment(members);
  for (const [id, list] of built.assignment) assignment.get(id)!.push(...list);
  return { assignment, transferring: built.transferring };
}

/** StickyAssignor: the eager sticky assignment. */
export function stickyAssign(partitionsPerTopic: ReadonlyMap<string, number>, members: readonly MemberSubscription[], release: number): Assignment {
  if (release < 11) throw new Error("assignors: the sticky assignor arrived in 0.11 (KIP-54)");
  return sortLists(stickyBuild(partitionsPerTopic, members, release).assignment);
}

/**
 * CooperativeStickyAssignor.assignPartitions + adjustAssignment: the sticky assignment without
 * the partitions that change hands this round. From the constrained builder, the ones it took from a
 * member over quota or claimed twice (partitionsTransferringOwnership); otherwise
 * (computePartitionsTransferringOwnership, adjustAssignment in 2.4 / 2.5) every partition a member
 * is given that it did not list as owned and that some member listed but is not given. The revoking
 * member gives it up and rejoins; the next rebalance hands it over.
 */
export function cooperativeStickyAssign(partitionsPerTopic: ReadonlyMap<string, number>, members: readonly MemberSubscription[], release: number): Assignment {
  if (release < 204) throw new Error("assignors: the cooperative-sticky assignor arrived in 2.4 (KIP-429)");
  const { assignment, transferring: fromBuilder } = stickyBuild(partitionsPerTopic, members, release);
  let transferring = fromBuilder;
  if (transferring === null) {
    transferring = new Map();
    const revoked = new Set<string>();
    for (const m of members) {
      const given = new Set(assignment.get(m.memberId)!.map(tpKey));
      for (const tp of m.ownedPartitions) if (!given.has(tpKey(tp))) revoked.add(tpKey(tp));
    }
    for (const m of members) {
      const listed = new Set(m.ownedPartitions.map(tpKey));
      for (const tp of assignment.get(m.memberId)!) if (!listed.has(tpKey(tp)) && revoked.has(tpKey(tp))) transferring.set(tpKey(tp), m.memberId);
    }
  }
  for (const [id, list] of assignment) assignment.set(id, list.filter((tp) => transferring.get(tpKey(tp)) !== id));
  return sortLists(assignment);
}
