/**
 * A fast-check arbitrary for workloads (issue 13): the scenario file's `producers:` and
 * `consumers:` sections over a cluster's topics. Producers draw a topic, a rate, a record size,
 * arrivals and keys; consumer groups draw a topic, members, a processing time per record, a
 * commit strategy and whether the rebalance listener commits. Kafka configs of the clients are
 * kafkaConfigArb's (explore/configSpace.ts). It shrinks toward one producer at a low rate with
 * 200-byte keyless records and no consumer group, then toward one group of one member committing
 * after processing.
 *
 * The rate is bounded (default 5,000 records/s a producer) so that a property's runs stay cheap:
 * cost grows with the records produced (scenarios/model.ts LIMITS).
 */
import fc from "fast-check";
import type { ConsumerDocument, ProducerDocument } from "../scenarios/schema.js";
import { around } from "./arbitraries.js";

export interface WorkloadTopic {
  name: string;
  partitions: number;
}

export interface WorkloadOptions {
  /** At most this many producers (default 2) and consumer groups (default 2). */
  maxProducers?: number;
  maxGroups?: number;
  /** Records per second a producer at most (default 5,000). */
  maxRatePerSec?: number;
}

export interface Workload {
  producers: ProducerDocument[];
  consumers: ConsumerDocument[];
}

/** Strategies, simplest first (shrinking prefers the first). */
const COMMITS = ["sync", "auto", "async", "before-processing"] as const;

export function workloadArb(topics: readonly WorkloadTopic[], options: WorkloadOptions = {}): fc.Arbitrary<Workload> {
  if (topics.length === 0) throw new Error("workloadArb: expected at least one topic to produce to");
  const names = topics.map((t) => t.name);
  const maxRate = options.maxRatePerSec ?? 5_000;
  const producer = fc.record({
    topic: fc.constantFrom(...names),
    rate: fc.integer({ min: 1, max: maxRate }).map((r) => `${r}/s`),
    messageBytes: around(200, 1, 100_000),
    arrivals: fc.constantFrom<"poisson" | "constant">("poisson", "constant"),
    keys: fc.option(fc.integer({ min: 1, max: 1_000 }), { nil: undefined }),
  });
  const group = fc.record({
    topic: fc.constantFrom(...names),
    // Up to one member more than the widest topic has partitions: an idle member is a case too.
    members: fc.integer({ min: 1, max: Math.max(...topics.map((t) => t.partitions)) + 1 }),
    processingUs: fc.integer({ min: 0, max: 10_000 }),
    commit: fc.constantFrom(...COMMITS),
    commitOnRevoke: fc.boolean(),
  });
  return fc
    .tuple(fc.array(producer, { minLength: 1, maxLength: options.maxProducers ?? 2 }), fc.array(group, { maxLength: options.maxGroups ?? 2 }))
    .map(([ps, gs]) => ({
      producers: ps.map((p, i) => {
        const doc: ProducerDocument = { id: `p${i + 1}`, topic: p.topic, rate: p.rate, messageBytes: p.messageBytes, arrivals: p.arrivals };
        if (p.keys !== undefined) doc.keys = p.keys;
        return doc;
      }),
      consumers: gs.map((g, i) => {
        const doc: ConsumerDocument = { group: `g${i + 1}`, members: g.members, topic: g.topic, processing: `${g.processingUs}us`, commit: g.commit };
        if (g.commitOnRevoke) doc.commitOnRevoke = true;
        return doc;
      }),
    }));
}
