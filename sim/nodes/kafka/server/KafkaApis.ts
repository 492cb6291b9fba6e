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
} from "../common/protocol.js";

export interface KafkaApisDeps {
  brokerId: number;
  machine: Machine;
  behaviour: Behaviour;
  rm: ReplicaManager;
  metadataCache: MetadataCache;
  controller(): KafkaController | null;
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
      case "InitProducerId":
        // Producer ids come in blocks per broker (ProducerIdManager); unique per broker incarnation here.
        return reply({ error: "NONE", producerId: this.d.brokerId * 1_000_000_000 + machine.host.incarnation * 1_000_000 + this.nextProducerId++, producerEpoch: 0 });
    }
  }
}

/** What the request pools charge for: a produce request's size as its producer sent it (client id as Kafka's default). */
export function requestBytes(req: Request, behaviour: Behaviour): number {
  return req.api === "Produce" ? produceRequestBytes(behaviour, PRODUCER_CLIENT_ID, (req.body as ProduceRequest).data) : HEADER_BYTES;
}
