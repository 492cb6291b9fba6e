/**
 * Network faults as rules over host pairs: partitions (both ways or one way), added latency and
 * loss. Rules stack; healing removes rules, and the per-pair matrices are recomputed from the
 * rules that remain, so overlapping faults heal independently.
 */
import { assertNever } from "../assert.js";
import type { Host } from "../Host.js";

export type NetworkRule =
  | { kind: "partition"; groups: Host[][] }
  | { kind: "oneWay"; from: Host[]; to: Host[] }
  | { kind: "latency"; a: Host[]; b: Host[]; addUs: number; jitterUs: number }
  | { kind: "loss"; a: Host[]; b: Host[]; probability: number };

export class NetworkFaults {
  private rules = new Map<number, NetworkRule>();
  private nextRuleId = 1;
  /** blocked[from * n + to] > 0 when messages from → to are dropped. */
  private blocked: Uint8Array;
  private addedLatencyUs: Float64Array;
  private addedJitterUs: Float64Array;
  private lossProbability: Float64Array;
  /** True while any pair is blocked: the one check a send makes when no partition is in force. */
  blocking = false;

  constructor(private readonly hostCount: number) {
    const n = hostCount * hostCount;
    this.blocked = new Uint8Array(n);
    this.addedLatencyUs = new Float64Array(n);
    this.addedJitterUs = new Float64Array(n);
    this.lossProbability = new Float64Array(n);
  }

  add(rule: NetworkRule): number {
    const id = this.nextRuleId++;
    this.rules.set(id, rule);
    this.recompute();
    return id;
  }

  /** Removes one rule, or every rule of the given kinds when id is undefined. */
  remove(id?: number, kinds?: ReadonlyArray<NetworkRule["kind"]>): void {
    if (id !== undefined) this.rules.delete(id);
    else for (const [rid, r] of [...this.rules]) if (kinds === undefined || kinds.includes(r.kind)) this.rules.delete(rid);
    this.recompute();
  }

  isBlocked(from: Host, to: Host): boolean {
    return this.blocked[from.index * this.hostCount + to.index] > 0;
  }

  addedLatency(from: Host, to: Host): number {
    return this.addedLatencyUs[from.index * this.hostCount + to.index];
  }

  addedJitter(from: Host, to: Host): number {
    return this.addedJitterUs[from.index * this.hostCount + to.index];
  }

  loss(from: Host, to: Host): number {
    return this.lossProbability[from.index * this.hostCount + to.index];
  }

  private recompute(): void {
    const n = this.hostCount;
    this.blocked.fill(0);
    this.addedLatencyUs.fill(0);
    this.addedJitterUs.fill(0);
    this.lossProbability.fill(0);
    const both = (a: Host[], b: Host[], f: (i: number) => void): void => {
      for (const x of a) for (const y of b) if (x !== y) {
        f(x.index * n + y.index);
        f(y.index * n + x.index);
      }
    };
    for (const rule of this.rules.values()) {
      switch (rule.kind) {
        case "partition":
          for (let g = 0; g < rule.groups.length; g++)
            for (let h = g + 1; h < rule.groups.length; h++) both(rule.groups[g], rule.groups[h], (i) => (this.blocked[i] = 1));
          break;
        case "oneWay":
          for (const x of rule.from) for (const y of rule.to) if (x !== y) this.blocked[x.index * n + y.index] = 1;
          break;
        case "latency":
          both(rule.a, rule.b, (i) => {
            this.addedLatencyUs[i] += rule.addUs;
            this.addedJitterUs[i] += rule.jitterUs;
          });
          break;
        case "loss":
          // Independent losses combine: P(kept) multiplies.
          both(rule.a, rule.b, (i) => (this.lossProbability[i] = 1 - (1 - this.lossProbability[i]) * (1 - rule.probability)));
          break;
        default:
          assertNever(rule);
      }
    }
    this.blocking = this.blocked.includes(1);
  }
}
