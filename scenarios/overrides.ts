/**
 * `--set key=value` overrides, applied to the scenario document before validation, so an
 * override is checked exactly like the file itself.
 *
 * - `broker.<kafka key>`   → cluster.config
 * - `producer.<kafka key>` → every producer's config
 * - `consumer.<kafka key>` → every consumer group's config; `consumer.commit`, `consumer.processing`,
 *   `consumer.commitOnRevoke`, `consumer.mode`, `consumer.members`, `consumer.staticId` → that
 *   field of every consumer group
 * - `topic.<kafka key>`    → every topic's config
 * - anything else is a dotted path into the document: `kafka.version=0.10.2`, `duration=60s`,
 *   `cluster.brokers=5`, `cluster.os.vm.dirty_ratio=40`, list items by index (`faults.0.at=40s`
 *   or `faults[0].at=40s`; the index one past the end adds an item); the value `~` removes the key.
 *
 * The command line has no types, so a value is read as the type the schema expects at its path
 * (the scenario's JSON Schema): `kafka.version=2.8` stays the string "2.8", `cluster.brokers=5`
 * becomes a number. Where the schema takes several scalar types (a Kafka config map) the value
 * keeps its natural type, as YAML would read it. A value that can be none of the expected types
 * is a problem located at the override. Lists and mappings cannot be written on the command line:
 * set their items.
 */
import type { Problem } from "./model.js";
import { scenarioJsonSchema } from "./schema.js";

export interface Override {
  key: string;
  value: string;
}

export function parseOverride(text: string): Override | null {
  const eq = text.indexOf("=");
  if (eq <= 0) return null;
  return { key: text.slice(0, eq).trim(), value: text.slice(eq + 1).trim() };
}

/** `key=value` texts as overrides; `invalid` makes the caller's error for one that is not. */
export function parseOverrides(texts: readonly string[], invalid: (text: string) => Error): Override[] {
  return texts.map((text) => {
    const o = parseOverride(text);
    if (o === null) throw invalid(text);
    return o;
  });
}

/** YAML 1.2's core schema for numbers (decimal, with an optional exponent). */
const NUMBER = /^[-+]?(\.\d+|\d+(\.\d*)?)([eE][-+]?\d+)?$/;

/** "1" → 1, "true" → true, anything else stays a string (as YAML would read it). */
export function scalar(value: string): string | number | boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  if (NUMBER.test(value)) return Number(value);
  return value;
}

type Kind = "string" | "number" | "integer" | "boolean" | "array" | "object" | "null" | "any";

type JsonSchema = Record<string, unknown>;

let rootSchema: JsonSchema | null = null;

function schema(): JsonSchema {
  rootSchema ??= scenarioJsonSchema() as JsonSchema;
  return rootSchema;
}

/**
 * The JSON types the schema accepts at the path (parts of a dotted key, keys may hold dots) and
 * the path's fields as the document spells them, or null when the schema does not know the path
 * (validation will then say so).
 */
export function resolveKey(parts: readonly string[]): { kinds: Set<Kind>; fields: string[] } | null {
  const kinds = new Set<Kind>();
  let fields: string[] | null = null;
  const walk = (node: JsonSchema, i: number, at: string[]): boolean => {
    if (Array.isArray(node.anyOf) || Array.isArray(node.oneOf)) {
      let found = false;
      for (const branch of (node.anyOf ?? node.oneOf) as JsonSchema[]) found = walk(branch, i, at) || found;
      return found;
    }
    if (i === parts.length) {
      for (const k of kindsOf(node)) kinds.add(k);
      fields ??= at;
      return true;
    }
    const properties = node.properties as Record<string, JsonSchema> | undefined;
    if (properties !== undefined) {
      // Keys hold dots (`replication.factor`): the longest name that matches wins.
      for (let j = parts.length; j > i; j--) {
        const name = parts.slice(i, j).join(".");
        if (Object.hasOwn(properties, name)) return walk(properties[name], j, [...at, name]);
      }
    }
    if (typeof node.additionalProperties === "object" && node.additionalProperties !== null) {
      // A map (a Kafka config): the rest of the key is one map key.
      return walk(node.additionalProperties as JsonSchema, parts.length, [...at, parts.slice(i).join(".")]);
    }
    if (typeof node.items === "object" && node.items !== null && /^\d+$/.test(parts[i])) return walk(node.items as JsonSchema, i + 1, [...at, parts[i]]);
    return false;
  };
  return walk(schema(), 0, []) ? { kinds, fields: fields ?? [] } : null;
}

/** The JSON types the schema accepts at the path, or null when it does not know the path. */
export function expectedKinds(parts: readonly string[]): Set<Kind> | null {
  return resolveKey(parts)?.kinds ?? null;
}

function kindsOf(node: JsonSchema): Kind[] {
  if (Array.isArray(node.enum)) return node.enum.map(kindOfValue);
  if (node.const !== undefined) return [kindOfValue(node.const)];
  if (typeof node.type === "string") return [node.type as Kind];
  if (Array.isArray(node.type)) return node.type as Kind[];
  return ["any"];
}

function kindOfValue(v: unknown): Kind {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  const t = typeof v;
  return t === "string" || t === "number" || t === "boolean" ? t : t === "object" ? "object" : "any";
}

const KIND_WORDS: Record<Kind, string> = {
  string: "a string",
  number: "a number",
  integer: "an integer",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  null: "null",
  any: "a value",
};

/** The value as the type the schema expects, or a message saying what was expected. */
export function typedValue(value: string, kinds: Set<Kind> | null): { value: string | number | boolean } | { error: string } {
  const natural = scalar(value);
  if (kinds === null || kinds.has("any")) return { value: natural };
  const accepts = (v: string | number | boolean): boolean =>
    typeof v === "number" ? kinds.has("number") || (kinds.has("integer") && Number.isInteger(v)) : kinds.has(typeof v as Kind);
  if (accepts(natural)) return { value: natural };
  // A name, version or duration that looks like a number or a boolean is still a string.
  if (kinds.has("string")) return { value };
  if (kinds.has("integer") && typeof natural === "number") return { value: natural }; // let validation say which integers
  const scalars = [...kinds].filter((k) => k !== "array" && k !== "object");
  if (scalars.length === 0) {
    return { error: `expected ${[...kinds].map((k) => KIND_WORDS[k]).join(" or ")}, which cannot be written on the command line: set its items or fields one by one (got ${JSON.stringify(value)})` };
  }
  return { error: `expected ${[...kinds].map((k) => KIND_WORDS[k]).join(" or ")} (got ${JSON.stringify(value)})` };
}

type Doc = Record<string, unknown>;

function isObject(x: unknown): x is Doc {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function configOf(holder: Doc): Doc {
  if (!isObject(holder.config)) holder.config = {};
  return holder.config as Doc;
}

/** `producers[0].config.acks` → `producers.0.config.acks`. */
function normaliseKey(key: string): string {
  return key.replace(/\[(\d+)\]/g, ".$1");
}

/** Keys that would reach JavaScript's object prototype through a plain object: never a scenario field or Kafka config. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

export function forbiddenKeyMessage(key: string): string {
  return `expected a scenario field or Kafka config key, not ${JSON.stringify(key)} (refused: it would reach JavaScript's object prototype)`;
}

/** A consumer group's own fields (not Kafka configs), set with `consumer.<field>`. */
const CONSUMER_FIELDS: ReadonlySet<string> = new Set(["commit", "commitOnRevoke", "mode", "members", "staticId", "processing"]);

/** Applies overrides in order; returns one problem per override that cannot apply. */
export function applyOverrides(doc: unknown, overrides: readonly Override[]): Problem[] {
  const problems: Problem[] = [];
  if (!isObject(doc)) return problems;
  for (const o of overrides) {
    const bad = o.key.split(/[.[\]]/).find((part) => FORBIDDEN_KEYS.has(part));
    if (bad !== undefined) {
      problems.push({ path: [`--set ${o.key}`], message: forbiddenKeyMessage(bad) });
      continue;
    }
    const key = normaliseKey(o.key);
    const [prefix, ...rest] = key.split(".");
    const kafkaKey = rest.join(".");
    const groupField = prefix === "consumer" && CONSUMER_FIELDS.has(kafkaKey);
    const schemaPath: Record<string, string[]> = {
      broker: ["cluster", "config", kafkaKey],
      producer: ["producers", "0", "config", kafkaKey],
      consumer: groupField ? ["consumers", "0", kafkaKey] : ["consumers", "0", "config", kafkaKey],
      topic: ["topics", "0", "config", kafkaKey],
    };
    const resolved = resolveKey(schemaPath[prefix] ?? key.split("."));
    const typed = o.value === "~" ? { value: "~" } : typedValue(o.value, resolved?.kinds ?? null);
    if ("error" in typed) {
      problems.push({ path: [`--set ${o.key}`], message: typed.error });
      continue;
    }
    const value = typed.value;
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
        for (const item of items) {
          if (groupField) item[kafkaKey] = value;
          else configOf(item)[kafkaKey] = value;
        }
        break;
      }
      default:
        // Where the schema knows the path, its fields say where the dots split the key.
        setPath(doc, o.key, resolved?.fields ?? null, key, value, problems);
    }
  }
  return problems;
}

/** Sets a dotted path, matching the longest existing key at each level (keys contain dots). */
function setPath(doc: Doc, shown: string, fields: string[] | null, key: string, value: unknown, problems: Problem[]): void {
  const parts = fields ?? key.split(".");
  let node: Doc = doc;
  let i = 0;
  while (i < parts.length - 1) {
    if (Array.isArray(node)) {
      // A list: the part is an index; one past the end adds an item.
      const list = node as unknown[];
      const index = /^\d+$/.test(parts[i]) ? Number(parts[i]) : -1;
      if (index < 0 || index > list.length) {
        problems.push({ path: [`--set ${shown}`], message: `expected an index from 0 to ${list.length} into ${parts.slice(0, i).join(".")} (got ${JSON.stringify(parts[i])})` });
        return;
      }
      if (index === list.length) list.push({});
      if (!isObject(list[index])) {
        problems.push({ path: [`--set ${shown}`], message: `expected ${parts.slice(0, i + 1).join(".")} to be a section` });
        return;
      }
      node = list[index] as Doc;
      i++;
      continue;
    }
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
        problems.push({ path: [`--set ${shown}`], message: `expected ${parts.slice(0, i + 1).join(".")} to be a section` });
        return;
      }
      // A section the file leaves out: create it (a list if the schema says so); without the
      // schema's fields the rest of the key is one leaf.
      node[parts[i]] = fields !== null && /^\d+$/.test(parts[i + 1]) ? [] : {};
      node = node[parts[i]] as Doc;
      i++;
      if (fields === null && i < parts.length - 1) {
        node[parts.slice(i).join(".")] = value;
        return;
      }
    }
  }
  // `~` (YAML's null) removes a key: `--set faults.0.powerOff=~ --set faults.0.crash=broker-1`.
  if (value === "~") delete node[parts.slice(i).join(".")];
  else node[parts.slice(i).join(".")] = value;
}
