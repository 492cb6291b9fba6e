/**
 * Issue 9: any document the loader accepts runs, with its simulated time capped, within a wall
 * time bound and without an internal error; nothing the loader reads reaches a built-in
 * prototype. The documents come from scripts/fuzz/generate.ts (random documents of the schema's
 * shape, mutated built-ins, extreme numbers, prototype keys, alias bombs, random Kafka configs,
 * text mutations), the same generator as `npx tsx scripts/fuzz.ts`, which runs many more of them
 * in child processes (hangs and aborts).
 *
 * FUZZ_SEED and FUZZ_RUNS (environment) replay or widen a run; a failure prints fast-check's seed
 * and path and the counterexample (the case's kind, what was done to it, and its text).
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { fuzzCase, type FuzzCase } from "../scripts/fuzz/generate.js";
import { checkDocument, type CheckResult } from "../scripts/fuzz/check.js";
import { loadScenario, formatProblem } from "../scenarios/loader.js";
import { runScenario } from "../scenarios/runner.js";
// Type-only, so that `npm run typecheck` (tsconfig.json does not include scripts/) checks the script too.
import type {} from "../scripts/fuzz.js";

/** The run's cap: enough for the brokers to start and the producers to send (from ~1.5 s). */
const UNTIL_US = 3_000_000;
/** Wall time one case may take (load, build, run to the cap, reports) on a shared CI machine. */
const WALL_BOUND_MS = 30_000;
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

/**
 * Internal errors the fuzzer found in code outside its remit, reported and not yet fixed: the
 * property lets these through (counted and printed) so that the suite stays green, and fails on
 * anything else. FUZZ_STRICT=1 fails on these too. Remove an entry once its fix lands.
 */
const KNOWN: Array<{ what: string; pattern: RegExp }> = [
  // Found and fixed: negative timeouts Kafka's ConfigDef accepts (modelled or refused per release,
  // test/zero-configs.test.ts); ReplicaFetcher's recursion per partition (a loop now, below); a
  // config key of another release read by the model (KafkaConfig.merge leaves it out now).
];
const STRICT = process.env.FUZZ_STRICT === "1";

const stalled: Array<{ c: FuzzCase; r: CheckResult }> = [];
const known: Array<{ c: FuzzCase; what: string }> = [];
const counts: Record<string, number> = {};
let slowest = { ms: 0, note: "" };
let totalMs = 0;

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

afterAll(() => {
  // Stalls are allowed (the CLI's exit 3), but worth knowing about; so are the known bugs.
  const lines = [`fuzz: ${JSON.stringify(counts)} in ${(totalMs / 1000).toFixed(1)} s; slowest ${slowest.ms} ms (${slowest.note})`];
  if (stalled.length > 0) lines.push("stalled runs:", ...stalled.map(({ c, r }) => `  ${c.kind}: ${c.note.slice(0, 120)} (sim seed ${c.seed}): ${r.detail}`));
  if (known.length > 0) lines.push("known internal errors (see KNOWN):", ...known.map(({ c, what }) => `  ${what}: ${c.kind}: ${c.note.slice(0, 120)}`));
  console.log(lines.join("\n"));
});

describe("fuzzed scenario documents (issue 9)", () => {
  it(
    "any document the loader accepts runs to a capped time within a wall bound, without an internal error or prototype pollution",
    async () => {
      const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
      await fc.assert(
        fc.asyncProperty(fuzzCase(), async (c) => {
          // Let the test runner's RPC through between cases (each case is synchronous work).
          await new Promise<void>((resolve) => setImmediate(resolve));
          const r = checkDocument(c.text, { seed: c.seed, untilUs: UNTIL_US, reports: true });
          counts[r.verdict] = (counts[r.verdict] ?? 0) + 1;
          totalMs += r.wallMs;
          if (r.wallMs > slowest.ms) slowest = { ms: r.wallMs, note: `${c.kind}: ${c.note.slice(0, 100)}` };
          if (r.verdict === "stalled") stalled.push({ c, r });
          const what = `${c.kind} case (${c.note.slice(0, 300)}), sim seed ${c.seed}`;
          const bug = r.verdict === "internal-error" && !STRICT ? KNOWN.find((k) => k.pattern.test(r.detail ?? "")) : undefined;
          if (bug !== undefined) {
            known.push({ c, what: bug.what });
            return;
          }
          expect(r.verdict, `${what}: ${r.detail ?? ""}`).not.toBe("internal-error");
          expect(r.verdict, `${what}: ${r.detail ?? ""}`).not.toBe("pollution");
          expect(["rejected", "time", "stalled"]).toContain(r.verdict);
          expect(r.wallMs, `${what}: ${r.wallMs} ms of wall time (${r.events} events)`).toBeLessThan(WALL_BOUND_MS);
        }),
        // Each case costs up to a few seconds, so no shrinking: the seed, path and counterexample
        // are printed, and FUZZ_SEED replays the run.
        { numRuns: RUNS, seed: SEED, endOnFailure: true, verbose: 1 },
      );
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore);
    },
    // The whole property: RUNS cases in well under a minute on an idle core.
    600_000,
  );
});

describe("what the fuzzer found (issue 9)", () => {
  const refused = (text: string): string => {
    const r = loadScenario(text, "f.yaml");
    return r.ok ? "accepted" : r.problems.map(formatProblem).join("\n");
  };
  const base = (cluster: string, rest = ""): string => `name: f\nduration: 10s\ncluster: { brokers: 3${cluster} }\ntopics: [{ name: t, partitions: 6, replication.factor: 3 }]\n${rest}`;

  it("an alias used as a key is checked against __proto__, constructor and prototype", () => {
    expect(refused("description: &k constructor\nname: f\nduration: 1s\ncluster:\n  brokers: 1\n  config:\n    *k : 1\n")).toMatch(/^f\.yaml:7:5: .*not "constructor" \(refused/);
    expect(refused("description: &k __proto__\nname: f\nduration: 1s\ncluster:\n  brokers: 1\n  config:\n    *k : { num.io.threads: 0 }\n")).toMatch(/^f\.yaml:7:5: .*not "__proto__" \(refused/);
  });

  it("refuses cluster sizes that blew time or memory, each at its place", () => {
    expect(refused(base(""))).toBe("accepted");
    const brokers = `[${Array.from({ length: 1001 }, (_, i) => `{ id: ${i} }`).join(", ")}]`;
    expect(refused(`name: f\nduration: 1s\ncluster: { brokers: ${brokers} }\n`)).toMatch(/cluster\.brokers: expected at most 1,000 brokers \(got 1,001\)/);
    expect(refused(base("", "consumers: [{ group: a, members: 1000, topic: t }, { group: b, members: 1000, topic: t }]\n"))).toMatch(/consumers: expected at most 2,000 hosts/);
    expect(refused(base("").replace("partitions: 6", "partitions: 5000"))).toMatch(/topics: expected at most 10,000 partition replicas over all topics \(partitions × replication\.factor\), got 15,000/);
    const keyed = "producers: [{ id: a, topic: t, rate: 10/s, messageBytes: 10, keys: 600000 }, { id: b, topic: t, rate: 10/s, messageBytes: 10, keys: 600000 }]\n";
    expect(refused(base("", keyed))).toMatch(/producers: expected at most 1,000,000 keys over all producers \(got 1,200,000\)/);
    expect(refused(base("", "producers: [{ id: a, topic: t, rate: 2000000/s, messageBytes: 10 }]\n"))).toMatch(/producers\[0\]\.rate: expected at most 10,000,000 records × partitions a second/);
    expect(refused(base("", "producers: [{ id: a, topic: t, rate: 1000000/s, messageBytes: 10 }]\n").replace("10s", "6m"))).toMatch(/duration: expected at most 2,000,000,000 records × partitions over the run/);
    expect(refused(base(", config: { num.io.threads: 2147483647 }"))).toMatch(/cluster\.config\.num\.io\.threads: expected at most 1,000/);
    expect(refused(base(", config: { log.segment.bytes: 14 }", "producers: [{ id: a, topic: t, rate: 1000/s, messageBytes: 100 }]\n"))).toMatch(/cluster\.config\.log\.segment\.bytes: expected at most 10,000 log segments over the run/);
    expect(refused(base("", "producers: [{ id: a, topic: t, rate: 10/s, messageBytes: 10, config: { max.in.flight.requests.per.connection: 101 } }]\n"))).toMatch(/producers\[0\]\.config\.max\.in\.flight\.requests\.per\.connection: expected at most 100/);
  });
});

describe("a fetch answer with thousands of partitions", () => {
  it("is applied without growing the stack per partition (2 brokers, 5,000 partitions, RF 2)", () => {
    const text = [
      "name: many-partitions",
      "duration: 3s",
      "settle: 0s",
      "cluster: { brokers: 2 }",
      "topics: [{ name: t, partitions: 5000, replication.factor: 2 }]",
      "producers: [{ id: p, topic: t, rate: 100/s, messageBytes: 100 }]",
      "",
    ].join("\n");
    const r = loadScenario(text, "many.yaml");
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
    const outcome = runScenario(r.scenario, { seed: 1 });
    expect(outcome.stopReason).toBe("time");
  }, 120_000);
});
