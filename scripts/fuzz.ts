/**
 * Fuzzes the scenario loader and the simulator (issue 9): generated and mutated scenario
 * documents (scripts/fuzz/generate.ts), each loaded as the CLI loads a file and, when accepted,
 * run with its simulated time capped, in child processes so that a hang or an abort is seen and
 * counted rather than taking the fuzzer down.
 *
 *   npx tsx scripts/fuzz.ts --count 20000 [--seed S] [--workers 2] [--until 3s] [--timeout 60]
 *                           [--heap 2048] [--out /tmp/kafkasim-fuzz] [--kinds random,alias,...]
 *   npx tsx scripts/fuzz.ts --seed S --only I      one case, in this process, with its text
 *   npx tsx scripts/fuzz.ts --replay FILE...        the given documents, in workers as above (a
 *                                                   document saved by the fuzzer runs with its sim seed)
 *
 * Case I of seed S is the same document on every machine (fast-check, seeded per case). A run
 * ends at --until simulated time (runScenario's untilUs: the document is checked as written).
 * A case that takes longer than --timeout wall seconds is a hang (its worker is killed and
 * replaced); a worker that dies (V8 out of memory under --heap MB, a signal) is an abort.
 * Internal errors, hangs, aborts, prototype pollutions and stalled runs are saved under --out
 * (the document, and a .txt with the error and how to replay it); results.jsonl there has a line
 * per case. Exit status 0 when there was no internal error, hang, abort or pollution, else 1.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, createWriteStream } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { FUZZ_KINDS, nthCase, type FuzzCase, type FuzzKind } from "./fuzz/generate.js";
import { checkDocument, type CheckResult } from "./fuzz/check.js";
import type { WorkRequest, WorkResponse } from "./fuzz/worker.js";
import { parseDuration } from "../scenarios/units.js";

/** What became of one case: the checker's verdict, or what the parent saw happen to its worker. */
export type Outcome = CheckResult["verdict"] | "hang" | "abort";
const BAD: readonly Outcome[] = ["internal-error", "hang", "abort", "pollution"];

export interface CaseRecord {
  index: number;
  kind: FuzzKind | "file";
  note: string;
  seed: number;
  outcome: Outcome;
  wallMs: number;
  events?: number;
  simulatedUs?: number;
  hosts?: number;
  violations?: number;
  /** Where an internal error happened. */
  phase?: "load" | "run" | "report";
  detail?: string;
  problem?: string;
}

interface Options {
  count: number;
  seed: number;
  workers: number;
  untilUs: number;
  timeoutMs: number;
  heapMb: number;
  out: string;
  kinds: FuzzKind[];
  /** Documents to check instead of generated ones. */
  replay: string[];
}

function options(): Options & { only: number | null } {
  const { values, positionals } = parseArgs({
    options: {
      count: { type: "string", default: "20000" },
      seed: { type: "string", default: "1" },
      workers: { type: "string", default: "2" },
      until: { type: "string", default: "3s" },
      timeout: { type: "string", default: "60" },
      heap: { type: "string", default: "2048" },
      out: { type: "string", default: "/tmp/kafkasim-fuzz" },
      kinds: { type: "string", default: FUZZ_KINDS.join(",") },
      only: { type: "string" },
      replay: { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const int = (name: string, s: string): number => {
    if (!/^\d+$/.test(s)) throw new Error(`--${name} ${s}: expected a whole number`);
    return Number(s);
  };
  const untilUs = parseDuration(values.until);
  if (untilUs === null) throw new Error(`--until ${values.until}: expected a duration such as 3s`);
  const kinds = values.kinds.split(",").map((k) => k.trim());
  for (const k of kinds) if (!(FUZZ_KINDS as readonly string[]).includes(k)) throw new Error(`--kinds ${k}: expected some of ${FUZZ_KINDS.join(", ")}`);
  if (positionals.length > 0 && !values.replay) throw new Error(`unexpected ${positionals[0]}: documents to check go after --replay`);
  return {
    count: values.replay ? positionals.length : int("count", values.count),
    seed: int("seed", values.seed),
    workers: Math.max(1, int("workers", values.workers)),
    untilUs,
    timeoutMs: int("timeout", values.timeout) * 1000,
    heapMb: int("heap", values.heap),
    out: values.out,
    kinds: kinds as FuzzKind[],
    only: values.only === undefined ? null : int("only", values.only),
    replay: values.replay ? positionals : [],
  };
}

type AnyCase = Omit<FuzzCase, "kind"> & { kind: FuzzKind | "file" };

const WORKER = fileURLToPath(new URL("./fuzz/worker.ts", import.meta.url));

class Worker {
  child: ChildProcess;
  current: { c: AnyCase; index: number; started: number; timer: NodeJS.Timeout } | null = null;
  stderr = "";
  hung = false;
  /** Killed on purpose (no work left, or recycled): its exit is not an abort. */
  retired = false;
  ready: Promise<void>;

  constructor(private readonly heapMb: number) {
    // The parent's execArgv carries tsx's loader, so the child runs TypeScript too.
    this.child = fork(WORKER, [], { execArgv: [...process.execArgv, `--max-old-space-size=${heapMb}`], stdio: ["ignore", "ignore", "pipe", "ipc"] });
    this.child.stderr?.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.ready = new Promise((resolve) => this.child.once("message", () => resolve()));
  }
}

async function main(): Promise<void> {
  const opts = options();
  if (opts.only !== null) return only(opts, opts.only);
  const caseAt = (index: number): AnyCase => (opts.replay.length > 0 ? fileCase(opts.replay[index], opts.seed) : nthCase(opts.seed, index, opts.kinds));
  mkdirSync(opts.out, { recursive: true });
  const results = createWriteStream(`${opts.out}/results.jsonl`);
  const records: CaseRecord[] = [];
  const started = Date.now();
  let next = 0;
  let lastProgress = Date.now();
  const maxHeap = { mb: 0, index: -1 };

  const save = (r: CaseRecord, c: AnyCase): void => {
    const dir = `${opts.out}/${r.outcome}`;
    mkdirSync(dir, { recursive: true });
    const base = `${dir}/${String(r.index).padStart(6, "0")}-${r.kind}`;
    writeFileSync(`${base}.yaml`, c.text);
    const until = `${opts.untilUs / 1e6}s`;
    writeFileSync(
      `${base}.txt`,
      [
        `outcome   ${r.outcome}`,
        r.kind === "file" ? `case      ${c.note}` : `case      --seed ${opts.seed} --only ${r.index} (kind ${r.kind})`,
        `note      ${c.note}`,
        `sim seed  ${c.seed}, run capped at ${until}`,
        `wall      ${r.wallMs} ms`,
        r.kind === "file" ? `replay    npx tsx scripts/fuzz.ts --replay ${c.note} --until ${until}` : `replay    npx tsx scripts/fuzz.ts --seed ${opts.seed} --only ${r.index} --until ${until}`,
        `          npx kafkasim describe ${base}.yaml --at ${until} --seed ${c.seed}   (the same capped run)`,
        "",
        r.detail ?? "",
        "",
      ].join("\n"),
    );
  };

  const record = (r: CaseRecord, c: AnyCase): void => {
    records.push(r);
    results.write(JSON.stringify(r) + "\n");
    if (BAD.includes(r.outcome) || r.outcome === "stalled") save(r, c);
    if (BAD.includes(r.outcome)) process.stderr.write(`\n!! case ${r.index} (${r.kind}): ${r.outcome}: ${(r.detail ?? "").split("\n")[0]}\n`);
    if (Date.now() - lastProgress > 30_000) {
      lastProgress = Date.now();
      const s = (Date.now() - started) / 1000;
      process.stderr.write(`${records.length}/${opts.count} cases in ${s.toFixed(0)} s (${(records.length / s).toFixed(1)}/s), ${tally(records)}\n`);
    }
  };

  await new Promise<void>((finish) => {
    let live = 0;
    const dispatch = (w: Worker): void => {
      if (next >= opts.count) {
        w.retired = true;
        w.child.kill();
        if (--live === 0) finish();
        return;
      }
      const index = next++;
      const c = caseAt(index);
      const timer = setTimeout(() => {
        w.hung = true;
        w.child.kill("SIGKILL");
      }, opts.timeoutMs);
      w.current = { c, index, started: Date.now(), timer };
      w.stderr = "";
      const req: WorkRequest = { index, text: c.text, seed: c.seed, untilUs: opts.untilUs };
      w.child.send(req);
    };
    const spawn = (): void => {
      const w = new Worker(opts.heapMb);
      live++;
      w.child.on("message", (m: WorkResponse | { ready: true }) => {
        if (!("result" in m) || w.current === null) return;
        const { c, index, timer } = w.current;
        clearTimeout(timer);
        w.current = null;
        const res = m.result;
        if (m.heapUsedMb > maxHeap.mb) Object.assign(maxHeap, { mb: m.heapUsedMb, index });
        record(
          {
            index,
            kind: c.kind,
            note: c.note,
            seed: c.seed,
            outcome: res.verdict,
            wallMs: res.wallMs,
            events: res.events,
            simulatedUs: res.simulatedUs,
            hosts: res.hosts,
            violations: res.violations,
            phase: res.phase,
            detail: res.detail ?? (res.firstViolation !== undefined ? `invariant violation: ${res.firstViolation}` : undefined),
            problem: res.problems?.[0],
          },
          c,
        );
        // A worker whose heap grew past half its limit is replaced, so a later case is not blamed for it.
        if (m.heapUsedMb > opts.heapMb / 2) {
          w.retired = true;
          w.child.kill();
          live--;
          spawn();
        } else dispatch(w);
      });
      w.child.on("exit", (code, signal) => {
        const cur = w.current;
        if (w.retired) return;
        live--;
        if (cur === null) {
          // Died between cases: nothing to blame, carry on with a new one.
          spawn();
          return;
        }
        clearTimeout(cur.timer);
        w.current = null;
        const wallMs = Date.now() - cur.started;
        const what = w.hung ? `no answer within ${opts.timeoutMs / 1000} s (worker killed)` : `worker died: exit code ${code}, signal ${signal}`;
        record({ index: cur.index, kind: cur.c.kind, note: cur.c.note, seed: cur.c.seed, outcome: w.hung ? "hang" : "abort", wallMs, detail: `${what}\n${w.stderr.trim()}` }, cur.c);
        spawn();
      });
      void w.ready.then(() => dispatch(w));
    };
    for (let i = 0; i < Math.min(opts.workers, opts.count); i++) spawn();
    if (opts.count === 0) finish();
    process.once("SIGINT", () => {
      process.stderr.write("\ninterrupted: summary of the cases so far\n");
      next = opts.count;
      finish();
    });
  });
  results.end();
  const wallS = (Date.now() - started) / 1000;
  const summary = formatSummary(records, opts, wallS, maxHeap);
  process.stdout.write(summary);
  writeFileSync(`${opts.out}/summary.txt`, summary);
  process.exitCode = records.some((r) => BAD.includes(r.outcome)) ? 1 : 0;
  process.exit();
}

/** A document to replay: its simulation seed from the .txt the fuzzer saved beside it, else --seed. */
function fileCase(file: string, seed: number): AnyCase {
  let simSeed = seed;
  try {
    const m = /^sim seed +(\d+)/m.exec(readFileSync(file.replace(/\.ya?ml$/, ".txt"), "utf8"));
    if (m !== null) simSeed = Number(m[1]);
  } catch {
    // no saved companion: --seed
  }
  return { kind: "file", note: file, text: readFileSync(file, "utf8"), seed: simSeed };
}

function only(opts: Options, index: number): void {
  const c = nthCase(opts.seed, index, opts.kinds);
  process.stdout.write(`--- case ${index} of seed ${opts.seed}: ${c.kind}, sim seed ${c.seed}\n--- ${c.note}\n${c.text.length > 20_000 ? c.text.slice(0, 20_000) + `\n... (${c.text.length} characters)` : c.text}\n---\n`);
  const r = checkDocument(c.text, { seed: c.seed, untilUs: opts.untilUs, reports: true });
  process.stdout.write(JSON.stringify(r, null, 2) + "\n");
}

function tally(records: CaseRecord[]): string {
  const n = (o: Outcome): number => records.filter((r) => r.outcome === o).length;
  return `rejected ${n("rejected")}, accepted ${records.length - n("rejected")}, internal errors ${n("internal-error")}, hangs ${n("hang")}, aborts ${n("abort")}, pollutions ${n("pollution")}, stalled ${n("stalled")}`;
}

/** An internal error's signature: its first line with numbers blanked, and the first frame in the project. */
function signature(r: CaseRecord): string {
  const lines = (r.detail ?? "").split("\n");
  const head = lines[0].replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, "N").slice(0, 160);
  const frame = lines.find((l) => /^\s+at /.test(l) && !l.includes("node_modules") && !l.includes("node:"));
  return frame === undefined ? head : `${head}\n      ${frame.trim().replace(/\(.*\/(sim|scenarios|reports)\//, "($1/")}`;
}

function formatSummary(records: CaseRecord[], opts: Options, wallS: number, maxHeap: { mb: number; index: number }): string {
  const out: string[] = [];
  const count = (f: (r: CaseRecord) => boolean): number => records.filter(f).length;
  /** The loader did not refuse it (a hang or an abort happened in the worker that had it). */
  const accepted = (r: CaseRecord): boolean => r.outcome !== "rejected" && r.phase !== "load";
  out.push("");
  out.push(`kafkasim fuzz: ${records.length} cases, seed ${opts.seed}, ${opts.workers} workers, runs capped at ${opts.untilUs / 1e6} s simulated, ${opts.timeoutMs / 1000} s wall per case, heap ${opts.heapMb} MB`);
  out.push(`wall time ${(wallS / 60).toFixed(1)} min (${(records.length / wallS).toFixed(1)} cases/s)`);
  out.push("");
  const cols: Array<[string, (r: CaseRecord) => boolean]> = [
    ["cases", () => true],
    ["rejected", (r) => r.outcome === "rejected"],
    ["accepted", accepted],
    ["ran", (r) => r.outcome === "time"],
    ["stalled", (r) => r.outcome === "stalled"],
    ["internal", (r) => r.outcome === "internal-error"],
    ["hangs", (r) => r.outcome === "hang"],
    ["aborts", (r) => r.outcome === "abort"],
    ["pollution", (r) => r.outcome === "pollution"],
    ["violations", (r) => (r.violations ?? 0) > 0],
  ];
  out.push(["kind".padEnd(10), ...cols.map(([c]) => c.padStart(11))].join(""));
  for (const kind of [...FUZZ_KINDS, "file", "total"] as const) {
    const rows = kind === "total" ? records : records.filter((r) => r.kind === kind);
    if (rows.length === 0) continue;
    out.push([kind.padEnd(10), ...cols.map(([, f]) => String(rows.filter(f).length).padStart(11))].join(""));
  }
  out.push("");
  out.push("accepted: the loader did not refuse it (an internal error while loading is neither); ran: ran to the cap; internal: an");
  out.push("exception (load, run or reports), an \"internal error\" problem, or another stop reason; violations: runs with an invariant");
  out.push("violation (not counted as errors).");
  const bad = records.filter((r) => BAD.includes(r.outcome));
  if (bad.length > 0) {
    out.push("");
    out.push(`internal errors, hangs, aborts, pollutions (${bad.length}), by signature (documents under ${opts.out}/<outcome>/):`);
    const bySig = new Map<string, CaseRecord[]>();
    for (const r of bad) {
      const k = `${r.outcome}: ${signature(r)}`;
      bySig.set(k, [...(bySig.get(k) ?? []), r]);
    }
    for (const [sig, rs] of [...bySig].sort((a, b) => b[1].length - a[1].length)) {
      out.push(`  ${rs.length} × ${sig}`);
      out.push(`      cases ${rs.slice(0, 8).map((r) => r.index).join(", ")}${rs.length > 8 ? ", ..." : ""}; e.g. ${rs[0].note.slice(0, 160)}`);
    }
  }
  const stalled = records.filter((r) => r.outcome === "stalled");
  if (stalled.length > 0) {
    out.push("");
    out.push(`stalled runs (${stalled.length}; exit 3 in the CLI):`);
    for (const r of stalled.slice(0, 30)) out.push(`  case ${r.index} (${r.kind}) ${r.note.slice(0, 100)}: ${(r.detail ?? "").slice(0, 160)}`);
  }
  const violated = records.filter((r) => (r.violations ?? 0) > 0);
  if (violated.length > 0) {
    out.push("");
    out.push(`runs with invariant violations (${violated.length}):`);
    for (const r of violated.slice(0, 20)) out.push(`  case ${r.index} (${r.kind}) ${r.note.slice(0, 100)}: ${(r.detail ?? "").slice(0, 200)}`);
  }
  const slow = records.filter((r) => r.outcome === "time" || r.outcome === "stalled").sort((a, b) => b.wallMs - a.wallMs).slice(0, 8);
  out.push("");
  out.push("slowest runs:");
  for (const r of slow) out.push(`  case ${r.index} (${r.kind}) ${(r.wallMs / 1000).toFixed(1)} s, ${r.events} events, ${r.hosts} hosts: ${r.note.slice(0, 120)}`);
  const slowLoads = records.filter((r) => r.outcome === "rejected").sort((a, b) => b.wallMs - a.wallMs).slice(0, 3);
  out.push("slowest refusals:");
  for (const r of slowLoads) out.push(`  case ${r.index} (${r.kind}) ${(r.wallMs / 1000).toFixed(1)} s: ${r.note.slice(0, 120)}`);
  out.push(`largest worker heap after a case: ${maxHeap.mb} MB (case ${maxHeap.index})`);
  const reasons = new Map<string, number>();
  for (const r of records) {
    if (r.outcome !== "rejected" || r.problem === undefined) continue;
    const k = r.problem.replace(/^fuzz\.yaml(:\d+:\d+)?: /, "").replace(/\[\d+\]/g, "[]").replace(/\(got .*$/, "").replace(/\d[\d,]*/g, "N").slice(0, 100);
    reasons.set(k, (reasons.get(k) ?? 0) + 1);
  }
  out.push("");
  out.push("most frequent first problems of rejected cases:");
  for (const [k, n] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 15)) out.push(`  ${String(n).padStart(6)}  ${k}`);
  out.push("");
  out.push(tally(records));
  out.push("");
  return out.join("\n");
}

// Only when run as the script (the test imports its types).
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    process.stderr.write(`fuzz: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 2;
  });
}
