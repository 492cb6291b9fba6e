/**
 * Kafka's requests and responses, by their API names and error codes (org.apache.kafka.common
 * .protocol.ApiKeys / Errors). Only the fields the simulation acts on are carried; sizes are
 * estimated from the records plus a fixed header, since the wire format is not simulated.
 */
import type { RecordBatch } from "./Log.js";

export type ApiKey =
  | "Produce"
  | "Fetch"
  | "Metadata"
  | "LeaderAndIsr"
  | "StopReplica"
  | "UpdateMetadata"
  | "ControlledShutdown"
  | "OffsetsForLeaderEpoch"
  | "InitProducerId"
  | "AlterIsr"
  | "AlterPartition";

export type ErrorCode =
  | "NONE"
  | "NOT_LEADER_OR_FOLLOWER"
  | "UNKNOWN_TOPIC_OR_PARTITION"
  | "LEADER_NOT_AVAILABLE"
  | "NOT_ENOUGH_REPLICAS"
  | "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
  | "REQUEST_TIMED_OUT"
  | "NETWORK_EXCEPTION"
  | "OFFSET_OUT_OF_RANGE"
  | "FENCED_LEADER_EPOCH"
  | "UNKNOWN_LEADER_EPOCH"
  | "STALE_CONTROLLER_EPOCH"
  | "STALE_BROKER_EPOCH"
  | "NOT_CONTROLLER"
  | "OUT_OF_ORDER_SEQUENCE_NUMBER"
  | "UNKNOWN_PRODUCER_ID"
  | "DUPLICATE_SEQUENCE_NUMBER"
  | "KAFKA_STORAGE_ERROR"
  | "BROKER_NOT_AVAILABLE"
  | "INVALID_UPDATE_VERSION"
  | "INELIGIBLE_REPLICA"
  | "OPERATION_NOT_ATTEMPTED"
  | "UNKNOWN_SERVER_ERROR";

/** Errors a producer retries (RetriableException subclasses). */
export const RETRIABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "NOT_LEADER_OR_FOLLOWER",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "LEADER_NOT_AVAILABLE",
  "NOT_ENOUGH_REPLICAS",
  "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
  "REQUEST_TIMED_OUT",
  "NETWORK_EXCEPTION",
  "OUT_OF_ORDER_SEQUENCE_NUMBER",
  "KAFKA_STORAGE_ERROR",
]);

/** Errors after which the producer refreshes its metadata. */
export const INVALIDATES_METADATA: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["NOT_LEADER_OR_FOLLOWER", "UNKNOWN_TOPIC_OR_PARTITION", "LEADER_NOT_AVAILABLE", "NETWORK_EXCEPTION", "KAFKA_STORAGE_ERROR"]);

export const HEADER_BYTES = 64;
export const PARTITION_STATE_BYTES = 48;

export interface Request<B = unknown> {
  api: ApiKey;
  cid: number;
  body: B;
}

export interface Response<B = unknown> {
  cid: number;
  body: B;
}

/** The leader and ISR of a partition as the controller decided them (LeaderAndIsrPartitionState). */
export interface PartitionState {
  topic: string;
  partition: number;
  leader: number;
  leaderEpoch: number;
  isr: number[];
  zkVersion: number;
  replicas: number[];
  controllerEpoch: number;
}

export interface ControllerRequest {
  controllerId: number;
  controllerEpoch: number;
  /** KIP-380: the epoch of the broker the request is for; -1 when not sent (before 2.2). */
  brokerEpoch: number;
}

export interface LeaderAndIsrRequest extends ControllerRequest {
  partitionStates: PartitionState[];
}

export interface UpdateMetadataRequest extends ControllerRequest {
  partitionStates: PartitionState[];
  liveBrokers: Array<{ id: number; rack: string }>;
}

export interface StopReplicaRequest extends ControllerRequest {
  partitions: Array<{ topic: string; partition: number }>;
}

export interface ControllerResponse {
  error: ErrorCode;
}

/**
 * AlterIsr (KIP-497, 2.7; renamed AlterPartition in 3.2): a leader asks the controller to
 * change a partition's ISR. `currentIsrVersion` is the partition-state znode version the leader
 * knows (the partition epoch in 3.x).
 */
export interface AlterIsrRequest {
  brokerId: number;
  brokerEpoch: number;
  partitions: Array<{ topic: string; partition: number; leaderEpoch: number; newIsr: number[]; currentIsrVersion: number }>;
}

export interface AlterIsrPartitionResponse {
  topic: string;
  partition: number;
  error: ErrorCode;
  leaderEpoch: number;
  isr: number[];
  currentIsrVersion: number;
}

export interface AlterIsrResponse {
  error: ErrorCode;
  partitions: AlterIsrPartitionResponse[];
}

/**
 * LeaderAndIsrResponse: a top-level error, and one per partition of the request (Kafka answers
 * KAFKA_STORAGE_ERROR for a replica in an offline log dir, STALE_CONTROLLER_EPOCH for a state
 * whose leader epoch is not newer than the one it has); empty when the whole request was refused.
 */
export interface LeaderAndIsrResponse extends ControllerResponse {
  partitionErrors: Array<{ topic: string; partition: number; error: ErrorCode }>;
}

/** The JSON of a /log_dir_event_notification/log_dir_event_<seq> znode (LogDirEventNotificationSequenceZNode). */
export interface LogDirEventZnode {
  version: 1;
  broker: number;
  /** LogDirFailureEvent. */
  event: 1;
}

export const LOG_DIR_EVENT_PATH = "/log_dir_event_notification";

export interface ControlledShutdownRequest {
  brokerId: number;
  brokerEpoch: number;
}

export interface ControlledShutdownResponse {
  error: ErrorCode;
  remaining: number;
}

export interface ProducePartitionData {
  topic: string;
  partition: number;
  batch: RecordBatch;
}

export interface ProduceRequest {
  acks: number;
  timeoutMs: number;
  data: ProducePartitionData[];
}

export interface ProducePartitionResponse {
  topic: string;
  partition: number;
  error: ErrorCode;
  baseOffset: number;
}

export interface ProduceResponse {
  partitions: ProducePartitionResponse[];
}

export interface FetchPartition {
  topic: string;
  partition: number;
  fetchOffset: number;
  /** KIP-320; -1 when the version does not send it. */
  currentLeaderEpoch: number;
}

export interface FetchRequest {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitions: FetchPartition[];
}

export interface FetchPartitionResponse {
  topic: string;
  partition: number;
  error: ErrorCode;
  highWatermark: number;
  /** The leader's log end offset (lets a follower past it truncate on OFFSET_OUT_OF_RANGE). */
  logEndOffset: number;
  batches: RecordBatch[];
}

export interface FetchResponse {
  partitions: FetchPartitionResponse[];
}

export interface OffsetsForLeaderEpochRequest {
  replicaId: number;
  partitions: Array<{ topic: string; partition: number; leaderEpoch: number }>;
}

export interface EpochEndOffset {
  topic: string;
  partition: number;
  error: ErrorCode;
  leaderEpoch: number;
  endOffset: number;
}

export interface MetadataResponse {
  brokers: Array<{ id: number; rack: string }>;
  controllerId: number;
  partitions: Array<{ topic: string; partition: number; leader: number; leaderEpoch: number; replicas: number[]; isr: number[] }>;
}

export interface InitProducerIdResponse {
  error: ErrorCode;
  producerId: number;
  producerEpoch: number;
}

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_OFFSET = -1;
export const NO_LEADER = -1;

/** /brokers/topics/<t>/partitions/<p>/state (TopicPartitionStateZNode). */
export function statePath(topic: string, partition: number): string {
  return `/brokers/topics/${topic}/partitions/${partition}/state`;
}

/** The JSON a partition-state znode holds. */
export interface PartitionStateZnode {
  controller_epoch: number;
  leader: number;
  leader_epoch: number;
  isr: number[];
  version: number;
}

export function tpKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
