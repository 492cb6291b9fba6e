/**
 * A fuzz worker (a child process of scripts/fuzz.ts): checks the documents it is sent, one at a
 * time, and answers each with its result and its heap size. The parent kills it on a hang and
 * sees it die on an abort (V8 out of memory, a signal).
 */
import { checkDocument, type CheckResult } from "./check.js";

export interface WorkRequest {
  index: number;
  text: string;
  seed: number;
  untilUs: number;
}

export interface WorkResponse {
  index: number;
  result: CheckResult;
  heapUsedMb: number;
  rssMb: number;
}

process.on("message", (m: WorkRequest) => {
  const result = checkDocument(m.text, { seed: m.seed, untilUs: m.untilUs, reports: true });
  const mem = process.memoryUsage();
  const response: WorkResponse = { index: m.index, result, heapUsedMb: Math.round(mem.heapUsed / 1e6), rssMb: Math.round(mem.rss / 1e6) };
  process.send?.(response);
});
process.send?.({ ready: true });
