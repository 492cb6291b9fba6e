/**
 * KIP-227's incremental fetch sessions (1.1+): the client's FetchSessionHandler, the leader's
 * FetchSessionCache, and what they do to a run's Fetch requests.
 */
import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { FetchSessionHandler } from "../sim/nodes/kafka/clients/FetchSessionHandler.js";
import { FetchSessionCache, type FetchSessionSettings } from "../sim/nodes/kafka/server/FetchSessionCache.js";
import type { FetchPartition, FetchPartitionResponse, FetchRequest } from "../sim/nodes/kafka/common/protocol.js";
import { formatProblem, loadScenario } from "../scenarios/loader.js";
import { runScenario } from "../scenarios/runner.js";

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

const part = (partition: number, fetchOffset: number, currentLeaderEpoch = 0): FetchPartition => ({ topic: "t", partition, fetchOffset, currentLeaderEpoch, logStartOffset: 0 });
const names = (ps: ReadonlyArray<{ partition: number }>): number[] => ps.map((p) => p.partition);
const answer = (partition: number, highWatermark: number, records = 0): FetchPartitionResponse => ({
  topic: "t",
  partition,
  error: "NONE",
  highWatermark,
  logEndOffset: highWatermark,
  logStartOffset: 0,
  batches: Array.from({ length: records }, () => ({ baseOffset: 0, count: 1, bytes: 100, leaderEpoch: 0, producerId: -1, baseSequence: -1, producer: "p", firstIndex: 0 })),
});

describe("FetchSessionHandler (the client)", () => {
  it("sends every partition first, then only the added and altered ones, and lists the dropped ones as forgotten", () => {
    const h = new FetchSessionHandler(true);
    const first = h.build([part(0, 10), part(1, 20), part(2, 30)]);
    expect([names(first.partitions), first.sessionId, first.sessionEpoch]).toEqual([[0, 1, 2], 0, 0]);
    expect(h.handleResponse({ partitions: [], error: "NONE", sessionId: 7 })).toBe(true);
    const idle = h.build([part(0, 10), part(1, 20), part(2, 30)]);
    expect([names(idle.partitions), idle.sessionId, idle.sessionEpoch, idle.forgotten]).toEqual([[], 7, 1, []]);
    h.handleResponse({ partitions: [], error: "NONE", sessionId: 7 });
    // Partition 3 is new, 1 moved on, 2 dropped: added first, then altered in session order.
    const next = h.build([part(3, 0), part(0, 10), part(1, 25)]);
    expect([names(next.partitions), next.sessionEpoch, names(next.forgotten)]).toEqual([[3, 1], 2, [2]]);
  });

  it("starts over with a full request after a failed request or a session error", () => {
    const h = new FetchSessionHandler(true);
    h.build([part(0, 1)]);
    h.handleResponse({ partitions: [], error: "NONE", sessionId: 9 });
    h.build([part(0, 1)]);
    h.handleError();
    const again = h.build([part(0, 1)]);
    // nextCloseExistingAttemptNew: the old session named, epoch 0.
    expect([names(again.partitions), again.sessionId, again.sessionEpoch]).toEqual([[0], 9, 0]);
    h.handleResponse({ partitions: [], error: "NONE", sessionId: 10 });
    h.build([part(0, 1)]);
    expect(h.handleResponse({ partitions: [], error: "FETCH_SESSION_ID_NOT_FOUND", sessionId: 0 })).toBe(false);
    const fresh = h.build([part(0, 1)]);
    expect([names(fresh.partitions), fresh.sessionId, fresh.sessionEpoch]).toEqual([[0], 0, 0]);
  });

  it("rejects an incremental answer naming a partition outside the session", () => {
    const h = new FetchSessionHandler(true);
    h.build([part(0, 1)]);
    h.handleResponse({ partitions: [], error: "NONE", sessionId: 3 });
    h.build([part(0, 1)]);
    expect(h.handleResponse({ partitions: [answer(5, 1)], error: "NONE", sessionId: 3 })).toBe(false);
    expect(h.build([part(0, 1)]).sessionEpoch).toBe(0);
  });

  it("before 1.1 (no sessions) names every partition in every request", () => {
    const h = new FetchSessionHandler(false);
    h.build([part(0, 1), part(1, 1)]);
    h.handleResponse({ partitions: [] });
    expect(names(h.build([part(0, 1), part(1, 1)]).partitions)).toEqual([0, 1]);
  });
});

/** The leader's answer for what was read: every partition of a full fetch; of an incremental one, those read that have news. */
function respondTo(cache: FetchSessionCache, ctx: ReturnType<FetchSessionCache["newContext"]>, read: FetchPartitionResponse[], isFollower: boolean, nowUs: number): { partitions: FetchPartitionResponse[]; sessionId: number } {
  if (ctx.kind === "error") throw new Error(ctx.error);
  if (ctx.kind !== "incremental") return { partitions: read, sessionId: cache.respondFull(ctx, read, isFollower, nowUs) };
  const candidates = read.map((r) => ctx.entries.find((c) => c.data.partition === r.partition)!);
  return { partitions: cache.respondIncremental(ctx.session, candidates, read), sessionId: ctx.session.id };
}

/** The partitions an incremental context reads, in the session's order. */
function order(ctx: ReturnType<FetchSessionCache["newContext"]>): number[] {
  if (ctx.kind !== "incremental") throw new Error(`not incremental: ${ctx.kind}`);
  return ctx.entries.map((c) => c.data.partition);
}

const settings = (o: Partial<FetchSessionSettings> = {}): FetchSessionSettings => ({ maxSlots: 1000, incarnation: 1, movesOnlyPartitionsWithRecords: true, cachesLeaderEpoch: true, touchesEveryFetch: true, ...o });
const fetch = (partitions: FetchPartition[], sessionId = 0, sessionEpoch = 0, forgotten: FetchRequest["forgotten"] = []): FetchRequest => ({ replicaId: 2, maxWaitMs: 500, minBytes: 1, maxBytes: 1 << 20, partitions, sessionId, sessionEpoch, forgotten });

describe("FetchSessionCache (the leader)", () => {
  it("opens a session on a full fetch and then answers only partitions with records or a new high watermark", () => {
    const cache = new FetchSessionCache(settings());
    const full = cache.newContext(fetch([part(0, 5), part(1, 5), part(2, 5)]), 0);
    if (full.kind === "error") throw new Error(full.error);
    const opened = respondTo(cache, full, [answer(0, 5), answer(1, 5), answer(2, 5)], true, 0);
    expect(names(opened.partitions)).toEqual([0, 1, 2]);
    expect(opened.sessionId).toBeGreaterThan(0);
    const inc = cache.newContext(fetch([], opened.sessionId, 1), 1);
    if (inc.kind === "error") throw new Error(inc.error);
    // The leader reads every partition of the session, not only the (none) the request named.
    expect(order(inc)).toEqual([0, 1, 2]);
    const r = respondTo(cache, inc, [answer(0, 5, 1), answer(1, 6), answer(2, 5)], true, 1);
    expect(names(r.partitions)).toEqual([0, 1]);
    // 3.0+ (KAFKA-12330): only the partition that returned records goes to the end of the session.
    const after = cache.newContext(fetch([], opened.sessionId, 2), 2);
    expect(order(after)).toEqual([1, 2, 0]);
  });

  it("before 3.0 moves every partition it answered to the end", () => {
    const cache = new FetchSessionCache(settings({ movesOnlyPartitionsWithRecords: false }));
    const full = cache.newContext(fetch([part(0, 5), part(1, 5), part(2, 5)]), 0);
    if (full.kind === "error") throw new Error(full.error);
    const id = respondTo(cache, full, [answer(0, 5), answer(1, 5), answer(2, 5)], true, 0).sessionId;
    const inc = cache.newContext(fetch([], id, 1), 1);
    if (inc.kind === "error") throw new Error(inc.error);
    respondTo(cache, inc, [answer(0, 6), answer(1, 6), answer(2, 5)], true, 1);
    expect(order(cache.newContext(fetch([], id, 2), 2))).toEqual([2, 0, 1]);
  });

  it("answers FETCH_SESSION_ID_NOT_FOUND and INVALID_FETCH_SESSION_EPOCH, and keeps no session with no slots", () => {
    const cache = new FetchSessionCache(settings());
    expect(cache.newContext(fetch([part(0, 1)], 12345, 1), 0)).toEqual({ kind: "error", error: "FETCH_SESSION_ID_NOT_FOUND" });
    const full = cache.newContext(fetch([part(0, 1)]), 0);
    if (full.kind === "error") throw new Error(full.error);
    const id = respondTo(cache, full, [answer(0, 1)], true, 0).sessionId;
    expect(cache.newContext(fetch([], id, 5), 1)).toEqual({ kind: "error", error: "INVALID_FETCH_SESSION_EPOCH" });
    const none = new FetchSessionCache(settings({ maxSlots: 0 }));
    const ctx = none.newContext(fetch([part(0, 1)]), 0);
    if (ctx.kind === "error") throw new Error(ctx.error);
    expect(respondTo(none, ctx, [answer(0, 1)], true, 0).sessionId).toBe(0);
  });

  it("when full, a follower evicts a consumer's session, a consumer evicts only one idle for 120 s", () => {
    const cache = new FetchSessionCache(settings({ maxSlots: 1 }));
    const open = (follower: boolean, nowUs: number): number => {
      const ctx = cache.newContext({ ...fetch([part(0, 1)]), replicaId: follower ? 2 : -1 }, nowUs);
      if (ctx.kind === "error") throw new Error(ctx.error);
      return respondTo(cache, ctx, [answer(0, 1)], follower, nowUs).sessionId;
    };
    expect(open(false, 0)).toBeGreaterThan(0);
    expect(open(false, 1_000_000)).toBe(0);
    expect(open(true, 2_000_000)).toBeGreaterThan(0);
    expect(open(true, 3_000_000)).toBe(0);
    expect(open(false, 200_000_000)).toBeGreaterThan(0);
  });

  it("when full, a consumer evicts a session over 120 s old (touched since) only for one with more partitions", () => {
    const cache = new FetchSessionCache(settings({ maxSlots: 1 }));
    const openConsumer = (partitions: number, nowUs: number): number => {
      const ctx = cache.newContext({ ...fetch(Array.from({ length: partitions }, (_, i) => part(i, 1))), replicaId: -1 }, nowUs);
      if (ctx.kind === "error") throw new Error(ctx.error);
      return respondTo(cache, ctx, Array.from({ length: partitions }, (_, i) => answer(i, 1)), false, nowUs).sessionId;
    };
    const id = openConsumer(1, 0);
    // An incremental fetch at 130 s touches it: from then it is evictable by all (FetchSessionCache.touch).
    expect(cache.newContext({ ...fetch([], id, 1), replicaId: -1 }, 130_000_000).kind).toBe("incremental");
    expect(openConsumer(1, 131_000_000)).toBe(0);
    expect(openConsumer(2, 132_000_000)).toBeGreaterThan(0);
  });
});

/** Partitions named per follower Fetch request (from a broker), from the trace. */
function followerFetchPartitions(version: string): { requests: number; partitions: number; sessionErrors: number } {
  const file = "scenarios/acks-all-leader-crash.yaml";
  const r = loadScenario(readFileSync(file, "utf8"), file, [{ key: "kafka.version", value: version }]);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  let requests = 0;
  let partitions = 0;
  let sessionErrors = 0;
  runScenario(r.scenario, {
    seed: 1,
    traceSink: (line) => {
      if (!line.includes('"Fetch"')) return;
      const rec = JSON.parse(line) as { type: string; data: { client: string; partitions?: number; error?: string } };
      if (rec.type === "request" && rec.data.client.startsWith("broker-")) [requests, partitions] = [requests + 1, partitions + (rec.data.partitions ?? 0)];
      if (rec.type === "response" && (rec.data.error ?? "").includes("FETCH_SESSION")) sessionErrors++;
    },
  });
  return { requests, partitions, sessionErrors };
}

describe("fetch sessions in a run", () => {
  it("from 1.1 a follower's fetches name only the partitions that moved; before, every partition it follows", () => {
    const old = followerFetchPartitions("1.0");
    const now = followerFetchPartitions("3.6");
    expect(old.requests).toBeGreaterThan(100);
    expect(now.requests).toBeGreaterThan(100);
    expect(now.partitions / now.requests).toBeLessThan(old.partitions / old.requests);
    expect(old.sessionErrors).toBe(0);
  });
});
