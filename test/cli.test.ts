import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, existsSync, readdirSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kafkasim } from "./helpers/cli.js";
import { SIMULATION_V8_FLAGS } from "../heapTuning.js";

/** A module for `node --import` that makes every run throw: an internal error on demand. */
function failureHook(): string {
  const hook = join(mkdtempSync(join(tmpdir(), "kafkasim-hook-")), "break.mjs");
  writeFileSync(hook, `import { Simulation } from ${JSON.stringify(join(process.cwd(), "dist/sim/Simulation.js"))};\nSimulation.prototype.run = () => { throw new Error("injected failure"); };\n`);
  return hook;
}

describe("kafkasim CLI", () => {
  it("the kafkasim command's #! line starts node with the simulation's V8 flags (SIMULATION_V8_FLAGS)", () => {
    const first = readFileSync("dist/cli.js", "utf8").split("\n")[0];
    expect(first).toBe(`#!/usr/bin/env -S node ${SIMULATION_V8_FLAGS.join(" ")}`);
  });

  it("run --json prints one document with the promised fields, and the same traceHash twice", async () => {
    const a = await kafkasim("run", "steady-state", "--seed", "7", "--json");
    const b = await kafkasim("run", "steady-state", "--seed", "7", "--json");
    expect(a.code).toBe(0);
    const ra = JSON.parse(a.out);
    for (const k of ["scenario", "seed", "traceHash", "events", "simulatedUs", "wallMs", "ok", "checks", "metrics", "repro"]) expect(ra).toHaveProperty(k);
    for (const k of ["lostAcked", "duplicates", "reordered", "divergence", "unavailableMs", "produceLatencyMs.p50", "produceLatencyMs.p99", "produceLatencyMs.p999", "produceLatencyMs.max", "throughput.recordsPerSec", "throughput.bytesPerSec", "throughput.fromUs", "throughput.toUs", "produceStallMs"]) {
      expect(typeof k.split(".").reduce((o: Record<string, unknown>, p) => o[p] as Record<string, unknown>, ra.metrics)).toBe("number");
    }
    expect(ra.repro).toBe("npx kafkasim run steady-state --seed 7");
    expect(JSON.parse(b.out).traceHash).toBe(ra.traceHash);
    expect(JSON.parse((await kafkasim("run", "steady-state", "--seed", "8", "--json")).out).traceHash).not.toBe(ra.traceHash);
  });

  it("validate prints one located line per mistake and exits 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "name: x\nduration: soon\ncluster: { brokers: -1 }\nproducers: [{ id: p, topic: t, rate: 10/s }]\n");
    const r = await kafkasim("validate", file);
    expect(r.code).toBe(2);
    const lines = r.err.trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) expect(l).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: \\S+: `));
    expect(r.err).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it("bad usage exits 2 with a message", async () => {
    expect((await kafkasim("run", "steady-state", "--set", "duration=5s", "--set", "producers=[]")).code).toBe(2);
    const listSet = await kafkasim("run", "crash-keeps-page-cache", "--set", "faults=[]");
    expect(listSet.code).toBe(2); // a list cannot be set from the command line: reported, not run
    expect((await kafkasim("run", "steady-state", "--seed", "-3")).code).toBe(2);
    expect((await kafkasim("run", "no-such-scenario")).err).toMatch(/no built-in scenario/);
    expect((await kafkasim("frobnicate")).code).toBe(2);
  });

  it("--set reads a value as the schema's type: a version stays a string; a wrong type is one located line, exit 2", async () => {
    expect((await kafkasim("validate", "steady-state", "--set", "kafka.version=2.8", "--set", "producers[0].config.acks=all")).code).toBe(0);
    const bad = await kafkasim("validate", "steady-state", "--set", "cluster.brokers=many");
    expect(bad.code).toBe(2);
    expect(bad.err.trim()).toBe('steady-state (built-in): --set cluster.brokers: expected an integer or a list (got "many")');
  });

  it("a check that does not hold exits 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-"));
    const file = join(dir, "s.yaml");
    writeFileSync(file, readFileSync("scenarios/steady-state.yaml", "utf8").replace("lostAcked: 0", 'lostAcked: "> 0"').replace("duration: 60s", "duration: 5s"));
    const r = await kafkasim("run", file);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL\s+lostAcked > 0/);
  });

  it("--trace writes JSON Lines and never overwrites a file silently", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-"));
    const trace = join(dir, "t.jsonl");
    expect((await kafkasim("run", "steady-state", "--set", "duration=2s", "--trace", trace)).code).toBe(0);
    const first = readFileSync(trace, "utf8").split("\n")[0];
    expect(JSON.parse(first)).toHaveProperty("t");
    const again = await kafkasim("run", "steady-state", "--set", "duration=2s", "--trace", trace);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/exists; pass --force/);
    expect(existsSync(trace)).toBe(true);
  });

  it("list names the built-ins, one line each that fits a terminal; --json has each whole description", async () => {
    const items = JSON.parse((await kafkasim("list", "--json")).out) as Array<{ name: string; description: string }>;
    const names = items.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(["steady-state", "rack-power-loss", "crash-keeps-page-cache", "network-partition"]));
    expect(items.find((i) => i.name === "unclean-election")!.description.length).toBeGreaterThan(300);
    const lines = (await kafkasim("list")).out.trimEnd().split("\n");
    expect(lines.length).toBe(names.length);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
    expect(lines.find((l) => l.startsWith("unclean-election"))).toMatch(/^unclean-election\s+The classic data-loss story\.$/);
  });

  it("--version prints the package's version", async () => {
    const r = await kafkasim("--version");
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
  });

  it("a seed: in the file is used; --seed overrides it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-"));
    const file = join(dir, "s.yaml");
    writeFileSync(file, readFileSync("scenarios/steady-state.yaml", "utf8").replace("duration: 60s", "duration: 2s\nseed: 5"));
    const fromFile = JSON.parse((await kafkasim("run", file, "--json")).out);
    const five = JSON.parse((await kafkasim("run", "steady-state", "--seed", "5", "--set", "duration=2s", "--json")).out);
    const one = JSON.parse((await kafkasim("run", file, "--seed", "1", "--json")).out);
    expect(fromFile.seed).toBe(5);
    expect(fromFile.repro).toMatch(/--seed 5$/);
    expect(fromFile.traceHash).toBe(five.traceHash);
    expect(one.seed).toBe(1);
    expect(one.traceHash).not.toBe(fromFile.traceHash);
  });

  it("describe --json gives the cluster as data, with where ZooKeeper runs; --at past the end warns and describes the end", async () => {
    const r = await kafkasim("describe", "unclean-election", "--at", "50s", "--json");
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.atUs).toBe(50_000_000);
    expect(s.topics[0].partitions[0]).toEqual({ partition: 0, leader: expect.any(Number), replicas: expect.any(Array), isr: expect.any(Array), leaderEpoch: expect.any(Number) });
    expect(s.hosts.find((h: { role: string }) => h.role === "zookeeper")).toMatchObject({ name: "zk-1", rack: expect.any(String) });
    const late = await kafkasim("describe", "steady-state", "--at", "10000s", "--set", "duration=2s", "--set", "settle=1s", "--json");
    expect(late.code).toBe(0);
    expect(late.err).toMatch(/warning: --at 10000s is past the end of the run \(duration \+ settle = 3s\)/);
    expect(JSON.parse(late.out).atUs).toBe(3_000_000);
  });

  it("ZooKeeper nodes go on the cluster's racks in turn, or on zookeeper.racks", async () => {
    const placed = async (sets: string[]) => JSON.parse((await kafkasim("describe", "steady-state", "--at", "0s", "--json", ...sets.flatMap((x) => ["--set", x]))).out).hosts.filter((h: { role: string }) => h.role === "zookeeper").map((h: { rack: string }) => h.rack);
    expect(await placed(["cluster.zookeeper.nodes=3"])).toEqual(["a", "b", "c"]);
    expect(await placed(["cluster.zookeeper.nodes=3", "cluster.zookeeper.racks.0=c"])).toEqual(["c", "c", "c"]);
    const bad = await kafkasim("validate", "steady-state", "--set", "cluster.zookeeper.racks.0=q");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/cluster\.zookeeper\.racks\[0\]: expected one of the cluster's racks/);
  });

  it("outputs are checked before the run: a missing directory, a directory, the same path twice, each exit 2 with nothing run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-"));
    mkdirSync(join(dir, "sub"));
    const cases: Array<[string[], RegExp]> = [
      [["--trace", join(dir, "nope", "t.jsonl")], /--trace .*: no such directory/],
      [["--timeline", join(dir, "sub")], /--timeline .*: is a directory/],
      [["--trace", join(dir, "x"), "--timeline", join(dir, "sub", "..", "x")], /the same file as --trace/],
    ];
    for (const [args, message] of cases) {
      const r = await kafkasim("run", "steady-state", ...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.out).toBe(""); // refused before running
    }
    expect(readdirSync(dir)).toEqual(["sub"]); // nothing left behind
  });

  it("an output that fails during the run is reported after the summary, exit 2, and no partial file is left", async () => {
    const r = await kafkasim("run", "steady-state", "--set", "duration=2s", "--trace", "/dev/full");
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^result\s+ok/m); // the summary is complete
    expect(r.err).toMatch(/--trace \/dev\/full: could not be written \(ENOSPC\)/);
    // A run that does not finish (here an injected internal error) leaves no file and no temporary.
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-"));
    const hook = failureHook();
    const broken = spawnSync(process.execPath, ["--import", hook, "dist/cli.js", "run", "steady-state", "--trace", join(dir, "t.jsonl"), "--timeline", join(dir, "t.json")], { encoding: "utf8" });
    expect(broken.status).toBe(70);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("the timeline draws every acknowledged batch (no cap)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-"));
    const file = join(dir, "t.json");
    const run = JSON.parse((await kafkasim("run", "steady-state", "--set", "duration=30s", "--set", "producers.0.config.linger.ms=0", "--timeline", file, "--json")).out);
    const t = JSON.parse(readFileSync(file, "utf8"));
    const drawn = t.traceEvents.filter((e: { ph: string }) => e.ph === "b").length;
    expect(drawn).toBeGreaterThan(20_000);
    expect(drawn).toBeLessThanOrEqual(run.metrics.acked);
  });

  it("an internal error exits 70 with the repro line and a request for a report", async () => {
    const hook = failureHook();
    const r = spawnSync(process.execPath, ["--import", hook, "dist/cli.js", "run", "steady-state", "--seed", "4"], { encoding: "utf8" });
    expect(r.status).toBe(70);
    expect(r.stderr).toMatch(/internal error: injected failure/);
    expect(r.stderr).toMatch(/^repro\s+npx kafkasim run steady-state --seed 4$/m);
    expect(r.stderr).toMatch(/Please report it/);
  });

  it("describe --at prints partitions in kafka-topics.sh --describe style", async () => {
    const r = await kafkasim("describe", "unclean-election", "--at", "50s");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Topic: orders\tPartition: 0\tLeader: \d\tReplicas: \d,\d,\d\tIsr: \d\t/);
    expect((await kafkasim("describe", "unclean-election", "--at", "soon")).code).toBe(2);
  });

  it("--timeline writes Chrome/Perfetto trace JSON with broker and partition tracks", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-"));
    const file = join(dir, "t.json");
    expect((await kafkasim("run", "acks1-leader-failover", "--timeline", file)).code).toBe(0);
    const t = JSON.parse(readFileSync(file, "utf8"));
    const names = t.traceEvents.map((e: { name: string; ph: string; args?: { name?: string } }) => (e.ph === "M" ? e.args?.name : e.name));
    expect(names).toContain("broker-1");
    expect(names).toContain("orders-0");
    expect(names.some((n: string) => n.startsWith("fault: crash"))).toBe(true);
    expect(t.traceEvents.some((e: { ph: string }) => e.ph === "C")).toBe(true);
    expect((await kafkasim("run", "acks1-leader-failover", "--timeline", file)).code).toBe(2);
  });
});
