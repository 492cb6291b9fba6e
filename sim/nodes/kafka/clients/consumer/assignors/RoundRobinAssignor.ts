/**
 * RoundRobinAssignor.assign: every subscribed partition, topics sorted then partitions in order,
 * dealt to the members in order around a circle (CircularIterator), skipping a member not
 * subscribed to the partition's topic. Members in member.id order before 2.4, by
 * MemberInfo.compareTo (group.instance.id first) from 2.4.
 */
import {
  type Assignment,
  type MemberSubscription,
  emptyAssignment,
  memberOrder,
  partitionsOf,
  sortLists,
  subscribedTopics,
} from "./AbstractPartitionAssignor.js";

export function roundRobinAssign(partitionsPerTopic: ReadonlyMap<string, number>, members: readonly MemberSubscription[], release: number): Assignment {
  const assignment = emptyAssignment(members);
  const circle = [...members].sort(memberOrder(release));
  let next = 0;
  // allPartitionsSorted: a TreeSet of the topics, each topic's partitions 0..n-1.
  for (const topic of subscribedTopics(partitionsPerTopic, members)) {
    for (const tp of partitionsOf(topic, partitionsPerTopic.get(topic) ?? 0)) {
      // The topic is someone's subscription, so the skip ends within one turn.
      while (!circle[next].topics.includes(topic)) next = (next + 1) % circle.length;
      assignment.get(circle[next].memberId)!.push(tp);
      next = (next + 1) % circle.length;
    }
  }
  return sortLists(assignment);
}
