/**
 * The promises the read-side built-in scenarios (those with consumer groups) make: each one's
 * `expect` holds for seeds 1 to 20, and every command a description suggests passes.
 */
import { afterEach } from "vitest";
import { BUILTINS, commandSuite, promiseSuite, readsToo } from "./helpers/builtins.js";

// Each test is one long synchronous run: yield to the event loop between them so the worker
// answers the runner's RPC (otherwise "Timeout calling onTaskUpdate" after a minute).
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

const READ_SIDE = BUILTINS.filter(readsToo);
promiseSuite(READ_SIDE);
commandSuite(READ_SIDE);
