/**
 * What a broker knows of the cluster from the controller's UpdateMetadata requests
 * (kafka.server.MetadataCache): every partition's leader and ISR, the live brokers, and which
 * broker is the controller. It answers clients' Metadata requests.
 */
import type { MetadataResponse, PartitionState, UpdateMetadataRequest } from "../common/protocol.js";

export class MetadataCache {
  states: PartitionState[] = [];
  brokers: Array<{ id: number; rack: string }> = [];
  /** The controller as this broker last learnt it, from ZooKeeper's /controller or UpdateMetadata. */
  activeControllerId = -1;
  /** The controller as UpdateMetadata names it (what the broker-to-controller channel uses, 2.7+). */
  metadataControllerId = -1;

  update(u: UpdateMetadataRequest): void {
    this.states = u.partitionStates;
    this.brokers = u.liveBrokers;
    this.activeControllerId = u.controllerId;
    this.metadataControllerId = u.controllerId;
  }

  isBrokerAlive(id: number): boolean {
    return this.brokers.some((b) => b.id === id);
  }

  response(): MetadataResponse {
    return {
      brokers: this.brokers,
      controllerId: this.activeControllerId,
      partitions: this.states.map((s) => ({ topic: s.topic, partition: s.partition, leader: s.leader, leaderEpoch: s.leaderEpoch, replicas: s.replicas, isr: s.isr })),
    };
  }
}
