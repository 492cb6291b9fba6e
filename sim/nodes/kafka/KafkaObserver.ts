/**
 * What brokers, the controller and producers report as they run: the history the checkers
 * read after the run, and the hooks where the replication invariants are checked.
 */
import type { Partition } from "./cluster/Partition.js";

export interface KafkaObserver {
  onBecomeLeader(brokerId: number, p: Partition): void;
  onLeaderHighWatermark(brokerId: number, p: Partition, previous: number): void;
  onTruncated(brokerId: number, p: Partition, records: number, reason: string): void;
  onControllerElected(brokerId: number, epoch: number): void;
  /** A broker process ended itself (failed start-up, halt). */
  onBrokerExit(brokerId: number, why: string): void;
  /** A log dir went offline (ReplicaManager.handleLogDirFailure). */
  onLogDirFailure(brokerId: number, dir: string): void;
  /** The broker halted itself (Exit.halt) for this reason. */
  onBrokerHalted(brokerId: number, reason: string): void;
  /** A producer sent a batch for the first time. */
  onSend(producer: string, topic: string, partition: number, firstIndex: number, count: number, bytes: number): void;
  /** A batch was acknowledged; arrivalsUs are its records' creation times. */
  onAck(producer: string, topic: string, partition: number, firstIndex: number, count: number, bytes: number, offset: number, arrivalsUs: readonly number[]): void;
  /**
   * An acks=0 batch was written to the socket: the producer's callback reports success, but no
   * broker acknowledged anything, so its records never count as acknowledged.
   */
  onSentWithoutAck(producer: string, topic: string, partition: number, firstIndex: number, count: number, bytes: number, arrivalsUs: readonly number[]): void;
  /**
   * A batch failed for good (its records are not acknowledged). firstIndex and arrivalsUs, when
   * the producer passes them, make the history's produce-stall measure exact for failed records.
   */
  onFail(producer: string, topic: string, partition: number, count: number, error: string, firstIndex?: number, arrivalsUs?: readonly number[]): void;
  /** A produce attempt got an error (retried or not). */
  onProduceError(producer: string, topic: string, partition: number, error: string): void;
}
