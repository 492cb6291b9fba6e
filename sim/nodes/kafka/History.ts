/**
 * The run's history, written as it happens and read by the checkers afterwards: every batch
 * sent, acknowledged (partition, offset) or failed, acks=0 batches written without an
 * acknowledgement, produce errors, produce latency (an HDR histogram of each record's time from
 * creation to acknowledgement, after the latency warm-up), every leader and ISR
 * change (as written to ZooKeeper), broker process up/down times. It also checks the
 * replication invariants where the state they guard changes. The batch logs, which grow with the
 * run, are stored column-wise (history/BatchLog.ts).
 */
import type { Simulation } from "../../Simulation.js";
import type { KafkaObserver } from "./KafkaObserver.js";
import type { Partition } from "./cluster/Partition.js";
import { ConsumerHistory } from "./ConsumerHistory.js";
import { LatencyRecorder } from "./LatencyRecorder.js";
import { AckLog, BatchEventLog, Streams } from "./history/BatchLog.js";

export type { AckRecord, BatchEvent } from "./history/BatchLog.js";

export interface StateChange {
  atUs: number;
  leader: number;
  leaderEpoch: number;
  isr: number[];
}

export interface ProducerTotals {
  sent: number;
  acked: number;
  failed: number;
  ackedBytes: number;
  /** acks=0 records written to a socket: done for the client, never acknowledged. */
  sentWithoutAck: number;
}

export class KafkaHistory implements KafkaObserver {
  /** The (producer, topic, partition) of the batch logs' rows. */
  readonly streams = new Streams();
  readonly acks = new AckLog(this.streams);
  /** First sends, failures and acks=0 writes, in the order they happened. */
  readonly sends = new BatchEventLog(this.streams, { arrivals: false, errors: false });
  readonly fails = new BatchEventLog(this.streams, { arrivals: true, errors: true });
  readonly writtenWithoutAck = new BatchEventLog(this.streams, { arrivals: true, errors: false });
  /** Records created before this time are left out of the latency histogram (the warm-up). */
  latencyWarmupUs = 0;
  readonly producers = new Map<string, ProducerTotals>();
  readonly errors = new Map<string, number>();
  readonly latencyUs = new LatencyRecorder();
  readonly states = new Map<string, StateChange[]>();
  readonly brokerDown = new Map<number, Array<[number, number]>>();
  readonly truncations: Array<{ atUs: number; broker: number; partition: string; records: number; reason: string }> = [];
  readonly controllers: Array<{ atUs: number; broker: number; epoch: number }> = [];
  readonly exits: Array<{ atUs: number; broker: number; why: string }> = [];
  /** Log dirs that went offline, and brokers that halted (storage errors). */
  readonly logDirFailures: Array<{ atUs: number; broker: number; dir: string }> = [];
  readonly halts: Array<{ atUs: number; broker: number; reason: string }> = [];
  /** When each broker took leadership of a partition (it had a LeaderAndIsr making it leader). */
  readonly leaderships = new Map<string, Array<{ atUs: number; broker: number }>>();
  /** Leader per (partition, epoch), for "one leader per epoch". */
  private readonly leaderOfEpoch = new Map<string, number>();

  /** The read side: consumer groups (ConsumerHistory). */
  readonly consumers: ConsumerHistory;

  constructor(private readonly sim: Simulation) {
    this.consumers = new ConsumerHistory(sim);
  }

  private totals(producer: string): ProducerTotals {
    let t = this.producers.get(producer);
    if (t === undefined) this.producers.set(producer, (t = { sent: 0, acked: 0, failed: 0, ackedBytes: 0, sentWithoutAck: 0 }));
    return t;
  }

  // --- producers ---

  onSend(producer: string, topic: string, partition: number, firstIndex: number, count: number, bytes: number): void {
    this.totals(producer).sent += count;
    this.sends.push(producer, topic, partition, firstIndex, count, bytes, -1, this.sim.now);
  }

  onAck(producer: string, topic: string, partition: number, firstIndex: number, count: number, bytes: number, offset: number, arrivalsUs: readonly number[]): void {
    const now = this.sim.now;
    const t = this.totals(producer);
    t.acked += count;
    t.ackedBytes += bytes;
    this.acks.push(producer, topic, partition, firstIndex, count, bytes, offset, arrivalsUs[0] ?? now, now);
    for (const a of arrivalsUs) if (a >= this.latencyWarmupUs) this.latencyUs.record(Math.max(1, now - a));
  }

  onSentWithoutAck(producer: string, topic: string, partition: number, firstIndex: number, count: number, bytes: number, arrivalsUs: readonly number[]): void {
    const now = this.sim.now;
    this.totals(producer).sentWithoutAck += count;
    this.writtenWithoutAck.push(producer, topic, partition, firstIndex, count, bytes, arrivalsUs[0] ?? now, now);
  }

  onFail(producer: string, topic: string, partition: number, count: number, error: string, firstIndex = -1, arrivalsUs?: readonly number[]): void {
    this.totals(producer).failed += count;
    this.errors.set(`failed: ${error}`, (this.errors.get(`failed: ${error}`) ?? 0) + count);
    this.fails.push(producer, topic, partition, firstIndex, count, 0, arrivalsUs?.[0] ?? -1, this.sim.now, error);
  }

  onProduceError(_producer: string, _topic: string, _partition: number, error: string): void {
    this.errors.set(error, (this.errors.get(error) ?? 0) + 1);
  }

  // --- cluster ---

  onControllerElected(brokerId: number, epoch: number): void {
    this.controllers.push({ atUs: this.sim.now, broker: brokerId, epoch });
  }

  onBrokerExit(brokerId: number, why: string): void {
    this.exits.push({ atUs: this.sim.now, broker: brokerId, why });
  }

  onLogDirFailure(brokerId: number, dir: string): void {
    this.logDirFailures.push({ atUs: this.sim.now, broker: brokerId, dir });
  }

  onBrokerHalted(brokerId: number, reason: string): void {
    this.halts.push({ atUs: this.sim.now, broker: brokerId, reason });
    this.sim.marks.hit("broker: halted");
  }

  onTruncated(brokerId: number, p: Partition, records: number, reason: string): void {
    this.truncations.push({ atUs: this.sim.now, broker: brokerId, partition: p.key, records, reason });
    this.sim.marks.hit(`replica: follower truncated its log (${reason})`);
  }

  /** A partition state znode was written (by the controller or a leader). */
  onPartitionState(key: string, change: StateChange): void {
    let list = this.states.get(key);
    if (list === undefined) this.states.set(key, (list = []));
    list.push(change);
    if (change.leader >= 0 && !change.isr.includes(change.leader)) this.sim.violate("leader in the ISR", `${key}: leader ${change.leader} not in ISR [${change.isr.join(",")}] at epoch ${change.leaderEpoch}`);
  }

  onBrokerDown(id: number): void {
    let list = this.brokerDown.get(id);
    if (list === undefined) this.brokerDown.set(id, (list = []));
    list.push([this.sim.now, Infinity]);
  }

  onBrokerUp(id: number): void {
    const list = this.brokerDown.get(id);
    const last = list?.[list.length - 1];
    if (last !== undefined && last[1] === Infinity) last[1] = this.sim.now;
  }

  // --- invariants ---

  onBecomeLeader(brokerId: number, p: Partition): void {
    const k = `${p.key}@${p.leaderEpoch}`;
    const other = this.leaderOfEpoch.get(k);
    if (other !== undefined && other !== brokerId) this.sim.violate("one leader per partition epoch", `${p.key}: brokers ${other} and ${brokerId} both led epoch ${p.leaderEpoch}`);
    this.leaderOfEpoch.set(k, brokerId);
    let list = this.leaderships.get(p.key);
    if (list === undefined) this.leaderships.set(p.key, (list = []));
    list.push({ atUs: this.sim.now, broker: brokerId });
  }

  onLeaderHighWatermark(brokerId: number, p: Partition, previous: number): void {
    if (p.highWatermark < previous) this.sim.violate("high watermark never moves back", `${p.key} on broker ${brokerId}: ${previous} -> ${p.highWatermark} in epoch ${p.leaderEpoch}`);
    if (p.highWatermark > p.log.logEndOffset) this.sim.violate("high watermark within the ISR's logs", `${p.key}: HW ${p.highWatermark} past the leader's log end ${p.log.logEndOffset}`);
    for (const r of p.isr) {
      if (r === brokerId) continue;
      const f = p.followers.get(r);
      if (f !== undefined && f.logEndOffset >= 0 && f.logEndOffset < p.highWatermark && p.pendingIsr === null) {
        this.sim.violate("high watermark within the ISR's logs", `${p.key}: HW ${p.highWatermark} past ISR member ${r}'s log end ${f.logEndOffset}`);
      }
    }
  }
}
