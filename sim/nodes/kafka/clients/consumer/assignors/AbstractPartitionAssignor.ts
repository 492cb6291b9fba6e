/**
 * What every assignor shares: the types of the public API, partition and member ordering
 * (AbstractPartitionAssignor.MemberInfo.compareTo, TopicPartitionComparator), and the reading of
 * `kafka.version`. Behaviour read from the Java client at the 0.10.2.0, 0.11.0.0, 2.3.0, 2.4.0,
 * 2.6.0, 3.0.0, 3.5.0 and 3.6.0 tags.
 */
import { KAFKA_VERSIONS, releaseNumber } from "../../../common/versions.js";

export type AssignorName = "range" | "roundrobin" | "sticky" | "cooperative-sticky";

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface MemberSubscription {
  memberId: string;
  /** group.instance.id (KIP-345) or null. */
  groupInstanceId: string | null;
  topics: string[];
  /** Partitions the member owned in the generation it last had (sticky userData / cooperative ownedPartitions); [] when unknown. */
  ownedPartitions: TopicPartition[];
  /** The generation ownedPartitions belong to (-1 when unknown). */
  generation: number;
}

export type Assignment = Map<string, TopicPartition[]>;

/** AbstractStickyAssignor.DEFAULT_GENERATION. */
export const DEFAULT_GENERATION = -1;

/** The release an unversioned call behaves as: the newest the simulator knows. */
export const LATEST_RELEASE = releaseNumber(KAFKA_VERSIONS[KAFKA_VERSIONS.length - 1]);

/** "3.6" / "3.6.0" / "0.10.2" -> 306 / 306 / 10; undefined -> the newest release. */
export function releaseOf(version: string | undefined): number {
  if (version === undefined) return LATEST_RELEASE;
  const n = releaseNumber(version);
  if (!Number.isFinite(n)) throw new Error(`assignors: unreadable version "${version}"`);
  return n;
}

/** Java's String.compareTo, by sign: UTF-16 code units, as JS's < does. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Topic, then partition (internals.Utils.TopicPartitionComparator / the constrained builder's sort). */
export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  return compareStrings(a.topic, b.topic) || a.partition - b.partition;
}

/** A key for Maps and Sets; topic names cannot hold NUL. */
export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

/**
 * The order Range and RoundRobin walk members in. Before 2.4 by member.id (Collections.sort /
 * Utils.sorted of the ids). From 2.4 (KIP-345) AbstractPartitionAssignor.MemberInfo.compareTo:
 * members with a group.instance.id first, by that id, then the dynamic ones by member.id; so a
 * static member's place survives its member.id changing on restart.
 */
export function memberOrder(release: number): (a: MemberSubscription, b: MemberSubscription) => number {
  if (release < 204) return (a, b) => compareStrings(a.memberId, b.memberId);
  return (a, b) => {
    if (a.groupInstanceId !== null && b.groupInstanceId !== null) return compareStrings(a.groupInstanceId, b.groupInstanceId);
    if (a.groupInstanceId !== null) return -1;
    if (b.groupInstanceId !== null) return 1;
    return compareStrings(a.memberId, b.memberId);
  };
}

/** Every member present with [] (each assignor's first step), in the caller's order. */
export function emptyAssignment(members: readonly MemberSubscription[]): Assignment {
  const out: Assignment = new Map();
  for (const m of members) out.set(m.memberId, []);
  return out;
}

/**
 * The topics the group subscribes to that have partitions, sorted
 * (AbstractPartitionAssignor.assign skips topics without metadata; RoundRobin's TreeSet sorts them).
 */
export function subscribedTopics(partitionsPerTopic: ReadonlyMap<string, number>, members: readonly MemberSubscription[]): string[] {
  const topics: string[] = [];
  for (const m of members) for (const t of m.topics) if ((partitionsPerTopic.get(t) ?? 0) > 0 && !topics.includes(t)) topics.push(t);
  return topics.sort(compareStrings);
}

/** AbstractPartitionAssignor.partitions: topic-0 .. topic-(n-1). */
export function partitionsOf(topic: string, count: number): TopicPartition[] {
  const out: TopicPartition[] = [];
  for (let p = 0; p < count; p++) out.push({ topic, partition: p });
  return out;
}

/** Each member's list by topic then partition, so the output does not depend on the walk's order. */
export function sortLists(assignment: Assignment): Assignment {
  for (const list of assignment.values()) list.sort(compareTopicPartitions);
  return assignment;
}
