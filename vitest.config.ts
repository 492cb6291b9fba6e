import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Child processes rather than worker threads: long CPU-bound simulation tests starve a
    // worker thread's RPC to the runner ("Timeout calling onTaskUpdate", vitest#6479).
    pool: "forks",
  },
});
