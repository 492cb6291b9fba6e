/**
 * The broker's request handlers (kafka.server.KafkaApis.handle): each request, once a request
 * handler thread takes it, goes to the replica manager, the controller or the metadata cache,
 * and its answer goes back on the connection it came from.
 */
import type { Socket } from "../../../network/Network.js";
import type { Machine } from "../../Machine.js";
import type { KafkaController } from "../controller/KafkaController.js";
import type { ReplicaManager } from "./ReplicaManager.js";
import type { MetadataCache } from "./MetadataCache.js";
import type { GroupCoordinator } from "../coordinator/group/GroupCoordinator.js";
import { partitionFor } from "../coordinator/group/GroupMetadataManager.js";
import { traceRequest, traceResponse } from "./traceRecords.js";
import type { Behaviour } from "../common/versions.js";
import {
  HEADER_BYTES,
  fetchResponseBytes,
  PRODUCER_CLIENT_ID,
  produceRequestBytes,
  produceResponseBytes,
  type AlterIsrRequest,
  type ControlledShutdownRequest,
  type FetchRequest,
  type LeaderAndIsrRequest,
  type OffsetsForLeaderEpochRequest,
  type ProduceRequest,
  type Request,
  type StopReplicaRequest,
  type UpdateMetadataRequest,
  CONSUMER_OFFSETS,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type HeartbeatRequest,
  type JoinGroupRequest,
  type LeaveGroupRequest,
  type ListOffsetsRequest,
  type OffsetCommitRequest,
  type OffsetFetchRequest,
  type SyncGroupRequest,
} from "../common/protocol.js";

export interface KafkaApisDeps {
  brokerId: number;
  machine: Machine;
  behaviour: Behaviour;
  rm: ReplicaManager;
  metadataCache: MetadataCache;
  controller(): KafkaController | null;
  groupCoordinator: GroupCoordinator;
  /** offsets.topic.num.partitions as this broker found it. */
  offsetsPartitions: number;
}

export class KafkaApis {
  private nextProducerId = 0;

  constructor(private readonly d: KafkaApisDeps) {}

  /** client: the node that sent the request, for the trace. */
  handle(socket: Socket, req: Request, unmute: () => void, client = ""): void {
    const { machine, rm, behaviour } = this.d;
    traceRequest(machine, req, client);
    const reply = (body: unknown, bytes = HEADER_BYTES): void => {
      traceResponse(machine, req, client, body, bytes);
      socket.send({ cid: req.cid, body }, bytes);
      unmute();
    };
    if (req.api === "Produce" && (req.body as ProduceRequest).acks === 0) {
      // No response for acks=0: the channel is unmuted once the request is handled. An error
      // closes the connection instead, so that the producer refreshes its metadata
      // (KafkaApis.handleProduceRequest: requestChannel.closeConnection, every version).
      rm.handleProduce(req.body as ProduceRequest, (res) => {
        if (!res.partitions.some((p) => p.error !== "NONE")) return;
        traceResponse(machine, req, client, res, 0, true);
        machine.mark("broker: error to an acks=0 produce closes the connection");
        socket.close();
      });
      return unmute();
    }
    switch (req.api) {
      case "Produce":
        return rm.handleProduce(req.body as ProduceRequest, (res) => reply(res, produceResponseBytes(behaviour, res.partitions)));
      case "Fetch":
        return rm.handleFetch(req.body as FetchRequest, (res) => reply(res, fetchResponseBytes(behaviour, res.partitions)));
      case "OffsetsForLeaderEpoch":
        return reply(rm.handleOffsetsForLeaderEpoch(req.body as OffsetsForLeaderEpochRequest));
      case "Metadata":
        return reply(this.d.metadataCache.response(), HEADER_BYTES + 40 * this.d.metadataCache.states.length);
      case "LeaderAndIsr": {
        const res = rm.handleLeaderAndIsr(req.body as LeaderAndIsrRequest);
        this.onLeadershipChange(req.body as LeaderAndIsrRequest, res.error !== "NONE");
        // LeaderAndIsrPartitionError: topic, partition, error code.
        return reply(res, HEADER_BYTES + 24 * res.partitionErrors.length);
      }
      case "StopReplica":
        return reply(rm.handleStopReplica(req.body as StopReplicaRequest));
      case "UpdateMetadata": {
        const u = req.body as UpdateMetadataRequest;
        // ReplicaManager.maybeUpdateMetadataCache: an older controller epoch is refused; from 2.2
        // (KIP-380) so is an older broker epoch (KafkaApis.isBrokerEpochStale).
        const stale = rm.staleController(u.controllerEpoch, u.brokerEpoch);
        if (stale !== null) return reply({ error: stale });
        this.d.metadataCache.update(u);
        return reply({ error: "NONE" });
      }
      case "ControlledShutdown": {
        const c = req.body as ControlledShutdownRequest;
        const controller = this.d.controller();
        if (controller === null) return reply({ error: "NOT_CONTROLLER", remaining: 0 });
        return controller.onControlledShutdown(c.brokerId, c.brokerEpoch, (r) => reply(r));
      }
      case "AlterIsr":
      case "AlterPartition": {
        const controller = this.d.controller();
        if (controller === null) return reply({ error: "NOT_CONTROLLER", partitions: [] });
        return controller.onAlterIsr(req.body as AlterIsrRequest, (r) => reply(r, HEADER_BYTES + 24 * r.partitions.length));
      }
      case "ListOffsets":
        return reply(rm.handleListOffsets(req.body as ListOffsetsRequest), HEADER_BYTES + 24 * (req.body as ListOffsetsRequest).partitions.length);
      case "FindCoordinator":
        return reply(this.findCoordinator(req.body as FindCoordinatorRequest));
      case "JoinGroup":
        return this.d.groupCoordinator.handleJoinGroup(req.body as JoinGroupRequest, client, `/${client}`, (r) => reply(r, HEADER_BYTES + 48 * r.members.length));
      case "SyncGroup":
        return this.d.groupCoordinator.handleSyncGroup(req.body as SyncGroupRequest, (r) => reply(r, HEADER_BYTES + 12 * r.assignment.length));
      case "Heartbeat":
        return reply(this.d.groupCoordinator.handleHeartbeat(req.body as HeartbeatRequest));
      case "LeaveGroup":
        return reply(this.d.groupCoordinator.handleLeaveGroup(req.body as LeaveGroupRequest));
      case "OffsetCommit":
        return this.d.groupCoordinator.handleOffsetCommit(req.body as OffsetCommitRequest, (r) => reply(r, HEADER_BYTES + 12 * r.partitions.length));
      case "OffsetFetch": {
        const r = this.d.groupCoordinator.handleOffsetFetch(req.body as OffsetFetchRequest);
        return reply(r, HEADER_BYTES + 24 * r.partitions.length);
      }
      case "InitProducerId":
        // Producer ids come in blocks per broker (ProducerIdManager); unique per broker incarnation here.
        return reply({ error: "NONE", producerId: this.d.brokerId * 1_000_000_000 + machine.host.incarnation * 1_000_000 + this.nextProducerId++, producerEpoch: 0 });
    }
  }

  private findCoordinator(req: FindCoordinatorRequest): FindCoordinatorResponse {
    return coordinatorFor(this.d.metadataCache, req.key, this.d.offsetsPartitions);
  }

  /**
   * onLeadershipChange (KafkaApis.handleLeaderAndIsrRequest; RequestHandlerHelper from 2.8): the
   * group coordinator loads the __consumer_offsets partitions this broker now leads and unloads
   * those it follows, judged by the replica's state once the request is applied (one request may
   * carry a partition twice, the older state refused). refused: the whole request was.
   */
  private onLeadershipChange(req: LeaderAndIsrRequest, refused: boolean): void {
    if (refused) return;
    const seen = new Set<number>();
    for (const s of req.partitionStates) {
      if (s.topic !== CONSUMER_OFFSETS || seen.has(s.partition)) continue;
      seen.add(s.partition);
      const p = this.d.rm.partitions.get(`${CONSUMER_OFFSETS}-${s.partition}`);
      if (p?.isLeader === true) this.d.groupCoordinator.onElection(s.partition);
      else this.d.groupCoordinator.onResignation(s.partition);
    }
  }
}

/** The leader of __consumer_offsets-partitionFor(group) in this broker's metadata cache (FindCoordinator never asks whether it has loaded). */
function coordinatorFor(cache: MetadataCache, groupId: string, partitions: number): FindCoordinatorResponse {
  const partition = partitionFor(groupId, partitions);
  const state = cache.states.find((s) => s.topic === CONSUMER_OFFSETS && s.partition === partition);
  if (state === undefined || state.leader < 0 || !cache.isBrokerAlive(state.leader)) return { error: "COORDINATOR_NOT_AVAILABLE", nodeId: -1 };
  return { error: "NONE", nodeId: state.leader };
}

/** What the request pools charge for: a produce request's size as its producer sent it (client id as Kafka's default). */
export function requestBytes(req: Request, behaviour: Behaviour): number {
  return req.api === "Produce" ? produceRequestBytes(behaviour, PRODUCER_CLIENT_ID, (req.body as ProduceRequest).data) : HEADER_BYTES;
}
