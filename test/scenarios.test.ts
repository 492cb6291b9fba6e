import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync, readdirSync } from "node:fs";
import { stringify } from "yaml";
import { loadScenario, formatProblem } from "../scenarios/loader.js";
import { runScenario } from "../scenarios/runner.js";
import { parseDuration, parseRate } from "../scenarios/units.js";
import { scenarioJsonSchema } from "../scenarios/schema.js";

const BUILTINS = readdirSync("scenarios").filter((f) => f.endsWith(".yaml"));

function load(file: string, sets: Array<{ key: string; value: string }> = []) {
  const r = loadScenario(readFileSync(`scenarios/${file}`, "utf8"), file, sets);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
  return r.scenario;
}

describe("units", () => {
  it("parses durations and rates to integers", () => {
    expect(parseDuration("30s")).toBe(30_000_000);
    expect(parseDuration("5ms")).toBe(5_000);
    expect(parseDuration("250us")).toBe(250);
    expect(parseDuration("1.5m")).toBe(90_000_000);
    expect(parseDuration("30 seconds")).toBeNull();
    expect(parseRate("1000/s")).toBe(1000);
    expect(parseRate("600/min")).toBe(10);
    expect(parseRate("fast")).toBeNull();
  });
});

describe("scenario loader", () => {
  it("never throws on random documents, only reports problems", () => {
    const anyDoc = fc.oneof(fc.anything(), fc.record({ name: fc.anything(), duration: fc.anything(), cluster: fc.anything(), faults: fc.anything() }, { requiredKeys: [] }));
    fc.assert(
      fc.property(anyDoc, fc.string(), (doc, junk) => {
        for (const text of [stringify(doc ?? null), junk, JSON.stringify(doc ?? null)]) {
          const r = loadScenario(text, "x.yaml");
          if (!r.ok) for (const p of r.problems) expect(formatProblem(p)).toMatch(/^x\.yaml(:\d+:\d+)?: /);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("reports every mistake on its own located line", () => {
    const text = [
      "name: bad",
      "duration: 30 seconds",
      "cluster:",
      "  brokers: 3",
      "  hardwre: ssd-10gbe",
      "topics:",
      "  - { name: t, partitions: 0, replication.factor: 3 }",
    ].join("\n");
    const r = loadScenario(text, "bad.yaml");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map(formatProblem)).toEqual([
      'bad.yaml:2:11: duration: expected a duration like 30s, 5ms, 250us, 2m or 1h (got "30 seconds")',
      'bad.yaml:5:12: cluster.hardwre: unknown field (did you mean "hardware"?)',
      "bad.yaml:7:28: topics[0].partitions: expected >= 1 (got 0)",
    ]);
  });

  it("checks names across the document", () => {
    const text = "name: x\nduration: 10s\ncluster: { brokers: 2 }\ntopics: [{ name: t, partitions: 1, replication.factor: 3 }]\nfaults: [{ at: 1s, crash: broker-7 }]\n";
    const r = loadScenario(text, "x.yaml");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const lines = r.problems.map(formatProblem);
    expect(lines[0]).toMatch(/^x\.yaml:4:\d+: topics\[0\]\.replication\.factor: expected at most the number of brokers, 2/);
    expect(lines[1]).toMatch(/^x\.yaml:5:\d+: faults\[0\]\.crash: expected a node/);
  });

  it("--set overrides configs and fields, and is validated like the file", () => {
    const s = load("steady-state.yaml", [
      { key: "producer.acks", value: "1" },
      { key: "broker.unclean.leader.election.enable", value: "true" },
      { key: "kafka.version", value: "0.10.2" },
      { key: "duration", value: "5s" },
    ]);
    expect(s.doc.producers?.[0].config).toEqual({ acks: 1 });
    expect(s.doc.cluster.config).toEqual({ "unclean.leader.election.enable": true });
    expect(s.kafkaVersion).toBe("0.10.2");
    expect(s.durationUs).toBe(5_000_000);
    const bad = loadScenario(readFileSync("scenarios/steady-state.yaml", "utf8"), "s.yaml", [{ key: "kafka.version", value: "9.9" }]);
    expect(bad.ok).toBe(false);
  });

  it("the committed JSON Schema is up to date (npm run schema)", () => {
    expect(JSON.parse(readFileSync("scenarios/scenario.schema.json", "utf8"))).toEqual(scenarioJsonSchema());
  });
});

describe("built-in scenarios", () => {
  // Three runs a test, one test a built-in: yield between them so the worker answers the
  // runner's RPC (a minute without doing so is "Timeout calling onTaskUpdate").
  afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
  for (const file of BUILTINS) {
    it(`${file}: same seed, same traceHash; another seed, another`, () => {
      const s = load(file);
      const h1 = runScenario(s, { seed: 7 }).world.sim.trace.hash;
      const h2 = runScenario(s, { seed: 7 }).world.sim.trace.hash;
      const h3 = runScenario(s, { seed: 8 }).world.sim.trace.hash;
      expect(h2).toBe(h1);
      expect(h3).not.toBe(h1);
    });
  }
});

describe("run-size limits (issue 9)", () => {
  it("refuses what would not run in bounded time or memory, each at its place: keys, rate, settle, records over the run", async () => {
    const { loadScenario, formatProblem } = await import("../scenarios/loader.js");
    const { readFileSync } = await import("node:fs");
    const steady = readFileSync("scenarios/steady-state.yaml", "utf8");
    const refused = (key: string, value: string, ...more: Array<{ key: string; value: string }>): string => {
      const r = loadScenario(steady, "steady-state.yaml", [{ key, value }, ...more]);
      return r.ok ? "accepted" : r.problems.map(formatProblem).join("\n");
    };
    expect(refused("producers.0.keys", "1000000000")).toMatch(/producers\[0\]\.keys: expected at most 1,000,000 keys/);
    expect(refused("producers.0.rate", "1000000000/s")).toMatch(/producers\[0\]\.rate: expected at most 10,000,000\/s/);
    expect(refused("settle", "1000000h")).toMatch(/settle: expected at most 24h/);
    expect(refused("duration", "24h", { key: "producers.0.rate", value: "2000/s" })).toMatch(/duration: expected at most 100,000,000 records over the run/);
    expect(refused("duration", "10m")).toBe("accepted");
  });
});

describe("Kafka configs checked as Kafka's ConfigDef checks them (issue 9)", () => {
  it("refuses a wrong type, a value out of the validator's range, and an unknown key with a hint, at the release", async () => {
    const { loadScenario, formatProblem } = await import("../scenarios/loader.js");
    const { readFileSync } = await import("node:fs");
    const steady = readFileSync("scenarios/steady-state.yaml", "utf8");
    const result = (...sets: Array<[string, string]>): string => {
      const r = loadScenario(steady, "steady-state.yaml", sets.map(([key, value]) => ({ key, value })));
      return r.ok ? "accepted" : r.problems.map(formatProblem).join("\n");
    };
    expect(result(["producer.linger.ms", "0.0001"])).toMatch(/linger\.ms: expected a whole number \(Kafka's LONG\)/);
    expect(result(["broker.num.io.threads", "1.5"])).toMatch(/num\.io\.threads: expected a whole number \(Kafka's INT\)/);
    expect(result(["broker.num.io.threads", "0"])).toMatch(/num\.io\.threads: expected at least 1 \(got 0\)/);
    expect(result(["broker.num.replica.fetchers", "0"])).toMatch(/num\.replica\.fetchers: expected at least 1/);
    expect(result(["broker.min.insync.replica", "2"])).toMatch(/did you mean "min\.insync\.replicas"\?/);
    expect(result(["producer.acks", "2"])).toMatch(/acks: expected one of all, -1, 0, 1/);
    // leader.imbalance.check.interval.seconds has atLeast(1) only from 3.2.
    expect(result(["broker.leader.imbalance.check.interval.seconds", "0"])).toMatch(/expected at least 1/);
    expect(result(["broker.leader.imbalance.check.interval.seconds", "0"], ["kafka.version", "3.1"])).not.toMatch(/leader\.imbalance/);
    // A key of another release is accepted and ignored, as Kafka does (AbstractConfig.logUnused); checked where it exists.
    expect(result(["producer.retry.backoff.max.ms", "500"])).toBe("accepted");
    expect(result(["producer.retry.backoff.max.ms", "-1"], ["kafka.version", "3.7"])).toMatch(/retry\.backoff\.max\.ms: expected at least 0/);
    expect(result(["producer.no.such.key", "1"])).toMatch(/expected a producer config the simulator models/);
  });
});

describe("YAML aliases (issue 9)", () => {
  it("an alias bomb and an alias to no anchor are located problems, not internal errors; a plain alias still works", async () => {
    const { loadScenario, formatProblem } = await import("../scenarios/loader.js");
    const head = "name: x\nduration: 5s\ncluster: { brokers: 1 }\n";
    const bomb = head + "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n";
    const text = (t: string): string => {
      const r = loadScenario(t, "a.yaml", []);
      return r.ok ? "accepted" : r.problems.map(formatProblem).join("\n");
    };
    expect(text(bomb)).toMatch(/^a\.yaml:\d+:\d+: .*expected aliases that expand at most 100 times/);
    expect(text("name: x\nduration: *nope\ncluster: { brokers: 1 }\n")).toMatch(/^a\.yaml:2:11: .*expected an alias to an anchor set before it \(got \*nope\)/);
    expect(text("name: x\nduration: &d 5s\nsettle: *d\ncluster: { brokers: 1 }\n")).toBe("accepted");
  });
});
