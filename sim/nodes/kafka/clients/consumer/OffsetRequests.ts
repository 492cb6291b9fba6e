/**
 * The consumer's offset requests (ConsumerCoordinator.sendOffsetFetchRequest,
 * sendOffsetCommitRequest and OffsetCommitResponseHandler): what a commit sends with which
 * generation, and what its answer does to the membership.
 */
import type { ErrorCode, OffsetCommitResponse, OffsetFetchResponse, TopicPartition } from "../../common/protocol.js";
import type { ConsumerCoordinator } from "./ConsumerCoordinator.js";

/** OffsetFetch: the committed offsets (-1 none) of these partitions; null when the coordinator could not answer. */
export function sendOffsetFetchRequest(co: ConsumerCoordinator, partitions: TopicPartition[], done: (r: OffsetFetchResponse | null) => void): void {
  co.send<OffsetFetchResponse>("OffsetFetch", { groupId: co.d.groupId, partitions }, (res) => {
    if (res !== null && res.error !== "NONE") co.onCoordinatorError(res.error);
    done(res === null || res.error !== "NONE" ? null : res);
  });
}

/**
 * OffsetCommit with the member's generation (only a STABLE member commits; else the commit
 * fails at once: CommitFailedException, RebalanceInProgressException from 2.5). done(error).
 */
export function sendOffsetCommitRequest(co: ConsumerCoordinator, offsets: Array<{ topic: string; partition: number; offset: number; leaderEpoch: number }>, done: (error: ErrorCode) => void): void {
  if (offsets.length === 0) return done("NONE");
  const gen = co.commitGeneration;
  if (gen === null) return done("REBALANCE_IN_PROGRESS");
  if (!co.coordinatorKnown) return done("COORDINATOR_NOT_AVAILABLE");
  const body = { groupId: co.d.groupId, generationId: gen.generation, memberId: gen.memberId, groupInstanceId: co.d.groupInstanceId, offsets };
  co.send<OffsetCommitResponse>("OffsetCommit", body, (res) => {
    if (res === null) return done("NETWORK_EXCEPTION");
    done(onCommitError(co, res.partitions.find((p) => p.error !== "NONE")?.error ?? "NONE", gen.generation));
  });
}

/**
 * OffsetCommitResponseHandler: what a commit's error does to the membership, and the error the
 * caller sees. From 2.6 an error for an older generation resets nothing (generationUnchanged) and a
 * FENCED_INSTANCE_ID for one is no longer fatal; up to 2.3 REBALANCE_IN_PROGRESS resets the generation.
 */
function onCommitError(co: ConsumerCoordinator, error: ErrorCode, sentGeneration: number): ErrorCode {
  const b = co.d.behaviour;
  const stale = b.clientGenerationGuard && sentGeneration !== co.generation;
  switch (error) {
    case "REBALANCE_IN_PROGRESS":
      if (b.commitRebalanceKeepsGeneration) co.requestRejoin("commit: REBALANCE_IN_PROGRESS");
      else co.resetGeneration();
      return error;
    case "UNKNOWN_MEMBER_ID":
    case "ILLEGAL_GENERATION":
      // 2.6+: a stale generation's error resets nothing only while the member is rebalancing (RebalanceInProgressException).
      if (stale && (co.state === "PREPARING_REBALANCE" || (!b.staleCommitSkipsResetOnlyPreparing && co.state === "COMPLETING_REBALANCE"))) return "REBALANCE_IN_PROGRESS";
      co.resetGeneration(error === "ILLEGAL_GENERATION");
      return error;
    case "FENCED_INSTANCE_ID":
      return stale ? "REBALANCE_IN_PROGRESS" : error;
    default:
      co.onCoordinatorError(error);
      return error;
  }
}
