/**
 * The controller's channels to brokers (ControllerChannelManager): one queue per live broker,
 * one request in flight at a time, retried until it is answered or the broker leaves. Here
 * controller.socket.timeout.ms bounds a request; in Kafka it bounds the wait for the connection
 * (RequestSendThread.brokerReady), a request's timeout being the broker's request.timeout.ms, 30 s
 * by default as controller.socket.timeout.ms is (we take one timeout for both). The
 * requests an event produces are gathered per broker and sent together when the event ends
 * (ControllerBrokerRequestBatch).
 */
import type { Host } from "../../../Host.js";
import type { Endpoint } from "../../Endpoint.js";
import { NodeConnection } from "../clients/NodeConnection.js";
import { HEADER_BYTES, PARTITION_STATE_BYTES, type ApiKey, type ControllerResponse, type LeaderAndIsrResponse, type PartitionState } from "../common/protocol.js";

interface Queued {
  api: ApiKey;
  body: Record<string, unknown>;
  bytes: number;
}

const RETRY_BACKOFF_US = 100_000;

class BrokerQueue {
  readonly queue: Queued[] = [];
  private busy = false;
  stopped = false;

  constructor(
    private readonly endpoint: Endpoint,
    readonly conn: NodeConnection,
    private readonly timeoutUs: number,
    private readonly brokerEpoch: () => number,
    private readonly onResponse: (api: ApiKey, res: ControllerResponse) => void,
  ) {}

  push(q: Queued): void {
    this.queue.push(q);
    this.pump();
  }

  private pump(): void {
    if (this.busy || this.stopped || this.queue.length === 0) return;
    this.busy = true;
    const q = this.queue[0];
    // RequestSendThread.brokerReady: NetworkClientUtils.awaitReady(..., controller.socket.timeout.ms)
    // throws for a negative wait and returns false for 0 before any poll could complete the connect;
    // either way the connection is closed and the thread backs off 100 ms: the request never goes.
    if (this.timeoutUs <= 0) {
      this.endpoint.machine.mark("controller: controller.socket.timeout.ms <= 0, never connects to a broker");
      this.endpoint.machine.setTimer(RETRY_BACKOFF_US, () => {
        this.busy = false;
        this.pump();
      });
      return;
    }
    this.conn.send<ControllerResponse>(q.api, { ...q.body, brokerEpoch: this.brokerEpoch() }, q.bytes, (res) => {
      if (this.stopped) return;
      if (res === null) {
        this.endpoint.machine.setTimer(RETRY_BACKOFF_US, () => {
          this.busy = false;
          this.pump();
        });
        return;
      }
      this.queue.shift();
      this.busy = false;
      this.onResponse(q.api, res);
      this.pump();
    });
  }
}

export class ControllerChannel {
  private readonly queues = new Map<number, BrokerQueue>();
  private leaderAndIsr = new Map<number, PartitionState[]>();
  private stopReplica = new Map<number, Array<{ topic: string; partition: number }>>();
  private updateMetadataTo = new Set<number>();

  constructor(
    private readonly endpoint: Endpoint,
    private readonly header: () => { controllerId: number; controllerEpoch: number },
    private readonly timeoutUs: number,
    /** A broker's answer to LeaderAndIsr (KafkaController's LeaderAndIsrResponseReceived event). */
    private readonly onLeaderAndIsrResponse: (brokerId: number, res: LeaderAndIsrResponse) => void,
  ) {}

  addBroker(id: number, host: Host, epoch: () => number): void {
    this.removeBroker(id);
    const onResponse = (api: ApiKey, res: ControllerResponse): void => {
      if (api === "LeaderAndIsr") this.onLeaderAndIsrResponse(id, res as LeaderAndIsrResponse);
    };
    this.queues.set(id, new BrokerQueue(this.endpoint, new NodeConnection(this.endpoint, host, this.timeoutUs), this.timeoutUs, epoch, onResponse));
  }

  removeBroker(id: number): void {
    const q = this.queues.get(id);
    if (q === undefined) return;
    q.stopped = true;
    q.conn.close();
    this.queues.delete(id);
  }

  shutdown(): void {
    for (const id of [...this.queues.keys()]) this.removeBroker(id);
  }

  addLeaderAndIsr(brokers: readonly number[], state: PartitionState): void {
    for (const b of brokers) {
      let list = this.leaderAndIsr.get(b);
      if (list === undefined) this.leaderAndIsr.set(b, (list = []));
      list.push(state);
    }
  }

  addStopReplica(broker: number, topic: string, partition: number): void {
    let list = this.stopReplica.get(broker);
    if (list === undefined) this.stopReplica.set(broker, (list = []));
    list.push({ topic, partition });
  }

  addUpdateMetadata(brokers: Iterable<number>): void {
    for (const b of brokers) this.updateMetadataTo.add(b);
  }

  /** Sends what the event gathered: LeaderAndIsr, then UpdateMetadata, then StopReplica, per broker. */
  flush(allStates: () => PartitionState[], liveBrokers: () => Array<{ id: number; rack: string }>): void {
    const h = this.header();
    for (const [b, states] of [...this.leaderAndIsr].sort((x, y) => x[0] - y[0])) {
      this.queues.get(b)?.push({ api: "LeaderAndIsr", body: { ...h, partitionStates: states }, bytes: HEADER_BYTES + PARTITION_STATE_BYTES * states.length });
    }
    if (this.updateMetadataTo.size > 0) {
      const states = allStates();
      const live = liveBrokers();
      for (const b of [...this.updateMetadataTo].sort((x, y) => x - y)) {
        this.queues.get(b)?.push({ api: "UpdateMetadata", body: { ...h, partitionStates: states, liveBrokers: live }, bytes: HEADER_BYTES + PARTITION_STATE_BYTES * states.length + 16 * live.length });
      }
    }
    for (const [b, parts] of [...this.stopReplica].sort((x, y) => x[0] - y[0])) {
      this.queues.get(b)?.push({ api: "StopReplica", body: { ...h, partitions: parts }, bytes: HEADER_BYTES + 24 * parts.length });
    }
    this.leaderAndIsr = new Map();
    this.stopReplica = new Map();
    this.updateMetadataTo = new Set();
  }
}
