/**
 * What a consumer reports as it runs, for the read-side checkers (reports/consumerChecks.ts):
 * what each poll returned, what was processed and when, commits, and which partitions each member
 * owned when. Members are named by client id (consumer-<group>-<n>), which outlives restarts.
 */
import type { ErrorCode, TopicPartition } from "../../common/protocol.js";
import type { PolledRecords } from "./Fetcher.js";

export interface ConsumerObserver {
  /** poll() returned these records (in order). */
  onPolled(group: string, member: string, records: readonly PolledRecords[]): void;
  /** The application starts processing these records; each one is done at doneUs[i] unless the member dies first. */
  onProcessing(group: string, member: string, records: readonly PolledRecords[], doneUs: Float64Array): void;
  /** The processing ended lateUs after it was planned to (a pause froze it). */
  onProcessingDone(group: string, member: string, lateUs: number): void;
  onCommit(group: string, member: string, offsets: ReadonlyArray<{ topic: string; partition: number; offset: number }>, error: ErrorCode, how: "auto" | "sync" | "async"): void;
  /** The member's whole assignment from now (generation -1 for assign()). */
  onAssigned(group: string, member: string, partitions: readonly TopicPartition[], generation: number): void;
  onRevoked(group: string, member: string, partitions: readonly TopicPartition[], lost: boolean): void;
  /** The position moved with no records returned (auto.offset.reset, from -1 for a partition with no position yet; or KIP-320's truncation detection). */
  onPositionReset(group: string, member: string, topic: string, partition: number, from: number, to: number, why: string): void;
  onConsumerError(group: string, member: string, error: string): void;
  /** The member's process ended (crash, stop, power loss). */
  onMemberDown(group: string, member: string): void;
}
