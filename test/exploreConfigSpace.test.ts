import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { configKeys, kafkaConfigArb, validConfigArb, workloadArb } from "../index.js";
import { configDefAt, BROKER_CONFIG_DEFS, CONSUMER_CONFIG_DEFS, PRODUCER_CONFIG_DEFS } from "../sim/nodes/kafka/common/configDefs.js";
import { loadScenario } from "../scenarios/loader.js";
import { overridesOf } from "../explore/configSpace.js";
import type { KafkaVersion } from "../sim/nodes/kafka/common/versions.js";

const SEED = 20261122;
const TEXT = readFileSync("test/fixtures/acks-all-min-isr2.yaml", "utf8");
const TABLES = { broker: BROKER_CONFIG_DEFS, producer: PRODUCER_CONFIG_DEFS, consumer: CONSUMER_CONFIG_DEFS } as const;

function withVersion(text: string, version: string): string {
  return text.replace(/version: "3\.6"/, `version: "${version}"`);
}

describe("kafkaConfigArb: any modelled Kafka config with a value its release accepts", () => {
  for (const version of ["0.10.2", "2.3", "3.6"] as KafkaVersion[]) {
    for (const scope of ["broker", "producer", "consumer"] as const) {
      it(`${scope} configs at ${version}: every value is within the key's ConfigDef, and the draws reach most keys`, () => {
        const draws = fc.sample(kafkaConfigArb(scope, version), { seed: SEED, numRuns: 150 });
        const seen = new Set<string>();
        for (const sets of draws) {
          for (const s of sets) {
            const [key, value] = [s.slice(scope.length + 1, s.indexOf("=")), s.slice(s.indexOf("=") + 1)];
            seen.add(key);
            const def = configDefAt(TABLES[scope], key, version)!;
            expect(def, `${key} is declared at ${version}`).toBeDefined();
            if (def.type === "INT" || def.type === "LONG") {
              const n = Number(value);
              expect(Number.isInteger(n), s).toBe(true);
              if (def.min !== undefined) expect(n, s).toBeGreaterThanOrEqual(def.min);
              if (def.max !== undefined) expect(n, s).toBeLessThanOrEqual(def.max);
            }
            if (def.in !== undefined) expect(def.in, s).toContain(value);
          }
        }
        expect(seen.size).toBeGreaterThan(configKeys(scope, version).length / 2);
      });

      // Values valid one by one can still be refused together (Kafka's rules across keys, such as
      // retries > 0 with idempotence) or by the simulator's limits (offsets.topic.num.partitions at
      // 2^31 - 1 is two billion replicas): validConfigArb keeps what validate accepts.
      it(`validConfigArb, ${scope} configs at ${version}: validate accepts every draw, and the draws still reach most keys`, () => {
        const text = withVersion(TEXT, version);
        const draws = fc.sample(validConfigArb(text, scope, version), { seed: SEED, numRuns: 100 });
        const seen = new Set<string>();
        for (const sets of draws) {
          for (const s of sets) seen.add(s.slice(0, s.indexOf("=")));
          const loaded = loadScenario(text, "config-space", overridesOf(sets));
          expect(loaded.ok ? [] : loaded.problems, sets.join(" ")).toEqual([]);
        }
        expect(seen.size).toBeGreaterThan(configKeys(scope, version).length / 2);
      });
    }
  }

  it("shrinks to one key, then to the release's default value", () => {
    const r = fc.check(fc.property(kafkaConfigArb("broker", "3.6"), (s) => s.length === 0), { seed: SEED });
    expect(r.counterexample![0]).toHaveLength(1);
    const one = fc.check(fc.property(kafkaConfigArb("broker", "3.6", { keys: ["num.io.threads"] }), (s) => s.length === 0), { seed: SEED });
    expect(one.counterexample![0]).toEqual(["broker.num.io.threads=8"]);
  });

  it("refuses a key the release does not model with a range", () => {
    expect(() => kafkaConfigArb("producer", "0.10.2", { keys: ["partitioner.ignore.keys"] })).toThrow(/not modelled with a range at Kafka 0.10.2/);
  });
});

describe("workloadArb: producers and consumer groups over the cluster's topics", () => {
  const base = { name: "w", description: "x", duration: "10s", kafka: { version: "3.6" }, cluster: { brokers: 3 }, topics: [{ name: "a", partitions: 3, "replication.factor": 3 }, { name: "b", partitions: 1, "replication.factor": 3 }] };

  it("every drawn workload is a scenario validate accepts", () => {
    const draws = fc.sample(workloadArb([{ name: "a", partitions: 3 }, { name: "b", partitions: 1 }]), { seed: SEED, numRuns: 200 });
    const commits = new Set<string>();
    for (const w of draws) {
      expect(w.producers.length).toBeGreaterThan(0);
      for (const c of w.consumers) commits.add(c.commit!);
      const loaded = loadScenario(stringify({ ...base, ...w }), "workload");
      expect(loaded.ok ? [] : loaded.problems, JSON.stringify(w)).toEqual([]);
    }
    expect([...commits].sort()).toEqual(["async", "auto", "before-processing", "sync"]);
  });

  it("shrinks toward one keyless producer of 200-byte records at 1 record/s and no group", () => {
    const r = fc.check(fc.property(workloadArb([{ name: "a", partitions: 3 }]), () => false), { seed: SEED });
    expect(r.counterexample![0]).toEqual({ producers: [{ id: "p1", topic: "a", rate: "1/s", messageBytes: 200, arrivals: "poisson" }], consumers: [] });
  });
});
