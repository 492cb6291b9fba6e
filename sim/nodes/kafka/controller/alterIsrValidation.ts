/**
 * The controller's checks of an AlterIsr / AlterPartition request, per partition
 * (KafkaController.processAlterIsr in 2.7 - 3.2, tryProcessAlterPartition from 3.3), as a pure
 * function of the request and the controller's cached states: unknown partition, an older
 * leader epoch (FENCED_LEADER_EPOCH), no change (answered with the current state). Up to 3.2
 * the write is conditional on the version the leader sent, so only ZooKeeper's BADVERSION says
 * INVALID_UPDATE_VERSION. From 3.3 a request newer than the controller's cache is answered
 * NOT_CONTROLLER (this controller is behind), an older version INVALID_UPDATE_VERSION, and an
 * ISR naming a broker that is gone or shutting down INELIGIBLE_REPLICA (KIP-841, KAFKA-14140).
 */
import type { AlterIsrPartitionResponse, AlterIsrRequest, ErrorCode, PartitionState } from "../common/protocol.js";
import { tpKey } from "../common/protocol.js";

export interface AlterIsrDecision {
  /** Answers decided without a write, by partition key. */
  answers: Map<string, AlterIsrPartitionResponse>;
  /** New states to write (same leader epoch, new ISR). */
  toWrite: PartitionState[];
}

export function answerOf(s: PartitionState, error: ErrorCode = "NONE"): AlterIsrPartitionResponse {
  return { topic: s.topic, partition: s.partition, error, leaderEpoch: s.leaderEpoch, isr: s.isr, currentIsrVersion: s.zkVersion };
}

export function validateAlterIsr(
  req: AlterIsrRequest,
  state: (key: string) => PartitionState | undefined,
  isOnline: (broker: number) => boolean,
  /** 3.3+ (tryProcessAlterPartition): the stricter checks above. */
  strict: boolean,
  controllerEpoch: number,
): AlterIsrDecision {
  const answers = new Map<string, AlterIsrPartitionResponse>();
  const toWrite: PartitionState[] = [];
  for (const p of req.partitions) {
    const key = tpKey(p.topic, p.partition);
    const s = state(key);
    const refuse = (error: ErrorCode): void => void answers.set(key, { topic: p.topic, partition: p.partition, error, leaderEpoch: -1, isr: [], currentIsrVersion: -1 });
    if (s === undefined) refuse("UNKNOWN_TOPIC_OR_PARTITION");
    else if (strict && (p.leaderEpoch > s.leaderEpoch || p.currentIsrVersion > s.zkVersion)) refuse("NOT_CONTROLLER");
    else if (p.leaderEpoch < s.leaderEpoch) refuse("FENCED_LEADER_EPOCH");
    else if (p.leaderEpoch === s.leaderEpoch && p.newIsr.length === s.isr.length && p.newIsr.every((r, i) => r === s.isr[i])) answers.set(key, answerOf(s));
    else if (strict && p.currentIsrVersion < s.zkVersion) refuse("INVALID_UPDATE_VERSION");
    else if (strict && p.newIsr.some((r) => !isOnline(r))) refuse("INELIGIBLE_REPLICA");
    else toWrite.push({ ...s, isr: p.newIsr.slice(), zkVersion: p.currentIsrVersion, controllerEpoch });
  }
  return { answers, toWrite };
}
