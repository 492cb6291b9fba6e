/**
 * Reproducible installs: `npm ci` installs package-lock.json as it is, and refuses a lock in
 * which some dependency of a locked package has no entry ("Missing: @rollup/rollup-darwin-arm64@
 * from lock file"). That happens when npm could not read a platform package's manifest while
 * writing the lock (it leaves an optional dependency it cannot resolve out, silently): rollup
 * 4.68.x's native packages for other platforms were not to be had, hence the `rollup` override in
 * package.json. These checks read the lock the way `npm ci` does, without a network.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";

interface LockEntry {
  version?: string;
  link?: boolean;
  os?: string[];
  cpu?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const read = (file: string) => JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), "utf8"));
const pkg = read("package.json");
const lock: { lockfileVersion: number; packages: Record<string, LockEntry> } = read("package-lock.json");
const packages = lock.packages;

/** Node's lookup within the lock: `<from>/node_modules/<name>`, then each enclosing folder's. */
function resolve(from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === "" ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (candidate in packages) return candidate;
    if (base === "") return undefined;
    const up = base.lastIndexOf("/node_modules/");
    base = up < 0 ? "" : base.slice(0, up);
  }
}

/** Every (package, dependency name, spec) the lock records, optional ones included. */
function edges(): Array<{ from: string; name: string; spec: string; optional: boolean }> {
  const out = [];
  for (const [from, entry] of Object.entries(packages)) {
    if (entry.link) continue;
    const deps = { ...entry.dependencies, ...(from === "" ? entry.devDependencies : {}) };
    for (const [name, spec] of Object.entries(deps)) out.push({ from, name, spec, optional: false });
    for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {}))
      out.push({ from, name, spec, optional: true });
  }
  return out;
}

const PLATFORM = /^(@rollup\/rollup-|@esbuild\/)/;

describe("package-lock.json is complete enough for `npm ci`", () => {
  it("is a v2+ lock whose root entry matches package.json", () => {
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(2);
    const root = packages[""];
    for (const field of ["dependencies", "devDependencies", "optionalDependencies"] as const)
      expect(root[field] ?? {}, field).toEqual(pkg[field] ?? {});
  });

  it("records every platform package that rollup and esbuild name, at the version they pin", () => {
    const platform = edges().filter((e) => e.optional && PLATFORM.test(e.name));
    // rollup and esbuild are both in the tree (vitest -> vite), each with ~25 platform packages.
    expect(platform.some((e) => e.name.startsWith("@rollup/"))).toBe(true);
    expect(platform.some((e) => e.name.startsWith("@esbuild/"))).toBe(true);
    const missing = platform.filter((e) => resolve(e.from, e.name) === undefined).map((e) => `${e.from} -> ${e.name}`);
    expect(missing).toEqual([]);
    for (const e of platform) {
      const entry = packages[resolve(e.from, e.name)!];
      if (/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(e.spec)) expect(entry.version, `${e.from} -> ${e.name}@${e.spec}`).toBe(e.spec);
      // os/cpu in the lock let npm skip another platform's package without fetching it.
      expect(entry.os?.length || entry.cpu?.length, e.name).toBeTruthy();
    }
  });

  it("resolves every dependency of every locked package", () => {
    const missing = edges()
      .filter((e) => resolve(e.from, e.name) === undefined)
      .map((e) => `${e.from || "(root)"} -> ${e.name}@${e.spec}`);
    expect(missing).toEqual([]);
  });
});
