/**
 * A sweep's output folder: `sweep.json` (the plan: the scenario's text, the axes, the seeds) and
 * one file per finished run, `runs/<config>/seed-<n>.json`, each written to a temporary name and
 * renamed, so a sweep killed at any moment leaves only whole run files and a restart with the same
 * --out skips them. A folder that holds another sweep, or files that are not a sweep's, is refused
 * rather than mixed with or written over.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { PlanError, type SweepAxis, type SweepConfig } from "./plan.js";
import { RUN_RECORD_VERSION, type RunRecord } from "./runRecord.js";

export const PLAN_VERSION = 1;
const PLAN_FILE = "sweep.json";
const RUNS_DIR = "runs";

export interface SweepPlanFile {
  schemaVersion: number;
  kind: "kafkasim-sweep";
  /** How the scenario was named on the command line (repro lines use it). */
  scenarioRef: string;
  scenarioName: string;
  /** The scenario file's text: what the runs ran, so a merge or a report needs no other file. */
  scenarioText: string;
  axes: SweepAxis[];
  seeds: number[];
  configs: SweepConfig[];
}

/** Writes a file so that it is either absent or whole: a temporary name in the same folder, then rename. */
let tmpCounter = 0;

export function writeFileAtomic(path: string, text: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    throw e;
  }
}

/** The fields that make two plans the same sweep (the ref may be spelt differently on another machine). */
function identity(p: SweepPlanFile): string {
  return JSON.stringify({ text: p.scenarioText, axes: p.axes, seeds: p.seeds });
}

function describeDifference(a: SweepPlanFile, b: SweepPlanFile): string {
  if (a.scenarioText !== b.scenarioText) return `the scenario's text differs (${a.scenarioName} vs ${b.scenarioName})`;
  if (JSON.stringify(a.axes) !== JSON.stringify(b.axes)) return `the --set values differ (${a.axes.map((x) => `${x.key}=${x.values.join(",")}`).join(" ")} vs ${b.axes.map((x) => `${x.key}=${x.values.join(",")}`).join(" ")})`;
  return `the seeds differ (${a.seeds.length} vs ${b.seeds.length} seeds, from ${a.seeds[0]} and ${b.seeds[0]})`;
}

export class SweepStore {
  private constructor(
    readonly dir: string,
    readonly plan: SweepPlanFile,
  ) {}

  private static readPlan(dir: string): SweepPlanFile {
    const path = join(dir, PLAN_FILE);
    let plan: SweepPlanFile;
    try {
      plan = JSON.parse(readFileSync(path, "utf8")) as SweepPlanFile;
    } catch (e) {
      throw new PlanError(`${path}: not a readable sweep plan (${(e as Error).message})`);
    }
    if (plan.kind !== "kafkasim-sweep" || plan.schemaVersion !== PLAN_VERSION) throw new PlanError(`${path}: not a kafkasim sweep plan of version ${PLAN_VERSION}`);
    return plan;
  }

  /** Opens a folder holding a sweep (for reports and merges). */
  static open(dir: string): SweepStore {
    if (!existsSync(join(dir, PLAN_FILE))) throw new PlanError(`${dir}: no ${PLAN_FILE}; not a sweep's output folder`);
    return new SweepStore(dir, SweepStore.readPlan(dir));
  }

  /**
   * Opens --out for a sweep: a new or empty folder gets the plan; a folder with the same plan is
   * resumed; anything else is refused.
   */
  static create(dir: string, plan: SweepPlanFile): { store: SweepStore; resumed: boolean } {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new PlanError(`--out ${dir}: exists and is not a folder`);
    if (existsSync(join(dir, PLAN_FILE))) {
      const old = SweepStore.readPlan(dir);
      if (identity(old) !== identity(plan)) throw new PlanError(`--out ${dir}: holds another sweep (${describeDifference(old, plan)}); choose another --out, or delete it to start over`);
      const store = new SweepStore(dir, old);
      store.removeTemporaryFiles();
      return { store, resumed: true };
    }
    if (existsSync(dir) && readdirSync(dir).length > 0) throw new PlanError(`--out ${dir}: not empty and not a sweep's folder (no ${PLAN_FILE}); nothing there is overwritten: choose an empty or new folder`);
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, PLAN_FILE), JSON.stringify(plan, null, 2) + "\n");
    return { store: new SweepStore(dir, plan), resumed: false };
  }

  /** Opens the folder a merge writes to: like create, but a folder holding the same plan may be merged into again. */
  static forMerge(dir: string, plan: SweepPlanFile): SweepStore {
    return SweepStore.create(dir, plan).store;
  }

  /** A process killed between writing a run's temporary file and renaming it leaves the temporary file: not a run, so removed. */
  private removeTemporaryFiles(): void {
    for (const c of this.plan.configs) {
      const dir = join(this.dir, RUNS_DIR, c.id);
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) if (/^seed-\d+\.json\.\d+\.\d+\.tmp$/.test(f)) unlinkSync(join(dir, f));
    }
  }

  sameSweep(other: SweepStore): string | null {
    return identity(this.plan) === identity(other.plan) ? null : describeDifference(this.plan, other.plan);
  }

  private runPath(config: number, seed: number): string {
    return join(this.dir, RUNS_DIR, this.plan.configs[config].id, `seed-${seed}.json`);
  }

  /** The keys `config:seed` of the runs with a file. */
  doneKeys(): Set<string> {
    const done = new Set<string>();
    for (const c of this.plan.configs) for (const seed of this.doneSeeds(c.index)) done.add(`${c.index}:${seed}`);
    return done;
  }

  write(record: RunRecord): void {
    const path = this.runPath(record.config, record.seed);
    mkdirSync(join(this.dir, RUNS_DIR, this.plan.configs[record.config].id), { recursive: true });
    writeFileAtomic(path, JSON.stringify(record) + "\n");
  }

  read(config: number, seed: number): RunRecord | null {
    const path = this.runPath(config, seed);
    if (!existsSync(path)) return null;
    const r = JSON.parse(readFileSync(path, "utf8")) as RunRecord;
    if (r.schemaVersion !== RUN_RECORD_VERSION || r.config !== config || r.seed !== seed) throw new PlanError(`${path}: not the run record of ${this.plan.configs[config].id} seed ${seed}`);
    return r;
  }

  /** Every run file there is, configs in order, seeds in the plan's order, one record in memory at a time. */
  *runs(): Generator<RunRecord> {
    for (const c of this.plan.configs) {
      const done = this.doneSeeds(c.index);
      for (const seed of this.plan.seeds) {
        if (!done.has(seed)) continue;
        const r = this.read(c.index, seed);
        if (r !== null) yield r;
      }
    }
  }

  private doneSeeds(config: number): Set<number> {
    const dir = join(this.dir, RUNS_DIR, this.plan.configs[config].id);
    if (!existsSync(dir)) return new Set();
    return new Set(readdirSync(dir).flatMap((f) => {
      const m = /^seed-(\d+)\.json$/.exec(f);
      return m === null ? [] : [Number(m[1])];
    }));
  }
}
