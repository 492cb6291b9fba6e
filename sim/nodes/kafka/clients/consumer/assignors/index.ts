/**
 * The consumer's partition assignors (clients/consumer/{Range,RoundRobin,Sticky,CooperativeSticky}Assignor),
 * as pure functions the group leader calls once per generation (ConsumerCoordinator.performAssignment).
 * Deterministic: no randomness, no clock, iteration over arrays and insertion-ordered Maps only.
 */
import { type AssignorName, type Assignment, type MemberSubscription, releaseOf } from "./AbstractPartitionAssignor.js";
import { rangeAssign } from "./RangeAssignor.js";
import { roundRobinAssign } from "./RoundRobinAssignor.js";
import { cooperativeStickyAssign, stickyAssign } from "./StickyAssignor.js";

export type { AssignorName, MemberSubscription, TopicPartition } from "./AbstractPartitionAssignor.js";

/**
 * The leader's assignment for one generation: memberId -> partitions, every member present
 * (possibly with []), each list by topic then partition. Deterministic: same input, same output.
 * `version` is a kafka.version ("2.3", "3.6", "0.10.2"); unset, the newest release. Throws for an
 * assignor the release does not have (sticky before 0.11, cooperative-sticky before 2.4).
 */
export function assign(
  name: AssignorName,
  partitionsPerTopic: ReadonlyMap<string, number>,
  members: readonly MemberSubscription[],
  opts?: {
    /** Range and RoundRobin order members by group.instance.id first (static members, by that id, then the rest by member.id) from 2.4; by member.id before. */
    version?: string;
  },
): Assignment {
  const release = releaseOf(opts?.version);
  switch (name) {
    case "range":
      return rangeAssign(partitionsPerTopic, members, release);
    case "roundrobin":
      return roundRobinAssign(partitionsPerTopic, members, release);
    case "sticky":
      return stickyAssign(partitionsPerTopic, members, release);
    case "cooperative-sticky":
      return cooperativeStickyAssign(partitionsPerTopic, members, release);
  }
}

/**
 * ConsumerPartitionAssignor.supportedProtocols: EAGER for all, and COOPERATIVE too for
 * cooperative-sticky (Java lists COOPERATIVE first; the order here is EAGER, COOPERATIVE).
 */
export function supportedProtocols(name: AssignorName): Array<"EAGER" | "COOPERATIVE"> {
  return name === "cooperative-sticky" ? ["EAGER", "COOPERATIVE"] : ["EAGER"];
}
