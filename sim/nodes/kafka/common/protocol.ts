/**
 * Kafka's requests and responses, by their API names and error codes (org.apache.kafka.common
 * .protocol.ApiKeys / Errors). Only the fields the simulation acts on are carried. Produce and
 * Fetch, which carry the data, are sized field by field as the release's request version lays them
 * out; the control-plane requests by a fixed estimate plus a figure per entry.
 *
 * From Fetch v7 (1.1, KIP-227) a fetch in an incremental session names, and its answer carries,
 * only the partitions whose state changed (clients/FetchSessionHandler.ts, server/FetchSessionCache.ts).
 */
import type { RecordBatch } from "../log/Log.js";
import type { Behaviour } from "./versions.js";

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
  | "AlterPartition"
  | "ListOffsets"
  | "FindCoordinator"
  | "JoinGroup"
  | "SyncGroup"
  | "Heartbeat"
  | "LeaveGroup"
  | "OffsetCommit"
  | "OffsetFetch";

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
  | "COORDINATOR_LOAD_IN_PROGRESS"
  | "COORDINATOR_NOT_AVAILABLE"
  | "NOT_COORDINATOR"
  | "ILLEGAL_GENERATION"
  | "INCONSISTENT_GROUP_PROTOCOL"
  | "UNKNOWN_MEMBER_ID"
  | "INVALID_SESSION_TIMEOUT"
  | "REBALANCE_IN_PROGRESS"
  | "MEMBER_ID_REQUIRED"
  | "FENCED_INSTANCE_ID"
  | "GROUP_MAX_SIZE_REACHED"
  | "FETCH_SESSION_ID_NOT_FOUND"
  | "INVALID_FETCH_SESSION_EPOCH"
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

/** Control-plane requests and responses (not Produce or Fetch): header and fixed fields, a rough estimate. */
export const HEADER_BYTES = 64;
export const PARTITION_STATE_BYTES = 48;

/** The int32 size that frames every request and response on the socket (NetworkSend / NetworkReceive). */
export const SIZE_PREFIX_BYTES = 4;
/** ProducerConfig: a producer without client.id is "producer-<n>", n counting from 1 in its JVM. */
export const PRODUCER_CLIENT_ID = "producer-1";

/** ReplicaFetcherThread (2.4): the fetcher's NetworkClient is `broker-<id>-fetcher-<n>`. */
export function fetcherClientId(brokerId: number, fetcherId: number): string {
  return `broker-${brokerId}-fetcher-${fetcherId}`;
}

/** Produce is flexible (KIP-482 compact encodings, tagged fields) from v9, Fetch from v12. */
const PRODUCE_FLEXIBLE = 9;
const FETCH_FLEXIBLE = 12;

/** The size prefix plus RequestHeader v1 (api key 2, version 2, correlation id 4, client id int16 + bytes), v2 adds a tag buffer. */
function requestHeaderBytes(clientId: string, flexible: boolean): number {
  return SIZE_PREFIX_BYTES + 2 + 2 + 4 + 2 + asciiBytes(clientId) + (flexible ? 1 : 0);
}

/** The size prefix plus ResponseHeader v0 (correlation id 4); v1 adds a tag buffer. */
function responseHeaderBytes(flexible: boolean): number {
  return SIZE_PREFIX_BYTES + 4 + (flexible ? 1 : 0);
}

/** Topic names, client ids and the like here are ASCII. */
function asciiBytes(s: string): number {
  return s.length;
}

/** ByteUtils.sizeOfUnsignedVarint, for compact lengths (length + 1) and tag counts. */
function uvarint(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Array or bytes length: int32, or a compact unsigned varint of length + 1. */
function lengthBytes(n: number, flexible: boolean): number {
  return flexible ? uvarint(n + 1) : 4;
}

/** A non-null string: int16 length, or a compact varint of length + 1. */
function stringBytes(s: string, flexible: boolean): number {
  return (flexible ? uvarint(s.length + 1) : 2) + asciiBytes(s);
}

/** An empty tag buffer in a flexible version: one varint 0. */
function tags(flexible: boolean): number {
  return flexible ? 1 : 0;
}

/**
 * Topics a partition list spans, counted by runs of one name (requests group partitions by topic
 * and the simulation lists them that way), with the bytes of the topics' names or ids.
 */
function topicsOf(items: ReadonlyArray<{ topic: string }>, topicIds: boolean, flexible: boolean): { topics: number; nameBytes: number } {
  let topics = 0;
  let nameBytes = 0;
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && items[i].topic === items[i - 1].topic) continue;
    topics++;
    // Fetch v13 (3.1, KIP-516) names a topic by its 16-byte UUID; its partition array's length follows.
    nameBytes += (topicIds ? 16 : stringBytes(items[i].topic, flexible)) + lengthBytes(0, flexible) + tags(flexible);
  }
  return { topics, nameBytes };
}

/** Bytes of a batch list as a `records` field: its length, then the batches. */
function recordsBytes(batches: readonly RecordBatch[], flexible: boolean): number {
  let bytes = 0;
  for (const b of batches) bytes += b.bytes;
  return lengthBytes(bytes, flexible) + bytes;
}

/**
 * ProduceRequest (ProduceRequest.json; Protocol.java before 0.11): transactional id (v3+, null),
 * acks int16, timeout int32, then per topic its name and per partition its index and records.
 */
export function produceRequestBytes(b: Behaviour, clientId: string, data: readonly ProducePartitionData[]): number {
  const v = b.produceVersion;
  const flex = v >= PRODUCE_FLEXIBLE;
  const topics = topicsOf(data, false, flex);
  let bytes = requestHeaderBytes(clientId, flex) + (v >= 3 ? (flex ? 1 : 2) : 0) + 2 + 4 + lengthBytes(topics.topics, flex) + topics.nameBytes;
  for (const d of data) bytes += 4 + lengthBytes(d.batch.bytes, flex) + d.batch.bytes + tags(flex);
  return bytes + tags(flex);
}

/**
 * ProduceResponse: per partition index int32, error int16, base offset int64, log append time
 * int64 (v2+), log start offset int64 (v5+), record errors (empty) and error message (null) (v8+);
 * throttle time int32 (v1+).
 */
export function produceResponseBytes(b: Behaviour, partitions: readonly ProducePartitionResponse[]): number {
  const v = b.produceVersion;
  const flex = v >= PRODUCE_FLEXIBLE;
  const topics = topicsOf(partitions, false, flex);
  const perPartition = 4 + 2 + 8 + (v >= 2 ? 8 : 0) + (v >= 5 ? 8 : 0) + (v >= 8 ? lengthBytes(0, flex) + (flex ? 1 : 2) : 0) + tags(flex);
  return responseHeaderBytes(flex) + lengthBytes(topics.topics, flex) + topics.nameBytes + perPartition * partitions.length + (v >= 1 ? 4 : 0) + tags(flex);
}

/**
 * FetchRequest: replica id int32 (to v14; a tagged ReplicaState of id and epoch from v15, KIP-903),
 * max wait, min bytes int32, max bytes int32 (v3+), isolation level int8 (v4+), session id and
 * epoch int32 (v7+); per partition index int32, current leader epoch int32 (v9+), fetch offset
 * int64, last fetched epoch int32 (v12+), log start offset int64 (v5+), max bytes int32; forgotten
 * topics (v7+: per topic its name or id, then its partitions' indexes, int32), rack id (v11+, empty).
 */
export function fetchRequestBytes(b: Behaviour, clientId: string, partitions: ReadonlyArray<{ topic: string }>, forgotten: ReadonlyArray<{ topic: string }> = []): number {
  const v = b.fetchVersion;
  const flex = v >= FETCH_FLEXIBLE;
  const topics = topicsOf(partitions, v >= 13, flex);
  const gone = topicsOf(forgotten, v >= 13, flex);
  const perPartition = 4 + (v >= 9 ? 4 : 0) + 8 + (v >= 12 ? 4 : 0) + (v >= 5 ? 8 : 0) + 4 + tags(flex);
  // ReplicaState as a tagged field: count, tag, size, then id int32 + epoch int64 + its own tag buffer.
  const topLevelTags = !flex ? 0 : v >= 15 ? 1 + 1 + 1 + 4 + 8 + 1 : 1;
  return (
    requestHeaderBytes(clientId, flex) +
    (v <= 14 ? 4 : 0) +
    4 +
    4 +
    (v >= 3 ? 4 : 0) +
    (v >= 4 ? 1 : 0) +
    (v >= 7 ? 8 : 0) +
    lengthBytes(topics.topics, flex) +
    topics.nameBytes +
    perPartition * partitions.length +
    (v >= 7 ? lengthBytes(gone.topics, flex) + gone.nameBytes + 4 * forgotten.length : 0) +
    (v >= 11 ? stringBytes("", flex) : 0) +
    topLevelTags
  );
}

/**
 * FetchResponse: throttle time int32 (v1+), error int16 and session id int32 (v7+); per partition
 * index int32, error int16, high watermark int64, last stable offset int64 (v4+), log start offset
 * int64 (v5+), aborted transactions (v4+, null for a follower), preferred read replica int32
 * (v11+), then the records.
 */
export function fetchResponseBytes(b: Behaviour, partitions: readonly FetchPartitionResponse[]): number {
  const v = b.fetchVersion;
  const flex = v >= FETCH_FLEXIBLE;
  const topics = topicsOf(partitions, v >= 13, flex);
  let bytes = responseHeaderBytes(flex) + (v >= 1 ? 4 : 0) + (v >= 7 ? 6 : 0) + lengthBytes(topics.topics, flex) + topics.nameBytes + tags(flex);
  const perPartition = 4 + 2 + 8 + (v >= 4 ? 8 : 0) + (v >= 5 ? 8 : 0) + (v >= 4 ? (flex ? 1 : 4) : 0) + (v >= 11 ? 4 : 0) + tags(flex);
  for (const p of partitions) bytes += perPartition + recordsBytes(p.batches, flex);
  return bytes;
}

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
  /** KIP-951 (3.7): with NOT_LEADER_OR_FOLLOWER, the leader this broker knows (CurrentLeader). */
  currentLeader?: { leaderId: number; leaderEpoch: number };
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
  /** A follower's log start offset (Fetch v5+, KIP-107); a change makes an incremental fetch name the partition. */
  logStartOffset?: number;
}

export interface FetchRequest {
  /** A follower's broker id; -1 for a consumer, whose fetch reads only below the high watermark. */
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  /** A consumer's max.partition.fetch.bytes (per partition; the request's maxBytes bounds the whole answer). */
  partitionMaxBytes?: number;
  partitions: FetchPartition[];
  /** KIP-227 (Fetch v7+, 1.1): the session (0: none) and its epoch (0: a full request, opening one). */
  sessionId?: number;
  sessionEpoch?: number;
  /** Partitions an incremental request drops from the session. */
  forgotten?: Array<{ topic: string; partition: number }>;
}

export interface FetchPartitionResponse {
  topic: string;
  partition: number;
  error: ErrorCode;
  highWatermark: number;
  /** The leader's log end offset (lets a follower past it truncate on OFFSET_OUT_OF_RANGE). */
  logEndOffset: number;
  /**
   * The leader's log start offset: on the wire from Fetch v5 (KIP-107, 0.11), where a follower
   * takes it. For every version it also stands for the answer to the ListOffsets(EARLIEST) request
   * a follower out of range sends (handleOffsetOutOfRange), which we assume, as for the log end,
   * arrives with the fetch's answer rather than in a round trip of its own.
   */
  logStartOffset: number;
  batches: RecordBatch[];
}

export interface FetchResponse {
  partitions: FetchPartitionResponse[];
  /** Top-level error (v7+): a fetch session error, with no partitions. */
  error?: ErrorCode;
  /** The session the leader keeps for the client (v7+); 0 when none. */
  sessionId?: number;
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

// --- the consumer's APIs (ListOffsets, and the group APIs the group coordinator answers) ---

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** ListOffsetsRequest: -2 asks for the earliest offset, -1 for the latest (ListOffsetsRequest.EARLIEST/LATEST_TIMESTAMP). */
export const EARLIEST_TIMESTAMP = -2;
export const LATEST_TIMESTAMP = -1;

export interface ListOffsetsRequest {
  replicaId: number;
  partitions: Array<{ topic: string; partition: number; timestamp: number; currentLeaderEpoch: number }>;
}

export interface ListOffsetsPartitionResponse {
  topic: string;
  partition: number;
  error: ErrorCode;
  offset: number;
  leaderEpoch: number;
}

/** FindCoordinatorRequest, key type 0 (a group). */
export interface FindCoordinatorRequest {
  key: string;
}

export interface FindCoordinatorResponse {
  error: ErrorCode;
  nodeId: number;
}

/** What a consumer's JoinGroup protocol metadata says (ConsumerProtocolSubscription). */
export interface ConsumerSubscription {
  topics: string[];
  /** v1 (2.4, KIP-429): the partitions it owns now; the sticky assignor's userData before. */
  ownedPartitions: TopicPartition[];
  /** The generation ownedPartitions belong to (v2, 2.8+; the sticky userData's generation before). */
  generation: number;
}

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  /** v1+ (KIP-62): how long the coordinator waits for members to rejoin. */
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  /** Assignor names in the member's order of preference, with its subscription. */
  protocols: Array<{ name: string; metadata: ConsumerSubscription }>;
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: ConsumerSubscription;
}

export interface JoinGroupResponse {
  error: ErrorCode;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  /** The members' subscriptions, for the leader only. */
  members: JoinGroupMember[];
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** The leader's assignment; empty from the followers. */
  assignments: Array<{ memberId: string; assignment: TopicPartition[] }>;
}

export interface SyncGroupResponse {
  error: ErrorCode;
  assignment: TopicPartition[];
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface GroupErrorResponse {
  error: ErrorCode;
}

/** LeaveGroupRequest: one member (v0 - v2), a batch by identity from v3 (KIP-345). */
export interface LeaveGroupRequest {
  groupId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null }>;
}

export interface OffsetCommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  offsets: Array<{ topic: string; partition: number; offset: number; leaderEpoch: number }>;
}

export interface OffsetCommitResponse {
  partitions: Array<{ topic: string; partition: number; error: ErrorCode }>;
}

export interface OffsetFetchRequest {
  groupId: string;
  partitions: TopicPartition[];
}

export interface OffsetFetchResponse {
  error: ErrorCode;
  /** offset -1 where the group has committed nothing. */
  partitions: Array<{ topic: string; partition: number; offset: number; leaderEpoch: number; error: ErrorCode }>;
}

/** The internal topic the group coordinator keeps groups and offsets in. */
export const CONSUMER_OFFSETS = "__consumer_offsets";
