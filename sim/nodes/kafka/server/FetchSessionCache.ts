/**
 * The leader's half of incremental fetch sessions (KIP-227, 1.1+; kafka.server.FetchSession.scala):
 * the sessions a broker keeps in memory (lost when it restarts), at most
 * max.incremental.fetch.session.cache.slots of them, each holding its client's partitions with
 * their last fetch data and what the client was last told of them.
 *
 * FetchManager.newContext: a full request (epoch 0) drops the session it names and answers every
 * partition; if the cache has room (FetchSessionCache.maybeCreateSession, evicting a session idle
 * for 120 s, or for a follower the smallest consumer session with fewer partitions) its answer
 * opens a session. An incremental request must name a live session at its epoch
 * (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH otherwise); it updates the session's
 * partitions (FetchSession.update: new ones at the end, then the forgotten ones removed; a
 * session left empty is closed and the fetch answered without one) and the leader reads every
 * partition of the session, not only those the request named (IncrementalFetchContext
 * .foreachPartition), with the fetch data cached for the others (from 2.1 to 2.4 without their
 * current leader epoch, KAFKA-9338). The answer names only the partitions with records, a new
 * high watermark or log start offset, or an error (CachedPartition.maybeUpdateResponseData);
 * those named move to the end of the session's order (updateAndGenerateResponseData; from 3.0,
 * KAFKA-12330, only those that returned records), so the next answer starts with the others.
 *
 * Before 2.5 (KAFKA-9137) an incremental fetch touched its session only when the session's size
 * changed, and then at its old last use, so busy sessions looked idle two minutes after they
 * opened; eviction matters only when the cache is full, which its 1000 slots are not in any
 * built-in scenario. Preferred read replicas (2.4+) and diverging epochs (2.8+), which also name
 * a partition, are not modelled; nor is the answer's epoch re-check (only a duplicate request,
 * which no client here sends, could fail it), nor a closing consumer's FINAL_EPOCH fetch (3.5+,
 * KAFKA-7109), which frees its session at once rather than after two idle minutes.
 */
import type { ErrorCode, FetchPartition, FetchPartitionResponse, FetchRequest } from "../common/protocol.js";
import { partitionKey } from "../common/partitionKey.js";
import type { Partition } from "../cluster/Partition.js";
import { INITIAL_EPOCH, INVALID_SESSION_ID, nextEpoch } from "../clients/FetchSessionHandler.js";

/** KafkaServer.MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS. */
const EVICTION_US = 120_000_000;

export interface CachedPartition {
  readonly key: string;
  data: FetchPartition;
  /** What the client was last told (INVALID_HIGH_WATERMARK -1 at first and after an error: the next answer names it). */
  highWatermark: number;
  logStartOffset: number;
  /** The broker's Partition for the key as last looked up, and the replica manager's partitionsVersion then (-1: never). */
  found?: Partition;
  foundAt: number;
}

class FetchSession {
  epoch = 1;
  lastUsedUs: number;
  readonly creationUs: number;
  /** Set by FetchSessionCache.touch: the size its EvictableKey has, and which eviction lists hold it. */
  cachedSize = -1;
  evictableByAll = false;
  evictableByPrivileged = false;

  constructor(
    readonly id: number,
    readonly privileged: boolean,
    /** By key; `order` holds the same entries in session order. */
    readonly partitions: Map<string, CachedPartition>,
    readonly order: CachedPartition[],
    nowUs: number,
  ) {
    this.lastUsedUs = nowUs;
    this.creationUs = nowUs;
  }

  /** The session's keys in no particular order (what a parked fetch watches), made anew when a partition joins or leaves. */
  private keyList: readonly string[] | null = null;

  get keys(): readonly string[] {
    return (this.keyList ??= this.order.map((c) => c.key));
  }

  add(c: CachedPartition): void {
    this.partitions.set(c.key, c);
    this.order.push(c);
    this.keyList = null;
  }

  remove(key: string): void {
    const c = this.partitions.get(key);
    if (c === undefined) return;
    this.partitions.delete(key);
    this.order.splice(this.order.indexOf(c), 1);
    this.keyList = null;
  }

  moveToEnd(c: CachedPartition): void {
    const i = this.order.indexOf(c);
    if (i < 0 || i === this.order.length - 1) return;
    this.order.splice(i, 1);
    this.order.push(c);
  }
}

/** EvictableKey.compareTo: privileged last, then by size, then by id. */
function compareKeys(aPrivileged: boolean, aSize: number, aId: number, b: FetchSession): number {
  if (aPrivileged !== b.privileged) return aPrivileged ? 1 : -1;
  if (aSize !== b.cachedSize) return aSize - b.cachedSize;
  return aId - b.id;
}

export interface FetchSessionSettings {
  /** max.incremental.fetch.session.cache.slots. */
  maxSlots: number;
  /** The broker process's incarnation (session ids differ between lives). */
  incarnation: number;
  /** 3.0+ (KAFKA-12330): only partitions that returned records move to the end of the session. */
  movesOnlyPartitionsWithRecords: boolean;
  /** 2.5+ (KAFKA-9338): the cached fetch data keeps the current leader epoch. */
  cachesLeaderEpoch: boolean;
  /** 2.5+ (KAFKA-9137): every incremental fetch touches its session (before, only a change of its size, keeping its last use). */
  touchesEveryFetch: boolean;
}

/** How the leader answers one Fetch: which partitions to read, and how to cut the answer down. */
export type FetchContext =
  | { kind: "error"; error: ErrorCode }
  | { kind: "sessionless" | "full"; partitions: FetchPartition[] }
  /**
   * Every partition of the session, in its order, with what its client was last told; the
   * fetch offsets are the cached ones. From 2.1 to 2.4 (KAFKA-9338) they are read without their
   * current leader epoch.
   */
  | { kind: "incremental"; entries: CachedPartition[]; session: FetchSession; withoutLeaderEpoch: boolean };

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private nextId: number;

  /**
   * Kafka draws a random non-zero id; here ids count up from one that differs per process
   * incarnation, so a client still holding a session of the broker's previous life gets
   * FETCH_SESSION_ID_NOT_FOUND rather than someone else's session.
   */
  constructor(private readonly s: FetchSessionSettings) {
    this.nextId = s.incarnation * 1_000_000 + 1;
  }

  /** FetchManager.newContext. */
  newContext(req: FetchRequest, nowUs: number): FetchContext {
    const sessionId = req.sessionId ?? INVALID_SESSION_ID;
    const epoch = req.sessionEpoch ?? INITIAL_EPOCH;
    if (epoch === INITIAL_EPOCH || epoch < 0) {
      if (sessionId !== INVALID_SESSION_ID) this.sessions.delete(sessionId);
      // FINAL_EPOCH (-1): the client wants no session.
      return { kind: epoch < 0 ? "sessionless" : "full", partitions: req.partitions };
    }
    const session = this.sessions.get(sessionId);
    if (session === undefined) return { kind: "error", error: "FETCH_SESSION_ID_NOT_FOUND" };
    if (session.epoch !== epoch) return { kind: "error", error: "INVALID_FETCH_SESSION_EPOCH" };
    for (const p of req.partitions) {
      const key = partitionKey(p.topic, p.partition);
      const cached = session.partitions.get(key);
      if (cached === undefined) session.add({ key, data: p, highWatermark: -1, logStartOffset: -1, foundAt: -1 });
      else cached.data = p;
    }
    for (const f of req.forgotten ?? []) session.remove(partitionKey(f.topic, f.partition));
    if (session.partitions.size === 0) {
      this.sessions.delete(session.id);
      return { kind: "sessionless", partitions: [] };
    }
    if (this.s.touchesEveryFetch) this.touch(session, nowUs);
    else if (session.partitions.size !== session.cachedSize) this.touch(session, session.lastUsedUs);
    session.epoch = nextEpoch(session.epoch);
    // KAFKA-9338: 2.1 - 2.4 cached every partition's fetch data without its current leader epoch (CachedPartition.reqData).
    return { kind: "incremental", entries: session.order, session, withoutLeaderEpoch: !this.s.cachesLeaderEpoch };
  }

  /**
   * FullFetchContext / SessionlessFetchContext.updateAndGenerateResponseData: every partition read
   * is answered; a full fetch opens a session if there is room. Returns the session id to send.
   */
  respondFull(ctx: Extract<FetchContext, { kind: "full" | "sessionless" }>, read: FetchPartitionResponse[], isFollower: boolean, nowUs: number): number {
    return ctx.kind === "full" ? this.maybeCreateSession(ctx.partitions, read, isFollower, nowUs) : INVALID_SESSION_ID;
  }

  /**
   * IncrementalFetchContext.updateAndGenerateResponseData: of the partitions that may have news
   * (`candidates`, read as `read`; the caller leaves out those with no records and the high
   * watermark and log start offset their client was told), those to answer, in session order.
   */
  respondIncremental(session: FetchSession, candidates: readonly CachedPartition[], read: FetchPartitionResponse[]): FetchPartitionResponse[] {
    const out: FetchPartitionResponse[] = [];
    let moved: CachedPartition[] | null = null;
    for (let i = 0; i < read.length; i++) {
      const cached = candidates[i];
      if (!mustRespond(cached, read[i])) continue;
      out.push(read[i]);
      if (!this.s.movesOnlyPartitionsWithRecords || read[i].batches.length > 0) (moved ??= []).push(cached);
    }
    if (moved !== null) for (const c of moved) session.moveToEnd(c);
    return out;
  }

  /** FetchSessionCache.maybeCreateSession: a new session when there is a slot, or one can be freed. */
  private maybeCreateSession(partitions: FetchPartition[], read: FetchPartitionResponse[], privileged: boolean, nowUs: number): number {
    if (this.s.maxSlots <= 0) return INVALID_SESSION_ID;
    if (this.sessions.size >= this.s.maxSlots && !this.tryEvict(privileged, partitions.length, nowUs)) return INVALID_SESSION_ID;
    const id = this.nextId++;
    const session = new FetchSession(id, privileged, new Map(), [], nowUs);
    partitions.forEach((p, i) => {
      const c: CachedPartition = { key: partitionKey(p.topic, p.partition), data: p, highWatermark: -1, logStartOffset: -1, foundAt: -1 };
      mustRespond(c, read[i]);
      session.add(c);
    });
    this.sessions.set(id, session);
    this.touch(session, nowUs);
    return id;
  }

  /**
   * FetchSessionCache.touch: the session's last use, and its place in the eviction lists as of
   * now: any session created over 120 s ago is evictable by all, and a consumer's (unprivileged)
   * session is always evictable by a follower.
   */
  private touch(session: FetchSession, nowUs: number): void {
    session.lastUsedUs = nowUs;
    session.cachedSize = session.partitions.size;
    const old = nowUs - session.creationUs > EVICTION_US;
    session.evictableByPrivileged = !session.privileged || old;
    session.evictableByAll = old;
  }

  /**
   * FetchSessionCache.tryEvict: the least recently used session if unused for over 120 s; else
   * the first session of the new one's eviction list (a follower's: evictableByPrivileged, a
   * consumer's: evictableByAll), if the new session's key (privileged, size, id 0) is not below it.
   */
  private tryEvict(privileged: boolean, size: number, nowUs: number): boolean {
    let lru: FetchSession | null = null;
    for (const s of this.sessions.values()) if (lru === null || s.lastUsedUs < lru.lastUsedUs || (s.lastUsedUs === lru.lastUsedUs && s.id < lru.id)) lru = s;
    if (lru === null) return false;
    if (nowUs - lru.lastUsedUs > EVICTION_US) {
      this.sessions.delete(lru.id);
      return true;
    }
    let first: FetchSession | null = null;
    for (const s of this.sessions.values()) {
      if (!(privileged ? s.evictableByPrivileged : s.evictableByAll)) continue;
      if (first === null || compareKeys(s.privileged, s.cachedSize, s.id, first) < 0) first = s;
    }
    if (first === null || compareKeys(privileged, size, 0, first) < 0) return false;
    this.sessions.delete(first.id);
    return true;
  }

  /** A broker keeps its sessions in memory only. */
  clear(): void {
    this.sessions.clear();
  }

  get size(): number {
    return this.sessions.size;
  }
}

/** CachedPartition.maybeUpdateResponseData: whether the answer names the partition; what the client is told is remembered. */
function mustRespond(c: CachedPartition, r: FetchPartitionResponse): boolean {
  let must = r.batches.length > 0;
  if (c.highWatermark !== r.highWatermark) {
    must = true;
    c.highWatermark = r.highWatermark;
  }
  if (c.logStartOffset !== r.logStartOffset) {
    must = true;
    c.logStartOffset = r.logStartOffset;
  }
  if (r.error !== "NONE") {
    c.highWatermark = -1;
    must = true;
  }
  return must;
}
