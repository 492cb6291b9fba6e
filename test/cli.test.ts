import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The built CLI (npm test builds first), exactly as `npx kafkasim` runs it.
function kafkasim(...args: string[]) {
  const r = spawnSync(process.execPath, ["dist/cli.js", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("kafkasim CLI", () => {
  it("run --json prints one document with the promised fields, and the same traceHash twice", () => {
    const a = kafkasim("run", "steady-state", "--seed", "7", "--json");
    const b = kafkasim("run", "steady-state", "--seed", "7", "--json");
    expect(a.code).toBe(0);
    const ra = JSON.parse(a.out);
    for (const k of ["scenario", "seed", "traceHash", "events", "simulatedUs", "wallMs", "ok", "checks", "metrics", "repro"]) expect(ra).toHaveProperty(k);
    for (const k of ["lostAcked", "duplicates", "reordered", "divergence", "unavailableMs", "produceLatencyMs.p50", "produceLatencyMs.p99", "produceLatencyMs.p999", "produceLatencyMs.max", "throughput.recordsPerSec", "throughput.bytesPerSec", "throughput.fromUs", "throughput.toUs", "produceStallMs"]) {
      expect(typeof k.split(".").reduce((o: Record<string, unknown>, p) => o[p] as Record<string, unknown>, ra.metrics)).toBe("number");
    }
    expect(ra.repro).toBe("npx kafkasim run steady-state --seed 7");
    expect(JSON.parse(b.out).traceHash).toBe(ra.traceHash);
    expect(JSON.parse(kafkasim("run", "steady-state", "--seed", "8", "--json").out).traceHash).not.toBe(ra.traceHash);
  });

  it("validate prints one located line per mistake and exits 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "name: x\nduration: soon\ncluster: { brokers: -1 }\nproducers: [{ id: p, topic: t, rate: 10/s }]\n");
    const r = kafkasim("validate", file);
    expect(r.code).toBe(2);
    const lines = r.err.trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) expect(l).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: \\S+: `));
    expect(r.err).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it("bad usage exits 2 with a message", () => {
    expect(kafkasim("run", "steady-state", "--set", "duration=5s", "--set", "producers=[]").code).toBe(2);
    const listSet = kafkasim("run", "crash-keeps-page-cache", "--set", "faults=[]");
    expect(listSet.code).toBe(2); // a list cannot be set from the command line: reported, not run
    expect(kafkasim("run", "steady-state", "--seed", "-3").code).toBe(2);
    expect(kafkasim("run", "no-such-scenario").err).toMatch(/no built-in scenario/);
    expect(kafkasim("frobnicate").code).toBe(2);
  });

  it("--set reads a value as the schema's type: a version stays a string; a wrong type is one located line, exit 2", () => {
    expect(kafkasim("validate", "steady-state", "--set", "kafka.version=2.8", "--set", "producers[0].config.acks=all").code).toBe(0);
    const bad = kafkasim("validate", "steady-state", "--set", "cluster.brokers=many");
    expect(bad.code).toBe(2);
    expect(bad.err.trim()).toBe('steady-state (built-in): --set cluster.brokers: expected an integer or a list (got "many")');
  });

  it("a check that does not hold exits 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-"));
    const file = join(dir, "s.yaml");
    writeFileSync(file, readFileSync("scenarios/steady-state.yaml", "utf8").replace("lostAcked: 0", 'lostAcked: "> 0"').replace("duration: 60s", "duration: 5s"));
    const r = kafkasim("run", file);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL\s+lostAcked > 0/);
  });

  it("--trace writes JSON Lines and never overwrites a file silently", () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-"));
    const trace = join(dir, "t.jsonl");
    expect(kafkasim("run", "steady-state", "--set", "duration=2s", "--trace", trace).code).toBe(0);
    const first = readFileSync(trace, "utf8").split("\n")[0];
    expect(JSON.parse(first)).toHaveProperty("t");
    const again = kafkasim("run", "steady-state", "--set", "duration=2s", "--trace", trace);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/exists; pass --force/);
    expect(existsSync(trace)).toBe(true);
  });

  it("list names the built-ins", () => {
    const names = JSON.parse(kafkasim("list", "--json").out).map((s: { name: string }) => s.name);
    expect(names).toEqual(expect.arrayContaining(["steady-state", "rack-power-loss", "crash-keeps-page-cache", "network-partition"]));
  });

  it("describe --at prints partitions in kafka-topics.sh --describe style", () => {
    const r = kafkasim("describe", "unclean-election", "--at", "50s");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Topic: orders\tPartition: 0\tLeader: \d\tReplicas: \d,\d,\d\tIsr: \d\t/);
    expect(kafkasim("describe", "unclean-election", "--at", "soon").code).toBe(2);
  });

  it("--timeline writes Chrome/Perfetto trace JSON with broker and partition tracks", () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-"));
    const file = join(dir, "t.json");
    expect(kafkasim("run", "acks1-leader-failover", "--timeline", file).code).toBe(0);
    const t = JSON.parse(readFileSync(file, "utf8"));
    const names = t.traceEvents.map((e: { name: string; ph: string; args?: { name?: string } }) => (e.ph === "M" ? e.args?.name : e.name));
    expect(names).toContain("broker-1");
    expect(names).toContain("orders-0");
    expect(names.some((n: string) => n.startsWith("fault: crash"))).toBe(true);
    expect(t.traceEvents.some((e: { ph: string }) => e.ph === "C")).toBe(true);
    expect(kafkasim("run", "acks1-leader-failover", "--timeline", file).code).toBe(2);
  });
});
