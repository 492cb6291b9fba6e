/** `--set` reads each value as the type the scenario schema expects at its path. */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { applyOverrides, expectedKinds, type Override } from "../scenarios/overrides.js";
import { formatProblem, loadScenario } from "../scenarios/loader.js";

const STEADY = readFileSync("scenarios/steady-state.yaml", "utf8");
const set = (key: string, value: string): Override => ({ key, value });

function doc(): Record<string, any> {
  return {
    name: "x",
    duration: "10s",
    cluster: { brokers: 3 },
    topics: [{ name: "t", partitions: 1, "replication.factor": 3 }],
    producers: [{ id: "p", topic: "t", rate: "10/s", messageBytes: 100, config: { acks: 1 } }],
    faults: [{ at: "5s", crash: "broker-1" }],
  };
}

function apply(...overrides: Override[]) {
  const d = doc();
  const problems = applyOverrides(d, overrides);
  return { d, problems };
}

describe("--set parses a value as the schema's type at that path", () => {
  it("a version stays a string, whatever it looks like", () => {
    expect(apply(set("kafka.version", "2.8")).d.kafka).toEqual({ version: "2.8" });
    expect(apply(set("kafka.version", "3.10")).d.kafka).toEqual({ version: "3.10" }); // not 3.1
    const r = loadScenario(STEADY, "steady-state.yaml", [set("kafka.version", "2.8")]);
    expect(r.ok && r.scenario.doc.kafka?.version).toBe("2.8");
  });

  it("names and durations stay strings; counts become numbers; flags become booleans", () => {
    const { d, problems } = apply(set("name", "1234"), set("faults.0.crash", "true"), set("cluster.brokers", "5"), set("producers.0.messageBytes", "512"), set("faults[0].at", "40s"));
    expect(problems).toEqual([]);
    expect(d.name).toBe("1234");
    expect(d.faults[0]).toEqual({ at: "40s", crash: "true" });
    expect(d.cluster.brokers).toBe(5);
    expect(d.producers[0].messageBytes).toBe(512);
    expect(apply(set("cluster.os.vm.dirty_ratio", "40")).d.cluster.os).toEqual({ "vm.dirty_ratio": 40 });
  });

  it("a Kafka config map keeps each value's natural type", () => {
    const { d, problems } = apply(
      set("producers[0].config.acks", "all"),
      set("producers[0].config.linger.ms", "5"),
      set("producers[0].config.enable.idempotence", "false"),
      set("topics[0].config.min.insync.replicas", "2"),
      set("broker.unclean.leader.election.enable", "true"),
      set("producer.batch.size", "16384"),
    );
    expect(problems).toEqual([]);
    expect(d.producers[0].config).toEqual({ acks: "all", "linger.ms": 5, "enable.idempotence": false, "batch.size": 16384 });
    expect(d.topics[0].config).toEqual({ "min.insync.replicas": 2 });
    expect(d.cluster.config).toEqual({ "unclean.leader.election.enable": true });
    expect(expectedKinds(["producers", "0", "config", "acks"])).toEqual(new Set(["string", "number", "boolean"]));
  });

  it("keys with dots in the schema resolve by the longest name", () => {
    expect(expectedKinds(["topics", "0", "replication", "factor"])).toEqual(new Set(["integer"]));
    expect(expectedKinds(["cluster", "os", "vm", "dirty_expire_centisecs"])).toEqual(new Set(["integer"]));
    expect(expectedKinds(["nonsense"])).toBeNull();
  });

  it("a value that cannot be the expected type is a located problem", () => {
    expect(apply(set("cluster.brokers", "many")).problems).toEqual([{ path: ["--set cluster.brokers"], message: 'expected an integer or a list (got "many")' }]);
    expect(apply(set("producers[0].messageBytes", "big")).problems[0].message).toBe('expected an integer (got "big")');
    expect(apply(set("faults", "[]")).problems[0].message).toMatch(/^expected a list, which cannot be written on the command line/);
    const r = loadScenario(STEADY, "steady-state.yaml", [set("cluster.zookeeper.nodes", "three")]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map(formatProblem)).toEqual(['steady-state.yaml: --set cluster.zookeeper.nodes: expected a number (got "three")']);
  });

  it("the index one past a list's end adds an item; further is a problem", () => {
    const { d, problems } = apply(set("faults.1.at", "50s"), set("faults.1.restart", "broker-1"));
    expect(problems).toEqual([]);
    expect(d.faults[1]).toEqual({ at: "50s", restart: "broker-1" });
    expect(apply(set("faults.3.at", "50s")).problems[0].message).toBe('expected an index from 0 to 1 into faults (got "3")');
  });

  it("~ still removes a key", () => {
    expect(apply(set("faults.0.crash", "~")).d.faults[0]).toEqual({ at: "5s" });
  });
});

describe("--set creates the sections a file leaves out", () => {
  it("nested sections and lists as the schema has them", () => {
    const d: Record<string, any> = { name: "x", duration: "1s", cluster: { brokers: 1 } };
    expect(applyOverrides(d, [set("cluster.zookeeper.nodes", "3"), set("consumers[0].group", "g"), set("cluster.os.vm.dirty_ratio", "30")])).toEqual([]);
    expect(d.cluster.zookeeper).toEqual({ nodes: 3 });
    expect(d.consumers).toEqual([{ group: "g" }]);
    expect(d.cluster.os).toEqual({ "vm.dirty_ratio": 30 });
  });
});

describe("untrusted keys (issue 9)", () => {
  it("--set refuses __proto__, constructor and prototype, and leaves Object.prototype alone", () => {
    for (const key of ["__proto__.polluted", "producer.constructor", "cluster.prototype.x", "producers[0].__proto__.polluted"]) {
      const r = loadScenario(STEADY, "steady-state.yaml", [set(key, "1")]);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problems.map(formatProblem).join("\n")).toMatch(/object prototype/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a document with such a key gets a located error before it becomes objects", () => {
    const text = "name: x\nduration: 5s\ncluster:\n  brokers: 1\n  config: { __proto__: { polluted: 1 } }\n";
    const r = loadScenario(text, "proto.yaml", []);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatProblem(r.problems[0])).toMatch(/^proto\.yaml:5:13: .*"__proto__"/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
