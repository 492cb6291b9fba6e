/**
 * The trace records a broker writes for the requests it handles: a `request` when a request
 * handler takes one off its connection (KafkaApis.handle), a `response` when its answer goes
 * out, both by API name as ApiKeys spells it, with the client that sent it and the request's
 * correlation id (unique per client connection, so the pair matches a request to its response).
 * A response lists its error names when they are not NONE (`error`, distinct names in order) and
 * the partitions they are for (`errorPartitions`).
 *
 * Produce and Fetch arrive all the time (one per batch, fetches continuously), so their records
 * without errors are shaped records, hashed without building a line (Trace.recordShaped); the
 * rest are rare enough to be ordinary records.
 */
import { TraceShape } from "../../../Trace.js";
import type { Machine } from "../../Machine.js";
import type {
  AlterIsrRequest,
  AlterIsrResponse,
  ControllerResponse,
  EpochEndOffset,
  ErrorCode,
  FetchRequest,
  FetchResponse,
  LeaderAndIsrRequest,
  ListOffsetsPartitionResponse,
  ListOffsetsRequest,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  LeaderAndIsrResponse,
  OffsetsForLeaderEpochRequest,
  ProduceRequest,
  ProduceResponse,
  Request,
  StopReplicaRequest,
  UpdateMetadataRequest,
} from "../common/protocol.js";

const REQUEST = new TraceShape("request", ["api", "client", "cid", "partitions"]);
const RESPONSE = new TraceShape("response", ["api", "client", "cid", "bytes"]);

/** How many partitions a request names; -1 for one that names none (Metadata for every topic, InitProducerId, ControlledShutdown). */
function requestPartitions(req: Request): number {
  switch (req.api) {
    case "Produce":
      return (req.body as ProduceRequest).data.length;
    case "Fetch":
      return (req.body as FetchRequest).partitions.length;
    case "OffsetsForLeaderEpoch":
      return (req.body as OffsetsForLeaderEpochRequest).partitions.length;
    case "LeaderAndIsr":
      return (req.body as LeaderAndIsrRequest).partitionStates.length;
    case "UpdateMetadata":
      return (req.body as UpdateMetadataRequest).partitionStates.length;
    case "StopReplica":
      return (req.body as StopReplicaRequest).partitions.length;
    case "AlterIsr":
    case "AlterPartition":
      return (req.body as AlterIsrRequest).partitions.length;
    case "ListOffsets":
      return (req.body as ListOffsetsRequest).partitions.length;
    case "OffsetCommit":
      return (req.body as OffsetCommitRequest).offsets.length;
    case "OffsetFetch":
      return (req.body as OffsetFetchRequest).partitions.length;
    case "Metadata":
    case "InitProducerId":
    case "ControlledShutdown":
    case "FindCoordinator":
    case "JoinGroup":
    case "SyncGroup":
    case "Heartbeat":
    case "LeaveGroup":
      return -1;
  }
}

/** A broker's request handler took this request (client: the node that sent it). */
export function traceRequest(m: Machine, req: Request, client: string): void {
  const n = requestPartitions(req);
  if (n < 0) m.trace("request", { api: req.api, client, cid: req.cid });
  else m.traceShaped(REQUEST, req.api, client, req.cid, n);
}

type PartitionError = { readonly topic: string; readonly partition: number; readonly error: ErrorCode };

const NO_PARTITION_ERRORS: readonly PartitionError[] = [];

/** The response's per-partition errors. */
function partitionErrorsOf(req: Request, body: unknown): readonly PartitionError[] {
  switch (req.api) {
    case "Produce":
      return (body as ProduceResponse).partitions;
    case "Fetch":
      return (body as FetchResponse).partitions;
    case "OffsetsForLeaderEpoch":
      return body as EpochEndOffset[];
    case "LeaderAndIsr":
      return (body as LeaderAndIsrResponse).partitionErrors;
    case "AlterIsr":
    case "AlterPartition":
      return (body as AlterIsrResponse).partitions;
    case "ListOffsets":
      return body as ListOffsetsPartitionResponse[];
    case "OffsetCommit":
      return (body as OffsetCommitResponse).partitions;
    case "OffsetFetch":
      return (body as OffsetFetchResponse).partitions;
    case "FindCoordinator":
    case "JoinGroup":
    case "SyncGroup":
    case "Heartbeat":
    case "LeaveGroup":
    case "Metadata":
    case "UpdateMetadata":
    case "StopReplica":
    case "ControlledShutdown":
    case "InitProducerId":
      return NO_PARTITION_ERRORS;
  }
}

/** The response's top-level error (NONE for the APIs that have only per-partition errors). */
function topErrorOf(req: Request, body: unknown): ErrorCode {
  switch (req.api) {
    case "Fetch":
      // A fetch session error (KIP-227, v7+) is the answer's own.
      return (body as FetchResponse).error ?? "NONE";
    case "Produce":
    case "OffsetsForLeaderEpoch":
    case "Metadata":
    case "ListOffsets":
    case "OffsetCommit":
      return "NONE";
    case "OffsetFetch":
    case "FindCoordinator":
    case "JoinGroup":
    case "SyncGroup":
    case "Heartbeat":
    case "LeaveGroup":
    case "LeaderAndIsr":
    case "AlterIsr":
    case "AlterPartition":
    case "UpdateMetadata":
    case "StopReplica":
    case "ControlledShutdown":
    case "InitProducerId":
      return (body as ControllerResponse).error;
  }
}

/**
 * The broker answers this request with body (bytes on the wire). closed: an acks=0 Produce that
 * failed gets no answer, its connection is closed instead (recorded with `closed: true`, no bytes).
 */
export function traceResponse(m: Machine, req: Request, client: string, body: unknown, bytes: number, closed = false): void {
  const top = topErrorOf(req, body);
  const list = partitionErrorsOf(req, body);
  let failed = top !== "NONE";
  for (let i = 0; i < list.length && !failed; i++) failed = list[i].error !== "NONE";
  if (!failed && !closed) return m.traceShaped(RESPONSE, req.api, client, req.cid, bytes);
  const names: string[] = top === "NONE" ? [] : [top];
  const partitions: string[] = [];
  for (const e of list) {
    if (e.error === "NONE") continue;
    if (!names.includes(e.error)) names.push(e.error);
    partitions.push(`${e.topic}-${e.partition}`);
  }
  const data: Record<string, string | number | boolean> = closed ? { api: req.api, client, cid: req.cid, closed: true } : { api: req.api, client, cid: req.cid, bytes };
  if (names.length > 0) data.error = names.join(",");
  if (partitions.length > 0) data.errorPartitions = partitions.join(",");
  m.trace("response", data);
}
