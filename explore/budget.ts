/**
 * A fault budget: how much the explorer may break at once. Property-based exploration (issue 13)
 * draws fault schedules within it, so that a guarantee that breaks, breaks under faults the system
 * claims to tolerate (RF 3 with min.insync.replicas=2 tolerates one broker down, not two).
 *
 * A budget bounds the number of faults, how many brokers are down at once (crashed, stopped,
 * powered off, paused, with a failed or full disk, or cut off by a partition), whose power may go,
 * and which fault kinds may be used. `budgetAllows` checks any schedule against it, a generated one
 * or one written by hand.
 *
 * We assume, conservatively, that faults hit different brokers: fire-time targets
 * (`leader:orders-0`, `controller`) are resolved only when the fault fires, so two of them may be one
 * broker or two, and the count is an upper bound. A broker counts as down from `at` to `at + for`
 * (to the end of the run without `for`); a crash or power loss shorter than the ZooKeeper session
 * counts to the end of the run, and so does a `restart` (a crash and an immediate start), since the
 * broker's start-up then fails on the registration its old session still holds and the process
 * exits until the end-of-run heal starts it. A session expiry counts for an instant. The seconds a
 * broker back up needs to rejoin the ISR are not counted.
 *
 * `healBy` asks for schedules the cluster is promised to recover from before the run ends (the
 * guarantee suite's recoversAfterFaultsHeal): every fault ends by itself by that time, and what
 * it took down can come back (explore/healBy.ts says what that excludes and why).
 */
import type { FaultDocument } from "../scenarios/schema.js";
import { parseDuration } from "../scenarios/units.js";
import { suggestion } from "../scenarios/suggest.js";
import { ZK_TICK_US } from "../sim/nodes/zookeeper/ZkEnsemble.js";
import type { ClusterShape } from "./clusterShape.js";
import { healByAllows } from "./healBy.js";

/**
 * The kinds of fault, simplest first (the order shrinking prefers). `oneWayPartition` is a
 * `partition` with `from`/`to`; the others are the scenario file's verbs.
 */
export const FAULT_KINDS = [
  "crash",
  "stop",
  "pause",
  "powerOff",
  "restart",
  "expireSession",
  "partition",
  "oneWayPartition",
  "latency",
  "loss",
  "slowDisk",
  "failDisk",
  "fullDisk",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Process, power, network and pause faults; not stop/restart (gentle) nor failDisk/fullDisk (permanent). */
export const DEFAULT_FAULT_KINDS: readonly FaultKind[] = ["crash", "pause", "powerOff", "expireSession", "partition", "oneWayPartition", "latency", "loss", "slowDisk"];

/** none: no power loss; single: one host without power at a time; correlated: racks or several hosts together. */
export const POWER_BUDGETS = ["none", "single", "correlated"] as const;
export type PowerBudget = (typeof POWER_BUDGETS)[number];

export interface FaultBudget {
  /** Faults in a schedule (powerOn and heal, which repair, are not counted). */
  maxFaults: number;
  /** Brokers down at once: crashed, stopped, powered off, paused, with a failed or full disk, or cut off. */
  maxBrokersDown: number;
  power: PowerBudget;
  /** The kinds allowed, in FAULT_KINDS order. */
  kinds: readonly FaultKind[];
  /** When set, every fault must end by itself by this time, in ms, and leave no broker unable to start (healBy.ts); absent: faults may last to the end. */
  healByMs?: number;
}

export const DEFAULT_BUDGET: FaultBudget = { maxFaults: 3, maxBrokersDown: 1, power: "single", kinds: DEFAULT_FAULT_KINDS };

/** Bounds of the numbers a budget spec may give. */
export const BUDGET_LIMITS = { maxFaults: 100, maxBrokersDown: 1000 };

export class BudgetError extends Error {}

const KEYS = ["faults", "down", "power", "kinds", "healBy"] as const;
const GRAMMAR = "faults=<n>,down=<n>,power=none|single|correlated,kinds=<kind>+<kind>... (or kinds=all),healBy=<duration>";

/**
 * A crash or power loss must last this much longer than the ZooKeeper session for the broker's
 * start-up to succeed: the ensemble expires sessions only on its tick (ZkEnsemble.tick), so the
 * old session, last heard at or before the crash, is gone at most a tick after its timeout.
 */
export const RESTART_MARGIN_MS = ZK_TICK_US / 1000;

/** `20000` → "20s", `1500` → "1500ms". */
export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * `faults=3,down=1,power=single,kinds=crash+partition+pause` → a budget. Every item is optional
 * (an empty spec is DEFAULT_BUDGET); `kinds=all` allows every kind, `kinds=default` the defaults.
 * With power=none and no kinds given, powerOff leaves the default kinds.
 */
export function parseBudget(spec: string): FaultBudget {
  const budget: { maxFaults: number; maxBrokersDown: number; power: PowerBudget; kinds: readonly FaultKind[]; healByMs?: number } = { ...DEFAULT_BUDGET };
  const text = spec.trim();
  if (text === "") return budget;
  const seen = new Map<string, string>();
  let kindsListed = false;
  text.split(",").forEach((raw, i) => {
    const item = raw.trim();
    if (item === "") throw new BudgetError(`budget item ${i + 1} is empty: expected key=value, as in ${GRAMMAR}`);
    const eq = item.indexOf("=");
    const key = eq < 0 ? item : item.slice(0, eq).trim();
    const value = eq < 0 ? "" : item.slice(eq + 1).trim();
    const bad = (expected: string): BudgetError => new BudgetError(`budget item "${item}": expected ${expected}`);
    if (!(KEYS as readonly string[]).includes(key)) throw bad(`a key faults, down, power, kinds or healBy${suggestion(key, KEYS)}, as in ${GRAMMAR}`);
    if (eq < 0 || value === "") throw bad(`${key}=<value>, as in ${GRAMMAR}`);
    if (seen.has(key)) throw new BudgetError(`budget item "${item}": ${key} is given twice (also "${seen.get(key)}")`);
    seen.set(key, item);
    switch (key) {
      case "faults":
        budget.maxFaults = wholeNumber(value, 0, BUDGET_LIMITS.maxFaults, () => bad(`the number of faults in a schedule, a whole number from 0 to ${BUDGET_LIMITS.maxFaults}`));
        break;
      case "down":
        budget.maxBrokersDown = wholeNumber(value, 0, BUDGET_LIMITS.maxBrokersDown, () => bad(`the number of brokers down at once, a whole number from 0 to ${BUDGET_LIMITS.maxBrokersDown}`));
        break;
      case "power":
        if (!(POWER_BUDGETS as readonly string[]).includes(value)) throw bad(`power=none, power=single or power=correlated${suggestion(value, POWER_BUDGETS)}`);
        budget.power = value as PowerBudget;
        break;
      case "kinds":
        budget.kinds = parseKinds(value, item);
        kindsListed = value !== "all" && value !== "default";
        break;
      case "healBy": {
        // Whole milliseconds, as the arbitraries write `at` and `for`.
        const us = parseDuration(value);
        if (us === null || us <= 0 || us % 1000 !== 0) throw bad(`healBy=<duration>, the time by which every fault has ended by itself: a whole number of milliseconds above 0, such as 40s or 1500ms`);
        budget.healByMs = us / 1000;
        break;
      }
    }
  });
  if (budget.power === "none" && budget.kinds.includes("powerOff")) {
    if (kindsListed) {
      throw new BudgetError(`budget item "${seen.get("kinds")}": expected no powerOff with "${seen.get("power")}" (no host may lose power)`);
    }
    budget.kinds = budget.kinds.filter((k) => k !== "powerOff");
  }
  return budget;
}

function wholeNumber(value: string, min: number, max: number, bad: () => BudgetError): number {
  if (!/^\d+$/.test(value)) throw bad();
  const n = Number(value);
  if (n < min || n > max) throw bad();
  return n;
}

function parseKinds(value: string, item: string): FaultKind[] {
  if (value === "all") return [...FAULT_KINDS];
  if (value === "default") return [...DEFAULT_FAULT_KINDS];
  const names = value.split("+").map((k) => k.trim());
  const chosen = new Set<FaultKind>();
  for (const name of names) {
    if (name === "") throw new BudgetError(`budget item "${item}": expected fault kinds joined by + (an empty kind between two +)`);
    if (!(FAULT_KINDS as readonly string[]).includes(name)) {
      throw new BudgetError(`budget item "${item}": expected fault kinds joined by + from ${FAULT_KINDS.join(", ")}, or all (got "${name}")${suggestion(name, FAULT_KINDS)}`);
    }
    if (chosen.has(name as FaultKind)) throw new BudgetError(`budget item "${item}": the kind ${name} is named twice`);
    chosen.add(name as FaultKind);
  }
  return FAULT_KINDS.filter((k) => chosen.has(k));
}

/** The spec parseBudget reads back as this budget. */
export function formatBudget(budget: FaultBudget): string {
  return `faults=${budget.maxFaults},down=${budget.maxBrokersDown},power=${budget.power},kinds=${budget.kinds.join("+")}${budget.healByMs === undefined ? "" : `,healBy=${formatMs(budget.healByMs)}`}`;
}

/** The kind of a fault entry, or null for the repairs (powerOn, heal). */
export function faultKindOf(f: FaultDocument): FaultKind | null {
  if (f.partition !== undefined) return Array.isArray(f.partition) ? "partition" : "oneWayPartition";
  if (f.powerOn !== undefined || f.heal !== undefined) return null;
  for (const k of FAULT_KINDS) if (k !== "oneWayPartition" && f[k] !== undefined) return k;
  return null;
}

/** How much of the cluster a target (or a list of them) names. */
export interface TargetWeight {
  brokers: number;
  /** Hosts of any role (a power budget counts these). */
  hosts: number;
  /** Brokers and ZooKeeper servers (which side of a partition keeps the cluster). */
  clusterHosts: number;
}

/**
 * What a target names, as scenarios/faults.ts resolves it: a host name, a rack (`rack-a` or `a`),
 * `controller`, `coordinator:<group>` and `leader:` one broker, `followers:` of an RF-r partition
 * r - 1 brokers, `replicas:` r. Unknown names weigh nothing (the loader refuses them).
 */
export function targetWeight(value: string | readonly string[], cluster: ClusterShape): TargetWeight {
  const names = typeof value === "string" ? [value] : value;
  const w: TargetWeight = { brokers: 0, hosts: 0, clusterHosts: 0 };
  const add = (brokers: number, hosts: number, clusterHosts: number): void => {
    w.brokers += brokers;
    w.hosts += hosts;
    w.clusterHosts += clusterHosts;
  };
  for (const name of names) {
    if (name === "controller" || name.startsWith("coordinator:") || /^leader:.+-\d+$/.test(name)) {
      add(1, 1, 1);
      continue;
    }
    const ref = /^(replicas|followers):(.+)-(\d+)$/.exec(name);
    if (ref !== null) {
      const rf = cluster.topics.find((t) => t.name === ref[2])?.rf ?? cluster.brokers.length;
      const n = ref[1] === "replicas" ? rf : rf - 1;
      add(n, n, n);
      continue;
    }
    if (cluster.brokers.includes(name)) add(1, 1, 1);
    else if (cluster.zookeepers.includes(name)) add(0, 1, 1);
    else if (cluster.clients.includes(name)) add(0, 1, 0);
    else {
      const rack = name.startsWith("rack-") && !cluster.racks.includes(name) ? name.slice(5) : name;
      const inRack = Object.keys(cluster.rackOf).filter((h) => cluster.rackOf[h] === rack);
      const brokers = inRack.filter((h) => cluster.brokers.includes(h)).length;
      add(brokers, inRack.length, inRack.length);
    }
  }
  w.brokers = Math.min(w.brokers, cluster.brokers.length);
  return w;
}

/**
 * Brokers a partition between these groups cuts off: the group with the most brokers and
 * ZooKeeper servers keeps the cluster (on a tie, the one with fewer brokers, so that the count is
 * the larger), and every broker of the other groups is cut off.
 */
export function brokersCutOff(groups: ReadonlyArray<string | readonly string[]>, cluster: ClusterShape): number {
  const weights = groups.map((g) => targetWeight(g, cluster));
  let keeper = 0;
  weights.forEach((w, i) => {
    const k = weights[keeper];
    if (w.clusterHosts > k.clusterHosts || (w.clusterHosts === k.clusterHosts && w.brokers < k.brokers)) keeper = i;
  });
  const cut = weights.reduce((n, w, i) => (i === keeper ? n : n + w.brokers), 0);
  return Math.min(cut, cluster.brokers.length);
}

/** Brokers a fault takes down (or cuts off) while it lasts. */
export function brokersDownBy(f: FaultDocument, cluster: ClusterShape): number {
  const kind = faultKindOf(f);
  switch (kind) {
    case "crash":
    case "stop":
    case "pause":
    case "powerOff":
    case "restart":
    case "expireSession":
    case "failDisk":
    case "fullDisk":
      return targetWeight(f[kind] as string | string[], cluster).brokers;
    case "partition":
      return brokersCutOff(f.partition as string[][], cluster);
    case "oneWayPartition": {
      const p = f.partition as { from: string[]; to: string[] };
      return brokersCutOff([p.from, p.to], cluster);
    }
    case "loss":
      // Certain loss is a partition; any less is a degraded network, not a broker down.
      if (f.loss!.probability < 1) return 0;
      return f.loss!.between === undefined ? cluster.brokers.length : brokersCutOff(f.loss!.between, cluster);
    case "latency":
    case "slowDisk":
    case null:
      return 0;
  }
}

/** When a fault's effect lasts, in µs: [startUs, endUs). A session expiry lasts 1 µs. */
export function faultWindowUs(f: FaultDocument, cluster: ClusterShape): { startUs: number; endUs: number } {
  const durationUs = cluster.durationMs * 1000;
  const startUs = parseDuration(f.at) ?? 0;
  const forUs = f.for === undefined ? null : (parseDuration(f.for) ?? 0);
  const kind = faultKindOf(f);
  let endUs = forUs === null ? durationUs : startUs + forUs;
  if (kind === "expireSession") endUs = startUs + 1;
  // A restart is a crash and an immediate start, which fails while the old session holds: down to the end.
  if (kind === "restart" || kind === "failDisk" || kind === "fullDisk") endUs = durationUs;
  // Back before its session expires, the broker's start-up fails and it stays down to the end.
  if ((kind === "crash" || kind === "powerOff") && forUs !== null && forUs < cluster.zkSessionTimeoutMs * 1000) endUs = durationUs;
  return { startUs, endUs: Math.max(endUs, startUs + 1) };
}

/** A short reading of a fault, as the file says it: `crash leader:orders-0 at 20s for 20s`. */
export function describeFault(f: FaultDocument): string {
  const list = (v: string | readonly string[]): string => (typeof v === "string" ? v : v.length === 1 ? v[0] : `[${v.join(", ")}]`);
  const between = (g: readonly (readonly string[])[] | undefined): string => (g === undefined ? "everywhere" : `between ${g.map(list).join(" | ")}`);
  const kind = faultKindOf(f);
  let what: string;
  switch (kind) {
    case "partition":
      what = `partition ${(f.partition as string[][]).map(list).join(" | ")}`;
      break;
    case "oneWayPartition": {
      const p = f.partition as { from: string[]; to: string[] };
      what = `partition ${list(p.from)} -> ${list(p.to)}`;
      break;
    }
    case "latency":
      what = `latency +${f.latency!.add}${f.latency!.jitter === undefined ? "" : ` ±${f.latency!.jitter}`} ${between(f.latency!.between)}`;
      break;
    case "loss":
      what = `loss ${f.loss!.probability} ${between(f.loss!.between)}`;
      break;
    case null:
      what = f.heal !== undefined ? "heal all" : `powerOn ${list(f.powerOn ?? [])}`;
      break;
    default:
      what = `${kind} ${list(f[kind] as string | string[])}${f.factor === undefined ? "" : ` x${f.factor}`}${f.disk === undefined ? "" : ` disk ${f.disk}`}`;
  }
  return `${what} at ${f.at}${f.for === undefined ? "" : ` for ${f.for}`}`;
}

/**
 * The first way a schedule breaks the budget, in words, or null when it keeps to it: too many
 * faults, a kind the budget leaves out, a power loss it does not allow, a fault that does not end
 * by itself by healBy, or more brokers down at once than it allows.
 */
export function budgetAllows(schedule: readonly FaultDocument[], budget: FaultBudget, cluster: ClusterShape): string | null {
  const named = (i: number): string => `faults[${i}] (${describeFault(schedule[i])})`;
  const faults = schedule.filter((f) => faultKindOf(f) !== null).length;
  if (faults > budget.maxFaults) return `${faults} faults: the budget allows ${budget.maxFaults} (faults=${budget.maxFaults})`;
  for (let i = 0; i < schedule.length; i++) {
    const kind = faultKindOf(schedule[i]);
    if (kind === "powerOff" && budget.power === "none") return `${named(i)} turns power off: the budget allows no power loss (power=none)`;
    if (kind !== null && !budget.kinds.includes(kind)) return `${named(i)} is a ${kind} fault: the budget's kinds are ${budget.kinds.join(", ") || "none"}`;
  }
  if (budget.healByMs !== undefined) {
    const why = healByAllows(schedule, budget.healByMs, cluster, named);
    if (why !== null) return why;
  }
  const windows = schedule.map((f, index) => ({ index, ...faultWindowUs(f, cluster), down: brokersDownBy(f, cluster), unpowered: faultKindOf(f) === "powerOff" ? targetWeight(f.powerOff!, cluster).hosts : 0 }));
  const atOnce = (of: (w: (typeof windows)[number]) => number, limit: number): { atUs: number; total: number; who: number[] } | null => {
    for (const w of windows) {
      if (of(w) === 0) continue;
      const active = windows.filter((o) => of(o) > 0 && o.startUs <= w.startUs && w.startUs < o.endUs);
      const total = active.reduce((n, o) => n + of(o), 0);
      if (total > limit) return { atUs: w.startUs, total, who: active.map((o) => o.index) };
    }
    return null;
  };
  const seconds = (us: number): string => `${us / 1_000_000}s`;
  const who = (idx: number[]): string => (idx.length === 1 ? named(idx[0]) : `${idx.slice(0, -1).map(named).join(", ")} and ${named(idx[idx.length - 1])}`);
  const verb = (idx: number[], one: string, many: string): string => (idx.length === 1 ? one : many);
  if (budget.power === "single") {
    const over = atOnce((w) => w.unpowered, 1);
    if (over !== null) return `${who(over.who)} ${verb(over.who, "leaves", "leave")} ${over.total} hosts without power at ${seconds(over.atUs)}: the budget allows one at a time (power=single)`;
  }
  const over = atOnce((w) => w.down, budget.maxBrokersDown);
  if (over !== null) {
    return `${who(over.who)} ${verb(over.who, "has", "have")} up to ${Math.min(over.total, cluster.brokers.length)} brokers down or cut off at ${seconds(over.atUs)}: the budget allows ${budget.maxBrokersDown} (down=${budget.maxBrokersDown})`;
  }
  return null;
}
