import { spawn } from "node:child_process";
import { SIMULATION_V8_FLAGS } from "../../heapTuning.js";

/**
 * The built CLI (npm test builds first), exactly as `npx kafkasim` runs it (with the V8 flags of its `#!` line). Asynchronous, so that
 * the test worker answers vitest while the CLI runs (a long spawnSync blocks it and vitest
 * reports "Timeout calling onTaskUpdate" on a loaded machine).
 */
export function kafkasim(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [...SIMULATION_V8_FLAGS, "dist/cli.js", ...args]);
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("close", (code) => done({ code, out, err }));
  });
}
