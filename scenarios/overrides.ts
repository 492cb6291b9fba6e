/**
 * `--set key=value` overrides, applied to the scenario document before validation, so an
 * override is checked exactly like the file itself.
 *
 * - `broker.<kafka key>`   → cluster.config
 * - `producer.<kafka key>` → every producer's config
 * - `consumer.<kafka key>` → every consumer group's config
 * - `topic.<kafka key>`    → every topic's config
 * - anything else is a dotted path into the document: `kafka.version=0.10.2`, `duration=60s`,
 *   `cluster.brokers=5`, `cluster.os.vm.dirty_ratio=40`, list items by index (`faults.0.at=40s`);
 *   the value `~` removes the key.
 */
import type { Problem } from "./model.js";

export interface Override {
  key: string;
  value: string;
}

export function parseOverride(text: string): Override | null {
  const eq = text.indexOf("=");
  if (eq <= 0) return null;
  return { key: text.slice(0, eq).trim(), value: text.slice(eq + 1).trim() };
}

/** "1" → 1, "true" → true, anything else stays a string (as YAML would read it). */
export function scalar(value: string): string | number | boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

type Doc = Record<string, unknown>;

function isObject(x: unknown): x is Doc {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function configOf(holder: Doc): Doc {
  if (!isObject(holder.config)) holder.config = {};
  return holder.config as Doc;
}

/** Applies overrides in order; returns one problem per override that cannot apply. */
export function applyOverrides(doc: unknown, overrides: readonly Override[]): Problem[] {
  const problems: Problem[] = [];
  if (!isObject(doc)) return problems;
  for (const o of overrides) {
    // A version is a name, not a number: `kafka.version=3.6` stays "3.6".
    const value = o.key === "kafka.version" ? o.value : scalar(o.value);
    const [prefix, ...rest] = o.key.split(".");
    const kafkaKey = rest.join(".");
    const listOf = (field: string): Doc[] => (Array.isArray(doc[field]) ? (doc[field] as unknown[]).filter(isObject) : []);
    switch (prefix) {
      case "broker":
        if (!isObject(doc.cluster)) doc.cluster = {};
        configOf(doc.cluster as Doc)[kafkaKey] = value;
        break;
      case "producer":
      case "consumer":
      case "topic": {
        const items = listOf(`${prefix}s`);
        if (items.length === 0) problems.push({ path: [`--set ${o.key}`], message: `expected the scenario to have ${prefix}s to apply it to` });
        for (const item of items) configOf(item)[kafkaKey] = value;
        break;
      }
      default:
        setPath(doc, o.key, value, problems);
    }
  }
  return problems;
}

/** Sets a dotted path, matching the longest existing key at each level (keys contain dots). */
function setPath(doc: Doc, key: string, value: unknown, problems: Problem[]): void {
  const parts = key.split(".");
  let node: Doc = doc;
  let i = 0;
  while (i < parts.length - 1) {
    let matched = false;
    for (let j = parts.length - 1; j > i; j--) {
      const k = parts.slice(i, j).join(".");
      if (isObject(node[k]) || Array.isArray(node[k])) {
        node = node[k] as Doc;
        i = j;
        matched = true;
        break;
      }
    }
    if (!matched) {
      if (node[parts[i]] !== undefined && !isObject(node[parts[i]])) {
        problems.push({ path: [`--set ${key}`], message: `expected ${parts.slice(0, i + 1).join(".")} to be a section` });
        return;
      }
      // A section the file leaves out: create it, and the rest of the key is one leaf.
      node[parts[i]] = {};
      node = node[parts[i]] as Doc;
      i++;
      if (i < parts.length - 1) {
        node[parts.slice(i).join(".")] = value;
        return;
      }
    }
  }
  // `~` (YAML's null) removes a key: `--set faults.0.powerOff=~ --set faults.0.crash=broker-1`.
  if (value === "~") delete node[parts.slice(i).join(".")];
  else node[parts.slice(i).join(".")] = value;
}
