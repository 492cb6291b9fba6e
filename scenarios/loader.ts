/**
 * Scenario text → validated Scenario, or a list of located problems: one line per mistake,
 * `file:line:col: path.to.field: what was expected (got X)`. Never throws on any input.
 *
 * YAML and JSON both go through the `yaml` package (JSON is YAML 1.2), which keeps source
 * positions so that every problem can point at its line. This module does no I/O: callers hand
 * it the text.
 */
import { LineCounter, parseDocument, isAlias, isMap, isSeq, isScalar, isPair, visit, type Node } from "yaml";
import { FORBIDDEN_KEYS, forbiddenKeyMessage } from "./overrides.js";
import { suggestion as suggestKey } from "./suggest.js";
import type { core } from "zod";
import { scenarioJsonSchema, scenarioSchema } from "./schema.js";
import { crossCheck, toScenario, type Path, type Problem, type Scenario } from "./model.js";
import { applyOverrides, type Override } from "./overrides.js";

export interface LocatedProblem extends Problem {
  file: string;
  line: number;
  col: number;
}

export type LoadResult = { ok: true; scenario: Scenario } | { ok: false; problems: LocatedProblem[] };

export function formatProblem(p: LocatedProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.col}` : p.file;
  const path = p.path.length === 0 ? "(document)" : formatPath(p.path);
  return `${where}: ${path}: ${p.message}`;
}

export function formatPath(path: Path): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (part.startsWith("--set")) out += part;
    else out += out === "" ? part : `.${part}`;
  }
  return out;
}

export function loadScenario(text: string, file: string, overrides: readonly Override[] = []): LoadResult {
  try {
    return load(text, file, overrides);
  } catch (e) {
    // A bug of ours must still not become a stack trace for the user.
    return { ok: false, problems: [{ file, line: 0, col: 0, path: [], message: `internal error while reading the scenario: ${(e as Error).message}` }] };
  }
}

function load(text: string, file: string, overrides: readonly Override[]): LoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const locate = (path: Path, message: string): LocatedProblem => {
    const offset = offsetOf(doc.contents as Node | null, path);
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, col: pos.col, path, message };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, line: pos.line, col: pos.col, path: [], message: `expected valid YAML or JSON (${firstLine(e.message)})` };
      }),
    };
  }
  // Keys that would reach JavaScript's object prototype are refused before the document becomes objects.
  const forbidden: LocatedProblem[] = [];
  visit(doc, {
    Pair(_key, pair) {
      // A key can be an alias (`*k : 1` with `&k constructor` elsewhere): check what it names.
      const alias = isAlias(pair.key) ? pair.key : null;
      const key = alias !== null ? alias.resolve(doc) : pair.key;
      if (isScalar(key) && FORBIDDEN_KEYS.has(String(key.value))) {
        const pos = lineCounter.linePos((alias ?? key).range?.[0] ?? 0);
        forbidden.push({ file, line: pos.line, col: pos.col, path: [], message: forbiddenKeyMessage(String(key.value)) });
      }
    },
  });
  if (forbidden.length > 0) return { ok: false, problems: forbidden };
  // Aliases are where YAML can be made to explode (a "billion laughs") or point nowhere.
  const aliasProblem = checkAliases(doc, lineCounter, file);
  if (aliasProblem !== null) return { ok: false, problems: [aliasProblem] };
  const data: unknown = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { ok: false, problems: [locate([], `expected a mapping with name, duration and cluster (got ${describe(data)})`)] };
  }
  const overrideProblems = applyOverrides(data, overrides);
  if (overrideProblems.length > 0) return { ok: false, problems: overrideProblems.map((p) => ({ ...p, file, line: 0, col: 0 })) };
  const parsed = scenarioSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.flatMap((issue) => issueProblems(issue).map((p) => locate(p.path, p.message))).sort(byPosition) };
  }
  const cross = crossCheck(parsed.data);
  if (cross.length > 0) return { ok: false, problems: cross.map((p) => locate(p.path, p.message)).sort(byPosition) };
  return { ok: true, scenario: toScenario(parsed.data) };
}

function byPosition(a: LocatedProblem, b: LocatedProblem): number {
  return a.line - b.line || a.col - b.col;
}

/** One problem per zod issue (unknown keys give one each, so every typo gets its own line). */
function issueProblems(issue: core.$ZodIssue): Problem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  const got = "input" in issue ? ` (got ${describe(issue.input)})` : "";
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((k) => ({ path: [...path, k], message: `unknown field${suggestion(k)}` }));
    case "invalid_type":
      return [{ path, message: issue.input === undefined ? `required: expected ${issue.expected}` : `expected ${issue.expected}${got}` }];
    case "too_small":
      return [{ path, message: `expected ${issue.origin === "array" ? "at least " + issue.minimum + " item(s)" : ">= " + issue.minimum}${got}` }];
    case "too_big":
      return [{ path, message: `expected ${issue.origin === "array" ? "at most " + issue.maximum + " item(s)" : "<= " + issue.maximum}${got}` }];
    case "invalid_value":
      return [{ path, message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}${got}` }];
    case "invalid_union":
      return [{ path, message: `expected ${unionHint(issue)}${got}` }];
    default:
      return [{ path, message: `${issue.message}${issue.message.includes("(got") ? "" : got}` }];
  }
}

function unionHint(issue: core.$ZodIssue & { code: "invalid_union" }): string {
  const kinds = new Set<string>();
  for (const branch of issue.errors) for (const i of branch) if (i.code === "invalid_type" && i.path.length === 0) kinds.add(i.expected);
  if (kinds.size > 0) return [...kinds].join(" or ");
  const first = issue.errors.flat()[0];
  return first ? first.message.replace(/^expected /i, "") : "a valid value";
}

let schemaKeys: string[] | null = null;

/** Every field name the schema knows, for "did you mean" hints. */
function allSchemaKeys(): string[] {
  if (schemaKeys !== null) return schemaKeys;
  const keys = new Set<string>();
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (typeof x === "object" && x !== null) {
      const o = x as Record<string, unknown>;
      if (typeof o.properties === "object" && o.properties !== null) for (const k of Object.keys(o.properties)) keys.add(k);
      Object.values(o).forEach(walk);
    }
  };
  walk(scenarioJsonSchema());
  schemaKeys = [...keys].sort();
  return schemaKeys;
}

/** yaml's own bound on alias expansions (toJS maxAliasCount): more is refused as an alias bomb. */
const MAX_ALIAS_COUNT = 100;

/**
 * An alias whose anchor is not set before it, or a document whose aliases would expand more than
 * MAX_ALIAS_COUNT times, is a located problem (yaml would throw at toJS).
 */
function checkAliases(doc: ReturnType<typeof parseDocument>, lineCounter: LineCounter, file: string): LocatedProblem | null {
  const anchors = new Set<string>();
  let problem: LocatedProblem | null = null;
  let aliases = 0;
  const at = (node: { range?: [number, number, number] | null }, message: string): LocatedProblem => {
    const pos = lineCounter.linePos(node.range?.[0] ?? 0);
    return { file, line: pos.line, col: pos.col, path: [], message };
  };
  visit(doc, {
    Node(_key, node) {
      if (problem !== null) return visit.BREAK;
      if (isAlias(node)) {
        aliases++;
        if (!anchors.has(node.source)) problem = at(node, `expected an alias to an anchor set before it (got *${node.source})`);
      } else if (node.anchor !== undefined) anchors.add(node.anchor);
      return undefined;
    },
  });
  if (problem !== null) return problem;
  if (aliases === 0) return null;
  try {
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    return at({ range: null }, `expected aliases that expand at most ${MAX_ALIAS_COUNT} times (${firstLine((e as Error).message)})`);
  }
  return null;
}

function suggestion(key: string): string {
  return suggestKey(key, allSchemaKeys());
}

export function describe(x: unknown): string {
  if (x === undefined) return "nothing";
  if (x === null) return "null";
  if (Array.isArray(x)) return "a list";
  if (typeof x === "object") return "a mapping";
  if (typeof x === "string") return JSON.stringify(x.length > 40 ? x.slice(0, 40) + "…" : x);
  return String(x);
}

function firstLine(s: string): string {
  return s.split("\n")[0];
}

/** The source offset of the deepest node on the path (a missing field points at its parent). */
function offsetOf(root: Node | null, path: Path): number {
  let node: unknown = root;
  let offset = nodeOffset(root);
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(part));
      if (!pair) break;
      offset = nodeOffset(pair.key as Node);
      node = pair.value;
      if (node !== null && typeof part === "string" && isScalar(node)) offset = nodeOffset(node as Node) ?? offset;
    } else if (isSeq(node) && typeof part === "number" && node.items[part] !== undefined) {
      node = node.items[part];
      offset = nodeOffset(node as Node);
    } else break;
  }
  return offset;
}

function nodeOffset(node: Node | null | undefined): number {
  return node?.range?.[0] ?? 0;
}
