/**
 * RangeAssignor: per topic, the members subscribed to it in order, each taking a contiguous range;
 * with n partitions and m members the first n % m take one extra (RangeAssignor.assign before 3.5,
 * assignPartitions / assignRanges with TopicAssignmentState.maxAssignable from 3.5; the rack-aware
 * pass of KIP-881, 3.5, is not modelled: members carry no rack).
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

export function rangeAssign(partitionsPerTopic: ReadonlyMap<string, number>, members: readonly MemberSubscription[], release: number): Assignment {
  const assignment = emptyAssignment(members);
  const order = memberOrder(release);
  for (const topic of subscribedTopics(partitionsPerTopic, members)) {
    const partitions = partitionsOf(topic, partitionsPerTopic.get(topic) ?? 0);
    // consumersPerTopic, then Collections.sort (member ids before 2.4, MemberInfo from 2.4).
    const consumers = members.filter((m) => m.topics.includes(topic)).sort(order);
    const perMember = Math.floor(partitions.length / consumers.length);
    const withExtra = partitions.length % consumers.length;
    let start = 0;
    consumers.forEach((member, i) => {
      const length = perMember + (i < withExtra ? 1 : 0);
      assignment.get(member.memberId)!.push(...partitions.slice(start, start + length));
      start += length;
    });
  }
  return sortLists(assignment);
}
