/**
 * The coverage marks kafkasim's code can hit, read from its compiled sources (every
 * `marks.hit("...")` and `machine.mark("...")` with a literal name; the .ts sources when run from
 * them, as under vitest), so that a search can say
 * which it never reached. Marks named with a template (`zookeeper: session expired (${why})`)
 * are not listed here; when hit they are counted like any other.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MARK_CALL = /(?:marks\.hit|\.mark)\(\s*"((?:[^"\\]|\\.)+)"/g;

function* jsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isDirectory()) yield* jsFiles(join(dir, e.name));
    else if (e.name.endsWith(".js") || (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))) yield join(dir, e.name);
  }
}

export function knownMarks(): string[] {
  const root = fileURLToPath(new URL("../sim/", import.meta.url));
  const names = new Set<string>();
  for (const file of jsFiles(root)) for (const m of readFileSync(file, "utf8").matchAll(MARK_CALL)) names.add(JSON.parse(`"${m[1]}"`) as string);
  return [...names].sort();
}
