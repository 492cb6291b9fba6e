/**
 * The consumer's fetcher (org.apache.kafka.clients.consumer.internals.Fetcher; AbstractFetch,
 * FetchCollector and OffsetFetcher from 3.7): one Fetch request per partition leader for the
 * fetchable partitions (assigned, not paused, FETCHING, nothing buffered), the answers kept as
 * completed fetches that poll() drains up to max.poll.records; OFFSET_OUT_OF_RANGE resets the
 * position per auto.offset.reset with a ListOffsets; from 2.3 (KIP-320) a position is validated
 * against a new leader with OffsetsForLeaderEpoch and, after truncation, moved back to where the
 * logs diverge.
 */
import type { Machine } from "../../../Machine.js";
import type { NodeConnection } from "../NodeConnection.js";
import type { RecordBatch } from "../../log/Log.js";
import type { Behaviour, KafkaConfig } from "../../common/versions.js";
import {
  EARLIEST_TIMESTAMP,
  HEADER_BYTES,
  LATEST_TIMESTAMP,
  fetchRequestBytes,
  type EpochEndOffset,
  type FetchRequest,
  type FetchResponse,
  type ListOffsetsPartitionResponse,
} from "../../common/protocol.js";
import type { PartitionPosition, SubscriptionState } from "./SubscriptionState.js";
import { FetchSessionHandler, withSession } from "../FetchSessionHandler.js";
import { partitionKey } from "../../common/partitionKey.js";

/** Records poll() hands the application: part of one batch of one partition. */
export interface PolledRecords {
  topic: string;
  partition: number;
  batch: RecordBatch;
  /** The first record's index within the batch, and how many. */
  from: number;
  count: number;
}

interface CompletedFetch {
  p: PartitionPosition;
  batches: RecordBatch[];
  /** The fetch offset it answered; stale once the position moved otherwise. */
  fetchOffset: number;
}

export interface FetcherDeps {
  machine: Machine;
  config: KafkaConfig;
  behaviour: Behaviour;
  clientId: string;
  subscriptions: SubscriptionState;
  /** The partition's leader and its epoch as the metadata knows them (-1 unknown). */
  leaderOf(topic: string, partition: number): { leader: number; epoch: number };
  conn(broker: number): NodeConnection;
  requestMetadataUpdate(): void;
  /** Something arrived: the poll loop may go on. */
  wake(): void;
  /** auto.offset.reset none: NoOffsetForPartitionException / OffsetOutOfRangeException reach the application. */
  onResetImpossible(p: PartitionPosition, why: string): void;
  /** The position moved without the application seeing records (a reset or a truncation). */
  onPositionReset(p: PartitionPosition, from: number, to: number, why: string): void;
}

export class Fetcher {
  private readonly completed: CompletedFetch[] = [];
  private readonly fetchInFlight = new Set<number>();
  /** KIP-227 (1.1+): a fetch session per broker (AbstractFetch.sessionHandlers). */
  private readonly sessions = new Map<number, FetchSessionHandler>();

  /** The consumer's fetch configs, read once (a consumer's config does not change). */
  private readonly settings: { maxWaitMs: number; minBytes: number; maxBytes: number; partitionMaxBytes: number };

  constructor(private readonly d: FetcherDeps) {
    const c = d.config;
    this.settings = { maxWaitMs: c.num("fetch.max.wait.ms"), minBytes: c.num("fetch.min.bytes"), maxBytes: c.num("fetch.max.bytes"), partitionMaxBytes: c.num("max.partition.fetch.bytes") };
  }

  get hasBuffered(): boolean {
    return this.completed.length > 0;
  }

  /** Drop what was buffered for partitions no longer assigned (or all). */
  clearBuffered(): void {
    this.completed.length = 0;
  }

  /** sendFetches: one request per leader without a fetch in flight. */
  sendFetches(): void {
    const d = this.d;
    // Built only when some partition can be fetched: most polls find every leader's fetch in flight.
    let byNode: Map<number, PartitionPosition[]> | null = null;
    let epochs: Map<PartitionPosition, number> | null = null;
    for (const p of d.subscriptions.partitions) {
      if (p.state !== "FETCHING" || p.paused || this.isBuffered(p)) continue;
      const { leader, epoch } = d.leaderOf(p.topic, p.partition);
      if (leader < 0) {
        d.requestMetadataUpdate();
        continue;
      }
      if (this.fetchInFlight.has(leader)) continue;
      byNode ??= new Map();
      epochs ??= new Map();
      let list = byNode.get(leader);
      if (list === undefined) byNode.set(leader, (list = []));
      list.push(p);
      epochs.set(p, epoch);
    }
    if (byNode === null || epochs === null) return;
    const s = this.settings;
    for (const [node, parts] of byNode) {
      const conn = d.conn(node);
      if (conn.readyAtUs > d.machine.now) continue;
      let session = this.sessions.get(node);
      if (session === undefined) this.sessions.set(node, (session = new FetchSessionHandler(d.behaviour.fetchSessions)));
      // The partitions fetchable now; those of the session left out (buffered, paused, moved) are forgotten.
      const built = session.build(parts.map((p) => ({ topic: p.topic, partition: p.partition, fetchOffset: p.offset, currentLeaderEpoch: d.behaviour.consumerOffsetValidation ? epochs!.get(p)! : -1 })));
      const req: FetchRequest = withSession({ replicaId: -1, maxWaitMs: s.maxWaitMs, minBytes: s.minBytes, maxBytes: s.maxBytes, partitionMaxBytes: s.partitionMaxBytes }, built);
      const offsets = parts.map((p) => p.offset);
      this.fetchInFlight.add(node);
      const handler = session;
      conn.send<FetchResponse>("Fetch", req, fetchRequestBytes(d.behaviour, d.clientId, req.partitions, built.forgotten), (res) => {
        this.fetchInFlight.delete(node);
        if (res === null) handler.handleError();
        // A session error drops the answer; the next fetch to the node is a full one.
        else if (handler.handleResponse(res)) this.onFetchResponse(parts, offsets, res);
        d.wake();
      });
    }
  }

  /** Whether a completed fetch for the partition waits to be polled (a scan: there are at most as many as partitions assigned). */
  private isBuffered(p: PartitionPosition): boolean {
    const c = this.completed;
    for (let i = 0; i < c.length; i++) if (c[i].p.key === p.key) return true;
    return false;
  }

  private onFetchResponse(parts: PartitionPosition[], offsets: number[], res: FetchResponse): void {
    const d = this.d;
    // The answer names the partitions fetched (all of them, or with a session the ones with news, in the session's order).
    res.partitions.forEach((r, at) => {
      const key = partitionKey(r.topic, r.partition);
      const i = parts[at]?.key === key ? at : parts.findIndex((p) => p.key === key);
      if (i < 0) return;
      const p = parts[i];
      // The partition was revoked or its position moved meanwhile: the answer is stale.
      if (d.subscriptions.get(p.key) !== p || p.offset !== offsets[i] || p.state !== "FETCHING") return;
      switch (r.error) {
        case "NONE":
          if (r.batches.length > 0) this.completed.push({ p, batches: r.batches, fetchOffset: offsets[i] });
          return;
        case "OFFSET_OUT_OF_RANGE":
          d.machine.mark("consumer: fetch OFFSET_OUT_OF_RANGE, position reset per auto.offset.reset");
          return this.requestReset(p, "OFFSET_OUT_OF_RANGE");
        case "UNKNOWN_LEADER_EPOCH":
          return;
        default:
          // NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, KAFKA_STORAGE_ERROR, ...: a new leader is looked up.
          d.requestMetadataUpdate();
      }
    });
  }

  /** fetchedRecords: up to max records, in the order the answers came; positions move past them. */
  fetchedRecords(max: number): PolledRecords[] {
    const out: PolledRecords[] = [];
    let left = max;
    while (left > 0 && this.completed.length > 0) {
      const c = this.completed[0];
      const p = c.p;
      if (this.d.subscriptions.get(p.key) !== p || p.state !== "FETCHING" || p.offset < c.fetchOffset) {
        this.completed.shift();
        continue;
      }
      const b = c.batches[0];
      const from = Math.max(0, p.offset - b.baseOffset);
      if (from >= b.count) {
        c.batches.shift();
        if (c.batches.length === 0) this.completed.shift();
        continue;
      }
      const count = Math.min(b.count - from, left);
      out.push({ topic: p.topic, partition: p.partition, batch: b, from, count });
      left -= count;
      p.offset = b.baseOffset + from + count;
      p.offsetEpoch = b.leaderEpoch;
    }
    return out;
  }

  // --- positions without records: reset (ListOffsets) and validation (OffsetsForLeaderEpoch) ---

  /** requestOffsetReset: AWAIT_RESET with a policy; with none the application gets the exception. */
  requestReset(p: PartitionPosition, why: string): void {
    if (this.d.config.str("auto.offset.reset") === "none") return this.d.onResetImpossible(p, why);
    p.state = "AWAIT_RESET";
  }

  /** resetOffsetsIfNeeded and validateOffsetsIfNeeded: the requests for positions that need one. */
  updatePositions(): void {
    for (const p of this.d.subscriptions.partitions) {
      if (p.pending) continue;
      if (p.state === "AWAIT_RESET") this.sendListOffsets(p);
      else if (p.state === "AWAIT_VALIDATION") this.sendValidation(p);
    }
  }

  /** ListOffsets to the leader: earliest is the log start, latest the high watermark (read_uncommitted). */
  private sendListOffsets(p: PartitionPosition): void {
    const d = this.d;
    const { leader, epoch } = d.leaderOf(p.topic, p.partition);
    if (leader < 0) return d.requestMetadataUpdate();
    const earliest = d.config.str("auto.offset.reset") === "earliest";
    p.pending = true;
    const body = { replicaId: -1, partitions: [{ topic: p.topic, partition: p.partition, timestamp: earliest ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP, currentLeaderEpoch: d.behaviour.consumerOffsetValidation ? epoch : -1 }] };
    d.conn(leader).send<ListOffsetsPartitionResponse[]>("ListOffsets", body, HEADER_BYTES + 32, (res) => {
      const r = this.answerFor(p, res, "AWAIT_RESET");
      if (r === null) return d.wake();
      const from = p.offset;
      // resetOffsetIfNeeded seeks with no offset epoch ("This will ensure we skip validation"; 2.3 - 2.6
      // by maybeSeekUnvalidated's FetchPosition(offset)): a later leader change does not validate it.
      this.d.subscriptions.seek(p, r.offset, -1, "FETCHING");
      p.validatedLeaderEpoch = epoch;
      d.onPositionReset(p, from, r.offset, `auto.offset.reset=${d.config.str("auto.offset.reset")}`);
      d.wake();
    });
  }

  /**
   * After a leader change (2.3+, KIP-320): the new leader's end offset for the position's epoch;
   * below the position, the log was truncated and the consumer resumes from there (with a reset
   * policy; LogTruncationException without one).
   */
  private sendValidation(p: PartitionPosition): void {
    const d = this.d;
    const { leader, epoch } = d.leaderOf(p.topic, p.partition);
    if (leader < 0) return d.requestMetadataUpdate();
    p.pending = true;
    // OffsetsForLeaderEpochRequest.Builder.forConsumer: CONSUMER_REPLICA_ID (-1). We leave out its currentLeaderEpoch.
    const body = { replicaId: -1, partitions: [{ topic: p.topic, partition: p.partition, leaderEpoch: p.offsetEpoch }] };
    d.conn(leader).send<EpochEndOffset[]>("OffsetsForLeaderEpoch", body, HEADER_BYTES + 24, (res) => {
      const r = this.answerFor(p, res, "AWAIT_VALIDATION");
      if (r === null) return d.wake();
      p.validatedLeaderEpoch = epoch;
      if (r.endOffset >= 0 && r.endOffset < p.offset) {
        d.machine.mark("consumer: truncation detected (KIP-320)");
        if (d.config.str("auto.offset.reset") === "none") {
          d.onResetImpossible(p, "LogTruncationException");
        } else {
          const from = p.offset;
          d.subscriptions.seek(p, r.endOffset, r.leaderEpoch, "FETCHING");
          d.onPositionReset(p, from, r.endOffset, "truncation detected (KIP-320)");
        }
      } else if (r.endOffset < 0) {
        // 2.6+ (KAFKA-10113): a reset per auto.offset.reset. 2.3 - 2.5 (SubscriptionState.maybeCompleteValidation) take the
        // undefined end offset (-1) as a truncation below the position: LogTruncationException without a
        // reset policy; with one, a seek to -1, whose fetch gets OFFSET_OUT_OF_RANGE and resets.
        if (d.behaviour.consumerValidationResetsUnknownEpoch) this.requestReset(p, "leader epoch unknown to the new leader");
        else if (d.config.str("auto.offset.reset") === "none") d.onResetImpossible(p, "LogTruncationException");
        else this.requestReset(p, "OFFSET_OUT_OF_RANGE after a truncation to -1 (leader epoch unknown to the new leader)");
      } else {
        p.state = "FETCHING";
      }
      d.wake();
    });
  }

  /**
   * A position request's answer, if it still applies: an error asks for new metadata (the next
   * round goes to the new leader); a partition revoked or moved meanwhile ignores it.
   */
  private answerFor<R extends { error: string }>(p: PartitionPosition, res: R[] | null, state: "AWAIT_RESET" | "AWAIT_VALIDATION"): R | null {
    p.pending = false;
    const r = res?.[0];
    if (r === undefined) return null;
    if (r.error !== "NONE") {
      this.d.requestMetadataUpdate();
      return null;
    }
    return this.d.subscriptions.get(p.key) === p && p.state === state ? r : null;
  }

  /** maybeValidatePositionForCurrentLeader: a position of an older leader epoch waits for validation (2.3+). */
  onMetadataUpdate(): void {
    if (!this.d.behaviour.consumerOffsetValidation) return;
    for (const p of this.d.subscriptions.partitions) {
      if (p.state !== "FETCHING" || p.offsetEpoch < 0) continue;
      const { leader, epoch } = this.d.leaderOf(p.topic, p.partition);
      if (leader >= 0 && epoch > p.validatedLeaderEpoch) {
        if (p.validatedLeaderEpoch < 0) {
          p.validatedLeaderEpoch = epoch;
          continue;
        }
        p.state = "AWAIT_VALIDATION";
      }
    }
  }
}
