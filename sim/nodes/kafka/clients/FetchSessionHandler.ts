/**
 * The client's half of an incremental fetch session (KIP-227, Kafka 1.1+; FetchSessionHandler,
 * used by the consumer's fetcher and by a follower's fetcher thread alike): the first request to
 * a leader is a full one, naming every partition (session id 0, epoch 0). If the leader's answer
 * carries a session id, later requests are incremental: they name only the partitions added or
 * whose fetch data changed since the last request (a follower's fetch offset moves with every
 * append, an idle partition's does not), and list those dropped as forgotten; the leader answers
 * only for partitions with something new (FetchSession.scala). Each good answer moves the epoch
 * on; an answer with a session error, or a request that failed, makes the next request full.
 *
 * Before 1.1 (Fetch < v7), and when the leader has no room for a session, every request is full.
 */
import type { FetchPartition, FetchRequest, FetchResponse } from "../common/protocol.js";
import { partitionKey } from "../common/partitionKey.js";

/** FetchMetadata.INITIAL_EPOCH / INVALID_SESSION_ID. */
export const INITIAL_EPOCH = 0;
export const INVALID_SESSION_ID = 0;

/** What a built request carries of the session. */
export interface SessionRequest {
  /** The partitions the request names: all of them (full) or the changed ones (incremental). */
  partitions: FetchPartition[];
  sessionId: number;
  sessionEpoch: number;
  forgotten: Array<{ topic: string; partition: number }>;
}

interface SessionEntry {
  data: FetchPartition;
  /** The build that last named it (entries not named by the current build are forgotten). */
  mark: number;
  /** Its fetch data changed in that build. */
  altered: boolean;
}

export class FetchSessionHandler {
  private sessionId = INVALID_SESSION_ID;
  private nextEpoch = INITIAL_EPOCH;
  /** What the leader's session holds, as of the last request built (FetchSessionHandler.sessionPartitions), in its order. */
  private readonly session = new Map<string, SessionEntry>();
  private builds = 0;

  constructor(private readonly enabled: boolean) {}

  /**
   * FetchSessionHandler.Builder.build: the request for these partitions, in this order. `keys`, when
   * given, are their partition keys; a caller that passes the same FetchPartition object again for
   * a partition whose fetch data did not change spares the comparison.
   */
  build(next: FetchPartition[], keys?: readonly string[]): SessionRequest {
    if (!this.enabled) return { partitions: next, sessionId: INVALID_SESSION_ID, sessionEpoch: INITIAL_EPOCH, forgotten: NONE_FORGOTTEN };
    const mark = ++this.builds;
    const session = this.session;
    if (this.nextEpoch === INITIAL_EPOCH) {
      session.clear();
      for (let i = 0; i < next.length; i++) {
        const p = next[i];
        session.set(keys?.[i] ?? partitionKey(p.topic, p.partition), { data: p, mark, altered: false });
      }
      return { partitions: next, sessionId: this.sessionId, sessionEpoch: INITIAL_EPOCH, forgotten: NONE_FORGOTTEN };
    }
    // Builder.build: the added partitions (in the order given), then the altered ones (in session
    // order); those of the session not given are forgotten, unchanged ones are left out.
    const toSend: FetchPartition[] = [];
    let anyAltered = false;
    for (let i = 0; i < next.length; i++) {
      const p = next[i];
      const key = keys?.[i] ?? partitionKey(p.topic, p.partition);
      const had = session.get(key);
      if (had === undefined) {
        session.set(key, { data: p, mark, altered: false });
        toSend.push(p);
        continue;
      }
      had.altered = had.data !== p && !sameFetchData(had.data, p);
      anyAltered ||= had.altered;
      had.data = p;
      had.mark = mark;
    }
    let forgotten = NONE_FORGOTTEN;
    if (anyAltered || session.size !== next.length) {
      for (const [key, e] of session) {
        if (e.mark !== mark) {
          if (forgotten === NONE_FORGOTTEN) forgotten = [];
          forgotten.push({ topic: e.data.topic, partition: e.data.partition });
          session.delete(key);
        } else if (e.altered) toSend.push(e.data);
      }
    }
    return { partitions: toSend, sessionId: this.sessionId, sessionEpoch: this.nextEpoch, forgotten };
  }

  /**
   * FetchSessionHandler.handleResponse: whether the answer's partitions are to be processed.
   * A session error starts over with a full request: with no session for FETCH_SESSION_ID_NOT_FOUND,
   * closing this one (nextCloseExistingAttemptNew) for the others.
   */
  handleResponse(res: FetchResponse): boolean {
    if (!this.enabled) return true;
    const error = res.error ?? "NONE";
    if (error !== "NONE") {
      if (error === "FETCH_SESSION_ID_NOT_FOUND") this.sessionId = INVALID_SESSION_ID;
      this.nextEpoch = INITIAL_EPOCH;
      return false;
    }
    const sessionId = res.sessionId ?? INVALID_SESSION_ID;
    if (this.nextEpoch === INITIAL_EPOCH) {
      // A full answer: the session starts (epoch 1), or the leader had no room and keeps none.
      this.sessionId = sessionId;
      this.nextEpoch = sessionId === INVALID_SESSION_ID ? INITIAL_EPOCH : 1;
      return true;
    }
    // verifyIncrementalFetchResponsePartitions: an incremental answer names only partitions of the session.
    for (const r of res.partitions) {
      if (!this.session.has(partitionKey(r.topic, r.partition))) {
        this.nextEpoch = INITIAL_EPOCH;
        return false;
      }
    }
    if (sessionId === INVALID_SESSION_ID) {
      // The leader closed the session: the next request is full, without one.
      this.sessionId = INVALID_SESSION_ID;
      this.nextEpoch = INITIAL_EPOCH;
      return true;
    }
    this.nextEpoch = nextEpoch(this.nextEpoch);
    return true;
  }

  /** FetchSessionHandler.handleError: the request failed (disconnect, timeout); the next one closes the session and opens a new one. */
  handleError(): void {
    this.nextEpoch = INITIAL_EPOCH;
  }
}

const NONE_FORGOTTEN: Array<{ topic: string; partition: number }> = [];

/** FetchMetadata.nextEpoch: 1, 2, ... wrapping past Integer.MAX_VALUE to 1 (FINAL_EPOCH -1 stays). */
export function nextEpoch(epoch: number): number {
  return epoch < 0 ? -1 : epoch === 2_147_483_647 ? 1 : epoch + 1;
}

/**
 * FetchRequest.PartitionData.equals, on the fields a request carries here: fetch offset and log
 * start offset (1.1), current leader epoch (2.1+; -1 before). Max bytes never changes here.
 */
function sameFetchData(a: FetchPartition, b: FetchPartition): boolean {
  return a.fetchOffset === b.fetchOffset && a.currentLeaderEpoch === b.currentLeaderEpoch && (a.logStartOffset ?? -1) === (b.logStartOffset ?? -1);
}

/** Stamps a request body with what the session builder decided. */
export function withSession(req: Omit<FetchRequest, "partitions">, s: SessionRequest): FetchRequest {
  return {
    replicaId: req.replicaId,
    maxWaitMs: req.maxWaitMs,
    minBytes: req.minBytes,
    maxBytes: req.maxBytes,
    partitionMaxBytes: req.partitionMaxBytes,
    partitions: s.partitions,
    sessionId: s.sessionId,
    sessionEpoch: s.sessionEpoch,
    forgotten: s.forgotten,
  };
}
