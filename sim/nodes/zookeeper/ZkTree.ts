/**
 * ZooKeeper's data tree: znodes with versions, ephemeral owners and sequential children, and
 * one-shot watches. Result codes are ZooKeeper's (KeeperException.Code) names. The tree is the
 * ensemble's committed state; ZkEnsemble decides when an operation may reach it.
 */

export type ZkCode = "OK" | "NONODE" | "NODEEXISTS" | "BADVERSION" | "NOTEMPTY" | "SESSIONEXPIRED" | "CONNECTIONLOSS";

export interface ZkStat {
  /** Data version: conditional setData/delete compare against it. */
  version: number;
  /** Zxid of the transaction that created the znode (Kafka's broker epoch, KIP-380). */
  czxid: number;
  mzxid: number;
  /** Session that owns an ephemeral znode, 0 for a persistent one. */
  ephemeralOwner: number;
}

export type ZkOp =
  | { op: "create"; path: string; data: unknown; ephemeral?: boolean; sequential?: boolean }
  | { op: "setData"; path: string; data: unknown; version: number }
  | { op: "delete"; path: string; version: number }
  | { op: "check"; path: string; version: number }
  | { op: "getData"; path: string; watch?: boolean }
  | { op: "exists"; path: string; watch?: boolean }
  | { op: "getChildren"; path: string; watch?: boolean }
  | { op: "multi"; ops: ZkOp[] };

export interface ZkResult {
  code: ZkCode;
  /** Created path (sequential nodes get their suffix). */
  path?: string;
  data?: unknown;
  stat?: ZkStat;
  children?: string[];
}

export type WatchEventType = "NodeCreated" | "NodeDeleted" | "NodeDataChanged" | "NodeChildrenChanged";

export interface WatchEvent {
  type: WatchEventType;
  path: string;
}

interface Znode {
  data: unknown;
  stat: ZkStat;
  children: Set<string>;
  /** Next sequential suffix for children (ZooKeeper uses the parent's cversion). */
  cversion: number;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

export class ZkTree {
  private readonly nodes = new Map<string, Znode>();
  private zxid = 0;
  private readonly dataWatches = new Map<string, Set<number>>();
  private readonly childWatches = new Map<string, Set<number>>();

  /** Told of every committed create and setData (the run's history reads partition states from here). */
  onWrite: ((path: string, data: unknown, stat: ZkStat) => void) | null = null;

  constructor(private readonly fire: (session: number, event: WatchEvent) => void) {
    this.nodes.set("/", { data: null, stat: { version: 0, czxid: 0, mzxid: 0, ephemeralOwner: 0 }, children: new Set(), cversion: 0 });
  }

  get(path: string): { data: unknown; stat: ZkStat } | undefined {
    return this.nodes.get(path);
  }

  /** Children names, sorted: ZooKeeper returns them unordered, and we must not be. */
  children(path: string): string[] {
    const n = this.nodes.get(path);
    return n === undefined ? [] : [...n.children].sort();
  }

  /** Applies one operation for a session; a multi applies all or nothing. */
  apply(session: number, op: ZkOp): ZkResult {
    if (op.op === "multi") {
      for (const sub of op.ops) {
        const code = this.precheck(sub);
        if (code !== "OK") return { code };
      }
      let last: ZkResult = { code: "OK" };
      for (const sub of op.ops) last = this.apply(session, sub);
      return last;
    }
    switch (op.op) {
      case "create":
        return this.create(session, op.path, op.data, op.ephemeral === true, op.sequential === true);
      case "setData":
        return this.setData(op.path, op.data, op.version);
      case "delete":
        return this.remove(op.path, op.version);
      case "check": {
        const code = this.precheck(op);
        return { code };
      }
      case "getData":
      case "exists": {
        const n = this.nodes.get(op.path);
        if (op.watch === true) this.watch(this.dataWatches, op.path, session);
        if (n === undefined) return { code: op.op === "exists" ? "OK" : "NONODE" };
        return { code: "OK", data: n.data, stat: { ...n.stat } };
      }
      case "getChildren": {
        const n = this.nodes.get(op.path);
        if (n === undefined) return { code: "NONODE" };
        if (op.watch === true) this.watch(this.childWatches, op.path, session);
        return { code: "OK", children: this.children(op.path) };
      }
    }
  }

  /** Deletes a session's ephemeral znodes (session close or expiry). */
  deleteEphemerals(session: number): void {
    const owned = [...this.nodes].filter(([, n]) => n.stat.ephemeralOwner === session).map(([p]) => p);
    for (const p of owned.sort()) this.remove(p, -1);
  }

  /** Forgets a dead session's watches. */
  dropWatches(session: number): void {
    for (const m of [this.dataWatches, this.childWatches]) for (const set of m.values()) set.delete(session);
  }

  private precheck(op: ZkOp): ZkCode {
    const n = op.op === "multi" ? undefined : this.nodes.get(op.path);
    switch (op.op) {
      case "check":
      case "setData":
      case "delete":
        if (n === undefined) return "NONODE";
        return op.version === -1 || op.version === n.stat.version ? "OK" : "BADVERSION";
      case "create":
        if (!this.nodes.has(parentOf(op.path))) return "NONODE";
        return op.sequential !== true && n !== undefined ? "NODEEXISTS" : "OK";
      default:
        return "OK";
    }
  }

  private create(session: number, path: string, data: unknown, ephemeral: boolean, sequential: boolean): ZkResult {
    const parent = this.nodes.get(parentOf(path));
    if (parent === undefined) return { code: "NONODE" };
    const full = sequential ? `${path}${String(parent.cversion).padStart(10, "0")}` : path;
    if (this.nodes.has(full)) return { code: "NODEEXISTS" };
    const zxid = ++this.zxid;
    const stat: ZkStat = { version: 0, czxid: zxid, mzxid: zxid, ephemeralOwner: ephemeral ? session : 0 };
    this.nodes.set(full, { data, stat, children: new Set(), cversion: 0 });
    parent.children.add(full.slice(full.lastIndexOf("/") + 1));
    parent.cversion++;
    this.onWrite?.(full, data, stat);
    this.trigger(this.dataWatches, full, "NodeCreated");
    this.trigger(this.childWatches, parentOf(full), "NodeChildrenChanged");
    return { code: "OK", path: full, stat: { ...stat } };
  }

  private setData(path: string, data: unknown, version: number): ZkResult {
    const n = this.nodes.get(path);
    if (n === undefined) return { code: "NONODE" };
    if (version !== -1 && version !== n.stat.version) return { code: "BADVERSION" };
    n.data = data;
    n.stat.version++;
    n.stat.mzxid = ++this.zxid;
    this.onWrite?.(path, data, n.stat);
    this.trigger(this.dataWatches, path, "NodeDataChanged");
    return { code: "OK", stat: { ...n.stat } };
  }

  private remove(path: string, version: number): ZkResult {
    const n = this.nodes.get(path);
    if (n === undefined) return { code: "NONODE" };
    if (version !== -1 && version !== n.stat.version) return { code: "BADVERSION" };
    if (n.children.size > 0) return { code: "NOTEMPTY" };
    this.nodes.delete(path);
    this.zxid++;
    const parent = this.nodes.get(parentOf(path));
    if (parent !== undefined) {
      parent.children.delete(path.slice(path.lastIndexOf("/") + 1));
      parent.cversion++;
    }
    this.trigger(this.dataWatches, path, "NodeDeleted");
    this.trigger(this.childWatches, path, "NodeDeleted");
    this.trigger(this.childWatches, parentOf(path), "NodeChildrenChanged");
    return { code: "OK" };
  }

  private watch(map: Map<string, Set<number>>, path: string, session: number): void {
    let set = map.get(path);
    if (set === undefined) map.set(path, (set = new Set()));
    set.add(session);
  }

  /** Watches are one-shot: firing removes them. */
  private trigger(map: Map<string, Set<number>>, path: string, type: WatchEventType): void {
    const set = map.get(path);
    if (set === undefined || set.size === 0) return;
    map.delete(path);
    for (const session of set) this.fire(session, { type, path });
  }
}
